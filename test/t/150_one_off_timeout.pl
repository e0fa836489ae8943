# One-off jobs (cron.schedule_at) run once, at their instant and not
# before, then go inactive; scheduling the name again moves and
# reactivates them; an instant in the past is refused.  And the hard stop
# for SQL timeouts: a command that catches the statement timeout's cancel
# has its worker terminated shortly after the timeout, while a plain slow
# statement is stopped by the statement timeout itself.
use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $node = cron_node('oneoff');
$node->safe_psql('postgres', 'CREATE TABLE t (at timestamptz NOT NULL)');

my $cmd = 'INSERT INTO t VALUES (clock_timestamp())';

# ---------------------------------------------------------------------
# A. cron.schedule_at
# ---------------------------------------------------------------------

# the instant asked for (with its fraction of a second) and the whole
# second the slot must fall on: the fraction rounds up, never earlier
my ($at1, $slot1) = split /\|/, q1($node, q{
	SELECT a, date_trunc('second', a + interval '0.999999 s')
	FROM (SELECT clock_timestamp() + interval '3 s' AS a) x});
my $job = q1($node, "SELECT cron.schedule_at('once', '$at1', '$cmd')");
like($job, qr/^\d+$/, 'schedule_at returns a jobid');

like(q1($node, "SELECT schedule FROM cron.job WHERE jobid = $job"),
	qr/^\@at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00$/,
	"cron.job.schedule reads like '\@at 2026-11-21 12:00:05+00'");
is(q1($node, qq{SELECT schedule = '\@at ' || to_char('$slot1'::timestamptz AT TIME ZONE 'UTC',
	'YYYY-MM-DD HH24:MI:SS') || '+00' FROM cron.job WHERE jobid = $job}),
	't', 'the schedule is the requested instant in UTC, rounded up to the second');
is(q1($node, "SELECT active::text || ' ' || (next_run = '$slot1') FROM cron.job_status WHERE jobid = $job"),
	'true true', 'before its instant: active, next_run is the instant');

ok(wait_for($node, "SELECT count(*) = 1 FROM cron.job_run_details WHERE jobid = $job AND status = 'succeeded'", 15),
	'the one-off job ran');
is(q1($node, "SELECT count(*) FROM cron.job_run_details WHERE jobid = $job"), '1', 'one ledger row');
is(q1($node, "SELECT (scheduled_for = '$slot1')::text || ' ' || manual::text FROM cron.job_run_details WHERE jobid = $job"),
	'true false', 'scheduled_for is the instant rounded up to the second; not a manual run');
is(q1($node, "SELECT start_time >= scheduled_for FROM cron.job_run_details WHERE jobid = $job"),
	't', 'the run started at its instant, not before');
is(q1($node, "SELECT count(*) || ' ' || bool_and(at >= '$slot1') FROM t"), '1 true',
	'one row inserted, at or after the instant');
is(q1($node, "SELECT active FROM cron.job WHERE jobid = $job"), 'f', 'the job is now inactive');
is(q1($node, "SELECT next_run IS NULL FROM cron.job_status WHERE jobid = $job"), 't',
	'cron.job_status.next_run is NULL');
ok(stays_false($node, "SELECT (SELECT count(*) FROM cron.job_run_details WHERE jobid = $job) <> 1
	OR (SELECT count(*) FROM t) <> 1", 4),
	'it does not run again (4 s)');

# the same name again, with a new instant: moved and reactivated
my ($at2, $slot2) = split /\|/, q1($node, q{
	SELECT a, date_trunc('second', a + interval '0.999999 s')
	FROM (SELECT clock_timestamp() + interval '3 s' AS a) x});
is(q1($node, "SELECT cron.schedule_at('once', '$at2', '$cmd')"), $job, 'scheduling the name again keeps the jobid');
is(q1($node, "SELECT active::text || ' ' || (next_run = '$slot2') FROM cron.job_status WHERE jobid = $job"),
	'true true', 'it is active again, with the new instant as next_run');
ok(wait_for($node, "SELECT count(*) = 2 FROM cron.job_run_details WHERE jobid = $job AND status = 'succeeded'", 15),
	'it ran once more');
is(q1($node, "SELECT count(*) FROM cron.job_run_details WHERE jobid = $job AND scheduled_for = '$slot2' AND start_time >= scheduled_for"),
	'1', 'the second run is at the new instant, not before');
is(q1($node, "SELECT count(*) || ' ' || bool_and(at >= '$slot2') FROM t WHERE at > '$slot1'::timestamptz + interval '1 s'"),
	'1 true', 'the second row was inserted at or after the new instant');
is(q1($node, "SELECT active FROM cron.job WHERE jobid = $job"), 'f', 'inactive again');
ok(stays_false($node, "SELECT (SELECT count(*) FROM cron.job_run_details WHERE jobid = $job) <> 2
	OR (SELECT count(*) FROM t) <> 2", 3),
	'and it does not run again (3 s)');

# an instant in the past is refused, for a new name and for an existing one
my ($ret, $out, $err) = $node->psql('postgres',
	"\\set VERBOSITY verbose\nSELECT cron.schedule_at('past', now() - interval '1 minute', 'SELECT 1')");
isnt($ret, 0, 'a run_at in the past is refused');
like($err, qr/ERROR:\s+22023:/, 'with SQLSTATE 22023');
($ret, $out, $err) = $node->psql('postgres',
	"\\set VERBOSITY verbose\nSELECT cron.schedule_at('once', now() - interval '1 second', 'SELECT 1')");
like($err, qr/ERROR:\s+22023:/, 'also when moving an existing one-off job into the past');
is(q1($node, "SELECT count(*) FROM cron.job WHERE jobname = 'past'"), '0', 'no job was created');
is(q1($node, "SELECT (schedule = '\@at ' || to_char('$slot2'::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00')::text
	|| ' ' || active::text FROM cron.job WHERE jobid = $job"),
	'true false', 'the existing job was left as it was');

# ---------------------------------------------------------------------
# B. timeouts: the statement timeout, and the hard stop
# ---------------------------------------------------------------------

my $sched_pid = q1($node, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'});
like($sched_pid, qr/^\d+$/, 'the scheduler is running');

# a command that swallows the cancel and goes on
my $log_off = -s $node->logfile;
my $stubborn = q1($node, q{SELECT cron.schedule('stubborn', '0 0 1 1 *',
	$c$DO $$ BEGIN LOOP BEGIN PERFORM pg_sleep(30); EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END $$$c$,
	timeout => '1 second')});
my $r1 = q1($node, "SELECT cron.run_job($stubborn)");
ok(wait_for($node, "SELECT status = 'running' FROM cron.job_run_details WHERE runid = $r1", 10),
	'the stubborn run is going');
my $pid1 = q1($node, "SELECT job_pid FROM cron.job_run_details WHERE runid = $r1");
ok(wait_for($node, "SELECT status = 'failed' FROM cron.job_run_details WHERE runid = $r1", 15),
	'the stubborn run ends as failed');
my ($msg1, $dur1) = split /\|/, q1($node,
	"SELECT return_message, extract(epoch FROM end_time - start_time) FROM cron.job_run_details WHERE runid = $r1");
diag("stubborn run: $dur1 s, \"$msg1\"");
like($msg1, qr/timed out/, 'its message says it timed out');
cmp_ok($dur1, '>=', 1, "it ran at least its timeout ($dur1 s)");
cmp_ok($dur1, '<', 8, "it was stopped soon after its timeout ($dur1 s)");
ok(wait_for($node, "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $pid1)", 10),
	'its worker process is gone');
is(wait_log_count($node, qr/WARNING:.*cron job $stubborn run $r1 .*terminating its worker/, $log_off),
	1, 'the server log has one WARNING about terminating the worker');

# a plain slow statement: stopped by the statement timeout itself
my $slow = q1($node, q{SELECT cron.schedule('slow', '0 0 1 1 *', 'SELECT pg_sleep(20)', timeout => '1 second')});
my $r2 = q1($node, "SELECT cron.run_job($slow)");
ok(wait_for($node, "SELECT status = 'failed' FROM cron.job_run_details WHERE runid = $r2", 10),
	'the slow run ends as failed');
my ($msg2, $dur2) = split /\|/, q1($node,
	"SELECT return_message, extract(epoch FROM end_time - start_time) FROM cron.job_run_details WHERE runid = $r2");
diag("slow run: $dur2 s, \"$msg2\"");
like($msg2, qr/canceling statement due to statement timeout/, 'stopped by the statement timeout');
cmp_ok($dur2, '>=', 1, "it ran at least its timeout ($dur2 s)");
cmp_ok($dur2, '<', 2.5, "it ran about 1 s, without the hard stop's grace ($dur2 s)");
is(wait_log_count($node, qr/WARNING:.*cron job $slow run $r2 .*terminating its worker/, $log_off),
	0, 'no hard stop for it');

# the scheduler goes on: same process, runs jobs
my $ok = q1($node, q{SELECT cron.schedule('trivial', '0 0 1 1 *', $$INSERT INTO t VALUES ('-infinity')$$)});
my $r3 = q1($node, "SELECT cron.run_job($ok)");
ok(wait_for($node, "SELECT status = 'succeeded' FROM cron.job_run_details WHERE runid = $r3", 10),
	'a trivial job run succeeds afterwards');
is(q1($node, q{SELECT count(*) FROM t WHERE at = '-infinity'}), '1', 'and did its work');
is(q1($node, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'}), $sched_pid,
	'the scheduler is the same process');
unlike(log_since($node, $log_off), qr/terminating any other active server processes|all server processes terminated/,
	'the hard stop did not make the postmaster reset the server');

$node->stop;
done_testing();
