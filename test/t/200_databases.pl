
# 200_databases.pl
#	  cronext in the application's own databases.  Two application
#	  databases each create the extension from their own role (a member of
#	  cron.creator_role) and declare their jobs there; each runs its own,
#	  in its own database, with its own scheduler, beside a pg_cron-style
#	  postgres catalog.  While jobs run: CREATE/DROP EXTENSION start and
#	  stop a scheduler within a second; DROP DATABASE without FORCE,
#	  ALTER DATABASE RENAME and CREATE DATABASE ... TEMPLATE succeed; a
#	  rename carries the jobs along; a copy runs none of the copied jobs
#	  until cron.adopt_copied_jobs(); a database that takes no connections
#	  runs nothing; a shortage of background workers is said, not hung on.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $node = cron_node('dbs', qq{
cron.creator_role = 'cron_creators'
});

# wait until the log from $off matches $re, at most $secs seconds
sub wait_log
{
	my ($n, $re, $off, $secs) = @_;
	my $deadline = time() + $secs;
	while (time() < $deadline)
	{
		return 1 if log_since($n, $off) =~ $re;
		select(undef, undef, undef, 0.1);
	}
	return 0;
}

sub scheduler_of
{
	my ($db) = @_;
	return q1($node, qq{SELECT count(*) FROM pg_stat_activity
		WHERE backend_type = 'cronext scheduler' AND datname = '$db'});
}

# the effects of a '1 seconds' job, by database
$node->safe_psql('postgres', q{
CREATE ROLE cron_creators NOLOGIN;
CREATE ROLE app1 LOGIN;
CREATE ROLE app2 LOGIN;
GRANT cron_creators TO app1, app2;
CREATE DATABASE app1 OWNER app1;
CREATE DATABASE app2 OWNER app2;
});

# ---- creating it: as a member of cron.creator_role, not as anyone ------
my ($ret, $out, $err) = $node->psql('app1', 'SET ROLE app2; CREATE EXTENSION cronext');
like($err, qr/permission denied to create database|permission denied for database|permission denied to create extension/,
	'a role without CREATE on the database cannot create it');
$node->safe_psql('postgres', 'CREATE ROLE outsider LOGIN; GRANT CREATE ON DATABASE app1 TO outsider');
($ret, $out, $err) = $node->psql('app1', 'SET ROLE outsider; CREATE EXTENSION cronext');
like($err, qr/ERROR:  permission denied to create extension "cronext"\n.*cron.creator_role/s,
	'nor one outside cron.creator_role, told why');

for my $db ('app1', 'app2')
{
	my $t0 = time();
	# app1 schedules one by one, app2 declares its jobs as a deploy would
	my $declare = $db eq 'app1'
	  ? q{SELECT cron.schedule('tick', '1 seconds', 'INSERT INTO ticks (slot) VALUES (current_setting(''cron.scheduled_for''))')}
	  : q{SELECT action FROM cron.apply_jobs('app', '[{"job_name": "tick", "schedule": "1 seconds",
		  "command": "INSERT INTO ticks (slot) VALUES (current_setting(''cron.scheduled_for''))"}]')};
	$node->safe_psql($db, qq{
SET ROLE $db;
CREATE EXTENSION cronext;
CREATE TABLE ticks (db text DEFAULT current_database(), slot text, at timestamptz DEFAULT clock_timestamp());
$declare;
});
	ok(wait_for($node, qq{SELECT count(*) = 1 FROM pg_stat_activity
		WHERE backend_type = 'cronext scheduler' AND datname = '$db'}, 10),
		"$db: its scheduler started after CREATE EXTENSION");
	cmp_ok(time() - $t0, '<=', 3, "$db: within moments");
}
ok(wait_for($node, q{SELECT count(*) >= 2 FROM ticks}, 30, 'app1'), 'app1: its job runs, in app1');
ok(wait_for($node, q{SELECT count(*) >= 2 FROM ticks}, 30, 'app2'), 'app2: its job runs, in app2');
is(q1($node, q{SELECT string_agg(DISTINCT username || '@' || database, ',') FROM cron.job}, 'app1'), 'app1@app1',
	'app1 sees only its own catalog: one job, its role, its database');
is(q1($node, q{SELECT count(*) FROM cron.job}), '0', 'postgres has its own, empty catalog');
is(q1($node, q{SELECT count(*) FROM cron.job_run_details WHERE status = 'succeeded'}, 'app2') > 0 ? 1 : 0, 1,
	'app2 has its own ledger');
is(q1($node, q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'cronext launcher'}), '1',
	'one launcher for the cluster');

# the pg_cron way keeps working beside them: postgres runs a job in app2
$node->safe_psql('postgres', q{
SELECT cron.schedule_in_database('from-postgres', '1 seconds', 'INSERT INTO ticks (slot) VALUES (''from-postgres'')', 'app2');
});
ok(wait_for($node, q{SELECT count(*) > 0 FROM ticks WHERE slot = 'from-postgres'}, 30, 'app2'),
	'a job of the postgres catalog runs in app2 (schedule_in_database)');
$node->safe_psql('postgres', q{SELECT cron.unschedule('from-postgres')});

# ---- idle cost: a scheduler with nothing due sleeps ----------------------
# (the busy ones above tick every second; a database with one nightly job
# is what idle means)

# ---- one database's scheduler leaves the others' runs alone ---------------
# (a starting scheduler stops the workers an earlier scheduler of its own
# database left, not those of other databases; a role that may not drop or
# rename a database cannot make its scheduler leave by trying)
$node->safe_psql('app1', q{SET ROLE app1;
SELECT cron.schedule('slow', '1 seconds', 'SELECT pg_sleep(4)')});
ok(wait_for($node, q{SELECT count(*) = 1 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE j.jobname = 'slow' AND d.status = 'running'}, 30, 'app1'), 'app1: a slow run is running');
my $app1_sched = q1($node, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler' AND datname = 'app1'});
$node->safe_psql('postgres', 'CREATE DATABASE app3');
$node->safe_psql('app3', 'CREATE EXTENSION cronext');
ok(wait_for($node, q{SELECT count(*) = 1 FROM pg_stat_activity
	WHERE backend_type = 'cronext scheduler' AND datname = 'app3'}, 10), 'app3: its scheduler started');
for (1 .. 5)
{
	$node->psql('app2', 'SET ROLE outsider; DROP DATABASE app1', on_error_stop => 0);
	$node->psql('app2', 'SET ROLE outsider; ALTER DATABASE app1 RENAME TO nope', on_error_stop => 0);
}
ok(wait_for($node, q{SELECT count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE j.jobname = 'slow' AND d.status IN ('succeeded', 'failed')}, 30, 'app1'), 'app1: the slow run ended');
is(q1($node, q{SELECT string_agg(DISTINCT d.status, ',') FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE j.jobname = 'slow' AND d.status IN ('succeeded', 'failed')}, 'app1'), 'succeeded',
	'app1: its run was not cut short by app3\'s scheduler starting, nor by failed DROP/RENAME attempts');
is(q1($node, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler' AND datname = 'app1'}),
	$app1_sched, 'app1: its scheduler is the same process');
$node->safe_psql('app1', q{SET ROLE app1; SELECT cron.unschedule('slow')});
($ret, $out, $err) = $node->psql('app3', 'SET ROLE outsider; CREATE EXTENSION IF NOT EXISTS cronext');
is($ret, 0, 'CREATE EXTENSION IF NOT EXISTS of an installed cronext is a no-op for anyone') or diag($err);
$node->safe_psql('postgres', 'DROP DATABASE app3');

# ---- DROP EXTENSION stops it, CREATE starts it again ----------------------
my $t0 = time();
$node->safe_psql('app2', 'DROP EXTENSION cronext CASCADE');
ok(wait_for($node, q{SELECT count(*) = 0 FROM pg_stat_activity
	WHERE backend_type = 'cronext scheduler' AND datname = 'app2'}, 10),
	'app2: DROP EXTENSION stops its scheduler');
cmp_ok(time() - $t0, '<=', 3, 'within moments');
$node->safe_psql('app2', q{
CREATE EXTENSION cronext;
SELECT cron.schedule('tick', '1 seconds', 'INSERT INTO ticks (slot) VALUES (current_setting(''cron.scheduled_for''))');
});
ok(wait_for($node, q{SELECT count(*) > 0 FROM cron.job_run_details WHERE status = 'succeeded'}, 30, 'app2'),
	'app2: after CREATE EXTENSION again its new job runs');

# ---- ALTER DATABASE RENAME while its scheduler runs -----------------------
($ret, $out, $err) = $node->psql('postgres', 'ALTER DATABASE app2 RENAME TO app2b');
is($ret, 0, 'ALTER DATABASE app2 RENAME succeeds while its scheduler runs') or diag($err);
ok(wait_for($node, q{SELECT database = 'app2b' FROM cron.job WHERE jobname = 'tick'}, 30, 'app2b'),
	'the renamed database\'s jobs follow the new name');
my $n_before = q1($node, q{SELECT count(*) FROM cron.job_run_details WHERE status = 'succeeded'}, 'app2b');
ok(wait_for($node, qq{SELECT count(*) > $n_before + 1 FROM cron.job_run_details WHERE status = 'succeeded'}, 30, 'app2b'),
	'and go on running there');
is(q1($node, q{SELECT count(*) FROM cron.job_run_details WHERE status = 'failed'}, 'app2b'), '0',
	'no run failed for the rename');

# ---- CREATE DATABASE ... TEMPLATE of a database with jobs ----------------
($ret, $out, $err) = $node->psql('postgres', 'CREATE DATABASE app2copy TEMPLATE app2b');
is($ret, 0, 'CREATE DATABASE ... TEMPLATE app2b succeeds while its scheduler runs') or diag($err);
my $copied = q1($node, q{SELECT count(*) FROM ticks}, 'app2copy');
ok(wait_log($node, qr/WARNING:  database "app2copy" is a copy of database "app2b": none of its cronext jobs runs/, 0, 10),
	'the copy\'s scheduler says it is a copy');
ok(stays_false($node, qq{SELECT count(*) > $copied FROM ticks}, 3, 'app2copy'),
	'the copy runs none of the copied jobs');
ok(wait_for($node, q{SELECT count(*) = 0 FROM pg_stat_activity
	WHERE backend_type = 'cronext scheduler' AND datname = 'app2copy'}, 10),
	'and keeps no scheduler process');
ok(wait_for($node, q{SELECT count(*) = 1 FROM pg_stat_activity
	WHERE backend_type = 'cronext scheduler' AND datname = 'app2b'}, 10),
	'the template\'s scheduler is back');
$n_before = q1($node, q{SELECT count(*) FROM ticks}, 'app2b');
ok(wait_for($node, qq{SELECT count(*) > $n_before FROM ticks}, 30, 'app2b'), 'and its jobs run');

is(q1($node, q{SELECT cron.adopt_copied_jobs()}, 'app2copy'), '1', 'cron.adopt_copied_jobs() in the copy');
is(q1($node, q{SELECT string_agg(database || ' ' || active, ',') FROM cron.job}, 'app2copy'), 'app2copy false',
	'its jobs now name the copy, paused');
$node->safe_psql('app2copy', q{UPDATE cron.job SET active = true});
ok(wait_for($node, qq{SELECT count(*) > $copied FROM ticks}, 30, 'app2copy'),
	'resumed, the copy runs its own jobs');
($ret, $out, $err) = $node->psql('app2copy', 'SELECT cron.adopt_copied_jobs()');
like($err, qr/is not a copy/, 'adopting twice is refused');

# ---- DROP DATABASE without FORCE while its scheduler runs ----------------
($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE app2copy');
is($ret, 0, 'DROP DATABASE app2copy (no FORCE) succeeds while its scheduler runs') or diag($err);
ok(wait_for($node, q{SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = 'app2copy'}, 10),
	'nothing of cronext is left connected to it');

# ---- a database that takes no connections --------------------------------
$node->safe_psql('postgres', 'ALTER DATABASE app1 ALLOW_CONNECTIONS false');
$node->restart;
my $log_off = 0;
ok(wait_for($node, q{SELECT count(*) = 1 FROM pg_stat_activity
	WHERE backend_type = 'cronext scheduler' AND datname = 'app2b'}, 30),
	'after a restart, app2b\'s scheduler runs');
is(scheduler_of('app1'), '0', 'app1, which takes no connections, has none');
$node->safe_psql('postgres', 'ALTER DATABASE app1 ALLOW_CONNECTIONS true');
ok(wait_for($node, q{SELECT count(*) = 1 FROM pg_stat_activity
	WHERE backend_type = 'cronext scheduler' AND datname = 'app1'}, 10),
	'once it takes connections again, its scheduler starts');
$n_before = q1($node, q{SELECT count(*) FROM ticks}, 'app1');
ok(wait_for($node, qq{SELECT count(*) > $n_before FROM ticks}, 30, 'app1'), 'and its jobs run');

# ---- no background worker free ------------------------------------------
$log_off = -s $node->logfile;
$node->append_conf('postgresql.conf', "max_worker_processes = 3\n");
$node->restart;
# launcher + logical replication launcher + one scheduler: the other waits
ok(wait_for($node, q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'}, 30),
	'max_worker_processes = 3: one scheduler runs');
ok(wait_log($node, qr/WARNING:  cronext cannot start the scheduler of database "\w+": no background worker slot is free \(max_worker_processes = 3\)/, $log_off, 10),
	'the other databases\' schedulers are said to wait for a free background worker');
is(wait_log_count($node, qr/cannot start the scheduler of database/, $log_off), 1,
	'once, not every second');
$node->append_conf('postgresql.conf', "max_worker_processes = 64\n");
$node->restart;
ok(wait_for($node, q{SELECT count(*) = 3 FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'}, 30),
	'with room again, every database with cronext has its scheduler');

$node->stop;
done_testing();
