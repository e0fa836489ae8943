
# 070_kill9.pl
#	  kill -9 of a running job worker: PostgreSQL restarts all backends;
#	  once it accepts connections again and the scheduler is back, the
#	  ledger is consistent (no run of the earlier lifetime left open, the
#	  killed run failed), nothing ran twice, and the scheduler resumes.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use CronextTest;

my $node = cron_node('kill9', "restart_after_crash = on\n");

$node->safe_psql('postgres', q{
CREATE TABLE eff (at timestamptz DEFAULT clock_timestamp());
});
my %id = map { split /\|/ } qcol($node, q{
BEGIN;
-- a DO block may commit by itself: at-most-once, so a killed run stays
-- failed (exactly-once runs run again: 210_exactly_once.pl)
SELECT 'sleepy', cron.schedule('sleepy', '1 seconds', 'DO $$BEGIN PERFORM pg_sleep(60); END$$');
SELECT 'tick', cron.schedule('tick', '1 seconds', 'INSERT INTO eff DEFAULT VALUES');
COMMIT;
});

ok(wait_for($node, qq{
	SELECT (SELECT count(*) FROM cron.job_run_details
			WHERE jobid = $id{sleepy} AND status = 'running' AND job_pid IS NOT NULL) = 1
	   AND (SELECT count(*) FROM cron.job_run_details
			WHERE jobid = $id{tick} AND status = 'succeeded') >= 3}, 15),
	'the sleeping job runs and the tick job ran 3 times');

my ($runid, $pid) = split /\|/, q1($node, qq{
	SELECT runid, job_pid FROM cron.job_run_details WHERE jobid = $id{sleepy} AND status = 'running'});
is(q1($node, qq{SELECT backend_type FROM pg_stat_activity WHERE pid = $pid}), 'cronext job',
	"job_pid $pid is a cronext job worker");
my $old_sched = q1($node, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'});
my $log_off = -s $node->logfile;

my $killed_at = q1($node, 'SELECT clock_timestamp()');
kill 'KILL', $pid or die "could not kill $pid: $!";

# wait (bounded) for the crash restart: the server accepts connections again
# and a new scheduler is running
my $deadline = time() + 60;
my $back = 0;
while (time() < $deadline)
{
	my ($ret, $out) = $node->psql('postgres', q{
		SELECT pg_postmaster_start_time() < now() AND EXISTS (
			SELECT 1 FROM pg_stat_activity WHERE backend_type = 'cronext scheduler')},
		on_error_stop => 0);
	if ($ret == 0 && $out eq 't')
	{
		my $s = q1($node, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'});
		if ($s ne $old_sched) { $back = 1; last; }
	}
	usleep(100_000);
}
ok($back, 'the server accepts connections again and a new scheduler runs');
my $log = log_since($node, $log_off);
like($log, qr/terminated by signal 9/, 'the postmaster saw the worker die by signal 9');
like($log, qr/all server processes terminated; reinitializing/, 'and restarted all backends');
my $restarted = q1($node, q{SELECT clock_timestamp()});

# the killed run: closed as failed, with a message
ok(wait_for($node, qq{SELECT status = 'failed' FROM cron.job_run_details WHERE runid = $runid}, 10),
	'the killed run is failed');
my $msg = q1($node, qq{SELECT return_message FROM cron.job_run_details WHERE runid = $runid});
diag("killed run's message: $msg");
like($msg, qr/\S/, 'it says why');
$node->safe_psql('postgres', q{SELECT cron.unschedule('sleepy')});

# the scheduler resumes: the tick job gets new runs
ok(wait_for($node, qq{
	SELECT count(*) >= 3 FROM cron.job_run_details
	WHERE jobid = $id{tick} AND status = 'succeeded' AND start_time > '$restarted'}, 15),
	'the scheduler resumed: the tick job runs again');

# no run of the earlier lifetime is left open
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details
	WHERE status IN ('starting', 'running') AND coalesce(start_time, scheduled_for) < '$killed_at'}),
	'0', "no 'starting'/'running' row left from before the crash");

# stop the tick job and let its last run end, then check the effects
$node->safe_psql('postgres', q{SELECT cron.unschedule('tick')});
ok(wait_for($node, qq{
	SELECT count(*) = 0 FROM cron.job_run_details
	WHERE jobid = $id{tick} AND status IN ('starting', 'running')}, 10),
	'tick runs ended');
is(q1($node, qq{SELECT count(*) - count(DISTINCT scheduled_for) FROM cron.job_run_details WHERE jobid = $id{tick}}),
	'0', 'no slot twice in the ledger');
# each succeeded run has exactly one effect, and each effect lies in
# exactly one run's [start_time, end_time] (a run cut short by the crash
# may or may not have committed; it never ran a second time)
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details d
	WHERE d.jobid = $id{tick} AND d.status = 'succeeded'
	AND (SELECT count(*) FROM eff e WHERE e.at BETWEEN d.start_time AND d.end_time) <> 1}),
	'0', 'each succeeded tick run has exactly one effect');
is(q1($node, qq{
	SELECT count(*) FROM eff e
	WHERE (SELECT count(*) FROM cron.job_run_details d
		   WHERE d.jobid = $id{tick} AND d.status <> 'skipped'
		   AND e.at BETWEEN d.start_time AND d.end_time) <> 1}),
	'0', 'each effect belongs to exactly one run: nothing ran twice');
my $failed = q1($node, qq{
	SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{tick} AND status = 'failed'});
cmp_ok($failed, '<=', 1, "at most the one tick run cut short by the crash failed ($failed)");
is(q1($node, qq{
	SELECT count(*) FROM (
	  SELECT scheduled_for - lag(scheduled_for) OVER (ORDER BY scheduled_for) AS gap
	  FROM cron.job_run_details WHERE jobid = $id{tick} AND scheduled_for < '$killed_at') g
	WHERE gap <> interval '1 second'}),
	'0', 'before the crash the tick job ran every slot');

$node->stop;
done_testing();
