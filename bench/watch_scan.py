#!/usr/bin/env python3
"""The cost of one `unwedge watch` scan (issue 12: under 50 ms of CPU for
10,000 TCP connections). Runs itself in a network namespace of its own
(unshare -n, root) holding N loopback connections, both ends there (the
accepted ends in this process, the connecting ends in a child: 2N sockets),
and times `unwedge watch --once` as a whole process, start-up included:
user + system CPU from getrusage, the median of RUNS runs. Prints one JSON line.

    python3 bench/watch_scan.py [N] [RUNS]
"""

import json
import os
import resource
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCHER = os.path.join(ROOT, "build", "unwedge")


def inside(n, runs):
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    port = listener.getsockname()[1]
    ready_r, ready_w = os.pipe()
    child = os.fork()
    if child == 0:
        listener.close()
        keep = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
        os.write(ready_w, b"x")
        time.sleep(600)
        os._exit(len(keep) and 0)
    try:
        accepted = [listener.accept()[0] for _ in range(n)]
        os.read(ready_r, 1)
        cpu, wall = [], []
        for _ in range(runs):
            before, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
            p = subprocess.run([LAUNCHER, "watch", "--once"], capture_output=True, timeout=60)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if p.returncode != 0:
                raise RuntimeError("watch --once: rc %d %s" % (p.returncode, p.stderr))
            wall.append((time.monotonic() - t0) * 1000)
            cpu.append(((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)) * 1000)
        cpu.sort()
        wall.sort()
        print(json.dumps({"connections": len(accepted), "sockets": 2 * len(accepted), "runs": runs,
                          "cpu_ms_median": round(cpu[len(cpu) // 2], 1), "cpu_ms_max": round(cpu[-1], 1),
                          "wall_ms_median": round(wall[len(wall) // 2], 1), "goal_cpu_ms": 50}), flush=True)
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    if os.environ.get("UNWEDGE_BENCH_NETNS") == "1":
        return inside(n, runs)
    env = dict(os.environ, UNWEDGE_BENCH_NETNS="1")
    return subprocess.run(["unshare", "-n", sys.executable, os.path.abspath(__file__), str(n), str(runs)],
                          env=env, timeout=600).returncode


if __name__ == "__main__":
    sys.exit(main())
