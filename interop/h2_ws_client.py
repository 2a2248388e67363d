#!/usr/bin/env python3
"""WebSocket over HTTP/2 (RFC 8441) as python-hyper's h2 and wsproto speak it.

Used by `cargo xtask interop h2` and `serve`: connects with prior knowledge (or, with
--tls, over TLS with ALPN h2, verifying the server against --ca-certs), requires the server's
SETTINGS to carry ENABLE_CONNECT_PROTOCOL=1, sends an Extended CONNECT (:protocol
websocket), optionally offers permessage-deflate, echoes COUNT messages, runs the close
handshake and checks that the server ends the stream. With --info it asks `stator serve`'s
`/ws?info` for the session's scope JSON first and prints it as `SCOPE: <json>`. Exits 0
when every echo matched, 2 when the server does not offer Extended CONNECT, 1 on any
other failure.

    python h2_ws_client.py --port PORT [--path /ws] [--deflate] [--count N] [--size N]
                           [--tls [--ca-certs PEM] [--server-name localhost]] [--info]
"""
import argparse
import json
import socket
import ssl
import sys

import h2.config
import h2.connection
import h2.events
from h2.settings import SettingCodes
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import CloseReason, FrameProtocol, Opcode


class Session:
    """One h2 connection over a blocking socket; events are read on demand."""

    def __init__(self, host, port, timeout, tls=None):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if tls is not None:
            context, server_name = tls
            self.sock = context.wrap_socket(self.sock, server_hostname=server_name)
            alpn = self.sock.selected_alpn_protocol()
            print("TLS:", self.sock.version(), "ALPN:", alpn)
            if alpn != "h2":
                raise ConnectionError(f"ALPN chose {alpn!r}, not h2")
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(config)
        self.conn.initiate_connection()
        self.flush()
        self.backlog = []

    def flush(self):
        out = self.conn.data_to_send()
        if out:
            self.sock.sendall(out)

    def events(self):
        """The events of the next read (or those left over from an earlier one)."""
        if self.backlog:
            events, self.backlog = self.backlog, []
            return events
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        events = self.conn.receive_data(data)
        self.flush()
        return events


def run(args):
    tls = None
    if args.tls:
        context = ssl.create_default_context(cafile=args.ca_certs)
        context.set_alpn_protocols(["h2"])
        tls = (context, args.server_name)
    s = Session(args.host, args.port, args.timeout, tls)
    authority = f"localhost:{args.port}"
    path = args.path + ("?info" if args.info else "")

    settings = None
    while settings is None:
        for e in s.events():
            if isinstance(e, h2.events.RemoteSettingsChanged):
                settings = {int(k): v.new_value for k, v in e.changed_settings.items()}
    print("server SETTINGS:", settings)
    if settings.get(SettingCodes.ENABLE_CONNECT_PROTOCOL) != 1:
        print("FAIL: no SETTINGS_ENABLE_CONNECT_PROTOCOL=1")
        return 2

    sid = s.conn.get_next_available_stream_id()
    headers = [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https" if args.tls else "http"),
        (":path", path),
        (":authority", authority),
        ("sec-websocket-version", "13"),
    ]
    deflate = PerMessageDeflate() if args.deflate else None
    if deflate:
        params = deflate.offer()
        value = deflate.name + (f"; {params}" if isinstance(params, str) and params else "")
        headers.append(("sec-websocket-extensions", value))
    s.conn.send_headers(sid, headers)
    s.flush()

    response = None
    while response is None:
        events = s.events()
        for i, e in enumerate(events):
            if isinstance(e, h2.events.ResponseReceived) and e.stream_id == sid:
                response = dict(e.headers)
                s.backlog = events[i + 1:]
                break
            if isinstance(e, h2.events.StreamReset) and e.stream_id == sid:
                print("FAIL: CONNECT stream reset:", e)
                return 1
    print("CONNECT response:", response)
    if response.get(":status") != "200":
        return 1
    extensions = []
    answer = response.get("sec-websocket-extensions", "")
    if deflate:
        if "permessage-deflate" not in answer:
            print("FAIL: permessage-deflate offered but not accepted")
            return 1
        deflate.finalize(answer.partition(";")[2].strip())
        extensions = [deflate]
        print("permessage-deflate:", answer)
    ws = FrameProtocol(client=True, extensions=extensions)

    def receive(stop):
        """Feeds DATA into wsproto until stop(frame) is true; returns that frame."""
        while True:
            events = s.events()
            for i, e in enumerate(events):
                if isinstance(e, h2.events.DataReceived) and e.stream_id == sid:
                    s.conn.acknowledge_received_data(e.flow_controlled_length, sid)
                    ws.receive_bytes(e.data)
                    for frame in ws.received_frames():
                        if stop(frame):
                            # What came behind it in the same read (END_STREAM) is kept.
                            s.backlog = events[i + 1:]
                            s.flush()
                            return frame
                elif isinstance(e, h2.events.StreamReset) and e.stream_id == sid:
                    raise ConnectionError(f"stream reset: {e}")
                elif isinstance(e, h2.events.StreamEnded) and e.stream_id == sid:
                    raise ConnectionError("stream ended before the expected frame")
            s.flush()

    ok = True
    if args.info:
        parts = []

        def whole_info(frame):
            parts.append(frame.payload if isinstance(frame.payload, str) else frame.payload.decode())
            return frame.message_finished

        receive(whole_info)
        print("SCOPE:", json.dumps(json.loads("".join(parts))))
    for i in range(args.count):
        text = f"message {i} " + "x" * max(0, args.size - 12)
        s.conn.send_data(sid, ws.send_data(text, fin=True))
        s.flush()
        parts = []

        def whole(frame):
            parts.append(frame.payload if isinstance(frame.payload, str) else frame.payload.decode())
            return frame.message_finished

        receive(whole)
        got = "".join(parts)
        print(f"echo {i}: {len(got)} chars, {'ok' if got == text else 'MISMATCH'}")
        ok = ok and got == text

    s.conn.send_data(sid, ws.close(CloseReason.NORMAL_CLOSURE, "bye"))
    s.flush()
    close = receive(lambda f: f.opcode == Opcode.CLOSE)
    print("close frame:", close.payload)
    ended = False
    while not ended:
        for e in s.events():
            if isinstance(e, h2.events.StreamEnded) and e.stream_id == sid:
                ended = True
    print("server ended the stream")
    s.conn.end_stream(sid)
    s.conn.close_connection()
    s.flush()
    s.sock.close()
    print("RESULT:", "OK" if ok else "MISMATCH")
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/ws")
    p.add_argument("--deflate", action="store_true")
    p.add_argument("--count", type=int, default=5)
    p.add_argument("--size", type=int, default=2000)
    p.add_argument("--timeout", type=float, default=10)
    p.add_argument("--tls", action="store_true", help="TLS with ALPN h2 instead of h2c")
    p.add_argument("--ca-certs", help="PEM to verify the server with (--tls)")
    p.add_argument("--server-name", default="localhost", help="SNI and name to verify (--tls)")
    p.add_argument("--info", action="store_true", help="ask /ws?info for the scope first")
    args = p.parse_args()
    try:
        return run(args)
    except (ConnectionError, OSError, ValueError) as e:
        print("FAIL:", e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
