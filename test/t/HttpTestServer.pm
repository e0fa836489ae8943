# HttpTestServer.pm
#	  The loopback HTTP server of the HTTP tests (test/t/http_server.py),
#	  and what the tests ask of it: the requests it logged, their headers.
#	  Also two small helpers the HTTP tests share: SQL literals and a
#	  ledger row as a hash.

package HttpTestServer;

use strict;
use warnings;

use Exporter 'import';
use FindBin;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use CronextTest;

our @EXPORT = qw(start_server stop_server requests wait_requests header_values lit run_row);

my $server;
my $req_log;

# start the server on a free port of 127.0.0.1; returns the port
sub start_server
{
	my $dir = PostgreSQL::Test::Utils::tempdir();
	my $port_file = "$dir/http_port";
	my $python = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';

	$req_log = "$dir/http_requests.jsonl";
	$server = IPC::Run::start([ $python, "$FindBin::Bin/http_server.py", $port_file, $req_log ],
		'<', \undef, '>', "$dir/http_server.out", '2>', "$dir/http_server.err");
	my $deadline = time() + 15;
	usleep(50_000) while !-s $port_file && time() < $deadline && $server->pumpable;
	BAIL_OUT('the HTTP test server did not start: ' . (slurp_file("$dir/http_server.err") // ''))
	  unless -s $port_file;
	my $port = slurp_file($port_file);
	chomp $port;
	note("HTTP test server at http://127.0.0.1:$port");
	return $port;
}

sub stop_server
{
	return unless $server;
	eval { $server->signal('TERM'); };
	eval { $server->finish; } or eval { $server->kill_kill; };
	undef $server;
}
END { local $?; stop_server(); }

# every request the server logged (optionally only those whose path starts
# with $prefix), in arrival order
sub requests
{
	my ($prefix) = @_;
	my @r;
	return @r unless defined $req_log && -e $req_log;
	for my $line (split /\n/, slurp_file($req_log))
	{
		my $r = eval { decode_json($line) } or next;    # a line still being written
		push @r, $r if !defined $prefix || index($r->{path}, $prefix) == 0;
	}
	return @r;
}

# wait until at least $n requests with that path prefix arrived
sub wait_requests
{
	my ($prefix, $n, $timeout) = @_;
	my $deadline = time() + ($timeout // 10);
	while (time() < $deadline)
	{
		return 1 if scalar(requests($prefix)) >= $n;
		usleep(10_000);
	}
	diag("timed out waiting for $n requests to $prefix");
	return 0;
}

# the values of a request header (name case-insensitive)
sub header_values
{
	my ($req, $name) = @_;
	return map { $_->[1] } grep { lc($_->[0]) eq lc($name) } @{ $req->{headers} };
}

# SQL literal
sub lit
{
	my ($s) = @_;
	$s =~ s/'/''/g;
	return "'$s'";
}

# a ledger row as a hash
sub run_row
{
	my ($node, $runid) = @_;
	my $json = q1($node, "SELECT row_to_json(d) FROM cron.job_run_details d WHERE runid = $runid");
	return $json eq '' ? {} : decode_json($json);
}

1;
