#!/usr/bin/env bash
# The Windmill integration (integrations/windmill): the scripts compile with
# TypeScript's own compiler (pinned in tests/npm, strict) and run with
# Debian's node against the live stack as Windmill calls them (named
# arguments, tests/windmill_run.mjs): trigger, wait (polling with backoff),
# results and performance; the daily flow runs end to end through its
# input_transforms; with an API key in the resource, the key is sent (a
# wrong one is refused); errors surface as exceptions. The flow, schedule
# and resource type files are valid JSON with what Windmill needs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

WM=$TOP_SRCDIR/integrations/windmill
command -v node >/dev/null || skip_all "node is not installed (scripts/deps)"
"$TOP_SRCDIR/scripts/npm-tools" "$NPM_TOOLS" >"$T_DIR/npm.out" 2>&1 ||
  skip_all "the pinned npm tools cannot be installed: $(tail -1 "$T_DIR/npm.out")"
node "$NPM_TOOLS/node_modules/typescript/bin/tsc" -p "$WM/tsconfig.json" --outDir "$T_DIR/wm" \
  >"$T_DIR/tsc.out" 2>&1
ok $? "the scripts compile with tsc (strict)" || sed 's/^/# /' "$T_DIR/tsc.out"
echo '{"type": "module"}' >"$T_DIR/wm/package.json"
is "$(grep -l 'export async function main' "$WM"/f/trader/*.ts | wc -l)" 4 "  four scripts with main()"
is "$(grep -lE 'require\(|from "(node:|http|https|axios)' "$WM"/f/trader/*.ts | wc -l)" 0 "  only fetch, no other client"

# wm SCRIPT ARGS_JSON: runs a script; its JSON result is the body for jget.
wm() {
  node "$TOP_SRCDIR/tests/windmill_run.mjs" "$T_DIR/wm" script "$1" "$2" >"$T_DIR/body" 2>&1
}

use_configs 2
stack_up
ctl prices synth --days 10 >/dev/null || bail "prices synth failed"
TRADER="{\"base_url\": \"$BASE/api/v1\"}"

wm trigger "{\"trader\": $TRADER, \"start_date\": \"2025-01-06\", \"end_date\": \"2025-01-08\", \"models\": [\"equal-weight\", \"momentum\"]}"
ok $? "trigger: runs"
is "$(jget '[j["status"], len(j["date_range"]), j["models"]]')" '["accepted",3,["equal-weight","momentum"]]' \
  "  a job for the dates and models asked"
JOB=$(jget 'j["job_id"]')
wm wait "{\"trader\": $TRADER, \"job_id\": \"$JOB\", \"first_delay_seconds\": 0.05, \"max_delay_seconds\": 0.5}"
ok $? "wait: runs"
is "$(jget '[j["status"], j["progress"]["completed"]]')" '["completed",6]' "  returns the ended job"
wm results "{\"trader\": $TRADER, \"job_id\": \"$JOB\", \"date\": \"2025-01-08\"}"
is "$(jget '[j["count"], sorted(r["model"] for r in j["results"])]')" '[2,["equal-weight","momentum"]]' \
  "results: the job's models on a date"
wm results "{\"trader\": $TRADER, \"date\": \"2024-01-02\"}"
is "$(jget 'j["count"]')" 0 "  no data: count 0, not an exception"
wm performance "{\"trader\": $TRADER, \"job_id\": \"$JOB\"}"
ok $? "performance: runs"
is "$(jget '[len(j["models"]), j["benchmark"]["symbol"], j["leaderboard"].count(chr(10))]')" '[2,"QQQ",2]' \
  "  both models, QQQ and a leaderboard text"
wm wait "{\"trader\": $TRADER, \"job_id\": \"no-such-job\"}"
is "$?" 1 "wait for an unknown job: an exception"
like "$(jget 'j["error"]')" "trader 404 not_found" "  naming the API's error"

# --- the flow, as Windmill runs it -------------------------------------------------------------
node "$TOP_SRCDIR/tests/windmill_run.mjs" "$T_DIR/wm" flow "$WM/f/trader/daily.flow/flow.json" \
  "{\"trader\": $TRADER, \"models\": [\"mock-agent\"], \"timeout_seconds\": 600}" >"$T_DIR/body" 2>&1
ok $? "the daily flow runs"
is "$(jget '[j["trigger"]["status"], j["wait"]["status"], j["results"]["count"] > 0, j["performance"]["models"][0]["model"]]')" \
  '["accepted","completed",true,"mock-agent"]' "  trigger -> wait -> results -> performance"
node "$TOP_SRCDIR/tests/windmill_run.mjs" "$T_DIR/wm" flow "$WM/f/trader/daily.flow/flow.json" \
  "{\"trader\": $TRADER, \"models\": [\"mock-agent\"]}" >"$T_DIR/body" 2>&1
is "$(jget '[j["trigger"]["status"], j["trigger"]["job_id"], j["wait"]["status"]]')" '["current",null,"current"]' \
  "  again: already up to date, nothing to wait for"

# --- with API keys ---------------------------------------------------------------------------
token=$(ctl keys create --name windmill --scope write 2>/dev/null | grep -oE '[A-Za-z0-9_-]{32,}' | head -1)
if [ -n "$token" ]; then
  wm trigger "{\"trader\": {\"base_url\": \"$BASE\", \"api_key\": \"$token\"}, \"models\": [\"momentum\"]}"
  ok $? "trigger with the resource's key"
  wm trigger "{\"trader\": {\"base_url\": \"$BASE\", \"api_key\": \"wrong\"}, \"models\": [\"momentum\"]}"
  is "$?" 1 "  a wrong key is refused"
  like "$(jget 'j["error"]')" "trader 401 unauthorized" "  with the API's 401"
else
  skip "traderctl keys create is not available"
fi

# --- the definitions ---------------------------------------------------------------------------
python3 - "$WM" >"$T_DIR/defs" <<'PY'
import json, os, sys
d = sys.argv[1]
flow = json.load(open(os.path.join(d, "f/trader/daily.flow/flow.json")))
paths = [m["value"]["path"] for m in flow["value"]["modules"]]
print(all(os.path.exists(os.path.join(d, p + ".ts")) for p in paths), paths)
print(flow["schema"]["properties"]["trader"]["format"])
rt = json.load(open(os.path.join(d, "resource_type.trader_api.json")))
print(rt["name"], sorted(rt["schema"]["properties"]), rt["schema"]["required"])
s = json.load(open(os.path.join(d, "schedule.daily.json")))
print(s["script_path"], s["is_flow"], len(s["schedule"].split()))
PY
is "$(sed -n 1p "$T_DIR/defs")" "True ['f/trader/trigger', 'f/trader/wait', 'f/trader/results', 'f/trader/performance']" \
  "the flow chains the four scripts"
is "$(sed -n 2p "$T_DIR/defs")" "resource-trader_api" "  its input is a trader_api resource"
is "$(sed -n 3p "$T_DIR/defs")" "trader_api ['api_key', 'base_url'] ['base_url']" "the resource type"
is "$(sed -n 4p "$T_DIR/defs")" "f/trader/daily True 6" "the schedule runs the flow (cron with seconds)"

done_testing
