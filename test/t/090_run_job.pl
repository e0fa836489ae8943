
# 090_run_job.pl
#	  cron.run_job runs a job at once, whatever its schedule, as a manual
#	  slot (its own ledger row, manual = true), by id or by name; only the
#	  owner (or a superuser) may; the job's overlap policy is honoured.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use CronextTest;

my $node = cron_node('runjob');

$node->safe_psql('postgres', q{
CREATE TABLE eff (job text, s timestamptz, e timestamptz);
CREATE FUNCTION run(k text, d float) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s timestamptz := clock_timestamp();
BEGIN
	PERFORM pg_sleep(d);
	INSERT INTO eff VALUES (k, s, clock_timestamp());
END $$;
GRANT EXECUTE ON FUNCTION run(text, float) TO PUBLIC;
GRANT INSERT ON eff TO PUBLIC;
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
GRANT USAGE ON SCHEMA cron TO alice, bob;
});

my %id = map { split /\|/ } qcol($node, q{
BEGIN;
SELECT 'far', cron.schedule('far', '0 0 1 1 *', $$SELECT run('far', 0)$$);
SELECT 'skip', cron.schedule('skip', '0 0 1 1 *', $$SELECT run('skip', 3)$$, overlap => 'skip');
SELECT 'queue', cron.schedule('queue', '0 0 1 1 *', $$SELECT run('queue', 2)$$, overlap => 'queue');
SELECT 'allow', cron.schedule('allow', '0 0 1 1 *', $$SELECT run('allow', 2)$$, overlap => 'allow');
SELECT 'fail', cron.schedule('fail', '0 0 1 1 *', 'SELECT 1/0');
COMMIT;
});
$id{alice} = $node->safe_psql('postgres',
	q{SELECT cron.schedule('mine', '0 0 1 1 *', $$SELECT run('alice', 0)$$)},
	extra_params => [ '-U', 'alice' ]);

# --- by id: returns at once with a runid; the run is manual and succeeds
my $t0 = time();
my $before = q1($node, 'SELECT clock_timestamp()');
my $runid = q1($node, "SELECT cron.run_job($id{far})");
my $took = time() - $t0;
like($runid, qr/^\d+$/, "run_job returned runid $runid");
cmp_ok($took, '<', 2, sprintf('run_job returned at once (%.2f s)', $took));
ok(wait_for($node, "SELECT status = 'succeeded' FROM cron.job_run_details WHERE runid = $runid", 10),
	'the manual run succeeded');
is(q1($node, qq{SELECT jobid || ' ' || manual || ' ' || (scheduled_for >= '$before') || ' ' || return_message
	FROM cron.job_run_details WHERE runid = $runid}),
	"$id{far} true true 1 row", 'its ledger row: the job, manual = true, slot = the request time, 1 row');
is(q1($node, q{SELECT count(*) FROM eff WHERE job = 'far'}), '1', 'it ran once');
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{far}}), '1',
	'only that run: the far schedule did not fire');

# --- by name
my $runid2 = q1($node, q{SELECT cron.run_job('far')});
isnt($runid2, $runid, 'by name: a new runid');
ok(wait_for($node, "SELECT status = 'succeeded' AND manual FROM cron.job_run_details WHERE runid = $runid2", 10),
	'by name: the manual run succeeded');
is(q1($node, q{SELECT count(*) FROM eff WHERE job = 'far'}), '2', 'it ran again');

# a failing job: run_job returns the runid, the run fails with the message
my $frun = q1($node, "SELECT cron.run_job($id{fail})");
ok(wait_for($node, "SELECT status = 'failed' FROM cron.job_run_details WHERE runid = $frun", 10),
	'a manual run of a failing job fails');
is(q1($node, "SELECT return_message FROM cron.job_run_details WHERE runid = $frun"),
	'division by zero', '... with the error message');

# --- owners
my ($ret, $out, $err) = $node->psql('postgres', "SELECT cron.run_job($id{far})",
	extra_params => [ '-U', 'alice' ]);
isnt($ret, 0, "alice cannot run the superuser's job");
like($err, qr/another role|permission denied/, "... error: $err");
($ret, $out, $err) = $node->psql('postgres', "SELECT cron.run_job($id{alice})",
	extra_params => [ '-U', 'bob' ]);
isnt($ret, 0, "bob cannot run alice's job");
like($err, qr/another role|permission denied/, "... error: $err");
($ret, $out, $err) = $node->psql('postgres', q{SELECT cron.run_job('mine')},
	extra_params => [ '-U', 'bob' ]);
isnt($ret, 0, "bob cannot run alice's job by its name (he has none of that name)");
($ret, $out, $err) = $node->psql('postgres', 'SELECT cron.run_job(999999)');
isnt($ret, 0, 'an unknown job is an error');
like($err, qr/does not exist/, "... error: $err");
is(q1($node, q{SELECT count(*) FROM eff WHERE job = 'alice'}), '0', 'none of the refused calls ran anything');

my $arun = $node->safe_psql('postgres', q{SELECT cron.run_job('mine')}, extra_params => [ '-U', 'alice' ]);
ok(wait_for($node, "SELECT status = 'succeeded' FROM cron.job_run_details WHERE runid = $arun", 10),
	'alice runs her own job by name');
is(q1($node, q{SELECT count(*) FROM eff WHERE job = 'alice'}), '1', 'it ran once');
is(q1($node, "SELECT username FROM cron.job_run_details WHERE runid = $arun"), 'alice', 'as alice');
my $srun = q1($node, "SELECT cron.run_job($id{alice})");
ok(wait_for($node, "SELECT status = 'succeeded' FROM cron.job_run_details WHERE runid = $srun", 10),
	"a superuser may run alice's job");

# --- overlap = skip: a manual run while a run is going is recorded as skipped
my $s1 = q1($node, "SELECT cron.run_job($id{skip})");
ok(wait_for($node, "SELECT status = 'running' FROM cron.job_run_details WHERE runid = $s1", 10),
	'skip: first manual run is running');
my $s2 = q1($node, "SELECT cron.run_job($id{skip})");
like($s2, qr/^\d+$/, 'skip: the second run_job returns a runid');
is(q1($node, "SELECT status || ' ' || manual FROM cron.job_run_details WHERE runid = $s2"),
	'skipped true', 'skip: the second manual run is recorded as skipped (manual)');
like(q1($node, "SELECT return_message FROM cron.job_run_details WHERE runid = $s2"),
	qr/overlap/, '... saying why');
ok(wait_for($node, "SELECT status = 'succeeded' FROM cron.job_run_details WHERE runid = $s1", 10),
	'skip: the first run succeeded');
is(q1($node, q{SELECT count(*) FROM eff WHERE job = 'skip'}), '1', 'skip: it ran once');

# --- overlap = queue: the second manual run waits for the first, then runs
my $q1 = q1($node, "SELECT cron.run_job($id{queue})");
ok(wait_for($node, "SELECT status = 'running' FROM cron.job_run_details WHERE runid = $q1", 10),
	'queue: first manual run is running');
my $q2 = q1($node, "SELECT cron.run_job($id{queue})");
ok(wait_for($node, "SELECT bool_and(status = 'succeeded') FROM cron.job_run_details WHERE runid IN ($q1, $q2)", 15),
	'queue: both manual runs succeeded');
is(q1($node, q{SELECT count(*) FROM eff a JOIN eff b ON a.job = b.job AND a.s < b.s
	WHERE a.job = 'queue' AND b.s < a.e}), '0', 'queue: they did not overlap');
is(q1($node, q{SELECT count(*) FROM eff WHERE job = 'queue'}), '2', 'queue: both ran');

# --- overlap = allow: manual runs go at once, side by side
my $a1 = q1($node, "SELECT cron.run_job($id{allow})");
my $a2 = q1($node, "SELECT cron.run_job($id{allow})");
ok(wait_for($node, "SELECT bool_and(status = 'succeeded') FROM cron.job_run_details WHERE runid IN ($a1, $a2)", 15),
	'allow: both manual runs succeeded');
is(q1($node, q{SELECT count(*) FROM eff a JOIN eff b ON a.job = b.job AND a.s < b.s
	WHERE a.job = 'allow' AND b.s < a.e}), '1', 'allow: they overlapped');

# a manual run does not disturb scheduled slots: a '1 seconds' job keeps
# every slot while it is also run by hand
my $tick = q1($node, q{SELECT cron.schedule('tick', '1 seconds', $$SELECT run('tick', 0)$$, overlap => 'allow')});
ok(wait_for($node, "SELECT count(*) >= 2 FROM cron.job_run_details WHERE jobid = $tick AND NOT manual", 10),
	'tick runs');
q1($node, "SELECT cron.run_job($tick)") for 1 .. 3;
my $after = q1($node, 'SELECT clock_timestamp()');
ok(wait_for($node, qq{SELECT count(*) >= 3 FROM cron.job_run_details
	WHERE jobid = $tick AND NOT manual AND scheduled_for > '$after'}, 10), 'tick keeps running');
$node->safe_psql('postgres', q{SELECT cron.unschedule('tick')});
ok(wait_for($node, "SELECT count(*) = 0 FROM cron.job_run_details WHERE status IN ('starting', 'running')", 10),
	'runs ended');
is(q1($node, qq{
	SELECT count(*) FROM (
	  SELECT scheduled_for - lag(scheduled_for) OVER (ORDER BY scheduled_for) AS gap
	  FROM cron.job_run_details WHERE jobid = $tick AND NOT manual) g
	WHERE gap <> interval '1 second'}), '0', 'no scheduled slot lost to the manual runs');
is(q1($node, "SELECT count(*) FROM cron.job_run_details WHERE jobid = $tick AND manual AND status = 'succeeded'"),
	'3', 'the 3 manual runs succeeded');
is(q1($node, q{SELECT count(*) FROM eff WHERE job = 'tick'}),
	q1($node, "SELECT count(*) FROM cron.job_run_details WHERE jobid = $tick AND status = 'succeeded'"),
	'tick: one effect per succeeded run');

$node->stop;
done_testing();
