"""A local log daemon for the tests: a datagram socket at PATH.

    log_receiver.py PATH never|collect|hold

never: binds and never reads (its queue fills, then senders block).
collect: reads until a message containing END-OF-TEST, then prints
{"messages": [...]} (latin-1 text) and exits. hold: reads nothing until
SIGUSR1, then as collect."""
import json
import signal
import socket
import sys
import time

path, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print("ready", flush=True)
if mode == "never":
    time.sleep(3600)
    sys.exit(0)
if mode == "hold":
    go = []
    signal.signal(signal.SIGUSR1, lambda *a: go.append(1))
    while not go:
        time.sleep(0.01)
msgs = []
s.settimeout(60)
while True:
    m = s.recv(1 << 16).decode("latin-1")
    msgs.append(m)
    if "END-OF-TEST" in m:
        break
print(json.dumps({"messages": msgs}), flush=True)
