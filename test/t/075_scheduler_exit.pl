
# 075_scheduler_exit.pl
#	  The scheduler alone dies (terminated, or an ERROR in its loop) while a
#	  run is going: the postmaster restarts it, but the job workers and the
#	  rest of the server live on.  The restarted scheduler must not lie in
#	  the ledger (a run it closes as failed must not commit its effects
#	  afterwards) and must not break the job's overlap policy (a queued job
#	  never runs twice at once); it resumes scheduling.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use CronextTest;

my $node = cron_node('schedexit');

$node->safe_psql('postgres', q{
CREATE TABLE eff (job text, s timestamptz, e timestamptz);
CREATE FUNCTION run(k text, d float) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s timestamptz := clock_timestamp();
BEGIN
	PERFORM pg_sleep(d);
	INSERT INTO eff VALUES (k, s, clock_timestamp());
END $$;
});
my %id = map { split /\|/ } qcol($node, q{
BEGIN;
SELECT 'slow', cron.schedule('slow', '1 seconds', $$SELECT run('slow', 4)$$, overlap => 'queue');
SELECT 'tick', cron.schedule('tick', '1 seconds', $$SELECT run('tick', 0)$$);
COMMIT;
});

ok(wait_for($node, qq{
	SELECT EXISTS (SELECT 1 FROM cron.job_run_details WHERE jobid = $id{slow} AND status = 'running'
				   AND start_time < now() - interval '500 ms')}, 15),
	'the slow job is running');
my ($runid, $worker_pid) = split /\|/, q1($node, qq{
	SELECT runid, job_pid FROM cron.job_run_details WHERE jobid = $id{slow} AND status = 'running'});
my $old = q1($node, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'});
is(q1($node, "SELECT pg_terminate_backend($old)"), 't', 'scheduler terminated');
my $t_kill = q1($node, 'SELECT clock_timestamp()');

ok(wait_for($node, qq{
	SELECT EXISTS (SELECT 1 FROM pg_stat_activity
				   WHERE backend_type = 'cronext scheduler' AND pid <> $old)}, 15),
	'the postmaster restarted the scheduler');
my $worker_alive = q1($node, "SELECT count(*) FROM pg_stat_activity WHERE pid = $worker_pid");
diag("the run's worker ($worker_pid) still alive after the scheduler restart: $worker_alive");

# the scheduler resumes, and the old run's worker has had time to finish
ok(wait_for($node, qq{
	SELECT count(*) >= 3 FROM cron.job_run_details
	WHERE jobid = $id{tick} AND status = 'succeeded' AND start_time > '$t_kill'}, 15),
	'the restarted scheduler runs jobs again');
ok(wait_for($node, qq{
	SELECT count(*) >= 2 FROM cron.job_run_details
	WHERE jobid = $id{slow} AND status = 'succeeded' AND start_time > '$t_kill'}, 20),
	'the slow job ran again after the restart');
$node->safe_psql('postgres', 'DELETE FROM cron.job');
ok(wait_for($node, q{
	SELECT count(*) = 0 FROM cron.job_run_details WHERE status IN ('starting', 'running')}, 15),
	'all runs ended');
ok(wait_for($node, "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $worker_pid", 15),
	"the old run's worker is gone");

my $r = q1($node, qq{SELECT status || ': ' || coalesce(return_message, '') FROM cron.job_run_details WHERE runid = $runid});
diag("the run going when the scheduler died: $r");

# the ledger does not lie: every effect belongs to a succeeded run, and a
# run recorded as failed committed nothing
is(q1($node, qq{
	SELECT count(*) FROM eff e WHERE e.job = 'slow'
	AND NOT EXISTS (SELECT 1 FROM cron.job_run_details d
					WHERE d.jobid = $id{slow} AND d.status = 'succeeded'
					AND e.s >= d.start_time AND e.e <= d.end_time)}),
	'0', 'every effect of the slow job belongs to a run recorded as succeeded');
is(q1($node, qq{
	SELECT count(*) FROM eff e, cron.job_run_details d
	WHERE e.job = 'slow' AND d.jobid = $id{slow} AND d.status = 'failed'
	AND e.s >= d.start_time AND e.s < d.end_time}),
	'0', 'no run recorded as failed committed its effects');
# overlap = queue: runs never overlap, also across the scheduler restart
is(q1($node, q{
	SELECT count(*) FROM eff a JOIN eff b ON a.job = b.job AND a.s < b.s
	WHERE a.job = 'slow' AND b.s < a.e}),
	'0', 'the queued job never ran twice at once');
is(q1($node, q{SELECT count(*) - count(DISTINCT (jobid, scheduled_for)) FROM cron.job_run_details}),
	'0', 'no slot twice');

$node->stop;
done_testing();
