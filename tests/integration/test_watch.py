"""`unwedge watch`: TCP connections of real programs (no preload) in a network
namespace of the test's own, so that watch sees these and no one else's. A
writer blocked on a peer that never reads is reported stuck, with its pid; a
slow but steady reader, a faster one and an idle connection are not, though
the two readers have data waiting (checked). Events as the state changes
(stuck, recovered, gone), --kill-after ends only the stuck connections in its
scope, --prom keeps a textfile that parses, --all-netns finds a connection in
another namespace from the host's."""

import json
import queue
import threading
import os
import re
import signal
import subprocess
import tempfile
import time

from harness import LAUNCHER, WCLIENT, Scratch, base_env, check, finish, json_line, spawn, test, wait_for_line
from netns_support import Netns, cgroup2_root, remove_cgroups

ABORTED = "Software caused connection abort"


def writer(ns, s, mode, *args):
    peer = s.peer("tcp4", mode, netns=ns.enter)
    return peer, spawn(ns.enter + [WCLIENT, peer.addr, "write"] + [str(a) for a in args], env=base_env())


def watch(*args, prefix=(), timeout=20):
    p = subprocess.run(list(prefix) + [LAUNCHER, "watch"] + [str(a) for a in args], capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")], p.stdout, p.stderr


def pending_of(pid):
    """What rescue --dry-run reads for pid's connection: its bytes waiting."""
    p = subprocess.run([LAUNCHER, "rescue", str(pid), "--dry-run", "--json"], capture_output=True, text=True,
                       timeout=20)
    recs = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    check(len(recs) == 1, "rescue --dry-run %d: %s %s" % (pid, p.stdout, p.stderr))
    return recs[0]["pending"]


def mixed_set(ns, s):
    w = {}
    w["stuck"] = writer(ns, s, "never")[1]
    w["slow"] = writer(ns, s, "slow:100000", "--chunk", 65536)[1]
    w["progress"] = writer(ns, s, "slow:2000000", "--chunk", 65536)[1]
    w["idle"] = writer(ns, s, "drain", "--total", 1000, "--hold-ms", 60000)[1]
    bh_peer, addr = ns.blackhole_peer(s.dir)
    w["blackhole"] = spawn(ns.enter + [WCLIENT, addr, "write", "--delay-ms", "300", "--total", str(64 << 20)],
                           env=base_env())
    time.sleep(0.1)
    w["method"] = ns.blackhole()
    w["blackhole_peer"] = bh_peer
    return w


@test("watch/once/reports-exactly-the-stuck-connection")
def once_mixed():
    with Netns() as ns, Scratch() as s:
        w = mixed_set(ns, s)
        method = w.pop("method")
        w.pop("blackhole_peer")
        time.sleep(3)
        for name, p in w.items():
            check(p.poll() is None, "%s writer ended early: %s" % (name, p.poll()))
        # The readers are mid-transfer (data waiting), the idle one is not.
        check(pending_of(w["slow"].pid) > 0 and pending_of(w["progress"].pid) > 0, "the readers keep up")
        check(pending_of(w["idle"].pid) == 0, "the idle connection has data waiting")
        rc, events, out, err = watch("--once", "--json", "--stuck-after", "2s", prefix=ns.enter)
        check(rc == 1, "--once with a stuck connection: rc %d, want 1: %s" % (rc, err))
        check(sorted(e["pid"] for e in events) == sorted([w["stuck"].pid, w["blackhole"].pid]),
              "want exactly the zero-window and black-hole (%s) writers %s, got %s" % (
                  method, {k: p.pid for k, p in w.items()}, out))
        for e in events:
            zero = e["pid"] == w["stuck"].pid
            check(e["event"] == "stuck" and e["program"] == "wclient" and e["queued"] > 0 and e["waited_ms"] >= 2000,
                  "fields: %s" % e)
            check(e["cause"] == ("zero-window" if zero else "no-ack"), "cause (%s): %s" % (method, e))
        rc, _, out, err = watch("--once", "--stuck-after", "2s", prefix=ns.enter)
        check(rc == 1 and out.count("\n") == 2 and "unwedge: connection stuck: pid=%d program=wclient" % w["stuck"].pid
              in out and "cause=zero-window" in out, "text: %r %r" % (out, err))


@test("watch/once/nothing-stuck-exit-0")
def once_clean():
    with Netns() as ns, Scratch() as s:
        w = mixed_set(ns, s)
        time.sleep(2.5)
        for name in ("slow", "progress", "idle"):
            rc, events, out, err = watch("--once", "--json", "--stuck-after", "2s", "--pid", w[name].pid)
            check(rc == 0 and events == [] and out == "", "%s: rc %d %r %r" % (name, rc, out, err))
        rc, events, out, err = watch("--once", "--json", "--stuck-after", "2s", "--pid", w["stuck"].pid)
        check(rc == 1 and [e["pid"] for e in events] == [w["stuck"].pid], "--pid of the stuck one: %s" % out)


@test("watch/events/stuck-recovered-gone")
def events():
    with Netns() as ns, Scratch() as s:
        # More than loopback's buffers can take (they grow to several MiB), so that the window closes.
        held, held_w = writer(ns, s, "hold-then-drain", "--total", 64 << 20, "--hold-ms", 3000)
        dead, dead_w = writer(ns, s, "never")
        mon = spawn(ns.enter + [LAUNCHER, "watch", "--json", "--interval", "200ms", "--stuck-after", "1s"])
        seen = []
        # A thread reads the events: select() on a buffered text pipe misses a second line that
        # came in the same read as the first.
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in iter(mon.stdout.readline, "")], daemon=True).start()

        def until(event, pid, timeout):
            for e in seen:  # already read along with an earlier event
                if e["event"] == event and pid in e["pids"]:
                    return e
            end = time.time() + timeout
            while time.time() < end:
                try:
                    line = lines.get(timeout=max(0.01, end - time.time()))
                except queue.Empty:
                    break
                if '"event"' not in line:
                    continue
                seen.append(json.loads(line))
                if seen[-1]["event"] == event and pid in seen[-1]["pids"]:
                    return seen[-1]
            raise AssertionError("no %s event for %d in %.0f s: %s" % (event, pid, timeout, seen))

        try:
            until("stuck", held_w.pid, 10)
            until("stuck", dead_w.pid, 10)
            held.resume()
            until("recovered", held_w.pid, 5)
            dead.stop()  # the peer goes: the writer's connection is reset, the writer exits
            until("gone", dead_w.pid, 5)
            check(len([e for e in seen if e["event"] == "stuck"]) == 2, "one stuck event each: %s" % seen)
            # All 64 MiB arrived, and the 1-byte send after --hold-ms.
            res, out, _ = held.result()
            check(res and res["read"] == (64 << 20) + 1, "the held stream: %s" % out)
        finally:
            mon.send_signal(signal.SIGTERM)
            _, err, rc = finish(mon, 5)
        check(rc == 0, "watch after SIGTERM: rc %s %s" % (rc, err))


@test("watch/kill-after/only-stuck-in-scope")
def kill_after():
    with Netns() as ns, Scratch() as s:
        _, a = writer(ns, s, "never")
        _, b = writer(ns, s, "never")
        okpeer, ok = writer(ns, s, "slow:2000000", "--chunk", 65536, "--total", 16 << 20)
        time.sleep(2.2)
        t0 = time.time()
        rc, events, out, err = watch("--once", "--json", "--stuck-after", "1s", "--kill-after", "2s", "--pid",
                                     a.pid, prefix=ns.enter)
        check([(e["event"], e["pid"]) for e in events] == [("stuck", a.pid), ("killed", a.pid)],
              "want a stuck and a killed event for %d: %s %s" % (a.pid, out, err))
        aout, aerr, arc = finish(a, 1.5 - (time.time() - t0) + 1)
        check(arc == 0 and ABORTED in aout, "the killed writer: rc %s %s" % (arc, aout))
        check(b.poll() is None, "a stuck writer outside --pid was touched")
        rc, events, out, err = watch("--once", "--json", "--stuck-after", "1s", prefix=ns.enter)
        check([e["pid"] for e in events] == [b.pid], "after the kill only %d is stuck: %s" % (b.pid, out))
        # The whole namespace: the other stuck one goes, the healthy writer does not.
        rc, events, out, err = watch("--once", "--json", "--stuck-after", "1s", "--kill-after", "1s",
                                     prefix=ns.enter)
        check([(e["event"], e["pid"]) for e in events] == [("stuck", b.pid), ("killed", b.pid)],
              "namespace-wide kill: %s %s" % (out, err))
        bout, _, brc = finish(b, 3)
        check(brc == 0 and ABORTED in bout, "the second killed writer: rc %s %s" % (brc, bout))
        okout, _, okrc = finish(ok, 20)
        res = json_line(okout, '"calls"')
        check(okrc == 0 and res and res["bytes"] == 16 << 20 and res["errno"] == "0", "healthy writer: %s" % okout)
        got, _, _ = okpeer.result(20)
        check(got and got["read"] == 16 << 20 and got["pattern_ok"], "the healthy stream: %s" % got)


def parse_prom(text):
    """Samples of the text exposition format, with HELP and TYPE before each family."""
    types, samples = {}, []
    for line in text.splitlines():
        if line.startswith("# HELP "):
            check(len(line.split(" ", 3)) == 4, "empty HELP: %r" % line)
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            check(kind in ("gauge", "counter") and name not in types, "TYPE %r" % line)
            types[name] = kind
        else:
            m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_]\w*="(?:[^"\\]|\\.)*",?)*)\})? (\S+)',
                             line)
            check(m and m.group(1) in types, "not a sample of a declared family: %r" % line)
            labels = dict(re.findall(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
            samples.append((m.group(1), labels, float(m.group(3))))
    return samples


@test("watch/prom/textfile-parses")
def prom():
    with Netns() as ns, Scratch() as s:
        writer(ns, s, "never")
        writer(ns, s, "never")
        time.sleep(2.2)
        path = os.path.join(s.dir, "unwedge.prom")
        rc, _, out, err = watch("--once", "--stuck-after", "1s", "--prom", path, prefix=ns.enter)
        check(rc == 1 and os.path.exists(path) and not os.path.exists(path + ".tmp"), "rc %d %s" % (rc, err))
        samples = parse_prom(open(path).read())
        stuck = [x for x in samples if x[0] == "unwedge_watch_stuck_connections"]
        check(stuck == [("unwedge_watch_stuck_connections", {"program": "wclient", "peer": "127.0.0.1"}, 2.0)],
              "stuck series: %s" % samples)
        check(("unwedge_watch_kills_total", {}, 0.0) in samples, "kills: %s" % samples)


@test("watch/all-netns/sees-another-namespace")
def all_netns():
    with Netns() as ns, Scratch() as s:
        _, w = writer(ns, s, "never")
        time.sleep(2.2)
        rc, events, out, err = watch("--once", "--json", "--stuck-after", "1s")
        check(w.pid not in [e["pid"] for e in events], "the host's namespace alone saw it: %s" % out)
        rc, events, out, err = watch("--once", "--json", "--stuck-after", "1s", "--all-netns")
        check(rc == 1 and w.pid in [e["pid"] for e in events], "--all-netns missed %d: %s %s" % (w.pid, out, err))


@test("watch/bad-input")
def bad_input():
    for args, needle in [(["--interval", "5"], "--interval '5' is invalid"), (["--bogus"], "unknown option --bogus"),
                         (["--pid", "1", "--all-netns"], "exclude each other"),
                         (["--stuck-after", "5s", "--kill-after", "1s"], "--kill-after must be at least"),
                         (["--prom"], "--prom needs a value"), (["--pid", "x"], "--pid 'x' is invalid")]:
        p = subprocess.run([LAUNCHER, "watch", "--once"] + args, capture_output=True, text=True, timeout=10)
        check(p.returncode == 2 and needle in p.stderr and len(p.stderr.strip().splitlines()) <= 2,
              "%s: rc %d %r" % (args, p.returncode, p.stderr))
    p = subprocess.run([LAUNCHER, "watch", "--once", "--pid", "999999999"], capture_output=True, text=True, timeout=10)
    check(p.returncode == 1 and "process 999999999 is gone" in p.stderr, "missing pid: %d %r" % (p.returncode, p.stderr))


@test("watch/scope/rules")
def rules_scope():
    with Netns() as ns, Scratch() as s:
        pa, a = writer(ns, s, "never")
        pb, b = writer(ns, s, "never")
        time.sleep(2.2)
        port_a, port_b = pa.addr.rsplit(":", 1)[1], pb.addr.rsplit(":", 1)[1]
        rc, events, out, err = watch("--once", "--json", "--stuck-after", "1s", "--rules", "port:%s = off" % port_a,
                                     prefix=ns.enter)
        check([e["pid"] for e in events] == [b.pid], "port:%s = off still watched: %s %s" % (port_a, out, err))
        rc, events, out, err = watch("--once", "--json", "--stuck-after", "1s", "--rules", "port:%s = 30s" % port_b,
                                     prefix=ns.enter)
        check([e["pid"] for e in events] == [a.pid], "port:%s = 30s: %s %s" % (port_b, out, err))
        rc, _, out, err = watch("--once", "--rules", "port:x = 1s")
        check(rc == 2 and "--rules" in err, "bad rules: %d %r" % (rc, err))


@test("watch/scope/cgroup")
def cgroup_scope():
    root = cgroup2_root()
    check(os.geteuid() == 0 and root, "needs root and cgroup v2")
    cg = os.path.join(root, "unwedge-watch-test.%d" % os.getpid())
    os.mkdir(cg)
    os.mkdir(os.path.join(cg, "pod"))
    try:
        with Netns() as ns, Scratch() as s:
            _, outside = writer(ns, s, "never")
            peer = s.peer("tcp4", "never", netns=ns.enter)
            inside = spawn(ns.enter + ["sh", "-c", 'echo $$ > "$1/pod/cgroup.procs" && exec "$2" "$3" write', "sh", cg,
                                       WCLIENT, peer.addr], env=base_env())
            time.sleep(2.2)
            # The cgroup's parent given: processes in nested cgroups count.
            rc, events, out, err = watch("--once", "--json", "--stuck-after", "1s", "--cgroup", cg)
            check(rc == 1 and [e["pid"] for e in events] == [inside.pid], "--cgroup: %s %s" % (out, err))
            check(events[0]["cgroup"] == cg[len(root):] + "/pod", "cgroup field: %s" % events[0])
            inside.kill()
            inside.wait(timeout=10)
            outside.kill()
    finally:
        remove_cgroups(os.path.join(cg, "pod"), cg)


@test("watch/non-root/one-line-each")
def non_root():
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    with Netns() as ns, Scratch() as s:
        _, w = writer(ns, s, "never")
        time.sleep(2.2)
        rc, events, out, err = watch("--once", "--json", "--stuck-after", "1s", "--kill-after", "1s",
                                     prefix=ns.enter + nobody)
        check(rc == 1 and [e["event"] for e in events] == ["stuck", "kill-failed"], "as nobody: %s %s" % (out, err))
        check(events[0]["pid"] == 0 and events[0]["program"] == "?", "owner of root's socket known: %s" % events[0])
        check(events[1]["action"] == "none(sock-destroy: Operation not permitted)", "kill: %s" % events[1])
        check(len(err.strip().splitlines()) == 1 and "owner of a socket is unknown" in err, "stderr: %r" % err)
        check(w.poll() is None, "the writer was touched")
        rc, events, out, err = watch("--once", "--json", "--stuck-after", "1s", "--all-netns", prefix=nobody)
        check(rc in (0, 1) and err.count("cannot be read by this user") == 1, "--all-netns as nobody: %r" % err)


@test("watch/rate-limit")
def rate_limit():
    # 12 connections become stuck in the same scan: 10 lines get out, the
    # last line at exit counts the 2 dropped.
    with Netns() as ns, Scratch() as s:
        for _ in range(12):
            writer(ns, s, "never", "--chunk", 65536, "--sndbuf", 65536)
        time.sleep(1.5)
        mon = spawn(ns.enter + [LAUNCHER, "watch", "--json", "--interval", "200ms", "--stuck-after", "1s"])
        time.sleep(1.0)
        mon.send_signal(signal.SIGTERM)
        out, err, rc = finish(mon, 5)
    lines = [json.loads(x) for x in out.splitlines()]
    check(rc == 0 and [e["event"] for e in lines] == ["stuck"] * 10 + ["suppressed"], "lines: %s %s" % (out, err))
    check(lines[-1]["suppressed"] == 2, "suppressed: %s" % lines[-1])
