#!/bin/bash
#
# bench/http.sh — cronext HTTP jobs: many HTTP jobs due at the same instant,
# against a loopback server, on this machine.
#
# Run as root.  One throwaway PostgreSQL 15 cluster (initdb in a mktemp
# directory, run as the unprivileged user "postgres", port 5531, unix socket
# only) with cronext preloaded, and a small asyncio HTTP/1.1 server on
# 127.0.0.1 (written by this script, keep-alive, run as "postgres"); both are
# stopped and removed on exit.  Measures:
#   (a) 1000 HTTP jobs due at one instant against a fast endpoint (answers at
#       once), with cron.http_max_connections = 64 (the default) and 256:
#       time from the slot until all runs are recorded, requests per second,
#       start lag p50/p99 (start_time - scheduled_for), all succeeded?, and
#       the peak memory of the HTTP process ('cronext http')
#   (b) 1000 HTTP jobs against an endpoint that answers after 1 s, with
#       cron.http_max_connections = 1000 and 64: time until all are recorded
#   (c) 100 and 10 000 HTTP jobs against the fast endpoint with the default
#       64 connections (with (a)'s 1000: time to record a burst vs its size)
# Before that it checks that the server alone sustains far more than the
# rates measured.  It owns its results in $BENCH_RESULTS (http.txt, the table
# and raw key=value figures, and http-lag-*.txt, every run's start lag per
# burst), replaced at the end of each run, and then draws the plots
# (bench/plot.sh).  See bench/README.md ("HTTP jobs") for method and figures.
#
# Environment:
#   BENCH_QUICK=1        smoke test: 200 jobs instead of 1000 in (a) and (b)
#   BENCH_JOBS=N         jobs in the bursts of (a) and (b) (default 1000,
#                        quick 200); fast100j and fast10k keep their size
#   BENCH_PORT=N         PostgreSQL port (default 5531)
#   BENCH_BURSTS="..."   which bursts, of fast100j fast64 fast256 slow1000
#                        slow64 fast10k (default all six)
#   BENCH_NOFILE=N       open-files limit (soft) of the server processes
#                        (default 65536, or the hard limit if lower; the
#                        postgres user's PAM default would be 1024)
#   BENCH_SCHEDULE=interval  give the jobs an 'N seconds' schedule instead of
#                        a one-off '@at' instant (the scheduler then does not
#                        deactivate each job when it claims its slot)
#   BENCH_PGBIN=dir      PostgreSQL 15 binaries (default
#                        /usr/lib/postgresql/15/bin); the libraries are
#                        looked for where its pg_config says
#   BENCH_RESULTS=dir    where http.txt and http-lag-*.txt go (default
#                        bench/results); BENCH_PLOTS=dir where the plots go
#                        (default bench/plots); BENCH_NO_PLOTS=1 draws none
#   BENCH_OUT=file       also write the table (and raw key=value) there
#   BENCH_KEEP=1         keep the work directory (server logs) on exit
#   BENCH_WAIT_QUIET=N   first wait up to N s for the machine's 1-minute load
#                        average to drop below 0.3
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
pgbin="${BENCH_PGBIN:-/usr/lib/postgresql/15/bin}"
pglib="$("$pgbin/pg_config" --pkglibdir 2>/dev/null || echo "${pgbin%/bin}/lib")"
results_dir="${BENCH_RESULTS:-$here/results}"
plots_dir="${BENCH_PLOTS:-$here/plots}"

quick="${BENCH_QUICK:-0}"
if [ "$quick" = 1 ]; then
	njobs="${BENCH_JOBS:-200}"
else
	njobs="${BENCH_JOBS:-1000}"
fi
pgport="${BENCH_PORT:-5531}"
schedule_kind="${BENCH_SCHEDULE:-at}"
lead=8				# seconds from now to the slot (plus 1 s per 2000 jobs)
max_wait=180		# seconds a burst may take before the benchmark gives up on it
# the bursts: name, cron.http_max_connections, endpoint path, jobs
all_bursts=("fast100j 64 /fast 100" "fast64 64 /fast $njobs" "fast256 256 /fast $njobs"
			"slow1000 1000 /sleep $njobs" "slow64 64 /sleep $njobs" "fast10k 64 /fast 10000")
bursts=()
for b in "${all_bursts[@]}"; do
	case " ${BENCH_BURSTS:-fast100j fast64 fast256 slow1000 slow64 fast10k} " in
		*" ${b%% *} "*) bursts+=("$b") ;;
	esac
done
[ ${#bursts[@]} -gt 0 ] || { echo "BENCH_BURSTS names none of: fast100j fast64 fast256 slow1000 slow64 fast10k" >&2; exit 1; }

[ "$(id -u)" = 0 ] || { echo "bench/http.sh must run as root (it runs PostgreSQL as user postgres)" >&2; exit 1; }
id postgres >/dev/null 2>&1 || { echo "user postgres is missing (install postgresql-15)" >&2; exit 1; }
[ -f "$pglib/cronext.so" ] || { echo "$pglib/cronext.so is missing (make && make install)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is missing" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is missing (apt-get install curl)" >&2; exit 1; }
if ss -ltnH "sport = :$pgport" 2>/dev/null | grep -q .; then
	echo "port $pgport is in use (set BENCH_PORT)" >&2
	exit 1
fi

# 1000 connections on each side of loopback need more open files than the
# usual soft limit of 1024 (runuser applies pam_limits, which resets it to
# 1024 for user postgres): the postmaster and the server get $nofile
hardlimit=$(ulimit -Hn)
nofile="${BENCH_NOFILE:-65536}"
[ "$hardlimit" = unlimited ] || [ "$nofile" -le "$hardlimit" ] || nofile=$hardlimit
[ "$nofile" -ge 4096 ] ||
	echo "warning: open files limit is $nofile; 1000 connections need more" >&2
# run a command as postgres with that limit
as_pg() {
	runuser -u postgres -- /bin/sh -c 'ulimit -n "$0" && exec "$@"' "$nofile" "$@"
}

work="$(mktemp -d /tmp/cronext-http-bench.XXXXXX)"
chmod 755 "$work"
chown postgres "$work"
dir="$work/pg"
server_pid=

cleanup() {
	if [ -f "$dir/data/postmaster.pid" ]; then
		runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	# the loopback server, by the pid it wrote (it runs under runuser)
	[ -z "$server_pid" ] && [ -s "$work/server.pid" ] && server_pid=$(cat "$work/server.pid")
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		for _ in $(seq 1 20); do
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

results="$work/results"
: > "$results"
# the per-run samples, copied to $results_dir at the end
out="$work/out"
mkdir "$out"
. "$here/lib.sh"
if [ "${BENCH_NO_PLOTS:-0}" != 1 ] && ! command -v gnuplot >/dev/null; then
	log "warning: gnuplot is missing (apt-get install -y gnuplot-nox): no plots will be drawn"
fi

# ---------------------------------------------------------------- loopback server

# Minimal HTTP/1.1 keep-alive server on asyncio (protocol level, no per-request
# parsing beyond the request line and Content-Length).  Paths: /fast answers
# at once, /sleep after 1 s (without blocking other connections), /stats and
# /reset for the benchmark's own counters.  Writes its port to argv[1] and its
# pid to argv[2].
cat > "$work/server.py" <<'PY'
import asyncio, os, signal, sys, time

stats = {"requests": 0, "connections": 0, "open": 0, "max_open": 0,
         "first": 0.0, "last": 0.0, "sleeping": 0, "max_sleeping": 0}
FAST = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        b"Content-Length: 3\r\n\r\nok\n")
SLEPT = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
         b"Content-Length: 6\r\n\r\nslept\n")
NOTFOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


class Http(asyncio.Protocol):
    def connection_made(self, tr):
        self.tr = tr
        self.buf = b""
        self.busy = False       # a /sleep answer is pending on this connection
        self.pending = []       # requests read meanwhile, answered in order
        stats["connections"] += 1
        stats["open"] += 1
        stats["max_open"] = max(stats["max_open"], stats["open"])

    def connection_lost(self, exc):
        stats["open"] -= 1

    def data_received(self, data):
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end]
            clen = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    clen = int(line[15:])
            if len(self.buf) < end + 4 + clen:
                return
            self.buf = self.buf[end + 4 + clen:]
            path = head.split(b" ", 2)[1].split(b"?", 1)[0]
            if path not in (b"/stats", b"/reset"):
                t = time.time()
                if not stats["first"]:
                    stats["first"] = t
                stats["last"] = t
                stats["requests"] += 1
            self.answer(path)

    def answer(self, path):
        if self.busy:
            self.pending.append(path)
            return
        if path == b"/fast":
            self.tr.write(FAST)
        elif path == b"/sleep":
            self.busy = True
            stats["sleeping"] += 1
            stats["max_sleeping"] = max(stats["max_sleeping"], stats["sleeping"])
            asyncio.get_running_loop().call_later(1.0, self.woke)
        elif path == b"/stats":
            body = (" ".join("%s=%s" % kv for kv in stats.items()) + "\n").encode()
            self.tr.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                          % (len(body), body))
        elif path == b"/reset":
            for k in ("requests", "connections", "first", "last", "max_sleeping"):
                stats[k] = 0
            stats["max_open"] = stats["open"]
            self.tr.write(FAST)
        else:
            self.tr.write(NOTFOUND)

    def woke(self):
        stats["sleeping"] -= 1
        self.busy = False
        if not self.tr.is_closing():
            self.tr.write(SLEPT)
        while self.pending and not self.busy:
            self.answer(self.pending.pop(0))


async def main():
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(Http, "127.0.0.1", 0, backlog=4096)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % srv.sockets[0].getsockname()[1])
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    with open(sys.argv[2], "w") as f:
        f.write("%d\n" % os.getpid())
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()


asyncio.run(main())
PY

# a client for the server check: n concurrent connections, one request each
# to path, all sent at once; prints the seconds until all answers are in
cat > "$work/client.py" <<'PY'
import asyncio, sys, time

port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode()


async def one():
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(req)
    await r.readuntil(b"\r\n\r\n")
    w.close()


async def main():
    t = time.monotonic()
    await asyncio.gather(*(one() for _ in range(n)))
    print("%.3f" % (time.monotonic() - t))


asyncio.run(main())
PY
chown postgres "$work/server.py" "$work/client.py"

server_start() {
	as_pg python3 "$work/server.py" "$work/server.port" "$work/server.pid" \
		> "$work/server.log" 2>&1 &
	for _ in $(seq 1 100); do
		[ -f "$work/server.port" ] && [ -s "$work/server.pid" ] && break
		sleep 0.1
	done
	[ -f "$work/server.port" ] || { echo "the loopback server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
	server_pid=$(cat "$work/server.pid")
	http_port=$(cat "$work/server.port")
}

# the server's counters as shell assignments s_requests=... s_first=...
# (connections and max_open without the /stats connection itself)
server_stats() {
	curl -sf "http://127.0.0.1:$http_port/stats" | tr ' ' '\n' | sed -n 's/^\([a-z_]*\)=\(.*\)$/s_\1=\2/p'
	echo 's_connections=$((s_connections - 1)); s_max_open=$((s_max_open - 1))'
}

# ---------------------------------------------------------------- cluster

cluster_create() {
	mkdir -p "$dir"
	chown postgres "$dir"
	runuser -u postgres -- "$pgbin/initdb" -N -D "$dir/data" -A trust -U postgres >/dev/null
	cat >> "$dir/data/postgresql.conf" <<CONF
# --- bench/http.sh
port = $pgport
listen_addresses = ''
unix_socket_directories = '$dir'
shared_preload_libraries = 'cronext'
cron.database_name = 'postgres'
max_connections = 100
# commit time of each ledger write: when each outcome was recorded
track_commit_timestamp = on
log_line_prefix = '%m [%p] %b '
CONF
	cluster_start
}

cluster_start() {
	as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
}

cluster_stop() {
	runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

q() {
	runuser -u postgres -- "$pgbin/psql" -X -q -At -v ON_ERROR_STOP=1 \
		-h "$dir" -p "$pgport" -U postgres -d postgres "$@"
}

# pid of the process with this backend_type, or nothing
backend_pid() {
	q -c "SELECT pid FROM pg_stat_activity WHERE backend_type = '$1'"
}

sched_pid() {
	local pid
	for _ in $(seq 1 100); do
		pid=$(backend_pid 'cronext scheduler')
		[ -n "$pid" ] && { echo "$pid"; return 0; }
		sleep 0.1
	done
	echo "no 'cronext scheduler' process" >&2
	return 1
}

cpu_ns() {
	local ns rest
	read -r ns rest < "/proc/$1/schedstat"
	echo "$ns"
}
machine_busy_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}
# "VmHWM VmRSS RssAnon RssShmem" of a process, kB
mem_status() {
	awk '/^VmHWM:/ { h = $2 } /^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } /^RssShmem:/ { s = $2 }
		 END { print h, r, a, s }' "/proc/$1/status"
}

# Peak memory of a process during a burst: VmHWM (reset before the slot by
# mem_peak_reset: clear_refs 5) and the largest RssAnon seen by mem_sample,
# which the wait loop calls (the kernel keeps no peak of RssAnon).
declare -A peak_anon
mem_peak_reset() { echo 5 > "/proc/$1/clear_refs" 2>/dev/null || true; peak_anon[$1]=0; mem_sample "$1"; }
mem_sample() {
	local a
	a=$(awk '/^RssAnon:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0)
	[ "${a:-0}" -gt "${peak_anon[$1]:-0}" ] && peak_anon[$1]=$a
	return 0
}

# ---------------------------------------------------------------- a burst

# burst NAME MAXCONN PATH JOBS: restart with cron.http_max_connections =
# MAXCONN (a fresh HTTP process, so its VmHWM is this burst's; the shutdown
# checkpoint puts every burst's WAL figure on the same footing), insert JOBS
# HTTP jobs all due once at the same '@at' instant, wait until every run is
# recorded (at most max_wait s)
burst() {
	local name=$1 maxconn=$2 path=$3 jobs=$4 slot slot_txt t0 t1 spid hpid='' ns0 ns1 mb0 mb1 done_n=0 waited lsn0 lsn1
	log "$name: cron.http_max_connections = $maxconn, $jobs jobs -> $path"
	q -c "ALTER SYSTEM SET cron.http_max_connections = $maxconn"
	cluster_stop
	cluster_start
	put "$name.maxconn" "$(q -c "SHOW cron.http_max_connections")"
	put "$name.jobs" "$jobs"
	put "$name.path" "$path"
	spid=$(sched_pid)
	q -c "DELETE FROM cron.job; TRUNCATE cron.job_run_details"
	# the slot: a whole second, ~8-13 s ahead (inserting 1000 jobs takes
	# well under a second, 10 000 a few; checked below), so every job is
	# loaded by then
	slot=$(( $(date +%s) + lead + jobs / 2000 ))
	if [ "$schedule_kind" = interval ]; then
		# 'N seconds' (N 40-59) whose next multiple of N is the nearest one
		# at or after that instant; the jobs are deactivated after the burst
		local nn best=0 bw=999 w
		for nn in $(seq 40 59); do
			w=$(( ( (slot + nn - 1) / nn ) * nn - slot ))
			[ $w -lt $bw ] && { bw=$w; best=$nn; }
		done
		slot=$(( ( (slot + best - 1) / best ) * best ))
		slot_txt="$best seconds"
	else
		slot_txt="@at $(date -u -d "@$slot" '+%Y-%m-%d %H:%M:%S+00')"
	fi
	put "$name.schedule" "$slot_txt"
	t0=$(now)
	q -c "INSERT INTO cron.job (jobname, schedule, command, kind, http_method, http_url)
		  SELECT 'http_' || g, '$slot_txt', NULL, 'http', 'GET', 'http://127.0.0.1:$http_port$path'
		  FROM generate_series(1, $jobs) g"
	t1=$(now)
	put "$name.insert_s" "$(fsub "$t1" "$t0")"
	if awk -v s="$slot" -v n="$(now)" 'BEGIN { exit !(s - n < 2) }'; then
		echo "$name: inserting $jobs jobs took $(fsub "$t1" "$t0") s, too close to the slot; raise lead" >&2
		exit 1
	fi
	curl -sf -o /dev/null "http://127.0.0.1:$http_port/reset"
	sleep_until "$((slot - 1))"
	put "$name.load" "$(cut -d' ' -f1 /proc/loadavg)"
	mem_peak_reset "$spid"
	lsn0=$(q -c "SELECT pg_current_wal_lsn()")
	ns0=$(cpu_ns "$spid"); mb0=$(machine_busy_ticks)
	waited=$(date +%s)
	while [ $(( $(date +%s) - waited )) -lt $max_wait ]; do
		done_n=$(q -c "SELECT count(*) FROM cron.job_run_details
					   WHERE scheduled_for = to_timestamp($slot) AND status IN ('succeeded', 'failed', 'skipped')")
		# the HTTP process starts with the burst's first run
		[ -n "$hpid" ] || hpid=$(backend_pid 'cronext http')
		[ -n "$hpid" ] && mem_sample "$hpid"
		mem_sample "$spid"
		[ "$done_n" -ge "$jobs" ] && break
		sleep 0.1
	done
	ns1=$(cpu_ns "$spid"); mb1=$(machine_busy_ticks)
	lsn1=$(q -c "SELECT pg_current_wal_lsn()")
	[ "$schedule_kind" = interval ] && q -c "UPDATE cron.job SET active = false"
	[ "$done_n" -ge "$jobs" ] || log "$name: only $done_n of $jobs runs recorded after ${max_wait}s"
	put "$name.done" "$done_n"
	put "$name.wal_per_run" "$(q -c "SELECT CASE WHEN $done_n > 0 THEN (pg_wal_lsn_diff('$lsn1', '$lsn0') / $done_n)::bigint END")"
	put "$name.sched.hwm" "$(awk '/^VmHWM:/ { print $2 }' "/proc/$spid/status")"
	put "$name.sched.peak_anon" "${peak_anon[$spid]}"
	[ -n "$hpid" ] || hpid=$(backend_pid 'cronext http')
	if [ -n "$hpid" ]; then
		put "$name.mem.peak_anon" "${peak_anon[$hpid]:-}"
		read -r hwm rss anon shm < <(mem_status "$hpid")
		put "$name.mem.hwm" "$hwm"
		put "$name.mem.rss" "$rss"
		put "$name.mem.anon" "$anon"
		put "$name.mem.shmem" "$shm"
		put "$name.http_cpu_ms" "$(( $(cpu_ns "$hpid") / 1000000 ))"
		put "$name.nofile" "$(awk '/^Max open files/ { print $4 }' "/proc/$hpid/limits")"
		put "$name.fds" "$(find "/proc/$hpid/fd" -mindepth 1 -maxdepth 1 | wc -l)"
		put "$name.http_started" "$(q -c "SELECT round(extract(epoch FROM backend_start - to_timestamp($slot)) * 1000) FROM pg_stat_activity WHERE pid = $hpid")"
	fi
	put "$name.sched_cpu_ms" "$(( (ns1 - ns0) / 1000000 ))"
	put "$name.machine_cpu_ms" "$(awk -v t=$((mb1 - mb0)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%d", t * 1000 / hz }')"

	read -r cnt ok st200 p50 p99 mx first fin rec dur50 dur99 rd50 rd99 < <(q -F ' ' -c "
		WITH r AS (SELECT status, http_status,
						  extract(epoch FROM start_time - scheduled_for) * 1000 AS lag,
						  extract(epoch FROM end_time - start_time) * 1000 AS dur,
						  extract(epoch FROM end_time - scheduled_for) * 1000 AS fin,
						  extract(epoch FROM pg_xact_commit_timestamp(xmin) - scheduled_for) * 1000 AS rec
				   FROM cron.job_run_details WHERE scheduled_for = to_timestamp($slot))
		SELECT count(*), count(*) FILTER (WHERE status = 'succeeded'),
			   count(*) FILTER (WHERE http_status = 200),
			   round(percentile_disc(0.5) WITHIN GROUP (ORDER BY lag)::numeric, 1),
			   round(percentile_disc(0.99) WITHIN GROUP (ORDER BY lag)::numeric, 1),
			   round(max(lag)::numeric, 1), round(min(lag)::numeric, 1),
			   round(max(fin)::numeric, 1), round(max(rec)::numeric, 1),
			   round(percentile_disc(0.5) WITHIN GROUP (ORDER BY dur)::numeric, 1),
			   round(percentile_disc(0.99) WITHIN GROUP (ORDER BY dur)::numeric, 1),
			   round(percentile_disc(0.5) WITHIN GROUP (ORDER BY rec - fin)::numeric, 1),
			   round(percentile_disc(0.99) WITHIN GROUP (ORDER BY rec - fin)::numeric, 1)
		FROM r")
	# every run's start lag, for the plots (ms, one a line, ascending; to
	# 0.1 ms below 100 ms and to 1 ms above, so that the files stay small)
	q -c "SELECT round(lag, CASE WHEN lag < 100 THEN 1 ELSE 0 END)
		  FROM (SELECT (extract(epoch FROM start_time - scheduled_for) * 1000)::numeric AS lag
				FROM cron.job_run_details WHERE scheduled_for = to_timestamp($slot) AND start_time IS NOT NULL) s
		  ORDER BY lag" > "$out/http-lag-$name.txt"
	put "$name.runs" "$cnt"
	put "$name.ok" "$ok"
	put "$name.http200" "$st200"
	put "$name.lag.p50" "$p50"
	put "$name.lag.p99" "$p99"
	put "$name.lag.max" "$mx"
	put "$name.lag.min" "$first"
	put "$name.fin" "$fin"
	put "$name.recorded" "$rec"
	put "$name.dur.p50" "$dur50"
	put "$name.dur.p99" "$dur99"
	put "$name.recdelay.p50" "$rd50"
	put "$name.recdelay.p99" "$rd99"
	put "$name.rps" "$(awk -v n="$ok" -v f="$fin" 'BEGIN { if (f > 0) printf "%d", n / (f / 1000); else print "-" }')"
	put "$name.rps_active" "$(awk -v n="$ok" -v f="$fin" -v s="$first" 'BEGIN { if (f > s) printf "%d", n / ((f - s) / 1000); else print "-" }')"
	# where the time went: completions per 100 ms after the slot (end_time)
	put "$name.timeline" "$(q -c "
		SELECT string_agg(b || ':' || n, ' ' ORDER BY b) FROM (
			SELECT floor(extract(epoch FROM end_time - scheduled_for) * 10)::int * 100 AS b, count(*) AS n
			FROM cron.job_run_details WHERE scheduled_for = to_timestamp($slot) GROUP BY 1) s")"
	# the scheduler deactivates each one-off job in the transaction that
	# claims its slot: the commit time of the job rows is when the claims
	# were committed (before that commit no request may start)
	read -r c_min c_max < <(q -F ' ' -c "
		SELECT round(extract(epoch FROM min(pg_xact_commit_timestamp(xmin)) - to_timestamp($slot)) * 1000, 1),
			   round(extract(epoch FROM max(pg_xact_commit_timestamp(xmin)) - to_timestamp($slot)) * 1000, 1)
		FROM cron.job WHERE NOT active AND schedule LIKE '@at %'")
	put "$name.claimed" "$c_max"
	put "$name.claimed_first" "$c_min"
	eval "$(server_stats)"
	put "$name.server.requests" "$s_requests"
	put "$name.server.connections" "$s_connections"
	put "$name.server.max_open" "$s_max_open"
	put "$name.server.max_sleeping" "$s_max_sleeping"
	put "$name.server.first" "$(awk -v t="$s_first" -v s="$slot" 'BEGIN { if (t > 0) printf "%.1f", (t - s) * 1000; else print "-" }')"
	put "$name.server.last" "$(awk -v t="$s_last" -v s="$slot" 'BEGIN { if (t > 0) printf "%.1f", (t - s) * 1000; else print "-" }')"
	put "$name.messages" "$(q -c "SELECT string_agg(m, '; ') FROM (SELECT count(*) || ' × ' || left(return_message, 120) AS m
		FROM cron.job_run_details WHERE scheduled_for = to_timestamp($slot) AND status <> 'succeeded'
		GROUP BY return_message ORDER BY count(*) DESC LIMIT 3) s")"
	log "$name: runs=$cnt ok=$ok http200=$st200; all recorded +$rec ms (last end_time +$fin ms); $(get "$name.rps") req/s;" \
		"start lag p50 $p50 / p99 $p99 ms; HTTP process VmHWM $(get "$name.mem.hwm") kB, RssAnon $(get "$name.mem.anon") kB (peak seen $(get "$name.mem.peak_anon"));" \
		"scheduler VmHWM $(get "$name.sched.hwm") kB, RssAnon peak $(get "$name.sched.peak_anon") kB; WAL $(get "$name.wal_per_run") B/run;" \
		"server saw $s_requests requests on $s_connections connections, at most $s_max_open open"
	q -c "DELETE FROM cron.job"
}

# ---------------------------------------------------------------- run

if [ "${BENCH_WAIT_QUIET:-0}" -gt 0 ]; then
	log "waiting up to ${BENCH_WAIT_QUIET}s for load1 < 0.3 (now $(cut -d' ' -f1 /proc/loadavg))"
	for _ in $(seq 1 $(( BENCH_WAIT_QUIET / 5 ))); do
		awk '{ exit !($1 < 0.3) }' /proc/loadavg && break
		sleep 5
	done
fi
awk '{ exit !($1 > 0.5) }' /proc/loadavg &&
	log "warning: the machine is busy (load average $(cut -d' ' -f1-3 /proc/loadavg)); figures will be disturbed"
put machine.nproc "$(nproc)"
put machine.cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
put machine.kernel "$(uname -r)"
put machine.mem "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
put run.date "$(date -u '+%Y-%m-%d %H:%M UTC')"
put run.cronext_commit "$(git -C "$here/.." log -1 --format=%h 2>/dev/null || echo '?')"
put run.cronext_so "$(date -u -r "$pglib/cronext.so" '+%Y-%m-%d %H:%M:%S UTC')"
put run.pg_version "$("$pgbin/postgres" --version | awk '{ print $3 }')"
put run.curl "$(curl --version | head -n 1 | awk '{ print $2 }')"
put run.nofile "$nofile"
put run.pgbin "$pgbin"
put run.quick "$quick"
put run.schedule_kind "$([ "$schedule_kind" = interval ] && echo "'N seconds'" || echo "'@at' one-off")"
put run.bursts "$(for b in "${bursts[@]}"; do printf '%s ' "${b%% *}"; done | sed 's/ $//')"
t_start=$SECONDS

server_start
log "loopback server on 127.0.0.1:$http_port (pid $server_pid); work directory $work"

# the server alone: keep-alive throughput (curl, libcurl multi as cronext
# uses it, 64 connections), and 1000 concurrent /sleep requests
n_check=20000
t0=$(now)
curl -s -o /dev/null --parallel --parallel-immediate --parallel-max 64 "http://127.0.0.1:$http_port/fast?[1-$n_check]" 2>/dev/null
t1=$(now)
put server.rps64 "$(awk -v n=$n_check -v t="$(fsub "$t1" "$t0")" 'BEGIN { printf "%d", n / t }')"
t0=$(now)
curl -s -o /dev/null "http://127.0.0.1:$http_port/fast?[1-$((n_check / 4))]" 2>/dev/null
t1=$(now)
put server.rps1 "$(awk -v n=$((n_check / 4)) -v t="$(fsub "$t1" "$t0")" 'BEGIN { printf "%d", n / t }')"
put server.fast1000 "$(as_pg python3 "$work/client.py" "$http_port" /fast 1000)"
put server.sleep1000 "$(as_pg python3 "$work/client.py" "$http_port" /sleep 1000)"
eval "$(server_stats)"
put server.sleep1000_concurrent "$s_max_sleeping"
log "server alone: $(get server.rps64) req/s over 64 keep-alive connections, $(get server.rps1) req/s over one;" \
	"1000 new connections, one /fast each: $(get server.fast1000) s; one /sleep each: $(get server.sleep1000) s ($s_max_sleeping asleep at once)"

log "starting cluster on port $pgport"
cluster_create
q -c "CREATE EXTENSION cronext"
sched_pid >/dev/null

for b in "${bursts[@]}"; do
	# shellcheck disable=SC2086
	burst $b
done
put run.seconds "$((SECONDS - t_start))"
put log.warnings "$(grep -E ' (WARNING|ERROR|FATAL|PANIC): ' "$dir/server.log" | grep -vc 'due to administrator command' || true)"
grep -E ' (WARNING|ERROR|FATAL|PANIC): ' "$dir/server.log" | grep -v 'due to administrator command' |
	sed -E 's/^.* (WARNING|ERROR|FATAL|PANIC): +/\1: /' | sort | uniq -c | sort -rn | head -n 5 > "$work/warnings" || true

# ---------------------------------------------------------------- report

report() {
	local b name
	echo
	echo "cronext HTTP jobs — $(get run.date), $(get machine.nproc) × $(get machine.cpu), $(get machine.mem), kernel $(get machine.kernel)"
	echo "PostgreSQL $(get run.pg_version); cronext (repository at $(get run.cronext_commit), installed cronext.so built $(get run.cronext_so)); libcurl $(get run.curl)"
	echo "HTTP GET jobs, each burst's all due at the same slot (schedule: $(get run.schedule_kind)); loopback asyncio server (keep-alive); open files limit $(get run.nofile)"
	echo "server alone: $(get server.rps64) req/s (curl, 64 keep-alive connections), $(get server.rps1) req/s (one connection);"
	echo "  1000 new connections at once: /fast all answered in $(get server.fast1000) s, /sleep (1 s) in $(get server.sleep1000) s"
	echo
	echo "time in ms after the slot; lag = start_time - scheduled_for; recorded = commit of the last outcome"
	echo "memory, kB: the HTTP process's VmHWM (its whole life: it starts with the burst) / largest RssAnon seen during the burst"
	printf '%-9s %6s %6s %11s %8s %9s %9s %8s %8s %8s %6s %15s\n' \
		burst jobs maxconn runs/ok recorded last_end req/s lag_p50 lag_p99 dur_p50 load1 http_hwm/anon
	for b in "${bursts[@]}"; do
		name=${b%% *}
		printf '%-9s %6s %6s %11s %8s %9s %9s %8s %8s %8s %6s %15s\n' "$name" "$(get "$name.jobs")" "$(get "$name.maxconn")" \
			"$(get "$name.runs")/$(get "$name.ok")" "$(get "$name.recorded")" "$(get "$name.fin")" \
			"$(get "$name.rps")" "$(get "$name.lag.p50")" "$(get "$name.lag.p99")" "$(get "$name.dur.p50")" \
			"$(get "$name.load")" "$(get "$name.mem.hwm")/$(get "$name.mem.peak_anon")"
	done
	echo
	echo "the scheduler during the burst (slot - 1 s until all recorded): VmHWM (reset before the slot) / largest RssAnon seen, kB;"
	echo "WAL bytes per run (pg_current_wal_lsn() over the same window; the cluster was restarted, so checkpointed, before each burst)"
	printf '%-9s %6s %19s %10s\n' burst jobs sched_hwm/anon WAL_B/run
	for b in "${bursts[@]}"; do
		name=${b%% *}
		printf '%-9s %6s %19s %10s\n' "$name" "$(get "$name.jobs")" \
			"$(get "$name.sched.hwm")/$(get "$name.sched.peak_anon")" "$(get "$name.wal_per_run")"
	done
	echo
	echo "per burst, ms after the slot: the claims committed (first..last), the HTTP process started, the first request started;"
	echo "server: requests, connections, most open at once, first and last request received;"
	echo "CPU ms of the HTTP process (its life), the scheduler and the whole machine (slot - 1 s until all recorded)"
	for b in "${bursts[@]}"; do
		name=${b%% *}
		printf '  %-9s claims committed +%s..+%s, http process started +%s, first request start +%s; server %s req on %s conns (max open %s, max asleep %s), first +%s last +%s; cpu http %s sched %s machine %s; all 200: %s; HTTP process: %s files open after the burst, limit %s\n' \
			"$name" "$(get "$name.claimed_first")" "$(get "$name.claimed")" "$(get "$name.http_started")" "$(get "$name.lag.min")" "$(get "$name.server.requests")" \
			"$(get "$name.server.connections")" "$(get "$name.server.max_open")" "$(get "$name.server.max_sleeping")" \
			"$(get "$name.server.first")" "$(get "$name.server.last")" \
			"$(get "$name.http_cpu_ms")" "$(get "$name.sched_cpu_ms")" "$(get "$name.machine_cpu_ms")" \
			"$([ "$(get "$name.http200")" = "$(get "$name.jobs")" ] && echo yes || echo "no ($(get "$name.http200"))")" \
			"$(get "$name.fds")" "$(get "$name.nofile")"
		echo "      request duration (end_time - start_time) p50 $(get "$name.dur.p50") / p99 $(get "$name.dur.p99") ms; request end to its outcome committed p50 $(get "$name.recdelay.p50") / p99 $(get "$name.recdelay.p99") ms"
		[ "$(get "$name.messages")" != - ] && echo "      not succeeded: $(get "$name.messages")"
		echo "      completions per 100 ms after the slot: $(get "$name.timeline")"
	done
	echo
	echo "server log: $(get log.warnings) WARNING/ERROR/FATAL lines"
	sed 's/^/    /' "$work/warnings" 2>/dev/null || true
	echo "total benchmark time: $(get run.seconds) s"
}

report | tee "$work/table"
{ cat "$work/table"; echo; echo "# raw"; cat "$results"; } > "$out/http.txt"
if [ -n "${BENCH_OUT:-}" ]; then
	cp "$out/http.txt" "$BENCH_OUT"
fi
# the results this script owns: the previous run's go, this run's come
mkdir -p "$results_dir"
rm -f "$results_dir"/http.txt "$results_dir"/http-lag-*.txt
cp "$out"/* "$results_dir"/
log "results in $results_dir ($(du -sh "$results_dir" | cut -f1) in all)"
if [ "${BENCH_NO_PLOTS:-0}" != 1 ] && command -v gnuplot >/dev/null; then
	bash "$here/plot.sh" "$results_dir" "$plots_dir" || log "warning: plotting failed"
fi
