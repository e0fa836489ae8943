
# 252_sleep_watches_latch.pl
#	  The scheduler sleeps to a slot precisely, and still watches its latch
#	  until the last two milliseconds: a cron.run_job() call 40 ms before
#	  the wake is answered at once.  (A first version slept the last
#	  0.2 % of each sleep, 60 ms of 30 s here, with a timer that does not
#	  watch the latch: such a call, a worker's report, a job change or a
#	  cancel waited for the end of it.)

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use CronextTest;

my $node = cron_node('fine_sleep', "cron.history_retention = 0\n");

$node->safe_psql('postgres', q{
SELECT cron.schedule('probe', '0 0 1 1 *', 'SELECT 1');
CREATE FUNCTION timed_run() RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
	PERFORM cron.run_job('probe');
	RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
});

my $base = q1($node, 'SELECT timed_run()');
diag("cron.run_job answered in $base ms while the scheduler sleeps normally");

# the scheduler's next wake: a one-off job 90 s away
my $at = q1($node, q{SELECT extract(epoch FROM date_trunc('second', now()) + interval '30 seconds')});
$node->safe_psql('postgres', qq{SELECT cron.schedule_at('far', to_timestamp($at), 'SELECT 1')});
# let the probe's worker leave (its exit wakes the scheduler) long before
sleep(5);

my $bg = $node->background_psql('postgres');
my $target = $at - 0.040;
sleep($target - time()) if $target > time();
my $ms = $bg->query_safe('SELECT timed_run()');
$bg->quit;
diag("cron.run_job called 40 ms before the wake answered in $ms ms");
cmp_ok($ms, "<", 20, 'cron.run_job is answered at once, also just before a wake');

$node->stop;
done_testing();
