// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy files: YAML loaded with libyaml's document API, then walked against
 * a fixed schema (top level -> agents -> rules -> scalars).  The walk never
 * stops at the first problem: it reports each one with its file:line:col and
 * goes on, and the caller's policy only changes when a file is clean.
 *
 * Hostile input is bounded by the file size and the schema: a node is walked
 * at most once, so YAML aliases (which let a small file name one big node
 * many times) are refused rather than expanded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
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

static const char *const top_keys[] = { "version", "agents", NULL };
static const char *const agent_keys[] = {
	"name", "spiffe_id", "owner", "description", "mode", "log",
	"egress", "deny", "ask", "dns", NULL
};
static const char *const rule_keys[] = {
	"to", "ports", "protocol", "ttl", "not_after", "id", NULL
};
static const char *const proto_names[] = { "tcp", "udp", "any", NULL };
static const char *const mode_names[] = { "enforce", "audit", NULL };
static const char *const log_names[] = { "all", "denied", NULL };
static const char *const dns_names[] = { "proxy", "direct", NULL };

static struct sl_loc loc_of(const struct pctx *c, const yaml_node_t *n)
{
	return (struct sl_loc){
		.file = c->file,
		.line = (int)n->start_mark.line + 1,
		.col = (int)n->start_mark.column + 1,
	};
}

static void verr(struct pctx *c, const struct sl_loc *loc, const char *fmt,
		 va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	sl_diag_add(c->d, loc, "%s", msg);
	c->errors++;
}

__attribute__((format(printf, 3, 4)))
static void perr_loc(struct pctx *c, const struct sl_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(c, loc, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
static void perr(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	struct sl_loc loc = loc_of(c, n);
	va_list ap;

	va_start(ap, fmt);
	verr(c, &loc, fmt, ap);
	va_end(ap);
}

static char *xstrdup(struct pctx *c, const char *s)
{
	char *r = strdup(s);

	if (!r)
		c->nomem = true;
	return r;
}

/*
 * Room for element n of an array whose capacity is implicitly n rounded up
 * to a power of two.  Returns the (maybe moved) array, or NULL.
 */
static void *grow(void *arr, size_t n, size_t size)
{
	if (n & (n - 1))
		return arr;
	return reallocarray(arr, n ? 2 * n : 1, size);
}

/*
 * Operator text as it may appear in a message: cut short, and with control
 * and non-ASCII bytes escaped so a policy cannot write to the terminal.
 */
static const char *show(const char *s, char buf[SHOW_MAX])
{
	size_t o = 0, i;

	for (i = 0; s[i] && i < SHOW_CHARS; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
			o += (size_t)sprintf(buf + o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	strcpy(buf + o, s[i] ? "..." : "");
	return buf;
}

/* "a, b, c" (last == ", ") or "a, b or c" (last == " or "). */
static const char *join(const char *const *list, const char *last,
			char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; list[i] && o < len; i++) {
		const char *sep = !i ? "" : list[i + 1] ? ", " : last;

		o += (size_t)snprintf(buf + o, len - o, "%s%s", sep, list[i]);
	}
	return buf;
}

static void free_rule(struct sl_rule *r)
{
	for (size_t i = 0; i < r->n_to; i++)
		free(r->to[i].name);
	free(r->to);
	free(r->ports);
	free(r->id);
}

static void free_agent(struct sl_agent_policy *a)
{
	for (size_t i = 0; i < a->n_rules; i++)
		free_rule(&a->rules[i]);
	free(a->rules);
	free(a->name);
	free(a->spiffe_id);
	free(a->owner);
	free(a->description);
}

void sl_policy_init(struct sl_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
}

void sl_policy_free(struct sl_policy *pol)
{
	if (!pol)
		return;
	for (size_t i = 0; i < pol->n_agents; i++)
		free_agent(&pol->agents[i]);
	free(pol->agents);
	for (size_t i = 0; i < pol->n_files; i++)
		free(pol->files[i]);
	free(pol->files);
	sl_policy_init(pol);
}

/* Plain empty, ~ and null are YAML's null; quoted they are strings. */
static bool is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE)
		return false;
	if (n->tag && !strcmp((const char *)n->tag, YAML_NULL_TAG))
		return true;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

static const char *kind(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	return is_null(n) ? "empty" : "a string";
}

/*
 * Node idx of the document.  Walking each node once is what keeps the work
 * proportional to the file: a node reached twice is an alias, refused.
 */
static yaml_node_t *node_at(struct pctx *c, int idx)
{
	yaml_node_t *n = yaml_document_get_node(c->doc, idx);

	if (!n)
		return NULL;
	if (c->seen[idx - 1]) {
		perr(c, n, "YAML anchors and aliases are not supported");
		return NULL;
	}
	c->seen[idx - 1] = 1;
	return n;
}

/* The text of a scalar, or NULL (reported) when n is something else. */
static const char *text(struct pctx *c, const yaml_node_t *n,
			const char *what, const char *want)
{
	const char *s = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE || is_null(n)) {
		perr(c, n, "%s must be %s, not %s", what, want, kind(n));
		return NULL;
	}
	if (strlen(s) != n->data.scalar.length) {
		perr(c, n, "%s contains a NUL character", what);
		return NULL;
	}
	return s;
}

static int key_index(struct pctx *c, const yaml_node_t *k,
		     const struct schema *sc)
{
	char shown[SHOW_MAX], expected[256];
	const char *s = text(c, k, "a key", "a string");

	if (!s)
		return -1;
	for (int i = 0; sc->keys[i]; i++)
		if (!strcmp(s, sc->keys[i]))
			return i;
	perr(c, k, "unknown key \"%s\" in %s (expected %s)", show(s, shown),
	     sc->what, join(sc->keys, ", ", expected, sizeof(expected)));
	return -1;
}

/* Hand each known key's value to sc->field; returns the keys present. */
static unsigned int walk_map(struct pctx *c, const yaml_node_t *map,
			     const struct schema *sc, void *obj)
{
	unsigned int present = 0;
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(c, p->key), *v;
		int i;

		if (!k || (i = key_index(c, k, sc)) < 0)
			continue;
		if (present & BIT(i)) {
			perr(c, k, "duplicate key \"%s\" in %s", sc->keys[i], sc->what);
			continue;
		}
		/* Present even when the value is refused: one error, not two. */
		present |= BIT(i);
		v = node_at(c, p->value);
		if (v)
			sc->field(c, obj, i, v);
	}
	return present;
}

/* Index of n's text in a NULL-terminated list of choices, or -1 (reported). */
static int choice(struct pctx *c, const yaml_node_t *n, const char *key,
		  const char *const *choices)
{
	char what[32], shown[SHOW_MAX], expected[128];
	const char *s;

	snprintf(what, sizeof(what), "\"%s\"", key);
	s = text(c, n, what, "a string");
	if (!s)
		return -1;
	for (int i = 0; choices[i]; i++)
		if (!strcmp(s, choices[i]))
			return i;
	perr(c, n, "bad %s \"%s\" (expected %s)", key, show(s, shown),
	     join(choices, " or ", expected, sizeof(expected)));
	return -1;
}

static void dest_error(struct pctx *c, const yaml_node_t *n, const char *s,
		       const struct sl_dest *dst, const char *why)
{
	char shown[SHOW_MAX], meant[SL_ADDRSTRLEN];

	show(s, shown);
	if (dst->kind == SL_DEST_NAME)
		perr(c, n, "bad DNS name \"%s\": %s", shown, why);
	else if (sl_cidr_masked(s, meant, sizeof(meant)))
		perr(c, n, "bad CIDR \"%s\": %s (did you mean %s?)", shown, why, meant);
	else
		perr(c, n, "bad CIDR \"%s\": %s", shown, why);
}

static void dest(struct pctx *c, struct sl_rule *r, const yaml_node_t *n,
		 const char *what)
{
	const char *s = text(c, n, what, "an address, a prefix or a DNS name");
	struct sl_dest dst, *to;
	const char *why;
	int err;

	if (!s)
		return;
	err = sl_dest_parse(s, &dst, &why);
	if (err == -ENOMEM)
		c->nomem = true;
	else if (err)
		dest_error(c, n, s, &dst, why);
	if (err)
		return;
	dst.loc = loc_of(c, n);
	to = grow(r->to, r->n_to, sizeof(*to));
	if (!to) {
		free(dst.name);
		c->nomem = true;
		return;
	}
	r->to = to;
	r->to[r->n_to++] = dst;
}

static void rule_to(struct pctx *c, struct sl_rule *r, const yaml_node_t *v)
{
	const yaml_node_item_t *i;

	if (v->type != YAML_SEQUENCE_NODE) {
		dest(c, r, v, "\"to\"");
		return;
	}
	if (v->data.sequence.items.start == v->data.sequence.items.top)
		perr(c, v, "\"to\" must not be empty");
	for (i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		yaml_node_t *n = node_at(c, *i);

		if (n)
			dest(c, r, n, "an item of \"to\"");
	}
}

/* Digits only, at most 9 of them (no overflow); false otherwise. */
static bool port_num(const char *s, size_t n, unsigned long *v)
{
	if (!n || n > 9 || strspn(s, "0123456789") < n)
		return false;
	*v = strtoul(s, NULL, 10);
	return true;
}

/* Why sl_port_range_parse refused s: syntax, range or order. */
static void port_error(struct pctx *c, const yaml_node_t *n, const char *s)
{
	const char *dash = strchr(s, '-');
	size_t n_lo = dash ? (size_t)(dash - s) : strlen(s);
	unsigned long lo, hi = 1;
	char shown[SHOW_MAX];

	if (!port_num(s, n_lo, &lo) ||
	    (dash && !port_num(dash + 1, strlen(dash + 1), &hi)))
		perr(c, n, "bad port \"%s\" (expected a port 1-65535 or a range \"lo-hi\")",
		     show(s, shown));
	else if (lo < 1 || lo > 65535)
		perr(c, n, "port %lu out of range (1-65535)", lo);
	else if (hi < 1 || hi > 65535)
		perr(c, n, "port %lu out of range (1-65535)", hi);
	else
		perr(c, n, "port range \"%s\" is reversed (%lu > %lu)", s, lo, hi);
}

static void port(struct pctx *c, struct sl_rule *r, const yaml_node_t *n,
		 const char *what)
{
	const char *s = text(c, n, what, "a port or a range \"lo-hi\"");
	struct sl_ports pr, *ports;

	if (!s)
		return;
	if (sl_port_range_parse(s, &pr.lo, &pr.hi)) {
		port_error(c, n, s);
		return;
	}
	ports = grow(r->ports, r->n_ports, sizeof(*ports));
	if (!ports) {
		c->nomem = true;
		return;
	}
	r->ports = ports;
	r->ports[r->n_ports++] = pr;
}

static void rule_ports(struct pctx *c, struct sl_rule *r, const yaml_node_t *v)
{
	const yaml_node_item_t *i;

	if (v->type != YAML_SEQUENCE_NODE) {
		port(c, r, v, "\"ports\"");
		return;
	}
	if (v->data.sequence.items.start == v->data.sequence.items.top)
		perr(c, v, "\"ports\" must not be empty (leave it out for every port)");
	for (i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		yaml_node_t *n = node_at(c, *i);

		if (n)
			port(c, r, n, "an item of \"ports\"");
	}
}

/* n digits at s, as a number; false if any is not a digit. */
static bool digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*out = *out * 10 + (s[i] - '0');
	}
	return true;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* "+01:00", "-05:30", "Z": seconds east of UTC; the end in *end. */
static bool rfc3339_offset(const char *s, int *off, const char **end)
{
	int h, m;

	if (*s == 'Z' || *s == 'z') {
		*off = 0;
		*end = s + 1;
		return true;
	}
	if ((*s != '+' && *s != '-') || !digits(s + 1, 2, &h) || s[3] != ':' ||
	    !digits(s + 4, 2, &m) || h > 23 || m > 59)
		return false;
	*off = (*s == '-' ? -1 : 1) * (h * 3600 + m * 60);
	*end = s + 6;
	return true;
}

/*
 * RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM).  The
 * fraction is dropped, which moves a not_after earlier, never later.  A
 * leap second (:60) counts as the next second, as in POSIX time.
 */
static int rfc3339_parse(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	const char *c;
	int off;

	if (!digits(s, 4, &tm.tm_year) || s[4] != '-' ||
	    !digits(s + 5, 2, &tm.tm_mon) || s[7] != '-' ||
	    !digits(s + 8, 2, &tm.tm_mday) || (s[10] != 'T' && s[10] != 't') ||
	    !digits(s + 11, 2, &tm.tm_hour) || s[13] != ':' ||
	    !digits(s + 14, 2, &tm.tm_min) || s[16] != ':' ||
	    !digits(s + 17, 2, &tm.tm_sec))
		return -EINVAL;
	c = s + 19;
	if (*c == '.' && c[1] >= '0' && c[1] <= '9')
		c += 1 + strspn(c + 1, "0123456789");
	if (!rfc3339_offset(c, &off, &c) || *c)
		return -EINVAL;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > days_in_month(tm.tm_year, tm.tm_mon) ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = (int64_t)timegm(&tm) - off;
	return 0;
}

static void rule_not_after(struct pctx *c, struct sl_rule *r, const yaml_node_t *v)
{
	const char *s = text(c, v, "\"not_after\"", "a time");
	char shown[SHOW_MAX];

	if (!s)
		return;
	if (rfc3339_parse(s, &r->not_after))
		perr(c, v, "bad not_after \"%s\" (expected an RFC 3339 time such as 2026-12-31T23:59:59Z or 2026-12-31T23:59:59+02:00)",
		     show(s, shown));
	else if (r->not_after <= 0)
		perr(c, v, "not_after \"%s\" is not after 1970-01-01T00:00:00Z", s);
}

static void rule_ttl(struct pctx *c, struct sl_rule *r, const yaml_node_t *v)
{
	const char *s = text(c, v, "\"ttl\"", "a duration");
	char shown[SHOW_MAX];
	int err;

	if (!s)
		return;
	err = sl_duration_parse(s, &r->ttl_ns);
	if (err == -ERANGE)
		perr(c, v, "ttl \"%s\" is too long", show(s, shown));
	else if (err)
		perr(c, v, "bad ttl \"%s\" (expected a duration above 0 such as 30s, 10m, 2h, 1d or 1h30m)",
		     show(s, shown));
}

static bool rule_id_valid(const char *s)
{
	size_t n = strlen(s);

	return n && n <= MAX_RULE_ID &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_.:-") == n;
}

static void rule_id(struct pctx *c, struct sl_rule *r, const yaml_node_t *v)
{
	const char *s = text(c, v, "\"id\"", "a string");
	char shown[SHOW_MAX];

	if (!s)
		return;
	if (!rule_id_valid(s)) {
		perr(c, v, "bad id \"%s\": use 1-63 of A-Z, a-z, 0-9, \"_\", \".\", \":\" and \"-\"",
		     show(s, shown));
		return;
	}
	r->id = xstrdup(c, s);
}

static void rule_field(struct pctx *c, void *obj, int key, yaml_node_t *v)
{
	struct sl_rule *r = obj;
	int i;

	switch (key) {
	case R_TO:
		rule_to(c, r, v);
		break;
	case R_PORTS:
		rule_ports(c, r, v);
		break;
	case R_PROTO:
		i = choice(c, v, "protocol", proto_names);
		if (i >= 0)
			r->proto = (uint8_t)sl_proto_parse(proto_names[i]);
		break;
	case R_TTL:
		rule_ttl(c, r, v);
		break;
	case R_NOT_AFTER:
		rule_not_after(c, r, v);
		break;
	default:
		rule_id(c, r, v);
		break;
	}
}

static const struct schema rule_schema = { "rule", rule_keys, rule_field };

static void rule(struct pctx *c, struct sl_agent_policy *a, const yaml_node_t *n,
		 uint8_t action)
{
	struct sl_rule r = { .action = action, .proto = SL_PROTO_ANY, .loc = loc_of(c, n) };
	struct sl_rule *rules;
	unsigned int present;

	if (n->type != YAML_MAPPING_NODE) {
		perr(c, n, "a rule must be a mapping, not %s", kind(n));
		return;
	}
	present = walk_map(c, n, &rule_schema, &r);
	if (!(present & BIT(R_TO)))
		perr(c, n, "rule has no \"to\"");
	if ((present & BIT(R_TTL)) && (present & BIT(R_NOT_AFTER)))
		perr(c, n, "rule has both \"ttl\" and \"not_after\"; use one");
	rules = grow(a->rules, a->n_rules, sizeof(*rules));
	if (!rules) {
		free_rule(&r);
		c->nomem = true;
		return;
	}
	a->rules = rules;
	a->rules[a->n_rules++] = r;
}

static void rule_list(struct pctx *c, struct sl_agent_policy *a, int key,
		      const yaml_node_t *v)
{
	static const uint8_t action[] = {
		[A_EGRESS] = SL_ACT_ALLOW, [A_DENY] = SL_ACT_DENY, [A_ASK] = SL_ACT_ASK,
	};
	const yaml_node_item_t *i;

	if (is_null(v))
		return;
	if (v->type != YAML_SEQUENCE_NODE) {
		perr(c, v, "\"%s\" must be a list of rules, not %s", agent_keys[key], kind(v));
		return;
	}
	for (i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		yaml_node_t *n = node_at(c, *i);

		if (n)
			rule(c, a, n, action[key]);
	}
}

/*
 * spiffe://trust-domain[/path], by the SPIFFE ID spec, so that the ID sluice
 * puts in events is one a SPIFFE verifier accepts.  NULL, or why not.
 */
static const char *spiffe_why(const char *s)
{
	const char *td = s + strlen("spiffe://"), *p;
	size_t n;

	if (strncmp(s, "spiffe://", strlen("spiffe://")))
		return "must start with \"spiffe://\"";
	if (strlen(s) > MAX_SPIFFE)
		return "longer than 2048 characters";
	n = strcspn(td, "/");
	if (!n)
		return "no trust domain after \"spiffe://\"";
	if (strspn(td, "abcdefghijklmnopqrstuvwxyz0123456789.-_") < n)
		return "the trust domain allows only a-z, 0-9, \".\", \"-\" and \"_\"";
	for (p = td + n; *p; p += n) {
		n = strcspn(++p, "/");
		if (!n)
			return "empty path segment or trailing \"/\"";
		if ((n == 1 && p[0] == '.') || (n == 2 && !strncmp(p, "..", 2)))
			return "\".\" and \"..\" are not allowed in the path";
		if (strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			      "0123456789.-_") < n)
			return "the path allows only letters, digits, \".\", \"-\", \"_\" and \"/\"";
	}
	return NULL;
}

static char *spiffe_id(struct pctx *c, const yaml_node_t *v)
{
	const char *s = text(c, v, "\"spiffe_id\"", "a string"), *why;
	char shown[SHOW_MAX];

	if (!s)
		return NULL;
	why = spiffe_why(s);
	if (why) {
		perr(c, v, "bad spiffe_id \"%s\": %s", show(s, shown), why);
		return NULL;
	}
	return xstrdup(c, s);
}

static char *free_text(struct pctx *c, const yaml_node_t *v, const char *key)
{
	char what[32];
	const char *s;

	snprintf(what, sizeof(what), "\"%s\"", key);
	s = text(c, v, what, "a string");
	if (!s)
		return NULL;
	if (strlen(s) > MAX_TEXT) {
		perr(c, v, "\"%s\" is longer than %d characters", key, MAX_TEXT);
		return NULL;
	}
	return xstrdup(c, s);
}

static void agent_name(struct pctx *c, struct sl_agent_policy *a, const yaml_node_t *v)
{
	const char *s = text(c, v, "\"name\"", "a string");
	char shown[SHOW_MAX];

	if (!s)
		return;
	if (!sl_name_valid(s)) {
		perr(c, v, "bad agent name \"%s\": use 1-63 of a-z, 0-9, \"_\", \".\" and \"-\", starting with a letter or digit",
		     show(s, shown));
		return;
	}
	a->name = xstrdup(c, s);
	/* Duplicates are reported here, where an operator would look. */
	a->loc = loc_of(c, v);
}

static void agent_field(struct pctx *c, void *obj, int key, yaml_node_t *v)
{
	struct sl_agent_policy *a = obj;
	int i;

	switch (key) {
	case A_NAME:
		agent_name(c, a, v);
		break;
	case A_SPIFFE:
		a->spiffe_id = spiffe_id(c, v);
		break;
	case A_OWNER:
		a->owner = free_text(c, v, "owner");
		break;
	case A_DESC:
		a->description = free_text(c, v, "description");
		break;
	case A_MODE:
		i = choice(c, v, "mode", mode_names);
		a->mode = i == 1 ? SL_MODE_AUDIT : SL_MODE_ENFORCE;
		break;
	case A_LOG:
		a->log_allowed = choice(c, v, "log", log_names) != 1;
		break;
	case A_DNS:
		a->dns_direct = choice(c, v, "dns", dns_names) == 1;
		break;
	default:
		rule_list(c, a, key, v);
		break;
	}
}

static const struct schema agent_schema = { "agent", agent_keys, agent_field };

static void agent(struct pctx *c, const yaml_node_t *n)
{
	struct sl_agent_policy a = {
		.mode = SL_MODE_ENFORCE, .log_allowed = true, .loc = loc_of(c, n),
	};
	struct sl_policy *out = c->out;
	struct sl_agent_policy *agents;

	if (n->type != YAML_MAPPING_NODE) {
		perr(c, n, "an agent must be a mapping, not %s", kind(n));
		return;
	}
	if (c->base + out->n_agents >= MAX_AGENTS) {
		if (!c->too_many)
			perr(c, n, "too many agents (at most %d)", MAX_AGENTS);
		c->too_many = true;
		return;
	}
	if (!(walk_map(c, n, &agent_schema, &a) & BIT(A_NAME)))
		perr(c, n, "agent has no \"name\"");
	agents = grow(out->agents, out->n_agents, sizeof(*agents));
	if (!agents) {
		free_agent(&a);
		c->nomem = true;
		return;
	}
	out->agents = agents;
	out->agents[out->n_agents++] = a;
}

static void top_field(struct pctx *c, void *obj, int key, yaml_node_t *v)
{
	const yaml_node_item_t *i;
	char shown[SHOW_MAX];
	const char *s;

	(void)obj;
	if (key == T_VERSION) {
		s = text(c, v, "\"version\"", "a number");
		if (s && strcmp(s, "1"))
			perr(c, v, "unsupported version \"%s\" (only 1 is known)",
			     show(s, shown));
		return;
	}
	if (is_null(v))
		return;
	if (v->type != YAML_SEQUENCE_NODE) {
		perr(c, v, "\"agents\" must be a list of agents, not %s", kind(v));
		return;
	}
	for (i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		yaml_node_t *n = node_at(c, *i);

		if (n)
			agent(c, n);
	}
}

static const struct schema top_schema = { "policy", top_keys, top_field };

static void parse_doc(struct pctx *c, yaml_document_t *doc, yaml_node_t *root)
{
	size_t n = (size_t)(doc->nodes.top - doc->nodes.start);

	c->doc = doc;
	c->seen = calloc(n, 1);
	if (!c->seen) {
		c->nomem = true;
		return;
	}
	c->seen[0] = 1;		/* the root is node 1 */
	if (root->type == YAML_MAPPING_NODE)
		walk_map(c, root, &top_schema, NULL);
	else if (!is_null(root))
		perr(c, root, "a policy must be a mapping with \"agents:\", not %s",
		     kind(root));
	free(c->seen);
	c->seen = NULL;
	c->doc = NULL;
}

/* libyaml's reader errors give a byte offset; turn it into line:col. */
static struct sl_loc offset_loc(const struct pctx *c, size_t off)
{
	struct sl_loc loc = { .file = c->file, .line = 1, .col = 1 };

	for (size_t i = 0; i < off && i < c->len; i++) {
		if (c->buf[i] == '\n') {
			loc.line++;
			loc.col = 1;
		} else {
			loc.col++;
		}
	}
	return loc;
}

static void yaml_fail(struct pctx *c, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown error";
	struct sl_loc loc = {
		.file = c->file,
		.line = (int)p->problem_mark.line + 1,
		.col = (int)p->problem_mark.column + 1,
	};

	if (p->error == YAML_MEMORY_ERROR) {
		c->nomem = true;
	} else if (p->error == YAML_READER_ERROR) {
		loc = offset_loc(c, p->problem_offset);
		perr_loc(c, &loc, "syntax error: %s", problem);
	} else if (p->context && p->context_mark.index != p->problem_mark.index) {
		perr_loc(c, &loc, "syntax error: %s (%s at line %d column %d)",
			 problem, p->context, (int)p->context_mark.line + 1,
			 (int)p->context_mark.column + 1);
	} else if (p->context) {
		perr_loc(c, &loc, "syntax error: %s (%s)", problem, p->context);
	} else {
		perr_loc(c, &loc, "syntax error: %s", problem);
	}
}

/* Every document of the stream; a syntax error ends the walk. */
static void parse_stream(struct pctx *c)
{
	yaml_document_t doc;
	yaml_parser_t p;
	yaml_node_t *root;

	if (!yaml_parser_initialize(&p)) {
		c->nomem = true;
		return;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)c->buf, c->len);
	while (!c->nomem) {
		if (!yaml_parser_load(&p, &doc)) {
			yaml_fail(c, &p);
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (root)
			parse_doc(c, &doc, root);
		yaml_document_delete(&doc);
		if (!root)
			break;
	}
	yaml_parser_delete(&p);
}

/* Report every agent that an earlier one already names; returns how many. */
static int dup_check(const struct sl_policy *pol, struct sl_diag *d)
{
	int dups = 0;

	for (size_t i = 1; i < pol->n_agents; i++) {
		const struct sl_agent_policy *a = &pol->agents[i];

		for (size_t j = 0; a->name && j < i; j++) {
			const struct sl_agent_policy *first = &pol->agents[j];

			if (!first->name || strcmp(a->name, first->name))
				continue;
			sl_diag_add(d, &a->loc, "duplicate agent \"%s\" (first defined at %s:%d:%d)",
				    a->name, first->loc.file, first->loc.line,
				    first->loc.col);
			dups++;
			break;
		}
	}
	return dups;
}

/* Move src's agents and files to the end of dst; src ends empty. */
int sl_policy_move(struct sl_policy *dst, struct sl_policy *src)
{
	size_t na = dst->n_agents + src->n_agents, nf = dst->n_files + src->n_files;
	struct sl_agent_policy *agents;
	char **files;

	agents = reallocarray(dst->agents, na ?: 1, sizeof(*agents));
	if (!agents)
		return -ENOMEM;
	dst->agents = agents;
	files = reallocarray(dst->files, nf ?: 1, sizeof(*files));
	if (!files)
		return -ENOMEM;
	dst->files = files;
	if (src->n_agents)
		memcpy(agents + dst->n_agents, src->agents, src->n_agents * sizeof(*agents));
	if (src->n_files)
		memcpy(files + dst->n_files, src->files, src->n_files * sizeof(*files));
	dst->n_agents = na;
	dst->n_files = nf;
	free(src->agents);
	free(src->files);
	sl_policy_init(src);
	return 0;
}

/* Undo a policy_move: free what lies past the old counts. */
void sl_policy_truncate(struct sl_policy *pol, size_t n_agents, size_t n_files)
{
	while (pol->n_agents > n_agents)
		free_agent(&pol->agents[--pol->n_agents]);
	while (pol->n_files > n_files)
		free(pol->files[--pol->n_files]);
}

int sl_policy_parse_buf(struct sl_policy *pol, const char *name,
			const char *buf, size_t len, struct sl_diag *d)
{
	struct sl_policy out;
	struct pctx c = {
		.buf = buf ? buf : "", .len = len, .d = d,
		.base = pol->n_agents, .out = &out,
	};
	int err;

	sl_policy_init(&out);
	out.files = malloc(sizeof(*out.files));
	if (!out.files || !(out.files[0] = strdup(name))) {
		free(out.files);
		return -ENOMEM;
	}
	out.n_files = 1;
	c.file = out.files[0];
	if (len > MAX_FILE_BYTES)
		perr_loc(&c, &(struct sl_loc){ .file = c.file }, "larger than 16 MiB");
	else
		parse_stream(&c);
	if (!c.nomem)
		c.errors += dup_check(&out, d);
	err = c.nomem ? -ENOMEM : c.errors ? -EINVAL : sl_policy_move(pol, &out);
	sl_policy_free(&out);
	return err;
}

int sl_policy_check(const struct sl_policy *pol, struct sl_diag *d)
{
	int bad = dup_check(pol, d);

	if (pol->n_agents > MAX_AGENTS) {
		sl_diag_add(d, &pol->agents[MAX_AGENTS].loc,
			    "too many agents (at most %d)", MAX_AGENTS);
		bad++;
	}
	return bad ? -EINVAL : 0;
}

const struct sl_agent_policy *sl_policy_find(const struct sl_policy *pol,
					     const char *name)
{
	for (size_t i = 0; i < pol->n_agents; i++)
		if (pol->agents[i].name && !strcmp(pol->agents[i].name, name))
			return &pol->agents[i];
	return NULL;
}

bool sl_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n && n <= SL_NAME_MAX &&
	       ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')) &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}
