# test/t/001_extension.pl
#
# Owns: the extension's life in a real cluster at the most basic level.
#  - With cronext preloaded: CREATE EXTENSION works, the job table and the
#    ledger exist, the settings have pg_cron's defaults, and
#    cron.next_runs computes slots with the server's own time zone library
#    (the standalone harness in test/harness checks the same arithmetic
#    with glibc's; this checks the pg_tz provider, including a DST gap and
#    fold, and years past the last transition listed in the tz files).
#  - Without preloading: CREATE EXTENSION and LOAD fail with an error that
#    says to use shared_preload_libraries, and the server does not crash.
#
# Run through test/run-tests.sh, or by hand as a non-root user:
#   TESTDIR=$PWD PATH=/usr/lib/postgresql/15/bin:$PATH \
#   prove -I /usr/lib/postgresql/15/lib/pgxs/src/test/perl test/t/001_extension.pl

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# ---- preloaded -------------------------------------------------------------

my $node = PostgreSQL::Test::Cluster->new('preloaded');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'cronext'
cron.database_name = 'postgres'
});
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION cronext');

is( $node->safe_psql(
		'postgres',
		q{SELECT pg_catalog.to_regclass('cron.job') IS NOT NULL,
		         pg_catalog.to_regclass('cron.job_run_details') IS NOT NULL}),
	't|t',
	'cron.job and cron.job_run_details exist');

is($node->safe_psql('postgres', 'SHOW cron.timezone'),
	'GMT', 'cron.timezone defaults to GMT, as in pg_cron');
is($node->safe_psql('postgres', 'SHOW cron.max_running_jobs'),
	'32', 'cron.max_running_jobs defaults to 32, as in pg_cron');

# The slots as UTC text, in the order returned, whatever the session's zone.
sub next_runs
{
	my ($schedule, $zone, $after, $count) = @_;
	return $node->safe_psql(
		'postgres', qq{
		SELECT pg_catalog.to_char(r AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
		FROM cron.next_runs('$schedule', '$zone', '$after', $count)
		     WITH ORDINALITY AS n(r, i)
		ORDER BY i});
}

is( next_runs('0 3 * * *', 'America/New_York', '2026-11-20 00:00+00', 3),
	join("\n",
		'2026-11-20 08:00:00', '2026-11-21 08:00:00',
		'2026-11-22 08:00:00'),
	'next_runs: 03:00 New York in winter');

is( next_runs('30 2 * * *', 'America/New_York', '2026-03-08 05:00+00', 2),
	join("\n", '2026-03-08 07:00:00', '2026-03-09 06:30:00'),
	'next_runs: 02:30 in the spring-forward gap fires at 03:00 EDT');

is( next_runs('30 1 * * *', 'America/New_York', '2026-11-01 04:00+00', 2),
	join("\n", '2026-11-01 05:30:00', '2026-11-02 06:30:00'),
	'next_runs: 01:30 in the fall-back fold fires once, at its first occurrence');

is( next_runs('*/30 * * * *', 'America/New_York', '2026-11-01 04:59:59+00', 5),
	join("\n",
		'2026-11-01 05:00:00', '2026-11-01 05:30:00',
		'2026-11-01 06:00:00', '2026-11-01 06:30:00',
		'2026-11-01 07:00:00'),
	'next_runs: hour * follows real time through the repeated hour');

is( next_runs('0 2 * * *', 'Australia/Lord_Howe', '2026-10-03 12:00+00', 2),
	join("\n", '2026-10-03 15:30:00', '2026-10-04 15:00:00'),
	'next_runs: 30-minute DST gap (Lord Howe)');

# Past the last transition written out in the tz files the rules are
# extrapolated; the server's zone code must still report the changes.
is( next_runs('30 2 * * *', 'America/New_York', '2100-03-13 12:00+00', 2),
	join("\n", '2100-03-14 07:00:00', '2100-03-15 06:30:00'),
	'next_runs: spring-forward gap in 2100');
is( next_runs('30 1 * * *', 'America/New_York', '2100-11-07 00:00+00', 2),
	join("\n", '2100-11-07 05:30:00', '2100-11-08 06:30:00'),
	'next_runs: fall-back fold in 2100');

$node->stop;

# ---- not preloaded ---------------------------------------------------------

my $plain = PostgreSQL::Test::Cluster->new('not_preloaded');
$plain->init;
$plain->start;

my ($ret, $stdout, $stderr) =
  $plain->psql('postgres', 'CREATE EXTENSION cronext');
isnt($ret, 0, 'CREATE EXTENSION fails without shared_preload_libraries');
like(
	$stderr,
	qr/ERROR:.*shared_preload_libraries/s,
	'the error says to use shared_preload_libraries');
unlike(
	$stderr,
	qr/server closed the connection|terminated abnormally|connection to server was lost/,
	'the backend did not die');

($ret, $stdout, $stderr) = $plain->psql('postgres', q{LOAD 'cronext'});
isnt($ret, 0, 'LOAD fails without shared_preload_libraries');
like($stderr, qr/ERROR:.*shared_preload_libraries/s,
	'LOAD says to use shared_preload_libraries');

is($plain->safe_psql('postgres', 'SELECT 1'), '1',
	'server still accepts queries');
is( $plain->safe_psql(
		'postgres',
		q{SELECT count(*) FROM pg_catalog.pg_extension WHERE extname = 'cronext'}),
	'0',
	'no half-created extension left behind');

my $log = slurp_file($plain->logfile);
unlike(
	$log,
	qr/terminated by signal|was terminated by exception|PANIC:|all server processes terminated/,
	'no crash or crash-restart in the server log');

$plain->stop;

done_testing();
