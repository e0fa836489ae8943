
# 095_pooled_worker_rights.pl
#	  A run must see its role and database as a new session would at the
#	  time it starts, even when a job worker already connected for that
#	  role and database serves it: changes made between runs apply to the
#	  next run.  With a '1 seconds' job the worker never goes idle, so these
#	  are exactly the runs a pooled worker serves.
#	  - ALTER ROLE ... SET (a new session would get the new value)
#	  - REVOKE CONNECT on the database (a new session is refused)
#	  - ALTER ROLE ... NOLOGIN (a new session is refused)
#	  - ALTER ROLE ... NOSUPERUSER, REVOKE of a role membership (privileges)

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $node = cron_node('rights');
$node->safe_psql('postgres', q{
CREATE ROLE alice LOGIN;
CREATE ROLE boss LOGIN SUPERUSER;
CREATE ROLE reader NOLOGIN;
GRANT reader TO alice;
CREATE DATABASE other;
});
$node->safe_psql('other', q{
CREATE TABLE seen (job text, wm text, pid int, at timestamptz DEFAULT clock_timestamp());
GRANT INSERT ON seen TO alice;
CREATE TABLE secret (x int);
GRANT SELECT ON secret TO reader;
});

my %id = map { split /\|/ } qcol($node, q{
BEGIN;
SELECT 'wm', cron.schedule_in_database('wm', '1 seconds',
	$$INSERT INTO seen (job, wm, pid) VALUES ('wm', current_setting('work_mem'), pg_backend_pid())$$,
	'other', username => 'alice');
SELECT 'secret', cron.schedule_in_database('secret', '1 seconds', 'SELECT count(*) FROM secret',
	'other', username => 'alice');
SELECT 'boss', cron.schedule_in_database('boss', '1 seconds', $$SELECT pg_read_file('PG_VERSION')$$,
	'postgres', username => 'boss');
COMMIT;
});
ok(wait_for($node, qq{
	SELECT count(*) = 3 FROM unnest(ARRAY[$id{wm}, $id{secret}, $id{boss}]) j(id)
	WHERE (SELECT count(*) FROM cron.job_run_details d WHERE d.jobid = j.id AND d.status = 'succeeded') >= 2}, 10),
	'the jobs run');
my $pids = q1($node, q{SELECT count(DISTINCT pid) FROM seen}, 'other');
diag("alice's runs in 'other' were served by $pids worker process(es)");

# outcomes of a job's runs for slots at least 1 s after $t
sub after
{
	my ($job, $t) = @_;
	return qq{FROM cron.job_run_details WHERE jobid = $id{$job}
			  AND scheduled_for > '$t'::timestamptz + interval '1 second'
			  AND status NOT IN ('starting', 'running')};
}

# --- ALTER ROLE ... SET: the next runs get the new value
my $t = q1($node, q{ALTER ROLE alice SET work_mem = '77MB'; SELECT clock_timestamp()});
ok(wait_for($node, qq{SELECT count(*) >= 2 FROM seen WHERE job = 'wm' AND at > '$t'::timestamptz + interval '1 second'}, 10, 'other'),
	'runs after ALTER ROLE SET');
is(q1($node, qq{SELECT string_agg(DISTINCT wm, ',') FROM seen WHERE job = 'wm'
	AND at > '$t'::timestamptz + interval '1 second'}, 'other'),
	'77MB', 'runs after ALTER ROLE alice SET work_mem see the new value, as a new session would');
$node->safe_psql('postgres', 'ALTER ROLE alice RESET work_mem');

# --- REVOKE CONNECT: a new session of alice is refused, and so are her runs
$t = q1($node, q{REVOKE CONNECT ON DATABASE other FROM PUBLIC; SELECT clock_timestamp()});
my ($ret, $out, $err) = $node->psql('other', 'SELECT 1', extra_params => [ '-U', 'alice' ]);
like($err, qr/CONNECT privilege|permission denied/, 'alice can no longer connect to "other"');
ok(wait_for($node, 'SELECT count(*) >= 2 ' . after('wm', $t), 10), 'runs after REVOKE CONNECT');
is(q1($node, "SELECT count(*) " . after('wm', $t) . " AND status = 'succeeded'"), '0',
	'after REVOKE CONNECT no run of alice succeeds in "other"');
like(q1($node, "SELECT string_agg(DISTINCT return_message, ' | ') " . after('wm', $t)),
	qr/permission denied for database|CONNECT/, '... they fail, saying so');
$node->safe_psql('postgres', 'GRANT CONNECT ON DATABASE other TO PUBLIC');
$t = q1($node, 'SELECT clock_timestamp()');
ok(wait_for($node, "SELECT count(*) >= 1 " . after('wm', $t) . " AND status = 'succeeded'", 10),
	'with CONNECT granted again the runs succeed');

# --- NOLOGIN
$t = q1($node, q{ALTER ROLE alice NOLOGIN; SELECT clock_timestamp()});
ok(wait_for($node, 'SELECT count(*) >= 2 ' . after('wm', $t), 10), 'runs after NOLOGIN');
is(q1($node, "SELECT string_agg(DISTINCT status || ': ' || return_message, ' | ') " . after('wm', $t)),
	'failed: role "alice" is not permitted to log in', 'after NOLOGIN her runs fail, saying so');
$node->safe_psql('postgres', 'ALTER ROLE alice LOGIN');

# --- a role membership revoked
$t = q1($node, q{REVOKE reader FROM alice; SELECT clock_timestamp()});
ok(wait_for($node, 'SELECT count(*) >= 2 ' . after('secret', $t), 10), 'runs after REVOKE reader');
is(q1($node, "SELECT string_agg(DISTINCT status || ': ' || return_message, ' | ') " . after('secret', $t)),
	'failed: permission denied for table secret', 'after REVOKE reader FROM alice her runs lose its rights');

# --- superuser taken away
$t = q1($node, q{ALTER ROLE boss NOSUPERUSER; SELECT clock_timestamp()});
ok(wait_for($node, 'SELECT count(*) >= 2 ' . after('boss', $t), 10), 'runs after NOSUPERUSER');
is(q1($node, "SELECT string_agg(DISTINCT status || ': ' || return_message, ' | ') " . after('boss', $t)),
	'failed: permission denied for function pg_read_file', 'after NOSUPERUSER the runs lose superuser rights');

$node->stop;
done_testing();
