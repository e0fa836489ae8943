/*-------------------------------------------------------------------------
 *
 * http_check.h
 *	  The URL check shared by the guard trigger (cron._check_http_url) and
 *	  the cron.default_alert_url setting.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_HTTP_CHECK_H
#define CRONEXT_HTTP_CHECK_H

#include "fmgr.h"

extern const char *cron_http_url_problem(const char *url, const char **hint,
										 bool *show_url);

/* cron._check_http_url(url): raises 22023 unless an HTTP job may call url */
extern Datum cron_check_http_url(PG_FUNCTION_ARGS);

#endif							/* CRONEXT_HTTP_CHECK_H */
