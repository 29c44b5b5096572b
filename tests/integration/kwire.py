"""kwire.py - just enough of the Kafka wire protocol, in Python, for tests
that must send what no well-behaved client sends: hand-made record batches
(CRC-32C computed here), Produce v3 requests, Metadata v1, and their
answers. Not a client: one request, one answer, on a socket you own.
"""
import socket
import struct

_T = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _T.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    t = _T
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def varint(n):
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def record(value, key=None, offset_delta=0, ts_delta=0, headers=(), length_adjust=0):
    body = b"\x00" + varint(ts_delta) + varint(offset_delta)
    body += varint(-1) if key is None else varint(len(key)) + key
    body += varint(-1) if value is None else varint(len(value)) + value
    body += varint(len(headers))
    for k, v in headers:
        body += varint(len(k)) + k + varint(len(v)) + v
    return varint(len(body) + length_adjust) + body


def batch(records_bytes, count, codec=0, last_offset_delta=None, crc_ok=True, ts=1700000000000):
    """A magic-2 batch around already-encoded (maybe compressed) records."""
    if last_offset_delta is None:
        last_offset_delta = count - 1
    after_crc = struct.pack(">hiqqqhii", codec, last_offset_delta, ts, ts, -1, -1, -1, count) + records_bytes
    crc = crc32c(after_crc)
    if not crc_ok:
        crc ^= 0x5A5A5A5A
    body = struct.pack(">ibI", -1, 2, crc) + after_crc
    return struct.pack(">qi", 0, len(body)) + body


def string(s):
    if s is None:
        return struct.pack(">h", -1)
    if isinstance(s, str):
        s = s.encode()
    return struct.pack(">h", len(s)) + s


def request(api_key, version, corr, body, client_id="kwire"):
    hdr = struct.pack(">hhi", api_key, version, corr) + string(client_id)
    return struct.pack(">i", len(hdr) + len(body)) + hdr + body


def produce_v3(topic, partition, batch_bytes, acks=1, corr=1):
    body = string(None) + struct.pack(">hi", acks, 10000) + struct.pack(">i", 1) + string(topic)
    body += struct.pack(">i", 1) + struct.pack(">i", partition) + struct.pack(">i", len(batch_bytes)) + batch_bytes
    return request(0, 3, corr, body)


def recv_frame(sock):
    hdr = b""
    while len(hdr) < 4:
        d = sock.recv(4 - len(hdr))
        if not d:
            raise ConnectionError("closed")
        hdr += d
    n = struct.unpack(">i", hdr)[0]
    data = b""
    while len(data) < n:
        d = sock.recv(n - len(data))
        if not d:
            raise ConnectionError("closed")
        data += d
    return data


def produce_error(port, topic, partition, batch_bytes, acks=1):
    """Sends one Produce v3; returns (error_code, base_offset)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        s.sendall(produce_v3(topic, partition, batch_bytes, acks))
        d = recv_frame(s)
    finally:
        s.close()
    # corr, [topics: name, [partitions: index, error, base_offset, append_time]]
    at = 4 + 4
    (nl,) = struct.unpack(">h", d[at:at + 2])
    at += 2 + nl + 4
    _idx, err, base = struct.unpack(">ihq", d[at:at + 14])
    return err, base


def metadata_topics(port, topics, corr=3):
    """Metadata v1 for the given topics (auto-creation as the broker does
    it). Returns {name: (error, npartitions)}."""
    body = struct.pack(">i", len(topics)) + b"".join(string(t) for t in topics)
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        s.sendall(request(3, 1, corr, body))
        d = recv_frame(s)
    finally:
        s.close()
    at = 4
    (nb,) = struct.unpack(">i", d[at:at + 4])
    at += 4
    for _ in range(nb):
        at += 4
        (hl,) = struct.unpack(">h", d[at:at + 2])
        at += 2 + hl + 4
        (rl,) = struct.unpack(">h", d[at:at + 2])
        at += 2 + (rl if rl > 0 else 0)
    at += 4  # controller id
    (nt,) = struct.unpack(">i", d[at:at + 4])
    at += 4
    out = {}
    for _ in range(nt):
        (err,) = struct.unpack(">h", d[at:at + 2])
        at += 2
        (nl,) = struct.unpack(">h", d[at:at + 2])
        name = d[at + 2:at + 2 + nl].decode()
        at += 2 + nl + 1  # is_internal
        (np_,) = struct.unpack(">i", d[at:at + 4])
        at += 4
        for _ in range(np_):
            at += 2 + 4 + 4
            for _ in range(2):
                (k,) = struct.unpack(">i", d[at:at + 4])
                at += 4 + 4 * k
        out[name] = (err, np_)
    return out
