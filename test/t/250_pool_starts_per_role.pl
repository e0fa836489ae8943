
# 250_pool_starts_per_role.pl
#	  Job workers that cannot finish connecting (their database is locked:
#	  here an open ALTER DATABASE ... RENAME; in the wild CREATE DATABASE
#	  ... TEMPLATE x, ALTER DATABASE x SET TABLESPACE) hold back only the
#	  runs of their own database and role: the pool's limit on workers
#	  starting at once is per database and role.  (A first version had one
#	  limit for the server, and four such workers held back every run that
#	  needed a new worker: "one hanging job never blocks another".)

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $node = cron_node('starts_hol');

$node->safe_psql('postgres', q{
CREATE DATABASE x;
CREATE TABLE local_runs (t timestamptz);
SELECT cron.schedule_in_database('x' || i, '0 0 1 1 *', 'SELECT 1', 'x') FROM generate_series(1, 4) i;
SELECT cron.schedule('local', '0 0 1 1 *', 'INSERT INTO local_runs VALUES (clock_timestamp())');
});

# hold the database x lock (RowExclusive at connect conflicts with it)
my $holder = $node->background_psql('postgres');
$holder->query_safe('BEGIN');
$holder->query_safe('ALTER DATABASE x RENAME TO x_held');

$node->safe_psql('postgres', q{SELECT cron.run_job('x' || i) FROM generate_series(1, 4) i});
ok(wait_for($node, q{
	SELECT count(*) = 4 FROM pg_locks
	WHERE NOT granted AND locktype = 'object' AND classid = 'pg_database'::regclass}, 20),
	'four job workers wait to connect to database x');

# a run of another database's role: it needs a worker of its own
$node->safe_psql('postgres', q{SELECT cron.run_job('local')});
my $ran = wait_for($node, q{SELECT count(*) > 0 FROM local_runs}, 15);
ok($ran, 'a run in database postgres starts while database x is locked')
  or diag('local run: ' . q1($node, q{
	SELECT status || ' / ' || coalesce(return_message, '') FROM cron.job_run_details d
	JOIN cron.job j USING (jobid) WHERE j.jobname = 'local'}));

$holder->query_safe('ROLLBACK');
$holder->quit;
ok(wait_for($node, q{
	SELECT count(*) = 4 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE j.jobname LIKE 'x_' AND d.status = 'succeeded'}, 30),
	'the runs in database x run once its lock is gone');

$node->stop;
done_testing();
