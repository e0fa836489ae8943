/*-------------------------------------------------------------------------
 *
 * exec_command.h
 *	  Execute a job's command text the way a simple query would be.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_EXEC_COMMAND_H
#define CRONEXT_EXEC_COMMAND_H

/*
 * What a caller does around the command's own transaction, when every
 * statement of the command can run in one (exactly-once effect, see
 * common/delivery.c): before, in a transaction of its own committed just
 * before the command's (false: do not run the command; *succeeded and
 * message say what to report); and at_commit, in the command's
 * transaction after its last statement succeeded, just before the commit,
 * with the completion text.  An error in at_commit fails the command,
 * whose effects are rolled back with it.
 */
typedef struct CronCommandHooks
{
	bool		(*before) (void *arg, bool *succeeded, char *message, Size size);
	void		(*at_commit) (void *arg, const char *message);
	void	   *arg;
} CronCommandHooks;

extern bool cron_execute_command(const char *command, int timeout_ms,
								 char *message, Size message_size,
								 const CronCommandHooks *hooks, bool *hooked);

#endif							/* CRONEXT_EXEC_COMMAND_H */
