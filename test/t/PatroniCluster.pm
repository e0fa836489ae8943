# PatroniCluster.pm
#	  A real high-availability stack on loopback for the failover test
#	  (test/t/230_failover.pl) and benchmark (bench/failover.pl): one etcd
#	  member and two PostgreSQL 15 nodes managed by Patroni, with cronext
#	  preloaded; the workload of issue "Survive what production does to
#	  it" (a 1-second job, a 200-job burst every 5 s, HTTP jobs against the
#	  loopback test server), a hard kill of the leader inside a burst, and
#	  the audit of the ledger and the effects afterwards.
#
#	  Runs as the user that owns the data (postgres); needs Debian's
#	  patroni and etcd-server.  Uses only core Perl, IPC::Run and JSON::PP,
#	  so that the benchmark runs it outside the TAP framework too.

package PatroniCluster;

use strict;
use warnings;

use File::Path qw(make_path);
use HTTP::Tiny;
use IO::Socket::INET;
use IPC::Run;
use JSON::PP;
use Time::HiRes qw(time usleep);

use MissedRanges;

# the PostgreSQL whose binaries are first in PATH (a relocated copy, see
# test/run-tests.sh's PG_PREFIX), else the system's
my $BIN = (grep { -x "$_/pg_ctl" } split(/:/, $ENV{PATH} // ''))[0]
  // '/usr/lib/postgresql/15/bin';
my $http = HTTP::Tiny->new(timeout => 2);

sub free_port
{
	my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp', Listen => 1)
	  or die "no free port: $!";
	my $p = $s->sockport;
	close $s;
	return $p;
}

sub slurp { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; return <$fh>; }

# new(dir => $dir, sync => 0|1, log => sub {...})
sub new
{
	my ($class, %o) = @_;
	my $self = bless { dir => $o{dir}, sync => $o{sync} ? 1 : 0, log => $o{log} // sub { },
		nodes => [], procs => {} }, $class;
	# the TAP framework's allocator reserves its ports against parallel tests
	my $port = $o{port} // \&free_port;
	make_path($self->{dir});
	$self->{etcd_client} = $port->();
	$self->{etcd_peer} = $port->();
	for my $i (1, 2)
	{
		push @{ $self->{nodes} }, { name => "n$i", rest => $port->(), port => $port->(),
			data => "$self->{dir}/data$i" };
	}
	return $self;
}

sub say { my ($self, $m) = @_; $self->{log}->($m); }

sub start_etcd
{
	my ($self) = @_;
	my $d = $self->{dir};
	my ($c, $p) = ($self->{etcd_client}, $self->{etcd_peer});
	$self->{procs}{etcd} = IPC::Run::start([ 'etcd', '--name', 'e1', '--data-dir', "$d/etcd",
		'--listen-client-urls', "http://127.0.0.1:$c", '--advertise-client-urls', "http://127.0.0.1:$c",
		'--listen-peer-urls', "http://127.0.0.1:$p", '--initial-advertise-peer-urls', "http://127.0.0.1:$p",
		'--initial-cluster', "e1=http://127.0.0.1:$p", '--initial-cluster-state', 'new' ],
		'<', \undef, '>', "$d/etcd.log", '2>&1');
	my $deadline = time() + 30;
	while (time() < $deadline)
	{
		my $r = $http->get("http://127.0.0.1:$c/version");
		return 1 if $r->{success};
		usleep(100_000);
	}
	die "etcd did not start: " . slurp("$d/etcd.log");
}

sub node_yaml
{
	my ($self, $n) = @_;
	my $sync = $self->{sync} ? 'true' : 'false';
	return <<"EOF";
scope: cronext-ha
name: $n->{name}
restapi:
  listen: 127.0.0.1:$n->{rest}
  connect_address: 127.0.0.1:$n->{rest}
etcd3:
  hosts: 127.0.0.1:$self->{etcd_client}
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: $sync
    postgresql:
      use_pg_rewind: true
      parameters:
        shared_preload_libraries: cronext
        max_worker_processes: 64
        max_connections: 100
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        cron.database_name: postgres
        cron.timezone: UTC
        log_min_messages: info
  initdb:
    - encoding: UTF8
    - locale: C
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:$n->{port}
  connect_address: 127.0.0.1:$n->{port}
  data_dir: $n->{data}
  bin_dir: $BIN
  pgpass: $self->{dir}/pgpass_$n->{name}
  authentication:
    superuser:
      username: postgres
      password: pw
    replication:
      username: replicator
      password: pw
  parameters:
    unix_socket_directories: $self->{dir}
    logging_collector: "off"
EOF
}

sub start_node
{
	my ($self, $i) = @_;
	my $n = $self->{nodes}[$i];
	my $yml = "$self->{dir}/$n->{name}.yml";
	open my $fh, '>', $yml or die $!;
	print $fh $self->node_yaml($n);
	close $fh;
	$n->{patroni} = IPC::Run::start([ 'patroni', $yml ], '<', \undef,
		'>>', "$self->{dir}/$n->{name}.patroni.log", '2>&1');
}

# the node Patroni calls leader, by its REST API (undef: none)
sub leader
{
	my ($self) = @_;
	for my $i (0, 1)
	{
		my $r = $http->get("http://127.0.0.1:$self->{nodes}[$i]{rest}/leader");
		return $i if $r->{status} == 200;
	}
	return undef;
}

sub wait_until
{
	my ($self, $what, $timeout, $cond) = @_;
	my $deadline = time() + $timeout;
	while (time() < $deadline)
	{
		my $v = $cond->();
		return $v if $v;
		usleep(100_000);
	}
	die "timed out after $timeout s waiting for $what";
}

# a query on node $i; returns stdout (trimmed), or undef if it failed
sub psql
{
	my ($self, $i, $sql, %o) = @_;
	my $n = $self->{nodes}[$i];
	my ($out, $err) = ('', '');
	my $ok = eval {
		IPC::Run::run([ "$BIN/psql", '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
			'-h', '127.0.0.1', '-p', $n->{port}, '-U', 'postgres', '-d', 'postgres', '-c', $sql ],
			'<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout($o{timeout} // 30));
	};
	if (!$ok)
	{
		die "psql on $n->{name} failed: $err" if $o{die};
		return undef;
	}
	chomp $out;
	return $out;
}

# both nodes up: a leader that accepts writes, a streaming replica
sub start
{
	my ($self) = @_;
	$self->start_etcd;
	$self->start_node(0);
	my $l = $self->wait_until('the first leader', 90, sub {
		my $x = $self->leader;
		defined $x && ($self->psql($x, 'SELECT NOT pg_is_in_recovery()') // '') eq 't' ? $x + 1 : 0 }) - 1;
	$self->start_node(1);
	$self->wait_until('the replica streaming', 90, sub {
		($self->psql($l, 'SELECT count(*) FROM pg_stat_replication WHERE state = \'streaming\'') // '') eq '1' });
	if ($self->{sync})
	{
		$self->wait_until('a synchronous standby', 60, sub {
			($self->psql($l, "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") // '') eq '1' });
	}
	return $l;
}

# the workload: effects tagged with their slot; HTTP jobs against $base
sub schedule_workload
{
	my ($self, $l, $base, $burst) = @_;
	$burst //= 200;
	$self->psql($l, q{
CREATE EXTENSION IF NOT EXISTS cronext;
CREATE TABLE IF NOT EXISTS effects (job text NOT NULL, slot timestamptz NOT NULL,
	at timestamptz NOT NULL DEFAULT clock_timestamp(), txid bigint DEFAULT txid_current());
CREATE INDEX IF NOT EXISTS effects_job_slot ON effects (job, slot);
}, die => 1);
	my $eff = q{INSERT INTO effects (job, slot) VALUES (current_setting('cron.job_id'), current_setting('cron.scheduled_for')::timestamptz)};
	$self->psql($l, qq{
SELECT cron.schedule('tick', '1 seconds', \$\$$eff\$\$);
SELECT cron.schedule('burst-' || lpad(i::text, 3, '0'), '5 seconds', \$\$$eff\$\$)
FROM generate_series(1, $burst) i;
SELECT cron.schedule_http('http-' || i, '2 seconds', '$base/echo/ha-' || i, method => 'POST', timeout => '5 seconds')
FROM generate_series(1, 5) i;
}, die => 1);
}

# kill -9 the leader's Patroni and postmaster: the node is lost, as when
# its machine dies; returns the server time of the kill (epoch seconds)
sub kill_leader
{
	my ($self, $l) = @_;
	my $n = $self->{nodes}[$l];
	my $pm = (split /\n/, slurp("$n->{data}/postmaster.pid"))[0];
	my $patroni_pid = $n->{patroni}{KIDS}[0]{PID};
	kill 'KILL', $patroni_pid if $patroni_pid;
	# its children too, all at once, as on a dead machine: the postmaster
	# is stopped first so that it forks no process the list would miss (a
	# survivor could wait for ever on a lock a killed process held, and
	# keep the shared memory from the node's restart)
	my @children;
	if ($pm)
	{
		kill 'STOP', $pm;
		@children = grep { my $st = slurp("/proc/$_/stat"); $st ne '' && (split ' ', ($st =~ s/^.*\)\s+//sr))[1] == $pm }
		  grep { /^\d+$/ } map { s{^/proc/}{}r } glob('/proc/[0-9]*');
		kill 'KILL', $pm, @children;
	}
	my $t = time();
	eval { $n->{patroni}->finish; };
	return $t;
}

# wait for the other node to lead; returns its index
sub wait_new_leader
{
	my ($self, $old, $timeout) = @_;
	my $new = 1 - $old;
	$self->wait_until('the promotion of the replica', $timeout // 90, sub {
		($self->psql($new, 'SELECT NOT pg_is_in_recovery()', timeout => 5) // '') eq 't' });
	return $new;
}

sub restart_node
{
	my ($self, $i) = @_;
	$self->start_node($i);
}

# has node $i rejoined as a streaming replica of the leader $l?
sub wait_rejoined
{
	my ($self, $i, $l, $timeout) = @_;
	$self->wait_until('the old leader to rejoin as a replica', $timeout // 120, sub {
		($self->psql($i, 'SELECT pg_is_in_recovery()', timeout => 5) // '') eq 't'
		  && ($self->psql($l, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") // '') eq '1' });
}

# the audit of the window [t0, t1] (epoch seconds) on the leader $l:
# a hash of figures; $http_reqs: the request log's entries (for HTTP twice)
sub audit
{
	my ($self, $l, $t0, $t1, $http_reqs) = @_;
	my %a;
	my $w = "to_timestamp($t0) AND to_timestamp($t1)";
	# slots due in the window, per job (every job's schedule, from cron.next_runs)
	# slots due in the window, per job (every job's schedule, from
	# cron.next_runs), and the ranges of slots recorded as missed (one
	# 'skipped' row says "missed: N slots from A to B not run")
	my $due = qq{
		WITH due AS (
			SELECT j.jobid, j.jobname, r AS slot
			FROM cron.job j, LATERAL cron.next_runs(j.schedule, j.timezone, to_timestamp($t0), 2000) r
			WHERE r <= to_timestamp($t1)),
		$MISSED_CTE,
		traced AS (
			SELECT due.*, EXISTS (SELECT 1 FROM cron.job_run_details d
								  WHERE d.jobid = due.jobid AND d.scheduled_for = due.slot) AS own_row,
				   EXISTS (SELECT 1 FROM m WHERE m.jobid = due.jobid AND due.slot BETWEEN m.f AND m.t) AS in_missed
			FROM due)
	};
	$a{due} = $self->psql($l, "$due SELECT count(*) FROM due", die => 1);
	$a{recorded} = $self->psql($l, "$due SELECT count(*) FROM traced WHERE own_row", die => 1);
	$a{missed_slots} = $self->psql($l, "$due SELECT count(*) FROM traced WHERE NOT own_row AND in_missed", die => 1);
	$a{lost} = $self->psql($l, "$due SELECT count(*) FROM traced WHERE NOT own_row AND NOT in_missed", die => 1);
	$a{lost_list} = $self->psql($l, "$due SELECT string_agg(jobname || '\@' || to_char(slot, 'HH24:MI:SS'), ' ' ORDER BY slot)
		FROM (SELECT * FROM traced WHERE NOT own_row AND NOT in_missed LIMIT 20) x", die => 1);
	$a{ledger_twice} = $self->psql($l, "SELECT count(*) FROM (SELECT jobid, scheduled_for FROM cron.job_run_details
		GROUP BY 1, 2 HAVING count(*) > 1) x", die => 1);
	$a{effects_twice} = $self->psql($l, "SELECT count(*) FROM (SELECT job, slot FROM effects
		WHERE slot BETWEEN $w GROUP BY 1, 2 HAVING count(*) > 1) x", die => 1);
	$a{effect_without_success} = $self->psql($l, "SELECT count(*) FROM effects e WHERE e.slot BETWEEN $w
		AND NOT EXISTS (SELECT 1 FROM cron.job_run_details d WHERE d.jobid = e.job::bigint
		  AND d.scheduled_for = e.slot AND d.status = 'succeeded')", die => 1);
	$a{success_without_effect} = $self->psql($l, "SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		WHERE j.kind = 'sql' AND d.status = 'succeeded' AND d.scheduled_for BETWEEN $w
		AND NOT EXISTS (SELECT 1 FROM effects e WHERE e.job::bigint = d.jobid AND e.slot = d.scheduled_for)", die => 1);
	$a{stuck} = $self->psql($l, "SELECT count(*) FROM cron.job_run_details
		WHERE status IN ('starting', 'running') AND scheduled_for < to_timestamp($t1) - interval '20 seconds'", die => 1);
	$a{by_status} = $self->psql($l, "SELECT string_agg(status || ' ' || n, ', ' ORDER BY status) FROM
		(SELECT status, count(*) n FROM cron.job_run_details WHERE scheduled_for BETWEEN $w GROUP BY 1) x", die => 1);
	$a{missed_rows} = $self->psql($l, "SELECT count(*) FROM cron.job_run_details WHERE scheduled_for BETWEEN $w
		AND status = 'skipped' AND return_message LIKE 'missed:%'", die => 1);
	$a{restart_failed} = $self->psql($l, "SELECT count(*) FROM cron.job_run_details WHERE scheduled_for BETWEEN $w
		AND return_message LIKE '%restarted during the run%'", die => 1);
	# runs of jobs without retries that took a second attempt: interrupted, run again
	$a{rerun} = $self->psql($l, "SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		WHERE d.scheduled_for BETWEEN $w AND d.attempt > 1 AND j.max_retries = 0", die => 1);
	$a{late} = $self->psql($l, "SELECT count(*) FROM cron.job_run_details WHERE scheduled_for BETWEEN $w
		AND status <> 'skipped' AND start_time - scheduled_for > interval '3 seconds' AND NOT manual", die => 1);
	if ($http_reqs)
	{
		my %keys;
		$a{http_without_key} = 0;
		for my $r (@$http_reqs)
		{
			my ($k) = map { $_->[1] } grep { lc($_->[0]) eq 'idempotency-key' } @{ $r->{headers} };
			if (defined $k) { $keys{$k}++; } else { $a{http_without_key}++; }
		}
		$a{http_twice} = scalar grep { $keys{$_} > 1 } keys %keys;
		$a{http_requests} = scalar @$http_reqs;
		# every HTTP run of the window that started: its request is in the log
		my @started = split /\n/, $self->psql($l, "SELECT 'cronext-job-' || d.jobid || '-at-' ||
			to_char(d.scheduled_for AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
			FROM cron.job_run_details d JOIN cron.job j USING (jobid)
			WHERE j.kind = 'http' AND d.start_time IS NOT NULL AND d.status = 'succeeded'
			  AND d.scheduled_for BETWEEN $w", die => 1);
		$a{http_runs} = scalar @started;
		$a{http_run_without_request} = scalar grep { !$keys{$_} } @started;
	}
	return \%a;
}

# kill the leader once a burst (its 5-second slot) has begun to succeed and
# before it has all succeeded, if the polls catch that; returns the kill's
# time and how many of the burst's runs had succeeded then
sub kill_in_burst
{
	my ($self, $l) = @_;
	for my $try (1 .. 4)
	{
		my $now = time();
		my $slot = (int($now / 5) + 1) * 5;
		$slot += 5 if $slot - $now < 0.5;
		usleep(int(($slot - time() - 0.02) * 1e6)) if $slot - time() > 0.02;
		my $deadline = $slot + 3;
		while (time() < $deadline)
		{
			my $c = $self->psql($l, qq{SELECT count(*) FILTER (WHERE d.status = 'succeeded')
				FROM cron.job_run_details d JOIN cron.job j USING (jobid)
				WHERE j.jobname LIKE 'burst-%' AND d.scheduled_for = to_timestamp($slot)}, timeout => 5) // 0;
			if ($c > 0)
			{
				if ($c < $self->{burst})
				{
					# still the leader, still synchronous (Patroni may have changed either)
					die "node $self->{nodes}[$l]{name} is no longer the leader\n"
					  unless ($self->leader // -1) == $l;
					die "synchronous replication is off at the kill\n"
					  if $self->{sync} && ($self->psql($l, "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") // '') ne '1';
					return ($self->kill_leader($l), $c);
				}
				last;		# the burst was over before a poll saw it: the next one
			}
		}
	}
	die "no poll caught a burst in progress in 4 tries\n";
}

# One failover, from a fresh cluster: the workload runs, the leader is
# killed inside a burst, Patroni promotes the replica, the old leader
# rejoins; returns the figures and the audit.  $o{base}: the loopback HTTP
# server; $o{requests}: a sub returning its request log.
sub failover_once
{
	my ($self, %o) = @_;
	my %f;
	$self->{burst} = $o{burst} // 200;
	my $l = $self->start;
	$self->schedule_workload($l, $o{base}, $self->{burst});
	my $t0 = time() + 1;
	# at least one burst under the first leader
	$self->wait_until('a burst on the first leader', 30, sub {
		($self->psql($l, q{SELECT count(DISTINCT d.scheduled_for) >= 1 FROM cron.job_run_details d
			JOIN cron.job j USING (jobid) WHERE j.jobname LIKE 'burst-%' AND d.status = 'succeeded'}) // '') eq 't' });
	my ($kill_at, $inside) = $self->kill_in_burst($l);
	$f{burst_done_at_kill} = $inside;
	$self->say(sprintf('killed the leader (%s) inside a burst: %d of %d runs had succeeded',
		$self->{nodes}[$l]{name}, $inside, $self->{burst}));
	my $new = $self->wait_new_leader($l, 90);
	$f{promoted_s} = time() - $kill_at;
	# the new leader's scheduler starts once recovery ends (promotion);
	# its first run after that start is when jobs run again
	my $first = $self->wait_until('the new leader\'s scheduler to run', 90, sub {
		my $v = $self->psql($new, q{SELECT extract(epoch FROM min(d.start_time)) FROM cron.job_run_details d
			WHERE d.status <> 'skipped'
			  AND d.start_time > (SELECT min(a.backend_start) FROM pg_stat_activity a
								  WHERE a.backend_type = 'cronext scheduler')}, timeout => 5);
		defined $v && $v ne '' ? $v : 0 });
	$f{recovery_s} = $first - $kill_at;
	$self->say(sprintf('promoted after %.1f s; the new leader ran a job %.1f s after the kill',
		$f{promoted_s}, $f{recovery_s}));
	# a whole burst on the new leader, then the old one rejoins
	$self->wait_until('a whole burst on the new leader', 60, sub {
		($self->psql($new, qq{SELECT count(*) > 0 FROM (SELECT d.scheduled_for FROM cron.job_run_details d
			JOIN cron.job j USING (jobid) WHERE j.jobname LIKE 'burst-%' AND d.status = 'succeeded'
			AND d.start_time > to_timestamp($first) GROUP BY 1 HAVING count(*) = $self->{burst}) b}) // '') eq 't' });
	$self->restart_node($l);
	$self->wait_rejoined($l, $new, 120);
	$f{rejoined_s} = time() - $kill_at;
	# the old leader runs nothing: looked at over three seconds
	$f{old_leader_cron_processes} = 0;
	for (1 .. 6)
	{
		$f{old_leader_cron_processes} += $self->psql($l,
			q{SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'cronext%'}) // 1;
		usleep(500_000);
	}
	$f{old_leader_in_recovery} = $self->psql($l, 'SELECT pg_is_in_recovery()');
	my $t1 = time() - 2;
	# the runs of the window end (SQL runs take milliseconds, HTTP requests
	# to the echo path too); then the audit
	$self->wait_until('the window\'s runs to end', 30, sub {
		($self->psql($new, qq{SELECT count(*) = 0 FROM cron.job_run_details
			WHERE status IN ('starting', 'running') AND scheduled_for <= to_timestamp($t1)
			  AND scheduled_for > to_timestamp($t1) - interval '20 seconds'}) // '') eq 't' });
	# slots waiting for a free place have no row yet: wait (bounded) until
	# none of the window is without one, then audit
	eval { $self->wait_until('the window\'s slots to be decided', 30, sub {
		$self->audit($new, $t0, $t1)->{lost} eq '0' }) };
	$f{audit} = $self->audit($new, $t0, $t1, $o{requests} ? [ $o{requests}->() ] : undef);
	$f{window_s} = $t1 - $t0;
	$f{new_leader} = $new;
	return \%f;
}

sub stop
{
	my ($self) = @_;
	$self->{stopped} = 1;
	for my $n (@{ $self->{nodes} })
	{
		next unless $n->{patroni};
		eval { $n->{patroni}->signal('TERM'); };
	}
	for my $n (@{ $self->{nodes} })
	{
		next unless $n->{patroni};
		eval { $n->{patroni}->finish; 1 } or eval { $n->{patroni}->kill_kill; };
		# a postmaster Patroni left behind
		my $pm = (split /\n/, slurp("$n->{data}/postmaster.pid"))[0];
		if ($pm && kill(0, $pm))
		{
			system("$BIN/pg_ctl", '-D', $n->{data}, '-m', 'immediate', 'stop');
		}
	}
	if ($self->{procs}{etcd})
	{
		eval { $self->{procs}{etcd}->signal('TERM'); $self->{procs}{etcd}->finish; 1 }
		  or eval { $self->{procs}{etcd}->kill_kill; };
	}
}

sub DESTROY { my ($self) = @_; local ($?, $@); $self->stop unless $self->{stopped}++; }

1;
