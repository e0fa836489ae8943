--
-- schedule_syntax: every element of the schedule language, and every way a
-- schedule can be wrong.  Slots are shown through cron.next_runs with fixed
-- starting points, in UTC (2026-01-01 was a Thursday).
--
CREATE EXTENSION IF NOT EXISTS cronext;
SET timezone = 'UTC';

-- first n slots of a schedule, one row each, with the weekday
CREATE FUNCTION slots(sched text, n integer DEFAULT 4,
                      after timestamptz DEFAULT '2026-01-01 00:00:00+00')
RETURNS TABLE (slot text)
LANGUAGE sql AS $$
    SELECT to_char(r, 'YYYY-MM-DD Dy HH24:MI:SS')
    FROM cron.next_runs(sched, 'UTC', after, n) r
$$;

-- 'ok' or the SQLSTATE and message of the error
CREATE FUNCTION try_schedule(sched text, tz text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cron.check_schedule(sched, tz);
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- single values, lists, ranges, steps
SELECT * FROM slots('* * * * *');
SELECT * FROM slots('5 * * * *');
SELECT * FROM slots('0,15,30,45 * * * *', 5);
SELECT * FROM slots('10-12 * * * *');
SELECT * FROM slots('*/20 * * * *');
SELECT * FROM slots('10-40/15 * * * *');
SELECT * FROM slots('5/20 * * * *');
SELECT * FROM slots('0 */6 * * *', 5);
SELECT * FROM slots('30 9-17/4 * * *', 4);
SELECT * FROM slots('0 0 1,15 * *');
SELECT * FROM slots('0 0 1 */4 *');

-- names, in any case, also in ranges and lists; 7 and 0 are Sunday
SELECT * FROM slots('0 0 1 jan,JUL *');
SELECT * FROM slots('0 0 1 Feb-Apr *');
SELECT * FROM slots('0 0 * * mon-fri', 6);
SELECT * FROM slots('0 0 * * 7', 2);
SELECT * FROM slots('0 0 * * 0', 2);
SELECT * FROM slots('0 0 * * SUN', 2);
SELECT * FROM slots('0 0 * * 5-7', 6);
SELECT * FROM slots('0 0 * * 0-7', 3);

-- '$' is the last day of the month: February 2027 has 28 days, 2028 is leap
SELECT * FROM slots('0 0 $ * *', 3);
SELECT * FROM slots('0 12 $ 2 *', 3, '2027-01-01');
SELECT * FROM slots('0 0 1,$ * *', 4);
SELECT * FROM slots('0 0 29 2 *', 2);

-- day of month and day of week both restricted: either matches (Vixie
-- cron); 2026-02-13 and 2026-03-13 are Fridays
SELECT * FROM slots('0 0 13 * fri', 6, '2026-02-01');
-- a field starting with '*' does not count as restricted: both must match
SELECT * FROM slots('0 0 */10 * mon', 3);
SELECT * FROM slots('0 0 * * 1', 2);

-- whitespace: tabs, several spaces, leading and trailing
SELECT * FROM slots(E'\t0  3\t* *   *  ', 2);

-- macros
SELECT * FROM slots('@hourly', 2);
SELECT * FROM slots('@daily', 2);
SELECT * FROM slots('@midnight', 2);
SELECT * FROM slots('@weekly', 2);
SELECT * FROM slots('@monthly', 2);
SELECT * FROM slots('@yearly', 2);
SELECT * FROM slots('@annually', 2);
SELECT * FROM slots('@DAILY', 1);
-- @reboot has no slots in time
SELECT count(*) FROM cron.next_runs('@reboot', 'UTC', '2026-01-01', 5);

-- interval schedules: slots are the multiples of N seconds since the epoch,
-- with pg_cron's leniency about spacing, case and the plural
SELECT * FROM slots('1 second', 3);
SELECT * FROM slots(' 30 sEcOnDs ', 3);
SELECT * FROM slots('17  seconds ', 3);
SELECT * FROM slots('59 seconds', 2);
SELECT * FROM slots('7seconds', 2, '2026-01-01 00:00:03.5+00');

-- slots are strictly after the starting point
SELECT * FROM slots('0 0 * * *', 2, '2026-01-01 00:00:00+00');
SELECT * FROM slots('0 0 * * *', 2, '2025-12-31 23:59:59.999999+00');
SELECT count(*) FROM cron.next_runs('* * * * *', 'UTC', '2026-01-01', 0);

-- errors: SQLSTATE 22023, naming the field and the value
SELECT s AS schedule, try_schedule(s) AS result FROM (VALUES
    (''), ('   '), ('garbage'), ('* * * *'), ('* * * * * *'), ('0 0 * * * 2026'),
    ('60 * * * *'), ('* 24 * * *'), ('* * 0 * *'), ('* * 32 * *'),
    ('* * * 0 *'), ('* * * 13 *'), ('* * * * 8'), ('99999999999 * * * *'),
    ('5-1 * * * *'), ('* 23-1 * * *'), ('* * * dec-jan *'), ('* * * * fri-mon'),
    ('*/0 * * * *'), ('1-5/0 * * * *'), ('*/61 * * * *'), ('* */25 * * *'),
    ('*/ * * * *'), ('1- * * * *'), ('-1 * * * *'), ('1,,2 * * * *'),
    (',1 * * * *'), ('1, * * * *'), ('1.5 * * * *'), ('*5 * * * *'),
    ('1-2-3 * * * *'), ('1/2/3 * * * *'),
    ('mon * * * *'), ('* jan * * *'), ('* * * foo *'), ('* * * * monday'),
    ('* * * * 1-sunday'), ('$ * * * *'), ('* * * $ *'), ('* * $-5 * *'),
    ('* * $/2 * *'), ('* * 1-$ * *'), (E'0 0 * * \u00e9'),
    ('0 0 L * *'), ('0 0 * * 5L'), ('0 0 * * L'),
    ('0 0 30 2 *'), ('0 0 31 4,6,9,11 *'), ('0 0 30,31 feb *'),
    ('@weekly2'), ('@every 5m'), ('@'), ('@ daily'),
    ('0 seconds'), ('60 seconds'), ('5 minutes'), ('5 secs'), ('-5 seconds'),
    ('5 seconds ago'), ('99999999999999999999 seconds'), ('second'), ('5 5 seconds')
) AS t(s);

-- the full report for a few of them
SELECT cron.check_schedule('61 * * * *');
SELECT cron.check_schedule('0 0 * 1-13 *');
SELECT cron.check_schedule('* * * *');
SELECT cron.check_schedule('0 0 30 2 *');
SELECT cron.check_schedule('60 seconds');
SELECT cron.check_schedule('*/0 * * * *');

-- a day of month impossible in its month is fine when the day of week can
-- fire instead (Vixie rule)
SELECT * FROM slots('0 0 30 2 mon', 2);

-- too long, and odd bytes: errors, never a crash
SELECT try_schedule(repeat('1,', 600) || '1 * * * *');
SELECT try_schedule(repeat(' ', 2000) || '* * * * *');
SELECT length(try_schedule(repeat('*', 999))) > 0 AS reported;
SELECT try_schedule(E'0 0 * * *\x7f');

-- time zones
SELECT try_schedule('0 0 * * *', 'America/New_York');
SELECT try_schedule('0 0 * * *', 'Mars/Olympus');
SELECT try_schedule('0 0 * * *', '');
SELECT left(try_schedule('0 0 * * *', repeat('x', 300)), 40);
SELECT cron.check_schedule('0 0 * * *', 'Mars/Olympus');

-- NULLs are errors, not silent NULL results
SELECT cron.check_schedule(NULL);
SELECT * FROM cron.next_runs(NULL);
SELECT * FROM cron.next_runs('* * * * *', 'UTC', NULL);
SELECT * FROM cron.next_runs('* * * * *', 'UTC', '2026-01-01', NULL);
-- out-of-range arguments
SELECT * FROM cron.next_runs('* * * * *', 'UTC', '2026-01-01', -1);
SELECT * FROM cron.next_runs('* * * * *', 'UTC', 'infinity');
SELECT * FROM cron.next_runs('* * * * *', 'UTC', '-infinity');
SELECT * FROM cron.next_runs('* * * * *', 'UTC', '10000-01-01');
SELECT * FROM slots('0 0 1 1 *', 2, '9999-06-01');

-- the L (last) of other cron dialects points to '$'
SELECT cron.check_schedule('0 0 L * *');
SELECT cron.check_schedule('0 0 * * 5L');

DROP FUNCTION slots(text, integer, timestamptz);
DROP FUNCTION try_schedule(text, text);
