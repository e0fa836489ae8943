# 175_fair_share.pl
#	  One role must not be able to starve all the others of cronext's
#	  shared capacity.  With cron.max_running_jobs = 4 and
#	  cron.max_running_jobs_per_role = 2:
#	  a. role alice schedules many '1 seconds' jobs that sleep 30 s with
#	     overlap => 'allow' (in two databases): she never has more than 2
#	     runs in progress, and bob's '1 seconds' job runs every slot, on time;
#	  b. a queued slot that waited for a free place (alice at her cap; later
#	     all 4 places taken by carol, for a job of bob's that had run
#	     before) and was overtaken is recorded 'skipped' with the capacity
#	     message, never the overlap one; a job whose previous run really
#	     was going still gets the overlap message;
#	  c. round-robin (per-role cap raised to the whole, so only the turns
#	     share): alice, bob and carol each have 4 jobs due at one slot and 4
#	     places: in claim order no role gets a second place before every
#	     role had its first, and so on (counts never differ by more than 1);
#	  d. HTTP, with cron.http_max_connections = 4,
#	     cron.http_max_connections_per_role = 2 and cron.http_max_timeout =
#	     3 s: alice's jobs (overlap 'allow', timeout 0 = none) against a
#	     loopback listener that accepts and never answers hold at most 2
#	     connections and each request fails 'timed out after 3000 ms' about
#	     3 s after it started; bob's HTTP jobs against the loopback test
#	     server succeed every slot meanwhile.
#	  e. the attack of a. through cron.run_job (6 manual runs of an
#	     'allow' job at once): still at most 2 of alice's runs at once and
#	     bob's job runs every slot.
#	  f. overlap = 'queue' (the default) while alice is at her cap (1 here,
#	     a 30 s run holding it): two cron.run_job calls of one queue job
#	     wait together, and so do a retry and a manual run of another; when
#	     a reload raises the cap, places are free for all of them at once,
#	     yet the runs of one job never overlap (the jobs' own clocks and
#	     the ledger's start/end times), and none is skipped or failed;
#	  g. manual HTTP runs are capped by the role's share: with alice's
#	     queue HTTP job against the silent listener in flight and a second
#	     run of it waiting, a third cron.run_job (of any of her HTTP jobs,
#	     also 20 in a PL/pgSQL loop) is refused at once with 55000 "could
#	     not run job N: role has 2 HTTP runs in progress or waiting ...";
#	     she never has more than 2 manual HTTP runs 'starting'/'running'
#	     (nor the listener more than 2 connections), and once her first
#	     request ends at cron.http_max_timeout (3 s) she may run one again.
#	  Throughout: the postmaster and the scheduler never restart.
#
# Every wait is bounded; "never more than" properties are sampled over a
# bounded time and cross-checked with the ledger's start and end times.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use IO::Socket::INET;
use IO::Select;
use POSIX ();
use IPC::Run;
use CronextTest;
use HttpTestServer;

my $CAPACITY_MSG = 'skipped: a later slot came due while this one waited for a free place to run (cron.max_running_jobs or cron.max_running_jobs_per_role)';
my $OVERLAP_MSG = 'skipped: a later slot came due while this one waited for the previous run (overlap = queue)';

# ---------------------------------------------------------------------
# loopback servers: the test HTTP server (fast answers) and a silent
# listener that accepts every connection, never answers, and records how
# many connections it holds open (and the most it ever held)
# ---------------------------------------------------------------------
my $port = start_server();
my $base = "http://127.0.0.1:$port";

my $tmp = PostgreSQL::Test::Utils::tempdir();
my $silent_status = "$tmp/silent_status";
my $lsock = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
	Listen => 128, ReuseAddr => 1, Proto => 'tcp')
  or die "cannot listen: $!";
my $silent_port = $lsock->sockport;
my $silent_pid = fork();
die "fork: $!" unless defined $silent_pid;
if ($silent_pid == 0)
{
	# the child: never return into the test (no END blocks, no node teardown)
	eval {
		$SIG{TERM} = sub { POSIX::_exit(0) };
		my $sel = IO::Select->new($lsock);
		my ($open, $max, $total) = (0, 0, 0);
		my $write = sub {
			open(my $fh, '>', "$silent_status.tmp") or return;
			print $fh "$open $max $total\n";
			close $fh;
			rename("$silent_status.tmp", $silent_status);
		};
		$write->();
		while (1)
		{
			POSIX::_exit(0) if getppid() == 1;
			my @ready = $sel->can_read(0.5);
			# closed connections first: a client that closes one and opens
			# the next must not be counted as holding both
			for my $s (grep { $_ != $lsock } @ready)
			{
				my $buf;
				my $n = sysread($s, $buf, 65536);
				next if defined $n && $n > 0;	# a request: never answered
				$sel->remove($s);
				close $s;
				$open--;
				$write->();
			}
			if (grep { $_ == $lsock } @ready)
			{
				my $c = $lsock->accept or next;
				$sel->add($c);
				$open++;
				$total++;
				$max = $open if $open > $max;
				$write->();
			}
		}
	};
	POSIX::_exit(1);
}
close $lsock;
END { kill 'TERM', $silent_pid if $silent_pid; }

# (open, max, total) of the silent listener
sub silent_counts
{
	my $s = -e $silent_status ? slurp_file($silent_status) : '';
	return $s =~ /^(-?\d+) (\d+) (\d+)/ ? ($1, $2, $3) : (undef, undef, undef);
}

# ---------------------------------------------------------------------
# the node
# ---------------------------------------------------------------------
my $node = cron_node('fairshare', qq{
cron.max_running_jobs = 4
cron.max_running_jobs_per_role = 2
cron.http_max_connections = 4
cron.http_max_connections_per_role = 2
cron.http_max_timeout = 3
cron.log_statement = off
});
is(q1($node, q{SELECT current_setting('cron.max_running_jobs') || ' ' ||
	current_setting('cron.max_running_jobs_per_role') || ' ' ||
	current_setting('cron.http_max_connections') || ' ' ||
	current_setting('cron.http_max_connections_per_role') || ' ' ||
	current_setting('cron.http_max_timeout')}), '4 2 4 2 3s', 'settings as configured');

$node->safe_psql('postgres', q{
CREATE DATABASE other;
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
CREATE ROLE carol LOGIN;
GRANT USAGE ON SCHEMA cron TO alice, bob, carol;
GRANT EXECUTE ON FUNCTION cron.schedule_http(text,text,text,text,jsonb,text,interval,integer[],text,text,interval,text,integer,interval,boolean) TO alice, bob;
});
my $pm_start = q1($node, 'SELECT pg_postmaster_start_time()');
my $sched_pid = q1($node, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'});
like($sched_pid, qr/^\d+$/, "the scheduler runs (pid $sched_pid)");

sub as
{
	my ($role, $sql) = @_;
	return $node->safe_psql('postgres', $sql, extra_params => [ '-U', $role ]);
}

# run $sql every ~100 ms for $secs seconds, passing each result to $cb
sub sample
{
	my ($secs, $sql, $cb) = @_;
	my $deadline = time() + $secs;
	my $n = 0;
	while (time() < $deadline)
	{
		$cb->(q1($node, $sql));
		$n++;
		usleep(100_000);
	}
	return $n;
}

# the most intervals [start_time, end_time) of the given runs that overlap
sub ledger_concurrency
{
	my ($where) = @_;
	return q1($node, qq{
		WITH r AS (SELECT start_time s, coalesce(end_time, 'infinity') e FROM cron.job_run_details d
				   WHERE start_time IS NOT NULL AND ($where))
		SELECT coalesce(max((SELECT count(*) FROM r b WHERE b.s <= a.s AND a.s < b.e)), 0) FROM r a});
}

# slots of job $jobid from $from to $to (whole seconds) that did not
# succeed within $late of their slot; '' when all did
sub slots_not_on_time
{
	my ($jobid, $from, $to, $late) = @_;
	return q1($node, qq{
		SELECT coalesce(string_agg(to_char(g.slot, 'HH24:MI:SS') || '=' || coalesce(
			(SELECT d.status || coalesce(' ' || d.return_message, '') || ' start+' ||
					coalesce(extract(epoch FROM d.start_time - d.scheduled_for)::numeric(8,2)::text, '?')
			 FROM cron.job_run_details d WHERE d.jobid = $jobid AND d.scheduled_for = g.slot), 'no row'), '; '), '')
		FROM generate_series('$from'::timestamptz, '$to'::timestamptz, interval '1 second') g(slot)
		WHERE NOT EXISTS (SELECT 1 FROM cron.job_run_details d
						  WHERE d.jobid = $jobid AND d.scheduled_for = g.slot AND d.status = 'succeeded'
						  AND d.start_time - d.scheduled_for <= interval '$late')});
}

# ---------------------------------------------------------------------
# a. alice's flood of 30 s runs (overlap 'allow') does not starve bob
# b. capacity vs. overlap in the message of an overtaken slot
# ---------------------------------------------------------------------
my $b_job = as('bob', q{SELECT cron.schedule('b', '1 seconds', 'SELECT 1')});
# carol's job takes 2.5 s each second: its waiting slots are overtaken
# while its previous run really is going
my $cq_job = as('carol', q{SELECT cron.schedule('cq', '1 seconds', 'SELECT pg_sleep(2.5)')});
# alice's first flood job is in database "other": once it holds one of her
# places, a cap counted per database would let her take 2 more in postgres
as('alice', q{SELECT cron.schedule_in_database('a0', '1 seconds', 'SELECT pg_sleep(30)', 'other', overlap => 'allow')});
ok(wait_for($node, q{SELECT count(*) >= 1 FROM cron.job_run_details
	WHERE username = 'alice' AND database = 'other' AND status = 'running'}, 10),
	'a: alice has a run going in database other');
as('alice', q{
SELECT cron.schedule('a' || i, '1 seconds', 'SELECT pg_sleep(30)', overlap => 'allow')
FROM generate_series(1, 4) i;
SELECT cron.schedule_in_database('a' || i, '1 seconds', 'SELECT pg_sleep(30)', 'other', overlap => 'allow')
FROM generate_series(5, 6) i;
});
ok(wait_for($node, q{SELECT count(*) = 2 FROM cron.job_run_details
	WHERE username = 'alice' AND status = 'running'}, 10),
	'a: alice has 2 runs going (her cap)');
# a queued job of alice's that never finds a place while she is at her cap
my $aq_job = as('alice', q{SELECT cron.schedule('aq', '1 seconds', 'SELECT 1')});

my $t0 = q1($node, q{SELECT date_trunc('second', now()) + interval '1 second'});
my ($alice_max, $total_max, $alice_seen2, $bad) = (0, 0, 0, '');
my $n = sample(5, q{
	SELECT count(*) FILTER (WHERE username = 'alice') || ' ' || count(*) ||
		' ' || coalesce(string_agg(username || ':' || status || ':' || database, ',' ORDER BY runid), '')
	FROM cron.job_run_details WHERE status IN ('starting', 'running')}, sub {
		my ($a, $t, $list) = split / /, $_[0], 3;
		$alice_max = $a if $a > $alice_max;
		$total_max = $t if $t > $total_max;
		$alice_seen2++ if $a == 2;
		$bad ||= $_[0] if $a > 2 || $t > 4;
	});
my $t1 = q1($node, 'SELECT now()');
diag("a: $n samples; alice at most $alice_max in progress, all roles at most $total_max");
cmp_ok($alice_max, '<=', 2, 'a: alice never had more than 2 runs starting or running')
  or diag("sample: $bad");
cmp_ok($alice_seen2, '>=', $n / 2, 'a: ... and she did hold her 2 places');
cmp_ok($total_max, '<=', 4, 'a: never more than cron.max_running_jobs (4) runs in progress');
is(q1($node, q{SELECT count(DISTINCT database) FROM cron.job_run_details WHERE username = 'alice'}), '2',
	"a: alice's runs came from both her databases (the cap is per role, not per database)");

my $to = q1($node, qq{SELECT date_trunc('second', '$t1'::timestamptz) - interval '1 second'});
ok(wait_for($node, qq{SELECT EXISTS (SELECT 1 FROM cron.job_run_details WHERE jobid = $b_job
	AND scheduled_for >= '$to' AND status IN ('succeeded', 'failed', 'skipped'))}, 10),
	"a: bob's job has a decided slot at the end of the window");
is(slots_not_on_time($b_job, $t0, $to, '2 seconds'), '',
	"a: while alice floods, every slot of bob's '1 seconds' job succeeded within 2 s");
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $b_job AND status IN ('skipped', 'failed')}),
	'0', "a: none of bob's slots was skipped or failed");

# b.
# (a 'missed' row, from a scheduler stalled past a slot, is neither case)
my $aq_rows = q1($node, qq{SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'skipped' AND return_message NOT LIKE 'missed:%') || ' ' ||
	count(*) FILTER (WHERE status = 'skipped' AND return_message = '$CAPACITY_MSG')
	FROM cron.job_run_details WHERE jobid = $aq_job});
my ($aq_n, $aq_skipped, $aq_cap) = split / /, $aq_rows;
diag("b: aq has $aq_n rows, $aq_skipped skipped, $aq_cap with the capacity message");
cmp_ok($aq_skipped, '>=', 3, "b: alice's queued job (no place for her) had overtaken slots recorded 'skipped'");
is($aq_cap, $aq_skipped, 'b: ... each with the capacity message')
  or diag(q1($node, qq{SELECT string_agg(DISTINCT status || ': ' || coalesce(return_message, ''), E'\n')
	FROM cron.job_run_details WHERE jobid = $aq_job}));
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $aq_job AND return_message LIKE '%overlap = queue%'}),
	'0', 'b: ... none with the overlap message (the job never had a run going)');
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $aq_job AND status <> 'skipped'}),
	'0', 'b: ... and it never ran (alice stayed at her cap)');

my $cq_rows = q1($node, qq{SELECT count(*) FILTER (WHERE status = 'skipped' AND return_message NOT LIKE 'missed:%') || ' ' ||
	count(*) FILTER (WHERE status = 'skipped' AND return_message = '$OVERLAP_MSG') || ' ' ||
	count(*) FILTER (WHERE status = 'succeeded')
	FROM cron.job_run_details WHERE jobid = $cq_job});
my ($cq_skipped, $cq_overlap, $cq_ok) = split / /, $cq_rows;
diag("b: cq: $cq_skipped skipped ($cq_overlap with the overlap message), $cq_ok succeeded");
cmp_ok($cq_ok, '>=', 2, "b: carol's 2.5 s job ran");
cmp_ok($cq_skipped, '>=', 2, "b: ... and slots that waited for its previous run were skipped");
is($cq_overlap, $cq_skipped, 'b: ... each with the overlap message')
  or diag(q1($node, qq{SELECT string_agg(DISTINCT status || ': ' || coalesce(return_message, ''), E'\n')
	FROM cron.job_run_details WHERE jobid = $cq_job}));

# end part a: drop every job, cancel the runs still going
q1($node, q{SELECT count(cron.unschedule(jobid)) FROM cron.job});
q1($node, q{SELECT count(cron.cancel_run(runid)) FROM cron.job_run_details WHERE status IN ('starting', 'running')});
ok(wait_for($node, q{SELECT NOT EXISTS (SELECT 1 FROM cron.job_run_details WHERE status IN ('starting', 'running'))}, 10),
	'a: after unscheduling and cancelling, nothing is in progress');

# ---------------------------------------------------------------------
# c. round-robin: 3 roles x 4 jobs due at one slot, 4 places; the
#    per-role cap raised to the whole, so only the turns share
# ---------------------------------------------------------------------
$node->safe_psql('postgres', q{ALTER SYSTEM SET cron.max_running_jobs_per_role = 4; SELECT pg_reload_conf();});
ok(wait_for($node, q{SELECT current_setting('cron.max_running_jobs_per_role') = '4'}, 5),
	'c: cron.max_running_jobs_per_role = 4 after reload');
my ($sched, $period) = seconds_schedule(2, 5, 20);
# alice's jobs first: without turns, ready-list order would give her all 4 places
for my $r (qw(alice bob carol))
{
	as($r, qq{SELECT cron.schedule('rr_${r}_' || i, '$sched', 'SELECT pg_sleep(1)') FROM generate_series(1, 4) i});
}
my $rr = q{jobid IN (SELECT jobid FROM cron.job WHERE jobname LIKE 'rr\_%')};
ok(wait_for($node, qq{SELECT count(*) = 12 FROM cron.job_run_details WHERE $rr AND status = 'succeeded'}, 20),
	'c: all 12 runs succeeded');
is(q1($node, qq{SELECT count(DISTINCT scheduled_for) FROM cron.job_run_details WHERE $rr}), '1',
	'c: ... all for the one slot');
# claim order is runid order
my @claims = map { [ split /\|/ ] } qcol($node, qq{
	SELECT username || '|' || runid || '|' || extract(epoch FROM start_time)
	FROM cron.job_run_details WHERE $rr ORDER BY runid});
diag('c: claim order: ' . join(' ', map { $_->[0] } @claims));
my %cnt = (alice => 0, bob => 0, carol => 0);
my $fair = 1;
for my $c (@claims)
{
	$cnt{ $c->[0] }++;
	my @v = sort { $a <=> $b } values %cnt;
	$fair = 0 if $v[-1] - $v[0] > 1;
}
ok($fair, 'c: in claim order, no role ever got a place more than one ahead of another');
my %roles_first4 = map { $_->[0] => 1 } @claims[ 0 .. 3 ];
is(join(',', sort keys %roles_first4), 'alice,bob,carol', 'c: the first 4 places went to all three roles');
my %starts;
push @{ $starts{ $_->[0] } }, $_->[2] for @claims;
$starts{$_} = [ sort { $a <=> $b } @{ $starts{$_} } ] for keys %starts;
for my $x (qw(alice bob carol))
{
	for my $y (grep { $_ ne $x } qw(alice bob carol))
	{
		cmp_ok($starts{$y}[0], '<', $starts{$x}[2], "c: $y\'s first run started before $x\'s third");
	}
}
is(ledger_concurrency($rr), '4', 'c: at most 4 runs at once (and 4 did run at once)');
q1($node, q{SELECT count(cron.unschedule(jobid)) FROM cron.job});

# ---------------------------------------------------------------------
# b (again), with cron.max_running_jobs full rather than a role's cap:
#    bob's queued job has run before (its previous run ended), then carol's
#    30 s runs take all 4 places; its overtaken slots waited for a place,
#    not for a previous run
# ---------------------------------------------------------------------
my $bw_job = as('bob', q{SELECT cron.schedule('bw', '1 seconds', 'SELECT 1')});
ok(wait_for($node, qq{SELECT count(*) >= 1 FROM cron.job_run_details WHERE jobid = $bw_job AND status = 'succeeded'}, 10),
	"b: bob's queued job ran");
as('carol', q{SELECT cron.schedule('cf' || i, '1 seconds', 'SELECT pg_sleep(30)', overlap => 'allow')
	FROM generate_series(1, 4) i});
ok(wait_for($node, q{SELECT count(*) = 4 FROM cron.job_run_details WHERE username = 'carol' AND status = 'running'}, 10),
	"b: carol's runs hold all 4 places");
my $full_at = q1($node, 'SELECT now()');
ok(wait_for($node, qq{SELECT count(*) >= 2 FROM cron.job_run_details WHERE jobid = $bw_job
	AND scheduled_for > '$full_at' AND status = 'skipped'}, 10),
	"b: bob's slots after that were overtaken while waiting");
is(q1($node, qq{SELECT coalesce(string_agg(DISTINCT status || ': ' || coalesce(return_message, ''), ' | '), '')
	FROM cron.job_run_details WHERE jobid = $bw_job AND scheduled_for > '$full_at'
	AND status NOT IN ('starting', 'running') AND return_message NOT LIKE 'missed:%'}), "skipped: $CAPACITY_MSG",
	'b: ... each recorded skipped with the capacity message (its previous run had ended)');
cmp_ok(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid = $bw_job AND status = 'succeeded'}),
	'>=', 1, "b: ... though it had run before");
q1($node, q{SELECT count(cron.unschedule(jobid)) FROM cron.job});
q1($node, q{SELECT count(cron.cancel_run(runid)) FROM cron.job_run_details WHERE status IN ('starting', 'running')});
ok(wait_for($node, q{SELECT NOT EXISTS (SELECT 1 FROM cron.job_run_details WHERE status IN ('starting', 'running'))}, 10),
	'b: after unscheduling and cancelling, nothing is in progress');

# ---------------------------------------------------------------------
# e. the same attack through cron.run_job: alice (back to her cap of 2)
#    asks for 6 manual runs of a 30 s job with overlap 'allow' at once.
#    Manual runs are SQL runs too: at most 2 of hers may run, and bob's
#    '1 seconds' job keeps running every slot.  (Whether cron.run_job
#    answers at once or only when a place is free is not asserted: its
#    caller runs in the background, bounded by a timer.)
# ---------------------------------------------------------------------
$node->safe_psql('postgres', q{ALTER SYSTEM RESET cron.max_running_jobs_per_role; SELECT pg_reload_conf();});
ok(wait_for($node, q{SELECT current_setting('cron.max_running_jobs_per_role') = '2'}, 5),
	'e: cron.max_running_jobs_per_role = 2 again after reload');
my $be_job = as('bob', q{SELECT cron.schedule('be', '1 seconds', 'SELECT 1')});
as('alice', q{SELECT cron.schedule('m', '0 0 1 1 *', 'SELECT pg_sleep(30)', overlap => 'allow')});
ok(wait_for($node, qq{SELECT count(*) >= 1 FROM cron.job_run_details WHERE jobid = $be_job AND status = 'succeeded'}, 10),
	"e: bob's job runs");
my ($rj_out, $rj_err) = ('', '');
my $rj = IPC::Run::start(
	[ 'psql', '-X', '-A', '-t', '-d', $node->connstr('postgres'), '-U', 'alice',
	  '-c', q{SELECT cron.run_job('m') FROM generate_series(1, 6)} ],
	'<', \undef, '>', \$rj_out, '2>', \$rj_err, IPC::Run::timer(25));
ok(wait_for($node, q{SELECT count(*) >= 2 FROM cron.job_run_details WHERE username = 'alice' AND manual}, 10),
	"e: alice's manual runs were claimed");
my $e0 = q1($node, q{SELECT date_trunc('second', now()) + interval '1 second'});
my ($e_alice_max, $e_total_max) = (0, 0);
$n = sample(4, q{SELECT count(*) FILTER (WHERE username = 'alice') || ' ' || count(*)
	FROM cron.job_run_details WHERE status = 'running'}, sub {
		my ($a, $t) = split / /, $_[0];
		$e_alice_max = $a if $a > $e_alice_max;
		$e_total_max = $t if $t > $e_total_max;
	});
my $e1 = q1($node, 'SELECT now()');
diag("e: $n samples; alice running at most $e_alice_max, all roles at most $e_total_max; " .
	q1($node, q{SELECT count(*) || ' manual runs of alice claimed, ' || count(*) FILTER (WHERE status = 'running') || ' running'
		FROM cron.job_run_details WHERE username = 'alice' AND manual}));
cmp_ok($e_alice_max, '<=', 2, "e: no more than 2 of alice's runs (manual ones) were running at once");
my $eto = q1($node, qq{SELECT date_trunc('second', '$e1'::timestamptz) - interval '1 second'});
ok(wait_for($node, qq{SELECT EXISTS (SELECT 1 FROM cron.job_run_details WHERE jobid = $be_job
	AND scheduled_for >= '$eto' AND status IN ('succeeded', 'failed', 'skipped'))}, 10),
	"e: bob's job has a decided slot at the end of the window");
is(slots_not_on_time($be_job, $e0, $eto, '2 seconds'), '',
	"e: while alice's manual runs wait or run, every slot of bob's job succeeded within 2 s");
q1($node, q{SELECT count(cron.unschedule(jobid)) FROM cron.job});
q1($node, q{SELECT count(cron.cancel_run(runid)) FROM cron.job_run_details WHERE status IN ('starting', 'running')});
eval { $rj->finish; 1 } or eval { $rj->kill_kill; };
ok(wait_for($node, q{SELECT NOT EXISTS (SELECT 1 FROM cron.job_run_details WHERE status IN ('starting', 'running'))}, 10),
	'e: after unscheduling and cancelling, nothing is in progress');

# ---------------------------------------------------------------------
# f. overlap = 'queue' (the default) while the role is at its cap: two
#    cron.run_job calls of one queue job, and a retry plus a manual run of
#    another, wait together for places; when places free up for all of
#    them at once (the cap raised by a reload), the runs of one job still
#    never overlap.  Each run records when its transaction started and
#    when it ended (the job's own clock), and the ledger has the same.
# ---------------------------------------------------------------------
sub set_role_cap
{
	my ($cap) = @_;
	$node->safe_psql('postgres', "ALTER SYSTEM SET cron.max_running_jobs_per_role = $cap; SELECT pg_reload_conf();");
	return wait_for($node, "SELECT current_setting('cron.max_running_jobs_per_role') = '$cap'", 5);
}

# the runs (start, end) of job $name in q_eff that overlap: '' when none do
sub effect_overlaps
{
	my ($name) = @_;
	return q1($node, qq{SELECT coalesce(string_agg(to_char(a.s, 'SS.MS') || '-' || to_char(a.e, 'SS.MS') || ' / ' ||
		to_char(b.s, 'SS.MS') || '-' || to_char(b.e, 'SS.MS'), ', '), '')
		FROM public.q_eff a JOIN public.q_eff b ON a.job = b.job AND a.ctid < b.ctid
		WHERE a.job = '$name' AND a.s < b.e AND b.s < a.e});
}
{
	$node->safe_psql('postgres', q{
CREATE TABLE public.q_eff (job text, s timestamptz, e timestamptz);
GRANT INSERT ON public.q_eff TO alice;
CREATE SEQUENCE public.qs;
GRANT USAGE ON SEQUENCE public.qs TO alice;
});
	ok(set_role_cap(1), 'f: cron.max_running_jobs_per_role = 1 after reload');
	my $fb = as('alice', q{SELECT cron.schedule('fb', '0 0 1 1 *', 'SELECT pg_sleep(30)', overlap => 'allow')});
	my $mq = as('alice', q{SELECT cron.schedule('mq', '0 0 1 1 *',
		$$INSERT INTO public.q_eff SELECT 'mq', now(), clock_timestamp() FROM pg_sleep(0.4)$$)});
	my $mr = as('alice', q{SELECT cron.schedule('mr', '0 0 1 1 *',
		$c$DO $b$ BEGIN
			IF nextval('public.qs') = 1 THEN RAISE EXCEPTION 'the first attempt fails'; END IF;
			PERFORM pg_sleep(0.4);
			INSERT INTO public.q_eff VALUES ('mr', now(), clock_timestamp());
		END $b$$c$, max_retries => 1, retry_delay => '1 second')});
	is(q1($node, "SELECT string_agg(overlap::text, ',' ORDER BY jobid) FROM cron.job WHERE jobid IN ($mq, $mr)"),
		'queue,queue', "f: the jobs' overlap policy is 'queue' (the default)");
	# alice's one place is taken by a 30 s run
	as('alice', q{SELECT cron.run_job('fb')});
	ok(wait_for($node, "SELECT count(*) = 1 FROM cron.job_run_details WHERE jobid = $fb AND status = 'running'", 10),
		'f: alice is at her cap (1 run going)');

	# 1. two manual runs of mq wait for a place
	my @mq_runs = split /\n/, as('alice', q{SELECT cron.run_job('mq'); SELECT cron.run_job('mq');});
	is(scalar(grep { /^\d+$/ } @mq_runs), 2, 'f: two cron.run_job calls of the queue job mq return runids');
	ok(stays_false($node, "SELECT count(*) > 0 FROM cron.job_run_details WHERE jobid = $mq AND status <> 'starting'", 0.5),
		'f: ... both wait while alice is at her cap');
	# both may start now: the per-role cap no longer applies (4 = cron.max_running_jobs), 3 places free
	ok(set_role_cap(4), 'f: cron.max_running_jobs_per_role raised to 4');
	ok(wait_for($node, "SELECT count(*) = 2 FROM cron.job_run_details WHERE jobid = $mq AND status = 'succeeded'", 10),
		'f: both manual runs of mq succeeded');
	is(effect_overlaps('mq'), '', "f: mq's two runs never ran at the same time (the job's own clock)");
	is(q1($node, qq{SELECT count(*) FROM cron.job_run_details a JOIN cron.job_run_details b ON a.runid < b.runid
		WHERE a.jobid = $mq AND b.jobid = $mq AND a.start_time < b.end_time AND b.start_time < a.end_time}),
		'0', "f: ... nor in the ledger (start_time/end_time)");
	is(q1($node, "SELECT count(*) FROM public.q_eff WHERE job = 'mq'"), '2', 'f: ... and both ran');

	# 2. a retry (of a manual run) and another manual run of mr wait together
	my $mr1 = as('alice', q{SELECT cron.run_job('mr')});
	ok(wait_for($node, "SELECT count(*) = 1 FROM cron.job_run_details WHERE runid = $mr1 AND attempt = 2 AND status = 'starting'", 10),
		"f: mr's first attempt failed and its retry waits (retry_delay 1 s)");
	my $t_fail = time();
	# back to a cap of 1 (alice's 30 s run holds it) before the retry is due
	ok(set_role_cap(1), 'f: cron.max_running_jobs_per_role = 1 again');
	my $mr2 = as('alice', q{SELECT cron.run_job('mr')});
	like($mr2, qr/^\d+$/, 'f: a manual run of mr is claimed meanwhile');
	# let the retry come due (at most 1.25 s after the failure) while both wait
	usleep(int(($t_fail + 1.4 - time()) * 1e6)) if time() < $t_fail + 1.4;
	my $both_waited = q1($node, "SELECT count(*) = 2 FROM cron.job_run_details WHERE runid IN ($mr1, $mr2) AND status = 'starting'
		AND NOT EXISTS (SELECT 1 FROM public.q_eff WHERE job = 'mr')") eq 't';
	diag('f: ' . ($both_waited ? "mr's retry and manual run both waited for a place"
		: "mr's retry or manual run started before the cap was lowered (the runs still must not overlap)"));
	ok(set_role_cap(4), 'f: cron.max_running_jobs_per_role raised to 4');
	ok(wait_for($node, "SELECT count(*) = 2 FROM cron.job_run_details WHERE runid IN ($mr1, $mr2) AND status = 'succeeded'", 10),
		"f: mr's retry and its second manual run succeeded")
	  or diag(q1($node, "SELECT string_agg(runid || ' ' || status || ' ' || coalesce(return_message, ''), '; ') FROM cron.job_run_details WHERE jobid = $mr"));
	is(effect_overlaps('mr'), '', "f: mr's retry and manual run never ran at the same time");
	is(q1($node, "SELECT count(*) FROM public.q_eff WHERE job = 'mr'"), '2', 'f: ... and both ran');
	is(q1($node, qq{SELECT string_agg(status || ' ' || coalesce(return_message, ''), '; ') FROM cron.job_run_details
		WHERE jobid IN ($mq, $mr) AND (status <> 'succeeded' OR return_message LIKE 'skipped%')}), '',
		'f: no run of mq or mr was skipped or failed');

	q1($node, q{SELECT count(cron.unschedule(jobid)) FROM cron.job});
	q1($node, q{SELECT count(cron.cancel_run(runid)) FROM cron.job_run_details WHERE status IN ('starting', 'running')});
	$node->safe_psql('postgres', q{ALTER SYSTEM RESET cron.max_running_jobs_per_role; SELECT pg_reload_conf();});
	ok(wait_for($node, q{SELECT current_setting('cron.max_running_jobs_per_role') = '2'}, 5)
		  && wait_for($node, q{SELECT NOT EXISTS (SELECT 1 FROM cron.job_run_details WHERE status IN ('starting', 'running'))}, 10),
		'f: cap back to 2, nothing in progress');
}

# ---------------------------------------------------------------------
# d. HTTP: alice's requests to a silent endpoint hold at most 2 of the 4
#    connections, each for at most cron.http_max_timeout; bob's succeed
# ---------------------------------------------------------------------
my ($o0, $m0, $tot0) = silent_counts();
is("$o0 $m0 $tot0", '0 0 0', 'd: the silent listener is up, no connection yet');
my @hb = map { as('bob', qq{SELECT cron.schedule_http('hb$_', '1 seconds', '$base/echo/hb$_')}) } 1 .. 2;
as('alice', qq{SELECT cron.schedule_http('ha' || i, '1 seconds', 'http://127.0.0.1:$silent_port/ha' || i,
	timeout => '0', overlap => 'allow') FROM generate_series(1, 4) i});
my $ha = q{jobid IN (SELECT jobid FROM cron.job WHERE jobname LIKE 'ha%' AND username = 'alice')};
is(q1($node, qq{SELECT string_agg(DISTINCT coalesce(timeout::text, 'none'), ',') FROM cron.job WHERE $ha}), 'none',
	"d: alice's HTTP jobs have no timeout of their own");
ok(wait_for($node, qq{SELECT count(*) = 2 FROM cron.job_run_details WHERE $ha AND status = 'running'}, 10),
	"d: alice has 2 requests in flight");

my $d0 = q1($node, q{SELECT date_trunc('second', now()) + interval '1 second'});
my ($ha_max, $silent_max_seen) = (0, 0);
$bad = '';
$n = sample(6, qq{SELECT count(*) FROM cron.job_run_details WHERE $ha AND status = 'running'}, sub {
		$ha_max = $_[0] if $_[0] > $ha_max;
		my ($o) = silent_counts();
		$silent_max_seen = $o if defined $o && $o > $silent_max_seen;
	});
my $d1 = q1($node, 'SELECT now()');
my ($o1, $m1, $tot1) = silent_counts();
diag("d: $n samples; alice's requests running at most $ha_max; silent listener: open $o1, max $m1, total $tot1");
cmp_ok($ha_max, '<=', 2, "d: the ledger never showed more than 2 of alice's requests running");
is($m1, 2, 'd: the silent listener never held more than 2 connections at once (and held 2)');
cmp_ok($tot1, '>=', 4, 'd: ... and got new ones as the old timed out');
my $ha_done = q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE $ha AND end_time IS NOT NULL});
cmp_ok($ha_done, '>=', 2, "d: alice's requests ended within the window ($ha_done)");
is(q1($node, qq{SELECT coalesce(string_agg(runid || ': ' || status || ' ' || coalesce(return_message, '') ||
		' after ' || coalesce(extract(epoch FROM end_time - start_time)::numeric(8,2)::text, '?') || ' s', '; '), '')
	FROM cron.job_run_details WHERE $ha AND end_time IS NOT NULL
	AND NOT (status = 'failed' AND return_message LIKE 'timed out after 3000 ms%'
			 AND end_time - start_time BETWEEN interval '2.9 seconds' AND interval '4 seconds')}), '',
	"d: each of alice's ended requests failed 'timed out after 3000 ms' 3-4 s after it started");
is(ledger_concurrency($ha), '2', "d: ledger: at most 2 of alice's requests at once (and 2 did)");

my $dto = q1($node, qq{SELECT date_trunc('second', '$d1'::timestamptz) - interval '1 second'});
for my $j (@hb)
{
	ok(wait_for($node, qq{SELECT EXISTS (SELECT 1 FROM cron.job_run_details WHERE jobid = $j
		AND scheduled_for >= '$dto' AND status IN ('succeeded', 'failed', 'skipped'))}, 10),
		"d: bob's HTTP job $j has a decided slot at the end of the window");
	is(slots_not_on_time($j, $d0, $dto, '2 seconds'), '',
		"d: every slot of bob's HTTP job $j succeeded within 2 s while alice's hung");
}
is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE jobid IN (@{[join ',', @hb]}) AND status <> 'succeeded'
	AND status NOT IN ('starting', 'running')}), '0', "d: none of bob's HTTP slots failed or was skipped");

# ---------------------------------------------------------------------
# g. manual HTTP runs are capped by the role's share too: with
#    cron.http_max_connections_per_role = 2 and the silent listener,
#    alice's cron.run_job of an HTTP job beyond 2 runs in flight or
#    waiting is refused (55000), not queued; her 'starting'/'running'
#    HTTP rows never exceed 2, and once a request ends (3 s,
#    cron.http_max_timeout) she may run one again
# ---------------------------------------------------------------------
{
	q1($node, q{SELECT count(cron.unschedule(jobid)) FROM cron.job});
	q1($node, q{SELECT count(cron.cancel_run(runid)) FROM cron.job_run_details WHERE status IN ('starting', 'running')});
	ok(wait_for($node, q{SELECT NOT EXISTS (SELECT 1 FROM cron.job_run_details WHERE status IN ('starting', 'running'))}, 10),
		'g: nothing in progress');
	my $hq = as('alice', qq{SELECT cron.schedule_http('hq', '0 0 1 1 *', 'http://127.0.0.1:$silent_port/hq', timeout => '0')});
	my $hm = as('alice', qq{SELECT cron.schedule_http('hm', '0 0 1 1 *', 'http://127.0.0.1:$silent_port/hm', timeout => '0', overlap => 'allow')});
	my $in_progress = q{SELECT count(*) FROM cron.job_run_details WHERE username = 'alice' AND manual
		AND status IN ('starting', 'running')};

	my $ga = $node->background_psql('postgres', on_error_stop => 0, extra_params => [ '-U', 'alice' ]);
	$ga->query('\set VERBOSITY verbose');
	$ga->{stderr} = '';
	my $run = sub {
		my ($sql) = @_;
		$ga->{stderr} = '';
		my $t = time();
		my $out = $ga->query($sql);
		my $err = $ga->{stderr};
		$ga->{stderr} = '';
		return ($out, $err, time() - $t);
	};
	my $refusal = qr/ERROR:\s+55000: could not run job (\d+): role has 2 HTTP runs in progress or waiting \(its share of cron\.http_max_connections\)/;

	my ($r1, $e1) = $run->(q{SELECT cron.run_job('hq')});
	my ($r2, $e2) = $run->(q{SELECT cron.run_job('hq')});
	ok($r1 =~ /^\d+$/ && $r2 =~ /^\d+$/ && $e1 eq '' && $e2 eq '', "g: two cron.run_job calls of alice's queue HTTP job hq are taken")
	  or diag("$e1 $e2");
	ok(wait_for($node, qq{SELECT string_agg(status, ',' ORDER BY runid) = 'running,starting' FROM cron.job_run_details
		WHERE runid IN ($r1, $r2)}, 10), 'g: ... the first is in flight, the second waits for it (overlap = queue)');
	my $t_first = time();
	my ($r3, $e3, $s3) = $run->(q{SELECT cron.run_job('hm')});
	like($e3, $refusal, sprintf("g: a third manual HTTP run (another job, overlap 'allow') is refused (55000) at once (%.3f s)", $s3));
	is($e3 =~ $refusal ? $1 : '', $hm, '... naming the job');
	cmp_ok($s3, '<', 1, '... at once');
	my ($r4, $e4) = $run->(q{SELECT cron.run_job('hq')});
	like($e4, $refusal, 'g: a third manual run of hq is refused too');
	my ($r5, $e5) = $run->(q{DO $$
DECLARE ok int := 0; refused int := 0;
BEGIN
	FOR i IN 1 .. 20 LOOP
		BEGIN
			PERFORM cron.run_job('hm');
			ok := ok + 1;
		EXCEPTION WHEN object_not_in_prerequisite_state THEN
			refused := refused + 1;
		END;
	END LOOP;
	RAISE NOTICE 'run_job in a loop: % taken, % refused', ok, refused;
END $$});
	like($e5, qr/run_job in a loop: 0 taken, 20 refused/, 'g: cron.run_job in a loop of 20 is refused every time (nothing piles up)');
	is(q1($node, $in_progress), '2', "g: alice has 2 manual HTTP runs in progress or waiting");

	# until the first request has timed out (3 s) and a run was taken
	# again, and 0.5 s more: sample the ledger; try another manual run
	# every 0.25 s
	my ($max, $refused_n, $open_max) = (0, 0, 0);
	my (@taken, $taken_at);
	my $next_try = 0;
	my $deadline = $t_first + 8;
	while (time() < $deadline)
	{
		last if defined $taken_at && time() > $taken_at + 0.5;
		my $n = q1($node, $in_progress);
		$max = $n if $n > $max;
		my ($o) = silent_counts();
		$open_max = $o if defined $o && $o > $open_max;
		if (time() >= $next_try)
		{
			$next_try = time() + 0.25;
			my ($r, $e) = $run->(q{SELECT cron.run_job('hm')});
			if ($r =~ /^\d+$/ && $e eq '')
			{
				push @taken, $r;
				$taken_at //= time();
			}
			elsif ($e =~ $refusal)
			{
				$refused_n++;
			}
			else
			{
				push @taken, "unexpected: $r $e";
			}
			$n = q1($node, $in_progress);
			$max = $n if $n > $max;
		}
		usleep(50_000);
	}
	diag(sprintf('g: during %.1f s: at most %d in progress; %d further runs taken, %d refused; the silent listener held at most %d connections',
		time() - $t_first, $max, scalar @taken, $refused_n, $open_max));
	cmp_ok($max, '<=', 2, "g: alice never had more than 2 manual HTTP runs starting or running");
	cmp_ok($open_max, '<=', 2, 'g: the silent listener never held more than 2 of her connections');
	is(join(' ', grep { !/^\d+$/ } @taken), '', 'g: every cron.run_job was either taken or refused with the capacity message');
	cmp_ok($refused_n, '>=', 1, 'g: calls while she had 2 were refused');
	cmp_ok(scalar @taken, '>=', 1, 'g: once her first request timed out, a manual run was taken again');
	like(q1($node, "SELECT status || ' ' || coalesce(return_message, '') FROM cron.job_run_details WHERE runid = $r1"),
		qr/^failed timed out after 3000 ms/, "g: the first request failed at cron.http_max_timeout");
	is(q1($node, qq{SELECT count(*) FROM cron.job_run_details WHERE username = 'alice' AND manual AND jobid IN ($hq, $hm)}),
		2 + scalar(@taken), 'g: the ledger has exactly the runs that were taken');
	cmp_ok(ledger_concurrency("username = 'alice' AND manual AND jobid IN ($hq, $hm)"), '<=', 2,
		'g: ledger: at most 2 of her manual HTTP runs at once');
	$ga->quit;
	q1($node, q{SELECT count(cron.unschedule(jobid)) FROM cron.job});
	q1($node, q{SELECT count(cron.cancel_run(runid)) FROM cron.job_run_details WHERE status IN ('starting', 'running')});
}

# ---------------------------------------------------------------------
# no crash, no restart
# ---------------------------------------------------------------------
is(q1($node, 'SELECT pg_postmaster_start_time()'), $pm_start, 'the postmaster did not restart');
is(q1($node, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'}), $sched_pid,
	'the scheduler is the same process');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|server process .* was terminated|all server processes terminated/,
	'no backend crashed');
unlike($log, qr/WARNING:\s+cronext scheduler: /, 'the scheduler logged no failed pass');

$node->stop;
kill 'TERM', $silent_pid;
waitpid($silent_pid, 0);
$silent_pid = 0;
done_testing();
