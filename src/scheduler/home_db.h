/*-------------------------------------------------------------------------
 *
 * home_db.h
 *	  Copies and renames of the scheduler's database (home_db.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_HOME_DB_H
#define CRONEXT_HOME_DB_H

typedef enum CronHome
{
	CRON_HOME_OURS,				/* the catalog was made here */
	CRON_HOME_RENAMED,			/* here, under another name: followed */
	CRON_HOME_COPY				/* copied from another database */
} CronHome;

extern CronHome cron_home_check(char **original);

#endif							/* CRONEXT_HOME_DB_H */
