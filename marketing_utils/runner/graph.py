"""Which notebook must wait for which: the dependency graph of a report run.

A notebook declares the artifacts it reads and writes in its metadata
(``marketing_workbook: {reads: [...], writes: [...]}``). Notebook B runs
after an earlier notebook A when

- B reads what A writes (B needs A's result),
- B writes what A reads or writes (B must not change A's input under it, and
  the last writer in notebook order wins, as in a sequential run),
- A writes ``capabilities`` (every skip decision reads it), or
- A or B declares nothing: an undeclared notebook runs after every earlier
  notebook, and every later notebook runs after it (the safe default for a
  new notebook).

So a parallel run produces the artifacts of the sequential run, in any order
of the independent notebooks.

A dependency that comes only from a notebook's *late reads* (metadata
``late_reads``: artifacts loaded only by the cells tagged ``late-read``, such
as 06's use of 04's targeting list in its last section) does not hold back
the start: the notebook starts with its other dependencies done and waits
for the late ones just before its first ``late-read`` cell. Every cell still
sees what it would see in the sequential run.

Symmetrically, a notebook's *early writes* (metadata ``early_writes``:
artifacts its cells save before its first ``late-read`` cell and never
change after it, such as 08's lifetime values) are final once it reaches
that cell. A later notebook that needs it only for those starts then, while
the writer waits for its late reads or finishes its last section.
"""

from __future__ import annotations

from dataclasses import replace

from ..params.notebooks import NotebookSpec

__all__ = [
    "CAPABILITIES",
    "critical_chain",
    "critical_path_order",
    "dependencies",
    "early_dependencies",
    "late_dependencies",
]

#: The artifact every skip decision reads.
CAPABILITIES = "capabilities"


def dependencies(specs: list[NotebookSpec]) -> dict[str, set[str]]:
    """For each notebook (by stem), the earlier notebooks it must wait for.

    Examples
    --------
    >>> from pathlib import Path
    >>> def nb(stem, reads=None, writes=None):
    ...     return NotebookSpec(Path(stem), stem, stem[3:], reads=reads, writes=writes)
    >>> specs = [nb("01_a", [], ["capabilities", "t"]), nb("02_b", ["t"], ["s"]),
    ...          nb("03_c", ["t"], ["u"]), nb("04_d", ["s", "u"], []), nb("05_e")]
    >>> {k: sorted(v) for k, v in dependencies(specs).items()}  # doctest: +NORMALIZE_WHITESPACE
    {'01_a': [], '02_b': ['01_a'], '03_c': ['01_a'], '04_d': ['01_a', '02_b', '03_c'],
     '05_e': ['01_a', '02_b', '03_c', '04_d']}
    """
    return {
        spec.stem: {
            earlier.stem for earlier in specs[:position] if _must_wait(spec, earlier, spec.reads)
        }
        for position, spec in enumerate(specs)
    }


def late_dependencies(specs: list[NotebookSpec]) -> dict[str, set[str]]:
    """For each notebook, the dependencies it needs only before its ``late-read`` cells.

    Those are the earlier notebooks it waits for only because it reads what
    they write among its ``late_reads``; the others (:func:`dependencies`
    minus these) must be done before it starts.

    Examples
    --------
    >>> from pathlib import Path
    >>> def nb(stem, reads, writes, late=()):
    ...     return NotebookSpec(Path(stem), stem, stem[3:], reads=reads, writes=writes,
    ...                         late_reads=list(late))
    >>> specs = [nb("01_a", [], ["t"]), nb("02_b", ["t"], ["s"]), nb("03_c", ["t"], ["u"]),
    ...          nb("04_d", ["t", "s"], ["v"], late=["s"]), nb("05_e", ["u"], ["s"], late=["u"])]
    >>> {k: sorted(v) for k, v in late_dependencies(specs).items()}
    {'01_a': [], '02_b': [], '03_c': [], '04_d': ['02_b'], '05_e': ['03_c']}

    05 reads 03's ``u`` late, but it writes ``s``, which 02 writes and 04
    reads: it starts only once 02 and 04 are done, whatever it reads late.
    """
    late = {}
    for position, spec in enumerate(specs):
        early_reads = [name for name in spec.reads or () if name not in spec.late_reads]
        late[spec.stem] = {
            earlier.stem
            for earlier in specs[:position]
            if _must_wait(spec, earlier, spec.reads) and not _must_wait(spec, earlier, early_reads)
        }
    return late


def early_dependencies(specs: list[NotebookSpec]) -> dict[str, set[str]]:
    """For each notebook, the dependencies it needs only to have reached their late cells.

    Those are the earlier notebooks it waits for (before it starts) only
    because it reads some of their ``early_writes``: it may start once each
    of them has reached its first ``late-read`` cell, or is done. Any other
    tie (it reads another of their artifacts, it writes what they read or
    write, they write ``capabilities``) needs them done.

    Examples
    --------
    >>> from pathlib import Path
    >>> def nb(stem, reads, writes, late=(), early=()):
    ...     return NotebookSpec(Path(stem), stem, stem[3:], reads=reads, writes=writes,
    ...                         late_reads=list(late), early_writes=list(early))
    >>> specs = [nb("01_a", [], ["t"]), nb("02_b", ["t"], ["s"]),
    ...          nb("03_c", ["t", "s"], ["v", "w"], late=["s"], early=["v"]),
    ...          nb("04_d", ["t", "v"], ["x"]), nb("05_e", ["v", "w"], ["y"])]
    >>> {k: sorted(v) for k, v in early_dependencies(specs).items()}
    {'01_a': [], '02_b': [], '03_c': [], '04_d': ['03_c'], '05_e': []}

    05 also reads ``w``, which 03 writes after its late cells: it waits for
    03 to be done.
    """
    early = {}
    for position, spec in enumerate(specs):
        start_reads = [name for name in spec.reads or () if name not in spec.late_reads]
        early[spec.stem] = {
            earlier.stem
            for earlier in specs[:position]
            if earlier.early_writes
            and _must_wait(spec, earlier, start_reads)
            and not _must_wait(spec, _without_early_writes(earlier), start_reads)
        }
    return early


def _without_early_writes(spec: NotebookSpec) -> NotebookSpec:
    """``spec`` as it would be if its early writes were someone else's."""
    return replace(spec, writes=[name for name in spec.writes if name not in spec.early_writes])


def _must_wait(spec: NotebookSpec, earlier: NotebookSpec, reads: list[str] | None) -> bool:
    """Whether ``spec``, reading ``reads``, must wait for the earlier notebook ``earlier``."""
    if not (spec.declared and earlier.declared):
        return True
    writes = set(spec.writes)
    earlier_reads, earlier_writes = set(earlier.reads), set(earlier.writes)
    return bool(
        CAPABILITIES in earlier_writes
        or set(reads) & earlier_writes
        or writes & (earlier_reads | earlier_writes)
    )


def critical_path_order(
    graph: dict[str, set[str]], seconds: dict[str, float] | None = None
) -> list[str]:
    """Notebooks by the length of the longest chain of work that starts with them.

    A notebook's length is its own time plus the longest length among the
    notebooks that wait for it. Starting the longest chains first is the
    classic list-scheduling rule: the run cannot end before its longest chain,
    so among notebooks ready at the same time, the one heading the longer
    chain goes first. Times come from the last report (``seconds``); a
    notebook without one counts 1 (so, with no times at all, the chain with
    more notebooks goes first). Ties keep notebook order.

    Examples
    --------
    >>> g = {"01": set(), "02": {"01"}, "03": {"01"}, "04": {"02"}, "05": {"03"}, "06": {"05"}}
    >>> critical_path_order(g)
    ['01', '03', '02', '05', '04', '06']
    >>> critical_path_order(g, {"02": 30.0, "03": 2.0, "05": 2.0, "06": 2.0})
    ['01', '02', '03', '05', '06', '04']
    """
    length = _chain_lengths(graph, seconds or {})
    order = list(graph)
    return sorted(order, key=lambda stem: (-length[stem], order.index(stem)))


def critical_chain(
    graph: dict[str, set[str]], seconds: dict[str, float] | None = None
) -> list[str]:
    """The longest chain of work: the notebooks the run's end waits for, first to last.

    It starts at the notebook with the longest chain (:func:`critical_path_order`)
    and goes on, at each step, to the dependant with the longest chain.

    Examples
    --------
    >>> g = {"01": set(), "02": {"01"}, "03": {"01"}, "04": {"02"}, "05": {"03"}, "06": {"05"}}
    >>> critical_chain(g)
    ['01', '03', '05', '06']
    >>> critical_chain(g, {"02": 30.0, "03": 2.0, "05": 2.0, "06": 2.0})
    ['01', '02', '04']
    """
    length = _chain_lengths(graph, seconds or {})
    order = list(graph)
    if not order:
        return []
    chain = [min(order, key=lambda stem: (-length[stem], order.index(stem)))]
    while True:
        after = [other for other in order if chain[-1] in graph[other]]
        if not after:
            return chain
        chain.append(min(after, key=lambda stem: (-length[stem], order.index(stem))))


def _chain_lengths(graph: dict[str, set[str]], seconds: dict[str, float]) -> dict[str, float]:
    """Each notebook's time plus the longest length among the notebooks that wait for it."""
    order = list(graph)
    waiting_for = {stem: [other for other in order if stem in graph[other]] for stem in order}
    length: dict[str, float] = {}
    for stem in reversed(order):  # dependants come later in notebook order
        after = max((length[other] for other in waiting_for[stem]), default=0.0)
        length[stem] = float(seconds.get(stem, 1.0)) + after
    return length
