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

extern const char *cron_http_url_problem(const char *url, const char **hint,
										 bool *show_url);

#endif							/* CRONEXT_HTTP_CHECK_H */
