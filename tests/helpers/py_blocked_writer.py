"""A Python program started without any preload that writes with sendall()
until it fails, the way a daemon would; its own error handler prints one JSON
line. SIGPIPE is put back to its default action (so a SIGPIPE would kill it)
unless --sigpipe-ignored keeps Python's own setting (ignored).

    py_blocked_writer.py tcp4:HOST:PORT|unix:PATH [--sigpipe-ignored]
"""
import errno
import json
import signal
import socket
import sys
import time


def connect(addr):
    kind, rest = addr.split(":", 1)
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(rest)
        return s
    host, port = rest.rsplit(":", 1)
    return socket.create_connection((host, int(port)))


def main():
    if "--sigpipe-ignored" not in sys.argv:
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    s = connect(sys.argv[1])
    chunk = b"x" * (1 << 20)
    t0 = time.monotonic()
    sent = 0
    try:
        while True:
            s.sendall(chunk)
            sent += len(chunk)
    except OSError as e:
        print(json.dumps({"errno": errno.errorcode.get(e.errno, str(e.errno)), "sent": sent,
                          "ms": round((time.monotonic() - t0) * 1000)}), flush=True)


main()
