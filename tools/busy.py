"""Run a command several times in a row while every core is kept busy, to find tests that fail only
on a loaded machine (a test that sleeps instead of waiting for what it checks).

    python tools/busy.py [--runs 3] [--workers N] -- COMMAND [ARG ...]

N busy-loop processes (default: one per core, at normal priority, so they take half of the machine from
COMMAND) spin while COMMAND runs --runs times; it stops at the first failing run. Prints each run's exit
code and wall time, and exits with the first non-zero code (0 when every run passed).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time


def spin() -> None:
    x = 0
    while True:
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="how many times to run COMMAND (default 3)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="busy processes (default: cores)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG ...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given (python tools/busy.py -- make test)")
    spinners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.workers)]
    for p in spinners:
        p.start()
    code, times = 0, []
    try:
        for run in range(1, args.runs + 1):
            start = time.monotonic()
            code = subprocess.call(command)
            times.append(time.monotonic() - start)
            print(f"busy.py: run {run}/{args.runs} under {args.workers} busy processes: exit {code}, "
                  f"{times[-1] / 60:.1f} min", flush=True)
            if code:
                break
    finally:
        for p in spinners:
            p.terminate()
    print(f"busy.py: {len(times)} run(s), {', '.join(f'{t / 60:.1f}' for t in times)} min; "
          f"{'all passed' if not code else f'run {len(times)} failed (exit {code})'}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
