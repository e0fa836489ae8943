/*-------------------------------------------------------------------------
 *
 * delivery.c
 *	  Which guarantee a SQL job's command can have: exactly-once effect
 *	  (the command and its run's 'succeeded' commit together) or
 *	  at-most-once.
 *
 * Exactly-once needs the whole command to run in one transaction in the
 * database that holds the ledger, so that the job worker can write the
 * outcome in that same transaction.  A command that runs elsewhere, or
 * that contains a statement PostgreSQL refuses inside a transaction block
 * (VACUUM, CREATE INDEX CONCURRENTLY, CREATE DATABASE...) or one that may
 * commit by itself (transaction control, CALL of a procedure, DO), keeps
 * at-most-once.  The job worker asks this of the statements it is about to
 * run; cron.job_status asks it of the command text (cron._delivery).  When
 * in doubt (a statement that may or may not commit by itself depending on
 * what it names), at-most-once; and the worker runs an exactly-once
 * command inside a transaction block, so that a statement misjudged here
 * fails rather than commits alone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "delivery.h"

/* may this statement run inside the transaction that records its run? */
static bool
statement_is_transactional(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_TransactionStmt:
		case T_CallStmt:		/* a procedure may COMMIT */
		case T_DoStmt:			/* so may a DO block */
		case T_CreatedbStmt:
		case T_DropdbStmt:
		case T_AlterDatabaseStmt:
		case T_AlterSystemStmt:
		case T_CreateTableSpaceStmt:
		case T_DropTableSpaceStmt:
		case T_CreateSubscriptionStmt:
		case T_AlterSubscriptionStmt:
		case T_DropSubscriptionStmt:
		case T_DiscardStmt:
			return false;
		case T_VacuumStmt:
			/* VACUUM; ANALYZE of several tables commits per table */
			return false;
		case T_ClusterStmt:
		case T_ReindexStmt:
			/* of a partitioned table, or CONCURRENTLY: not in a block */
			return false;
		case T_IndexStmt:
			return !((IndexStmt *) stmt)->concurrent;
		case T_AlterTableStmt:
			{
				ListCell   *lc;

				foreach(lc, ((AlterTableStmt *) stmt)->cmds)
				{
					AlterTableCmd *cmd = lfirst(lc);

					if (cmd->subtype == AT_DetachPartition &&
						((PartitionCmd *) cmd->def)->concurrent)
						return false;
				}
				return true;
			}
		case T_DropStmt:
			return !((DropStmt *) stmt)->concurrent;
		default:
			return true;
	}
}

/* may every statement of a raw parse tree list run in one transaction? */
bool
cron_statements_are_transactional(List *raw_parsetrees)
{
	ListCell   *lc;

	foreach(lc, raw_parsetrees)
	{
		RawStmt    *raw = lfirst_node(RawStmt, lc);

		if (!statement_is_transactional(raw->stmt))
			return false;
	}
	return true;
}

/*
 * The guarantee of a job: exactly-once for a SQL job in the ledger's
 * database whose statements all run in one transaction.  A command that
 * does not parse never has an effect: it counts as exactly-once.
 *
 * The parse errors of the grammar are caught without a subtransaction:
 * the raw parser only allocates memory (in a context of our own, deleted
 * here) and takes no lock, buffer or other resource an error would leave
 * behind.
 */
CronDelivery
cron_delivery_of(bool http, const char *command, bool in_ledger_database)
{
	MemoryContext cxt;
	MemoryContext old;
	volatile bool transactional = true;

	if (http || !in_ledger_database)
		return CRON_AT_MOST_ONCE;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "cronext delivery",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		transactional = cron_statements_are_transactional(raw_parser(command, RAW_PARSE_DEFAULT));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		transactional = true;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return transactional ? CRON_EXACTLY_ONCE : CRON_AT_MOST_ONCE;
}

const char *
cron_delivery_name(CronDelivery delivery)
{
	return delivery == CRON_EXACTLY_ONCE ? "exactly-once" : "at-most-once";
}

/*
 * cron._delivery(kind, command, database): the guarantee of a job, as
 * cron.job_status shows it.
 */
PG_FUNCTION_INFO_V1(cron_delivery_sql);

Datum
cron_delivery_sql(PG_FUNCTION_ARGS)
{
	char	   *kind;
	char	   *command;
	char	   *database;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
	command = text_to_cstring(PG_GETARG_TEXT_PP(1));
	database = text_to_cstring(PG_GETARG_TEXT_PP(2));
	PG_RETURN_TEXT_P(cstring_to_text(cron_delivery_name(
		cron_delivery_of(strcmp(kind, "http") == 0, command,
						 strcmp(database, get_database_name(MyDatabaseId)) == 0))));
}
