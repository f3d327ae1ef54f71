"""serverlib: what the test servers (llm_server.py, jina_server.py) share:
their common command line, a threading HTTP server that stays quiet about
client resets, and the start-up that binds the port and publishes it
atomically in the port file (a reader never sees a partial file), then
serves until SIGTERM. Python standard library only."""

import argparse
import http.server
import os
import sys
import threading


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops the SYNs of a burst of
    # connections (every model of a lockstep job at a new date), which the
    # client retries a second later.
    request_queue_size = 256

    def handle_error(self, request, client_address):  # no tracebacks on stderr for resets
        pass


def _arguments(description):
    """The parsed common options: --script, --port-file, --log, --require-key,
    --host and --port."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--script", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--require-key")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    return ap.parse_args()


def publish_port(srv, port_file):
    """Writes srv's port to port_file atomically."""
    tmp = port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(tmp, port_file)


def serve(host, port_file, handler):
    """Binds host on a free port, publishes it in port_file, then serves
    handler until killed (for servers with their own command line)."""
    srv = Server((host, 0), handler)
    publish_port(srv, port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


def main(name, description, handler, load):
    """Parses the command line, loads the script with load(path) (OSError or
    ValueError when it is bad), then serves handler until killed; returns the
    exit status. The server object carries script, require_key, log (the open
    --log file or None), log_lock and seq (a request counter) for the
    handler, and inflight (a counter of requests being handled)."""
    args = _arguments(description)
    try:
        script = load(args.script)
    except (OSError, ValueError) as e:
        print("%s: bad script %s: %s" % (name, args.script, e), file=sys.stderr)
        return 2
    try:
        srv = Server((args.host, args.port), handler)
        srv.log = open(args.log, "a", encoding="utf-8") if args.log else None
        publish_port(srv, args.port_file)
    except OSError as e:
        print("%s: %s" % (name, e), file=sys.stderr)
        return 2
    srv.script = script
    srv.require_key = args.require_key
    srv.log_lock = threading.Lock()
    srv.seq = 0
    srv.inflight = 0  # requests being handled (llm_server counts them)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
