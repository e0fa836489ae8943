
# 170_notify.pl
#	  The cron_job_failed notification must carry nothing a listener could
#	  not read anyway.  Any role, even one with no privilege on schema
#	  cron, may LISTEN on any channel, and any role may pg_notify() on it:
#	  1. a role with no privilege on schema cron listens while another
#	     role's jobs fail (a manual run whose error message holds a secret,
#	     a scheduled slot whose job name and command hold one, a run that
#	     fails after a retry): every payload is exactly {"runid" : N}, sent
#	     by the scheduler once per failed slot (after its last attempt, not
#	     for a run that succeeded), after the outcome committed; the
#	     listener can read nothing about the run (permission denied for
#	     schema cron, 42501), while the job's owner reads it by runid;
#	  2. forged notifications (pg_notify by a role with no privilege,
#	     naming a run of the listener that succeeded, another role's
#	     failed run, a runid that does not exist) look exactly like real
#	     ones, and are told apart by re-reading the run through row-level
#	     security: only the listener's own failed run reads 'failed'.
#	  The scheduler stays the same process throughout.  The full NOTIFY
#	  queue (about 8 GB in PostgreSQL 15) takes too long to fill for the
#	  suite: it is in 171_notify_queue_full.pl, run with
#	  CRONEXT_SLOW_TESTS=1.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use CronextTest;

my $far = '0 0 1 1 *';		# never due during the test: runs come from cron.run_job

my $node = cron_node('notify');
$node->safe_psql('postgres', q{
CREATE ROLE nopriv LOGIN;			-- no privilege on schema cron
CREATE ROLE bob LOGIN;				-- owns the failing jobs
CREATE ROLE carol LOGIN;			-- a cron user who listens
GRANT USAGE ON SCHEMA cron TO bob, carol;
});
is(q1($node, q{SELECT has_schema_privilege('nopriv', 'cron', 'USAGE')}), 'f',
	'nopriv has no privilege on schema cron');

my $start_time = q1($node, 'SELECT pg_postmaster_start_time()');
sub sched_pid
{
	return q1($node, q{SELECT coalesce(string_agg(pid::text, ','), 'none')
		FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'});
}
my $sched = sched_pid();
like($sched, qr/^\d+$/, "the scheduler runs (pid $sched)");

# psql as a role; returns (exit code, stdout, stderr), errors verbose
# (so that stderr carries the SQLSTATE)
sub as
{
	my ($role, $sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', $sql, on_error_stop => 1,
		extra_params => [ '-U', $role, '-v', 'VERBOSITY=verbose' ]);
	return ($ret, $out, $err);
}

sub as_ok
{
	my ($role, $sql) = @_;
	my ($ret, $out, $err) = as($role, $sql);
	die "as $role: $sql failed: $err" if $ret != 0;
	return $out;
}

# ---------------------------------------------------------------------
# listeners: a background psql per role; every notification it prints
# ('Asynchronous notification "c" with payload "p" received from server
# process with PID n.', after each command) is kept with its raw text
# ---------------------------------------------------------------------
sub listener
{
	my ($role) = @_;
	my $bg = $node->background_psql('postgres', extra_params => [ '-U', $role ]);
	$bg->query_safe('LISTEN cron_job_failed');
	return { role => $role, bg => $bg, notes => [], raw => '' };
}

# poll the listener until $until->() holds or $timeout seconds pass
sub collect
{
	my ($l, $until, $timeout) = @_;
	my $deadline = time() + ($timeout // 15);
	while (1)
	{
		my $out = $l->{bg}->query_safe('SELECT 1');
		$l->{raw} .= $out . "\n";
		for my $line (split /\n/, $out)
		{
			next if $line eq '1';
			if ($line =~ /^Asynchronous notification "([^"]*)" with payload "(.*)" received from server process with PID (\d+)\.$/)
			{
				push @{ $l->{notes} }, { channel => $1, payload => $2, pid => $3 };
			}
			else
			{
				diag("$l->{role}'s session printed: $line");
			}
		}
		return 1 if $until->();
		if (time() > $deadline)
		{
			diag("$l->{role}: timed out; notifications so far: "
				  . join(' ', map { $_->{payload} } @{ $l->{notes} }));
			return 0;
		}
		usleep(100_000);
	}
}

# the notifications a listener got whose payload is {"runid" : $runid}
sub notes_for
{
	my ($l, $runid) = @_;
	return grep { $_->{payload} =~ /^\{"runid" : $runid\}$/ } @{ $l->{notes} };
}

my $nopriv = listener('nopriv');
my $carol_l = listener('carol');

# ---------------------------------------------------------------------
# 1. another role's jobs fail; nopriv listens
# ---------------------------------------------------------------------
my $tag = sprintf('%06d', int(rand(1_000_000)));
my $secret_msg = "S3CRET-MSG-$tag";		# in the error message
my $secret_name = "S3CRET-NAME-$tag";	# in a job name
my $secret_cmd = "S3CRET-CMD-$tag";		# in a command

my $job_a = as_ok('bob', qq{SELECT cron.schedule('payroll-$secret_name', '$far',
	\$c\$DO \$x\$ BEGIN RAISE EXCEPTION 'card number %', '$secret_msg'; END \$x\$\$c\$,
	max_retries => 0)});
my $r_a = as_ok('bob', "SELECT cron.run_job($job_a)");
like($r_a, qr/^\d+$/, "bob's failing job A was started by hand (runid $r_a)");

my $got_a = collect($nopriv, sub { scalar notes_for($nopriv, $r_a) }, 15);
# read at once, when the notification is in hand: it is sent after the
# outcome committed
my $st_a = q1($node, "SELECT status || ' ' || attempt FROM cron.job_run_details WHERE runid = $r_a");
ok($got_a, "nopriv (no privilege on schema cron) got a notification for bob's run $r_a");
is($st_a, 'failed 1', '... and when it arrived the run already read failed (outcome committed first)');
my ($n_a) = notes_for($nopriv, $r_a);
is($n_a->{payload} // 'none', qq({"runid" : $r_a}), '... payload exactly {"runid" : N}');
is($n_a->{pid} // 'none', $sched, '... sent by the scheduler');

# a scheduled slot (not run_job) of a job whose name and command hold secrets
my $job_b = as_ok('bob', qq{SELECT cron.schedule('b-$secret_name', '1 seconds',
	'SELECT 1/0 AS "$secret_cmd"', max_retries => 0)});
ok(wait_for($node, "SELECT EXISTS (SELECT 1 FROM cron.job_run_details WHERE jobid = $job_b AND status = 'failed')", 10),
	"bob's '1 seconds' job B failed on a scheduled slot");
as_ok('bob', "SELECT cron.unschedule($job_b)");
my $r_b = q1($node, "SELECT min(runid) FROM cron.job_run_details WHERE jobid = $job_b AND status = 'failed'");
is(q1($node, "SELECT manual FROM cron.job_run_details WHERE runid = $r_b"), 'f', '... a scheduled slot, not a manual run');
ok(collect($nopriv, sub { scalar notes_for($nopriv, $r_b) }, 15),
	"nopriv got a notification for B's failed slot ($r_b)");
my ($n_b) = notes_for($nopriv, $r_b);
is($n_b->{payload} // 'none', qq({"runid" : $r_b}), '... payload exactly {"runid" : N}');

# a run that fails, is retried and fails again: one notification, after
# the last attempt; a run that succeeds: none
my $job_c = as_ok('bob', qq{SELECT cron.schedule('c-retry', '$far', 'SELECT 1/0',
	max_retries => 1, retry_delay => '1 second')});
my $job_ok = as_ok('bob', qq{SELECT cron.schedule('ok', '$far', 'SELECT 1')});
my $r_c = as_ok('bob', "SELECT cron.run_job($job_c)");
my $r_ok = as_ok('bob', "SELECT cron.run_job($job_ok)");
ok(wait_for($node, "SELECT status = 'failed' AND attempt = 2 FROM cron.job_run_details WHERE runid = $r_c", 15),
	"bob's job C (max_retries 1) failed after 2 attempts");
ok(wait_for($node, "SELECT status = 'succeeded' FROM cron.job_run_details WHERE runid = $r_ok", 15),
	"bob's job 'ok' succeeded");
# a last failure as a barrier: notifications are delivered in commit
# order, so once its notification is in, every earlier one is too
my $r_a2 = as_ok('bob', "SELECT cron.run_job($job_a)");
ok(collect($nopriv, sub { scalar notes_for($nopriv, $r_a2) }, 15),
	"nopriv got the barrier run's notification ($r_a2)");
is(scalar(notes_for($nopriv, $r_c)), 1,
	'the retried run was notified once (after its last attempt, not between attempts)');
is(scalar(notes_for($nopriv, $r_ok)), 0, 'the run that succeeded was not notified');
is(scalar(notes_for($nopriv, $r_a)), 1, 'the first run of A was notified once');

# everything nopriv received: exact payloads, from the scheduler, no secret
my @bad = grep { $_->{channel} ne 'cron_job_failed' || $_->{payload} !~ /^\{"runid" : \d+\}$/ }
  @{ $nopriv->{notes} };
is(scalar(@bad), 0, 'every notification nopriv got is exactly {"runid" : N}')
  or diag(join "\n", map { $_->{payload} } @bad);
is(join(',', sort { $a <=> $b } keys %{ { map { $_->{pid} => 1 } @{ $nopriv->{notes} } } }), $sched,
	'... all sent by the scheduler process');
for my $s ($secret_msg, $secret_name, $secret_cmd, 'card number', 'division by zero', 'payroll', 'jobname', 'jobid', 'return_message')
{
	ok(index($nopriv->{raw}, $s) < 0, "nothing nopriv received contains '$s'");
}

# nopriv can read nothing about the runs
for my $sql ("SELECT status, return_message FROM cron.job_run_details WHERE runid = $r_a",
	"SELECT jobname, command FROM cron.job WHERE jobid = $job_a",
	"SELECT last_message FROM cron.job_status WHERE jobid = $job_a")
{
	my ($ret, $out, $err) = as('nopriv', $sql);
	ok($ret != 0 && $err =~ /42501: permission denied for schema cron/,
		"nopriv: $sql -> 42501 permission denied for schema cron")
	  or diag("ret $ret, out '$out', err '$err'");
	ok(index($out . $err, $secret_msg) < 0 && index($out . $err, $secret_name) < 0, '... and shows no secret');
}

# the owner reads the run by the runid of the notification
is(as_ok('bob', "SELECT d.status || ' | ' || j.jobname || ' | ' || d.return_message
	FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE d.runid = $r_a"),
	"failed | payroll-$secret_name | card number $secret_msg",
	'bob reads his run by runid: status, job name and message');

# ---------------------------------------------------------------------
# 2. forged notifications, told apart through row-level security
# ---------------------------------------------------------------------
my $job_cs = as_ok('carol', qq{SELECT cron.schedule('carol-ok', '$far', 'SELECT 1')});
my $job_cf = as_ok('carol', qq{SELECT cron.schedule('carol-fail', '$far', 'SELECT 1/0', max_retries => 0)});
my $r_cs = as_ok('carol', "SELECT cron.run_job($job_cs)");
my $r_cf = as_ok('carol', "SELECT cron.run_job($job_cf)");
ok(wait_for($node, "SELECT status = 'succeeded' FROM cron.job_run_details WHERE runid = $r_cs", 15),
	"carol's run $r_cs succeeded");
ok(wait_for($node, "SELECT status = 'failed' FROM cron.job_run_details WHERE runid = $r_cf", 15),
	"carol's run $r_cf failed");
my $nowhere = q1($node, 'SELECT max(runid) + 1000000 FROM cron.job_run_details');

# nopriv forges: one naming carol's run that succeeded, one naming bob's
# failed run, one naming no run at all
as_ok('nopriv', qq{SELECT pg_notify('cron_job_failed', '{"runid" : $r_cs}');
	SELECT pg_notify('cron_job_failed', '{"runid" : $r_a}');
	SELECT pg_notify('cron_job_failed', '{"runid" : $nowhere}')});
ok(collect($carol_l, sub {
	notes_for($carol_l, $r_cf) && notes_for($carol_l, $r_cs) && notes_for($carol_l, $nowhere)
	  && notes_for($carol_l, $r_a) >= 2 }, 15),
	'carol got her real failure and the three forgeries');
my ($forged_cs) = notes_for($carol_l, $r_cs);
is($forged_cs->{payload} // 'none', qq({"runid" : $r_cs}),
	'a forged payload reads exactly like a real one');

# the listener's rule: re-read the run through RLS; only 'failed' is real
my %verdict;
for my $runid (sort { $a <=> $b } keys %{ { map { $_->{payload} =~ /(\d+)/ ? ($1 => 1) : () } @{ $carol_l->{notes} } } })
{
	$verdict{$runid} = as_ok('carol', "SELECT coalesce((SELECT status FROM cron.job_run_details WHERE runid = $runid), 'no row')");
}
is($verdict{$r_cf} // 'not received', 'failed', "carol's real failure ($r_cf) re-reads 'failed'");
is($verdict{$r_cs} // 'not received', 'succeeded', "the forgery naming her succeeded run re-reads 'succeeded': told apart");
is($verdict{$r_a} // 'not received', 'no row', "the forgery naming bob's failed run re-reads no row: told apart, and nothing learnt");
is($verdict{$nowhere} // 'not received', 'no row', 'the forgery naming no run re-reads no row');
is(join(',', grep { $verdict{$_} eq 'failed' } sort { $a <=> $b } keys %verdict), $r_cf,
	"of everything carol received, only her own failed run re-reads 'failed'");
is(join(',', sort { $a <=> $b } map { $_->{pid} } grep { $_->{payload} eq qq({"runid" : $r_cf}) } @{ $carol_l->{notes} }),
	$sched, "... and its notification came from the scheduler");

$nopriv->{bg}->quit;
$carol_l->{bg}->quit;

# ---------------------------------------------------------------------
# the scheduler and the server went on
# ---------------------------------------------------------------------
is(sched_pid(), $sched, 'the scheduler is the same process');
is(q1($node, 'SELECT pg_postmaster_start_time()'), $start_time, 'the server did not restart');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|server process .* was terminated|all server processes terminated/,
	'no server process crashed');
unlike($log, qr/cronext scheduler: |cronext dropped/, 'no failed scheduler pass, no dropped notification');

$node->stop;
done_testing();
