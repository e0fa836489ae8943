/*-------------------------------------------------------------------------
 *
 * http_read.h
 *	  The HTTP worker's reads of the posted jobs and alerts (http_read.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRON_HTTP_READ_H
#define CRON_HTTP_READ_H

#include "http_queue.h"
#include "http_request.h"

extern bool cron_http_read_posted(CronHttpQueue *queue, const int *entries,
								  int n, HttpRequest **reqs, char **problems,
								  ErrorData **edata);

#endif							/* CRON_HTTP_READ_H */
