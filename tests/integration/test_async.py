"""Wrappers re-entered from a signal handler, and fork while a thread is inside
a wrapper: no lock, no malloc, so nothing deadlocks, and children inherit the
table (a timed-out socket stays refused in a child, without SIGPIPE); children
started with posix_spawn and vfork + exec meanwhile are protected."""

import errno
import json

from harness import BUILD, Scratch, base_env, check, finish, json_line, preload_env, run_group, spawn, test

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


def spawned(env, limit):
    """(stdout, stderr, rc); rc None if it was still running at limit (then
    the whole process group, children too, is killed)."""
    with Scratch() as s:
        p1, p2 = s.peer("tcp4", "never"), s.peer("tcp4", "never")
        return run_group([BUILD + "/tests/wspawn", BUILD + "/tests/wclient", p1.addr, p2.addr], env, limit)


@test("async/posix_spawn-and-vfork-children-protected")
def spawn_children():
    """posix_spawn and vfork + exec while a thread is blocked inside a wrapper
    and SIGALRM fires every millisecond: no deadlock, and both children time
    out on their own wedged sockets."""
    out, err, rc = spawned(preload_env(UNWEDGE_TIMEOUT="1s"), 20)
    check(rc == 0, "the parent hung or failed (rc %s): %r" % (rc, err[-500:]))
    kids = [json.loads(l) for l in out.splitlines() if l.startswith("{") and '"calls"' in l]
    status = json_line(out, '"spawn_status"')
    check(status == {"spawn_status": 0, "vfork_status": 0}, "children's exit statuses: %s" % status)
    check(len(kids) == 2, "want two children's results: %r" % out)
    for k in kids:
        check(k["errno"] == "ETIMEDOUT" and 1000 <= k["short_ms"] <= 1500 and k["after_errno"] == "ETIMEDOUT",
              "a child was not protected: %s" % k)


@test("async/posix_spawn-and-vfork-children-protected/control")
def spawn_children_control():
    out, err, rc = spawned(base_env(), 3)
    check(rc is None, "without the preload the first child did not hang: %r" % out)
