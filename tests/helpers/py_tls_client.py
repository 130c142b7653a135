"""A blocking Python TLS client (run under the interpreter being tested):
sendall() of the test stream to HOST:PORT, then one JSON line.

    py_tls_client.py PORT TOTAL [--healthy]

On failure it reports the exception, its errno, how long sendall took, and what
a plain socket send on the same connection does next (Python 3.10 to 3.12 drop
the errno of a failed SSL_write_ex: python/cpython#115627)."""
import hashlib
import json
import socket
import ssl
import sys
import time

port, total = int(sys.argv[1]), int(sys.argv[2])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
raw = socket.create_connection(("127.0.0.1", port))
s = ctx.wrap_socket(raw, server_hostname="wedge.example")
print("handshake done", file=sys.stderr, flush=True)
block = bytes((i * 7 + i // 251) & 0xFF for i in range(1 << 20))
h = hashlib.sha256()
res = {"version": "%d.%d" % sys.version_info[:2], "sent": 0}
t0 = time.monotonic()
try:
    while res["sent"] < total:
        chunk = block[: min(len(block), total - res["sent"])]
        s.sendall(chunk)
        h.update(chunk)
        res["sent"] += len(chunk)
    res["ok"] = True
    res["sha256"] = h.hexdigest()
    # Half-close and read to the end: closing with unread data (session
    # tickets) would reset the connection before the peer read everything.
    s.shutdown(socket.SHUT_WR)
    while socket.socket.recv(s, 65536):
        pass
    s.close()
except Exception as e:
    res["ok"] = False
    res["exception"] = type(e).__name__
    res["errno"] = getattr(e, "errno", None)
    res["error"] = str(e)
    res["fail_ms"] = (time.monotonic() - t0) * 1000
    t1 = time.monotonic()
    try:
        socket.socket.send(s, b"x")
        res["next_errno"] = 0
    except OSError as e2:
        res["next_errno"] = e2.errno
    res["next_ms"] = (time.monotonic() - t1) * 1000
print(json.dumps(res), flush=True)
