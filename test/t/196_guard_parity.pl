
# 196_guard_parity.pl
#	  The guard trigger on cron.job was PL/pgSQL until catalog 1.4 and is C
#	  since; its rules must not have changed.  Two databases of one cluster,
#	  one with catalog 1.3 (the PL/pgSQL guard) and one with the current
#	  catalog (the C guard), get the same writes: inserts, updates and
#	  deletes, direct and through the API, as a superuser and as roles with
#	  and without the privileges, with NULLs, bad values, HTTP jobs, alert
#	  URLs, one-off jobs, restores, ON CONFLICT; each case in its own
#	  transaction, rolled back.  Every outcome must be the same: the error
#	  (SQLSTATE, message, detail, hint, context) or the rows written
#	  (every column, the server's timestamps as "now or not", the owner by
#	  name), and the job ids drawn.  Twice: with the default settings, and
#	  with low limits, superuser jobs off and another cron.timezone.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

my $node = cron_node('guard_parity');

$node->safe_psql('postgres', q{
CREATE ROLE gp_user LOGIN;
CREATE ROLE gp_other LOGIN;
CREATE ROLE gp_http LOGIN;
CREATE ROLE gp_nologin NOLOGIN;
CREATE ROLE gp_super SUPERUSER LOGIN;
CREATE DATABASE pdb13;
CREATE DATABASE pdb14;
});

my %version = (pdb13 => '1.3', pdb14 => undef);
for my $db (sort keys %version)
{
	my $v = $version{$db} ? "VERSION '$version{$db}'" : '';
	$node->safe_psql($db, qq{
CREATE EXTENSION cronext $v;
GRANT USAGE ON SCHEMA cron TO gp_user, gp_other, gp_http, gp_nologin;
GRANT EXECUTE ON FUNCTION cron.schedule_http(text,text,text,text,jsonb,text,interval,integer[],text,text,interval,text,integer,interval,boolean) TO gp_http;
});
}
is(q1($node, q{SELECT extversion FROM pg_extension WHERE extname = 'cronext'}, 'pdb13'), '1.3',
	'pdb13 has catalog 1.3 (the PL/pgSQL guard)');
is($node->safe_psql('pdb14', q{SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
	WHERE p.oid = 'cron.job_guard()'::regprocedure}), 'c', 'pdb14 has the C guard');

# the same jobs in both, ids 1 to 8; each case is rolled back
my $fixture = q{
SELECT cron.schedule('fx_sql', '*/5 * * * *', 'SELECT 1');
SELECT cron.schedule_http('fx_http', '0 * * * *', 'https://example.com/hook', 'POST',
	'{"Authorization": "Bearer x"}', 'body', expect_status => '{200,201}');
SELECT cron.schedule('fx_paused', '0 3 * * *', 'SELECT 3');
SELECT cron.schedule_at('fx_once', '2099-01-01 00:00:00+00', 'SELECT 4');
INSERT INTO cron.job (jobid, schedule, command, jobname, active, database, username)
	VALUES (5, '@at 2000-01-01 00:00:00+00', 'SELECT 5', 'fx_past', false, current_database(), 'postgres'),
		   (6, 'not a schedule', 'SELECT 6', 'fx_restored', true, 'no_such_db', 'no_such_role');
SELECT setval('cron.jobid_seq', 6);
SET ROLE gp_user;
SELECT cron.schedule('fx_user', '0 4 * * *', 'SELECT 7');
RESET ROLE;
SET ROLE gp_http;
SELECT cron.schedule_http('fx_user_http', '0 5 * * *', 'https://example.com/u');
RESET ROLE;
UPDATE cron.job SET paused_at = now() WHERE jobname = 'fx_paused';
};

# every column of every job, the server's instants as "now or not"
my $show = q{RESET ROLE;
SELECT jobid, schedule, command, nodename, nodeport, database, username, active, jobname, kind,
	   timezone, catchup, catchup_window, overlap, max_retries, retry_delay, timeout,
	   created_at = now() AS created_now, updated_at = now() AS updated_now,
	   paused_at = now() AS paused_now, paused_at IS NULL AS not_paused,
	   http_method, http_url, http_headers, http_body, http_expect_status,
	   (SELECT r.rolname FROM pg_roles r WHERE r.oid = roleid) AS owner, roleid IS NULL AS no_owner,
	   source, alert_url, expect_success_within
FROM cron.job ORDER BY jobid;
SELECT last_value FROM cron.jobid_seq;};

my $revoke_api = q{REVOKE EXECUTE ON FUNCTION cron.schedule(text,text,text), cron.schedule(text,text),
	cron.schedule_in_database(text,text,text,text,text,boolean),
	cron.alter_job(bigint,text,text,text,text,boolean), cron.unschedule(bigint), cron.unschedule(text) FROM PUBLIC;};
my $cols = 'INSERT INTO cron.job (jobname, schedule, command';

# [ role or '' (superuser), statement(s) ]
my @cases = (
	# inserts as a superuser
	[ '', q{INSERT INTO cron.job (jobname, schedule, command) SELECT 'idle_' || g, '0 0 1 1 *', 'SELECT 1' FROM generate_series(1, 3) g} ],
	[ '', q{INSERT INTO cron.job (schedule, command) VALUES ('* * * * *', 'SELECT 1'), ('* * * * *', 'SELECT 2')} ],
	[ '', q{INSERT INTO cron.job (jobid, schedule, command, database, username, timezone) VALUES (100, 'bad', 'SELECT 1', 'nodb', 'norole', 'Mars/Base')} ],
	[ '', q{INSERT INTO cron.job (jobid, schedule, command, paused_at) VALUES (101, '* * * * *', 'SELECT 1', '2001-01-01')} ],
	[ '', q{INSERT INTO cron.job (jobid, schedule, command, roleid) VALUES (102, '* * * * *', 'SELECT 1', 12345)} ],
	[ '', q{INSERT INTO cron.job (jobid, schedule, command, username) VALUES (NULL, '* * * * *', 'SELECT 1', 'gp_user')} ],
	[ '', qq{$cols, paused_at, created_at, updated_at, roleid) VALUES ('p', '* * * * *', 'SELECT 1', '2001-01-01', '2001-01-01', '2001-01-01', 1)} ],
	[ '', qq{$cols) VALUES ('n', NULL, 'SELECT 1')} ],
	[ '', qq{$cols) VALUES ('n', '* * * * *', NULL)} ],
	[ '', qq{$cols, kind) VALUES ('n', '* * * * *', 'SELECT 1', NULL)} ],
	[ '', qq{$cols, active) VALUES ('n', '* * * * *', 'SELECT 1', NULL)} ],
	[ '', qq{$cols, active) VALUES ('n', '\@at 2000-01-01 00:00:00+00', 'SELECT 1', NULL)} ],
	[ '', qq{$cols, catchup, overlap, catchup_window, max_retries, retry_delay) VALUES ('n', '* * * * *', 'SELECT 1', NULL, NULL, NULL, NULL, NULL)} ],
	[ '', qq{$cols, database) VALUES ('n', '* * * * *', 'SELECT 1', NULL)} ],
	[ '', qq{$cols, username) VALUES ('n', '* * * * *', 'SELECT 1', NULL)} ],
	[ '', qq{$cols, database) VALUES ('n', '* * * * *', 'SELECT 1', 'nodb')} ],
	[ '', qq{$cols, database) VALUES ('n', '* * * * *', 'SELECT 1', 'postgres' || repeat('x', 70))} ],
	[ '', qq{$cols, database) VALUES ('n', '* * * * *', 'SELECT 1', 'postgres')} ],
	[ '', qq{$cols, username) VALUES ('n', '* * * * *', 'SELECT 1', 'norole')} ],
	[ '', qq{$cols, username) VALUES ('n', '* * * * *', 'SELECT 1', 'gp_nologin')} ],
	[ '', qq{$cols, username, kind, http_url) VALUES ('n', '* * * * *', 'x', 'gp_nologin', 'http', 'https://example.com/')} ],
	[ '', qq{$cols, username) VALUES ('n', '* * * * *', 'SELECT 1', 'gp_user')} ],
	[ '', qq{$cols, username) VALUES ('n', '* * * * *', 'SELECT 1', 'gp_super')} ],
	[ '', q{DO $d$ BEGIN EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', current_database()); END $d$;
		INSERT INTO cron.job (jobname, schedule, command, username) VALUES ('n', '* * * * *', 'SELECT 1', 'gp_user')} ],
	[ '', qq{$cols, kind) VALUES ('n', '* * * * *', 'SELECT 1', 'other')} ],
	# schedules and zones
	(map { [ '', qq{$cols, timezone) VALUES ('s', '$_->[0]', 'SELECT 1', $_->[1])} ] } (
		[ '* * *', 'NULL' ], [ '5-1 * * * *', 'NULL' ], [ '0 0 30 2 *', 'NULL' ], [ '61 * * * *', 'NULL' ],
		[ '*/0 * * * *', 'NULL' ], [ '@hourly', 'NULL' ], [ '@reboot', 'NULL' ], [ ' 30 sEcOnDs ', 'NULL' ],
		[ '0 9 * * mon-fri', q{'America/New_York'} ], [ '0 9 * * *', q{'Mars/Olympus'} ],
		[ '0 9 * * *', q{'right/UTC'} ], [ '0 9 * * *', q{''} ], [ '0 9 * * *', q{'utc'} ],
		[ '@at 2000-01-01 00:00:00+00', 'NULL' ], [ '@at 2099-01-01 00:00:00+00', 'NULL' ],
		[ '  @AT 2000-01-01 00:00:00+00', 'NULL' ], [ "\@at\t2099-01-01 00:00:00+00", 'NULL' ],
		[ '@atx', 'NULL' ], [ '@at 2000-01-01 00:00:00+00', q{'Asia/Tokyo'} ],
		[ '@at 2099-01-01 00:00:00+00', q{'Asia/Tokyo'} ], [ '@AT 2099-01-01 00:00:00+00', 'NULL' ],
	)),
	[ '', qq{$cols, active) VALUES ('s', '\@at 2000-01-01 00:00:00+00', 'SELECT 1', false)} ],
	[ '', qq{$cols, timezone) VALUES ('a', '0 0 * * *', 'SELECT 1', 'UTC'), ('b', '0 0 * * *', 'SELECT 1', 'Bad/Zone')} ],
	[ '', qq{$cols, timezone) VALUES ('a', '0 0 * * *', 'SELECT 1', 'GMT'), ('b', '0 0 * * *', 'SELECT 1', NULL), ('c', '0 0 * * *', 'SELECT 1', 'GMT')} ],
	# options
	(map { [ '', qq{$cols, $_->[0]) VALUES ('o', '* * * * *', 'SELECT 1', $_->[1])} ] } (
		[ 'catchup', q{'bogus'} ], [ 'catchup', q{'all'} ], [ 'overlap', q{'bogus'} ], [ 'overlap', q{'skip'} ],
		[ 'catchup_window', q{'-1 second'} ], [ 'catchup_window', q{'367 days'} ], [ 'catchup_window', q{'366 days'} ],
		[ 'catchup_window', q{'12 mons 6 days'} ], [ 'catchup_window', q{'13 mons'} ],
		[ 'max_retries', '-1' ], [ 'max_retries', '101' ], [ 'max_retries', '100' ],
		[ 'retry_delay', q{'31 days'} ], [ 'retry_delay', q{'-1 second'} ], [ 'retry_delay', q{'1 mon'} ],
		[ 'timeout', q{'0'} ], [ 'timeout', q{'1 mon -30 days'} ], [ 'timeout', q{'0.0005 seconds'} ],
		[ 'timeout', q{'-1 second'} ], [ 'timeout', q{'25 days'} ], [ 'timeout', q{'24 days'} ], [ 'timeout', q{'1 mon'} ],
		[ 'timeout', q{'1 microsecond'} ],
		[ 'expect_success_within', q{'0.5 seconds'} ], [ 'expect_success_within', q{'367 days'} ],
		[ 'expect_success_within', q{'1 hour'} ],
		[ 'alert_url', q{''} ], [ 'alert_url', q{'ftp://example.com/'} ], [ 'alert_url', q{'https://example.com/alert'} ],
		[ 'alert_url', q{'https://user:secret@example.com/'} ],
		[ 'http_url', q{'https://example.com/'} ], [ 'http_body', q{'b'} ], [ 'http_expect_status', q{'{}'} ],
		[ 'source', q{'app'} ],
	)),
	(map { [ '', qq{INSERT INTO cron.job (jobname, schedule, command) VALUES ($_->[0], '* * * * *', $_->[1])} ] } (
		[ q{''}, q{'SELECT 1'} ], [ q{repeat('x', 1001)}, q{'SELECT 1'} ], [ q{repeat('x', 1000)}, q{'SELECT 1'} ],
		[ q{repeat('é', 501)}, q{'SELECT 1'} ], [ q{NULL}, q{'SELECT 1'} ],
		[ q{'c'}, q{E' \t\n\r\f\v '} ], [ q{'c'}, q{''} ], [ q{'c'}, q{E'\u00a0'} ], [ q{'c'}, q{E'\t x'} ],
		[ q{'c'}, q{'v v'} ], [ q{'c'}, q{E'\x0b'} ],
	)),
	[ '', qq{$cols, catchup, overlap, max_retries) VALUES ('o', '* * * * *', 'SELECT 1', 'bogus', 'bogus', -1)} ],
	# HTTP jobs
	(map { [ '', qq{$cols, kind, http_url, http_method, http_headers, http_expect_status) VALUES ('h', '* * * * *', 'ignored', 'http', $_)} ] } (
		q{NULL, NULL, NULL, NULL}, q{'ftp://example.com/', NULL, NULL, NULL}, q{'https://example.com/', 'get', NULL, NULL},
		q{'https://example.com/', 'fetch', NULL, NULL}, q{'https://example.com/', NULL, '[]', NULL},
		q{'https://example.com/', NULL, '"x"', NULL}, q{'https://example.com/', NULL, '{}', '{}'},
		q{'https://example.com/', NULL, '{"X-A": "1", "X-B": "2"}', '{200,204}'},
		q{'https://example.com/', NULL, '{"bad key": "v", "A": 1, "B": "x\ny", "ok": "fine", "a": null}', NULL},
		q{'https://example.com/', NULL, '{"ok": "fine", "b": [1], "B": {"x": 1}, "é": "x"}', NULL},
		q{'https://example.com/', NULL, '{"X-Tab": "a\tb", "X-Del": "a\u007fb"}', NULL},
		q{'https://example.com/', NULL, '{"": "x"}', NULL},
		q{'https://example.com/', 'POST', NULL, '{200,700}'}, q{'https://example.com/', 'POST', NULL, '{200,NULL}'},
		q{'https://example.com/', 'POST', NULL, '{{200},{201}}'}, q{'https://example.com/', 'POST', NULL, '[5:5]={99}'},
		q{'https://user:pw@example.com/', NULL, NULL, NULL}, q{'http://example.com/' || repeat('a', 9000), NULL, NULL, NULL},
	)),
	[ '', qq{$cols, http_method) VALUES ('h', '* * * * *', 'SELECT 1', 'GET')} ],
	[ '', qq{$cols, http_headers) VALUES ('h', '* * * * *', 'SELECT 1', '{}')} ],
	[ '', qq{$cols, http_expect_status) VALUES ('h', '* * * * *', 'SELECT 1', '{}')} ],
	[ '', qq{$cols, kind, http_url, jobid) VALUES ('h', '* * * * *', 'x', 'http', NULL, 200)} ],
	# updates as a superuser
	[ '', q{UPDATE cron.job SET jobid = 99 WHERE jobname = 'fx_sql'} ],
	[ '', q{UPDATE cron.job SET jobid = NULL WHERE jobname = 'fx_sql'} ],
	[ '', q{UPDATE cron.job SET created_at = '2001-01-01', updated_at = '2001-01-01' WHERE jobname = 'fx_sql'} ],
	[ '', q{UPDATE cron.job SET active = active} ],
	[ '', q{UPDATE cron.job SET paused_at = '2001-01-01'} ],
	[ '', q{UPDATE cron.job SET paused_at = NULL} ],
	[ '', q{UPDATE cron.job SET alert_url = 'https://example.com/a', expect_success_within = '1 day'} ],
	[ '', q{UPDATE cron.job SET alert_url = ''} ],
	[ '', q{UPDATE cron.job SET catchup_window = '60 minutes', retry_delay = '60 seconds'} ],
	[ '', q{UPDATE cron.job SET catchup_window = '1 day'} ],
	[ '', q{UPDATE cron.job SET catchup_window = '24 hours'} ],
	[ '', q{UPDATE cron.job SET http_expect_status = '[0:1]={200,201}' WHERE jobname = 'fx_http'} ],
	[ '', q{UPDATE cron.job SET http_expect_status = '{{200,201}}' WHERE jobname = 'fx_http'} ],
	[ '', q{UPDATE cron.job SET http_headers = '{"Authorization":"Bearer x"}' WHERE jobname = 'fx_http'} ],
	[ '', q{UPDATE cron.job SET schedule = schedule, timezone = NULL} ],
	[ '', q{UPDATE cron.job SET schedule = '0 1 * * *' WHERE jobname = 'fx_restored'} ],
	[ '', q{UPDATE cron.job SET active = false WHERE jobname = 'fx_restored'} ],
	[ '', q{UPDATE cron.job SET username = 'postgres' WHERE jobname = 'fx_restored'} ],
	[ '', q{UPDATE cron.job SET database = current_database() WHERE jobname = 'fx_restored'} ],
	[ '', q{UPDATE cron.job SET active = true WHERE jobname = 'fx_past'} ],
	[ '', q{UPDATE cron.job SET active = true, schedule = '@at 2098-01-01 00:00:00+00' WHERE jobname = 'fx_past'} ],
	[ '', q{UPDATE cron.job SET active = NULL WHERE jobname = 'fx_past'} ],
	[ '', q{UPDATE cron.job SET schedule = NULL WHERE jobname = 'fx_sql'} ],
	[ '', q{UPDATE cron.job SET timezone = 'Europe/Paris' WHERE jobname = 'fx_sql'} ],
	[ '', q{UPDATE cron.job SET username = 'gp_user' WHERE jobname = 'fx_sql'} ],
	[ '', q{UPDATE cron.job SET username = 'gp_nologin' WHERE jobname = 'fx_sql'} ],
	[ '', q{UPDATE cron.job SET username = NULL WHERE jobname = 'fx_sql'} ],
	[ '', q{UPDATE cron.job SET roleid = NULL} ],
	[ '', q{UPDATE cron.job SET roleid = 1 WHERE jobname = 'fx_sql'} ],
	[ '', q{UPDATE cron.job SET roleid = (SELECT oid FROM pg_roles WHERE rolname = 'postgres') WHERE jobname = 'fx_sql'} ],
	[ '', q{UPDATE cron.job SET kind = 'http', http_url = 'https://example.com/k' WHERE jobname = 'fx_sql'} ],
	[ '', q{UPDATE cron.job SET kind = 'http' WHERE jobname = 'fx_sql'} ],
	[ '', q{UPDATE cron.job SET kind = 'sql', http_url = NULL, http_method = NULL, http_headers = NULL, http_body = NULL, http_expect_status = NULL, command = 'SELECT 9' WHERE jobname = 'fx_http'} ],
	[ '', q{UPDATE cron.job SET command = 'GET https://evil/' WHERE jobname = 'fx_http'} ],
	[ '', q{UPDATE cron.job SET http_url = 'https://example.com/new', http_method = 'put' WHERE jobname = 'fx_http'} ],
	[ '', q{UPDATE cron.job SET http_body = 'new body' WHERE jobname = 'fx_http'} ],
	[ '', q{UPDATE cron.job SET http_url = 'gopher://x/' WHERE jobname = 'fx_http'} ],
	[ '', q{UPDATE cron.job SET kind = NULL WHERE jobname = 'fx_sql'} ],
	[ '', q{UPDATE cron.job SET command = '   ' WHERE jobname = 'fx_sql'} ],
	[ '', q{INSERT INTO cron.job (jobname, schedule, command, username) VALUES ('fx_sql', '1 1 * * *', 'SELECT 10', 'postgres')
		ON CONFLICT (username, jobname) DO UPDATE SET schedule = EXCLUDED.schedule, command = EXCLUDED.command} ],
	[ '', q{DELETE FROM cron.job WHERE jobname IN ('fx_sql', 'fx_user')} ],
	# the API, as a superuser
	[ '', q{SELECT cron.schedule('api', '*/10 * * * *', 'SELECT 1')} ],
	[ '', q{SELECT cron.schedule('fx_sql', '*/10 * * * *', 'SELECT 2')} ],
	[ '', q{SELECT cron.schedule('*/10 * * * *', 'SELECT 3')} ],
	[ '', q{SELECT cron.schedule('api', 'bad', 'SELECT 1')} ],
	[ '', q{SELECT cron.alter_job(1, schedule => '0 0 * * *', active => false)} ],
	[ '', q{SELECT cron.update_job(1, timeout => '5 minutes', max_retries => 3, catchup => 'none')} ],
	[ '', q{SELECT cron.unschedule('fx_sql')} ],
	[ '', q{SELECT cron.schedule_in_database('api', '0 0 * * *', 'SELECT 1', 'nodb')} ],
	[ '', q{SELECT cron.schedule_http('api_h', '0 0 * * *', 'https://example.com/x', headers => '{"X": "a\nb"}')} ],
	[ '', q{SELECT cron.schedule_at('api_at', '2000-01-01 00:00:00+00', 'SELECT 1')} ],
	[ '', q{SELECT cron.set_alerts('fx_sql', 'https://example.com/alert', '2 hours')} ],
	[ '', q{SELECT cron.pause(); SELECT cron.resume(); SELECT cron.resume(true)} ],
	[ '', q{SELECT cron.apply_jobs('app', '[{"job_name": "decl", "schedule": "0 1 * * *", "command": "SELECT 1"}, {"job_name": "decl_h", "schedule": "0 2 * * *", "url": "https://example.com/d", "headers": {"X-A": "b"}}]')} ],
	# a role without superuser rights
	[ 'gp_user', qq{$cols) VALUES ('u', '* * * * *', 'SELECT 1')} ],
	[ 'gp_user', qq{$cols) SELECT 'u' || g, '* * * * *', 'SELECT 1' FROM generate_series(1, 7) g} ],
	[ 'gp_user', qq{$cols, jobid) VALUES ('u', '* * * * *', 'SELECT 1', 500)} ],
	[ 'gp_user', qq{$cols, username) VALUES ('u', '* * * * *', 'SELECT 1', 'postgres')} ],
	[ 'gp_user', qq{$cols, username) VALUES ('u', '* * * * *', 'SELECT 1', 'norole')} ],
	[ 'gp_user', qq{$cols, roleid) VALUES ('u', '* * * * *', 'SELECT 1', 10)} ],
	[ 'gp_user', qq{$cols, kind) VALUES ('u', '* * * * *', 'SELECT 1', NULL)} ],
	[ 'gp_user', qq{$cols, kind, http_url) VALUES ('u', '* * * * *', 'x', 'http', 'https://example.com/')} ],
	[ 'gp_user', qq{$cols, alert_url) VALUES ('u', '* * * * *', 'SELECT 1', 'https://example.com/')} ],
	[ 'gp_user', qq{$cols, alert_url) VALUES ('u', '* * * * *', 'SELECT 1', '')} ],
	[ 'gp_user', qq{$cols) VALUES ('u', '* * * * *', repeat('x', 2000))} ],
	[ 'gp_user', qq{$cols) VALUES ('u', '* * * * *', repeat('x', 2000000))} ],
	[ 'gp_user', q{UPDATE cron.job SET schedule = '0 0 * * *'} ],
	[ 'gp_user', q{UPDATE cron.job SET username = 'gp_other'} ],
	[ 'gp_user', q{UPDATE cron.job SET roleid = 10} ],
	[ 'gp_user', q{UPDATE cron.job SET paused_at = now()} ],
	[ 'gp_user', q{DELETE FROM cron.job} ],
	[ 'gp_user', q{SELECT cron.schedule('api_u', '0 0 * * *', 'SELECT 1'); SELECT cron.alter_job(7, command => 'SELECT 70')} ],
	[ 'gp_user', q{SELECT cron.schedule_http('api_u', '0 0 * * *', 'https://example.com/')} ],
	[ '', qq{$revoke_api SET ROLE gp_user; INSERT INTO cron.job (jobname, schedule, command) VALUES ('u', '* * * * *', 'SELECT 1')} ],
	[ '', qq{$revoke_api SET ROLE gp_user; INSERT INTO cron.job (jobname, schedule, command, kind) VALUES ('u', '* * * * *', 'SELECT 1', NULL)} ],
	[ '', qq{$revoke_api SET ROLE gp_user; UPDATE cron.job SET active = false} ],
	[ '', qq{$revoke_api SET ROLE gp_user; DELETE FROM cron.job} ],
	[ '', qq{$revoke_api SET ROLE gp_http; UPDATE cron.job SET active = false} ],
	[ '', qq{$revoke_api SET ROLE gp_http; INSERT INTO cron.job (jobname, schedule, command, kind, http_url) VALUES ('u', '* * * * *', 'x', 'http', 'https://example.com/')} ],
	[ '', q{REVOKE EXECUTE ON FUNCTION cron.schedule_http(text,text,text,text,jsonb,text,interval,integer[],text,text,interval,text,integer,interval,boolean) FROM gp_http;
		SET ROLE gp_http; UPDATE cron.job SET http_url = 'https://example.com/v'} ],
	[ '', q{REVOKE EXECUTE ON FUNCTION cron.schedule_http(text,text,text,text,jsonb,text,interval,integer[],text,text,interval,text,integer,interval,boolean) FROM gp_http;
		SET ROLE gp_http; UPDATE cron.job SET active = false} ],
	[ 'gp_http', q{UPDATE cron.job SET http_headers = '{"X-Key": "k"}', alert_url = 'https://example.com/al'} ],
	[ 'gp_http', q{UPDATE cron.job SET http_body = repeat('b', 3000)} ],
	[ 'gp_http', qq{$cols, kind, http_url, http_headers) VALUES ('u', '* * * * *', 'x', 'http', 'https://example.com/', jsonb_build_object('X', repeat('h', 1500)))} ],
	[ 'gp_nologin', qq{$cols) VALUES ('u', '* * * * *', 'SELECT 1')} ],
	[ 'gp_nologin', qq{$cols, kind, http_url) VALUES ('u', '* * * * *', 'x', 'http', 'https://example.com/')} ],
);

# the cases as one psql script; each in a transaction of its own
my $script = "\\set VERBOSITY verbose\n";
for my $i (0 .. $#cases)
{
	my ($role, $sql) = @{ $cases[$i] };
	$script .= "\\echo ==== case $i\nBEGIN;\n" . ($role ? "SET ROLE $role;\n" : '') . "$sql;\n$show\nROLLBACK;\n";
}

# psql's output with errors in place, without what differs between the
# two databases: their names, the instants, the C or PL/pgSQL location
sub run_cases
{
	my ($db) = @_;
	my $out;
	IPC::Run::run([ 'psql', '-X', '-A', '-q', '-d', $node->connstr($db), '-f', '-' ],
		'<', \$script, '>&', \$out);
	$out =~ s/pdb1[34]/DB/g;
	$out =~ s/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?[+-]\d\d(:\d\d)?/INSTANT/g;
	$out =~ s/^LOCATION: .*\n//mg;
	return $out;
}

sub compare_runs
{
	my ($what) = @_;
	my $old = run_cases('pdb13');
	my $new = run_cases('pdb14');
	if ($ENV{GUARD_PARITY_OUT})
	{
		PostgreSQL::Test::Utils::append_to_file("$ENV{GUARD_PARITY_OUT}.13", $old);
		PostgreSQL::Test::Utils::append_to_file("$ENV{GUARD_PARITY_OUT}.14", $new);
	}
	my $errors = () = $old =~ /^psql:.*ERROR:  (?!25P02)/mg;
	cmp_ok($errors, '>=', 100, "$what: the cases raise errors ($errors of them)");
	# one block of outcome per case
	my @o = split /^==== case \d+\n/m, $old;
	my @n = split /^==== case \d+\n/m, $new;
	is(scalar(@n), scalar(@o), "$what: an outcome for every case");
	my $diffs = 0;
	for my $i (1 .. $#o)
	{
		next if $o[$i] eq ($n[$i] // '');
		diag("case " . ($i - 1) . ": " . join(' AS ', reverse grep { $_ ne '' } @{ $cases[ $i - 1 ] })
			  . "\n---- 1.3:\n" . substr($o[$i], 0, 1500) . "\n---- now:\n" . substr($n[$i] // '', 0, 1500))
		  if $diffs++ < 5;
	}
	is($diffs, 0, "$what: the C guard and the PL/pgSQL guard give the same outcome in every case");
}

$node->safe_psql($_, $fixture) for ('pdb13', 'pdb14');
compare_runs('default settings');

$node->append_conf('postgresql.conf', q{
cron.max_jobs_per_role = 5
cron.max_command_bytes = 1024
cron.enable_superuser_jobs = off
cron.timezone = 'America/New_York'
});
$node->reload;
ok(wait_for($node, q{SELECT current_setting('cron.max_jobs_per_role') = '5'}, 30), 'the limits are in force');
compare_runs('low limits, superuser jobs off, cron.timezone America/New_York');

done_testing();
