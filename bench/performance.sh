#!/usr/bin/env bash
# bench/performance.sh [--days N] [--models M] [--requests R]: how fast the
# analytics answer over a large store, as users reach them (curl -> nginx ->
# trader-api -> SQLite). Builds a store of N trading days (default 1000) x M
# models (default 20) with two trades per model-day and QQQ's closes, then
# times R sequential requests (default 50) of each target and prints the
# answer size and the median, 90th percentile and slowest time in ms.
# See bench/README.md for the figures.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DAYS=1000 MODELS=20 REQUESTS=50
bench_args 2 "DAYS MODELS REQUESTS" "$@"
bench_home bench
bench_stack_up 2

# The store: one job, DAYS weekdays from 2022-01-03, each model's value a
# random walk (seeded), QQQ's close another.
python3 - "$HOME_DIR/trader.db" "$DAYS" "$MODELS" <<'EOF'
import datetime, random, sqlite3, sys
db, ndays, nmodels = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(8)
con = sqlite3.connect(db, timeout=30)
days, d = [], datetime.date(2022, 1, 3)
while len(days) < ndays + 1:
    if d.weekday() < 5:
        days.append(d.isoformat())
    d += datetime.timedelta(days=1)
q = 400 * 10**6
bars = []
for day in days:
    q = max(10**6, int(q * (1 + rnd.gauss(0.0004, 0.012))))
    bars.append(("QQQ", day, "1.0", "%.6f" % (q / 1e6), 10**6, q))
with con:
    con.executemany("INSERT INTO prices(symbol, date, open, close, open_micro, close_micro)"
                    " VALUES(?, ?, ?, ?, ?, ?)", bars)
    con.execute("INSERT INTO jobs(job_id, config_path, status, date_range, models, created_at)"
                " VALUES('bench', 'configs/default_config.json', 'completed', '[]', '[]',"
                " '2026-01-01T00:00:00.000Z')")
    for m in range(nmodels):
        model, v = "model-%02d" % (m + 1), 10000 * 10**6
        for day in days[1:]:
            prev, v = v, max(10**6, int(v * (1 + rnd.gauss(0.0003, 0.015))))
            cur = con.execute(
                "INSERT INTO positions(job_id, date, model, cash, portfolio_value, prev_value,"
                " daily_profit, daily_return_pct, prompt_tokens, completion_tokens, total_tokens,"
                " created_at, cost, ntrades) VALUES('bench', ?, ?, 0, ?, ?, ?, 0, 30000, 2000,"
                " 32000, 't', 95000, 2)", (day, model, v, prev, v - prev))
            con.executemany("INSERT INTO trades(position_id, seq, action, symbol, amount, price,"
                            " total) VALUES(?, ?, 'buy', 'AAPL', 1, 1, 1)",
                            [(cur.lastrowid, 1), (cur.lastrowid, 2)])
print("store: %d trading days x %d models, %d positions rows, %d trades rows" % (
    ndays, nmodels, ndays * nmodels, 2 * ndays * nmodels))
EOF

LAST=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT max(date) FROM positions").fetchone()[0])' "$HOME_DIR/trader.db")
TARGETS=(
  "/performance"
  "/performance?job_id=bench"
  "/performance?models=model-01,model-02&start_date=2023-01-01"
  "/performance/series"
  "/results?start_date=2022-01-01&end_date=$LAST&limit=1000"
  "/results?start_date=2022-01-01&end_date=$LAST&limit=1000&offset=19000&detail=full"
)

echo "machine: $(nproc) cores, $(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$REQUESTS sequential requests per target, 2 trader-api workers"
printf '%-72s %4s %9s %8s %8s %8s\n' target HTTP bytes "p50 ms" "p90 ms" "max ms"
for path in "${TARGETS[@]}"; do
  curl -s -o /dev/null "$BASE$path" # warm the worker's statement cache
  for _ in $(seq 1 "$REQUESTS"); do
    curl -s -o "$TMP/body" -w '%{http_code} %{size_download} %{time_total}\n' "$BASE$path"
  done >"$TMP/times"
  python3 - "$path" "$TMP/times" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[2])]
t = sorted(float(r[2]) * 1000 for r in rows)
codes = sorted(set(r[0] for r in rows))
print("%-72s %4s %9s %8.1f %8.1f %8.1f" % (sys.argv[1][:72], ",".join(codes), rows[-1][1],
      statistics.median(t), t[int(len(t) * 0.9) - 1], t[-1]))
EOF
done

# The CPU time of /performance's work in one process (no waiting for a core),
# when the build's library is at hand.
LIB=${TRADER_BUILDDIR:-$ROOT/build}/src/libtrader.a
if [ -f "$LIB" ] && command -v cc >/dev/null; then
  cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/src" -I"${TRADER_BUILDDIR:-$ROOT/build}" \
    $(pkg-config --cflags json-c) "$ROOT/bench/perf_cpu.c" "$LIB" \
    $(pkg-config --libs json-c sqlite3 libcurl) -lm -lpthread -o "$TMP/perf_cpu"
  for job in "" bench; do
    read -r p50 max < <("$TMP/perf_cpu" "$HOME_DIR/trader.db" $job)
    printf 'perf_load + JSON in-process%-45s CPU ms: p50 %s, max %s\n' "${job:+ (job_id=$job)}" "$p50" "$max"
  done
fi
