#!/usr/bin/env python3
"""hostile_ws.py MODE PORT_FILE: a hostile WebSocket server on 127.0.0.1.

Listens on a free port, writes it to PORT_FILE once listening, and serves
every connection in MODE: a good upgrade and one heartbeat message, then
the fault (see handle()). Prints "conn N" per connection on stdout, so a
test counts reconnections. Runs until killed.

Adapted from the adversarial reproducer of the project's hardening issue
(the slowloris, frag_forever, len_2_63_minus_1, bad_utf8 and close_*
modes); the framing is plain RFC 6455.
"""
import asyncio, base64, hashlib, os, struct, sys, time

MODE, PORT_FILE = sys.argv[1], sys.argv[2]
PORT = 0
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
conns = 0
MSG = b'{"message_type":"heartbeat","timestamp":1}'

def frame(op, payload=b"", fin=True, mask=False, length=None):
    b0 = (0x80 if fin else 0) | op
    L = len(payload) if length is None else length
    mbit = 0x80 if mask else 0
    if L < 126: h = bytes([b0, mbit | L])
    elif L <= 0xFFFF: h = bytes([b0, mbit | 126]) + struct.pack(">H", L)
    else: h = bytes([b0, mbit | 127]) + struct.pack(">Q", L)
    if mask:
        k = os.urandom(4)
        payload = bytes(c ^ k[i % 4] for i, c in enumerate(payload))
        h += k
    return h + payload

async def read_request(reader):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await reader.read(4096)
        if not chunk: raise ConnectionError("eof")
        data += chunk
    key = b""
    for line in data.split(b"\r\n"):
        if line.lower().startswith(b"sec-websocket-key:"):
            key = line.split(b":", 1)[1].strip()
    return key

def accept_of(key):
    return base64.b64encode(hashlib.sha1(key + GUID).digest())

def upgrade(key, accept=None, extra=b""):
    acc = accept_of(key) if accept is None else accept
    h = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    if acc is not False: h += b"Sec-WebSocket-Accept: " + acc + b"\r\n"
    return h + extra + b"\r\n"

async def handle(reader, writer):
    global conns
    conns += 1
    n = conns
    print(f"[{time.monotonic():.1f}] conn {n}", flush=True)
    try:
        if MODE == "hs_slow":          # trickle the 101 response one byte a second
            key = await read_request(reader)
            for b in upgrade(key):
                writer.write(bytes([b])); await writer.drain(); await asyncio.sleep(1)
            await asyncio.sleep(30); return
        key = await read_request(reader)
        if MODE == "no_accept":
            writer.write(upgrade(key, accept=False)); await writer.drain(); await asyncio.sleep(5); return
        if MODE == "wrong_accept":
            writer.write(upgrade(key, accept=b"AAAAAAAAAAAAAAAAAAAAAAAAAAA=")); await writer.drain(); await asyncio.sleep(5); return
        if MODE == "endless_header":
            writer.write(b"HTTP/1.1 101 Switching Protocols\r\nX-Junk: ")
            while True:
                writer.write(b"a" * 65536); await writer.drain(); await asyncio.sleep(0.01)
        writer.write(upgrade(key)); await writer.drain()
        writer.write(frame(1, MSG)); await writer.drain()    # one good message first
        if MODE == "len_2_63":
            writer.write(bytes([0x81, 127]) + struct.pack(">Q", 1 << 63))
        elif MODE == "len_2_63_minus_1":   # legal header, then pour data
            writer.write(bytes([0x81, 127]) + struct.pack(">Q", (1 << 63) - 1))
            t0 = time.monotonic()
            while time.monotonic() - t0 < 60:
                writer.write(b"x" * 65536); await writer.drain()
        elif MODE == "masked":
            writer.write(frame(1, MSG, mask=True))
        elif MODE == "ctl_long":
            writer.write(frame(9, b"p" * 126))
        elif MODE == "ctl_frag":
            writer.write(frame(9, b"ping", fin=False))
        elif MODE == "frag_100k":
            body = b'{"message_type":"heartbeat","pad":"' + b"x" * 99950 + b'"}'
            writer.write(frame(1, body[:1], fin=False))
            buf = bytearray()
            for i in range(1, len(body)):
                buf += frame(0, body[i:i+1], fin=(i == len(body) - 1))
            writer.write(bytes(buf))
            writer.write(frame(1, MSG))
        elif MODE == "frag_forever":       # a message that never ends, 1-byte fragments
            writer.write(frame(1, b"{", fin=False))
            while True:
                writer.write(frame(0, b" ", fin=False) * 4096); await writer.drain()
        elif MODE == "slowloris":          # a frame announced, its bytes one a second
            writer.write(bytes([0x81, 126]) + struct.pack(">H", 1000)); await writer.drain()
            while True:
                writer.write(b" "); await writer.drain(); await asyncio.sleep(1)
        elif MODE == "bad_utf8":
            writer.write(frame(1, b'{"message_type":"certificate_update","data":{"leaf_cert":{"all_domains":["\xff\xfe.example","\xc0\xaf"]}}}'))
            writer.write(frame(1, b'\xff\xfe{"message_type":"heartbeat"}'))
        elif MODE.startswith("close_"):
            code = {"close_999": b"\x03\xe7", "close_1005": b"\x03\xed", "close_5000": b"\x13\x88",
                    "close_1": b"\x03", "close_badreason": b"\x03\xe8\xff\xfe\x00\x1b[31mred"}[MODE]
            if MODE == "close_1":
                writer.write(bytes([0x88, 1]) + code)
            else:
                writer.write(frame(8, code))
        elif MODE == "ping_flood":         # pings forever, never read the pongs
            p = frame(9, b"P" * 125)
            blob = p * 512
            t0 = time.monotonic()
            while time.monotonic() - t0 < 60:
                writer.write(blob); await writer.drain()
        elif MODE == "rsv_bits":
            writer.write(bytes([0xC1, len(MSG)]) + MSG)
        elif MODE == "cont_first":
            writer.write(frame(0, MSG))
        await writer.drain()
        await asyncio.sleep(30)
    except (ConnectionError, asyncio.CancelledError, BrokenPipeError) as e:
        print(f"[{time.monotonic():.1f}] conn {n} ended: {e!r}", flush=True)
    finally:
        try: writer.close()
        except Exception: pass

async def main():
    if MODE == "ping_flood":
        # a tiny receive buffer so that the client's pongs back up
        import socket
        sock = socket.socket(); sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.bind(("127.0.0.1", PORT)); sock.listen()
        srv = await asyncio.start_server(handle, sock=sock)
    else:
        srv = await asyncio.start_server(handle, "127.0.0.1", PORT)
    port = srv.sockets[0].getsockname()[1]
    with open(PORT_FILE + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(PORT_FILE + ".tmp", PORT_FILE)
    async with srv:
        await srv.serve_forever()

asyncio.run(main())
