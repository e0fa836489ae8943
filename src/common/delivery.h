/*-------------------------------------------------------------------------
 *
 * delivery.h
 *	  Exactly-once or at-most-once: which guarantee a job's command can
 *	  have (delivery.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_DELIVERY_H
#define CRONEXT_DELIVERY_H

#include "nodes/pg_list.h"

typedef enum CronDelivery
{
	CRON_AT_MOST_ONCE,
	CRON_EXACTLY_ONCE
} CronDelivery;

extern bool cron_statements_are_transactional(List *raw_parsetrees);
extern CronDelivery cron_delivery_of(bool http, const char *command,
									 bool in_ledger_database);
extern const char *cron_delivery_name(CronDelivery delivery);

#endif							/* CRONEXT_DELIVERY_H */
