"""The ``marketing-workbook`` command (also ``python -m marketing_utils``)."""

from __future__ import annotations

import argparse
import sys
import textwrap

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="marketing-workbook",
        description="Run the Precision Marketing Workbook notebooks and build the HTML report.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run", help="run every notebook for a params file and write the report"
    )
    run.add_argument("params", help="params YAML file, e.g. params/default.yaml")
    run.add_argument("--only", nargs="+", metavar="NOTEBOOK", help="run only these notebooks")
    run.add_argument("--notebooks", metavar="DIR", help="notebooks folder (default: the project's)")
    code = run.add_mutually_exclusive_group()
    code.add_argument(
        "--hide-code",
        dest="hide_code",
        action="store_true",
        default=None,
        help="hide code cells in the HTML (a report for stakeholders)",
    )
    code.add_argument(
        "--show-code",
        dest="hide_code",
        action="store_false",
        help="show code cells even if the params file hides them",
    )
    run.add_argument("--quiet", action="store_true", help="print no progress")

    validate = commands.add_parser("validate", help="check a params file without running anything")
    validate.add_argument("params")
    validate.add_argument("--notebooks", metavar="DIR")

    listing = commands.add_parser("list", help="list the notebooks and their parameters")
    listing.add_argument("--notebooks", metavar="DIR")

    sample = commands.add_parser(
        "sample-data", help="write a sample retail export (CSV) to try the 'files' source"
    )
    sample.add_argument(
        "folder", nargs="?", default="data", help="where to write retail_export.csv"
    )
    sample.add_argument("--customers", type=int, default=2000, help="number of customers")
    sample.add_argument("--seed", type=int, default=0)
    _score_parser(commands)
    return parser


_SCORE_HELP = """\
Score new customers with a model saved by notebook 03 and write customer_id,
score (calibrated probability of the label within the model's horizon) and
decile (1 = highest scores, over all customers) to Parquet or CSV.

DATA is either a customer feature table (customer_id + the model's features)
or a transaction log (customer_id, timestamp, amount, and order_id/category
when the model was trained with them), from which the features are rebuilt as
of --as-of (a model using notebook 02's segments assigns them with the
segmentation notebook 02 saved next to it). Raw ids are pseudonymized with the key in WORKBOOK_PSEUDONYM_KEY
(HMAC-SHA256, as notebook 01 does): set the same key as for the report and
the scored ids join with the report's ids. Without the variable the command
refuses raw ids, because a random key would give ids that join with nothing.
Ids that are already pseudonymized (a report's artifacts) are kept with
--ids-pseudonymized; raw ids are never written.

example:
  WORKBOOK_PSEUDONYM_KEY=... marketing-workbook score \\
      --model reports/default/artifacts/propensity_model.skops \\
      --data new_transactions.parquet --customers new_customers.parquet \\
      --out scores.parquet --engine polars
"""


def _score_parser(commands) -> None:
    score = commands.add_parser(
        "score",
        help="score new customers with a saved model (id, score, decile)",
        description=_SCORE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    score.add_argument(
        "--model", required=True, help="the .skops model (artifacts/propensity_model.skops)"
    )
    score.add_argument(
        "--data",
        required=True,
        help="customer features or transactions: .parquet (file or folder) or .csv",
    )
    score.add_argument("--out", required=True, help="output file; .parquet or .csv sets the format")
    score.add_argument(
        "--customers", help="customers table, for models using tenure, age or demographics"
    )
    score.add_argument(
        "--data-kind",
        choices=["auto", "features", "transactions"],
        default="auto",
        help="what --data holds (auto: a table with a timestamp column is a transaction log)",
    )
    score.add_argument(
        "--as-of",
        metavar="DATE",
        help="first day not observed: features use the transactions before it "
        "(default: the day after the last transaction)",
    )
    score.add_argument("--engine", choices=["pandas", "polars", "dask"], default="pandas")
    score.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address (default: threads on this machine)",
    )
    score.add_argument(
        "--ids-pseudonymized",
        action="store_true",
        help="the ids are already pseudonymized: keep them",
    )
    score.add_argument(
        "--model-info",
        metavar="PATH",
        help="the model's metadata (default: <model>_info.json next to it)",
    )
    score.add_argument(
        "--trust", action="append", default=[], metavar="TYPE",
        help="also allow this type in the model file (repeatable; only for files you trust)",
    )  # fmt: skip


def _score(args) -> None:
    import os

    if not args.ids_pseudonymized and not os.environ.get("WORKBOOK_PSEUDONYM_KEY"):
        from ..errors import DataValidationError

        raise DataValidationError(
            "environment variable WORKBOOK_PSEUDONYM_KEY",
            "expected the pseudonymization key to hash raw ids (the report's key, so that the "
            "scored ids join with its ids), found it unset; set it, or pass --ids-pseudonymized "
            "when the ids are already pseudonymized",
        )
    from ..model_io import TRUSTED_TYPES, UntrustedModelError
    from ..scoring.stage import score_new_customers

    try:
        summary = _score_call(args, score_new_customers, TRUSTED_TYPES)
    except UntrustedModelError as exc:
        raise UntrustedModelError(f"{exc} On the command line: --trust TYPE.") from None
    print(summary.describe())


def _score_call(args, score_new_customers, trusted_types):
    return score_new_customers(
        args.model, args.data, args.out,
        customers=args.customers, data_kind=args.data_kind, as_of=args.as_of,
        engine=args.engine, scheduler=args.scheduler, ids_pseudonymized=args.ids_pseudonymized,
        model_info=args.model_info, trusted=(*trusted_types, *args.trust),
    )  # fmt: skip


def _list(notebooks_dir: str | None) -> None:
    from ..params.notebooks import RUNNER_PARAMETERS, discover_notebooks

    for spec in discover_notebooks(notebooks_dir):
        print(f"{spec.stem}  [params section: {spec.section}]  {spec.title}")
        if spec.requires:
            print(f"    requires: {', '.join(spec.requires)}")
        for parameter in spec.parameters.values():
            origin = "  (set by the runner)" if parameter.name in RUNNER_PARAMETERS else ""
            line = f"    {parameter.name}: {parameter.type_name} = {parameter.default!r}{origin}"
            print(line)
            if parameter.help:
                print(textwrap.indent(textwrap.fill(parameter.help, 88), " " * 8))


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    from ..errors import WorkbookError
    from .safety import RunInterrupted

    try:
        if args.command == "list":
            _list(args.notebooks)
        elif args.command == "sample-data":
            from ..datasets.retail_export import write_retail_export

            print(write_retail_export(args.folder, args.customers, seed=args.seed))
        elif args.command == "validate":
            from ..params.file import load_params

            params = load_params(args.params, args.notebooks)
            print(
                f"{args.params}: valid (run '{params.run_name}', data source {params.data['source']})"
            )
        elif args.command == "score":
            _score(args)
        elif args.command == "run":
            from ..params.file import load_params

            # Validate before importing the heavy machinery: a typo fails in a second.
            params = load_params(args.params, args.notebooks)
            from .run import run_workbook

            result = run_workbook(
                params,
                only=args.only,
                notebooks_dir=args.notebooks,
                hide_code=args.hide_code,
                quiet=args.quiet,
            )
            print(result.index)
    except WorkbookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if exc.__class__.__name__ == "ParamsError" else 1
    except RunInterrupted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 128 + exc.signum
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # a bad option value (engine, as-of date)
        if args.command != "score":
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
