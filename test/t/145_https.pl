# 145_https.pl
#	  TLS peers are verified: an HTTPS job against a loopback server with a
#	  self-signed certificate fails saying TLS failed, is not retried (a
#	  retry cannot fix a certificate), and no request reaches the server;
#	  a plain-HTTP job to the same port fails too (the server speaks TLS).
#
# The certificate is made by openssl for this test only.  Every wait is
# bounded.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use IPC::Run;
use CronextTest;

my $far = '0 0 1 1 *';		# runs come from cron.run_job
my $dir = PostgreSQL::Test::Utils::tempdir();

# a self-signed certificate for 127.0.0.1
my ($out, $err);
IPC::Run::run([ 'openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
	'-keyout', "$dir/key.pem", '-out', "$dir/cert.pem", '-days', '2',
	'-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1' ],
	'>', \$out, '2>', \$err)
  or BAIL_OUT("openssl could not make a certificate: $err");

my $python = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';
my $server = IPC::Run::start([ $python, "$FindBin::Bin/https_server.py", "$dir/cert.pem",
	"$dir/key.pem", "$dir/port", "$dir/requests" ],
	'<', \undef, '>', "$dir/server.out", '2>', "$dir/server.err");
END { local $?; eval { $server->kill_kill if $server; }; }
{
	my $deadline = time() + 15;
	usleep(50_000) while !-s "$dir/port" && time() < $deadline;
}
BAIL_OUT('the HTTPS test server did not start: ' . (slurp_file("$dir/server.err") // ''))
  unless -s "$dir/port";
my $port = slurp_file("$dir/port");

my $node = cron_node('https');

my $job = q1($node, "SELECT cron.schedule_http('tls', '$far', 'https://127.0.0.1:$port/x',
	max_retries => 2, retry_delay => '100 ms')");
my $run = q1($node, "SELECT cron.run_job($job)");
ok(wait_for($node, "SELECT status = 'failed' FROM cron.job_run_details WHERE runid = $run", 15),
	'a self-signed certificate: the run fails');
my $msg = q1($node, "SELECT return_message FROM cron.job_run_details WHERE runid = $run");
like($msg, qr/^TLS failed: /, 'the message says TLS failed');
note("return_message: $msg");
is(q1($node, "SELECT attempt FROM cron.job_run_details WHERE runid = $run"), '1',
	'... and it was not retried');
is(q1($node, "SELECT http_status IS NULL FROM cron.job_run_details WHERE runid = $run"), 't',
	'no HTTP status: no response was accepted');
ok(!-s "$dir/requests", 'no request got through to the server');

# plain HTTP to a TLS port: a transfer error, not a success
my $plain = q1($node, "SELECT cron.schedule_http('plain', '$far', 'http://127.0.0.1:$port/y', timeout => '3 seconds')");
my $prun = q1($node, "SELECT cron.run_job($plain)");
ok(wait_for($node, "SELECT status = 'failed' FROM cron.job_run_details WHERE runid = $prun", 15),
	'plain HTTP to the TLS port fails');
note('return_message: ' . q1($node, "SELECT return_message FROM cron.job_run_details WHERE runid = $prun"));

$node->stop('immediate');
done_testing();
