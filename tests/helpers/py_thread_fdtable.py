"""A process one of whose threads has a descriptor table of its own
(unshare(CLONE_FILES)) holding a TCP connection the main thread cannot see.
Prints {"fd": N, "port": P} (that thread's descriptor and the connection's
local port), then waits until its stdin closes."""
import ctypes
import json
import socket
import sys
import threading

CLONE_FILES = 0x400
libc = ctypes.CDLL(None, use_errno=True)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
ready, info = threading.Event(), {}


def own_table():
    if libc.unshare(CLONE_FILES) != 0:
        info["errno"] = ctypes.get_errno()
        ready.set()
        return
    s = socket.create_connection(listener.getsockname())
    info.update(fd=s.fileno(), port=s.getsockname()[1])
    ready.set()
    sys.stdin.read()


t = threading.Thread(target=own_table, daemon=True)
t.start()
ready.wait()
accepted, _ = listener.accept()
print(json.dumps(info), flush=True)
t.join()
