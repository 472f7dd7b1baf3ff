/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the renderers (format*.c): what kind of event a record is, in
 * the terms each format needs, and the accessors they all use.  The table
 * behind sl_evkind() is the one docs/siem.md shows.
 */
#ifndef SLUICE_FORMAT_INT_H
#define SLUICE_FORMAT_INT_H

#include "format.h"

/* OCSF classes sluice writes. */
enum {
	OCSF_PROCESS	= 1007,
	OCSF_EVENT_LOG	= 1008,
	OCSF_AUTH	= 3002,
	OCSF_ENTITY	= 3004,
	OCSF_ACCESS	= 3005,
	OCSF_NETWORK	= 4001,
	OCSF_DNS	= 4003,
	OCSF_APP	= 6002,
};

struct sl_evkind {
	const char *name;		/* event type; syslog MSGID */
	const char *verdict;		/* what the verdict filters see, or NULL */
	uint16_t ocsf_class;
	uint8_t ocsf_activity;
	uint8_t severity;		/* OCSF severity_id, 1 (info) .. 4 (high) */
	const char *ecs_category;
	const char *ecs_type[2];
	const char *cef_class;		/* CEF Device Event Class ID */
	const char *title;		/* CEF Name */
};

const struct sl_evkind *sl_evkind(const struct sl_evrec *ev);
/* A step-up request that ended without access: denied or expired. */
bool sl_ev_refusal(const struct sl_evkind *k);
/* The kind's severity, raised to Medium when a control operation failed. */
int sl_ev_severity(const struct sl_evrec *ev, const struct sl_evkind *k);
/* A control event whose fields say "outcome": "failure". */
bool sl_ev_failed(const struct sl_evrec *ev);

/* Control-event fields (NULL / false when absent or of another type). */
json_object *sl_ev_get(const struct sl_evrec *ev, const char *key);
const char *sl_ev_str(const struct sl_evrec *ev, const char *key);
bool sl_ev_int(const struct sl_evrec *ev, const char *key, int64_t *v);
/* The operator of a control event: "operator": {"uid": N, "pid": N}. */
bool sl_ev_operator(const struct sl_evrec *ev, int64_t *uid, int64_t *pid);

/* Identity of any event: from enrichment (decisions) or fields (control). */
const char *sl_ev_agent(const struct sl_evrec *ev);
const char *sl_ev_spiffe(const struct sl_evrec *ev);
const char *sl_ev_task(const struct sl_evrec *ev);

/* Where a connection went: from the kernel record or the fields. */
struct sl_evdst {
	char ip[48];			/* "" when unknown */
	int port;			/* -1 when unknown */
	int proto;			/* IPPROTO number, -1 when unknown */
	bool v6;
};
void sl_ev_dst(const struct sl_evrec *ev, struct sl_evdst *d);
/* Where the deciding rule is written, "file:line:col", or NULL when unknown. */
const char *sl_ev_rule_src(const struct sl_evrec *ev, char *buf, size_t len);
/* The delegator chain as "a,b,c", or NULL when there is none. */
const char *sl_ev_delegators(const struct sl_evrec *ev, char *buf, size_t len);
const char *sl_ev_comm(const struct sl_evrec *ev, char buf[SL_COMM_LEN + 1]);

/* One sentence about the event, for message fields. */
void sl_ev_message(const struct sl_evrec *ev, const struct sl_evkind *k, char *buf,
		   size_t len);

int64_t sl_ev_ms(const struct sl_evrec *ev);
/* "2026-01-01T00:00:00.123456Z" with 3 or 6 fraction digits. */
void sl_ev_iso(const struct sl_evrec *ev, int digits, char *buf, size_t len);

/* json-c shorthands: a NULL string adds nothing. */
void sl_jstr(json_object *o, const char *key, const char *v);
void sl_jint(json_object *o, const char *key, int64_t v);
json_object *sl_jobj(json_object *parent, const char *key);
/* Compact JSON, and "/" left alone (json-c writes "\/" by default). */
#define SL_JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
/* A field's value as text: strings as they are, others as compact JSON. */
const char *sl_jtext(json_object *v);
/* An array's items as "a,b,c" (other values as sl_jtext). */
const char *sl_jlist(json_object *v, char *buf, size_t len);

/* A growing string, for the text formats; on ENOMEM it stays failed. */
struct sl_sbuf {
	char *s;
	size_t len, cap;
	bool nomem;
};
void sl_sb_put(struct sl_sbuf *b, const char *s, size_t n);
void sl_sb_puts(struct sl_sbuf *b, const char *s);
void sl_sb_printf(struct sl_sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The string (caller frees) or NULL after ENOMEM. */
char *sl_sb_take(struct sl_sbuf *b, size_t *len);

#endif
