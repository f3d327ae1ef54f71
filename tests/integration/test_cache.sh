#!/usr/bin/env bash
# HTTP caching (CONTRACT section 9) and the scalable status page through
# nginx: every GET answer has an ETag; If-None-Match with it gets 304 (from
# trader-api and from nginx's micro-cache); a job created, a model-day
# committed and a price import each change the tag; the micro-cache answers
# repeated reads (X-Cache-Status HIT), never for a request with an
# Authorization header (BYPASS), and keeps answering from the cache while
# trader-api fails. /simulate/status: details=all|none|failed|running,
# limit and offset, details_total, and bad values refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

use_configs 4
cat >"$CONFIGS/mix.json" <<'EOF'
{"date_range": {"init_date": "2025-01-02"}, "stock_symbols": ["AAA", "BBB"],
 "models": [{"signature": "ew", "provider": "builtin", "strategy": "equal_weight"},
            {"signature": "bad", "provider": "builtin", "strategy": "momentum", "top_n": 0}]}
EOF
cat >"$CONFIGS/slow.json" <<'EOF'
{"date_range": {"init_date": "2025-01-02"}, "stock_symbols": ["AAA", "BBB"],
 "models": [{"signature": "ew", "provider": "builtin", "strategy": "equal_weight",
             "delay_ms": 1500}]}
EOF
export TRADER_MICROCACHE=on
stack_up
ctl prices synth --days 8 >/dev/null || bail "traderctl prices synth failed"

# get PATH [CURL-ARGS...]: GET through nginx; sets STATUS, ETAG and XCACHE.
get() {
  local path=$1
  shift
  rm -f "$T_DIR/body"
  STATUS=$(curl -s -o "$T_DIR/body" -D "$T_DIR/headers" -w '%{http_code}' "$@" "$BASE$path") || STATUS=000
  ETAG=$(header ETag)
  XCACHE=$(header X-Cache-Status)
}

# --- ETags and 304 ------------------------------------------------------------------------
trigger_job '{"config_path": "configs/mix.json", "start_date": "2025-01-03", "end_date": "2025-01-08"}'
J1=$JOB
is "$(wait_job "$J1")" partial "a job with a failing model ends partial"
get "/simulate/status/$J1"
is "$STATUS" 200 "status: 200"
like "$ETAG" '^"[0-9a-f]+-[0-9]+"$' "status has an ETag from the data version"
is "$(header Cache-Control)" no-cache "a tagged answer: Cache-Control no-cache"
T1=$ETAG
get "/simulate/status/$J1" -H "If-None-Match: $T1"
is "$STATUS" 304 "If-None-Match with the current tag: 304"
is "$(cat "$T_DIR/body" 2>/dev/null | wc -c)" 0 "a 304 has no body"
get "/simulate/status/$J1" -H "If-None-Match: \"other\", W/$T1"
is "$STATUS" 304 "a list with the tag (weak form): 304"
get "/simulate/status/$J1" -H 'If-None-Match: "x-1"'
is "$STATUS" 200 "another tag: 200"
get "/results?date=2025-01-06" -H "Authorization: Bearer anything" -H "If-None-Match: $T1"
is "$STATUS" 304 "/results shares the version: 304 from trader-api"
is "$XCACHE" BYPASS "a request with Authorization bypasses the micro-cache"
get /health
like "$ETAG" '^W/"' "/health has a (weak) ETag of its body"
get /simulate/status/nope
is "$(header ETag)" "" "an error has no ETag"

# A new job, and each model-day it commits, change the tag.
trigger_job '{"config_path": "configs/slow.json", "start_date": "2025-01-09", "end_date": "2025-01-13"}'
J2=$JOB
get "/results?date=2025-01-06" -H "Authorization: Bearer x"
[ "$ETAG" != "$T1" ]
ok $? "a new job changes the tag"
# The tag and the progress of one answer (past the cache): the tag is read
# before the answer's data, so a model-day committed after it must change it.
get "/simulate/status/$J2" -H "Authorization: Bearer x"
TA=$ETAG
C0=$(jget 'j["progress"]["completed"]')
is "$(jget 'j["progress"]["total_model_days"] > j["progress"]["completed"]')" true \
  "the job still has model-days to commit"
committed() {
  get "/simulate/status/$J2" -H "Authorization: Bearer x"
  [ "$(jget "j['progress']['completed'] > $C0")" = true ]
}
wait_until committed
get "/results?date=2025-01-06" -H "Authorization: Bearer x" -H "If-None-Match: $TA"
is "$STATUS" 200 "a committed model-day changes the tag (the old one gets the full answer)"
is "$(wait_job "$J2")" completed "the second job completes"
get "/simulate/status/$J2" -H "Authorization: Bearer x"
T2=$ETAG
V1=$(dbq 'SELECT version FROM data_version')
ctl prices synth --days 9 >/dev/null
is "$(dbq 'SELECT version FROM data_version')" "$((V1 + 1))" "a price import bumps the version once"
get "/simulate/status/$J2" -H "Authorization: Bearer x" -H "If-None-Match: $T2"
is "$STATUS" 200 "after the import the old tag gets the full answer"
is "$(dbq "SELECT count(*) FROM audit_log WHERE job_id = '$J2' AND event = 'model_day_completed'")" 3 \
  "(the job committed three model-days, each in a transaction that bumped the version)"

# --- the micro-cache ------------------------------------------------------------------------
# Two reads in the same second (tried a few times: a pair may straddle one).
for _ in 1 2 3 4 5; do
  get "/simulate/status/$J2?details=none"
  get "/simulate/status/$J2?details=none"
  [ "$XCACHE" = HIT ] && break
done
is "$XCACHE" HIT "a repeated read within the second comes from the micro-cache"
CACHED=$ETAG
get "/simulate/status/$J2?details=none" -H "If-None-Match: $CACHED"
is "$STATUS" 304 "nginx answers If-None-Match from the cache: 304"
get "/simulate/status/$J2?details=none" -H "Authorization: Bearer x"
is "$XCACHE" BYPASS "with Authorization: not from the cache"
# trader-api failing (503: its database is gone): the last answer is served
# from the cache. (Killing trader-api would not do: the stack's supervisor
# restarts it within a second.)
if sqlite_only "trader-api made to fail by moving the database file away"; then
  mkdir "$T_DIR/moved"
  mv "$T_HOME"/trader.db* "$T_DIR/moved/"
  sleep 1.1 # the entry is now expired
  get "/simulate/status/$J2?details=none"
  is "$STATUS $XCACHE" "200 STALE" "trader-api answering 503: the cached answer is served (stale)"
  get "/simulate/status/$J2?details=all"
  is "$STATUS $(jget 'j["error"]')" "503 unavailable" "an uncached read meanwhile: 503"
  mv "$T_DIR/moved"/trader.db* "$T_HOME/"
fi

# --- status details ---------------------------------------------------------------------------
http GET "/simulate/status/$J1"
is "$(jget '[j["progress"]["total_model_days"], len(j["progress"]["details"]), j["progress"]["details_total"]]')" \
  "[8,8,8]" "default: every detail, details_total"
http GET "/simulate/status/$J1?details=failed"
is "$(jget '[sorted(set((d["model"], d["status"]) for d in j["progress"]["details"])), j["progress"]["details_total"]]')" \
  '[[["bad","failed"]],4]' "details=failed: only the failed ones"
http GET "/simulate/status/$J1?details=running"
is "$(jget '[j["progress"]["details"], j["progress"]["details_total"]]')" '[[],0]' "details=running: none now"
http GET "/simulate/status/$J1?details=none"
is "$(jget '["details" in j["progress"], j["progress"]["completed"]]')" '[false,4]' "details=none: counts only"
http GET "/simulate/status/$J1?limit=3&offset=2"
is "$(jget '[(d["date"], d["model"]) for d in j["progress"]["details"]]')" \
  '[["2025-01-06","ew"],["2025-01-06","bad"],["2025-01-07","ew"]]' "limit=3&offset=2: the third to fifth by date"
http GET "/simulate/status/$J1?limit=0"
is "$(jget '[j["progress"]["details"], j["progress"]["details_total"]]')" '[[],8]' "limit=0: none, with the total"
http GET "/simulate/status/$J1?details=some"
expect_error 400 invalid_request "details=some"
http GET "/simulate/status/$J1?limit=-1"
expect_error 400 invalid_request "limit=-1"
http GET "/simulate/status/$J1?limit=100001"
expect_error 400 invalid_request "limit over the maximum"
http GET "/simulate/status/$J1?offset=x"
expect_error 400 invalid_request "offset=x"

done_testing
