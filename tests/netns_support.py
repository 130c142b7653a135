"""For the `rescue` and `watch` tests: network namespaces of a test's own
(what runs inside sees only the connections the test made there), black holes
in them, and cgroups of a test's own."""

import os
import shutil
import subprocess
import time

from harness import WPEER, check, spawn, wait_for_line

BLACKHOLE_ADDR = "127.0.0.2"


class Netns:
    """A network namespace with loopback up, held open by a process of ours;
    .enter is the prefix that runs a command inside it."""

    def __enter__(self):
        check(os.geteuid() == 0, "needs root (a network namespace of its own)")
        self.holder = spawn(["unshare", "-n", "sh", "-c", "ip link set lo up && echo up && exec cat"],
                            stdin=subprocess.PIPE)
        if not wait_for_line(self.holder.stdout, "up", 5):
            self.holder.kill()
            raise AssertionError("no namespace: %s" % self.holder.communicate(timeout=10)[1])
        self.enter = ["nsenter", "-t", str(self.holder.pid), "-n"]
        return self

    def run(self, *argv):
        p = subprocess.run(self.enter + list(argv), capture_output=True, text=True, timeout=10)
        check(p.returncode == 0, "%s: %s" % (" ".join(argv), p.stderr))

    def blackhole_peer(self, tmp):
        """A peer at 127.0.0.2 that reads everything; .addr to connect to. Call
        blackhole() once connected."""
        portfile = os.path.join(tmp, "blackhole.port")
        proc = spawn(self.enter + [WPEER, "tcp4:%s:0" % BLACKHOLE_ADDR, "drain", "--portfile", portfile])
        for _ in range(250):
            if os.path.exists(portfile):
                return proc, "tcp4:%s:%s" % (BLACKHOLE_ADDR, open(portfile).read().strip())
            subprocess.run(["sleep", "0.02"])
        raise AssertionError("black-hole peer did not start")

    def blackhole(self):
        """From now on every packet to or from 127.0.0.2 disappears: with nftables,
        dropped on the input hook (the kernel retransmits with backoff); without it,
        a blackhole route (local transmissions fail: the kernel probes instead).
        Either way nothing is acknowledged. Returns which was used."""
        if shutil.which("nft"):
            self.run("nft", "add", "table", "inet", "uwbh")
            self.run("nft", "add", "chain", "inet", "uwbh", "in", "{ type filter hook input priority 0; }")
            self.run("nft", "add", "rule", "inet", "uwbh", "in", "ip", "daddr", BLACKHOLE_ADDR, "drop")
            self.run("nft", "add", "rule", "inet", "uwbh", "in", "ip", "saddr", BLACKHOLE_ADDR, "drop")
            return "nftables input drop"
        self.run("ip", "route", "add", "blackhole", BLACKHOLE_ADDR + "/32", "table", "local")
        return "blackhole route"

    def __exit__(self, *exc):
        self.holder.kill()
        self.holder.communicate(timeout=10)


def cgroup2_root():
    """Where the cgroup v2 hierarchy's root is mounted, or None."""
    for line in open("/proc/self/mountinfo"):
        left, _, right = line.partition(" - ")
        if right.split()[0] == "cgroup2" and left.split()[3] == "/":
            return left.split()[4]
    return None


def remove_cgroups(*dirs):
    """rmdir each, children first, retried: a cgroup stays busy for a moment after its last process exits."""
    for d in dirs:
        end = time.time() + 3
        while os.path.isdir(d) and time.time() < end:
            try:
                os.rmdir(d)
            except OSError:
                time.sleep(0.05)
