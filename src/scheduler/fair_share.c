/*-------------------------------------------------------------------------
 *
 * fair_share.c
 *	  Turns across roles: how the scheduler shares a scarce resource (places
 *	  among the running SQL jobs, HTTP connections) among the roles whose
 *	  work waits for it.
 *
 * Work waiting for the resource is grouped by role.  Each round gives every
 * role with work one turn, in name order starting after the role served
 * last (remembered across calls, so the first place is not always the same
 * role's), and a role at its own cap is passed over.  So a role with a
 * thousand due runs holds back another role's next run by at most one
 * run's turn, and no role holds more than its cap however much it
 * schedules.
 *
 * The caller says what a turn does (claim a slot, post a request) through
 * a callback; this file knows nothing of jobs or runs.  Everything lives in
 * the caller's memory context, which the scheduler resets every pass.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/hsearch.h"

#include "fair_share.h"

typedef struct RoleTurn
{
	char		role[NAMEDATALEN];	/* hash key */
	int			in_progress;	/* the role's share in use */
	int			cap;			/* the most it may have in use */
	List	   *items;			/* its waiting work, in the order added */
} RoleTurn;

struct CronTurns
{
	HTAB	   *roles;
	int			nroles;
};

CronTurns *
cron_turns_create(void)
{
	CronTurns  *turns = palloc0(sizeof(CronTurns));
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = sizeof(RoleTurn);
	ctl.hcxt = CurrentMemoryContext;
	turns->roles = hash_create("cronext role turns", 64, &ctl,
							   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	return turns;
}

/* the role's entry; in_progress is asked of the caller the first time */
static RoleTurn *
role_turn(CronTurns *turns, const char *role, int cap,
		  int (*in_progress) (const char *role))
{
	char		key[NAMEDATALEN];
	RoleTurn   *turn;
	bool		found;

	strlcpy(key, role, sizeof(key));
	turn = hash_search(turns->roles, key, HASH_ENTER, &found);
	if (!found)
	{
		turn->in_progress = in_progress ? in_progress(role) : 0;
		turn->cap = cap;
		turn->items = NIL;
		turns->nroles++;
	}
	return turn;
}

/*
 * Add one piece of the role's waiting work.  cap is the most of the
 * resource the role may use at once.
 */
void
cron_turns_add(CronTurns *turns, const char *role, int cap, void *item,
			   int (*in_progress) (const char *role))
{
	RoleTurn   *turn = role_turn(turns, role, cap, in_progress);

	turn->items = lappend(turn->items, item);
}

/* count one unit of the role's share as in use (work that is not waiting) */
void
cron_turns_note_in_use(CronTurns *turns, const char *role, int cap)
{
	role_turn(turns, role, cap, NULL)->in_progress++;
}

/* the units in use, each role's counted up to its cap */
int
cron_turns_places(CronTurns *turns)
{
	HASH_SEQ_STATUS seq;
	RoleTurn   *turn;
	int			places = 0;

	hash_seq_init(&seq, turns->roles);
	while ((turn = hash_seq_search(&seq)) != NULL)
		places += Min(turn->in_progress, turn->cap);
	return places;
}

static int
role_turn_cmp(const void *a, const void *b)
{
	return strcmp((*(RoleTurn *const *) a)->role,
				  (*(RoleTurn *const *) b)->role);
}

/*
 * Serve the waiting work in turns until serve() says the resource is
 * exhausted or no role can go on.  last_served (NAMEDATALEN bytes, kept by
 * the caller across calls) is where the next call starts.  Returns true if
 * some role was passed over because it was at its cap.
 */
bool
cron_turns_serve(CronTurns *turns, char *last_served,
				 CronTurnResult (*serve) (void *item, void *arg), void *arg)
{
	HASH_SEQ_STATUS seq;
	RoleTurn  **order;
	RoleTurn   *turn;
	int			n = 0;
	int			first = 0;
	bool		progress;
	bool		capped = false;

	if (turns->nroles == 0)
		return false;
	order = palloc(turns->nroles * sizeof(RoleTurn *));
	hash_seq_init(&seq, turns->roles);
	while ((turn = hash_seq_search(&seq)) != NULL)
		order[n++] = turn;
	qsort(order, n, sizeof(RoleTurn *), role_turn_cmp);
	while (first < n && strcmp(order[first]->role, last_served) <= 0)
		first++;

	do
	{
		progress = false;
		for (int k = 0; k < n; k++)
		{
			RoleTurn   *t = order[(first + k) % n];
			bool		served = false;

			while (t->items != NIL && !served)
			{
				if (t->in_progress >= t->cap)
				{
					capped = true;
					break;
				}
				switch (serve(linitial(t->items), arg))
				{
					case CRON_TURN_STOP:
						pfree(order);
						return capped;
					case CRON_TURN_NEXT:
						t->items = list_delete_first(t->items);
						break;
					case CRON_TURN_SERVED_LAST:
						t->items = list_delete_first(t->items);
						/* FALLTHROUGH */
					case CRON_TURN_SERVED:
						t->in_progress++;
						served = true;
						break;
				}
			}
			if (served)
			{
				strlcpy(last_served, t->role, NAMEDATALEN);
				progress = true;
			}
		}
	} while (progress);
	pfree(order);
	return capped;
}
