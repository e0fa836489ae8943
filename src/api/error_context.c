/*-------------------------------------------------------------------------
 *
 * error_context.c
 *	  Messages a person can act on: an error or notice raised inside
 *	  cronext's SQL API loses the CONTEXT lines of cronext's own functions.
 *
 * The API is written in PL/pgSQL, and the guard trigger validates every
 * write to cron.job.  A user's mistake is reported there with a message
 * that names the job and the field, a DETAIL and a HINT; PL/pgSQL then adds
 * one CONTEXT line per cronext frame, including the text of the internal
 * statements (an INSERT into cron.job spans dozens of lines), and drivers
 * put all of it into the exception a developer reads.  Those lines say
 * nothing about the user's mistake.  So an emit_log_hook cuts the context
 * at the outermost frame that is a function of schema cron: what remains
 * are the frames of the user's own code that called the API, if any.
 * Only the schema's owner can create functions in schema cron.  An
 * internal or system error (SQLSTATE classes XX and 58) keeps its whole
 * context, for whoever debugs it; so do messages PostgreSQL does not send
 * to the server log (emit_log_hook sees only those), such as NOTICEs
 * below log_min_messages.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/elog.h"

#include "error_context.h"

static emit_log_hook_type prev_emit_log_hook = NULL;

/*
 * How PL/pgSQL names a frame of one of cronext's functions (all of them
 * are PL/pgSQL or C, none LANGUAGE sql, whose frames carry no schema).
 * With cron in the search_path, PL/pgSQL leaves the schema out and the
 * frames stay: less tidy, never wrong.
 */
#define CRON_FRAME	"PL/pgSQL function cron."

static void
strip_cron_frames(ErrorData *edata)
{
	const char *ctx = edata->context;
	const char *last = NULL;
	const char *p;

	if (ctx == NULL || strstr(ctx, CRON_FRAME) == NULL)
		return;
	/* an internal or system error keeps its context: it is for debugging */
	if (edata->elevel >= ERROR &&
		(ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_INTERNAL_ERROR ||
		 ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_SYSTEM_ERROR))
		return;
	/* the outermost (last) line that is a cronext frame */
	for (p = ctx; p != NULL; p = strchr(p, '\n'))
	{
		if (*p == '\n')
			p++;
		if (strncmp(p, CRON_FRAME, strlen(CRON_FRAME)) == 0)
			last = p;
	}
	if (last == NULL)
		return;
	p = strchr(last, '\n');
	/* the context lives in ErrorContext, like the rest of edata */
	edata->context = (p && p[1] != '\0') ? pstrdup(p + 1) : NULL;
}

static void
cron_emit_log_hook(ErrorData *edata)
{
	strip_cron_frames(edata);
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/* install the hook; called from _PG_init */
void
cron_error_context_install(void)
{
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = cron_emit_log_hook;
}
