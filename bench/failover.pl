# bench/failover.pl: the runs of bench/failover.sh (which see), as the
# user postgres, in the work directory given as the argument.
use strict;
use warnings;

use IPC::Run;
use JSON::PP;
use Time::HiRes qw(time usleep);
use PatroniCluster;

my $work = shift or die "usage: failover.pl WORKDIR\n";
my $runs = $ENV{FO_RUNS} // 10;
my @modes = split ' ', ($ENV{FO_MODES} // 'async sync');
$| = 1;

# the loopback HTTP server of the tests, logging every request
my $log = "$work/http_requests.jsonl";
my $portfile = "$work/http_port";
my $srv = IPC::Run::start([ 'python3', "$work/http_server.py", $portfile, $log ],
	'<', \undef, '>', "$work/http_server.out", '2>&1');
my $deadline = time() + 15;
usleep(50_000) while !-s $portfile && time() < $deadline;
open my $pf, '<', $portfile or die "the HTTP server did not start\n";
chomp(my $port = <$pf>);
close $pf;

sub requests_since
{
	my ($off, $prefix) = @_;
	my @r;
	open my $fh, '<', $log or return @r;
	seek $fh, $off, 0;
	while (my $line = <$fh>)
	{
		my $r = eval { decode_json($line) } or next;
		push @r, $r if index($r->{path}, $prefix) == 0;
	}
	return @r;
}

my @cols = qw(mode run promoted_s recovery_s rejoined_s due own missed lost twice_effects twice_http http_reqs http_run_wo_req stuck eff_wo_succ succ_wo_eff missed_rows late rerun burst_at_kill old_runs_nothing);
print join("\t", @cols), "\n";
my %sum;
for my $mode (@modes)
{
	for my $i (1 .. $runs)
	{
		my $off = -s $log // 0;
		my $dir = "$work/$mode-$i";
		my $pc;
		my $f = eval {
			$pc = PatroniCluster->new(dir => $dir, sync => $mode eq 'sync', log => sub { print STDERR "  $_[0]\n" });
			$pc->failover_once(base => "http://127.0.0.1:$port",
				requests => sub { requests_since($off, '/echo/ha-') })
		};
		my $err = $@;
		$pc->stop if $pc;
		if (!$f)
		{
			print join("\t", $mode, $i, "FAILED: $err"), "\n";
			push @{ $sum{$mode}{failed} }, $i;
			next;
		}
		my $a = $f->{audit};
		my @v = ($mode, $i, sprintf('%.1f', $f->{promoted_s}), sprintf('%.1f', $f->{recovery_s}),
			sprintf('%.1f', $f->{rejoined_s}), $a->{due}, $a->{recorded}, $a->{missed_slots}, $a->{lost},
			$a->{effects_twice}, $a->{http_twice}, $a->{http_requests}, $a->{http_run_without_request}, $a->{stuck},
			$a->{effect_without_success}, $a->{success_without_effect}, $a->{missed_rows}, $a->{late}, $a->{rerun},
			$f->{burst_done_at_kill},
			($f->{old_leader_in_recovery} eq 't' && $f->{old_leader_cron_processes} eq '0') ? 'yes' : 'NO');
		print join("\t", @v), "\n";
		print STDERR "  lost: $a->{lost_list}\n" if $a->{lost} > 0;
		push @{ $sum{$mode}{rows} }, \@v;
	}
}

# per mode: median and max of the times, totals of the counts
print "\nsummary\n";
for my $mode (@modes)
{
	my @rows = @{ $sum{$mode}{rows} // [] };
	next unless @rows;
	my $col = sub { my ($k) = @_; my ($idx) = grep { $cols[$_] eq $k } 0 .. $#cols; [ sort { $a <=> $b } map { $_->[$idx] } @rows ] };
	my $med = sub { my $v = $col->($_[0]); @$v % 2 ? $v->[ $#$v / 2 ] : ($v->[ @$v / 2 - 1 ] + $v->[ @$v / 2 ]) / 2 };
	my $max = sub { my $v = $col->($_[0]); $v->[-1] };
	my $tot = sub { my $v = $col->($_[0]); my $t = 0; $t += $_ for @$v; $t };
	printf "%s: %d runs (%d failed to complete); kill -> promotion median %s s (max %s); kill -> first run median %s s (max %s); "
	  . "old leader rejoined median %s s; slots due %d, own row %d, recorded missed %d, lost %d; twice: effects %d, HTTP %d "
	  . "(of %d requests; HTTP runs without their request %d); stuck %d; effect without success %d, success without effect %d; "
	  . "missed rows %d; late runs %d; interrupted runs run again %d; old leader ran nothing in %d of %d\n",
	  $mode, scalar(@rows), scalar(@{ $sum{$mode}{failed} // [] }),
	  $med->('promoted_s'), $max->('promoted_s'), $med->('recovery_s'), $max->('recovery_s'), $med->('rejoined_s'),
	  $tot->('due'), $tot->('own'), $tot->('missed'), $tot->('lost'), $tot->('twice_effects'),
	  $tot->('twice_http'), $tot->('http_reqs'), $tot->('http_run_wo_req'), $tot->('stuck'), $tot->('eff_wo_succ'),
	  $tot->('succ_wo_eff'), $tot->('missed_rows'), $tot->('late'), $tot->('rerun'),
	  scalar(grep { $_->[-1] eq 'yes' } @rows), scalar(@rows);
}
$srv->signal('TERM');
eval { $srv->finish; };
