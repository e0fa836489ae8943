# 220_watch.pl
#	  Telling the application, against the loopback test server: signed
#	  requests (X-Cron-Signature checked here with Perl's own HMAC-SHA256,
#	  not cronext's code), failure alerts (JSON, signed, recorded in
#	  cron.job_alerts, given up on a 404 with a log line), the dead-man
#	  check (overdue once, recovered once), attempts kept and a retry's
#	  next attempt visible, one-off HTTP jobs, pause and resume of a role's
#	  jobs (no catch-up unless asked), alerts private to their owner, and
#	  the metrics surface.
#
# Every wait is bounded (wait_for, wait_requests).

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP;
use CronextTest;
use HttpTestServer;

my $far = '0 0 1 1 *';		# never due: runs come from cron.run_job
my $port = start_server();
my $base = "http://127.0.0.1:$port";
my $secret = 'whsec-' . join('', map { ('a' .. 'z')[ int(rand(26)) ] } 1 .. 24);

# statements unlogged: any trace of the secret in the log would be cronext's
my $node = cron_node('watch', qq{
log_statement = none
});

# run a job once the scheduler has read it (a job made a moment ago may
# not be known to it yet): each job on its own, so that none runs twice
sub run_job
{
	my ($name, $as) = @_;
	my $role = $as ? "SET ROLE $as; " : '';
	ok(wait_for($node, "${role}SELECT cron.run_job('$name') > 0", 30), "run_job('$name') taken");
}

# the signature a receiver checks: t within 5 minutes, v1 = HMAC("t.body")
sub signature_ok
{
	my ($req, $what) = @_;
	my ($sig) = header_values($req, 'X-Cron-Signature');
	ok(defined $sig, "$what: signed") or return;
	my ($t, $v1) = $sig =~ /^t=(\d+),v1=([0-9a-f]{64})$/;
	ok(defined $t, "$what: the signature has the documented form") or return diag($sig);
	ok(abs(time() - $t) < 300, "$what: its time is now");
	is($v1, hmac_sha256_hex("$t.$req->{body}", $secret),
		"$what: HMAC-SHA256 of \"t.body\" under the job's secret");
}

# ---------------------------------------------------------------------
# signed HTTP calls, attempts kept, a retry visible while it waits
# ---------------------------------------------------------------------
$node->safe_psql('postgres', qq{
SELECT cron.schedule_http('signed', '$far', '$base/echo/signed', method => 'POST',
						  body => '{"report": "monday"}');
SELECT cron.set_signing_secret('signed', '$secret');
SELECT cron.schedule_http('signed-get', '$far', '$base/echo/signed-get');
SELECT cron.set_signing_secret('signed-get', '$secret');
SELECT cron.schedule_http('flaky', '$far', '$base/seq/flaky/503,503,200',
						  max_retries => 2, retry_delay => '1 second');
});
run_job($_) for qw(signed signed-get flaky);
ok(wait_requests('/echo/signed', 2, 30), 'the signed requests arrived');
my ($post) = grep { $_->{path} eq '/echo/signed' } requests('/echo/signed');
my ($get) = requests('/echo/signed-get');
signature_ok($post, 'POST with a body');
signature_ok($get, 'GET without a body');

ok(wait_for($node, q{SELECT last_status = 'retrying' AND next_attempt > now() - interval '1 second'
	FROM cron.job_status WHERE jobname = 'flaky'}, 30),
	'a retry that waits shows as retrying, with its next attempt');
ok(wait_for($node, q{SELECT last_status = 'succeeded' FROM cron.job_status WHERE jobname = 'flaky'}, 60),
	'the third attempt succeeded');
is(q1($node, q{SELECT string_agg(attempt || ':' || status || ':' || http_status, ' ' ORDER BY attempt)
	FROM cron.job_run_attempts a JOIN cron.job j USING (jobid) WHERE j.jobname = 'flaky'}),
	'1:failed:503 2:failed:503', 'the two failed attempts are kept, with their HTTP status');
is(q1($node, q{SELECT attempt || ' ' || http_status || ' ' || (next_attempt_at IS NULL)
	FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.jobname = 'flaky'}),
	'3 200 true', 'the ledger row holds the last');

# ---------------------------------------------------------------------
# failure alerts
# ---------------------------------------------------------------------
$node->safe_psql('postgres', qq{
SELECT cron.schedule('failing', '$far', 'SELECT 1/0');
SELECT cron.set_alerts('failing', '$base/echo/alert');
SELECT cron.set_signing_secret('failing', '$secret');
SELECT cron.schedule_http('http-500', '$far', '$base/status/500');
SELECT cron.set_alerts('http-500', '$base/echo/alert');
SELECT cron.schedule('alert-404', '$far', 'SELECT 1/0');
SELECT cron.set_alerts('alert-404', '$base/no-such-path');
});
my $off = -s $node->logfile;
run_job($_) for qw(failing http-500);
run_job('alert-404');
ok(wait_requests('/echo/alert', 2, 30), 'two failure alerts arrived');
my %alert = map { my $p = decode_json($_->{body}); ($p->{job_name} => [ $_, $p ]) } requests('/echo/alert');
my ($req, $p) = @{ $alert{failing} // [] };
is($p->{event}, 'failed', 'the alert says the run failed');
is($p->{attempts}, 1, 'after its one attempt');
like($p->{message}, qr/division by zero/, 'with the last message');
like($p->{scheduled_for}, qr/^\d{4}-/, 'and the slot');
is((header_values($req, 'X-Cron-Event'))[0], 'failed', 'X-Cron-Event');
like((header_values($req, 'Idempotency-Key'))[0], qr/^cronext-alert-\d+$/, 'an Idempotency-Key per alert');
is((header_values($req, 'Content-Type'))[0], 'application/json', 'JSON');
signature_ok($req, 'the alert');
is($alert{'http-500'}[1]{http_status}, 500, "an HTTP job's alert carries its HTTP status");
ok(wait_for($node, q{SELECT count(*) = 2 FROM cron.job_alerts
	WHERE status = 'sent' AND http_status = 200 AND attempts = 1}, 30),
	'both recorded as sent');
ok(wait_for($node, q{SELECT status = 'failed' AND attempts = 1 AND http_status = 404 FROM cron.job_alerts a
	JOIN cron.job j USING (jobid) WHERE j.jobname = 'alert-404'}, 30),
	'an alert the endpoint refuses (404) is given up at once');
like(log_since($node, $off), qr/WARNING:  cronext could not deliver the failed alert \d+ of job \d+ to http:\/\/127\.0\.0\.1:\d+\/no-such-path after 1 attempt: /,
	'and the server log says so');
unlike(slurp_file($node->logfile), qr/\Q$secret\E/, 'the secret is never in the server log');
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE return_message LIKE '%$secret%'
	OR response_body LIKE '%$secret%'}), '0', 'nor in the ledger');

# ---------------------------------------------------------------------
# the dead-man check: a job that never runs, then runs
# ---------------------------------------------------------------------
$node->safe_psql('postgres', qq{
SELECT cron.schedule('heartbeat', '1 seconds', 'SELECT 1');
UPDATE cron.job SET active = false WHERE jobname = 'heartbeat';
SELECT cron.set_alerts('heartbeat', '$base/echo/deadman', '2 seconds');
});
ok(wait_requests('/echo/deadman', 1, 30), 'an overdue alert arrived');
my $od = decode_json((requests('/echo/deadman'))[0]{body});
is($od->{event}, 'overdue', 'it says overdue');
is($od->{expect_success_within_seconds}, 2, 'with the interval');
ok(stays_false($node, q{SELECT count(*) > 1 FROM cron.job_alerts a JOIN cron.job j USING (jobid)
	WHERE j.jobname = 'heartbeat'}, 3), 'once, however long it stays overdue');
$node->safe_psql('postgres', q{UPDATE cron.job SET active = true WHERE jobname = 'heartbeat'});
ok(wait_requests('/echo/deadman', 2, 30), 'at the next success, a second alert');
is(decode_json((requests('/echo/deadman'))[1]{body})->{event}, 'recovered', 'which says recovered');
$node->safe_psql('postgres', q{SELECT cron.unschedule('heartbeat')});

# ---------------------------------------------------------------------
# one-off HTTP job
# ---------------------------------------------------------------------
$node->safe_psql('postgres', qq{
SELECT cron.schedule_http_at('once', now() + interval '2 seconds', '$base/echo/once');
});
ok(wait_requests('/echo/once', 1, 30), 'a one-off HTTP job ran');
ok(wait_for($node, q{SELECT NOT active FROM cron.job WHERE jobname = 'once'}, 30), 'and is done');

# ---------------------------------------------------------------------
# pause and resume: a role's jobs, not others'; no catch-up unless asked
# ---------------------------------------------------------------------
$node->safe_psql('postgres', q{
CREATE ROLE tenant LOGIN;
GRANT USAGE ON SCHEMA cron TO tenant;
CREATE TABLE ticks (who text, at timestamptz DEFAULT clock_timestamp());
GRANT INSERT ON ticks TO tenant;
SET ROLE tenant;
SELECT cron.schedule('t-tick', '1 seconds', $$INSERT INTO ticks VALUES ('tenant')$$);
RESET ROLE;
SELECT cron.schedule('s-tick', '1 seconds', $$INSERT INTO ticks VALUES ('super')$$);
});
ok(wait_for($node, q{SELECT count(DISTINCT who) = 2 FROM ticks}, 30), 'both roles\' jobs run');
is(q1($node, q{SET ROLE tenant; SELECT cron.pause()}), '1', 'a role pauses its one job');
my $paused_at = q1($node, q{SELECT paused_at FROM cron.job WHERE jobname = 't-tick'});
is(q1($node, q{SET ROLE tenant; SELECT paused FROM cron.job_status}), 't', 'cron.job_status shows it');
# a run already started may finish; then nothing more
ok(wait_for($node, qq{SELECT count(*) FILTER (WHERE who = 'super' AND at > '$paused_at'::timestamptz + interval '1.5 seconds') > 0
	FROM ticks}, 30), "the other role's job goes on");
ok(stays_false($node, qq{SELECT count(*) > 0 FROM ticks WHERE who = 'tenant'
	AND at > '$paused_at'::timestamptz + interval '1 second'}, 2), 'the paused job does not run');
my $resumed_at = q1($node, q{SET ROLE tenant; SELECT cron.resume(); RESET ROLE; SELECT now()});
$resumed_at =~ s/^\d+\n//;
ok(wait_for($node, qq{SELECT count(*) > 0 FROM ticks WHERE who = 'tenant' AND at > '$resumed_at'}, 30),
	'after cron.resume() it runs again');
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE j.jobname = 't-tick' AND d.scheduled_for > '$paused_at'::timestamptz + interval '1 second'
	  AND d.scheduled_for < '$resumed_at'::timestamptz - interval '1 second'}), '0',
	'and no slot of the pause ran');

# with catch_up, the latest slot of the pause runs (catchup = latest)
q1($node, q{SET ROLE tenant; SELECT cron.pause()});
$paused_at = q1($node, q{SELECT paused_at FROM cron.job WHERE jobname = 't-tick'});
ok(wait_for($node, qq{SELECT now() > '$paused_at'::timestamptz + interval '3 seconds'}, 30), 'a pause of 3 seconds');
$resumed_at = q1($node, q{SET ROLE tenant; SELECT cron.resume(catch_up => true); RESET ROLE; SELECT now()});
$resumed_at =~ s/^\d+\n//;
ok(wait_for($node, qq{SELECT count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE j.jobname = 't-tick' AND d.scheduled_for > '$paused_at'::timestamptz + interval '1 second'
	  AND d.scheduled_for < '$resumed_at'::timestamptz - interval '0.5 second'}, 30),
	'with catch_up => true, a slot of the pause runs');

# ---------------------------------------------------------------------
# cron.default_alert_url: every job's alerts go there, its URL never where
# a job's owner can read it; an endpoint that hangs takes at most 4
# places and does not make the scheduler spin
# ---------------------------------------------------------------------
$node->safe_psql('postgres', qq{ALTER SYSTEM SET cron.default_alert_url = '$base/sleep/20?token=admin-only-token'});
$node->reload;
$node->safe_psql('postgres', q{
SET ROLE tenant;
SELECT cron.schedule('t-fail', '0 0 1 1 *', 'SELECT 1/0');
RESET ROLE;
SELECT cron.schedule('hang-' || i, '0 0 1 1 *', 'SELECT 1/0') FROM generate_series(1, 5) i;
});
run_job('t-fail', 'tenant');
run_job("hang-$_") for 1 .. 5;
ok(wait_for($node, q{SELECT count(*) = 6 FROM cron.job_alerts a JOIN cron.job j USING (jobid)
	WHERE j.jobname LIKE 'hang-%' OR j.jobname = 't-fail'}, 30),
	'failures of jobs without an alert_url alert cron.default_alert_url');
is(q1($node, q{SET ROLE tenant; SELECT count(*) || ' ' || count(*) FILTER (WHERE url IS NULL)
	|| ' ' || count(*) FILTER (WHERE payload::text LIKE '%token%') FROM cron.job_alerts}),
	'1 1 0', "the owner sees its alert, without the administrator's URL");
ok(wait_requests('/sleep/20', 4, 30), 'the hanging endpoint holds four requests');
my $sched = q1($node, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'});
my $cpu0 = proc_cpu_seconds($sched);
my $t0 = time();
ok(stays_false($node, q{SELECT false}, 3), 'three seconds with every alert place taken');
my $cpu = proc_cpu_seconds($sched) - $cpu0;
note(sprintf('scheduler CPU while four alerts hung and two waited: %.2f s over %.1f s', $cpu, time() - $t0));
cmp_ok($cpu, '<', 0.5, 'the scheduler does not spin meanwhile');
is(scalar(requests('/sleep/20')), 4, 'and sends no fifth request');
$node->safe_psql('postgres', q{ALTER SYSTEM RESET cron.default_alert_url});
$node->reload;
$node->safe_psql('postgres', q{SELECT cron.unschedule('hang-' || i) FROM generate_series(1, 5) i});

# ---------------------------------------------------------------------
# alerts and attempts are their owner's; metrics
# ---------------------------------------------------------------------
is(q1($node, q{SET ROLE tenant; SELECT count(*) FROM cron.job_alerts a JOIN cron.job j USING (jobid)
	WHERE j.jobname <> 't-fail'}), '0', "a role does not see another role's alerts");
is(q1($node, q{SET ROLE tenant; SELECT count(*) FROM cron.job_run_attempts}), '0',
	"nor its attempts");
is(q1($node, q{SELECT jobs_loaded >= 8 AND workers_max = 32 AND http_max > 0
	FROM cron.scheduler_metrics() WHERE database = 'postgres'}), 't',
	'cron.scheduler_metrics shows the scheduler of this database');
is(q1($node, q{SELECT succeeded_last_hour || ' ' || failed_last_hour || ' ' || failures_in_a_row
	FROM cron.job_metrics WHERE jobname = 'failing'}), '0 1 1', 'cron.job_metrics counts the failure');
is(q1($node, q{SELECT retries_last_hour FROM cron.job_metrics WHERE jobname = 'flaky'}), '2',
	'and the retries');

# the postgres_exporter queries file: every query runs and returns its columns
my @queries = slurp_file("$FindBin::Bin/../../metrics/postgres_exporter.yml") =~ /^  query: "(.*)"$/mg;
is(scalar(@queries), 3, 'the postgres_exporter file has its three queries');
for my $q (@queries)
{
	my ($ret, $out, $err) = $node->psql('postgres', "SELECT count(*) > 0 FROM ($q) s");
	is("$ret $out", '0 t', "exporter query runs and returns rows: " . substr($q, 0, 60)) or diag($err);
}

$node->stop;
done_testing();
