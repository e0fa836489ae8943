/*-------------------------------------------------------------------------
 *
 * exec_command.c
 *	  Execute a job's command text as a simple-query message would be:
 *	  several statements allowed, run in one implicit transaction unless
 *	  the text itself contains transaction control, utility statements
 *	  such as VACUUM allowed when they are alone.
 *
 * This mirrors what the server does for a psql -c string, so a job behaves
 * as its owner sees it behave interactively.  When the caller gives hooks
 * and every statement can run in one transaction, the whole command runs
 * in one, with the caller's hooks before the first statement and before
 * the commit (the job worker records the run's outcome there).  The outcome is reported the
 * way pg_cron reports it: "N rows" (or "1 row") after a SELECT, otherwise
 * the last command tag ("INSERT 0 1", "DO", "VACUUM"), or the error message.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "pgstat.h"
#include "tcop/cmdtag.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"

#include "delivery.h"
#include "exec_command.h"
#include "text_clip.h"

/* the completion text psql would show for the last statement */
static void
format_completion(const QueryCompletion *qc, char *message, Size size)
{
	CommandTag	tag = qc->commandTag;

	if (tag == CMDTAG_UNKNOWN)
		strlcpy(message, "empty query", size);	/* only comments */
	else if (tag == CMDTAG_SELECT)
		snprintf(message, size, UINT64_FORMAT " row%s", qc->nprocessed,
				 qc->nprocessed == 1 ? "" : "s");
	else if (tag == CMDTAG_INSERT)
		snprintf(message, size, "INSERT 0 " UINT64_FORMAT, qc->nprocessed);
	else if (command_tag_display_rowcount(tag))
		snprintf(message, size, "%s " UINT64_FORMAT, GetCommandTagName(tag),
				 qc->nprocessed);
	else
		strlcpy(message, GetCommandTagName(tag), size);
}

/*
 * Run every statement of command.  Errors propagate to the caller; on
 * success the completion text of the last statement is in message.  With
 * hooks, if every statement can run in one transaction, *hooked is set
 * and the command runs in one with them (see exec_command.h); returns
 * false if before() said not to run it.
 */
static bool
run_statements(const char *command, MemoryContext command_context,
			   char *message, Size size, const CronCommandHooks *hooks,
			   bool *hooked)
{
	MemoryContext oldcontext;
	List	   *parsetrees;
	ListCell   *lc;
	bool		use_implicit_block;
	bool		xact_started;
	QueryCompletion last;

	oldcontext = MemoryContextSwitchTo(command_context);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	xact_started = true;
	/* the trees must outlive this transaction (StartTransactionCommand switched) */
	MemoryContextSwitchTo(command_context);
	parsetrees = pg_parse_query(command);
	use_implicit_block = list_length(parsetrees) > 1;
	InitializeQueryCompletion(&last);

	*hooked = hooks != NULL && cron_statements_are_transactional(parsetrees);
	if (*hooked)
	{
		bool		succeeded = false;
		bool		run;

		/*
		 * before() in a transaction of its own, committed before the
		 * command's starts: the command's first statement may be SET
		 * TRANSACTION, and its snapshot comes after the row was marked.
		 */
		run = hooks->before(hooks->arg, &succeeded, message, size);
		CommitTransactionCommand();
		if (!run)
		{
			MemoryContextSwitchTo(oldcontext);
			return succeeded;
		}
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();

		/*
		 * One transaction block, even for one statement: a statement that
		 * cannot run in one fails here rather than committing by itself.
		 */
		use_implicit_block = true;
		if (parsetrees == NIL)
		{
			strlcpy(message, "empty query", size);
			hooks->at_commit(hooks->arg, message);
		}
	}

	foreach(lc, parsetrees)
	{
		RawStmt    *parsetree = lfirst_node(RawStmt, lc);
		CommandTag	tag = CreateCommandTag(parsetree->stmt);
		bool		snapshot_set = false;
		List	   *querytrees;
		List	   *plantrees;
		Portal		portal;
		DestReceiver *receiver;
		QueryCompletion qc;

		if (!xact_started)
		{
			SetCurrentStatementStartTimestamp();
			StartTransactionCommand();
			xact_started = true;
		}
		if (use_implicit_block)
			BeginImplicitTransactionBlock();
		CHECK_FOR_INTERRUPTS();

		MemoryContextSwitchTo(command_context);
		if (analyze_requires_snapshot(parsetree))
		{
			PushActiveSnapshot(GetTransactionSnapshot());
			snapshot_set = true;
		}
		querytrees = pg_analyze_and_rewrite_fixedparams(parsetree, command,
														NULL, 0, NULL);
		plantrees = pg_plan_queries(querytrees, command,
									CURSOR_OPT_PARALLEL_OK, NULL);
		if (snapshot_set)
			PopActiveSnapshot();
		CHECK_FOR_INTERRUPTS();

		portal = CreatePortal("", true, true);
		portal->visible = false;
		PortalDefineQuery(portal, NULL, command, tag, plantrees, NULL);
		PortalStart(portal, NULL, 0, InvalidSnapshot);

		receiver = CreateDestReceiver(DestNone);
		InitializeQueryCompletion(&qc);
		(void) PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &qc);
		receiver->rDestroy(receiver);
		PortalDrop(portal, false);

		if (qc.commandTag == CMDTAG_UNKNOWN)
			qc.commandTag = tag;
		last = qc;

		if (lnext(parsetrees, lc) == NULL)
		{
			if (*hooked)
			{
				/* the outcome commits with the command's effects */
				format_completion(&last, message, size);
				CommandCounterIncrement();
				hooks->at_commit(hooks->arg, message);
			}
			if (use_implicit_block)
				EndImplicitTransactionBlock();
			CommitTransactionCommand();
			xact_started = false;
		}
		else if (IsA(parsetree->stmt, TransactionStmt))
		{
			CommitTransactionCommand();
			xact_started = false;
		}
		else
			CommandCounterIncrement();
	}

	if (xact_started)
	{
		/* an empty command: nothing ran */
		CommitTransactionCommand();
	}

	/*
	 * A BEGIN without COMMIT leaves a transaction block open; a session
	 * ending there would roll it back, and so do we, as a failure.
	 */
	if (IsTransactionBlock())
	{
		AbortCurrentTransaction();
		MemoryContextSwitchTo(oldcontext);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("the command left a transaction block open; it was rolled back"),
				 errhint("End the command with COMMIT.")));
	}

	MemoryContextSwitchTo(oldcontext);
	format_completion(&last, message, size);
	return true;
}

/*
 * Execute command with a time limit on the whole of it (0 = none).  Call
 * it outside any transaction, in a long-lived memory context.
 * Returns true on success; message receives the completion text or the
 * error message, cut on a character boundary to message_size.  The error
 * is also written to the server log, whole.  hooks may be NULL; *hooked
 * says whether they were used (the command ran in one transaction).
 */
bool
cron_execute_command(const char *command, int timeout_ms, char *message,
					 Size message_size, const CronCommandHooks *hooks,
					 bool *hooked)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	MemoryContext command_context;
	volatile bool ok = true;
	volatile bool hooked_local = false;

	/* the parse trees must survive the commits of transaction statements */
	command_context = AllocSetContextCreate(TopMemoryContext,
											"cronext command",
											ALLOCSET_DEFAULT_SIZES);
	pgstat_report_activity(STATE_RUNNING, command);
	if (timeout_ms > 0)
		enable_timeout_after(STATEMENT_TIMEOUT, timeout_ms);

	PG_TRY();
	{
		ok = run_statements(command, command_context, message, message_size,
							hooks, (bool *) &hooked_local);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		cron_text_copy(message, edata->message ? edata->message : "unknown error",
					   message_size);
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();

	if (timeout_ms > 0)
		disable_timeout(STATEMENT_TIMEOUT, false);
	MemoryContextSwitchTo(oldcontext);
	MemoryContextDelete(command_context);
	pgstat_report_activity(STATE_IDLE, NULL);
	if (hooked)
		*hooked = hooked_local;
	return ok;
}
