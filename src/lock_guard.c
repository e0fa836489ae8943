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
 * Some statements take their lock on a table before they check that the
 * role may use it: CREATE RULE (ACCESS EXCLUSIVE), CREATE TABLE ... PARTITION
 * OF, ATTACH / DETACH PARTITION (also of an index), CREATE TRIGGER and a
 * foreign key's REFERENCES (SHARE ROW EXCLUSIVE).
 * A role that may not run them would still queue that lock behind its own
 * open transaction, and everyone else behind it.  Those are refused here
 * first, on cron relations, to roles that do not own them.
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
#include "catalog/objectaddress.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "lock_guard.h"

static ProcessUtility_hook_type prev_process_utility = NULL;

typedef struct LockWalk
{
	Oid			cron_nsp;
	List	   *visited;		/* views already followed */
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

/*
 * Does LOCK on relid reach a relation of schema cron?  LOCK follows a view
 * to every relation its query names, through views of views however deep:
 * so does this, each view once (a view's query names the view itself, as
 * its OLD and NEW entries, and chains may share views).
 */
static void
check_relation(Oid relid, LockWalk *walk)
{
	Relation	rel;

	CHECK_FOR_INTERRUPTS();
	if (OidIsValid(walk->found))
		return;
	if (get_rel_namespace(relid) == walk->cron_nsp)
	{
		walk->found = relid;
		return;
	}
	if (get_rel_relkind(relid) != RELKIND_VIEW ||
		list_member_oid(walk->visited, relid))
		return;
	walk->visited = lappend_oid(walk->visited, relid);
	rel = relation_open(relid, AccessShareLock);
	(void) lock_walker((Node *) get_view_query(rel), walk);
	relation_close(rel, NoLock);
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
refuse_lock(Oid relid, int mode)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to lock cron.%s in %s mode",
					get_rel_name(relid), lock_mode_name(mode)),
			 errdetail("Locks stronger than ACCESS SHARE on cronext's tables would stall the scheduler and other roles' jobs."),
			 errhint("Only superusers can take them.")));
}

/*
 * Called by RangeVarGetRelidExtended for what a LOCK name resolves to,
 * before the lock is requested (and again if the name changed meanwhile):
 * a cron relation is refused, and so is a relation LOCK itself would
 * refuse, so that no lock is ever queued that LOCK would not take.
 */
static void
lock_target_callback(const RangeVar *rv, Oid relid, Oid oldrelid, void *arg)
{
	LockStmt   *stmt = arg;
	Oid			nsp = get_namespace_oid("cron", true);
	char		relkind;
	AclMode		needed;

	if (!OidIsValid(relid))
		return;
	if (get_rel_namespace(relid) == nsp)
		refuse_lock(relid, stmt->mode);
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_VIEW)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot lock relation \"%s\"", rv->relname)));
	/* what LOCK demands: SELECT for ACCESS SHARE, else UPDATE, DELETE or TRUNCATE */
	needed = stmt->mode == AccessShareLock ? ACL_SELECT :
		(ACL_UPDATE | ACL_DELETE | ACL_TRUNCATE);
	if (pg_class_aclmask(relid, GetUserId(), needed, ACLMASK_ANY) == 0)
		aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(relkind), rv->relname);
}

/*
 * LOCK by a non-superuser, stronger than ACCESS SHARE: each relation is
 * resolved and locked here, in the statement's own mode (so LOCK itself
 * then finds it held: no second, weaker lock that would invite a
 * lock-upgrade deadlock between two sessions locking the same table), with
 * a cron relation refused before any lock is queued.  A view is then
 * followed to everything LOCK would lock through it.
 */
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
		Oid			relid;

		relid = RangeVarGetRelidExtended(rv, stmt->mode,
										 RVR_MISSING_OK | (stmt->nowait ? RVR_NOWAIT : 0),
										 lock_target_callback, stmt);
		if (!OidIsValid(relid))
			continue;			/* LOCK itself reports it */
		walk.visited = NIL;
		walk.found = InvalidOid;
		check_relation(relid, &walk);
		if (OidIsValid(walk.found))
			refuse_lock(walk.found, stmt->mode);
	}
}

/* what check_owner's callback refuses */
typedef struct OwnerCheck
{
	Oid			cron_nsp;
	const char *what;
} OwnerCheck;

static void
owner_callback(const RangeVar *rv, Oid relid, Oid oldrelid, void *arg)
{
	OwnerCheck *oc = arg;

	if (!OidIsValid(relid) || get_rel_namespace(relid) != oc->cron_nsp ||
		pg_class_ownercheck(relid, GetUserId()))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to %s cron.%s", oc->what, get_rel_name(relid)),
			 errdetail("Only the owner of cronext's tables may; the statement would otherwise wait for a lock that stalls the scheduler and other roles first.")));
}

/*
 * Refuse, before it queues a lock, a statement that needs to own (or hold
 * REFERENCES on) a relation of schema cron, unless the role does.  The
 * name is resolved and locked here in the mode the statement takes next
 * (so the statement finds it held, and the name cannot change in between),
 * with a cron relation refused before any lock is requested.
 */
static void
check_owner(RangeVar *rv, LOCKMODE mode, const char *what)
{
	OwnerCheck	oc;

	if (rv == NULL || superuser())
		return;
	oc.cron_nsp = get_namespace_oid("cron", true);
	oc.what = what;
	if (!OidIsValid(oc.cron_nsp))
		return;
	(void) RangeVarGetRelidExtended(rv, mode, RVR_MISSING_OK, owner_callback, &oc);
}

/* foreign keys among a list of constraints (or column definitions) */
static void
check_constraints(List *elts)
{
	ListCell   *lc;

	foreach(lc, elts)
	{
		Node	   *n = lfirst(lc);

		if (IsA(n, ColumnDef))
			check_constraints(((ColumnDef *) n)->constraints);
		else if (IsA(n, Constraint) &&
				 ((Constraint *) n)->contype == CONSTR_FOREIGN)
			check_owner(((Constraint *) n)->pktable, ShareRowExclusiveLock, "reference");
	}
}

static void
check_ddl(Node *stmt)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_CreateTrigStmt:
			check_owner(((CreateTrigStmt *) stmt)->relation, ShareRowExclusiveLock,
						"create a trigger on");
			break;
		case T_RuleStmt:
			check_owner(((RuleStmt *) stmt)->relation, AccessExclusiveLock,
						"create a rule on");
			break;
		case T_CreateStmt:
			{
				CreateStmt *cs = (CreateStmt *) stmt;

				foreach(lc, cs->inhRelations)
					check_owner(lfirst_node(RangeVar, lc),
								cs->partbound ? AccessExclusiveLock : ShareUpdateExclusiveLock,
								cs->partbound ? "create a partition of" : "inherit from");
				check_constraints(cs->tableElts);
				check_constraints(cs->constraints);
			}
			break;
		case T_AlterTableStmt:
			foreach(lc, ((AlterTableStmt *) stmt)->cmds)
			{
				AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

				if (cmd->def && (IsA(cmd->def, Constraint) || IsA(cmd->def, ColumnDef)))
					check_constraints(list_make1(cmd->def));
				else if (cmd->subtype == AT_AddInherit && cmd->def)
					check_owner((RangeVar *) cmd->def, ShareUpdateExclusiveLock,
								"inherit from");
				else if ((cmd->subtype == AT_AttachPartition ||
						  cmd->subtype == AT_DetachPartition ||
						  cmd->subtype == AT_DetachPartitionFinalize) && cmd->def)
					check_owner(((PartitionCmd *) cmd->def)->name,
								((PartitionCmd *) cmd->def)->concurrent ?
								ShareUpdateExclusiveLock : AccessExclusiveLock,
								"attach or detach");
			}
			break;
		default:
			break;
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
	else
		check_ddl(pstmt->utilityStmt);

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
