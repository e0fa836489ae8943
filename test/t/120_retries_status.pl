# Retries of SQL jobs (one ledger row per slot, attempt counted), the
# statement timeout, the cron_job_failed notification, and the
# cron.job_status view.
use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $node = cron_node('retries');
$node->safe_psql('postgres', q{
CREATE SEQUENCE s3;
CREATE SEQUENCE s9;
});

# fails twice, then succeeds (the sequence is not rolled back with a failure)
my $flaky = q1($node, q{SELECT cron.schedule('flaky', '0 0 1 1 *',
	'SELECT 1/(CASE WHEN nextval(''s3'') < 3 THEN 0 ELSE 1 END)',
	max_retries => 3, retry_delay => '200 ms')});
my $short = q1($node, q{SELECT cron.schedule('short', '0 0 1 1 *',
	'SELECT 1/(CASE WHEN nextval(''s9'') < 3 THEN 0 ELSE 1 END)',
	max_retries => 1, retry_delay => '200 ms')});
my $good = q1($node, q{SELECT cron.schedule('good', '0 0 1 1 *', 'SELECT 1')});

# a session listening for failures
my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN cron_job_failed');

my $r1 = q1($node, "SELECT cron.run_job($flaky)");
my $r2 = q1($node, "SELECT cron.run_job($short)");
my $r3 = q1($node, "SELECT cron.run_job($good)");
ok(wait_for($node, qq{SELECT count(*) = 3 FROM cron.job_run_details
	WHERE runid IN ($r1, $r2, $r3) AND status IN ('succeeded', 'failed')}, 20), 'all three slots ended');
is(q1($node, "SELECT status || ' ' || attempt FROM cron.job_run_details WHERE runid = $r1"),
	'succeeded 3', 'max_retries 3: one slot, succeeded at the third attempt');
is(q1($node, "SELECT status || ' ' || attempt || ' ' || return_message FROM cron.job_run_details WHERE runid = $r2"),
	'failed 2 division by zero', 'max_retries 1: failed after 2 attempts, with the last message');
is(q1($node, "SELECT count(*) FROM cron.job_run_details WHERE jobid IN ($flaky, $short)"),
	'2', 'attempts belong to their slot: one ledger row each');

# the notification: for the failing job, not for the succeeding ones
my $notes = '';
for (1 .. 50)
{
	$notes .= $listener->query_safe('SELECT 1') . "\n";
	last if $notes =~ /cron_job_failed/;
	select(undef, undef, undef, 0.1);
}
$listener->quit;
# the payload is the runid only: any role can LISTEN, so the rest stays
# behind row-level security, where the listener reads it
like($notes, qr/Asynchronous notification "cron_job_failed" with payload "\{"runid" : $r2\}"/,
	'a LISTEN session got the failure, with the runid only');
unlike($notes, qr/division by zero|"jobname"/, 'the payload carries neither message nor name');
my @notified = $notes =~ /"runid" : (\d+)/g;
is_deeply(\@notified, [$r2], 'no notification for the runs that succeeded');

# timeout: a 20 s statement stopped after about 1 s
my $slow = q1($node, q{SELECT cron.schedule('slow', '0 0 1 1 *', 'SELECT pg_sleep(20)', timeout => '1 second')});
my $r4 = q1($node, "SELECT cron.run_job($slow)");
ok(wait_for($node, "SELECT status = 'failed' FROM cron.job_run_details WHERE runid = $r4", 10),
	'the slow job failed');
my ($msg, $dur) = split /\|/, q1($node,
	"SELECT return_message, extract(epoch FROM end_time - start_time) FROM cron.job_run_details WHERE runid = $r4");
like($msg, qr/statement timeout/, 'its message says it timed out');
cmp_ok($dur, '<', 3, "it ran about 1 s ($dur s)");

# cron.job_status
my $hang = q1($node, q{SELECT cron.schedule('hang', '0 0 1 1 *', 'SELECT pg_sleep(30)')});
my $r5 = q1($node, "SELECT cron.run_job($hang)");
ok(wait_for($node, "SELECT running_pid IS NOT NULL FROM cron.job_status WHERE jobid = $hang", 10),
	'running_pid is set while the job runs');
is(q1($node, "SELECT running_pid = (SELECT job_pid FROM cron.job_run_details WHERE runid = $r5) FROM cron.job_status WHERE jobid = $hang"),
	't', 'running_pid is the pid of the running run');
is(q1($node, "SELECT last_status || ' ' || consecutive_failures FROM cron.job_status WHERE jobid = $short"),
	'failed 1', 'last_status and consecutive_failures of a failed job');
is(q1($node, "SELECT last_status || ' ' || consecutive_failures || ' ' || (last_duration IS NOT NULL) FROM cron.job_status WHERE jobid = $flaky"),
	'succeeded 0 true', 'a job that succeeded has no consecutive failures');
is(q1($node, "SELECT running_pid IS NULL FROM cron.job_status WHERE jobid = $good"), 't', 'an idle job has no running_pid');

$node->safe_psql('postgres', q{
SELECT cron.schedule('ny', '0 3 * * *', 'SELECT 1', timezone => 'America/New_York');
SELECT cron.schedule('lh', '45 1 * * *', 'SELECT 1', timezone => 'Australia/Lord_Howe');
SELECT cron.schedule('dflt', '*/7 * * * *', 'SELECT 1');
SELECT cron.schedule('tick', '5 seconds', 'SELECT 1');
});
is(q1($node, q{
	SELECT count(*) FROM cron.job_status s JOIN cron.job j USING (jobid)
	WHERE s.next_run IS DISTINCT FROM (SELECT r FROM cron.next_runs(j.schedule, j.timezone, now(), 1) r)}),
	'0', 'next_run equals cron.next_runs for jobs in several time zones');
is(q1($node, q{SELECT timezone FROM cron.job_status WHERE jobname = 'dflt'}), 'GMT',
	'a job without a zone shows cron.timezone');

$node->safe_psql('postgres', q{UPDATE cron.job SET active = false WHERE jobname = 'hang'});
$node->stop('immediate');
done_testing();
