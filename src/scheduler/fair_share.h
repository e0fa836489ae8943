/*-------------------------------------------------------------------------
 *
 * fair_share.h
 *	  Turns across roles for a scarce resource (fair_share.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_FAIR_SHARE_H
#define CRONEXT_FAIR_SHARE_H

#include "nodes/pg_list.h"

/* what one turn did, as the caller's serve() reports it */
typedef enum CronTurnResult
{
	CRON_TURN_SERVED,			/* used one unit; the item may take more */
	CRON_TURN_SERVED_LAST,		/* used one unit; the item is done */
	CRON_TURN_NEXT,				/* the item cannot go now; try the role's next */
	CRON_TURN_STOP				/* the resource is exhausted: stop serving */
} CronTurnResult;

typedef struct CronTurns CronTurns;

extern CronTurns *cron_turns_create(void);
extern void cron_turns_add(CronTurns *turns, const char *role, int cap,
						   void *item, int (*in_progress) (const char *role));
extern void cron_turns_note_in_use(CronTurns *turns, const char *role, int cap);
extern int	cron_turns_places(CronTurns *turns);
extern bool cron_turns_serve(CronTurns *turns, char *last_served,
							 CronTurnResult (*serve) (void *item, void *arg),
							 void *arg);

#endif							/* CRONEXT_FAIR_SHARE_H */
