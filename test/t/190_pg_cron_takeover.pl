
# 190_pg_cron_takeover.pl
#	  CREATE EXTENSION cronext in a database where pg_cron ran takes it over:
#	  jobs (ids, names, schedules, owners, databases, active flags), the whole
#	  run history (runs in flight end as failed, scheduled_for is derived),
#	  the id sequences, privileges on functions, tables and the schema; pg_cron's
#	  extension is gone without a trace and schema cron belongs to cronext; one
#	  NOTICE says what happened; a takeover that cannot be done changes
#	  nothing; the taken-over jobs run under cronext as their owners.
#
# Two servers, each first preloading pg_cron (the Debian package, 1.4-1)
# and letting it run jobs for real, then restarted with cronext preloaded:
#  - "pgcron14": the main scenario on pg_cron 1.4-1 as installed.
#  - "pgcron16": pg_cron 1.6's catalog shape, made by hand from 1.4-1 (see
#	 there): pg_cron 1.6 is not packaged for Debian 12 and this suite cannot
#	 reach its source.
#
# Everything the takeover is compared with is saved (into public.snap_*
# tables) after the restart with cronext preloaded and before CREATE
# EXTENSION: pg_cron no longer runs then, so nothing changes underneath.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use CronextTest;

my $t_start = time();

# ----------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------

# a started node that preloads pg_cron; its jobs run in background workers
# (pg_cron's libpq mode would need a password-less TCP or socket set-up)
sub pg_cron_node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 32
log_min_messages = info
log_line_prefix = '%m [%p] %b '
});
	$node->start;
	return $node;
}

# stop the node and start it again with cronext preloaded instead of
# pg_cron (pg_cron's own settings stay in postgresql.conf, as an admin
# switching would leave them); wait until cronext's scheduler has said
# that pg_cron is installed and no job runs
sub switch_to_cronext
{
	my ($node, $version, $mode) = @_;
	$node->stop($mode // 'fast');
	$node->adjust_conf('postgresql.conf', 'shared_preload_libraries', "'cronext'");
	my $off = -s $node->logfile;
	$node->start;
	ok(wait_log($node, qr/has pg_cron \Q$version\E installed but not cronext: no job runs/, $off, 60),
		"$node->{_name}: before CREATE EXTENSION, the cronext scheduler warns that pg_cron $version is installed and runs nothing");
}

# wait (bounded) until the server log from $off matches $re
sub wait_log
{
	my ($node, $re, $off, $timeout) = @_;
	my $deadline = time() + ($timeout // 60);
	while (time() < $deadline)
	{
		return 1 if log_since($node, $off) =~ $re;
		usleep(100_000);
	}
	diag("timed out waiting for log line $re");
	return 0;
}

# the SQLSTATE of $sql run as $user ('ok' when it succeeds)
sub sqlstate
{
	my ($node, $sql, $user, $db) = @_;
	my ($ret, $out, $err) = $node->psql($db // 'postgres', "\\set VERBOSITY verbose\n$sql",
		extra_params => [ '-U', $user ]);
	return 'ok' if $ret == 0;
	return $1 if $err =~ /ERROR:\s+([0-9A-Z]{5}):/;
	return "no SQLSTATE in: $err";
}

# run $sql as $user, return its output
sub as_user
{
	my ($node, $user, $sql, $db) = @_;
	return $node->safe_psql($db // 'postgres', $sql, extra_params => [ '-U', $user ]);
}

# Save what pg_cron left, before CREATE EXTENSION cronext: its jobs, runs,
# sequence positions, the extension's and schema's identity, and every
# privilege on its functions, tables, columns and the schema.
sub snapshot
{
	my ($node) = @_;
	$node->safe_psql('postgres', q{
CREATE TABLE public.snap_job AS
	SELECT jobid, schedule, command, nodename, nodeport, database, username, active,
		   jobname::text AS jobname
	FROM cron.job;
CREATE TABLE public.snap_run AS SELECT * FROM cron.job_run_details;
CREATE TABLE public.snap_state AS
	SELECT e.oid AS ext_oid, e.extversion,
		   n.oid AS nsp_oid, n.nspowner, n.nspacl::text AS nspacl,
		   (SELECT CASE WHEN is_called THEN last_value END FROM cron.jobid_seq) AS jobid_last,
		   (SELECT CASE WHEN is_called THEN last_value END FROM cron.runid_seq) AS runid_last
	FROM pg_extension e, pg_namespace n
	WHERE e.extname = 'pg_cron' AND n.nspname = 'cron';
/* pg_cron's functions: signature, and every privilege (owner's aside) */
CREATE TABLE public.snap_fsig AS
	SELECT p.proname::text AS name, pg_catalog.oidvectortypes(p.proargtypes) AS args
	FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
		AND d.deptype = 'e'
		AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_cron');
CREATE TABLE public.snap_facl AS
	SELECT p.proname::text AS name, pg_catalog.oidvectortypes(p.proargtypes) AS args,
		   CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END AS grantee,
		   pg_get_userbyid(x.grantor)::text AS grantor, x.privilege_type, x.is_grantable
	FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
	WHERE p.pronamespace = 'cron'::regnamespace AND x.grantee <> p.proowner;
/* tables and sequences, and their columns */
CREATE TABLE public.snap_tacl AS
	SELECT c.relname::text AS relname,
		   CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END AS grantee,
		   x.privilege_type, x.is_grantable
	FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) x
	WHERE c.relnamespace = 'cron'::regnamespace
	  AND c.relname IN ('job', 'job_run_details', 'jobid_seq', 'runid_seq')
	  AND x.grantee <> c.relowner;
CREATE TABLE public.snap_cacl AS
	SELECT c.relname::text AS relname, a.attname::text AS attname,
		   CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END AS grantee,
		   x.privilege_type, x.is_grantable
	FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid, aclexplode(a.attacl) x
	WHERE c.relnamespace = 'cron'::regnamespace
	  AND c.relname IN ('job', 'job_run_details') AND a.attacl IS NOT NULL;
});
}

# CREATE EXTENSION cronext in a transaction that also reads the time of the
# takeover and where both sequences stand right after it.  Returns
# (now, runid_seq "last_value is_called", jobid_seq ..., psql's stderr).
sub take_over
{
	my ($node) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', q{
BEGIN;
CREATE EXTENSION cronext;
SELECT now();
-- as "the last value given, t": the takeover sets the next value (is_called false)
SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END || ' t' FROM cron.runid_seq;
SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END || ' t' FROM cron.jobid_seq;
COMMIT;
});
	is($ret, 0, "$node->{_name}: CREATE EXTENSION cronext succeeds") or diag($err);
	my ($now, $runseq, $jobseq) = split /\n/, $out // '';
	return ($now, $runseq, $jobseq, $err // '');
}

# The checks every takeover must pass: the extension swap, jobs, history,
# sequences and privileges, against the snapshot.
sub check_takeover
{
	my ($node, $version, $now, $runseq, $jobseq, $err, $exclude) = @_;
	my $n = $node->{_name};
	# runs checked on their own by the caller (see cron.history_retention below)
	$exclude //= '0';

	# --- the NOTICE
	my @notices = ($err =~ /^(?:psql:\S+ )?NOTICE:\s+(.*)$/mg);
	is(scalar @notices, 1, "$n: exactly one NOTICE") or diag($err);
	my ($njobs, $nruns, $ninflight) = split /\|/, q1($node, q{
		SELECT (SELECT count(*) FROM snap_job), (SELECT count(*) FROM snap_run),
			   (SELECT count(*) FROM snap_run
				WHERE status IS NULL OR status NOT IN ('succeeded', 'failed'))});
	like($err, qr/^(?:psql:\S+ )?NOTICE:\s+cronext took over pg_cron \Q$version\E: $njobs jobs, $nruns runs of history \($ninflight in flight, now failed\)$/m,
		"$n: NOTICE: took over pg_cron $version: $njobs jobs, $nruns runs of history ($ninflight in flight)");
	like($err, qr/^DETAIL:\s+\S/m, "$n: the NOTICE has a DETAIL");
	unlike($err, qr/^(?:psql:\S+ )?(WARNING|ERROR):/m, "$n: no warning or error from CREATE EXTENSION");

	# --- pg_cron's extension is gone without a trace; schema cron is kept and is cronext's
	my $ext_oid = q1($node, 'SELECT ext_oid FROM snap_state');
	is(q1($node, q{SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'}), '0',
		"$n: pg_cron is gone from pg_extension");
	is(q1($node, qq{SELECT count(*) FROM pg_depend
		WHERE (refclassid = 'pg_extension'::regclass AND refobjid = $ext_oid)
		   OR (classid = 'pg_extension'::regclass AND objid = $ext_oid)}), '0',
		"$n: no pg_depend row references pg_cron's extension");
	is(q1($node, q{SELECT extversion FROM pg_extension WHERE extname = 'cronext'}), '1.4',
		"$n: cronext 1.4 is installed");
	is(q1($node, q{SELECT n.oid = s.nsp_oid AND n.nspowner = s.nspowner
						  AND n.nspacl::text IS NOT DISTINCT FROM s.nspacl
				   FROM pg_namespace n, snap_state s WHERE n.nspname = 'cron'}), 't',
		"$n: schema cron is the same schema, same owner, same privileges");
	is(q1($node, q{SELECT string_agg(e.extname, ',') FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
				   WHERE d.classid = 'pg_namespace'::regclass AND d.objid = 'cron'::regnamespace
					 AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'}), 'cronext',
		"$n: schema cron is a member of extension cronext (and of no other)");
	is(q1($node, q{SELECT count(*) FROM pg_class WHERE relnamespace = 'cron'::regnamespace
				   AND relname LIKE '%takeover%'}), '0', "$n: no work table of the takeover is left");

	# --- jobs: every column pg_cron had, row by row
	my $jobcols = 'jobid, jobname, schedule, command, database, username, active, nodename, nodeport';
	is(q1($node, qq{SELECT count(*) FROM (
		(SELECT $jobcols FROM snap_job EXCEPT SELECT $jobcols FROM cron.job)
		UNION ALL
		(SELECT $jobcols FROM cron.job EXCEPT SELECT $jobcols FROM snap_job)) x}), '0',
		"$n: cron.job holds exactly pg_cron's jobs (jobid, jobname, schedule, command, database, username, active)")
	  or diag(q1($node, qq{SELECT string_agg(x::text, E'\n') FROM (
		(SELECT 'lost', $jobcols FROM snap_job EXCEPT SELECT 'lost', $jobcols FROM cron.job)
		UNION ALL
		(SELECT 'new', $jobcols FROM cron.job EXCEPT SELECT 'new', $jobcols FROM snap_job)) x}));
	is(q1($node, q{SELECT count(*) FROM cron.job j
		WHERE j.roleid IS DISTINCT FROM (SELECT r.oid FROM pg_roles r WHERE r.rolname = j.username)}), '0',
		"$n: each job's roleid is its role's OID (NULL when the role is gone)");

	# --- history: finished runs unchanged, in-flight runs failed, nothing lost
	my $runcols = 'runid, jobid, job_pid, database, username, command, status, return_message, start_time, end_time';
	is(q1($node, qq{SELECT count(*) FROM (
		SELECT $runcols FROM snap_run WHERE status IN ('succeeded', 'failed') AND runid NOT IN ($exclude)
		EXCEPT SELECT $runcols FROM cron.job_run_details) x}), '0',
		"$n: every finished run is kept with its runid, jobid, pid, database, user, command, status, message, start and end")
	  or diag(q1($node, qq{SELECT string_agg(x::text, E'\n') FROM (
		SELECT $runcols FROM snap_run WHERE status IN ('succeeded', 'failed') AND runid NOT IN ($exclude)
		EXCEPT SELECT $runcols FROM cron.job_run_details) x}));
	is(q1($node, qq{SELECT count(*) FROM snap_run s LEFT JOIN cron.job_run_details d USING (runid)
		WHERE d.runid IS NULL AND s.runid NOT IN ($exclude)}), '0', "$n: no run of pg_cron's history is missing");
	is(q1($node, q{SELECT count(*) FROM cron.job_run_details d
		WHERE d.runid <= (SELECT max(runid) FROM snap_run)
		  AND NOT EXISTS (SELECT 1 FROM snap_run s WHERE s.runid = d.runid)}), '0',
		"$n: no run was added among pg_cron's runids");
	my $bad_inflight = q1($node, qq{
		SELECT string_agg(s.runid || ': ' || coalesce(d.status, '<null>') || ' / ' || coalesce(d.return_message, '<null>')
						  || ' / end ' || coalesce(d.end_time::text, '<null>'), E'\n')
		FROM snap_run s JOIN cron.job_run_details d USING (runid)
		WHERE (s.status IS NULL OR s.status NOT IN ('succeeded', 'failed'))
		  AND NOT (d.status = 'failed'
				   AND d.return_message ~ 'switched from pg_cron to cronext'
				   AND d.return_message ~ ('[(]pg_cron: ' || coalesce(s.status, 'no status'))
				   AND d.end_time IS NOT DISTINCT FROM s.end_time
				   AND d.start_time IS NOT DISTINCT FROM s.start_time
				   AND d.jobid IS NOT DISTINCT FROM s.jobid
				   AND d.username IS NOT DISTINCT FROM s.username
				   AND d.command IS NOT DISTINCT FROM s.command
				   AND d.database IS NOT DISTINCT FROM s.database
				   AND d.job_pid IS NOT DISTINCT FROM s.job_pid)});
	is($bad_inflight, '', "$n: runs in flight under pg_cron ($ninflight) are failed, saying the server switched from pg_cron to cronext, their end unknown (NULL) unless pg_cron had one, pg_cron's status in the message, the rest kept");
	# scheduled_for: start_time, else end_time, else the takeover's now, to
	# the second; the later runid of one job in the same second +1 us each
	my $bad_slot = q1($node, qq{
		WITH e AS (
			SELECT runid, jobid, date_trunc('second', coalesce(start_time, end_time, '$now'::timestamptz)) AS sec
			FROM snap_run),
		x AS (
			SELECT runid, sec + (row_number() OVER (PARTITION BY jobid, sec ORDER BY runid) - 1)
							   * interval '1 microsecond' AS expected
			FROM e)
		SELECT string_agg(x.runid || ': expected ' || x.expected || ', got ' || d.scheduled_for, E'\n')
		FROM x JOIN cron.job_run_details d USING (runid)
		WHERE d.scheduled_for IS DISTINCT FROM x.expected});
	is($bad_slot, '', "$n: scheduled_for of every taken-over run follows the rule");
	is(q1($node, q{SELECT count(*) FROM cron.job_run_details d JOIN snap_run s USING (runid)
		WHERE d.roleid IS DISTINCT FROM (SELECT r.oid FROM pg_roles r WHERE r.rolname = d.username)}), '0',
		"$n: each taken-over run's roleid is its role's OID (NULL when gone)");

	# --- sequences: right after CREATE EXTENSION, at the higher of pg_cron's
	# position and the highest id
	my $exp_run = q1($node, q{SELECT greatest((SELECT runid_last FROM snap_state), (SELECT max(runid) FROM snap_run))});
	my $exp_job = q1($node, q{SELECT greatest((SELECT jobid_last FROM snap_state), (SELECT max(jobid) FROM snap_job))});
	is($runseq, "$exp_run t", "$n: runid_seq continues after $exp_run");
	is($jobseq, "$exp_job t", "$n: jobid_seq continues after $exp_job");

	# --- privileges on pg_cron's functions: cronext's function of the same
	# name and argument types has pg_cron's ACL.  job_cache_invalidate() is
	# left out here: cronext keeps it revoked from PUBLIC on purpose (a
	# trigger function anyone may attach to a table of their own).
	my $facl = q{
		SELECT p.proname::text AS name, pg_catalog.oidvectortypes(p.proargtypes) AS args,
			   CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END AS grantee,
			   pg_get_userbyid(x.grantor)::text AS grantor, x.privilege_type, x.is_grantable
		FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
		WHERE p.pronamespace = 'cron'::regnamespace AND x.grantee <> p.proowner};
	my $sigs = q{SELECT name, args FROM snap_fsig
		WHERE name <> 'job_cache_invalidate'
		  AND to_regprocedure(format('cron.%I(%s)', name, args)) IS NOT NULL};
	my $missing_sigs = q1($node, q{SELECT string_agg(format('cron.%I(%s)', name, args), ', ') FROM snap_fsig
		WHERE to_regprocedure(format('cron.%I(%s)', name, args)) IS NULL AND args !~ '\mname\M'});
	is($missing_sigs, '', "$n: every function of pg_cron (but those taking a name) exists with the same signature");
	my $diff = q1($node, qq{
		WITH s AS ($sigs),
		old AS (SELECT a.name, a.args, a.grantee, a.privilege_type, a.is_grantable FROM snap_facl a JOIN s USING (name, args)),
		new AS (SELECT a.name, a.args, a.grantee, a.privilege_type, a.is_grantable FROM ($facl) a JOIN s USING (name, args))
		SELECT string_agg(x::text, E'\n') FROM (
			(SELECT 'lost' AS d, * FROM old EXCEPT SELECT 'lost', * FROM new)
			UNION ALL
			(SELECT 'added', * FROM new EXCEPT SELECT 'added', * FROM old)) x});
	is($diff, '', "$n: every function with pg_cron's signature has pg_cron's grants (grantee, privilege, grant option)");
	$diff = q1($node, qq{
		WITH s AS ($sigs),
		old AS (SELECT a.* FROM snap_facl a JOIN s USING (name, args)),
		new AS (SELECT a.* FROM ($facl) a JOIN s USING (name, args))
		SELECT string_agg(x::text, E'\n') FROM (
			(SELECT 'lost' AS d, * FROM old EXCEPT SELECT 'lost', * FROM new)
			UNION ALL
			(SELECT 'added', * FROM new EXCEPT SELECT 'added', * FROM old)) x});
	# a grant made by a role WITH GRANT OPTION (app2 to sub) keeps its
	# grantor, so REVOKE ... FROM app2 CASCADE still reaches sub
	is($diff, '', "$n: ... and the same grantors (pg_cron's ACL exactly)");

	# --- tables and sequences: grants to roles beyond PUBLIC are carried;
	# PUBLIC's SELECT on cron.job and cron.job_run_details is as it was
	my $tacl = q{
		SELECT c.relname::text AS relname,
			   CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END AS grantee,
			   x.privilege_type, x.is_grantable
		FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) x
		WHERE c.relnamespace = 'cron'::regnamespace
		  AND c.relname IN ('job', 'job_run_details', 'jobid_seq', 'runid_seq')
		  AND x.grantee <> c.relowner};
	# (except what would let a role write, empty or lock the ledger for
	# everybody: checked below for dashboard)
	is(q1($node, qq{SELECT string_agg(x::text, E'\n') FROM (
		SELECT * FROM snap_tacl WHERE grantee <> 'PUBLIC'
		  AND (relname, privilege_type) NOT IN (('job_run_details', 'INSERT'), ('job_run_details', 'UPDATE'),
			  ('job_run_details', 'DELETE'), ('job_run_details', 'TRUNCATE'), ('job_run_details', 'TRIGGER'),
			  ('job_run_details', 'REFERENCES'), ('job', 'TRUNCATE'), ('job', 'TRIGGER'), ('job', 'REFERENCES'))
		EXCEPT SELECT * FROM ($tacl) t) x}), '',
		"$n: every table and sequence grant to a role is carried (but those on the ledger's writes)");
	is(q1($node, qq{SELECT string_agg(x::text, E'\n') FROM (
		(SELECT * FROM snap_tacl WHERE grantee = 'PUBLIC' AND privilege_type = 'SELECT' AND relname IN ('job', 'job_run_details')
		 EXCEPT SELECT * FROM ($tacl) t WHERE grantee = 'PUBLIC')
		UNION ALL
		(SELECT * FROM ($tacl) t WHERE grantee = 'PUBLIC' AND privilege_type = 'SELECT' AND relname IN ('job', 'job_run_details')
		 EXCEPT SELECT * FROM snap_tacl)) x}), '',
		"$n: PUBLIC has SELECT on cron.job and cron.job_run_details exactly when it had under pg_cron");
}

# The new cronext runs of job $jobid: at least $min succeeded, all as the
# job's owner; every run after the takeover succeeded.
sub new_runs_ok
{
	my ($node, $name, $jobid, $user, $min) = @_;
	my $maxold = q1($node, 'SELECT max(runid) FROM snap_run');
	ok(wait_for($node, qq{
		SELECT count(*) >= $min FROM cron.job_run_details
		WHERE jobid = $jobid AND runid > $maxold AND status = 'succeeded'}, 60),
		"$node->{_name}: $name runs under cronext ($min runs succeeded)");
	is(q1($node, qq{SELECT string_agg(DISTINCT status || ' as ' || username || ' (' || (roleid = '$user'::regrole) || ')', ', ')
		FROM cron.job_run_details WHERE jobid = $jobid AND runid > $maxold AND status NOT IN ('starting', 'running')}),
		"succeeded as $user (true)", "$node->{_name}: $name: its cronext runs succeeded, as $user");
}

# ======================================================================
# pg_cron 1.4-1: the main scenario
# ======================================================================

# pg_cron 1.4 has no 'N seconds' schedules (they came with 1.5) and runs
# minute schedules on the minute: its real history here comes from
# '@reboot' / '@restart' jobs, which it runs as soon as it starts.
my $node = pg_cron_node('pgcron14');
my $su = q1($node, 'SELECT current_user');

$node->safe_psql('postgres', q{
CREATE EXTENSION pg_cron;
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
CREATE ROLE app LOGIN;
CREATE ROLE monitor LOGIN;
CREATE ROLE "Ops Team" LOGIN;
CREATE ROLE ghost LOGIN;
GRANT USAGE ON SCHEMA cron TO alice, app, "Ops Team";
CREATE TABLE public.alice_tab (cu text, at timestamptz DEFAULT clock_timestamp());
ALTER TABLE public.alice_tab OWNER TO alice;
CREATE TABLE public.reboot_log (job text, at timestamptz DEFAULT clock_timestamp());
CREATE DATABASE other;
CREATE DATABASE gone;
});
is(q1($node, q{SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'}), '1.4-1', 'pg_cron 1.4-1 installed');
$node->safe_psql('other', q{
CREATE TABLE public.bob_tab (cu text, db text, at timestamptz DEFAULT clock_timestamp());
ALTER TABLE public.bob_tab OWNER TO bob;
});

# alice schedules her own jobs (one named like bob's, one unnamed)
my $alice_boot = as_user($node, 'alice', q{
	SELECT cron.schedule('alice-boot', '@reboot', $$INSERT INTO public.alice_tab (cu) VALUES (current_user)$$)});
as_user($node, 'alice', q{SELECT cron.schedule('dup', '0 5 * * *', 'SELECT 1')});
as_user($node, 'alice', q{SELECT cron.schedule('30 4 * * 1', 'SELECT 2')});

my %id = map { split /\|/ } qcol($node, q{
SELECT 'bob-boot', cron.schedule_in_database('bob-boot', '@reboot',
	$$INSERT INTO public.bob_tab (cu, db) VALUES (current_user, current_database())$$, 'other', 'bob');
SELECT 'bob-dup', cron.schedule_in_database('dup', '0 6 * * *', 'SELECT 1', 'postgres', 'bob');
SELECT 'su-fail', cron.schedule('su-fail', '@reboot', 'SELECT 1/0');
SELECT 'sleeper', cron.schedule('sleeper', '@restart', 'SELECT pg_sleep(600)');
SELECT 'reboot', cron.schedule('reboot', '@reboot', $$INSERT INTO public.reboot_log (job) VALUES ('reboot')$$);
SELECT 'ops', cron.schedule_in_database('ops-job', '0 3 * * *', 'SELECT 3', 'postgres', 'Ops Team', false);
SELECT 'ghost', cron.schedule_in_database('ghost-job', '* * * * *', 'SELECT 4', 'postgres', 'ghost', false);
SELECT 'gone', cron.schedule_in_database('gone-db', '* * * * *', 'SELECT 5', 'gone', NULL, false);
SELECT 'feb30', cron.schedule('feb30', '0 0 30 2 *', 'SELECT 6');
SELECT 'temp', cron.schedule('temp', '0 0 1 1 *', 'SELECT 7');
});
$id{'alice-boot'} = $alice_boot;

# the job with the highest id is unscheduled: pg_cron's sequence is ahead
# of the highest jobid.  gone's database is dropped with the job still
# there (pg_cron allows it), then the job switched on; so is ghost's
# (its role is dropped once pg_cron is down: pg_cron 1.4's launcher exits
# at 'role "ghost" does not exist' when it reads the jobs, and restarted a
# second later it would mark the run in flight as failed).
$node->safe_psql('postgres', qq{
SELECT cron.unschedule('temp');
DROP DATABASE gone;
UPDATE cron.job SET active = true WHERE jobid IN ($id{ghost}, $id{gone});
});

# privileges an administrator set for pg_cron
$node->safe_psql('postgres', q{
REVOKE EXECUTE ON FUNCTION cron.schedule(text,text,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cron.schedule(text,text,text) TO app;
GRANT EXECUTE ON FUNCTION cron.alter_job(bigint,text,text,text,text,boolean) TO "Ops Team";
GRANT EXECUTE ON FUNCTION cron.schedule_in_database(text,text,text,text,text,boolean) TO app WITH GRANT OPTION;
GRANT SELECT ON cron.job_run_details TO monitor;
GRANT SELECT ON cron.job TO monitor WITH GRANT OPTION;
GRANT SELECT ON SEQUENCE cron.runid_seq TO monitor;
});

# pg_cron runs its @reboot/@restart jobs for real at its next start; the
# sleeper's run is going when the server stops
$node->restart;
ok(wait_for($node, qq{
	SELECT (SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{'alice-boot'} AND status = 'succeeded') = 1
	   AND (SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{'bob-boot'} AND status = 'succeeded') = 1
	   AND (SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{reboot} AND status = 'succeeded') = 1
	   AND (SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{'su-fail'} AND status = 'failed') = 1
	   AND (SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{sleeper} AND status = 'running') = 1}, 60),
	'pg_cron ran the jobs: succeeded and failed runs, and one run going');
is(q1($node, qq{SELECT string_agg(username || ' ' || return_message, ',' ORDER BY runid) FROM cron.job_run_details
	WHERE jobid IN ($id{'alice-boot'}, $id{'bob-boot'})} =~ s/ORDER BY runid/ORDER BY username/r), 'alice INSERT 0 1,bob INSERT 0 1',
	"pg_cron ran alice's and bob's jobs as themselves");
# a job unscheduled with history left behind; the sleeper paused while its run goes on
$node->safe_psql('postgres', qq{
SELECT cron.unschedule($id{'su-fail'});
SELECT cron.alter_job($id{sleeper}, active := false);
});


# The server goes down hard, so that pg_cron leaves its run in flight
# (on a fast shutdown pg_cron 1.4 records the run it loses as failed).
switch_to_cronext($node, '1.4-1', 'immediate');

# The role of ghost-job goes, its job left behind (pg_cron allows it)
$node->safe_psql('postgres', 'DROP ROLE ghost');

# Rows pg_cron could have left, written directly (pg_cron no longer runs):
# runs in flight in each of pg_cron's states, and runs of one job in the
# same second, the later runid starting earlier in that second (dated
# yesterday: well within cron.history_retention, see pgcron16 for older).
my $D = q1($node, q{SELECT to_char((now() AT TIME ZONE 'UTC') - interval '1 day', 'YYYY-MM-DD')});
my @hand = qcol($node, qq{
INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, start_time, end_time)
VALUES
	($id{sleeper}, NULL, 'postgres', '$su', 'SELECT 8', 'starting', NULL, NULL, NULL),
	($id{sleeper}, NULL, 'postgres', '$su', 'SELECT 8', 'starting', NULL, NULL, NULL),
	($id{sleeper}, 4242, 'postgres', '$su', 'SELECT 8', 'running', NULL, '$D 04:05:06.7+00', NULL),
	($id{sleeper}, NULL, 'postgres', '$su', 'SELECT 8', 'connecting', NULL, '$D 04:05:06.2+00', NULL),
	($id{sleeper}, NULL, 'postgres', '$su', 'SELECT 8', 'sending', NULL, '$D 04:05:06.9+00', NULL),
	($id{sleeper}, NULL, 'postgres', '$su', 'SELECT 8', NULL, NULL, '$D 05:00:00+00', NULL),
	($id{sleeper}, 4243, 'postgres', '$su', 'SELECT 8', 'succeeded', 'SELECT 1', NULL, '$D 06:00:00.5+00'),
	($id{sleeper}, 4244, 'postgres', '$su', 'SELECT 8', 'failed', 'boom', '$D 07:00:00.999999+00', '$D 07:00:01.5+00')
RETURNING runid;
});
# a run of alice's job in the same second as the real one of pg_cron's
my $same_sec = q1($node, qq{
INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, start_time, end_time)
SELECT jobid, 4245, database, username, command, 'failed', 'same second', date_trunc('second', start_time) + interval '0.000001 s',
	   date_trunc('second', start_time) + interval '0.000002 s'
FROM cron.job_run_details WHERE jobid = $id{'alice-boot'} AND status = 'succeeded'
ORDER BY runid DESC LIMIT 1
RETURNING runid;
});
# pg_cron's runid sequence ahead of the highest runid (rows deleted)
$node->safe_psql('postgres', q{SELECT count(nextval('cron.runid_seq')) FROM generate_series(1, 25)});

snapshot($node);
diag("pg_cron left " . q1($node, q{SELECT count(*) FROM snap_run}) . " runs, statuses: "
	. q1($node, q{SELECT string_agg(s || ' ' || n, ', ') FROM (SELECT coalesce(status, '<null>') s, count(*) n FROM snap_run GROUP BY 1) x}));
is(q1($node, qq{SELECT count(*) FROM snap_run WHERE jobid = $id{sleeper} AND runid < $hand[0]
	AND status NOT IN ('succeeded', 'failed')}), '1', "the sleeper's real run was still in flight when pg_cron stopped");
my $alice_runs_before = as_user($node, 'alice', q{SELECT string_agg(runid::text, ',' ORDER BY runid) FROM cron.job_run_details});
my $alice_jobs_before = as_user($node, 'alice', q{SELECT string_agg(jobid::text, ',' ORDER BY jobid) FROM cron.job});
my ($dump_before) = run_command([ 'pg_dump', '--schema-only', '-d', $node->connstr('postgres') ]);

# --- a takeover that cannot be done changes nothing: a user view on
# cron.job and a foreign key to it would be dropped with pg_cron's tables
$node->safe_psql('postgres', q{
CREATE VIEW public.v AS SELECT * FROM cron.job;
CREATE TABLE public.notes (jobid bigint REFERENCES cron.job (jobid));
});
my $ext_state = q{SELECT e.oid || ' ' || e.extversion || ' ' ||
	(SELECT count(*) FROM pg_depend d WHERE d.refobjid = e.oid AND d.deptype = 'e')
	FROM pg_extension e WHERE e.extname = 'pg_cron'};
my $ext_before = q1($node, $ext_state);
my $acl_state = q{SELECT string_agg(p.oid || ' ' || coalesce(p.proacl::text, '-'), ',' ORDER BY p.oid)
	FROM pg_proc p WHERE p.pronamespace = 'cron'::regnamespace};
my $acl_before = q1($node, $acl_state);
my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\nCREATE EXTENSION cronext");
isnt($ret, 0, 'CREATE EXTENSION cronext fails while a view and a foreign key depend on cron.job');
like($err, qr/ERROR:\s+2BP01: cannot take over pg_cron/, 'the error is 2BP01, "cannot take over pg_cron ..."');
like($err, qr/view (public\.)?v depends on table cron\.job/, 'the error names the view to drop') or diag($err);
like($err, qr/notes_jobid_fkey on table public\.notes/, '... and the foreign key') or diag($err);
is(q1($node, $ext_state), $ext_before, 'pg_cron is still installed, with all its members');
is(q1($node, q{SELECT count(*) FROM pg_extension WHERE extname = 'cronext'}), '0', 'cronext is not installed');
is(q1($node, q{SELECT e.extname FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
	WHERE d.classid = 'pg_namespace'::regclass AND d.objid = 'cron'::regnamespace AND d.deptype = 'e'}),
	'pg_cron', 'schema cron still belongs to pg_cron');
is(q1($node, q{SELECT count(*) FROM (
	(SELECT jobid, schedule, command, nodename, nodeport, database, username, active, jobname::text FROM cron.job
	 EXCEPT SELECT * FROM snap_job)
	UNION ALL (SELECT * FROM snap_job EXCEPT
	 SELECT jobid, schedule, command, nodename, nodeport, database, username, active, jobname::text FROM cron.job)) x}),
	'0', "pg_cron's jobs are untouched");
is(q1($node, q{SELECT count(*) FROM (
	(SELECT * FROM cron.job_run_details EXCEPT SELECT * FROM snap_run)
	UNION ALL (SELECT * FROM snap_run EXCEPT SELECT * FROM cron.job_run_details)) x}),
	'0', "pg_cron's history is untouched");
is(q1($node, q{SELECT (SELECT last_value || CASE WHEN is_called THEN ' t' ELSE ' f' END FROM cron.jobid_seq) || ' / ' ||
	(SELECT last_value || CASE WHEN is_called THEN ' t' ELSE ' f' END FROM cron.runid_seq)}),
	q1($node, q{SELECT coalesce(jobid_last::text, '?') || ' t / ' || coalesce(runid_last::text, '?') || ' t' FROM snap_state}),
	"pg_cron's sequences are untouched");
is(q1($node, $acl_state), $acl_before, "pg_cron's function privileges are untouched");
is(q1($node, q{SELECT count(*) FROM pg_class WHERE relname LIKE '%takeover%'}), '0', 'no work table is left');
$node->safe_psql('postgres', 'DROP VIEW public.v; DROP TABLE public.notes');

# --- the takeover
my ($now, $runseq, $jobseq, $notice) = take_over($node);
diag("takeover at $now:\n$notice");
check_takeover($node, '1.4-1', $now, $runseq, $jobseq, $notice);

# the NOTICE's DETAIL lists the jobs that cannot run as they are
like($notice, qr/job $id{ghost} \(role "?ghost"? does not exist\)/, 'DETAIL: the job whose role is gone is listed');
like($notice, qr/job $id{feb30}\b/, "DETAIL: the job whose schedule cronext refuses ('0 0 30 2 *') is listed");
unlike($notice, qr/job $id{'alice-boot'}\b/, 'DETAIL: a good job is not listed');
is(q1($node, qq{SELECT roleid IS NULL AND username = 'ghost' FROM cron.job WHERE jobid = $id{ghost}}), 't',
	"the gone role's job is kept, with roleid NULL");

# the hand-made rows, one by one
my $slot = sub { q1($node, "SELECT scheduled_for AT TIME ZONE 'UTC' FROM cron.job_run_details WHERE runid = $_[0]") };
# (the sleeper's real run may have started in the takeover's second too)
my $k = q1($node, qq{SELECT count(*) FROM snap_run WHERE jobid = $id{sleeper} AND runid < $hand[0]
	AND date_trunc('second', coalesce(start_time, end_time, '$now')) = date_trunc('second', '$now'::timestamptz)});
my $us = sub { q1($node, "SELECT (date_trunc('second', '$now'::timestamptz) + $_[0] * interval '1 microsecond') AT TIME ZONE 'UTC'") };
is($slot->($hand[0]), $us->($k), "in flight, no start or end time: scheduled_for is the takeover's time, to the second (+$k us)");
is($slot->($hand[1]), $us->($k + 1), '... the later runid of the same job in the same second: +1 us more');
is($slot->($hand[2]), "$D 04:05:06", 'start_time .7 of a second: its second');
is($slot->($hand[3]), "$D 04:05:06.000001", 'same second, later runid (though it started earlier): +1 us');
is($slot->($hand[4]), "$D 04:05:06.000002", 'a third run in that second: +2 us');
is($slot->($hand[5]), "$D 05:00:00", 'status NULL, whole second');
is($slot->($hand[6]), "$D 06:00:00", 'no start_time: end_time to the second');
is($slot->($hand[7]), "$D 07:00:00", 'start_time .999999: its second, not the next');
is(q1($node, qq{SELECT status || ' ' || return_message || ' ' || (end_time AT TIME ZONE 'UTC') FROM cron.job_run_details WHERE runid = $hand[6]}),
	"succeeded SELECT 1 $D 06:00:00.5", 'a finished run without start_time keeps its status, message and end');
is(q1($node, qq{SELECT d.scheduled_for - (SELECT p.scheduled_for FROM cron.job_run_details p
		WHERE p.jobid = d.jobid AND p.runid < d.runid AND date_trunc('second', p.start_time) = date_trunc('second', d.start_time)
		ORDER BY p.runid DESC LIMIT 1)
	FROM cron.job_run_details d WHERE d.runid = $same_sec}), '00:00:00.000001',
	'a run in the same second as a real pg_cron run of the job: +1 us after it');
is(q1($node, q{SELECT count(*) - count(DISTINCT (jobid, scheduled_for)) FROM cron.job_run_details}), '0',
	'no (jobid, scheduled_for) twice');

# alice sees what she saw under pg_cron (row-level security by owner)
my $maxold = q1($node, 'SELECT max(runid) FROM snap_run');
is(as_user($node, 'alice', "SELECT string_agg(runid::text, ',' ORDER BY runid) FROM cron.job_run_details WHERE runid <= $maxold"),
	$alice_runs_before, 'alice sees exactly her runs of pg_cron\'s history');
is(as_user($node, 'alice', q{SELECT string_agg(jobid::text, ',' ORDER BY jobid) FROM cron.job}),
	$alice_jobs_before, 'alice sees exactly her jobs');

# --- privileges at work
my $exp_jobid = (split / /, $jobseq)[0] + 1;
is(as_user($node, 'app', q{SELECT cron.schedule('app-job', '0 0 1 1 *', 'SELECT 1')}), $exp_jobid,
	"a new job (app's, allowed by its grant) gets the id after pg_cron's sequence position ($exp_jobid)");
is(sqlstate($node, q{SELECT cron.schedule('app-opt', '0 0 1 1 *', 'SELECT 1', timezone => 'UTC')}, 'app'), 'ok',
	'app may use the overload with options too');
is(sqlstate($node, q{SELECT cron.schedule('alice-new', '0 0 1 1 *', 'SELECT 1')}, 'alice'), '42501',
	"EXECUTE on cron.schedule(text,text,text) stays revoked: alice gets 42501");
is(sqlstate($node, q{SELECT cron.schedule('alice-new', '0 0 1 1 *', 'SELECT 1', timezone => 'UTC')}, 'alice'), '42501',
	'... and 42501 from the overload with options');
is(sqlstate($node, q{SELECT cron.schedule_at('alice-once', now() + interval '1 day', 'SELECT 1')}, 'alice'), '42501',
	'... and from cron.schedule_at');
is(sqlstate($node, qq{SELECT cron.alter_job($id{'alice-boot'}, active := true)}, 'alice'), '42501',
	"alter_job is revoked from PUBLIC as in pg_cron: alice gets 42501");
is(sqlstate($node, qq{SELECT cron.update_job($id{'alice-boot'}, timezone => 'UTC')}, 'alice'), '42501',
	'... and 42501 from cron.update_job');
is(sqlstate($node, q{SELECT cron.schedule_in_database('a-db', '0 0 1 1 *', 'SELECT 1', 'postgres')}, 'alice'), '42501',
	'schedule_in_database is revoked from PUBLIC as in pg_cron: alice gets 42501');
is(sqlstate($node, q{SELECT cron.schedule_in_database('a-db', '0 0 1 1 *', 'SELECT 1', 'postgres', timezone => 'UTC')}, 'alice'), '42501',
	'... and 42501 from its overload with options');
is(sqlstate($node, q{SELECT cron.schedule_in_database('app-db', '0 0 1 1 *', 'SELECT 1', 'postgres', timezone => 'UTC')}, 'app'), 'ok',
	"app's grant on schedule_in_database covers its overload with options");
is(sqlstate($node, qq{SELECT cron.alter_job($id{ops}, schedule := '0 4 * * *')}, 'Ops Team'), 'ok',
	'"Ops Team", granted alter_job, may alter its job');
is(sqlstate($node, qq{SELECT cron.update_job($id{ops}, timezone => 'UTC')}, 'Ops Team'), 'ok',
	'... and use cron.update_job');
is(sqlstate($node, q{SELECT cron.unschedule(cron.schedule('30 4 * * 2', 'SELECT 9'))}, 'alice'), 'ok',
	'alice may still schedule an unnamed job and unschedule it (PUBLIC, as in pg_cron)');
is(q1($node, q{SELECT has_table_privilege('monitor', 'cron.job_run_details', 'SELECT')
	AND has_table_privilege('monitor', 'cron.job', 'SELECT WITH GRANT OPTION')
	AND has_sequence_privilege('monitor', 'cron.runid_seq', 'SELECT')}), 't',
	"monitor's grants on cron.job_run_details, cron.job (with grant option) and runid_seq are carried");
is(as_user($node, 'alice', q{SELECT has_schema_privilege('cron', 'USAGE')}), 't', 'USAGE on schema cron stays');

# Privileges are kept through pg_dump as well: under pg_cron, pg_dump wrote
# the administrator's grants and revokes; after the takeover it must still
# (else a dump restored elsewhere gives EXECUTE on cron.schedule back to
# PUBLIC and loses the other grants).
my ($dump_after) = run_command([ 'pg_dump', '--schema-only', '-d', $node->connstr('postgres') ]);
for my $re (
	qr/^REVOKE ALL ON FUNCTION cron\.schedule\(job_name text, schedule text, command text\) FROM PUBLIC;$/m,
	qr/^GRANT ALL ON FUNCTION cron\.schedule\(job_name text, schedule text, command text\) TO app;$/m,
	qr/^GRANT ALL ON FUNCTION cron\.alter_job\(.*\) TO "Ops Team";$/m,
	qr/^GRANT USAGE ON SCHEMA cron TO alice;$/m,
	qr/^GRANT SELECT ON TABLE cron\.job_run_details TO monitor;$/m)
{
	ok($dump_before =~ $re, "pg_dump under pg_cron: $re");
	# the takeover's GRANT/REVOKE run inside CREATE EXTENSION, where
	# PostgreSQL records privileges as the extension's initial ones
	# (pg_init_privs), which pg_dump leaves out: they must still be dumped
	ok($dump_after =~ $re, "pg_dump after the takeover still writes it: $re");
}

# cron.job_status computes the next run of every active job: a taken-over
# schedule cronext refuses (listed in the NOTICE) must not make the whole
# view fail
# (next_run is read, else the planner need not compute it)
my ($st_ret, $st_out, $st_err) = $node->psql('postgres', 'SELECT count(*) FROM cron.job_status WHERE next_run IS NULL OR next_run IS NOT NULL');
is($st_ret . ' ' . ($st_out // ''), '0 ' . q1($node, 'SELECT count(*) FROM cron.job'),
	'cron.job_status lists every job, the taken-over ones included') or diag($st_err);
is(sqlstate($node, qq{SELECT cron.alter_job($id{feb30}, active := false)}, $su), 'ok',
	'the job with the refused schedule can be paused');
# a taken-over job whose role is gone has roleid NULL: it can still be
# paused or changed (the guard looks the role up again only when it
# exists or the owner changes)
is(sqlstate($node, qq{SELECT cron.alter_job($id{ghost}, active := false)}, $su), 'ok',
	"the gone role's job can be paused");
is(q1($node, q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'}), '1',
	'the scheduler is running');
unlike(log_since($node, 0), qr/terminated by signal|server process .* was terminated|PANIC/,
	'no process crashed');

# --- a restart under cronext: the @reboot and @restart jobs run once, as
# their owners, alice's and bob's too; the history stays intact
$node->safe_psql('postgres', qq{SELECT cron.alter_job($id{sleeper}, command := 'SELECT 10', active := true)});
$node->restart;
my $started = q1($node, 'SELECT pg_postmaster_start_time()');
my $boot = join ',', map { $id{$_} } qw(alice-boot bob-boot reboot sleeper);
ok(wait_for($node, qq{SELECT count(*) = 4 FROM cron.job_run_details WHERE jobid IN ($boot)
	AND scheduled_for = '$started' AND status NOT IN ('starting', 'running')}, 60),
	"after a restart under cronext, pg_cron's \@reboot and \@restart jobs ran");
is(q1($node, qq{SELECT string_agg(jobid || ' ' || status || ' ' || username || ' ' || (roleid = username::regrole), ', ' ORDER BY jobid)
	FROM cron.job_run_details WHERE jobid IN ($boot) AND runid > (SELECT max(runid) FROM snap_run)}),
	join(', ', map { "$id{$_->[0]} succeeded $_->[1] true" }
		sort { $id{$a->[0]} <=> $id{$b->[0]} } ([ 'alice-boot', 'alice' ], [ 'bob-boot', 'bob' ], [ 'reboot', $su ], [ 'sleeper', $su ])),
	'... once each, succeeded, each as its owner');
is(q1($node, q{SELECT string_agg(cu, ',') FROM alice_tab WHERE at > pg_postmaster_start_time()}), 'alice',
	"alice's job inserted into her table, as alice");
is(q1($node, q{SELECT string_agg(cu || '@' || db, ',') FROM bob_tab WHERE at > pg_postmaster_start_time()}, 'other'), 'bob@other',
	"bob's job inserted into his table in database other, as bob");
is(q1($node, q{SELECT count(*) FROM reboot_log WHERE at > pg_postmaster_start_time()}), '1', 'the superuser\'s @reboot job ran once');
is(q1($node, qq{SELECT min(runid) FROM cron.job_run_details WHERE runid > (SELECT max(runid) FROM snap_run)}),
	(split / /, $runseq)[0] + 1, "the first run under cronext has the runid after pg_cron's sequence position");
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid IN ($id{feb30}, $id{ops})
	AND runid > (SELECT max(runid) FROM snap_run)}), '0', 'the never-firing job and the inactive job do not run');
is(q1($node, q{SELECT count(*) FROM (
	SELECT runid, jobid, job_pid, database, username, command, status, return_message, start_time, end_time
	FROM snap_run WHERE status IN ('succeeded', 'failed')
	EXCEPT SELECT runid, jobid, job_pid, database, username, command, status, return_message, start_time, end_time
	FROM cron.job_run_details) x}), '0', "pg_cron's finished runs are still intact after the restart");
is(q1($node, q{SELECT count(*) FROM cron.job_run_details d JOIN snap_run s USING (runid)
	WHERE (s.status IS NULL OR s.status NOT IN ('succeeded', 'failed'))
	  AND (d.status <> 'failed' OR d.return_message !~ 'switched from pg_cron to cronext')}), '0',
	'... and the failed in-flight runs kept their message');
$node->stop;


# ======================================================================
# pg_cron 1.6's shape, made by hand: pg_cron 1.6 is not packaged for
# Debian 12 and this suite cannot reach its source.  1.5 and 1.6 differ
# from 1.4-1 in SQL only by: cron.job.jobname is text (was name),
# cron.unschedule(name) is replaced by cron.unschedule(job_name text) (C
# function cron_unschedule_named), and the extension's namespace is
# pg_catalog (1.6's control file).  The shape is made while pg_cron is
# preloaded (a C function of pg_cron can only be created then), right
# before the server stops, since pg_cron 1.4's C code expects a name.
# Jobs with 'N seconds' schedules (1.5 and later) are written directly
# once pg_cron no longer runs: 1.4's C code cannot read them.
# ======================================================================

my $n6 = pg_cron_node('pgcron16');
$n6->safe_psql('postgres', q{
CREATE EXTENSION pg_cron;
CREATE ROLE dana LOGIN;
CREATE ROLE eve LOGIN;
CREATE ROLE app2 LOGIN;
CREATE ROLE sub LOGIN;
CREATE ROLE dashboard LOGIN;
GRANT USAGE ON SCHEMA cron TO dana, app2;
CREATE TABLE public.dana_tab (cu text, at timestamptz DEFAULT clock_timestamp());
ALTER TABLE public.dana_tab OWNER TO dana;
CREATE DATABASE other2;
/* a job whose id an administrator chose, far above the sequence */
INSERT INTO cron.job (jobid, schedule, command, jobname, nodeport)
VALUES (500, '0 1 * * *', 'SELECT 500', 'explicit-500', current_setting('port')::int);
});
$n6->safe_psql('other2', q{
CREATE TABLE public.eve_tab (cu text, db text, at timestamptz DEFAULT clock_timestamp());
ALTER TABLE public.eve_tab OWNER TO eve;
});
my $dana_boot = as_user($n6, 'dana', q{
	SELECT cron.schedule('dana-boot', '@reboot', $$INSERT INTO public.dana_tab (cu) VALUES ('boot:' || current_user)$$)});
$n6->restart;
ok(wait_for($n6, qq{SELECT count(*) = 1 FROM cron.job_run_details WHERE jobid = $dana_boot AND status = 'succeeded'}, 60),
	"pg_cron ran dana's job");

my ($sh_ret, $sh_out, $sh_err) = $n6->psql('postgres', q{
BEGIN;
ALTER TABLE cron.job ALTER COLUMN jobname TYPE text;
ALTER EXTENSION pg_cron DROP FUNCTION cron.unschedule(name);
DROP FUNCTION cron.unschedule(name);
CREATE FUNCTION cron.unschedule(job_name text) RETURNS bool LANGUAGE C STRICT
	AS '$libdir/pg_cron', 'cron_unschedule_named';
ALTER EXTENSION pg_cron ADD FUNCTION cron.unschedule(text);
UPDATE pg_extension SET extversion = '1.6', extnamespace = 'pg_catalog'::regnamespace WHERE extname = 'pg_cron';
COMMIT;
});
is($sh_ret, 0, "pg_cron 1.6's shape made by hand (ALTER TABLE on jobname, which has the unique index, works)")
  or diag($sh_err);
is(q1($n6, q{SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'cron.job'::regclass AND attname = 'jobname'})
	. ' ' . q1($n6, q{SELECT conname FROM pg_constraint WHERE conrelid = 'cron.job'::regclass AND contype = 'u'}),
	'text jobname_username_uniq', 'jobname is text, the unique constraint is kept');
$n6->safe_psql('postgres', q{
REVOKE EXECUTE ON FUNCTION cron.unschedule(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cron.unschedule(text) TO app2;
GRANT EXECUTE ON FUNCTION cron.schedule_in_database(text,text,text,text,text,boolean) TO app2 WITH GRANT OPTION;
SET ROLE app2;
GRANT EXECUTE ON FUNCTION cron.schedule_in_database(text,text,text,text,text,boolean) TO sub;
RESET ROLE;
REVOKE SELECT ON cron.job_run_details FROM PUBLIC;
GRANT USAGE ON SCHEMA cron TO dashboard;
GRANT SELECT (jobid, runid, status, start_time, end_time) ON cron.job_run_details TO dashboard;
GRANT INSERT, TRUNCATE ON cron.job_run_details TO dashboard;
GRANT SELECT ON cron.job TO dashboard;
});

switch_to_cronext($n6, '1.6');

# written as pg_cron 1.6 would have (its trigger, a C function, cannot be
# loaded now): 'N seconds' jobs of non-superuser roles, here and in
# another database; jobs of a role and in a database that do not exist
# any more; a job name longer than a name; a run in flight whose runid is
# far above the sequence; a run of 2001
my %j6 = map { split /\|/ } qcol($n6, q{
SET session_replication_role = replica;
INSERT INTO cron.job (schedule, command, database, username, jobname, nodeport)
VALUES ('1 seconds', $$INSERT INTO public.dana_tab (cu) VALUES (current_user)$$, 'postgres', 'dana', 'dana-tick', current_setting('port')::int),
	   ('2 seconds', $$INSERT INTO public.eve_tab (cu, db) VALUES (current_user, current_database())$$, 'other2', 'eve', 'eve-other', current_setting('port')::int),
	   ('1 seconds', 'SELECT 4', 'postgres', 'ghost2', 'ghost2-job', current_setting('port')::int),
	   ('1 seconds', 'SELECT 5', 'gone2', 'dana', 'gone2-db', current_setting('port')::int),
	   ('0 2 * * *', 'SELECT 2', 'postgres', 'dana', repeat('long-name-', 10), current_setting('port')::int)
RETURNING left(jobname, 10), jobid;
INSERT INTO cron.job_run_details (runid, jobid, job_pid, database, username, command, status, start_time)
VALUES (100000, 500, 777, 'postgres', current_user, 'SELECT 500', 'running', now() - interval '1 minute');
/* a run of long ago (pg_cron keeps history until someone deletes it);
   failed, since retention keeps each job's newest success */
INSERT INTO cron.job_run_details (runid, jobid, job_pid, database, username, command, status, return_message, start_time, end_time)
VALUES (50, 500, 778, 'postgres', current_user, 'SELECT 500', 'failed', 'ERROR: x', '2001-02-03 01:00:00+00', '2001-02-03 01:00:01+00');
});
snapshot($n6);

my ($now6, $runseq6, $jobseq6, $notice6) = take_over($n6);
diag("takeover at $now6:\n$notice6");
# (the run of 2001 is checked on its own below)
check_takeover($n6, '1.6', $now6, $runseq6, $jobseq6, $notice6, '50');

like($notice6, qr/job $j6{'ghost2-job'} \(role "?ghost2"? does not exist\)/, 'DETAIL: the job whose role is gone is listed');
is($runseq6, '100000 t', 'runid_seq continues after the highest runid (above the sequence)');
is($jobseq6, '500 t', 'jobid_seq continues after the highest jobid (above the sequence)');
is(q1($n6, q{SELECT jobname FROM cron.job WHERE jobname LIKE 'long-name-%'}), 'long-name-' x 10,
	'a job name longer than 63 bytes is kept whole');
is(as_user($n6, 'dana', q{SELECT cron.schedule('dana-new', '0 0 1 1 *', 'SELECT 1')}), '501',
	'a new job gets the id after the highest (501)');
is(sqlstate($n6, q{SELECT cron.unschedule('dana-new')}, 'dana'), '42501',
	'EXECUTE on cron.unschedule(text) stays revoked: dana gets 42501');
is(sqlstate($n6, q{SELECT cron.unschedule('no-such-job')}, 'app2'), '42704',
	'app2 keeps EXECUTE on cron.unschedule(text) (the call gets as far as "no such job")');
is(q1($n6, q{SELECT has_function_privilege('sub', 'cron.schedule_in_database(text,text,text,text,text,boolean)', 'EXECUTE')}),
	't', 'sub keeps EXECUTE on schedule_in_database granted by app2');
is(q1($n6, q{SELECT has_table_privilege('dana', 'cron.job_run_details', 'SELECT')}), 'f',
	'SELECT on cron.job_run_details stays revoked from PUBLIC');
is(q1($n6, q{SELECT has_table_privilege('dashboard', 'cron.job', 'SELECT')
	AND EXISTS (SELECT 1 FROM aclexplode((SELECT relacl FROM pg_class WHERE oid = 'cron.job'::regclass)) x
				WHERE x.grantee = 'dashboard'::regrole)}), 't', "dashboard's grant on cron.job is carried");
# column privileges on pg_cron's tables are carried: a role granted some
# columns of the history keeps them
is(q1($n6, q{SELECT string_agg(x::text, E'\n') FROM (SELECT * FROM snap_cacl EXCEPT
	SELECT c.relname::text, a.attname::text, CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END,
		   x.privilege_type, x.is_grantable
	FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid, aclexplode(a.attacl) x
	WHERE c.relnamespace = 'cron'::regnamespace AND a.attacl IS NOT NULL) x}), '',
	"column grants on pg_cron's tables are carried (dashboard's SELECT on five columns of cron.job_run_details)");
is(sqlstate($n6, 'SELECT jobid, runid, status, start_time, end_time FROM cron.job_run_details', 'dashboard'), 'ok',
	'dashboard can still read the columns it was granted');
# privileges that would let a role write, empty or lock the ledger are not
# carried over, and the NOTICE says which
is(q1($n6, q{SELECT has_table_privilege('dashboard', 'cron.job_run_details', 'INSERT') || ' ' ||
	has_table_privilege('dashboard', 'cron.job_run_details', 'TRUNCATE')}), 'false false',
	"dashboard's INSERT and TRUNCATE on the ledger are not carried over");
like($notice6, qr/Not carried over, since they would let a role empty, hook, lock or rewrite the ledger for everybody: INSERT ON TABLE cron\.job_run_details TO dashboard; TRUNCATE ON TABLE cron\.job_run_details TO dashboard\./,
	'... and the NOTICE lists them');

# --- the 'N seconds' jobs run under cronext, as their owners; the jobs
# that cannot run fail their runs, saying why, and break nothing
# (dana-tick was written after pg_cron stopped: every row it inserted
# comes from cronext)
new_runs_ok($n6, 'dana-tick (1 seconds)', $j6{'dana-tick'}, 'dana', 3);
new_runs_ok($n6, 'eve-other (2 seconds, database other2)', $j6{'eve-other'}, 'eve', 2);
cmp_ok(q1($n6, q{SELECT count(*) FROM dana_tab WHERE cu = 'dana'}), '>=', 3,
	"dana's job inserts into her table, as dana");
is(q1($n6, q{SELECT count(*) > 0 FROM dana_tab WHERE cu NOT IN ('dana', 'boot:dana')}), 'f', '... as nobody else');
cmp_ok(q1($n6, q{SELECT count(*) FROM eve_tab WHERE cu || '@' || db = 'eve@other2'}, 'other2'), '>=', 2,
	"eve's job inserts in database other2, as eve");
for my $bad ([ 'ghost2-job', qr/role "ghost2" does not exist/ ], [ 'gone2-db', qr/database "gone2" does not exist/ ])
{
	my ($name, $why) = @$bad;
	ok(wait_for($n6, qq{SELECT count(*) >= 2 FROM cron.job_run_details WHERE jobid = $j6{$name}
		AND runid > 100000 AND status = 'failed'}, 60), "$name: its runs fail");
	like(q1($n6, qq{SELECT string_agg(DISTINCT return_message, ' | ') FROM cron.job_run_details WHERE jobid = $j6{$name}
		AND runid > 100000}), $why, "... saying why ($why)");
}
# The takeover keeps the whole history; cronext's scheduler then prunes
# what is older than cron.history_retention (default 30 days), as it does
# for its own runs.  The NOTICE says so beforehand, with how many runs and
# the setting that keeps them (decided: pg_cron kept everything, cronext's
# default keeps 30 days; the DBA chooses, told in time).
like($notice6, qr/1 of the runs are older than cron\.history_retention \(30d\) and will be deleted by the scheduler \(each job keeps its newest run and its newest success\); set cron\.history_retention = 0/,
	'DETAIL: the runs older than cron.history_retention are counted, with the setting that keeps them');
ok(wait_for($n6, q{SELECT count(*) = 0 FROM cron.job_run_details WHERE runid = 50}, 60),
	'... and the scheduler prunes them as announced');
is(q1($n6, q{SELECT min(runid) FROM cron.job_run_details WHERE runid > 100000}), '100001',
	'the first run under cronext is runid 100001');
is(sqlstate($n6, q{UPDATE cron.job SET active = false WHERE jobname = 'gone2-db'}, 'dana'), 'ok',
	'dana can pause her job whose database is gone');
is(q1($n6, qq{SELECT active FROM cron.job WHERE jobid = $j6{'gone2-db'}}), 'f', '... it is paused');
is(q1($n6, q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'}), '1',
	'the scheduler is running');
unlike(log_since($n6, 0), qr/terminated by signal|server process .* was terminated|PANIC/,
	'no process crashed');

# DROP EXTENSION cronext drops schema cron (a member now)
$n6->safe_psql('postgres', 'DROP EXTENSION cronext');
is(q1($n6, q{SELECT count(*) FROM pg_namespace WHERE nspname = 'cron'}), '0', 'DROP EXTENSION cronext drops schema cron');
$n6->stop;

diag(sprintf('190 took %.1f s', time() - $t_start));
done_testing();
