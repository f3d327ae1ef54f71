#!/usr/bin/env bash
# The web dashboard in a real browser: Debian's chromium, headless, driven by
# puppeteer-core (npm, pinned in tests/npm, installed into the build
# directory by scripts/npm-tools) through tests/browser/dashboard.mjs, on a fresh
# stack with the synthetic price sample. The jobs page triggers the default
# simulation (answering the 401 with a write key in the key dialog)
# and follows it to the end; the leaderboard, equity curves and model-day
# pages are then checked against /performance, /performance/series and
# /results. Screenshots of every page: $TOP_BUILDDIR/tests/browser/screenshots.
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip_all "no chromium at $CHROMIUM (scripts/deps installs Debian's chromium)"
command -v node >/dev/null && command -v npm >/dev/null ||
  skip_all "node/npm not installed (scripts/deps installs them)"

# puppeteer-core: one of the pinned npm tools (tests/npm), in the build
# directory. Without it the browser cannot be driven: a failure, not a skip.
"$TOP_SRCDIR/scripts/npm-tools" "$NPM_TOOLS" >"$T_DIR/npm.out" 2>&1 ||
  { sed 's/^/# /' "$T_DIR/npm.out"; bail "scripts/npm-tools $NPM_TOOLS failed"; }

stack_up
ctl prices synth >/dev/null || bail "traderctl prices synth failed"

# What nginx serves: the redirect, the pages' own CSP, Chart.js from Debian.
http GET /
is "$STATUS $(header Location)" "302 $BASE/dashboard/" "/ redirects to /dashboard/"
http GET /dashboard/
is "$STATUS $(header Content-Type)" "200 text/html; charset=utf-8" "/dashboard/ is the leaderboard page"
is "$(header Content-Security-Policy)" \
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" \
  "the dashboard's CSP: this origin's scripts, styles and API only"
# (curl itself: a static file, not an API answer for the OpenAPI check)
is "$(curl -s -o "$T_DIR/chart.js" -w '%{http_code}' "$BASE/dashboard/vendor/chart.min.js")" 200 \
  "Chart.js from libjs-chart.js"
cmp -s "$T_DIR/chart.js" /usr/share/javascript/chart.js/chart.min.js
ok $? "the very file Debian installs"
http GET /health
like "$(header Content-Security-Policy)" "^default-src 'none'" "the API keeps its CSP"
# A key exists: triggers and cancels need it, even from loopback.
KEY=$(ctl keys create --name dashboard-test --scope write 2>"$T_DIR/keys.err" | grep -Eo '[A-Za-z0-9_-]{20,}' | tail -1)
[ -n "$KEY" ] || bail "traderctl keys create printed no token"

SHOTS=$TOP_BUILDDIR/tests/browser/screenshots
rm -rf "$SHOTS"
# traderd stopped for the cancel check (it then waits until the pid is gone,
# like the stack's own stop), the stack restarted with reads behind keys,
# then stopped for the "API down" check.
STOP_DAEMON="pid=\$(cat '$T_HOME/run/traderd.pid') && kill \$pid && while kill -0 \$pid 2>/dev/null; do sleep 0.1; done"
STOP_STACK="'$STACK' down --home '$T_HOME'"
AUTH_READS="$STOP_STACK && TRADER_AUTH_READS=1 '$STACK' up --home '$T_HOME' --port $T_PORT --workers 2"
BASE=$BASE KEY=$KEY SHOTS=$SHOTS CHROMIUM=$CHROMIUM STOP_DAEMON=$STOP_DAEMON STOP_STACK=$STOP_STACK \
  AUTH_READS=$AUTH_READS NPM_TOOLS=$NPM_TOOLS \
  node "$TOP_SRCDIR/tests/browser/dashboard.mjs" >"$T_DIR/browser.out" 2>&1
rc=$?
while IFS= read -r line; do
  case $line in
  PASS\ *) ok 0 "${line#PASS }" ;;
  FAIL\ *) ok 1 "${line#FAIL }" ;;
  *) diag "$line" ;;
  esac
done <"$T_DIR/browser.out"
is "$rc" 0 "the browser run exits 0"
for page in leaderboard equity day jobs; do
  [ -s "$SHOTS/$page.png" ]
  ok $? "screenshot of the $page page"
done
diag "screenshots in $SHOTS"

done_testing
