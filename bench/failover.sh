#!/bin/bash
#
# bench/failover.sh — failover under Patroni, measured: FO_RUNS runs
# (default 10) with asynchronous replication and FO_RUNS with Patroni's
# synchronous_mode, each on a fresh cluster.
#
# Run as root.  Installs Debian's patroni and etcd-server if missing, then
# runs bench/failover.pl as the user "postgres": one etcd member and two
# PostgreSQL 15 nodes on loopback with cronext preloaded (test/t/
# PatroniCluster.pm, the harness test/t/230_failover.pl uses), a
# '1 seconds' SQL job, a 200-job burst every 5 s and five '2 seconds' HTTP
# jobs against a loopback server; the leader's Patroni and postmaster are
# killed (kill -9) inside a burst, Patroni promotes the replica, the old
# leader rejoins.  Per run it prints: the time from the kill to the
# promotion and to the new leader's first run, the slots due in the window
# and how each was traced, slots twice (ledger, effects, HTTP requests),
# slots lost without a trace, runs stuck, what catch-up did, and whether
# the old leader runs nothing.  Then a summary per mode.  Everything runs
# in a mktemp directory, removed on exit.
#
# Environment:
#   FO_RUNS=10        runs per mode
#   FO_MODES="async sync"
#   FO_OUT=file       also write the per-run table and summary there
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
if ! command -v patroni >/dev/null || ! command -v etcd >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q patroni etcd-server >/dev/null
fi
work="$(mktemp -d /tmp/cronext-failover.XXXXXX)"
chown postgres "$work"
cleanup() {
	pkill -u postgres -f "http_server.py $work" 2>/dev/null || true
	pkill -u postgres -f "patroni $work" 2>/dev/null || true
	pkill -u postgres -f "etcd --name e1 --data-dir $work" 2>/dev/null || true
	sleep 1
	for d in "$work"/*/data*; do
		[ -f "$d/postmaster.pid" ] && runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$d" -m immediate stop >/dev/null 2>&1 || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
cp -r "$root/test/t/PatroniCluster.pm" "$root/test/t/MissedRanges.pm" "$root/test/t/http_server.py" "$here/failover.pl" "$work/"
chown -R postgres "$work"
cd "$work"
runuser -u postgres -- env FO_RUNS="${FO_RUNS:-10}" FO_MODES="${FO_MODES:-async sync}" \
	perl -I "$work" "$work/failover.pl" "$work" | tee "${FO_OUT:-/dev/null}"
