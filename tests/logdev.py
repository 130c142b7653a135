"""A private /dev for tests of syslog traffic: a directory bound over /dev
inside a mount namespace (unshare -m), with a log receiver at /dev/log, so the
host's log is untouched. Needs root."""

import os
import subprocess
import sys

from harness import ROOT, check, finish, json_line, spawn, wait_for_line

RECEIVER = os.path.join(ROOT, "tests", "helpers", "log_receiver.py")


class LogDev:
    """A directory to bind over /dev: a log receiver at log, and null."""

    def __init__(self, s, mode):
        self.dir = os.path.join(s.dir, "dev")
        os.mkdir(self.dir)
        open(os.path.join(self.dir, "null"), "w").close()
        self.proc = spawn([sys.executable, RECEIVER, os.path.join(self.dir, "log"), mode])
        check(wait_for_line(self.proc.stdout, "ready", 10), "the log receiver did not start")

    def run(self, argv, env, timeout):
        script = 'mount --bind /dev/null "$1/null" && mount --bind "$1" /dev && shift && exec "$@"'
        return finish(spawn(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", self.dir] + argv,
                            env=env), timeout)

    def messages(self, timeout=10):
        out, err, rc = finish(self.proc, timeout)
        got = json_line(out or "", '"messages"')
        check(got is not None, "the receiver printed nothing: %r %r" % (out, err))
        return got["messages"]


def needs_namespace():
    p = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    check(p.returncode == 0, "unshare -m failed (needs root): %s" % p.stderr.decode().strip())


