
# 030_owner_db_multi.pl
#	  Jobs run as their owner (never as the scheduler's superuser), in
#	  another database when asked, and a command with several statements
#	  runs like a psql -c string; return_message reads as in pg_cron.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $node = cron_node('owner');

$node->safe_psql('postgres', q{
CREATE ROLE alice LOGIN;
GRANT USAGE ON SCHEMA cron TO alice;
CREATE TABLE whoami (job text, cu text, su text, at timestamptz DEFAULT clock_timestamp());
GRANT INSERT, SELECT ON whoami TO alice;
CREATE TABLE multi (v int, at timestamptz DEFAULT clock_timestamp());
CREATE TABLE rolled_back (v int);
CREATE TABLE upd (v int);
INSERT INTO upd VALUES (1), (2), (3);
CREATE DATABASE other;
});
$node->safe_psql('other', q{
CREATE TABLE here (db text, cu text, at timestamptz DEFAULT clock_timestamp());
GRANT INSERT ON here TO alice;
});

# alice schedules her own job, connected as herself
my $own = $node->safe_psql('postgres', q{
	SELECT cron.schedule('alice-own', '1 seconds',
		$$INSERT INTO public.whoami (job, cu, su) VALUES ('own', current_user, session_user)$$)},
	extra_params => [ '-U', 'alice' ]);
# ... and a job that tries something only a superuser may do
my $priv = $node->safe_psql('postgres', q{
	SELECT cron.schedule('alice-priv', '1 seconds', $$SELECT pg_read_file('postgresql.conf')$$)},
	extra_params => [ '-U', 'alice' ]);

my %id = map { split /\|/ } qcol($node, q{
BEGIN;
SELECT 'as-alice', cron.schedule_in_database('as-alice', '1 seconds',
	$$INSERT INTO public.whoami (job, cu, su) VALUES ('as', current_user, session_user)$$,
	'postgres', username => 'alice');
SELECT 'other-db', cron.schedule_in_database('other-db', '1 seconds',
	$$INSERT INTO here (db, cu) VALUES (current_database(), current_user)$$, 'other',
	username => 'alice');
SELECT 'multi', cron.schedule('multi', '1 seconds',
	'INSERT INTO multi (v) VALUES (1); INSERT INTO multi (v) VALUES (2); SELECT 1');
SELECT 'single', cron.schedule('single', '1 seconds', 'INSERT INTO multi (v) VALUES (10)');
SELECT 'multi-fail', cron.schedule('multi-fail', '1 seconds',
	'INSERT INTO rolled_back VALUES (1); SELECT 1/0; INSERT INTO rolled_back VALUES (2)');
SELECT 'rows3', cron.schedule('rows3', '1 seconds', 'SELECT generate_series(1, 3)');
SELECT 'rows0', cron.schedule('rows0', '1 seconds', 'SELECT 1 WHERE false');
SELECT 'update', cron.schedule('update', '1 seconds', 'UPDATE upd SET v = v');
SELECT 'do', cron.schedule('do', '1 seconds', 'DO $$BEGIN NULL; END$$');
SELECT 'vacuum', cron.schedule('vacuum', '1 seconds', 'VACUUM upd');
SELECT 'vacuum-in-multi', cron.schedule('vacuum-in-multi', '1 seconds', 'SELECT 1; VACUUM upd');
SELECT 'fail', cron.schedule('fail', '1 seconds', 'SELECT 1/0');
SELECT 'undefined', cron.schedule('undefined', '1 seconds', 'SELECT * FROM no_such_table');
COMMIT;
});
$id{'alice-own'} = $own;
$id{'alice-priv'} = $priv;
my $all = join ',', values %id;

# every job has at least 2 finished runs (bounded)
ok(wait_for($node, qq{
	SELECT count(*) = 0 FROM unnest(ARRAY[$all]) j(id)
	WHERE (SELECT count(*) FROM cron.job_run_details d
		   WHERE d.jobid = j.id AND d.status IN ('succeeded', 'failed')) < 2}, 30),
	'every job finished at least 2 runs');

# stop everything and let the last runs end
$node->safe_psql('postgres', 'DELETE FROM cron.job');
ok(wait_for($node, q{
	SELECT count(*) = 0 FROM cron.job_run_details WHERE status IN ('starting', 'running')}, 15),
	'all runs ended');

sub outcomes
{
	my ($name) = @_;
	return q1($node, qq{
		SELECT string_agg(DISTINCT status || ': ' || coalesce(return_message, '<null>'), ' | ')
		FROM cron.job_run_details WHERE jobid = $id{$name} AND status <> 'skipped'});
}

# --- runs as its owner
is(outcomes('alice-own'), 'succeeded: INSERT 0 1', 'alice-own: succeeded');
is(q1($node, q{SELECT string_agg(DISTINCT cu || '/' || su, ',') FROM whoami WHERE job = 'own'}),
	'alice/alice', 'job scheduled by alice runs with current_user = session_user = alice');
is(outcomes('as-alice'), 'succeeded: INSERT 0 1', 'as-alice: succeeded');
is(q1($node, q{SELECT string_agg(DISTINCT cu || '/' || su, ',') FROM whoami WHERE job = 'as'}),
	'alice/alice', 'job scheduled by a superuser for alice runs as alice, not as the superuser');
is(q1($node, qq{SELECT string_agg(DISTINCT username, ',') FROM cron.job_run_details
	WHERE jobid IN ($id{'alice-own'}, $id{'as-alice'}, $id{'other-db'})}),
	'alice', 'ledger rows name alice');
is(q1($node, qq{SELECT count(*) FROM whoami WHERE job = 'own'}),
	q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{'alice-own'} AND status = 'succeeded'}),
	'alice-own: one effect per succeeded run');
like(outcomes('alice-priv'), qr/^failed: permission denied for function pg_read_file$/,
	"alice's job has alice's privileges: a superuser-only function is refused");

# alice sees her runs through RLS, and only hers
is($node->safe_psql('postgres',
	q{SELECT count(*) > 0 AND bool_and(username = 'alice') FROM cron.job_run_details},
	extra_params => [ '-U', 'alice' ]),
	't', 'alice sees her own runs, and only hers');

# --- another database
is(outcomes('other-db'), 'succeeded: INSERT 0 1', 'other-db: succeeded');
is(q1($node, q{SELECT string_agg(DISTINCT db || '/' || cu, ',') FROM here}, 'other'),
	'other/alice', 'job ran in database "other" as alice');
is(q1($node, q{SELECT count(*) FROM here}, 'other'),
	q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{'other-db'} AND status = 'succeeded'}),
	'other-db: one effect per succeeded run');
is(q1($node, qq{SELECT string_agg(DISTINCT database, ',') FROM cron.job_run_details WHERE jobid = $id{'other-db'}}),
	'other', 'its ledger rows (in cron.database_name) say database "other"');
is(q1($node, q{SELECT count(*) FROM pg_namespace WHERE nspname = 'cron'}, 'other'),
	'0', 'nothing of cronext was created in database "other"');

# --- several statements
is(outcomes('multi'), 'succeeded: 1 row', "multi-statement: return_message '1 row' (last statement)");
my $multi_runs = q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{multi} AND status = 'succeeded'});
is(q1($node, q{SELECT count(*) FROM multi WHERE v = 1}), $multi_runs, 'multi: first INSERT ran once per run');
is(q1($node, q{SELECT count(*) FROM multi WHERE v = 2}), $multi_runs, 'multi: second INSERT ran once per run');
is(outcomes('single'), 'succeeded: INSERT 0 1', "single insert: return_message 'INSERT 0 1'");
is(outcomes('multi-fail'), 'failed: division by zero', 'multi-statement failure: the error message');
is(q1($node, q{SELECT count(*) FROM rolled_back}), '0',
	'multi-statement failure: the earlier INSERT is rolled back (one implicit transaction, as psql -c)');

# --- return_message as in pg_cron
is(outcomes('rows3'), 'succeeded: 3 rows', "SELECT of 3 rows: '3 rows'");
is(outcomes('rows0'), 'succeeded: 0 rows', "SELECT of no rows: '0 rows'");
is(outcomes('update'), 'succeeded: UPDATE 3', "UPDATE: 'UPDATE 3'");
is(outcomes('do'), 'succeeded: DO', "DO: 'DO'");
is(outcomes('vacuum'), 'succeeded: VACUUM', "VACUUM alone: 'VACUUM'");
is(outcomes('vacuum-in-multi'), 'failed: VACUUM cannot run inside a transaction block',
	'VACUUM in a multi-statement string fails as with psql -c');
is(outcomes('fail'), 'failed: division by zero', 'failure: the error message');
is(outcomes('undefined'), 'failed: relation "no_such_table" does not exist',
	'failure: the error message');

# every finished run has start and end times and a pid
is(q1($node, q{SELECT count(*) FROM cron.job_run_details
	WHERE status IN ('succeeded', 'failed')
	AND (start_time IS NULL OR end_time IS NULL OR job_pid IS NULL OR end_time < start_time)}),
	'0', 'every finished run has job_pid, start_time <= end_time');

# --- the switches: active = false, cron.launch_active_jobs = off,
# cron.enable_superuser_jobs = off (all take effect without a restart)
my %sw = map { split /\|/ } qcol($node, q{
BEGIN;
SELECT 'su', cron.schedule('su', '1 seconds', 'SELECT 1');
SELECT 'al', cron.schedule_in_database('al', '1 seconds', 'SELECT 1', 'postgres', username => 'alice');
SELECT 'paused', cron.schedule('paused', '1 seconds', 'SELECT 1');
COMMIT;
});
ok(wait_for($node, qq{
	SELECT count(*) = 3 FROM unnest(ARRAY[$sw{su}, $sw{al}, $sw{paused}]) j(id)
	WHERE (SELECT count(*) FROM cron.job_run_details d WHERE d.jobid = j.id AND d.status = 'succeeded') >= 1}, 10),
	'switch jobs run');

# active = false: the paused job gets no new run, the others go on
my $t = q1($node, q{SELECT cron.alter_job(jobid, active => false) FROM cron.job WHERE jobname = 'paused';
					 SELECT clock_timestamp()});
ok(wait_for($node, qq{
	SELECT count(*) >= 3 FROM cron.job_run_details WHERE jobid = $sw{su} AND scheduled_for > '$t'}, 10),
	'other jobs go on');
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $sw{paused}
	AND scheduled_for > '$t'::timestamptz + interval '300 ms'}), '0', 'an inactive job does not run');

# cron.launch_active_jobs = off: nothing scheduled runs; on again: runs resume
$node->safe_psql('postgres', 'ALTER SYSTEM SET cron.launch_active_jobs = off; SELECT pg_reload_conf()');
ok(wait_for($node, q{SELECT current_setting('cron.launch_active_jobs') = 'off'}, 5), 'setting reloaded');
$t = q1($node, 'SELECT clock_timestamp()');
ok(stays_false($node, qq{
	SELECT EXISTS (SELECT 1 FROM cron.job_run_details
				   WHERE scheduled_for > '$t'::timestamptz + interval '1 second')}, 3),
	'cron.launch_active_jobs = off: no slot runs for 3 s');
$node->safe_psql('postgres', 'ALTER SYSTEM RESET cron.launch_active_jobs; SELECT pg_reload_conf()');
ok(wait_for($node, qq{
	SELECT count(*) >= 2 FROM cron.job_run_details WHERE jobid = $sw{su} AND status = 'succeeded'
	AND scheduled_for > '$t'::timestamptz + interval '1 second'}, 10),
	'cron.launch_active_jobs back on: runs resume');

# cron.enable_superuser_jobs = off: a superuser's job fails with a message
# saying so; alice's job runs on
$node->safe_psql('postgres', 'ALTER SYSTEM SET cron.enable_superuser_jobs = off; SELECT pg_reload_conf()');
ok(wait_for($node, q{SELECT current_setting('cron.enable_superuser_jobs') = 'off'}, 5), 'setting reloaded');
$t = q1($node, 'SELECT clock_timestamp()');
ok(wait_for($node, qq{
	SELECT count(*) >= 2 FROM cron.job_run_details WHERE jobid = $sw{su}
	AND scheduled_for > '$t'::timestamptz + interval '1 second'
	AND status NOT IN ('starting', 'running')}, 10),
	'the superuser job came due twice');
my $su = q1($node, qq{
	SELECT string_agg(DISTINCT status || ': ' || return_message, ' | ') FROM cron.job_run_details
	WHERE jobid = $sw{su} AND scheduled_for > '$t'::timestamptz + interval '1 second'
	AND status NOT IN ('starting', 'running')});
like($su, qr/^failed: .*enable_superuser_jobs/, "enable_superuser_jobs = off: superuser job refused ($su)");
is(q1($node, qq{
	SELECT count(*) > 0 AND bool_and(status = 'succeeded') FROM cron.job_run_details WHERE jobid = $sw{al}
	AND scheduled_for > '$t'::timestamptz + interval '1 second' AND status NOT IN ('starting', 'running')}),
	't', "alice's job runs on");
$node->safe_psql('postgres', 'ALTER SYSTEM RESET cron.enable_superuser_jobs; SELECT pg_reload_conf()');

# --- cron.log_run = off: runs go on, the ledger keeps only each job's newest
# row (the proof of its last slot); cron.log_statement = off: no command in
# the server log
$node->safe_psql('postgres', q{
DELETE FROM cron.job;
CREATE TABLE quiet (at timestamptz DEFAULT clock_timestamp());
ALTER SYSTEM SET cron.log_run = off;
ALTER SYSTEM SET cron.log_statement = off;
SELECT pg_reload_conf();
});
ok(wait_for($node, q{SELECT current_setting('cron.log_run') = 'off' AND current_setting('cron.log_statement') = 'off'}, 5),
	'settings reloaded');
my $log_off = -s $node->logfile;
my $quiet = q1($node, q{SELECT cron.schedule('quiet', '1 seconds', 'INSERT INTO quiet DEFAULT VALUES /* quiet-marker */')});
ok(wait_for($node, q{SELECT count(*) >= 4 FROM quiet}, 10), 'log_run = off: the job runs');
cmp_ok(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $quiet}), '<=', 2,
	'log_run = off: the ledger keeps only the newest row (and a run in progress)');
unlike(log_since($node, $log_off), qr/cron job \d+ starting:.*quiet-marker/, 'log_statement = off: the command is not logged');
$node->safe_psql('postgres', q{
ALTER SYSTEM RESET cron.log_run; ALTER SYSTEM RESET cron.log_statement; SELECT pg_reload_conf();
});
ok(wait_for($node, q{SELECT current_setting('cron.log_statement') = 'on'}, 5), 'settings back on');
$log_off = -s $node->logfile;
ok(wait_for($node, qq{SELECT count(*) >= 3 FROM cron.job_run_details WHERE jobid = $quiet AND status = 'succeeded'}, 10),
	'log_run = on: runs are recorded again');
like(log_since($node, $log_off), qr/cron job $quiet starting: INSERT INTO quiet DEFAULT VALUES/,
	'log_statement = on: the command is logged');

$node->stop;
done_testing();
