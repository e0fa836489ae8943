/*-------------------------------------------------------------------------
 *
 * exec_command.h
 *	  Execute a job's command text the way a simple query would be.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_EXEC_COMMAND_H
#define CRONEXT_EXEC_COMMAND_H

extern bool cron_execute_command(const char *command, int timeout_ms,
								 char *message, Size message_size);

#endif							/* CRONEXT_EXEC_COMMAND_H */
