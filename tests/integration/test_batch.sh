#!/usr/bin/env bash
# Batch mode, `traderctl run` (no stack, no traderd): it creates the job as a
# trigger would, runs it to its end in the foreground with a progress line,
# prints the leaderboard and exits 0 when every model-day completed; 1 when a
# model-day failed, for a refused request (nothing created) and when --start
# comes without --end; 0 with "up to date" when nothing is left.
. "$(dirname "$0")/lib.sh"

CONFIGS=$T_DIR/configs
export TRADER_CONFIGS_DIR=$CONFIGS TRADER_THREADS=2
mkdir -p "$CONFIGS"
cp "$TOP_SRCDIR/configs/default_config.json" "$CONFIGS/"
# A model whose endpoint refuses connections: its model-days fail at once.
cat >"$CONFIGS/broken.json" <<'JSON'
{"date_range": {"init_date": "2025-01-02"},
 "models": [{"signature": "ew", "provider": "builtin", "strategy": "equal_weight"},
            {"signature": "down", "basemodel": "x/y", "openai_base_url": "http://127.0.0.1:9/v1",
             "openai_api_key": "k"}],
 "agent_config": {"max_steps": 2, "max_retries": 0, "base_delay": 0.01, "initial_cash": 10000.0}}
JSON
ctl prices synth --days 10 >/dev/null || bail "prices synth failed"

ctl run --start 2025-01-06 --end 2025-01-10 >"$T_DIR/out" 2>"$T_DIR/err"
is "$?" 0 "run: exit 0 when every model-day completed"
job=$(sed -n 's/^job \([0-9a-f-]*\): 15 model-days$/\1/p' "$T_DIR/out")
like "$job" '^[0-9a-f-]{36}$' "  prints the new job and its model-days"
like "$(cat "$T_DIR/err")" "running: [0-9]+/15 model-days done" "  a progress line"
like "$(cat "$T_DIR/out")" "job $job completed: 15 completed, 0 failed of 15 model-days" "  the outcome"
like "$(cat "$T_DIR/out")" "Leaderboard of job $job" "  the leaderboard"
like "$(cat "$T_DIR/out")" "QQQ buy and hold" "  against QQQ"
is "$(dbq "SELECT status || ' ' || (SELECT count(*) FROM positions WHERE job_id = '$job') FROM jobs WHERE job_id = '$job'")" \
  "completed 15" "  the job is completed with 15 model-days stored"

ctl run --start 2025-01-06 --end 2025-01-10 >"$T_DIR/out" 2>&1
is "$?" 0 "run again: exit 0"
like "$(cat "$T_DIR/out")" "already up to date" "  nothing left to do"

ctl run --config configs/broken.json --start 2025-01-06 --end 2025-01-07 >"$T_DIR/out" 2>"$T_DIR/err"
is "$?" 1 "a failing model-day: exit 1"
like "$(cat "$T_DIR/out")" "partial: 2 completed, 2 failed of 4 model-days" "  the job is partial"
like "$(cat "$T_DIR/out")" "Leaderboard of job" "  the leaderboard all the same"

n=$(dbq "SELECT count(*) FROM jobs")
ctl run --models nope --start 2025-01-06 --end 2025-01-07 >"$T_DIR/out" 2>"$T_DIR/err"
is "$?" 1 "an unknown model: exit 1"
like "$(cat "$T_DIR/err")" 'unknown model "nope"' "  says why"
is "$(dbq "SELECT count(*) FROM jobs")" "$n" "  no job created"
ctl run --start 2025-01-06 >/dev/null 2>&1
is "$?" 1 "--start without --end: exit 1"
ctl run --bogus >/dev/null 2>&1
is "$?" 2 "unknown option: usage (2)"

# As README's commands do it: from the build tree, not installed, with no
# TRADER_CONFIGS_DIR, the source tree's configs are used (as the stack does).
(cd "$T_DIR" && env -u TRADER_CONFIGS_DIR "$TRADERCTL" --home "$T_HOME" run --models momentum \
  --start 2025-01-13 --end 2025-01-14 >"$T_DIR/out" 2>"$T_DIR/err")
is "$?" 0 "run without TRADER_CONFIGS_DIR: exit 0"
like "$(cat "$T_DIR/out")" "completed: 2 completed, 0 failed of 2 model-days" "  the default config ran"

done_testing
