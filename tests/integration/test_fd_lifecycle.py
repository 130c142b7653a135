"""The per-fd cache against fds replaced behind it: a number cached as a file
that becomes a wedged socket through dup2, close_range or SCM_RIGHTS is
protected; a timed-out mark left on a number reused through raw system calls is
not applied to the new socket (it is looked at again)."""

import errno

from harness import BUILD, Scratch, base_env, check, finish, json_line, preload_env, spawn, test

T_MS = 800
WFDLIFE = BUILD + "/tests/wfdlife"


def run(scenario, env, timeout):
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        p = spawn([WFDLIFE, peer.addr, scenario], env=env)
        out, err, rc = finish(p, timeout)
    return out, err, rc


for scenario in ("dup2", "close_range", "scm_rights"):
    def protected(scenario=scenario):
        out, err, rc = run(scenario, preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS), 10)
        res = json_line(out, '"scenario"')
        check(res is not None, "no result (rc %s): %s" % (rc, err))
        check(res["errno"] == errno.ETIMEDOUT or res["ret"] >= 0 and "timed out" in err,
              "the write on the new socket was not protected: %s" % res)
        check(T_MS <= res["total_ms"] <= T_MS + 700, "it failed after %.0f ms" % res["total_ms"])

    def control(scenario=scenario):
        out, err, rc = run(scenario, base_env(), T_MS / 1000 + 1.5)
        check(rc is None, "without the preload the write should hang: %s" % out)

    test("fd-lifecycle/%s-socket-is-protected" % scenario)(protected)
    test("fd-lifecycle/%s-socket-is-protected/control" % scenario)(control)


@test("fd-lifecycle/stale-timeout-mark-is-not-applied-to-a-new-socket")
def raw_reuse():
    # The first socket times out; the second, at the same number through raw
    # calls, must get its own deadline, not an instant refusal meant for the first.
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        out, err, rc = finish(spawn([WFDLIFE, peer.addr, "raw_reuse"], env=preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS)), 10)
    first = json_line(out, "raw_reuse-first")
    second = json_line(out, '"raw_reuse"')
    check(first and second, "missing results (rc %s): %r %r" % (rc, out, err))
    check(first["errno"] == errno.ETIMEDOUT, "the first socket should time out: %s" % first)
    check(second["errno"] == errno.ETIMEDOUT and second["total_ms"] >= T_MS,
          "the new socket was refused after %.0f ms, by the old socket's mark: %s" % (second["total_ms"], second))
    check(err.count("write timed out") == 2, "want one timeout per socket: %r" % err)
