#!/usr/bin/env python3
"""callback_receiver: a webhook receiver for the tests (standard library only).

    python3 tests/callback_receiver.py --secret S --port-file F --log FILE
                                       [--fail-first N] [--host 127.0.0.1]

Binds HOST on a free port, writes the port to F (atomically) and serves until
killed. Each POST is checked: the X-Trader-Signature header must be
"sha256=" + the hex HMAC-SHA256 of the raw body keyed with S, and the body a
JSON object. One JSON line per request is appended to FILE: {"path",
"signature_ok", "body" (parsed, or null), "answered"}. The first N requests
(--fail-first) are answered 503; later ones 200 when the signature is good,
else 401.
"""
import argparse
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler

import serverlib


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secret", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    args = ap.parse_args()
    lock = threading.Lock()
    seen = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n)
            want = "sha256=" + hmac.new(args.secret.encode(), raw, hashlib.sha256).hexdigest()
            ok = hmac.compare_digest(self.headers.get("X-Trader-Signature", ""), want)
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            with lock:
                seen[0] += 1
                status = 503 if seen[0] <= args.fail_first else (200 if ok else 401)
                with open(args.log, "a") as f:
                    f.write(json.dumps({"path": self.path, "signature_ok": ok, "body": body,
                                        "answered": status}) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    serverlib.serve(args.host, args.port_file, Handler)

if __name__ == "__main__":
    main()
