
# 251_kept_commands_bound.pl
#	  "A claimed run keeps the command its claim read ... up to 1 MB for
#	  all claimed runs together" (README, Memory), also when runs wait with
#	  no worker slot free: 8 roles with one 900 kB command each must not
#	  make the scheduler hold 7 MB of commands.  (A first version kept the
#	  command a run picked to start had read from the ledger when it could
#	  not start, outside the bound; picks go round-robin across roles, so
#	  every waiting run of every role ended up holding its command.)

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use CronextTest;

# launcher, scheduler, logical replication launcher: no slot for a job worker
my $node = cron_node('kept_cmds', qq{
max_worker_processes = 3
max_parallel_workers = 0
});
ok(wait_for($node, q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'}, 30),
	'scheduler up');

my $nroles = 8;
$node->safe_psql('postgres', qq{
SELECT format('CREATE ROLE r%s LOGIN', i) FROM generate_series(1, $nroles) i \\gexec
SELECT cron.schedule_in_database('big' || i, '0 0 1 1 *',
	'SELECT length(' || quote_literal(repeat('x', 900000)) || ')', 'postgres', 'r' || i)
FROM generate_series(1, $nroles) i;
});
$node->safe_psql('postgres', qq{SELECT cron.run_job(jobid) FROM cron.job WHERE jobname LIKE 'big%'});
# several retry passes (WORKER_RETRY_MS) so that every role's run is picked
sleep(6);
is(q1($node, q{SELECT count(*) FROM cron.job_run_details WHERE status = 'starting'}), $nroles,
	'all runs wait for a worker slot');

my $pid = q1($node, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'cronext scheduler'});
my $off = -s $node->logfile;
$node->safe_psql('postgres', "SELECT pg_log_backend_memory_contexts($pid)");
my $bytes;
for (1 .. 50)
{
	my $log = log_since($node, $off);
	if ($log =~ /cronext runs: (\d+) total in/)
	{
		$bytes = $1;
		last;
	}
	select(undef, undef, undef, 0.2);
}
ok(defined $bytes, 'memory context dump logged');
diag("scheduler 'cronext runs' context: $bytes bytes");
cmp_ok($bytes, '<', 1.5 * 1024 * 1024,
	'commands held by waiting runs stay within the 1 MB bound');

$node->stop;
done_testing();
