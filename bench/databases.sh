#!/bin/bash
#
# bench/databases.sh — what cronext costs at rest with 1, 10 and 100
# databases that have it.
#
# Run as root.  Makes a throwaway PostgreSQL 15 cluster (initdb in a mktemp
# directory, run as the unprivileged user "postgres", unix socket only in
# that directory), preloads cronext, and for each count N creates N
# databases with the extension and one nightly job each (12 h away, so
# nothing runs), waits until every scheduler has started and read its jobs,
# then, over DB_WINDOW seconds (default 30) of rest, reads:
#   procs   cronext processes (the launcher and the schedulers)
#   cpu     their CPU time over the window, summed (utime+stime), ms
#   rss     their VmRSS, summed, MB (counts shared pages once per process)
#   pss     their Pss from /proc/PID/smaps_rollup, summed, MB (shared
#           pages divided among the processes that map them: the honest
#           total)
#   anon    their private memory (RssAnon), summed, MB
#   per-db  pss and anon divided by N
# then drops the databases again before the next count.  The cluster is
# stopped and removed on exit.
#
# Environment:
#   DB_COUNTS="1 10 100"   the counts
#   DB_WINDOW=30           seconds of rest measured
#   DB_OUT=file            also write the table there
#   DB_KEEP=1              keep the work directory (server log) on exit
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
pgbin=/usr/lib/postgresql/15/bin
pglib="$($pgbin/pg_config --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)"
counts="${DB_COUNTS:-1 10 100}"
window="${DB_WINDOW:-30}"

[ "$(id -u)" = 0 ] || { echo "bench/databases.sh must run as root (it runs PostgreSQL as user postgres)" >&2; exit 1; }
id postgres >/dev/null 2>&1 || { echo "user postgres is missing (install postgresql-15)" >&2; exit 1; }
[ -f "$pglib/cronext.so" ] || { echo "$pglib/cronext.so is missing (make && make install)" >&2; exit 1; }

work="$(mktemp -d /tmp/cronext-dbs.XXXXXX)"
chmod 755 "$work"
chown postgres "$work"
data="$work/data"
logfile="$work/server.log"

cleanup() {
	if [ -f "$data/postmaster.pid" ]; then
		runuser -u postgres -- "$pgbin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [ "${DB_KEEP:-0}" = 1 ]; then
		echo "work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

results="$work/results"
: > "$results"
. "$here/lib.sh"

port=
for _ in $(seq 1 50); do
	p=$(( 30000 + RANDOM % 20000 ))
	if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
		port=$p
		break
	fi
done
[ -n "$port" ] || { echo "no free port found" >&2; exit 1; }

runuser -u postgres -- "$pgbin/initdb" -N -D "$data" -A trust -U postgres -E UTF8 --locale=C >/dev/null
cat >> "$data/postgresql.conf" <<CONF
# --- bench/databases.sh
port = $port
listen_addresses = ''
unix_socket_directories = '$work'
shared_preload_libraries = 'cronext'
max_worker_processes = 160
cron.max_databases = 128
max_connections = 50
log_line_prefix = '%m [%p] %b '
CONF
runuser -u postgres -- "$pgbin/pg_ctl" -D "$data" -l "$logfile" -w -t 120 start >/dev/null

q() {
	local db=$1
	shift
	runuser -u postgres -- "$pgbin/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$work" -p "$port" -d "$db" "$@"
}

far_hour=$(( ($(date -u +%-H) + 12) % 24 ))
ticks=$(getconf CLK_TCK)

# the cronext processes: pids, one per line
cronext_pids() {
	q postgres -c "SELECT pid FROM pg_stat_activity WHERE backend_type IN ('cronext launcher', 'cronext scheduler')"
}

# summed utime+stime of the given pids, in clock ticks
cpu_ticks() {
	local total=0 pid f
	for pid in "$@"; do
		f=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
		total=$((total + f))
	done
	echo "$total"
}

# summed "rss pss anon" of the given pids, in kB
mem_kb() {
	local rss=0 pss=0 anon=0 pid r p a
	for pid in "$@"; do
		r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
		a=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
		p=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
		rss=$((rss + ${r:-0}))
		pss=$((pss + ${p:-0}))
		anon=$((anon + ${a:-0}))
	done
	echo "$rss $pss $anon"
}

printf '%-6s %6s %9s %9s %9s %9s %12s %12s\n' dbs procs cpu_ms rss_MB pss_MB anon_MB pss/db_MB anon/db_MB > "$work/table"

for n in $counts; do
	log "creating $n databases with cronext"
	for i in $(seq 1 "$n"); do
		q postgres -c "CREATE DATABASE bench_db_$i" >/dev/null
		q "bench_db_$i" -c "CREATE EXTENSION cronext" \
			-c "SELECT cron.schedule('nightly', '0 $far_hour * * *', 'SELECT 1')" >/dev/null
	done
	# every scheduler is up (postgres has none: no extension there)
	for _ in $(seq 1 600); do
		up=$(q postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'")
		[ "$up" = "$n" ] && break
		sleep 0.2
	done
	[ "$up" = "$n" ] || { echo "only $up of $n schedulers started" >&2; exit 1; }
	# let the start-up passes finish
	sleep 3
	mapfile -t pids < <(cronext_pids)
	c0=$(cpu_ticks "${pids[@]}")
	sleep "$window"
	c1=$(cpu_ticks "${pids[@]}")
	read -r rss pss anon < <(mem_kb "${pids[@]}")
	cpu_ms=$(( (c1 - c0) * 1000 / ticks ))
	awk -v n="$n" -v p="${#pids[@]}" -v c="$cpu_ms" -v r="$rss" -v s="$pss" -v a="$anon" 'BEGIN {
		printf "%-6s %6s %9s %9.1f %9.1f %9.1f %12.2f %12.2f\n", n, p, c, r / 1024, s / 1024, a / 1024,
			s / 1024 / n, a / 1024 / n }' >> "$work/table"
	log "$n databases: ${#pids[@]} processes, ${cpu_ms} ms CPU in ${window} s, PSS $((pss / 1024)) MB"
	for i in $(seq 1 "$n"); do
		q postgres -c "DROP DATABASE bench_db_$i" >/dev/null
	done
done

echo "cronext at rest, ${window} s window, $(nproc) CPUs, PostgreSQL $($pgbin/postgres --version | awk '{ print $3 }')"
cat "$work/table"
if [ -n "${DB_OUT:-}" ]; then
	cp "$work/table" "$DB_OUT"
fi
