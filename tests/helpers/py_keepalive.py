"""Keepalive against a dead peer, inside a private network namespace (run it
under `unshare -n`, as root): a server and a client on loopback; once the
connection is up every packet arriving is dropped (nftables input hook), and
the client blocks in recv() on an idle connection. Prints one JSON line: the
client socket's options after connect, and how recv() ended.

    py_keepalive.py LIMIT_SECONDS [--app-keepalive IDLE]
"""
import errno
import json
import signal
import socket
import subprocess
import sys
import time


class Limit(Exception):
    pass


def on_alarm(sig, frame):
    raise Limit()


def opts(s):
    g = s.getsockopt
    return {"keepalive": g(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            "idle": g(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
            "intvl": g(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
            "cnt": g(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
            "uto": g(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT)}


def main():
    limit = float(sys.argv[1])
    app_idle = None
    if "--app-keepalive" in sys.argv:
        app_idle = int(sys.argv[sys.argv.index("--app-keepalive") + 1])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    c = socket.socket()
    if app_idle is not None:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, app_idle)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.connect(srv.getsockname())
    peer, _ = srv.accept()
    result = {"client": opts(c), "accepted": opts(peer)}
    if limit > 0:
        subprocess.run(["nft", "add", "table", "inet", "uwtest"], check=True)
        subprocess.run(["nft", "add", "chain", "inet", "uwtest", "in",
                        "{ type filter hook input priority 0; policy drop; }"], check=True)
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)
        start = time.monotonic()
        try:
            data = c.recv(100)
            result["recv"] = "data:%d" % len(data)
        except Limit:
            result["recv"] = "BLOCKED"
        except OSError as e:
            result["recv"] = errno.errorcode.get(e.errno, str(e.errno))
        result["recv_ms"] = round((time.monotonic() - start) * 1000)
        signal.setitimer(signal.ITIMER_REAL, 0)
    print(json.dumps(result), flush=True)


main()
