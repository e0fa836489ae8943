
# 210_exactly_once.pl
#	  Exactly-once effect for SQL jobs.  A '1 seconds' job inserts one row
#	  per run, tagged with its slot (cron.scheduled_for), and holds its
#	  transaction open a moment; meanwhile a chaos loop kills, at random
#	  moments, a job worker (kill -9: the postmaster restarts everything),
#	  a job worker politely (pg_terminate_backend: no restart), the
#	  postmaster (kill -9) and the whole server (immediate shutdown, as a
#	  power loss).  Afterwards every slot of the window has exactly one row
#	  and its ledger row says succeeded; interrupted attempts show as
#	  retries of the same row.  cron.job_status shows each job's guarantee,
#	  and a run's context settings are what its command sees.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use CronextTest;

my $node = cron_node('once', "restart_after_crash = on\n");

$node->safe_psql('postgres', q{
CREATE TABLE eff (slot timestamptz NOT NULL, attempt int, at timestamptz DEFAULT clock_timestamp());
SELECT cron.schedule('once', '1 seconds',
	$$INSERT INTO eff (slot, attempt) VALUES (current_setting('cron.scheduled_for')::timestamptz,
	                                          current_setting('cron.attempt')::int);
	  SELECT pg_sleep(0.3)$$,
	catchup => 'all', catchup_window => '10 minutes');
SELECT cron.schedule('vacuum', '0 3 * * *', 'VACUUM');
SELECT cron.schedule_in_database('elsewhere', '0 3 * * *', 'SELECT 1', 'template1');
});
is(q1($node, q{SELECT string_agg(jobname || '=' || delivery, ' ' ORDER BY jobname) FROM cron.job_status}),
	'elsewhere=at-most-once once=exactly-once vacuum=at-most-once',
	'cron.job_status shows each job\'s guarantee');
ok(wait_for($node, q{SELECT count(*) >= 3 FROM eff}, 30), 'the job runs');
is(q1($node, q{SELECT count(*) FROM eff e JOIN cron.job_run_details d ON d.scheduled_for = e.slot
	JOIN cron.job j ON j.jobid = d.jobid AND j.jobname = 'once'}),
	q1($node, q{SELECT count(*) FROM eff}), 'cron.scheduled_for is the run\'s slot');

sub up
{
	# the node accepts connections again (after a crash restart or a start)
	for (1 .. 300)
	{
		my ($ret) = $node->psql('postgres', 'SELECT 1', on_error_stop => 0);
		return 1 if $ret == 0;
		usleep(100_000);
	}
	return 0;
}

sub running_worker
{
	# a job worker of the 'once' job in the middle of its command
	for (1 .. 40)
	{
		my ($ret, $pid) = $node->psql('postgres', q{SELECT pid FROM pg_stat_activity
			WHERE backend_type = 'cronext job' AND query LIKE 'INSERT INTO eff%' AND state = 'active' LIMIT 1},
			on_error_stop => 0);
		return $pid if $ret == 0 && $pid ne '';
		usleep(50_000);
	}
	return undef;
}

# the isolation level is the command's: a role's REPEATABLE READ default,
# SET TRANSACTION at the start, a read-only transaction
$node->safe_psql('postgres', q{
CREATE ROLE rr LOGIN;
ALTER ROLE rr SET default_transaction_isolation = 'repeatable read';
CREATE ROLE ro LOGIN;
ALTER ROLE ro SET default_transaction_read_only = on;
GRANT USAGE ON SCHEMA cron TO ro;
GRANT USAGE ON SCHEMA cron TO rr;
CREATE TABLE iso (what text, level text);
GRANT INSERT ON iso TO rr;
});
$node->safe_psql('postgres', q{
SET ROLE rr;
SELECT cron.schedule('iso-rr', '1 seconds', $$SELECT pg_sleep(0.2); INSERT INTO iso VALUES ('rr', current_setting('transaction_isolation'))$$);
SELECT cron.schedule('iso-ser', '1 seconds', $$SET TRANSACTION ISOLATION LEVEL SERIALIZABLE; INSERT INTO iso VALUES ('ser', current_setting('transaction_isolation'))$$);
SELECT cron.schedule('iso-ro', '1 seconds', $$SET TRANSACTION READ ONLY; SELECT count(*) FROM pg_class$$);
SET ROLE ro;
SELECT cron.schedule('iso-ro-role', '1 seconds', $$SELECT count(*) FROM pg_class$$);
});
ok(wait_for($node, q{SELECT count(*) >= 9 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE j.jobname LIKE 'iso-%' AND d.status = 'succeeded'}, 30), 'the jobs with their own isolation levels run');
ok(wait_for($node, q{SELECT count(*) >= 2 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE j.jobname = 'iso-ro-role' AND d.status = 'succeeded'}, 30), 'so does a read-only role\'s');
is(q1($node, q{SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE j.jobname LIKE 'iso-%' AND d.status = 'failed'}), '0', 'and none fails')
  or diag(q1($node, q{SELECT string_agg(DISTINCT d.return_message, E'\n') FROM cron.job_run_details d
	JOIN cron.job j USING (jobid) WHERE j.jobname LIKE 'iso-%' AND d.status = 'failed'}));
is(q1($node, q{SELECT string_agg(DISTINCT what || ' ' || level, ', ' ORDER BY what || ' ' || level) FROM iso}),
	'rr repeatable read, ser serializable', 'each ran at its isolation level');
$node->safe_psql('postgres', q{SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname LIKE 'iso-%'});

srand(20261130);
my %done;
for my $round (1 .. 6)
{
	usleep(int(500_000 + rand(1_500_000)));
	my $what = ('worker9', 'terminate', 'postmaster9', 'immediate')[ ($round - 1) % 4 ];
	if ($what eq 'worker9' || $what eq 'terminate')
	{
		my $pid = running_worker();
		next unless $pid;
		usleep(int(rand(250_000)));
		if ($what eq 'worker9')
		{
			kill 'KILL', $pid;
		}
		else
		{
			$node->psql('postgres', "SELECT pg_terminate_backend($pid)", on_error_stop => 0);
		}
	}
	elsif ($what eq 'postmaster9')
	{
		running_worker();
		my @children = split /\n/, $node->safe_psql('postgres', 'SELECT pid FROM pg_stat_activity');
		kill 'KILL', $node->{_pid};
		# its children notice the postmaster's death and exit; until they
		# have, a new postmaster would refuse the shared memory they hold
		for (1 .. 300)
		{
			last unless grep { kill 0, $_ } @children;
			usleep(100_000);
		}
		# what an administrator does after a crash: the stale lock file goes
		unlink($node->data_dir . '/postmaster.pid');
		$node->_update_pid(0);
		my $started = $node->start(fail_ok => 1);
		BAIL_OUT('the server did not start after its postmaster was killed') unless $started;
	}
	else
	{
		running_worker();
		$node->stop('immediate');
		$node->start;
	}
	ok(up(), "round $round ($what): the server is up again");
	$done{$what}++;
	# let it run a few slots before the next blow
	my $n = q1($node, q{SELECT count(*) FROM eff});
	ok(wait_for($node, "SELECT count(*) > $n + 1 FROM eff", 60), "round $round: the job runs again");
}

# settle: stop the job, let the runs in flight end
$node->safe_psql('postgres', q{SELECT cron.alter_job(jobid, active => false) FROM cron.job WHERE jobname = 'once'});
ok(wait_for($node, q{SELECT count(*) = 0 FROM cron.job_run_details WHERE status IN ('starting', 'running')}, 120),
	'every run ended');

my $jobid = q1($node, q{SELECT jobid FROM cron.job WHERE jobname = 'once'});
my ($first, $last) = split /\|/, q1($node, qq{SELECT min(scheduled_for), max(scheduled_for)
	FROM cron.job_run_details WHERE jobid = $jobid});
my $nslots = q1($node, qq{SELECT count(*) FROM cron.next_runs('1 seconds', 'UTC',
	'$first'::timestamptz - interval '1 second', 100000) s WHERE s <= '$last'});
cmp_ok($nslots, '>=', 20, "a window of $nslots slots");
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $jobid}), $nslots,
	'every slot of the window has its ledger row');
is(q1($node, qq{SELECT string_agg(DISTINCT status, ',') FROM cron.job_run_details WHERE jobid = $jobid}),
	'succeeded', 'and every one says succeeded')
  or diag(q1($node, qq{SELECT string_agg(scheduled_for || ' ' || status || ' attempt ' || attempt || ': ' || coalesce(return_message, ''), E'\n')
	FROM cron.job_run_details WHERE jobid = $jobid AND status <> 'succeeded'}));
is(q1($node, qq{SELECT count(*) FROM (SELECT slot FROM eff GROUP BY slot HAVING count(*) > 1) d}), '0',
	'no slot has its effect twice');
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details d WHERE jobid = $jobid
	AND NOT EXISTS (SELECT 1 FROM eff WHERE slot = d.scheduled_for)}), '0',
	'no succeeded slot is missing its effect');
is(q1($node, q{SELECT count(*) FROM eff}), $nslots, 'one effect per slot, no more');
my $reruns = q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $jobid AND attempt > 1});
cmp_ok($reruns, '>=', 1, "interrupted slots ran again as later attempts of their row ($reruns)");
is(q1($node, qq{SELECT count(*) FROM eff e JOIN cron.job_run_details d
	ON d.jobid = $jobid AND d.scheduled_for = e.slot AND d.attempt = e.attempt}), $nslots,
	'each effect was made by the attempt its row records');
note('blows: ' . join(', ', map { "$_ $done{$_}" } sort keys %done));

$node->stop;
done_testing();
