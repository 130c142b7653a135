"""asyncio (non-blocking sockets, an event loop) for the real-program tests: an
echo server and a client in one process over loopback TCP. The client writes
BYTES of a seeded stream in 64 KiB pieces with drain() (so the transport meets
EAGAIN and back-pressure) while it reads the echo. Prints one JSON line: the
checksums, and the TCP_USER_TIMEOUT on both connected sockets at the end
(unwedge must leave non-blocking sockets without one)."""

import asyncio
import hashlib
import json
import random
import socket
import sys

TOTAL = int(sys.argv[1]) if len(sys.argv) > 1 else 4 << 20
CHUNK = 1 << 16


def uto(writer):
    s = writer.get_extra_info("socket")
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT)


async def main():
    server_state = {}

    async def handle(reader, writer):
        h, n = hashlib.sha256(), 0
        while True:
            data = await reader.read(CHUNK)
            if not data:
                break
            h.update(data)
            n += len(data)
            writer.write(data)
            await writer.drain()
        server_state.update(read=n, sha=h.hexdigest(), uto=uto(writer))
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = random.Random(42).randbytes(TOTAL)

    async def send():
        for i in range(0, TOTAL, CHUNK):
            writer.write(data[i:i + CHUNK])
            await writer.drain()
        writer.write_eof()

    async def receive():
        h, n = hashlib.sha256(), 0
        while True:
            chunk = await reader.read(CHUNK)
            if not chunk:
                break
            h.update(chunk)
            n += len(chunk)
        return n, h.hexdigest()

    _, (echoed, echo_sha) = await asyncio.gather(send(), receive())
    client_uto = uto(writer)
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    print(json.dumps({"sent": TOTAL, "sent_sha": hashlib.sha256(data).hexdigest(), "server_read": server_state["read"],
                      "server_sha": server_state["sha"], "echoed": echoed, "echo_sha": echo_sha,
                      "server_uto": server_state["uto"], "client_uto": client_uto}))


asyncio.run(main())
