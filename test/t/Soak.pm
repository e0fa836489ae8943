# Soak.pm
#	  The chaos soak of issue "Survive what production does to it": a
#	  realistic job mix on one node while a chaos loop kills, at random,
#	  the scheduler, job workers, the HTTP worker and the postmaster
#	  (immediate shutdown and restart), locks the catalog for seconds and
#	  takes the background worker slots; then an audit of the ledger and
#	  the effects.  Used by test/t/240_soak.pl (60 s) and bench/soak.pl
#	  (default 10 minutes).  $node is a PostgreSQL::Test::Cluster with
#	  cronext preloaded (see soak_conf) and the extension created.

package Soak;

use strict;
use warnings;

use Time::HiRes qw(time usleep);

use MissedRanges;

# what the soak's node needs in postgresql.conf
sub soak_conf
{
	return qq{
max_worker_processes = 40
max_parallel_workers = 40
max_parallel_workers_per_gather = 8
cron.max_running_jobs = 16
cron.timezone = 'UTC'
restart_after_crash = on
log_min_messages = info
};
}

my $EFF = q{INSERT INTO effects (job, slot) VALUES (current_setting('cron.job_id'), current_setting('cron.scheduled_for')::timestamptz)};

# the job mix; $base is the loopback HTTP server
sub setup
{
	my ($node, $base, $burst) = @_;
	$burst //= 100;
	$node->safe_psql('postgres', qq{
CREATE TABLE effects (job text NOT NULL, slot timestamptz NOT NULL, at timestamptz DEFAULT clock_timestamp());
CREATE INDEX ON effects (job, slot);
CREATE TABLE filler AS SELECT g AS x FROM generate_series(1, 200000) g;
ANALYZE filler;
SELECT cron.schedule('every1', '1 seconds', \$\$$EFF\$\$);
SELECT cron.schedule('every3', '3 seconds', \$\$$EFF\$\$);
SELECT cron.schedule('burst-' || lpad(i::text, 3, '0'), '10 seconds', \$\$$EFF\$\$)
FROM generate_series(1, $burst) i;
SELECT cron.schedule('failing', '5 seconds', 'SELECT 1/0', max_retries => 2, retry_delay => '1 second');
SELECT cron.schedule('slow', '4 seconds', 'SELECT pg_sleep(3)', timeout => '1 second');
SELECT cron.schedule('edited', '2 seconds', \$\$$EFF\$\$);
SELECT cron.schedule('at-most-once', '2 seconds', \$o\$DO \$d\$ BEGIN $EFF; END \$d\$\$o\$);
SELECT cron.schedule_http('http-ok', '2 seconds', '$base/echo/soak-ok', method => 'POST');
SELECT cron.schedule_http('http-503', '3 seconds', '$base/status/503', max_retries => 1, retry_delay => '1 second');
SELECT cron.schedule_http('http-429', '4 seconds', '$base/retryafter/1', max_retries => 1, retry_delay => '1 second');
});
}

sub pids_of
{
	my ($node, $type) = @_;
	my ($ret, $out) = $node->psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = '$type'",
		timeout => 5, on_error_stop => 0);
	return () if $ret != 0 || !defined $out || $out eq '';
	return split /\n/, $out;
}

sub up
{
	my ($node) = @_;
	my ($ret, $out) = $node->psql('postgres', 'SELECT 1', timeout => 5, on_error_stop => 0);
	return $ret == 0 && defined $out && $out eq '1';
}

sub wait_up
{
	my ($node, $secs) = @_;
	my $deadline = time() + ($secs // 60);
	while (time() < $deadline)
	{
		return 1 if up($node);
		usleep(200_000);
	}
	return 0;
}

# The chaos loop, for $secs seconds: every 2 to 5 s one action, at random;
# meanwhile the jobs are edited, unscheduled and made again, and one-off
# jobs come and go.  Returns what it did, by action.
sub chaos
{
	my ($node, $secs, $log) = @_;
	my %did;
	my $end = time() + $secs;
	my $n = 0;
	my @actions = qw(kill_scheduler kill_worker kill_http term_scheduler term_worker immediate_restart
	  lock_catalog fill_workers edit unschedule_again one_off);
	my @round;
	$did{history} = [];
	while (time() < $end)
	{
		usleep(int((1.5 + rand(2.5)) * 1e6));
		last if time() >= $end;
		wait_up($node, 60) or die "the server did not come back";
		# every kind of harm in each round, in a random order
		@round = sort { rand() <=> 0.5 } @actions unless @round;
		my $a = shift @round;
		$n++;
		$did{$a}++;
		$log->("chaos $n: $a") if $log;
		if ($a eq 'kill_scheduler' || $a eq 'kill_worker' || $a eq 'kill_http')
		{
			my $type = { kill_scheduler => 'cronext scheduler', kill_worker => 'cronext job',
				kill_http => 'cronext http' }->{$a};
			my @p = pids_of($node, $type);
			if (@p) { kill 'KILL', $p[ int(rand(@p)) ]; $did{kills_hit}++; }
			else { $did{"$a (none running)"}++; }
		}
		elsif ($a eq 'term_scheduler' || $a eq 'term_worker')
		{
			# pg_terminate_backend: the process ends by itself (no crash-restart)
			my $type = $a eq 'term_scheduler' ? 'cronext scheduler' : 'cronext job';
			my ($ret, $out) = $node->psql('postgres', "SELECT count(pg_terminate_backend(pid)) FROM
				(SELECT pid FROM pg_stat_activity WHERE backend_type = '$type' ORDER BY random() LIMIT 1) p",
				timeout => 10, on_error_stop => 0);
			$did{"$a (none running)"}++ unless ($out // '') eq '1';
		}
		elsif ($a eq 'immediate_restart')
		{
			$node->stop('immediate');
			$node->start;
		}
		elsif ($a eq 'lock_catalog')
		{
			my $secs = 1 + int(rand(3));
			$node->psql('postgres', "BEGIN; LOCK TABLE cron.job IN ACCESS EXCLUSIVE MODE; "
				. "LOCK TABLE cron.job_run_details IN EXCLUSIVE MODE; SELECT pg_sleep($secs); COMMIT;",
				timeout => 30, on_error_stop => 0);
		}
		elsif ($a eq 'fill_workers')
		{
			# parallel queries take background worker slots for a few seconds
			my @bg;
			for (1 .. 4)
			{
				push @bg, $node->background_psql('postgres', on_error_stop => 0);
				$bg[-1]->query_until(qr/go/, q{\echo go
SET statement_timeout = '4s'; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SELECT count(*) FROM filler WHERE pg_sleep(0.00002) IS NOT NULL;
});
			}
			usleep(2_000_000);
			eval { $_->quit } for @bg;
		}
		elsif ($a eq 'edit')
		{
			my $s = (2 + int(rand(3))) . ' seconds';
			my ($ret, $out) = $node->psql('postgres', "UPDATE cron.job SET schedule = '$s' WHERE jobname = 'edited'
				RETURNING jobid, extract(epoch FROM updated_at), schedule", timeout => 10, on_error_stop => 0);
			push @{ $did{history} }, [ split /\|/, $out ] if $ret == 0 && $out;
		}
		elsif ($a eq 'unschedule_again')
		{
			# in one transaction: a crash in between changes nothing
			my ($ret, $out) = $node->psql('postgres', qq{BEGIN;
				SELECT jobid, extract(epoch FROM clock_timestamp()), NULL
				FROM cron.job WHERE jobname = 'every3';
				SELECT cron.unschedule('every3');
				SELECT j.jobid, extract(epoch FROM j.created_at), j.schedule FROM cron.job j
				WHERE j.jobid = cron.schedule('every3', '3 seconds', \$\$$EFF\$\$);
				COMMIT;},
				timeout => 10, on_error_stop => 1);
			# the old job ends (schedule NULL), the new one starts
			if ($ret == 0 && $out)
			{
				push @{ $did{history} }, map { [ split /\|/ ] } grep { /^\d+\|[\d.]+/ } split /\n/, $out;
			}
		}
		elsif ($a eq 'one_off')
		{
			$node->psql('postgres', qq{SELECT cron.schedule_at('once-$n', now() + interval '2 seconds', \$\$$EFF\$\$)},
				timeout => 10, on_error_stop => 0);
		}
	}
	return \%did;
}

# The audit of [t0, t1] (epoch seconds), after the chaos, on a quiet
# node.  Due slots come from cron.next_runs: for the jobs nobody changed,
# from t0; for 'edited' and 'every3', from the history of their edits
# ($did->{history}: [jobid, epoch, schedule] starts a schedule, [jobid,
# epoch] ends the job), leaving out the 5 s before each change (a slot not
# yet decided when its job changes is not run: only slots after a job's
# last change count).  One-off jobs must have exactly one row.  $reqs: the
# HTTP server's requests, for requests sent more often than the job's
# attempts allow.
sub audit
{
	my ($node, $t0, $t1, $logfile, $did, $reqs) = @_;
	my %a;
	my $q = sub { my $v = $node->safe_psql('postgres', $_[0]); $v };
	my $w = "to_timestamp($t0) AND to_timestamp($t1)";

	# the schedule ranges of the changed jobs
	my @events = ((map { my ($n, $id, $e, $sc) = split /\|/; [ $id, $e, $sc ] }
		split /\n/, $q->("SELECT j.jobname, j.jobid, extract(epoch FROM j.created_at),
			CASE j.jobname WHEN 'edited' THEN '2 seconds' ELSE '3 seconds' END
			FROM cron.job j WHERE j.jobname = 'edited'")),
		@{ $did->{history} // [] });
	# the first every3 job was made with the others (its id is the smallest in the history)
	my ($first3) = sort { $a <=> $b } map { $_->[0] } grep { !defined $_->[2] } @{ $did->{history} // [] };
	if (defined $first3)
	{
		my $c = $q->("SELECT extract(epoch FROM min(created_at)) FROM cron.job");
		unshift @events, [ $first3, $c, '3 seconds' ];
	}
	else
	{
		push @events, map { my ($id, $e) = split /\|/; [ $id, $e, '3 seconds' ] }
		  split /\n/, $q->("SELECT jobid, extract(epoch FROM created_at) FROM cron.job WHERE jobname = 'every3'");
	}
	# the changed jobs as they are now, in case a change's answer was lost
	# with a crash (its transaction committed, its RETURNING never read)
	my %known = map { $_->[0] => 1 } @events;
	push @events, map { my ($id, $e, $sc) = split /\|/; [ $id, $e, $sc ] }
	  grep { my ($id) = split /\|/; !$known{$id} }
	  split /\n/, $q->("SELECT jobid, extract(epoch FROM created_at), schedule FROM cron.job
		WHERE jobname IN ('edited', 'every3')");
	my (@ranges, %open);
	for my $ev (sort { $a->[1] <=> $b->[1] } @events)
	{
		my ($id, $e, $sc) = @$ev;
		# an edit that changed nothing moved nothing
		next if $open{$id} && defined $sc && $open{$id}[1] eq $sc;
		if ($open{$id})
		{
			push @ranges, [ $id, $open{$id}[0], $e - 5, $open{$id}[1] ];
			delete $open{$id};
		}
		$open{$id} = [ $e, $sc ] if defined $sc && $sc ne '';
	}
	push @ranges, [ $_, $open{$_}[0], $t1, $open{$_}[1] ] for keys %open;
	my $ranges = join(', ', map { sprintf("(%d, to_timestamp(%f), to_timestamp(%f), '%s')", @$_) }
		grep { $_->[2] > $_->[1] } @ranges) || "(0, now(), now(), '1 seconds')";
	my @changed = keys %{ { map { $_->[0] => 1 } @events } };
	my $changed = @changed ? join(', ', @changed) : '0';

	my $due = qq{
		WITH r (jobid, f, t, sched) AS (VALUES $ranges),
		due AS (
			SELECT j.jobid, j.jobname, s AS slot
			FROM cron.job j, LATERAL cron.next_runs(j.schedule, j.timezone, to_timestamp($t0), 100000) s
			WHERE s <= to_timestamp($t1) AND j.schedule NOT LIKE '\@at %' AND j.jobid NOT IN ($changed)
			UNION ALL
			SELECT r.jobid, 'changed job ' || r.jobid, s
			FROM r, LATERAL cron.next_runs(r.sched, 'UTC', GREATEST(r.f, to_timestamp($t0)), 100000) s
			WHERE s <= LEAST(r.t, to_timestamp($t1))),
		$MISSED_CTE,
		traced AS (
			SELECT due.*, d.status,
				   EXISTS (SELECT 1 FROM m WHERE m.jobid = due.jobid AND due.slot BETWEEN m.f AND m.t) AS in_missed
			FROM due LEFT JOIN cron.job_run_details d ON d.jobid = due.jobid AND d.scheduled_for = due.slot)
	};
	$a{due} = $q->("$due SELECT count(*) FROM due");
	$a{due_changed} = $q->("$due SELECT count(*) FROM due WHERE jobname LIKE 'changed job %'");
	$a{final} = $q->("$due SELECT count(*) FROM traced WHERE status IN ('succeeded', 'failed', 'skipped')");
	$a{in_missed} = $q->("$due SELECT count(*) FROM traced WHERE status IS NULL AND in_missed");
	$a{missing} = $q->("$due SELECT count(*) FROM traced WHERE status IS NULL AND NOT in_missed");
	$a{missing_list} = $q->("$due SELECT string_agg(jobname || ' ' || to_char(slot, 'HH24:MI:SS'), ', ')
		FROM (SELECT * FROM traced WHERE status IS NULL AND NOT in_missed ORDER BY slot LIMIT 10) x");
	# jobs nobody changed keep their catch-up anchor: a change would hide slots from the audit above
	$a{unchanged_moved} = $q->("SELECT count(*) FROM cron.job WHERE jobid NOT IN ($changed)
		AND schedule NOT LIKE '\@at %' AND updated_at > to_timestamp($t0)");
	# one-off jobs: exactly one row each
	$a{one_offs} = $q->("SELECT count(*) FROM cron.job WHERE jobname LIKE 'once-%'
		AND substr(schedule, 5)::timestamptz <= to_timestamp($t1)");
	$a{one_off_not_once} = $q->("SELECT count(*) FROM cron.job j WHERE j.jobname LIKE 'once-%'
		AND substr(j.schedule, 5)::timestamptz <= to_timestamp($t1)
		AND (SELECT count(*) FROM cron.job_run_details d WHERE d.jobid = j.jobid AND NOT d.manual) <> 1");
	$a{twice_effects} = $q->("SELECT count(*) FROM (SELECT 1 FROM effects WHERE slot BETWEEN $w GROUP BY job, slot HAVING count(*) > 1) x");
	$a{amo_effects} = $q->("SELECT count(*) FROM effects e JOIN cron.job j ON j.jobid = e.job::bigint
		WHERE j.jobname = 'at-most-once' AND e.slot BETWEEN $w");
	$a{effect_wo_success} = $q->("SELECT count(*) FROM effects e WHERE e.slot BETWEEN $w
		AND e.job::bigint NOT IN (SELECT jobid FROM cron.job WHERE command LIKE 'DO %')
		AND NOT EXISTS (SELECT 1 FROM cron.job_run_details d WHERE d.jobid = e.job::bigint
			AND d.scheduled_for = e.slot AND d.status = 'succeeded')");
	$a{success_wo_effect} = $q->("SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		WHERE d.scheduled_for BETWEEN $w AND d.status = 'succeeded' AND j.command LIKE 'INSERT INTO effects%'
		AND NOT EXISTS (SELECT 1 FROM effects e WHERE e.job::bigint = d.jobid AND e.slot = d.scheduled_for)");
	$a{effects} = $q->("SELECT count(*) FROM effects WHERE slot BETWEEN $w");
	$a{stuck} = $q->("SELECT count(*) FROM cron.job_run_details WHERE status IN ('starting', 'running')
		AND scheduled_for < to_timestamp($t1) - interval '30 seconds'");
	$a{by_status} = $q->("SELECT string_agg(status || ' ' || n, ', ' ORDER BY status) FROM
		(SELECT status, count(*) n FROM cron.job_run_details WHERE scheduled_for BETWEEN $w GROUP BY 1) x");
	$a{restart_closed} = $q->("SELECT count(*) FROM cron.job_run_details WHERE scheduled_for BETWEEN $w
		AND return_message LIKE '%restarted during the run%'");
	$a{rerun} = $q->("SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		WHERE d.scheduled_for BETWEEN $w AND d.attempt > 1 AND j.max_retries = 0");
	# HTTP: no slot's request sent more often than its job's attempts allow
	my %limit = map { my ($id, $r) = split /\|/; ($id => $r + 1) }
	  split /\n/, $q->("SELECT jobid, max_retries FROM cron.job WHERE kind = 'http'");
	my %keys;
	for my $r (@{ $reqs // [] })
	{
		my ($k) = map { $_->[1] } grep { lc($_->[0]) eq 'idempotency-key' } @{ $r->{headers} };
		$keys{ $k // 'none' }++;
	}
	$a{http_requests} = scalar @{ $reqs // [] };
	$a{http_over} = scalar grep { my ($id) = /^cronext-job-(\d+)-at-/; !$id || $keys{$_} > ($limit{$id} // 1) } keys %keys;
	# the server log: crash-restarts and their causes
	my $log = do { local $/; open my $fh, '<', $logfile or die $!; <$fh> };
	my %cause;
	$cause{$1}++ while $log =~ /LOG:  background worker "([^"]+)" \(PID \d+\) was terminated by signal 9/g;
	$cause{'server process'}++ while $log =~ /LOG:  server process \(PID \d+\) was terminated by signal 9/g;
	$a{kills_seen} = 0;
	$a{kills_seen} += $_ for values %cause;
	$a{crash_restarts} = () = $log =~ /all server processes terminated; reinitializing/g;
	$a{crash_causes} = join(', ', map { "$_ $cause{$_}" } sort keys %cause);
	$a{immediate_shutdowns} = () = $log =~ /received immediate shutdown request/g;
	$a{panics} = () = $log =~ /PANIC:/g;
	$a{other_signals} = () = $log =~ /terminated by signal (?!9\b)\d+/g;
	$a{bad_exits} = () = $log =~ /exited with exit code (?![01]\b)\d+/g;
	return \%a;
}

sub report
{
	my ($a, $did, $secs) = @_;
	my @l;
	push @l, sprintf('soak of %d s; chaos: %s', $secs,
		join(', ', map { "$_ $did->{$_}" } grep { $_ ne 'history' } sort keys %$did));
	push @l, "slots due: $a->{due} ($a->{due_changed} of jobs edited or made again, from their history of edits); "
	  . "with a final record: $a->{final}; in a 'missed' range: $a->{in_missed}";
	push @l, "slots twice (effects): $a->{twice_effects}; HTTP requests beyond their attempts: $a->{http_over} (of $a->{http_requests}); "
	  . "missing without a record: $a->{missing}" . ($a->{missing} ? " ($a->{missing_list})" : '');
	push @l, "one-off jobs: $a->{one_offs}, not exactly once: $a->{one_off_not_once}; unchanged jobs whose anchor moved: $a->{unchanged_moved}";
	push @l, "runs stuck in a non-final state: $a->{stuck}";
	push @l, "exactly-once effects: $a->{effects} in the window; without their success: $a->{effect_wo_success}; "
	  . "successes without their effect: $a->{success_wo_effect}; at-most-once job's effects: $a->{amo_effects}";
	push @l, "ledger in the window: $a->{by_status}; closed by a restart: $a->{restart_closed}; interrupted and run again: $a->{rerun}";
	push @l, "server log: $a->{crash_restarts} crash-restarts (kills: $a->{crash_causes}), $a->{immediate_shutdowns} immediate shutdowns, "
	  . "$a->{panics} PANICs, $a->{other_signals} processes ended by another signal, $a->{bad_exits} unexpected exit codes";
	return @l;
}

1;
