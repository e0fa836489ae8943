# 240_soak.pl
#	  The chaos soak, 60 seconds (bench/soak.sh runs it longer): a
#	  realistic job mix while the scheduler, job workers and the HTTP
#	  worker are killed, the server is shut down (immediate) and
#	  restarted, the catalog is locked for seconds and the background
#	  worker slots are taken (test/t/Soak.pm).  The audit must find no
#	  slot twice, none missing without a record, no run stuck, every
#	  exactly-once effect with its success and every success with its
#	  effect, and no crash other than the kills.
#
# Every wait is bounded.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use CronextTest;
use HttpTestServer;
use Soak;

my $secs = $ENV{CRONEXT_SOAK_SECONDS} // 60;
my $port = start_server();
my $base = "http://127.0.0.1:$port";
my $node = cron_node('soak', Soak::soak_conf());
Soak::setup($node, $base, 100);
my $t0 = time() + 1;
srand($ENV{CRONEXT_SOAK_SEED} // time());
my $did = Soak::chaos($node, $secs, sub { note($_[0]) });
my $t1 = time();
ok(Soak::wait_up($node, 60), 'the server is up after the chaos');
# the window's runs end (the slow job's take 1 s, retries a few)
ok(wait_for($node, qq{SELECT count(*) = 0 FROM cron.job_run_details
	WHERE status IN ('starting', 'running') AND scheduled_for <= to_timestamp($t1)}, 60),
	'every run of the window reaches a final state');
my $a = Soak::audit($node, $t0, $t1, $node->logfile);
note($_) for Soak::report($a, $did, $secs);

cmp_ok($a->{due}, '>', 10 * $secs, 'the window holds the job mix\'s slots');
cmp_ok(scalar(keys %$did), '>=', 3, 'the chaos did several kinds of harm');
is($a->{twice_ledger}, '0', 'no slot has two ledger rows');
is($a->{twice_effects}, '0', 'no slot\'s effect is there twice');
is($a->{missing}, '0', 'no slot is missing without a record') or diag($a->{missing_list});
is($a->{stuck}, '0', 'no run is stuck in a non-final state');
is($a->{effect_wo_success}, '0', 'every exactly-once effect has its succeeded row');
is($a->{success_wo_effect}, '0', 'every succeeded run of those jobs has its effect');
is($a->{panics} + $a->{segfaults}, 0, 'no crash but the kills (no PANIC, no other signal)');

$node->stop;
done_testing();
