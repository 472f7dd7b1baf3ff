/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Events as the outside world reads them.  An event is a kernel decision
 * record enriched by sluiced (agent, task, rule, process, time), or a
 * control-plane record (apply, run, grant, ...).  Each is rendered as one
 * line in one of four formats: sluice's own JSON (docs/events.md), OCSF
 * 1.8.0, ECS or CEF (docs/siem.md), and for syslog sinks wrapped in an
 * RFC 5424 header.
 */
#ifndef SLUICE_FORMAT_H
#define SLUICE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <json-c/json.h>
#include "compat.h"
#include "engine.h"

#define SLUICE_VERSION		"0.1.0"

enum sl_evfmt {
	SL_EVFMT_JSON,
	SL_EVFMT_OCSF,
	SL_EVFMT_ECS,
	SL_EVFMT_CEF,
	SL_EVFMT_MAX,
};

/*
 * One event on its way out.  Pointers are borrowed: they live as long as
 * the record is being rendered (see sl_evrec_dup for a copy that lasts).
 */
struct sl_evrec {
	uint64_t seq;			/* per daemon start, no gaps */
	char event_id[40];		/* unique event id, a UUID */
	struct timespec time;		/* CLOCK_REALTIME of the decision */
	const char *host;
	/* A decision: */
	const struct sl_event *k;	/* the kernel's record; NULL for control */
	struct sl_ident id;		/* agent, SPIFFE ID, task, run, ... */
	const char *delegators[SL_MAX_CHAIN];	/* task names, nearest first */
	unsigned int n_delegators;
	const char *dns_name;		/* name the destination was resolved from */
	const char *exe;		/* executable path, NULL when gone */
	const char *user;		/* user name of k->uid, NULL if unknown */
	bool has_rule;
	struct sl_rule_info rule;
	const char *request_id;		/* step-up request of an ask denial */
	/* A control-plane event: its type and fields (owned by the caller). */
	const char *type;
	json_object *fields;
};

/* RFC 5424 header choices of one syslog sink. */
struct sl_syslog_opts {
	int facility;			/* 0-23; local0 is 16 */
	const char *sd_id;		/* "sluice@32473" */
	int procid;
};

int sl_evfmt_parse(const char *s);	/* SL_EVFMT_* or -EINVAL */
const char *sl_evfmt_name(enum sl_evfmt f);

const char *sl_verdict_name(uint8_t v);
const char *sl_reason_name(uint8_t r);
const char *sl_hook_name(uint8_t h);
/*
 * The verdict of an event as the filters see it: allow, deny, audit,
 * redirect, or NULL for a control event that is no decision.
 */
const char *sl_evrec_verdict(const struct sl_evrec *ev);

/* ev as one line in format f, without the newline; malloc'd, NULL on ENOMEM. */
char *sl_format(const struct sl_evrec *ev, enum sl_evfmt f, size_t *len);
/*
 * An RFC 5424 message for ev: header, structured data, and msg (ev
 * already rendered in the sink's format) as MSG.  No framing, no newline.
 */
char *sl_format_syslog(const struct sl_evrec *ev, const struct sl_syslog_opts *o,
		       const char *msg, size_t msg_len, size_t *len);

/* The four renderings; the JSON ones return an object the caller puts. */
json_object *sl_format_json(const struct sl_evrec *ev);
json_object *sl_format_ocsf(const struct sl_evrec *ev);
json_object *sl_format_ecs(const struct sl_evrec *ev);
char *sl_format_cef(const struct sl_evrec *ev, size_t *len);

/* A deep copy that owns its strings (for the recent-events history). */
struct sl_evrec *sl_evrec_dup(const struct sl_evrec *ev);
void sl_evrec_free(struct sl_evrec *ev);

/* Replace bytes that are not UTF-8 by '?', in place: SIEMs need valid text. */
void sl_utf8_scrub(char *s, size_t len);

#endif
