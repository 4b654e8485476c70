"""How fast a params file with a misspelled key is rejected by the command line.

Target (issue 2): under 5 s, with a message naming the key. Usage:
``.venv/bin/python benchmarks/bench_params.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


#: Arguments of ``run_all.py --quick``: sizes that finish in a few minutes.
QUICK_ARGS = ["--repeat", "2"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    text = (ROOT / "params" / "default.yaml").read_text().replace("horizon_days:", "horizon_dayz:")
    with tempfile.TemporaryDirectory() as folder:
        bad = Path(folder) / "bad.yaml"
        bad.write_text(text)
        seconds = []
        for _ in range(args.repeat):
            tic = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-m", "marketing_utils", "run", str(bad)],
                capture_output=True,
                text=True,
            )
            seconds.append(time.perf_counter() - tic)
            assert out.returncode == 2 and "horizon_dayz" in out.stderr, out.stderr
    result = {"best_s": min(seconds), "median_s": statistics.median(seconds), "repeat": args.repeat}
    print("| check | best (s) | median (s) | target |\n|---|---:|---:|---|")
    print(
        f"| misspelled key rejected (`marketing-workbook run`) | {result['best_s']:.2f} | "
        f"{result['median_s']:.2f} | < 5 s |"
    )
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "params.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
