#!/usr/bin/env python3
"""WebSocket over HTTP/1.1 as the Python `websockets` library speaks it, against `stator serve`.

Used by `cargo xtask interop serve`: connects to URL (ws:// or wss://; with --ca-certs the
server's certificate is verified against that PEM), with or without permessage-deflate,
reads the session's scope JSON that `/ws?info` sends first, echoes text and binary
messages of several sizes, closes with 1000 and checks the server's close code.
Prints `SCOPE: <json>`, `EXTENSIONS: <header>` and `RESULT: OK` or `RESULT: MISMATCH`;
exits 0 only when every echo matched.

    python ws_client.py URL [--ca-certs PEM] [--no-deflate] [--count N]
"""
import argparse
import json
import ssl
import sys

from websockets.exceptions import WebSocketException
from websockets.sync.client import connect


def run(args):
    context = None
    if args.url.startswith("wss:"):
        context = ssl.create_default_context(cafile=args.ca_certs)
    compression = None if args.no_deflate else "deflate"
    ok = True
    with connect(
        args.url,
        ssl=context,
        compression=compression,
        open_timeout=args.timeout,
        close_timeout=args.timeout,
        max_size=2**24,
        user_agent_header="stator-interop websockets",
    ) as ws:
        print("EXTENSIONS:", ws.response.headers.get("Sec-WebSocket-Extensions", ""))
        scope = json.loads(ws.recv(timeout=args.timeout))
        print("SCOPE:", json.dumps(scope))
        sizes = [0, 1, 125, 126, 65535, 65536, 1_000_000]
        for i in range(args.count):
            size = sizes[i % len(sizes)]
            if i % 2 == 0:
                message = (f"message {i} " + "abcdefgh" * (size // 8 + 1))[:size]
            else:
                message = bytes((j * 31 + i) & 0xFF for j in range(size))
            ws.send(message)
            got = ws.recv(timeout=args.timeout)
            same = got == message
            print(f"echo {i}: {type(message).__name__} {size} bytes, {'ok' if same else 'MISMATCH'}")
            ok = ok and same
        ws.close(1000, "bye")
        print("close code from the server:", ws.close_code)
        ok = ok and ws.close_code == 1000
    print("RESULT:", "OK" if ok else "MISMATCH")
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("url")
    p.add_argument("--ca-certs")
    p.add_argument("--no-deflate", action="store_true")
    p.add_argument("--count", type=int, default=14)
    p.add_argument("--timeout", type=float, default=10)
    args = p.parse_args()
    try:
        return run(args)
    except (WebSocketException, OSError, TimeoutError, ValueError) as e:
        print("FAIL:", repr(e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
