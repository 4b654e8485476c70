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
    run.add_argument(
        "--only",
        nargs="+",
        action="extend",
        metavar="NOTEBOOK",
        help="run only these notebooks (repeatable: --only a --only b runs both); the others "
        "keep the last report's pages and artifacts",
    )
    run.add_argument(
        "--with-dependants",
        action="store_true",
        help="with --only: also rerun every notebook that reads what the named ones write "
        "(without it, a warning and the index name those left with the previous inputs)",
    )
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
    run.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="notebooks run at the same time when they do not depend on each other "
        "(default: the number of cores; 1: one after the other)",
    )

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
    sample.add_argument(
        "--churn",
        action="store_true",
        help="write synthetic_churn.csv instead: one row per customer, a churn flag from the "
        "generator's truth and a planted leaked column (params/churn.yaml)",
    )
    _score_parser(commands)
    _export_parser(commands)
    return parser


_EXPORT_HELP = """\
Deploy a targeting list (notebook 04's artifacts/targeting_list.csv: its
selected customers) or a campaign plan (notebook 09's campaign_plan: every
row with its offer) with a seeded random holdout, so that the campaign can be
read out (notebook 10).

Writes the import file (--out, CSV: the customers to contact, and their
offer) and the export record (JSON, default <out>.export.json: the draw, the
group of every listed customer, what was predicted for each, and the sha256
of the import file). The holdout is drawn in each stratum (decile for a
list, offer for a plan) with the same share. The share, stratification and
seed come from the options, else from --params (the campaign_readout section
and the run's seed), else the defaults (0.2, auto, 42). Inputs are never
written; an existing export record is kept unless --force.

example:
  marketing-workbook export-campaign \\
      --list reports/default/artifacts/targeting_list.csv \\
      --out campaign/import.csv --params params/default.yaml --campaign-start 2025-11-01
"""


def _export_parser(commands) -> None:
    export = commands.add_parser(
        "export-campaign",
        help="deploy a targeting list or campaign plan with a seeded holdout (import file + record)",
        description=_EXPORT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument(
        "--list",
        required=True,
        dest="source",
        metavar="PATH",
        help="targeting list or campaign plan (.csv or .parquet)",
    )
    export.add_argument("--out", required=True, help="import file to write (.csv)")
    export.add_argument("--record", help="export record to write (default: <out>.export.json)")
    export.add_argument(
        "--params",
        help="params file: holdout_share and stratify_by of its "
        "campaign_readout section, and its seed",
    )
    export.add_argument(
        "--holdout-share", type=float, help="share of listed customers held out (0-1)"
    )
    export.add_argument(
        "--stratify-by", help="auto (decile for a list, offer for a plan), none, or a column"
    )
    export.add_argument("--seed", type=int, help="seed of the holdout draw")
    export.add_argument(
        "--campaign-start", metavar="DATE", help="first day of the campaign (for the readout)"
    )
    export.add_argument("--force", action="store_true", help="replace an existing export record")  # fmt: skip


def _export(args) -> None:
    settings = {"holdout_share": 0.2, "stratify_by": "auto", "seed": 42}
    if args.params:
        from ..params import load_params

        params = load_params(args.params)
        section = params.sections.get("campaign_readout", {})
        settings.update({k: section[k] for k in ("holdout_share", "stratify_by") if k in section})
        settings["seed"] = params.seed
    given = {
        "holdout_share": args.holdout_share,
        "stratify_by": args.stratify_by,
        "seed": args.seed,
    }
    settings.update({k: v for k, v in given.items() if v is not None})
    from pathlib import Path

    from ..readout.export import export_campaign, read_campaign_source, write_campaign_export

    source = read_campaign_source(args.source)
    export = export_campaign(
        source, campaign_start=args.campaign_start, where=Path(args.source).name, **settings
    )
    out, record = write_campaign_export(
        export, args.out, args.record, inputs=(args.source,), overwrite=args.force
    )
    info = export.info
    print(
        f"{info['source_kind']}: {info['n_deployed']:,} customers deployed: {info['n_treated']:,} to "
        f"contact -> {out}; {info['n_holdout']:,} held out (share {info['holdout_share']}, by "
        f"{info['stratify_by']}, seed {info['seed']}); record -> {record}"
    )


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


def _check_report_path(params) -> None:
    """The report path must be safe to replace (see :func:`safety.report_path_problems`)."""
    from ..errors import ParamsError
    from .safety import report_path_problems

    problems = report_path_problems(params.output_dir, params.run_name, params.input_paths())
    if problems:
        raise ParamsError(params.source, problems)


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
        elif args.command == "sample-data" and args.churn:
            from pathlib import Path

            from ..datasets.synthetic_churn import write_churn_table

            target = Path(args.folder) / "synthetic_churn.csv"
            if target.exists():
                print(f"error: {target}: exists; never written over a file", file=sys.stderr)
                return 1
            print(write_churn_table(target, args.customers, seed=args.seed))
        elif args.command == "sample-data":
            from ..datasets.retail_export import write_retail_export

            print(write_retail_export(args.folder, args.customers, seed=args.seed))
        elif args.command == "validate":
            from ..params.file import load_params

            params = load_params(args.params, args.notebooks)
            _check_report_path(params)
            print(
                f"{args.params}: valid (run '{params.run_name}', data source {params.data['source']})"
            )
        elif args.command == "score":
            _score(args)
        elif args.command == "export-campaign":
            _export(args)
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
                jobs=args.jobs,
                with_dependants=args.with_dependants,
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
        if args.command not in ("score", "export-campaign"):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
