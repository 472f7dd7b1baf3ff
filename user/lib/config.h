/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sluiced's configuration file (sluiced --config FILE), YAML.  Today it
 * holds the events: section -- ring buffer size, sampling, and the sinks;
 * docs/siem.md is the reference.  Every problem is reported with its
 * file:line:col, and nothing is used unless the whole file is valid.
 */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include "diag.h"
#include "events.h"

/* Parse text named `name` into ev (which must start empty).  0 or -EINVAL/-ENOMEM. */
int sl_config_parse(const char *name, const char *buf, size_t len,
		    struct sl_events_cfg *ev, struct sl_diag *d);
/* Read and parse a file; -errno when unreadable (with a message in d). */
int sl_config_load(const char *path, struct sl_events_cfg *ev, struct sl_diag *d);

/* "100M", "64k", "1G", "4096": bytes.  0 or -EINVAL. */
int sl_size_parse(const char *s, uint64_t *out);

#endif
