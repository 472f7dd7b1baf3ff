/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The event pipeline: drain the kernel's ring buffer, enrich each record
 * from the engine, and hand the result to the sink, to `sluicectl events
 * --follow` clients, and to a short history for `sluicectl events`.
 * Control-plane events (apply, run, refused peers, ...) take the same path.
 */
#ifndef SLUICE_EVENTS_H
#define SLUICE_EVENTS_H

#include <stdint.h>
#include <json-c/json.h>
#include "engine.h"

struct sl_events_cfg {
	const char *path;	/* JSON lines file, "-" for stdout, NULL for none */
	int ringbuf_fd;
};

struct sl_events;

int sl_events_new(struct sl_events **out, struct sl_engine *e, const struct sl_events_cfg *cfg);
void sl_events_free(struct sl_events *ev);
/* Readable when the ring buffer has records. */
int sl_events_fd(const struct sl_events *ev);
/* Drain the ring buffer; returns records handled or -errno. */
int sl_events_consume(struct sl_events *ev);
/* A control-plane event of this type; fields (may be NULL) are taken. */
void sl_events_control(struct sl_events *ev, const char *type, json_object *fields);
/* Reopen the file sink (after rotation by logrotate; SIGHUP). */
int sl_events_reopen(struct sl_events *ev);

/*
 * Stream events to fd from now on, filtered by req's "agent" and "verdict"
 * (either may be absent).  The events module owns fd from here on.
 */
int sl_events_follow(struct sl_events *ev, int fd, json_object *req);
/* The most recent events that pass req's filters, oldest first, at most "limit". */
json_object *sl_events_recent(struct sl_events *ev, json_object *req);
/* Retry writes to slow followers; drop those gone. */
void sl_events_flush(struct sl_events *ev);
json_object *sl_events_status(const struct sl_events *ev);

#endif
