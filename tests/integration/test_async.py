"""Wrappers re-entered from a signal handler, and fork while a thread is inside
a wrapper: no lock, no malloc, so nothing deadlocks, and children inherit the
table (a timed-out socket stays refused in a child, without SIGPIPE)."""

import errno

from harness import BUILD, Scratch, base_env, check, finish, json_line, preload_env, spawn, test

T_MS = 1000
WASYNC = BUILD + "/tests/wasync"


@test("async/handler-writes-while-main-is-blocked-in-a-wrapper")
def handler():
    with Scratch() as s:
        wedged = s.peer("tcp4", "never")
        healthy = s.peer("unix", "drain")
        out, err, rc = finish(spawn([WASYNC, "handler", wedged.addr, healthy.addr],
                                    env=preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS)), 15)
        got, _, _ = healthy.result()
    res = json_line(out, "wedged_errno")
    check(res is not None, "no result (rc %s): %s" % (rc, err))
    check(res["wedged_errno"] == errno.ETIMEDOUT and T_MS <= res["wedged_ms"] <= T_MS + 700,
          "the blocked write should time out at T despite the handler: %s" % res)
    check(res["handler_ok"] >= 20 and res["handler_failed"] == 0, "the handler's writes: %s" % res)
    check(got and got["read"] == res["handler_bytes"] and got["pattern_ok"],
          "the healthy peer got %s, the handler wrote %d bytes" % (got, res["handler_bytes"]))


@test("async/handler-writes-while-main-is-blocked-in-a-wrapper/control")
def handler_control():
    with Scratch() as s:
        wedged = s.peer("tcp4", "never")
        healthy = s.peer("unix", "drain")
        out, err, rc = finish(spawn([WASYNC, "handler", wedged.addr, healthy.addr], env=base_env()), T_MS / 1000 + 1.5)
    check(rc is None, "without the preload the main write should hang: %s" % out)


@test("async/fork-while-a-thread-is-inside-a-wrapper")
def fork():
    with Scratch() as s:
        wedged = s.peer("tcp4", "never")
        out, err, rc = finish(spawn([WASYNC, "fork", wedged.addr], env=preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS)), 20)
    res = json_line(out, "thread_errno")
    check(res is not None, "no result, deadlock? (rc %s): %s" % (rc, err))
    check(res["children_ok"] == 50, "children that ran and exited: %d of 50" % res["children_ok"])
    check(res["thread_errno"] == errno.ETIMEDOUT, "the blocked thread: %s" % res)
    check(res["child_refused"] and res["child_signal"] == 0,
          "a child writing to the timed-out socket should get ETIMEDOUT at once, no SIGPIPE: %s" % res)


@test("async/fork-while-a-thread-is-inside-a-wrapper/control")
def fork_control():
    with Scratch() as s:
        wedged = s.peer("tcp4", "never")
        out, err, rc = finish(spawn([WASYNC, "fork", wedged.addr], env=base_env()), T_MS / 1000 + 1.5)
    check(rc is None, "without the preload the thread's write should hang: %s" % out)
