--
-- one_off: one-off schedules ('@at YYYY-MM-DD HH:MM:SS+00') through SQL only:
-- their slot from cron.next_runs before, at and after the instant, in any
-- time zone; every error cron.check_schedule reports for them; and the
-- refusals of cron.schedule_at and of the guard trigger.
--
-- Every instant is fixed.  Errors whose detail names the time now are shown
-- terse; no job id and no now() is printed.  The jobs created here lie in
-- 2999 or are checked only against now(), and all are removed at the end.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cronext;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

-- 'ok' or the SQLSTATE and message of the error
CREATE FUNCTION pg_temp.try_schedule(sched text, tz text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cron.check_schedule(sched, tz);
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

---------------------------------------------------------------------------
-- the slot: the instant, once, strictly after `after`
---------------------------------------------------------------------------
-- long before: the instant, and nothing more however many are asked for
SELECT * FROM cron.next_runs('@at 2026-11-21 12:00:00+00', 'UTC', '2026-01-01 00:00:00+00', 5);
-- a day, a second, a microsecond before
SELECT * FROM cron.next_runs('@at 2026-11-21 12:00:00+00', 'UTC', '2026-11-20 12:00:00+00', 5);
SELECT * FROM cron.next_runs('@at 2026-11-21 12:00:00+00', 'UTC', '2026-11-21 11:59:59+00', 5);
SELECT * FROM cron.next_runs('@at 2026-11-21 12:00:00+00', 'UTC', '2026-11-21 11:59:59.999999+00', 5);
-- at the instant, a microsecond, a second and a day after: none
SELECT count(*) AS at_instant
FROM cron.next_runs('@at 2026-11-21 12:00:00+00', 'UTC', '2026-11-21 12:00:00+00', 5);
SELECT count(*) AS microsecond_after
FROM cron.next_runs('@at 2026-11-21 12:00:00+00', 'UTC', '2026-11-21 12:00:00.000001+00', 5);
SELECT count(*) AS second_after
FROM cron.next_runs('@at 2026-11-21 12:00:00+00', 'UTC', '2026-11-21 12:00:01+00', 5);
SELECT count(*) AS day_after
FROM cron.next_runs('@at 2026-11-21 12:00:00+00', 'UTC', '2026-11-22 12:00:00+00', 5);
-- any second of the minute
SELECT * FROM cron.next_runs('@at 2026-11-21 12:34:56+00', 'UTC', '2026-11-21 12:34:55+00', 5);

-- every spelling means the same instant
SELECT replace(s, E'\t', '<tab>') AS s, array_agg(r) AS slots
FROM unnest(ARRAY['@at 2026-11-21 12:00:00+00',
                  '@at 2026-11-21T12:00:00+00',
                  '@at 2026-11-21 12:00:00+00:00',
                  '@at 2026-11-21T12:00:00Z',
                  '@AT 2026-11-21 12:00:00+00',
                  E'@at\t2026-11-21 12:00:00+00',
                  '  @at   2026-11-21 12:00:00+00  ']) WITH ORDINALITY AS u(s, i),
     cron.next_runs(s, 'UTC', '2026-01-01 00:00:00+00', 5) AS r
GROUP BY s, i ORDER BY i;

-- leap days, the days around them, and the ends of the range
SELECT * FROM cron.next_runs('@at 2024-02-29 00:00:00+00', 'UTC', '2024-02-28 23:59:59+00', 5);
SELECT * FROM cron.next_runs('@at 2000-02-29 23:59:59+00', 'UTC', '2000-02-28 00:00:00+00', 5);
SELECT * FROM cron.next_runs('@at 2024-03-01 00:00:00+00', 'UTC', '2024-02-29 23:59:59+00', 5);
SELECT * FROM cron.next_runs('@at 0001-01-01 00:00:01+00', 'UTC', '0001-01-01 00:00:00+00', 5);
SELECT * FROM cron.next_runs('@at 9999-12-31 23:59:59+00', 'UTC', '0001-01-01 00:00:00+00', 5);
SELECT count(*) AS none_after_the_last
FROM cron.next_runs('@at 9999-12-31 23:59:59+00', 'UTC', '9999-12-31 23:59:59+00', 5);
SELECT * FROM cron.next_runs('@at 1969-12-31 23:59:59+00', 'UTC', '1969-12-31 23:59:58+00', 5);

---------------------------------------------------------------------------
-- the time zone does not matter
---------------------------------------------------------------------------
-- the same instant in every zone, with DST gaps and folds around it, and
-- with no zone argument (cron.timezone)
SELECT z AS zone, array_agg(r) AS slots
FROM unnest(ARRAY['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe',
                  'Asia/Kathmandu', 'Pacific/Apia', 'Pacific/Kiritimati', 'Etc/GMT+12']) AS z,
     cron.next_runs('@at 2026-03-08 07:00:00+00', z, '2026-03-08 06:59:59+00', 5) AS r
GROUP BY z ORDER BY z;
SELECT * FROM cron.next_runs('@at 2026-03-08 07:00:00+00', NULL, '2026-03-08 06:59:59+00', 5);
SELECT * FROM cron.next_runs('@at 2026-03-08 07:00:00+00', after => '2026-03-08 06:59:59+00');
-- inside New York's repeated hour: one slot, not one per copy of 01:30
SELECT * FROM cron.next_runs('@at 2026-11-01 05:30:00+00', 'America/New_York', '2026-11-01 00:00:00+00', 5);
SELECT * FROM cron.next_runs('@at 2026-11-01 05:30:00+00', 'America/New_York', '2026-11-01 05:30:00+00', 5);
-- nor does the session's time zone: the slot is one instant, shown in UTC
SET timezone = 'Australia/Lord_Howe';
SELECT r = '2026-11-21 12:00:00+00' AS same_instant
FROM cron.next_runs('@at 2026-11-21 12:00:00+00', 'America/New_York', '2026-11-21 11:59:59+00', 5) AS r;
SELECT count(*) AS at_instant
FROM cron.next_runs('@at 2026-11-21 12:00:00+00', 'America/New_York', '2026-11-21 23:00:00+11', 5);
SET timezone = 'UTC';
-- and check_schedule accepts it with any zone, but still checks the zone
SELECT pg_temp.try_schedule('@at 2026-11-21 12:00:00+00', 'Asia/Kathmandu');
SELECT pg_temp.try_schedule('@at 2026-11-21 12:00:00+00', 'Mars/Olympus_Mons');

---------------------------------------------------------------------------
-- cron.check_schedule: each error, with its detail and hint
---------------------------------------------------------------------------
SELECT cron.check_schedule('@at 2024-02-29 12:00:00+00');
SELECT cron.check_schedule('@at 9999-12-31 23:59:59+00');
-- not the layout: missing seconds, a five-digit year, a fraction, a short
-- field, no date at all
SELECT cron.check_schedule('@at 2026-11-21 12:00+00');
SELECT cron.check_schedule('@at 10000-01-01 00:00:00+00');
SELECT cron.check_schedule('@at 2026-11-21 12:00:00.5+00');
SELECT cron.check_schedule('@at 2026-1-21 12:00:00+00');
SELECT cron.check_schedule('@at tomorrow');
-- not UTC, or something after it
SELECT cron.check_schedule('@at 2026-11-21 12:00:00+01');
SELECT cron.check_schedule('@at 2026-11-21 12:00:00');
SELECT cron.check_schedule('@at 2026-11-21 12:00:00+00 junk');
-- not a date and time
SELECT cron.check_schedule('@at 2023-02-29 12:00:00+00');
SELECT cron.check_schedule('@at 2026-04-31 00:00:00+00');
SELECT cron.check_schedule('@at 2026-01-01 24:00:00+00');
SELECT cron.check_schedule('@at 0000-01-01 00:00:00+00');
-- '@at' must be followed by whitespace
SELECT cron.check_schedule('@at2026-11-21 12:00:00+00');
SELECT cron.check_schedule('@at');
-- the same errors, as SQLSTATEs and messages, and through cron.next_runs
SELECT s, pg_temp.try_schedule(s)
FROM unnest(ARRAY['@AT 2026-11-21 12:00:00+00', '@at 2026-11-21 12:00:00+01:00',
                  '@at 2026-11-21T12:00:00z', '@at 2026-11-21 12:00:00Z ',
                  '@at 2100-02-29 00:00:00+00', '@at 2000-02-29 00:00:00+00',
                  '@at 2026-11-21 12:00:60+00']) AS s;
SELECT * FROM cron.next_runs('@at 2023-02-29 12:00:00+00', 'UTC', '2023-01-01 00:00:00+00', 1);

---------------------------------------------------------------------------
-- cron.schedule_at
---------------------------------------------------------------------------
-- NULLs are errors
SELECT cron.schedule_at('regress-one-off', NULL, 'SELECT 1');
SELECT cron.schedule_at(NULL, '2999-01-01 12:00:00+00', 'SELECT 1');
SELECT cron.schedule_at('regress-one-off', '2999-01-01 12:00:00+00', NULL);
-- past and infinite instants are refused (the detail names the time now)
\set VERBOSITY terse
SELECT cron.schedule_at('regress-one-off', '2020-01-01 00:00:00+00', 'SELECT 1');
SELECT cron.schedule_at('regress-one-off', now() - interval '1 microsecond', 'SELECT 1');
SELECT cron.schedule_at('regress-one-off', now() - interval '1 day', 'SELECT 1');
\set VERBOSITY default
SELECT cron.schedule_at('regress-one-off', '-infinity', 'SELECT 1');
SELECT cron.schedule_at('regress-one-off', 'infinity', 'SELECT 1');
-- none of them created a job
SELECT count(*) AS jobs FROM cron.job WHERE jobname LIKE 'regress-one-off%';

-- a future instant: written in UTC, whole seconds, a fraction rounds up
SELECT cron.schedule_at('regress-one-off', '2999-01-01 12:00:00+00', 'SELECT 1') IS NOT NULL AS scheduled;
SELECT jobname, schedule, command, active, kind FROM cron.job WHERE jobname = 'regress-one-off';
SELECT cron.schedule_at('regress-one-off', '2999-01-01 17:30:00.25+05:30', 'SELECT 2') IS NOT NULL AS moved;
SELECT cron.schedule_at('regress-one-off-2', '2999-06-30 23:59:59.000001-07', 'SELECT 3') IS NOT NULL AS scheduled;
SELECT jobname, schedule, command, active FROM cron.job
WHERE jobname LIKE 'regress-one-off%' ORDER BY jobname;
-- the job's slot is what was asked for, whatever the job's zone
SELECT j.jobname, r AS slot
FROM cron.job j, cron.next_runs(j.schedule, j.timezone, '2026-01-01 00:00:00+00', 5) AS r
WHERE j.jobname LIKE 'regress-one-off%' ORDER BY j.jobname;
-- scheduling the name again makes a finished (inactive) job active again
UPDATE cron.job SET active = false WHERE jobname = 'regress-one-off-2';
SELECT cron.schedule_at('regress-one-off-2', '2999-07-01 07:00:00+00', 'SELECT 3') IS NOT NULL AS scheduled;
SELECT jobname, schedule, active FROM cron.job WHERE jobname = 'regress-one-off-2';
-- now() itself is not in the past; its instant is now() rounded up
SELECT cron.schedule_at('regress-one-off-now', now(), 'SELECT 4') IS NOT NULL AS scheduled;
SELECT substr(schedule, 5)::timestamptz - now() >= '0'
       AND substr(schedule, 5)::timestamptz - now() < '1 second' AS rounded_up
FROM cron.job WHERE jobname = 'regress-one-off-now';

---------------------------------------------------------------------------
-- the guard trigger: no past '@at' instant through any other way in
---------------------------------------------------------------------------
\set VERBOSITY terse
SELECT cron.schedule('regress-one-off-3', '@at 2020-01-01 00:00:00+00', 'SELECT 5');
SELECT cron.schedule('regress-one-off-3', '  @AT 1970-01-01T00:00:00Z', 'SELECT 5');
SELECT cron.alter_job((SELECT jobid FROM cron.job WHERE jobname = 'regress-one-off'),
                      schedule => '@at 2020-01-01 00:00:00+00');
UPDATE cron.job SET schedule = '@at 2020-01-01 00:00:00+00' WHERE jobname = 'regress-one-off';
INSERT INTO cron.job (jobname, schedule, command)
VALUES ('regress-one-off-3', '@at 2020-01-01 00:00:00+00', 'SELECT 5');
\set VERBOSITY default
-- an invalid instant is refused as such, before its time is looked at
SELECT cron.schedule('regress-one-off-3', '@at 2020-02-30 00:00:00+00', 'SELECT 5');
-- a future instant may be written directly, and a job may be moved to one
SELECT cron.schedule('regress-one-off-3', '@at 2999-12-31T23:59:59Z', 'SELECT 5') IS NOT NULL AS scheduled;
SELECT cron.alter_job((SELECT jobid FROM cron.job WHERE jobname = 'regress-one-off'),
                      schedule => '@at 2999-02-01 00:00:00+00');
SELECT jobname, schedule, active FROM cron.job
WHERE jobname LIKE 'regress-one-off%' AND jobname <> 'regress-one-off-now' ORDER BY jobname;
-- a one-off job whose instant has passed (as after its run, when the
-- scheduler made it inactive) cannot be switched back on
INSERT INTO cron.job (jobname, schedule, command, active)
VALUES ('regress-one-off-done', '@at 2020-01-01 00:00:00+00', 'SELECT 6', false);
\set VERBOSITY terse
SELECT cron.alter_job((SELECT jobid FROM cron.job WHERE jobname = 'regress-one-off-done'),
                      active => true);
\set VERBOSITY default
-- but it may be given a new instant and switched on with it
SELECT cron.alter_job((SELECT jobid FROM cron.job WHERE jobname = 'regress-one-off-done'),
                      schedule => '@at 2999-01-01 00:00:00+00', active => true);
SELECT schedule, active FROM cron.job WHERE jobname = 'regress-one-off-done';
SELECT cron.unschedule('regress-one-off-done');
-- the refused writes changed nothing else
SELECT count(*) AS jobs FROM cron.job WHERE jobname LIKE 'regress-one-off%';

-- clean up
SELECT cron.unschedule(jobname) FROM cron.job
WHERE jobname LIKE 'regress-one-off%' ORDER BY jobname;
