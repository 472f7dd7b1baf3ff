/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where events go: files (JSON lines, rotated by size), standard output,
 * and syslog (RFC 5424 over UDP, TCP with octet counting, or a Unix
 * socket).  Each sink has a bounded queue and a writer thread of its own,
 * so a slow disk or a dead receiver never holds up the ring-buffer
 * consumer or another sink: when a queue is full the event is dropped and
 * counted, never waited for.  docs/siem.md explains the choice.
 */
#ifndef SLUICE_SINKS_H
#define SLUICE_SINKS_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include "format.h"

enum sl_sink_type {
	SL_SINK_FILE,
	SL_SINK_STDOUT,
	SL_SINK_SYSLOG,
};

enum sl_transport {
	SL_TRANSPORT_UDP,
	SL_TRANSPORT_TCP,
	SL_TRANSPORT_UNIX,
};

#define SL_SINK_QUEUE_DEFAULT	16384
#define SL_SINK_QUEUE_MAX	(1u << 22)
#define SL_SYSLOG_SD_ID		"sluice@32473"
#define SL_SYSLOG_FACILITY	16	/* local0 */

/* One sink as configured: in the config file, or --events PATH. */
struct sl_sink_cfg {
	enum sl_sink_type type;
	enum sl_evfmt format;
	char *name;			/* for status and events_lost; NULL: derived */
	char *path;			/* file; Unix socket of a syslog sink */
	char *address;			/* syslog over UDP/TCP: "host:port" */
	enum sl_transport transport;
	uint64_t rotate_bytes;		/* 0: never rotate */
	uint32_t rotate_keep;		/* rotated files kept: PATH.1 .. PATH.keep */
	uint32_t verdicts;		/* bits 1 << SL_VERDICT_*; 0: every verdict */
	bool no_control;		/* leave out control-plane events */
	uint32_t queue;			/* events the queue holds */
	int facility;			/* syslog facility, 0-23 */
	char *sd_id;			/* syslog SD-ID; NULL: SL_SYSLOG_SD_ID */
};

/* A sink as its own config would be written by default. */
void sl_sink_cfg_init(struct sl_sink_cfg *c, enum sl_sink_type type);
void sl_sink_cfg_free(struct sl_sink_cfg *c);
/* A copy that owns its strings; on -ENOMEM dst is left empty. */
int sl_sink_cfg_copy(struct sl_sink_cfg *dst, const struct sl_sink_cfg *src);

struct sl_sink;

/* Open the sink (files are opened now, sockets by the writer) and start its writer. */
int sl_sink_new(struct sl_sink **out, const struct sl_sink_cfg *cfg);
/*
 * Tell the writer to finish: it writes what is queued until deadline_ms
 * (CLOCK_MONOTONIC milliseconds); what is left then is counted as dropped.
 */
void sl_sink_stop(struct sl_sink *s, int64_t deadline_ms);
/* Stop (if not yet), wait for the writer, free.  NULL is fine. */
void sl_sink_free(struct sl_sink *s);

const char *sl_sink_name(const struct sl_sink *s);
enum sl_evfmt sl_sink_format(const struct sl_sink *s);
/* Does the sink take events of this verdict (NULL: a control event)? */
bool sl_sink_wants(const struct sl_sink *s, const char *verdict);
/*
 * Queue ev, already rendered as line in the sink's format.  Never blocks:
 * a full queue drops the event and counts it.  Returns false then.  A
 * NULL line (rendering ran out of memory) is a drop too.
 */
bool sl_sink_push(struct sl_sink *s, const struct sl_evrec *ev, const char *line, size_t len);
/* Reopen the file (after logrotate, SIGHUP); reconnect a syslog socket. */
void sl_sink_reopen(struct sl_sink *s);
/*
 * While held, queued events wake the writer once per batch instead of once
 * each; releasing wakes it for the rest.  The event loop holds its sinks
 * while it drains the ring, so a burst costs a few wake-ups, not one each.
 * UDP syslog sinks are never held (no backpressure to pace a batch).
 */
void sl_sink_hold(struct sl_sink *s, bool hold);

/* Losses since the last call: how many, and the seq range they span. */
struct sl_sink_losses {
	uint64_t lost;
	uint64_t total;
	uint64_t first_seq, last_seq;
};
bool sl_sink_take_losses(struct sl_sink *s, struct sl_sink_losses *l);
uint64_t sl_sink_dropped(struct sl_sink *s);
json_object *sl_sink_status(struct sl_sink *s);

int64_t sl_now_ms(void);

#endif
