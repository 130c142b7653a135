"""Where events go and in what form: UNWEDGE_LOG_FORMAT=json, a file (with a
timestamp, never through a planted symlink), syslog, and UNWEDGE_LOG_RATE, so
a storm of timeouts cannot flood the disk."""

import json
import os
import re
import socket
import sys
import time

from logdev import LogDev, needs_namespace
from harness import BUILD, ROOT, Scratch, WCLIENT, check, client, finish, json_line, preload_env, spawn, test

STORM = os.path.join(ROOT, "tests", "helpers", "py_storm.py")
RFC3339 = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def utc_close_to_now(stamp):
    t = time.mktime(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    return abs(t - time.time()) < 60


@test("logging/json-timeout")
def json_timeout():
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        res, err = client(peer.addr, "write", preload_env(UNWEDGE_TIMEOUT="500ms", UNWEDGE_LOG_FORMAT="json"),
                          ["--total", 64 << 20])
    check(res["errno"] == "ETIMEDOUT", "%s" % res)
    lines = err.splitlines()
    check(len(lines) == 1, "want one line: %r" % err)
    ev = json.loads(lines[0])
    check(re.fullmatch(RFC3339, ev["time"]) and utc_close_to_now(ev["time"]), "time: %s" % ev["time"])
    want = {"event": "timeout", "program": "wclient", "call": "write", "deadline": "idle", "deadline_ms": 500,
            "action": "shutdown", "peer": peer.addr.split(":", 1)[1]}
    for k, v in want.items():
        check(ev.get(k) == v, "%s is %r, want %r: %s" % (k, ev.get(k), v, ev))
    for k in ("pid", "fd", "moved", "pending", "queued", "waited_ms"):
        check(isinstance(ev.get(k), int), "%s missing or not a number: %s" % (k, ev))
    check(ev["moved"] == res["bytes"] and ev["local"].startswith("127.0.0.1:"), "%s vs %s" % (ev, res))


@test("logging/file-lines-carry-the-time")
def file_time():
    with Scratch() as s:
        path = os.path.join(s.dir, "unwedge.log")
        peer = s.peer("unix", "never")
        client(peer.addr, "write", preload_env(UNWEDGE_TIMEOUT="300ms", UNWEDGE_LOG=path), ["--total", 64 << 20])
        text = open(path).read()
    m = re.match(r"(%s) unwedge: write timed out: pid=" % RFC3339, text)
    check(m and utc_close_to_now(m.group(1)), "want a timestamp first: %r" % text)


@test("logging/file-symlink-not-followed")
def symlink():
    with Scratch() as s:
        target = os.path.join(s.dir, "victim")
        open(target, "w").write("precious\n")
        path = os.path.join(s.dir, "unwedge.log")
        os.symlink(target, path)
        peer = s.peer("tcp4", "never")
        res, err = client(peer.addr, "write", preload_env(UNWEDGE_TIMEOUT="300ms", UNWEDGE_LOG=path),
                          ["--total", 64 << 20])
        victim = open(target).read()
    check(victim == "precious\n", "the log went through the symlink: %r" % victim)
    check(res["errno"] == "ETIMEDOUT", "%s" % res)
    check("cannot open the log file UNWEDGE_LOG=%s: it is a symbolic link (not followed)" % path in err
          and "write timed out" in err,
          "the event must reach stderr, with the reason once: %r" % err)


def syslog_run(fmt):
    needs_namespace()
    with Scratch() as s:
        dev = LogDev(s, "collect")
        peer = s.peer("unix", "never")
        out, err, rc = dev.run([WCLIENT, peer.addr, "write", "--total", str(64 << 20)],
                               preload_env(UNWEDGE_TIMEOUT="300ms", UNWEDGE_LOG="syslog", UNWEDGE_LOG_FORMAT=fmt), 15)
        end = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        end.sendto(b"END-OF-TEST", os.path.join(dev.dir, "log"))
        msgs = dev.messages()
    res = json_line(out or "", '"calls"')
    check(rc is not None and res["errno"] == "ETIMEDOUT", "%s %r" % (res, err))
    check("timed out" not in err and '"timeout"' not in err, "the event went to stderr too: %r" % err)
    ours = [m for m in msgs if m.startswith("<28>unwedge[")]
    check(len(ours) == 1, "want one message from unwedge: %r" % msgs)
    return ours[0]


@test("logging/syslog-text")
def syslog_text():
    m = syslog_run("text")
    check(re.match(r"<28>unwedge\[\d+\]: write timed out: pid=\d+ fd=\d+ call=write .*action=shutdown$", m),
          "message: %r" % m)


@test("logging/syslog-json")
def syslog_json():
    m = syslog_run("json")
    body = json.loads(m.split(": ", 1)[1])
    check(body["event"] == "timeout" and body["call"] == "write", "%s" % body)


def storm(n, rate, fmt="text"):
    out, err, rc = finish(spawn([sys.executable, STORM, str(n)],
                                env=preload_env(UNWEDGE_TIMEOUT="100ms", UNWEDGE_LOG_RATE=rate,
                                                UNWEDGE_LOG_FORMAT=fmt)), 60)
    res = json_line(out or "", '"timeouts"')
    check(rc == 0 and res and res["timeouts"] == n, "storm: %s %r" % (res, err[-500:]))
    return err.splitlines()


@test("logging/rate-limit")
def rate_limit():
    lines = storm(30, "3/m")
    events = [l for l in lines if "write timed out" in l]
    check(len(events) == 3, "want 3 lines under 3/m, got %d: %r" % (len(events), lines[:6]))
    summary = [l for l in lines if "suppressed by UNWEDGE_LOG_RATE" in l]
    check(len(summary) == 1 and summary[0].endswith(" suppressed=27"), "exit summary: %r" % summary)


@test("logging/rate-limit-counts-every-event")
def rate_accounting():
    # 2 per second, 16 timeouts over about 1.6 s: whatever the split, the lines
    # and the suppressed counts they carry add up to every timeout.
    lines = storm(16, "2/s", "json")
    evs = [json.loads(l) for l in lines if l.startswith("{")]
    shown = sum(1 for e in evs if e["event"] == "timeout")
    dropped = sum(e.get("suppressed", 0) for e in evs)
    check(shown + dropped == 16, "%d shown + %d suppressed != 16: %r" % (shown, dropped, lines))
    check(shown <= 2 * 3 + 1, "too many lines for 2/s over about 2 s: %d" % shown)
    check(any("suppressed" in e and e["event"] == "timeout" for e in evs),
          "no line carried the count of the lines dropped before it: %r" % lines)


@test("logging/rate-limit-off")
def rate_off():
    lines = storm(12, "off")
    check(sum("write timed out" in l for l in lines) == 12, "%r" % lines)


@test("logging/fifo-at-the-log-path-never-blocks")
def fifo_path():
    # A FIFO nobody reads at the log path: opening it for writing would block.
    with Scratch() as s:
        path = os.path.join(s.dir, "unwedge.log")
        os.mkfifo(path)
        peer = s.peer("tcp4", "never")
        res, err = client(peer.addr, "write", preload_env(UNWEDGE_TIMEOUT="300ms", UNWEDGE_LOG=path),
                          ["--total", 64 << 20], timeout=10)
    check(res is not None and res["errno"] == "ETIMEDOUT" and res["short_ms"] < 900,
          "the program hung on the log: %s %r" % (res, err))
    # No reader: the non-blocking open fails (ENXIO).
    check("cannot open the log file UNWEDGE_LOG=%s (ENXIO)" % path in err and "write timed out" in err, "%r" % err)
    # A reader that never reads: refused as not a regular file.
    with Scratch() as s:
        path = os.path.join(s.dir, "unwedge.log")
        os.mkfifo(path)
        reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            peer = s.peer("tcp4", "never")
            res, err = client(peer.addr, "write", preload_env(UNWEDGE_TIMEOUT="300ms", UNWEDGE_LOG=path),
                              ["--total", 64 << 20], timeout=10)
        finally:
            os.close(reader)
    check(res is not None and res["errno"] == "ETIMEDOUT", "%s" % res)
    check("UNWEDGE_LOG=%s (not a regular file)" % path in err and "write timed out" in err, "%r" % err)


@test("logging/full-stderr-pipe-never-blocks")
def full_stderr():
    # The program's stderr is a pipe that nobody reads and that is already
    # full: the event line is dropped, the write still fails at T.
    import fcntl
    import subprocess
    r, w = os.pipe()
    fcntl.fcntl(w, fcntl.F_SETFL, os.O_NONBLOCK)
    try:
        while True:
            os.write(w, b"x" * 4096)
    except BlockingIOError:
        pass
    fcntl.fcntl(w, fcntl.F_SETFL, 0)
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        p = subprocess.Popen([WCLIENT, peer.addr, "write", "--total", str(64 << 20)], stdout=subprocess.PIPE,
                             stderr=w, env=preload_env(UNWEDGE_TIMEOUT="300ms"), text=True)
        os.close(w)
        try:
            out, _ = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            out = None
        finally:
            os.close(r)
    res = json_line(out or "", '"calls"')
    check(res is not None and res["errno"] == "ETIMEDOUT" and res["short_ms"] < 900,
          "blocked on its own full stderr: %s" % res)


@test("logging/json-stays-valid")
def json_valid():
    # A long program name in UTF-8 and an unprintable unix path: the line is
    # one valid JSON object; valid UTF-8 passes as it is.
    import subprocess
    name = "é" * 300
    with Scratch() as s:
        peer = s.peer("unix", "never")
        p = subprocess.Popen([name, peer.addr, "write", "--total", str(64 << 20)], executable=WCLIENT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=preload_env(UNWEDGE_TIMEOUT="300ms", UNWEDGE_LOG_FORMAT="json"))
        out, err = p.communicate(timeout=20)
    lines = err.decode("utf-8").splitlines()
    check(len(lines) == 1, "want one line: %r" % err)
    ev = json.loads(lines[0])
    check(ev["event"] == "timeout" and ev["program"] == "é" * 24, "program %r" % ev.get("program"))


@test("logging/unix-path-cannot-forge-lines")
def forge():
    # A client binds a path with a newline in it; the daemon's text log must
    # keep one line per event.
    script = ("import socket,sys\n"
              "c=socket.socket(socket.AF_UNIX)\n"
              "c.bind(sys.argv[2])\n"
              "c.connect(sys.argv[1])\n"
              "try:\n c.sendall(b'x'*(64<<20))\n"
              "except OSError as e:\n print(e.errno)\n")
    with Scratch() as s:
        peer = s.peer("unix", "never")
        evil = os.path.join(s.dir, "a\nunwedge: FORGED LINE pid=1")
        out, err, rc = finish(spawn([sys.executable, "-c", script, peer.addr.split(":", 1)[1], evil],
                                    env=preload_env(UNWEDGE_TIMEOUT="300ms")), 20)
    check(rc == 0 and out.strip() == "110", "client: %r %r" % (out, err))
    lines = err.splitlines()
    check(len(lines) == 1 and "write timed out" in lines[0] and "\\x0aunwedge:\\x20FORGED" in lines[0],
          "the path split the line: %r" % err)


@test("logging/sendfile-count-past-the-end-shows-bytes-left")
def sendfile_huge_count():
    """busybox httpd sends "the rest of the file" with a count near 2^62: the event's pending is the
    bytes left in the file, not the count."""
    size = 64 << 20
    with Scratch() as s:
        peer = s.peer("unix", "never")
        res, err = client(peer.addr, "sendfile-huge", preload_env(UNWEDGE_TIMEOUT="1s"), ["--total", size])
    check(res is not None and res["errno"] == "ETIMEDOUT", "the wedged sendfile: %s %r" % (res, err[-300:]))
    m = re.search(r" moved=(\d+) pending=(\d+) ", err)
    check(m, "no moved/pending in the event: %r" % err[-400:])
    moved, pending = int(m.group(1)), int(m.group(2))
    check(moved + pending == size, "moved %d + pending %d, want the file's %d bytes" % (moved, pending, size))
