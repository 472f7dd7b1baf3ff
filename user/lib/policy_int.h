/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The policy parser's insides, shared by policy.c (documents, agents,
 * checks) and policy_rule.c (rules).  Not for other modules.
 */
#ifndef SLUICE_POLICY_INT_H
#define SLUICE_POLICY_INT_H

#include <yaml.h>
#include "compat.h"
#include "policy.h"

#define MAX_AGENTS	4096
#define MAX_RULE_ID	63
#define MAX_SPIFFE	2048	/* the SPIFFE ID spec's limit */
#define MAX_TEXT	1024	/* owner, description: copied into listings */
#define SHOW_CHARS	80	/* operator text quoted in messages */
#define SHOW_MAX	(SHOW_CHARS * 4 + 4)
#define BIT(n)		(1u << (n))

/* The state of one file's parse. */
struct pctx {
	const char *file;		/* becomes an entry of pol->files */
	const char *buf;		/* the text, for reader error offsets */
	size_t len;
	struct sl_diag *d;
	yaml_document_t *doc;
	uint8_t *seen;			/* per node: walked already (alias) */
	size_t base;			/* agents the target policy already has */
	struct sl_policy *out;		/* this file's agents */
	int errors;
	bool nomem;
	bool too_many;			/* agent limit reported */
};

/* A mapping's allowed keys and what to do with each value. */
struct schema {
	const char *what;		/* "rule", for messages */
	const char *const *keys;	/* NULL-terminated, at most 32 */
	void (*field)(struct pctx *c, void *obj, int key, yaml_node_t *val);
};

enum { T_VERSION, T_AGENTS };
enum { A_NAME, A_SPIFFE, A_OWNER, A_DESC, A_MODE, A_LOG, A_EGRESS, A_DENY, A_ASK, A_DNS };
enum { R_TO, R_PORTS, R_PROTO, R_TTL, R_NOT_AFTER, R_ID };

extern const char *const pol_agent_keys[];

struct sl_loc pol_loc_of(const struct pctx *c, const yaml_node_t *n);
void pol_perr(struct pctx *c, const yaml_node_t *n, const char *fmt, ...);
void pol_perr_loc(struct pctx *c, const struct sl_loc *loc, const char *fmt, ...);
char *pol_xstrdup(struct pctx *c, const char *s);
void *pol_grow(void *arr, size_t n, size_t size);
const char *pol_show(const char *s, char buf[SHOW_MAX]);
const char *pol_join(const char *const *list, const char *last,
			char *buf, size_t len);
bool pol_is_null(const yaml_node_t *n);
const char *pol_kind(const yaml_node_t *n);
yaml_node_t *pol_node_at(struct pctx *c, int idx);
const char *pol_text(struct pctx *c, const yaml_node_t *n,
			const char *what, const char *want);
int pol_key_index(struct pctx *c, const yaml_node_t *k,
		     const struct schema *sc);
unsigned int pol_walk_map(struct pctx *c, const yaml_node_t *map,
			     const struct schema *sc, void *obj);
int pol_choice(struct pctx *c, const yaml_node_t *n, const char *key,
		  const char *const *choices);
void pol_free_rule(struct sl_rule *r);
void pol_rule_list(struct pctx *c, struct sl_agent_policy *a, int key, const yaml_node_t *v);

#endif
