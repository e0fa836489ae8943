
# 060_restart.pl
#	  Restart: a fast shutdown while a job runs leaves that run 'failed'
#	  with a message saying the server restarted; slots that came due while
#	  the server was down are caught up per job: 'latest' runs exactly one
#	  (the newest), 'none' none, 'all' each one, in order; the missed slots
#	  that do not run are visible as a 'skipped' row; catchup_window limits
#	  'all'; no slot runs twice; '@reboot' runs once per server start (not
#	  for a start before the job existed, not again when only the scheduler
#	  restarts).

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $node = cron_node('restart');

$node->safe_psql('postgres', q{
CREATE TABLE eff (job text, at timestamptz DEFAULT clock_timestamp());
});
my %id = map { split /\|/ } qcol($node, q{
BEGIN;
-- a DO block may commit by itself: at-most-once, so a run cut short stays
-- failed (exactly-once runs run again: 210_exactly_once.pl)
SELECT 'sleepy', cron.schedule('sleepy', '1 seconds', 'DO $$BEGIN PERFORM pg_sleep(60); END$$');
SELECT 'latest', cron.schedule('latest', '2 seconds', $$INSERT INTO eff (job) VALUES ('latest')$$,
							   catchup => 'latest', catchup_window => '1 hour');
SELECT 'none', cron.schedule('none', '2 seconds', $$INSERT INTO eff (job) VALUES ('none')$$,
							 catchup => 'none', catchup_window => '1 hour');
SELECT 'all', cron.schedule('all', '2 seconds', $$INSERT INTO eff (job) VALUES ('all')$$,
							catchup => 'all', catchup_window => '1 hour');
SELECT 'all5', cron.schedule('all5', '1 seconds', $$INSERT INTO eff (job) VALUES ('all5')$$,
							 catchup => 'all', catchup_window => '5 seconds');
SELECT 'reboot', cron.schedule('reboot', '@reboot', $$INSERT INTO eff (job) VALUES ('reboot')$$);
COMMIT;
});
my $catchers = join ',', map { $id{$_} } qw(latest none all all5);
my $catchers2 = join ',', map { $id{$_} } qw(latest none all);

ok(wait_for($node, qq{
	SELECT (SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{sleepy} AND status = 'running') = 1
	   AND (SELECT count(*) FROM unnest(ARRAY[$catchers]) j(id)
			WHERE (SELECT count(*) FROM cron.job_run_details d
				   WHERE d.jobid = j.id AND d.status = 'succeeded') >= 2) = 4}, 15),
	'the sleeping job runs; the 2-second jobs ran twice');
# stop right after a slot's runs have finished, so none is cut short
my $runs_before = q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid IN ($catchers)});
wait_for($node, qq{
	SELECT count(*) > $runs_before AND bool_and(status NOT IN ('starting', 'running'))
	FROM cron.job_run_details WHERE jobid IN ($catchers)}, 5);
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{reboot}}), '0',
	'\@reboot: no run for the server start that came before the job was created');
my $sleepy_runid = q1($node, qq{
	SELECT runid FROM cron.job_run_details WHERE jobid = $id{sleepy} AND status = 'running'});
$node->stop('fast');

# the downtime being tested: the server is down across 3 or more due slots
sleep 7;
$node->start;
my $started = q1($node, 'SELECT pg_postmaster_start_time()');

# --- the run cut short by the shutdown
ok(wait_for($node, qq{
	SELECT status = 'failed' FROM cron.job_run_details WHERE runid = $sleepy_runid}, 10),
	'the run cut short by the fast shutdown is failed');
my $msg = q1($node, qq{SELECT return_message FROM cron.job_run_details WHERE runid = $sleepy_runid});
like($msg, qr/restart/, "its message says the server restarted ('$msg')");
is(q1($node, qq{SELECT end_time IS NOT NULL FROM cron.job_run_details WHERE runid = $sleepy_runid}),
	't', 'and it has an end_time');
$node->safe_psql('postgres', q{SELECT cron.unschedule('sleepy')});
is(q1($node, qq{
	SELECT count(*) FROM cron.job_run_details
	WHERE status IN ('starting', 'running') AND coalesce(start_time, scheduled_for) < '$started'}),
	'0', 'no run of the earlier lifetime is left open');

# --- catch-up: let each job run two slots after the restart, then stop them
ok(wait_for($node, qq{
	SELECT count(*) = 4 FROM unnest(ARRAY[$catchers]) j(id)
	WHERE (SELECT count(*) FROM cron.job_run_details d
		   WHERE d.jobid = j.id AND d.status = 'succeeded' AND d.scheduled_for > '$started') >= 2}, 15),
	'the jobs run again after the restart');
# (the sleeping job's own catch-up run may still be going: it is not ours)
$node->safe_psql('postgres', 'UPDATE cron.job SET active = false');
ok(wait_for($node, qq{
	SELECT count(*) = 0 FROM cron.job_run_details
	WHERE jobid IN ($catchers) AND status IN ('starting', 'running')}, 10),
	'all runs of the 2-second jobs ended');

# the last slot each job had before the shutdown, and the missed slots:
# every slot of the schedule after it and before the server started
my $last_before = q1($node, qq{
	SELECT max(scheduled_for) FROM cron.job_run_details
	WHERE jobid IN ($catchers2) AND start_time < '$started'});
my @missed = qcol($node, qq{
	SELECT s FROM generate_series('$last_before'::timestamptz + interval '2 seconds',
								  '$started'::timestamptz, interval '2 seconds') s
	WHERE s < '$started'});
diag("last slot before the stop: $last_before; server started $started; missed: @missed");
cmp_ok(scalar @missed, '>=', 3, 'the server was down across at least 3 slots');
my $missed_list = join ',', map { "'$_'::timestamptz" } @missed;
my $last_missed = $missed[-1];

# before the shutdown each job ran every slot (the ledger agrees with itself)
for my $k (qw(latest none all))
{
	is(q1($node, qq{
		SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{$k}
		AND scheduled_for <= '$last_before' AND status <> 'succeeded'}),
		'0', "$k: every slot before the shutdown succeeded");
}

sub ran_missed
{
	my ($k) = @_;
	return join ',', qcol($node, qq{
		SELECT scheduled_for FROM cron.job_run_details
		WHERE jobid = $id{$k} AND status = 'succeeded'
		AND scheduled_for = ANY (ARRAY[$missed_list]) ORDER BY scheduled_for});
}
sub skipped_rows
{
	my ($k) = @_;
	return q1($node, qq{
		SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{$k} AND status = 'skipped'
		AND scheduled_for > '$last_before' AND scheduled_for < '$started'});
}

# latest: exactly one missed slot ran, the newest
is(ran_missed('latest'), $last_missed, "latest: exactly one missed slot ran, the newest ($last_missed)");
cmp_ok(skipped_rows('latest'), '>=', 1, "latest: the other missed slots are visible as a 'skipped' row");
# none: no missed slot ran
is(ran_missed('none'), '', 'none: no slot that came due while the server was down ran');
cmp_ok(skipped_rows('none'), '>=', 1, "none: the missed slots are visible as a 'skipped' row");
# all: every missed slot ran, in order
is(ran_missed('all'), join(',', @missed), 'all: every missed slot ran');
is(skipped_rows('all'), '0', 'all: no missed slot skipped');
is(q1($node, qq{
	SELECT count(*) FROM (
	  SELECT scheduled_for < lag(scheduled_for) OVER (ORDER BY start_time) AS out_of_order
	  FROM cron.job_run_details WHERE jobid = $id{all} AND status = 'succeeded') x
	WHERE out_of_order}), '0', 'all: slots ran in order');
for my $k (qw(latest none))
{
	is(q1($node, qq{
		SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{$k} AND status = 'skipped'
		AND return_message NOT LIKE '%miss%'}),
		'0', "$k: the skipped rows say the slots were missed");
}
# the skipped row says which slots were not run: from the first to the last
my $n_latest = scalar(@missed) - 1;
like(q1($node, qq{SELECT string_agg(return_message, ' | ') FROM cron.job_run_details
	WHERE jobid = $id{latest} AND status = 'skipped' AND scheduled_for > '$last_before'}),
	qr/\b$n_latest slots? from \Q$missed[0]\E to \Q$missed[-2]\E/,
	"latest: the skipped row names the $n_latest missed slots, first to last");
like(q1($node, qq{SELECT string_agg(return_message, ' | ') FROM cron.job_run_details
	WHERE jobid = $id{none} AND status = 'skipped' AND scheduled_for > '$last_before'}),
	qr/\Q$missed[0]\E to \Q$missed[-1]\E/,
	'none: the skipped row names the missed slots, first to last');
diag('skipped rows: ' . q1($node, qq{
	SELECT string_agg(jobid || ' ' || scheduled_for || ': ' || return_message, E'\n')
	FROM cron.job_run_details WHERE status = 'skipped'}));

# after the restart, the regular slots run again on time
for my $k (qw(latest none all))
{
	is(q1($node, qq{
		SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{$k}
		AND scheduled_for > '$started'::timestamptz + interval '2 seconds'
		AND (status <> 'succeeded' OR start_time - scheduled_for > interval '1 second')}),
		'0', "$k: slots after the restart run on time");
}

# no slot ran twice: effects match succeeded runs one to one
for my $k (qw(latest none all))
{
	is(q1($node, qq{SELECT count(*) FROM eff WHERE job = '$k'}),
		q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{$k} AND status = 'succeeded'}),
		"$k: one effect per succeeded run");
	is(q1($node, qq{
		SELECT count(*) FROM eff e WHERE e.job = '$k'
		AND (SELECT count(*) FROM cron.job_run_details d
			 WHERE d.jobid = $id{$k} AND d.status = 'succeeded'
			 AND e.at BETWEEN d.start_time AND d.end_time) <> 1}),
		'0', "$k: each effect belongs to exactly one succeeded run");
}
is(q1($node, q{SELECT count(*) - count(DISTINCT (jobid, scheduled_for)) FROM cron.job_run_details}),
	'0', 'no (jobid, scheduled_for) twice');

# all with catchup_window = 5 s: the missed slots younger than the window at
# the time the scheduler decided ran, the older ones did not (0.5 s of
# tolerance either side of the window's edge)
my $last5 = q1($node, qq{
	SELECT max(scheduled_for) FROM cron.job_run_details WHERE jobid = $id{all5} AND start_time < '$started'});
my $decided = q1($node, qq{
	SELECT min(start_time) FROM cron.job_run_details WHERE jobid = $id{all5} AND scheduled_for > '$last5'});
my @m5 = qcol($node, qq{
	SELECT s || ' ' || extract(epoch FROM '$decided'::timestamptz - s)::numeric(6,2) || ' ' ||
		   coalesce((SELECT status FROM cron.job_run_details WHERE jobid = $id{all5} AND scheduled_for = s), '-')
	FROM generate_series('$last5'::timestamptz + interval '1 second', '$started', interval '1 second') s
	WHERE s < '$started' ORDER BY s});
diag("all5 (decided at $decided): slot, age, status:\n" . join("\n", @m5));
my ($old_ran, $young_lost, $old_seen) = (0, 0, 0);
for (@m5)
{
	my ($d, $tm, $age, $st) = split / /;
	if ($age > 5.5) { $old_seen++; $old_ran++ if $st eq 'succeeded'; }
	$young_lost++ if $age < 4.5 && $st ne 'succeeded';
}
cmp_ok($old_seen, '>=', 1, 'all5: some missed slot was older than the window');
is($old_ran, 0, 'all5: missed slots older than catchup_window did not run');
is($young_lost, 0, 'all5: missed slots younger than catchup_window all ran');

# @reboot: exactly one run for this server start, its slot the start time
is(q1($node, qq{
	SELECT string_agg(status || ' ' || (scheduled_for = pg_postmaster_start_time()), ',')
	FROM cron.job_run_details WHERE jobid = $id{reboot}}),
	'succeeded true', '\@reboot: one run after the restart, for the server start time');
is(q1($node, q{SELECT count(*) FROM eff WHERE job = 'reboot'}), '1', '\@reboot: ran once');
# the scheduler alone restarting is not a server start
my $old = q1($node, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'});
$node->safe_psql('postgres', "SELECT pg_terminate_backend($old)");
ok(wait_for($node, qq{
	SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'cronext scheduler' AND pid <> $old)}, 15),
	'scheduler restarted');
$node->safe_psql('postgres', 'UPDATE cron.job SET active = true WHERE jobname = \'all\'');
my $t = q1($node, 'SELECT clock_timestamp()');
ok(wait_for($node, qq{SELECT count(*) >= 1 FROM cron.job_run_details WHERE jobid = $id{all}
	AND status = 'succeeded' AND scheduled_for > '$t'}, 10), 'the new scheduler runs jobs');
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{reboot}}), '1',
	'\@reboot: no second run when only the scheduler restarts');

$node->stop;
done_testing();
