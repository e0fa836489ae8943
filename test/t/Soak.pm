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

# what the soak's node needs in postgresql.conf
sub soak_conf
{
	return qq{
max_worker_processes = 40
max_parallel_workers = 16
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
	my @actions = qw(kill_scheduler kill_worker kill_http immediate_restart lock_catalog fill_workers edit unschedule_again one_off);
	while (time() < $end)
	{
		usleep(int((2 + rand(3)) * 1e6));
		last if time() >= $end;
		wait_up($node, 60) or die "the server did not come back";
		my $a = $actions[ int(rand(@actions)) ];
		$n++;
		$did{$a}++;
		$log->("chaos $n: $a") if $log;
		if ($a eq 'kill_scheduler' || $a eq 'kill_worker' || $a eq 'kill_http')
		{
			my $type = { kill_scheduler => 'cronext scheduler', kill_worker => 'cronext job',
				kill_http => 'cronext http' }->{$a};
			my @p = pids_of($node, $type);
			if (@p) { kill 'KILL', $p[ int(rand(@p)) ]; }
			else { $did{"$a (none running)"}++; }
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
			for (1 .. 3)
			{
				push @bg, $node->background_psql('postgres', on_error_stop => 0);
				$bg[-1]->query_until(qr/go/, q{\echo go
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SELECT count(*) FROM filler WHERE pg_sleep(0.00002) IS NOT NULL;
});
			}
			usleep(2_000_000);
			eval { $_->quit } for @bg;
		}
		elsif ($a eq 'edit')
		{
			my $s = (2 + int(rand(3))) . ' seconds';
			$node->psql('postgres', "SELECT cron.alter_job(jobid, schedule => '$s') FROM cron.job WHERE jobname = 'edited'",
				timeout => 10, on_error_stop => 0);
		}
		elsif ($a eq 'unschedule_again')
		{
			$node->psql('postgres', qq{SELECT cron.unschedule('every3'); SELECT cron.schedule('every3', '3 seconds', \$\$$EFF\$\$)},
				timeout => 10, on_error_stop => 0);
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
# node.  Jobs whose definition changed in the window ('edited', 'every3'
# made again) are audited for slots twice and stuck runs only: their due
# slots depend on when each edit committed.
sub audit
{
	my ($node, $t0, $t1, $logfile) = @_;
	my %a;
	my $q = sub { my $v = $node->safe_psql('postgres', $_[0]); $v };
	my $w = "to_timestamp($t0) AND to_timestamp($t1)";
	my $due = qq{
		WITH due AS (
			SELECT j.jobid, j.jobname, r AS slot
			FROM cron.job j, LATERAL cron.next_runs(j.schedule, j.timezone,
				GREATEST(to_timestamp($t0), j.updated_at), 100000) r
			WHERE r <= to_timestamp($t1) AND j.schedule NOT LIKE '\@at %'
			  AND j.jobname NOT IN ('edited', 'every3')),
		m AS (
			SELECT d.jobid, (regexp_match(d.return_message, 'from (.+) to (.+) not run'))[1]::timestamptz AS f,
				   (regexp_match(d.return_message, 'from (.+) to (.+) not run'))[2]::timestamptz AS t
			FROM cron.job_run_details d
			WHERE d.status = 'skipped' AND d.return_message LIKE 'missed:%'),
		traced AS (
			SELECT due.*, d.status,
				   EXISTS (SELECT 1 FROM m WHERE m.jobid = due.jobid AND due.slot BETWEEN m.f AND m.t) AS in_missed
			FROM due LEFT JOIN cron.job_run_details d ON d.jobid = due.jobid AND d.scheduled_for = due.slot)
	};
	$a{due} = $q->("$due SELECT count(*) FROM due");
	$a{final} = $q->("$due SELECT count(*) FROM traced WHERE status IN ('succeeded', 'failed', 'skipped')");
	$a{in_missed} = $q->("$due SELECT count(*) FROM traced WHERE status IS NULL AND in_missed");
	$a{missing} = $q->("$due SELECT count(*) FROM traced WHERE status IS NULL AND NOT in_missed");
	$a{missing_list} = $q->("$due SELECT string_agg(jobname || ' ' || to_char(slot, 'HH24:MI:SS'), ', ')
		FROM (SELECT * FROM traced WHERE status IS NULL AND NOT in_missed ORDER BY slot LIMIT 10) x");
	$a{twice_ledger} = $q->("SELECT count(*) FROM (SELECT 1 FROM cron.job_run_details GROUP BY jobid, scheduled_for HAVING count(*) > 1) x");
	$a{twice_effects} = $q->("SELECT count(*) FROM (SELECT 1 FROM effects WHERE slot BETWEEN $w GROUP BY job, slot HAVING count(*) > 1) x");
	$a{effect_wo_success} = $q->("SELECT count(*) FROM effects e WHERE e.slot BETWEEN $w AND NOT EXISTS
		(SELECT 1 FROM cron.job_run_details d WHERE d.jobid = e.job::bigint AND d.scheduled_for = e.slot AND d.status = 'succeeded')");
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
	$a{rerun} = $q->("SELECT count(*) FROM cron.job_run_details WHERE scheduled_for BETWEEN $w
		AND return_message LIKE '%was interrupted%'");
	# the server log: crash-restarts and their causes
	my $log = do { local $/; open my $fh, '<', $logfile or die $!; <$fh> };
	my %cause;
	$cause{$1}++ while $log =~ /LOG:  background worker "([^"]+)" \(PID \d+\) was terminated by signal 9/g;
	$cause{'server process'}++ while $log =~ /LOG:  server process \(PID \d+\) was terminated by signal 9/g;
	$a{crash_restarts} = () = $log =~ /all server processes terminated; reinitializing/g;
	$a{crash_causes} = join(', ', map { "$_ $cause{$_}" } sort keys %cause);
	$a{immediate_shutdowns} = () = $log =~ /received immediate shutdown request/g;
	$a{panics} = () = $log =~ /PANIC:/g;
	$a{segfaults} = () = $log =~ /terminated by signal (?:11|6|7)\b/g;
	return \%a;
}

sub report
{
	my ($a, $did, $secs) = @_;
	my @l;
	push @l, sprintf('soak of %d s; chaos: %s', $secs, join(', ', map { "$_ $did->{$_}" } sort keys %$did));
	push @l, "slots due (unedited jobs): $a->{due}; with a final record: $a->{final}; in a 'missed' range: $a->{in_missed}";
	push @l, "slots twice: ledger $a->{twice_ledger}, effects $a->{twice_effects}; missing without a record: $a->{missing}"
	  . ($a->{missing} ? " ($a->{missing_list})" : '');
	push @l, "runs stuck in a non-final state: $a->{stuck}";
	push @l, "exactly-once effects: $a->{effects} in the window; without their success: $a->{effect_wo_success}; successes without their effect: $a->{success_wo_effect}";
	push @l, "ledger in the window: $a->{by_status}; closed by a restart: $a->{restart_closed}; interrupted and run again: $a->{rerun}";
	push @l, "server log: $a->{crash_restarts} crash-restarts (kills: $a->{crash_causes}), $a->{immediate_shutdowns} immediate shutdowns, $a->{panics} PANICs, $a->{segfaults} crashes by a signal other than 9";
	return @l;
}

1;
