/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel side, from userspace: load the BPF object, attach its programs
 * at the agents root with pinned bpf_links, pin the maps, adopt what an
 * earlier sluiced pinned, and write the maps.  Enforcement lives in the
 * pins: closing this module leaves it in force; only sl_maps_teardown
 * removes it.
 */
#ifndef SLUICE_MAPS_H
#define SLUICE_MAPS_H

#include <stdbool.h>
#include <stdint.h>
#include "compat.h"
#include "compile.h"

struct sl_maps_cfg {
	const char *pin_dir;		/* e.g. /sys/fs/bpf/sluice */
	const char *cgroup_root;	/* absolute agents root, e.g. /sys/fs/cgroup/sluice */
	uint32_t rules_max;		/* sl_rules entries */
	uint32_t grants_max;		/* sl_grants entries */
	uint32_t ringbuf_bytes;		/* sl_events size, power of two */
	uint16_t dns_port;		/* the DNS proxy's port, host order; 0: none */
};

struct sl_maps;

/* Which trie a set lives in. */
enum sl_trie {
	SL_TRIE_RULES,
	SL_TRIE_GRANTS,
};

/*
 * Check the kernel can run sluice; on failure print one sentence saying
 * what is missing and return -errno.
 */
int sl_maps_probe(void);
/* Mount bpffs at /sys/fs/bpf if it is not, and create dir. */
int sl_maps_bpffs(const char *dir);

/*
 * Load, pin, attach (or adopt pinned links, switching them to the programs
 * just loaded), and lock pin_dir against a second daemon.
 * *adopted tells whether an earlier daemon's pins were found.
 */
int sl_maps_open(struct sl_maps **out, const struct sl_maps_cfg *cfg, bool *adopted);
/* Close fds; pins (and so enforcement) stay.  Accepts NULL. */
void sl_maps_close(struct sl_maps *m);
/* Unpin links (detaching the programs) and maps, remove pin_dir. */
int sl_maps_teardown(const char *pin_dir);

int sl_maps_ringbuf_fd(const struct sl_maps *m);
/* Sum of the per-CPU counters, SL_CNT_MAX of them. */
int sl_maps_counters(const struct sl_maps *m, uint64_t out[SL_CNT_MAX]);
/* Names of the attached programs and their attach types, for status. */
int sl_maps_attached(const struct sl_maps *m, const char **names, const char **types, int max);

/* Why non-IP sockets are not refused in the kernel, or NULL if they are. */
const char *sl_maps_lsm_missing(const struct sl_maps *m);

/*
 * Judge every established agent socket again and close those now denied
 * (bpf/sluice_iter.bpf.c).  -ENOTSUP when the kernel refused the iterators.
 */
int sl_maps_sweep(struct sl_maps *m);
/* Why the sweep is not available, or NULL if it is. */
const char *sl_maps_sweep_missing(const struct sl_maps *m);

/* The trie's fd, for the set operations (sets.c). */
int sl_maps_trie_fd(const struct sl_maps *m, enum sl_trie t);

/* Write every item of cs under set; on failure delete what was written. */
int sl_maps_set_write(struct sl_maps *m, enum sl_trie t, uint32_t set,
		      const struct sl_cset *cs);
/* Delete every key of cs under set (missing keys are fine). */
int sl_maps_set_delete(struct sl_maps *m, enum sl_trie t, uint32_t set,
		       const struct sl_cset *cs);
/* Change set in place from old to new (writes first, then deletes). */
int sl_maps_set_update(struct sl_maps *m, enum sl_trie t, uint32_t set,
		       const struct sl_cset *old, const struct sl_cset *new);
/* LPM lookup of one address in a set, as the programs do; -ENOENT if none. */
int sl_maps_set_lookup(const struct sl_maps *m, enum sl_trie t, uint32_t set,
		       const uint8_t addr[16], struct sl_rule_val *val);
/* Delete every key of set that keep does not hold (keep may be NULL). */
int sl_maps_set_retain(struct sl_maps *m, enum sl_trie t, uint32_t set,
		       const struct sl_cset *keep);
/* Delete every key of set, whatever it holds (for sets left by a crash). */
int sl_maps_set_purge(struct sl_maps *m, enum sl_trie t, uint32_t set);
/* Set ids present in a trie (for reconciling after a restart). */
int sl_maps_set_ids(const struct sl_maps *m, enum sl_trie t, uint32_t **ids, size_t *n);

int sl_maps_agent_put(struct sl_maps *m, uint32_t id, const struct sl_agent *a);
int sl_maps_agent_get(const struct sl_maps *m, uint32_t id, struct sl_agent *a);
int sl_maps_agent_del(struct sl_maps *m, uint32_t id);
int sl_maps_subject_put(struct sl_maps *m, uint64_t cgroup, const struct sl_subject *s);
int sl_maps_subject_get(const struct sl_maps *m, uint64_t cgroup, struct sl_subject *s);
int sl_maps_subject_del(struct sl_maps *m, uint64_t cgroup);
int sl_maps_task_put(struct sl_maps *m, uint32_t id, const struct sl_task *t);
int sl_maps_task_get(const struct sl_maps *m, uint32_t id, struct sl_task *t);
int sl_maps_task_del(struct sl_maps *m, uint32_t id);
/* Every key of a hash map (agents, tasks: u32; subjects: u64), for reconciling. */
int sl_maps_agent_ids(const struct sl_maps *m, uint32_t **ids, size_t *n);
int sl_maps_task_ids(const struct sl_maps *m, uint32_t **ids, size_t *n);
int sl_maps_subject_ids(const struct sl_maps *m, uint64_t **ids, size_t *n);

#endif
