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
#include "catalog/pg_inherits.h"
#include "commands/defrem.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
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

/* may role lock relid in mode, as LOCK decides it? */
static bool
may_lock(Oid relid, Oid role, LOCKMODE mode)
{
	/* SELECT for ACCESS SHARE; INSERT too for ROW EXCLUSIVE; else UPDATE, DELETE or TRUNCATE */
	AclMode		needed = mode == AccessShareLock ? ACL_SELECT :
		mode == RowExclusiveLock ? (ACL_INSERT | ACL_UPDATE | ACL_DELETE | ACL_TRUNCATE) :
		(ACL_UPDATE | ACL_DELETE | ACL_TRUNCATE);

	return pg_class_aclmask(relid, role, needed, ACLMASK_ANY) != 0;
}

/*
 * LOCK on a view locks, in the same mode, every relation the view's query
 * names, as the view's owner, through views of views.  This takes those
 * locks first, in that order and mode, refusing a cron relation before any
 * lock on it is requested; LOCK then finds them all held.  Taking them in
 * the statement's own mode (not a weaker one first) keeps two sessions that
 * lock the same views from deadlocking on a lock upgrade.
 */
typedef struct ViewLock
{
	Oid			cron_nsp;
	LOCKMODE	mode;
	bool		nowait;
	Oid			owner;			/* whose rights the view's relations need */
	List	   *ancestors;		/* views being followed (and their OLD/NEW) */
} ViewLock;

/* lock one relation as LOCK would: waiting, or failing at once with NOWAIT */
static void
lock_oid(Oid relid, LOCKMODE mode, bool nowait)
{
	if (!nowait)
		LockRelationOid(relid, mode);
	else if (!ConditionalLockRelationOid(relid, mode))
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("could not obtain lock on relation \"%s\"", get_rel_name(relid))));
}

/* and, as LOCK does for a table named without ONLY, its children */
static void
lock_children(Oid relid, ViewLock *vl)
{
	ListCell   *lc;

	foreach(lc, find_inheritance_children(relid, NoLock))
	{
		Oid			child = lfirst_oid(lc);

		if (get_rel_namespace(child) == vl->cron_nsp)
			refuse_lock(child, vl->mode);
		lock_oid(child, vl->mode, vl->nowait);
		lock_children(child, vl);
	}
}

static void lock_view(Oid viewid, ViewLock *vl);

static bool
view_walker(Node *node, ViewLock *vl)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		Query	   *query = (Query *) node;
		ListCell   *lc;

		foreach(lc, query->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
			Oid			relid = rte->relid;
			char		relkind;

			CHECK_FOR_INTERRUPTS();
			if (rte->rtekind != RTE_RELATION ||
				list_member_oid(vl->ancestors, relid))
				continue;
			if (get_rel_namespace(relid) == vl->cron_nsp)
				refuse_lock(relid, vl->mode);
			relkind = get_rel_relkind(relid);
			if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
				relkind != RELKIND_VIEW)
				continue;
			if (!may_lock(relid, vl->owner, vl->mode))
				aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(relkind),
							   get_rel_name(relid));
			lock_oid(relid, vl->mode, vl->nowait);
			if (relkind == RELKIND_VIEW)
			{
				Oid			owner = vl->owner;

				lock_view(relid, vl);
				vl->owner = owner;
			}
			else if (rte->inh)
				lock_children(relid, vl);
		}
		return query_tree_walker(query, view_walker, vl, QTW_IGNORE_JOINALIASES);
	}
	return expression_tree_walker(node, view_walker, vl);
}

/* follow a view (locked in vl->mode by the caller) */
static void
lock_view(Oid viewid, ViewLock *vl)
{
	Relation	view = relation_open(viewid, NoLock);

	/* a security_invoker view's relations are checked as the current user */
	vl->owner = RelationHasSecurityInvoker(view) ? GetUserId() : view->rd_rel->relowner;
	vl->ancestors = lappend_oid(vl->ancestors, viewid);
	(void) view_walker((Node *) get_view_query(view), vl);
	vl->ancestors = list_delete_last(vl->ancestors);
	relation_close(view, NoLock);
}

/*
 * A first look, taking no lock, at whether a view reaches a cron relation:
 * then LOCK is refused at once, without waiting for the view's lock (which
 * another session of the role may hold).  Without locks the view could
 * change meanwhile, so this only speeds up refusals; lock_view decides.
 */
typedef struct PreWalk
{
	Oid			cron_nsp;
	List	   *visited;
	Oid			found;
} PreWalk;

static void prewalk_relation(Oid relid, PreWalk *pw);

static bool
prewalk_walker(Node *node, PreWalk *pw)
{
	if (node == NULL || OidIsValid(pw->found))
		return false;
	if (IsA(node, RangeTblEntry))
	{
		if (((RangeTblEntry *) node)->rtekind == RTE_RELATION)
			prewalk_relation(((RangeTblEntry *) node)->relid, pw);
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, prewalk_walker, pw,
								 QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, prewalk_walker, pw);
}

static void
prewalk_relation(Oid relid, PreWalk *pw)
{
	Relation	rel;
	Query	   *query;

	CHECK_FOR_INTERRUPTS();
	if (OidIsValid(pw->found) || list_member_oid(pw->visited, relid))
		return;
	pw->visited = lappend_oid(pw->visited, relid);
	if (get_rel_namespace(relid) == pw->cron_nsp)
	{
		pw->found = relid;
		return;
	}
	if (get_rel_relkind(relid) != RELKIND_VIEW)
		return;
	rel = RelationIdGetRelation(relid);
	if (!RelationIsValid(rel))
		return;
	/*
	 * Copied before anything else reads the catalogs: the view is not
	 * locked, so an invalidation processed during the walk could free the
	 * relcache's copy of its rules.
	 */
	query = rel->rd_rules != NULL ? copyObject(get_view_query(rel)) : NULL;
	RelationClose(rel);
	if (query)
		(void) prewalk_walker((Node *) query, pw);
}

/*
 * Called by RangeVarGetRelidExtended for what a LOCK name resolves to,
 * before the lock is requested (and again if the name changed meanwhile):
 * a cron relation is refused, and so is a relation LOCK itself would
 * refuse, so that no lock is ever requested that LOCK would not take.
 */
static void
lock_target_callback(const RangeVar *rv, Oid relid, Oid oldrelid, void *arg)
{
	LockStmt   *stmt = arg;
	char		relkind;

	if (!OidIsValid(relid))
		return;
	if (get_rel_namespace(relid) == get_namespace_oid("cron", true))
		refuse_lock(relid, stmt->mode);
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_VIEW)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot lock relation \"%s\"", rv->relname)));
	if (!may_lock(relid, GetUserId(), stmt->mode))
		aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(relkind), rv->relname);
	if (relkind == RELKIND_VIEW)
	{
		PreWalk		pw = {get_namespace_oid("cron", true), NIL, InvalidOid};

		prewalk_relation(relid, &pw);
		if (OidIsValid(pw.found))
			refuse_lock(pw.found, stmt->mode);
	}
}

/*
 * LOCK by a non-superuser, stronger than ACCESS SHARE: each relation is
 * resolved and locked here, in the statement's own mode and in LOCK's own
 * order, a cron relation refused before any lock on it is requested, and a
 * view followed to everything LOCK would lock through it.
 */
static LockStmt *
check_lock_stmt(LockStmt *stmt)
{
	ViewLock	vl;
	ListCell   *lc;
	LockStmt   *locked;

	if (stmt->mode <= AccessShareLock || superuser())
		return stmt;
	vl.cron_nsp = get_namespace_oid("cron", true);
	if (!OidIsValid(vl.cron_nsp))
		return stmt;
	vl.mode = stmt->mode;
	vl.nowait = stmt->nowait;
	locked = copyObject(stmt);
	locked->relations = NIL;
	foreach(lc, stmt->relations)
	{
		RangeVar   *rv = lfirst_node(RangeVar, lc);
		RangeVar   *qualified;
		Oid			relid;

		relid = RangeVarGetRelidExtended(rv, stmt->mode,
										 RVR_MISSING_OK | (stmt->nowait ? RVR_NOWAIT : 0),
										 lock_target_callback, stmt);
		if (!OidIsValid(relid))
		{
			locked->relations = lappend(locked->relations, rv);	/* LOCK reports it */
			continue;
		}
		if (get_rel_relkind(relid) == RELKIND_VIEW)
		{
			vl.ancestors = NIL;
			lock_view(relid, &vl);
		}
		else if (rv->inh)
			lock_children(relid, &vl);

		/*
		 * LOCK looks the name up again: hand it the relation just locked,
		 * by a qualified name that nothing can make mean another relation
		 * while the lock is held (a relation of the same name created
		 * earlier in the search path meanwhile, say).
		 */
		qualified = makeRangeVar(get_namespace_name(get_rel_namespace(relid)),
								 get_rel_name(relid), rv->location);
		qualified->inh = rv->inh;
		locked->relations = lappend(locked->relations, qualified);
	}
	return locked;
}

/*
 * Refuse a statement that needs to own (or hold REFERENCES on) a relation
 * of schema cron, unless the role does, before the statement queues its
 * lock on it.  Nothing is locked here, so the statement's own lock order
 * is unchanged.  A qualified name cannot come to mean a cron relation
 * later (only cron's owner creates relations there); an unqualified name
 * that a cron relation could answer to (cron is in the search path) is
 * refused too, since the role could drop its own relation of that name
 * just before the statement looks it up.
 */
static void
check_owner(RangeVar *rv, const char *what)
{
	Oid			nsp;
	Oid			relid;

	if (rv == NULL || superuser())
		return;
	nsp = get_namespace_oid("cron", true);
	if (!OidIsValid(nsp))
		return;
	if (rv->schemaname == NULL)
	{
		List	   *path = fetch_search_path(false);

		relid = list_member_oid(path, nsp) ? get_relname_relid(rv->relname, nsp) : InvalidOid;
		list_free(path);
		if (OidIsValid(relid) && !pg_class_ownercheck(relid, GetUserId()))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to %s \"%s\": it may name cron.%s",
							what, rv->relname, rv->relname),
					 errhint("Qualify the name with its schema.")));
		return;
	}
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid) || get_rel_namespace(relid) != nsp ||
		pg_class_ownercheck(relid, GetUserId()))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to %s cron.%s", what, get_rel_name(relid)),
			 errdetail("Only the owner of cronext's tables may; the statement would otherwise wait for a lock that stalls the scheduler and other roles first.")));
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
			check_owner(((Constraint *) n)->pktable, "reference");
	}
}

static void
check_ddl(Node *stmt)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_CreateTrigStmt:
			check_owner(((CreateTrigStmt *) stmt)->relation, "create a trigger on");
			break;
		case T_RuleStmt:
			check_owner(((RuleStmt *) stmt)->relation, "create a rule on");
			break;
		case T_AlterObjectDependsStmt:
			check_owner(((AlterObjectDependsStmt *) stmt)->relation,
						"change the dependencies of");
			break;
		case T_VacuumStmt:
			{
				VacuumStmt *vs = (VacuumStmt *) stmt;
				bool		full = false;

				foreach(lc, vs->options)
				{
					DefElem    *opt = lfirst_node(DefElem, lc);

					if (strcmp(opt->defname, "full") == 0)
						full = defGetBoolean(opt);
				}
				if (!full)
					break;
				foreach(lc, vs->rels)
					check_owner(lfirst_node(VacuumRelation, lc)->relation, "VACUUM FULL");
			}
			break;
		case T_CreateForeignTableStmt:
		case T_CreateStmt:
			{
				CreateStmt *cs = (CreateStmt *) stmt;

				foreach(lc, cs->inhRelations)
					check_owner(lfirst_node(RangeVar, lc),
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
					check_owner((RangeVar *) cmd->def, "inherit from");
				else if ((cmd->subtype == AT_AttachPartition ||
						  cmd->subtype == AT_DetachPartition ||
						  cmd->subtype == AT_DetachPartitionFinalize) && cmd->def)
					check_owner(((PartitionCmd *) cmd->def)->name, "attach or detach");
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
	{
		LockStmt   *locked = check_lock_stmt((LockStmt *) pstmt->utilityStmt);

		if (locked != (LockStmt *) pstmt->utilityStmt)
		{
			pstmt = copyObject(pstmt);
			pstmt->utilityStmt = (Node *) locked;
			readOnlyTree = false;
		}
	}
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
