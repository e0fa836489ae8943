#!/bin/bash
#
# bench/soak.sh — the chaos soak, for SOAK_SECONDS (default 600): the job
# mix and the chaos loop of test/t/Soak.pm (the test suite runs the same
# for 60 s as test/t/240_soak.pl), then the audit: slots due, slots with a
# final record, slots twice, slots missing without a record, runs stuck,
# the exactly-once effects against their successes, and the server log's
# crash-restarts and their causes.
#
# Run as root, after `make install` of cronext (or bash test/run-tests.sh).
# Runs the soak as the user postgres in a copy of the tree (mktemp),
# removed on exit.  Environment: SOAK_SECONDS=600, SOAK_SEED (the chaos's
# random seed; default: the time), SOAK_OUT=file (also write the audit).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="$(mktemp -d /tmp/cronext-soak.XXXXXX)"
trap 'rm -rf "$work"' EXIT
(cd "$root" && tar --exclude=.git -cf - .) | tar -xf - -C "$work"
chown -R postgres "$work"
cd "$work"
pgbin=/usr/lib/postgresql/15/bin
pgxs=/usr/lib/postgresql/15/lib/pgxs
runuser -u postgres -- env PATH="$pgbin:$PATH" TESTDIR="$work" \
	PG_REGRESS="$pgxs/src/test/regress/pg_regress" \
	CRONEXT_SOAK_SECONDS="${SOAK_SECONDS:-600}" CRONEXT_SOAK_SEED="${SOAK_SEED:-$(date +%s)}" \
	prove -v -I "$pgxs/src/test/perl" -I "$work/test/t" test/t/240_soak.pl \
	> "$work/soak.out" 2>&1 || status=$?
grep -E '^# (soak of|slots|runs stuck|exactly-once|ledger in|server log)|^(ok|not ok)' "$work/soak.out" \
	| tee "${SOAK_OUT:-/dev/null}"
exit "${status:-0}"
