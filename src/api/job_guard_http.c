/*-------------------------------------------------------------------------
 *
 * job_guard_http.c
 *	  The guard trigger's rules for HTTP: who may write an HTTP job or an
 *	  alert URL, and what an HTTP job's request must be (url, method,
 *	  headers, expected statuses), checked when it is written.
 *
 * HTTP jobs reach the network from the database server: creating or
 * changing one's request takes the privilege an administrator grants as
 * EXECUTE on cron.schedule_http (its one definition is
 * cron._http_allowed), however the row is written.  What cron.job and the
 * ledger show as an HTTP job's command is its method and URL, never a
 * header.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/varlena.h"

#include "http_check.h"
#include "job_guard.h"

/* what a header's name may hold: an HTTP token */
#define TOKEN_CHARS	"!#$%&'*+.^_`|~-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/*
 * cron._http_allowed(CURRENT_USER): may the current role create or change
 * HTTP jobs and alert URLs?
 */
bool
cron_guard_http_allowed(void)
{
	static const Oid argtypes[1] = {NAMEOID};
	Oid			funcid = cron_guard_function("_http_allowed", 1, argtypes,
											 "cron._http_allowed(name)");
	FmgrInfo	flinfo;
	NameData	current_user;
	LOCAL_FCINFO(fcinfo, 1);
	Datum		result;

	fmgr_info(funcid, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 1, InvalidOid, NULL, NULL);
	namestrcpy(&current_user, GetUserNameFromId(GetUserId(), false));
	fcinfo->args[0].value = NameGetDatum(&current_user);
	fcinfo->args[0].isnull = false;
	result = FunctionCallInvoke(fcinfo);
	/* IF NOT NULL raises nothing: a NULL answer does not refuse */
	return fcinfo->isnull || DatumGetBool(result);
}

/* cron._check_http_url(url): raises 22023 unless url may be called */
void
cron_guard_check_url(Datum url)
{
	DirectFunctionCall1(cron_check_http_url, url);
}

/* jsonb_typeof of a value met while iterating an object */
static const char *
json_type_name(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return "string";
		case jbvNumeric:
			return "number";
		case jbvBool:
			return "boolean";
		case jbvNull:
			return "null";
		case jbvBinary:
			return JsonContainerIsObject(v->val.binary.data) ? "object" : "array";
		default:
			elog(ERROR, "cronext: unexpected jsonb value type %d", (int) v->type);
	}
	return NULL;				/* keep the compiler quiet */
}

/* does a header value hold a control character (a tab is allowed)? */
static bool
has_control_char(const char *s, int len)
{
	for (int i = 0; i < len; i++)
	{
		unsigned char ch = (unsigned char) s[i];

		if ((ch >= 0x01 && ch <= 0x08) || (ch >= 0x0a && ch <= 0x1f) || ch == 0x7f)
			return true;
	}
	return false;
}

static bool
is_token(const char *s, int len)
{
	if (len == 0)
		return false;
	for (int i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(TOKEN_CHARS, s[i]) == NULL)
			return false;
	return true;
}

/*
 * Refuse headers that are not an object of strings with token names and
 * no control characters in their values.  Of several bad headers, the
 * first by name (in the database's collation) is named.
 */
static void
check_headers(const GuardRow *row, Jsonb *headers)
{
	JsonbIterator *it = JsonbIteratorInit(&headers->root);
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	int			keylen = 0;
	char	   *bad_key = NULL;
	int			bad_keylen = 0;
	char	   *why = NULL;

	if (!JB_ROOT_IS_OBJECT(headers))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("headers must be a JSON object"),
				 errhint("Write headers as '{\"Authorization\": \"Bearer ...\"}'.")));

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		const char *reason = NULL;

		if (tok == WJB_KEY)
		{
			key = v.val.string.val;
			keylen = v.val.string.len;
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (!is_token(key, keylen))
			reason = "its name is not an HTTP token (letters, digits and !#$%&'*+-.^_`|~)";
		else if (v.type != jbvString)
			reason = psprintf("its value is JSON %s, not a string", json_type_name(&v));
		else if (has_control_char(v.val.string.val, v.val.string.len))
			reason = "its value has a control character (such as a line break)";
		if (reason == NULL)
			continue;
		if (bad_key == NULL ||
			varstr_cmp(key, keylen, bad_key, bad_keylen, DEFAULT_COLLATION_OID) < 0)
		{
			bad_key = key;
			bad_keylen = keylen;
			why = (char *) reason;
		}
	}
	if (bad_key != NULL)
	{
		char	   *name = pnstrdup(bad_key, bad_keylen);

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("job \"%s\": invalid header \"%s\" in headers",
						cron_guard_job_label(row), name),
				 errdetail("Header \"%s\": %s.", name, why),
				 errhint("Write headers as a JSON object of strings, such as '{\"Authorization\": \"Bearer ...\"}'.")));
	}
}

/* expect_status: an empty list means none; every code 100 to 599 */
static void
check_expect_status(GuardRow *row)
{
	ArrayType  *codes;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (NEW_NULL(row, GC_HTTP_EXPECT_STATUS))
		return;
	codes = DatumGetArrayTypeP(NEW_VAL(row, GC_HTTP_EXPECT_STATUS));
	if (ArrayGetNItems(ARR_NDIM(codes), ARR_DIMS(codes)) == 0)
	{
		cron_guard_set(row, GC_HTTP_EXPECT_STATUS, (Datum) 0, true);
		return;
	}
	deconstruct_array(codes, INT4OID, sizeof(int32), true, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (nulls[i] || DatumGetInt32(elems[i]) < 100 || DatumGetInt32(elems[i]) > 599)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("expect_status must list HTTP status codes between 100 and 599")));
}

/*
 * The request of an HTTP job: a url that may be called, a method in upper
 * case (GET when none), headers (none: an empty object), expected statuses.
 */
static void
check_request(GuardRow *row)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};
	Datum		method;

	if (NEW_NULL(row, GC_HTTP_URL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an HTTP job needs a url")));
	cron_guard_check_url(NEW_VAL(row, GC_HTTP_URL));

	method = NEW_NULL(row, GC_HTTP_METHOD) ? CStringGetTextDatum("GET") : NEW_VAL(row, GC_HTTP_METHOD);
	method = DirectFunctionCall1Coll(upper, DEFAULT_COLLATION_OID, method);
	cron_guard_set(row, GC_HTTP_METHOD, method, false);
	if (!cron_guard_one_of(row, GC_HTTP_METHOD, methods, lengthof(methods)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid HTTP method \"%s\"", cron_guard_text(row, GC_HTTP_METHOD)),
				 errhint("Use GET, POST, PUT, PATCH, DELETE or HEAD.")));

	if (NEW_NULL(row, GC_HTTP_HEADERS))
		cron_guard_set(row, GC_HTTP_HEADERS,
					   DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")), false);
	check_headers(row, DatumGetJsonbP(NEW_VAL(row, GC_HTTP_HEADERS)));
	check_expect_status(row);
}

/*
 * The HTTP rules of one INSERT or UPDATE: an HTTP job's request needs the
 * privilege and is validated when it is written, its command is derived;
 * the HTTP columns of any other job must be empty.
 */
void
cron_guard_http(GuardRow *row)
{
	bool		was_http;

	if (NEW_NULL(row, GC_KIND) || !cron_guard_text_is(NEW_VAL(row, GC_KIND), "http"))
	{
		if (!NEW_NULL(row, GC_HTTP_METHOD) || !NEW_NULL(row, GC_HTTP_URL) ||
			!NEW_NULL(row, GC_HTTP_HEADERS) || !NEW_NULL(row, GC_HTTP_BODY) ||
			!NEW_NULL(row, GC_HTTP_EXPECT_STATUS))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("url, method, headers, body and expect_status apply to HTTP jobs only"),
					 errhint("Schedule HTTP jobs with cron.schedule_http.")));
		return;
	}

	was_http = !row->is_insert &&
		cron_guard_text_is(OLD_VAL(row, GC_KIND), "http");
	if ((!was_http ||
		 cron_guard_distinct(row, GC_HTTP_URL) ||
		 cron_guard_distinct(row, GC_HTTP_METHOD) ||
		 cron_guard_distinct(row, GC_HTTP_HEADERS) ||
		 cron_guard_distinct(row, GC_HTTP_BODY) ||
		 cron_guard_distinct(row, GC_USERNAME)) &&
		!cron_guard_http_allowed())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to schedule HTTP jobs"),
				 errdetail("HTTP jobs need EXECUTE on cron.schedule_http, granted by an administrator.")));
	if (was_http && cron_guard_distinct(row, GC_COMMAND))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the command of an HTTP job cannot be set"),
				 errdetail("An HTTP job's command shows its method and URL."),
				 errhint("Change the url or method instead.")));

	/* the request is validated when it is written, not on every change */
	if (!was_http ||
		cron_guard_distinct(row, GC_HTTP_URL) ||
		cron_guard_distinct(row, GC_HTTP_METHOD) ||
		cron_guard_distinct(row, GC_HTTP_HEADERS) ||
		cron_guard_distinct(row, GC_HTTP_EXPECT_STATUS))
		check_request(row);

	/* what cron.job and the ledger show: never a header */
	if (NEW_NULL(row, GC_HTTP_METHOD) || NEW_NULL(row, GC_HTTP_URL))
		cron_guard_set(row, GC_COMMAND, (Datum) 0, true);
	else
		cron_guard_set(row, GC_COMMAND,
					   CStringGetTextDatum(psprintf("%s %s",
													cron_guard_text(row, GC_HTTP_METHOD),
													cron_guard_text(row, GC_HTTP_URL))),
					   false);
}
