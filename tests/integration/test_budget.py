"""The instruction budget of the hot paths, held in CI: callgrind counts are
deterministic, so a regression beyond bench/budget.json fails the suite."""

import json
import os
import shutil
import sys

from harness import ROOT, check, test

sys.path.insert(0, os.path.join(ROOT, "bench"))


@test("budget/instructions-per-call", serial=True, production_only=True)
def budget():
    check(shutil.which("valgrind"), "needs valgrind")
    import measure
    limits = json.load(open(os.path.join(ROOT, "bench", "budget.json")))
    over = []
    for mode, limit in limits.items():
        if mode in ("about", "startup-over-empty"):
            continue
        added = measure.added_instructions(mode)
        print("    %s: %.1f instructions added per call (budget %d)" % (mode, added, limit))
        if added > limit:
            over.append("%s adds %.1f > %d" % (mode, added, limit))
    check(not over, "over budget: " + "; ".join(over))


@test("budget/start-up-instructions", serial=True, production_only=True)
def startup_budget():
    """/bin/true under the preload, over an empty preload: what every process pays at start-up."""
    check(shutil.which("valgrind"), "needs valgrind")
    import measure
    limit = json.load(open(os.path.join(ROOT, "bench", "budget.json")))["startup-over-empty"]
    added = measure.startup_added_instructions()
    print("    start-up: %d instructions over an empty preload (budget %d)" % (added, limit))
    check(added <= limit, "start-up adds %d instructions > %d" % (added, limit))
