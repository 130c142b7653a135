"""A peer that is alive but never reads (a zero window): every wrapped call
fails between T and T + 0.5 s, later writes fail at once, and without the
preload the same write is still blocked well after T."""

from harness import TARGET, Scratch, check, client, preload_env, base_env, test

T_MS = 1000
# musl's <sys/sendfile.h> makes sendfile64 a name for sendfile: the same call;
# musl before 1.2.5 (Debian 12 has 1.2.3) has no pwritev2.
# qemu-user 7.2 refuses pwritev2 with flags (EOPNOTSUPP): the control cannot hang there.
NOT_IN = {"musl": ("pwritev2", "pwritev2-dsync", "sendfile64"), "arm64": ("pwritev2-dsync",)}
CALLS = [c for c in ["write", "writev", "pwritev2", "pwritev2-dsync", "send", "sendto", "sendmsg", "sendmmsg",
                     "sendfile", "sendfile64", "splice"] if c not in NOT_IN.get(TARGET, ())]
SEQPACKET_CALLS = [c for c in ["write", "writev", "pwritev2", "pwritev2-dsync", "send", "sendto", "sendmsg",
                               "sendmmsg"] if c not in NOT_IN.get(TARGET, ())]


def wedge(kind, call, chunk=None):
    args = ["--after-fail", 2, "--total", 64 << 20]
    if chunk:
        args += ["--chunk", chunk]
    with Scratch() as s:
        peer = s.peer(kind, "never")
        res, err = client(peer.addr, call, preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS), args)
    check(res is not None, "the client was still blocked: the preload did not act")
    check(res["errno"] == "ETIMEDOUT", "final errno %s, want ETIMEDOUT: %s" % (res["errno"], res))
    check(T_MS <= res["short_ms"] <= T_MS + 500,
          "the wedged call took %.0f ms, want %d..%d" % (res["short_ms"], T_MS, T_MS + 500))
    check(res["after_errno"] == "ETIMEDOUT" and res["after_ms"] < 50,
          "a later write gave %s after %.1f ms, want ETIMEDOUT at once" % (res["after_errno"], res["after_ms"]))
    logged = call.split("-")[0]  # pwritev2-dsync is pwritev2 with a flag
    check("write timed out" in err and "call=%s " % logged in err, "no log line for the timeout: %r" % err)
    check(err.count("write timed out") == 1, "one log line per timeout, got: %r" % err)


def control(kind, call, chunk=None):
    args = ["--total", 64 << 20] + (["--chunk", chunk] if chunk else [])
    with Scratch() as s:
        peer = s.peer(kind, "never")
        res, _ = client(peer.addr, call, base_env(), args, timeout=T_MS / 1000 + 1.5)
    check(res is None, "without the preload the write did not hang: %s" % res)


for kind in ("tcp4", "tcp6", "unix"):
    for call in CALLS:
        test("zero-window/%s/%s" % (kind, call), portable=True)(lambda kind=kind, call=call: wedge(kind, call))
        test("zero-window/%s/%s/control" % (kind, call), portable=True)(lambda kind=kind, call=call: control(kind, call))
for call in SEQPACKET_CALLS:
    test("zero-window/unixseq/%s" % call, portable=True)(lambda call=call: wedge("unixseq", call, chunk=1000))
    test("zero-window/unixseq/%s/control" % call, portable=True)(lambda call=call: control("unixseq", call, chunk=1000))
