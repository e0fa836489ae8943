/*-------------------------------------------------------------------------
 *
 * http_request.c
 *	  One HTTP job request on libcurl: its options, its redirects, and
 *	  the outcome written into its entry (status, message, capped body).
 *
 * Redirects are followed here rather than by libcurl, for two reasons:
 * every hop is checked (only http and https, at most HTTP_MAX_REDIRECTS),
 * and when a redirect leaves the job's origin (scheme, host and port), only
 * headers that carry no credential (Accept, Content-Type, ...) go on to the
 * next request.  libcurl would drop Authorization and Cookie itself, but
 * not an X-Api-Key or an X-Auth-Token, which an open redirect would then
 * hand to any host.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "common/hmac.h"
#include "common/sha2.h"
#include "lib/stringinfo.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "http_request.h"
#include "text_clip.h"

/* longest Retry-After honoured, in seconds */
#define HTTP_RETRY_AFTER_MAX	3600

/* libcurl: a piece of the response body; keep what fits, then stop */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	HttpRequest *req = arg;
	CronHttpEntry *entry = req->entry;
	size_t		n = size * nmemb;
	size_t		room = req->body_capacity - entry->body_len;

	if (n > room)
	{
		memcpy(entry->body + entry->body_len, data, room);
		entry->body_len += room;
		req->truncated = true;
		return 0;				/* stop the transfer: the rest is not kept */
	}
	memcpy(entry->body + entry->body_len, data, n);
	entry->body_len += n;
	return n;
}

/* libcurl: a response header line; only Retry-After matters */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	HttpRequest *req = arg;
	size_t		n = size * nmemb;
	const char *name = "retry-after:";
	size_t		namelen = strlen(name);

	if (n > namelen && n < 256 && pg_strncasecmp(data, name, namelen) == 0)
	{
		char		value[256];
		char	   *v = value;
		char	   *end;
		long		seconds;

		memcpy(value, data + namelen, n - namelen);
		value[n - namelen] = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		end = v + strlen(v);
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
			*--end = '\0';
		if (*v >= '0' && *v <= '9')
			seconds = strtol(v, NULL, 10);
		else
		{
			time_t		at = curl_getdate(v, NULL);

			seconds = at > 0 ? (long) (at - time(NULL)) : 0;
		}
		seconds = Max(0, Min(seconds, HTTP_RETRY_AFTER_MAX));
		req->retry_after_ms = (int) seconds * 1000;
	}
	return n;
}

static bool
status_expected(const HttpRequest *req, long code)
{
	if (req->expect == NULL)
		return code >= 200 && code <= 299;
	for (int i = 0; i < req->nexpect; i++)
		if (req->expect[i] == code)
			return true;
	return false;
}

/* "2xx" or "200, 204" */
static void
describe_expected(const HttpRequest *req, StringInfo buf)
{
	if (req->expect == NULL)
	{
		appendStringInfoString(buf, "2xx");
		return;
	}
	for (int i = 0; i < req->nexpect; i++)
		appendStringInfo(buf, "%s%d", i > 0 ? ", " : "", req->expect[i]);
}

/* what went wrong, by the phase that failed, and whether to retry */
static void
describe_error(HttpRequest *req, CURLcode rc, StringInfo msg, bool *retryable)
{
	const char *reason = req->errbuf[0] ? req->errbuf : curl_easy_strerror(rc);
	long		os_errno = 0;

	*retryable = false;
	switch (rc)
	{
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
			appendStringInfo(msg, "DNS lookup failed: %s", reason);
			*retryable = true;
			break;
		case CURLE_COULDNT_CONNECT:
			curl_easy_getinfo(req->easy, CURLINFO_OS_ERRNO, &os_errno);
			appendStringInfoString(msg, "connect failed: ");
			if (os_errno != 0)
				appendStringInfo(msg, "%s (%s)", strerror((int) os_errno), reason);
			else
				appendStringInfoString(msg, reason);
			*retryable = true;
			break;
		case CURLE_OPERATION_TIMEDOUT:
			appendStringInfo(msg, "timed out after %d ms: %s",
							 req->timeout_ms, reason);
			*retryable = true;
			break;
		case CURLE_SSL_CONNECT_ERROR:
			appendStringInfo(msg, "TLS handshake failed: %s", reason);
			*retryable = true;
			break;
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_ISSUER_ERROR:
		case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		case CURLE_SSL_INVALIDCERTSTATUS:
		case CURLE_USE_SSL_FAILED:
			appendStringInfo(msg, "TLS failed: %s", reason);
			break;
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
			appendStringInfo(msg, "request failed: %s", reason);
			*retryable = true;
			break;
		default:
			appendStringInfo(msg, "request failed: %s", reason);
			break;
	}
}


/*
 * May this "Name: value" line follow a redirect to another origin?  Only
 * headers known to carry no credential: guessing which custom headers are
 * secrets (X-Api-Key, X-Auth, Authentication, ...) would miss some.
 */
static bool
safe_across_origins(const char *line)
{
	static const char *const safe[] = {
		"accept", "accept-language", "accept-encoding", "content-type",
		"content-language", "cache-control", "user-agent", "idempotency-key",
		"expect", "x-cron-job", "x-cron-run-id", "x-cron-scheduled-for",
		"x-cron-attempt"
	};
	size_t		n = strcspn(line, ":;");

	for (int i = 0; i < lengthof(safe); i++)
		if (strlen(safe[i]) == n && pg_strncasecmp(line, safe[i], n) == 0)
			return true;
	return false;
}

/* "scheme://host:port" of an http(s) URL, in cxt; NULL if it is not one */
static char *
url_origin(const char *url, MemoryContext cxt, char **scheme_out)
{
	CURLU	   *h = curl_url();
	char	   *scheme = NULL;
	char	   *host = NULL;
	char	   *port = NULL;
	char	   *origin = NULL;

	*scheme_out = NULL;
	if (h != NULL &&
		curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
		curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK)
	{
		*scheme_out = MemoryContextStrdup(cxt, scheme);
		if ((pg_strcasecmp(scheme, "http") == 0 || pg_strcasecmp(scheme, "https") == 0) &&
			curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
			curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
			origin = MemoryContextStrdup(cxt, psprintf("%s://%s:%s", scheme, host, port));
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	if (h)
		curl_url_cleanup(h);
	if (origin)
		for (char *c = origin; *c; c++)
			*c = pg_tolower((unsigned char) *c);
	return origin;
}

/* an instant as RFC 3339 in UTC: 2026-11-30T09:00:00Z (fractions when any) */
static char *
rfc3339(TimestampTz t)
{
	int64		us = t % USECS_PER_SEC;
	time_t		secs;
	struct tm	tm;
	char		buf[64];

	if (us < 0)
		us += USECS_PER_SEC;
	secs = (time_t) ((t - us) / USECS_PER_SEC +
					 ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY));
	gmtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (us != 0)
		return psprintf("%s.%06dZ", buf, (int) us);
	return psprintf("%sZ", buf);
}

/*
 * A job name as a header value: printable ASCII as it is, every other byte
 * (control characters, which could end the header; UTF-8) and '%' as %XX.
 */
static char *
header_safe(const char *s)
{
	StringInfoData out;

	initStringInfo(&out);
	for (const unsigned char *c = (const unsigned char *) s; *c; c++)
	{
		if (*c >= 0x20 && *c < 0x7f && *c != '%')
			appendStringInfoChar(&out, (char) *c);
		else
			appendStringInfo(&out, "%%%02X", *c);
	}
	return out.data;
}

/*
 * The URL as the server log may show it: scheme, host, port and path, no
 * user, no query and no fragment (where tokens tend to be).
 */
char *
cron_http_loggable_url(const char *url, MemoryContext cxt)
{
	CURLU	   *h = curl_url();
	char	   *path = NULL;
	char	   *origin;
	char	   *scheme;
	char	   *result;

	origin = url_origin(url, cxt, &scheme);
	if (origin == NULL)
	{
		if (h)
			curl_url_cleanup(h);
		return MemoryContextStrdup(cxt, "(an invalid URL)");
	}
	if (h != NULL &&
		curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK)
		(void) curl_url_get(h, CURLUPART_PATH, &path, 0);
	result = MemoryContextStrdup(cxt, psprintf("%s%s", origin, path ? path : ""));
	curl_free(path);
	if (h)
		curl_url_cleanup(h);
	return result;
}

/*
 * X-Cron-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
 * under the job's secret (an empty body for a request without one).  The
 * time is in the signed text, so a receiver that refuses old signatures
 * refuses replays; redirects of this attempt keep it.
 */
static char *
signature_header(HttpRequest *req)
{
	/*
	 * With OpenSSL, an HMAC context is remembered by the current resource
	 * owner; requests start outside any transaction, so it gets one of its
	 * own (it holds nothing once the context is freed).
	 */
	static ResourceOwner sign_owner = NULL;
	ResourceOwner save_owner = CurrentResourceOwner;
	pg_hmac_ctx *ctx;
	uint8		mac[PG_SHA256_DIGEST_LENGTH];
	char		hex[PG_SHA256_DIGEST_LENGTH * 2 + 1];
	char		prefix[32];
	const char *body = req->body ? req->body : "";
	long		t = (long) time(NULL);
	bool		ok;

	if (sign_owner == NULL)
		sign_owner = ResourceOwnerCreate(NULL, "cronext request signing");
	CurrentResourceOwner = sign_owner;
	ctx = pg_hmac_create(PG_SHA256);
	if (ctx == NULL)
	{
		CurrentResourceOwner = save_owner;
		elog(ERROR, "out of memory");
	}
	snprintf(prefix, sizeof(prefix), "%ld.", t);
	ok = pg_hmac_init(ctx, (const uint8 *) req->secret, strlen(req->secret)) == 0 &&
		pg_hmac_update(ctx, (const uint8 *) prefix, strlen(prefix)) == 0 &&
		pg_hmac_update(ctx, (const uint8 *) body, strlen(body)) == 0 &&
		pg_hmac_final(ctx, mac, sizeof(mac)) == 0;
	pg_hmac_free(ctx);
	CurrentResourceOwner = save_owner;
	if (!ok)
		elog(ERROR, "cronext: could not compute a request signature");
	for (int i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return psprintf("X-Cron-Signature: t=%ld,v1=%s", t, hex);
}

/*
 * Once per request, before its first attempt: the headers cronext adds,
 * and the origin that secret headers are kept to.
 */
void
cron_http_request_prepare(HttpRequest *req)
{
	CronHttpEntry *entry = req->entry;
	bool		has_key = false;
	bool		has_expect = false;
	bool		has_content_type = false;
	char		line[128];
	char	   *scheme;
	char	   *slot;

	for (struct curl_slist *l = req->headers; l; l = l->next)
	{
		if (pg_strncasecmp(l->data, "idempotency-key", 15) == 0 &&
			(l->data[15] == ':' || l->data[15] == ';'))
			has_key = true;
		if (pg_strncasecmp(l->data, "expect", 6) == 0 &&
			(l->data[6] == ':' || l->data[6] == ';'))
			has_expect = true;
		if (pg_strncasecmp(l->data, "content-type", 12) == 0 &&
			(l->data[12] == ':' || l->data[12] == ';'))
			has_content_type = true;
	}
	req->headers = curl_slist_append(req->headers,
									 psprintf("X-Cron-Job: %s", header_safe(req->jobname)));
	if (req->secret)
		req->headers = curl_slist_append(req->headers, signature_header(req));
	if (req->alert)
	{
		/* an alert: which job, which event; the same key on every attempt */
		req->headers = curl_slist_append(req->headers,
										 psprintf("X-Cron-Event: %s", req->event));
		snprintf(line, sizeof(line), "Idempotency-Key: cronext-alert-" INT64_FORMAT,
				 entry->alertid);
		req->headers = curl_slist_append(req->headers, line);
		if (!has_expect)
			req->headers = curl_slist_append(req->headers, "Expect:");
		req->origin = url_origin(req->url, req->cxt, &scheme);
		return;
	}

	/*
	 * The run, for the receiver: which job, which run, which slot, which
	 * attempt.  Every attempt of a slot carries the same Idempotency-Key,
	 * readable by a person (the job's id and the slot), so receivers can
	 * dedupe.
	 */
	slot = rfc3339(entry->scheduled_for);
	snprintf(line, sizeof(line), "X-Cron-Run-Id: " INT64_FORMAT, entry->runid);
	req->headers = curl_slist_append(req->headers, line);
	snprintf(line, sizeof(line), "X-Cron-Scheduled-For: %s", slot);
	req->headers = curl_slist_append(req->headers, line);
	snprintf(line, sizeof(line), "X-Cron-Attempt: %d", entry->attempt);
	req->headers = curl_slist_append(req->headers, line);
	if (!has_key)
	{
		snprintf(line, sizeof(line), "Idempotency-Key: cronext-job-" INT64_FORMAT "-at-%s",
				 entry->jobid, slot);
		req->headers = curl_slist_append(req->headers, line);
	}
	/* no body, no Content-Type (libcurl would send a form's for a POST) */
	if ((req->body == NULL || req->body[0] == '\0') && !has_content_type)
		req->headers = curl_slist_append(req->headers, "Content-Type:");
	/* no 100-continue round trip before a body */
	if (!has_expect)
		req->headers = curl_slist_append(req->headers, "Expect:");
	req->origin = url_origin(req->url, req->cxt, &scheme);
}

/*
 * Set every option of the request's handle (new, or reset for the next hop
 * of a redirect).  The timeout is what is left of the job's timeout since
 * the request started.
 */
void
cron_http_request_configure(HttpRequest *req)
{
	CURL	   *e = req->easy;

	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "cronext/1.0");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	if (req->timeout_ms > 0)
	{
		int64		spent = (GetCurrentTimestamp() - req->entry->start_time) / 1000;

		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
						 (long) Max(req->timeout_ms - spent, 1));
	}

	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (strcmp(req->method, "POST") == 0)
	{
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long) (req->body ? strlen(req->body) : 0));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? req->body : "");
	}
	else
	{
		if (strcmp(req->method, "GET") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body)
		{
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long) strlen(req->body));
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body);
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
		}
	}

	req->entry->body_len = 0;
	req->entry->body[0] = '\0';
	req->truncated = false;
	req->retry_after_ms = 0;
	req->errbuf[0] = '\0';
}

/* end the request with a failure that is not retried */
static void
refuse(HttpRequest *req, long code, const char *message)
{
	CronHttpEntry *entry = req->entry;

	entry->http_status = (int) code;
	entry->succeeded = false;
	entry->retryable = false;
	entry->has_body = false;
	cron_text_copy(entry->message, message, sizeof(entry->message));
}

/*
 * A 3xx with a Location: point the request at the next hop and return
 * true, or write why it is refused into the entry and return false.
 */
static bool
follow_redirect(HttpRequest *req, long code, const char *location)
{
	MemoryContext old = MemoryContextSwitchTo(req->cxt);
	char	   *next = pstrdup(location);
	char	   *scheme;
	char	   *origin = url_origin(next, req->cxt, &scheme);

	MemoryContextSwitchTo(old);
	if (origin == NULL)
	{
		refuse(req, code,
			   psprintf("redirect refused: HTTP %ld to a %s URL; only http and https may be followed",
						code, scheme ? scheme : "malformed"));
		return false;
	}
	if (req->redirects >= HTTP_MAX_REDIRECTS)
	{
		refuse(req, code,
			   psprintf("redirect refused: more than %d redirects", HTTP_MAX_REDIRECTS));
		return false;
	}

	/* leaving the job's origin: only headers that carry no credential go on */
	if (strcmp(origin, req->origin) != 0)
	{
		struct curl_slist *kept = NULL;

		for (struct curl_slist *l = req->headers; l; l = l->next)
			if (safe_across_origins(l->data))
				kept = curl_slist_append(kept, l->data);
		curl_slist_free_all(req->headers);
		req->headers = kept;
		req->origin = origin;
	}

	/* as browsers and libcurl do: 303 asks for a GET, and so do 301/302 after a POST */
	if ((code == 303 && strcmp(req->method, "HEAD") != 0) ||
		((code == 301 || code == 302) && strcmp(req->method, "POST") == 0))
	{
		req->method = "GET";
		req->body = NULL;
	}
	req->url = next;
	req->redirects++;
	return true;
}

/*
 * The transfer ended with rc.  Returns false if it was a redirect to
 * follow (the request now points at the next hop: configure it again and
 * start it), true when the request is over and its outcome is in the entry.
 */
bool
cron_http_request_finish(HttpRequest *req, CURLcode rc)
{
	CronHttpEntry *entry = req->entry;
	StringInfoData msg;
	long		code = 0;

	curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &code);

	if (rc == CURLE_OK && code >= 300 && code <= 399 && code != 304 &&
		!(req->expect != NULL && status_expected(req, code)))
	{
		char	   *location = NULL;

		curl_easy_getinfo(req->easy, CURLINFO_REDIRECT_URL, &location);
		if (location != NULL)
		{
			if (follow_redirect(req, code, location))
				return false;
			entry->body_len = cron_text_make_valid(entry->body, 0, false);
			return true;
		}
	}

	initStringInfo(&msg);
	entry->http_status = (int) code;
	entry->retry_after_ms = req->retry_after_ms;
	if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && req->truncated))
	{
		bool		expected = status_expected(req, code);

		appendStringInfo(&msg, "HTTP %ld", code);
		if (!expected)
		{
			appendStringInfoString(&msg, ": not an expected status (expected ");
			describe_expected(req, &msg);
			appendStringInfoChar(&msg, ')');
		}
		if (req->truncated)
			appendStringInfo(&msg, "; response body truncated to %d bytes",
							 (int) req->body_capacity);
		entry->succeeded = expected;
		entry->retryable = !expected && (code >= 500 || code == 429);
		entry->has_body = strcmp(req->method, "HEAD") != 0;
	}
	else
	{
		describe_error(req, rc, &msg, &entry->retryable);
		entry->succeeded = false;
		entry->has_body = code > 0 && entry->body_len > 0;
	}

	/*
	 * The stored body must be valid text in the database encoding: bytes
	 * that are not (binary bodies, NUL bytes) become '?', and a character
	 * the size cap cut through is dropped, so recording can never fail.
	 */
	entry->body_len = cron_text_make_valid(entry->body, entry->body_len,
										  req->truncated);
	cron_text_copy(entry->message, msg.data, sizeof(entry->message));
	pfree(msg.data);
	return true;
}
