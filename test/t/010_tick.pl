
# 010_tick.pl
#	  A '1 seconds' job runs every second for ~20 s: no missing slot, no
#	  duplicate slot, the slots of cron.next_runs, median start lag under
#	  100 ms, and its effects match its succeeded runs one to one.  Also:
#	  an unscheduled job stops, a changed schedule applies at once, and a
#	  job committed in the middle of a scheduler iteration is not lost.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $node = cron_node('tick');

$node->safe_psql('postgres', q{
CREATE TABLE tick (id bigserial PRIMARY KEY,
				   at timestamptz NOT NULL DEFAULT clock_timestamp());
});
my $jobid = q1($node,
	q{SELECT cron.schedule('tick', '1 seconds', 'INSERT INTO tick DEFAULT VALUES')});

# ~20 s of runs (bounded wait: 21 succeeded runs must come within 45 s)
ok(wait_for($node,
	qq{SELECT count(*) >= 21 FROM cron.job_run_details
	   WHERE jobid = $jobid AND status = 'succeeded'}, 45),
	'21 runs of the 1-second job succeeded');

# the first slot is the first whole second after the job was created
is(q1($node, qq{
	SELECT min(d.scheduled_for) = date_trunc('second', j.created_at) + interval '1 second'
	FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE jobid = $jobid GROUP BY j.created_at}),
	't', 'first run is the first slot after the job was created');

# the slots are those of cron.next_runs (the same slot code)
is(q1($node, qq{
	SELECT count(*) FROM (
	  SELECT d.scheduled_for, n.s
	  FROM (SELECT scheduled_for, row_number() OVER (ORDER BY scheduled_for) AS i
			FROM cron.job_run_details WHERE jobid = $jobid) d
	  JOIN (SELECT s, row_number() OVER (ORDER BY s) AS i
			FROM cron.job j, cron.next_runs(j.schedule, j.timezone, j.created_at, 30) s
			WHERE j.jobid = $jobid) n USING (i)) x
	WHERE scheduled_for <> s}),
	'0', 'the slots run are the slots cron.next_runs gives from the job creation');

# stop the job and let the last run finish, so the ledger is final
$node->safe_psql('postgres', q{SELECT cron.unschedule('tick')});
ok(wait_for($node,
	qq{SELECT count(*) = 0 FROM cron.job_run_details
	   WHERE jobid = $jobid AND status IN ('starting', 'running')}, 10),
	'no run left open after unschedule');

my $runs = q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $jobid});
cmp_ok($runs, '>=', 21, "ledger has $runs rows");

is(q1($node, qq{SELECT string_agg(DISTINCT status, ',') FROM cron.job_run_details WHERE jobid = $jobid}),
	'succeeded', 'every run succeeded (no failed or skipped slot)');

is(q1($node, qq{SELECT count(*) - count(DISTINCT scheduled_for) FROM cron.job_run_details WHERE jobid = $jobid}),
	'0', 'no duplicate scheduled_for');

# no missing slot: consecutive slots are exactly one second apart, and the
# slots are whole seconds (Unix time a multiple of 1)
is(q1($node, qq{
	SELECT count(*) FROM (
	  SELECT scheduled_for - lag(scheduled_for) OVER (ORDER BY scheduled_for) AS gap
	  FROM cron.job_run_details WHERE jobid = $jobid) g
	WHERE gap IS NOT NULL AND gap <> interval '1 second'}),
	'0', 'consecutive slots are 1 s apart: no slot missing');
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details WHERE jobid = $jobid
	AND extract(microseconds FROM scheduled_for)::bigint % 1000000 <> 0}),
	'0', 'slots fall on whole seconds');
is(q1($node, qq{
	SELECT (max(scheduled_for) - min(scheduled_for)) = (count(*) - 1) * interval '1 second'
	FROM cron.job_run_details WHERE jobid = $jobid}),
	't', 'span of slots equals the number of runs');

# runs never start before their slot, and the job's first slot follows its creation
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $jobid AND start_time < scheduled_for}),
	'0', 'no run starts before its slot');
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $jobid
	AND (job_pid IS NULL OR end_time IS NULL OR end_time < start_time OR manual)}),
	'0', 'every run has a pid, start <= end, not manual');
is(q1($node, qq{SELECT string_agg(DISTINCT return_message, ',') FROM cron.job_run_details WHERE jobid = $jobid}),
	'INSERT 0 1', "return_message is 'INSERT 0 1'");

my $lag = q1($node, qq{
	SELECT round(extract(epoch FROM percentile_cont(0.5) WITHIN GROUP
	  (ORDER BY start_time - scheduled_for)) * 1000)
	FROM cron.job_run_details WHERE jobid = $jobid});
my $maxlag = q1($node, qq{
	SELECT round(extract(epoch FROM max(start_time - scheduled_for)) * 1000)
	FROM cron.job_run_details WHERE jobid = $jobid});
diag("start lag: median $lag ms, max $maxlag ms");
cmp_ok($lag, '<', 100, 'median start lag under 100 ms');

# effects match succeeded runs one to one: the row count matches, and each
# row was written inside exactly one run's [start_time, end_time]
is(q1($node, 'SELECT count(*) FROM tick'), $runs,
	'one tick row per succeeded run');
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details d
	WHERE d.jobid = $jobid AND d.status = 'succeeded'
	AND (SELECT count(*) FROM tick t WHERE t.at BETWEEN d.start_time AND d.end_time) <> 1}),
	'0', 'each succeeded run has exactly one tick row written during it');
is(q1($node, qq{
	SELECT count(*) FROM tick t
	WHERE (SELECT count(*) FROM cron.job_run_details d
		   WHERE d.jobid = $jobid AND d.status = 'succeeded'
		   AND t.at BETWEEN d.start_time AND d.end_time) <> 1}),
	'0', 'each tick row belongs to exactly one succeeded run');

# after unschedule nothing more runs
my $before = q1($node, 'SELECT count(*) FROM tick');
my $ledger_before = q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $jobid});
# a new probe job proves the scheduler is still alive while we look
$node->safe_psql('postgres', q{SELECT cron.schedule('probe', '1 seconds', 'SELECT 1')});
ok(wait_for($node,
	q{SELECT count(*) >= 2 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	  WHERE j.jobname = 'probe' AND d.status = 'succeeded'}, 15),
	'scheduler still running other jobs');
is(q1($node, 'SELECT count(*) FROM tick'), $before, 'unscheduled job ran no more');
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $jobid}),
	$ledger_before, 'unscheduled job got no new ledger rows');

# A change of schedule takes effect at once: a job due next new year,
# changed to '1 seconds', runs at the first whole second after the change.
my $far = q1($node, q{SELECT cron.schedule('far', '0 0 1 1 *', 'SELECT 1')});
my $changed = q1($node, qq{SELECT cron.alter_job($far, schedule => '1 seconds');
	SELECT updated_at FROM cron.job WHERE jobid = $far});
ok(wait_for($node, qq{SELECT count(*) >= 1 FROM cron.job_run_details WHERE jobid = $far AND status = 'succeeded'}, 5),
	'altered job runs');
is(q1($node, qq{SELECT min(scheduled_for) = date_trunc('second', '$changed'::timestamptz) + interval '1 second'
	FROM cron.job_run_details WHERE jobid = $far}),
	't', 'its first run is the first slot after the change');
$node->safe_psql('postgres', q{SELECT cron.unschedule('far')});

# A job committed while the scheduler is in the middle of an iteration
# (after it took its snapshot, before it looked at the change counter)
# must still be picked up.  The scheduler is held at that point by a lock
# on pg_extension, which its iteration reads (is cronext installed?) right
# after taking its snapshot: job a wakes it, it blocks there, job b
# commits, the lock goes.  In the wild the same happens with no lock, when
# two jobs are scheduled a few ms apart just as the scheduler wakes (e.g.
# right after CREATE EXTENSION or a server start).
$node->safe_psql('postgres', 'DELETE FROM cron.job');
my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN');
$locker->query_safe('LOCK TABLE pg_catalog.pg_extension IN ACCESS EXCLUSIVE MODE');
$node->safe_psql('postgres', q{SELECT cron.schedule('race-a', '1 seconds', 'SELECT 1')});
ok(wait_for($node, q{
	SELECT EXISTS (SELECT 1 FROM pg_stat_activity
				   WHERE backend_type = 'cronext scheduler' AND wait_event_type = 'Lock')}, 10),
	'scheduler woke for job a and waits on the lock');
$node->safe_psql('postgres', q{SELECT cron.schedule('race-b', '1 seconds', 'SELECT 1')});
$locker->query_safe('COMMIT');
$locker->quit;
ok(wait_for($node, q{
	SELECT count(*) = 2 FROM cron.job j
	WHERE EXISTS (SELECT 1 FROM cron.job_run_details d WHERE d.jobid = j.jobid)}, 8),
	'both jobs run: a job committed during a scheduler iteration is not lost')
  or diag('jobs that never ran: ' . q1($node, q{
	SELECT coalesce(string_agg(jobname, ', '), '') FROM cron.job j
	WHERE NOT EXISTS (SELECT 1 FROM cron.job_run_details d WHERE d.jobid = j.jobid)}));

$node->stop;
done_testing();
