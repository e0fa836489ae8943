/*-------------------------------------------------------------------------
 *
 * name_pool.c
 *	  One shared copy of each string the job cache holds: schedules, time
 *	  zones, databases and roles.
 *
 * An application with one job per tenant has tens of thousands of jobs
 * with the same few schedules, zones, databases and roles.  Each job
 * holding its own copies cost about a hundred bytes per job; here each
 * distinct string is kept once, counted, and freed with its last job.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "name_pool.h"

static MemoryContext pool_cxt = NULL;
static HTAB *names = NULL;

/* the key is a pointer to the string: hash and compare the strings */
static uint32
name_hash(const void *key, Size keysize)
{
	const char *str = *(char *const *) key;

	return hash_bytes((const unsigned char *) str, (int) strlen(str));
}

static int
name_match(const void *key1, const void *key2, Size keysize)
{
	return strcmp(*(char *const *) key1, *(char *const *) key2);
}

void
cron_name_pool_init(MemoryContext cxt)
{
	HASHCTL		ctl;

	pool_cxt = cxt;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(CronName);
	ctl.hash = name_hash;
	ctl.match = name_match;
	ctl.hcxt = cxt;
	names = hash_create("cronext job names", 64, &ctl,
						HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/* the pooled copy of str, held once more; NULL for NULL */
CronName *
cron_name_hold(const char *str)
{
	CronName   *name;
	bool		found;

	if (str == NULL)
		return NULL;
	name = hash_search(names, &str, HASH_ENTER, &found);
	if (!found)
	{
		/* the entry's key must point to the pool's own copy */
		name->str = MemoryContextStrdup(pool_cxt, str);
		name->refs = 0;
		dlist_init(&name->ready);
	}
	name->refs++;
	return name;
}

/* the pooled copy of str, held once more (NULL for NULL) */
const char *
cron_name_hold_str(const char *str)
{
	CronName   *name = cron_name_hold(str);

	return name ? name->str : NULL;
}

/* a pooled string (cron_name_hold_str), held once less */
void
cron_name_release_str(const char *str)
{
	CronName   *name;

	if (str == NULL)
		return;
	name = hash_search(names, &str, HASH_FIND, NULL);
	Assert(name != NULL && name->str == str);
	cron_name_release(name);
}

/* held once less; freed with its last holder */
void
cron_name_release(CronName *name)
{
	char	   *str;

	if (name == NULL || --name->refs > 0)
		return;
	str = name->str;
	hash_search(names, &str, HASH_REMOVE, NULL);
	pfree(str);
}
