"""Byte accounting: what the calls report as written is exactly what the peer
reads once it resumes, in order, with nothing lost or duplicated."""

from harness import TARGET, Scratch, WCLIENT, base_env, check, client, finish, json_line, preload_env, spawn, test, wait_for_line

T_MS = 800


def accounting(kind, call, on_timeout):
    # No kernel user timeout here: it would abort the connection before the
    # peer resumes, and the point is to count bytes across a live connection.
    env = preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_TCP_USER_TIMEOUT="off", UNWEDGE_ON_TIMEOUT=on_timeout)
    with Scratch() as s:
        peer = s.peer(kind, "hold-then-drain")
        c = spawn([WCLIENT, peer.addr, call, "--total", str(32 << 20), "--hold-ms", "1500"], env=env)
        # Resume the peer once the client has timed out (it holds the socket open).
        logged = wait_for_line(c.stderr, "write timed out", timeout=10)
        check(logged is not None, "no timeout was logged within 10 s")
        peer.resume()
        out, err, rc = finish(c, 15)
        res = json_line(out or "", '"calls"')
        check(res is not None, "client result missing (rc=%s): %s" % (rc, err))
        check(res["errno"] == "ETIMEDOUT", "client did not time out: %s" % res)
        got, pout, perr = peer.result(timeout=10)
    check(got is not None, "peer result missing: %s %s" % (pout, perr))
    check(got["pattern_ok"], "the peer saw bytes out of order or corrupted")
    check(got["read"] == res["bytes"], "the calls reported %d bytes written, the peer read %d" % (res["bytes"], got["read"]))
    check(res["bytes"] > 0, "nothing was written at all")


for kind in ("tcp4", "unix"):
    for call in ("write", "writev", "sendmsg", "sendfile", "splice") + (() if TARGET == "musl" else ("pwritev2",)):
        test("accounting/%s/%s" % (kind, call), portable=True)(lambda kind=kind, call=call: accounting(kind, call, "shutdown"))
test("accounting/tcp4/write/on-timeout-error", portable=True)(lambda: accounting("tcp4", "write", "error"))


@test("accounting/control", portable=True)
def accounting_control():
    with Scratch() as s:
        peer = s.peer("tcp4", "hold-then-drain")
        res, _ = client(peer.addr, "write", base_env(), ["--total", 64 << 20], timeout=T_MS / 1000 + 1.5)
    check(res is None, "without the preload the write did not hang: %s" % res)
