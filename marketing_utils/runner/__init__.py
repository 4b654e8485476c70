"""The command line (:mod:`.cli`), report runs (:mod:`.run`, :mod:`.safety`) and the HTML report (:mod:`.report`).

Nothing in the package imports the runner; it imports the rest. The package
itself imports nothing, so that ``marketing-workbook --help`` starts fast.
"""

__all__: list[str] = []
