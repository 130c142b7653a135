"""Secure execution (issue 4, item 7): in a set-user-ID, set-group-ID or
file-capability process (AT_SECURE) unwedge trusts no UNWEDGE_* variable and
runs with its defaults (src/runtime.c).

The loader preloads nothing into such a process unless LD_PRELOAD names a bare
file in a trusted system directory that is itself set-user-ID. So each test
copies the preload to /usr/lib/x86_64-linux-gnu/ under a unique name (mode
4755), copies wclient next to it with the bit under test, and runs the copy as
`nobody`; both copies are removed whatever happens.

What shows that the preload is loaded and at its defaults, quickly: wclient
reports the TCP_USER_TIMEOUT on its socket after connect. Without unwedge it
is 0; unwedge in force puts its timeout there: 1000 ms if UNWEDGE_TIMEOUT=1s
was read, 30000 ms (the default) if the environment was ignored. The control of
every case is the same copy without the special bit, run as the same user with
the same environment: there the variables are read."""

import os
import pwd
import secrets
import shutil
import subprocess
import time

from harness import LIB, WCLIENT, Scratch, base_env, check, finish, json_line, spawn, test

TRUSTED = "/usr/lib/x86_64-linux-gnu"
DEFAULT_MS = 30000
NOBODY = pwd.getpwnam("nobody")


class SecureSetup:
    """The preload as a set-user-ID library in the trusted directory, wclient
    copies in a directory nobody can enter, a directory nobody can write to."""

    def __init__(self, s):
        check(os.geteuid() == 0, "needs root (to install a set-user-ID library and run as nobody)")
        check(os.path.isdir(TRUSTED), "no %s: not a Debian/Ubuntu x86_64 layout" % TRUSTED)
        self.s = s
        self.name = "libunwedge-secure-test-%d-%s.so" % (os.getpid(), secrets.token_hex(4))
        self.lib = os.path.join(TRUSTED, self.name)
        os.chmod(s.dir, 0o755)
        self.nobody_dir = os.path.join(s.dir, "nobody")
        os.mkdir(self.nobody_dir)
        os.chown(self.nobody_dir, NOBODY.pw_uid, NOBODY.pw_gid)
        self.log = os.path.join(self.nobody_dir, "unwedge.log")

    def __enter__(self):
        shutil.copyfile(LIB, self.lib)
        os.chmod(self.lib, 0o4755)
        return self

    def __exit__(self, *exc):
        try:
            os.unlink(self.lib)
        except FileNotFoundError:
            pass

    def binary(self, kind):
        """A copy of wclient: plain, suid (root), sgid (root group), or cap."""
        path = os.path.join(self.s.dir, "wclient-" + kind)
        if os.path.exists(path):
            return path
        shutil.copyfile(WCLIENT, path)
        os.chown(path, 0, 0)
        mode = {"plain": 0o755, "suid": 0o4755, "sgid": 0o2755, "cap": 0o755}[kind]
        os.chmod(path, mode)
        if kind == "cap":
            p = subprocess.run(["setcap", "cap_net_bind_service+ep", path], capture_output=True, text=True,
                               timeout=10)
            check(p.returncode == 0, "setcap failed (libcap2-bin; a filesystem without xattrs?): %s" % p.stderr)
        return path

    def run(self, kind, addr, env, args=(), timeout=15, lib_name=None):
        """Runs a wclient copy as nobody; only that process gets LD_PRELOAD and
        the UNWEDGE_* variables (setpriv and env themselves run without them)."""
        assigns = ["LD_PRELOAD=" + (lib_name or self.name)] + ["%s=%s" % kv for kv in env.items()]
        argv = ["setpriv", "--reuid=%d" % NOBODY.pw_uid, "--regid=%d" % NOBODY.pw_gid, "--clear-groups", "--",
                "/usr/bin/env"] + assigns + [self.binary(kind), addr, "write"] + [str(a) for a in args]
        for _ in range(10):
            out, err, rc = finish(spawn(argv, env=base_env()), timeout)
            # The copy was just written: a child that another test's thread forked
            # meanwhile may still hold it open for writing until it execs.
            if "Text file busy" not in (err or ""):
                break
            time.sleep(0.2)
        if rc is None:
            return None, err
        res = json_line(out, '"calls"')
        check(res is not None, "%s: no result (rc %s): %s %s" % (kind, rc, out, err))
        return res, err


def healthy(kind, env):
    """One MiB to a reading peer; returns (result, stderr)."""
    with Scratch() as s, SecureSetup(s) as sec:
        peer = s.peer("tcp4", "drain")
        res, err = sec.run(kind, peer.addr, env, ["--total", 1 << 20])
        got, _, _ = peer.result()
    check(res is not None and res["bytes"] == 1 << 20 and res["errno"] == "0",
          "%s: the healthy write failed: %s %s" % (kind, res, err))
    check(got and got["read"] == 1 << 20 and got["pattern_ok"], "%s: the peer got %s" % (kind, got))
    return res, err


def env_ignored(kind):
    env = {"UNWEDGE_TIMEOUT": "1s", "UNWEDGE_TYPO": "1"}
    res, err = healthy(kind, env)
    check(res["uto_connect"] == DEFAULT_MS,
          "%s as nobody: TCP_USER_TIMEOUT %d ms, want the default %d (0: not loaded; 1000: the environment was read)"
          % (kind, res["uto_connect"], DEFAULT_MS))
    check("unwedge:" not in err, "%s: the environment was read (a message about it): %r" % (kind, err))
    ctl, ctl_err = healthy("plain", env)
    check(ctl["uto_connect"] == 1000 and "unknown variable UNWEDGE_TYPO" in ctl_err,
          "control (no special bit): UNWEDGE_TIMEOUT=1s should give 1000 ms and a warning: %s %r" % (ctl, ctl_err))


for _kind, _what in (("suid", "set-user-ID"), ("sgid", "set-group-ID"), ("cap", "file-capability")):
    test("secure/%s-program-ignores-UNWEDGE-environment" % _what, production_only=True)(
        lambda k=_kind: env_ignored(k))


@test("secure/invalid-setting-ignored-not-fatal", production_only=True)
def invalid_ignored():
    env = {"UNWEDGE_TIMEOUT": "garbage"}
    res, err = healthy("suid", env)
    check(res["uto_connect"] == DEFAULT_MS and "unwedge:" not in err,
          "set-user-ID: want the defaults and no message: %s %r" % (res, err))
    ctl, ctl_err = healthy("plain", env)
    check("UNWEDGE_TIMEOUT='garbage' is invalid" in ctl_err and "disabled" in ctl_err and ctl["uto_connect"] == 0,
          "control: the invalid value should be reported and unwedge disabled: %s %r" % (ctl, ctl_err))


@test("secure/loader-ignores-a-preload-that-is-not-set-user-ID", production_only=True)
def loader_rule():
    with Scratch() as s, SecureSetup(s) as sec:
        os.chmod(sec.lib, 0o755)
        peer = s.peer("tcp4", "drain")
        res, err = sec.run("suid", peer.addr, {"UNWEDGE_TIMEOUT": "1s"}, ["--total", 1 << 20])
        peer.result()
        check(res is not None and res["uto_connect"] == 0 and "cannot be preloaded" in err,
              "a library without the set-user-ID bit should not be loaded into a set-user-ID program: %s %r"
              % (res, err))
        # Control: the same library, set-user-ID again, is loaded.
        os.chmod(sec.lib, 0o4755)
        peer = s.peer("tcp4", "drain")
        res, err = sec.run("suid", peer.addr, {"UNWEDGE_TIMEOUT": "1s"}, ["--total", 1 << 20])
        peer.result()
        check(res is not None and res["uto_connect"] == DEFAULT_MS, "the set-user-ID library: %s %r" % (res, err))


@test("secure/set-user-ID-wedged-write-times-out-at-the-default", production_only=True)
def wedge_default():
    """UNWEDGE_TIMEOUT=1s and UNWEDGE_LOG=FILE are ignored: the write fails at
    the default 30 s, the line goes to stderr, the file is never created. The
    control (no set-user-ID bit) fails at 1 s and logs to the file."""
    env = {"UNWEDGE_TIMEOUT": "1s"}
    with Scratch() as s, SecureSetup(s) as sec:
        env["UNWEDGE_LOG"] = sec.log
        peer = s.peer("tcp4", "never")
        res, err = sec.run("suid", peer.addr, env, ["--total", 64 << 20, "--after-fail", 1], timeout=45)
        check(res is not None, "the set-user-ID write was still blocked after 45 s: %r" % err)
        check(res["errno"] == "ETIMEDOUT" and DEFAULT_MS <= res["short_ms"] <= DEFAULT_MS + 500,
              "set-user-ID: %s after %.0f ms, want ETIMEDOUT in %d..%d" % (res["errno"], res["short_ms"], DEFAULT_MS,
                                                                          DEFAULT_MS + 500))
        check("write timed out" in err and "deadline=idle:30.000s" in err, "the log line on stderr: %r" % err)
        check(not os.path.exists(sec.log), "UNWEDGE_LOG was honoured in a set-user-ID process")

        peer = s.peer("tcp4", "never")
        ctl, ctl_err = sec.run("plain", peer.addr, env, ["--total", 64 << 20, "--after-fail", 1], timeout=10)
        check(ctl is not None and ctl["errno"] == "ETIMEDOUT" and 1000 <= ctl["short_ms"] <= 1500,
              "control: want ETIMEDOUT in 1000..1500 ms: %s" % ctl)
        check(os.path.exists(sec.log) and "write timed out" in open(sec.log).read() and "write timed out" not in ctl_err,
              "control: the line should be in UNWEDGE_LOG, not on stderr: %r" % ctl_err)
