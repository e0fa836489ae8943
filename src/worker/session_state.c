/*-------------------------------------------------------------------------
 *
 * session_state.c
 *	  A pooled job worker's session between runs: what settings a new
 *	  session of its role and database would start with, and forgetting
 *	  everything a run did to the session.
 *
 * Both run once per run, so both avoid the SQL layer: the settings are
 * read from pg_db_role_setting through its index, and the reset calls
 * what DISCARD ALL calls, except for the reset of the plan cache.  Cached
 * plans are not session state a run can see (PostgreSQL invalidates them
 * itself when what they depend on changes, the search_path included), and
 * resetting them would make the worker plan its own ledger statements
 * again for every run (run_record.c keeps them).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_db_role_setting.h"
#include "commands/async.h"
#include "commands/prepare.h"
#include "commands/sequence.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/rel.h"

#include "session_state.h"

/* append the settings of one (database, role) pair, if any */
static void
append_settings(StringInfo buf, Relation rel, Oid dbid, Oid roleid)
{
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;

	ScanKeyInit(&keys[0], Anum_pg_db_role_setting_setdatabase,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(dbid));
	ScanKeyInit(&keys[1], Anum_pg_db_role_setting_setrole,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(roleid));
	scan = systable_beginscan(rel, DbRoleSettingDatidRolidIndexId, true,
							  NULL, 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		config = heap_getattr(tuple, Anum_pg_db_role_setting_setconfig,
										  RelationGetDescr(rel), &isnull);

		appendStringInfo(buf, "%u/%u=%s;", dbid, roleid,
						 isnull ? "" : OidOutputFunctionCall(F_ARRAY_OUT, config));
	}
	systable_endscan(scan);
}

/*
 * The role and database settings (ALTER ROLE / ALTER DATABASE ... SET)
 * that a new session of this role in this database would start with, as
 * text (in the caller's memory context), to compare with an earlier call.
 */
char *
cron_session_settings(void)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			roleid = GetSessionUserId();
	StringInfoData buf;
	Relation	rel;
	char	   *result;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	/* the scan's memory goes with the transaction */
	initStringInfo(&buf);
	rel = table_open(DbRoleSettingRelationId, AccessShareLock);
	append_settings(&buf, rel, InvalidOid, InvalidOid);
	append_settings(&buf, rel, InvalidOid, roleid);
	append_settings(&buf, rel, MyDatabaseId, InvalidOid);
	append_settings(&buf, rel, MyDatabaseId, roleid);
	table_close(rel, AccessShareLock);
	result = MemoryContextStrdup(cxt, buf.data);
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
	return result;
}

/*
 * Forget everything the last run did to the session: its cursors, session
 * authorization, settings, prepared statements, LISTENs, advisory locks,
 * temporary objects and sequence state; the same as DISCARD ALL but for
 * the plan cache (see the header).  False if that failed (the error is
 * logged): such a session must serve no further run.
 */
bool
cron_session_reset(void)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		/* closing a cursor may run user code: first, as DISCARD ALL does */
		PortalHashTableDeleteAll();
		SetPGVariable("session_authorization", NIL, false);
		ResetAllOptions();
		DropAllPreparedStatements();
		Async_UnlistenAll();
		LockReleaseAll(USER_LOCKMETHOD, true);
		ResetTempTableNamespace();
		ResetSequenceCaches();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	return ok;
}
