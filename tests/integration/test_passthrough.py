"""What unwedge must not touch: non-blocking sockets, MSG_DONTWAIT, files,
pipes; and an application's own SO_SNDTIMEO keeps its meaning."""

import os
import subprocess
import sys

from harness import Scratch, base_env, check, client, finish, preload_env, spawn, test


@test("passthrough/nonblocking-socket-gets-EAGAIN-at-once", portable=True)
def nonblocking():
    for kind in ("tcp4", "unix"):
        with Scratch() as s:
            peer = s.peer(kind, "never")
            res, err = client(peer.addr, "write", preload_env(UNWEDGE_TIMEOUT="1s"), ["--nonblock", "--chunk", 65536])
        check(res["errno"] == "EAGAIN" and res["short_ms"] < 100, "%s: %s" % (kind, res))
        check("timed out" not in err, "%s: logged a timeout on a non-blocking socket" % kind)


@test("passthrough/MSG_DONTWAIT-is-honoured", portable=True)
def dontwait():
    for call in ("send", "sendto", "sendmsg", "sendmmsg"):
        with Scratch() as s:
            peer = s.peer("tcp4", "never")
            res, err = client(peer.addr, call, preload_env(UNWEDGE_TIMEOUT="1s"), ["--dontwait", "--chunk", 65536])
        check(res["errno"] == "EAGAIN" and res["short_ms"] < 100, "%s: %s" % (call, res))
        check("timed out" not in err, "%s: logged a timeout" % call)


@test("passthrough/files-untouched")
def files():
    with Scratch() as s:
        path = os.path.join(s.dir, "f")
        p = subprocess.run(["sh", "-c", 'printf "hello\\n" > "$1"; cat "$1" "$1"', "sh", path],
                           env=preload_env(UNWEDGE_TIMEOUT="1s"), capture_output=True, text=True, timeout=10)
    check(p.returncode == 0 and p.stdout == "hello\nhello\n" and p.stderr == "", "got %r %r" % (p.stdout, p.stderr))


PIPE_WRITER = "import os; r, w = os.pipe(); os.write(w, b'x' * 65536); print('full', flush=True); os.write(w, b'x')"


@test("passthrough/pipe-untouched")
def pipe():
    # A full pipe blocks a writer for ever; unwedge must leave it so (pipes are not sockets).
    p = spawn([sys.executable, "-c", PIPE_WRITER], env=preload_env(UNWEDGE_TIMEOUT="300ms"))
    out, err, rc = finish(p, 2.0)
    check(rc is None and out.startswith("full"), "the pipe write did not stay blocked: rc=%s out=%r err=%r" % (rc, out, err))


@test("passthrough/app-SO_SNDTIMEO-still-gives-EAGAIN", portable=True)
def app_sndtimeo():
    for call in ("write", "send", "sendfile"):
        results = []
        for preload, env in ((True, preload_env(UNWEDGE_TIMEOUT="5s")), (False, base_env())):
            with Scratch() as s:
                peer = s.peer("tcp4", "never")
                res, err = client(peer.addr, call, env, ["--sndtimeo", 500, "--total", 32 << 20])
            check(res is not None, "%s: hung" % call)
            results.append(res)
            check(res["errno"] == "EAGAIN", "%s: final errno %s, want EAGAIN (the application's timeout): %s" % (call, res["errno"], res))
            # The kernel's own sendfile may spend the budget once per internal chunk.
            limit = 900 if preload or call != "sendfile" else 1600
            check(400 <= res["short_ms"] <= limit, "%s (preload=%s): the application's 500 ms timeout fired after %.0f ms" % (call, preload, res["short_ms"]))
            check("timed out" not in err, "%s: unwedge acted on the application's own timeout" % call)
        check(results[0]["short_ret"] > 0 and results[1]["short_ret"] > 0, "%s: both should report partial counts: %s" % (call, results))


@test("passthrough/app-SO_SNDTIMEO-longer-than-ours", portable=True)
def app_sndtimeo_longer():
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        res, err = client(peer.addr, "write", preload_env(UNWEDGE_TIMEOUT="1s"), ["--sndtimeo", 5000])
    check(res["errno"] == "ETIMEDOUT" and 1000 <= res["short_ms"] <= 1500, "the earlier expiry (ours) should win: %s" % res)
