"""UNWEDGE_KEEPALIVE: keepalive on TCP connections, so an idle connection to a
dead peer is dropped (what libkeepalive and libdontdie do). Each test runs in a
private network namespace whose traffic is dropped once the connection is up;
the client waits in recv() on the idle connection. Needs root (unshare -n, nft).

With a TCP_USER_TIMEOUT in force the kernel ignores TCP_KEEPCNT and drops the
connection once the user timeout has passed since the peer last answered; so
when the user timeout is derived (not given), unwedge makes it at least
IDLE + INTERVAL x COUNT."""

import os
import subprocess
import sys

from harness import ROOT, base_env, check, finish, json_line, preload_env, spawn, test

HELPER = os.path.join(ROOT, "tests", "helpers", "py_keepalive.py")


def run(env, limit, extra=()):
    p = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    check(p.returncode == 0, "unshare -n failed (needs root): %s" % p.stderr.decode().strip())
    out, err, rc = finish(spawn(["unshare", "-n", sys.executable, HELPER, str(limit)] + list(extra), env=env),
                          limit + 15)
    res = json_line(out or "", '"client"')
    check(res is not None, "no result (rc=%s): %r %r" % (rc, out, err))
    return res, err


def one_line_per_process(err, start):
    # unshare, the helper and the ip command it runs each load the preload.
    lines = err.splitlines()
    check(lines and all(l == lines[0] for l in lines) and lines[0].startswith(start),
          "want one line starting %r per process: %r" % (start, err))


@test("keepalive/dead-peer-dropped")
def dead_peer():
    res, err = run(preload_env(UNWEDGE_KEEPALIVE="1s,1s,2", UNWEDGE_TCP_USER_TIMEOUT="off"), 9)
    c = res["client"]
    check((c["keepalive"], c["idle"], c["intvl"], c["cnt"], c["uto"]) == (1, 1, 1, 2, 0), "options: %s" % c)
    a = res["accepted"]
    check((a["keepalive"], a["idle"], a["intvl"], a["cnt"]) == (1, 1, 1, 2), "accepted socket: %s" % a)
    check(res["recv"] == "ETIMEDOUT", "recv ended with %s, want ETIMEDOUT" % res)
    # Probes at 1 s and 2 s go unanswered; the kernel gives up at 3 s.
    check(2800 <= res["recv_ms"] <= 4000, "dropped after %d ms, want about 3000" % res["recv_ms"])
    check(err == "", "unexpected stderr: %r" % err)


@test("keepalive/dead-peer-dropped/control")
def dead_peer_control():
    res, _ = run(base_env(), 7)
    check(res["client"]["keepalive"] == 0, "keepalive on without the preload: %s" % res)
    check(res["recv"] == "BLOCKED", "without the preload recv() did not stay blocked: %s" % res)


@test("keepalive/count-kept-under-user-timeout")
def count_kept():
    # The write deadline (1 s) alone would make a 1 s user timeout, which would
    # cut the probes short; the derived user timeout covers all three probes.
    res, _ = run(preload_env(UNWEDGE_KEEPALIVE="2s,1s,3", UNWEDGE_TIMEOUT="1s"), 10)
    c = res["client"]
    check(c["uto"] == 5000, "derived user timeout %d ms, want 2 + 1 x 3 = 5000" % c["uto"])
    check(res["recv"] == "ETIMEDOUT" and 4800 <= res["recv_ms"] <= 6000,
          "want ETIMEDOUT after about 5000 ms: %s" % res)


@test("keepalive/user-timeout-decides")
def user_timeout_decides():
    # A deadline longer than the probing time: the user timeout (4 s) decides,
    # as the kernel documents; the probes alone would have ended it at 3 s.
    res, _ = run(preload_env(UNWEDGE_KEEPALIVE="1s,1s,2", UNWEDGE_TIMEOUT="4s"), 10)
    check(res["client"]["uto"] == 4000, "user timeout: %s" % res)
    check(res["recv"] == "ETIMEDOUT" and 3800 <= res["recv_ms"] <= 5000, "want ETIMEDOUT at about 4 s: %s" % res)


@test("keepalive/application-settings-win")
def app_wins():
    res, _ = run(preload_env(UNWEDGE_KEEPALIVE="1s,1s,2"), 0, ["--app-keepalive", "100"])
    c = res["client"]
    check(c["keepalive"] == 1 and c["idle"] == 100, "the application's keepalive was changed: %s" % c)
    check(c["intvl"] == 75 and c["cnt"] == 9, "ours was added to the application's: %s" % c)


@test("keepalive/short-explicit-user-timeout-warns")
def warns():
    res, err = run(preload_env(UNWEDGE_KEEPALIVE="10s,5s,3", UNWEDGE_TCP_USER_TIMEOUT="2s"), 0)
    check(res["client"]["uto"] == 2000 and res["client"]["keepalive"] == 1, "%s" % res)
    one_line_per_process(err, "unwedge: UNWEDGE_TCP_USER_TIMEOUT is shorter than UNWEDGE_KEEPALIVE")


@test("keepalive/not-in-observe-mode-or-off-rule")
def observe_and_rules():
    for extra in ({"UNWEDGE_MODE": "observe"}, {"UNWEDGE_RULES": "net:127.0.0.0/8 = off"}):
        res, err = run(preload_env(UNWEDGE_KEEPALIVE="1s,1s,2", **extra), 0)
        c = res["client"]
        check(c["keepalive"] == 0 and c["uto"] == 0, "%s: options were set: %s" % (extra, c))


@test("keepalive/bad-value", production_only=True)
def bad_value():
    res, err = run(preload_env(UNWEDGE_KEEPALIVE="30s,5s"), 0)
    one_line_per_process(err, "unwedge: UNWEDGE_KEEPALIVE='30s,5s' is invalid")
    check(res["client"]["keepalive"] == 0, "%s" % res)
