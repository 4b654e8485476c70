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
    return parser


def _list(notebooks_dir: str | None) -> None:
    from .notebooks import RUNNER_PARAMETERS, discover_notebooks

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
            from ..params import load_params

            params = load_params(args.params, args.notebooks)
            print(
                f"{args.params}: valid (run '{params.run_name}', data source {params.data['source']})"
            )
        elif args.command == "run":
            from ..params import load_params

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
