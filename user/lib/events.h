/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The event pipeline: drain the kernel's ring buffer, enrich each record
 * (agent, task, rule, process, user, host, event id, seq), and fan it out
 * to the sinks, to `sluicectl events --follow` clients and to a short
 * history for `sluicectl events`.  Control-plane events (apply, run,
 * grant, ...) take the same path.  Losses anywhere -- in the kernel ring
 * buffer or a sink queue -- are counted and reported as events_lost.
 */
#ifndef SLUICE_EVENTS_H
#define SLUICE_EVENTS_H

#include <stdint.h>
#include <json-c/json.h>
#include "engine.h"
#include "maps.h"
#include "sinks.h"

/* What the config file's events: section (and --events) configure. */
struct sl_events_cfg {
	struct sl_sink_cfg *sinks;
	size_t n_sinks;
	uint32_t sample_allowed;	/* keep 1 in N allowed events; 0 or 1: all */
	uint32_t ringbuf_bytes;		/* 0: the default */
};

/* Add a sink (copied; the caller keeps its own). */
int sl_events_cfg_add(struct sl_events_cfg *c, const struct sl_sink_cfg *sink);
void sl_events_cfg_free(struct sl_events_cfg *c);

struct sl_events;

/* Start the pipeline on maps' ring buffer; sinks open now (errors are fatal). */
int sl_events_new(struct sl_events **out, struct sl_engine *e, const struct sl_maps *m,
		  const struct sl_events_cfg *cfg);
/* Stop: sinks get two seconds to write what is queued.  NULL is fine. */
void sl_events_free(struct sl_events *ev);
/* Readable when the ring buffer has records. */
int sl_events_fd(const struct sl_events *ev);
/* Drain the ring buffer; returns records handled or -errno. */
int sl_events_consume(struct sl_events *ev);
/* A control-plane event of this type; fields (may be NULL) are taken. */
void sl_events_control(struct sl_events *ev, const char *type, json_object *fields);
/* Reopen file sinks (after logrotate; SIGHUP), reconnect syslog sinks. */
int sl_events_reopen(struct sl_events *ev);

/*
 * Stream events to fd from now on, filtered by req's "agent" and "verdict"
 * (either may be absent), rendered in req's "format" (default json).  The
 * events module owns fd from here on.
 */
int sl_events_follow(struct sl_events *ev, int fd, json_object *req);
/*
 * The most recent events that pass req's filters, oldest first, at most
 * "limit": JSON objects, or strings for CEF.
 */
json_object *sl_events_recent(struct sl_events *ev, json_object *req);
/*
 * Once a second: retry writes to slow followers, drop those gone, and
 * report losses that grew (an events_lost event per source).
 */
void sl_events_flush(struct sl_events *ev);
json_object *sl_events_status(struct sl_events *ev);

#endif
