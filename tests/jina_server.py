#!/usr/bin/env python3
"""jina_server: a small fake of Jina's search endpoint (s.jina.ai) for tests.

    python3 tests/jina_server.py --script FILE --port-file F [--log FILE]
                                 [--require-key K] [--host 127.0.0.1] [--port 0]

Binds HOST:PORT (port 0 = a free one), writes the port to F atomically and
serves until killed. Python standard library only.

Endpoint: GET /?q=QUERY. 404 for another path, 405 for another method, 400
without q, 401 when --require-key K is given and "Authorization: Bearer K"
is not sent. The script (JSON object) maps a query to its entry, "*" for
every other query:

  {"data": [{"title", "url", "description", "content", "date"?,
             "publishedTime"?}, ...]}
        200 {"code": 200, "status": 20000, "data": [...]} as Jina answers
  {"fault": "status", "status": 500}     that status with a short text body
  {"fault": "hang", "seconds": S}        sleep S, then close without answering
  {"raw": "text", "status": 200, "content_type": "text/plain"}   that body

Log (--log): one JSON line per request, flushed before answering:
{"seq", "path", "query", "headers" (names in lower case), "status"}.
"""

import http.server
import json
import sys
import time
import urllib.parse

import serverlib


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "jina_server/1"
    timeout = 60

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    def record(self, query, status):
        srv = self.server
        with srv.log_lock:
            srv.seq += 1
            if srv.log:
                srv.log.write(json.dumps({
                    "seq": srv.seq, "path": self.path, "query": query,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "status": status}) + "\n")
                srv.log.flush()

    def send(self, status, data, content_type="application/json"):
        raw = data.encode() if isinstance(data, str) else json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query).get("q", [None])[0]
        if url.path != "/":
            self.record(query, 404)
            return self.send(404, {"code": 404, "message": "not found"})
        key = self.server.require_key
        if key is not None and self.headers.get("Authorization") != "Bearer " + key:
            self.record(query, 401)
            return self.send(401, {"code": 401, "message": "invalid API key"})
        if not query:
            self.record(query, 400)
            return self.send(400, {"code": 400, "message": "q is required"})
        entry = self.server.script.get(query, self.server.script.get("*", {"data": []}))
        fault = entry.get("fault")
        if fault == "hang":
            self.record(query, None)
            time.sleep(float(entry.get("seconds", 600)))
            self.close_connection = True
            return None
        if fault == "status":
            status = int(entry.get("status", 500))
            self.record(query, status)
            return self.send(status, "scripted failure %d" % status, "text/plain")
        if "raw" in entry:
            status = int(entry.get("status", 200))
            self.record(query, status)
            return self.send(status, entry["raw"], entry.get("content_type", "text/plain"))
        self.record(query, 200)
        return self.send(200, {"code": 200, "status": 20000, "data": entry.get("data", [])})

    def refuse_method(self):
        self.record(None, 405)
        self.close_connection = True
        self.send(405, {"code": 405, "message": "method not allowed"})

    do_POST = do_PUT = do_DELETE = refuse_method


def load(path):
    """The script at path: a JSON object."""
    with open(path, encoding="utf-8") as f:
        script = json.load(f)
    if not isinstance(script, dict):
        raise ValueError("the script must be a JSON object")
    return script


if __name__ == "__main__":
    sys.exit(serverlib.main("jina_server", "Fake Jina search endpoint", Handler, load))
