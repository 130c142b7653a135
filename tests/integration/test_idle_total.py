"""Idle versus total deadlines, against a reader that is slow but steady
(2 MB/s in 10 ms steps): one 8 MiB write takes about 4 s, more than T = 1 s.
The idle deadline never trips, because bytes keep moving; the total deadline
does, with a partial count."""

from harness import Scratch, base_env, check, client, preload_env, test

T_MS = 1000
# Small buffers on both sides, so the write lasts as long as the reader makes it.
ARGS = ["--chunk", 8 << 20, "--total", 8 << 20, "--sndbuf", 65536]


def slow_write(env, call="write"):
    with Scratch() as s:
        peer = s.peer("tcp4", "slow:2000000", extra=["--rcvbuf", "65536"])
        res, err = client(peer.addr, call, env, ARGS, timeout=30)
        got, _, _ = peer.result()
    check(res is not None, "the client hung")
    return res, err, got


@test("idle-total/idle-never-trips-on-a-steady-reader")
def idle():
    for call in ("write", "sendfile"):
        res, err, got = slow_write(preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS), call)
        check(res["errno"] == "0" and res["bytes"] == 8 << 20, "%s: the idle deadline cut a steady reader: %s" % (call, res))
        check(res["total_ms"] > 2 * T_MS, "%s: the write took %.0f ms: too fast to show anything" % (call, res["total_ms"]))
        check("timed out" not in err, "%s: spurious timeout: %s" % (call, err))
        check(got and got["read"] == 8 << 20 and got["pattern_ok"], "%s: the reader got %s" % (call, got))


@test("idle-total/total-trips-with-a-partial-count")
def total():
    for call in ("write", "sendfile"):
        res, err, got = slow_write(preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_DEADLINE="total"), call)
        check(0 < res["short_ret"] < 8 << 20, "%s: want a partial count, got %s" % (call, res))
        check(T_MS <= res["short_ms"] <= T_MS + 500, "%s: the partial count came after %.0f ms" % (call, res["short_ms"]))
        check("deadline=total" in err, "%s: log line missing: %s" % (call, err))
        check(got and got["read"] == res["bytes"] and got["pattern_ok"], "%s: reader got %s, writer said %d" % (call, got, res["bytes"]))


@test("idle-total/control")
def control():
    res, _, _ = slow_write(base_env())
    check(res["errno"] == "0" and res["bytes"] == 8 << 20 and res["total_ms"] > 2 * T_MS,
          "without the preload the slow write should complete in more than %d ms: %s" % (2 * T_MS, res))
