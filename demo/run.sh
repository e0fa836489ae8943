#!/bin/bash
#
# demo/run.sh — run cronext for real, then clean up.
#
# Installs what it needs (Debian 12, as root), builds and installs cronext,
# starts a throwaway PostgreSQL 15 cluster as the unprivileged user
# "postgres" with cronext preloaded, and a small web server on 127.0.0.1
# for an HTTP job; schedules a few example jobs, shows
# them, their next slots and their runs as they happen, then stops the
# cluster and removes it.
#
# DEMO_SECONDS (default 30) sets how long runs are watched.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
watch_seconds="${DEMO_SECONDS:-30}"
pgbin=/usr/lib/postgresql/15/bin

need=(postgresql-15 postgresql-server-dev-15 libcurl4-openssl-dev build-essential python3)
missing=()
for p in "${need[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "== installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

work="$(mktemp -d /tmp/cronext-demo.XXXXXX)"
chown postgres "$work"
cleanup() {
	if [ -n "${web_pid:-}" ]; then kill "$web_pid" 2>/dev/null || true; fi
	if [ -n "${hook_pid:-}" ]; then kill "$hook_pid" 2>/dev/null || true; fi
	if [ -f "$work/data/postmaster.pid" ]; then
		runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "== building and installing cronext"
cp -a "$here/." "$work/src"
chown -R postgres "$work/src"
runuser -u postgres -- make -s -C "$work/src" >/dev/null
make -s -C "$work/src" install >/dev/null

echo "== starting a throwaway cluster in $work/data"
port=$(( 20000 + RANDOM % 20000 ))
runuser -u postgres -- "$pgbin/initdb" -D "$work/data" -A trust -U postgres >/dev/null
cat >> "$work/data/postgresql.conf" <<CONF
shared_preload_libraries = 'cronext'
cron.database_name = 'postgres'
port = $port
listen_addresses = ''
unix_socket_directories = '$work'
CONF
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/data" -l "$work/server.log" -w start >/dev/null

psql() {
	runuser -u postgres -- "$pgbin/psql" -X -q -h "$work" -p "$port" -U postgres -d postgres "$@"
}

echo "== scheduling example jobs"
psql -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION cronext;
CREATE TABLE ticks (at timestamptz DEFAULT now());
SELECT cron.schedule('tick', '5 seconds', 'INSERT INTO ticks DEFAULT VALUES') AS tick_jobid;
SELECT cron.schedule('always-fails', '10 seconds', 'SELECT 1/0') AS failing_jobid;
SELECT cron.schedule('nightly-cleanup', '0 3 * * *',
       $$DELETE FROM ticks WHERE at < now() - interval '1 day'$$,
       timezone => 'America/New_York', max_retries => 2) AS nightly_jobid;
SQL
# an HTTP job against a loopback web server, and a one-off job
mkdir -p "$work/www/internal"
echo '{"cleaned": 3}' > "$work/www/internal/cleanup.json"
web_port=$(( port + 1 ))
python3 -m http.server "$web_port" --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>&1 &
web_pid=$!
psql -v ON_ERROR_STOP=1 -v url="http://127.0.0.1:$web_port/internal/cleanup.json" <<'SQL'
SELECT cron.schedule_http('call-app', '10 seconds', :'url',
       headers => '{"Authorization": "Bearer demo-secret"}',
       timeout => '5 seconds', max_retries => 2, retry_delay => '1 second') AS http_jobid;
SELECT cron.schedule_at('one-off', now() + interval '12 seconds',
       'INSERT INTO ticks DEFAULT VALUES') AS one_off_jobid;
SQL
# the application's alert endpoint: checks each alert's signature, logs it
hook_port=$(( port + 2 ))
cat > "$work/hook.py" <<'PY'
import hashlib, hmac, http.server, json, sys, time
SECRET = b"demo-signing-secret-0123456789"
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        f = dict(p.split("=", 1) for p in self.headers.get("X-Cron-Signature", "").split(",") if "=" in p)
        mac = hmac.new(SECRET, f.get("t", "").encode() + b"." + body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(mac, f.get("v1", "")) and abs(time.time() - int(f.get("t", 0))) < 300
        alert = json.loads(body)
        with open(sys.argv[2], "a") as log:
            log.write("%s alert for job %s (slot %s): %s; signature %s\n" % (alert["event"], alert["job_name"],
                      alert.get("scheduled_for"), alert.get("message"), "valid" if ok else "INVALID"))
        self.send_response(204 if ok else 403)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Hook).serve_forever()
PY
python3 "$work/hook.py" "$hook_port" "$work/alerts.log" >/dev/null 2>&1 &
hook_pid=$!
psql -v ON_ERROR_STOP=1 -v hook="http://127.0.0.1:$hook_port/hooks/cron" <<'SQL'
SELECT cron.set_alerts('always-fails', :'hook') AS alerting_jobid;
SELECT cron.set_signing_secret('always-fails', 'demo-signing-secret-0123456789') AS signed_jobid;
SQL
psql -c "SELECT jobid, jobname, kind, schedule, timezone, command FROM cron.job ORDER BY jobid"
psql -c "SELECT j.jobname, r AS next_slot
         FROM cron.job j, LATERAL cron.next_runs(j.schedule, j.timezone, now(), 2) r
         ORDER BY j.jobid, r"
echo "== the nightly job across the 2026 DST change in New York (03:00 local, always)"
psql -c "SET timezone = 'America/New_York';
         SELECT * FROM cron.next_runs('0 3 * * *', 'America/New_York', '2026-10-30', 4)"

if psql -Atc "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'" | grep -qx 0; then
	echo "== this build has no scheduler yet: jobs are stored and validated, not run"
else
	echo "== watching cron.job_run_details for ${watch_seconds}s"
	end=$(( SECONDS + watch_seconds ))
	while [ $SECONDS -lt $end ]; do
		sleep 5
		psql -c "SELECT runid, j.jobname, d.scheduled_for, d.status, d.http_status,
		                left(d.return_message, 40) AS return_message,
		                round(extract(epoch FROM d.start_time - d.scheduled_for) * 1000) AS lag_ms
		         FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		         ORDER BY runid DESC LIMIT 8"
	done
	psql -c "SELECT count(*) AS rows_inserted_by_tick_and_one_off FROM ticks"
	echo "== alerts the application received (signed, checked by the receiver)"
	cat "$work/alerts.log" 2>/dev/null | head -5
	psql -c "SELECT alertid, j.jobname, a.event, a.status, a.attempts, a.http_status
	         FROM cron.job_alerts a JOIN cron.job j USING (jobid) ORDER BY alertid LIMIT 5"
	echo "== metrics (what metrics/postgres_exporter.yml exports)"
	psql -c "SELECT jobname, kind, succeeded_last_hour AS ok_1h, failed_last_hour AS failed_1h,
	                failures_in_a_row, round(last_start_lag_seconds::numeric * 1000, 1) AS lag_ms
	         FROM cron.job_metrics ORDER BY jobid"
	echo "== cron.job_status: what runs next, what failed"
	psql -c "SELECT jobid, jobname, active, next_run, last_status, consecutive_failures,
	                left(last_message, 30) AS last_message
	         FROM cron.job_status ORDER BY jobid"
fi
echo "== stopping and removing the cluster"
