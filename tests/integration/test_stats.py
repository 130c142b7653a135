"""Live statistics (UNWEDGE_STATS=1): a real program's counters read by
`unwedge stat PID` while it runs (healthy writes, then a write to a peer that
never reads), in Prometheus format too; no file without the setting; a forked
child counts in a file of its own, an exec'd one too; a process killed by a
signal is reported gone; files at reused pids, planted symbolic links and
planted directories (in a pid and mount namespace of the test's own, so the
pids can be chosen and the host's /dev/shm is untouched)."""

import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time

from harness import BUILD, LAUNCHER, ROOT, WCLIENT, Scratch, base_env, check, finish, preload_env, preload_value, \
    spawn, test, wait_for_line

WSTATS = os.path.join(BUILD, "tests", "wstats")
NS_DRIVER = os.path.join(ROOT, "tests", "helpers", "stats_ns.py")
T_MS = 1000
COUNTERS = ["writes", "bytes", "blocked", "slow", "timeouts", "kernel-timeouts", "deadline-crossed", "tls-writes",
            "stdio-writes"]
METRICS = {"writes": "unwedge_writes_total", "bytes": "unwedge_written_bytes_total",
           "blocked": "unwedge_blocked_writes_total", "slow": "unwedge_slow_writes_total",
           "timeouts": "unwedge_timeouts_total", "kernel-timeouts": "unwedge_kernel_timeouts_total",
           "deadline-crossed": "unwedge_deadlines_crossed_total",
           "tls-writes": "unwedge_tls_writes_total", "stdio-writes": "unwedge_stdio_writes_total"}


def stats_path(pid):
    return "/dev/shm/unwedge-%d/%d" % (os.geteuid(), pid)


def unwedge_stat(*args):
    p = subprocess.run([LAUNCHER, "stat"] + [str(a) for a in args], capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout, p.stderr


def human(pid):
    """`unwedge stat PID` parsed: {counter: value, "peers": {addr: n}}, or fails."""
    rc, out, err = unwedge_stat(pid)
    check(rc == 0, "unwedge stat %d: rc %d %r" % (pid, rc, err))
    got = {"peers": {}}
    lines = out.splitlines()
    check(lines and lines[0].startswith("pid %d (" % pid), "first line: %r" % out)
    for line in lines[1:]:
        parts = line.split()
        if len(parts) == 2 and parts[0] in COUNTERS:
            got[parts[0]] = int(parts[1])
        elif len(parts) == 2 and parts[0].isdigit():
            got["peers"][parts[1]] = int(parts[0])
    check(all(c in got for c in COUNTERS), "counters missing from %r" % out)
    got["comm"] = lines[0].split("(", 1)[1].split(")", 1)[0]
    return got


LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prom(text):
    """A small parser of the text exposition format: every sample's family has
    HELP and TYPE lines before it, label values are escaped, values are numbers.
    Returns [(name, {label: value}, number)] and {name: type}."""
    helps, types, samples = set(), {}, []
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, text_ = line[7:].split(" ", 1)
            check(name not in helps and text_.strip(), "HELP repeated or empty: %r" % line)
            helps.add(name)
        elif line.startswith("# TYPE "):
            name, kind = line[7:].split(" ")
            check(name in helps and name not in types, "TYPE without HELP first, or twice: %r" % line)
            check(kind == "counter", "type %r" % line)
            types[name] = kind
        else:
            m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)", line)
            check(m, "not a sample line: %r" % line)
            name, body, value = m.groups()
            check(name in types, "sample before its TYPE: %r" % line)
            check(not samples or name == samples[-1][0] or name not in {s[0] for s in samples},
                  "samples of %s not grouped" % name)
            labels, pos = {}, 0
            for lm in LABEL.finditer(body):
                check(lm.start() == pos, "bad label syntax in %r" % line)
                labels[lm.group(1)] = re.sub(r"\\(.)", lambda e: {"n": "\n"}.get(e.group(1), e.group(1)),
                                             lm.group(2))
                pos = lm.end() + 1 if lm.end() < len(body) and body[lm.end()] == "," else lm.end()
            check(pos == len(body), "bad labels in %r" % line)
            samples.append((name, labels, float(value)))
    return samples, types


class Wstats:
    """build/tests/wstats, driven one command at a time, every reply bounded."""

    def __init__(self, env):
        self.proc = spawn([WSTATS], env=env, stdin=subprocess.PIPE)
        self.pid = self.proc.pid

    def ask(self, cmd, timeout=10):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        got = wait_for_line(self.proc.stdout, "", timeout)
        return got.strip() if got is not None else None

    def end(self):
        """EOF on its input (communicate closes it): it exits normally."""
        return finish(self.proc, 10)


def stats_env(**extra):
    extra.setdefault("UNWEDGE_TIMEOUT", "%dms" % T_MS)
    return preload_env(UNWEDGE_STATS=1, **extra)


@test("stats/healthy-then-wedged")
def healthy_then_wedged():
    with Scratch() as s:
        good = s.peer("tcp4", "drain")
        bad = s.peer("tcp4", "never")
        w = Wstats(stats_env())
        try:
            check(w.ask("conn " + good.addr) == "ok", "connect failed")
            check(w.ask("write 200 1000") == "ok 200000", "healthy writes failed")
            path = stats_path(w.pid)
            st, dst = os.lstat(path), os.lstat(os.path.dirname(path))
            check(stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.geteuid(),
                  "file mode %o uid %d" % (st.st_mode, st.st_uid))
            check(stat.S_ISDIR(dst.st_mode) and stat.S_IMODE(dst.st_mode) == 0o700, "directory mode %o" % dst.st_mode)
            got = human(w.pid)
            check(got["comm"] == "wstats", "comm %r" % got["comm"])
            # Exactly the program's 200 writes: its replies go to a pipe, which is not guarded.
            check(got["writes"] == 200 and got["bytes"] == 200000, "after 200 healthy writes: %s" % got)
            check(got["timeouts"] == 0 and got["blocked"] == 0 and not got["peers"], "nothing wedged yet: %s" % got)

            check(w.ask("conn " + bad.addr) == "ok", "connect failed")
            reply = w.ask("wedge", timeout=T_MS / 1000 + 5)
            check(reply is not None and reply.startswith("fail ETIMEDOUT"), "wedged write: %r" % reply)
            got = human(w.pid)
            port = bad.addr.rsplit(":", 1)[1]
            check(got["timeouts"] == 1 and got["kernel-timeouts"] == 0, "timeouts: %s" % got)
            check(got["blocked"] >= 1 and got["writes"] > 200 and got["bytes"] > 200000, "after the wedge: %s" % got)
            check(got["peers"] == {"127.0.0.1:" + port: 1}, "peers: %s" % got["peers"])

            rc, out, err = unwedge_stat(w.pid, "--prom")
            check(rc == 0, "--prom: rc %d %r" % (rc, err))
            samples, types = parse_prom(out)
            values = {}
            for name, labels, value in samples:
                check(labels.get("pid") == str(w.pid) and labels.get("comm") == "wstats", "labels %s" % labels)
                values[(name, labels.get("peer"))] = value
            for c, metric in METRICS.items():
                check(values.get((metric, None)) == got[c], "%s: %s vs %s" % (metric, values.get((metric, None)),
                                                                             got[c]))
            check(values.get(("unwedge_peer_wedged_writes_total", "127.0.0.1:" + port)) == 1, "peer metric: %s" % values)
            check(values.get(("unwedge_peer_wedged_writes_other_total", None)) == 0, "other peers: %s" % values)
        finally:
            out, err, rc = w.end()
    check(rc == 0, "wstats exit %s: %r" % (rc, err))
    check(not os.path.lexists(path), "the file was not removed at exit")


@test("stats/healthy-then-wedged/control")
def control():
    with Scratch() as s:
        bad = s.peer("tcp4", "never")
        w = Wstats(base_env())
        try:
            check(w.ask("conn " + bad.addr) == "ok", "connect failed")
            reply = w.ask("wedge", timeout=T_MS / 1000 + 1.5)
            check(reply is None, "without the preload the write did not hang: %r" % reply)
        finally:
            w.proc.kill()
            finish(w.proc, 10)


@test("stats/off-without-UNWEDGE_STATS")
def off():
    with Scratch() as s:
        good = s.peer("tcp4", "drain")
        for env in (preload_env(UNWEDGE_TIMEOUT="1s"), preload_env(UNWEDGE_TIMEOUT="1s", UNWEDGE_STATS="0")):
            w = Wstats(env)
            try:
                check(w.ask("conn " + good.addr) == "ok" and w.ask("write 3 10") == "ok 30", "writes failed")
                check(not os.path.lexists(stats_path(w.pid)), "a statistics file exists without UNWEDGE_STATS=1")
                rc, out, err = unwedge_stat(w.pid)
                check(rc == 1 and out == "" and err.count("\n") == 1 and "has no live statistics" in err
                      and "UNWEDGE_STATS=1" in err, "stat of a process without statistics: %d %r %r" % (rc, out, err))
            finally:
                w.end()
            good = s.peer("tcp4", "drain")


@test("stats/invalid-value")
def invalid():
    w = Wstats(preload_env(UNWEDGE_STATS="yes"))
    try:
        check(w.ask("write 0 0") == "ok 0", "the program did not run")
        check(not os.path.lexists(stats_path(w.pid)), "a file was created")
    finally:
        out, err, rc = w.end()
    check(rc == 0 and err.count("\n") == 1 and "UNWEDGE_STATS='yes' is invalid" in err and "0 or 1" in err,
          "message: %r" % err)


@test("stats/launcher-flag", production_only=True)
def launcher():
    p = spawn([LAUNCHER, "--stats", "1", "--timeout", "1s", "--", WSTATS], env=base_env(), stdin=subprocess.PIPE)
    try:
        p.stdin.write("write 0 0\n")
        p.stdin.flush()
        check(wait_for_line(p.stdout, "ok", 10), "no reply")
        check(os.path.isfile(stats_path(p.pid)), "--stats 1 made no file")
    finally:
        finish(p, 10)
    r = subprocess.run([LAUNCHER, "--stats", "2", "--", WSTATS], capture_output=True, text=True, timeout=20)
    check(r.returncode == 2 and "--stats='2'" in r.stderr, "bad flag: %d %r" % (r.returncode, r.stderr))


def fork_case(how):
    with Scratch() as s:
        mine, theirs = s.peer("tcp4", "drain"), s.peer("tcp4", "drain")
        w = Wstats(stats_env())
        try:
            check(w.ask("conn " + mine.addr) == "ok" and w.ask("write 10 100") == "ok 1000", "parent writes")
            reply = w.ask("%s conn %s;write 7 100" % (how, theirs.addr))
            m = re.fullmatch(r"child (\d+) ok\|ok 700", reply or "")
            check(m, "child: %r" % reply)
            child = int(m.group(1))
            parent, kid = human(w.pid), human(child)
            check(parent["writes"] == 10 and parent["bytes"] == 1000, "the parent counted the child's writes: %s"
                  % parent)
            check(kid["writes"] == 7 and kid["bytes"] == 700, "the child's own: %s" % kid)
            check(kid["comm"] == ("wstats" if how == "fork" else "wstats-exec"), "child comm %r" % kid["comm"])
            check(os.path.isfile(stats_path(child)), "no file of the child's own")
            check(w.ask("reap") == "reaped 0", "the child did not exit cleanly")
            check(not os.path.lexists(stats_path(child)), "the child's file was not removed at its exit")
            check(os.path.isfile(stats_path(w.pid)), "the child removed the parent's file")
            check(human(w.pid)["writes"] == 10, "parent after the child exited")
        finally:
            w.end()


test("stats/fork-without-exec")(lambda: fork_case("fork"))
test("stats/fork-then-exec")(lambda: fork_case("exec"))


@test("stats/exec-in-place")
def exec_in_place():
    """exec keeps the pid and the start time: the new program replaces the file with its own."""
    with Scratch() as s:
        good = s.peer("tcp4", "drain")
        w = Wstats(stats_env())
        try:
            check(w.ask("conn " + good.addr) == "ok" and w.ask("write 3 10") == "ok 30", "writes")
            before = os.stat(stats_path(w.pid)).st_ino
            w.proc.stdin.write("reexec\n")
            check(w.ask("write 0 0") == "ok 0", "the new image did not answer")
            got = human(w.pid)
            check(got["comm"] == "wstats-reexec" and got["writes"] == 0, "after exec: %s" % got)
            check(os.stat(stats_path(w.pid)).st_ino != before, "the old file was kept")
        finally:
            out, err, rc = w.end()
        check(rc == 0 and err == "" and not os.path.lexists(stats_path(w.pid)), "exit: %s %r" % (rc, err))


@test("stats/killed-process")
def killed():
    w = Wstats(stats_env())
    check(w.ask("write 0 0") == "ok 0", "no reply")
    path = stats_path(w.pid)
    w.proc.stdin.write("die\n")
    w.proc.stdin.flush()
    out, err, rc = finish(w.proc, 10)
    check(rc == -9, "wstats did not die of SIGKILL: %s" % rc)
    check(os.path.isfile(path), "the file of a killed process should still be there")
    rc, out, err = unwedge_stat(w.pid)
    check(rc == 1 and "is gone" in err and path in err, "stat of a killed process: %d %r" % (rc, err))
    check(not os.path.lexists(path), "the stale file was not removed")
    rc, out, err = unwedge_stat(w.pid)
    check(rc == 2 and "no process %d" % w.pid in err, "second look: %d %r" % (rc, err))


@test("stats/other-user-denied", production_only=True)
def other_user():
    """Another user cannot read a root process's statistics, and is told why."""
    check(os.geteuid() == 0 and shutil.which("setpriv"), "needs root and setpriv (util-linux)")
    w = Wstats(stats_env())
    try:
        check(w.ask("write 0 0") == "ok 0", "no reply")
        with Scratch() as s:
            os.chmod(s.dir, 0o755)
            tool = os.path.join(s.dir, "unwedge")
            shutil.copy(LAUNCHER, tool)
            nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", tool, "stat"]
            p = subprocess.run(nobody + [str(w.pid)], capture_output=True, text=True, timeout=20)
            check(p.returncode == 1 and "permission denied" in p.stderr and "run as root" in p.stderr,
                  "as nobody: %d %r" % (p.returncode, p.stderr))
            p = subprocess.run(nobody + ["--all", "--prom"], capture_output=True, text=True, timeout=20)
            check(p.returncode == 0 and "pid=\"%d\"" % w.pid not in p.stdout, "--all as nobody: %r" % p.stdout)
        check(human(w.pid)["writes"] == 0, "root reads it")
    finally:
        w.end()


@test("stats/bad-pid", production_only=True)
def bad_pid():
    for args in (["abc"], ["0"], ["-5"], ["12x"], ["99999999999"], [], ["1", "2"], ["--all", "1"], ["--bogus"]):
        rc, out, err = unwedge_stat(*args)
        check(rc == 2 and out == "" and err.strip(), "unwedge stat %s: rc %d %r %r" % (args, rc, out, err))
    rc, out, err = unwedge_stat(4194304 + 7)  # above any pid_max
    check(rc == 2 and "no process" in err, "no such process: %d %r" % (rc, err))


@test("stats/bad-argument-is-named", production_only=True)
def bad_argument_named():
    """Each bad argument is named in one line (then the hint to --help), not only the usage."""
    cases = [(["1", "2"], "one PID at a time: extra argument '2'"),
             (["-5"], "unknown option '-5'"),
             (["--bogus", "1"], "unknown option '--bogus'"),
             (["--all", "7"], "a PID or --all, not both: got --all and '7'"),
             ([], "no PID given"),
             ([""], "an empty argument"),
             (["\x1b[31m"], "'\\x1b[31m' is not a process id")]
    for args, want in cases:
        rc, out, err = unwedge_stat(*args)
        first = err.splitlines()[0] if err else ""
        check(rc == 2 and out == "" and first.startswith("unwedge: stat: ") and want in first
              and "usage:" not in err and len(err.splitlines()) <= 2,
              "unwedge stat %r: rc %d %r %r (want %r)" % (args, rc, out, err, want))


@test("stats/all")
def all_():
    with Scratch() as s:
        good = s.peer("tcp4", "drain")
        a, b = Wstats(stats_env()), Wstats(stats_env())
        try:
            check(a.ask("conn " + good.addr) == "ok" and a.ask("write 4 25") == "ok 100", "writes")
            check(b.ask("write 0 0") == "ok 0", "no reply")
            rc, out, err = unwedge_stat("--all", "--prom")
            check(rc == 0, "--all --prom: %d %r" % (rc, err))
            samples, _ = parse_prom(out)
            writes = {l["pid"]: v for n, l, v in samples if n == "unwedge_writes_total"}
            check(writes.get(str(a.pid)) == 4 and writes.get(str(b.pid)) == 0, "writes by pid: %s" % writes)
            rc, out, err = unwedge_stat("--all")
            check(rc == 0 and "pid %d (wstats)" % a.pid in out and "pid %d (wstats)" % b.pid in out, out)
        finally:
            a.end()
            b.end()


@test("stats/peer-table-overflow")
def overflow():
    """18 peers that never read, each wedging one write: 16 in the table, 2 in "other"."""
    listeners = []
    w = Wstats(stats_env(UNWEDGE_TIMEOUT="150ms"))
    try:
        for _ in range(18):
            l = socket.socket()
            l.bind(("127.0.0.1", 0))
            l.listen(1)  # never accepted: the connection's data sits unread
            listeners.append(l)
            check(w.ask("conn tcp4:127.0.0.1:%d" % l.getsockname()[1]) == "ok", "connect failed")
            reply = w.ask("wedge", timeout=5)
            check(reply and reply.startswith("fail ETIMEDOUT"), "wedge: %r" % reply)
        got = human(w.pid)
        rc, out, err = unwedge_stat(w.pid, "--prom")
        samples, _ = parse_prom(out)
    finally:
        w.end()
        for l in listeners:
            l.close()
    check(got["timeouts"] == 18 and len(got["peers"]) == 16 and set(got["peers"].values()) == {1},
          "table: %s" % got)
    other = [v for n, l, v in samples if n == "unwedge_peer_wedged_writes_other_total"]
    check(other == [2], "other: %s" % other)


def call_case(call):
    total = 3 << 20
    with Scratch() as s:
        good = s.peer("tcp4", "drain")
        p = spawn([WCLIENT, good.addr, call] + [str(a) for a in ("--total", total, "--chunk", 256 << 10, "--hold-ms", 2000)],
                  env=stats_env())
        try:
            got, deadline = None, time.time() + 1.8
            while time.time() < deadline:
                rc, out, err = unwedge_stat(p.pid)
                if rc == 0:
                    got = human(p.pid)
                    if got["bytes"] >= total:
                        break
                time.sleep(0.05)
            check(got is not None, "no statistics from wclient: %r" % err)
            check(got["bytes"] == total and got["writes"] >= 1, "%s: want bytes == %d: %s" % (call, total, got))
        finally:
            out, err, rc = finish(p, 10)  # after the hold, it exits normally and removes its file
    check(rc == 0 and not os.path.lexists(stats_path(p.pid)), "wclient: rc %s, file left: %r" % (rc, err))


for _call in ("write", "writev", "send", "sendto", "sendmsg", "sendmmsg", "sendfile", "splice"):
    test("stats/counts/%s" % _call)(lambda call=_call: call_case(call))


@test("stats/kernel-user-timeout")
def kernel_timeout():
    with Scratch() as s:
        bad = s.peer("tcp4", "never")
        w = Wstats(stats_env(UNWEDGE_TIMEOUT="10s", UNWEDGE_TCP_USER_TIMEOUT="1s"))
        try:
            check(w.ask("conn " + bad.addr) == "ok", "connect failed")
            reply = w.ask("wedge", timeout=8)
            check(reply and reply.startswith("fail ETIMEDOUT"), "wedge: %r" % reply)
            got = human(w.pid)
        finally:
            out, err, rc = w.end()
    check(got["kernel-timeouts"] == 1 and got["timeouts"] == 0 and sum(got["peers"].values()) == 1,
          "the kernel's user timeout: %s (log: %r)" % (got, err))


def blocked_then_resumed(env, hold_s):
    """16 MiB to a peer that reads nothing for hold_s seconds, then everything."""
    with Scratch() as s:
        peer = s.peer("tcp4", "hold-then-drain")
        w = Wstats(env)
        try:
            check(w.ask("conn " + peer.addr) == "ok", "connect failed")
            w.proc.stdin.write("write 16 1048576\n")
            w.proc.stdin.flush()
            time.sleep(hold_s)
            peer.resume()
            reply = wait_for_line(w.proc.stdout, "", 10)
            check(reply and reply.strip() == "ok %d" % (16 << 20), "the writes: %r" % reply)
            got = human(w.pid)
        finally:
            out, err, rc = w.end()
        res, _, _ = peer.result()
    check(res and res["read"] == 16 << 20 and res["pattern_ok"], "the peer read %s" % res)
    return got, err, peer.addr.rsplit(":", 1)[1]


@test("stats/observe-mode")
def observe():
    """Observe mode changes nothing: a write blocked past the deadline is counted as crossed, with its peer."""
    got, err, port = blocked_then_resumed(stats_env(UNWEDGE_MODE="observe", UNWEDGE_TIMEOUT="500ms"), 1.3)
    check(got["deadline-crossed"] >= 1 and got["timeouts"] == 0 and got["blocked"] >= 1, "counters: %s" % got)
    check(got["peers"] == {"127.0.0.1:" + port: got["deadline-crossed"]}, "peers: %s" % got["peers"])
    check("deadline" in err, "no deadline-crossed line logged: %r" % err)


@test("stats/slow-writes")
def slow():
    """UNWEDGE_WARN_AFTER: a write that blocked longer, then finished in time, is counted as slow."""
    got, err, _ = blocked_then_resumed(stats_env(UNWEDGE_WARN_AFTER="300ms", UNWEDGE_TIMEOUT="10s"), 1.0)
    check(got["slow"] >= 1 and got["timeouts"] == 0 and got["deadline-crossed"] == 0 and not got["peers"],
          "counters: %s" % got)


def in_namespace(scenario):
    p = subprocess.run(["unshare", "--pid", "--fork", "--mount", "true"], capture_output=True)
    check(p.returncode == 0, "unshare --pid --mount failed (needs root): %s" % p.stderr.decode().strip())
    with Scratch() as s:
        p = subprocess.run(["unshare", "--pid", "--fork", "--mount", "--mount-proc", "--propagation", "private",
                            sys.executable, NS_DRIVER, scenario, BUILD, preload_value(), s.dir],
                           capture_output=True, text=True, timeout=60, env=base_env())
    check(p.returncode == 0, "the scenario failed: %r %r" % (p.stdout[-2000:], p.stderr[-2000:]))
    return json.loads(p.stdout.strip().splitlines()[-1])


def counted(text, name):
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == name:
            return int(parts[1])
    return None


@test("stats/reused-pid")
def reused_pid():
    r = in_namespace("reuse")
    check(r["a_write"] == "ok 1000" and counted(r["a_stat"]["out"], "writes") == 10, "A: %s" % r)
    check(r["a_file_left"], "A died by SIGKILL: its file should remain")
    check(r["c_same_pid"] and r["b_same_pid"] and r["d_same_pid"], "could not reuse the pid: %s" % r)
    # C, a new process at A's pid, replaced A's file: its own counters.
    check(r["c_stat"]["rc"] == 0 and counted(r["c_stat"]["out"], "writes") == 0, "C: %s" % r["c_stat"])
    # B, without statistics, at the pid C died with: C's file is stale.
    b = r["b_stat"]
    check(b["rc"] == 1 and "earlier process with the same pid" in b["err"] and "has no live statistics" in b["err"],
          "B: %s" % b)
    check(not r["b_file_left"], "the stale file was not removed")
    d = r["dead_stat"]
    check(d["rc"] == 1 and "is gone" in d["err"] and not r["dead_file_left"], "dead D: %s" % d)


@test("stats/planted-symlink")
def planted_symlink():
    r = in_namespace("symlink")
    check(r["same_pid"], "could not choose the pid: %s" % r)
    check(r["target"] == "precious\n" and r["target_is_file"], "the symbolic link was followed: %s" % r)
    check(r["path_is_file"], "the link was not replaced by the process's own file")
    check(r["stat"]["rc"] == 0 and counted(r["stat"]["out"], "writes") == 3, "stat: %s" % r["stat"])
    check(r["stderr"] == "", "stderr: %r" % r["stderr"])


@test("stats/planted-directory")
def planted_directory():
    r = in_namespace("bad-dir")
    for case, got in r["cases"].items():
        check(got["conn"] == "ok" and got["write"] == "ok 20" and got["rc"] == 0,
              "%s: the program must run on: %s" % (case, got))
        check(got["files"] == [], "%s: a file was created: %s" % (case, got["files"]))
        check(got["stderr"].count("\n") == 1 and "live statistics are off" in got["stderr"]
              and "/dev/shm/unwedge-0" in got["stderr"], "%s: message %r" % (case, got["stderr"]))
        check(got["stat"]["rc"] == 1, "%s: stat %s" % (case, got["stat"]))


@test("stats/untrusted-file")
def untrusted_file():
    r = in_namespace("untrusted-file")
    check(r["stat"]["rc"] == 1 and "owned by a user the process does not run as" in r["stat"]["err"],
          "another user's file about a root process was believed: %s" % r["stat"])
    # In the right place, with the right pid and start time, but not mapped by the process.
    check(r["stat_root_dir"]["rc"] == 1 and "does not map it" in r["stat_root_dir"]["err"],
          "a file the process does not map was believed: %s" % r["stat_root_dir"])
