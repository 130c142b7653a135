"""A healthy workload for the bootstrap tests: allocation-heavy work, then
16 MiB over a blocking AF_UNIX socketpair and 16 MiB over blocking loopback TCP,
each written by a thread with sendall and checksummed by the reader. Prints one
JSON line that must be identical with and without any preload."""

import hashlib
import json
import socket
import sys
import threading

N = 16 << 20


def payload():
    h, out = hashlib.sha256(b"unwedge"), bytearray()
    while len(out) < N:
        h = hashlib.sha256(h.digest())
        out += h.digest() * 64
    return bytes(out[:N])


def transfer(a, b, data):
    def send():
        a.sendall(data)
        a.shutdown(socket.SHUT_WR)
    t = threading.Thread(target=send)
    t.start()
    h, n = hashlib.sha256(), 0
    while True:
        chunk = b.recv(1 << 16)
        if not chunk:
            break
        h.update(chunk)
        n += len(chunk)
    t.join()
    return n, h.hexdigest()


def main():
    # Many small and large allocations through the allocator under test.
    d = {}
    for i in range(200000):
        d[i] = ("x" * (i % 300), [i] * (i % 7))
    big = [bytearray(1 << 20) for _ in range(64)]
    alloc = (len(d), sum(len(v[0]) for v in d.values()), len(big))
    data = payload()
    u = transfer(*socket.socketpair(), data)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    c = socket.create_connection(srv.getsockname())
    s, _ = srv.accept()
    t = transfer(c, s, data)
    print(json.dumps({"alloc": alloc, "sent_sha": hashlib.sha256(data).hexdigest(), "unix": u, "tcp": t}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
