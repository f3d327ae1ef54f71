#!/usr/bin/env python3
"""Checks a GET /performance answer against metrics computed here, with
Python's decimal and statistics modules, from CONTRACT section 7's
definitions, over value series the calling test worked out on its own.

usage: perf_check.py PERFORMANCE_JSON EXPECT_JSON
EXPECT_JSON: {"models": {"<model>": {"dates": [base, d1..dn],
                                     "values": ["V0", "V1", ..., "Vn"]}},
              "benchmark": {"dates": [base, d1..dn], "closes": ["C0", ...]}}
Prints one line per disagreement, or "ok"."""
import json
import math
import statistics
import sys
from decimal import Decimal, getcontext

getcontext().prec = 50
YEAR = 252


def metrics(values, dates):
    v = [Decimal(x) for x in values]
    n = len(v) - 1
    r = [v[t] / v[t - 1] - 1 for t in range(1, n + 1)]
    rf = [float(x) for x in r]
    total = v[n] / v[0] - 1
    ann = float(v[n] / v[0]) ** (YEAR / n) - 1
    sd = statistics.stdev(rf) if n > 1 else None
    mean = statistics.fmean(rf)
    down = math.sqrt(sum(min(x, 0.0) ** 2 for x in rf) / n)
    worst, peak_at, trough_at, peak = Decimal(0), None, None, 0
    for t in range(n + 1):
        if v[t] > v[peak]:
            peak = t
        dd = v[t] / v[peak] - 1
        if dd < worst:
            worst, peak_at, trough_at = dd, peak, t
    pct = lambda x: None if x is None else float(x) * 100
    return {
        "total_return_pct": pct(total),
        "annualized_return_pct": ann * 100,
        "volatility_pct": None if sd is None else sd * math.sqrt(YEAR) * 100,
        "sharpe": mean / sd * math.sqrt(YEAR) if sd else None,
        "sortino": mean / down * math.sqrt(YEAR) if down else None,
        "max_drawdown_pct": pct(worst),
        "max_drawdown_peak_date": None if peak_at is None else dates[peak_at],
        "max_drawdown_trough_date": None if trough_at is None else dates[trough_at],
        "calmar": ann / abs(float(worst)) if worst else None,
        "win_rate_pct": sum(1 for x in r if x > 0) / n * 100,
        "trading_days": n,
    }


def same(got, want):
    if want is None or got is None or isinstance(want, (str, int)):
        return got == want
    return abs(got - want) <= 1e-7 * max(1.0, abs(want))


def compare(where, got, want, bad):
    for k, w in want.items():
        if not same(got.get(k, "<absent>"), w):
            bad.append("%s %s: got %r, want %r" % (where, k, got.get(k, "<absent>"), w))


def main():
    perf = json.load(open(sys.argv[1]))
    expect = json.load(open(sys.argv[2]))
    bad = []
    got_models = {m["model"]: m for m in perf["models"]}
    if sorted(got_models) != sorted(expect["models"]):
        bad.append("models: got %s, want %s" % (sorted(got_models), sorted(expect["models"])))
    for name, e in expect["models"].items():
        if name in got_models:
            want = metrics(e["values"], e["dates"])
            want["start_value"] = float(Decimal(e["values"][0]))
            want["end_value"] = float(Decimal(e["values"][-1]))
            compare(name, got_models[name], want, bad)
    ranked = sorted(perf["models"], key=lambda m: -m["total_return_pct"])
    if [m["model"] for m in ranked] != [m["model"] for m in perf["models"]]:
        bad.append("models are not in order of total return")
    if [m["rank"] for m in perf["models"]] != list(range(1, len(perf["models"]) + 1)):
        bad.append("ranks: %s" % [m["rank"] for m in perf["models"]])
    b = expect.get("benchmark")
    if b:
        compare("QQQ", perf["benchmark"] or {}, metrics(b["closes"], b["dates"]), bad)
        # Excess: against QQQ over the model's own days (base to last).
        close = dict(zip(b["dates"], (Decimal(c) for c in b["closes"])))
        for name, e in expect["models"].items():
            m = got_models.get(name)
            qqq = close[e["dates"][-1]] / close[e["dates"][0]] - 1
            if m and not same(m["excess_return_pct"], m["total_return_pct"] - float(qqq) * 100):
                bad.append("%s excess_return_pct %r" % (name, m["excess_return_pct"]))
    print("\n".join(bad) if bad else "ok")


if __name__ == "__main__":
    main()
