"""How fast `aigw load sweep` finds the reference's limit: runs, wall time and the rate found, per mode."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parents[1]
MODES = {"spaced": [], "search": ["--search"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="chat-stream")
    parser.add_argument("--repeat", type=int, default=1, help="sweeps per mode (default 1)")
    parser.add_argument("--rates", type=int, default=6, help="open-loop runs at most (default 6)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per run (default 5)")
    parser.add_argument("--thresholds", help="SLO file (default: the sweep's default)")
    args = parser.parse_args()
    rows = []
    for round_ in range(args.repeat):
        for mode, flags in MODES.items():
            with TemporaryDirectory() as tmp:
                command = [sys.executable, "-m", "aigw_conformance", "load", "sweep", args.profile, "--quiet",
                           "--rates", str(args.rates), "--duration", str(args.duration), "--report-dir", tmp, *flags]
                command += ["--thresholds", args.thresholds] if args.thresholds else []
                load, started = os.getloadavg()[0], time.monotonic()
                done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
                wall = time.monotonic() - started
                report = json.loads((Path(tmp) / "sweep.json").read_text())
            runs = report["runs"]
            row = {"round": round_ + 1, "mode": mode, "exit": done.returncode, "runs": len(runs), "wall_s": wall,
                   "max_sustainable_rate": report["max_sustainable_rate"], "load_before": load,
                   "passing": [r["offered_rate"] for r in runs if r["run"].startswith("rate-") and r["passed"]],
                   "failing": [r["offered_rate"] for r in runs if r["run"].startswith("rate-") and not r["passed"]],
                   "sync": runs[0]["offered_rate"], "saturation": runs[1]["offered_rate"] if len(runs) > 1 else None}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("| round | mode | runs | wall s | synchronous /s | saturation /s | max sustainable /s | lowest failing /s "
          "| load avg before |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        low = min((f for f in r["failing"] if f > (r["max_sustainable_rate"] or 0)), default=None)
        print(f"| {r['round']} | {r['mode']} | {r['runs']} | {r['wall_s']:.0f} | {r['sync']:.1f} | "
              f"{r['saturation'] or 0:.1f} | {r['max_sustainable_rate'] or '-'} | {low or '-'} | "
              f"{r['load_before']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
