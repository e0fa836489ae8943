--
-- timezones: slots on the local wall clock across real 2026 DST changes.
--
-- Rules (DESIGN.md): a fixed wall time in a spring-forward gap fires once,
-- at the first instant after the gap; a fixed wall time in a fall-back fold
-- fires once, at its first occurrence; a job whose hour field is '*'
-- follows real time (both copies of a repeated hour, nothing in a gap).
-- Each slot is shown in the job's zone, with its UTC offset.
--
CREATE EXTENSION IF NOT EXISTS cronext;

-- the example the issue requires
SET timezone = 'UTC';
SELECT * FROM cron.next_runs('0 3 * * *', 'America/New_York', '2026-11-20 00:00+00', 3);

-- the default zone is cron.timezone, GMT as in pg_cron
SHOW cron.timezone;
SELECT * FROM cron.next_runs('0 3 * * *', NULL, '2026-11-20 00:00+00', 2);

-- America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT
SET timezone = 'America/New_York';
-- fixed time inside the gap: once, at 03:00 EDT (not 03:30, what the naive
-- timestamp AT TIME ZONE conversion gives)
SELECT * FROM cron.next_runs('30 2 * * *', 'America/New_York', '2026-03-07 00:00-05', 3);
SELECT '2026-03-08 02:30'::timestamp AT TIME ZONE 'America/New_York' AS naive;
-- several fixed times inside the gap still make one slot
SELECT * FROM cron.next_runs('*/20 2 * * *', 'America/New_York', '2026-03-08 00:00-05', 4);
-- fixed time just outside the gap is untouched
SELECT * FROM cron.next_runs('30 1,3 * * *', 'America/New_York', '2026-03-08 00:00-05', 3);
-- wildcard hour: real time, nothing between 02:00 and 03:00
SELECT * FROM cron.next_runs('*/30 * * * *', 'America/New_York', '2026-03-08 00:45-05', 5);
SELECT * FROM cron.next_runs('30 * * * *', 'America/New_York', '2026-03-08 00:00-05', 3);

-- America/New_York: 2026-11-01 02:00 EDT -> 01:00 EST
-- fixed time inside the fold: once, at its first occurrence (EDT; the naive
-- conversion picks the second, EST)
SELECT * FROM cron.next_runs('30 1 * * *', 'America/New_York', '2026-10-31 12:00-04', 3);
SELECT '2026-11-01 01:30'::timestamp AT TIME ZONE 'America/New_York' AS naive;
-- started between the two occurrences: the second is not a slot
SELECT * FROM cron.next_runs('30 1 * * *', 'America/New_York', '2026-11-01 01:45-04', 1);
SELECT * FROM cron.next_runs('*/15 1 * * *', 'America/New_York', '2026-11-01 00:50-04', 5);
-- wildcard hour: both copies of the repeated hour
SELECT * FROM cron.next_runs('*/30 * * * *', 'America/New_York', '2026-11-01 00:45-04', 6);
SELECT * FROM cron.next_runs('@hourly', 'America/New_York', '2026-11-01 00:30-04', 4);
-- a daily job keeps its wall time on both sides of each change
SELECT * FROM cron.next_runs('0 9 * * *', 'America/New_York', '2026-03-06 12:00-05', 4);
SELECT * FROM cron.next_runs('0 9 * * *', 'America/New_York', '2026-10-30 12:00-04', 4);

-- Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST,
--                2026-10-25 03:00 CEST -> 02:00 CET
SET timezone = 'Europe/Berlin';
SELECT * FROM cron.next_runs('30 2 * * *', 'Europe/Berlin', '2026-03-28 12:00+01', 3);
SELECT * FROM cron.next_runs('*/30 * * * *', 'Europe/Berlin', '2026-03-29 01:15+01', 4);
SELECT * FROM cron.next_runs('30 2 * * *', 'Europe/Berlin', '2026-10-24 12:00+02', 3);
SELECT * FROM cron.next_runs('*/30 * * * *', 'Europe/Berlin', '2026-10-25 01:45+02', 6);
SELECT * FROM cron.next_runs('0 3 * * *', 'Europe/Berlin', '2026-10-24 12:00+02', 2);

-- Australia/Lord_Howe, a 30-minute DST shift:
--   2026-04-05 02:00 +11 -> 01:30 +10:30, 2026-10-04 02:00 +10:30 -> 02:30 +11
SET timezone = 'Australia/Lord_Howe';
SELECT * FROM cron.next_runs('45 1 * * *', 'Australia/Lord_Howe', '2026-04-04 12:00+11', 2);
SELECT * FROM cron.next_runs('*/15 * * * *', 'Australia/Lord_Howe', '2026-04-05 01:20+11', 6);
SELECT * FROM cron.next_runs('15 2 * * *', 'Australia/Lord_Howe', '2026-10-03 12:00+1030', 2);
SELECT * FROM cron.next_runs('*/15 * * * *', 'Australia/Lord_Howe', '2026-10-04 01:40+1030', 4);

-- America/Santiago skips midnight (2026-09-06 00:00 -04 -> 01:00 -03):
-- a midnight job fires at the first instant of that day
SET timezone = 'America/Santiago';
SELECT * FROM cron.next_runs('@daily', 'America/Santiago', '2026-09-04 12:00-04', 3);

-- zones without DST
SET timezone = 'UTC';
SELECT * FROM cron.next_runs('0 9 * * *', 'Asia/Kolkata', '2026-01-01 00:00+00', 2);
SELECT * FROM cron.next_runs('0 9 * * *', 'UTC', '2026-01-01 00:00+00', 2);

-- interval schedules do not depend on the zone
SELECT (SELECT array_agg(r) FROM cron.next_runs('15 seconds', 'America/New_York', '2026-11-01 05:59:50+00', 3) r)
     = (SELECT array_agg(r) FROM cron.next_runs('15 seconds', 'Asia/Tokyo', '2026-11-01 05:59:50+00', 3) r)
  AS same_slots;

-- property: across a whole DST year, slots are strictly increasing, whole
-- minutes, and each fixed-time job has exactly one slot per local day
SELECT z AS zone,
       count(*) AS slots,
       count(DISTINCT (r AT TIME ZONE z)::date) AS local_days,
       bool_and(extract(second FROM r) = 0) AS whole_minutes
FROM unnest(ARRAY['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe']) z,
     LATERAL cron.next_runs('30 2 * * *', z, '2026-01-01 00:00+00', 365) r
GROUP BY z ORDER BY z;
SELECT z AS zone,
       count(*) AS slots,
       bool_and(d = interval '15 minutes') AS every_15_min_of_real_time
FROM unnest(ARRAY['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe']) z,
     LATERAL (SELECT r - lag(r) OVER (ORDER BY r) AS d
              FROM cron.next_runs('*/15 * * * *', z, '2026-01-01 00:00+00', 35040) r) s
WHERE d IS NOT NULL
GROUP BY z ORDER BY z;
RESET timezone;
