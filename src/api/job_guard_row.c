/*-------------------------------------------------------------------------
 *
 * job_guard_row.c
 *	  The row a write to cron.job carries, as the guard trigger reads it:
 *	  its columns found by name, compared the way SQL compares them
 *	  (IS DISTINCT FROM, and equality of the rows' to_jsonb), the job's
 *	  name as the guard's messages show it, and the functions of schema
 *	  cron whose privileges the guard checks.
 *
 * The guard was PL/pgSQL until catalog 1.4; its rules are unchanged, so
 * every comparison here gives what the SQL expression it replaces gave,
 * NULLs included.  Columns are found by name because their positions
 * differ between a fresh catalog and one updated from an older version
 * (columns added by ALTER TABLE come last).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "job_guard.h"

/* name and type of each GuardCol, in its order */
static const struct
{
	const char *name;
	Oid			type;
}			guard_col_def[GC_NCOLS] =
{
	[GC_JOBID] = {"jobid", INT8OID},
	[GC_SCHEDULE] = {"schedule", TEXTOID},
	[GC_COMMAND] = {"command", TEXTOID},
	[GC_DATABASE] = {"database", TEXTOID},
	[GC_USERNAME] = {"username", TEXTOID},
	[GC_ACTIVE] = {"active", BOOLOID},
	[GC_JOBNAME] = {"jobname", TEXTOID},
	[GC_KIND] = {"kind", TEXTOID},
	[GC_TIMEZONE] = {"timezone", TEXTOID},
	[GC_CATCHUP] = {"catchup", TEXTOID},
	[GC_CATCHUP_WINDOW] = {"catchup_window", INTERVALOID},
	[GC_OVERLAP] = {"overlap", TEXTOID},
	[GC_MAX_RETRIES] = {"max_retries", INT4OID},
	[GC_RETRY_DELAY] = {"retry_delay", INTERVALOID},
	[GC_TIMEOUT] = {"timeout", INTERVALOID},
	[GC_CREATED_AT] = {"created_at", TIMESTAMPTZOID},
	[GC_UPDATED_AT] = {"updated_at", TIMESTAMPTZOID},
	[GC_HTTP_METHOD] = {"http_method", TEXTOID},
	[GC_HTTP_URL] = {"http_url", TEXTOID},
	[GC_HTTP_HEADERS] = {"http_headers", JSONBOID},
	[GC_HTTP_BODY] = {"http_body", TEXTOID},
	[GC_HTTP_EXPECT_STATUS] = {"http_expect_status", INT4ARRAYOID},
	[GC_ROLEID] = {"roleid", OIDOID},
	[GC_ALERT_URL] = {"alert_url", TEXTOID},
	[GC_EXPECT_SUCCESS_WITHIN] = {"expect_success_within", INTERVALOID},
	[GC_PAUSED_AT] = {"paused_at", TIMESTAMPTZOID},
};

/* where the columns are, for one statement (kept in the trigger's fn_extra) */
typedef struct GuardColumns
{
	Oid			relid;
	TupleDesc	desc;			/* the descriptor they were found in */
	int			col[GC_NCOLS];
} GuardColumns;

static void
not_cron_job(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
			 errmsg("cron.job_guard() fires only before writes to cron.job")));
}

/*
 * The index of each GuardCol in the rows of the trigger's table.  Raises
 * 39P01 unless the trigger fires BEFORE, FOR EACH ROW, on cron.job with
 * every column the guard knows, of its type: the trigger function may
 * have been attached elsewhere by a superuser.  The columns are found once
 * per statement: the trigger's FmgrInfo lives as long as it.
 */
const int *
cron_guard_columns(FmgrInfo *flinfo, TriggerData *td)
{
	Relation	rel = td->tg_relation;
	GuardColumns *cols = (GuardColumns *) flinfo->fn_extra;
	TupleDesc	desc = RelationGetDescr(rel);
	char	   *nspname;

	if (!TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event))
		not_cron_job();
	if (cols != NULL && cols->relid == RelationGetRelid(rel) && cols->desc == desc)
		return cols->col;

	nspname = get_namespace_name(RelationGetNamespace(rel));
	if (nspname == NULL || strcmp(nspname, "cron") != 0 ||
		strcmp(RelationGetRelationName(rel), "job") != 0)
		not_cron_job();

	if (cols == NULL)
		cols = MemoryContextAlloc(flinfo->fn_mcxt, sizeof(GuardColumns));
	for (int c = 0; c < GC_NCOLS; c++)
		cols->col[c] = -1;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		for (int c = 0; c < GC_NCOLS; c++)
			if (strcmp(NameStr(att->attname), guard_col_def[c].name) == 0)
			{
				if (att->atttypid != guard_col_def[c].type)
					not_cron_job();
				cols->col[c] = i;
				break;
			}
	}
	for (int c = 0; c < GC_NCOLS; c++)
		if (cols->col[c] < 0)
			not_cron_job();
	cols->relid = RelationGetRelid(rel);
	cols->desc = desc;
	flinfo->fn_extra = cols;
	return cols->col;
}

/* NEW.<c> := value */
void
cron_guard_set(GuardRow *row, GuardCol c, Datum value, bool isnull)
{
	NEW_VAL(row, c) = isnull ? (Datum) 0 : value;
	NEW_NULL(row, c) = isnull;
}

/* a = b for two non-NULL values of a column's type, as SQL's = says */
static bool
values_equal(Oid type, Datum a, Datum b)
{
	static FmgrInfo array_eq_info;
	static bool array_eq_ready = false;

	switch (type)
	{
		case TEXTOID:
			return DatumGetBool(DirectFunctionCall2Coll(texteq, DEFAULT_COLLATION_OID, a, b));
		case INTERVALOID:
			return DatumGetBool(DirectFunctionCall2(interval_eq, a, b));
		case JSONBOID:
			return DatumGetBool(DirectFunctionCall2(jsonb_eq, a, b));
		case INT4ARRAYOID:
			/* array_eq keeps the element type's cache in its FmgrInfo */
			if (!array_eq_ready)
			{
				fmgr_info_cxt(F_ARRAY_EQ, &array_eq_info, TopMemoryContext);
				array_eq_ready = true;
			}
			return DatumGetBool(FunctionCall2Coll(&array_eq_info, InvalidOid, a, b));
		case INT8OID:
		case TIMESTAMPTZOID:
			return DatumGetInt64(a) == DatumGetInt64(b);
		case INT4OID:
			return DatumGetInt32(a) == DatumGetInt32(b);
		case BOOLOID:
			return DatumGetBool(a) == DatumGetBool(b);
		case OIDOID:
			return DatumGetObjectId(a) == DatumGetObjectId(b);
		default:
			elog(ERROR, "cronext: the guard cannot compare values of type %u", type);
	}
	return false;				/* keep the compiler quiet */
}

/* NEW.<c> IS DISTINCT FROM OLD.<c>, on an UPDATE */
bool
cron_guard_distinct(const GuardRow *row, GuardCol c)
{
	Assert(!row->is_insert);
	if (NEW_NULL(row, c) || OLD_NULL(row, c))
		return NEW_NULL(row, c) != OLD_NULL(row, c);
	return !values_equal(guard_col_def[c].type, NEW_VAL(row, c), OLD_VAL(row, c));
}

/* a value as its type's output function writes it */
static char *
output_text(Oid type, Datum value)
{
	Oid			outfunc;
	bool		isvarlena;

	getTypeOutputInfo(type, &outfunc, &isvarlena);
	return OidOutputFunctionCall(outfunc, value);
}

/*
 * Do two non-NULL values of a column of type type become the same value
 * in to_jsonb of their rows?  Text, numbers, booleans, instants and jsonb
 * do exactly when they are equal; an interval is written as its text
 * (so '1 day' and '24 hours' differ), an array as a JSON array (its lower
 * bounds lost), any other type as its text.
 */
static bool
json_values_equal(Oid type, Datum a, Datum b)
{
	switch (type)
	{
		case TEXTOID:
		case JSONBOID:
		case INT8OID:
		case TIMESTAMPTZOID:
		case INT4OID:
		case BOOLOID:
		case OIDOID:
			return values_equal(type, a, b);
		case INT4ARRAYOID:
			return DatumGetBool(DirectFunctionCall2Coll(texteq, DEFAULT_COLLATION_OID,
														DirectFunctionCall1(array_to_json, a),
														DirectFunctionCall1(array_to_json, b)));
		default:
			return strcmp(output_text(type, a), output_text(type, b)) == 0;
	}
}

/*
 * to_jsonb(NEW) - ARRAY['paused_at', 'alert_url', 'expect_success_within']
 * = to_jsonb(OLD) - the same, on an UPDATE: the write changes nothing but
 * how the job is watched or paused.  Every column counts, also those the
 * guard does not otherwise read.
 */
bool
cron_guard_same_but_watching(const GuardRow *row)
{
	Assert(!row->is_insert);
	for (int i = 0; i < row->desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(row->desc, i);

		if (att->attisdropped || i == row->col[GC_PAUSED_AT] ||
			i == row->col[GC_ALERT_URL] || i == row->col[GC_EXPECT_SUCCESS_WITHIN])
			continue;
		if (row->nn[i] || row->on[i])
		{
			if (row->nn[i] != row->on[i])
				return false;
			continue;
		}
		if (!json_values_equal(att->atttypid, row->nv[i], row->ov[i]))
			return false;
	}
	return true;
}

/* NEW.<c> as a C string; the column must not be NULL */
char *
cron_guard_text(const GuardRow *row, GuardCol c)
{
	Assert(!NEW_NULL(row, c));
	return TextDatumGetCString(NEW_VAL(row, c));
}

/* a text value = a literal (the default collation compares bytes) */
bool
cron_guard_text_is(Datum value, const char *literal)
{
	text	   *t = DatumGetTextPP(value);
	size_t		len = strlen(literal);

	return VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), literal, len) == 0;
}

/* NEW.<c> = ANY (list), for a text column that is not NULL */
bool
cron_guard_one_of(const GuardRow *row, GuardCol c, const char *const *list, int n)
{
	for (int i = 0; i < n; i++)
		if (cron_guard_text_is(NEW_VAL(row, c), list[i]))
			return true;
	return false;
}

/* COALESCE(NEW.jobname, NEW.jobid::text, '(unnamed)'): the job in messages */
const char *
cron_guard_job_label(const GuardRow *row)
{
	if (!NEW_NULL(row, GC_JOBNAME))
		return cron_guard_text(row, GC_JOBNAME);
	if (!NEW_NULL(row, GC_JOBID))
		return psprintf(INT64_FORMAT, DatumGetInt64(NEW_VAL(row, GC_JOBID)));
	return "(unnamed)";
}

/* octet_length of a text (or any varlena) value, without detoasting it */
int64
cron_guard_octets(Datum varlena)
{
	return (int64) toast_raw_datum_size(varlena) - VARHDRSZ;
}

/*
 * The OID of function cron.<proname>(argtypes), which signature names as
 * a regprocedure literal would; the same error as that literal when it
 * does not exist.
 */
Oid
cron_guard_function(const char *proname, int nargs, const Oid *argtypes,
					const char *signature)
{
	Oid			nsp = get_namespace_oid("cron", false);
	Oid			funcid;

	funcid = GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid,
							 CStringGetDatum(proname),
							 PointerGetDatum(buildoidvector(argtypes, nargs)),
							 ObjectIdGetDatum(nsp));
	if (!OidIsValid(funcid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function \"%s\" does not exist", signature)));
	return funcid;
}
