/*-------------------------------------------------------------------------
 *
 * run_check.c
 *	  Whether a claimed SQL run can run as its job's owner: the role (by
 *	  OID: a role dropped and created again under the name is another),
 *	  its LOGIN, cron.enable_superuser_jobs, the database and CONNECT.
 *
 * Checked when a run is claimed (runs.c), so that a bad job fails that run
 * alone, with a clear message, and the scheduler and other jobs go on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "cronext.h"
#include "run_state.h"

/*
 * Why a job cannot run now as its owner, or NULL if it can.  Checked before
 * a run is launched, so that a dropped role, a NOLOGIN role or a missing
 * database fails that run alone, with a clear message.
 */
char *
cron_run_problem(const CronRun *run)
{
	HeapTuple	tuple;
	Form_pg_authid role;
	Oid			roleid;
	Oid			dboid;
	char	   *problem = NULL;

	tuple = SearchSysCache1(AUTHNAME, CStringGetDatum(run->username));
	if (!HeapTupleIsValid(tuple))
		return psprintf("role \"%s\" does not exist", run->username);
	role = (Form_pg_authid) GETSTRUCT(tuple);
	roleid = role->oid;
	/*
	 * A job without an owner's OID (taken over from pg_cron after its role
	 * was dropped) is not given to a new role of the same name either,
	 * until a superuser does so (UPDATE cron.job SET roleid = NULL).
	 */
	if (!OidIsValid(run->roleid) || roleid != run->roleid)
		problem = psprintf("role \"%s\" is not the role that scheduled the job: that role was dropped",
						   run->username);
	else if (!role->rolcanlogin)
		problem = psprintf("role \"%s\" is not permitted to log in", run->username);
	else if (role->rolsuper && !cronext_enable_superuser_jobs)
		problem = psprintf("cron.enable_superuser_jobs is off: the job would run as superuser \"%s\"",
						   run->username);
	ReleaseSysCache(tuple);
	if (problem)
		return problem;

	dboid = get_database_oid(run->database, true);
	if (!OidIsValid(dboid))
		return psprintf("database \"%s\" does not exist", run->database);
	tuple = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dboid));
	if (HeapTupleIsValid(tuple))
	{
		if (!((Form_pg_database) GETSTRUCT(tuple))->datallowconn)
			problem = psprintf("database \"%s\" does not allow connections",
							   run->database);
		ReleaseSysCache(tuple);
	}
	if (problem == NULL &&
		pg_database_aclcheck(dboid, roleid, ACL_CONNECT) != ACLCHECK_OK)
		problem = psprintf("role \"%s\" does not have CONNECT privilege on database \"%s\"",
						   run->username, run->database);
	return problem;
}
