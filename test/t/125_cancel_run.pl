# cron.cancel_run stops a running run (owner or superuser only): it ends
# as failed, saying it was cancelled, and is not retried; the worker's
# next run is not hit by the cancel.
use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $node = cron_node('cancel');
$node->safe_psql('postgres', q{
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
GRANT USAGE ON SCHEMA cron TO alice, bob;
CREATE TABLE after_cancel (at timestamptz DEFAULT clock_timestamp());
GRANT INSERT ON after_cancel TO alice;
});
sub as_alice { return $node->safe_psql('postgres', $_[0], extra_params => [ '-U', 'alice' ]); }

my $job = as_alice(q{SELECT cron.schedule('sleepy', '0 0 1 1 *', 'SELECT pg_sleep(60)', max_retries => 2)});
my $runid = as_alice("SELECT cron.run_job($job)");
ok(wait_for($node, "SELECT status = 'running' FROM cron.job_run_details WHERE runid = $runid", 10),
	'the run is going');

# another role cannot cancel it
my ($ret, $out, $err) = $node->psql('postgres', "SELECT cron.cancel_run($runid)",
	extra_params => [ '-U', 'bob' ]);
like($err, qr/run $runid does not exist/, "another role cannot cancel it");

my $t0 = q1($node, 'SELECT clock_timestamp()');
is(as_alice("SELECT cron.cancel_run($runid)"), 't',
	'the owner cancels it');
ok(wait_for($node, "SELECT status = 'failed' FROM cron.job_run_details WHERE runid = $runid", 10),
	'the run ends as failed');
is(q1($node, "SELECT return_message || ' ' || attempt FROM cron.job_run_details WHERE runid = $runid"),
	'cancelled by cron.cancel_run 1', 'it says it was cancelled, and was not retried');
cmp_ok(q1($node, "SELECT extract(epoch FROM end_time - '$t0'::timestamptz) FROM cron.job_run_details WHERE runid = $runid"),
	'<', 5, 'it stopped promptly');
is(q1($node, "SELECT cron.cancel_run($runid)"), 'f', 'cancelling an ended run does nothing');

# the same pooled worker serves alice's next run normally
my $next = as_alice(q{SELECT cron.schedule('next', '0 0 1 1 *', 'INSERT INTO after_cancel DEFAULT VALUES')});
my $r2 = as_alice("SELECT cron.run_job($next)");
ok(wait_for($node, "SELECT status = 'succeeded' FROM cron.job_run_details WHERE runid = $r2", 10),
	'the next run succeeds');

$node->stop;
done_testing();
