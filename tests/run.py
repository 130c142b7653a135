#!/usr/bin/env python3
"""Runs the whole suite: the unit tests of src/ (no preloading), then the
integration tests against real sockets and real wedged peers. Ends with one
line: 'N passed, N failed'.

    python3 tests/run.py [NAME-FILTER...]
"""

import glob
import importlib.util
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def unit_tests(selected):
    passed = failed = 0
    for binary in sorted(glob.glob(os.path.join(harness.BUILD, "tests", "test_*"))):
        name = os.path.basename(binary)
        if selected and not any(s in "unit/" + name for s in selected):
            continue
        try:
            p = subprocess.run([binary], capture_output=True, text=True, timeout=60)
            out, rc = p.stdout, p.returncode
        except subprocess.TimeoutExpired:
            out, rc = "FAIL timeout\n", 1
        seen = 0
        for line in out.splitlines():
            if line.startswith("ok "):
                passed += 1
                seen += 1
                print("PASS unit/%s/%s" % (name, line[3:]))
            elif line.startswith("FAIL "):
                failed += 1
                seen += 1
                print("FAIL unit/%s/%s" % (name, line[5:]))
            elif line.strip():
                print("    " + line)
        if rc != 0 and seen == 0:
            failed += 1
            print("FAIL unit/%s (exit %d, no results)" % (name, rc))
    return passed, failed


def main():
    selected = sys.argv[1:]
    for path in sorted(glob.glob(os.path.join(os.path.dirname(__file__), "integration", "test_*.py"))):
        spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    up, uf = unit_tests(selected)
    ip, ifail, secs = harness.run_all(selected)
    print("integration: %d passed, %d failed in %.0fs" % (ip, ifail, secs))
    passed, failed = up + ip, uf + ifail
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
