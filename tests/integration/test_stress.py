"""Data integrity under signals: a checksummed stream (every byte checked in
order by the reader) to a slow but steady reader, while SIGALRM fires every
millisecond, with and without SA_RESTART, through write, writev, send and
sendmsg, and through SSL_write (checked by SHA-256). Nothing may be lost or
duplicated, and no deadline may fire: the reader never stops."""

import os

from harness import BUILD, SANITIZER, Scratch, check, client, finish, json_line, preload_env, spawn, test
from tls_support import TlsPeer

# 256 MiB on the production build; less under the sanitizers, which are slower.
TOTAL = (32 if SANITIZER else 256) << 20
RATE = 64000000  # bytes per second: about 4 s a stream


def stream(call, restart):
    args = ["--total", TOTAL, "--chunk", 1 << 20, "--alarm-ms", 1, "--retry-eintr"] + (["--restart"] if restart else [])
    with Scratch() as s:
        peer = s.peer("tcp4", "slow:%d" % RATE, extra=["--rcvbuf", "262144"])
        res, err = client(peer.addr, call, preload_env(UNWEDGE_TIMEOUT="2s"), args, timeout=120)
        got, out, perr = peer.result(timeout=30)
    check(res is not None, "%s: the writer hung" % call)
    check(res["errno"] == "0" and res["bytes"] == TOTAL, "%s: the writer stopped early: %s" % (call, res))
    check("timed out" not in err, "%s: a deadline fired on a steady reader: %r" % (call, err))
    check(got is not None and got["read"] == TOTAL and got["pattern_ok"],
          "%s: the reader got %s of %d bytes (pattern checked)" % (call, got, TOTAL))
    # About one signal per millisecond of the stream's life.
    expected = TOTAL / RATE * 1000
    check(res["alarms"] > expected / 2, "%s: only %d signals arrived in a %.0f ms stream: the stress did not happen"
          % (call, res["alarms"], expected))
    return res


for call in ("write", "writev", "send", "sendmsg"):
    test("stress/%s-under-SIGALRM-every-ms-SA_RESTART" % call, serial=True)(lambda call=call: stream(call, True))
    test("stress/%s-under-SIGALRM-every-ms-no-SA_RESTART" % call, serial=True)(lambda call=call: stream(call, False))


def tls_stream(restart):
    """The same through SSL_write in 1 MiB calls; an SSL_write interrupted
    before it moved anything (WANT_WRITE with EINTR, without SA_RESTART) is
    retried with the same arguments, as OpenSSL requires."""
    total = TOTAL // 2
    args = ["--total", total, "--chunk", 1 << 20, "--alarm-ms", 1] + (["--restart"] if restart else [])
    with Scratch() as s:
        peer = TlsPeer(s, "slow:%d" % (RATE // 2))
        out, err, rc = finish(spawn([os.path.join(BUILD, "tests", "tlsclient"), peer.addr] + [str(a) for a in args],
                                    env=preload_env(UNWEDGE_TIMEOUT="2s")), 120)
        got, pout, perr = peer.result(timeout=60)
    res = json_line(out or "", '"calls"')
    check(res is not None, "SSL_write: the writer hung or failed (rc %s): %r" % (rc, err[-500:]))
    check(res["result"] > 0 and res["written"] == total, "SSL_write: the writer stopped early: %s" % res)
    check("timed out" not in err, "SSL_write: a deadline fired on a steady reader: %r" % err)
    check(got is not None and got["read"] == total and got["sha256"] == res["sha256"],
          "SSL_write: the reader got %s, the writer sent %s" % (got, res["sha256"]))
    expected = total / (RATE // 2) * 1000
    check(res["alarms"] > expected / 2, "SSL_write: only %d signals in a %.0f ms stream" % (res["alarms"], expected))


test("stress/SSL_write-under-SIGALRM-every-ms-SA_RESTART", serial=True)(lambda: tls_stream(True))
test("stress/SSL_write-under-SIGALRM-every-ms-no-SA_RESTART", serial=True)(lambda: tls_stream(False))
