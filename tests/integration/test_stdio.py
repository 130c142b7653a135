"""stdio on sockets: fprintf+fflush, fwrite, fputs, fputc, putc_unlocked (the
inline form calls __overflow), printf and puts on a socket that is standard
output, dprintf and fclose, built plain (-O0) and with -O2
-D_FORTIFY_SOURCE=2 (__fprintf_chk and friends). glibc writes with its internal
write(), so the deadline comes from our SO_SNDTIMEO backstop: the call fails
between T and 2T after the peer stopped reading (glibc retries a short count
once), with errno ETIMEDOUT and ferror set; the next call fails at once; the
process exits normally (no SIGPIPE from the flush at exit); getsockopt still
shows the application's own SO_SNDTIMEO. Controls: without the preload every
one of them is still blocked."""

import os

from harness import PROGRAMS, TARGET, Scratch, base_env, check, finish, json_line, preload_env, spawn, test

T_MS = 1000
MODES = ["fprintf-fflush", "fwrite", "fputs", "fputc", "putc-unlocked", "printf-stdout", "puts-stdout", "dprintf",
         "fclose"]
LOGGED = {"fprintf-fflush": ("vfprintf", "__vfprintf_chk", "fflush"), "putc-unlocked": ("putc_unlocked", "__overflow"),
          "printf-stdout": ("vprintf", "__vprintf_chk"), "puts-stdout": ("puts",), "dprintf": ("dprintf", "__dprintf_chk")}


def wstdio(build, addr, mode, env, args=(), timeout=20):
    out, err, rc = finish(spawn([os.path.join(PROGRAMS, build), addr, mode] + [str(a) for a in args], env=env),
                          timeout)
    if rc is None:
        return None, err, rc
    res = json_line(out, '"calls"')
    check(res is not None, "wstdio printed no result (rc=%s): %r %r" % (rc, out[-300:], err[-300:]))
    return res, err, rc


def wedged(build, mode, kind="unix", env_extra=None, low_ms=T_MS, limit_ms=2 * T_MS + 400, measure="short_ms"):
    with Scratch() as s:
        peer = s.peer(kind, "never")
        env = preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, **(env_extra or {}))
        res, err, rc = wstdio(build, peer.addr, mode, env)
    check(res is not None, "%s still blocked under the preload" % mode)
    check(rc == 0, "the program did not exit normally (rc %s): a flush at exit died?" % rc)
    check(res["failed"] and res["errno"] == "ETIMEDOUT", "%s: %s" % (mode, res))
    check(low_ms <= res[measure] <= limit_ms, "%s failed after %.0f ms (%s), want %d..%d"
          % (mode, res[measure], measure, low_ms, limit_ms))
    if mode not in ("dprintf", "fclose"):
        check(res["ferror"], "ferror is not set: %s" % res)
        check(res["after_failed"] and res["after_errno"] == "ETIMEDOUT" and res["after_ms"] < 50,
              "the next call: %s" % res)
        check(res["sndtimeo_seen_ms"] == 0, "getsockopt shows our backstop: %s" % res)
    names = LOGGED.get(mode, (mode,))
    check(any("call=%s " % n in err for n in names), "the log does not name %s: %r" % ("/".join(names), err[-400:]))
    check(err.count("write timed out") == 1, "want one log line: %r" % err[-600:])


def control(mode):
    with Scratch() as s:
        peer = s.peer("unix", "never")
        res, err, rc = wstdio("wstdio", peer.addr, mode, base_env(), timeout=2 * T_MS / 1000 + 1)
    check(res is None, "without the preload %s did not hang: %s" % (mode, res))


# The fortified build is glibc's (__fprintf_chk, __overflow); musl has no such
# entry points (Alpine's fortify headers call the plain functions).
BUILDS = ("wstdio",) if TARGET else ("wstdio", "wstdio-fortify")
FORTIFIED = BUILDS[-1]
for mode in MODES:
    for build in BUILDS:
        test("stdio/%s/%s" % (build, mode), portable=True)(lambda build=build, mode=mode: wedged(build, mode))
    test("stdio/%s/control" % mode, portable=True)(lambda mode=mode: control(mode))

# TCP: the user timeout we add (T by default) ends it first, at about T + 0.5 s
# after the window closed (which happened before the failing call began).
test("stdio/tcp/fprintf-fflush", portable=True)(
    lambda: wedged(FORTIFIED, "fprintf-fflush", kind="tcp4", low_ms=T_MS, limit_ms=T_MS + 800, measure="elapsed_ms"))
test("stdio/tcp/fprintf-fflush/backstop-only", portable=True)(
    lambda: wedged(FORTIFIED, "fprintf-fflush", kind="tcp4", env_extra={"UNWEDGE_TCP_USER_TIMEOUT": "off"}))


@test("stdio/application-sndtimeo-wins", portable=True)
def app_sndtimeo():
    """The application's own, shorter SO_SNDTIMEO fires first: EAGAIN as without
    the preload, no log line, and getsockopt shows its value."""
    with Scratch() as s:
        peer = s.peer("unix", "never")
        res, err, rc = wstdio("wstdio", peer.addr, "fwrite", preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS),
                              ["--sndtimeo-ms", 300])
    check(res and res["failed"] and res["errno"] == "EAGAIN", "want EAGAIN from the application's timeout: %s" % res)
    check(res["short_ms"] < T_MS, "took %.0f ms" % res["short_ms"])
    check(res["sndtimeo_seen_ms"] == 300, "getsockopt: %s" % res)
    check("timed out" not in err, "logged: %r" % err)


@test("stdio/healthy-64MiB", portable=True)
def healthy():
    with Scratch() as s:
        peer = s.peer("unix", "drain")
        res, err, rc = wstdio(FORTIFIED, peer.addr, "fwrite", preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS),
                              ["--total", 64 << 20], timeout=60)
        got, out, perr = peer.result()
    check(res and not res["failed"] and res["moved"] == 64 << 20, "%s %r" % (res, err[-300:]))
    check(got and got["read"] == 64 << 20, "the peer read %s" % got)
    check("timed out" not in err, "logged: %r" % err)
