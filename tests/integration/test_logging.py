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
    check("cannot open the log file UNWEDGE_LOG=%s (ELOOP)" % path in err and "write timed out" in err,
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
