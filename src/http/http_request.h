/*-------------------------------------------------------------------------
 *
 * http_request.h
 *	  One HTTP job request on libcurl: setting it up, following its
 *	  redirects, and turning its end into the outcome the scheduler records.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_HTTP_REQUEST_H
#define CRONEXT_HTTP_REQUEST_H

#include <curl/curl.h>

#include "http_queue.h"

/* most redirects followed */
#define HTTP_MAX_REDIRECTS	5

typedef struct HttpRequest
{
	int			entryno;
	CronHttpEntry *entry;			/* where the response body and outcome go */
	Size		body_capacity;	/* bytes the entry can keep */
	MemoryContext cxt;			/* everything below lives here */
	CURL	   *easy;
	struct curl_slist *headers;
	char	   *method;
	char	   *jobname;		/* the job's name (its id if it has none) */
	char	   *secret;			/* the job's signing secret; NULL: none */
	bool		alert;			/* an alert (entry->alertid), not a run */
	char	   *event;			/* an alert's event: failed, overdue, recovered */
	char	   *url;			/* the current URL (changes on redirects) */
	char	   *origin;			/* scheme://host:port of url */
	char	   *body;			/* NULL: none */
	int		   *expect;			/* expected status codes; NULL: any 2xx */
	int			nexpect;
	int			timeout_ms;		/* for the whole request, redirects included; 0 = none */
	int			redirects;		/* followed so far */
	bool		truncated;		/* the response was longer than the entry */
	int			retry_after_ms;
	char		errbuf[CURL_ERROR_SIZE];
} HttpRequest;

extern void cron_http_request_prepare(HttpRequest *req);
extern void cron_http_request_configure(HttpRequest *req);
extern bool cron_http_request_finish(HttpRequest *req, CURLcode rc);
extern char *cron_http_loggable_url(const char *url, MemoryContext cxt);

#endif							/* CRONEXT_HTTP_REQUEST_H */
