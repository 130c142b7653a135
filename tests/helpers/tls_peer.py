"""A TLS server for the tests (run without the preload): accepts one
connection, completes the handshake, then either never reads again ("never":
the client's writes fill the window and block) or reads everything and prints
{"read": N, "sha256": HEX, "server_name": SNI} ("drain").

    tls_peer.py CERT KEY MODE PORTFILE [--rcvbuf N]

MODE is never, drain, slow:BYTES_PER_SECOND (drain at a steady rate), or hold
(read nothing until SIGUSR1, then drain).
"""
import hashlib
import json
import signal
import socket
import ssl
import sys
import time

cert, key, mode, portfile = sys.argv[1:5]
rcvbuf = int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[5] == "--rcvbuf" else 0

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
seen = {}
ctx.sni_callback = lambda s, name, c: seen.__setitem__("sni", name)
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
if rcvbuf:
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
ls.bind(("127.0.0.1", 0))
ls.listen(1)
with open(portfile + ".tmp", "w") as f:
    f.write(str(ls.getsockname()[1]))
import os
os.rename(portfile + ".tmp", portfile)
conn, _ = ls.accept()
tls = ctx.wrap_socket(conn, server_side=True)
print(json.dumps({"handshake": True, "server_name": seen.get("sni")}), flush=True)
if mode == "never":
    time.sleep(3600)
    sys.exit(0)
if mode == "hold":
    go = []
    signal.signal(signal.SIGUSR1, lambda *a: go.append(1))
    while not go:
        time.sleep(0.01)
rate = int(mode.split(":")[1]) if mode.startswith("slow:") else 0
h = hashlib.sha256()
n = 0
t0 = time.monotonic()
while True:
    if rate:
        # Steady: never more than 10 ms ahead of RATE bytes per second.
        ahead = n / rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
    try:
        b = tls.recv(min(1 << 16, rate // 100) if rate else 1 << 16)
    except (ssl.SSLError, OSError) as e:
        print(json.dumps({"error": str(e)}), flush=True)
        break
    if not b:
        break
    h.update(b)
    n += len(b)
print(json.dumps({"read": n, "sha256": h.hexdigest(), "server_name": seen.get("sni")}), flush=True)
