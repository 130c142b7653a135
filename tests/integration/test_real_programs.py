"""Real programs stay healthy under the preload (issue 4, item 9). Every test
runs the same scenario twice, without any preload and with it, and compares:
exit codes, checksums, what the programs print. unwedge must say nothing.

- curl downloading 20 MiB from `python3 -m http.server` (the preload on curl,
  then on the server, which writes the file with blocking send()s);
- `git clone` over `git daemon` (the preload on the client, then on the
  daemon, whose upload-pack writes the pack to the socket as its stdout);
- Java 17: 10 MiB echoed through blocking java.net.Sockets; Socket.close()
  from another thread ends a write blocked on a peer that never reads within
  a second, with a SocketException, with UNWEDGE_TIMEOUT=30s so that only the
  close can end it (plain, and with SO_LINGER 0), the same as without the
  preload; and, to show the preload really acts inside the JVM, a wedged
  write fails at T with "Connection timed out" (control: still blocked);
- Python asyncio (non-blocking sockets): an 8 MiB echo prints the same, the
  connected sockets end without a TCP_USER_TIMEOUT, and strace shows no
  poll()/ppoll()/select() added;
- ssh/scp against an sshd of the test's own on loopback: 20 MiB up and down,
  SFTP and the legacy protocol (-O), the preload on scp/ssh, then on sshd.
"""

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys

from harness import (PRELOAD_PREFIX, ROOT, SANITIZER, Failure, Scratch, base_env, check, json_line, preload_env,
                     spawn, test, wait_for_line)

T_MS = 1000
ENV_T = "3s"  # the deadline for the health runs: any stall that long would be a failure
BIG = 20 << 20
HELPERS = os.path.join(ROOT, "tests", "helpers")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def random_file(path, size):
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return sha256(path)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def descendants(pid):
    """The processes below pid (children of children...), from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            found.append(c)
            todo.append(c)
    return found


def kill_tree(p):
    """Kills p, a process this test started, and every process below it (scp's
    ssh, sshd's per-connection children), each by its pid."""
    pids = descendants(p.pid)
    if p.poll() is None:
        p.kill()
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run(argv, env, timeout, cwd=None):
    """Runs to completion; returns (stdout, stderr, rc), rc None if it had to
    be killed (with everything it started)."""
    p = spawn(argv, env=env, cwd=cwd)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_tree(p)
        out, err = p.communicate(timeout=10)
        return out, err, None
    if SANITIZER and p.returncode in (96, 97, 98):
        raise Failure("the sanitizer reported an error (exit %d):\n%s" % (p.returncode, err[-3000:]))
    return out, err, p.returncode


def quiet(err, what, sandboxed=False):
    """unwedge says nothing in a healthy run; in a process that sandboxes
    itself with seccomp, only that it steps aside."""
    lines = [l for l in (err or "").splitlines() if "unwedge:" in l]
    if sandboxed:
        lines = [l for l in lines if "installs a seccomp filter; unwedge steps aside" not in l]
    check(not lines, "%s: unwedge spoke: %s" % (what, err[-2000:]))


def stop(p):
    """Kills p (a server this test started) and what it started; returns its stderr."""
    kill_tree(p)
    _, err = p.communicate(timeout=10)
    return err or ""


# --- curl and python3 -m http.server --------------------------------------

def http_server(s, env):
    p = spawn([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", s.dir], env=env)
    line = wait_for_line(p.stdout, "Serving HTTP on", 15)
    if not line:
        stop(p)
        raise Failure("http.server did not start: %s" % p.stderr.read())
    return p, int(re.search(r"port (\d+)", line).group(1))


def curl_once(s, name, curl_env, server_env):
    server, port = http_server(s, server_env)
    try:
        out_path = os.path.join(s.dir, "got." + name)
        out, err, rc = run(["curl", "-sS", "--fail", "-o", out_path, "-w", "%{http_code} %{size_download}\n",
                            "http://127.0.0.1:%d/big" % port], curl_env, 60)
        quiet(err, "curl (%s)" % name)
        return {"rc": rc, "stdout": out, "sha": sha256(out_path) if os.path.exists(out_path) else None}
    finally:
        quiet(stop(server), "http.server (%s)" % name)


def curl_test(where):
    with Scratch() as s:
        want = random_file(os.path.join(s.dir, "big"), BIG)
        bare = curl_once(s, "bare", base_env(), base_env())
        pre_env = preload_env(UNWEDGE_TIMEOUT=ENV_T)
        pre = curl_once(s, "preload", pre_env if where == "curl" else base_env(),
                        pre_env if where == "server" else base_env())
    check(bare["rc"] == 0 and bare["sha"] == want and bare["stdout"] == "200 %d\n" % BIG, "without preload: %s" % bare)
    check(pre == bare, "with the preload on %s: %s; without: %s" % (where, pre, bare))


# The sanitizer runtimes alone (LD_PRELOAD=libasan.so, no unwedge) hang curl: production build only.
test("real/curl-from-http.server/preload-on-curl", production_only=True)(lambda: curl_test("curl"))
test("real/curl-from-http.server/preload-on-the-server")(lambda: curl_test("server"))


# --- git clone over git daemon ----------------------------------------------

def git_env(s, extra=None):
    e = dict(extra or base_env())
    e.update(HOME=s.dir, GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
             GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com", GIT_TERMINAL_PROMPT="0")
    return e


def git(s, args, timeout=30):
    out, err, rc = run(["git"] + args, git_env(s), timeout)
    check(rc == 0, "git %s: rc %s %s" % (" ".join(args), rc, err))
    return out


def make_repo(s):
    src = os.path.join(s.dir, "src")
    git(s, ["init", "-q", "-b", "main", src])
    random_file(os.path.join(src, "blob.bin"), 6 << 20)
    with open(os.path.join(src, "README"), "w") as f:
        f.write("unwedge test repository\n")
    git(s, ["-C", src, "add", "."])
    git(s, ["-C", src, "commit", "-qm", "one"])
    random_file(os.path.join(src, "blob2.bin"), 2 << 20)
    git(s, ["-C", src, "add", "."])
    git(s, ["-C", src, "commit", "-qm", "two"])
    return git(s, ["-C", src, "rev-parse", "HEAD"]).strip()


def git_daemon(s, env):
    # The daemon itself, not `git daemon`: the git wrapper would leave it running when killed.
    exec_path = subprocess.run(["git", "--exec-path"], capture_output=True, text=True, timeout=10).stdout.strip()
    for _ in range(5):
        port = free_port()
        p = spawn([os.path.join(exec_path, "git-daemon"), "--export-all", "--base-path=" + s.dir, "--listen=127.0.0.1",
                   "--port=%d" % port, "--reuseaddr", "--verbose"], env=git_env(s, env))
        if wait_for_line(p.stderr, "Ready to rumble", 10):
            return p, port
        stop(p)
    raise Failure("git daemon did not start")


def clone_once(s, name, client_env, daemon_env):
    daemon, port = git_daemon(s, daemon_env)
    try:
        dest = os.path.join(s.dir, "clone." + name)
        out, err, rc = run(["git", "clone", "-q", "git://127.0.0.1:%d/src" % port, dest], git_env(s, client_env), 60)
        quiet(err, "git clone (%s)" % name)
        res = {"rc": rc, "stdout": out}
        if rc == 0:
            res["head"] = git(s, ["-C", dest, "rev-parse", "HEAD"]).strip()
            res["blobs"] = [sha256(os.path.join(dest, f)) for f in ("blob.bin", "blob2.bin")]
            git(s, ["-C", dest, "fsck", "--strict", "--no-progress"], timeout=60)
        return res
    finally:
        quiet(stop(daemon), "git daemon (%s)" % name)


def git_test(where):
    with Scratch() as s:
        head = make_repo(s)
        want = [sha256(os.path.join(s.dir, "src", f)) for f in ("blob.bin", "blob2.bin")]
        bare = clone_once(s, "bare", base_env(), base_env())
        pre_env = preload_env(UNWEDGE_TIMEOUT=ENV_T)
        pre = clone_once(s, "preload", pre_env if where == "client" else base_env(),
                         pre_env if where == "daemon" else base_env())
    check(bare["rc"] == 0 and bare["head"] == head and bare["blobs"] == want, "without preload: %s" % bare)
    check(pre == bare, "with the preload on the %s: %s; without: %s" % (where, pre, bare))


test("real/git-clone-over-git-daemon/preload-on-the-client")(lambda: git_test("client"))
test("real/git-clone-over-git-daemon/preload-on-the-daemon")(lambda: git_test("daemon"))


# --- Java 17 ------------------------------------------------------------------

JAVA_OPTS = ["-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData"]
# TSan preloaded into the JVM reports data races inside libjvm itself, with or
# without unwedge: the Java tests run against the production and ASan builds.
JAVA = "tsan" not in PRELOAD_PREFIX


def java_test(name):
    return test(name) if JAVA else (lambda fn: fn)


def javac(s):
    check(shutil.which("javac") and shutil.which("java"), "needs javac and java (openjdk-17-jdk-headless)")
    out, err, rc = run(["javac", "-d", s.dir, os.path.join(HELPERS, "JavaSockets.java")], base_env(), 120)
    check(rc == 0, "javac failed (rc %s): %s" % (rc, err))


def java(s, args, env, timeout=30):
    out, err, rc = run(["java"] + JAVA_OPTS + ["-cp", s.dir, "JavaSockets"] + args, env, timeout)
    return json_line(out or "", "unwedge_mapped"), err, rc


@java_test("real/java/10MiB-echo-checksums")
def java_exchange():
    with Scratch() as s:
        javac(s)
        bare, berr, brc = java(s, ["exchange", str(10 << 20)], base_env())
        pre, perr, prc = java(s, ["exchange", str(10 << 20)], preload_env(UNWEDGE_TIMEOUT=ENV_T))
    check(brc == 0 and bare and not bare["unwedge_mapped"], "without preload: rc %s %s %s" % (brc, bare, berr))
    check(bare["sent_sha"] == bare["server_sha"] == bare["echo_sha"] and bare["echoed"] == 10 << 20,
          "without preload the echo differs: %s" % bare)
    check(prc == 0 and pre and pre["unwedge_mapped"], "with the preload: rc %s %s %s" % (prc, pre, perr))
    quiet(perr, "java")
    del pre["unwedge_mapped"], bare["unwedge_mapped"]
    check(pre == bare, "with the preload %s; without %s" % (pre, bare))


def java_close(linger0, env, preloaded):
    with Scratch() as s:
        javac(s)
        res, err, rc = java(s, ["close", "true" if linger0 else "false"], env, timeout=30)
    check(rc == 0 and res, "java close: rc %s (killed if None: close() never returned) %s" % (rc, err[-2000:]))
    check(res["unwedge_mapped"] == preloaded, "libunwedge mapped: %s" % res["unwedge_mapped"])
    check(res["blocked"] and res["blocked_ms"] >= 500, "the write never blocked: %s" % res)
    check(res["exception"] == "java.net.SocketException" and not res["writer_alive"]
          and 0 <= res["end_ms"] <= 1000 and res["close_ms"] <= 1000,
          "the blocked write should end with a SocketException within 1 s of close(): %s" % res)
    quiet(err, "java")
    return res


for _linger0 in (False, True):
    _suffix = "-SO_LINGER-0" if _linger0 else ""
    java_test("real/java/close-from-another-thread-ends-a-blocked-write%s" % _suffix)(
        lambda l=_linger0: java_close(l, preload_env(UNWEDGE_TIMEOUT="30s"), True))
    java_test("real/java/close-from-another-thread-ends-a-blocked-write%s/control" % _suffix)(
        lambda l=_linger0: java_close(l, base_env(), False))


@java_test("real/java/wedged-write-times-out")
def java_wedge():
    with Scratch() as s:
        javac(s)
        res, err, rc = java(s, ["wedge", "10000"], preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS), timeout=30)
    check(rc == 0 and res and res["unwedge_mapped"] and res["blocked"], "rc %s %s %s" % (rc, res, err))
    # end_ms counts from the last progress Java saw (sampled every 20 ms).
    check(res["exception"] == "java.net.SocketException" and res["message"] == "Connection timed out"
          and T_MS - 100 <= res["end_ms"] <= T_MS + 600,
          "want SocketException: Connection timed out about T after the last progress: %s" % res)
    check(err.count("write timed out") == 1, "one log line: %r" % err)


@java_test("real/java/wedged-write-times-out/control")
def java_wedge_control():
    with Scratch() as s:
        javac(s)
        res, err, rc = java(s, ["wedge", "4000"], base_env(), timeout=30)
    check(rc == 0 and res and res["blocked"] and res["writer_alive"] and res["exception"] is None,
          "without the preload the write should still be blocked 4 s later: %s %s" % (res, err))


# --- Python asyncio ---------------------------------------------------------

ASYNCIO = os.path.join(HELPERS, "py_asyncio_echo.py")


@test("real/python-asyncio/echo-unchanged")
def asyncio_echo():
    bare_out, berr, brc = run([sys.executable, ASYNCIO, str(8 << 20)], base_env(), 60)
    pre_out, perr, prc = run([sys.executable, ASYNCIO, str(8 << 20)], preload_env(UNWEDGE_TIMEOUT=ENV_T), 60)
    bare = json_line(bare_out or "", "sent_sha")
    check(brc == 0 and bare and bare["sent_sha"] == bare["server_sha"] == bare["echo_sha"]
          and bare["echoed"] == 8 << 20, "without preload: rc %s %s %s" % (brc, bare_out, berr))
    check(prc == 0 and pre_out == bare_out, "with the preload: rc %s %r; without %r (%s)" % (prc, pre_out, bare_out, perr))
    check(bare["server_uto"] == 0 and bare["client_uto"] == 0, "a user timeout on a non-blocking socket: %s" % bare)
    quiet(perr, "asyncio")


def strace_counts(path):
    """System calls by name, and the last TCP_USER_TIMEOUT value set per fd."""
    counts, uto = {}, {}
    for line in open(path):
        m = re.match(r"\d+\s+(\w+)\(", line)
        if not m:
            continue
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
        u = re.match(r"\d+\s+setsockopt\((\d+), SOL_TCP, TCP_USER_TIMEOUT, \[(\d+)\]", line)
        if u:
            uto[u.group(1)] = int(u.group(2))
    return counts, uto


@test("real/python-asyncio/no-poll-added-strace")
def asyncio_strace():
    check(shutil.which("strace"), "needs strace")
    runs = {}
    with Scratch() as s:
        for name, extra in (("bare", []), ("preload", ["-E", "LD_PRELOAD=" + preload_env()["LD_PRELOAD"],
                                                         "-E", "UNWEDGE_TIMEOUT=" + ENV_T])):
            trace = os.path.join(s.dir, "strace." + name)
            out, err, rc = run(["strace", "-f", "-qq", "-o", trace] + extra + [sys.executable, ASYNCIO, str(4 << 20)],
                               base_env(), 120)
            check(rc == 0 and json_line(out or "", "sent_sha"), "%s under strace: rc %s %s" % (name, rc, err[-2000:]))
            runs[name] = (out, strace_counts(trace))
    (bare_out, (bare, _)), (pre_out, (pre, pre_uto)) = runs["bare"], runs["preload"]
    check(pre_out == bare_out, "output differs under strace: %r vs %r" % (pre_out, bare_out))
    for call in ("poll", "ppoll", "select", "pselect6"):
        check(pre.get(call, 0) == bare.get(call, 0),
              "%s: %d calls with the preload, %d without" % (call, pre.get(call, 0), bare.get(call, 0)))
    check(all(v == 0 for v in pre_uto.values()),
          "a TCP_USER_TIMEOUT left on a non-blocking socket (last value per fd): %s" % pre_uto)


# --- ssh and scp to an sshd of our own ---------------------------------------

class Sshd:
    def __init__(self, s, env):
        check(os.path.exists("/usr/sbin/sshd") and shutil.which("scp"), "needs openssh-server and openssh-client")
        check(os.geteuid() == 0, "needs root (sshd)")
        self.s = s
        d = s.dir
        for key in ("hostkey", "id"):
            if not os.path.exists(os.path.join(d, key)):
                p = subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(d, key)],
                                   capture_output=True, text=True, timeout=30)
                check(p.returncode == 0, "ssh-keygen: %s" % p.stderr)
        shutil.copyfile(os.path.join(d, "id.pub"), os.path.join(d, "authorized_keys"))
        # sshd refuses to start without its privilege separation directory.
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        for _ in range(5):
            self.port = free_port()
            config = os.path.join(d, "sshd_config")
            with open(config, "w") as f:
                f.write("\n".join([
                    "ListenAddress 127.0.0.1", "Port %d" % self.port, "HostKey %s/hostkey" % d,
                    "PidFile %s/sshd.pid" % d, "PermitRootLogin prohibit-password", "PubkeyAuthentication yes",
                    "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no",
                    "StrictModes no", "AuthorizedKeysFile %s/authorized_keys" % d,
                    "Subsystem sftp /usr/lib/openssh/sftp-server", ""]))
            self.proc = spawn(["/usr/sbin/sshd", "-D", "-e", "-f", config], env=env)
            if wait_for_line(self.proc.stderr, "Server listening on", 10):
                return
            stop(self.proc)
        raise Failure("sshd did not start")

    def stop(self):
        return stop(self.proc)

    def scp(self, args, env):
        argv = ["scp", "-q", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
                "BatchMode=yes", "-o", "LogLevel=ERROR", "-i", os.path.join(self.s.dir, "id"), "-P", str(self.port)]
        return run(argv + args, env, 30)


def scp_round(s, name, client_env, sshd_env):
    """Up and down, SFTP then legacy scp: what each step returned, and checksums."""
    sshd = Sshd(s, sshd_env)
    res = {}
    try:
        src = os.path.join(s.dir, "big")
        for mode, flags in (("sftp", []), ("legacy", ["-O"])):
            up = os.path.join(s.dir, "up.%s.%s" % (name, mode))
            down = os.path.join(s.dir, "down.%s.%s" % (name, mode))
            out, err, rc = sshd.scp(flags + [src, "root@127.0.0.1:" + up], client_env)
            quiet(err, "scp up (%s)" % name)
            res[mode + "_up"] = (rc, out, err.strip(), sha256(up) if os.path.exists(up) else None)
            if rc != 0:
                break  # the comparison with the bare run already fails; spare the time
            out, err, rc = sshd.scp(flags + ["root@127.0.0.1:" + up, down], client_env)
            quiet(err, "scp down (%s)" % name)
            res[mode + "_down"] = (rc, out, err.strip(), sha256(down) if os.path.exists(down) else None)
            if rc != 0:
                break
    finally:
        log = sshd.stop()
        quiet(log, "sshd (%s)" % name, sandboxed=True)
    return res, log


SSHD_HINT = ("\n(a cause seen before: sshd's pre-authentication child runs under a seccomp filter that allows write() but not "
             "sendto(); unwedge must step aside when a process installs a seccomp filter)")


def scp_test(where):
    with Scratch() as s:
        want = random_file(os.path.join(s.dir, "big"), BIG)
        bare, _ = scp_round(s, "bare", base_env(), base_env())
        pre_env = preload_env(UNWEDGE_TIMEOUT=ENV_T)
        pre, log = scp_round(s, "preload", pre_env if where == "client" else base_env(),
                             pre_env if where == "sshd" else base_env())
    check(all(v == (0, "", "", want) for v in bare.values()), "without preload: %s" % bare)
    check(pre == bare, "with the preload on %s: %s\nwithout: %s\nsshd said: %s%s" % (
        where, pre, bare, log[-1500:], SSHD_HINT if where == "sshd" else ""))


test("real/ssh-scp/preload-on-scp-and-ssh")(lambda: scp_test("client"))
test("real/ssh-scp/preload-on-sshd")(lambda: scp_test("sshd"))
