"""TCP_USER_TIMEOUT: set on blocking connected and accepted TCP sockets, never
over the application's own, and never left on a socket that is or becomes
non-blocking: such a connection survives a pause longer than T."""

import re

from harness import Scratch, check, client, json_line, preload_env, test

T_MS = 1000


def run(args, env=None, peer_env=None, peer_extra=()):
    with Scratch() as s:
        peer = s.peer("tcp4", "drain", env=peer_env, extra=peer_extra)
        res, err = client(peer.addr, "write", env or preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS), ["--total", 1000] + list(args))
        got, out, _ = peer.result()
    return res, json_line(out, "accepted_uto")


@test("tcp-user-timeout/set-on-blocking-connect")
def connect_sets():
    res, _ = run([])
    check(res["uto_connect"] == T_MS, "after connect: %s, want %d" % (res["uto_connect"], T_MS))
    res, _ = run([], env=preload_env(UNWEDGE_TIMEOUT="1s", UNWEDGE_TCP_USER_TIMEOUT="2500ms"))
    check(res["uto_connect"] == 2500, "explicit value: %s" % res["uto_connect"])
    res, _ = run([], env=preload_env(UNWEDGE_TIMEOUT="1s", UNWEDGE_TCP_USER_TIMEOUT="off"))
    check(res["uto_connect"] == 0, "off: %s" % res["uto_connect"])


@test("tcp-user-timeout/set-on-blocking-accept")
def accept_sets():
    _, acc = run([], peer_env=preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS), peer_extra=["--report-uto"])
    check(acc is not None and acc["accepted_uto"] == T_MS, "accepted socket: %s" % acc)


@test("tcp-user-timeout/application-value-kept")
def app_value():
    res, _ = run(["--uto", 12345])
    check(res["uto_connect"] == 12345 and res["uto_end"] == 12345, "the application's 12345 ms was changed: %s" % res)


@test("tcp-user-timeout/none-on-nonblocking")
def nonblocking():
    res, _ = run(["--sock-nonblock"])
    check(res["uto_connect"] == 0 and res["uto_write"] == 0, "SOCK_NONBLOCK socket carries %s/%s" % (res["uto_connect"], res["uto_write"]))
    res, _ = run(["--nonblock"])
    check(res["uto_connect"] == T_MS, "blocking at connect: %s" % res["uto_connect"])
    check(res["uto_end"] == 0, "became non-blocking, still carries %s" % res["uto_end"])
    res, _ = run(["--sock-nonblock"], env=preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_TCP_USER_TIMEOUT_SCOPE="all"))
    check(res["uto_write"] == T_MS, "scope=all should set it on a non-blocking socket too: %s" % res["uto_write"])


def pause_longer_than_t(env):
    # The peer stops reading for 2.5 T; the non-blocking client keeps its data
    # queued, then probes the connection with one more byte.
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        res, err = client(peer.addr, "write", env, ["--nonblock", "--chunk", 65536, "--hold-ms", int(2.5 * T_MS)])
    return res


@test("tcp-user-timeout/nonblocking-connection-survives-a-pause")
def survives():
    res = pause_longer_than_t(preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS))
    check(res["errno"] == "EAGAIN", "setup: %s" % res)
    # EAGAIN (still full) or success: either way the connection is alive.
    check(res["hold_errno"] in ("EAGAIN", "0"), "the connection died during the pause: %s" % res["hold_errno"])


@test("tcp-user-timeout/nonblocking-connection-survives-a-pause/control")
def survives_control():
    # With the user timeout forced onto every socket, the same pause kills the
    # connection: the test above would notice a stray user timeout.
    res = pause_longer_than_t(preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_TCP_USER_TIMEOUT_SCOPE="all"))
    check(res["hold_errno"] in ("ETIMEDOUT", "EPIPE"), "scope=all should have aborted it: %s" % res["hold_errno"])


@test("tcp-user-timeout/set-at-first-write-of-an-inherited-socket")
def inherited():
    # A socket connected by a parent without the preload and passed across exec:
    # unwedge never saw it created, so it acts at the first write.
    import socket
    import subprocess
    from harness import WCLIENT, json_line
    with Scratch() as s:
        peer = s.peer("tcp4", "drain")
        host, port = peer.addr.split(":")[1], int(peer.addr.split(":")[2])
        sock = socket.create_connection((host, port))
        fd = sock.fileno()
        p = subprocess.run([WCLIENT, "tcp4:0.0.0.0:0", "write", "--inherit-fd", str(fd), "--total", "1000"],
                           env=preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS), pass_fds=[fd], capture_output=True, text=True, timeout=10)
        sock.close()
    res = json_line(p.stdout, '"calls"')
    check(res is not None, "no result: %s %s" % (p.stdout, p.stderr))
    check(res["uto_connect"] == 0, "before the first write: %s" % res["uto_connect"])
    check(res["uto_write"] == T_MS, "after the first write: %s, want %d" % (res["uto_write"], T_MS))


def kernel_abort(env):
    # The kernel's user timeout (1 s) fires before unwedge's deadline (5 s).
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        from harness import WCLIENT, finish, spawn
        p = spawn([WCLIENT, peer.addr, "write", "--after-fail", "2"], env=env)
        out, err, rc = finish(p, 15)
    return out, err, rc


@test("tcp-user-timeout/kernel-abort-gives-ETIMEDOUT-not-SIGPIPE")
def kernel_abort_no_sigpipe():
    out, err, rc = kernel_abort(preload_env(UNWEDGE_TIMEOUT="5s", UNWEDGE_TCP_USER_TIMEOUT="1s"))
    check(rc == 0, "the client died (rc %s): a SIGPIPE after the kernel ended the connection? %r" % (rc, err))
    from harness import json_line
    res = json_line(out, '"calls"')
    check(res["errno"] == "ETIMEDOUT" and res["after_errno"] == "ETIMEDOUT", "want ETIMEDOUT throughout: %s" % res)
    check(1000 <= res["short_ms"] <= 3000, "the kernel's 1 s user timeout should end it first: %s" % res["short_ms"])
    check("action=tcp-user-timeout" in err, "log: %r" % err)


@test("tcp-user-timeout/kernel-abort-event-names-the-peer")
def kernel_abort_names_peer():
    """After the kernel ended the connection its addresses can no longer be read; the event still
    names them (kept when the write first waited)."""
    out, err, rc = kernel_abort(preload_env(UNWEDGE_TIMEOUT="5s", UNWEDGE_TCP_USER_TIMEOUT="1s"))
    line = next((l for l in err.splitlines() if "action=tcp-user-timeout" in l), "")
    check(re.search(r" local=127\.0\.0\.1:\d+ peer=127\.0\.0\.1:\d+ ", line), "the event: %r" % line)


@test("tcp-user-timeout/kernel-abort-gives-ETIMEDOUT-not-SIGPIPE/control")
def kernel_abort_control():
    # A preload that only sets the user timeout: the next write raises SIGPIPE.
    from harness import BUILD, base_env
    out, err, rc = kernel_abort(base_env(LD_PRELOAD=BUILD + "/bench/liblayer_uto.so", LAYER_MS="1000"))
    check(rc == -13, "want death by SIGPIPE without unwedge's mapping, got rc %s" % rc)
