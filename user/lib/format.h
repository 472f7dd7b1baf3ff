/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Events as the outside world reads them.  An event is a kernel decision
 * record enriched by sluiced (agent, task, rule, time), or a control-plane
 * record (apply, run, refusal, ...).  docs/events.md documents the fields.
 */
#ifndef SLUICE_FORMAT_H
#define SLUICE_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <json-c/json.h>
#include "compat.h"
#include "engine.h"

struct sl_evrec {
	uint64_t seq;			/* per daemon boot, no gaps */
	struct timespec time;		/* CLOCK_REALTIME of the decision */
	const char *host;
	/* A decision: */
	const struct sl_event *k;	/* NULL for a control-plane event */
	struct sl_ident id;
	bool has_rule;
	struct sl_rule_info rule;
	const char *request_id;		/* step-up request of an ask denial */
	/* A control-plane event: its type and fields (owned by the caller). */
	const char *type;
	json_object *fields;
};

const char *sl_verdict_name(uint8_t v);
const char *sl_reason_name(uint8_t r);
const char *sl_hook_name(uint8_t h);
/* The verdict of an event as the filters see it: allow, deny, audit, or NULL. */
const char *sl_evrec_verdict(const struct sl_evrec *ev);

/* sluice's own JSON object for an event (caller puts it). */
json_object *sl_format_json(const struct sl_evrec *ev);

#endif
