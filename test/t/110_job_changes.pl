# The scheduler learns of every committed change to cron.job, whatever its
# shape: a one-row edit (only that job is re-read), a bulk insert larger
# than the change list it keeps in shared memory (all jobs are re-read),
# TRUNCATE, and DROP/CREATE EXTENSION between two of its passes.
use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $node = cron_node('changes');
$node->safe_psql('postgres', q{CREATE TABLE t (x int, at timestamptz DEFAULT clock_timestamp())});

# a one-row edit applies to the next run, and leaves the other job alone
$node->safe_psql('postgres', q{
SELECT cron.schedule('a', '1 seconds', 'INSERT INTO t (x) VALUES (1)');
SELECT cron.schedule('b', '1 seconds', 'INSERT INTO t (x) VALUES (2)');
});
ok(wait_for($node, q{SELECT count(DISTINCT x) = 2 FROM t}, 15), 'both jobs run');
my $edited = q1($node, q{UPDATE cron.job SET command = 'INSERT INTO t (x) VALUES (3)' WHERE jobname = 'a'; SELECT clock_timestamp()});
ok(wait_for($node, qq{SELECT EXISTS (SELECT 1 FROM t WHERE x = 3)}, 15), 'the edited command runs');
ok(wait_for($node, qq{SELECT count(*) >= 2 FROM t WHERE x = 2 AND at > '$edited'}, 15),
	'the other job keeps running');
is(q1($node, qq{SELECT count(*) FROM t WHERE x = 1 AND at > '$edited'::timestamptz + interval '1.5 s'}),
	'0', 'the old command no longer runs');

# a bulk insert beyond the shared change list: every new job is known
$node->safe_psql('postgres', q{
INSERT INTO cron.job (schedule, command, jobname)
SELECT '0 0 1 1 *', 'INSERT INTO t (x) VALUES (100)', 'bulk' || g FROM generate_series(1, 3000) g;
});
my $last = q1($node, q{SELECT max(jobid) FROM cron.job});
my $runid = q1($node, "SELECT cron.run_job($last)");
ok($runid > 0, 'the last of 3000 bulk-inserted jobs is known to the scheduler');
ok(wait_for($node, qq{SELECT status = 'succeeded' FROM cron.job_run_details WHERE runid = $runid}, 15),
	'and runs');

# TRUNCATE stops every job
my $truncated = q1($node, q{TRUNCATE cron.job; SELECT clock_timestamp()});
ok(stays_false($node, qq{SELECT EXISTS (SELECT 1 FROM t WHERE at > '$truncated'::timestamptz + interval '1 s')}, 3),
	'no job runs after TRUNCATE cron.job');

# DROP and CREATE EXTENSION at once: only the new extension's jobs run,
# even when the new job reuses an old jobid
$node->safe_psql('postgres', q{
SELECT cron.schedule('old1', '1 seconds', 'INSERT INTO t (x) VALUES (11)');
SELECT cron.schedule('old2', '1 seconds', 'INSERT INTO t (x) VALUES (12)');
});
ok(wait_for($node, q{SELECT count(DISTINCT x) = 2 FROM t WHERE x IN (11, 12)}, 15), 'old jobs run');
$node->safe_psql('postgres', q{
DROP EXTENSION cronext;
CREATE EXTENSION cronext;
SELECT cron.schedule('new', '1 seconds', 'INSERT INTO t (x) VALUES (21)');
});
my $recreated = q1($node, q{SELECT clock_timestamp()});
ok(wait_for($node, qq{SELECT count(*) >= 2 FROM t WHERE x = 21}, 15), 'the new job runs');
is(q1($node, qq{SELECT count(*) FROM t WHERE x IN (11, 12) AND at > '$recreated'::timestamptz + interval '1 s'}),
	'0', 'jobs of the dropped extension run no more');

$node->stop;
done_testing();
