"""`unwedge rescue PID`: real programs started without any preload (a C
client, a Python sendall), blocked in a write to a peer that never reads. The
control: without rescue each is still blocked long after it stalled. With
rescue the write fails within 1.5 s of the command (ECONNABORTED: SOCK_DESTROY),
the program's own error handling runs and it exits normally (no SIGPIPE: both
keep SIGPIPE at its default action). Also: --dry-run changes nothing, a healthy
transfer continues byte-exact, --tcp-user-timeout protects the other sockets,
a caller without the right to ptrace gets one line and changes nothing, a
caller of the same user without CAP_NET_ADMIN falls back to a user timeout
(ETIMEDOUT), and a process in another network namespace is reached."""

import json
import os
import subprocess
import sys
import time

from harness import LAUNCHER, ROOT, WCLIENT, WPEER, Scratch, base_env, check, finish, json_line, spawn, test, \
    wait_for_line
from netns_support import Netns, cgroup2_root, remove_cgroups

PY_WRITER = os.path.join(ROOT, "tests", "helpers", "py_blocked_writer.py")
GO_WRITER = os.path.join(ROOT, "build", "tests", "gowriter")
ABORTED = "Software caused connection abort"  # ECONNABORTED as wclient spells it
AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def rescue(pid, *args, prefix=()):
    p = subprocess.run(list(prefix) + [LAUNCHER, "rescue", str(pid)] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout, p.stderr


def records(out):
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def wait_stuck(pid, older="1s", timeout=10, prefix=()):
    """Asks rescue --dry-run until it calls a socket of pid stuck; returns its record."""
    end = time.time() + timeout
    while time.time() < end:
        rc, out, err = rescue(pid, "--dry-run", "--json", "--older-than", older, prefix=prefix)
        stuck = [r for r in records(out) if r["action"] == "destroy"]
        if stuck:
            return stuck[0]
        time.sleep(0.2)
    raise AssertionError("rescue --dry-run never saw a stuck socket in %d: %s %s" % (pid, out, err))


def c_writer(s, prefix=(), kind="tcp4"):
    peer = s.peer(kind, "never")
    return peer, spawn(list(prefix) + [WCLIENT, peer.addr, "write"], env=base_env())


def py_writer(s, kind="tcp4", *args):
    peer = s.peer(kind, "never")
    return peer, spawn([sys.executable, PY_WRITER, peer.addr] + list(args), env=base_env())


def control_still_blocked(proc, seconds):
    """The control: the same process, not rescued, is still blocked."""
    time.sleep(seconds)
    check(proc.poll() is None, "the write ended by itself (rc %s): no wedge to rescue" % proc.poll())


def rescued_within(proc, margin_s, *rescue_args, prefix=()):
    t0 = time.time()
    rc, out, err = rescue(proc.pid, "--older-than", "1s", *rescue_args, prefix=prefix)
    pout, perr, prc = finish(proc, margin_s + 3)
    took = time.time() - t0
    check(prc is not None, "still blocked %.1f s after rescue (rc %d): %s %s" % (took, rc, out, err))
    check(prc == 0, "the program did not exit normally: rc %s (-13 is SIGPIPE): %s" % (prc, perr))
    check(took <= margin_s, "the write failed %.2f s after the command, want <= %.1f s" % (took, margin_s))
    return rc, out, err, pout


@test("rescue/c/zero-window")
def c_zero_window():
    with Scratch() as s:
        _, proc = c_writer(s)
        rec = wait_stuck(proc.pid)
        check(rec["cause"] == "zero-window" and rec["pending"] > 0, "dry run: %s" % rec)
        control_still_blocked(proc, 2)
        rc, out, err, pout = rescued_within(proc, 1.5)
        check(rc == 0 and "aborted (SOCK_DESTROY)" in out, "rescue said (rc %d): %s %s" % (rc, out, err))
        res = json_line(pout, '"calls"')
        check(res is not None and res["errno"] == ABORTED, "the program's error: %s" % pout)


@test("rescue/c/zero-window-tcp6")
def c_zero_window_tcp6():
    with Scratch() as s:
        _, proc = c_writer(s, kind="tcp6")
        rec = wait_stuck(proc.pid)
        check(rec["kind"] == "tcp6" and rec["local"].startswith("[::1]:"), "dry run: %s" % rec)
        control_still_blocked(proc, 1)
        rc, out, err, pout = rescued_within(proc, 1.5, "--fd", rec["fd"])
        check(rc == 0 and "aborted (SOCK_DESTROY)" in out, "rescue said (rc %d): %s %s" % (rc, out, err))
        check((json_line(pout, '"calls"') or {}).get("errno") == ABORTED, "the program's error: %s" % pout)
        rc, out, err = rescue(os.getpid(), "--fd", "999", "--dry-run")
        check(rc == 1 and "no socket at that descriptor" in err, "--fd 999: %d %r" % (rc, err))


@test("rescue/python/zero-window")
def python_zero_window():
    with Scratch() as s:
        _, proc = py_writer(s)
        wait_stuck(proc.pid)
        control_still_blocked(proc, 2)
        rc, out, err, pout = rescued_within(proc, 1.5, "--json")
        recs = [r for r in records(out) if r["action"] == "destroy"]
        check(rc == 0 and len(recs) == 1 and recs[0]["ok"], "rescue said (rc %d): %s %s" % (rc, out, err))
        res = json_line(pout, '"errno"')
        check(res is not None and res["errno"] == "ECONNABORTED", "the program's error handler: %s" % pout)


def black_hole(argv_of, errno_of):
    """A writer in a namespace of its own whose peer's packets all disappear."""
    with Netns() as ns, Scratch() as s:
        _, addr = ns.blackhole_peer(s.dir)
        proc = spawn(ns.enter + argv_of(addr), env=base_env())
        time.sleep(0.4)
        method = ns.blackhole()
        rec = wait_stuck(proc.pid)
        check(rec["cause"] == "no-ack", "%s: dry run: %s" % (method, rec))
        control_still_blocked(proc, 2)
        rc, out, err, pout = rescued_within(proc, 1.5)
        check(rc == 0 and "aborted (SOCK_DESTROY)" in out, "%s: rescue said (rc %d): %s %s" % (method, rc, out, err))
        check(errno_of(pout), "%s: the program's error: %s" % (method, pout))


@test("rescue/c/black-hole")
def c_black_hole():
    black_hole(lambda addr: [WCLIENT, addr, "write", "--delay-ms", "300"],
               lambda out: (json_line(out, '"calls"') or {}).get("errno") == ABORTED)


@test("rescue/python/black-hole")
def python_black_hole():
    # The writer connects at once and sendall's 1 MiB chunks; the drop comes 0.4 s later.
    black_hole(lambda addr: [sys.executable, PY_WRITER, addr],
               lambda out: (json_line(out, '"errno"') or {}).get("errno") == "ECONNABORTED")


def go_writer_binary():
    """build/tests/gowriter, built on first use (make check does not list it yet)."""
    if not os.path.exists(GO_WRITER):
        env = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/lib/go/bin")
        p = subprocess.run(["make", "-C", ROOT, "build/tests/gowriter"], capture_output=True, text=True, timeout=300,
                           env=env)
        check(p.returncode == 0, "cannot build the Go writer (needs go): %s" % p.stderr[-1000:])
    return GO_WRITER


@test("rescue/go/zero-window")
def go_zero_window():
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        proc = spawn([go_writer_binary(), peer.addr.split(":", 1)[1]], env=base_env())
        rec = wait_stuck(proc.pid)
        check(rec["cause"] == "zero-window", "dry run: %s" % rec)
        control_still_blocked(proc, 2)
        rc, out, err, pout = rescued_within(proc, 1.5)
        check(rc == 0 and "aborted (SOCK_DESTROY)" in out, "rescue said (rc %d): %s %s" % (rc, out, err))
        res = json_line(pout, '"errno"')
        check(res is not None and res["errno"] == "ECONNABORTED", "the Go program's error: %s" % pout)


@test("rescue/go/black-hole")
def go_black_hole():
    black_hole(lambda addr: [go_writer_binary(), addr.split(":", 1)[1]],
               lambda out: (json_line(out, '"errno"') or {}).get("errno") == "ECONNABORTED")


@test("rescue/dry-run-acts-on-nothing")
def dry_run():
    with Scratch() as s:
        _, proc = c_writer(s)
        wait_stuck(proc.pid)
        for _ in range(3):
            rc, out, err = rescue(proc.pid, "--dry-run", "--older-than", "1ms", "--tcp-user-timeout", "1s")
            check(rc == 0 and "would abort it (dry run)" in out, "dry run said (rc %d): %s %s" % (rc, out, err))
        control_still_blocked(proc, 2)
        out, err, rc = finish(proc, 0.1)
        check(rc is None, "the process was changed by a dry run: %s" % out)


@test("rescue/healthy-transfer-unchanged")
def healthy():
    total = 16 << 20
    with Scratch() as s:
        peer = s.peer("tcp4", "slow:4000000")
        proc = spawn([WCLIENT, peer.addr, "write", "--chunk", "65536", "--total", str(total)], env=base_env())
        time.sleep(1.0)
        rc, out, err = rescue(proc.pid, "--older-than", "1s", "--json")
        plain = records(out)
        check(rc == 0 and len(plain) == 1 and plain[0]["action"] == "none" and plain[0]["ok"], "plain: %s %s" % (out, err))
        time.sleep(0.5)
        rc, out, err = rescue(proc.pid, "--older-than", "1s", "--json", "--tcp-user-timeout", "7s")
        pout, perr, prc = finish(proc, 20)
        got, _, _ = peer.result()
    recs = records(out)
    check(rc == 0 and len(recs) == 1, "rescue said (rc %d): %s %s" % (rc, out, err))
    # Data was waiting (a slow reader, mid-transfer), yet it was not called stuck.
    check(recs[0]["pending"] > 0 and recs[0]["stalled_ms"] < 1000, "not mid-transfer: %s" % recs[0])
    check(recs[0]["action"] == "user-timeout" and recs[0]["ok"], "healthy socket: %s" % recs[0])
    res = json_line(pout, '"calls"')
    check(prc == 0 and res and res["bytes"] == total and res["errno"] == "0", "the writer: %s %s" % (pout, perr))
    check(res["uto_end"] == 7000, "--tcp-user-timeout 7s did not reach the socket: %s" % res["uto_end"])
    check(got and got["read"] == total and got["pattern_ok"], "the peer read %s" % got)


@test("rescue/no-right-to-ptrace")
def no_right():
    with Scratch() as s:
        _, proc = c_writer(s)
        wait_stuck(proc.pid)
        rc, out, err = rescue(proc.pid, "--older-than", "1ms", prefix=AS_NOBODY)
        lines = err.strip().splitlines()
        check(rc == 1 and out == "" and len(lines) == 1, "want exit 1 and one line, got %d: %r %r" % (rc, out, err))
        check("no right to ptrace process %d" % proc.pid in lines[0] and "nothing was changed" in lines[0],
              "the line: %s" % lines[0])
        control_still_blocked(proc, 1)


@test("rescue/same-user-falls-back-to-user-timeout")
def same_user():
    # Target and rescue both run as nobody: ptrace is allowed, SOCK_DESTROY is
    # not (no CAP_NET_ADMIN), so rescue sets a 1 ms user timeout; the write
    # fails with ETIMEDOUT at the connection's next window probe.
    with Scratch() as s:
        os.chmod(s.dir, 0o755)
        _, proc = c_writer(s, prefix=AS_NOBODY)
        wait_stuck(proc.pid, prefix=AS_NOBODY)
        control_still_blocked(proc, 1)
        rc, out, err, pout = rescued_within(proc, 4, prefix=AS_NOBODY)
        check(rc == 0 and "1ms user timeout set (SOCK_DESTROY: no CAP_NET_ADMIN" in out, "rescue said: %s %s" % (out, err))
        res = json_line(pout, '"calls"')
        check(res is not None and res["errno"] == "ETIMEDOUT", "the program's error: %s" % pout)


NETNS_SCRIPT = """ip link set lo up || exit 90
d=$(mktemp -d)
"$1" tcp4:127.0.0.1:0 never --portfile "$d/port" >/dev/null &
peer=$!
i=0; while [ ! -s "$d/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
"$2" "tcp4:127.0.0.1:$(cat "$d/port")" write &
echo "CLIENT $! $peer"
wait $!
echo "RC $?"
kill $peer; rm -rf "$d"
"""


@test("rescue/other-network-namespace")
def other_netns():
    check(os.geteuid() == 0, "needs root (a network namespace of its own)")
    sh = spawn(["unshare", "-n", "sh", "-c", NETNS_SCRIPT, "sh", WPEER, WCLIENT], env=base_env())
    line = sh.stdout.readline()
    check(line.startswith("CLIENT "), "no client started: %r" % line)
    pid, peer = int(line.split()[1]), int(line.split()[2])
    try:
        wait_stuck(pid)
        t0 = time.time()
        rc, out, err = rescue(pid, "--older-than", "1s")
        check(rc == 0 and "aborted (SOCK_DESTROY)" in out, "rescue said (rc %d): %s %s" % (rc, out, err))
        rest, serr, src = finish(sh, 5)
        check(src is not None and "RC 0" in rest and ABORTED in rest, "the client in the namespace: %s" % rest)
        check(time.time() - t0 <= 1.5 + 0.5, "took %.1f s" % (time.time() - t0))
    finally:
        for p in (pid, peer):  # ours, started by the script above
            try:
                os.kill(p, 9)
            except ProcessLookupError:
                pass


def wait_unix_blocked(proc, timeout=5):
    """Until rescue sees data waiting on the process's unix socket."""
    end = time.time() + timeout
    while time.time() < end:
        rc, out, err = rescue(proc.pid, "--dry-run", "--json", "--older-than", "200ms")
        # Called stuck: either acted on (dry run) or refused for SIGPIPE.
        stuck = [r for r in records(out) if r["kind"] == "unix-stream" and r["pending"] > 0 and
                 (r["action"] == "shutdown" or "SIGPIPE" in r["result"])]
        if stuck:
            return stuck[0]
        time.sleep(0.2)
    raise AssertionError("no blocked unix writer in %d: %s %s" % (proc.pid, out, err))


@test("rescue/unix/sigpipe-ignored-shutdown")
def unix_ignored():
    # Python ignores SIGPIPE: shutdown(SHUT_WR) on its socket is safe, and its
    # blocked sendall fails with EPIPE.
    with Scratch() as s:
        _, proc = py_writer(s, "unix", "--sigpipe-ignored")
        rec = wait_unix_blocked(proc)
        check(rec["action"] == "shutdown" and "would shut it down" in rec["result"], "dry run: %s" % rec)
        control_still_blocked(proc, 1.5)
        rc, out, err, pout = rescued_within(proc, 1.5 + 1, "--json")  # + the 1 s look at AF_UNIX sockets
        recs = [r for r in records(out) if r["action"] == "shutdown"]
        check(rc == 0 and len(recs) == 1 and "SIGPIPE is ignored" in recs[0]["result"], "rescue: %s %s" % (out, err))
        check("peer: pid %d (wpeer)" % s.peers[0].proc.pid in recs[0]["result"], "peer not named: %s" % recs[0])
        res = json_line(pout, '"errno"')
        check(res is not None and res["errno"] == "EPIPE", "the program's error handler: %s" % pout)


@test("rescue/unix/sigpipe-not-ignored-needs-force")
def unix_not_ignored():
    with Scratch() as s:
        peer = s.peer("unix", "never")
        proc = spawn([WCLIENT, peer.addr, "write"], env=base_env())
        wait_unix_blocked(proc)
        rc, out, err = rescue(proc.pid, "--older-than", "200ms")
        check(rc == 1 and "would raise SIGPIPE, which this process does not ignore; --force" in out,
              "without --force (rc %d): %s %s" % (rc, out, err))
        control_still_blocked(proc, 1)
        rc, out, err = rescue(proc.pid, "--older-than", "200ms", "--force")
        check(rc == 0 and "shut down for writing (--force)" in out, "with --force (rc %d): %s %s" % (rc, out, err))
        _, _, prc = finish(proc, 3)
        check(prc == -13, "--force was said to raise SIGPIPE: rc %s" % prc)


@test("rescue/bad-input")
def bad_input():
    for args, needle in [([], "no PID given"), (["notapid"], "PID 'notapid' is invalid"),
                         (["1", "--older-than", "5"], "--older-than '5' is invalid"),
                         (["1", "--bogus"], "unknown option --bogus"), (["1", "--fd"], "--fd needs a value")]:
        p = subprocess.run([LAUNCHER, "rescue"] + args, capture_output=True, text=True, timeout=10)
        check(p.returncode == 2 and needle in p.stderr and len(p.stderr.strip().splitlines()) <= 2,
              "%s: rc %d %r" % (args, p.returncode, p.stderr))
    p = subprocess.run([LAUNCHER, "rescue", "999999999"], capture_output=True, text=True, timeout=10)
    check(p.returncode == 1 and "no process 999999999" in p.stderr, "missing pid: %d %r" % (p.returncode, p.stderr))
    # A thread's id: the process's is named.
    tids = [int(t) for t in os.listdir("/proc/self/task") if int(t) != os.getpid()]
    check(tids, "the test runner has no other thread")
    p = subprocess.run([LAUNCHER, "rescue", str(tids[0]), "--dry-run"], capture_output=True, text=True, timeout=10)
    check(p.returncode == 1 and "%d is a thread of process %d" % (tids[0], os.getpid()) in p.stderr,
          "a thread id: %d %r" % (p.returncode, p.stderr))


@test("rescue/keepalive-on-idle-connection")
def keepalive():
    with Scratch() as s:
        peer = s.peer("tcp4", "drain")
        proc = spawn([WCLIENT, peer.addr, "write", "--total", "1000", "--hold-ms", "20000"], env=base_env())
        time.sleep(0.5)
        rc, out, err = rescue(proc.pid, "--json", "--tcp-user-timeout", "5s", "--keepalive", "30s,5s,3")
        recs = records(out)
        check(rc == 0 and len(recs) == 1 and recs[0]["pending"] == 0, "rescue: %s %s" % (out, err))
        check("5000ms user timeout set, keepalive 30s,5s,3 set" in recs[0]["result"], "result: %s" % recs[0])
        ss = subprocess.run(["ss", "-tnoH", "src", recs[0]["local"]], capture_output=True, text=True, timeout=10).stdout
        check("timer:(keepalive,29sec" in ss or "timer:(keepalive,30sec" in ss, "no keepalive timer: %r" % ss)
        proc.kill()
        rc, out, err = rescue(os.getpid(), "--keepalive", "30,5,3")
        check(rc == 2 and "--keepalive" in err, "a bad keepalive: %d %r" % (rc, err))


@test("rescue/cgroup-attaches-for-new-connections")
def cgroup_attach():
    root = cgroup2_root()
    check(os.geteuid() == 0 and root, "needs root and cgroup v2")
    if not os.path.ismount("/sys/fs/bpf"):
        subprocess.run(["mount", "-t", "bpf", "bpf", "/sys/fs/bpf"], check=True, timeout=10)
    cg = os.path.join(root, "unwedge-rescue-test.%d" % os.getpid())
    os.mkdir(cg)
    join = 'echo $$ > "$1/cgroup.procs" && exec "$@"'
    procs = []
    try:
        with Scratch() as s:
            peer = s.peer("tcp4", "drain")
            target = spawn(["sh", "-c", join.replace('"$@"', '"$2" "$3" write --total 1000 --hold-ms 20000'), "sh",
                            cg, WCLIENT, peer.addr], env=base_env())
            other = spawn(["sh", "-c", join.replace('"$@"', "sleep 30"), "sh", cg], env=base_env())
            procs += [target, other]
            time.sleep(0.5)
            rc, out, err = rescue(target.pid, "--tcp-user-timeout", "3s", "--cgroup", "--dry-run")
            check(rc == 0 and "also holds pid %d (sleep)" % other.pid in out and "would attach" in out,
                  "dry run: %s %s" % (out, err))
            rc, out, err = rescue(target.pid, "--tcp-user-timeout", "3s", "--cgroup")
            check(rc == 0 and "attached with tcp-user-timeout=3000ms" in out, "rescue --cgroup: %s %s" % (out, err))
            rc, out, err = rescue(target.pid, "--tcp-user-timeout", "3s", "--cgroup", "--json")
            lines = [json.loads(x) for x in out.splitlines()]  # every line is JSON
            last = lines[-1]
            check(rc == 0 and last["cgroup"] == cg[len(root):] and last["ok"] and
                  [o["pid"] for o in last["others"]] == [other.pid] and "updated to" in last["result"],
                  "rescue --cgroup --json: %s %s" % (out, err))
            # A new connection made in that cgroup now gets the user timeout.
            probe = subprocess.run(["sh", "-c", join.replace('"$@"', '"$2" options'), "sh", cg,
                                    os.path.join(os.path.dirname(WCLIENT), "utoprobe")],
                                   capture_output=True, text=True, timeout=20)
            check(json.loads(probe.stdout)["active_after_connect"] == 3000, "new connection: %s" % probe.stdout)
            if open("/proc/self/cgroup").read().strip().endswith("::/"):
                rc, out, err = rescue(os.getpid(), "--tcp-user-timeout", "3s", "--cgroup", "--dry-run")
                check(rc == 1 and "the root cgroup" in err and "not attached" in err, "root cgroup: %d %r" % (rc, err))
    finally:
        subprocess.run([LAUNCHER, "cgroup", "detach", "--path", cg], capture_output=True, timeout=20)
        for p in procs:
            p.kill()
            p.wait(timeout=10)
        remove_cgroups(cg)


@test("rescue/kernel-without-pidfd")
def old_kernel():
    # What a kernel older than 5.6 (no pidfd_getfd, 438) or 5.3 (no pidfd_open,
    # 434) answers, from a seccomp filter: one line each, nothing changed.
    nosys = os.path.join(os.path.dirname(WCLIENT), "wnosys")
    with Scratch() as s:
        _, proc = c_writer(s)
        wait_stuck(proc.pid)
        for nrs, needle in [("438", "no pidfd_getfd (Linux 5.6 or later needed); nothing was changed"),
                            ("434,438", "no pidfd_open (Linux 5.3 or later needed)")]:
            rc, out, err = rescue(proc.pid, "--older-than", "1s", prefix=[nosys, nrs])
            check(rc == 1 and out == "" and len(err.strip().splitlines()) == 1 and needle in err,
                  "%s: rc %d %r %r" % (nrs, rc, out, err))
        control_still_blocked(proc, 0.5)


@test("rescue/thread-with-own-descriptor-table")
def own_fd_table():
    helper = os.path.join(ROOT, "tests", "helpers", "py_thread_fdtable.py")
    proc = spawn([sys.executable, helper], env=base_env(), stdin=subprocess.PIPE)
    try:
        info = json.loads(wait_for_line(proc.stdout, "{", 10) or "{}")
        check("port" in info, "the helper could not unshare its table: %s" % info)
        rc, out, err = rescue(proc.pid, "--dry-run", "--json")
        mine = [r for r in records(out) if r["local"] == "127.0.0.1:%d" % info["port"]]
        check(rc == 0 and len(mine) == 1 and mine[0]["fd"] == info["fd"],
              "the thread's own socket (fd %d, port %d) not listed: %s %s" % (info["fd"], info["port"], out, err))
    finally:
        proc.kill()
        proc.communicate(timeout=10)
