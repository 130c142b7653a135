"""A Python program started without any preload that writes with sendall()
until it fails, the way a daemon would: SIGPIPE is back at its default (so a
SIGPIPE would kill it), and its own error handler prints one JSON line.

    py_blocked_writer.py HOST PORT
"""
import errno
import json
import signal
import socket
import sys
import time


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
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
