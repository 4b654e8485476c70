"""Make ``pytest -n 2 --dist loadgroup`` honour ``xdist_group`` marks under pytest 9.

pytest-xdist 3.8 groups tests by renaming ``item._nodeid`` to ``<nodeid>@<group>``;
pytest 9.2 keeps a node's id in ``item._id`` and no longer reads ``_nodeid``,
so every group was silently split over both workers (and each worker built
every session report). :func:`apply_xdist_groups` does the rename the way
pytest 9 reads it; it is a no-op without ``--dist loadgroup`` and for an item
already renamed (by xdist itself on older pytest, or by an earlier call).
"""

from __future__ import annotations

import pytest

#: On a test that uses two session reports (``*_report`` fixtures): their names. It is failed
#: at setup (tests/conftest.py) rather than at collection, where an error under xdist ends the
#: run with an INTERNALERROR that names another test.
TWO_REPORTS = pytest.StashKey[list]()


def apply_xdist_groups(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # pytest < 9.2: xdist's own renaming works
        return
    for item in items:
        names = sorted(
            {
                str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                for mark in item.iter_markers("xdist_group")
            }
        )
        suffix = f"@{'_'.join(names)}"
        if names and not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
            item._id = NodeId.parse(item.nodeid + suffix)
