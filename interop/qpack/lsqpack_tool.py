"""ls-qpack (through pylsqpack) as a QPACK offline-interop encoder and decoder.

    python lsqpack_tool.py encode IN.qif OUT TABLE_SIZE MAX_BLOCKED
    python lsqpack_tool.py decode IN OUT TABLE_SIZE MAX_BLOCKED

The file format is the offline-interop one: blocks of stream id (u64 big-endian),
length (u32 big-endian) and bytes; stream 0 is the encoder stream. Header list n of a
QIF file is the field section of stream n. Decoded lists are written in stream order.
"""

import struct
import sys

import pylsqpack


def read_qif(path):
    lists, current = [], []
    with open(path, "rb") as f:
        for line in f.read().split(b"\n"):
            if line.startswith(b"#"):
                continue
            if not line:
                if current:
                    lists.append(current)
                    current = []
                continue
            name, _, value = line.partition(b"\t")
            current.append((name, value))
    if current:
        lists.append(current)
    return lists


def block(out, stream_id, data):
    out.append(struct.pack(">QI", stream_id, len(data)) + data)


def encode(src, dst, table, blocked):
    encoder = pylsqpack.Encoder()
    out = []
    settings = encoder.apply_settings(max_table_capacity=table, blocked_streams=blocked)
    if settings:
        block(out, 0, settings)
    for stream_id, headers in enumerate(read_qif(src), start=1):
        enc, section = encoder.encode(stream_id, headers)
        if enc:
            block(out, 0, enc)
        block(out, stream_id, section)
    with open(dst, "wb") as f:
        f.write(b"".join(out))


def decode(src, dst, table, blocked):
    decoder = pylsqpack.Decoder(table, blocked)
    lists = {}
    with open(src, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        stream_id, length = struct.unpack_from(">QI", data, pos)
        body = data[pos + 12 : pos + 12 + length]
        pos += 12 + length
        if stream_id == 0:
            for unblocked in decoder.feed_encoder(body):
                _, headers = decoder.resume_header(unblocked)
                lists[unblocked] = headers
        else:
            try:
                _, headers = decoder.feed_header(stream_id, body)
                lists[stream_id] = headers
            except pylsqpack.StreamBlocked:
                pass
    with open(dst, "wb") as f:
        for stream_id in sorted(lists):
            for name, value in lists[stream_id]:
                f.write(name + b"\t" + value + b"\n")
            f.write(b"\n")


if __name__ == "__main__":
    mode, src, dst, table, blocked = sys.argv[1:6]
    {"encode": encode, "decode": decode}[mode](src, dst, int(table), int(blocked))
