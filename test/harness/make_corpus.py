#!/usr/bin/env python3
"""Write the seed corpus for fuzz_schedule (test/harness/corpus/).

Owns: the seed inputs.  Each seed is one fuzzer input in fuzz_schedule.c's
layout: byte 0 = zone index, bytes 1-8 = starting instant (little-endian
int64, Unix seconds), then the schedule text.  Seeds pair the schedules
that matter (every syntax element, the DST-sensitive shapes) with the
zones and instants where they are interesting, so the fuzzer starts from
inputs that already reach the gap/fold code paths.

Usage: python3 make_corpus.py corpus   (replaces corpus/seed-*)
"""
import calendar
import os
import struct
import sys

# indexes into zones[] in fuzz_schedule.c
UTC, NEW_YORK, BERLIN, LORD_HOWE, SANTIAGO, APIA, KATHMANDU, JUNEAU = range(8)
MIN_INSTANT = -62135596800
MAX_INSTANT = 253402300799


def utc(s):
    """'YYYY-MM-DD HH:MM:SS' in UTC -> Unix seconds."""
    date, time = s.split(" ")
    y, mo, d = (int(x) for x in date.split("-"))
    h, mi, se = (int(x) for x in time.split(":"))
    return calendar.timegm((y, mo, d, h, mi, se, 0, 0, 0))


SEEDS = [
    # zone, after, text
    (NEW_YORK, utc("2026-11-20 00:00:00"), b"0 3 * * *"),
    (NEW_YORK, utc("2026-03-08 05:00:00"), b"30 2 * * *"),
    (NEW_YORK, utc("2026-11-01 04:00:00"), b"30 1 * * *"),
    (NEW_YORK, utc("2026-11-01 04:30:00"), b"*/30 * * * *"),
    (NEW_YORK, utc("2026-03-08 06:00:00"), b"*/15 * * * *"),
    (NEW_YORK, utc("2026-03-08 05:00:00"), b"0 2,3 * * *"),
    (NEW_YORK, utc("1883-11-18 12:00:00"), b"0 12 * * *"),
    (BERLIN, utc("2026-03-28 12:00:00"), b"30 2 * * *"),
    (BERLIN, utc("2026-10-24 23:00:00"), b"*/30 2 * * *"),
    (BERLIN, utc("2026-10-25 00:00:00"), b"0 * * * *"),
    (LORD_HOWE, utc("2026-10-03 12:00:00"), b"0 2 * * *"),
    (LORD_HOWE, utc("2026-04-04 13:00:00"), b"*/15 1 * * *"),
    (LORD_HOWE, utc("2026-10-03 14:00:00"), b"30 * * * *"),
    (LORD_HOWE, utc("2026-04-04 14:00:00"), b"15,45 1-2 * * *"),
    (SANTIAGO, utc("2026-04-04 12:00:00"), b"30 23 * * *"),
    (SANTIAGO, utc("2026-09-05 00:00:00"), b"30 0 * * *"),
    (SANTIAGO, utc("2026-09-05 00:00:00"), b"0 0 * * 0"),
    (APIA, utc("2011-12-29 00:00:00"), b"0 12 * * *"),
    (APIA, utc("2011-12-29 00:00:00"), b"0 0 30 12 *"),
    (KATHMANDU, utc("1985-12-31 12:00:00"), b"*/5 0 * * *"),
    (JUNEAU, utc("1867-10-17 00:00:00"), b"0 12 * * *"),
    (JUNEAU, utc("1867-10-17 00:00:00"), b"*/20 * * * *"),
    (UTC, utc("2026-01-01 00:00:00"), b"* * * * *"),
    (UTC, utc("2026-01-01 00:00:00"), b"0 0 29 2 *"),
    (UTC, utc("2026-02-01 00:00:00"), b"0 0 $ * *"),
    (UTC, utc("2026-02-01 00:00:00"), b"0 0 1,15,$ * *"),
    (UTC, utc("2026-02-01 00:00:00"), b"0 0 13 * 5"),
    (UTC, utc("2026-01-01 00:00:00"), b"0 0 */2 * 1"),
    (UTC, utc("2026-01-01 00:00:00"), b"5,10-12,*/20 * * * *"),
    (UTC, utc("2026-01-01 00:00:00"), b"10-50/10 2-20/6 * * *"),
    (UTC, utc("2026-01-01 00:00:00"), b"0 0 1 jan-mar,DEC *"),
    (UTC, utc("2026-01-01 00:00:00"), b"0 12 * feb-apr sun"),
    (UTC, utc("2026-01-01 00:00:00"), b"0 0 * * MON-fri"),
    (UTC, utc("2026-01-01 00:00:00"), b"0 0 * * 7"),
    (UTC, utc("2026-01-01 00:00:00"), b"0 0 30 2 1"),
    (UTC, MAX_INSTANT, b"0 0 29 2 *"),
    (UTC, MIN_INSTANT, b"0 0 1 1 *"),
    (NEW_YORK, MIN_INSTANT, b"@hourly"),
    (BERLIN, MAX_INSTANT, b"@weekly"),
    (UTC, 0, b"@daily"),
    (UTC, 0, b"@midnight"),
    (UTC, 0, b"@monthly"),
    (UTC, 0, b"@yearly"),
    (UTC, 0, b"@annually"),
    (UTC, 0, b"@reboot"),
    (UTC, -1, b"7 seconds"),
    (NEW_YORK, utc("2026-11-01 05:59:45"), b" 30 sEcOnDs "),
    (UTC, 0, b"17  seconds "),
    (UTC, 0, b"1 second"),
    # invalid ones: the error paths
    (UTC, 0, b"5-1 * * * *"),
    (UTC, 0, b"*/0 * * * *"),
    (UTC, 0, b"60 * * * *"),
    (UTC, 0, b"* * * * 8"),
    (UTC, 0, b"0 0 30 2 *"),
    (UTC, 0, b"60 seconds"),
    (UTC, 0, b"0 seconds"),
    (UTC, 0, b"* * * *"),
    (UTC, 0, b"0 0 $-5 * *"),
    (UTC, 0, b"0 0 * jan-dex *"),
    (UTC, 0, b"@hour"),
    (UTC, 0, b""),
    (UTC, 0, b"0 \xff * * *"),
    (UTC, 0, b"0 3 * * *\xc3\xa9"),
    (UTC, 0, b"0" * 992 + b" 3 * * *"),
    (UTC, 0, b"1," * 520 + b" * * * *"),
    # one-off instants (@at), appended so that the seeds above keep their
    # numbers: before, at and after the instant, in zones that must not
    # matter, at the ends of the range, in each spelling
    (UTC, utc("2026-11-21 11:59:59"), b"@at 2026-11-21 12:00:00+00"),
    (NEW_YORK, utc("2026-11-21 12:00:00"), b"@at 2026-11-21T12:00:00Z"),
    (LORD_HOWE, utc("2026-11-21 12:00:01"), b"@AT 2026-11-21 12:00:00+00:00"),
    (BERLIN, utc("2024-02-28 12:00:00"), b"@at 2024-02-29 23:59:59+00"),
    (APIA, utc("2011-12-29 00:00:00"), b"@At\t2011-12-30T10:00:00Z"),
    (UTC, MAX_INSTANT - 1, b"@at 9999-12-31 23:59:59+00"),
    (UTC, MIN_INSTANT, b"@at 0001-01-01 00:00:01+00"),
    (SANTIAGO, 0, b"  @at 1969-12-31 23:59:59+00 "),
    # invalid ones
    (UTC, 0, b"@at 2023-02-29 00:00:00+00"),
    (UTC, 0, b"@at 2026-11-21 12:00:00+01"),
    (UTC, 0, b"@at 2026-11-21 12:00+00"),
    (UTC, 0, b"@at 0000-01-01 00:00:00+00"),
    (UTC, 0, b"@at 10000-01-01 00:00:00+00"),
    (UTC, 0, b"@at2026-11-21 12:00:00+00"),
    (UTC, 0, b"@at 2026-11-21 12:00:00+00 junk"),
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "corpus"
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name.startswith("seed-"):
            os.remove(os.path.join(out, name))
    for i, (zone, after, text) in enumerate(SEEDS):
        data = bytes([zone]) + struct.pack("<q", after) + text
        with open(os.path.join(out, "seed-%03d" % i), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(SEEDS), out))


if __name__ == "__main__":
    main()
