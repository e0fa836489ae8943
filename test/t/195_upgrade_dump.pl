
# 195_upgrade_dump.pl
#	  Versions and dumps.  A catalog created at 1.0 and updated to the
#	  current version equals a fresh install of it, object for object (every
#	  member of the extension as pg_dump --binary-upgrade writes it:
#	  definitions, privileges, comments, policies, triggers).  While the
#	  catalog is older than the library the scheduler says once what to run
#	  and runs nothing; after ALTER EXTENSION cronext UPDATE the jobs run.
#	  DROP EXTENSION cronext removes schema cron, so a role that had USAGE on
#	  it can then be dropped.  A pg_dump of a cronext database restores into
#	  another server with cronext preloaded: jobs, history and sequence
#	  positions, and the jobs run there as their owners.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $node = cron_node('upgrade');

# wait until the log from $off matches $re, at most $secs seconds
sub wait_log
{
	my ($n, $re, $off, $secs, $quiet) = @_;
	my $deadline = time() + $secs;
	while (time() < $deadline)
	{
		return 1 if log_since($n, $off) =~ $re;
		select(undef, undef, undef, 0.1);
	}
	diag("timed out waiting for $re in the log") unless $quiet;
	return 0;
}

# The extension's objects as pg_dump --binary-upgrade writes them, without
# what differs between two installs of the same objects: OIDs, frozen
# transaction ids, the OIDs of the configuration tables.
sub catalog_dump
{
	my ($n, $db) = @_;
	$db //= 'postgres';
	my ($stdout, $stderr);
	IPC::Run::run([ 'pg_dump', '--schema-only', '--binary-upgrade',
		'--exclude-table=public.eff', '-d', $n->connstr($db) ], '>', \$stdout, '2>', \$stderr)
	  or die "pg_dump failed: $stderr";
	my @keep;
	for (split /\n/, $stdout)
	{
		next if /^--/ || /^\\/ || /binary_upgrade_set_/;
		next if /relfrozenxid|^WHERE oid = /;
		# sequence positions are data, not definitions
		next if /pg_catalog\.setval\(/;
		s/'\{[0-9,]+\}'/'{configuration tables}'/ if /binary_upgrade_create_empty_extension/;
		push @keep, $_;
	}
	return join("\n", @keep);
}

my $fresh = catalog_dump($node);
like($fresh, qr/binary_upgrade_create_empty_extension\('cronext', 'pg_catalog'/,
	'the dump shows the extension');
like($fresh, qr/ALTER EXTENSION cronext ADD SCHEMA cron;/,
	'schema cron is a member of the extension');

# DROP EXTENSION removes schema cron; a role with grants on it can go
$node->safe_psql('postgres', q{
CREATE ROLE upg_user LOGIN;
GRANT USAGE ON SCHEMA cron TO upg_user;
GRANT EXECUTE ON FUNCTION cron.alter_job(bigint,text,text,text,text,boolean) TO upg_user;
DROP EXTENSION cronext;
});
is(q1($node, q{SELECT count(*) FROM pg_namespace WHERE nspname = 'cron'}), '0',
	'DROP EXTENSION cronext drops schema cron');
$node->safe_psql('postgres', 'DROP ROLE upg_user');
pass('a role that had privileges on schema cron can then be dropped');

# an existing schema cron is adopted only when it is empty, and nobody but
# its owner keeps CREATE on it (planted code would run inside cronext)
my ($ret, $out, $err) = $node->psql('postgres', q{
CREATE ROLE upg_planter LOGIN;
CREATE SCHEMA cron;
GRANT USAGE, CREATE ON SCHEMA cron TO upg_planter;
SET ROLE upg_planter;
CREATE FUNCTION cron._require(value text, name text) RETURNS void LANGUAGE sql AS 'SELECT';
RESET ROLE;
CREATE EXTENSION cronext;
});
like($err, qr/ERROR:  schema "cron" is not empty/, 'a schema cron that is not empty is not adopted');
($ret, $out, $err) = $node->psql('postgres', q{
DROP FUNCTION cron._require(text, text);
CREATE EXTENSION cronext;
});
is($ret, 0, 'an empty schema cron is adopted');
like($err, qr/WARNING:  CREATE on schema cron was revoked from upg_planter/,
	'with a warning that CREATE on it was revoked from the role that had it');
is(q1($node, q{SELECT has_schema_privilege('upg_planter', 'cron', 'CREATE') || ' ' ||
	has_schema_privilege('upg_planter', 'cron', 'USAGE')}), 'false true', '... which keeps USAGE');
$node->safe_psql('postgres', 'DROP EXTENSION cronext; DROP ROLE upg_planter');

# 1.3, the version before, then 1.2 and 1.1 (which could only be created
# in cron.database_name), each updated to the current version
for my $from ('1.3', '1.2', '1.1')
{
	$node->safe_psql('postgres', qq{
CREATE EXTENSION cronext VERSION '$from';
ALTER EXTENSION cronext UPDATE;
});
	my $updated = catalog_dump($node);
	is($updated, $fresh, "$from updated to 1.4 equals a fresh 1.4, object for object");
	show_first_difference($fresh, $updated);
	$node->safe_psql('postgres', 'DROP EXTENSION cronext');
}

# 1.0, then the current version
my $off = -s $node->logfile;
$node->safe_psql('postgres', q{
CREATE EXTENSION cronext VERSION '1.0';
CREATE TABLE eff (at timestamptz DEFAULT clock_timestamp());
SELECT cron.schedule('tick', '1 seconds', 'INSERT INTO eff DEFAULT VALUES', timezone => 'UTC');
});
ok(wait_log($node, qr/catalog in database "postgres" is version 1.0, older than this library's 1.4/, $off, 60),
	'the scheduler says the catalog is older than the library');
like(log_since($node, $off), qr/HINT:  Run ALTER EXTENSION cronext UPDATE in database "postgres"/,
	'and what to run');
ok(stays_false($node, 'SELECT count(*) > 0 FROM eff', 3),
	'no job runs while the catalog is older');

$node->safe_psql('postgres', 'ALTER EXTENSION cronext UPDATE');
is(q1($node, q{SELECT extversion || ' ' || extnamespace::regnamespace FROM pg_extension WHERE extname = 'cronext'}),
	'1.4 pg_catalog', 'updated to 1.4');
ok(wait_for($node, 'SELECT count(*) >= 2 FROM eff', 60), 'after the update the job runs');
is(wait_log_count($node, qr/older than this library/, $off), 1,
	'the scheduler said it once');

my $upgraded = catalog_dump($node);
is($upgraded, $fresh, '1.0 updated to 1.4 equals a fresh 1.4, object for object');
show_first_difference($fresh, $upgraded);

sub show_first_difference
{
	my ($fresh, $upgraded) = @_;
	return if $upgraded eq $fresh;
	my @a = split /\n/, $fresh;
	my @b = split /\n/, $upgraded;
	for my $i (0 .. ($#a > $#b ? $#a : $#b))
	{
		next if ($a[$i] // '') eq ($b[$i] // '');
		diag("first difference at line $i:\n fresh:    " . ($a[$i] // '')
			  . "\n upgraded: " . ($b[$i] // ''));
		last;
	}
}

# ---- cron.log_min_messages ----------------------------------------------
# A job the scheduler cannot schedule (written past the guard, as a takeover
# may keep one) draws a WARNING at each full reload; with
# cron.log_min_messages = error the scheduler keeps it to itself.
$node->safe_psql('postgres', q{
SET session_replication_role = replica;
INSERT INTO cron.job (jobid, schedule, command, username, roleid)
VALUES (9999, '*/60 * * * *', 'SELECT 1', 'postgres', 10);
RESET session_replication_role;
ALTER SYSTEM SET cron.log_min_messages = 'error';
SELECT pg_reload_conf();
});
ok(wait_for($node, q{SELECT setting = 'error' FROM pg_settings WHERE name = 'cron.log_min_messages'}, 30),
	'cron.log_min_messages = error');
# a marker in the log once the scheduler has done the reload: its own
# LOG lines pass any cron.log_min_messages below fatal
$off = -s $node->logfile;
$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
$node->safe_psql('postgres', q{SELECT cron.schedule('log-probe', '0 0 1 1 *', 'SELECT 1')});
ok(!wait_log($node, qr/WARNING:  cron job 9999 is not scheduled/, $off, 3, 'quiet'),
	'the scheduler logs no WARNING under cron.log_min_messages = error');
$node->safe_psql('postgres', q{
ALTER SYSTEM RESET cron.log_min_messages;
SELECT pg_reload_conf();
});
ok(wait_log($node, qr/WARNING:  cron job 9999 is not scheduled/, $off, 60),
	'and logs it again under the default, warning');
$node->safe_psql('postgres', q{DELETE FROM cron.job WHERE jobid = 9999; SELECT cron.unschedule('log-probe')});

# ---- dump and restore ---------------------------------------------------
$node->safe_psql('postgres', q{
SELECT cron.unschedule('tick');
CREATE ROLE upg_app LOGIN;
GRANT USAGE ON SCHEMA cron TO upg_app;
GRANT INSERT, SELECT ON eff TO upg_app;
});
$node->safe_psql('postgres', q{
SET ROLE upg_app;
SELECT cron.schedule('app-tick', '1 seconds', 'INSERT INTO eff DEFAULT VALUES');
SELECT cron.schedule('app-nightly', '0 3 * * *', 'SELECT 1', timezone => 'Europe/Paris', max_retries => 2);
RESET ROLE;
SELECT cron.schedule_in_database('su-weekly', '@weekly', 'VACUUM', 'postgres', active => false);
});
ok(wait_for($node, q{SELECT count(*) >= 2 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE j.jobname = 'app-tick' AND d.status = 'succeeded'}, 60), 'history to dump');
$node->safe_psql('postgres', q{SELECT cron.alter_job(jobid, active => false) FROM cron.job WHERE jobname = 'app-tick'});
ok(wait_for($node, q{SELECT count(*) = 0 FROM cron.job_run_details WHERE status IN ('starting', 'running')}, 60),
	'no run in flight');
# the sequences are ahead of the rows, as after unscheduled jobs and pruned runs
$node->safe_psql('postgres', q{SELECT nextval('cron.jobid_seq'), nextval('cron.runid_seq')});

my $jobs_q = q{SELECT jobid, jobname, schedule, command, database, username, active, timezone,
	max_retries FROM cron.job ORDER BY jobid};
my $runs_q = q{SELECT runid, jobid, status, return_message, start_time, end_time, scheduled_for,
	username FROM cron.job_run_details ORDER BY runid};
my $seq_q = q{SELECT (SELECT last_value FROM cron.jobid_seq) || ' ' || (SELECT last_value FROM cron.runid_seq)};
my ($jobs, $runs, $seqs) = map { q1($node, $_) } ($jobs_q, $runs_q, $seq_q);

my $dumpfile = $node->basedir . '/cronext.dump';
command_ok([ 'pg_dump', '-Fc', '-f', $dumpfile, '-d', $node->connstr('postgres') ],
	'pg_dump of the cronext database');

my $copy = PostgreSQL::Test::Cluster->new('restored');
$copy->init;
$copy->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cronext'
cron.database_name = 'postgres'
max_worker_processes = 32
});
$copy->start;
# roles are the cluster's, not the database's: a dump does not carry them
$copy->safe_psql('postgres', 'CREATE ROLE upg_app LOGIN');
($ret, $out, $err) = (0, '', '');
IPC::Run::run([ 'pg_restore', '--exit-on-error', '-d', $copy->connstr('postgres'), $dumpfile ],
	'>', \$out, '2>', \$err);
is($?, 0, 'pg_restore into a server with cronext preloaded') or diag($err);

is(q1($copy, $jobs_q), $jobs, 'jobs restored');
is(q1($copy, $runs_q), $runs, 'history restored');
is(q1($copy, $seq_q), $seqs, 'sequence positions restored');
is(q1($copy, q{SELECT count(*) FROM cron.job j JOIN pg_roles r ON r.oid = j.roleid AND r.rolname = j.username}),
	'3', 'every job belongs to its role in the new cluster');
is(q1($copy, q{SELECT extversion FROM pg_extension WHERE extname = 'cronext'}), '1.4',
	'the restored catalog is the current version');

# the restored jobs run there, as their owner, with new ids after the old
$copy->safe_psql('postgres', q{SELECT cron.alter_job(jobid, active => true) FROM cron.job WHERE jobname = 'app-tick'});
my ($old_job_seq, $old_run_seq) = split / /, $seqs;
ok(wait_for($copy, qq{SELECT count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	WHERE j.jobname = 'app-tick' AND d.status = 'succeeded' AND d.username = 'upg_app'
	  AND d.runid > $old_run_seq}, 60),
	'a restored job runs as its owner, its runs taking ids after the restored ones');
ok(q1($copy, q{SELECT cron.schedule('after-restore', '0 4 * * *', 'SELECT 1')}) > $old_job_seq,
	'new jobs take ids after the restored ones');

$copy->stop;
$node->stop;
done_testing();
