/*-------------------------------------------------------------------------
 *
 * name_pool.h
 *	  One shared copy of each string the job cache holds (name_pool.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRON_NAME_POOL_H
#define CRON_NAME_POOL_H

#include "lib/ilist.h"

/*
 * A pooled string.  As a role name, it also heads the role's SQL jobs with
 * slots waiting to be claimed (job_cache.c), so that claiming walks each
 * role's few first jobs, not every job with a slot due.
 */
typedef struct CronName
{
	char	   *str;			/* the string, also the hash key */
	int			refs;			/* jobs holding it */
	dlist_head	ready;			/* the role's SQL jobs with queued slots */
	dlist_node	owners_node;	/* in the list of roles with such jobs */
} CronName;

extern void cron_name_pool_init(MemoryContext cxt);
extern CronName *cron_name_hold(const char *str);
extern void cron_name_release(CronName *name);
extern const char *cron_name_hold_str(const char *str);
extern void cron_name_release_str(const char *str);

#endif							/* CRON_NAME_POOL_H */
