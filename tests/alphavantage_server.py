#!/usr/bin/env python3
"""alphavantage_server: a local stand-in for Alpha Vantage's /query (tests only).

    python3 tests/alphavantage_server.py --port-file F --log FILE --key K
                                         [--limit-after N] [--limit-field Information]
                                         [--days 10] [--host 127.0.0.1]

Binds HOST on a free port, writes the port to F (atomically) and serves until
killed. GET /query?function=TIME_SERIES_DAILY|SPLITS&symbol=S&apikey=K answers
in Alpha Vantage's formats: deterministic bars for DAYS weekdays from
2025-01-02 (values derived from the symbol), and splits (AAPL: one 2:1 split
effective on the 5th day; others none). In-band errors, as the real service
sends them with status 200: {"Error Message": ...} for a wrong key or an
unknown function, and, once N requests were answered (--limit-after), the
rate-limit message under --limit-field ("Note" or "Information"). One line
per request is appended to FILE: "FUNCTION SYMBOL ANSWER".
"""
import argparse
import datetime
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler

import serverlib
from urllib.parse import parse_qs, urlparse


def weekdays(n):
    d = datetime.date(2025, 1, 2)
    out = []
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d.isoformat())
        d += datetime.timedelta(days=1)
    return out


def daily(symbol, days):
    base = 50 + int(hashlib.sha256(symbol.encode()).hexdigest()[:6], 16) % 400
    series = {}
    for i, d in enumerate(days):
        o = base + i * 0.5
        series[d] = {"1. open": "%.4f" % o, "2. high": "%.4f" % (o + 2), "3. low": "%.4f" % (o - 2),
                     "4. close": "%.4f" % (o + 1), "5. volume": str(1000000 + i)}
    return {"Meta Data": {"1. Information": "Daily Prices (open, high, low, close) and Volumes",
                          "2. Symbol": symbol, "3. Last Refreshed": days[-1],
                          "4. Output Size": "Compact", "5. Time Zone": "US/Eastern"},
            "Time Series (Daily)": dict(reversed(list(series.items())))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--limit-after", type=int, default=-1)
    ap.add_argument("--limit-field", default="Information")
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--host", default="127.0.0.1")
    args = ap.parse_args()
    days = weekdays(args.days)
    lock = threading.Lock()
    served = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            u = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(u.query).items()}
            fn, sym = q.get("function", ""), q.get("symbol", "")
            with lock:
                if u.path != "/query":
                    self.send_error(404)
                    return
                if q.get("apikey") != args.key:
                    body, what = {"Error Message": "the parameter apikey is invalid or missing."}, "error"
                elif 0 <= args.limit_after <= served[0]:
                    body, what = {args.limit_field: "Thank you for using Alpha Vantage! Our standard "
                                  "API rate limit is 25 requests per day."}, "limit"
                elif fn == "TIME_SERIES_DAILY":
                    body, what = daily(sym, days), "data"
                elif fn == "SPLITS":
                    data = [{"effective_date": days[4], "split_factor": "2.0000"}] if sym == "AAPL" else []
                    body, what = {"symbol": sym, "data": data}, "data"
                else:
                    body, what = {"Error Message": "Invalid API call."}, "error"
                if what == "data":
                    served[0] += 1
                with open(args.log, "a") as f:
                    f.write("%s %s %s\n" % (fn, sym, what))
            raw = json.dumps(body, indent=4).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *a):
            pass

    serverlib.serve(args.host, args.port_file, Handler)

if __name__ == "__main__":
    main()
