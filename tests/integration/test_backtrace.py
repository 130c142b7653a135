"""UNWEDGE_BACKTRACE=1: the log line of a wedged write carries its call stack,
from the application's call into unwedge outwards (symbol+offset and module, or
module+offset when stripped), also for a write made in a signal handler (through
the signal trampoline into the interrupted code), from several threads at once,
and from SSL_write. The timeout path stays free of malloc and of the loader's
locks. libunwind is mapped only when asked for; a bad value or a missing helper
object is one line and the program runs. Each wedge has its control: without
the preload the same write hangs."""

import os
import re
import shutil
import subprocess
import time

from harness import (BUILD, LAUNCHER, LIB, PRELOAD_PREFIX, SANITIZER, Scratch, base_env, check, finish, json_line,
                     preload_env, spawn, test)

T_MS = 1000
TESTS = os.path.join(BUILD, "tests")
WBT = os.path.join(TESTS, "wbacktrace")
SANITIZER_RUNTIMES = ("libasan", "libtsan", "libubsan")


def run(binary, args, env, timeout=20):
    """Returns (result dict or None if it was still blocked, stderr)."""
    out, err, rc = finish(spawn([binary] + [str(a) for a in args], env=env), timeout)
    if rc is None:
        return None, err
    res = json_line(out, '"errno"')
    check(res is not None, "%s printed no result (rc=%s): %r %r" % (binary, rc, out, err))
    return res, err


def frames(line):
    """The backtrace= field as (symbol, module, offset) tuples; symbol is None
    when only module+offset is known, "[signal]" for the trampoline. Frames of a
    sanitizer's runtime (its interceptors and signal plumbing) are left out."""
    m = re.search(r" backtrace=(\S+)", line)
    check(m is not None, "no backtrace in the log line: %r" % line)
    out = []
    for f in m.group(1).split("<"):
        named = re.fullmatch(r"(.+)\+0x([0-9a-f]+)\(([^()]+)\)", f)
        bare = re.fullmatch(r"\(([^()]+)\+0x([0-9a-f]+)\)", f)
        if f == "[signal]":
            out.append(("[signal]", None, 0))
        elif named:
            out.append((named.group(1), named.group(3), int(named.group(2), 16)))
        elif bare:
            out.append((None, bare.group(1), int(bare.group(2), 16)))
        elif f != "..." and not re.fullmatch(r"0x[0-9a-f]+", f):
            check(False, "unparsable frame %r in %r" % (f, line))
    return [f for f in out if not (f[1] or "").startswith(SANITIZER_RUNTIMES)]


def timeout_lines(err, n=1):
    lines = [l for l in err.splitlines() if "write timed out" in l]
    check(len(lines) == n, "want %d log line(s), got %r" % (n, err))
    return lines


def want_chain(got, chain, module, line):
    names = [f[0] for f in got]
    check(names[:len(chain)] == chain, "want the stack to start %s, got %s: %r" % (chain, names, line))
    for f in got[:len(chain)]:
        check(f[0] == "[signal]" or f[1] == module, "frame %s not in %s: %r" % (f, module, line))


def wedged(binary, mode, args=(), n_lines=1):
    res, err = run(binary, [mode] + list(args), preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_BACKTRACE="1"))
    check(res is not None, "still blocked: the preload did not act")
    check(res["errno"] == "ETIMEDOUT", "errno %s, want ETIMEDOUT: %s" % (res["errno"], res))
    return res, timeout_lines(err, n_lines)


def control(mode, args=()):
    res, _ = run(WBT, [mode] + list(args), base_env(), timeout=T_MS / 1000 + 1.5)
    check(res is None, "without the preload the write did not hang: %s" % res)


def chain_test(binary, tcp):
    args = ["--tcp"] if tcp else []
    res, lines = wedged(binary, "plain", args)
    check(T_MS <= res["ms"] <= T_MS + 500, "took %.0f ms, want %d..%d" % (res["ms"], T_MS, T_MS + 500))
    want_chain(frames(lines[0]), ["flush_headers", "do_request", "main"], os.path.basename(binary), lines[0])


for name, binary in (("O0", WBT), ("O2", WBT + "-O2")):
    for tcp in (False, True):
        test("backtrace/call-chain/%s/%s" % (name, "tcp" if tcp else "unix"))(
            lambda binary=binary, tcp=tcp: chain_test(binary, tcp))
test("backtrace/call-chain/control")(lambda: control("plain"))
test("backtrace/call-chain/tcp/control")(lambda: control("plain", ["--tcp"]))


def symbols_of(binary):
    out = subprocess.run(["nm", "-S", "--defined-only", binary], capture_output=True, text=True, timeout=30).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tT":
            syms[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
    return syms


@test("backtrace/stripped-binary-gives-module-and-offset")
def stripped():
    res, lines = wedged(WBT + "-stripped", "plain")
    got = frames(lines[0])
    check(all(f[0] is None and f[1] == "wbacktrace-stripped" for f in got[:3]),
          "want three bare module+offset frames first: %r" % lines[0])
    # The stripped file is the -O2 build minus its symbols: same addresses.
    syms = symbols_of(WBT + "-O2")
    for (_, _, off), name in zip(got, ["flush_headers", "do_request", "main"]):
        start, size = syms[name]
        check(start < off <= start + size, "offset %#x is not in %s (%#x+%#x): %r" % (off, name, start, size, lines[0]))


@test("backtrace/signal-handler")
def signal_handler():
    res, lines = wedged(WBT, "signal")
    got = frames(lines[0])
    names = [f[0] for f in got]
    want_chain(got, ["flush_headers", "flush_from_handler", "on_alarm", "[signal]"], "wbacktrace", lines[0])
    # Past the trampoline: the code the signal interrupted (in nanosleep), then its callers.
    rest = [n for n in names[4:] if n in ("wait_for_reply", "do_request_and_wait", "main")]
    check(rest == ["wait_for_reply", "do_request_and_wait", "main"],
          "the interrupted code's frames are missing or out of order: %r" % lines[0])


test("backtrace/signal-handler/control")(lambda: control("signal"))


@test("backtrace/seccomp-forbids-process_vm_readv")
def seccomp_fallback():
    # Memory is then read through a pipe made for the one report.
    res, lines = wedged(WBT, "plain", ["--deny-vm-readv"])
    check(res["vm_readv"] == "Operation not permitted", "the filter did not apply: %s" % res)
    want_chain(frames(lines[0]), ["flush_headers", "do_request", "main"], "wbacktrace", lines[0])
    res, lines = wedged(WBT, "signal", ["--deny-vm-readv"])
    want_chain(frames(lines[0]), ["flush_headers", "flush_from_handler", "on_alarm", "[signal]"], "wbacktrace",
               lines[0])


@test("backtrace/threads")
def threads():
    res, lines = wedged(WBT, "threads", n_lines=4)
    for line in lines:
        want_chain(frames(line), ["flush_headers", "do_request", "worker"], "wbacktrace", line)


test("backtrace/threads/control")(lambda: control("threads"))


@test("backtrace/no-malloc-no-loader-lock", production_only=True)
def no_malloc():
    # -count interposes malloc, calloc, realloc, dl_iterate_phdr and dladdr and
    # counts the writing thread's calls during the wedged write and its report.
    for mode in ("plain", "signal", "threads"):
        res, lines = wedged(WBT + "-count", mode, n_lines=4 if mode == "threads" else 1)
        check("flush_headers+" in lines[0], "no backtrace: %r" % lines[0])
        check(res["mallocs"] == 0 and res["loader_calls"] == 0,
              "%s: %d malloc and %d loader calls during the wedged write" % (mode, res["mallocs"], res["loader_calls"]))
    # The counters count: one malloc and one dladdr in the same window.
    res, _ = wedged(WBT + "-count", "plain", ["--probe"])
    check(res["mallocs"] >= 1 and res["loader_calls"] >= 1, "the counters missed the probe calls: %s" % res)


@test("backtrace/ssl-write-starts-at-the-caller")
def ssl_write():
    from tls_support import TlsPeer
    with Scratch() as s:
        peer = TlsPeer(s, "never")
        try:
            out, err, rc = finish(spawn([os.path.join(TESTS, "tlsclient"), peer.addr],
                                        env=preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_BACKTRACE="1")), 20)
        finally:
            peer.stop()
    check(rc is not None, "tlsclient was still blocked")
    line = timeout_lines(err)[0]
    check(" call=SSL_write " in line, "not the SSL_write line: %r" % line)
    got = frames(line)
    check(got and got[0][1] == "tlsclient", "the first frame is not tlsclient's call of SSL_write: %r" % line)
    check(not any((f[1] or "").startswith(("libssl", "libcrypto", "libunwedge")) for f in got),
          "OpenSSL's or unwedge's own frames were not left out: %r" % line)


@test("backtrace/small-alternate-signal-stack")
def altstack():
    env = preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_BACKTRACE="1")
    res, err = run(WBT, ["altstack", 16384], env)
    check(res is not None and res["errno"] == "ETIMEDOUT", "16 KiB stack: %s %r" % (res, err))
    line = timeout_lines(err)[0]
    check(line.endswith(" backtrace=unavailable"), "want backtrace=unavailable on a 16 KiB stack: %r" % line)
    # The classic SIGSTKSZ (8 KiB): the event must not put its large line there.
    # Not under the sanitizers, whose instrumented frames alone overflow 8 KiB.
    for fmt in () if SANITIZER else ("text", "json"):
        res, err = run(WBT, ["altstack", 8192], dict(env, UNWEDGE_LOG_FORMAT=fmt))
        check(res is not None and res["errno"] == "ETIMEDOUT", "8 KiB stack, %s: %s %r" % (fmt, res, err))
        check("unavailable" in err, "8 KiB stack, %s: %r" % (fmt, err))
    res, err = run(WBT, ["altstack", 262144], env)
    check(res is not None and res["errno"] == "ETIMEDOUT", "256 KiB stack: %s %r" % (res, err))
    line = timeout_lines(err)[0]
    want_chain(frames(line), ["flush_headers", "flush_from_handler", "on_alarm", "[signal]"], "wbacktrace", line)


def maps_of(env):
    p = spawn([WBT, "hold"], env=env)
    try:
        check(p.stdout.readline().strip() == "ready", "wbacktrace hold did not start")
        return open("/proc/%d/maps" % p.pid).read()
    finally:
        p.kill()
        finish(p, 10)


@test("backtrace/libunwind-loaded-only-when-asked")
def loaded_only_when_asked():
    for value in (None, "0", "off"):
        env = preload_env(**({"UNWEDGE_BACKTRACE": value} if value else {}))
        maps = maps_of(env)
        check(os.path.basename(LIB) in maps, "the preload is not loaded at all")
        check("libunwind" not in maps and "libunwedge-backtrace" not in maps,
              "UNWEDGE_BACKTRACE=%s: libunwind is mapped" % value)
    for value in ("1", "on"):
        maps = maps_of(preload_env(UNWEDGE_BACKTRACE=value))
        check("libunwind" in maps and "libunwedge-backtrace.so" in maps,
              "UNWEDGE_BACKTRACE=%s: libunwind is not mapped" % value)


@test("backtrace/ordinary-programs-unchanged")
def ordinary_programs():
    # Same output with backtraces on, descriptor numbers included (libunwind's
    # validation pipe, opened by its set-up, is closed again).
    import sys
    for argv in (["sh", "-c", "echo ok; ls /proc/self/fd"], ["ls", "/"],
                 [sys.executable, "-c", "import os; print(os.open('/dev/null', os.O_RDONLY))"]):
        bare = subprocess.run(argv, env=base_env(), capture_output=True, text=True, timeout=30)
        pre = subprocess.run(argv, env=preload_env(UNWEDGE_BACKTRACE="1"), capture_output=True, text=True, timeout=30)
        check((pre.stdout, pre.stderr, pre.returncode) == (bare.stdout, bare.stderr, bare.returncode),
              "%s differs with backtraces on: %r vs %r" % (argv, pre, bare))


@test("backtrace/off-by-default")
def off_by_default():
    res, err = run(WBT, ["plain"], preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS))
    check(res is not None and res["errno"] == "ETIMEDOUT", "did not time out: %s" % res)
    check("backtrace=" not in timeout_lines(err)[0], "a backtrace without asking: %r" % err)


@test("backtrace/bad-value")
def bad_value():
    p = subprocess.run(["sh", "-c", "echo alive; exit 3"], env=preload_env(UNWEDGE_BACKTRACE="yes"),
                       capture_output=True, text=True, timeout=10)
    check(p.stdout == "alive\n" and p.returncode == 3, "the program did not run normally: %r" % p)
    lines = p.stderr.splitlines()
    check(len(lines) == 1 and "UNWEDGE_BACKTRACE='yes' is invalid" in lines[0], "want one line naming it: %r" % p.stderr)


@test("backtrace/missing-helper")
def missing_helper():
    with Scratch() as s:
        lone = os.path.join(s.dir, "libunwedge.so")
        shutil.copy(LIB, lone)
        env = base_env(LD_PRELOAD=PRELOAD_PREFIX + ":" + lone if PRELOAD_PREFIX else lone,
                       UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_BACKTRACE="1")
        res, err = run(WBT, ["plain"], env)
    check(res is not None and res["errno"] == "ETIMEDOUT", "timeouts stopped working: %s %r" % (res, err))
    notes = [l for l in err.splitlines() if "UNWEDGE_BACKTRACE" in l]
    check(len(notes) == 1 and "libunwedge-backtrace.so" in notes[0] and "without backtraces" in notes[0],
          "want one line naming the missing helper: %r" % err)
    check("backtrace=" not in timeout_lines(err)[0], "a backtrace without the helper: %r" % err)


@test("backtrace/launcher-flag", production_only=True)
def launcher_flag():
    out, err, rc = finish(spawn([LAUNCHER, "--backtrace", "1", "--timeout", "%dms" % T_MS, "--", WBT, "plain"]), 20)
    check(rc == 0, "rc %s: %r" % (rc, err))
    want_chain(frames(timeout_lines(err)[0]), ["flush_headers", "do_request", "main"], "wbacktrace", err)


@test("backtrace/json")
def json_frames():
    import json
    res, err = run(WBT, ["plain"], preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_BACKTRACE="1",
                                               UNWEDGE_LOG_FORMAT="json"))
    check(res is not None and res["errno"] == "ETIMEDOUT", "%s" % res)
    evs = [json.loads(l) for l in err.splitlines() if l.startswith("{")]
    check(len(evs) == 1 and isinstance(evs[0].get("backtrace"), list), "want one event with a frame array: %r" % err)
    own = [f for f in evs[0]["backtrace"] if not (f.get("module") or "").startswith(SANITIZER_RUNTIMES)]
    check([f.get("symbol") for f in own[:3]] == ["flush_headers", "do_request", "main"],
          "frames: %s" % evs[0]["backtrace"])
    check(all(f["module"] == "wbacktrace" and isinstance(f["module_offset"], int) for f in own[:3]), "%s" % own[:3])


@test("backtrace/observe-and-slow-events")
def observe_events():
    # The crossing of a deadline in observe mode carries the stack too.
    res, err = run(WBT, ["plain"], preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_BACKTRACE="1",
                                               UNWEDGE_MODE="observe"), timeout=T_MS / 1000 + 2)
    check(res is None, "observe mode: the write should still be blocked: %s" % res)
    lines = [l for l in err.splitlines() if "blocked past its deadline" in l]
    check(len(lines) == 1, "want one crossing line: %r" % err)
    want_chain(frames(lines[0]), ["flush_headers", "do_request", "main"], "wbacktrace", lines[0])
