
# 160_entry_points.pl
#	  No entry point of the extension can crash the server or be misused by
#	  a role that shares it.  Every function of cronext, listed from the
#	  catalog (so a function added later is covered, or this test fails), is
#	  called in every wrong way we could think of:
#	  1. as an ordinary LOGIN role with nothing but TEMP (no USAGE on schema
#	     cron): every call is refused with 42501;
#	  2. as a role with USAGE on cron: NULL in each argument, all NULLs, and
#	     garbage per argument type and name (empty and 2 MB strings, control
#	     characters, printf directives, multi-byte text, long incompressible
#	     names, extreme and negative numbers and intervals, infinite and
#	     out-of-range timestamps, odd JSON and arrays, bad schedules, time
#	     zones, URLs, roles and databases): every call answers, with success
#	     or an ERROR of an expected SQLSTATE class, never an internal error,
#	     a timeout or a lost session; then every job those calls stored is
#	     run, so stored garbage also goes through the scheduler and a worker;
#	  3. the trigger functions: a role cannot attach them (42501, also
#	     through LANGUAGE C, LOAD, a view, or a GRANT of its own), and when a
#	     superuser attaches cron.job_changed() anywhere but AFTER ROW
#	     INSERT/UPDATE/DELETE or AFTER STATEMENT TRUNCATE on cron.job (a
#	     zero-column table, a table whose first column is text or dropped, a
#	     temp table, BEFORE/AFTER, ROW/STATEMENT, every event, a deferred
#	     constraint trigger, a view, the ledger) it fails with 39P01 -- the
#	     exact attack of the issue included; the guard functions fail
#	     cleanly too;
#	  4. the TRUNCATE-trigger reload loop: a role cannot put a TRUNCATE
#	     trigger with it on its own table (42501); one a superuser put there
#	     is refused at every TRUNCATE (39P01, 200 in a loop and 20 in
#	     transactions of their own) and never wakes the scheduler to re-read
#	     cron.job (observed with cron.job locked and log_lock_waits: every
#	     pass the scheduler makes then logs "still waiting for
#	     AccessShareLock"; a configuration reload, the control, does);
#	  and throughout: the postmaster was never restarted, the log has no
#	  crash, the scheduler is the same process, never failed a pass, and
#	  still runs a '1 seconds' job at the end.

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

# history_retention = 0: the scheduler never prunes, so it wakes only for
# jobs and changes; log_lock_waits shows each pass it makes while section 4
# holds cron.job locked
my $node = cron_node('entry', qq{
cron.history_retention = 0
log_lock_waits = on
deadlock_timeout = '50ms'
});

$node->safe_psql('postgres', q{
CREATE ROLE nobody_r LOGIN;		-- TEMP on the database (PUBLIC's), nothing else
CREATE ROLE user_r LOGIN;
GRANT USAGE ON SCHEMA cron TO user_r;
-- runs a statement in a subtransaction with the caller's rights and says
-- how it ended: 'ok', or the SQLSTATE and message (control characters
-- shown as '?'), also for a statement timeout
CREATE FUNCTION public.try_sql(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE st text; msg text;
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS OR query_canceled THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
	RETURN st || ' ' || left(regexp_replace(msg, '[\x01-\x1f\x7f]', '?', 'g'), 200);
END $f$;
CREATE TABLE tick (at timestamptz DEFAULT clock_timestamp());
-- a table of user_r's own (section 4)
CREATE TABLE public.own_t (a bigint);
ALTER TABLE public.own_t OWNER TO user_r;
INSERT INTO public.own_t VALUES (1);
});

my $start_time = q1($node, 'SELECT pg_postmaster_start_time()');
my $sched_pid = q1($node, q{SELECT coalesce(string_agg(pid::text, ','), 'none')
	FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'});
like($sched_pid, qr/^\d+$/, "the scheduler runs (pid $sched_pid)");

my $tick = q1($node, q{SELECT cron.schedule('tick', '1 seconds', 'INSERT INTO tick DEFAULT VALUES')});
ok(wait_for($node, 'SELECT count(*) >= 1 FROM tick', 10), "the superuser's '1 seconds' job runs");

# another role's job and run (the superuser's), and user_r's own job
my $other = q1($node, q{SELECT cron.schedule('sup-job', '0 0 1 1 *', 'SELECT 1')});
my $other_run = q1($node, "SELECT cron.run_job($other)");
my $own = $node->safe_psql('postgres', q{SELECT cron.schedule('own', '0 0 1 1 *', 'SELECT 1')},
	extra_params => [ '-U', 'user_r' ]);
like($own, qr/^\d+$/, "user_r has a job of its own ($own)");

# Run the statements as $user, each through try_sql, in one session;
# returns the outcomes in order.  A session lost in the middle (a crash)
# gives fewer outcomes than statements.
sub outcomes
{
	my ($user, $stmts, $prelude) = @_;
	my $script = ($prelude // "SET statement_timeout = '10s';") . "\n";
	for my $s (@$stmts)
	{
		die "statement contains the quote \$q\$: $s" if $s =~ /\$q\$/;
		$script .= "SELECT try_sql(\$q\$$s\$q\$);\n";
	}
	my ($out, $err) = ('', '');
	$node->psql('postgres', $script, stdout => \$out, stderr => \$err,
		on_error_stop => 0, extra_params => [ '-U', $user ]);
	my @res = $out eq '' ? () : split /\n/, $out;
	diag("psql stderr as $user: " . substr($err, 0, 2000)) if $err ne '';
	return @res;
}

# ---------------------------------------------------------------------
# the calls: every function of the extension, from the catalog
# ---------------------------------------------------------------------
my @funcs = map { [ split /\|/, $_, -1 ] } qcol($node, q{
	SELECT p.oid::regprocedure::text, p.proname, p.proretset,
		   coalesce((SELECT string_agg(n, ',' ORDER BY o)
					 FROM unnest(p.proargnames,
								 coalesce(p.proargmodes::text[],
										  array_fill('i'::text, ARRAY[coalesce(cardinality(p.proargnames), 0)])))
						  WITH ORDINALITY u(n, m, o)
					 WHERE m IN ('i', 'b', 'v')), ''),
		   coalesce((SELECT string_agg(format_type(t, NULL), ',' ORDER BY o)
					 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, o)), '')
	FROM pg_proc p
	JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
	JOIN pg_extension e ON e.oid = d.refobjid
	WHERE e.extname = 'cronext' ORDER BY p.oid});
cmp_ok(scalar(@funcs), '>=', 20, 'the catalog lists the extension\'s functions (' . scalar(@funcs) . ')');

my $md5 = q{(SELECT string_agg(md5(i::text), '') FROM generate_series(1, 320) i)};	# 10 kB, incompressible
my %type_garbage = (
	'text' => [ q{''}, q{repeat('x', 2000000)}, q{E'\\x01\\x02\\x1b[2J\\x7f\\t\\r\\n'},
		q{'%s%s%s%s%n%n%x'}, q{'Ω漢字🙂'}, $md5 ],
	'bigint' => [ '-1', '0', '9223372036854775807', q{'-9223372036854775808'} ],
	'integer' => [ '-1', '2147483647', q{'-2147483648'} ],
	'interval' => [ q{'-1 microsecond'}, q{'1 microsecond'}, q{'178000000 years'}, q{'-178000000 years'} ],
	'timestamp with time zone' => [ q{'infinity'}, q{'-infinity'}, q{'4713-01-01 00:00:00+00 BC'},
		q{'294276-12-31 23:59:59+00'} ],
	'boolean' => [],
	'jsonb' => [ q{'[]'}, q{'"x"'}, q{'null'}, q{'{"":"x"}'}, q{'{"X-A":"a\r\nInjected: 1"}'},
		q{(SELECT jsonb_object_agg(i::text, repeat('v', 20)) FROM generate_series(1, 60000) i)} ],
	'integer[]' => [ q{'{}'}, q{'{NULL}'}, q{'{-1}'}, q{'{2147483647}'}, q{'{{200,201},{202,203}}'},
		q{'[-5:-4]={200,201}'}, q{(SELECT array_agg(200) FROM generate_series(1, 100000))} ],
	'name' => [ q{''}, q{repeat('n', 1000)}, q{'no_such_role'}, q{'postgres'} ],
	'anyelement' => [ 'NULL::integer', q{'x'::text}, 'ARRAY[1,2]', q{'{}'::jsonb} ],
	'regprocedure' => [ q{'pg_catalog.now()'}, q{'cron.no_such_function()'}, q{'0'}, q{'-'} ],
);
# the overloads with options take the command as varchar (see the install script)
$type_garbage{'character varying'} = $type_garbage{'text'};
# by argument name (p_ prefix dropped)
my %name_garbage = (
	schedule => [ q{'* * * * * * * *'}, q{'*/0 * * * *'}, q{'0-2147483648 * * * *'},
		q{'@at 294276-12-31 23:59:59+00'}, q{'@at 9999-12-31 23:59:59+00'}, q{'@reboot'}, q{'@every'},
		q{'60 seconds'}, q{'0 seconds'}, q{'-1 seconds'}, q{'0 0 31 2 *'},
		q{repeat('1,', 500000) || '1 * * * *'}, q{repeat(' ', 1000000) || '* * * * *'} ],
	timezone => [ q{'<Z123>5'}, q{'right/UTC'}, q{'../../../../etc/passwd'}, q{'/etc/passwd'},
		q{'UTC+99999999999'}, q{repeat('A/', 5000)}, q{'Pacific/Kiritimati'} ],
	url => [ q{'file:///etc/passwd'}, q{'gopher://127.0.0.1/'}, q{'http://u:p@127.0.0.1/'},
		q{'http://[::1'}, q{'http://' || repeat('a', 10000000)}, q{'HTTP://127.0.0.1/'} ],
	method => [ q{'CONNECT'}, q{E'GET\r\nX: y'}, q{'get'} ],
	catchup => [ q{'ALL'}, q{'none '} ],
	overlap => [ q{'QUEUE'}, q{'skip '} ],
	database => [ q{'template0'}, q{'no_such_db'}, q{repeat('d', 100)} ],
	username => [ q{'postgres'}, q{'nobody_r'}, q{'pg_signal_backend'}, q{'no_such_role'}, q{repeat('u', 100)} ],
	kind => [ q{'http'}, q{'HTTP'}, q{'garbage'} ],
	command => [ q{'   '}, q{'BEGIN'}, q{'COMMIT'} ],
	job_name => [ q{'sup-job'} ],
	jobname => [ q{'sup-job'} ],
	job_id => [ $other ],
	jobid => [ $other ],
	runid => [ $other_run ],
	role_name => [ q{'nobody_r'} ],
	run_at => [ q{now() - interval '1 second'} ],
	alert_url => [ q{'file:///etc/passwd'}, q{'http://u:p@127.0.0.1/'}, q{'http://' || repeat('a', 10000000)} ],
	expect_success_within => [ q{'0.5 seconds'}, q{'367 days'} ],
	secret => [ q{'short'}, q{repeat('s', 1025)} ],
);
# the other arguments' values: valid, and never due during the test
my %base = (
	schedule => q{'0 0 1 1 *'}, command => q{'SELECT 1'}, job_name => q{'ep-fuzz'},
	jobname => q{'ep-fuzz'}, database => q{'postgres'}, username => 'current_user', active => 'true',
	timezone => q{'UTC'}, catchup => q{'latest'}, catchup_window => q{'1 hour'}, overlap => q{'queue'},
	max_retries => '0', retry_delay => q{'1 minute'}, timeout => q{'1 minute'}, kind => q{'sql'},
	job_id => $own, jobid => $own, runid => $other_run, after => 'now()', count => '5',
	run_at => q{now() + interval '1 hour'}, role_name => 'current_user', value => '1', name => q{'x'},
	url => q{'http://127.0.0.1:9/x'}, method => q{'GET'}, headers => q{'{}'}, body => 'NULL',
	expect_status => 'NULL', twin => q{'cron.schedule(text,text,text)'},
	activate => 'false', source => q{'ep-src'}, jobs => q{'[]'}, job => q{'{}'},
	field => q{'x'}, json_type => q{'string'},
	alert_url => 'NULL', expect_success_within => q{'1 hour'},
	secret => q{'ep-secret-0123456789'}, catch_up => 'false', job_alert_url => 'NULL',
);
my %http_only = map { $_ => 1 } qw(url method headers body expect_status);

my (@cases, %case_fn);
for my $f (@funcs)
{
	my ($sig, $fn, $retset, $names, $types) = @$f;
	my @n = $names eq '' ? () : split /,/, $names;
	my @t = $types eq '' ? () : split /,/, $types;
	my @key = map { (my $k = $_) =~ s/^p_//; $k } @n;
	my @b;
	for my $i (0 .. $#n)
	{
		# HTTP fields stay NULL in calls that may also write an SQL job
		my $v = ($http_only{ $key[$i] } && $fn ne 'schedule_http' && $fn ne '_check_http_url')
		  ? 'NULL' : $base{ $key[$i] };
		BAIL_OUT("no base value for $sig argument $n[$i]") unless defined $v;
		push @b, $v;
	}
	my $call = sub {
		my @a = @_;
		my $args = join ', ', map { $t[$_] eq 'anyelement' ? $a[$_] : "($a[$_])::$t[$_]" } 0 .. $#a;
		my $c = "cron.$fn($args)";
		return $retset eq 't' ? "SELECT count(*) FROM (SELECT $c) s" : "SELECT $c";
	};
	my @c;
	# the call with valid values (not for unschedule: it would drop the job the others use)
	push @c, [ "$sig: valid call", $call->(@b) ] unless $fn eq 'unschedule';
	push @c, [ "$sig: all NULL", $call->(map { 'NULL' } @b) ] if @b;
	for my $i (0 .. $#b)
	{
		my @a = @b;
		$a[$i] = 'NULL';
		push @c, [ "$sig: $n[$i] NULL", $call->(@a) ] if @b > 1;
		my $tg = $type_garbage{ $t[$i] };
		BAIL_OUT("no garbage values for type $t[$i] ($sig)") unless $tg;
		for my $g (@$tg, @{ $name_garbage{ $key[$i] } // [] })
		{
			my @a = @b;
			$a[$i] = $g;
			push @c, [ "$sig: $n[$i] = $g", $call->(@a) ];
		}
	}
	$case_fn{ $_->[0] } = $fn for @c;
	push @cases, @c;
}
my %fn_cases;
$fn_cases{ $case_fn{ $_->[0] } }++ for @cases;
is(scalar(grep { !$fn_cases{ $_->[1] } } @funcs), 0, 'every function has calls (' . scalar(@cases) . ' in all)');

# ---------------------------------------------------------------------
# 1. a role without USAGE on cron: every call refused with 42501
# ---------------------------------------------------------------------
{
	my @res = outcomes('nobody_r', [ map { $_->[1] } @cases ]);
	is(scalar(@res), scalar(@cases), 'nobody_r: every call answered (no session lost)');
	my @bad = grep { ($res[$_] // 'none') ne '42501 permission denied for schema cron' } 0 .. $#cases;
	is(scalar(@bad), 0, 'nobody_r: every call refused with 42501 "permission denied for schema cron"')
	  or diag(join "\n", map { "$cases[$_][0] -> " . ($res[$_] // 'no answer') } @bad[ 0 .. ($#bad < 20 ? $#bad : 19) ]);
}

# ---------------------------------------------------------------------
# 2. a role with USAGE on cron: clean answers only
# ---------------------------------------------------------------------
my %res;
{
	my $t0 = time();
	my @res = outcomes('user_r', [ map { $_->[1] } @cases ]);
	is(scalar(@res), scalar(@cases), 'user_r: every call answered (no session lost)')
	  or diag('last call answered: ' . ($cases[ $#res ][0] // 'none') . '; next: ' . ($cases[ @res ][0] // 'none'));
	note(sprintf('user_r: %d calls in %.1f s', scalar(@cases), time() - $t0));
	$res{ $cases[$_][0] } = $res[$_] // 'no answer' for 0 .. $#cases;

	# success, or an error of a class a user's mistake gives: data exception
	# (22), integrity (23), catalog name (3D), privilege/syntax/undefined
	# object (42), program limit (54) -- never an internal error (XX), a
	# timeout (57), out of memory (53) or no answer
	my @bad = grep { $res{ $_->[0] } !~ /^(ok$|(22|23|3D|42|54)[0-9A-Z]{3} )/ } @cases;
	is(scalar(@bad), 0, 'user_r: every call succeeded or failed with SQLSTATE class 22, 23, 3D, 42 or 54')
	  or diag(join "\n", map { "$_->[0] -> $res{$_->[0]}" } @bad[ 0 .. ($#bad < 30 ? $#bad : 29) ]);

	# NULLs: a default, or "... must not be NULL" (22004); the functions a
	# role may not execute refuse first; _require's untyped NULL cannot be
	# resolved; _job_not_found reports the job it was given
	my %null_ok = (
		job_guard => qr/^42501 /, job_changed => qr/^42501 /, job_run_details_guard => qr/^42501 /,
		_alert_failed => qr/^42501 /, _forget_attempts => qr/^42501 /, _forget_secrets => qr/^42501 /,
		_alert_url => qr/^42501 permission denied for function _alert_url/,
		schedule_http => qr/^42501 permission denied for function schedule_http/,
		_require => qr/^(ok$|22004 |42804 could not determine polymorphic type)/,
		_job_not_found => qr/^42704 job <NULL> does not exist/,
	);
	my @badnull = grep {
		my $fn = $case_fn{ $_->[0] };
		$_->[0] =~ / NULL$/
		  && $res{ $_->[0] } !~ ($null_ok{$fn} // qr/^(ok$|22004 .* must not be NULL)/)
	} @cases;
	is(scalar(@badnull), 0, 'user_r: a NULL argument is a default or 22004 "... must not be NULL"')
	  or diag(join "\n", map { "$_->[0] -> $res{$_->[0]}" } @badnull);

	my $r = sub {
		my ($sig, $what) = @_;
		return $res{"$sig: $what"} // "no such call: $sig: $what";
	};
	my $sched10 = 'cron.schedule(text,text,character varying,text,text,interval,text,integer,interval,interval)';
	my $alter = (grep { $_->[1] eq 'alter_job' } @funcs)[0][0];
	my $http = (grep { $_->[1] eq 'schedule_http' } @funcs)[0][0];
	my @expect = (
		[ 'cron.job_changed()', 'valid call', qr/^42501 permission denied for function job_changed/ ],
		[ 'cron.job_guard()', 'valid call', qr/^42501 permission denied for function job_guard/ ],
		[ 'cron.job_run_details_guard()', 'valid call', qr/^42501 permission denied for function job_run_details_guard/ ],
		[ $http, 'valid call', qr/^42501 permission denied for function schedule_http/ ],
		[ 'cron.schedule(text,text)', q{command = repeat('x', 2000000)}, qr/^54000 the job is too large/ ],
		[ $sched10, "job_name = $md5", qr/^54000 / ],
		[ $sched10, q{timezone = '<Z123>5'}, qr/^22023 invalid time zone/ ],
		[ $sched10, q{timezone = 'right/UTC'}, qr/^22023 invalid time zone/ ],
		[ $sched10, q{timezone = '../../../../etc/passwd'}, qr/^22023 invalid time zone/ ],
		[ $sched10, q{retry_delay = '178000000 years'}, qr/^22023 retry_delay must be between 0 and 30 days/ ],
		[ $sched10, q{catchup_window = '-178000000 years'}, qr/^22023 catchup_window must be between 0 and 366 days/ ],
		[ $sched10, q{max_retries = 2147483647}, qr/^22023 / ],
		[ 'cron.check_schedule(text,text)', q{timezone = E'\\x01\\x02\\x1b[2J\\x7f\\t\\r\\n'}, qr/^22023 invalid time zone/ ],
		[ 'cron.check_schedule(text,text)', q{schedule = '*/0 * * * *'}, qr/^22023 / ],
		[ 'cron.next_runs(text,text,timestamp with time zone,integer)', q{after = 'infinity'}, qr/^22023 / ],
		[ 'cron.next_runs(text,text,timestamp with time zone,integer)', q{count = -1}, qr/^22023 count must not be negative/ ],
		[ 'cron._check_http_url(text)', q{url = 'file:///etc/passwd'}, qr/^22023 / ],
		[ 'cron._check_http_url(text)', q{url = 'http://' || repeat('a', 10000000)}, qr/^22023 / ],
		[ $alter, q{username = 'postgres'}, qr/^42501 permission denied to schedule a job as role "postgres"/ ],
		[ $alter, "job_id = $other", qr/^42501 job $other belongs to another role/ ],
		[ 'cron.run_job(bigint)', "job_id = $other", qr/^42501 job $other belongs to another role/ ],
		[ 'cron.run_job(bigint)', q{job_id = 9223372036854775807}, qr/^42704 job 9223372036854775807 does not exist/ ],
		[ 'cron.unschedule(bigint)', "job_id = $other", qr/^42501 job $other belongs to another role/ ],
		[ 'cron.cancel_run(bigint)', "runid = $other_run", qr/^42704 run $other_run does not exist/ ],
		[ 'cron.schedule_at(text,timestamp with time zone,text,text,interval,integer,interval,interval)',
		  q{run_at = 'infinity'}, qr/^22023 run_at must be a finite time/ ],
	);
	for my $e (@expect)
	{
		like($r->($e->[0], $e->[1]), $e->[2], "user_r: $e->[0]: $e->[1]");
	}

	# a call that would go on forever is cancelled by statement_timeout
	my @t = outcomes('user_r',
		[ q{SELECT count(*) FROM cron.next_runs('1 seconds', NULL, now(), 2147483647)} ],
		"SET statement_timeout = '300ms';");
	like($t[0] // 'no answer', qr/^57014 canceling statement due to statement timeout/,
		'user_r: next_runs with count 2^31-1 is interrupted by statement_timeout');
}

# every job the calls stored: run it now, so that what they hold goes
# through the scheduler and a job worker
{
	my @jobs = qcol($node, q{SELECT jobid FROM cron.job WHERE username = 'user_r' ORDER BY jobid});
	cmp_ok(scalar(@jobs), '>=', 5, 'user_r\'s calls stored jobs (' . scalar(@jobs) . ')');
	my $before = q1($node, 'SELECT coalesce(max(runid), 0) FROM cron.job_run_details');
	my @runs = outcomes('user_r', [ map { "SELECT cron.run_job($_)" } @jobs ]);
	is(scalar(grep { $_ ne 'ok' } @runs), 0, '... each of them could be run now')
	  or diag(join "\n", grep { $_ ne 'ok' } @runs);
	ok(wait_for($node, q{SELECT count(*) = 0 FROM cron.job_run_details
		WHERE username = 'user_r' AND manual AND status IN ('starting', 'running')}, 20),
		'... and every run ended');
	is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE username = 'user_r' AND manual
		AND runid > $before AND status IN ('succeeded', 'failed') AND return_message IS NOT NULL}),
		scalar(@jobs), '... succeeded or failed, each with a message');
	like(q1($node, q{SELECT coalesce(string_agg(DISTINCT d.return_message, ' | '), 'none')
		FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		WHERE d.manual AND j.command = '%s%s%s%s%n%n%x'}),
		qr/^syntax error at or near "%"$/, 'the command "%s%s%s%s%n%n%x" failed with its text as given (not used as a format)');
	is(q1($node, q{SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		WHERE d.manual AND j.command = 'SELECT 1' AND j.database = 'postgres' AND d.status <> 'succeeded'
		AND (j.timeout IS NULL OR j.timeout >= interval '1 second')}),
		'0', 'the jobs whose command is SELECT 1 succeeded');
}

# ---------------------------------------------------------------------
# 3. the trigger functions
# ---------------------------------------------------------------------
# 3a. the issue's attack, verbatim, as each role: refused at CREATE TRIGGER
my @attack = (
	'CREATE TEMP TABLE r1(a text, b int)',
	'CREATE TRIGGER x AFTER INSERT ON r1 FOR EACH ROW EXECUTE FUNCTION cron.job_changed()',
	q{INSERT INTO r1 VALUES ('a',1)},
	'CREATE TEMP TABLE r2()',
	'CREATE TRIGGER x AFTER INSERT ON r2 FOR EACH ROW EXECUTE FUNCTION cron.job_changed()',
	'INSERT INTO r2 DEFAULT VALUES',
	'CREATE TEMP TABLE r3(a int)',
	'CREATE TRIGGER x AFTER TRUNCATE ON r3 FOR EACH STATEMENT EXECUTE FUNCTION cron.job_changed()',
	'TRUNCATE r3',
);
for my $role ([ 'nobody_r', 'permission denied for schema cron' ],
			  [ 'user_r', 'permission denied for function cron.job_changed' ])
{
	my ($user, $msg) = @$role;
	is_deeply([ outcomes($user, \@attack) ],
		[ 'ok', "42501 $msg", 'ok', 'ok', "42501 $msg", 'ok', 'ok', "42501 $msg", 'ok' ],
		"$user: the issue's attack is refused at CREATE TRIGGER (42501 $msg)");
}

# 3b. other ways a role might attach or run them
{
	my @misuse = (
		[ q{CREATE FUNCTION pg_temp.jc() RETURNS trigger LANGUAGE c AS '$libdir/cronext', 'cron_job_changed'},
		  qr/^42501 permission denied for language c/, qr/^42501 permission denied for language c/ ],
		[ q{LOAD 'cronext'}, qr/^42501 access to library "cronext" is not allowed/,
		  qr/^42501 access to library "cronext" is not allowed/ ],
		[ q{GRANT EXECUTE ON FUNCTION cron.job_changed() TO PUBLIC},
		  qr/^42501 permission denied for function job_changed/, qr/^42501 permission denied for schema cron/ ],
		[ q{ALTER FUNCTION cron.job_changed() SECURITY DEFINER},
		  qr/^42501 must be owner of function cron.job_changed/, qr/^42501 permission denied for schema cron/ ],
		[ q{CREATE OR REPLACE FUNCTION cron.job_changed() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'},
		  qr/^42501 permission denied for schema cron/, qr/^42501 permission denied for schema cron/ ],
		[ q{CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION cron.job_changed()},
		  qr/^42501 /, qr/^42501 / ],
		[ q{CREATE TEMP VIEW v AS SELECT * FROM cron.job}, qr/^ok$/, qr/^42501 permission denied for schema cron/ ],
		[ q{CREATE TRIGGER x INSTEAD OF INSERT ON v FOR EACH ROW EXECUTE FUNCTION cron.job_changed()},
		  qr/^42501 permission denied for function cron.job_changed/, qr/^42P01 / ],
		[ q{CREATE FUNCTION pg_temp.tf() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'}, qr/^ok$/, qr/^ok$/ ],
		# refused before it queues its lock (lock_guard.c)
		[ q{CREATE TRIGGER x AFTER INSERT ON cron.job FOR EACH ROW EXECUTE FUNCTION pg_temp.tf()},
		  qr/^42501 permission denied to create a trigger on cron.job/, qr/^42501 permission denied for schema cron/ ],
		[ q{ALTER TABLE cron.job DISABLE TRIGGER job_changed}, qr/^42501 must be owner of table job/,
		  qr/^42501 permission denied for schema cron/ ],
		[ q{ALTER TABLE cron.job DISABLE TRIGGER job_guard}, qr/^42501 must be owner of table job/,
		  qr/^42501 permission denied for schema cron/ ],
		[ q{TRUNCATE cron.job}, qr/^42501 permission denied for table job/, qr/^42501 permission denied for schema cron/ ],
		[ q{TRUNCATE cron.job_run_details}, qr/^42501 permission denied for table job_run_details/,
		  qr/^42501 permission denied for schema cron/ ],
		[ q{CREATE TEMP TABLE kid () INHERITS (cron.job)}, qr/^42501 permission denied to inherit from cron.job/,
		  qr/^42501 permission denied for schema cron/ ],
		[ q{CREATE RULE r AS ON INSERT TO cron.job DO INSTEAD NOTHING}, qr/^42501 permission denied to create a rule on cron.job/,
		  qr/^42501 permission denied for schema cron/ ],
		[ q{SELECT setval('cron.jobid_seq', 9223372036854775807)},
		  qr/^42501 permission denied for sequence jobid_seq/, qr/^42501 permission denied for schema cron/ ],
		[ q{DROP EXTENSION cronext}, qr/^42501 must be owner of extension cronext/,
		  qr/^42501 must be owner of extension cronext/ ],
	);
	my @u = outcomes('user_r', [ map { $_->[0] } @misuse ]);
	my @n = outcomes('nobody_r', [ map { $_->[0] } @misuse ]);
	for my $i (0 .. $#misuse)
	{
		like($u[$i] // 'no answer', $misuse[$i][1], "user_r: $misuse[$i][0]");
		like($n[$i] // 'no answer', $misuse[$i][2], "nobody_r: $misuse[$i][0]");
	}
	is(q1($node, q{SELECT string_agg(r || '=' || has_function_privilege(r, f::regprocedure, 'EXECUTE'), ' ' ORDER BY r, f)
		FROM unnest(ARRAY['nobody_r', 'user_r']) r,
			 unnest(ARRAY['cron.job_changed()', 'cron.job_guard()', 'cron.job_run_details_guard()']) f}),
		join(' ', map { "$_=false" } qw(nobody_r nobody_r nobody_r user_r user_r user_r)),
		'neither role may execute the three trigger functions');
}

# 3c. attached by a superuser where it does not belong: 39P01, rolled back
{
	my @tables = (
		[ 'z0', 'CREATE TEMP TABLE z0 (); INSERT INTO z0 DEFAULT VALUES', undef ],
		[ 't1', q{CREATE TEMP TABLE t1 (a text, b int); INSERT INTO t1 VALUES ('a', 1)}, 'a' ],
		[ 'i8', 'CREATE TEMP TABLE i8 (a bigint); INSERT INTO i8 VALUES (1)', 'a' ],
		[ 'dropped', 'CREATE TEMP TABLE dropped (x bigint, a bigint); INSERT INTO dropped VALUES (1, 1);
			ALTER TABLE dropped DROP COLUMN x', 'a' ],
		[ 'public.own_t', '', 'a' ],		# user_r's own regular table
	);
	my @stmts = (map { $_->[1] } grep { $_->[1] ne '' } @tables);
	my @desc = (map { "setup $_->[0]" } grep { $_->[1] ne '' } @tables);
	my @want = map { qr/^ok$/ } @desc;
	for my $tb (@tables)
	{
		my ($t, undef, $col) = @$tb;
		for my $when ('BEFORE', 'AFTER')
		{
			for my $level ('ROW', 'STATEMENT')
			{
				for my $ev ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
				{
					my $fire = {
						INSERT => "INSERT INTO $t DEFAULT VALUES",
						UPDATE => defined $col ? "UPDATE $t SET $col = $col" : undef,
						DELETE => "DELETE FROM $t",
						TRUNCATE => "TRUNCATE $t" }->{$ev};
					next unless defined $fire;
					push @stmts, "CREATE TRIGGER trg $when $ev ON $t FOR EACH $level "
					  . "EXECUTE FUNCTION cron.job_changed(); $fire";
					push @desc, "job_changed $when $ev FOR EACH $level on $t";
					push @want, ($ev eq 'TRUNCATE' && $level eq 'ROW')
					  ? qr/^0A000 TRUNCATE FOR EACH ROW triggers are not supported/
					  : qr/^39P01 cron.job_changed\(\) fired on table "\w+"/;
				}
			}
		}
	}
	my @extra = (
		[ 'deferred constraint trigger on t1',
		  q{CREATE CONSTRAINT TRIGGER trg AFTER INSERT ON t1 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
			EXECUTE FUNCTION cron.job_changed(); INSERT INTO t1 VALUES ('b', 2); SET CONSTRAINTS ALL IMMEDIATE},
		  qr/^39P01 cron.job_changed\(\) fired on table "t1"/ ],
		[ 'with trigger arguments on i8',
		  q{CREATE TRIGGER trg AFTER INSERT ON i8 FOR EACH ROW EXECUTE FUNCTION cron.job_changed('1', 'x'); INSERT INTO i8 VALUES (2)},
		  qr/^39P01 / ],
		[ 'INSTEAD OF on a view of cron.job',
		  q{CREATE TEMP VIEW vj AS SELECT * FROM cron.job;
			CREATE TRIGGER trg INSTEAD OF INSERT ON vj FOR EACH ROW EXECUTE FUNCTION cron.job_changed();
			INSERT INTO vj (schedule, command) VALUES ('0 0 1 1 *', 'SELECT 1')},
		  qr/^39P01 cron.job_changed\(\) fired on table "vj"/ ],
		[ 'AFTER DELETE FOR EACH STATEMENT on cron.job_run_details',
		  q{CREATE TRIGGER trg AFTER DELETE ON cron.job_run_details FOR EACH STATEMENT EXECUTE FUNCTION cron.job_changed();
			DELETE FROM cron.job_run_details WHERE false},
		  qr/^39P01 cron.job_changed\(\) fired on table "job_run_details"/ ],
		[ 'BEFORE INSERT FOR EACH ROW on cron.job',
		  q{CREATE TRIGGER trg BEFORE INSERT ON cron.job FOR EACH ROW EXECUTE FUNCTION cron.job_changed();
			SELECT cron.schedule('wrong-event', '0 0 1 1 *', 'SELECT 1')},
		  qr/^39P01 cron.job_changed\(\) fired for the wrong event/ ],
		[ 'AFTER INSERT FOR EACH STATEMENT on cron.job',
		  q{CREATE TRIGGER trg AFTER INSERT ON cron.job FOR EACH STATEMENT EXECUTE FUNCTION cron.job_changed();
			SELECT cron.schedule('wrong-event', '0 0 1 1 *', 'SELECT 1')},
		  qr/^39P01 cron.job_changed\(\) fired for the wrong event/ ],
		[ 'AFTER UPDATE FOR EACH STATEMENT on cron.job',
		  q{CREATE TRIGGER trg AFTER UPDATE ON cron.job FOR EACH STATEMENT EXECUTE FUNCTION cron.job_changed();
			UPDATE cron.job SET active = active},
		  qr/^39P01 cron.job_changed\(\) fired for the wrong event/ ],
		[ 'BEFORE DELETE FOR EACH ROW on cron.job',
		  qq{CREATE TRIGGER trg BEFORE DELETE ON cron.job FOR EACH ROW EXECUTE FUNCTION cron.job_changed();
			DELETE FROM cron.job WHERE jobid = $tick},
		  qr/^39P01 cron.job_changed\(\) fired for the wrong event/ ],
		[ 'BEFORE TRUNCATE on cron.job',
		  q{CREATE TRIGGER trg BEFORE TRUNCATE ON cron.job FOR EACH STATEMENT EXECUTE FUNCTION cron.job_changed();
			TRUNCATE cron.job},
		  qr/^39P01 cron.job_changed\(\) fired for the wrong event/ ],
		[ 'cron.job_changed() called directly', 'SELECT cron.job_changed()',
		  qr/^39P01 cron.job_changed\(\) must be called as a trigger/ ],
		[ 'cron.job_guard() called directly', 'SELECT cron.job_guard()',
		  qr/^0A000 trigger functions can only be called as triggers/ ],
		[ 'cron.job_run_details_guard() called directly', 'SELECT cron.job_run_details_guard()',
		  qr/^0A000 trigger functions can only be called as triggers/ ],
	);
	# the two guards, attached where they do not belong: a clean error
	for my $g ('job_guard', 'job_run_details_guard')
	{
		for my $t ('z0', 't1', 'i8')
		{
			for my $when ('BEFORE', 'AFTER')
			{
				for my $ev ('INSERT', 'DELETE', ($t eq 'z0' ? () : 'UPDATE'))
				{
					my $fire = { INSERT => "INSERT INTO $t DEFAULT VALUES", DELETE => "DELETE FROM $t",
						UPDATE => "UPDATE $t SET a = a" }->{$ev};
					push @extra, [ "$g $when $ev FOR EACH ROW on $t",
						"CREATE TRIGGER trg $when $ev ON $t FOR EACH ROW EXECUTE FUNCTION cron.$g(); $fire",
						qr/^(39P01|42703|55000) / ];
				}
			}
			push @extra, [ "$g AFTER TRUNCATE FOR EACH STATEMENT on $t",
				"CREATE TRIGGER trg AFTER TRUNCATE ON $t FOR EACH STATEMENT EXECUTE FUNCTION cron.$g(); TRUNCATE $t",
				qr/^(39P01|42703|55000) / ];
		}
	}
	for my $e (@extra)
	{
		push @desc, $e->[0];
		push @stmts, $e->[1];
		push @want, $e->[2];
	}
	# everything rolled back: each table still has its one row, and cron.job
	# its triggers and the tick job
	push @desc, 'afterwards';
	push @stmts, q{DO $d$ BEGIN
		IF (SELECT count(*) FROM z0) <> 1 OR (SELECT count(*) FROM t1) <> 1 OR (SELECT count(*) FROM i8) <> 1
		   OR (SELECT count(*) FROM dropped) <> 1 OR (SELECT count(*) FROM public.own_t) <> 1
		   OR (SELECT count(*) FROM pg_trigger WHERE tgname = 'trg') <> 0
		   OR NOT EXISTS (SELECT 1 FROM cron.job WHERE jobname = 'tick') THEN
			RAISE EXCEPTION 'something was not rolled back';
		END IF; END $d$};
	push @want, qr/^ok$/;

	my @res = outcomes('postgres', \@stmts);
	is(scalar(@res), scalar(@stmts), 'superuser: every trigger attempt answered (no session lost)');
	my @bad = grep { ($res[$_] // 'no answer') !~ $want[$_] } 0 .. $#stmts;
	is(scalar(@bad), 0, 'superuser: cron.job_changed() attached anywhere but its place fails with 39P01 (' .
		scalar(grep { "$_" =~ /39P01/ } @want) . ' ways), the guards with a clean error, all rolled back')
	  or diag(join "\n", map { "$desc[$_] -> " . ($res[$_] // 'no answer') } @bad);

	# the issue's attack, verbatim, as a superuser: the statements run,
	# the trigger refuses, the inserts are rolled back
	is_deeply([ outcomes('postgres', [ @attack, 'DO $d$ BEGIN IF (SELECT count(*) FROM r1) + (SELECT count(*) FROM r2)
		+ (SELECT count(*) FROM r3) <> 0 THEN RAISE EXCEPTION $m$rows kept$m$; END IF; END $d$' ]) ],
		[ 'ok', 'ok', '39P01 cron.job_changed() fired on table "r1"', 'ok', 'ok',
		  '39P01 cron.job_changed() fired on table "r2"', 'ok', 'ok', '39P01 cron.job_changed() fired on table "r3"', 'ok' ],
		"superuser: the issue's attack gives 39P01 at each INSERT/TRUNCATE, nothing is kept");
}

# ---------------------------------------------------------------------
# 4. the TRUNCATE-trigger reload loop: refused, and no re-read of cron.job
# ---------------------------------------------------------------------
{
	# user_r cannot attach it to its own table
	is_deeply([ outcomes('user_r', [ 'CREATE TRIGGER tt AFTER TRUNCATE ON public.own_t FOR EACH STATEMENT '
		. 'EXECUTE FUNCTION cron.job_changed()' ]) ],
		[ '42501 permission denied for function cron.job_changed' ],
		'user_r: a TRUNCATE trigger with cron.job_changed() on its own table is refused (42501)');
	# were it attached (by a superuser): TRUNCATE in a loop is refused each time
	$node->safe_psql('postgres', 'CREATE TRIGGER tt AFTER TRUNCATE ON public.own_t FOR EACH STATEMENT '
		. 'EXECUTE FUNCTION cron.job_changed()');

	# A quiet scheduler: no job due, no job worker left to exit (a worker's
	# exit wakes it), user_r's jobs gone.
	$node->safe_psql('postgres', qq{DELETE FROM cron.job WHERE username = 'user_r';
		SELECT cron.alter_job($tick, active => false)});
	my %seen_worker;
	my $deadline = time() + 15;
	while (time() < $deadline)
	{
		my @w = qcol($node, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext job'});
		$seen_worker{$_} = 1 for @w;
		# gone from pg_stat_activity and reaped by the postmaster (which then
		# has told the scheduler)
		last if !@w && !grep { kill 0, $_ } keys %seen_worker;
		usleep(100_000);
	}
	is(q1($node, q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'cronext job'}), '0',
		'no job worker is left');
	# two manual runs, one after the other, of a job in template0: each
	# fails at launch, with no worker; the pass that serves the second
	# began after the first was answered, so after everything above
	my $probe = q1($node, q{SELECT cron.schedule_in_database('probe', '0 0 1 1 *', 'SELECT 1', 'template0')});
	my $r1 = q1($node, "SELECT cron.run_job($probe)");
	my $r2 = q1($node, "SELECT cron.run_job($probe)");
	is(q1($node, "SELECT string_agg(status || ': ' || return_message, ' | ') FROM cron.job_run_details
		WHERE runid IN ($r1, $r2)"),
		'failed: database "template0" does not allow connections | failed: database "template0" does not allow connections',
		'the scheduler took the changes and is idle (two probe runs failed at launch)');

	# Every pass of the scheduler takes ACCESS SHARE on cron.job first,
	# waiting 200 ms at most: with cron.job locked, each pass it makes logs
	# "still waiting" (log_lock_waits, deadlock_timeout = 50ms).  Only a
	# wake-up makes a pass now; a change to the jobs would be one.
	my $off = -s $node->logfile;
	my $locker = $node->background_psql('postgres');
	$locker->query_safe('BEGIN; LOCK TABLE cron.job IN ACCESS EXCLUSIVE MODE');
	my @loop = outcomes('user_r', [ q{DO $d$ DECLARE n int := 0; BEGIN
		FOR i IN 1..200 LOOP
			BEGIN TRUNCATE public.own_t; EXCEPTION WHEN trigger_protocol_violated THEN n := n + 1; END;
		END LOOP;
		IF n <> 200 THEN RAISE EXCEPTION 'refused % times', n; END IF; END $d$},
		map({ 'TRUNCATE public.own_t' } 1 .. 20),
		q{SELECT 1 / (count(*) = 1)::int FROM public.own_t} ]);
	is_deeply(\@loop, [ 'ok', map({ '39P01 cron.job_changed() fired on table "own_t"' } 1 .. 20), 'ok' ],
		'user_r: TRUNCATE of its table with that trigger is refused, 200 times in a loop and 20 times '
		. 'in transactions of their own (39P01), its row kept');
	my $pass = qr/\[$sched_pid\] cronext scheduler LOG:  process $sched_pid still waiting for AccessShareLock/;
	$deadline = time() + 2;
	my $seen = 0;
	while (time() < $deadline && !$seen)
	{
		$seen = wait_log_count($node, $pass, $off);
		usleep(100_000);
	}
	is($seen, 0, '... and the scheduler was not woken to re-read cron.job (2 s with cron.job locked)')
	  or diag(log_since($node, $off));
	# the control: a configuration reload wakes it to re-read the jobs, and
	# the lock shows it in the log
	$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
	$deadline = time() + 10;
	while (time() < $deadline && !$seen)
	{
		$seen = wait_log_count($node, $pass, $off);
		usleep(100_000) unless $seen;
	}
	ok($seen, 'control: a configuration reload does wake it, and the lock shows its pass in the log')
	  or diag('scheduler: ' . q1($node, q{SELECT string_agg(coalesce(wait_event_type, '-') || ':' || coalesce(wait_event, '-') || ' ' || state, '; ')
		FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'}) . "\nlog:\n" . log_since($node, $off));
	$locker->query_safe('COMMIT');
	$locker->quit;
	$node->safe_psql('postgres', 'DROP TRIGGER tt ON public.own_t');
}

# ---------------------------------------------------------------------
# the server and the scheduler after all this
# ---------------------------------------------------------------------
{
	$node->safe_psql('postgres', "SELECT cron.alter_job($tick, active => true)");
	my $t0 = q1($node, 'SELECT clock_timestamp()');
	ok(wait_for($node, "SELECT count(*) >= 2 FROM tick WHERE at > '$t0'", 10),
		"the superuser's '1 seconds' job runs again afterwards");
	is(q1($node, 'SELECT pg_postmaster_start_time()'), $start_time, 'the postmaster was not restarted');
	is(q1($node, q{SELECT coalesce(string_agg(pid::text, ','), 'none')
		FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'}), $sched_pid,
		'the scheduler is the same process');
	my $log = slurp_file($node->logfile);
	my @crash = grep { /terminated by signal|server process .* was terminated|all server processes terminated|PANIC|TRAP:|segfault/ }
	  split /\n/, $log;
	is(scalar(@crash), 0, 'no crash in the log') or diag(join "\n", @crash[ 0 .. ($#crash < 10 ? $#crash : 9) ]);
	my @failed = grep { /WARNING:  cronext scheduler: / } split /\n/, $log;
	is(scalar(@failed), 0, 'the scheduler never failed a pass') or diag(join "\n", @failed);
}

note(sprintf('total %.1f s', time() - $t_start));
$node->stop;
done_testing();
