"""Live-statistics scenarios that need chosen pids, run by test_stats.py inside
`unshare --pid --fork --mount --mount-proc`: a private tmpfs on /dev/shm (the
host's is untouched) and a pid namespace of our own, where writing
/proc/sys/kernel/ns_last_pid makes the next process get the pid we want.

    stats_ns.py SCENARIO BUILD_DIR LD_PRELOAD_VALUE SCRATCH_DIR

Prints one JSON line of observations; the test judges them."""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

scenario, build, preload, scratch = sys.argv[1:5]
WSTATS = os.path.join(build, "tests", "wstats")
UNWEDGE = os.path.join(build, "unwedge")
SHM = "/dev/shm/unwedge-0"
out = {}


def env(stats=True):
    e = {k: v for k, v in os.environ.items() if not k.startswith("UNWEDGE_") and k != "LD_PRELOAD"}
    e.update(LD_PRELOAD=preload, UNWEDGE_TIMEOUT="2s")
    if stats:
        e["UNWEDGE_STATS"] = "1"
    return e


def next_pid_is(pid):
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(pid - 1))


def wstats(stats=True):
    return subprocess.Popen([WSTATS], env=env(stats), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def ask(p, cmd):
    p.stdin.write(cmd + "\n")
    p.stdin.flush()
    return p.stdout.readline().strip()


def stat(pid):
    r = subprocess.run([UNWEDGE, "stat", str(pid)], capture_output=True, text=True, timeout=20)
    return {"rc": r.returncode, "out": r.stdout, "err": r.stderr}


def counter(text, name):
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == name:
            return int(parts[1])
    return None


def end(p):
    p.stdin.close()
    p.wait(timeout=10)


def kill(p):
    p.kill()
    p.wait(timeout=10)


def is_file(path):
    return os.path.lexists(path) and not os.path.islink(path) and os.path.isfile(path)


def drain(conn):
    while conn.recv(1 << 16):
        pass


def serve(listener):
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=drain, args=(conn,), daemon=True).start()


subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=1777", "tmpfs", "/dev/shm"], check=True)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
threading.Thread(target=serve, args=(listener,), daemon=True).start()
addr = "tcp4:127.0.0.1:%d" % listener.getsockname()[1]

if scenario == "reuse":
    # A writes, then dies by SIGKILL: its file stays.
    a = wstats()
    pid = a.pid
    out["a_conn"] = ask(a, "conn " + addr)
    out["a_write"] = ask(a, "write 10 100")
    out["a_stat"] = stat(pid)
    kill(a)
    out["a_file_left"] = is_file("%s/%d" % (SHM, pid))
    time.sleep(0.05)  # another start time, in clock ticks
    # C gets the same pid, with statistics: a fresh file, not A's counters.
    next_pid_is(pid)
    c = wstats()
    out["c_same_pid"] = c.pid == pid
    out["c_reply"] = ask(c, "write 0 0")  # an answer means its constructor ran
    out["c_stat"] = stat(pid)
    kill(c)
    time.sleep(0.05)
    # B gets the pid again, without statistics: C's file is stale.
    next_pid_is(pid)
    b = wstats(stats=False)
    out["b_same_pid"] = b.pid == pid
    ask(b, "write 0 0")
    out["b_stat"] = stat(pid)
    out["b_file_left"] = os.path.lexists("%s/%d" % (SHM, pid))
    end(b)
    # And once the pid is free: a dead process's file.
    os.makedirs(SHM, exist_ok=True)
    next_pid_is(pid)
    d = wstats()
    out["d_same_pid"] = d.pid == pid
    ask(d, "write 0 0")
    kill(d)
    out["dead_stat"] = stat(pid)
    out["dead_file_left"] = os.path.lexists("%s/%d" % (SHM, pid))

elif scenario == "symlink":
    os.mkdir(SHM, 0o700)
    target = os.path.join(scratch, "target")
    with open(target, "w") as f:
        f.write("precious\n")
    probe = wstats(stats=False)
    pid = probe.pid + 10
    end(probe)
    os.symlink(target, "%s/%d" % (SHM, pid))
    next_pid_is(pid)
    p = wstats()
    out["same_pid"] = p.pid == pid
    out["conn"] = ask(p, "conn " + addr)
    out["write"] = ask(p, "write 3 100")
    out["target"] = open(target, "rb").read().decode(errors="replace")
    out["target_is_file"] = is_file(target)
    out["path_is_file"] = is_file("%s/%d" % (SHM, pid))
    out["stat"] = stat(pid)
    end(p)
    out["stderr"] = p.stderr.read()

elif scenario == "bad-dir":
    # The directory itself planted: a symbolic link, another user's, or writable by others.
    elsewhere = os.path.join(scratch, "elsewhere")
    os.mkdir(elsewhere, 0o700)
    cases = {}
    for case in ("symlink", "other-owner", "world-writable"):
        if os.path.islink(SHM):
            os.unlink(SHM)
        elif os.path.exists(SHM):
            shutil.rmtree(SHM)
        if case == "symlink":
            os.symlink(elsewhere, SHM)
        else:
            os.mkdir(SHM)
            os.chmod(SHM, 0o700 if case == "other-owner" else 0o777)
            if case == "other-owner":
                os.chown(SHM, 65534, 65534)
        p = wstats()
        got = {"conn": ask(p, "conn " + addr), "write": ask(p, "write 2 10")}
        got["stat"] = stat(p.pid)
        got["files"] = sorted(os.listdir(elsewhere if case == "symlink" else SHM))
        end(p)
        got["stderr"] = p.stderr.read()
        got["rc"] = p.returncode
        cases[case] = got
    out["cases"] = cases

elif scenario == "untrusted-file":
    # Another user's directory holding a file that claims to be a root process's statistics.
    p = wstats()
    ask(p, "write 0 0")
    real = open("%s/%d" % (SHM, p.pid), "rb").read()
    kill(p)
    q = wstats(stats=False)
    ask(q, "write 0 0")
    fake = bytearray(real)
    fake[16:20] = q.pid.to_bytes(4, "little")  # pid
    with open("/proc/%d/stat" % q.pid) as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    fake[24:32] = ticks.to_bytes(8, "little")  # start_ticks
    other = "/dev/shm/unwedge-65534"
    os.mkdir(other, 0o700)
    os.chown(other, 65534, 65534)
    path = "%s/%d" % (other, q.pid)
    with open(path, "wb") as f:
        f.write(bytes(fake))
    os.chown(path, 65534, 65534)
    out["stat"] = stat(q.pid)
    # The same file in root's own directory is believed: the forgery itself is sound.
    os.makedirs(SHM, exist_ok=True)
    with open("%s/%d" % (SHM, q.pid), "wb") as f:
        f.write(bytes(fake))
    out["stat_root_dir"] = stat(q.pid)
    end(q)

print(json.dumps(out))
