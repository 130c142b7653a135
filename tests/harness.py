"""The integration-test harness: real processes, real sockets, bounded waits.

Each test is a function registered with @test; it raises AssertionError (via
check()) to fail. Tests run concurrently on a thread pool because most of their
time is spent waiting on deadlines, not computing. The summary line is
'N passed, N failed'."""

import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
# A target pass (tests/run.py runs one per build it finds): the preload, the
# launcher and the programs under test built for musl or for arm64; only the
# tests registered portable=True run. The peers stay native: they are not
# under test. arm64 programs run under qemu-user (see spawn).
TARGET = os.environ.get("UNWEDGE_TEST_TARGET", "")
TARGET_BUILDS = {"": BUILD, "musl": os.path.join(BUILD, "musl"), "arm64": os.path.join(BUILD, "aarch64")}
TARGET_BUILD = TARGET_BUILDS[TARGET]
PROGRAMS = os.path.join(TARGET_BUILD, "tests")
QEMU = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"]
# The musl pass preloads the one-value layout of the build tree (build/$LIB/,
# see the Makefile): the musl programs get the musl build, the glibc programs
# around them (sh, unshare, timeout) the glibc one.
ONE_VALUE = os.path.join(BUILD, "$LIB", "libunwedge.so")
# What the launcher of the build tree puts in LD_PRELOAD: the one value when
# the musl build is there.
LAUNCHER_VALUE = ONE_VALUE if os.path.exists(ONE_VALUE) else os.path.join(BUILD, "libunwedge.so")
# make check-sanitizers points these at an instrumented preload and its runtime.
LIB = os.environ.get("UNWEDGE_TEST_LIB") or (ONE_VALUE if TARGET == "musl" else
                                             os.path.join(TARGET_BUILD, "libunwedge.so"))
PRELOAD_PREFIX = os.environ.get("UNWEDGE_TEST_PRELOAD_PREFIX", "")
SANITIZER = bool(PRELOAD_PREFIX)
LAUNCHER = os.path.join(BUILD, "unwedge")
# The launcher under test in a target pass (the native one otherwise).
TARGET_LAUNCHER = os.path.join(TARGET_BUILD, "unwedge")
WCLIENT = os.path.join(PROGRAMS, "wclient")
WPEER = os.path.join(BUILD, "tests", "wpeer")

TESTS = []


def test(name, serial=False, production_only=False, portable=False):
    """Registers a test. serial=True runs it alone (timing-sensitive or heavy).
    production_only: about the production build itself (its symbols, its
    instruction counts, the launcher's own library), skipped in sanitizer runs.
    portable: it runs its programs from PROGRAMS and the launcher from TARGET_LAUNCHER,
    so it runs again in every target pass (musl, arm64), or in those named
    (a tuple)."""
    in_pass = not TARGET or portable is True or (isinstance(portable, tuple) and TARGET in portable)

    def register(fn):
        if not (production_only and SANITIZER) and in_pass:
            TESTS.append((name, fn, serial))
        return fn

    return register


class Failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def base_env(**extra):
    """The environment of a process under test: no stray UNWEDGE_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNWEDGE_") and k != "LD_PRELOAD"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def preload_value():
    return PRELOAD_PREFIX + ":" + LIB if PRELOAD_PREFIX else LIB


def preload_env(**extra):
    return base_env(LD_PRELOAD=preload_value(), **extra)


_procs = []
_procs_lock = threading.Lock()


def under_qemu(argv, env):
    """An arm64 program runs under qemu-user; its LD_PRELOAD goes to the program
    (-E), never to qemu itself (an x86-64 process)."""
    env = dict(env)
    target_env = ["-E", "LD_PRELOAD=" + env.pop("LD_PRELOAD")] if "LD_PRELOAD" in env else []
    return QEMU + target_env + list(argv), env


def spawn(argv, env=None, **kw):
    env = env or base_env()
    if TARGET == "arm64" and str(argv[0]).startswith(TARGET_BUILD + os.sep):
        argv, env = under_qemu(argv, env)
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    with _procs_lock:
        _procs.append(p)
    return p


def finish(p, timeout):
    """Waits at most timeout seconds. Returns (stdout, stderr, rc), rc None if it
    had to be killed (it was still blocked)."""
    try:
        out, err = p.communicate(timeout=timeout)
        if SANITIZER and p.returncode in (96, 97, 98):
            raise Failure("the sanitizer reported an error (exit %d):\n%s" % (p.returncode, err[-3000:]))
        return out, err, p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate(timeout=10)
        return out, err, None


def run_group(argv, env, limit):
    """Runs argv in a session of its own: (stdout, stderr, rc), rc None if it was
    still running at limit (then its whole process group, children too, is killed)."""
    p = spawn(argv, env=env, start_new_session=True)
    try:
        out, err = p.communicate(timeout=limit)
        return out, err, p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate(timeout=10)
        return out, err, None


def wait_for_line(stream, needle, timeout):
    """Reads stream line by line until one contains needle; returns what was read
    (or None at timeout). The stream must be a text pipe."""
    import select
    seen = []
    end = time.time() + timeout
    while time.time() < end:
        ready, _, _ = select.select([stream], [], [], max(0, end - time.time()))
        if not ready:
            break
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return "".join(seen)
    return None


def json_line(out, key):
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{") and key in line:
            return json.loads(line)
    return None


class Peer:
    """A wpeer process listening on a fresh address; .addr to connect to."""

    def __init__(self, kind, mode, tmp, extra=(), env=None, netns=None):
        self.tmp = tmp
        portfile = os.path.join(tmp, "port.%d" % id(self))
        if kind == "tcp4":
            listen = "tcp4:127.0.0.1:0"
        elif kind == "tcp6":
            listen = "tcp6:[::1]:0"
        else:
            listen = "%s:%s" % (kind, os.path.join(tmp, "peer.%d.sock" % id(self)))
        argv = [WPEER, listen, mode, "--portfile", portfile] + list(extra)
        if netns:
            argv = netns + argv
        self.proc = spawn(argv, env=env)
        deadline = time.time() + 5
        while not os.path.exists(portfile):
            if self.proc.poll() is not None or time.time() > deadline:
                raise Failure("peer did not start: %s" % self.proc.stderr.read())
            time.sleep(0.01)
        port = open(portfile).read().strip()
        if kind == "tcp4":
            self.addr = "tcp4:127.0.0.1:%s" % port
        elif kind == "tcp6":
            self.addr = "tcp6:[::1]:%s" % port
        else:
            self.addr = listen

    def resume(self):
        self.proc.send_signal(signal.SIGUSR1)

    def result(self, timeout=10):
        out, err, rc = finish(self.proc, timeout)
        return json_line(out, '"read"'), out, err

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=10)


class Scratch:
    """A temporary directory and the peers started in it, cleaned up after."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="unwedge-test.")
        self.peers = []
        return self

    def peer(self, kind, mode, **kw):
        p = Peer(kind, mode, self.dir, **kw)
        self.peers.append(p)
        return p

    def __exit__(self, *exc):
        for p in self.peers:
            p.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def client(addr, call, env, args=(), timeout=20, netns=None):
    """Runs wclient; returns (result dict or None if killed while blocked, stderr)."""
    argv = [WCLIENT, addr, call] + [str(a) for a in args]
    if netns:
        argv = netns + argv
    out, err, rc = finish(spawn(argv, env=env), timeout)
    if rc is None:
        return None, err
    res = json_line(out, '"calls"')
    check(res is not None, "wclient printed no result (rc=%s): %s %s" % (rc, out, err))
    return res, err


def run_all(selected=None):
    started = time.time()
    todo = [t for t in TESTS if not selected or any(s in t[0] for s in selected)]
    results = {}
    lock = threading.Lock()

    def one(t):
        name, fn, _ = t
        t0 = time.time()
        try:
            fn()
            ok, msg = True, ""
        except Failure as e:
            ok, msg = False, str(e)
        except Exception:
            ok, msg = False, traceback.format_exc()
        with lock:
            results[name] = ok
            status = "PASS" if ok else "FAIL"
            print("%s %s (%.1fs)%s" % (status, name, time.time() - t0, ("\n    " + msg.replace("\n", "\n    ")) if msg else ""), flush=True)

    parallel = [t for t in todo if not t[2]]
    serial = [t for t in todo if t[2]]
    with concurrent.futures.ThreadPoolExecutor(max_workers=int(os.environ.get("UNWEDGE_TEST_JOBS", "6"))) as ex:
        list(ex.map(one, parallel))
    for t in serial:
        one(t)
    with _procs_lock:
        for p in _procs:
            if p.poll() is None:
                p.kill()
    passed = sum(1 for v in results.values() if v)
    failed = len(results) - passed
    return passed, failed, time.time() - started
