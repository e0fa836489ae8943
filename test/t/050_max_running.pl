
# 050_max_running.pl
#	  cron.max_running_jobs = 2 (a postmaster setting: set, restart) with 10
#	  jobs due at the same slot, each taking 1 s: all 10 run, never more
#	  than 2 at once, each starts as soon as a run ends, all finish in
#	  bounded time, the scheduler does not busy-loop while they wait, and
#	  the warning about cron.max_running_jobs is logged once.
#	  Then the same with max_worker_processes exhausted instead.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use CronextTest;

my $node = cron_node('maxrun');

$node->safe_psql('postgres', q{
CREATE TABLE mr (phase int, job int, s timestamptz, e timestamptz);
CREATE FUNCTION mr_run(p int, i int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s timestamptz := clock_timestamp();
BEGIN
	PERFORM pg_sleep(1);
	INSERT INTO mr VALUES (p, i, s, clock_timestamp());
END $$;
});

# 10 jobs due at one slot, soon, in one transaction; returns the slot
sub batch
{
	my ($phase) = @_;
	my ($sched, $n) = seconds_schedule(2, 5, 20);
	$node->safe_psql('postgres', qq{
BEGIN;
SELECT cron.schedule('p${phase}_' || i, '$sched', format('SELECT mr_run($phase, %s)', i))
FROM generate_series(1, 10) i;
COMMIT;});
	return q1($node, qq{
		SELECT min(s) FROM cron.job j, cron.next_runs(j.schedule, NULL, j.created_at, 1) s
		WHERE j.jobname LIKE 'p${phase}_%'});
}

sub scheduler_pid
{
	return q1($node, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'});
}

# max number of runs of a phase going at once, from the runs' own times
sub max_concurrency
{
	my ($phase) = @_;
	return q1($node, qq{
		SELECT max((SELECT count(*) FROM mr b WHERE b.phase = $phase AND b.s <= a.s AND a.s < b.e))
		FROM mr a WHERE a.phase = $phase});
}

# ---------------------------------------------------------------------
# phase 1: cron.max_running_jobs = 2
$node->append_conf('postgresql.conf', "cron.max_running_jobs = 2\n");
$node->restart;
is(q1($node, 'SHOW cron.max_running_jobs'), '2', 'cron.max_running_jobs = 2 after restart');

my $log_off = -s $node->logfile;
my $slot = batch(1);
diag("phase 1 slot: $slot");
ok(wait_for($node, qq{SELECT now() >= '$slot'::timestamptz + interval '1 second'}, 20),
	'slot came');
my $pid = scheduler_pid();
my $cpu0 = proc_cpu_seconds($pid);
my $t0 = time();

# 10 runs of 1 s, 2 at a time: about 5 s; bounded at 12 s
ok(wait_for($node, q{
	SELECT count(*) = 10 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE j.jobname LIKE 'p1_%' AND d.status = 'succeeded'}, 12),
	'all 10 runs succeeded (no hang)');
my $cpu = proc_cpu_seconds($pid) - $cpu0;
my $elapsed = time() - $t0;
diag(sprintf('scheduler CPU while runs waited: %.2f s over %.1f s', $cpu, $elapsed));
cmp_ok($cpu, '<', 0.1 * $elapsed + 0.1, 'the scheduler did not busy-loop while runs waited');

is(q1($node, q{SELECT count(*) FROM mr WHERE phase = 1}), '10', 'each job ran once');
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE j.jobname LIKE 'p1_%' AND d.scheduled_for <> '$slot'}),
	'0', 'all 10 runs are for the one slot (none skipped or missed)');
is(max_concurrency(1), '2', 'never more than 2 runs at once (and 2 did run at once)');
is(q1($node, qq{
	SELECT max((SELECT count(*) FROM cron.job_run_details b JOIN cron.job jb USING (jobid)
				WHERE jb.jobname LIKE 'p1_%' AND b.start_time <= a.start_time AND a.start_time < b.end_time))
	FROM cron.job_run_details a JOIN cron.job ja USING (jobid) WHERE ja.jobname LIKE 'p1_%'}),
	'2', 'ledger agrees: at most 2 at once');
my $span = q1($node, qq{
	SELECT round(extract(epoch FROM max(e) - '$slot'::timestamptz)::numeric, 2) FROM mr WHERE phase = 1});
diag("phase 1: last run ended $span s after the slot");
cmp_ok($span, '<', 7.5, 'all finished within 7.5 s of the slot (5 rounds of 1 s)');
# a waiting run starts as soon as another ends
is(q1($node, q{
	SELECT count(*) FROM mr a WHERE phase = 1
	AND a.s > (SELECT min(s) FROM mr WHERE phase = 1) + interval '100 ms'
	AND NOT EXISTS (SELECT 1 FROM mr b WHERE b.phase = 1 AND b.e <= a.s
					AND a.s - b.e < interval '300 ms')}),
	'0', 'every waiting run started within 300 ms of a run ending');
is(wait_log_count($node, qr/WARNING:.*cron\.max_running_jobs/, $log_off), 1,
	'the cron.max_running_jobs warning was logged once');

$node->safe_psql('postgres', q{DELETE FROM cron.job});

# ---------------------------------------------------------------------
# phase 2: max_worker_processes exhausted instead (cronext's launcher and
# scheduler + logical replication launcher + 2 job workers)
$node->append_conf('postgresql.conf', qq{
cron.max_running_jobs = 32
max_worker_processes = 5
max_parallel_workers = 0
});
$node->restart;
ok(wait_for($node, q{SELECT count(*) = 3 FROM pg_stat_activity WHERE backend_type IN ('cronext launcher', 'cronext scheduler', 'logical replication launcher')}, 30),
	'max_worker_processes = 5: 3 slots used by the two launchers and the scheduler');

$log_off = -s $node->logfile;
$slot = batch(2);
diag("phase 2 slot: $slot");
ok(wait_for($node, qq{SELECT now() >= '$slot'::timestamptz + interval '1 second'}, 20),
	'slot came');
$pid = scheduler_pid();
$cpu0 = proc_cpu_seconds($pid);
$t0 = time();
ok(wait_for($node, q{
	SELECT count(*) = 10 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE j.jobname LIKE 'p2_%' AND d.status = 'succeeded'}, 12),
	'all 10 runs succeeded with only 2 worker slots (no hang)');
$cpu = proc_cpu_seconds($pid) - $cpu0;
$elapsed = time() - $t0;
diag(sprintf('scheduler CPU while runs waited for a worker slot: %.2f s over %.1f s', $cpu, $elapsed));
cmp_ok($cpu, '<', 0.1 * $elapsed + 0.1, 'the scheduler did not busy-loop while runs waited');
is(q1($node, q{SELECT count(*) FROM mr WHERE phase = 2}), '10', 'each job ran once');
is(max_concurrency(2), '2', 'never more than 2 runs at once (and 2 did run at once)');
is(q1($node, q{
	SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE j.jobname LIKE 'p2_%' AND d.status <> 'succeeded'}), '0', 'no run failed');
$span = q1($node, qq{
	SELECT round(extract(epoch FROM max(e) - '$slot'::timestamptz)::numeric, 2) FROM mr WHERE phase = 2});
diag("phase 2: last run ended $span s after the slot");
cmp_ok($span, '<', 7.5, 'all finished within 7.5 s of the slot');
is(wait_log_count($node, qr/WARNING:.*no background worker slot/, $log_off), 1,
	'the worker-slot warning was logged once');

$node->stop;
done_testing();
