/*-------------------------------------------------------------------------
 *
 * http_check.c
 *	  cron._check_http_url: the URL check the guard trigger applies to
 *	  every HTTP job when it is written.
 *
 * The URL is parsed by libcurl itself, the same parser that will use it,
 * so a URL accepted here is one the HTTP worker can call.  Only http and
 * https are accepted (the worker also refuses every other scheme after
 * redirects), a host is required, and credentials in the URL are refused:
 * they would show in cron.job.command and in the ledger, where header
 * values never do.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>

#include "fmgr.h"
#include "utils/builtins.h"

#include "http_check.h"

/* longest URL accepted; longer ones are almost surely mistakes */
#define CRON_URL_MAX	8192

PG_FUNCTION_INFO_V1(cron_check_http_url);

/* url NULL: not shown (it holds credentials) */
static void
url_error(const char *url, const char *detail, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 url ? errmsg("invalid url \"%s\"", url) : errmsg("invalid url"),
			 errdetail_internal("%s", detail),
			 hint ? errhint("%s", hint) : 0));
}

/*
 * What is wrong with url, or NULL if nothing; *hint and *show_url go with
 * the problem (a URL with credentials is not shown).  Also the check of
 * cron.default_alert_url.
 */
const char *
cron_http_url_problem(const char *url, const char **hint, bool *show_url)
{
	CURLU	   *h;
	CURLUcode	rc;
	char	   *scheme = NULL;
	char	   *host = NULL;
	char	   *user = NULL;
	char	   *password = NULL;
	const char *problem = NULL;

	*hint = NULL;
	*show_url = true;
	if (strlen(url) > CRON_URL_MAX)
		return psprintf("The url has %zu bytes; at most %d are allowed.",
						strlen(url), CRON_URL_MAX);

	h = curl_url();
	if (h == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));

	rc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (rc != CURLUE_OK)
	{
		problem = psprintf("The url cannot be parsed: %s.", curl_url_strerror(rc));
		*hint = "Write an absolute URL such as https://app.example.com/path.";
	}
	else if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
			 (pg_strcasecmp(scheme, "http") != 0 &&
			  pg_strcasecmp(scheme, "https") != 0))
	{
		problem = psprintf("The scheme is \"%s\"; HTTP jobs call http and https URLs only.",
						   scheme ? scheme : "");
	}
	else if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
			 host[0] == '\0')
	{
		problem = "The url has no host.";
	}
	else if (curl_url_get(h, CURLUPART_USER, &user, 0) == CURLUE_OK ||
			 curl_url_get(h, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
	{
		problem = "The url contains credentials, which would be shown in cron.job and the ledger.";
		*hint = "Send credentials in a header, e.g. headers => '{\"Authorization\": \"Bearer ...\"}'.";
		*show_url = false;
	}

	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(password);
	curl_url_cleanup(h);
	return problem;
}

Datum
cron_check_http_url(PG_FUNCTION_ARGS)
{
	char	   *url = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const char *hint;
	bool		show_url;
	const char *problem = cron_http_url_problem(url, &hint, &show_url);

	if (problem)
		url_error(show_url ? url : NULL, problem, hint);
	PG_RETURN_VOID();
}
