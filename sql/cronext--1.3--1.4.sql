/*
 * cronext--1.3--1.4.sql
 *	  From 1.3 to 1.4: the guard trigger on cron.job, cron.job_guard(), is
 *	  written in C (src/api/job_guard.c) instead of PL/pgSQL, with the same
 *	  rules, errors and filled values; an INSERT of many jobs no longer
 *	  spends most of its time validating them.  The function keeps its
 *	  OID, so the trigger and the revoked EXECUTE stay as they are.
 *	  The block below is a copy of cronext--1.4.sql; test/t/195 checks that
 *	  an updated catalog equals a fresh one.
 */

\echo Use "ALTER EXTENSION cronext UPDATE TO '1.4'" to load this file. \quit

CREATE OR REPLACE FUNCTION cron.job_guard()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'cron_job_guard';
