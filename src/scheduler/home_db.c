/*-------------------------------------------------------------------------
 *
 * home_db.c
 *	  The catalog the scheduler reads, as a whole: which version of cronext
 *	  (or pg_cron) is installed in its database, and whether the catalog was
 *	  made there: a copy of a database (CREATE DATABASE ... TEMPLATE, a file
 *	  copy) runs none of the jobs it copied until cron.adopt_copied_jobs()
 *	  says so, and a renamed database carries its jobs' database column
 *	  along.
 *
 * cron._home_database holds the OID and name of the database the catalog
 * belongs to (written by CREATE EXTENSION).  The scheduler compares them
 * with its own when it first finds the catalog, in the pass transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include "cronext.h"

#include "home_db.h"

/*
 * Look at cron._home_database: CRON_HOME_OURS, CRON_HOME_RENAMED (after
 * the jobs and the row followed the new name), or CRON_HOME_COPY (with
 * the original's name in *original, in the caller's context).
 */
CronHome
cron_home_check(char **original)
{
	bool		isnull;
	Oid			datoid;
	char	   *datname;
	char	   *here = get_database_name(MyDatabaseId);
	Datum		args[2];
	Oid			types[2] = {TEXTOID, TEXTOID};
	uint64		moved;

	if (SPI_execute("SELECT datoid, datname::pg_catalog.text FROM cron._home_database",
					true, 1) != SPI_OK_SELECT)
		elog(ERROR, "cronext: could not read cron._home_database");
	if (SPI_processed == 0)
		return CRON_HOME_OURS;	/* emptied by hand: nothing to compare */
	datoid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 1, &isnull));
	datname = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

	if (datoid != MyDatabaseId)
	{
		*original = datname;
		return CRON_HOME_COPY;
	}
	if (strcmp(datname, here) == 0)
		return CRON_HOME_OURS;

	/* renamed: the jobs that named this database by its old name follow */
	args[0] = CStringGetTextDatum(here);
	args[1] = CStringGetTextDatum(datname);
	/*
	 * Past the guard trigger: moving a job to its database's new name must
	 * not depend on its owner still being able to log in or connect (the
	 * guard's checks for a job moved to another database); the scheduler
	 * reads every job again on its next pass.
	 */
	if (SPI_execute("SET LOCAL session_replication_role = replica", false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "cronext: could not set session_replication_role");
	if (SPI_execute_with_args("UPDATE cron.job SET database = $1 "
							  "WHERE database OPERATOR(pg_catalog.=) $2",
							  2, types, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "cronext: could not update cron.job after a rename");
	moved = SPI_processed;
	if (SPI_execute("SET LOCAL session_replication_role = origin", false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "cronext: could not set session_replication_role");
	if (SPI_execute_with_args("UPDATE cron._home_database SET datname = $1::pg_catalog.name",
							  1, types, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "cronext: could not update cron._home_database");
	ereport(LOG,
			(errmsg("database \"%s\" was renamed \"%s\": " UINT64_FORMAT " cronext job%s now name the new name",
					datname, here, moved, moved == 1 ? "" : "s")));
	return CRON_HOME_RENAMED;
}

/*
 * The installed version of an extension in this database, palloc'd, or
 * NULL if it is not installed.  An index scan, cheap enough for every pass.
 */
static char *
extension_version(const char *name)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	char	   *version = NULL;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum(name));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;
		Datum		d = heap_getattr(tuple, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			version = text_to_cstring(DatumGetTextPP(d));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return version;
}

/*
 * What the scheduler finds in its database (in a transaction): cronext's
 * catalog at the version this library needs, at an older or an unknown
 * version, pg_cron's catalog without cronext, or nothing.  *version is the
 * installed cronext version, or pg_cron's for CATALOG_PG_CRON.
 */
CronCatalogState
cron_home_catalog_state(char **version)
{
	char	   *v = extension_version("cronext");

	*version = v;
	if (v == NULL)
	{
		*version = extension_version("pg_cron");
		return *version ? CATALOG_PG_CRON : CATALOG_ABSENT;
	}
	if (strcmp(v, CRONEXT_CATALOG_VERSION) == 0)
		return CATALOG_READY;
	/* the versions an ALTER EXTENSION cronext UPDATE brings here */
	if (strcmp(v, "1.0") == 0 || strcmp(v, "1.1") == 0 || strcmp(v, "1.2") == 0 ||
		strcmp(v, "1.3") == 0)
		return CATALOG_OLD;
	return CATALOG_UNKNOWN;
}
