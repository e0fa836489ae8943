/*-------------------------------------------------------------------------
 *
 * launcher.h
 *	  Entry point of the cronext launcher background worker (launcher.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_LAUNCHER_H
#define CRONEXT_LAUNCHER_H

#include "postgres.h"

extern PGDLLEXPORT void cron_launcher_main(Datum main_arg);

#endif							/* CRONEXT_LAUNCHER_H */
