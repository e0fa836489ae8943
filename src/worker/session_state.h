/*-------------------------------------------------------------------------
 *
 * session_state.h
 *	  A pooled job worker's session between runs (session_state.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRON_SESSION_STATE_H
#define CRON_SESSION_STATE_H

extern char *cron_session_settings(void);
extern bool cron_session_reset(void);

#endif							/* CRON_SESSION_STATE_H */
