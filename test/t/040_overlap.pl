
# 040_overlap.pl
#	  A '1 seconds' job whose run takes 2.5 s, under each overlap policy:
#	  queue (runs never overlap; a slot due meanwhile waits and starts when
#	  the run ends, older waiting slots are recorded as skipped), skip (no
#	  overlap; the slots due meanwhile get a 'skipped' row naming overlap),
#	  allow (runs overlap, every slot starts on time).  Also queue with
#	  catchup = all: every slot runs, in order, one at a time.  Pausing the
#	  jobs (active = false) starts no further run, not even of a slot that
#	  was already waiting.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $node = cron_node('overlap');

# each run records its own start and end (from inside the run)
$node->safe_psql('postgres', q{
CREATE TABLE ov (job text, s timestamptz, e timestamptz);
CREATE FUNCTION ov_run(k text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s timestamptz := clock_timestamp();
BEGIN
	PERFORM pg_sleep(2.5);
	INSERT INTO ov VALUES (k, s, clock_timestamp());
END $$;
});

# one transaction: all four jobs reach the scheduler together
my %id = map { split /\|/ } qcol($node, q{
BEGIN;
SELECT 'queue', cron.schedule('queue', '1 seconds', $$SELECT ov_run('queue')$$, overlap => 'queue');
SELECT 'skip', cron.schedule('skip', '1 seconds', $$SELECT ov_run('skip')$$, overlap => 'skip');
SELECT 'allow', cron.schedule('allow', '1 seconds', $$SELECT ov_run('allow')$$, overlap => 'allow');
SELECT 'queue-all', cron.schedule('queue-all', '1 seconds', $$SELECT ov_run('queue-all')$$,
								  overlap => 'queue', catchup => 'all');
COMMIT;
});

# ~11 s: 4 runs of the queued job back to back
ok(wait_for($node, qq{
	SELECT count(*) >= 4 FROM cron.job_run_details
	WHERE jobid = $id{queue} AND status = 'succeeded'}, 30),
	'queue: 4 runs succeeded');

# pause the jobs: the runs going on end, and no new run starts (not even
# for a slot that was already waiting: a paused job is paused)
my $pause_sent = q1($node, q{SELECT clock_timestamp()});
my $paused_at = q1($node, q{UPDATE cron.job SET active = false; SELECT clock_timestamp()});
wait_for($node, q{
	SELECT count(*) = 0 FROM cron.job_run_details WHERE status IN ('starting', 'running')}, 4);
my $after_pause = q1($node, qq{
	SELECT coalesce(string_agg(j.jobname || ' slot ' || d.scheduled_for || ' started ' || d.start_time, '; '), '')
	FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE d.status <> 'skipped' AND d.start_time > '$paused_at'::timestamptz + interval '300 ms'});
is($after_pause, '', 'no run starts once the jobs are paused (active = false)');

# remove them, so that the ledger is final for the checks below
$node->safe_psql('postgres', 'DELETE FROM cron.job');
ok(wait_for($node, q{
	SELECT count(*) = 0 FROM cron.job_run_details WHERE status IN ('starting', 'running')}, 10),
	'all runs ended once the jobs were removed');

# the ledger's succeeded runs match the effects one to one, per job
for my $k (sort keys %id)
{
	is(q1($node, qq{SELECT count(*) FROM ov WHERE job = '$k'}),
		q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{$k} AND status = 'succeeded'}),
		"$k: one effect per succeeded run");
	is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{$k} AND status = 'failed'}),
		'0', "$k: no failed run");
}

# pairs of runs of a job whose [s, e] intervals intersect (from the effects)
sub overlapping_pairs
{
	my ($k) = @_;
	return q1($node, qq{
		SELECT count(*) FROM ov a JOIN ov b ON a.job = b.job AND a.s < b.s
		WHERE a.job = '$k' AND b.s < a.e});
}
# the same from the ledger's times
sub overlapping_ledger_pairs
{
	my ($k) = @_;
	return q1($node, qq{
		SELECT count(*) FROM cron.job_run_details a JOIN cron.job_run_details b
		  ON a.jobid = b.jobid AND a.runid <> b.runid AND a.start_time <= b.start_time
		WHERE a.jobid = $id{$k} AND a.status = 'succeeded' AND b.status = 'succeeded'
		  AND b.start_time < a.end_time});
}

# slots in the job's span with no ledger row at all (silently lost)
sub lost_slots
{
	my ($k) = @_;
	return q1($node, qq{
		SELECT count(*) FROM generate_series(
			(SELECT min(scheduled_for) FROM cron.job_run_details WHERE jobid = $id{$k}),
			(SELECT max(scheduled_for) FROM cron.job_run_details WHERE jobid = $id{$k}),
			interval '1 second') g(slot)
		WHERE NOT EXISTS (SELECT 1 FROM cron.job_run_details d
						  WHERE d.jobid = $id{$k} AND d.scheduled_for = g.slot)});
}

# --- queue
is(overlapping_pairs('queue'), '0', 'queue: runs never overlap (effects)');
is(overlapping_ledger_pairs('queue'), '0', 'queue: runs never overlap (ledger)');
is(lost_slots('queue'), '0', 'queue: every slot in the span has a ledger row (ran or skipped)');
# a waiting slot starts when the previous run ends: successive runs follow
# each other closely (the job is always late, so one slot is always waiting)
my $gaps = q1($node, qq{
	SELECT string_agg(round(extract(epoch FROM g) * 1000)::text, ',') FROM (
	  SELECT start_time - lag(end_time) OVER (ORDER BY start_time) AS g
	  FROM cron.job_run_details WHERE jobid = $id{queue} AND status = 'succeeded') x
	WHERE g IS NOT NULL});
diag("queue: gaps between runs (ms): $gaps");
ok((grep { $_ > 500 } split /,/, $gaps) == 0,
	'queue: each queued run started within 500 ms of the end of the previous one');
my $qskipped = q1($node, qq{
	SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{queue} AND status = 'skipped'});
cmp_ok($qskipped, '>', 0, "queue: slots that came due meanwhile and did not run are 'skipped' ($qskipped)");
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{queue} AND status = 'skipped'
	AND return_message IS NULL}), '0', 'queue: every skipped row says why');
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{queue} AND status = 'succeeded'
	AND start_time - scheduled_for > interval '1.5 seconds'}),
	'0', 'queue: a run is for the newest slot that came due while waiting (started < 1.5 s after it)');

# --- skip
is(overlapping_pairs('skip'), '0', 'skip: runs never overlap (effects)');
is(overlapping_ledger_pairs('skip'), '0', 'skip: runs never overlap (ledger)');
is(lost_slots('skip'), '0', 'skip: every slot in the span has a ledger row');
my $sk = q1($node, qq{
	SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{skip} AND status = 'skipped'});
cmp_ok($sk, '>=', 2, "skip: skipped rows exist ($sk)");
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{skip} AND status = 'skipped'
	AND return_message NOT LIKE '%overlap%'}), '0', 'skip: every skipped row mentions overlap');
# a skipped slot is one that came due while a run was going
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details s
	WHERE s.jobid = $id{skip} AND s.status = 'skipped'
	AND NOT EXISTS (SELECT 1 FROM cron.job_run_details r
					WHERE r.jobid = s.jobid AND r.status = 'succeeded'
					AND r.scheduled_for < s.scheduled_for
					AND r.end_time > s.scheduled_for)}),
	'0', 'skip: only slots that came due during a run were skipped');
# and a slot due when nothing runs does run, on time
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details r
	WHERE r.jobid = $id{skip} AND r.status = 'succeeded'
	AND r.start_time - r.scheduled_for > interval '500 ms'}),
	'0', 'skip: the runs that ran started on time');

# --- allow
my $ap = overlapping_pairs('allow');
cmp_ok($ap, '>', 0, "allow: runs overlap ($ap overlapping pairs)");
cmp_ok(overlapping_ledger_pairs('allow'), '>', 0, 'allow: runs overlap (ledger)');
my $maxconc = q1($node, q{
	SELECT max((SELECT count(*) FROM ov b WHERE b.job = 'allow' AND b.s <= a.s AND a.s < b.e))
	FROM ov a WHERE a.job = 'allow'});
cmp_ok($maxconc, '>=', 2, "allow: up to $maxconc runs at once");
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{allow} AND status = 'skipped'}),
	'0', 'allow: no slot skipped');
is(lost_slots('allow'), '0', 'allow: every slot in the span ran');
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{allow}
	AND start_time - scheduled_for > interval '500 ms'}),
	'0', 'allow: every run started on time');

# --- queue with catchup = all: every slot runs, in slot order, one at a time
is(overlapping_pairs('queue-all'), '0', 'queue-all: runs never overlap');
# (the slots still queued when the job was paused are dropped, with a row
# saying so; none is skipped while the job is active)
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{'queue-all'} AND status = 'skipped'
	AND (start_time < '$pause_sent' OR return_message NOT LIKE '%paused%')}),
	'0', 'queue-all: no slot skipped while the job was active')
  or diag(q1($node, qq{
	SELECT string_agg(scheduled_for || ' recorded ' || start_time || ': ' || return_message, E'\n')
	FROM cron.job_run_details WHERE jobid = $id{'queue-all'} AND status = 'skipped'}) . "\npaused at $paused_at");
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{'queue-all'} AND status = 'skipped'
	AND scheduled_for > '$paused_at'}),
	'0', 'queue-all: no slot after the pause even recorded');
is(lost_slots('queue-all'), '0', 'queue-all: no gap in the slots claimed');
is(q1($node, qq{
	SELECT count(*) FROM (
	  SELECT scheduled_for < lag(scheduled_for) OVER (ORDER BY start_time) AS out_of_order
	  FROM cron.job_run_details WHERE jobid = $id{'queue-all'}) x WHERE out_of_order}),
	'0', 'queue-all: slots run in order');

$node->stop('fast');
done_testing();
