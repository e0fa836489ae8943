/*-------------------------------------------------------------------------
 *
 * error_context.h
 *	  Messages without the extension's internals (error_context.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_ERROR_CONTEXT_H
#define CRONEXT_ERROR_CONTEXT_H

extern void cron_error_context_install(void);

#endif							/* CRONEXT_ERROR_CONTEXT_H */
