# cron.history_retention: the scheduler prunes old history in small
# batches, never a running run's row nor the newest row of an existing job;
# 0 keeps everything.
use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $node = cron_node('retention');
my $kept = q1($node, q{SELECT cron.schedule('kept', '0 0 1 1 *', 'SELECT 1')});
my $gone = q1($node, q{SELECT cron.schedule('gone', '0 0 1 1 *', 'SELECT 1')});
$node->safe_psql('postgres', "SELECT cron.unschedule($gone)");

# history as the scheduler would have written it, 40 to 31 days old
$node->safe_psql('postgres', qq{
INSERT INTO cron.job_run_details (jobid, database, username, command, status,
                                  scheduled_for, start_time, end_time, attempt)
SELECT j, 'postgres', current_user, 'SELECT 1',
       CASE WHEN j = $kept AND d = 35 THEN 'running' ELSE 'succeeded' END,
       now() - d * interval '1 day', now() - d * interval '1 day',
       now() - d * interval '1 day', 1
FROM unnest(ARRAY[$kept, $gone]) j, generate_series(31, 40) d;
-- and recent history, which stays
INSERT INTO cron.job_run_details (jobid, database, username, command, status,
                                  scheduled_for, start_time, end_time, attempt)
SELECT $kept, 'postgres', current_user, 'SELECT 1', 'succeeded',
       now() - d * interval '1 hour', now() - d * interval '1 hour', now() - d * interval '1 hour', 1
FROM generate_series(100, 102) d;
});
# the newest row of 'kept' is then recent; make an old one the newest of a
# third job, to see the newest-row rule at work
my $lone = q1($node, q{SELECT cron.schedule('lone', '0 0 1 1 *', 'SELECT 1')});
$node->safe_psql('postgres', qq{
INSERT INTO cron.job_run_details (jobid, database, username, command, status,
                                  scheduled_for, start_time, end_time, attempt)
SELECT $lone, 'postgres', current_user, 'SELECT 1', 'failed',
       now() - d * interval '1 day', now() - d * interval '1 day', now() - d * interval '1 day', 1
FROM generate_series(50, 52) d;
});

# the default is 30 days; a reload makes the scheduler prune at once
$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
ok(wait_for($node, qq{SELECT count(*) = 0 FROM cron.job_run_details WHERE jobid = $gone}, 20),
	'all history of an unscheduled job older than 30 days is gone');
ok(wait_for($node, qq{SELECT count(*) = 4 FROM cron.job_run_details WHERE jobid = $kept}, 20),
	'old finished rows of a job are gone');
is(q1($node, qq{SELECT string_agg(status, ',' ORDER BY scheduled_for) FROM cron.job_run_details WHERE jobid = $kept}),
	'running,succeeded,succeeded,succeeded', 'the running row and the recent rows stay');
is(q1($node, qq{SELECT count(*) || ' ' || bool_and(scheduled_for < now() - interval '49 days')::text FROM cron.job_run_details WHERE jobid = $lone}),
	'1 true', 'the newest row of an existing job stays, however old');

# 0 keeps everything
$node->safe_psql('postgres', q{ALTER SYSTEM SET cron.history_retention = 0; SELECT pg_reload_conf()});
$node->safe_psql('postgres', qq{
INSERT INTO cron.job_run_details (jobid, database, username, command, status,
                                  scheduled_for, start_time, end_time, attempt)
VALUES ($kept, 'postgres', current_user, 'SELECT 1', 'succeeded',
        now() - interval '90 days', now() - interval '90 days', now() - interval '90 days', 1)});
ok(stays_false($node, qq{SELECT count(*) < 5 FROM cron.job_run_details WHERE jobid = $kept}, 3),
	'with cron.history_retention = 0 nothing is pruned');

$node->stop;
done_testing();
