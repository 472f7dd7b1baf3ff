/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Policy files (YAML, libyaml) parsed into the model below.  Parsing checks
 * everything that can be checked without the kernel: syntax, keys, types,
 * ranges, duplicate agents; every error carries file:line:col.
 * docs/policy.md is the reference for the format.
 */
#ifndef SLUICE_POLICY_H
#define SLUICE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "addr.h"
#include "diag.h"

/* Largest policy file read. */
#define MAX_FILE_BYTES	(16u << 20)

/* Agent names become cgroup directory names: [a-z0-9][a-z0-9_.-]*, <= 63. */
#define SL_NAME_MAX 63

enum sl_dest_kind {
	SL_DEST_CIDR,
	SL_DEST_NAME,		/* "api.github.com" or "*.githubusercontent.com" */
};

/* One item of a rule's `to:`. */
struct sl_dest {
	enum sl_dest_kind kind;
	struct sl_prefix pfx;	/* SL_DEST_CIDR */
	char *name;		/* SL_DEST_NAME: lower case, no trailing dot */
	struct sl_loc loc;
};

struct sl_ports {
	uint16_t lo, hi;
};

/* One rule of an agent's egress:, deny: or ask: list. */
struct sl_rule {
	uint8_t action;		/* SL_ACT_ALLOW (egress), SL_ACT_DENY, SL_ACT_ASK */
	uint8_t proto;		/* SL_PROTO_ANY (default), _TCP, _UDP */
	struct sl_dest *to;
	size_t n_to;
	struct sl_ports *ports;	/* none: every port */
	size_t n_ports;
	uint64_t ttl_ns;	/* `ttl:`, from apply; 0 for none */
	int64_t not_after;	/* `not_after:` (RFC 3339) as Unix seconds; 0 for none */
	char *id;		/* `id:`, or NULL */
	struct sl_loc loc;	/* of the rule's mapping */
};

struct sl_agent_policy {
	char *name;
	char *spiffe_id;	/* or NULL */
	char *owner;		/* or NULL */
	char *description;	/* or NULL */
	uint8_t mode;		/* SL_MODE_ENFORCE (default) or SL_MODE_AUDIT */
	bool log_allowed;	/* `log: all` (default) vs `log: denied` */
	bool dns_direct;	/* `dns: direct`: port 53 is a destination like any
				 * other; default `dns: proxy` sends it to sluiced */
	struct sl_rule *rules;	/* in file order, whatever their list */
	size_t n_rules;
	struct sl_loc loc;
};

struct sl_policy {
	struct sl_agent_policy *agents;
	size_t n_agents;
	char **files;		/* file names that the locs point into */
	size_t n_files;
};

void sl_policy_init(struct sl_policy *pol);
void sl_policy_free(struct sl_policy *pol);

/*
 * Parse one YAML text named `name` (for messages) and add its agents to pol.
 * Returns 0, or -EINVAL with every problem added to d.  On error pol is left
 * as it was before the call.
 */
int sl_policy_parse_buf(struct sl_policy *pol, const char *name,
			const char *buf, size_t len, struct sl_diag *d);
/*
 * Load a file, or every *.yaml and *.yml in a directory (sorted by name, not
 * recursive), then check the whole (duplicate agents across files).
 * Returns 0, -EINVAL (problems in d), or another -errno for I/O.
 */
int sl_policy_load(struct sl_policy *pol, const char *path, struct sl_diag *d);
/* Move src's agents and files to the end of dst; src is left empty.  0 or -ENOMEM. */
int sl_policy_move(struct sl_policy *dst, struct sl_policy *src);
/* Drop agents and files added after the first n (undoing a partial load). */
void sl_policy_truncate(struct sl_policy *pol, size_t n_agents, size_t n_files);
/* Checks across files: duplicate agent names.  0 or -EINVAL. */
int sl_policy_check(const struct sl_policy *pol, struct sl_diag *d);

/*
 * One destination as an operator writes it outside a file (sluicectl grant
 * --to): an address or prefix, or a DNS name or wildcard, checked by the
 * rules of `to:`.  0, or -EINVAL with *why set.  d->name is allocated.
 */
int sl_dest_parse(const char *s, struct sl_dest *d, const char **why);
/* "10.1.2.3/8" -> "10.0.0.0/8": the prefix meant when host bits are set. */
bool sl_cidr_masked(const char *s, char *out, size_t len);

const struct sl_agent_policy *sl_policy_find(const struct sl_policy *pol,
					     const char *name);
bool sl_name_valid(const char *name);

#endif
