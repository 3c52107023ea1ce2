"""Run the cocotb nic_top bench once and write its figures as JSON.

usage: .venv/bin/python tests/cocotb/bench/run_bench.py --frames N --out FILE

Builds (or reuses) the same Verilator nic_top build as tests/cocotb/test_nic_top.py
through cocotb_run.run, runs bench_line_rate, and writes FILE with
cycles, wall_s (traffic part, measured inside the simulation process),
frames_tx, frames_rx and total_wall_s (the whole subprocess, build included).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from cocotb_run import RTL, run  # noqa: E402
from test_nic_regs import build_args, nic_sources  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=20)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        inner = Path(tmp) / "inner.json"
        run("nic_top", nic_sources(), "bench.cocotb_nic_top", sim="verilator", includes=[RTL],
            build_args=build_args("verilator"),
            extra_env={"NICSIM_BENCH_FRAMES": str(a.frames), "NICSIM_BENCH_OUT": str(inner)})
        res = json.loads(inner.read_text())
    res["total_wall_s"] = time.perf_counter() - t0
    a.out.write_text(json.dumps(res) + "\n")
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
