"""pytest configuration for the nicsim cocotb suite.

Every test function that takes a ``sim`` argument runs once per simulator
(``verilator``, ``icarus``). ``NICSIM_SIMS=verilator`` (comma separated)
restricts the list, e.g. for a quick local loop.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cocotb_run import SIMULATORS  # noqa: E402


def _selected() -> list[str]:
    wanted = os.environ.get("NICSIM_SIMS", "")
    if not wanted:
        return list(SIMULATORS)
    names = [s.strip() for s in wanted.split(",") if s.strip()]
    unknown = [s for s in names if s not in SIMULATORS]
    if unknown:
        raise ValueError(f"NICSIM_SIMS names unknown simulators: {unknown}")
    return names


def pytest_generate_tests(metafunc):
    if "sim" in metafunc.fixturenames:
        metafunc.parametrize("sim", _selected())
