/*-------------------------------------------------------------------------
 *
 * shared.h
 *	  The protocols over cronext's state in the server's main shared
 *	  memory (shared.c): which databases have a scheduler, how processes
 *	  reach a scheduler and each other, which jobs changed, the queues of
 *	  cron.run_job and cron.cancel_run requests, and where each HTTP
 *	  worker's queue is.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_SHARED_H
#define CRONEXT_SHARED_H

#include "datatype/timestamp.h"

/*
 * Job ids changed since the scheduler last looked; more means "all" (a
 * full re-read).  Well above the default cron.max_jobs_per_role, so that a
 * role changing all its jobs, even twice between two passes, cannot force
 * a full re-read.
 */
#define CRON_MAX_CHANGED_JOBS		4096

/* cron.cancel_run requests waiting for the scheduler */
#define CRON_MAX_CANCEL_REQUESTS	64

/* cron.run_job requests waiting for the scheduler */
#define CRON_MAX_MANUAL_REQUESTS	64

typedef struct CronManualRequest
{
	int64		jobid;			/* 0 = free entry */
	uint64		ticket;			/* identifies the request to its caller */
	int64		runid;			/* set by the scheduler: 0 pending, -1 refused */
	TimestampTz scheduled_for;	/* the manual slot, set by the scheduler */
	char		message[128];	/* why it was refused */
} CronManualRequest;

/*
 * What the launcher knows of a database (launcher.c); a scheduler reports
 * what it found before it exits.
 */
typedef enum CronDbState
{
	CRON_DB_UNKNOWN,			/* not looked at yet: start a scheduler to look */
	CRON_DB_WANTED,				/* has cronext: its scheduler runs */
	CRON_DB_ABSENT,				/* no cronext: nothing until CREATE EXTENSION */
	CRON_DB_COPY,				/* a copy of another database: its jobs wait
								 * for cron.adopt_copied_jobs() */
	CRON_DB_GONE				/* (launcher) the database was dropped */
} CronDbState;

/* what a scheduler publishes once a pass (cron.scheduler_metrics) */
typedef struct CronSchedulerMetrics
{
	int64		jobs_loaded;
	int			runs_running;	/* handed to a worker or the HTTP queue */
	int			runs_waiting;	/* claimed, waiting for a place or a retry */
	int			workers_busy;	/* job workers running a run */
	int			workers_max;	/* cron.max_running_jobs */
	int			http_in_flight; /* HTTP queue entries in use (runs and alerts) */
	int			http_max;		/* cron.http_max_connections */
} CronSchedulerMetrics;

/* one running scheduler's metrics */
typedef struct CronDbMetrics
{
	Oid			dboid;
	pid_t		pid;
	CronSchedulerMetrics m;
} CronDbMetrics;

/* the launcher's copy of one database's entry */
typedef struct CronDbView
{
	Oid			dboid;
	CronDbState state;
	bool		start_now;
	bool		held;
	TimestampTz held_since;
	pid_t		scheduler_pid;
} CronDbView;

/* shared.c: setting up */
extern void cron_shared_request(void);

/* processes */
extern void cron_wake_proc(int procno);
extern void cron_wake_scheduler(void);
extern void cron_wake_scheduler_of(Oid dboid);
extern pid_t cron_scheduler_pid_of(Oid dboid);
extern bool cron_scheduler_attach(void);
extern void cron_scheduler_detach(void);
extern void cron_scheduler_identity(int *procno, pid_t *pid);
extern bool cron_scheduler_must_leave(void);
extern void cron_scheduler_set_state(CronDbState state, uint64 gen);
extern void cron_scheduler_publish_metrics(const CronSchedulerMetrics *m);
extern int	cron_metrics_snapshot(CronDbMetrics *out, int max);
extern int	cron_max_databases_slots(void);
extern uint64 cron_scheduler_start_gen(void);

/* the launcher and the databases */
extern void cron_launcher_attach(bool running);
extern int	cron_launcher_take(CronDbView *out, bool *rescan);
extern bool cron_launcher_add_db(Oid dboid);
extern void cron_launcher_set_state(Oid dboid, CronDbState state);
extern void cron_launcher_release_stale_hold(Oid dboid);
extern bool cron_db_request_start(Oid dboid);
extern void cron_db_request_rescan(void);
extern void cron_db_hold(Oid dboid);
extern void cron_db_unhold(Oid dboid);

/* jobs changed (job_changed.c publishes, the scheduler takes) */
extern void cron_publish_changed_jobs(const int64 *ids, int n, bool all);
extern int	cron_take_changed_jobs(int64 *ids, bool *overflow);

/* cron.cancel_run */
extern bool cron_cancel_post(int64 runid);
extern int	cron_take_cancel_requests(int64 *runids);

/* cron.run_job: a backend posts and waits, the scheduler takes and replies */
extern int	cron_manual_post(int64 jobid);
extern int64 cron_manual_answer(int idx, char *message, size_t msglen,
								bool *scheduler_gone);
extern void cron_manual_prepare_wait(void);
extern bool cron_manual_wait(long timeout_ms);
extern void cron_manual_forget(int idx);
extern int	cron_manual_take(CronManualRequest *out);
extern void cron_manual_reply(uint64 ticket, int64 runid,
							  TimestampTz scheduled_for, const char *message);
extern void cron_manual_answers_done(void);

/* the HTTP worker's queue */
extern void cron_http_queue_publish(uint32 handle, pid_t worker_pid);
extern void cron_http_queue_lookup(uint32 *handle, pid_t *worker_pid);

#endif							/* CRONEXT_SHARED_H */
