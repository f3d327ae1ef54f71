#!/usr/bin/env bash
# The systemd units of scripts/systemd (traderd, trader-api with its socket,
# the daily update service and timer), filled in by scripts/systemd-units
# with this build's programs, pass `systemd-analyze verify`; a broken copy
# does not (so the check can fail). Skipped without systemd-analyze.
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || skip_all "systemd-analyze is not installed (package systemd)"
mkdir -p "$T_DIR/bin"
ln -s "$TOP_BUILDDIR/fcgi/trader-api" "$TOP_BUILDDIR/daemon/traderd" "$TOP_BUILDDIR/daemon/traderctl" \
  "$T_DIR/bin/" || bail "programs not built"
"$TOP_SRCDIR/scripts/systemd-units" "$T_DIR/bin" "$T_DIR/units" "$TOP_SRCDIR"
ok $? "scripts/systemd-units fills in the units"
cd "$T_DIR/units" || bail "no units"
units=(*.service *.socket *.timer)
is "${units[*]}" "trader-api.service trader-update.service traderd.service trader-api.socket trader-update.timer" \
  "  traderd, trader-api and its socket, the update service and its timer"
is "$(grep -l '@[A-Z]*@' ./* | wc -l)" 0 "  no placeholder left"
systemd-analyze verify --man=no "${units[@]}" >"$T_DIR/verify.out" 2>&1
ok $? "systemd-analyze verify: exit 0" || sed 's/^/# /' "$T_DIR/verify.out"
is "$(grep -c 'trader' "$T_DIR/verify.out")" 0 "  and nothing to say about our units"
grep -q '^ExecStart=.*/traderctl --home /var/lib/trader update$' trader-update.service
ok $? "the timer's service runs traderctl update"
grep -q '^StandardInput=socket$' trader-api.service
ok $? "trader-api takes its socket from systemd"

sed 's|^ExecStart=.*|ExecStart=traderd-relative|; s|^Type=simple|Type=bogus|' traderd.service >broken.service
systemd-analyze verify --man=no broken.service >"$T_DIR/broken.out" 2>&1
is "$?" 1 "a broken unit fails the check"

done_testing
