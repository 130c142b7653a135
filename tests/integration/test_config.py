"""Configuration from the environment: a bad value gets one clear line naming
the variable, and the program runs on with unwedge disabled."""

import os

from harness import PROGRAMS, TARGET, Scratch, check, client, finish, preload_env, spawn, test


def hello(env, code):
    """The test program hello (of the build under test), exiting with code: (stdout, stderr, rc)."""
    return finish(spawn([os.path.join(PROGRAMS, "hello"), str(code)], env=env), 20)


@test("config/bad-value-disables-and-names-the-variable", portable=True)
def bad_value():
    for var, value in (("UNWEDGE_TIMEOUT", "abc"), ("UNWEDGE_TIMEOUT", "30"), ("UNWEDGE_DEADLINE", "sometimes"),
                       ("UNWEDGE_ON_TIMEOUT", "explode"), ("UNWEDGE_LOG", "relative/path"),
                       ("UNWEDGE_TCP_USER_TIMEOUT", "-5s"), ("UNWEDGE_TCP_USER_TIMEOUT_SCOPE", "most")):
        out, err, rc = hello(preload_env(**{var: value}), 3)
        check(out.startswith("arg=3\n") and rc == 3,
              "%s=%s: the program did not run normally: %r rc=%s" % (var, value, out, rc))
        lines = err.splitlines()
        check(len(lines) == 1 and "%s='%s'" % (var, value) in lines[0] and "disabled" in lines[0],
              "%s=%s: want one line naming it, got %r" % (var, value, err))


@test("config/bad-value-really-disables", portable=True)
def bad_value_disables():
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        res, err = client(peer.addr, "write", preload_env(UNWEDGE_TIMEOUT="1x"), [], timeout=2.5)
    check(res is None, "with an invalid setting unwedge should be off, but the write returned: %s" % res)


@test("config/unknown-variable-warned", portable=True)
def unknown_variable():
    out, err, rc = hello(preload_env(UNWEDGE_TIMOUT="5s"), 0)
    check(rc == 0 and out.startswith("arg=0\n"), "program did not run: rc %s %r" % (rc, out))
    check("UNWEDGE_TIMOUT" in err and len(err.splitlines()) == 1, "want one warning naming it: %r" % err)


@test("config/log-to-file")
def log_file():
    with Scratch() as s:
        path = os.path.join(s.dir, "unwedge.log")
        peer = s.peer("tcp4", "never")
        res, err = client(peer.addr, "write", preload_env(UNWEDGE_TIMEOUT="500ms", UNWEDGE_LOG=path), [])
        check(res["errno"] == "ETIMEDOUT", "did not time out: %s" % res)
        check("timed out" not in err, "the line went to stderr too: %r" % err)
        text = open(path).read()
        mode = os.stat(path).st_mode & 0o777
    check(text.count("\n") == 1 and "write timed out" in text, "log file: %r" % text)
    for field in ("pid=", "fd=", "local=127.0.0.1:", "peer=127.0.0.1:", "moved=", "pending=", "waited=", "action=shutdown"):
        check(field in text, "log line lacks %s: %r" % (field, text))
    check(mode == 0o600, "log file mode %o, want 600" % mode)


@test("config/log-off")
def log_off():
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        res, err = client(peer.addr, "write", preload_env(UNWEDGE_TIMEOUT="500ms", UNWEDGE_LOG="off"), [])
    check(res["errno"] == "ETIMEDOUT" and err == "", "want a silent timeout: %s %r" % (res, err))


@test("config/on-timeout-shutdown-wakes-readers")
def shutdown_wakes():
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        res, err = client(peer.addr, "write", preload_env(UNWEDGE_TIMEOUT="1s"), ["--reader-thread"])
    check(res["reader_ret"] == 0 and 900 <= res["reader_ms"] <= 1600, "the blocked reader should see EOF at ~1 s: %s" % res)


@test("config/on-timeout-error-leaves-the-socket-open")
def error_mode():
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        # Without the kernel's user timeout, which would end the connection itself.
        res, err = client(peer.addr, "write", preload_env(UNWEDGE_TIMEOUT="1s", UNWEDGE_ON_TIMEOUT="error",
                                                          UNWEDGE_TCP_USER_TIMEOUT="off"),
                          ["--reader-thread", "--after-fail", 1])
    check(res["errno"] == "ETIMEDOUT" and res["after_errno"] == "ETIMEDOUT", "writes should fail: %s" % res)
    check(res["reader_ms"] < 0, "the reader was woken, so the socket was shut down: %s" % res)
    check("action=error" in err, "log: %r" % err)


@test("config/timeout-off")
def timeout_off():
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        res, _ = client(peer.addr, "write", preload_env(UNWEDGE_TIMEOUT="off"), [], timeout=2)
    check(res is None, "UNWEDGE_TIMEOUT=off still timed out: %s" % res)


def backtrace_unavailable():
    """The musl and arm64 builds have no backtrace helper (no libunwind for them
    here): UNWEDGE_BACKTRACE=1 says so in one line, and the program runs on."""
    out, err, rc = hello(preload_env(UNWEDGE_BACKTRACE="1"), 4)
    check(rc == 4 and out.startswith("arg=4\n"), "the program did not run normally: rc %s %r" % (rc, out))
    check(len(err.splitlines()) == 1 and "backtraces are not available in this build" in err, "stderr: %r" % err)


# Only in those passes: the native build has the helper (tests/integration/test_backtrace.py).
if TARGET:
    test("config/backtrace-unavailable-said", portable=True)(backtrace_unavailable)
