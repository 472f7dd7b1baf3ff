/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What sluiced adds to a kernel record besides the engine's names: the
 * process's executable, the user name of its uid, the host name, and a
 * unique event id.  Lookups are cheap or cached: they run on the event
 * loop, once per event.
 */
#ifndef SLUICE_ENRICH_H
#define SLUICE_ENRICH_H

#include <stdint.h>

struct sl_enrich;

int sl_enrich_new(struct sl_enrich **out);
void sl_enrich_free(struct sl_enrich *en);
const char *sl_enrich_host(const struct sl_enrich *en);
/*
 * /proc/TGID/exe, or NULL when the process is gone; read again after a
 * second or when comm (the event's command name) changes.  Valid until the
 * next call.
 */
const char *sl_enrich_exe(struct sl_enrich *en, uint32_t tgid, const char *comm);
/* The user name of uid (cached), or NULL when it has none. */
const char *sl_enrich_user(struct sl_enrich *en, uint32_t uid);
/* Forget cached user names (SIGHUP: /etc/passwd may have changed). */
void sl_enrich_reset(struct sl_enrich *en);
/*
 * The event id of the seq'th event of this daemon run: a UUID (version 8,
 * RFC 9562) whose first 62 random bits name the run and last 48 are seq.
 */
void sl_enrich_event_id(const struct sl_enrich *en, uint64_t seq, char out[37]);

#endif
