
# 020_many_jobs.pl
#	  50 jobs due in the same slot all succeed and start on time, beside a
#	  failing job, a hanging job, a job whose role was dropped, a job of a
#	  NOLOGIN role, a job whose database was dropped and a job that kills
#	  its own worker, none of which delays them; the bad jobs fail alone,
#	  with clear messages.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

# room for 50 runs + the hanging one + the bad ones at the same time
my $node = cron_node('many', qq{
max_worker_processes = 100
cron.max_running_jobs = 80
});

$node->safe_psql('postgres', q{
CREATE TABLE many (job int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE ROLE gone LOGIN;
CREATE ROLE nologin_role LOGIN;
CREATE DATABASE doomed;
});

# The dropped-role and NOLOGIN jobs: scheduling needs the role to exist and
# to have LOGIN (the guard trigger checks it), so schedule first, then drop
# the role / take LOGIN away.
my $gone_job = q1($node, q{
	SELECT cron.schedule_in_database('gone-job', '3 seconds', 'SELECT 1', 'postgres',
									 username => 'gone')});
my $nologin_job = q1($node, q{
	SELECT cron.schedule_in_database('nologin-job', '3 seconds', 'SELECT 1', 'postgres',
									 username => 'nologin_role')});
my $dbgone_job = q1($node, q{
	SELECT cron.schedule_in_database('dbgone-job', '3 seconds', 'SELECT 1', 'doomed')});
$node->safe_psql('postgres', 'DROP ROLE gone; ALTER ROLE nologin_role NOLOGIN');
$node->safe_psql('postgres', 'DROP DATABASE doomed WITH (FORCE)');
my $dropped_at = q1($node, 'SELECT now()');

# everything else in one transaction, all on the same '3 seconds' slots
$node->safe_psql('postgres', q{
BEGIN;
SELECT cron.schedule('m' || i, '3 seconds', format('INSERT INTO many (job) VALUES (%s)', i))
FROM generate_series(1, 50) i;
SELECT cron.schedule('fail', '3 seconds', 'SELECT 1/0');
SELECT cron.schedule('hang', '3 seconds', 'SELECT pg_sleep(600)');
SELECT cron.schedule('suicide', '3 seconds', 'SELECT pg_terminate_backend(pg_backend_pid())');
COMMIT;
});
my %id = map { split /\|/ } qcol($node, q{SELECT jobname, jobid FROM cron.job});
is(scalar(grep { /^m\d+$/ } keys %id), 50, '50 jobs scheduled');

my $many_ids = join ',', map { $id{"m$_"} } 1 .. 50;

# wait until the hanging job is running and the 50 have run at two slots
# after that: those slots came due while it hung
ok(wait_for($node, qq{
	SELECT EXISTS (SELECT 1 FROM cron.job_run_details
				   WHERE jobid = $id{hang} AND status = 'running')}, 15),
	'the hanging job is running');
my $hang_start = q1($node, qq{
	SELECT start_time FROM cron.job_run_details WHERE jobid = $id{hang} AND status = 'running'});

ok(wait_for($node, qq{
	SELECT count(*) >= 100 FROM cron.job_run_details
	WHERE jobid IN ($many_ids) AND status = 'succeeded'
	AND scheduled_for > '$hang_start'}, 30),
	'the 50 jobs ran at two slots while the hanging job hung');

# the 50 at those slots: all succeeded, started within 1 s of their slot
my $slots_while_hanging = qq{
	SELECT DISTINCT scheduled_for FROM cron.job_run_details
	WHERE jobid IN ($many_ids) AND scheduled_for > '$hang_start'
	ORDER BY 1 LIMIT 2};
my @slots = qcol($node, $slots_while_hanging);
is(scalar @slots, 2, 'two slots after the hanging job started');
for my $slot (@slots)
{
	# wait for every run of this slot to end (bounded)
	ok(wait_for($node, qq{
		SELECT count(*) = 50 FROM cron.job_run_details
		WHERE jobid IN ($many_ids) AND scheduled_for = '$slot'
		AND status NOT IN ('starting', 'running')}, 20),
		"all 50 runs of slot $slot ended");
	is(q1($node, qq{
		SELECT count(*) FROM cron.job_run_details
		WHERE jobid IN ($many_ids) AND scheduled_for = '$slot' AND status = 'succeeded'}),
		'50', "all 50 succeeded at slot $slot");
	my $late = q1($node, qq{
		SELECT count(*) FROM cron.job_run_details
		WHERE jobid IN ($many_ids) AND scheduled_for = '$slot'
		AND start_time - scheduled_for > interval '1 second'});
	my $maxlag = q1($node, qq{
		SELECT round(extract(epoch FROM max(start_time - scheduled_for)) * 1000)
		FROM cron.job_run_details
		WHERE jobid IN ($many_ids) AND scheduled_for = '$slot'});
	diag("slot $slot: max start lag of the 50: $maxlag ms");
	is($late, '0', "all 50 started within 1 s of slot $slot");
	# the bad jobs were due at the same slot and failed beside them
	is(q1($node, qq{
		SELECT status || ':' || return_message FROM cron.job_run_details
		WHERE jobid = $id{fail} AND scheduled_for = '$slot'}),
		'failed:division by zero', "failing job failed beside them at slot $slot");
	is(q1($node, qq{
		SELECT status || ':' || return_message FROM cron.job_run_details
		WHERE jobid = $nologin_job AND scheduled_for = '$slot'}),
		'failed:role "nologin_role" is not permitted to log in',
		"NOLOGIN job failed beside them at slot $slot");
	is(q1($node, qq{
		SELECT status || ':' || return_message FROM cron.job_run_details
		WHERE jobid = $gone_job AND scheduled_for = '$slot'}),
		'failed:role "gone" does not exist',
		"dropped-role job failed beside them at slot $slot");
	is(q1($node, qq{
		SELECT status || ':' || return_message FROM cron.job_run_details
		WHERE jobid = $dbgone_job AND scheduled_for = '$slot'}),
		'failed:database "doomed" does not exist',
		"dropped-database job failed beside them at slot $slot");
	like(q1($node, qq{
		SELECT status || ':' || return_message FROM cron.job_run_details
		WHERE jobid = $id{suicide} AND scheduled_for = '$slot'}),
		qr/^failed:.*exited/,
		"job whose worker dies mid-run failed beside them at slot $slot");
}

# the hanging job is still hanging (one run, still going), its later slots
# waiting or recorded as skipped, never run beside it
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details
	WHERE jobid = $id{hang} AND status IN ('running', 'starting', 'succeeded', 'failed')}),
	'1', 'the hanging job has exactly one run (still going)');
is(q1($node, qq{
	SELECT status FROM cron.job_run_details WHERE jobid = $id{hang}
	AND start_time = '$hang_start'}), 'running', 'and it is still running');

# the failing job: status failed, message 'division by zero', every time
is(q1($node, qq{
	SELECT count(*) > 0 AND bool_and(status = 'failed' AND return_message = 'division by zero')
	FROM cron.job_run_details WHERE jobid = $id{fail}}),
	't', "failing job: every run failed with 'division by zero'");

# the dropped-role job: every slot after the drop failed, naming the role
is(q1($node, qq{
	SELECT count(*) >= 2
	   AND bool_and(status = 'failed' AND return_message LIKE '%"gone"%')
	FROM cron.job_run_details WHERE jobid = $gone_job
	AND scheduled_for > '$dropped_at'}),
	't', 'dropped-role job: runs after the drop failed, naming the role');
diag('dropped-role message: ' . q1($node, qq{
	SELECT return_message FROM cron.job_run_details WHERE jobid = $gone_job
	AND scheduled_for > '$dropped_at' LIMIT 1}));

# the NOLOGIN job: every run after NOLOGIN failed with a message naming the role
is(q1($node, qq{
	SELECT count(*) >= 2 AND bool_and(status = 'failed' AND return_message LIKE '%nologin_role%')
	FROM cron.job_run_details WHERE jobid = $nologin_job
	AND scheduled_for > '$dropped_at'}),
	't', 'NOLOGIN job: every run failed, naming the role');

# effects of the 50: stop them, then one row per succeeded run, per job
$node->safe_psql('postgres', q{SELECT cron.unschedule(jobname) FROM cron.job WHERE jobname ~ '^m\d+$'});
ok(wait_for($node, qq{
	SELECT count(*) = 0 FROM cron.job_run_details
	WHERE jobid IN ($many_ids) AND status IN ('starting', 'running')}, 15),
	'runs of the 50 all ended after unschedule');
is(q1($node, qq{
	SELECT count(*) FROM (
	  SELECT j.i, (SELECT count(*) FROM many m WHERE m.job = j.i) AS effects,
			 (SELECT count(*) FROM cron.job_run_details d
			  WHERE d.jobid = (ARRAY[$many_ids])[j.i] AND d.status = 'succeeded') AS runs
	  FROM generate_series(1, 50) j(i)) x
	WHERE effects <> runs OR runs = 0}),
	'0', 'each of the 50 jobs: effects match succeeded runs one to one');
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details
	WHERE jobid IN ($many_ids) AND status <> 'succeeded'}),
	'0', 'none of the 50 jobs ever failed or was skipped');

# the scheduler logged the per-job problems and kept serving
ok($node->log_contains(qr/division by zero/), 'failing job error in the server log');

$node->stop('fast');
done_testing();
