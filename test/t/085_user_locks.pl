
# 085_user_locks.pl
#	  An ordinary cron user (USAGE on schema cron, nothing more) must not be
#	  able to stall other users' jobs with locks on cronext's tables: an
#	  open transaction that deleted (and so locked) its own ledger rows, or
#	  LOCK TABLE on the ledger or on cron.job.  Each is either refused, or
#	  while it is held a superuser's '1 seconds' job keeps running on time.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $node = cron_node('locks');
$node->safe_psql('postgres', q{
CREATE ROLE alice LOGIN;
GRANT USAGE ON SCHEMA cron TO alice;
});
# the superuser's job leaves its effects in a table of its own, readable
# while alice locks cronext's tables
$node->safe_psql('postgres', q{CREATE TABLE eff (at timestamptz DEFAULT clock_timestamp())});
my $tick = q1($node, q{SELECT cron.schedule('tick', '1 seconds', 'INSERT INTO eff DEFAULT VALUES')});
# alice's job is always running, so she has a ledger row the scheduler
# will write to
$node->safe_psql('postgres', q{SELECT cron.schedule('a', '1 seconds', 'SELECT pg_sleep(1.5)')},
	extra_params => [ '-U', 'alice' ]);
ok(wait_for($node, q{
	SELECT EXISTS (SELECT 1 FROM cron.job_run_details WHERE username = 'alice' AND status = 'running')}, 10),
	"alice's job is running");

my @cases = (
	[ 'an open transaction that deleted her ledger rows',
	  'DELETE FROM cron.job_run_details' ],
	[ 'LOCK TABLE cron.job_run_details IN ACCESS EXCLUSIVE MODE',
	  'LOCK TABLE cron.job_run_details IN ACCESS EXCLUSIVE MODE' ],
	[ 'LOCK TABLE cron.job IN ACCESS EXCLUSIVE MODE',
	  'LOCK TABLE cron.job IN ACCESS EXCLUSIVE MODE' ],
);
for my $c (@cases)
{
	my ($what, $sql) = @$c;
	my $alice = $node->background_psql('postgres', on_error_stop => 0,
		extra_params => [ '-U', 'alice' ]);
	$alice->query_safe('BEGIN');
	my ($out, $ret) = $alice->query($sql);
	if ($ret != 0)
	{
		# refused: then it cannot stall anyone either
		like($alice->{stderr}, qr/permission denied/, "alice may not: $sql");
		$alice->quit;
		next;
	}
	pass("alice may: $sql");
	my $t0 = q1($node, 'SELECT clock_timestamp()');
	# the superuser's job must keep running while alice holds it
	my $ok = wait_for($node, qq{SELECT count(*) >= 3 FROM eff WHERE at > '$t0'}, 6);
	ok($ok, "while alice holds $what: the superuser's job runs on")
	  or diag('scheduler waits on: ' . q1($node, q{
		SELECT coalesce(wait_event_type || ':' || wait_event, 'nothing') FROM pg_stat_activity
		WHERE backend_type = 'cronext scheduler'}));
	$alice->query_safe('ROLLBACK');
	$alice->quit;
	# once the scheduler is past the held interval: each slot of it ran,
	# on time
	wait_for($node, qq{SELECT count(*) >= 1 FROM cron.job_run_details
		WHERE jobid = $tick AND status = 'succeeded'
		AND scheduled_for > '$t0'::timestamptz + interval '4 seconds'}, 10);
	is(q1($node, qq{
		SELECT count(*) FROM generate_series(date_trunc('second', '$t0'::timestamptz) + interval '1 second',
											 '$t0'::timestamptz + interval '4 seconds', interval '1 second') g(slot)
		WHERE NOT EXISTS (SELECT 1 FROM cron.job_run_details d
						  WHERE d.jobid = $tick AND d.scheduled_for = g.slot AND d.status = 'succeeded'
						  AND d.start_time - d.scheduled_for <= interval '1 second')}),
		'0', "while alice held $what: every slot of the superuser's job ran on time");
}

$node->stop;
done_testing();
