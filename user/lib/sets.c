// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy and grant sets in the LPM tries: each set is the keys under one
 * 32-bit set id, written beside the old set and switched to by one
 * sl_agents update (apply.c), so a set is never seen half-written.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "addr.h"
#include "compile.h"
#include "log.h"
#include "maps.h"

#define BATCH	4096	/* keys per batch call */

static void rule_key(struct sl_rule_key *k, uint32_t set, const struct sl_prefix *p)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = SL_SET_BITS + p->len;
	k->set = htonl(set);
	memcpy(k->addr, p->addr, sizeof(k->addr));
}

/*
 * One syscall per BATCH keys rather than one per key: about half the cost of
 * a write and a quarter of a delete (docs/bench.md, part c).  Kernels without
 * batch calls for LPM tries get one key at a time.
 */
static bool batch_missing(int err)
{
	return err == -EINVAL || err == -ENOTSUP || err == -EOPNOTSUPP || err == -524;
}

/* Update k[0..*count); on failure *count is how many were written. */
static int update_chunk(int fd, const struct sl_rule_key *k, const struct sl_rule_val *v,
			__u32 *count)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	__u32 want = *count;
	int err = bpf_map_update_batch(fd, k, v, count, &opts);

	if (!err || !batch_missing(err))
		return err;
	/* Updates are idempotent: whatever the batch did is written again. */
	for (*count = 0; *count < want; (*count)++)
		if (bpf_map_update_elem(fd, &k[*count], &v[*count], BPF_ANY))
			return -errno;
	return 0;
}

/* Delete k[0..n), skipping keys that are not there. */
static void delete_chunk(int fd, const struct sl_rule_key *k, __u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	for (__u32 off = 0, c; off < n; off += c + 1) {
		int err;

		c = n - off;
		err = bpf_map_delete_batch(fd, &k[off], &c, &opts);
		if (!err)
			return;
		if (batch_missing(err)) {
			for (__u32 i = off; i < n; i++)
				bpf_map_delete_elem(fd, &k[i]);
			return;
		}
		/* The batch stops at the first missing key: step over it. */
	}
}

static int write_items(int fd, uint32_t set, const struct sl_citem *it, size_t n,
		       size_t *done)
{
	struct sl_rule_key *k = malloc(BATCH * sizeof(*k));
	struct sl_rule_val *v = malloc(BATCH * sizeof(*v));
	int err = k && v ? 0 : -ENOMEM;

	for (*done = 0; !err && *done < n;) {
		__u32 c = n - *done < BATCH ? (__u32)(n - *done) : BATCH;

		for (__u32 i = 0; i < c; i++) {
			rule_key(&k[i], set, &it[*done + i].pfx);
			v[i] = it[*done + i].val;
		}
		err = update_chunk(fd, k, v, &c);
		*done += c;
	}
	free(k);
	free(v);
	return err;
}

static void delete_prefixes(int fd, uint32_t set, const struct sl_prefix *p,
			    size_t stride, size_t n)
{
	struct sl_rule_key *k = malloc(BATCH * sizeof(*k));
#define PFX(i) ((const struct sl_prefix *)((const char *)p + (i) * stride))

	if (!k) {	/* no memory for a batch: one key at a time */
		struct sl_rule_key one;

		for (size_t i = 0; i < n; i++) {
			rule_key(&one, set, PFX(i));
			bpf_map_delete_elem(fd, &one);
		}
		return;
	}
	for (size_t done = 0; done < n;) {
		__u32 c = n - done < BATCH ? (__u32)(n - done) : BATCH;

		for (__u32 i = 0; i < c; i++)
			rule_key(&k[i], set, PFX(done + i));
		delete_chunk(fd, k, c);
		done += c;
	}
#undef PFX
	free(k);
}

int sl_maps_set_write(struct sl_maps *m, enum sl_trie t, uint32_t set,
		      const struct sl_cset *cs)
{
	int fd = sl_maps_trie_fd(m, t), err;
	size_t done;

	err = write_items(fd, set, cs->items, cs->n, &done);
	if (err) {
		pr_warn("writing set %u: %s after %zu of %zu keys%s\n", set, strerror(-err),
			done, cs->n, err == -ENOSPC || err == -E2BIG ? " (map full: raise its size)" : "");
		delete_prefixes(fd, set, &cs->items[0].pfx, sizeof(cs->items[0]), done);
	}
	return err;
}

int sl_maps_set_delete(struct sl_maps *m, enum sl_trie t, uint32_t set,
		       const struct sl_cset *cs)
{
	if (cs->n)
		delete_prefixes(sl_maps_trie_fd(m, t), set, &cs->items[0].pfx, sizeof(cs->items[0]), cs->n);
	return 0;
}

int sl_maps_set_update(struct sl_maps *m, enum sl_trie t, uint32_t set,
		       const struct sl_cset *old, const struct sl_cset *new)
{
	struct sl_prefix *del = NULL;
	struct sl_citem *upd = NULL;
	size_t n_upd = 0, n_del = 0, done;
	int fd = sl_maps_trie_fd(m, t), err;

	err = sl_cset_diff(old, new, &upd, &n_upd, &del, &n_del);
	if (err)
		return err;
	err = write_items(fd, set, upd, n_upd, &done);
	if (!err)
		delete_prefixes(fd, set, del, sizeof(*del), n_del);
	else
		pr_warn("updating set %u: %s\n", set, strerror(-err));
	free(upd);
	free(del);
	return err;
}

int sl_maps_set_lookup(const struct sl_maps *m, enum sl_trie t, uint32_t set,
		       const uint8_t addr[16], struct sl_rule_val *val)
{
	struct sl_prefix p = { .len = 128 };
	struct sl_rule_key k;

	memcpy(p.addr, addr, 16);
	rule_key(&k, set, &p);
	if (bpf_map_lookup_elem(sl_maps_trie_fd(m, t), &k, val))
		return -errno;
	return 0;
}

static bool cset_has(const struct sl_cset *cs, const struct sl_rule_key *k)
{
	struct sl_prefix p = { .len = (uint8_t)(k->prefixlen - SL_SET_BITS) };
	size_t lo = 0, hi = cs ? cs->n : 0;

	memcpy(p.addr, k->addr, sizeof(p.addr));
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = sl_prefix_cmp(&cs->items[mid].pfx, &p);

		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int sl_maps_set_retain(struct sl_maps *m, enum sl_trie t, uint32_t set,
		       const struct sl_cset *keep)
{
	struct sl_rule_key k, *prev = NULL, *gone = NULL, *p;
	size_t n = 0, cap = 0;
	int fd = sl_maps_trie_fd(m, t), err = 0;

	/* Collect first: deleting while walking would restart the walk. */
	while (!bpf_map_get_next_key(fd, prev, &k)) {
		if (ntohl(k.set) == set && !cset_has(keep, &k)) {
			if (n == cap) {
				p = realloc(gone, (cap = cap ? cap * 2 : 64) * sizeof(*p));
				if (!p) {
					err = -ENOMEM;
					break;
				}
				gone = p;
			}
			gone[n++] = k;
		}
		prev = &k;	/* the kernel reads the key before it writes the next */
	}
	for (size_t i = 0; i < n; i += BATCH)
		delete_chunk(fd, &gone[i], n - i < BATCH ? (__u32)(n - i) : BATCH);
	free(gone);
	return err;
}

int sl_maps_set_purge(struct sl_maps *m, enum sl_trie t, uint32_t set)
{
	return sl_maps_set_retain(m, t, set, NULL);
}

static int push_u32(uint32_t **a, size_t *n, uint32_t v)
{
	uint32_t *p;

	for (size_t i = 0; i < *n; i++)
		if ((*a)[i] == v)
			return 0;
	p = realloc(*a, (*n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	p[(*n)++] = v;
	*a = p;
	return 0;
}

int sl_maps_set_ids(const struct sl_maps *m, enum sl_trie t, uint32_t **ids, size_t *n)
{
	struct sl_rule_key k, *prev = NULL;
	int fd = sl_maps_trie_fd(m, t), err = 0;

	*ids = NULL;
	*n = 0;
	while (!err && !bpf_map_get_next_key(fd, prev, &k)) {
		err = push_u32(ids, n, ntohl(k.set));
		prev = &k;
	}
	return err;
}

