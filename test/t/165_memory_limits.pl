
# 165_memory_limits.pl
#	  The scheduler's memory is bounded whatever roles write.  One scheduler
#	  serves every role of the cluster, so nothing an ordinary role (USAGE on
#	  schema cron, nothing more) writes may make it grow without bound:
#	  1. time zones: a job's zone must be a name pg_timezone_names lists
#	     (pg_tzset keeps every zone it loads for the life of the process, and
#	     POSIX specifications such as '<Z1>5' are endless); the 26 or more
#	     zones of a list that are not listed there are refused with 22023 through cron.schedule,
#	     cron.alter_job, INSERT and UPDATE on cron.job, cron.check_schedule and
#	     cron.next_runs, for a role and for a superuser; every listed name
#	     works, in any letter case, and the scheduler runs a job in a
#	     lower-case zone;
#	  2. command size: 20 superuser jobs with 1.1 MB commands (the limit
#	     does not apply to superusers) leave the scheduler's memory where it
#	     was, after it read them and after it read every job again, and so
#	     does running one of them;
#	  3. passes: 500 runs through cron.run_job (each call at least one
#	     scheduler pass; a call refused because the role has too many runs
#	     waiting is made again) leave its memory where the first 250 left
#	     it: no allocation of a pass outlives the pass;
#	  4. queued runs: a role asking cron.run_job 30 times for its job of
#	     1 MB while the job's run is going (31 runs, within the role's
#	     cron.max_running_jobs) must not make the scheduler hold 30 MB (it
#	     "keeps no command text"), and once they ran its memory is back;
#	  5. cron.max_jobs_per_role (5, set by a reload): the 6th job of a role
#	     is refused with 54000 through cron.schedule (named and unnamed),
#	     cron.schedule_http, cron.schedule_at, INSERT (also six rows in one
#	     statement); replacing or altering a job is not creating one; another
#	     role has its own 5; a superuser is not limited, also when it creates
#	     a job for the role or gives the role one of its own (the caller
#	     rule as the spec states it); 0 means no limit;
#	  6. cron.max_command_bytes (4kB, then 5000 bytes): a command, HTTP url,
#	     body or headers one byte too large (counted in bytes, not
#	     characters) is refused with 54000 through every way of writing a
#	     job; exactly the limit is accepted; superusers are not limited;
#	  7. a row with a POSIX zone that bypassed the guard trigger (a
#	     superuser with session_replication_role = replica) is not scheduled
#	     and said so; the scheduler stays up.
#	  Throughout, the scheduler is the same process and the postmaster did
#	  not restart.
#
#	  The scheduler's memory is the "Grand total" that
#	  pg_log_backend_memory_contexts() writes to the server log, and its
#	  private memory (RssAnon of /proc/<pid>/status; VmRSS, which also counts
#	  the shared buffers it touched, is only reported).  Every wait is
#	  bounded.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use CronextTest;

my $far = '0 0 1 1 *';		# never due during the test

my $node = cron_node('memlimits', '', init => { extra => [ '--encoding=UTF8', '--locale=C' ] });
$node->safe_psql('postgres', q{
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
CREATE ROLE carol LOGIN;
GRANT USAGE ON SCHEMA cron TO alice, bob, carol;
GRANT EXECUTE ON FUNCTION cron.schedule_http TO alice, carol;
CREATE TABLE public.gate ();
GRANT SELECT ON public.gate TO alice;
-- the outcome of a statement, run with the caller's rights: 'ok' or
-- 'SQLSTATE message'
-- n runs of a job through cron.run_job, each call one scheduler pass; a
-- refused call (too many runs waiting) is tried again 20 ms later
CREATE FUNCTION public.run_n(j bigint, n int) RETURNS int LANGUAGE plpgsql AS $f$
DECLARE
	done int := 0;
	deadline timestamptz := clock_timestamp() + interval '40 seconds';
BEGIN
	WHILE done < n AND clock_timestamp() < deadline LOOP
		BEGIN
			PERFORM cron.run_job(j);
			done := done + 1;
		EXCEPTION WHEN others THEN
			PERFORM pg_sleep(0.02);
		END;
	END LOOP;
	RETURN done;
END
$f$;
CREATE FUNCTION public.try(q text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN others THEN
	RETURN SQLSTATE || ' ' || SQLERRM;
END
$f$;
});

my $t_start = time();
my $pm_start = q1($node, 'SELECT pg_postmaster_start_time()');

sub sched_pid
{
	return q1($node, "SELECT coalesce(string_agg(pid::text, ','), 'none') FROM pg_stat_activity
		WHERE backend_type = 'cronext scheduler'");
}

my $sched = sched_pid();
like($sched, qr/^\d+$/, "the scheduler runs (pid $sched)");

# a statement's outcome as $user: 'ok' or 'SQLSTATE message'
sub try_as
{
	my ($user, $sql) = @_;
	die "\$t\$ in $sql" if $sql =~ /\$t\$/;
	return $node->safe_psql('postgres', "SELECT public.try(\$t\$$sql\$t\$)",
		extra_params => [ '-U', $user ]);
}

sub as
{
	my ($user, $sql) = @_;
	return $node->safe_psql('postgres', $sql, extra_params => [ '-U', $user ]);
}

# the scheduler's memory: Grand total of its memory contexts, in bytes
sub memctx_total
{
	my $off = -s $node->logfile;
	q1($node, "SELECT pg_log_backend_memory_contexts($sched)");
	my $deadline = time() + 15;
	while (time() < $deadline)
	{
		my $log = log_since($node, $off);
		return $1 if $log =~ /\[$sched\] [^\n]*Grand total: (\d+) bytes/;
		usleep(50_000);
	}
	diag('no "Grand total" line from the scheduler within 15 s');
	return 1e12;
}

# its private memory (RssAnon), kB: VmRSS also counts the shared buffers
# it touched, e.g. the ledger pages a claim writes (the ledger row of a run
# carries the command), which are not the scheduler's to keep
sub rss_kb
{
	my $s = slurp_file("/proc/$sched/status");
	return $s =~ /RssAnon:\s+(\d+) kB/ ? $1 : -1;
}

sub vmrss_kb
{
	my $s = slurp_file("/proc/$sched/status");
	return $s =~ /VmRSS:\s+(\d+) kB/ ? $1 : -1;
}

sub mb { return sprintf('%.2f MB', $_[0] / 1048576) }

# ---------------------------------------------------------------------
# 1. time zones
# ---------------------------------------------------------------------
my %listed = map { lc($_) => 1 } qcol($node, 'SELECT name FROM pg_timezone_names');
ok(scalar(keys %listed) > 300, scalar(keys %listed) . ' zones in pg_timezone_names');

# POSIX specifications PostgreSQL itself takes for TimeZone, leap-second
# zones, and names that differ from a listed one only by what follows
my @cands = ((map { "<Z$_>5" } 1 .. 20), 'EST5', 'UTC+3', 'GMT+5',
	'XYZ-3ABC,M3.2.0,M10.5.0', 'right/UTC', 'right/America/New_York',
	'posixrules', 'localtime');
my @bad = grep { !$listed{ lc $_ } } @cands;
my @good = ('america/new_york', 'AMERICA/NEW_YORK', 'Europe/berlin', 'utc',
	'etc/gmt+5', 'asia/KOLKATA', grep { $listed{ lc $_ } } @cands);
diag('not listed (must be refused): ' . join(' ', @bad));
diag('listed (must work): ' . join(' ', @good));
ok(scalar(@bad) >= 26, scalar(@bad) . ' zone names that pg_timezone_names does not list');
is(q1($node, "SELECT count(*) FROM unnest(ARRAY[" . join(',', map { "'$_'" } grep { !/^right/ } @bad)
		. "]) z WHERE public.try(format('SET LOCAL timezone = %L', z)) <> 'ok'"),
	'0', '... PostgreSQL itself accepts the POSIX ones for SET timezone (pg_tzset would load them)');

my $base = as('alice', "SELECT cron.schedule('tz-base', '$far', 'SELECT 1')");

# every way of naming a zone, for the zones in @$zones, as $user: the
# outcomes that are not $expect (a code: the message must name the zone)
sub zone_matrix
{
	my ($user, $zones, $ok, $tag) = @_;
	my $arr = 'ARRAY[' . join(',', map { my $z = $_; $z =~ s/'/''/g; "'$z'" } @$zones) . ']';
	my $expect = $ok ? q{'ok'} : q{'22023 invalid time zone "' || z || '"'};
	my $jid = $user eq 'alice' ? $base : q1($node, "SELECT cron.schedule('tz-base-su', '$far', 'SELECT 1')");
	my $sql = qq{
		WITH z(z, i) AS (SELECT * FROM unnest($arr) WITH ORDINALITY),
		r(route, z, res) AS (
			SELECT 'cron.schedule', z, public.try(format('SELECT cron.schedule(%L, %L, %L, timezone => %L)',
				'tz-$tag-' || i, '$far', 'SELECT 1', z)) FROM z
			UNION ALL
			SELECT 'cron.schedule_in_database', z, public.try(format('SELECT cron.schedule_in_database(%L, %L, %L, %L, timezone => %L)',
				'tz-$tag-db-' || i, '$far', 'SELECT 1', 'postgres', z)) FROM z
			UNION ALL
			SELECT 'cron.alter_job', z, public.try(format('SELECT cron.update_job(%s, timezone => %L)', $jid, z)) FROM z
			UNION ALL
			SELECT 'INSERT', z, public.try(format('INSERT INTO cron.job (jobname, schedule, command, timezone) VALUES (%L, %L, %L, %L)',
				'tz-$tag-ins-' || i, '$far', 'SELECT 1', z)) FROM z
			UNION ALL
			SELECT 'UPDATE', z, public.try(format('UPDATE cron.job SET timezone = %L WHERE jobid = %s', z, $jid)) FROM z
			UNION ALL
			SELECT 'cron.check_schedule', z, public.try(format('SELECT cron.check_schedule(%L, %L)', '* * * * *', z)) FROM z
			UNION ALL
			SELECT 'cron.next_runs', z, public.try(format('SELECT * FROM cron.next_runs(%L, %L)', '* * * * *', z)) FROM z)
		SELECT count(*) || ' ' || count(*) FILTER (WHERE res IS DISTINCT FROM $expect) || ' '
			|| coalesce(string_agg(route || ' ' || z || ': ' || res, ' | ')
				FILTER (WHERE res IS DISTINCT FROM $expect), '')
		FROM r};
	my $out = as($user, $sql);
	my ($n, $nbad, $list) = $out =~ /^(\d+) (\d+) ?(.*)$/s;
	return ($n // 0, $nbad // -1, $list // $out);
}

{
	my ($n, $nbad, $list) = zone_matrix('alice', \@bad, 0, 'a');
	is($n, 7 * @bad, "alice: " . scalar(@bad) . " unlisted zones x 7 ways");
	is($nbad, 0, '... every one refused with 22023 invalid time zone "<zone>"')
	  or diag(substr($list, 0, 3000));
	($n, $nbad, $list) = zone_matrix('postgres', \@bad, 0, 's');
	is($nbad, 0, 'a superuser: the same ' . ($n // 0) . ' attempts refused with 22023 too')
	  or diag(substr($list, 0, 3000));
	is(q1($node, q{SELECT count(*) FROM cron.job WHERE jobname LIKE 'tz-a-%' OR jobname LIKE 'tz-s-%'
		OR timezone IS NOT NULL}), '0', '... and no job holds any of those zones');

	($n, $nbad, $list) = zone_matrix('alice', \@good, 1, 'g');
	is($nbad, 0, "alice: listed zones in any letter case (@good) work all $n ways")
	  or diag(substr($list, 0, 3000));
	$node->safe_psql('postgres', q{DELETE FROM cron.job WHERE jobname LIKE 'tz-%'});

	is(q1($node, q{
		SELECT count(*) || ' ' || coalesce(string_agg(n || ': ' || res, ' | ') FILTER (WHERE res <> 'ok'), '')
		FROM (SELECT v.n, public.try(format('SELECT cron.check_schedule(%L, %L)', '0 0 1 1 *', v.n)) AS res
			  FROM pg_timezone_names t, LATERAL (VALUES (t.name), (upper(t.name)), (lower(t.name))) v(n)) s
		WHERE res <> 'ok'}), '0 ', 'every name pg_timezone_names lists works, as listed, upper- and lower-cased');
	is(q1($node, q{SELECT array(SELECT cron.next_runs('30 9 * * *', 'america/new_york', '2026-03-05', 6))
		= array(SELECT cron.next_runs('30 9 * * *', 'America/New_York', '2026-03-05', 6))
		AND array(SELECT cron.next_runs('30 9 * * *', 'america/new_york', '2026-03-05', 6))
		<> array(SELECT cron.next_runs('30 9 * * *', 'UTC', '2026-03-05', 6))}), 't',
		"'america/new_york' is America/New_York (the same slots across the DST change, not UTC's)");

	my $lc = as('alice', "SELECT cron.schedule('tz-lower', '1 seconds', 'SELECT 1', timezone => 'europe/berlin')");
	ok(wait_for($node, "SELECT count(*) >= 1 FROM cron.job_run_details WHERE jobid = $lc AND status = 'succeeded'", 10),
		"the scheduler runs a job whose zone is 'europe/berlin'");
	as('alice', "SELECT cron.unschedule($lc)");
}

# ---------------------------------------------------------------------
# 2. 20 superuser jobs with 1.1 MB commands
# ---------------------------------------------------------------------
my $marker = q1($node, "SELECT cron.schedule('marker', '$far', 'SELECT 1')");

# a run of the marker job: the scheduler has read every change committed
# before (a pass reads the changes before it answers cron.run_job)
sub marker_run
{
	my $runid;
	my $deadline = time() + 15;
	while (time() < $deadline)
	{
		my ($ret, $out) = $node->psql('postgres', "SELECT cron.run_job($marker)");
		if ($ret == 0 && $out =~ /^\d+$/) { $runid = $out; last; }
		usleep(100_000);
	}
	return 0 unless $runid;
	return wait_for($node, "SELECT status = 'succeeded' FROM cron.job_run_details WHERE runid = $runid", 15);
}

{
	ok(marker_run(), 'a marker run (warm-up)');
	my $g0 = memctx_total();
	my $r0 = rss_kb();
	$node->safe_psql('postgres', q{
		INSERT INTO cron.job (jobname, schedule, command)
		SELECT 'big' || g, '0 0 1 1 *',
			   'SELECT ' || g || ' /* ' || (SELECT string_agg(md5(g || '-' || i), '') FROM generate_series(1, 34375) i) || ' */'
		FROM generate_series(1, 20) g});
	is(q1($node, q{SELECT count(*) || ' ' || min(octet_length(command)) FROM cron.job WHERE jobname LIKE 'big%'}),
		'20 1100015', 'a superuser scheduled 20 jobs of 1.1 MB each (the limit does not apply to superusers)');
	ok(marker_run(), '... and the scheduler has read them');
	my $g1 = memctx_total();
	my $r1 = rss_kb();
	diag('scheduler: ' . mb($g0) . " -> " . mb($g1) . " contexts, RssAnon $r0 -> $r1 kB, VmRSS " . vmrss_kb() . " kB");
	cmp_ok($g1 - $g0, '<', 2 * 1048576, 'its memory contexts grew by less than 2 MB (22 MB of commands)');
	cmp_ok($r1 - $r0, '<', 10 * 1024, '... its private memory (RssAnon) by less than 10 MB');

	# every job read again: a reload signal and a change of every row
	$node->safe_psql('postgres', 'SELECT pg_reload_conf(); UPDATE cron.job SET active = active');
	ok(marker_run(), 'after pg_reload_conf() and an UPDATE of every job, the scheduler read them again');
	my $g2 = memctx_total();
	my $r2 = rss_kb();
	diag('scheduler: ' . mb($g2) . " contexts, RssAnon $r2 kB");
	cmp_ok($g2 - $g0, '<', 2 * 1048576, '... its memory contexts still within 2 MB of where they were');
	cmp_ok($r2 - $r0, '<', 10 * 1024, '... its private memory within 10 MB');

	# running one: the command is read for the run, and given back after
	my $big1 = q1($node, q{SELECT jobid FROM cron.job WHERE jobname = 'big1'});
	my $run = q1($node, "SELECT cron.run_job($big1)");
	ok(wait_for($node, "SELECT status = 'succeeded' FROM cron.job_run_details WHERE runid = $run", 15),
		'a run of a 1.1 MB job succeeded');
	my $g3 = memctx_total();
	diag('scheduler after the run: ' . mb($g3) . ' contexts, RssAnon ' . rss_kb() . ' kB, VmRSS ' . vmrss_kb() . ' kB');
	cmp_ok($g3 - $g0, '<', 2 * 1048576, '... and left the memory contexts within 2 MB of where they were');
	$node->safe_psql('postgres', q{DELETE FROM cron.job WHERE jobname LIKE 'big%'});
}

# ---------------------------------------------------------------------
# 3. passes: nothing of a pass outlives it
# ---------------------------------------------------------------------
{
	my $tiny = as('alice', "SELECT cron.schedule('tiny', '$far', 'SELECT 1')");
	my $burst = sub {
		my $first = q1($node, 'SELECT last_value FROM cron.runid_seq');
		is(as('alice', "SELECT public.run_n($tiny, 250)"), '250',
			'alice ran her job 250 times through cron.run_job');
		my $ended = wait_for($node, "SELECT count(*) = 250 FROM cron.job_run_details
			WHERE jobid = $tiny AND runid > $first AND status IN ('succeeded', 'failed', 'skipped')", 30);
		is(q1($node, "SELECT count(*) FROM cron.job_run_details WHERE jobid = $tiny AND status = 'failed'"), '0',
			'... none of the runs failed');
		return $ended;
	};
	ok($burst->(), '... and the 250 runs ended (warm-up)');
	my $g0 = memctx_total();
	my $r0 = rss_kb();
	ok($burst->(), '250 more runs ended');
	my $g1 = memctx_total();
	my $r1 = rss_kb();
	diag('scheduler: ' . mb($g0) . ' -> ' . mb($g1) . " contexts, RssAnon $r0 -> $r1 kB, VmRSS " . vmrss_kb() . " kB, over >= 250 passes");
	cmp_ok($g1 - $g0, '<', 512 * 1024,
		'the scheduler\'s memory contexts grew by less than 512 kB over those >= 250 passes (nothing per pass is kept)');
	as('alice', "SELECT cron.unschedule($tiny)");
}

# ---------------------------------------------------------------------
# 4. 30 queued runs of a 1 MB job
# ---------------------------------------------------------------------
{
	my $locker = $node->background_psql('postgres');
	$locker->query_safe('BEGIN; LOCK TABLE public.gate IN ACCESS EXCLUSIVE MODE');
	my $flood = as('alice', q{SELECT cron.schedule('flood', '0 0 1 1 *',
		'SELECT count(*) FROM public.gate /* ' || (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 31250) i) || ' */')});
	is(q1($node, "SELECT octet_length(command) BETWEEN 1000000 AND 1048576 FROM cron.job WHERE jobid = $flood"), 't',
		"alice's job has a 1 MB command (under the default cron.max_command_bytes)");
	my $g0 = memctx_total();
	my $r0 = rss_kb();
	my $first = as('alice', "SELECT cron.run_job($flood)");
	ok(wait_for($node, "SELECT status = 'running' FROM cron.job_run_details WHERE runid = $first", 15),
		'its run is going (waiting for a lock on public.gate)');
	my @asked = map { try_as('alice', "SELECT cron.run_job($flood)") } 1 .. 30;
	my $accepted = grep { $_ eq 'ok' } @asked;
	diag("cron.run_job accepted $accepted of 30 more calls" . ($accepted < 30 ? ": $asked[-1]" : ''));
	ok(wait_for($node, "SELECT count(*) = 1 + $accepted FROM cron.job_run_details WHERE jobid = $flood", 15),
		"alice asked cron.run_job 30 more times: $accepted runs queued behind the first (overlap = queue)");
	my $g1 = memctx_total();
	my $r1 = rss_kb();
	diag('scheduler: ' . mb($g0) . ' -> ' . mb($g1) . " contexts, RssAnon $r0 -> $r1 kB, VmRSS " . vmrss_kb() . " kB with 30 runs of a 1 MB job queued");
	cmp_ok($g1 - $g0, '<', 8 * 1048576,
		'the scheduler holds less than 8 MB more with 30 runs of a 1 MB job queued (it keeps no command text)');
	cmp_ok($r1 - $r0, '<', 16 * 1024, '... its private memory (RssAnon) grew by less than 16 MB');

	$locker->query_safe('COMMIT');
	$locker->quit;
	ok(wait_for($node, "SELECT count(*) = 0 FROM cron.job_run_details WHERE jobid = $flood
		AND status IN ('starting', 'running')", 30), 'the lock gone, all its runs ended');
	is(q1($node, "SELECT count(*) FROM cron.job_run_details WHERE jobid = $flood AND status = 'failed'"), '0',
		'... none failed');
	my $g2 = memctx_total();
	diag('scheduler after them: ' . mb($g2) . ' contexts, RssAnon ' . rss_kb() . ' kB, VmRSS ' . vmrss_kb() . ' kB');
	cmp_ok($g2 - $g0, '<', 4 * 1048576, '... and its memory contexts are back within 4 MB (the commands were let go)');
	as('alice', "SELECT cron.unschedule($flood)");
}

# ---------------------------------------------------------------------
# 5. cron.max_jobs_per_role
# ---------------------------------------------------------------------
sub set_limits
{
	my ($jobs, $bytes, $show) = @_;
	$node->append_conf('postgresql.conf', "cron.max_jobs_per_role = $jobs\ncron.max_command_bytes = '$bytes'\n");
	$node->reload;
	ok(wait_for($node, "SELECT current_setting('cron.max_jobs_per_role') = '$jobs'
		AND current_setting('cron.max_command_bytes') = '$show'", 10),
		"reloaded: cron.max_jobs_per_role = $jobs, cron.max_command_bytes = $show");
}

my $toomany = qr/^54000 role "alice" already has \d+ jobs$/;
sub njobs { return q1($node, "SELECT count(*) FROM cron.job WHERE username = '$_[0]'") }

{
	$node->safe_psql('postgres', q{DELETE FROM cron.job WHERE username <> 'postgres'});
	set_limits(5, '4kB', '4kB');

	like(try_as('alice', "INSERT INTO cron.job (jobname, schedule, command)
		SELECT 'm' || g, '$far', 'SELECT 1' FROM generate_series(1, 6) g"), $toomany,
		'alice: six jobs in one INSERT ... SELECT: 54000');
	is(njobs('alice'), '0', '... and none of them was created');
	is(join(' ', map { try_as('alice', "SELECT cron.schedule('c$_', '$far', 'SELECT $_')") } 1 .. 5),
		'ok ok ok ok ok', 'alice: five jobs through cron.schedule');
	like(try_as('alice', "SELECT cron.schedule('c6', '$far', 'SELECT 6')"), $toomany,
		'the 6th through cron.schedule: 54000 role "alice" already has N jobs');
	like(try_as('alice', "SELECT cron.schedule('$far', 'SELECT 6')"), $toomany,
		'... through cron.schedule without a name: 54000');
	like(try_as('alice', "INSERT INTO cron.job (jobname, schedule, command) VALUES ('c6', '$far', 'SELECT 6')"),
		$toomany, '... through INSERT INTO cron.job: 54000');
	like(try_as('alice', "SELECT cron.schedule_http('c6h', '$far', 'http://127.0.0.1:9/x')"), $toomany,
		'... through cron.schedule_http: 54000');
	like(try_as('alice', "SELECT cron.schedule_at('c6at', now() + interval '1 day', 'SELECT 6')"), $toomany,
		'... through cron.schedule_at: 54000');
	like(try_as('alice', "SELECT cron.schedule_in_database('c6db', '$far', 'SELECT 6', 'postgres')"), $toomany,
		'... through cron.schedule_in_database: 54000');
	is(try_as('alice', "SELECT cron.schedule('c1', '$far', 'SELECT 11')"), 'ok',
		'cron.schedule with the name of an existing job (a replacement) is allowed');
	is(try_as('alice', "SELECT cron.alter_job(jobid, schedule => '0 0 2 1 *') FROM cron.job WHERE jobname = 'c2'"), 'ok',
		'cron.alter_job of an existing job is allowed');
	is(try_as('alice', "UPDATE cron.job SET command = 'SELECT 33' WHERE jobname = 'c3'"), 'ok',
		'UPDATE of an existing job is allowed');
	is(njobs('alice'), '5', 'alice has 5 jobs');

	is(join(' ', map { try_as('bob', "SELECT cron.schedule('b$_', '$far', 'SELECT $_')") } 1 .. 5),
		'ok ok ok ok ok', 'bob has 5 jobs of his own');
	like(try_as('bob', "SELECT cron.schedule('b6', '$far', 'SELECT 6')"), qr/^54000 role "bob" already has \d+ jobs$/,
		"... and his 6th is refused with 54000 naming him");

	is(join(' ', map { try_as('postgres', "SELECT cron.schedule('su$_', '$far', 'SELECT $_')") } 1 .. 6),
		'ok ok ok ok ok ok', 'a superuser creates 6 jobs of its own (not limited)');
	is(try_as('postgres', "SELECT cron.schedule_in_database('su-for-alice', '$far', 'SELECT 1', 'postgres', 'alice')"), 'ok',
		'a superuser creates a 6th job for alice (the caller is not limited)');
	is(try_as('postgres', "UPDATE cron.job SET username = 'alice' WHERE jobname = 'su1' AND username = 'postgres'"), 'ok',
		'a superuser gives alice one of its own jobs (the caller is not limited)');
	is(njobs('alice'), '7', 'alice has 7 jobs');
	like(try_as('alice', "SELECT cron.schedule('c8', '$far', 'SELECT 8')"), $toomany,
		'alice, over the limit, still cannot create one');
	is(try_as('alice', "SELECT cron.alter_job(jobid, active => false) FROM cron.job WHERE jobname = 'su-for-alice'"), 'ok',
		'... but can alter the jobs she has');
	as('alice', "SELECT cron.unschedule('c1'); SELECT cron.unschedule('c2'); SELECT cron.unschedule('c3')");
	is(try_as('alice', "SELECT cron.schedule('c9', '$far', 'SELECT 9')"), 'ok',
		'4 jobs after unscheduling 3: one more is allowed');
	like(try_as('alice', "SELECT cron.schedule('c10', '$far', 'SELECT 10')"), $toomany, '... and the next is refused');

	set_limits(0, '4kB', '4kB');
	is(join(' ', map { try_as('alice', "SELECT cron.schedule('n$_', '$far', 'SELECT $_')") } 1 .. 3),
		'ok ok ok', 'cron.max_jobs_per_role = 0: no limit (alice has ' . njobs('alice') . ' jobs)');
	set_limits(5, '4kB', '4kB');
	like(try_as('alice', "SELECT cron.schedule('c11', '$far', 'SELECT 11')"), $toomany, 'back to 5: refused again');
	$node->safe_psql('postgres', q{DELETE FROM cron.job WHERE username <> 'postgres'});
}

# ---------------------------------------------------------------------
# 6. cron.max_command_bytes (4kB = 4096 bytes)
# ---------------------------------------------------------------------
my $large = qr/^54000 the job is too large$/;
{
	# a command of exactly n bytes
	my $cmd = sub { my $n = shift; "'SELECT 1 /* ' || repeat('x', $n - 15) || ' */'" };
	is(try_as('carol', "SELECT cron.schedule('b4096', '$far', " . $cmd->(4096) . ")"), 'ok',
		'carol: a command of exactly 4096 bytes is accepted');
	like(try_as('carol', "SELECT cron.schedule('b4097', '$far', " . $cmd->(4097) . ")"), $large,
		'4097 bytes through cron.schedule: 54000 the job is too large');
	like(try_as('carol', "SELECT cron.schedule('$far', " . $cmd->(4097) . ")"), $large,
		'... through cron.schedule without a name: 54000');
	like(try_as('carol', "SELECT cron.schedule_at('b4097at', now() + interval '1 day', " . $cmd->(4097) . ")"), $large,
		'... through cron.schedule_at: 54000');
	like(try_as('carol', "INSERT INTO cron.job (jobname, schedule, command) VALUES ('b4097', '$far', " . $cmd->(4097) . ")"),
		$large, '... through INSERT: 54000');
	like(try_as('carol', "SELECT cron.alter_job(jobid, command => " . $cmd->(4097) . ") FROM cron.job WHERE jobname = 'b4096'"),
		$large, '... through cron.alter_job: 54000');
	like(try_as('carol', "UPDATE cron.job SET command = " . $cmd->(4097) . " WHERE jobname = 'b4096'"),
		$large, '... through UPDATE: 54000');
	is(try_as('carol', q{SELECT cron.schedule('e2000', '0 0 1 1 *', 'SELECT ''' || repeat('é', 2000) || '''')}), 'ok',
		'2000 two-byte characters (4009 bytes): accepted');
	like(try_as('carol', q{SELECT cron.schedule('e2100', '0 0 1 1 *', 'SELECT ''' || repeat('é', 2100) || '''')}), $large,
		'2100 two-byte characters (4209 bytes, 2109 characters): 54000 (bytes count)');

	my $url = "'http://127.0.0.1:9/' || repeat('a', 5000)";
	my $big = "repeat('b', 5000)";
	my $hdr = "jsonb_build_object('X-Big', repeat('h', 5000))";
	my $hdrs = "(SELECT jsonb_object_agg('X-H' || g, repeat('h', 1500)) FROM generate_series(1, 3) g)";
	is(try_as('carol', "SELECT cron.schedule_http('hok', '$far', 'http://127.0.0.1:9/ok', method => 'POST', body => 'small')"),
		'ok', 'carol: a small HTTP job is accepted');
	like(try_as('carol', "SELECT cron.schedule_http('hu', '$far', $url)"), $large,
		'an HTTP url of 5019 bytes: 54000');
	like(try_as('carol', "SELECT cron.schedule_http('hb', '$far', 'http://127.0.0.1:9/', method => 'POST', body => $big)"),
		$large, 'an HTTP body of 5000 bytes: 54000');
	like(try_as('carol', "SELECT cron.schedule_http('hh', '$far', 'http://127.0.0.1:9/', headers => $hdr)"), $large,
		'a header of 5000 bytes: 54000');
	like(try_as('carol', "SELECT cron.schedule_http('hh3', '$far', 'http://127.0.0.1:9/', headers => $hdrs)"), $large,
		'three headers of 1500 bytes: 54000');
	for my $c ([ 'url', $url ], [ 'body', $big ], [ 'headers', $hdr ])
	{
		like(try_as('carol', "SELECT cron.update_job(jobid, $c->[0] => $c->[1]) FROM cron.job WHERE jobname = 'hok'"),
			$large, "cron.alter_job of the HTTP job's $c->[0] to 5000 bytes: 54000");
	}
	for my $c ([ 'http_url', $url ], [ 'http_body', $big ], [ 'http_headers', $hdr ])
	{
		like(try_as('carol', "UPDATE cron.job SET $c->[0] = $c->[1] WHERE jobname = 'hok'"),
			$large, "UPDATE of the HTTP job's $c->[0] to 5000 bytes: 54000");
	}
	like(try_as('carol', "INSERT INTO cron.job (jobname, schedule, command, kind, http_method, http_url, http_body)
		VALUES ('hins', '$far', 'x', 'http', 'POST', 'http://127.0.0.1:9/', $big)"), $large,
		'INSERT of an HTTP job with a 5000-byte body: 54000');
	is(q1($node, q{SELECT max(greatest(octet_length(command), octet_length(http_url), octet_length(http_body),
		octet_length(http_headers::text))) <= 4096 FROM cron.job WHERE username = 'carol'}), 't',
		'no job of carol carries more than 4096 bytes');

	is(try_as('postgres', "SELECT cron.schedule_http('su-hb', '$far', 'http://127.0.0.1:9/', method => 'POST', body => $big)"),
		'ok', 'a superuser: an HTTP body of 5000 bytes is accepted (not limited)');
	is(try_as('postgres', "SELECT cron.schedule_in_database('su-for-carol', '$far', " . $cmd->(5000) . ", 'postgres', 'carol')"),
		'ok', 'a superuser schedules a 5000-byte command for carol (the caller is not limited)');

	# a limit that is not a whole number of kB
	$node->safe_psql('postgres', q{DELETE FROM cron.job WHERE username = 'carol'});
	set_limits(5, '5000', '5000B');
	is(try_as('carol', "SELECT cron.schedule('b5000', '$far', " . $cmd->(5000) . ")"), 'ok',
		'cron.max_command_bytes = 5000: a command of 5000 bytes is accepted');
	like(try_as('carol', "SELECT cron.schedule('b5001', '$far', " . $cmd->(5001) . ")"), $large,
		'... one of 5001 bytes: 54000');
	is(try_as('carol', "SELECT cron.schedule('s1', '$far', 'SELECT 1')"), 'ok', '... a small one is accepted');
	$node->safe_psql('postgres', q{DELETE FROM cron.job WHERE username = 'carol'});
}

# ---------------------------------------------------------------------
# 7. a row with a POSIX zone that bypassed the guard
# ---------------------------------------------------------------------
{
	my $jid = q1($node, q{SET session_replication_role = replica;
		INSERT INTO cron.job (jobid, jobname, schedule, command, timezone, roleid)
		VALUES (nextval('cron.jobid_seq'), 'posix-row', '1 seconds', 'SELECT 1', '<Z77>5',
				(SELECT oid FROM pg_roles WHERE rolname = current_user))
		RETURNING jobid});
	my $off = -s $node->logfile;
	# an UPDATE that does not touch the zone tells the scheduler of the row
	$node->safe_psql('postgres', "UPDATE cron.job SET active = true WHERE jobid = $jid");
	my $re = qr/WARNING:  cron job $jid is not scheduled: invalid schedule "1 seconds" or time zone "<Z77>5"/;
	my $deadline = time() + 10;
	usleep(100_000) while time() < $deadline && log_since($node, $off) !~ $re;
	like(log_since($node, $off), $re, 'the scheduler warns that the job with zone <Z77>5 is not scheduled');
	ok(stays_false($node, "SELECT count(*) > 0 FROM cron.job_run_details WHERE jobid = $jid", 2.5),
		'... and does not run it');
	$node->safe_psql('postgres', "DELETE FROM cron.job WHERE jobid = $jid");
}

# ---------------------------------------------------------------------
# the scheduler and the postmaster lived through it all
# ---------------------------------------------------------------------
is(sched_pid(), $sched, 'the scheduler is the same process');
is(q1($node, 'SELECT pg_postmaster_start_time()'), $pm_start, 'the postmaster did not restart');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|server process .* was terminated|all server processes terminated/,
	'no process crashed');
unlike($log, qr/cronext scheduler: /, 'no scheduler pass failed');
diag(sprintf('run time %.1f s', time() - $t_start));

$node->stop;
done_testing();
