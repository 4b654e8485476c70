"""Loading data onto the canonical tables: synthetic, public, your own files, lazy scans.

Import what you need from the modules (:mod:`.synthetic`, :mod:`.public`,
:mod:`.files`, :mod:`.scan`, :mod:`.download`, :mod:`.retail_export`); the
package itself imports nothing, so that reading one loader stays light. The
most used names are re-exported by :mod:`marketing_utils`
(``mu.make_synthetic``, ``mu.scan_transactions``); :func:`marketing_utils.load_data`
(in :mod:`marketing_utils.params.data`) loads what a params file's ``data``
section names.
"""

__all__: list[str] = []
