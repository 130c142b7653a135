"""What the preload must not change, each compared with the same program
without it: errno after successful writes, SIGPIPE versus MSG_NOSIGNAL on a
reset connection, write as a cancellation point, and the flags MSG_OOB,
MSG_MORE and MSG_EOR."""

from harness import BUILD, Scratch, base_env, check, finish, json_line, preload_env, spawn, test

WSEM = BUILD + "/tests/wsemantics"


def both(args, key, peer_mode=None):
    results = []
    for env in (preload_env(UNWEDGE_TIMEOUT="10s"), base_env()):
        with Scratch() as s:
            extra = [s.peer("tcp4", peer_mode).addr] if peer_mode else []
            out, err, rc = finish(spawn([WSEM] + args + extra, env=env), 15)
        res = json_line(out or "", key)
        check(res is not None, "%s (preload=%s): no result, rc %s: %s" % (args, "LD_PRELOAD" in env, rc, err))
        results.append(res)
    return results


@test("semantics/errno-untouched-by-successful-writes")
def errno_kept():
    pre, bare = both(["errno"], "fast_ret")
    check(pre == bare, "with the preload %s, without %s" % (pre, bare))
    check(pre["errno_after_fast"] == 4242 and pre["errno_after_slow"] == 4242 and pre["slow_ret"] == 8 << 20,
          "errno changed by a successful write: %s" % pre)


@test("semantics/SIGPIPE-versus-MSG_NOSIGNAL")
def sigpipe():
    pre, bare = both(["sigpipe"], "sigpipes")
    check(pre == bare, "with the preload %s, without %s" % (pre, bare))
    check(pre["sigpipes"] >= 1 and pre["sigpipes_nosignal"] == 0, "unexpected: %s" % pre)


@test("semantics/write-is-a-cancellation-point")
def cancel():
    pre, bare = both(["cancel"], "cancelled", peer_mode="never")
    check(pre["cancelled"] and bare["cancelled"] and pre["join_ms"] < 500,
          "a thread blocked in write under the preload must be cancellable at once: %s vs %s" % (pre, bare))


@test("semantics/MSG_OOB-passed-through")
def oob():
    pre, bare = both(["oob"], "oob")
    check(pre == bare and pre["oob"] == "X" and pre["data"] == "helloworld", "with %s, without %s" % (pre, bare))


@test("semantics/MSG_MORE-passed-through")
def more():
    pre, bare = both(["more"], "held")
    check(pre == bare and pre["held"] and pre["data"] == "abcd", "with %s, without %s" % (pre, bare))


@test("semantics/MSG_EOR-records-kept")
def eor():
    pre, bare = both(["eor"], "records")
    check(pre == bare and [r[0] for r in pre["records"]] == [10, 20000, 5], "with %s, without %s" % (pre, bare))


@test("semantics/seccomp-sandbox-left-alone")
def seccomp():
    """A process that installs a seccomp filter forbidding sendto and poll (as
    OpenSSH's pre-authentication child does) and then writes to a socket: under
    the preload it used to die of SIGSYS; unwedge now steps aside first."""
    results = []
    for env in (preload_env(UNWEDGE_TIMEOUT="10s"), base_env()):
        out, err, rc = finish(spawn([BUILD + "/tests/wseccomp"], env=env), 15)
        results.append((rc, json_line(out or "", '"write"'), err))
    (rc, res, err), (brc, bres, _) = results
    check(brc == 0 and bres == {"write": 5}, "control: rc %s %s" % (brc, bres))
    check(rc == 0 and res == {"write": 5}, "under the preload: rc %s (-31 is SIGSYS) %s %r" % (rc, res, err))
    check("seccomp filter" in err and "steps aside" in err, "no log line: %r" % err)
