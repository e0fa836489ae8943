# Runs served one after another by the same pooled job worker each start in
# a clean session: no setting, temporary table, prepared statement, cursor,
# advisory lock or SET ROLE survives from the run before.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('clean');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cronext'
cron.database_name = 'postgres'
max_worker_processes = 16
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION cronext;
CREATE ROLE regress_other;
CREATE TABLE seen (pid int, work_mem text, role text, temp_tables int,
                   prepared int, cursors int, locks int, at timestamptz DEFAULT clock_timestamp());
GRANT ALL ON seen TO PUBLIC;
});

# Each run first records what it inherited, then dirties the session in
# every way a later run could notice.
my $command = q{
INSERT INTO seen (pid, work_mem, role, temp_tables, prepared, cursors, locks)
SELECT pg_backend_pid(), current_setting('work_mem'), current_user,
       (SELECT count(*) FROM pg_class WHERE relpersistence = 't'),
       (SELECT count(*) FROM pg_prepared_statements),
       (SELECT count(*) FROM pg_cursors),
       (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid());
SET work_mem = '77MB';
CREATE TEMP TABLE leftover (x int);
PREPARE leftover_stmt AS SELECT 1;
DECLARE leftover_cur CURSOR WITH HOLD FOR SELECT 1;
SELECT pg_advisory_lock(42);
SET ROLE regress_other;
};
$command =~ s/'/''/g;
$node->safe_psql('postgres',
	"SELECT cron.schedule('dirty', '1 seconds', '$command')");

# wait until one worker has served at least three runs
ok($node->poll_query_until('postgres',
		q{SELECT coalesce(max(n), 0) >= 3 FROM (SELECT count(*) AS n FROM seen GROUP BY pid) s}),
	'one job worker served several runs');

is($node->safe_psql('postgres',
		q{SELECT count(*) FROM cron.job_run_details WHERE status = 'failed'}),
	'0', 'no run failed (a leftover temp table, statement or cursor would make it fail)');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM seen
		  WHERE work_mem <> '4MB' OR role <> current_user OR temp_tables <> 0
		     OR prepared <> 0 OR cursors <> 0 OR locks <> 0}),
	'0', 'every run started with default settings, its own role, no temp table, statement, cursor or advisory lock');

$node->stop;
done_testing();
