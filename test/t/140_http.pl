# 140_http.pl
#	  HTTP jobs against a loopback test server (test/t/http_server.py, which
#	  logs every request it gets as one JSON line): methods, headers and
#	  bodies sent as given; statuses, response bodies and messages in the
#	  ledger; retries (5xx, 429 with Retry-After, connection errors) within
#	  one slot under one Idempotency-Key; timeouts; refused connections;
#	  redirects to file://; the response cap; secrets kept out of the ledger,
#	  cron.job_status and the server log; a hanging endpoint delaying neither
#	  SQL jobs nor other HTTP jobs; the EXECUTE privilege on
#	  cron.schedule_http; and the checks made at schedule time.
#
# Every wait is bounded (wait_for, or a deadline on the request log).

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use IO::Socket::INET;
use IPC::Run;
use JSON::PP;
use CronextTest;
use HttpTestServer;

my $far = '0 0 1 1 *';		# never due during the test: runs come from cron.run_job

# ---------------------------------------------------------------------
# the loopback HTTP server
# ---------------------------------------------------------------------
my $port = start_server();
my $base = "http://127.0.0.1:$port";

# a port that is bound but not listening: connecting to it is refused
my $closed = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp')
  or die "cannot bind a socket: $!";
my $refused_port = $closed->sockport;

# a Perl character string as the UTF-8 bytes psql prints
sub utf8_bytes
{
	my ($s) = @_;
	utf8::encode($s);
	return $s;
}


# ---------------------------------------------------------------------
# the node: the most talkative logging, so a leak would show
# ---------------------------------------------------------------------
my $node = cron_node('http', qq{
cron.log_statement = on
log_min_messages = debug1
}, init => { extra => [ '--encoding=UTF8', '--locale=C' ] });
$node->safe_psql('postgres', q{
CREATE FUNCTION public.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END $$;
GRANT EXECUTE ON FUNCTION public.sqlstate_of(text) TO PUBLIC;
});

my $tag = sprintf('%d%04d', time(), int(rand(10000)));
my %secret = (
	bearer => "s3cr3t-bearer-$tag",
	apikey => "s3cr3t-apikey-$tag",
	cookie => "s3cr3t-cookie-$tag",
	proxy  => "s3cr3t-proxy-$tag",
	token  => "s3cr3t-token-$tag",
	csec   => "s3cr3t-clientsecret-$tag",
	passwd => "s3cr3t-password-$tag",
);
my %secret_headers = (
	'Authorization'       => "Bearer $secret{bearer}",
	'X-Api-Key'           => $secret{apikey},
	'Cookie'              => "session=$secret{cookie}; theme=dark",
	'Proxy-Authorization' => "Basic $secret{proxy}",
	'X-Auth-Token'        => $secret{token},
	'X-Client-Secret'     => $secret{csec},
	'X-Password'          => $secret{passwd},
);
my $secret_json = lit(encode_json(\%secret_headers)) . '::jsonb';

# ---------------------------------------------------------------------
# schedule-time validation: 22023, and nothing created
# ---------------------------------------------------------------------
my @bad = (
	[ 'bad method FETCH',       "'$base/echo', method => 'FETCH'" ],
	[ 'bad method with CRLF',   "'$base/echo', method => E'GET\\r\\nX-Injected: 1'" ],
	[ 'file:// URL',            q{'file:///etc/passwd'} ],
	[ 'ftp:// URL',             q{'ftp://x'} ],
	[ 'gopher:// URL',          q{'gopher://127.0.0.1/'} ],
	[ 'garbage URL',            q{'not a url at all'} ],
	[ 'URL without host',       q{'http://'} ],
	[ 'URL with a space',       q{'http://exa mple.com/'} ],
);
my $i = 0;
for my $case (@bad)
{
	$i++;
	my ($what, $args) = @$case;
	my $q = "SELECT cron.schedule_http('bad-$i', '$far', $args)";
	is(q1($node, 'SELECT public.sqlstate_of(' . lit($q) . ')'), '22023', "schedule_http refuses a $what with 22023");
}
is(q1($node, q{SELECT count(*) FROM cron.job WHERE jobname LIKE 'bad-%'}), '0', 'no job was created by a refused call');

# ---------------------------------------------------------------------
# the jobs of the main batch
# ---------------------------------------------------------------------
my @methods = qw(GET POST PUT PATCH DELETE HEAD);
my %plain_headers = (
	'Authorization' => "Bearer $secret{bearer}",
	'X-Custom'      => q{v1; a="b c", d=e/f?g=h&i},
	'Content-Type'  => 'application/json',
	'Accept'        => 'application/json',
);
my $plain_json = lit(encode_json(\%plain_headers)) . '::jsonb';
my %body_of;	# method => expected body as received (Perl characters)
my @sql;
for my $m (@methods)
{
	my $has_body = $m ne 'GET' && $m ne 'HEAD';
	# a body with quotes, a newline and a non-ASCII character (U+00FC)
	my $body_sql = $has_body
	  ? lit(qq({"method":"$m","list":[1,2,3],"q":"it's"}\nline 2 )) . ' || chr(252)'
	  : 'NULL';
	$body_of{$m} = $has_body ? qq({"method":"$m","list":[1,2,3],"q":"it's"}\nline 2 \x{fc}) : '';
	push @sql, "SELECT 'm-$m', cron.schedule_http('m-$m', '$far', '$base/echo/$m', method => '$m',
		headers => $plain_json, body => $body_sql)";
}
push @sql,
  "SELECT 'ok204', cron.schedule_http('ok204', '$far', '$base/nocontent')",
  "SELECT 'post-nobody', cron.schedule_http('post-nobody', '$far', '$base/echo/post-nobody', method => 'POST')",
  "SELECT 'ok201', cron.schedule_http('ok201', '$far', '$base/status/201', method => 'POST', body => 'x')",
  "SELECT 'echo', cron.schedule_http('echo', '$far', '$base/echo/plain', method => 'POST', body => 'hello, ledger')",
  "SELECT 's503', cron.schedule_http('s503', '$far', '$base/status/503')",
  "SELECT 'e404', cron.schedule_http('e404', '$far', '$base/status/404', expect_status => '{404,410}')",
  "SELECT 'e200', cron.schedule_http('e200', '$far', '$base/status/204', expect_status => '{200}')",
  "SELECT 'n404', cron.schedule_http('n404', '$far', '$base/status/404', max_retries => 2, retry_delay => '100 ms')",
  "SELECT 'seq', cron.schedule_http('seq', '$far', '$base/seq/retry/500,500,200', max_retries => 3, retry_delay => '200 ms')",
  "SELECT 'r429', cron.schedule_http('r429', '$far', '$base/ratelimit/r429', max_retries => 2, retry_delay => '100 ms')",
  "SELECT 'slowt', cron.schedule_http('slowt', '$far', '$base/sleep/10', timeout => '1 second')",
  "SELECT 'refused', cron.schedule_http('refused', '$far', 'http://127.0.0.1:$refused_port/nothing', max_retries => 1, retry_delay => '100 ms')",
  "SELECT 'redir', cron.schedule_http('redir', '$far', '$base/redirect?to=file%3A%2F%2F%2Fetc%2Fpasswd')",
  "SELECT 'big', cron.schedule_http('big', '$far', '$base/big/10485760')",
  "SELECT 'u8cut', cron.schedule_http('u8cut', '$far', '$base/utf8/100000')",
  "SELECT 'binary', cron.schedule_http('binary', '$far', '$base/binary/1000')",
  # the same secret headers on every path a run can take
  "SELECT 'sec-ok', cron.schedule_http('sec-ok', '$far', '$base/echo/secret-ok', method => 'POST', body => 'b', headers => $secret_json)",
  "SELECT 'sec-500', cron.schedule_http('sec-500', '$far', '$base/status/500', headers => $secret_json, max_retries => 1, retry_delay => '100 ms')",
  "SELECT 'sec-timeout', cron.schedule_http('sec-timeout', '$far', '$base/sleep/5?job=sec-timeout', headers => $secret_json, timeout => '1 second')",
  "SELECT 'sec-refused', cron.schedule_http('sec-refused', '$far', 'http://127.0.0.1:$refused_port/secret', headers => $secret_json)",
  "SELECT 'sec-redir', cron.schedule_http('sec-redir', '$far', '$base/redirect?to=ftp%3A%2F%2F127.0.0.1%2Fx', headers => $secret_json)",
  "SELECT 'alter', cron.schedule_http('alter', '$far', '$base/echo/before')";

# the statements carry secret header values: keep PostgreSQL's own
# statement logging (log_statement = all in test clusters) off for them
# (and for every later statement of this test that quotes a secret or
# the passwd pattern), so that the log check below sees only what
# cronext itself writes
my %id = map { split /\|/ } qcol($node, "SET log_statement = 'none';\nBEGIN;\n" . join(";\n", @sql) . ";\nCOMMIT;");
is(scalar(keys %id), scalar(@sql), 'all HTTP jobs scheduled (' . scalar(@sql) . ')');

# what cron.job shows
is(q1($node, "SELECT kind || ' | ' || command || ' | ' || http_method || ' | ' || http_url || ' | ' || http_body
	FROM cron.job WHERE jobid = $id{'m-POST'}"),
	utf8_bytes("http | POST $base/echo/POST | POST | $base/echo/POST | $body_of{POST}"),
	'cron.job: kind http, command "METHOD URL", method, url and body');
is(q1($node, "SET log_statement = 'none'; SELECT http_headers = $plain_json FROM cron.job WHERE jobid = $id{'m-GET'}"), 't',
	'cron.job: headers stored as given');
is(q1($node, "SELECT http_expect_status::text || ' ' || (http_body IS NULL) FROM cron.job WHERE jobid = $id{e404}"),
	'{404,410} true', 'cron.job: expect_status; no body');
is(q1($node, "SELECT command FROM cron.job WHERE jobid = $id{'ok204'}"), "GET $base/nocontent",
	'the default method is GET');

# same name, same user: an update of the same job
is(q1($node, "SELECT cron.schedule_http('alter', '$far', '$base/echo/before2')"), $id{alter},
	'schedule_http with an existing name updates that job (same jobid)');
is(q1($node, "SELECT http_url FROM cron.job WHERE jobid = $id{alter}"), "$base/echo/before2", '... with the new url');

# cron.alter_job on an HTTP job
$node->safe_psql('postgres', "SELECT cron.update_job($id{alter}, url => '$base/echo/after', method => 'PUT',
	headers => '{\"X-After\": \"yes\"}', body => 'after-body', expect_status => '{200}', timeout => '5 seconds')");
is(q1($node, "SELECT command || ' | ' || http_headers::text || ' | ' || http_body || ' | ' || http_expect_status::text || ' | ' || timeout
	FROM cron.job WHERE jobid = $id{alter}"),
	qq{PUT $base/echo/after | {"X-After": "yes"} | after-body | {200} | 00:00:05},
	'alter_job changes url, method, headers, body, expect_status and timeout');
is(q1($node, 'SELECT public.sqlstate_of(' . lit("SELECT cron.update_job($id{alter}, url => 'file:///etc/passwd')") . ')'),
	'22023', 'alter_job refuses a file:// url with 22023');
is(q1($node, "SELECT http_url FROM cron.job WHERE jobid = $id{alter}"), "$base/echo/after", '... and the job is unchanged');

# ---------------------------------------------------------------------
# run them all at once
# ---------------------------------------------------------------------
my %run = map { split /\|/ } qcol($node, 'SELECT jobname, cron.run_job(jobid) FROM cron.job '
	  . 'WHERE jobid IN (' . join(',', values %id) . ') ORDER BY jobid');
is(scalar(keys %run), scalar(keys %id), 'cron.run_job returned a runid for every job');
my $all_runs = join ',', values %run;
ok(wait_for($node, "SELECT count(*) = 0 FROM cron.job_run_details
	WHERE runid IN ($all_runs) AND status NOT IN ('succeeded', 'failed')", 30),
	'every run ended');

my %row = map { ($_ => run_row($node, $run{$_})) } keys %run;
note(join "\n", map {
	sprintf('%-12s %-9s attempt=%s http_status=%s msg=%s', $_, $row{$_}{status} // '?',
		$row{$_}{attempt} // '?', $row{$_}{http_status} // 'NULL', substr($row{$_}{return_message} // 'NULL', 0, 120))
} sort keys %row);

# --- methods, headers, bodies
my %keys_seen;
for my $m (@methods)
{
	my @r = requests("/echo/$m");
	is(scalar(@r), 1, "$m: one request arrived");
	next unless @r;
	my $r = $r[0];
	is($r->{method}, $m, "$m: received as $m");
	for my $h (sort keys %plain_headers)
	{
		my @v = header_values($r, $h);
		is_deeply(\@v, [ $plain_headers{$h} ], "$m: header $h received once, exactly as sent");
	}
	is($r->{body}, $body_of{$m}, "$m: body received exactly as sent");
	my $bytes = $body_of{$m};
	utf8::encode($bytes);
	is($r->{body_len}, length($bytes), "$m: body length in bytes as sent");
	my @k = header_values($r, 'Idempotency-Key');
	ok(@k == 1 && $k[0] ne '', "$m: the request carries an Idempotency-Key");
	$keys_seen{ $k[0] // '' }++;
	is($row{"m-$m"}{status} . ' ' . ($row{"m-$m"}{http_status} // 'NULL') . ' ' . $row{"m-$m"}{attempt},
		'succeeded 200 1', "$m: succeeded, http_status 200, attempt 1");
	if ($m eq 'HEAD')
	{
		ok(!defined $row{'m-HEAD'}{response_body} || $row{'m-HEAD'}{response_body} eq '',
			'HEAD: no response body recorded');
	}
	else
	{
		my $echo = eval { decode_json(do { my $x = $row{"m-$m"}{response_body} // ''; utf8::encode($x); $x }) } // {};
		is($echo->{body}, $body_of{$m}, "$m: response_body recorded (the echo of the body)");
	}
}
is(scalar(keys %keys_seen), scalar(@methods), 'six slots: six different Idempotency-Keys');

# the run, for the receiver: X-Cron-* headers and a readable Idempotency-Key
for my $m (@methods)
{
	my ($r) = requests("/echo/$m");
	next unless $r;
	my ($rid, $jid) = ($run{"m-$m"}, $id{"m-$m"});
	my $slot = q1($node, qq{SELECT to_char(scheduled_for AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
		|| CASE WHEN date_part('microseconds', scheduled_for)::int % 1000000 = 0 THEN ''
				ELSE '.' || lpad((date_part('microseconds', scheduled_for)::int % 1000000)::text, 6, '0') END
		|| 'Z' FROM cron.job_run_details WHERE runid = $rid});
	is(join(' | ', map { (header_values($r, $_))[0] // 'none' }
			qw(X-Cron-Job X-Cron-Run-Id X-Cron-Scheduled-For X-Cron-Attempt Idempotency-Key)),
		"m-$m | $rid | $slot | 1 | cronext-job-$jid-at-$slot",
		"$m: X-Cron-Job, X-Cron-Run-Id, X-Cron-Scheduled-For (RFC 3339, UTC), X-Cron-Attempt and the Idempotency-Key");
}
{
	my ($r) = requests('/echo/post-nobody');
	ok($r && !header_values($r, 'Content-Type'), 'a POST without a body carries no Content-Type');
}
{
	my ($r) = requests('/echo/m-none');    # nothing: a sanity check of the prefix matching
	ok(!defined $r, 'request log prefix matching is exact');
	my @auth = map { header_values($_, 'Authorization') } map { requests("/echo/$_") } @methods;
	ok(@auth >= 6 && !grep({ $_ ne "Bearer $secret{bearer}" } @auth), 'the Bearer header arrived intact on every request');
}

# --- 2xx, expected statuses, and a failing status
is(join(' ', map { $_ // 'NULL' } @{ $row{ok204} }{qw(status http_status return_message)}),
	'succeeded 204 HTTP 204', '204: succeeded, http_status 204, message "HTTP 204"');
is(join(' ', map { $_ // 'NULL' } @{ $row{ok201} }{qw(status http_status return_message)}),
	'succeeded 201 HTTP 201', '201: succeeded (any 2xx by default)');
is($row{echo}{status} . ' ' . ($row{echo}{http_status} // 'NULL'), 'succeeded 200', 'echo: succeeded with 200');
like($row{echo}{response_body} // '', qr/"body": "hello, ledger"/, 'echo: response_body recorded');
is($row{s503}{status}, 'failed', '503 without retries: failed');
like($row{s503}{return_message} // '', qr/^HTTP 503/, '503: message starts with "HTTP 503"');
is(($row{s503}{http_status} // 'NULL') . ' ' . $row{s503}{attempt}, '503 1', '503: http_status 503, attempt 1');
is(scalar(requests('/status/503')), 1, '503: exactly one request');
is(join(' ', map { $_ // 'NULL' } @{ $row{e404} }{qw(status http_status return_message)}),
	'succeeded 404 HTTP 404', 'expect_status {404,410}: a 404 succeeds');
is($row{e200}{status}, 'failed', 'expect_status {200}: a 204 fails');
like($row{e200}{return_message} // '', qr/^HTTP 204/, '... with message "HTTP 204"');
is($row{n404}{status} . ' ' . $row{n404}{attempt}, 'failed 1', 'a 404 is not retried (max_retries 2): failed, attempt 1');
is(scalar(requests('/status/404')), 2, '... one request for it (plus the expect_status job)');

# --- 500, 500, 200 with max_retries 3: one slot, three requests, one key
is($row{seq}{status} . ' ' . $row{seq}{attempt} . ' ' . ($row{seq}{http_status} // 'NULL'),
	'succeeded 3 200', '500, 500, 200: succeeded at attempt 3, http_status 200');
is(q1($node, "SELECT count(*) FROM cron.job_run_details WHERE jobid = $id{seq}"), '1', '... one ledger row for the slot');
my @seq = requests('/seq/retry/');
is(scalar(@seq), 3, '... three requests');
my %seqkeys = map { ((header_values($_, 'Idempotency-Key'))[0] // '') => 1 } @seq;
is(scalar(keys %seqkeys), 1, '... all with the same Idempotency-Key');
ok(!exists $seqkeys{''}, '... which is not empty');
if (@seq == 3)
{
	my ($g1, $g2) = ($seq[1]{time} - $seq[0]{time}, $seq[2]{time} - $seq[1]{time});
	cmp_ok($g1, '>=', 0.14, sprintf('first retry after the retry_delay (200 ms +-25%%): %.3f s', $g1));
	cmp_ok($g2, '>=', 0.29, sprintf('second retry after twice the delay (400 ms +-25%%): %.3f s', $g2));
}
# a new slot of the same job: a new key (the sequence now answers 200)
my $seq2 = q1($node, "SELECT cron.run_job($id{seq})");
ok(wait_for($node, "SELECT status = 'succeeded' FROM cron.job_run_details WHERE runid = $seq2", 10),
	'a second slot of the same job succeeded');
@seq = requests('/seq/retry/');
is(scalar(@seq), 4, '... with one more request');
isnt((header_values($seq[-1], 'Idempotency-Key'))[0] // '', (keys %seqkeys)[0],
	'... carrying a different Idempotency-Key');

# --- 429 with Retry-After: 1
is($row{r429}{status} . ' ' . $row{r429}{attempt}, 'succeeded 2', '429 then 200: succeeded at attempt 2');
my @rl = requests('/ratelimit/r429');
is(scalar(@rl), 2, '... two requests');
if (@rl == 2)
{
	my $gap = $rl[1]{time} - $rl[0]{time};
	cmp_ok($gap, '>=', 0.95, sprintf('... the retry waited for Retry-After: 1 (%.3f s; retry_delay was 100 ms)', $gap));
	is((header_values($rl[0], 'Idempotency-Key'))[0] // 'none', (header_values($rl[1], 'Idempotency-Key'))[0] // 'other',
		'... both with the same Idempotency-Key');
}

# --- timeout
is($row{slowt}{status}, 'failed', 'a 10 s endpoint with timeout 1 s: failed');
like($row{slowt}{return_message} // '', qr/timed out/i, '... saying it timed out');
my $dur = q1($node, "SELECT extract(epoch FROM end_time - start_time) FROM cron.job_run_details WHERE runid = $run{slowt}");
cmp_ok($dur, '<', 5, "... in about 1 s ($dur s)");
cmp_ok($dur, '>=', 0.9, '... and not before the timeout');

# --- connection refused
is($row{refused}{status} . ' ' . $row{refused}{attempt}, 'failed 2',
	'connection refused: failed after 2 attempts (max_retries 1: connection errors are retried)');
like($row{refused}{return_message} // '', qr/connect/i, '... the message mentions the connection');
like($row{refused}{return_message} // '', qr/refused/i, '... and that it was refused');

# --- a redirect to file://
is($row{redir}{status}, 'failed', 'a redirect to file:///etc/passwd: failed');
like($row{redir}{return_message} // '', qr/redirect|protocol/i, '... the message mentions the redirect or protocol');
is(q1($node, q{SELECT count(*) FROM cron.job_run_details d WHERE row_to_json(d)::text LIKE '%root' || ':x:0:0%'}), '0',
	'... no content of /etc/passwd anywhere in the ledger');
is($row{'sec-redir'}{status}, 'failed', 'a redirect to ftp://: failed too');

# --- the response cap
is($row{big}{status} . ' ' . ($row{big}{http_status} // 'NULL'), 'succeeded 200', 'a 10 MB response: succeeded with 200');
is(q1($node, "SELECT octet_length(response_body) FROM cron.job_run_details WHERE runid = $run{big}"), '65536',
	'... response_body capped at 65536 bytes');
is(q1($node, "SELECT response_body = repeat('0123456789', 6554)::varchar(65536) FROM cron.job_run_details WHERE runid = $run{big}"),
	't', '... holding the first 65536 bytes of the response');
like($row{big}{return_message} // '', qr/truncated/i, '... and the message says truncated');

# a cap that falls inside a 2-byte UTF-8 character, and a binary body (NUL,
# invalid UTF-8): the run succeeds and the ledger holds valid text
sub valid_text
{
	my ($runid) = @_;
	return q1($node, 'SELECT public.sqlstate_of(' . lit("SELECT convert_from(convert_to(response_body, 'UTF8'), 'UTF8')
		FROM cron.job_run_details WHERE runid = $runid") . ')');
}
is($row{u8cut}{status} . ' ' . ($row{u8cut}{http_status} // 'NULL'), 'succeeded 200',
	'a 100000-byte UTF-8 response cut inside a character: succeeded with 200');
cmp_ok(q1($node, "SELECT octet_length(response_body) FROM cron.job_run_details WHERE runid = $run{u8cut}"), '<=', 65536,
	'... response_body within the cap');
is(valid_text($run{u8cut}), 'ok', '... and valid UTF-8');
like($row{u8cut}{return_message} // '', qr/truncated/i, '... the message says truncated');
is($row{binary}{status} . ' ' . ($row{binary}{http_status} // 'NULL'), 'succeeded 200',
	'a binary response (NUL, invalid UTF-8): succeeded with 200');
is(valid_text($run{binary}), 'ok', '... response_body stored as valid text');

# --- the alter_job-ed job ran with its new settings
{
	my @r = requests('/echo/after');
	is(scalar(@r) . ' ' . ($r[0]{method} // '') . ' ' . ($r[0]{body} // '') . ' ' . ((header_values($r[0] // { headers => [] }, 'X-After'))[0] // ''),
		'1 PUT after-body yes', 'the altered job sent PUT /echo/after with its new body and header');
	is(scalar(requests('/echo/before')), 0, '... and nothing to its old url');
	is($row{alter}{status}, 'succeeded', '... and succeeded');
}

# --- the secret-carrying jobs ran along every path
is(join(' ', map { $row{$_}{status} } qw(sec-ok sec-500 sec-timeout sec-refused sec-redir)),
	'succeeded failed failed failed failed', 'the secret-carrying jobs succeeded, failed on 500, timeout, refusal, redirect');
{
	my @sr = (requests('/echo/secret-ok'), requests('/status/500'), requests('/sleep/5?job=sec-timeout'));
	is(scalar(@sr), 4, 'the secret-carrying jobs sent 4 requests (one retry of the 500)');
	my $ok = 1;
	for my $r (@sr)
	{
		for my $h (sort keys %secret_headers)
		{
			my @v = header_values($r, $h);
			$ok = 0, diag("$r->{path}: header $h = @v") unless @v == 1 && $v[0] eq $secret_headers{$h};
		}
	}
	ok($ok, '... each carrying every secret header exactly as given');
}

# ---------------------------------------------------------------------
# a hanging endpoint delays neither SQL jobs nor other HTTP jobs
# ---------------------------------------------------------------------
my $slow = q1($node, "SELECT cron.schedule_http('hang', '$far', '$base/sleep/30', timeout => '60 seconds')");
my $fast = q1($node, "SELECT cron.schedule_http('fast', '$far', '$base/nocontent')");
my $slow_run = q1($node, "SELECT cron.run_job($slow)");
ok(wait_requests('/sleep/30', 1, 10), 'the hanging request is in flight');
ok(wait_for($node, "SELECT status = 'running' FROM cron.job_run_details WHERE runid = $slow_run", 5),
	'... and its run is running');
my $tick = q1($node, q{SELECT cron.schedule('tick', '1 seconds', 'SELECT 1')});
my $t0 = time();
my $fast_run = q1($node, "SELECT cron.run_job($fast)");
ok(wait_for($node, "SELECT status = 'succeeded' FROM cron.job_run_details WHERE runid = $fast_run", 5),
	'another HTTP job succeeded while the hanging one runs');
my $fast_took = time() - $t0;
cmp_ok($fast_took, '<', 2.5, sprintf('... within about 2 s of cron.run_job (%.2f s)', $fast_took));
my $fast_db = q1($node, "SELECT extract(epoch FROM end_time - scheduled_for) FROM cron.job_run_details WHERE runid = $fast_run");
cmp_ok($fast_db, '<', 2, "... its slot to its end: $fast_db s");
is(q1($node, "SELECT status IN ('starting', 'running') FROM cron.job_run_details WHERE runid = $slow_run"), 't',
	'... while the hanging one is still running');
ok(wait_for($node, "SELECT count(*) >= 2 FROM cron.job_run_details WHERE jobid = $tick AND status = 'succeeded'", 6),
	'a 1-second SQL job ran meanwhile');
my $lag = q1($node, "SELECT max(extract(epoch FROM start_time - scheduled_for)) FROM cron.job_run_details
	WHERE jobid = $tick AND status = 'succeeded'");
cmp_ok($lag, '<', 1, "... on time (largest start lag $lag s)");
is(q1($node, "SELECT status IN ('starting', 'running') FROM cron.job_run_details WHERE runid = $slow_run"), 't',
	'the hanging one is still running');
$node->safe_psql('postgres', "SELECT cron.unschedule($tick)");

# ---------------------------------------------------------------------
# the privilege: EXECUTE on cron.schedule_http
# ---------------------------------------------------------------------
$node->safe_psql('postgres', q{
CREATE ROLE mallory LOGIN;
GRANT USAGE ON SCHEMA cron TO mallory;
});
my @as_mallory = (extra_params => [ '-U', 'mallory' ]);
sub as_mallory_state
{
	my ($q) = @_;
	return $node->safe_psql('postgres', 'SELECT public.sqlstate_of(' . lit($q) . ')', @as_mallory);
}
is(as_mallory_state("SELECT cron.schedule_http('m-http', '$far', '$base/echo/mallory')"), '42501',
	'without the grant: schedule_http is refused (42501)');
is(as_mallory_state("INSERT INTO cron.job (jobname, schedule, command, kind, http_method, http_url)
	VALUES ('m-ins', '$far', 'GET $base/echo/mallory-ins', 'http', 'GET', '$base/echo/mallory-ins')"), '42501',
	'without the grant: a direct INSERT of an http job is refused (42501)');
is(as_mallory_state("INSERT INTO cron.job (jobname, schedule, command) VALUES ('m-sql', '$far', 'SELECT 1')"), 'ok',
	'(the same role may insert an SQL job directly)');
isnt(as_mallory_state("UPDATE cron.job SET kind = 'http', http_method = 'GET', http_url = '$base/echo/mallory-upd',
	command = 'GET $base/echo/mallory-upd' WHERE jobname = 'm-sql'"), 'ok',
	'without the grant: turning an SQL job into an http job by UPDATE is refused');
is(q1($node, q{SELECT count(*) FROM cron.job WHERE username = 'mallory' AND kind = 'http'}), '0',
	'mallory has no HTTP job');

$node->safe_psql('postgres', 'GRANT EXECUTE ON FUNCTION cron.schedule_http TO mallory');
my $mjob = $node->safe_psql('postgres', "SELECT cron.schedule_http('m-http', '$far', '$base/echo/mallory')", @as_mallory);
like($mjob, qr/^\d+$/, 'after GRANT EXECUTE ON FUNCTION cron.schedule_http: schedule_http works');
my $mrun = $node->safe_psql('postgres', "SELECT cron.run_job($mjob)", @as_mallory);
ok(wait_for($node, "SELECT status = 'succeeded' FROM cron.job_run_details WHERE runid = $mrun", 10),
	'... and the job runs');
is(scalar(requests('/echo/mallory')), 1, '... reaching the server');
is(as_mallory_state("INSERT INTO cron.job (jobname, schedule, command, kind, http_method, http_url)
	VALUES ('m-ins', '$far', 'GET $base/echo/mallory-ins', 'http', 'GET', '$base/echo/mallory-ins')"), 'ok',
	'after the grant: a direct INSERT of an http job is allowed too');
is(q1($node, q{SELECT username FROM cron.job WHERE jobid = } . $mjob), 'mallory', '... the job belongs to mallory');

# ---------------------------------------------------------------------
# redirects: followed within the job's origin with every header; a hop to
# another origin (here localhost instead of 127.0.0.1) loses the secrets
# ---------------------------------------------------------------------
{
	my $other = "http://localhost:$port";
	my $same_to = "$base/echo/redir-same";
	my $cross_to = "$other/echo/redir-cross";
	(my $same_q = $same_to) =~ s/([:\/])/sprintf('%%%02X', ord($1))/ge;
	(my $cross_q = $cross_to) =~ s/([:\/])/sprintf('%%%02X', ord($1))/ge;
	my %jid = map { split /\|/ } qcol($node, "SET log_statement = 'none';
		SELECT 'same', cron.schedule_http('redir-same', '$far', '$base/redirect?to=$same_q',
			method => 'POST', body => 'b', headers => $secret_json);
		SELECT 'cross', cron.schedule_http('redir-cross', '$far', '$base/redirect?to=$cross_q',
			headers => $secret_json)");
	my %rid = map { $_ => q1($node, "SELECT cron.run_job($jid{$_})") } keys %jid;
	ok(wait_for($node, "SELECT count(*) = 2 FROM cron.job_run_details
		WHERE runid IN ($rid{same}, $rid{cross}) AND status = 'succeeded'", 15),
		'redirects within and across origins are followed to a 200');
	my ($same) = requests('/echo/redir-same');
	my ($cross) = requests('/echo/redir-cross');
	ok($same && $cross, '... both final requests arrived');
	is($same->{method}, 'GET', 'a POST redirected by 302 goes on as GET (as browsers and libcurl do)');
	is_deeply([ header_values($same, 'Authorization') ], [ $secret_headers{Authorization} ],
		'same-origin redirect: Authorization kept');
	is_deeply([ header_values($same, 'X-Api-Key') ], [ $secret{apikey} ], '... X-Api-Key kept');
	for my $h (sort keys %secret_headers)
	{
		is(scalar(header_values($cross, $h)), 0, "cross-origin redirect: $h dropped");
	}
	is(scalar(header_values($cross, 'Idempotency-Key')), 1, '... the Idempotency-Key goes on');
	like(($cross ? join(' ', map { $_->[0] . '=' . $_->[1] } @{ $cross->{headers} }) : ''),
		qr/Host=localhost:$port/, '... and the request went to the other origin');
}

# six redirects in a row: refused after five
{
	my $url = "$base/echo/never";
	for (1 .. 6)
	{
		(my $q = $url) =~ s/([:\/?=&%])/sprintf('%%%02X', ord($1))/ge;
		$url = "$base/redirect?to=$q";
	}
	my $loop = q1($node, "SELECT cron.schedule_http('redir-loop', '$far', '$url')");
	my $rid = q1($node, "SELECT cron.run_job($loop)");
	ok(wait_for($node, "SELECT status = 'failed' FROM cron.job_run_details WHERE runid = $rid", 10),
		'six redirects: failed');
	like(q1($node, "SELECT return_message FROM cron.job_run_details WHERE runid = $rid"),
		qr/more than 5 redirects/, '... saying more than 5 redirects');
	is(scalar(requests('/echo/never')), 0, '... and the sixth hop was not requested');
}

# ---------------------------------------------------------------------
# secrets: nowhere in the ledger, cron.job_status, or the server log
# ---------------------------------------------------------------------
my $pglog = slurp_file($node->logfile);
my $like_any = join ' OR ', map { "t LIKE '%$_%'" } values %secret;
is(q1($node, "SET log_statement = 'none'; SELECT count(*) FROM (SELECT row_to_json(d)::text t FROM cron.job_run_details d) x WHERE $like_any"), '0',
	'no secret header value in cron.job_run_details (any column, any row)');
is(q1($node, "SET log_statement = 'none'; SELECT count(*) FROM (SELECT row_to_json(s)::text t FROM cron.job_status s) x WHERE $like_any"), '0',
	'no secret header value in cron.job_status');
like($pglog, qr/DEBUG:/, 'the server log is at debug level');
my @leaked = grep { my $line = $_; grep { index($line, $_) >= 0 } values %secret } split /\n/, $pglog;
is(scalar(@leaked), 0, 'no secret header value in the server log');
diag("leaked: $_") for @leaked[ 0 .. ($#leaked > 9 ? 9 : $#leaked) ];
like($pglog, qr/LOG:  cron job $id{s503} run $run{s503} \(attempt 1, GET http:\/\/127\.0\.0\.1:\d+\/status\/503\) failed: /,
	'an HTTP failure is in the server log, one line, as a SQL failure is');
my @passwd = grep { /root:x:0:0/ } split /\n/, $pglog;
is(scalar(@passwd), 0, 'no content of /etc/passwd in the server log');
diag("found: $_") for @passwd[ 0 .. ($#passwd > 9 ? 9 : $#passwd) ];

# ---------------------------------------------------------------------
$node->stop('immediate');
stop_server();
done_testing();
