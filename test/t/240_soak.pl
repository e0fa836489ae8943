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
# slots waiting for a place have no row yet: wait (bounded) until the
# audit finds none missing, then take it
for (1 .. 30)
{
	last if Soak::audit($node, $t0, $t1, $node->logfile, $did, [])->{missing} eq '0';
	sleep 1;
}
my $a = Soak::audit($node, $t0, $t1, $node->logfile, $did, [ requests('/') ]);
note($_) for Soak::report($a, $did, $secs);

cmp_ok($a->{due}, '>', 10 * $secs, 'the window holds the job mix\'s slots');
my @kinds = qw(kill_scheduler kill_worker kill_http term_scheduler term_worker immediate_restart
  lock_catalog fill_workers edit unschedule_again one_off);
is(join(' ', grep { !$did->{$_} } @kinds), '', 'the chaos did every kind of harm');
cmp_ok($a->{due_changed}, '>', 0, 'the audit covers the edited jobs, from their history of edits');
# (two ledger rows for one slot cannot exist: UNIQUE (jobid, scheduled_for);
# a slot run twice shows in its effects or its HTTP requests)
is($a->{twice_effects}, '0', 'no slot\'s effect is there twice (exactly-once and at-most-once jobs)');
cmp_ok($a->{amo_effects}, '>', 0, '... the at-most-once job had effects');
cmp_ok($a->{http_requests}, '>', 0, 'the HTTP jobs sent requests');
is($a->{http_over}, 0, 'no slot\'s request was sent more often than its attempts allow');
is($a->{missing}, '0', 'no slot is missing without a record') or diag($a->{missing_list});
is($a->{unchanged_moved}, '0', 'the jobs nobody changed kept their catch-up anchor');
cmp_ok($a->{one_offs}, '>', 0, 'one-off jobs came due');
is($a->{one_off_not_once}, '0', '... each ran exactly once');
is($a->{stuck}, '0', 'no run is stuck in a non-final state');
is($a->{effect_wo_success}, '0', 'every exactly-once effect has its succeeded row');
is($a->{success_wo_effect}, '0', 'every succeeded run of those jobs has its effect');
is($a->{kills_seen}, $did->{kills_hit} // 0, 'every crash-restart by a signal 9 is one of the kills');
is($a->{panics} + $a->{other_signals} + $a->{bad_exits}, 0,
	'no crash but the kills (no PANIC, no other signal, no unexpected exit code)');

$node->stop;
done_testing();
