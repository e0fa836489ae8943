#!/bin/bash
#
# bench/metrics.sh — is the metrics surface cheap at 100 000 jobs?
#
# Run as root.  Makes a throwaway PostgreSQL 15 cluster (initdb in a mktemp
# directory, run as the unprivileged user "postgres", unix socket only in
# that directory), preloads cronext, creates MB_JOBS jobs (default 100 000)
# and MB_ROWS rows of history in cron.job_run_details (default 2 000 000,
# MB_ROWS / MB_JOBS per job), watches MB_WATCHED of the jobs (default 1 000:
# expect_success_within = '1 hour', alert_url = 'http://127.0.0.1:9/alert')
# and gives them the failure alerts their failed runs would have written,
# VACUUM ANALYZE, then times, each MB_REPEAT times (default 5) in one psql
# session:
#   (e1)-(e3) the queries of metrics/postgres_exporter.yml (what Prometheus'
#       postgres_exporter runs on every scrape), read from that file (the
#       lines '  query: "..."'): cronext_job, cronext_scheduler,
#       cronext_alerts; each as SELECT count(*) FROM (<query>) s ("count",
#       the planner may skip columns nobody reads) and as it is, rows
#       discarded by psql ("rows", what the exporter gets); cronext_job
#       also "rows" with jit = off (e1j): the server's default JIT compiles
#       it on every scrape
#   (b) SELECT * FROM cron.job_metrics WHERE jobname = '<one job>'
#   (c) the scheduler's dead-man check (check_sql of src/scheduler/alerts.c,
#       read from the C string literal), inside BEGIN ... ROLLBACK:
#       (c1) as it is: the jobs were created minutes ago (created_at is set
#            by the guard trigger), so no job is overdue yet and the check
#            writes nothing: the cost of every check after a watched run
#       (c2) the watched jobs' created_at moved 30 days back first (untimed,
#            in the same transaction, session_replication_role = replica so
#            that the guard trigger keeps out of it): every watched job whose
#            last success ended over an hour ago is overdue, and the check
#            writes its 'overdue' alert: the first check after the watching
#            was switched on, or after an outage
#   (d) SELECT * FROM cron.scheduler_metrics()
# wall-clock from psql's \timing (parse + plan + execute + transfer); prints
# the first and the median run, the rows (or alerts written), and the
# execution time and shared buffers of one EXPLAIN (ANALYZE, BUFFERS) run;
# the plan of the cronext_job query is printed in full, the table sizes too.
# The cluster is removed on exit.
#
# The scheduler stays idle: cron.launch_active_jobs = off (nothing is
# launched) and cron.history_retention = 0 (the generated history is not
# pruned).  It still runs its own dead-man check when cron.job changes; with
# every job just created that writes nothing, and the rolled-back writes of
# (c) do not reach it.  Its CPU over the measuring window is reported.
#
# History: slot k (1 = newest) of job j is (k - 1) * 48 h / per-job before a
# minute ago, minus a per-job offset within one such period, so the slots
# cover the past 2 days evenly and about 41 % of the jobs (at 20 per job)
# have one slot in the last hour.  Rows are inserted oldest slot first, all
# jobs of a slot together, as the scheduler writes them.  Outcomes: 95 %
# succeeded, 5 % failed; every 50th job failed its newest 5 slots; every
# 1000th job never succeeded; every 7th job retries (attempt 2 on some
# successes, 4 on failures).  start_time, end_time set (up to 30 s long).
#
# Environment:
#   MB_JOBS=N       jobs (default 100000)
#   MB_ROWS=N       history rows in all (default 2000000; rounded down to a
#                   multiple of MB_JOBS)
#   MB_WATCHED=N    jobs with expect_success_within and alert_url (default 1000)
#   MB_REPEAT=N     timed runs per query (default 5)
#   MB_PORT=N       port of the cluster (default 5531; socket only)
#   MB_OUT=file     also write the table and all plans there
#   MB_WAIT_QUIET=N before measuring, wait up to N s for the machine's
#                   1-minute load average to drop below 0.5 (the load of
#                   the data itself keeps it up for a minute or so)
#   MB_KEEP=1       leave the cluster running and the directory in place at
#                   the end (prints how to connect and to stop it)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
pgbin=/usr/lib/postgresql/15/bin
pglib="$($pgbin/pg_config --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)"
yml="$here/../metrics/postgres_exporter.yml"
alerts_c="$here/../src/scheduler/alerts.c"

jobs="${MB_JOBS:-100000}"
rows="${MB_ROWS:-2000000}"
watched="${MB_WATCHED:-1000}"
repeat="${MB_REPEAT:-5}"
port="${MB_PORT:-5531}"
per_job=$(( rows / jobs ))
[ "$per_job" -ge 1 ] || { echo "MB_ROWS ($rows) must be at least MB_JOBS ($jobs)" >&2; exit 1; }
rows=$(( per_job * jobs ))
[ "$watched" -ge 1 ] && [ "$watched" -le "$jobs" ] || { echo "MB_WATCHED must be 1..MB_JOBS" >&2; exit 1; }
# slots every 48 h / per_job, in seconds
period=$(( 172800 / per_job ))
# watched: every step-th job, starting at 3 (so every 10th of them is one
# of the jobs that never succeeded)
step=$(( jobs / watched ))
# the job looked up in (b): about the middle
probe=$(( jobs * 54321 / 100000 ))
[ "$probe" -ge 1 ] || probe=1

[ "$(id -u)" = 0 ] || { echo "bench/metrics.sh must run as root (it runs PostgreSQL as user postgres)" >&2; exit 1; }
id postgres >/dev/null 2>&1 || { echo "user postgres is missing (install postgresql-15)" >&2; exit 1; }
[ -f "$pglib/cronext.so" ] || { echo "$pglib/cronext.so is missing (make && make install)" >&2; exit 1; }
[ -r "$yml" ] || { echo "$yml is missing" >&2; exit 1; }
[ -r "$alerts_c" ] || { echo "$alerts_c is missing" >&2; exit 1; }

# ---------------------------------------------------------------- the statements

# metrics/postgres_exporter.yml: "name<TAB>query" per '  query: "..."' line,
# name being the top-level key above it
exporter="$(awk '
	/^[A-Za-z_][A-Za-z0-9_]*:[[:space:]]*$/ { name = $1; sub(/:$/, "", name) }
	/^  query: "/ { q = $0; sub(/^  query: "/, "", q); sub(/"[[:space:]]*$/, "", q); print name "\t" q }' "$yml")"
[ "$(echo "$exporter" | grep -c .)" = 3 ] ||
	{ echo "expected 3 queries in $yml, found $(echo "$exporter" | grep -c .)" >&2; exit 1; }
if echo "$exporter" | cut -f2 | grep -q '["\\]'; then
	echo "a query in $yml has an escape or a double quote; this script reads them verbatim" >&2
	exit 1
fi

# src/scheduler/alerts.c: the string literal check_sql, joined
check_sql="$(awk '
	/^static const char \*const check_sql =/ { on = 1; next }
	on {
		line = $0
		last = (line ~ /";[[:space:]]*$/)
		sub(/^[[:space:]]*"/, "", line)
		sub(/";?[[:space:]]*$/, "", line)
		printf "%s", line
		if (last) exit
	}' "$alerts_c")"
case "$check_sql" in
	"WITH w AS ("*"ins AS (INSERT INTO cron.job_alerts"*) ;;
	*) echo "could not read check_sql from $alerts_c" >&2; exit 1 ;;
esac
if printf '%s' "$check_sql" | grep -q '["\\]'; then
	echo "check_sql in $alerts_c has an escape; this script reads it verbatim" >&2
	exit 1
fi

labels=(e1c e1r e1j e2c e2r e3c e3r b c1 c2 d)
declare -A sql pre post name plan_of
i=0
while IFS=$'\t' read -r n qtext; do
	i=$(( i + 1 ))
	sql[e${i}c]="SELECT count(*) FROM ($qtext) s"
	sql[e${i}r]="$qtext"
	name[e${i}c]="$n, count"
	name[e${i}r]="$n, rows"
	# one EXPLAIN per exporter query, of the query as it is
	plan_of[e${i}c]=e${i}r
done <<< "$exporter"
sql[e1j]="${sql[e1r]}"
pre[e1j]="SET jit = off;"
post[e1j]="RESET jit;"
name[e1j]="cronext_job, rows, jit off"
sql[b]="SELECT * FROM cron.job_metrics WHERE jobname = 'job-$probe'"
name[b]="job_metrics, one job"
sql[c1]="$check_sql"
pre[c1]="BEGIN;"
post[c1]="ROLLBACK;"
name[c1]="dead-man check, none due"
sql[c2]="$check_sql"
pre[c2]="BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE cron.job SET created_at = created_at - interval '30 days' WHERE expect_success_within IS NOT NULL;
SET LOCAL session_replication_role = origin;"
post[c2]="ROLLBACK;"
name[c2]="dead-man check, first"
sql[d]="SELECT * FROM cron.scheduler_metrics()"
name[d]="scheduler_metrics()"

# ---------------------------------------------------------------- cluster

work="$(mktemp -d /tmp/cronext-mb.XXXXXX)"
chmod 755 "$work"
chown postgres "$work"
data="$work/data"
keep=0

cleanup() {
	if [ "$keep" = 1 ]; then
		return
	fi
	if [ -f "$data/postmaster.pid" ]; then
		runuser -u postgres -- "$pgbin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$here/lib.sh"

# psql on the cluster, database postgres, unaligned tuples only
q() {
	runuser -u postgres -- "$pgbin/psql" -X -q -At -v ON_ERROR_STOP=1 \
		-h "$work" -p "$port" -U postgres -d postgres "$@"
}

log "work directory $work; $jobs jobs, $rows history rows ($per_job per job), $watched watched, port $port"
awk '{ exit !($1 > 0.5) }' /proc/loadavg &&
	log "warning: the machine is busy (load average $(cut -d' ' -f1-3 /proc/loadavg)); figures will be disturbed"

runuser -u postgres -- "$pgbin/initdb" -N -D "$data" -A trust -U postgres >/dev/null
cat >> "$data/postgresql.conf" <<CONF
# --- bench/metrics.sh
port = $port
listen_addresses = ''
unix_socket_directories = '$work'
shared_preload_libraries = 'cronext'
cron.database_name = 'postgres'
cron.launch_active_jobs = off
cron.history_retention = 0
shared_buffers = '1GB'
maintenance_work_mem = '512MB'
max_wal_size = '16GB'
checkpoint_timeout = '30min'
# only the load is affected by these (a throwaway cluster)
fsync = off
synchronous_commit = off
full_page_writes = off
log_line_prefix = '%m [%p] %b '
CONF
runuser -u postgres -- "$pgbin/pg_ctl" -D "$data" -l "$work/server.log" -w -t 60 start >/dev/null

# the extension may be reinstalled under our feet: retry a few times
for try in 1 2 3 4 5; do
	if q -c "CREATE EXTENSION cronext" 2>"$work/create.err"; then
		break
	fi
	log "CREATE EXTENSION failed (try $try): $(head -n 1 "$work/create.err")"
	[ "$try" = 5 ] && exit 1
	q -c "DROP EXTENSION IF EXISTS cronext" >/dev/null 2>&1 || true
	sleep 5
done

# ---------------------------------------------------------------- data

# Jobs: through cron.job's guard trigger; ids 1..N.  A mix of schedules and
# time zones; every 20th job inactive; every 7th may retry 3 times.
log "inserting $jobs jobs"
t0=$SECONDS
q <<SQL
INSERT INTO cron.job (jobname, schedule, command, timezone, active, max_retries)
SELECT 'job-' || g,
       (ARRAY['*/5 * * * *', '0 * * * *', '17 */6 * * *', '0 3 * * *', '30 2 * * 1-5',
              '0 9 * * mon', '0 0 1 * *', '45 23 \$ * *', '30 seconds', '0 0 1 1 *'])[g % 10 + 1],
       'CALL app.task_' || g % 50 || '()',
       (ARRAY[NULL, 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata'])[g % 4 + 1],
       g % 20 <> 0,
       CASE WHEN g % 7 = 0 THEN 3 ELSE 0 END
FROM generate_series(1, $jobs) g;
SQL
t_jobs=$((SECONDS - t0))
[ "$(q -c "SELECT max(jobid) FROM cron.job")" = "$jobs" ] || { echo "job ids are not 1..$jobs" >&2; exit 1; }

log "inserting $rows history rows"
t0=$SECONDS
q >/dev/null <<SQL
SELECT setseed(0.5151);
INSERT INTO cron.job_run_details
	(jobid, runid, job_pid, database, username, command, status, return_message,
	 start_time, end_time, scheduled_for, attempt, manual)
SELECT j, ($per_job - k) * $jobs::bigint + j,
	   10000 + (j * 7 + k) % 50000,
	   'postgres', 'postgres', 'CALL app.task_' || j % 50 || '()',
	   st,
	   CASE st WHEN 'succeeded' THEN 'CALL' ELSE 'ERROR:  deadlock detected' END,
	   sf + interval '3 ms' + r * interval '40 ms',
	   sf + interval '50 ms' + r * r * interval '30 s',
	   sf,
	   CASE WHEN j % 7 = 0 AND st = 'failed' THEN 4
			WHEN j % 7 = 0 AND r > 0.9 THEN 2
			ELSE 1 END,
	   false
FROM (
	SELECT k, j, r,
		   date_trunc('second', now()) - interval '1 minute'
			 - (k - 1) * interval '$period seconds'
			 - ((j::bigint * 7919) % $period) * interval '1 second' AS sf,
		   CASE WHEN j % 1000 = 3 THEN 'failed'
				WHEN j % 50 = 7 AND k <= 5 THEN 'failed'
				WHEN r < 0.95 THEN 'succeeded'
				ELSE 'failed' END AS st
	FROM (SELECT k, j, random() AS r
		  FROM generate_series($per_job, 1, -1) k CROSS JOIN generate_series(1, $jobs) j) x
) y;
SELECT setval('cron.runid_seq', $rows);
SQL
t_rows=$((SECONDS - t0))

# Watching: through the guard trigger (the scheduler hears of the change
# and runs its check: nothing is due, every job being minutes old).  The
# failure alerts the watched jobs' failed runs would have written, as sent
# (every 10th given up after 5 attempts).
log "watching $watched jobs"
q <<SQL
UPDATE cron.job SET expect_success_within = '1 hour', alert_url = 'http://127.0.0.1:9/alert'
WHERE jobid IN (SELECT jobid FROM cron.job WHERE jobid % $step = 3 % $step ORDER BY jobid LIMIT $watched);
INSERT INTO cron.job_alerts (jobid, event, slot, runid, url, payload, status, attempts,
							 next_attempt_at, created_at, sent_at, http_status, username, roleid)
SELECT d.jobid, 'failed', d.scheduled_for, d.runid, j.alert_url,
	   jsonb_build_object('event', 'failed', 'job_id', d.jobid, 'job_name', j.jobname,
						  'owner', j.username, 'kind', j.kind, 'database', current_database(),
						  'run_id', d.runid, 'scheduled_for', d.scheduled_for,
						  'attempts', d.attempt, 'started_at', d.start_time,
						  'ended_at', d.end_time, 'message', d.return_message),
	   CASE WHEN d.runid % 10 = 0 THEN 'failed' ELSE 'sent' END,
	   CASE WHEN d.runid % 10 = 0 THEN 5 ELSE 1 END,
	   d.end_time, d.end_time,
	   CASE WHEN d.runid % 10 = 0 THEN NULL ELSE d.end_time + interval '80 ms' END,
	   CASE WHEN d.runid % 10 = 0 THEN 503 ELSE 200 END,
	   j.username, j.roleid
FROM cron.job_run_details d JOIN cron.job j ON j.jobid = d.jobid
WHERE j.expect_success_within IS NOT NULL AND d.status = 'failed'
ORDER BY d.end_time;
SQL
[ "$(q -c "SELECT count(*) FROM cron.job WHERE expect_success_within IS NOT NULL AND alert_url IS NOT NULL")" = "$watched" ] ||
	{ echo "expected $watched watched jobs" >&2; exit 1; }

log "jobs in ${t_jobs}s, history in ${t_rows}s; VACUUM ANALYZE"
t0=$SECONDS
q -c "VACUUM ANALYZE cron.job" -c "VACUUM ANALYZE cron.job_run_details" -c "VACUUM ANALYZE cron.job_alerts"
t_vacuum=$((SECONDS - t0))
q -c "CHECKPOINT"

sizes="$(q -F ' | ' -c "
	SELECT rpad(c, 22), lpad(pg_size_pretty(pg_table_size(c::regclass)), 8),
		   lpad(pg_size_pretty(pg_indexes_size(c::regclass)), 8),
		   lpad(pg_size_pretty(pg_total_relation_size(c::regclass)), 8),
		   lpad(n::text, 9)
	FROM (VALUES ('cron.job', (SELECT count(*) FROM cron.job)),
				 ('cron.job_run_details', (SELECT count(*) FROM cron.job_run_details)),
				 ('cron.job_alerts', (SELECT count(*) FROM cron.job_alerts))) v(c, n)")"
mix="$(q -F ' ' -c "SELECT string_agg(status || '=' || n, ' ' ORDER BY status)
					 FROM (SELECT status, count(*) n FROM cron.job_run_details GROUP BY status) s")"
last_hour="$(q -c "SELECT count(*) || ' rows of ' || count(DISTINCT jobid) || ' jobs'
				   FROM cron.job_run_details WHERE scheduled_for > now() - interval '1 hour'")"
overdue="$(q -c "SELECT count(*) FILTER (WHERE overdue) FROM cron.job_metrics")"
log "history: $mix; last hour: $last_hour; job_metrics.overdue: $overdue jobs"

# ---------------------------------------------------------------- queries

declare -A res
plans="$work/plans.txt"
: > "$plans"

sched_pid="$(q -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler' AND datname = 'postgres'" | head -n 1)"
cpu_ticks() {
	[ -n "$sched_pid" ] && [ -r "/proc/$sched_pid/stat" ] || { echo 0; return; }
	sed -E 's/^.*\) //' "/proc/$sched_pid/stat" | awk '{ print $12 + $13 }'
}

if [ "${MB_WAIT_QUIET:-0}" -gt 0 ]; then
	log "waiting up to ${MB_WAIT_QUIET}s for load1 < 0.5 (now $(cut -d' ' -f1 /proc/loadavg))"
	for _ in $(seq 1 $(( MB_WAIT_QUIET / 5 ))); do
		awk '{ exit !($1 < 0.5) }' /proc/loadavg && break
		sleep 5
	done
fi
load_before=$(cut -d' ' -f1 /proc/loadavg)
cpu0=$(cpu_ticks)
t_meas0=$(now)
for l in "${labels[@]}"; do
	log "($l) ${name[$l]}"
	# MB_REPEAT runs in one session; \timing only around the statement,
	# its output goes to stdout, rows to /dev/null
	times=$( { for _ in $(seq 1 "$repeat"); do
					printf '%s\n' "${pre[$l]:-}" '\timing on' "${sql[$l]};" '\timing off' "${post[$l]:-}"
				done; } |
		q -o /dev/null | sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p')
	n=$(echo "$times" | grep -c .)
	[ "$n" = "$repeat" ] || { echo "expected $repeat timings for ($l), got $n" >&2; exit 1; }
	sorted=$(echo "$times" | sort -g)
	res[$l.first]=$(echo "$times" | head -n 1)
	res[$l.median]=$(echo "$sorted" | sed -n "$(( (repeat + 1) / 2 ))p")
	# rows of the query; for the check, the alerts it wrote (its first column)
	case "$l" in
		c*) res[$l.rows]="+$(printf '%s\n%s;\n%s\n' "${pre[$l]}" "${sql[$l]}" "${post[$l]}" | q | tail -n 1 | cut -d'|' -f1)" ;;
		e*c) res[$l.rows]=1 ;;
		*) res[$l.rows]=$(echo "SELECT count(*) FROM (${sql[$l]}) s" | q | tail -n 1) ;;
	esac
	p=${plan_of[$l]:-$l}
	if [ "$p" = "$l" ]; then
		{
			echo "=== ($l) ${name[$l]}"
			printf '%s\nEXPLAIN (ANALYZE, BUFFERS) %s;\n%s\n' "${pre[$l]:-}" "${sql[$l]}" "${post[$l]:-}" | q
			echo
		} > "$work/plan.$l"
		cat "$work/plan.$l" >> "$plans"
		res[$l.exec]=$(sed -nE 's/^Execution Time: ([0-9.]+) ms/\1/p' "$work/plan.$l")
		res[$l.buf]=$(grep -m1 -E '^ *Buffers:' "$work/plan.$l" | sed -E 's/^ *Buffers: //; s/shared //' || true)
		res[$l.jit]=$(sed -nE 's/^ *Timing: .*Total ([0-9.]+) ms/\1/p' "$work/plan.$l" | head -n 1)
	fi
	log "  median ${res[$l.median]} ms (first ${res[$l.first]}), rows ${res[$l.rows]}"
done
t_meas=$(fsub "$(now)" "$t_meas0")
cpu1=$(cpu_ticks)
sched_cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v t="$t_meas" -v hz="$(getconf CLK_TCK)" \
	'BEGIN { printf "%.1f", (b - a) / hz / t * 100 }')

# ---------------------------------------------------------------- report

report() {
	local l p
	echo
	echo "cronext metrics — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load1 $load_before before measuring, $(cut -d' ' -f1 /proc/loadavg) at the end"
	echo "PostgreSQL $($pgbin/postgres --version | awk '{ print $3 }'); cronext (repository at $(git -C "$here/.." log -1 --format=%h 2>/dev/null || echo '?'), installed cronext.so built $(date -u -r "$pglib/cronext.so" '+%Y-%m-%d %H:%M:%S UTC'))"
	echo "$jobs jobs ($watched watched), $rows ledger rows ($per_job per job over 2 days; $mix; last hour: $last_hour); job_metrics says $overdue overdue"
	echo "load: jobs ${t_jobs} s, history ${t_rows} s, VACUUM ANALYZE ${t_vacuum} s; shared_buffers 1GB, other settings default (jit on); all as superuser (no row-level security)"
	echo "the scheduler (pid ${sched_pid:-?}) used ${sched_cpu} % of a core over the ${t_meas} s of measuring"
	echo
	echo "sizes: relation             |    table |  indexes |    total |      rows"
	echo "$sizes" | sed 's/^/       /'
	echo
	echo "plan of the cronext_job exporter query:"
	sed -n '2,$p' "$work/plan.e1r"
	echo "wall-clock ms over $repeat runs in one session (psql \\timing); EXPLAIN (ANALYZE, BUFFERS) of one run: execution ms, JIT ms, shared buffers"
	echo "(count: SELECT count(*) FROM (query) s; rows: the query as it is, rows discarded; +N: alerts the check wrote, rolled back)"
	printf '%-4s %-28s %7s %10s %10s %10s %8s  %s\n' q what rows first median explain jit buffers
	for l in "${labels[@]}"; do
		p=${plan_of[$l]:-$l}
		if [ "$p" = "$l" ]; then
			printf '%-4s %-28s %7s %10s %10s %10s %8s  %s\n' "$l" "${name[$l]}" "${res[$l.rows]}" "${res[$l.first]}" \
				"${res[$l.median]}" "${res[$l.exec]:--}" "${res[$l.jit]:--}" "${res[$l.buf]:-}"
		else
			printf '%-4s %-28s %7s %10s %10s %10s %8s  %s\n' "$l" "${name[$l]}" "${res[$l.rows]}" "${res[$l.first]}" \
				"${res[$l.median]}" "(${p})" "" ""
		fi
	done
	echo
	for l in e1r e2r e3r b c1 d; do
		echo "($l) ${sql[$l]}"
	done
	echo "(c2) as (c1), after: $(echo "${pre[c2]}" | sed -n 3p)"
}

report | tee "$work/table"
if [ -n "${MB_OUT:-}" ]; then
	{ cat "$work/table"; echo; echo "# plans"; cat "$plans"; } > "$MB_OUT"
	log "table and plans written to $MB_OUT"
else
	log "the other plans are not kept: set MB_OUT=file (or MB_KEEP=1, then see $plans)"
fi
if [ "${MB_KEEP:-0}" = 1 ]; then
	keep=1
	echo "cluster kept running: runuser -u postgres -- $pgbin/psql -h $work -p $port -U postgres postgres"
	echo "stop and remove:      runuser -u postgres -- $pgbin/pg_ctl -D $data -m fast stop && rm -rf $work"
fi
