/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control operations sluiced serves: one JSON request in, one JSON
 * reply out ({"ok": true, "result": ...} or {"ok": false, "error": ...,
 * "errors": [...]}).  docs/cli.md lists them; sluicectl is their client.
 */
#ifndef SLUICE_OPS_H
#define SLUICE_OPS_H

#include <json-c/json.h>
#include "control.h"
#include "engine.h"
#include "events.h"
#include "dnsproxy.h"

struct sl_ops {
	struct sl_engine *eng;
	struct sl_events *ev;
	struct sl_dnsproxy *dns;	/* NULL when off */
	const char *bpffs;
	const char *socket;
	/* The connection a follow request turns into an event stream. */
	int (*follow)(void *ctx, int fd, json_object *req);
	void *ctx;
};

/*
 * Serve one request from peer on fd.  Returns the reply, or NULL when the
 * connection was handed to the event stream (the caller forgets the fd).
 */
json_object *sl_ops_dispatch(const struct sl_ops *ops, int fd, const struct sl_peer *peer,
			     json_object *req);

/* Record a control-plane event (fields are taken). */
void sl_ops_notify(const struct sl_ops *ops, const char *type, json_object *fields);

#endif
