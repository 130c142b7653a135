#!/usr/bin/env python3
"""Runs the whole suite: the unit tests of src/ (no preloading), then the
integration tests against real sockets and real wedged peers. Ends with one
line: 'N passed, N failed'.

    python3 tests/run.py [NAME-FILTER...]        the production build
    python3 tests/run.py --with-sanitizers       and then again against the
                                                 ASan+UBSan and TSan builds
                                                 (make check does this)

Every run ends with the portable tests again against the musl and arm64
builds that are there (build/musl, build/aarch64; arm64 under qemu-user).
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


def fuzz(fuzzer, seeds):
    """A 10 s libFuzzer run in a scratch corpus: (ok, why not)."""
    import shutil
    import tempfile
    if not os.path.exists(fuzzer):
        return False, "%s missing (make test-programs builds it)" % fuzzer
    work = tempfile.mkdtemp(prefix="unwedge-fuzz.")
    try:
        p = subprocess.run([fuzzer, "-max_total_time=10", "-artifact_prefix=" + work + "/", work] +
                           ([seeds] if seeds else []), capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return p.returncode == 0, p.stderr[-3000:]


def memcheck_and_fuzz(selected):
    """The unit tests again under valgrind memcheck, and short libFuzzer runs
    of the settings parser and the event formatter (make fuzz runs them longer)."""
    import shutil
    passed = failed = 0
    if not selected or any("memcheck" in s for s in selected):
        for binary in sorted(glob.glob(os.path.join(harness.BUILD, "tests", "test_*"))):
            name = "memcheck/" + os.path.basename(binary)
            if not shutil.which("valgrind"):
                print("FAIL %s: needs valgrind" % name)
                failed += 1
                continue
            p = subprocess.run(["valgrind", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite",
                                "-q", binary], capture_output=True, text=True, timeout=300)
            ok = p.returncode == 0
            print("%s %s%s" % ("PASS" if ok else "FAIL", name, "" if ok else "\n    " + p.stderr[-2000:]))
            passed, failed = passed + ok, failed + (not ok)
    if not selected or any("fuzz" in s for s in selected):
        here = os.path.dirname(os.path.abspath(__file__))
        # Each fuzzer with its seed corpus (None: it starts from nothing).
        for target, title, seeds in (("fuzz_config", "config-parser", os.path.join(here, "fuzz", "corpus")),
                                     ("fuzz_event", "event-formatter", None)):
            ok, why = fuzz(os.path.join(harness.BUILD, "fuzz", target), seeds)
            print("%s fuzz/%s (10 s)%s" % ("PASS" if ok else "FAIL", title, "" if ok else "\n    " + why))
            passed, failed = passed + ok, failed + (not ok)
    return passed, failed


def main():
    sanitizer = "--sanitizer" in sys.argv or bool(harness.TARGET)
    selected = [a for a in sys.argv[1:] if not a.startswith("--")]
    for path in sorted(glob.glob(os.path.join(os.path.dirname(__file__), "integration", "test_*.py"))):
        spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    up, uf = (0, 0) if sanitizer else unit_tests(selected)
    if not sanitizer:
        mp, mf = memcheck_and_fuzz(selected)
        up, uf = up + mp, uf + mf
    ip, ifail, secs = harness.run_all(selected)
    print("integration: %d passed, %d failed in %.0fs" % (ip, ifail, secs))
    passed, failed = up + ip, uf + ifail
    if "--with-sanitizers" in sys.argv:
        for name, runtime, env in SANITIZER_RUNS:
            sp, sf = sanitizer_pass(name, runtime, env, selected)
            passed, failed = passed + sp, failed + sf
    if not sanitizer:  # not again inside a sanitizer or target pass
        for name in TARGET_RUNS:
            tp, tf = target_pass(name, selected)
            passed, failed = passed + tp, failed + tf
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


# Each build for another libc or architecture that is there (make builds musl when
# musl-gcc is installed, make CROSS=aarch64-linux-gnu- the arm64 one): the portable
# tests again, against its preload and its programs.
TARGET_RUNS = ["musl", "arm64"]


def target_pass(name, selected):
    import shutil
    build = harness.TARGET_BUILDS[name]
    if not os.path.exists(os.path.join(build, "libunwedge.so")):
        return 0, 0
    if name == "arm64" and not shutil.which(harness.QEMU[0]):
        print("FAIL target/arm64: %s is built but %s is missing (Debian qemu-user)" % (build, harness.QEMU[0]))
        return 0, 1
    print("== again against the %s build (%s)" % (name, build), flush=True)
    env = dict(os.environ, UNWEDGE_TEST_TARGET=name)
    return sub_pass(name, env, selected)


# The preload instrumented, its runtime preloaded first, the helpers as they are.
SANITIZER_RUNS = [
    ("address-undefined", "libasan.so",
     {"ASAN_OPTIONS": "detect_leaks=0:exitcode=97", "UBSAN_OPTIONS": "halt_on_error=1:exitcode=98"}),
    ("thread", "libtsan.so", {"TSAN_OPTIONS": "exitcode=96:report_signal_unsafe=0"}),
]


def sanitizer_pass(name, runtime, extra_env, selected):
    root = os.path.dirname(harness.BUILD)
    lib = os.path.join(root, "build-" + name, "libunwedge.so")
    rt = subprocess.run(["cc", "-print-file-name=" + runtime], capture_output=True, text=True).stdout.strip()
    print("== again against the %s build of the preload (%s)" % (name, lib), flush=True)
    if not os.path.exists(lib) or not os.path.isabs(rt):
        print("FAIL sanitizer/%s: %s or its runtime %s is missing (make check builds them)" % (name, lib, runtime))
        return 0, 1
    env = dict(os.environ, UNWEDGE_TEST_LIB=lib, UNWEDGE_TEST_PRELOAD_PREFIX=rt, **extra_env)
    return sub_pass(name, env, selected)


def sub_pass(name, env, selected):
    """tests/run.py again in env; its results named [name]."""
    import re
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--sanitizer"] + selected, env=env,
                       capture_output=True, text=True, timeout=900)
    lines = p.stdout.splitlines()
    for line in lines[:-1]:
        if line.startswith("PASS "):
            line = "PASS [%s] %s" % (name, line[5:])
        elif line.startswith("FAIL "):
            line = "FAIL [%s] %s" % (name, line[5:])
        print(line)
    m = re.match(r"(\d+) passed, (\d+) failed$", lines[-1] if lines else "")
    if not m:
        print("FAIL pass/%s: no summary (exit %d): %s" % (name, p.returncode, p.stderr[-2000:]))
        return 0, 1
    return int(m.group(1)), int(m.group(2))


if __name__ == "__main__":
    sys.exit(main())
