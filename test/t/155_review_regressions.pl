# 155_review_regressions.pl
#	  Regressions for defects found in a code review, one section each:
#	  1. a failure message of 3000 control characters (six bytes each once
#	     JSON-escaped) must not push the cron_job_failed payload past
#	     NOTIFY's limit and take the scheduler down;
#	  2. with cron.max_running_jobs SQL runs in progress and an SQL slot
#	     waiting for one, HTTP slots still run on time;
#	  3. a superuser holding an ACCESS EXCLUSIVE lock
#	     on cron.job freezes neither the HTTP requests in flight nor the
#	     HTTP worker: runs posted meanwhile start once the lock is gone;
#	  4. a 3xx listed in expect_status is the answer: the redirect is not
#	     followed;
#	  5. a redirect to another origin forwards only headers known to carry
#	     no credential, whatever the others are called;
#	  6. a Retry-After longer than the time to the next slot fails the slot
#	     instead of retrying before the server asked.
#
# Uses the loopback server test/t/http_server.py (its /retryafter path was
# added for section 6).  Every wait is bounded.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use POSIX qw(ceil);
use IPC::Run;
use JSON::PP;
use CronextTest;
use HttpTestServer;

my $far = '0 0 1 1 *';		# never due during the test: runs come from cron.run_job

# ---------------------------------------------------------------------
# the loopback HTTP server
# ---------------------------------------------------------------------
my $port = start_server();
my $base = "http://127.0.0.1:$port";

# percent-encode a URL for the ?to= of /redirect
sub urlenc
{
	my ($s) = @_;
	$s =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord($1))/ge;
	return $s;
}


sub pid_of
{
	my ($node, $type) = @_;
	return q1($node, "SELECT coalesce(string_agg(pid::text, ',' ORDER BY pid), 'none')
		FROM pg_stat_activity WHERE backend_type = '$type'");
}

# ---------------------------------------------------------------------
# the node: one SQL run at a time (section 2)
# ---------------------------------------------------------------------
my $node = cron_node('review', qq{
cron.max_running_jobs = 1
});
$node->safe_psql('postgres', q{
-- ordinary roles may no longer take such locks (lock_guard.c, and
-- 180_role_locks.pl); a superuser still can, and the scheduler's bounded
-- lock waits are what keep that from stalling jobs
CREATE ROLE locker LOGIN SUPERUSER;
});

my $sched_pid = pid_of($node, 'cronext scheduler');
like($sched_pid, qr/^\d+$/, "the scheduler runs (pid $sched_pid)");

# ---------------------------------------------------------------------
# 1. a failure message of 3000 control characters: the notification
#    still goes out, and the scheduler survives
# ---------------------------------------------------------------------
{
	my $listener = $node->background_psql('postgres');
	$listener->query_safe('LISTEN cron_job_failed');

	my $ctl = q1($node, q{SELECT cron.schedule('ctl-chars', '0 0 1 1 *',
		$c$DO $x$ BEGIN RAISE EXCEPTION '%', repeat(chr(1), 3000); END $x$$c$)});
	my $short = q1($node, q{SELECT cron.schedule('short-fail', '0 0 1 1 *', 'SELECT 1/0')});

	my $r_ctl = q1($node, "SELECT cron.run_job($ctl)");
	ok(wait_for($node, "SELECT status IN ('succeeded', 'failed') FROM cron.job_run_details WHERE runid = $r_ctl", 15),
		'control characters: the run ended');
	my $row = run_row($node, $r_ctl);
	is($row->{status} . ' ' . $row->{attempt}, 'failed 1', '... failed, attempt 1');
	ok(index($row->{return_message} // '', "\x01" x 100) >= 0,
		'... with the exception message (control characters) as return_message')
	  or diag('return_message: ' . substr($row->{return_message} // 'NULL', 0, 200));

	my $r_short = q1($node, "SELECT cron.run_job($short)");
	ok(wait_for($node, "SELECT status IN ('succeeded', 'failed') FROM cron.job_run_details WHERE runid = $r_short", 15),
		'short message: the run ended');
	is(q1($node, "SELECT status || ' ' || return_message FROM cron.job_run_details WHERE runid = $r_short"),
		'failed division by zero', '... failed with "division by zero"');

	# collect the notifications (delivered at the listener's next query)
	my %note;
	my $deadline = time() + 10;
	while (time() < $deadline && !(exists $note{$r_ctl} && exists $note{$r_short}))
	{
		my $out = $listener->query_safe('SELECT 1');
		for my $line (split /\n/, $out)
		{
			next unless $line =~ /^Asynchronous notification "cron_job_failed" with payload "(.*)" received from server process with PID \d+\.$/;
			my $p = eval { decode_json($1) };
			if (!$p)
			{
				diag('payload is not valid JSON: ' . substr($1, 0, 200));
				next;
			}
			$note{ $p->{runid} } = $p if defined $p->{runid};
		}
		usleep(100_000) unless exists $note{$r_ctl} && exists $note{$r_short};
	}
	$listener->quit;
	ok(exists $note{$r_ctl}, 'control characters: the listener got a valid JSON notification for the run');
	is(join(',', sort keys %{ $note{$r_ctl} // {} }), 'runid', '... carrying only the runid');
	ok(exists $note{$r_short}, 'short message: the listener got its notification too');
	is(q1($node, "SELECT j.jobname || ' | ' || d.return_message FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE d.runid = $note{$r_short}{runid}"),
		'short-fail | division by zero', '... whose runid leads to the job name and message');

	is(pid_of($node, 'cronext scheduler'), $sched_pid, 'the scheduler is the same process (it did not die)');
	ok(wait_for($node, q{SELECT count(*) = 0 FROM cron.job_run_details
		WHERE return_message LIKE '%restarted during the run%'}, 1),
		'no run was closed by a scheduler restart');
	$node->safe_psql('postgres', "SELECT cron.unschedule($ctl); SELECT cron.unschedule($short)");
}

# ---------------------------------------------------------------------
# 2. SQL saturated (cron.max_running_jobs = 1 busy, another SQL slot
#    waiting): a '2 seconds' HTTP job runs on every slot
# ---------------------------------------------------------------------
{
	my $busy = q1($node, "SELECT cron.schedule('busy', '$far', 'SELECT pg_sleep(30)')");
	my $r_busy = q1($node, "SELECT cron.run_job($busy)");
	ok(wait_for($node, "SELECT status = 'running' FROM cron.job_run_details WHERE runid = $r_busy", 10),
		'the one SQL run allowed is busy (pg_sleep(30))');
	# an SQL slot that waits for it at the head of the scheduler's ready
	# list: an 'N seconds' job (N >= 15) whose slot comes due in a moment
	# and stays waiting until its next slot, N s later, while the HTTP
	# job's slots come due behind it
	my ($wsched) = seconds_schedule(0.5, 3, 15);
	my $waiting = q1($node, "SELECT cron.schedule('waiting-sql', '$wsched', 'SELECT 1')");
	# its first slot: once that is past, the slot waits for the busy run
	# (the saturation warning cannot tell: it is logged at most once a minute)
	my $wslot = q1($node, "SELECT extract(epoch FROM r) FROM cron.job j,
		cron.next_runs(j.schedule, j.timezone, j.created_at, 1) r WHERE j.jobid = $waiting");
	# bounded from the slot itself, not from a guess made before the slow
	# steps above (seconds_schedule falls back to a farther slot on a busy machine)
	my $until_slot = $wslot - time();
	ok(wait_for($node, "SELECT extract(epoch FROM clock_timestamp()) > $wslot + 0.3",
			($until_slot > 0 ? $until_slot : 0) + 10),
		'the other SQL job\'s slot came due');
	is(q1($node, "SELECT count(*) FROM cron.job_run_details WHERE jobid = $waiting"), '0',
		'another SQL slot waits for the busy run (not claimed)');

	my $h = q1($node, "SELECT cron.schedule_http('h-every-2s', '2 seconds', '$base/echo/every2')");
	ok(wait_for($node, "SELECT count(*) >= 3 FROM cron.job_run_details WHERE jobid = $h AND status = 'succeeded'", 9),
		'the HTTP job succeeded on 3 slots within ~8 s while SQL is saturated')
	  or diag(join "\n", qcol($node, "SELECT scheduled_for || ' ' || status || ' ' || coalesce(return_message, '')
		FROM cron.job_run_details WHERE jobid = $h ORDER BY scheduled_for"));
	$node->safe_psql('postgres', "SELECT cron.unschedule($h); SELECT cron.unschedule($waiting)");
	is(q1($node, "SELECT count(*) FROM cron.job_run_details WHERE jobid = $h AND status = 'skipped'"), '0',
		'... and none of its slots was skipped');
	is(q1($node, "SELECT max(extract(epoch FROM start_time - scheduled_for)) < 1.5
		FROM cron.job_run_details WHERE jobid = $h AND status = 'succeeded'"), 't',
		'... each started on time');
	is(q1($node, "SELECT status FROM cron.job_run_details WHERE runid = $r_busy"), 'running',
		'... while the SQL run was still busy');
	is(q1($node, "SELECT count(*) FROM cron.job_run_details WHERE jobid = $waiting AND status IN ('running', 'succeeded')"),
		'0', '... and the other SQL job still waited');

	q1($node, "SELECT cron.cancel_run($r_busy)");
	ok(wait_for($node, "SELECT status = 'failed' FROM cron.job_run_details WHERE runid = $r_busy", 10),
		'the busy SQL run was cancelled');
	$node->safe_psql('postgres', "SELECT cron.unschedule($busy)");
}

# ---------------------------------------------------------------------
# 4. a 3xx in expect_status: not followed
# ---------------------------------------------------------------------
# 5. a redirect to another origin drops every header not known to be safe
# ---------------------------------------------------------------------
{
	my %hdr = (
		'X-Auth'              => 'xauth-value',
		'Authentication'      => 'authn-value',
		'X-Custom-Credential' => 'cred-value',
		'Accept'              => 'application/json',
		'Content-Type'        => 'text/plain',
	);
	my $hdr_json = lit(encode_json(\%hdr)) . '::jsonb';
	my $other = "http://localhost:$port";
	my %jid = map { split /\|/ } qcol($node, "
		SELECT 'e302', cron.schedule_http('e302', '$far',
			'$base/redirect?to=" . urlenc("$base/echo/must-not-follow") . "', expect_status => '{302}');
		SELECT 'cross', cron.schedule_http('hdr-cross', '$far',
			'$base/redirect?to=" . urlenc("$other/echo/hdr-cross") . "', headers => $hdr_json);
		SELECT 'same', cron.schedule_http('hdr-same', '$far',
			'$base/redirect?to=" . urlenc("$base/echo/hdr-same") . "', headers => $hdr_json)");
	my %rid = map { $_ => q1($node, "SELECT cron.run_job($jid{$_})") } sort keys %jid;
	my $runs = join ',', values %rid;
	ok(wait_for($node, "SELECT count(*) = 3 FROM cron.job_run_details
		WHERE runid IN ($runs) AND status IN ('succeeded', 'failed')", 15), 'the redirect runs ended');

	my $e = run_row($node, $rid{e302});
	is(($e->{status} // '') . ' ' . ($e->{http_status} // 'NULL'), 'succeeded 302',
		"expect_status '{302}' against a 302: succeeded with http_status 302");
	is(scalar(requests('/redirect?to=' . urlenc("$base/echo/must-not-follow"))), 1, '... after one request');
	is(scalar(requests('/echo/must-not-follow')), 0, '... and the redirect was not followed');

	for my $k (qw(cross same))
	{
		my $r = run_row($node, $rid{$k});
		is(($r->{status} // '') . ' ' . ($r->{http_status} // 'NULL'), 'succeeded 200',
			"$k-origin redirect: followed to a 200");
	}
	my ($cross) = requests('/echo/hdr-cross');
	my ($same) = requests('/echo/hdr-same');
	ok($cross && $same, 'both final requests arrived');
	$cross //= { headers => [] };
	$same //= { headers => [] };
	like(join(' ', map { "$_->[0]=$_->[1]" } @{ $cross->{headers} }), qr/\bHost=localhost:$port\b/,
		'... the cross-origin one at the other origin (localhost)');
	for my $n ('X-Auth', 'Authentication', 'X-Custom-Credential')
	{
		is_deeply([ header_values($cross, $n) ], [], "cross-origin redirect: $n not forwarded");
	}
	for my $n ('Accept', 'Content-Type')
	{
		is_deeply([ header_values($cross, $n) ], [ $hdr{$n} ], "cross-origin redirect: $n forwarded");
	}
	for my $n (sort keys %hdr)
	{
		is_deeply([ header_values($same, $n) ], [ $hdr{$n} ], "same-origin redirect: $n kept");
	}
	$node->safe_psql('postgres', join '', map { "SELECT cron.unschedule($_);" } values %jid);
}

# ---------------------------------------------------------------------
# 3. a superuser locks cron.job for ~4 s: the
#    request in flight ends on time, a run posted meanwhile starts after
#    the lock, and the HTTP worker is not restarted
# ---------------------------------------------------------------------
{
	# B: a slot every second, so that one is posted to the HTTP worker
	# while the lock is held and before A's response arrives
	my $b = q1($node, "SELECT cron.schedule_http('every-1s', '1 seconds', '$base/nocontent?job=every-1s')");
	ok(wait_for($node, "SELECT count(*) >= 2 FROM cron.job_run_details WHERE jobid = $b AND status = 'succeeded'", 5),
		'a 1-second HTTP job runs');
	my $http_pid = pid_of($node, 'cronext http');
	like($http_pid, qr/^\d+$/, "the HTTP worker runs (pid $http_pid)");
	my $a = q1($node, "SELECT cron.schedule_http('in-flight', '$far', '$base/sleep/1?job=in-flight')");

	my $locker = $node->background_psql('postgres', extra_params => [ '-U', 'locker' ]);

	# A (a 1 s request) starts at about .3 of a second, the lock is taken as
	# soon as A's request has arrived; B's next slot (the next whole second)
	# then falls inside the lock, before A's answer.  If the machine was too
	# slow for that, release and try again.
	my ($r_a, $lock_at, $arrived);
	for my $try (1 .. 3)
	{
		my $now = time();
		my $frac = $now - int($now);
		my $at = int($now) + ($frac < 0.25 ? 0.3 : 1.3);
		usleep(int(($at - time()) * 1e6)) if $at > time();
		my $n0 = scalar(requests('/sleep/1?job=in-flight'));
		$r_a = q1($node, "SELECT cron.run_job($a)");
		wait_requests('/sleep/1?job=in-flight', $n0 + 1, 3);
		$locker->query_safe('BEGIN; LOCK TABLE cron.job IN ACCESS EXCLUSIVE MODE');
		$lock_at = $locker->query_safe('SELECT extract(epoch FROM clock_timestamp())');
		$arrived = (requests('/sleep/1?job=in-flight'))[-1]{time} // 0;
		my $b_slot = ceil($lock_at);
		last if $b_slot - $lock_at >= 0.05 && $arrived + 1 - $b_slot >= 0.1;
		diag(sprintf('try %d: timing off (A arrived %.3f, lock %.3f); again', $try, $arrived, $lock_at));
		$locker->query_safe('ROLLBACK');
		wait_for($node, "SELECT status IN ('succeeded', 'failed') FROM cron.job_run_details WHERE runid = $r_a", 5);
	}
	note(sprintf('A arrived at %.3f, lock taken at %.3f', $arrived, $lock_at));

	ok(wait_for($node, "SELECT status IN ('succeeded', 'failed') FROM cron.job_run_details WHERE runid = $r_a", 3),
		'while cron.job is locked: the request in flight ended');
	my $a_row = run_row($node, $r_a);
	my $a_dur = q1($node, "SELECT extract(epoch FROM coalesce(end_time, clock_timestamp()) - start_time)
		FROM cron.job_run_details WHERE runid = $r_a");
	is(($a_row->{status} // '') . ' ' . ($a_row->{http_status} // 'NULL'), 'succeeded 200', '... succeeded with 200');
	cmp_ok($a_dur, '<', 2.5, "... in about 1 s ($a_dur s)");
	my $b_during = q1($node, "SELECT min(runid) FROM cron.job_run_details WHERE jobid = $b
		AND scheduled_for > to_timestamp($lock_at)");
	ok($b_during ne '' && q1($node, "SELECT (SELECT scheduled_for FROM cron.job_run_details WHERE runid = $b_during)
		< (SELECT coalesce(end_time, 'infinity') FROM cron.job_run_details WHERE runid = $r_a)") eq 't',
		'(a slot of the 1-second HTTP job came due during the lock, before that request ended)');

	# hold the lock for about 4 s in all
	$locker->query_safe("SELECT pg_sleep(greatest(0, 4 - (extract(epoch FROM clock_timestamp()) - $lock_at)))");
	my $released = $locker->query_safe('SELECT extract(epoch FROM clock_timestamp())');
	is(q1($node, "SELECT count(*) FROM cron.job_run_details WHERE runid = $b_during AND status IN ('succeeded', 'failed')"),
		'0', "the 1-second job's slot posted during the lock waits for it");
	$locker->query_safe('ROLLBACK');
	$locker->quit;

	ok(wait_for($node, "SELECT status IN ('succeeded', 'failed') FROM cron.job_run_details WHERE runid = $b_during", 5),
		'after the lock: the slot posted during it ended');
	my $b_row = run_row($node, $b_during);
	is(($b_row->{status} // '') . ' ' . ($b_row->{http_status} // 'NULL'), 'succeeded 204', '... succeeded with 204');
	ok(wait_for($node, "SELECT count(*) >= 1 FROM cron.job_run_details WHERE jobid = $b
		AND status = 'succeeded' AND scheduled_for > to_timestamp($released)", 5),
		'... and the 1-second job runs on');
	is(pid_of($node, 'cronext http'), $http_pid, 'the HTTP worker is the same process (not restarted)');
	$node->safe_psql('postgres', "SELECT cron.unschedule($b); SELECT cron.unschedule($a)");
}

# ---------------------------------------------------------------------
# 6. Retry-After: 30 on a '5 seconds' job: no retry fits, the slot fails
# ---------------------------------------------------------------------
{
	my $ra = q1($node, "SELECT cron.schedule_http('retry-after', '5 seconds', '$base/retryafter/30?job=retry-after',
		max_retries => 3, retry_delay => '100 ms')");
	ok(wait_for($node, "SELECT EXISTS (SELECT 1 FROM cron.job_run_details WHERE jobid = $ra
		AND status IN ('succeeded', 'failed'))", 8), 'the Retry-After job: its first slot ended');
	my $first = q1($node, "SELECT min(runid) FROM cron.job_run_details WHERE jobid = $ra");
	$node->safe_psql('postgres', "SELECT cron.unschedule($ra)");
	my $row = run_row($node, $first);
	is(($row->{status} // '') . ' ' . ($row->{attempt} // '') . ' ' . ($row->{http_status} // 'NULL'),
		'failed 1 429', '429 with Retry-After: 30, next slot 5 s away: failed at attempt 1 (no early retry)');
	note('return_message: ' . ($row->{return_message} // 'NULL'));
	my @reqs = requests('/retryafter/30?job=retry-after');
	my $key = @reqs ? (header_values($reqs[0], 'Idempotency-Key'))[0] // '' : '';
	is(scalar(grep { ((header_values($_, 'Idempotency-Key'))[0] // '') eq $key } @reqs), 1,
		'... one request for the slot');
}

# ---------------------------------------------------------------------
# 7. a lock on cron.job (only a superuser can take one that conflicts
#    with the scheduler's reads) does not stall the scheduler: the outcome
#    of a run that started before it is recorded while it is held (the
#    failure notification used to read cron.job); SQL runs, which read
#    their command from cron.job when claimed, wait for it; a one-off job
#    that came due meanwhile runs once afterwards and is made inactive
#    (its deactivation writes cron.job)
# ---------------------------------------------------------------------
{
	my $slow = q1($node, q{SELECT cron.schedule('lock-slow', '0 0 1 1 *', 'SELECT pg_sleep(1.5); SELECT 1/0')});
	# its failure alert: written without the URL while cron.job is locked
	$node->safe_psql('postgres', qq{SELECT cron.set_alerts('lock-slow', '$base/echo/lock-alert')});
	my $sched_pid = q1($node, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'");
	my $r_slow = q1($node, "SELECT cron.run_job($slow)");
	ok(wait_for($node, "SELECT status = 'running' FROM cron.job_run_details WHERE runid = $r_slow", 10),
		'a 1.5 s run that will fail has started');
	my $locker = $node->background_psql('postgres', extra_params => [ '-U', 'locker' ]);
	$locker->query_safe('BEGIN; LOCK TABLE cron.job IN ACCESS EXCLUSIVE MODE');
	my $t0 = q1($node, "SELECT extract(epoch FROM clock_timestamp())");
	# created by a session that waits for the lock: a one-off job 2 s on
	my $creator = $node->background_psql('postgres');
	$creator->query_until(qr/go/, q{\echo go
SELECT cron.schedule_at('lock-once', now() + interval '2 seconds', 'SELECT 7');
});
	ok(wait_for($node, "SELECT status = 'failed' AND return_message = 'division by zero'
		FROM cron.job_run_details WHERE runid = $r_slow", 8),
		'while cron.job is locked: the failure of the run in progress is recorded');
	is(q1($node, "SELECT extract(epoch FROM clock_timestamp()) - $t0 < 8"), 't', '... while the lock was held');
	is(q1($node, "SELECT count(*) || ' ' || bool_and(url IS NULL) FROM cron.job_alerts WHERE runid = $r_slow"),
		'1 true', '... with its alert, whose URL waits for the lock');
	# hold the lock for about 4 s in all
	$locker->query_safe("SELECT pg_sleep(greatest(0, 4 - (extract(epoch FROM clock_timestamp()) - $t0)))");
	$locker->query_safe('ROLLBACK');
	$locker->quit;
	$creator->quit;
	ok(wait_requests('/echo/lock-alert', 1, 20), 'after the lock, the alert is completed and sent');
	is(eval { decode_json((requests('/echo/lock-alert'))[0]{body})->{job_name} } // '', 'lock-slow',
		'... with the job\'s name');
	my $once = q1($node, "SELECT jobid FROM cron.job WHERE jobname = 'lock-once'");
	like($once, qr/^\d+$/, 'the one-off job was created once the lock was gone');
	ok(wait_for($node, "SELECT count(*) = 1 FROM cron.job_run_details WHERE jobid = $once AND status = 'succeeded'", 10),
		'... it came due and ran');
	ok(wait_for($node, "SELECT NOT active FROM cron.job WHERE jobid = $once", 10),
		'... and was made inactive');
	is(q1($node, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'"), $sched_pid,
		'the scheduler is the same process');
	is(q1($node, "SELECT count(*) FROM cron.job_run_details WHERE jobid = $once"), '1', 'the one-off job ran once');
	$node->safe_psql('postgres', "SELECT cron.unschedule($slow); SELECT cron.unschedule($once)");
}

$node->stop('immediate');
stop_server();
done_testing();
