/*-------------------------------------------------------------------------
 *
 * db_events.c
 *	  What the launcher must hear of the statements that create, change or
 *	  remove cronext and the databases it lives in, and who may create it.
 *
 * A utility hook watches the statements:
 *	- CREATE EXTENSION cronext (and ALTER EXTENSION cronext UPDATE): at
 *	  commit, the database's scheduler is to start now.  Who may create
 *	  it: superusers, and members of the role cron.creator_role names
 *	  (the extension is trusted so that PostgreSQL lets them; taking over
 *	  pg_cron stays a superuser's).
 *	- DROP EXTENSION cronext: at commit, its scheduler is woken to see
 *	  that the catalog is gone, and leaves.
 *	- DROP DATABASE, ALTER DATABASE RENAME, and CREATE DATABASE from a
 *	  template: PostgreSQL refuses them while anyone is connected to the
 *	  database, so for the length of the statement the database is held:
 *	  its scheduler (and so its HTTP worker and idle job workers) leaves,
 *	  and the launcher starts it again afterwards if the database is still
 *	  there.  A new database, or one whose settings changed, is looked at
 *	  once the statement commits (the launcher's scan would not see it
 *	  before).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/syscache.h"

#include "cronext.h"
#include "db_events.h"
#include "shared.h"

static ProcessUtility_hook_type prev_process_utility = NULL;

/* what this transaction asks of the launcher or the scheduler at commit */
static bool start_at_commit = false;
static bool wake_at_commit = false;
static bool rescan_at_commit = false;	/* pg_database changed */

static void
db_events_xact(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
	{
		/* no catalog access here: the transaction has committed */
		if (start_at_commit && !cron_db_request_start(MyDatabaseId))
			ereport(WARNING,
					(errmsg("cronext cannot run a scheduler for this database (OID %u): cron.max_databases (%d) databases have one",
							MyDatabaseId, cronext_max_databases),
					 errhint("Raise cron.max_databases and restart the server.")));
		if (wake_at_commit)
			cron_wake_scheduler();
		if (rescan_at_commit)
			cron_db_request_rescan();
	}
	/*
	 * A prepared transaction commits in another session, which does not
	 * know: the launcher finds its effect at its next look, or at the next
	 * server start.
	 */
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
	{
		start_at_commit = false;
		wake_at_commit = false;
		rescan_at_commit = false;
	}
}

/*
 * cron._start_scheduler_at_commit(): the commit of this transaction starts
 * this database's scheduler (cron.adopt_copied_jobs uses it).
 */
PG_FUNCTION_INFO_V1(cron_start_scheduler_at_commit_sql);

Datum
cron_start_scheduler_at_commit_sql(PG_FUNCTION_ARGS)
{
	start_at_commit = true;
	PG_RETURN_VOID();
}

/*
 * CREATE EXTENSION cronext by a role that is not a superuser: only members
 * of cron.creator_role, and never over pg_cron (taking it over drops
 * another extension and carries its privileges).
 */
static void
check_creator(void)
{
	Oid			role;

	if (superuser())
		return;
	role = (cronext_creator_role && cronext_creator_role[0]) ?
		get_role_oid(cronext_creator_role, true) : InvalidOid;
	if (!OidIsValid(role) || !is_member_of_role(GetUserId(), role))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create extension \"cronext\""),
				 errhint("Superusers may create it, and so may members of the role named by cron.creator_role (now %s).",
						 (cronext_creator_role && cronext_creator_role[0]) ?
						 quote_literal_cstr(cronext_creator_role) : "empty")));
	if (OidIsValid(get_extension_oid("pg_cron", true)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser can take over pg_cron"),
				 errdetail("Database \"%s\" has pg_cron; creating cronext here would drop it.",
						   get_database_name(MyDatabaseId))));
}

/* does a DROP statement drop extension cronext? */
static bool
drops_cronext(DropStmt *stmt)
{
	ListCell   *lc;

	if (stmt->removeType != OBJECT_EXTENSION)
		return false;
	foreach(lc, stmt->objects)
	{
		Node	   *obj = lfirst(lc);

		if (IsA(obj, String) && strcmp(strVal(obj), "cronext") == 0)
			return true;
	}
	return false;
}

/*
 * The database a statement needs nobody connected to, or InvalidOid: only
 * when the statement can go ahead as far as privileges go (a role that may
 * not drop, rename or copy the database must not be able to make its
 * scheduler leave by trying), and outside a transaction block where it
 * must be (PostgreSQL refuses it there).
 */
static Oid
database_to_hold(Node *stmt)
{
	const char *name = NULL;
	Oid			dboid;
	bool		owner_needed = true;

	if (IsA(stmt, DropdbStmt))
		name = ((DropdbStmt *) stmt)->dbname;
	else if (IsA(stmt, RenameStmt) &&
			 ((RenameStmt *) stmt)->renameType == OBJECT_DATABASE)
		name = ((RenameStmt *) stmt)->subname;
	else if (IsA(stmt, AlterDatabaseStmt))
	{
		ListCell   *lc;

		/* only ALTER DATABASE ... SET TABLESPACE needs it free */
		foreach(lc, ((AlterDatabaseStmt *) stmt)->options)
		{
			DefElem    *opt = lfirst(lc);

			if (strcmp(opt->defname, "tablespace") == 0)
				name = ((AlterDatabaseStmt *) stmt)->dbname;
		}
	}
	else if (IsA(stmt, CreatedbStmt))
	{
		ListCell   *lc;

		name = "template1";
		foreach(lc, ((CreatedbStmt *) stmt)->options)
		{
			DefElem    *opt = lfirst(lc);

			if (strcmp(opt->defname, "template") == 0 && opt->arg != NULL)
				name = defGetString(opt);
		}
		/* a database marked as a template may be copied by anyone allowed to create */
		owner_needed = false;
	}
	if (name == NULL || IsTransactionBlock())
		return InvalidOid;
	dboid = get_database_oid(name, true);
	if (!OidIsValid(dboid) || superuser())
		return dboid;
	if (IsA(stmt, CreatedbStmt) || IsA(stmt, RenameStmt))
	{
		if (!have_createdb_privilege())
			return InvalidOid;
	}
	if (IsA(stmt, CreatedbStmt))
	{
		HeapTuple	tup = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dboid));

		if (HeapTupleIsValid(tup))
		{
			owner_needed = !((Form_pg_database) GETSTRUCT(tup))->datistemplate;
			ReleaseSysCache(tup);
		}
	}
	if (owner_needed && !pg_database_ownercheck(dboid, GetUserId()))
		return InvalidOid;
	return dboid;
}

static void
call_next(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
		  ProcessUtilityContext context, ParamListInfo params,
		  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context,
							 params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

static void
db_events_utility(PlannedStmt *pstmt, const char *queryString,
				  bool readOnlyTree, ProcessUtilityContext context,
				  ParamListInfo params, QueryEnvironment *queryEnv,
				  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *stmt = pstmt->utilityStmt;
	Oid			held;

	if (IsA(stmt, CreateExtensionStmt) &&
		strcmp(((CreateExtensionStmt *) stmt)->extname, "cronext") == 0)
	{
		/* IF NOT EXISTS of an installed extension is a no-op for anyone */
		if (!(((CreateExtensionStmt *) stmt)->if_not_exists &&
			  OidIsValid(get_extension_oid("cronext", true))))
			check_creator();
		start_at_commit = true;
	}
	else if (IsA(stmt, AlterExtensionStmt) &&
			 strcmp(((AlterExtensionStmt *) stmt)->extname, "cronext") == 0)
		start_at_commit = true;
	else if (IsA(stmt, DropStmt) && drops_cronext((DropStmt *) stmt))
		wake_at_commit = true;

	held = database_to_hold(stmt);
	if (!OidIsValid(held))
	{
		call_next(pstmt, queryString, readOnlyTree, context, params,
				  queryEnv, dest, qc);
		/* the launcher reads pg_database once the change is committed */
		if (IsA(stmt, AlterDatabaseStmt) || IsA(stmt, AlterDatabaseSetStmt))
			rescan_at_commit = true;
		return;
	}

	cron_db_hold(held);
	PG_TRY();
	{
		call_next(pstmt, queryString, readOnlyTree, context, params,
				  queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		cron_db_unhold(held);
	}
	PG_END_TRY();
	/* a database created, renamed or dropped: looked at once committed */
	rescan_at_commit = true;
}

/* install the hooks; called from _PG_init */
void
cron_db_events_install(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = db_events_utility;
	RegisterXactCallback(db_events_xact, NULL);
}
