"""A storm of timeouts: N socket pairs in turn, each filled by a blocking
sendall() that nobody reads. Prints {"timeouts": K}: how many ended ETIMEDOUT.

    py_storm.py N"""
import errno
import json
import socket
import sys

n = int(sys.argv[1])
timeouts = 0
keep = []
for i in range(n):
    a, b = socket.socketpair()
    keep.append((a, b))
    try:
        a.sendall(b"x" * (8 << 20))
    except OSError as e:
        timeouts += e.errno == errno.ETIMEDOUT
print(json.dumps({"timeouts": timeouts}), flush=True)
