/*-------------------------------------------------------------------------
 *
 * http_worker.c
 *	  The background worker that makes HTTP jobs' requests, many at once,
 *	  with libcurl's multi interface (one request: http_request.c).
 *
 * One process serves every HTTP run, so a burst of HTTP jobs costs no
 * process starts, and connections to the same host are kept and reused.
 * It waits on its latch and on libcurl's sockets in one WaitEventSet, so a
 * new request starts as soon as the scheduler posts it and each request is
 * reported the moment it ends: there is no batch, and a slow endpoint
 * holds up nothing but its own entry (http_queue.h).
 *
 * The worker is connected to its scheduler's database only to read the jobs'
 * definitions (URL, method, headers, body) when their requests start
 * (http_read.c); the scheduler writes every outcome to the ledger.
 *
 * Safety (http_request.c): only http and https, also after redirects (at
 * most 5, secrets dropped when one leaves the job's origin); TLS peers
 * verified; the response body is read into the entry up to
 * cron.http_max_response_bytes and the transfer stopped there, so memory is
 * bounded whatever the server sends.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/resource.h>

#include <curl/curl.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cronext.h"
#include "http_queue.h"
#include "http_read.h"
#include "http_request.h"
#include "shared.h"
#include "text_clip.h"

/* when to read cron.job again after its lock was not granted */
#define HTTP_RETRY_READ_MS	100

/* how often the worker looks whether its scheduler is still there */
#define HTTP_LIVENESS_MS	1000

/* a socket libcurl asked us to watch */
typedef struct HttpSocket
{
	curl_socket_t fd;
	int			what;			/* CURL_POLL_IN / OUT / INOUT */
	int			pos;			/* its position in the wait set */
} HttpSocket;

static CronHttpQueue *queue;
static HttpRequest **inflight;	/* by entry number */
static CURLM *multi;
static HttpSocket *sockets;
static int	nsockets;
static int	max_sockets;
static bool sockets_changed = true;
static WaitEventSet *wait_set;
static long timer_ms = -1;		/* libcurl's timer: -1 none, else ms from... */
static TimestampTz timer_set_at;	/* ...this instant */
static TimestampTz retry_posted_at; /* cron.job was locked: read again then */

/* publish an entry's outcome to the scheduler */
static void
report(CronHttpEntry *entry)
{
	entry->end_time = GetCurrentTimestamp();
	pg_write_barrier();
	pg_atomic_write_u32(&entry->state, HE_DONE);
	cron_wake_scheduler();
}

static void report_unsent(CronHttpEntry *entry, const char *message, bool retryable);

/* fail an entry that never sent its request */
static void
report_not_started(CronHttpEntry *entry, const char *message)
{
	report_unsent(entry, message, false);
}

/* ... or that may be sent later (retryable) */
static void
report_unsent(CronHttpEntry *entry, const char *message, bool retryable)
{
	entry->start_time = 0;
	entry->succeeded = false;
	entry->retryable = retryable;
	entry->http_status = 0;
	entry->has_body = false;
	cron_text_copy(entry->message, message, sizeof(entry->message));
	report(entry);
}

/* libcurl: watch this socket for these events (or stop watching it) */
static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *socketp)
{
	int			i;

	for (i = 0; i < nsockets; i++)
		if (sockets[i].fd == fd)
			break;

	if (what == CURL_POLL_REMOVE)
	{
		if (i < nsockets)
		{
			sockets[i] = sockets[--nsockets];
			sockets_changed = true;
		}
		return 0;
	}
	if (i == nsockets)
	{
		/* requests in flight plus cached connections; grow if ever needed */
		if (nsockets == max_sockets)
		{
			max_sockets *= 2;
			sockets = repalloc(sockets, sizeof(HttpSocket) * max_sockets);
		}
		sockets[nsockets].fd = fd;
		sockets[nsockets].pos = -1;
		nsockets++;
		sockets_changed = true;
	}
	sockets[i].what = what;
	if (!sockets_changed && sockets[i].pos >= 0)
		ModifyWaitEvent(wait_set, sockets[i].pos,
						(what & CURL_POLL_IN ? WL_SOCKET_READABLE : 0) |
						(what & CURL_POLL_OUT ? WL_SOCKET_WRITEABLE : 0),
						NULL);
	return 0;
}

/* libcurl: call back in timeout_ms (-1: no timer) */
static int
on_timer(CURLM *m, long timeout_ms, void *arg)
{
	timer_ms = timeout_ms;
	timer_set_at = GetCurrentTimestamp();
	return 0;
}

/* the wait set: our latch, postmaster death, and libcurl's sockets */
static void
rebuild_wait_set(void)
{
	if (wait_set)
		FreeWaitEventSet(wait_set);
	wait_set = CreateWaitEventSet(TopMemoryContext, nsockets + 2);
	AddWaitEventToSet(wait_set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(wait_set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	for (int i = 0; i < nsockets; i++)
		sockets[i].pos =
			AddWaitEventToSet(wait_set,
							  (sockets[i].what & CURL_POLL_IN ? WL_SOCKET_READABLE : 0) |
							  (sockets[i].what & CURL_POLL_OUT ? WL_SOCKET_WRITEABLE : 0),
							  sockets[i].fd, NULL, NULL);
	sockets_changed = false;
}

static void
free_request(HttpRequest *req)
{
	if (req->easy)
	{
		curl_multi_remove_handle(multi, req->easy);
		/* the connection stays in the multi handle's cache for reuse */
		curl_easy_cleanup(req->easy);
	}
	if (req->headers)
		curl_slist_free_all(req->headers);
	if (req->secret)
		explicit_bzero(req->secret, strlen(req->secret));
	inflight[req->entryno] = NULL;
	MemoryContextDelete(req->cxt);
}

/* a transfer ended: follow its redirect, or report its outcome */
static void
complete(HttpRequest *req, CURLcode rc)
{
	CronHttpEntry *entry = req->entry;

	if (!cron_http_request_finish(req, rc))
	{
		/* a redirect: the same handle, set up for the next hop */
		curl_multi_remove_handle(multi, req->easy);
		curl_easy_reset(req->easy);
		cron_http_request_configure(req);
		if (curl_multi_add_handle(multi, req->easy) == CURLM_OK)
			return;
		strlcpy(entry->message, "request failed: libcurl could not follow the redirect",
				sizeof(entry->message));
		entry->succeeded = false;
		entry->retryable = false;
		entry->has_body = false;
	}
	/* in the server log like a SQL job's error: one line, no secret */
	if (!entry->succeeded && req->alert)
		ereport(LOG,
				(errmsg("cron job " INT64_FORMAT " alert " INT64_FORMAT " (attempt %d, POST %s) failed: %s",
						entry->jobid, entry->alertid, entry->attempt,
						cron_http_loggable_url(req->url, req->cxt), entry->message)));
	else if (!entry->succeeded)
		ereport(LOG,
				(errmsg("cron job " INT64_FORMAT " run " INT64_FORMAT " (attempt %d, %s %s) failed: %s",
						entry->jobid, entry->runid, entry->attempt, req->method,
						cron_http_loggable_url(req->url, req->cxt), entry->message)));
	free_request(req);
	report(entry);
}

/* start one request on libcurl; false (and the entry reported) on failure */
static bool
add_request(HttpRequest *req)
{
	CronHttpEntry *entry = req->entry;

	req->easy = curl_easy_init();
	if (req->easy == NULL)
	{
		free_request(req);
		report_not_started(entry, "request failed: libcurl could not create a handle");
		return false;
	}
	cron_http_request_prepare(req);
	entry->start_time = GetCurrentTimestamp();
	cron_http_request_configure(req);
	if (curl_multi_add_handle(multi, req->easy) != CURLM_OK)
	{
		free_request(req);
		report_not_started(entry, "request failed: libcurl could not start the request");
		return false;
	}
	inflight[req->entryno] = req;
	pg_write_barrier();
	pg_atomic_write_u32(&entry->state, HE_RUNNING);
	cron_wake_scheduler();
	if (cronext_log_statement && !req->alert)
		ereport(LOG,
				(errmsg("cron job " INT64_FORMAT " run " INT64_FORMAT ": %s %s",
						entry->jobid, entry->runid, req->method, req->url)));
	return true;
}

/*
 * Start the requests the scheduler posted: one transaction reads all their
 * jobs, then each goes to libcurl at once.  If cron.job is locked, the
 * entries stay posted and are tried again shortly.
 */
static void
start_posted(void)
{
	int			entries[1000];
	int			n = 0;
	HttpRequest **reqs;
	char	  **problems;
	ErrorData  *edata = NULL;
	bool		ok;

	if (retry_posted_at > GetCurrentTimestamp())
		return;
	retry_posted_at = 0;
	for (int i = 0; i < queue->nentries && n < lengthof(entries); i++)
	{
		CronHttpEntry *entry = cron_http_entry(queue, i);

		if (inflight[i] == NULL &&
			pg_atomic_read_u32(&entry->state) == HE_ASSIGNED)
			entries[n++] = i;
	}
	if (n == 0)
		return;
	pg_read_barrier();

	reqs = palloc0(sizeof(HttpRequest *) * n);
	problems = palloc0(sizeof(char *) * n);
	ok = cron_http_read_posted(queue, entries, n, reqs, problems, &edata);

	if (!ok)
	{
		for (int i = 0; i < n; i++)
			if (reqs[i])
				free_request(reqs[i]);
		if (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
		{
			/* someone holds a lock on cron.job: the entries wait */
			retry_posted_at = GetCurrentTimestamp() + HTTP_RETRY_READ_MS * 1000;
			return;
		}
		ereport(WARNING,
				(errmsg("cronext HTTP worker could not read its jobs: %s", edata->message)));
		for (int i = 0; i < n; i++)
		{
			CronHttpEntry *entry = cron_http_entry(queue, entries[i]);

			/* an alert is tried again (its read may fail for another's row) */
			report_unsent(entry, psprintf("could not read the job: %s", edata->message),
						  entry->alertid != 0);
		}
		return;
	}

	for (int i = 0; i < n; i++)
	{
		CronHttpEntry *entry = cron_http_entry(queue, entries[i]);

		if (entry->cancel)
		{
			if (reqs[i])
				free_request(reqs[i]);
			report_not_started(entry, CRON_CANCELLED_MESSAGE);
		}
		else if (problems[i])
			report_not_started(entry, problems[i]);
		else if (reqs[i] == NULL && entry->alertid != 0)
			report_not_started(entry, "the alert was sent or given up meanwhile");
		else if (reqs[i] == NULL)
			report_not_started(entry, "the job was deleted or is no longer an HTTP job");
		else
			(void) add_request(reqs[i]);
	}
}

/* stop the requests cron.cancel_run asked to stop */
static void
serve_cancels(void)
{
	for (int i = 0; i < queue->nentries; i++)
	{
		HttpRequest *req = inflight[i];

		if (req != NULL && req->entry->cancel)
		{
			CronHttpEntry *entry = req->entry;

			free_request(req);
			entry->succeeded = false;
			entry->retryable = false;
			entry->has_body = false;
			strlcpy(entry->message, CRON_CANCELLED_MESSAGE, sizeof(entry->message));
			report(entry);
		}
	}
}

/* report every request libcurl finished */
static void
reap_finished(void)
{
	CURLMsg    *m;
	int			left;

	while ((m = curl_multi_info_read(multi, &left)) != NULL)
	{
		HttpRequest *req = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &req);
		if (req)
			complete(req, m->data.result);
	}
}

static void
drive(curl_socket_t fd, int flags)
{
	int			running;

	curl_multi_socket_action(multi, fd, flags, &running);
}

/*
 * Every request in flight and every cached connection is a socket: with
 * the usual soft limit of 1024 open files, cron.http_max_connections near
 * 1000 would fail to connect.  Raise the soft limit to the hard one (no
 * privilege needed), and say so if that is still too low.
 */
static void
raise_file_limit(void)
{
	struct rlimit rl;
	rlim_t		want = (rlim_t) cronext_http_max_connections * 2 + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max)
	{
		rl.rlim_cur = rl.rlim_max;
		(void) setrlimit(RLIMIT_NOFILE, &rl);
		(void) getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < want)
		ereport(WARNING,
				(errmsg("the cronext HTTP worker may open only %lu files, fewer than cron.http_max_connections (%d) needs",
						(unsigned long) rl.rlim_cur, cronext_http_max_connections),
				 errhint("Raise the server's open files limit (LimitNOFILE in its systemd unit) or lower cron.http_max_connections.")));
}

/*
 * Create the queue: cron.http_max_connections entries, each with room for
 * cron.http_max_response_bytes of body.  Only the entries' headers are
 * cleared: a body is written before it is read.
 */
static dsm_segment *
create_queue(void)
{
	Size		size = CronHttpQueueSize(cronext_http_max_connections,
										 cronext_http_max_response_bytes);
	dsm_segment *seg = dsm_create(size, 0);
	CronHttpQueue *q = dsm_segment_address(seg);

	dsm_pin_mapping(seg);
	memset(q, 0, sizeof(CronHttpQueue));
	q->nentries = cronext_http_max_connections;
	q->body_capacity = cronext_http_max_response_bytes;
	q->entry_size = CronHttpEntrySize(q->body_capacity);
	cron_scheduler_identity(NULL, &q->scheduler_pid);
	if (q->scheduler_pid == 0)
		proc_exit(0);			/* the scheduler that wanted us is gone */
	q->worker_procno = -1;
	for (int i = 0; i < q->nentries; i++)
	{
		CronHttpEntry *entry = cron_http_entry(q, i);

		memset(entry, 0, offsetof(CronHttpEntry, body));
		pg_atomic_init_u32(&entry->state, HE_FREE);
	}
	queue = q;
	return seg;
}

void
cron_http_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	MemoryContext loop_cxt;

	pqsignal(SIGTERM, die);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();

	/* the database of its scheduler, whose catalog holds the jobs */
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg),
											  InvalidOid, 0);
	cron_apply_log_min_messages();
	pgstat_report_appname("cronext http");
	raise_file_limit();
	seg = create_queue();

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
		(multi = curl_multi_init()) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("cronext HTTP worker: libcurl could not be initialized")));
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long) queue->nentries);

	inflight = MemoryContextAllocZero(TopMemoryContext,
									  sizeof(HttpRequest *) * queue->nentries);
	max_sockets = queue->nentries * 2 + 16;
	sockets = MemoryContextAllocZero(TopMemoryContext,
									 sizeof(HttpSocket) * max_sockets);

	queue->worker_pid = MyProcPid;
	pg_write_barrier();
	queue->worker_procno = MyProc->pgprocno;

	/* publish the queue; the scheduler maps it and posts runs */
	cron_http_queue_publish(dsm_segment_handle(seg), MyProcPid);
	cron_wake_scheduler();

	/* everything one iteration allocates goes when the next one starts */
	loop_cxt = AllocSetContextCreate(TopMemoryContext, "cronext http loop",
									 ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		WaitEvent	events[64];
		long		wait_ms = HTTP_LIVENESS_MS;
		int			nevents;
		pid_t		scheduler_pid;

		MemoryContextSwitchTo(loop_cxt);
		MemoryContextReset(loop_cxt);
		if (timer_ms >= 0)
		{
			long		left = timer_ms -
				(long) ((GetCurrentTimestamp() - timer_set_at) / 1000);

			wait_ms = Min(wait_ms, Max(left, 0));
		}
		if (retry_posted_at > 0)
		{
			long		left = (long) ((retry_posted_at - GetCurrentTimestamp()) / 1000);

			wait_ms = Min(wait_ms, Max(left, 0));
		}
		if (sockets_changed)
			rebuild_wait_set();

		nevents = WaitEventSetWait(wait_set, wait_ms, events, lengthof(events),
								   PG_WAIT_EXTENSION);
		for (int i = 0; i < nevents; i++)
		{
			if (events[i].events & WL_LATCH_SET)
				ResetLatch(MyLatch);
			else if (events[i].events & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE))
				drive(events[i].fd,
					  (events[i].events & WL_SOCKET_READABLE ? CURL_CSELECT_IN : 0) |
					  (events[i].events & WL_SOCKET_WRITEABLE ? CURL_CSELECT_OUT : 0));
		}
		if (timer_ms >= 0 &&
			GetCurrentTimestamp() - timer_set_at >= (int64) timer_ms * 1000)
		{
			timer_ms = -1;
			drive(CURL_SOCKET_TIMEOUT, 0);
		}

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			cron_apply_log_min_messages();
		}

		reap_finished();
		serve_cancels();
		start_posted();

		/* a new scheduler starts its own HTTP worker */
		cron_scheduler_identity(NULL, &scheduler_pid);
		if (scheduler_pid != queue->scheduler_pid)
			proc_exit(0);
	}
}
