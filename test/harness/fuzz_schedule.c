/*-------------------------------------------------------------------------
 *
 * fuzz_schedule.c
 *	  libFuzzer target for the schedule parser and slot arithmetic.
 *
 * Owns: turning fuzzer bytes into (zone, starting instant, schedule text)
 * and running the same checks as check_schedule on them.  Input layout:
 *
 *	byte 0		zone, index into zones[] (modulo its length)
 *	bytes 1-8	starting instant, little-endian int64; values outside
 *				CRON_MIN_INSTANT..CRON_MAX_INSTANT are folded into it
 *				(modulo, not clamped, so mutated high bytes still give
 *				varied instants; the range ends are seeds of their own)
 *	bytes 9-	schedule text, cut at MAX_TEXT bytes and NUL-terminated
 *				(an embedded NUL simply ends the text early)
 *
 * A parse failure must come with a sane error report; a success must give
 * up to FUZZ_SLOTS slots that obey every invariant in slot_check.c and
 * agree with the reference.  Either way the answer must agree with the
 * reference reading of one-off schedules (check_at_parse): a text is a
 * one-off '@at' schedule exactly when the reference says so, at the
 * reference's instant.  Violations abort, which libFuzzer reports as a
 * crash and saves the input.
 *
 * Build: see Makefile, target fuzz.  Replay one input:
 *	build/fuzz/fuzz_schedule path/to/input
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include "next_run.h"
#include "schedule.h"
#include "slot_check.h"
#include "tz_libc.h"

/* a little above the parser's limit, so the limit itself is exercised */
#define MAX_TEXT	(CRON_SCHEDULE_MAX_LEN + 24)

#define FUZZ_SLOTS	5

/*
 * The brief's four zones first, then zones whose history has the corner
 * cases: DST at midnight (Santiago), a skipped day (Apia 2011), a
 * 15-minute shift (Kathmandu 1986), a repeated day and second-granular
 * LMT (Juneau 1867), negative DST (Dublin), a 2-hour DST (Troll), DST
 * suspended for Ramadan (Casablanca), a -3:30 zone (St_Johns).
 */
static const char *const zones[] = {
	"UTC",
	"America/New_York",
	"Europe/Berlin",
	"Australia/Lord_Howe",
	"America/Santiago",
	"Pacific/Apia",
	"Asia/Kathmandu",
	"America/Juneau",
	"Europe/Dublin",
	"Antarctica/Troll",
	"Africa/Casablanca",
	"America/St_Johns",
};

static int	current_zone = -1;

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8 *data, size_t size);

/* refuse to run without the zones: glibc would quietly use UTC instead */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int			i;

	for (i = 0; i < (int) lengthof(zones); i++)
	{
		if (!tz_libc_select(zones[i]))
		{
			fprintf(stderr, "fuzz_schedule: time zone %s not found; is tzdata installed?\n",
					zones[i]);
			exit(2);
		}
	}
	current_zone = -1;
	return 0;
}

static int64
fold_instant(uint64 raw)
{
	int64		v = (int64) raw;
	uint64		span = (uint64) (CRON_MAX_INSTANT - CRON_MIN_INSTANT) + 1;

	if (v >= CRON_MIN_INSTANT && v <= CRON_MAX_INSTANT)
		return v;
	return CRON_MIN_INSTANT + (int64) (raw % span);
}

int
LLVMFuzzerTestOneInput(const uint8 *data, size_t size)
{
	int			zone = size > 0 ? data[0] % (int) lengthof(zones) : 0;
	uint64		raw = 0;
	size_t		i;
	size_t		len;
	char	   *text;
	CronSchedule schedule;
	CronParseError error;

	for (i = 0; i < 8; i++)
		if (1 + i < size)
			raw |= (uint64) data[1 + i] << (8 * i);
	len = size > 9 ? Min(size - 9, (size_t) MAX_TEXT) : 0;

	/* exactly len + 1 bytes, so ASan sees any read past the NUL */
	text = malloc(len + 1);
	if (text == NULL)
		return 0;
	if (len > 0)
		memcpy(text, data + 9, len);
	text[len] = '\0';

	if (zone != current_zone)
	{
		if (!tz_libc_select(zones[zone]))
			abort();
		current_zone = zone;
	}

	if (cron_parse_schedule(text, &schedule, &error))
	{
		check_at_parse(text, true, &schedule);
		check_slots(text, &schedule, fold_instant(raw), FUZZ_SLOTS, true);
	}
	else
	{
		check_parse_error(text, &error);
		check_at_parse(text, false, NULL);
	}

	free(text);
	return 0;
}
