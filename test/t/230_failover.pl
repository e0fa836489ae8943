# 230_failover.pl
#	  Failover under Patroni with synchronous replication: one etcd member
#	  and two PostgreSQL nodes on loopback (test/t/PatroniCluster.pm), a
#	  1-second SQL job, a 200-job burst every 5 s and HTTP jobs against the
#	  loopback test server; the leader's Patroni and postmaster are killed
#	  (kill -9) inside a burst, Patroni promotes the replica, the old
#	  leader rejoins as a replica.  Then the audit: no slot twice (ledger,
#	  effects, HTTP requests), none lost without a trace, none stuck, every
#	  effect with its success and every success with its effect, and the
#	  old leader runs nothing.  The 10-run figures for both replication
#	  modes come from bench/failover.sh.
#
# Every wait is bounded (PatroniCluster's wait_until, wait_requests).

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use PatroniCluster;
use HttpTestServer;

plan skip_all => "Patroni and etcd are not installed (Debian's patroni and etcd-server; .ci/run installs them)"
  unless -x '/usr/bin/patroni' && -x '/usr/bin/etcd';

my $port = start_server();
my $base = "http://127.0.0.1:$port";
my $t_start = time();

my $pc = PatroniCluster->new(dir => PostgreSQL::Test::Utils::tempdir(), sync => 1,
	port => sub { PostgreSQL::Test::Cluster::get_free_port() }, log => sub { note($_[0]) });
# stopped however the test ends (a timeout's signal too)
$SIG{$_} = sub { $pc->stop; exit 1 } for qw(INT TERM HUP);
my $f = $pc->failover_once(base => $base, requests => sub { requests('/echo/ha-') });
my $a = $f->{audit};

note(sprintf('window %.0f s: %s slots due, %s with their own row, %s recorded as missed; ledger: %s',
	$f->{window_s}, $a->{due}, $a->{recorded}, $a->{missed_slots}, $a->{by_status}));
note(sprintf('kill: %d burst runs had succeeded; promoted after %.1f s, the new leader ran a job after %.1f s, the old leader rejoined after %.1f s',
	$f->{burst_done_at_kill}, $f->{promoted_s}, $f->{recovery_s}, $f->{rejoined_s}));
note("catch-up: $a->{late} runs started more than 3 s after their slot, $a->{missed_rows} 'missed' rows, "
	. "$a->{restart_failed} runs closed as failed by the restart, $a->{rerun} interrupted runs run again");

cmp_ok($a->{due}, '>', 500, 'the window holds the workload\'s slots');
ok($f->{burst_done_at_kill} > 0 && $f->{burst_done_at_kill} < 200,
	"the leader was killed inside a burst ($f->{burst_done_at_kill} of its 200 runs done)");
# (two ledger rows for one slot cannot exist: UNIQUE (jobid, scheduled_for);
# a slot run twice shows in its effects or its HTTP requests)
is($a->{effects_twice}, '0', 'no slot\'s effect is there twice');
cmp_ok($a->{http_requests}, '>', 0, 'the HTTP jobs sent requests');
is($a->{http_without_key}, 0, '... each with an Idempotency-Key');
is($a->{http_run_without_request}, 0, 'every HTTP run that succeeded has its request in the server\'s log');
is($a->{http_twice}, 0, 'no HTTP request was sent twice (one Idempotency-Key each)');
is($a->{lost}, '0', 'no slot is lost without a trace (its own row, or in a "missed" range)')
  or diag("lost: $a->{lost_list}");
is($a->{stuck}, '0', 'no run is left starting or running');
is($a->{effect_without_success}, '0', 'every effect has its succeeded row');
is($a->{success_without_effect}, '0', 'every succeeded SQL run has its effect');
is($f->{old_leader_in_recovery}, 't', 'the old leader rejoined as a replica');
is($f->{old_leader_cron_processes}, '0', '... and runs no cronext process');
note(sprintf('230 took %.0f s', time() - $t_start));

$pc->stop;
done_testing();
