"""Measurements shared by bench/run.py and the CI budget test."""

import os
import re
import statistics
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
LIB = os.path.join(BUILD, "libunwedge.so")
PERCALL = os.path.join(BUILD, "bench", "percall")


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNWEDGE_") and k != "LD_PRELOAD"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def callgrind_total(argv, env):
    """User-space instructions of one run: deterministic for a given binary and input."""
    with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
        subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out.name] + argv,
                       env=env, capture_output=True, check=True, timeout=300)
        text = open(out.name).read()
    return int(re.search(r"^summary:\s+(\d+)", text, re.M).group(1))


def instructions_per_call(mode, preload, n1=1000, n2=2000):
    """Instructions one call costs: the difference between runs of n2 and n1
    calls cancels start-up and everything else outside the loop. Socket modes
    run --sync (drained in the same thread) so that the count is deterministic."""
    extra = [] if mode == "devnull-write" else ["--sync"]
    env = clean_env(LD_PRELOAD=LIB) if preload else clean_env()
    a = callgrind_total([PERCALL, mode, str(n1)] + extra, env)
    b = callgrind_total([PERCALL, mode, str(n2)] + extra, env)
    return (b - a) / (n2 - n1)


def added_instructions(mode):
    return instructions_per_call(mode, True) - instructions_per_call(mode, False)


def startup_added_instructions():
    """User-space instructions /bin/true pays for the preload at start-up, over an empty preload
    (a .so with one empty function): the loader's work for our imports and exports, and our
    constructor. Deterministic under callgrind."""
    empty = os.path.join(BUILD, "bench", "libempty.so")
    return (callgrind_total(["/bin/true"], clean_env(LD_PRELOAD=LIB)) -
            callgrind_total(["/bin/true"], clean_env(LD_PRELOAD=empty)))


def median(xs):
    return statistics.median(xs)


def percentile(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)
