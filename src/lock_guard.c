/*-------------------------------------------------------------------------
 *
 * lock_guard.c
 *	  Refuses the table locks on cronext's tables that would let one role
 *	  stall the scheduler and every other role.
 *
 * Roles may write their own rows of cron.job (row-level security), and
 * PostgreSQL lets whoever may write a table LOCK it in any mode.  An
 * ACCESS EXCLUSIVE lock held in an open transaction would stop the
 * scheduler's reads, the HTTP worker, and every other role's cron.schedule,
 * cron.run_job and reads of cron.job_status.  So a utility hook refuses,
 * for non-superusers, every LOCK stronger than ACCESS SHARE (which any
 * SELECT takes, and pg_dump asks for) on a relation in schema cron, also
 * when it is reached through a view, which LOCK follows to its tables.
 *
 * What a role can still hold is harmless to others: ACCESS SHARE, and the
 * ROW SHARE / ROW EXCLUSIVE locks of its own DML, which conflict with none
 * of the scheduler's or other roles' statements, plus row locks on its own
 * jobs only.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "rewrite/rewriteHandler.h"
#include "storage/lmgr.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "lock_guard.h"

/* views within views are followed this deep, as a guard against cycles */
#define MAX_VIEW_DEPTH	32

static ProcessUtility_hook_type prev_process_utility = NULL;

typedef struct LockWalk
{
	Oid			cron_nsp;
	int			depth;
	Oid			found;			/* a cron relation reached, or InvalidOid */
} LockWalk;

static void check_relation(Oid relid, LockWalk *walk);

static bool
lock_walker(Node *node, LockWalk *walk)
{
	if (node == NULL || OidIsValid(walk->found))
		return false;
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;

		if (rte->rtekind == RTE_RELATION)
			check_relation(rte->relid, walk);
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, lock_walker, walk,
								 QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, lock_walker, walk);
}

/* does LOCK on relid reach a relation of schema cron? */
static void
check_relation(Oid relid, LockWalk *walk)
{
	Relation	rel;

	if (OidIsValid(walk->found))
		return;
	if (get_rel_namespace(relid) == walk->cron_nsp)
	{
		walk->found = relid;
		return;
	}
	if (get_rel_relkind(relid) != RELKIND_VIEW || walk->depth >= MAX_VIEW_DEPTH)
		return;
	rel = relation_open(relid, AccessShareLock);
	walk->depth++;
	(void) lock_walker((Node *) get_view_query(rel), walk);
	walk->depth--;
	relation_close(rel, AccessShareLock);
}

static const char *
lock_mode_name(int mode)
{
	static const char *const names[] = {
		"", "ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE",
		"SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE",
		"EXCLUSIVE", "ACCESS EXCLUSIVE"
	};

	return mode >= 1 && mode < (int) lengthof(names) ? names[mode] : "?";
}

static void
check_lock_stmt(LockStmt *stmt)
{
	LockWalk	walk;
	ListCell   *lc;

	if (stmt->mode <= AccessShareLock || superuser())
		return;
	walk.cron_nsp = get_namespace_oid("cron", true);
	if (!OidIsValid(walk.cron_nsp))
		return;
	foreach(lc, stmt->relations)
	{
		RangeVar   *rv = lfirst_node(RangeVar, lc);
		Oid			relid = RangeVarGetRelid(rv, NoLock, true);

		if (!OidIsValid(relid))
			continue;			/* LOCK itself reports it */
		walk.depth = 0;
		walk.found = InvalidOid;
		check_relation(relid, &walk);
		if (OidIsValid(walk.found))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to lock cron.%s in %s mode",
							get_rel_name(walk.found), lock_mode_name(stmt->mode)),
					 errdetail("Locks stronger than ACCESS SHARE on cronext's tables would stall the scheduler and other roles' jobs."),
					 errhint("Only superusers can take them.")));
	}
}

static void
cron_process_utility(PlannedStmt *pstmt, const char *queryString,
					 bool readOnlyTree, ProcessUtilityContext context,
					 ParamListInfo params, QueryEnvironment *queryEnv,
					 DestReceiver *dest, QueryCompletion *qc)
{
	if (IsA(pstmt->utilityStmt, LockStmt))
		check_lock_stmt((LockStmt *) pstmt->utilityStmt);

	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context,
							 params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/* install the hook; called from _PG_init */
void
cron_lock_guard_install(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = cron_process_utility;
}
