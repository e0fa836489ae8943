/*-------------------------------------------------------------------------
 *
 * home_db.h
 *	  The catalog the scheduler reads: its version, copies and renames of
 *	  its database (home_db.c).
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

/* what the scheduler finds installed in its database */
typedef enum CronCatalogState
{
	CATALOG_ABSENT,				/* neither cronext nor pg_cron */
	CATALOG_PG_CRON,			/* pg_cron, not yet taken over */
	CATALOG_OLD,				/* cronext, a version to update from */
	CATALOG_UNKNOWN,			/* cronext, a version this library does not know */
	CATALOG_READY				/* cronext, CRONEXT_CATALOG_VERSION */
} CronCatalogState;

extern CronCatalogState cron_home_catalog_state(char **version);

#endif							/* CRONEXT_HOME_DB_H */
