"""A class whose unpickling or skops loading would write a marker file: proof of execution."""

from __future__ import annotations

from pathlib import Path


class Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __setstate__(self, state: dict) -> None:
        Path(state["marker"]).touch()  # runs only if the loader constructs the object
        self.__dict__.update(state)
