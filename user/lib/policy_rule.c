// SPDX-License-Identifier: GPL-2.0-only
/*
 * One rule of an agent's egress:, deny: or ask: list: destinations, ports,
 * protocol, expiry, label; every problem reported at its file:line:col.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "policy_int.h"

static const char *const proto_names[] = { "tcp", "udp", "any", NULL };
static const char *const rule_keys[] = {
	"to", "ports", "protocol", "ttl", "not_after", "id", NULL
};
static void dest_error(struct pctx *c, const yaml_node_t *n, const char *s,
		       const struct sl_dest *dst, const char *why)
{
	char shown[SHOW_MAX], meant[SL_ADDRSTRLEN];

	pol_show(s, shown);
	if (dst->kind == SL_DEST_NAME)
		pol_perr(c, n, "bad DNS name \"%s\": %s", shown, why);
	else if (sl_cidr_masked(s, meant, sizeof(meant)))
		pol_perr(c, n, "bad CIDR \"%s\": %s (did you mean %s?)", shown, why, meant);
	else
		pol_perr(c, n, "bad CIDR \"%s\": %s", shown, why);
}

static void dest(struct pctx *c, struct sl_rule *r, const yaml_node_t *n,
		 const char *what)
{
	const char *s = pol_text(c, n, what, "an address, a prefix or a DNS name");
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
	dst.loc = pol_loc_of(c, n);
	to = pol_grow(r->to, r->n_to, sizeof(*to));
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
		pol_perr(c, v, "\"to\" must not be empty");
	for (i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		yaml_node_t *n = pol_node_at(c, *i);

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
		pol_perr(c, n, "bad port \"%s\" (expected a port 1-65535 or a range \"lo-hi\")",
		     pol_show(s, shown));
	else if (lo < 1 || lo > 65535)
		pol_perr(c, n, "port %lu out of range (1-65535)", lo);
	else if (hi < 1 || hi > 65535)
		pol_perr(c, n, "port %lu out of range (1-65535)", hi);
	else
		pol_perr(c, n, "port range \"%s\" is reversed (%lu > %lu)", s, lo, hi);
}

static void port(struct pctx *c, struct sl_rule *r, const yaml_node_t *n,
		 const char *what)
{
	const char *s = pol_text(c, n, what, "a port or a range \"lo-hi\"");
	struct sl_ports pr, *ports;

	if (!s)
		return;
	if (sl_port_range_parse(s, &pr.lo, &pr.hi)) {
		port_error(c, n, s);
		return;
	}
	ports = pol_grow(r->ports, r->n_ports, sizeof(*ports));
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
		pol_perr(c, v, "\"ports\" must not be empty (leave it out for every port)");
	for (i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		yaml_node_t *n = pol_node_at(c, *i);

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
	const char *s = pol_text(c, v, "\"not_after\"", "a time");
	char shown[SHOW_MAX];

	if (!s)
		return;
	if (rfc3339_parse(s, &r->not_after))
		pol_perr(c, v, "bad not_after \"%s\" (expected an RFC 3339 time such as 2026-12-31T23:59:59Z or 2026-12-31T23:59:59+02:00)",
		     pol_show(s, shown));
	else if (r->not_after <= 0)
		pol_perr(c, v, "not_after \"%s\" is not after 1970-01-01T00:00:00Z", s);
}

static void rule_ttl(struct pctx *c, struct sl_rule *r, const yaml_node_t *v)
{
	const char *s = pol_text(c, v, "\"ttl\"", "a duration");
	char shown[SHOW_MAX];
	int err;

	if (!s)
		return;
	err = sl_duration_parse(s, &r->ttl_ns);
	if (err == -ERANGE)
		pol_perr(c, v, "ttl \"%s\" is too long", pol_show(s, shown));
	else if (err)
		pol_perr(c, v, "bad ttl \"%s\" (expected a duration above 0 such as 30s, 10m, 2h, 1d or 1h30m)",
		     pol_show(s, shown));
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
	const char *s = pol_text(c, v, "\"id\"", "a string");
	char shown[SHOW_MAX];

	if (!s)
		return;
	if (!rule_id_valid(s)) {
		pol_perr(c, v, "bad id \"%s\": use 1-63 of A-Z, a-z, 0-9, \"_\", \".\", \":\" and \"-\"",
		     pol_show(s, shown));
		return;
	}
	r->id = pol_xstrdup(c, s);
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
		i = pol_choice(c, v, "protocol", proto_names);
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
	struct sl_rule r = { .action = action, .proto = SL_PROTO_ANY, .loc = pol_loc_of(c, n) };
	struct sl_rule *rules;
	unsigned int present;

	if (n->type != YAML_MAPPING_NODE) {
		pol_perr(c, n, "a rule must be a mapping, not %s", pol_kind(n));
		return;
	}
	present = pol_walk_map(c, n, &rule_schema, &r);
	if (!(present & BIT(R_TO)))
		pol_perr(c, n, "rule has no \"to\"");
	if ((present & BIT(R_TTL)) && (present & BIT(R_NOT_AFTER)))
		pol_perr(c, n, "rule has both \"ttl\" and \"not_after\"; use one");
	rules = pol_grow(a->rules, a->n_rules, sizeof(*rules));
	if (!rules) {
		pol_free_rule(&r);
		c->nomem = true;
		return;
	}
	a->rules = rules;
	a->rules[a->n_rules++] = r;
}

void pol_rule_list(struct pctx *c, struct sl_agent_policy *a, int key,
		      const yaml_node_t *v)
{
	static const uint8_t action[] = {
		[A_EGRESS] = SL_ACT_ALLOW, [A_DENY] = SL_ACT_DENY, [A_ASK] = SL_ACT_ASK,
	};
	const yaml_node_item_t *i;

	if (pol_is_null(v))
		return;
	if (v->type != YAML_SEQUENCE_NODE) {
		pol_perr(c, v, "\"%s\" must be a list of rules, not %s", pol_agent_keys[key], pol_kind(v));
		return;
	}
	for (i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		yaml_node_t *n = pol_node_at(c, *i);

		if (n)
			rule(c, a, n, action[key]);
	}
}

/*
 * spiffe://trust-domain[/path], by the SPIFFE ID spec, so that the ID sluice
 * puts in events is one a SPIFFE verifier accepts.  NULL, or why not.
 */
