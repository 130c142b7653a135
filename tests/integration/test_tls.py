"""TLS: SSL_write, SSL_write_ex and SSL_shutdown to a peer that stopped reading
after the handshake fail within the deadline with SSL_ERROR_SYSCALL and errno
ETIMEDOUT (never WANT_WRITE), one deadline covers a whole SSL_write, the log
names the TLS server, and real clients (OpenSSL's C API, openssl s_client,
Python's ssl in 3.11 and 3.13, gnutls-cli) get the same. Each has its control:
without the preload the same write is still blocked. Healthy 100 MiB
transfers arrive byte-identical, and a healthy SSL_write adds no system call."""

import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

from harness import (BUILD, PRELOAD_PREFIX, ROOT, Failure, Scratch, base_env, check, finish, json_line, preload_env,
                     spawn, test, wait_for_line)
from tls_support import TlsPeer, make_cert

TSAN = "tsan" in PRELOAD_PREFIX
# gnutls-cli is timed from its spawn (its handshake messages reach a pipe only when it exits):
# under a sanitizer runtime on a loaded machine its start and handshake take seconds more.
SLOW_START = 15 if TSAN else 5 if PRELOAD_PREFIX else 0  # TSan: over 9 s seen

T_MS = 1000
TLSCLIENT = os.path.join(BUILD, "tests", "tlsclient")
PY_CLIENT = os.path.join(ROOT, "tests", "helpers", "py_tls_client.py")
SSL_ERROR_SYSCALL = 5
SSL_ERROR_WANT_WRITE = 3


def run_client(addr, env, args=(), timeout=20):
    out, err, rc = finish(spawn([TLSCLIENT, addr] + [str(a) for a in args], env=env), timeout)
    if rc is None:
        return None, err
    res = json_line(out, '"calls"')
    check(res is not None, "tlsclient printed no result (rc=%s): %s %s" % (rc, out, err))
    return res, err


def wedged_ssl_write(call_args, call_name):
    with Scratch() as s:
        peer = TlsPeer(s, "never")
        try:
            res, err = run_client(peer.addr, preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS),
                                  list(call_args) + ["--after-fail"])
        finally:
            peer.stop()
    check(res is not None, "the client was still blocked: the preload did not act")
    check(res["result"] <= 0, "the write did not fail: %s" % res)
    check(res["ssl_error"] == SSL_ERROR_SYSCALL,
          "SSL_get_error gave %d, want SSL_ERROR_SYSCALL (5): %s" % (res["ssl_error"], res))
    check(res["errno"] == "ETIMEDOUT", "errno %s, want ETIMEDOUT" % res["errno"])
    check(T_MS <= res["short_ms"] <= T_MS + 500, "the wedged call took %.0f ms, want %d..%d"
          % (res["short_ms"], T_MS, T_MS + 500))
    check(res["after_errno"] == "ETIMEDOUT" and res["after_ms"] < 50,
          "a later SSL_write gave errno %s after %.1f ms, want ETIMEDOUT at once" % (res["after_errno"], res["after_ms"]))
    check(res["after_ssl_error"] != SSL_ERROR_WANT_WRITE, "a later SSL_write asked to retry: %s" % res)
    line = [l for l in err.splitlines() if "write timed out" in l]
    check(len(line) == 1, "want one log line, got: %r" % err)
    check(" call=%s " % call_name in line[0] and " tls_server=wedge.example " in line[0],
          "the log line does not name the TLS call and server: %r" % line[0])


def control_ssl_write(call_args):
    with Scratch() as s:
        peer = TlsPeer(s, "never")
        try:
            res, _ = run_client(peer.addr, base_env(), list(call_args), timeout=T_MS / 1000 + 2)
        finally:
            peer.stop()
    check(res is None, "without the preload the SSL write did not hang: %s" % res)


test("tls/openssl/SSL_write")(lambda: wedged_ssl_write([], "SSL_write"))
test("tls/openssl/SSL_write/control")(lambda: control_ssl_write([]))
test("tls/openssl/SSL_write_ex")(lambda: wedged_ssl_write(["--ex"], "SSL_write_ex"))
test("tls/openssl/SSL_write_ex/control")(lambda: control_ssl_write(["--ex"]))


@test("tls/openssl/SSL_shutdown")
def shutdown_bounded():
    # The window has been closed since the fill, so a user timeout of T would
    # fire before our deadline: keep it out of the way to time the latter.
    for env in (preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_TCP_USER_TIMEOUT="20s"), base_env()):
        with Scratch() as s:
            peer = TlsPeer(s, "never")
            try:
                res, err = run_client(peer.addr, env, ["--fill-then-shutdown"], timeout=T_MS / 1000 + 3)
            finally:
                peer.stop()
        if "LD_PRELOAD" not in env:
            check(res is None, "control: without the preload SSL_shutdown did not hang: %s" % res)
            continue
        check(res is not None, "SSL_shutdown to a wedged peer still blocked")
        check(res["result"] < 0 and res["ssl_error"] == SSL_ERROR_SYSCALL and res["errno"] == "ETIMEDOUT",
              "SSL_shutdown: %s" % res)
        check(T_MS <= res["short_ms"] <= T_MS + 500, "SSL_shutdown took %.0f ms" % res["short_ms"])
        check("call=SSL_shutdown " in err, "log does not name SSL_shutdown: %r" % err)


@test("tls/openssl/one-deadline-per-SSL_write")
def whole_call():
    """A slow but steady reader (2 MB/s) and one 8 MiB SSL_write: each write()
    underneath finishes quickly, so only a deadline shared by the whole call
    can fire. In total mode it fires at T; in idle mode (progress) it never
    does, and the peer gets every byte."""
    with Scratch() as s:
        peer = TlsPeer(s, "slow:2000000")
        try:
            res, err = run_client(peer.addr, preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_DEADLINE="total"),
                                  ["--total", 8 << 20, "--chunk", 8 << 20])
        finally:
            peer.stop()
    check(res is not None and res["result"] <= 0 and res["errno"] == "ETIMEDOUT",
          "total mode: the 8 MiB SSL_write did not time out: %s" % res)
    check(T_MS <= res["short_ms"] <= T_MS + 300, "total mode: failed after %.0f ms, want %d..%d"
          % (res["short_ms"], T_MS, T_MS + 300))
    check("deadline=total" in err and "call=SSL_write " in err, "log: %r" % err)
    with Scratch() as s:
        peer = TlsPeer(s, "slow:2000000")
        res, err = run_client(peer.addr, preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS),
                              ["--total", 8 << 20, "--chunk", 8 << 20], timeout=30)
        got, out, perr = peer.result(timeout=30)
    check(res is not None and res["result"] == 8 << 20, "idle mode: a progressing SSL_write failed: %s %s" % (res, err))
    check(got and got["read"] == 8 << 20 and got["sha256"] == res["sha256"], "idle mode: peer got %s" % got)


@test("tls/openssl/healthy-100MiB")
def healthy_openssl():
    total = 100 << 20
    with Scratch() as s:
        peer = TlsPeer(s, "drain")
        res, err = run_client(peer.addr, preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS), ["--total", total], timeout=120)
        got, out, perr = peer.result(timeout=120)
    check(res is not None and res["written"] == total and res["result"] > 0, "client: %s %s" % (res, err))
    check(got and got["read"] == total and got["sha256"] == res["sha256"],
          "the peer did not get the same bytes: sent %s, got %s" % (res.get("sha256"), got))
    check("timed out" not in err, "a healthy transfer logged a timeout: %r" % err)


@test("tls/openssl/fast-path-no-extra-system-call", serial=True, production_only=True)
def tls_syscalls():
    """16 KiB SSL_write over loopback with a reader draining: one send per
    record; a poll (and a second send) only for a write that would have blocked."""
    check(shutil.which("strace"), "needs strace")
    n = 2000
    with Scratch() as s:
        cert, key = make_cert(s.dir)

        def count(env):
            p = subprocess.run(["strace", "-f", "-c", "-U", "name,calls", "-o", "/dev/stdout", "--",
                                os.path.join(BUILD, "bench", "percall"), "tls-write", str(n), cert, key],
                               env=env, capture_output=True, text=True, timeout=120)
            check(p.returncode == 0, "percall: %s" % p.stderr)
            return {m.group(1): int(m.group(2)) for m in
                    (re.match(r"\s*([a-z_0-9]+)\s+(\d+)\s*$", l) for l in p.stdout.splitlines()) if m}

        bare, pre = count(base_env()), count(preload_env(UNWEDGE_TIMEOUT="5s"))
    sends = sum(v for k, v in pre.items() if k in ("sendto", "write", "sendmsg"))
    polls = pre.get("poll", 0)
    check(bare.get("write", 0) >= n, "without the preload: %s" % bare)
    check(polls <= n // 100, "%d polls for %d SSL_writes: the fast path waits" % (polls, n))
    check(sends <= bare["write"] + 2 * polls + 2, "%d sends with the preload, %d writes without, %d polls"
          % (sends, bare["write"], polls))


def python_interpreters():
    found = {}
    roots = [os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")]
    for ver in ("3.11", "3.13"):
        for r in roots:
            c = sorted(glob.glob(os.path.join(r, "versions", ver + ".*", "bin", "python" + ver)))
            if c:
                found[ver] = c[-1]
        if ver not in found and shutil.which("python" + ver):
            found[ver] = os.path.realpath(shutil.which("python" + ver))
    return found


def python_client(interp, env, peer_port, total, timeout):
    out, err, rc = finish(spawn([interp, PY_CLIENT, str(peer_port), str(total)], env=env), timeout)
    if rc is None:
        return None, err
    return json_line(out, '"version"'), err


def python_wedge(ver):
    interp = python_interpreters().get(ver)
    check(interp, "Python %s not found (pyenv or PATH)" % ver)
    with Scratch() as s:
        peer = TlsPeer(s, "never")
        try:
            res, err = python_client(interp, preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS), peer.port, 256 << 20, 20)
        finally:
            peer.stop()
    check(res is not None, "Python %s: sendall still blocked (or retrying) under the preload: %s" % (ver, err[-500:]))
    check(res["version"] == ver, "ran %s, want %s" % (res["version"], ver))
    check(not res["ok"], "sendall to a stopped peer succeeded: %s" % res)
    check(res["fail_ms"] <= T_MS + 1000, "Python %s: sendall failed after %.0f ms, want <= %d"
          % (ver, res["fail_ms"], T_MS + 1000))
    if ver >= "3.13":
        check(res["errno"] == 110, "Python %s: errno %s (%s), want 110" % (ver, res["errno"], res))
    else:
        # python/cpython#115627: the errno is dropped (SSLEOFError), so look at
        # the socket itself.
        check(res["errno"] == 110 or res["exception"] == "SSLEOFError", "Python %s: %s" % (ver, res))
    check(res["next_errno"] == 110 and res["next_ms"] < 50,
          "Python %s: the next plain send gave errno %s after %.1f ms, want 110 at once" % (ver, res["next_errno"], res["next_ms"]))
    check("call=SSL_write_ex " in err and "tls_server=wedge.example" in err, "log: %r" % err[-500:])


def python_control(ver):
    interp = python_interpreters().get(ver)
    check(interp, "Python %s not found (pyenv or PATH)" % ver)
    with Scratch() as s:
        peer = TlsPeer(s, "never")
        try:
            res, err = python_client(interp, base_env(), peer.port, 256 << 20, T_MS / 1000 + 3)
        finally:
            peer.stop()
    check(res is None, "without the preload Python's sendall did not hang: %s" % res)


def python_healthy(ver):
    interp = python_interpreters().get(ver)
    check(interp, "Python %s not found (pyenv or PATH)" % ver)
    total = 100 << 20
    with Scratch() as s:
        peer = TlsPeer(s, "drain")
        res, err = python_client(interp, preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS), peer.port, total, 180)
        got, out, perr = peer.result(timeout=180)
    check(res and res["ok"] and res["sent"] == total, "Python %s: %s %s" % (ver, res, err[-500:]))
    check(got and got["read"] == total and got["sha256"] == res["sha256"], "peer got %s" % got)


for ver in ("3.11", "3.13"):
    test("tls/python%s/sendall" % ver)(lambda ver=ver: python_wedge(ver))
    test("tls/python%s/sendall/control" % ver)(lambda ver=ver: python_control(ver))
test("tls/python3.11/healthy-100MiB")(lambda: python_healthy("3.11"))
test("tls/python3.13/healthy-100MiB")(lambda: python_healthy("3.13"))


def openssl_tools(preloaded):
    """openssl s_client piping 64 MiB into an openssl s_server that is stopped
    (SIGSTOP) once the handshake is done. Returns seconds from the stop to
    s_client's exit (None: still running T + 4 s later) and its stderr."""
    with Scratch() as s:
        cert, key = make_cert(s.dir)
        big = os.path.join(s.dir, "64MiB")
        with open(big, "wb") as f:
            f.write(b"\0" * (64 << 20))
        log = os.path.join(s.dir, "s_server.out")
        # stdin stays an open pipe: s_server ends the session at EOF on stdin.
        srv = subprocess.Popen(["openssl", "s_server", "-accept", "0", "-cert", cert, "-key", key],
                               stdin=subprocess.PIPE, stdout=open(log, "w"), stderr=subprocess.STDOUT)
        try:
            port = None
            end = time.time() + 10
            while port is None and time.time() < end:
                m = re.search(r"ACCEPT \S*:(\d+)", open(log).read())
                port = m.group(1) if m else time.sleep(0.02)
            check(port, "s_server did not start: %s" % open(log).read())
            env = preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS) if preloaded else base_env()
            cl = subprocess.Popen(["openssl", "s_client", "-connect", "127.0.0.1:" + port, "-quiet",
                                   "-servername", "wedge.example"],
                                  stdin=open(big, "rb"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
            try:
                end = time.time() + 10
                while "CIPHER is" not in open(log).read() and time.time() < end:
                    time.sleep(0.01)
                check("CIPHER is" in open(log).read(), "no handshake: %s" % open(log).read())
                srv.send_signal(signal.SIGSTOP)
                stopped = time.time()
                try:
                    _, err = cl.communicate(timeout=T_MS / 1000 + 4)
                    return time.time() - stopped, err.decode(errors="replace")
                except subprocess.TimeoutExpired:
                    return None, ""
            finally:
                cl.kill()
                cl.wait(timeout=10)
        finally:
            srv.kill()
            srv.wait(timeout=10)


@test("tls/openssl-s_client-to-stopped-s_server")
def s_client():
    took, err = openssl_tools(True)
    check(took is not None, "s_client was still running %.1f s after the server stopped" % (T_MS / 1000 + 4))
    check(took <= T_MS / 1000 + 2, "s_client exited %.2f s after the stop, want <= T + 2 s" % took)
    check("errno=110" in err or "timed out" in err, "s_client did not report a timeout: %r" % err[-500:])


@test("tls/openssl-s_client-to-stopped-s_server/control")
def s_client_control():
    took, err = openssl_tools(False)
    check(took is None, "without the preload s_client exited %.2f s after the stop: %r" % (took or 0, err[-300:]))


def gnutls(preloaded):
    """Seconds until gnutls-cli reported its push (write) error, None if it
    did not within T + 3 s; and whether it then exited."""
    check(shutil.which("gnutls-cli"), "gnutls-cli is missing (Debian package gnutls-bin)")
    with Scratch() as s:
        big = os.path.join(s.dir, "64MiB")
        with open(big, "wb") as f:
            f.write(b"\0" * (64 << 20))
        peer = TlsPeer(s, "never")
        env = preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS) if preloaded else base_env()
        try:
            p = spawn(["gnutls-cli", "--insecure", "--sni-hostname", "wedge.example", "-p", str(peer.port),
                       "127.0.0.1"], env=env, stdin=open(big, "rb"))
            t0 = time.time()
            seen = wait_for_line(p.stderr, "Error in the push function", T_MS / 1000 + 3 + SLOW_START)
            took = time.time() - t0 if seen else None
            try:
                p.wait(timeout=3)
                exited = True
            except subprocess.TimeoutExpired:
                exited = False
            p.kill()
            p.wait(timeout=10)
            return took, exited, seen or ""
        finally:
            peer.stop()


@test("tls/gnutls-cli")
def gnutls_wedge():
    """GnuTLS writes with sendmsg: the socket-level wrappers cover it."""
    took, exited, err = gnutls(True)
    check(took is not None, "gnutls-cli still blocked under the preload")
    check(took <= T_MS / 1000 + 1 + SLOW_START, "gnutls-cli failed after %.2f s" % took)
    check("write timed out" in err and "call=sendmsg " in err, "no timeout logged: %r" % err[-500:])
    # Under ThreadSanitizer gnutls-cli never exits, preload or not: p11-kit's
    # destructor deadlocks on glibc's locale lock with the TSan runtime loaded.
    check(exited or TSAN, "gnutls-cli reported the error but did not exit")


@test("tls/gnutls-cli/control")
def gnutls_control():
    took, exited, err = gnutls(False)
    check(took is None, "without the preload gnutls-cli failed after %.2f s: %r" % (took or 0, err[-300:]))
