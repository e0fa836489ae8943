--
-- next_runs: properties of cron.next_runs beyond the syntax: defaults,
-- determinism, the search bound, and dates far from today.
--
CREATE EXTENSION IF NOT EXISTS cronext;
SET timezone = 'UTC';

-- defaults: five slots after now() in cron.timezone
SELECT count(*) FROM cron.next_runs('* * * * *');
SELECT bool_and(r > now()) FROM cron.next_runs('* * * * *') r;
-- named arguments
SELECT * FROM cron.next_runs(schedule => '0 12 * * *', after => '2026-06-01', count => 2);

-- pure: the same arguments give the same slots, and continuing from the
-- last slot gives the rest of the sequence
SELECT (SELECT array_agg(r) FROM cron.next_runs('*/7 3-5 * * 1-5', 'Europe/Berlin', '2026-03-01', 20) r)
     = (SELECT array_agg(r) FROM cron.next_runs('*/7 3-5 * * 1-5', 'Europe/Berlin', '2026-03-01', 20) r)
  AS deterministic;
SELECT (SELECT array_agg(r) FROM cron.next_runs('0 */5 * * *', 'America/New_York', '2026-03-01', 10) r)
     = (SELECT array_agg(r) FROM cron.next_runs('0 */5 * * *', 'America/New_York', '2026-03-01', 5) r)
       || (SELECT array_agg(r) FROM cron.next_runs('0 */5 * * *', 'America/New_York',
             (SELECT max(r) FROM cron.next_runs('0 */5 * * *', 'America/New_York', '2026-03-01', 5) r), 5) r)
  AS resumable;

-- rare schedules are found, however far ahead: the search covers a whole
-- 400-year Gregorian cycle (2100 is not a leap year)
SELECT * FROM cron.next_runs('0 0 29 2 *', 'UTC', '2096-03-01', 2);
-- the first of February on a Monday ('*/31' starts with '*', so the day of
-- week must match too)
SELECT * FROM cron.next_runs('0 0 */31 2 1', 'UTC', '2026-01-01', 3);
-- a large count is streamed and bounded by the caller
SELECT count(*), min(r), max(r) FROM cron.next_runs('* * * * *', 'UTC', '2026-01-01', 100000) r;

-- before the Unix epoch, interval slots are still multiples of N seconds
SELECT * FROM cron.next_runs('15 seconds', 'UTC', '1969-12-31 23:59:20', 4);
-- in 1850 New York kept local mean time (UTC-4:56:02): noon was 16:56:02 UTC
SELECT * FROM cron.next_runs('0 12 * * *', 'America/New_York', '1850-06-01', 1);
-- near the start and the end of the supported range
SELECT * FROM cron.next_runs('0 0 1 1 *', 'UTC', '0001-01-01 00:00:00+00', 2);
SELECT * FROM cron.next_runs('59 23 31 12 *', 'UTC', '9999-12-31 00:00:00+00', 1);
