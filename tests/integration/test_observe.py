"""UNWEDGE_MODE=observe changes nothing: a write blocked past the deadline is
logged when it crosses it and again when it finally returns, and it returns
what it would have without unwedge (no deadline, no TCP_USER_TIMEOUT, every
byte delivered). UNWEDGE_WARN_AFTER logs writes that blocked for a while but
finished before the deadline, in either mode."""

import json
import os
import re
import signal
import time

from harness import BUILD, Scratch, WCLIENT, check, client, finish, json_line, preload_env, spawn, test, wait_for_line
from tls_support import TlsPeer

T_MS = 1000
TOTAL = 32 << 20


def held_write(kind, call, env, hold_s, needle):
    """A client writes TOTAL bytes to a peer that reads nothing until resumed
    hold_s seconds after needle appears on the client's stderr."""
    with Scratch() as s:
        peer = s.peer(kind, "hold-then-drain")
        c = spawn([WCLIENT, peer.addr, call, "--total", str(TOTAL)], env=env)
        start = time.time()
        seen = wait_for_line(c.stderr, needle, timeout=10)
        crossed_s = time.time() - start
        check(seen is not None, "no %r line within 10 s" % needle)
        time.sleep(hold_s)
        check(c.poll() is None, "the write returned while the peer was still not reading")
        peer.resume()
        out, err, rc = finish(c, 20)
        err = seen + (err or "")
        res = json_line(out or "", '"calls"')
        check(res is not None, "client result missing (rc=%s): %s" % (rc, err))
        got, pout, perr = peer.result(timeout=10)
    check(got is not None and got["pattern_ok"], "peer: %s %s" % (pout, perr))
    return res, err, got, crossed_s


def observe(kind, call):
    env = preload_env(UNWEDGE_MODE="observe", UNWEDGE_TIMEOUT="%dms" % T_MS)
    res, err, got, crossed_s = held_write(kind, call, env, 1.5, "blocked past its deadline")
    check(res["errno"] in ("0", "") and res["bytes"] == TOTAL,
          "observe mode changed the outcome: %s" % res)
    check(got["read"] == TOTAL, "the peer read %d of %d bytes" % (got["read"], TOTAL))
    if kind != "unix":
        check(res["uto_write"] == 0 and res["uto_end"] == 0, "a TCP_USER_TIMEOUT was set: %s" % res)
    m = re.search(r"blocked past its deadline \(observe mode: left alone\): .* call=%s .*waited=([0-9.]+)s "
                  r"deadline=idle:1\.000s" % call, err)
    check(m, "no deadline-crossed line: %r" % err)
    check(1.0 <= float(m.group(1)) <= 1.3, "crossed after %ss, want 1.0..1.3" % m.group(1))
    m = re.search(r"returned \(observe mode\): .* call=%s .*blocked=([0-9.]+)s .*result=ok" % call, err)
    check(m, "no completed line: %r" % err)
    check(2.4 <= float(m.group(1)) <= 4.5, "blocked %ss in total, want about 2.5" % m.group(1))
    check("timed out" not in err and err.count("blocked past its deadline (observe") == 1, "log: %r" % err)


for kind, call in (("tcp4", "write"), ("tcp4", "sendmsg"), ("unix", "writev"), ("tcp6", "send")):
    test("observe/%s/%s" % (kind, call))(lambda kind=kind, call=call: observe(kind, call))


@test("observe/json")
def observe_json():
    env = preload_env(UNWEDGE_MODE="observe", UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_LOG_FORMAT="json")
    res, err, got, _ = held_write("tcp4", "write", env, 1.0, '"deadline-crossed"')
    events = [json.loads(l) for l in err.splitlines() if l.startswith("{")]
    check([e["event"] for e in events] == ["deadline-crossed", "completed"], "events: %r" % err)
    crossed, done = events
    check(crossed["call"] == "write" and crossed["deadline_ms"] == T_MS and crossed["deadline"] == "idle"
          and 1000 <= crossed["waited_ms"] <= 1300 and crossed["peer"].startswith("127.0.0.1:"), "%s" % crossed)
    check(done["result"] == "ok" and done["blocked_ms"] >= 1900 and done["fd"] == crossed["fd"], "%s" % done)
    check(res["bytes"] == TOTAL, "%s" % res)


@test("observe/enforce-control")
def enforce_control():
    # The same write without observe mode fails at the deadline.
    with Scratch() as s:
        peer = s.peer("tcp4", "hold-then-drain")
        res, err = client(peer.addr, "write", preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS), ["--total", TOTAL])
    check(res is not None and res["errno"] == "ETIMEDOUT", "%s" % res)


def held_then_resumed(kind, argv, env, hold_s, scratch_out=None):
    """Runs argv (ending in the peer's address placeholder PEER) against a peer
    that reads nothing until resumed hold_s seconds later; checks the program
    was still blocked then. Returns (result, stderr, what the peer read)."""
    with Scratch() as s:
        peer = s.peer(kind, "hold-then-drain")
        c = spawn([peer.addr if a == "PEER" else a.replace("SCRATCH", s.dir) for a in argv], env=env)
        time.sleep(hold_s)
        check(c.poll() is None, "%s did not block" % os.path.basename(argv[0]))
        peer.resume()
        out, err, rc = finish(c, 20)
        res = json_line(out or "", '"calls"')
        got, _, _ = peer.result(timeout=10)
        if scratch_out is not None:
            scratch_out.append(open(os.path.join(s.dir, "trace")).read())
    check(res is not None and got is not None, "rc %s: %s %r" % (rc, res, err))
    return res, err, got


def slow_write(kind, env, deadline):
    res, err, got = held_then_resumed(kind, [WCLIENT, "PEER", "write", "--total", str(TOTAL)], env, 1.2)
    check(res["bytes"] == TOTAL and got["read"] == TOTAL, "%s %s" % (res, got))
    m = re.search(r"unwedge: slow write: .* call=write .*blocked=([0-9.]+)s deadline=%s "
                  r"warn_after=0\.300s result=ok" % re.escape(deadline), err)
    check(m and 0.9 <= float(m.group(1)) <= 3.0, "no slow-write line: %r" % err)
    check(err.count("\n") == 1, "one line: %r" % err)


@test("warn-after/slow-write-logged")
def warn_after():
    slow_write("tcp4", preload_env(UNWEDGE_TIMEOUT="10s", UNWEDGE_WARN_AFTER="300ms"), "idle:10.000s")


@test("warn-after/with-timeout-off")
def warn_without_deadline():
    # Only warnings: no deadline anywhere, yet slow writes are reported.
    slow_write("unix", preload_env(UNWEDGE_TIMEOUT="off", UNWEDGE_WARN_AFTER="300ms"), "none")


@test("warn-after/quiet-on-fast-writes")
def warn_quiet():
    env = preload_env(UNWEDGE_TIMEOUT="10s", UNWEDGE_WARN_AFTER="2s")
    with Scratch() as s:
        peer = s.peer("tcp4", "drain")
        res, err = client(peer.addr, "write", env, ["--total", 8 << 20])
    check(res["bytes"] == 8 << 20 and err == "", "a healthy transfer was logged: %r" % err)


def stdio_held(env, needle):
    res, err, got = held_then_resumed("unix", [os.path.join(BUILD, "tests", "wstdio-fortify"), "PEER", "fwrite",
                                              "--total", str(TOTAL)], env, 2.5)
    check(not res["failed"] and res["moved"] == TOTAL, "%s %r" % (res, err))
    check(got["read"] == TOTAL, "peer: %s" % got)  # wstdio writes no pattern
    m = re.search(needle + r": .* call=fwrite .*blocked=([0-9.]+)s .*result=ok", err)
    check(m and float(m.group(1)) >= 2.0, "want %r for fwrite: %r" % (needle, err))


@test("observe/stdio")
def observe_stdio():
    # No backstop in observe mode: the call blocks as without unwedge, and its
    # time is reported when it returns.
    stdio_held(preload_env(UNWEDGE_MODE="observe", UNWEDGE_TIMEOUT="%dms" % T_MS),
               r"write that blocked past its deadline returned \(observe mode\)")


@test("warn-after/stdio")
def warn_stdio():
    stdio_held(preload_env(UNWEDGE_TIMEOUT="10s", UNWEDGE_WARN_AFTER="500ms"), "slow write")


@test("observe/tls")
def observe_tls():
    # One SSL_write of 8 MiB into a TLS server that stops reading after the
    # handshake and resumes 2.5 s later: logged as SSL_write with the server's
    # name, completed, the same bytes delivered.
    env = preload_env(UNWEDGE_MODE="observe", UNWEDGE_TIMEOUT="%dms" % T_MS)
    with Scratch() as s:
        peer = TlsPeer(s, "hold")
        s.peers.append(peer)
        c = spawn([os.path.join(BUILD, "tests", "tlsclient"), peer.addr, "--total", str(8 << 20), "--chunk",
                   str(8 << 20), "--sni", "db.example"], env=env)
        seen = wait_for_line(c.stderr, "blocked past its deadline", 10)
        check(seen is not None and "call=SSL_write " in seen and "tls_server=db.example" in seen,
              "crossing line: %r" % seen)
        time.sleep(1.5)
        check(c.poll() is None, "the SSL_write returned while the server was not reading")
        peer.proc.send_signal(signal.SIGUSR1)
        out, err, rc = finish(c, 20)
        res = json_line(out or "", '"calls"')
        got, _, _ = peer.result(timeout=20)
    check(res is not None and res["result"] == 8 << 20, "observe mode changed the outcome: %s %r" % (res, err))
    check(got and got["read"] == 8 << 20 and got["sha256"] == res["sha256"], "peer got %s" % got)
    check(re.search(r"returned \(observe mode\): .* call=SSL_write tls_server=db\.example .*result=ok", err),
          "completed line: %r" % err)


@test("observe/sendfile")
def observe_sendfile():
    # sendfile has no non-blocking form: in observe mode it is the kernel's own
    # blocking call, with no SO_SNDTIMEO tick put on the socket, and a call that
    # took longer than the deadline is reported when it returns.
    env = preload_env(UNWEDGE_MODE="observe", UNWEDGE_TIMEOUT="%dms" % T_MS)
    traces = []
    res, err, got = held_then_resumed("tcp4", ["strace", "-f", "-qq", "-e", "trace=setsockopt", "-o", "SCRATCH/trace",
                                               WCLIENT, "PEER", "sendfile", "--total", str(TOTAL)], env, 2.5, traces)
    trace = traces[0]
    check(res["bytes"] == TOTAL and got["read"] == TOTAL and got["pattern_ok"], "%s %s %r" % (res, got, err))
    check("SO_SNDTIMEO" not in trace, "observe mode set SO_SNDTIMEO: %r" % trace)
    m = re.search(r"returned \(observe mode\): .* call=sendfile .*blocked=([0-9.]+)s .*result=ok", err)
    check(m and float(m.group(1)) >= 2.0, "completed line: %r" % err)


@test("observe/application-sndtimeo-is-its-own")
def observe_app_sndtimeo():
    # In observe mode a stdio write that meets the application's own
    # SO_SNDTIMEO gets EAGAIN as without unwedge: nothing is marked or shut down.
    env = preload_env(UNWEDGE_MODE="observe", UNWEDGE_TIMEOUT="%dms" % T_MS)
    with Scratch() as s:
        peer = s.peer("unix", "never")
        out, err, rc = finish(spawn([os.path.join(BUILD, "tests", "wstdio-fortify"), peer.addr, "fwrite",
                                     "--sndtimeo-ms", "1500"], env=env), 20)
    res = json_line(out or "", '"calls"')
    check(res is not None and res["failed"] and res["errno"] == "EAGAIN", "%s %r" % (res, err))
    check("timed out" not in err and "action=" not in err, "observe mode acted: %r" % err)
