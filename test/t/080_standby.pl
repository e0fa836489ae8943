
# 080_standby.pl
#	  A streaming standby runs nothing (no scheduler, no job worker, its
#	  ledger is the primary's, replayed); after the primary stops and the
#	  standby is promoted, it runs the jobs, catches up, and never re-runs
#	  a slot the old primary ran.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $primary = cron_node('primary', '', init => { allows_streaming => 1 });
$primary->safe_psql('postgres', q{
CREATE TABLE eff (at timestamptz DEFAULT clock_timestamp());
SELECT cron.schedule('tick', '1 seconds', 'INSERT INTO eff DEFAULT VALUES');
});
my $jobid = q1($primary, q{SELECT jobid FROM cron.job WHERE jobname = 'tick'});

# an application database with its own catalog, beside postgres
$primary->safe_psql('postgres', 'CREATE DATABASE app');
$primary->safe_psql('app', q{
CREATE EXTENSION cronext;
CREATE TABLE eff (at timestamptz DEFAULT clock_timestamp());
SELECT cron.schedule('app-tick', '1 seconds', 'INSERT INTO eff DEFAULT VALUES');
});
$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;

# the standby replays the primary's runs for a while
ok(wait_for($primary, qq{
	SELECT count(*) >= 5 FROM cron.job_run_details WHERE jobid = $jobid AND status = 'succeeded'}, 15),
	'the primary runs the job');
$primary->wait_for_catchup($standby, 'replay');
is(q1($standby, 'SELECT pg_is_in_recovery()'), 't', 'the standby is in recovery');
ok(wait_for($standby, qq{
	SELECT count(*) >= 8 FROM cron.job_run_details WHERE jobid = $jobid AND status = 'succeeded'}, 15),
	'the standby replays the ledger');

# the standby runs nothing
is(q1($standby, q{SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'cronext%'}),
	'0', 'no cronext scheduler or job worker on the standby');
my $slog = slurp_file($standby->logfile);
unlike($slog, qr/cronext scheduler started/, 'the standby log shows no scheduler start');
unlike($slog, qr/cron job \d+ starting/, 'the standby log shows no job run');
my ($ret, $out, $err) = $standby->psql('postgres', "SELECT cron.run_job($jobid)");
isnt($ret, 0, 'cron.run_job on the standby fails');
like($err, qr/not running|recovery|read-only/, "... saying why: $err");

# the standby's ledger is the primary's (the same rows at the same LSN)
$primary->wait_for_catchup($standby, 'replay');
my $cmp = qq{SELECT runid, scheduled_for, status, job_pid FROM cron.job_run_details
			 WHERE jobid = $jobid AND runid <= (SELECT max(runid) - 3 FROM cron.job_run_details) ORDER BY runid};
my $on_primary = q1($primary, $cmp);
is(q1($standby, $cmp), $on_primary, "the standby's ledger equals the primary's");

# stop the primary, then promote the standby
$primary->stop('fast');
my $last_primary_slot = q1($standby, qq{
	SELECT max(scheduled_for) FROM cron.job_run_details WHERE jobid = $jobid});
my $primary_rows = q1($standby, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $jobid});
# the standby stays a standby for 3 s more: slots come due with no primary
# (the switch-over time being tested)
sleep 3;
$standby->promote;
ok(wait_for($standby, 'SELECT NOT pg_is_in_recovery()', 30), 'the standby is promoted');
my $promoted = q1($standby, 'SELECT clock_timestamp()');
diag("last slot of the old primary: $last_primary_slot; promoted at $promoted");

ok(wait_for($standby, q{
	SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'cronext scheduler')}, 15),
	'the scheduler starts after promotion');
ok(wait_for($standby, q{
	SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'}, 15),
	'the application database\'s scheduler starts too');
my $app_last = q1($standby, q{SELECT coalesce(max(scheduled_for), '-infinity') FROM cron.job_run_details}, 'app');
ok(wait_for($standby, qq{SELECT count(*) >= 2 FROM cron.job_run_details
	WHERE status = 'succeeded' AND scheduled_for > '$app_last'}, 20, 'app'),
	'and runs its job after promotion');
is(q1($standby, q{SELECT count(*) - count(DISTINCT scheduled_for) FROM cron.job_run_details}, 'app'), '0',
	'no slot of the application database twice');
ok(wait_for($standby, qq{
	SELECT count(*) >= 4 FROM cron.job_run_details
	WHERE jobid = $jobid AND status = 'succeeded' AND scheduled_for > '$last_primary_slot'}, 20),
	'the promoted standby runs the job');
# catchup = latest: of the slots that came due with no primary, exactly one
# ran (the newest), the others are recorded as skipped
my @gap = qcol($standby, qq{
	SELECT s FROM generate_series('$last_primary_slot'::timestamptz + interval '1 second',
								  '$promoted'::timestamptz, interval '1 second') s});
cmp_ok(scalar @gap, '>=', 2, 'slots came due while there was no primary: ' . join(', ', @gap));
my $gap_list = join ',', map { "'$_'::timestamptz" } @gap;
is(q1($standby, qq{
	SELECT count(*) FROM cron.job_run_details
	WHERE jobid = $jobid AND status = 'succeeded' AND scheduled_for = ANY (ARRAY[$gap_list])}),
	'1', 'catch-up after promotion: exactly one of them ran');
is(q1($standby, qq{
	SELECT count(*) FROM cron.job_run_details
	WHERE jobid = $jobid AND status = 'skipped' AND scheduled_for = ANY (ARRAY[$gap_list])}),
	'1', 'the others are recorded as one skipped row');
is(q1($standby, qq{
	SELECT count(*) FROM cron.job_run_details
	WHERE jobid = $jobid AND scheduled_for > '$promoted'::timestamptz + interval '2 seconds'
	AND start_time - scheduled_for > interval '1 second'}),
	'0', 'its runs start on time');

$standby->safe_psql('postgres', q{SELECT cron.unschedule('tick')});
ok(wait_for($standby, qq{
	SELECT count(*) = 0 FROM cron.job_run_details WHERE jobid = $jobid AND status IN ('starting', 'running')}, 10),
	'runs ended');

# the old primary's slots were not run again
is(q1($standby, qq{
	SELECT count(*) FROM cron.job_run_details
	WHERE jobid = $jobid AND scheduled_for <= '$last_primary_slot'}),
	$primary_rows, "the old primary's slots have no new ledger row");
is(q1($standby, qq{SELECT count(*) - count(DISTINCT scheduled_for) FROM cron.job_run_details WHERE jobid = $jobid}),
	'0', 'no slot twice');
# one effect per succeeded run, each effect in exactly one run
is(q1($standby, qq{
	SELECT count(*) FROM cron.job_run_details d
	WHERE d.jobid = $jobid AND d.status = 'succeeded'
	AND (SELECT count(*) FROM eff e WHERE e.at BETWEEN d.start_time AND d.end_time) <> 1}),
	'0', 'each succeeded run has exactly one effect');
is(q1($standby, qq{
	SELECT count(*) FROM eff e
	WHERE (SELECT count(*) FROM cron.job_run_details d
		   WHERE d.jobid = $jobid AND d.status <> 'skipped'
		   AND e.at BETWEEN d.start_time AND d.end_time) <> 1}),
	'0', 'each effect belongs to exactly one run: no slot ran twice');
# catch-up after promotion: slots during the switch-over are accounted for
# (run, or recorded as skipped), none silently lost
is(q1($standby, qq{
	SELECT count(*) FROM generate_series(
		(SELECT min(scheduled_for) FROM cron.job_run_details WHERE jobid = $jobid),
		(SELECT max(scheduled_for) FROM cron.job_run_details WHERE jobid = $jobid),
		interval '1 second') g(slot)
	WHERE NOT EXISTS (SELECT 1 FROM cron.job_run_details d
					  WHERE d.jobid = $jobid AND d.scheduled_for = g.slot)
	AND NOT EXISTS (SELECT 1 FROM cron.job_run_details d
					WHERE d.jobid = $jobid AND d.status = 'skipped'
					AND d.scheduled_for >= g.slot AND d.return_message LIKE '%missed%')}),
	'0', 'every slot ran or is accounted for by a skipped row');
diag('rows around the switch-over: ' . q1($standby, qq{
	SELECT string_agg(scheduled_for || ' ' || status || coalesce(' ' || return_message, ''), E'\n' ORDER BY scheduled_for)
	FROM cron.job_run_details WHERE jobid = $jobid
	AND scheduled_for BETWEEN '$last_primary_slot'::timestamptz - interval '2 seconds'
						  AND '$promoted'::timestamptz + interval '2 seconds'}));

$standby->stop;
done_testing();
