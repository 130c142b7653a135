"""Wide-character stdio (fputws, fputwc, putwc, fwprintf, wprintf) and the error
printers that write to standard error (perror, psignal, warn, warnx, err) on a
socket whose peer never reads. The stream functions fail between T and 2T after
the peer stopped reading, as the narrow ones do. The printers write their
message in pieces, each its own kernel write with the backstop's wait of up to
T (vwarn: program name, message, ": ", the error text), so they fail within 4T
on a unix socket (on TCP the user timeout ends the connection at about T and
the later pieces fail at once). The next call fails at once, the program exits
normally, and err exits with its status. Controls: without the preload every
one of them is still blocked."""

import os
import time

from harness import BUILD, Scratch, base_env, check, finish, json_line, preload_env, spawn, test

T_MS = 1000
STREAM_MODES = ["fputws", "fputwc", "putwc", "fwprintf", "wprintf-stdout"]
PRINTERS = ["perror", "psignal", "warn", "warnx"]
LOGGED = {"fwprintf": "vfwprintf", "wprintf-stdout": "vwprintf", "warn": "vwarn", "warnx": "vwarnx", "err": "vwarn"}
PIECES = {"perror": 2, "psignal": 2, "warn": 4, "warnx": 4}


def wwide(addr, mode, env, timeout=20):
    out, err, rc = finish(spawn([os.path.join(BUILD, "tests", "wwide"), addr, mode], env=env), timeout)
    return (json_line(out, '"calls"') if rc is not None else None), err, rc


def wedged(mode):
    with Scratch() as s:
        peer = s.peer("unix", "never")
        # The printers' standard error is the wedged socket: the log goes to a file.
        log_path = os.path.join(s.dir, "unwedge.log")
        t0 = time.monotonic()
        res, err, rc = wwide(peer.addr, mode, preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_LOG=log_path))
        log = open(log_path).read() if os.path.exists(log_path) else ""
    check(rc is not None, "%s still blocked under the preload" % mode)
    if mode == "err":
        check(rc == 7, "err did not exit with its status 7 (rc %s)" % rc)
        took = time.monotonic() - t0
        check(took < 4 * T_MS / 1000 + 1.5, "err took %.1f s to exit" % took)
    else:
        check(rc == 0 and res is not None, "the program did not exit normally (rc %s): %r" % (rc, err[-300:]))
        check(res["failed"], "%s: %s" % (mode, res))
        limit = PIECES.get(mode, 2) * T_MS + 500
        check(T_MS <= res["short_ms"] <= limit, "%s failed after %.0f ms, want %d..%d"
              % (mode, res["short_ms"], T_MS, limit))
        check(res["after_failed"] and res["after_ms"] < 50, "the next call: %s" % res)
    name = LOGGED.get(mode, mode)
    check(log.count("write timed out") == 1 and "call=%s " % name in log,
          "want one timeout naming %s in the log: %r" % (name, log[-600:]))


def control(mode):
    with Scratch() as s:
        peer = s.peer("unix", "never")
        res, err, rc = wwide(peer.addr, mode, base_env(), timeout=2 * T_MS / 1000 + 1)
    check(rc is None, "without the preload %s did not hang: %s" % (mode, res))


for mode in STREAM_MODES + PRINTERS + ["err"]:
    test("stdio-wide/%s" % mode)(lambda mode=mode: wedged(mode))
    test("stdio-wide/%s/control" % mode)(lambda mode=mode: control(mode))
