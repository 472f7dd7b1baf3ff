/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * From rules to what the kernel looks up.
 *
 * A set is a list of (prefix, entry) inputs.  Flattening turns it into one
 * value per distinct prefix holding every entry that applies there: the
 * prefix's own entries first, then those inherited from the prefixes that
 * contain it, nearest first.  One longest-prefix lookup in the kernel then
 * returns everything that can decide a call, and the kernel's work does not
 * grow with the number of rules.
 *
 * IPv4 and IPv6 are separate worlds: an IPv6 prefix never lends its entries
 * to the IPv4-mapped range ::ffff:0:0/96, so "::/0" does not allow IPv4.
 */
#ifndef SLUICE_COMPILE_H
#define SLUICE_COMPILE_H

#include <stddef.h>
#include <stdint.h>
#include "compat.h"
#include "addr.h"
#include "diag.h"
#include "policy.h"

/* One input: a destination prefix and the entry that applies to it. */
struct sl_cin {
	struct sl_prefix pfx;
	struct sl_entry ent;
	const struct sl_loc *loc;	/* the rule's, for errors; may be NULL */
};

/* One flattened key and its value. */
struct sl_citem {
	struct sl_prefix pfx;
	struct sl_rule_val val;
};

/* A compiled set: items sorted by sl_prefix_cmp, prefixes unique. */
struct sl_cset {
	struct sl_citem *items;
	size_t n;
};

/*
 * Flatten n inputs into out (which the caller frees with sl_cset_free).
 * Within a value: own entries first (input order), then inherited ones;
 * entries shadowed by an earlier one are dropped (a deny without expiry
 * covering their ports and protocol; an earlier entry with the same action,
 * covering ports and protocol, that lives at least as long).  A prefix whose
 * value would equal the value the kernel falls back to anyway is left out.
 * More than SL_MAX_ENTRIES entries at one prefix is an error naming the
 * prefix and the rules involved.  Returns 0, -EINVAL (d says why), -ENOMEM.
 */
int sl_flatten(const struct sl_cin *in, size_t n, struct sl_cset *out,
	       struct sl_diag *d);
void sl_cset_free(struct sl_cset *s);

/* The item a kernel LPM lookup of addr would return, or NULL. */
const struct sl_citem *sl_cset_lookup(const struct sl_cset *s,
				      const uint8_t addr[16]);

/*
 * What turns old into new: items of new that are not in old with the same
 * value (to write), and prefixes of old that are not in new (to delete).
 * Arrays are allocated (NULL when empty); the caller frees them.
 */
int sl_cset_diff(const struct sl_cset *old, const struct sl_cset *new,
		 struct sl_citem **upd, size_t *n_upd,
		 struct sl_prefix **del, size_t *n_del);

/* Clock pair for turning `ttl:` and `not_after:` into boot-time expiries. */
struct sl_clock {
	uint64_t boot_ns;	/* CLOCK_BOOTTIME now */
	int64_t real_s;		/* CLOCK_REALTIME now, seconds */
};

/*
 * Expand an agent's address rules into flattener inputs: one per CIDR
 * destination and port range (no ports: 0-65535).  Rule i gets rule id
 * first_rule_id + i and flags SL_ENTRY_POLICY; `ttl:` expires at
 * clk->boot_ns + ttl, `not_after:` at the boot time of that instant (a time
 * already past gives an entry that never matches).  Name destinations are
 * skipped (the DNS proxy handles them).  *out is allocated; returns 0 or
 * -ENOMEM.
 */
int sl_compile_agent(const struct sl_agent_policy *a, uint32_t first_rule_id,
		     const struct sl_clock *clk, struct sl_cin **out, size_t *n);

#endif
