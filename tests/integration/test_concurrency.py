"""Threads and signal handlers around writes in flight, each compared with the
same program without the preload: many threads writing to many sockets, and
to one socket; a
SIGALRM handler writing to the very socket the interrupted thread is blocked
on; and an fd closed by another thread and reused for a new connection while
a write to the old one is blocked: the rest of that write must never reach
the new connection."""

import json

from harness import (BUILD, PRELOAD_PREFIX, Scratch, base_env, check, finish, json_line, preload_env, spawn, test,
                     wait_for_line)

# ThreadSanitizer reports the test's own deliberate close() racing with write()
# on the same fd; under it only the raw-close variant runs.
TSAN = "tsan" in PRELOAD_PREFIX

WCONC = BUILD + "/tests/wconcurrent"


@test("concurrency/threads-writing-one-socket")
def same_socket():
    for env in (preload_env(UNWEDGE_TIMEOUT="5s"), base_env()):
        with Scratch() as s:
            peer = s.peer("tcp4", "drain")
            out, err, rc = finish(spawn([WCONC, "same-socket", peer.addr, "16", str(4 << 20)], env=env), 60)
            got, _, _ = peer.result()
        res = json_line(out or "", '"written"')
        check(res and res["written"] == 64 << 20 and res["errors"] == 0, "writers: %s %r" % (res, err[-300:]))
        check(got and got["read"] == 64 << 20, "the peer read %s" % got)
        check("timed out" not in err, "a timeout fired: %r" % err)


@test("concurrency/threads-writing-many-sockets")
def many_sockets():
    """64 threads, each with its own socket pair and reader: every stream
    complete, no deadline fires."""
    for env in (preload_env(UNWEDGE_TIMEOUT="5s"), base_env()):
        out, err, rc = finish(spawn([WCONC, "many-sockets", "64", str(2 << 20)], env=env), 120)
        res = json_line(out or "", '"mismatched"')
        check(res == {"written": 128 << 20, "read": 128 << 20, "errors": 0, "mismatched": 0},
              "%s: %s %r" % ("preload" if "LD_PRELOAD" in env else "without", res, err[-300:]))
        check("timed out" not in err, "a timeout fired: %r" % err)


@test("concurrency/signal-handler-writes-to-the-blocked-socket")
def handler_same_socket():
    """The main thread waits for room on a socket drained at 2 MB/s while a
    handler writes one byte to it every 20 ms: both go on, every byte arrives."""
    for env in (preload_env(UNWEDGE_TIMEOUT="5s"), base_env()):
        with Scratch() as s:
            peer = s.peer("tcp4", "slow:2000000")
            out, err, rc = finish(spawn([WCONC, "handler-same-socket", peer.addr, str(6 << 20)], env=env), 60)
            got, _, _ = peer.result()
        res = json_line(out or "", '"handler_bytes"')
        check(res and res["written"] == 6 << 20 and res["errno"] == 0, "main thread: %s %r" % (res, err[-300:]))
        check(res["handler_bytes"] >= 1 and res["handler_failures"] == 0, "handler: %s" % res)
        print("    %s: %s" % ("preload" if "LD_PRELOAD" in env else "without", res))
        check(got and got["read"] == (6 << 20) + res["handler_bytes"], "peer read %s, want %d" %
              (got, (6 << 20) + res["handler_bytes"]))
        check("timed out" not in err, "a timeout fired: %r" % err)


def reuse(env, call, close="close"):
    with Scratch() as s:
        x = s.peer("tcp4", "hold-then-drain")
        y = s.peer("tcp4", "drain")
        p = spawn([WCONC, "reuse", x.addr, y.addr, call] + (["raw-close"] if close == "raw" else []), env=env)
        line = wait_for_line(p.stdout, '"reused"', 10)
        check(line is not None, "wconcurrent printed nothing within 10 s")
        check(json.loads(line.strip().splitlines()[-1])["reused"], "the new connection got another fd number")
        x.resume()  # X reads now: the blocked write can go on
        out, err, rc = finish(p, 30)
        res = json_line(out or "", '"writer_ret"')
        check(res is not None, "writer result missing (rc %s): %r" % (rc, err))
        got_x, _, _ = x.result()
        got_y, _, _ = y.result()
    return res, got_x, got_y


def fd_reuse(call, close="close"):
    res, got_x, got_y = reuse(preload_env(UNWEDGE_TIMEOUT="10s"), call, close)
    check(got_y and got_y["read"] == 0, "bytes of the old %s reached the new connection: %s" % (call, got_y))
    # The call ends with what it moved to X (EBADF if nothing), and X got exactly that.
    moved = max(res["writer_ret"], 0)
    check(res["writer_ret"] > 0 or res["writer_errno"] == 9, "writer: %s" % res)
    check(got_x and got_x["read"] == moved, "X read %s, the %s reported %d" % (got_x, call, moved))


def fd_reuse_control(call, close="close"):
    # The kernel's call holds the old socket: it completes there.
    res, got_x, got_y = reuse(base_env(), call, close)
    check(got_y and got_y["read"] == 0, "without the preload the new connection got %s" % got_y)
    check(res["writer_ret"] == 32 << 20 and got_x["read"] == 32 << 20, "writer %s, X %s" % (res, got_x))


for call in ("write", "sendfile"):
    if not TSAN:
        test("concurrency/fd-closed-and-reused-during-a-blocked-%s" % call)(lambda call=call: fd_reuse(call))
        test("concurrency/fd-closed-and-reused-during-a-blocked-%s/control" % call)(
            lambda call=call: fd_reuse_control(call))
    # Closed with a raw system call: no wrapper saw it, the inode check must.
    test("concurrency/fd-closed-behind-our-back-and-reused-during-a-blocked-%s" % call)(
        lambda call=call: fd_reuse(call, "raw"))
    test("concurrency/fd-closed-behind-our-back-and-reused-during-a-blocked-%s/control" % call)(
        lambda call=call: fd_reuse_control(call, "raw"))
