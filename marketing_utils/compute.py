"""Where the transaction stages compute: pandas, Polars, or Dask on a cluster.

A params file chooses with its ``compute`` section::

    compute:
      engine: dask                      # pandas | polars | dask
      dask:
        scheduler: tcp://10.0.0.5:8786  # an existing Dask scheduler
        # without a scheduler: a local cluster sized to this machine, optionally
        # n_workers, threads_per_worker, memory_limit

The runner passes the section to the notebooks that declare a ``compute``
parameter, and ``compute.engine`` to those that declare ``engine``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .errors import WorkbookError

__all__ = ["ENGINES", "ComputeOptions", "DaskOptions", "check_scheduler_address", "dask_client"]

ENGINES = ("pandas", "polars", "dask")
_ADDRESS = re.compile(r"^(tcp|tls|ucx|inproc|ws|wss)://\S+$")


def check_scheduler_address(address: str) -> str:
    """Return ``address`` if it looks like a Dask scheduler address, else raise ValueError."""
    if not isinstance(address, str) or not _ADDRESS.match(address):
        raise ValueError(
            "expected a Dask scheduler address such as 'tcp://10.0.0.5:8786' "
            f"(protocol tcp, tls, ucx, inproc, ws or wss), found {address!r}"
        )
    return address


def dask_client(
    scheduler: str | None = None,
    *,
    n_workers: int | None = None,
    threads_per_worker: int | None = None,
    memory_limit: str | None = None,
    timeout: float = 10.0,
    where: str = "params compute.dask.scheduler",
) -> Any:
    """A ``distributed.Client``: to ``scheduler``, or to a new local cluster.

    While it is open, every Dask computation (feature building on Dask
    partitions, scoring partition by partition) runs on its workers. Close it
    with ``client.close()`` (that also stops a local cluster it started).

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
        Without one, a ``LocalCluster`` of worker processes is started; its
        default size follows this machine (workers and threads from the CPU
        count, memory split between the workers).
    n_workers, threads_per_worker : int, optional
        Size of the local cluster (ignored with a scheduler).
    memory_limit : str, optional
        Memory per local worker, e.g. ``"4GB"`` (ignored with a scheduler).
    timeout : float, default 10
        Seconds to wait for the scheduler.
    where : str, default "params compute.dask.scheduler"
        What the error messages name as the source of ``scheduler``.

    Returns
    -------
    distributed.Client

    Raises
    ------
    ValueError
        If ``scheduler`` is not a scheduler address.
    WorkbookError
        If no scheduler answers at ``scheduler`` within ``timeout``.
    """
    from distributed import Client

    if scheduler is not None:
        check_scheduler_address(scheduler)
        try:
            return Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise WorkbookError(
                f"{where}: no Dask scheduler answered at {scheduler!r} "
                f"within {timeout:g} s ({exc}); start one with `dask scheduler` or remove "
                "the address to use a local cluster"
            ) from None
    sizes = {
        "n_workers": n_workers,
        "threads_per_worker": threads_per_worker,
        "memory_limit": memory_limit,
    }
    return Client(processes=True, **{k: v for k, v in sizes.items() if v is not None})


_MEMORY = re.compile(r"^(auto|\d+(\.\d+)?\s*([kKMGTP]i?B|B))$")


class DaskOptions(BaseModel):
    """Where Dask computes: an existing scheduler, or a local cluster of this size."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    scheduler: str | None = Field(
        None, description="address of a running Dask scheduler; absent: a local cluster"
    )
    n_workers: int | None = Field(None, ge=1, description="local cluster: worker processes")
    threads_per_worker: int | None = Field(None, ge=1, description="local cluster: threads")
    memory_limit: str | None = Field(None, description="local cluster: memory per worker")

    @field_validator("scheduler")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return None if value is None else check_scheduler_address(value)

    @field_validator("memory_limit")
    @classmethod
    def _memory(cls, value: str | None) -> str | None:
        if value is not None and not _MEMORY.match(value):
            raise ValueError(
                f"expected a size such as '4GB' or '512MiB' or 'auto', found {value!r}"
            )
        return value


class ComputeOptions(BaseModel):
    """The engine of the transaction stages and, for Dask, where it runs.

    ``engine`` applies only when the file sets it: then it is injected into
    every notebook that declares an ``engine`` parameter.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    engine: Literal["pandas", "polars", "dask"] = Field(
        "pandas", description="engine of the transaction stages: pandas, polars or dask"
    )
    dask: DaskOptions = DaskOptions()
