/*-------------------------------------------------------------------------
 *
 * job_guard.h
 *	  One write to cron.job as the guard trigger sees it (job_guard_row.c),
 *	  and the HTTP rules of the guard (job_guard_http.c), for the trigger
 *	  itself (job_guard.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_JOB_GUARD_H
#define CRONEXT_JOB_GUARD_H

#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/rel.h"

/* the columns of cron.job the guard reads or writes */
typedef enum GuardCol
{
	GC_JOBID,
	GC_SCHEDULE,
	GC_COMMAND,
	GC_DATABASE,
	GC_USERNAME,
	GC_ACTIVE,
	GC_JOBNAME,
	GC_KIND,
	GC_TIMEZONE,
	GC_CATCHUP,
	GC_CATCHUP_WINDOW,
	GC_OVERLAP,
	GC_MAX_RETRIES,
	GC_RETRY_DELAY,
	GC_TIMEOUT,
	GC_CREATED_AT,
	GC_UPDATED_AT,
	GC_HTTP_METHOD,
	GC_HTTP_URL,
	GC_HTTP_HEADERS,
	GC_HTTP_BODY,
	GC_HTTP_EXPECT_STATUS,
	GC_ROLEID,
	GC_ALERT_URL,
	GC_EXPECT_SUCCESS_WITHIN,
	GC_PAUSED_AT,
	GC_NCOLS
} GuardCol;

/*
 * One row write: NEW (as the guard changes it) and, for an UPDATE, OLD,
 * deformed; col[] maps each GuardCol to its index in them (positions
 * differ between a fresh catalog and an updated one).
 */
typedef struct GuardRow
{
	bool		is_insert;
	bool		is_restore;		/* a superuser's INSERT with its jobid */
	bool		caller_is_superuser;
	TupleDesc	desc;
	const int  *col;
	Datum	   *nv;
	bool	   *nn;
	Datum	   *ov;				/* NULL for an INSERT */
	bool	   *on;
} GuardRow;

#define NEW_NULL(r, c)	((r)->nn[(r)->col[(c)]])
#define NEW_VAL(r, c)	((r)->nv[(r)->col[(c)]])
#define OLD_NULL(r, c)	((r)->on[(r)->col[(c)]])
#define OLD_VAL(r, c)	((r)->ov[(r)->col[(c)]])

/* job_guard_row.c */
extern const int *cron_guard_columns(FmgrInfo *flinfo, TriggerData *td);
extern void cron_guard_set(GuardRow *row, GuardCol c, Datum value, bool isnull);
extern bool cron_guard_distinct(const GuardRow *row, GuardCol c);
extern bool cron_guard_same_but_watching(const GuardRow *row);
extern char *cron_guard_text(const GuardRow *row, GuardCol c);
extern bool cron_guard_text_is(Datum value, const char *literal);
extern bool cron_guard_one_of(const GuardRow *row, GuardCol c,
							  const char *const *list, int n);
extern const char *cron_guard_job_label(const GuardRow *row);
extern int64 cron_guard_octets(Datum varlena);
extern Oid	cron_guard_function(const char *proname, int nargs,
								const Oid *argtypes, const char *signature);

/* job_guard_http.c */
extern bool cron_guard_http_allowed(void);
extern void cron_guard_check_url(Datum url);
extern void cron_guard_http(GuardRow *row);

#endif							/* CRONEXT_JOB_GUARD_H */
