#!/usr/bin/env python3
"""A minimal FastCGI client (test harness, standard library only) that talks
to trader-api's Unix socket directly, bypassing nginx, so a test can send
what nginx would never forward: missing or malformed parameters, lying
Content-Length, raw bytes, truncated records.

usage: fcgi_client.py SOCKET PARAMS_JSON [BODY_FILE]
       fcgi_client.py SOCKET --truncated

PARAMS_JSON is an object of FastCGI parameters; values are encoded as
latin-1 so "\\u00ff" sends the byte 0xff. Prints the status code on the
first line, then the response body. With --truncated it sends half a record
and hangs up, printing nothing.
"""
import json
import socket
import struct
import sys

VERSION, BEGIN, PARAMS, STDIN, STDOUT, STDERR, END = 1, 1, 4, 5, 6, 7, 3
RESPONDER = 1


def record(rtype, content, req_id=1):
    out = b""
    while True:
        chunk, content = content[:65535], content[65535:]
        pad = (8 - len(chunk) % 8) % 8
        out += struct.pack(">BBHHBx", VERSION, rtype, req_id, len(chunk), pad) + chunk
        out += b"\0" * pad
        if not content:
            return out


def length(n):
    return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)


def params(pairs):
    data = b""
    for k, v in pairs.items():
        k, v = k.encode("latin-1"), v.encode("latin-1")
        data += length(len(k)) + length(len(v)) + k + v
    return data


def request(sock_path, pairs, body):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sock_path)
    msg = record(BEGIN, struct.pack(">HB5x", RESPONDER, 0))
    if pairs:
        msg += record(PARAMS, params(pairs))
    msg += record(PARAMS, b"")
    if body:
        msg += record(STDIN, body)
    msg += record(STDIN, b"")
    s.sendall(msg)
    out = b""
    buf = b""
    while True:
        data = s.recv(65536)
        if not data:
            break
        buf += data
        while len(buf) >= 8:
            _, rtype, _, clen, pad = struct.unpack(">BBHHBx", buf[:8])
            if len(buf) < 8 + clen + pad:
                break
            if rtype == STDOUT:
                out += buf[8:8 + clen]
            buf = buf[8 + clen + pad:]
    s.close()
    head, _, payload = out.partition(b"\r\n\r\n")
    status = "000"
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"status:"):
            status = line.split()[1].decode()
    return status, payload


def truncated(sock_path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    s.sendall(record(BEGIN, struct.pack(">HB5x", RESPONDER, 0)) + b"\x01\x04\x00\x01\x00\x40")
    s.close()


def main():
    if len(sys.argv) == 3 and sys.argv[2] == "--truncated":
        truncated(sys.argv[1])
        return
    pairs = json.loads(sys.argv[2])
    body = open(sys.argv[3], "rb").read() if len(sys.argv) > 3 else b""
    status, payload = request(sys.argv[1], pairs, body)
    sys.stdout.write(status + "\n")
    sys.stdout.flush()
    sys.stdout.buffer.write(payload)


if __name__ == "__main__":
    main()
