
# CronextTest.pm
#	  Small helpers shared by the scheduler TAP tests (test/t/0[1-9]0_*.pl):
#	  a node with cronext preloaded, bounded polling, and query shortcuts.
#
# Every wait here has a deadline: a test that waits for something that
# never happens fails with a message instead of hanging.

package CronextTest;

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use Exporter 'import';

our @EXPORT = qw(cron_node wait_for stays_false q1 qcol wait_log_count log_since seconds_schedule proc_cpu_seconds);

# A started node with cronext preloaded and the extension created.
# $extra is appended to postgresql.conf.
sub cron_node
{
	my ($name, $extra, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%{ $opts{init} // {} });
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'cronext'
cron.database_name = 'postgres'
max_worker_processes = 64
log_min_messages = info
log_line_prefix = '%m [%p] %b '
} . ($extra // ''));
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION cronext');
	return $node;
}

# first column of the first row of a query, as a string
sub q1
{
	my ($node, $sql, $db) = @_;
	return $node->safe_psql($db // 'postgres', $sql);
}

# the first column of all rows, as a list
sub qcol
{
	my ($node, $sql, $db) = @_;
	my $out = $node->safe_psql($db // 'postgres', $sql);
	return () if $out eq '';
	return split /\n/, $out;
}

# Poll $sql (which must return 't' when the condition holds) every 100 ms
# until it does or $timeout seconds pass.  Returns true when it held.
sub wait_for
{
	my ($node, $sql, $timeout, $db) = @_;
	my $deadline = time() + ($timeout // 30);
	while (time() < $deadline)
	{
		# a poll that blocks (on a lock) is cut at the deadline
		my $timed_out;
		my ($ret, $out, $err) =
		  $node->psql($db // 'postgres', $sql, on_error_stop => 0,
			timeout => $deadline - time() + 1, timed_out => \$timed_out);
		return 1 if !$timed_out && $ret == 0 && defined $out && $out eq 't';
		usleep(100_000);
	}
	diag("timed out after ${\($timeout // 30)} s waiting for: $sql");
	return 0;
}

# Check that $sql does not return 't' at any time during $secs seconds
# (polled every 100 ms): for "nothing happens" properties, which can only
# be observed over a bounded time.  Returns true if it never did.
sub stays_false
{
	my ($node, $sql, $secs, $db) = @_;
	my $deadline = time() + $secs;
	while (time() < $deadline)
	{
		my $timed_out;
		my ($ret, $out) = $node->psql($db // 'postgres', $sql, on_error_stop => 0,
			timeout => $deadline - time() + 1, timed_out => \$timed_out);
		if (!$timed_out && $ret == 0 && defined $out && $out eq 't')
		{
			diag("became true: $sql");
			return 0;
		}
		usleep(100_000);
	}
	return 1;
}

# the server log from byte offset $off
sub log_since
{
	my ($node, $off) = @_;
	return substr(slurp_file($node->logfile), $off // 0);
}

# number of lines of the log matching $re (from offset $off)
sub wait_log_count
{
	my ($node, $re, $off) = @_;
	my @m = grep { /$re/ } split /\n/, log_since($node, $off);
	return scalar @m;
}

# An 'N seconds' schedule (N from $min_n to 59) whose next slot (Unix
# time a multiple of N) is between $lo and $hi seconds away, so that a
# batch of jobs comes due once, soon, and not again for a while.
sub seconds_schedule
{
	my ($lo, $hi, $min_n) = @_;
	my $now = time();
	for my $n ($min_n .. 59)
	{
		my $wait = $n - ($now - int($now / $n) * $n);
		return ("$n seconds", $n) if $wait >= $lo && $wait <= $hi;
	}
	return ("$min_n seconds", $min_n);
}

# CPU seconds (user + system) a process has used so far
sub proc_cpu_seconds
{
	my ($pid) = @_;
	my $stat = slurp_file("/proc/$pid/stat");
	$stat =~ s/^.*\)\s+//s;
	my @f = split /\s+/, $stat;
	# fields after the command: state is [0]; utime [11], stime [12]
	return ($f[11] + $f[12]) / 100.0;
}

1;
