// SPDX-License-Identifier: GPL-2.0-only
/*
 * Flattening: decisions are checked by running decide.h (the code the
 * kernel runs) over what sl_cset_lookup() returns, and where the layout
 * matters (pruning, omission, the barrier) the values themselves.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "compile.h"

#define A_ALLOW	SL_ACT_ALLOW
#define A_DENY	SL_ACT_DENY
#define A_ASK	SL_ACT_ASK
#define TCP	SL_PROTO_TCP
#define UDP	SL_PROTO_UDP
#define ANY	SL_PROTO_ANY

/* One input, as a test writes it. */
struct spec {
	const char *pfx;
	uint16_t lo, hi;
	uint8_t proto, act;
	uint32_t rule;
	uint64_t exp;
};

/* One call and what must be decided: action (0 = default deny) and rule. */
struct probe {
	const char *addr;
	uint16_t port;
	uint8_t proto;
	uint64_t now;
	uint8_t act;
	uint32_t rule;
};

static struct sl_prefix pfx(const char *s)
{
	struct sl_prefix p;

	cr_assert_eq(sl_prefix_parse(s, &p, NULL), 0, "bad prefix %s", s);
	return p;
}

static struct sl_cin cin(const struct spec *s)
{
	struct sl_cin c;

	memset(&c, 0, sizeof(c));
	c.pfx = pfx(s->pfx);
	c.ent.port_lo = s->lo;
	c.ent.port_hi = s->hi;
	c.ent.proto = s->proto;
	c.ent.action = s->act;
	c.ent.flags = SL_ENTRY_POLICY;
	c.ent.rule_id = s->rule;
	c.ent.expires_ns = s->exp;
	return c;
}

static void flatten_specs(const struct spec *s, size_t n, struct sl_cset *out)
{
	struct sl_cin *in = calloc(n ? n : 1, sizeof(*in));
	struct sl_diag d;
	int err;

	cr_assert_not_null(in);
	for (size_t i = 0; i < n; i++)
		in[i] = cin(&s[i]);
	sl_diag_init(&d);
	err = sl_flatten(in, n, out, &d);
	if (err)
		sl_diag_print(&d, stderr);
	cr_assert_eq(err, 0);
	cr_assert_eq(d.n, 0);
	sl_diag_free(&d);
	free(in);
}

/* What the kernel decides for this call, given one set. */
static uint8_t decide_at(const struct sl_cset *s, const char *addr,
			 uint16_t port, uint8_t proto, uint64_t now,
			 uint32_t *rule)
{
	const struct sl_citem *it;
	struct sl_match m;
	uint8_t a[16];
	uint16_t flags;

	cr_assert_eq(sl_addr_parse(addr, a), 0, "bad address %s", addr);
	sl_match_init(&m);
	it = sl_cset_lookup(s, a);
	if (it)
		sl_match_val(&it->val, port, proto, now, &m);
	return sl_match_action(&m, rule, &flags);
}

static void check_probes(const struct sl_cset *s, const struct probe *p,
			 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t rule;
		uint8_t act = decide_at(s, p[i].addr, p[i].port, p[i].proto,
					p[i].now, &rule);

		cr_expect_eq(act, p[i].act, "%s port %u proto %u now %llu: action %u, want %u",
			     p[i].addr, p[i].port, p[i].proto,
			     (unsigned long long)p[i].now, act, p[i].act);
		cr_expect_eq(rule, p[i].rule, "%s port %u proto %u now %llu: rule %u, want %u",
			     p[i].addr, p[i].port, p[i].proto,
			     (unsigned long long)p[i].now, rule, p[i].rule);
	}
}

static const struct sl_citem *item_at(const struct sl_cset *s, const char *p)
{
	struct sl_prefix want = pfx(p);

	for (size_t i = 0; i < s->n; i++)
		if (!sl_prefix_cmp(&s->items[i].pfx, &want))
			return &s->items[i];
	return NULL;
}

/* The value at p holds exactly these (rule, action, port_lo) entries. */
static void expect_value(const struct sl_cset *s, const char *p,
			 const uint32_t *rules, const uint8_t *acts,
			 const uint16_t *lo, uint32_t n)
{
	const struct sl_citem *it = item_at(s, p);

	cr_assert_not_null(it, "no item at %s", p);
	cr_assert_eq(it->val.n, n, "%s: %u entries, want %u", p, it->val.n, n);
	for (uint32_t i = 0; i < n; i++) {
		cr_expect_eq(it->val.e[i].rule_id, rules[i], "%s entry %u rule", p, i);
		cr_expect_eq(it->val.e[i].action, acts[i], "%s entry %u action", p, i);
		cr_expect_eq(it->val.e[i].port_lo, lo[i], "%s entry %u port_lo", p, i);
	}
}

static bool bytes_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

Test(compile, single_rule)
{
	static const struct spec in[] = {
		{ "10.0.0.0/8", 443, 443, TCP, A_ALLOW, 7, 0 },
	};
	static const struct probe pr[] = {
		{ "10.1.2.3", 443, TCP, 0, A_ALLOW, 7 },
		{ "::ffff:10.1.2.3", 443, TCP, 0, A_ALLOW, 7 },
		{ "10.255.255.255", 443, TCP, 0, A_ALLOW, 7 },
		{ "10.1.2.3", 443, UDP, 0, 0, 0 },
		{ "10.1.2.3", 444, TCP, 0, 0, 0 },
		{ "10.1.2.3", 442, TCP, 0, 0, 0 },
		{ "11.0.0.0", 443, TCP, 0, 0, 0 },
		{ "9.255.255.255", 443, TCP, 0, 0, 0 },
		{ "2001:db8::1", 443, TCP, 0, 0, 0 },
	};
	struct sl_cset s;
	const struct sl_entry *e;

	flatten_specs(in, ARRAY_SIZE(in), &s);
	cr_assert_eq(s.n, 1);
	cr_expect_eq(s.items[0].pfx.len, 96 + 8);
	e = &s.items[0].val.e[0];
	cr_assert_eq(s.items[0].val.n, 1);
	cr_expect_eq(e->port_lo, 443);
	cr_expect_eq(e->port_hi, 443);
	cr_expect_eq(e->proto, TCP);
	cr_expect_eq(e->action, A_ALLOW);
	cr_expect_eq(e->flags, SL_ENTRY_POLICY);
	cr_expect_eq(e->rule_id, 7);
	cr_expect_eq(e->expires_ns, 0);
	check_probes(&s, pr, ARRAY_SIZE(pr));
	sl_cset_free(&s);
}

/* Garbage in the caller's pad fields never reaches the kernel. */
Test(compile, values_zero_padded)
{
	struct spec sp = { "10.0.0.0/8", 1, 2, TCP, A_ALLOW, 1, 0 };
	struct sl_cin in = cin(&sp);
	struct sl_cset s;
	struct sl_diag d;

	in.ent.pad = 0xdeadbeef;
	sl_diag_init(&d);
	cr_assert_eq(sl_flatten(&in, 1, &s, &d), 0);
	cr_assert_eq(s.n, 1);
	cr_expect_eq(s.items[0].val.pad, 0);
	cr_expect_eq(s.items[0].val.e[0].pad, 0);
	cr_expect(bytes_zero(&s.items[0].val.e[1],
			     sizeof(struct sl_entry) * (SL_MAX_ENTRIES - 1)));
	sl_cset_free(&s);
	sl_diag_free(&d);
}

Test(compile, empty_input)
{
	struct sl_cset s = { (void *)1, 5 };
	struct sl_diag d;
	uint8_t a[16] = { 0 };

	sl_diag_init(&d);
	cr_assert_eq(sl_flatten(NULL, 0, &s, &d), 0);
	cr_expect_eq(s.n, 0);
	cr_expect_null(s.items);
	cr_expect_null(sl_cset_lookup(&s, a));
	sl_cset_free(&s);
	sl_cset_free(NULL);
}

/*
 * /8 allow 443, /16 deny all, /24 allow 80.  The /24 collects
 * [allow 80, deny all, allow 443]; the permanent deny-all makes the later
 * allow 443 dead, so it is dropped.  The allow 80 before it stays (the
 * deny still wins, decide.h's precedence, not order).
 */
Test(compile, nested_prefixes)
{
	static const struct spec in[] = {
		{ "10.0.0.0/8", 443, 443, TCP, A_ALLOW, 1, 0 },
		{ "10.1.0.0/16", 0, 65535, ANY, A_DENY, 2, 0 },
		{ "10.1.2.0/24", 80, 80, TCP, A_ALLOW, 3, 0 },
	};
	static const struct probe pr[] = {
		{ "10.9.0.1", 443, TCP, 0, A_ALLOW, 1 },
		{ "10.9.0.1", 80, TCP, 0, 0, 0 },
		{ "10.1.9.9", 443, TCP, 0, A_DENY, 2 },
		{ "10.1.9.9", 53, UDP, 0, A_DENY, 2 },
		{ "10.1.2.3", 80, TCP, 0, A_DENY, 2 },
		{ "10.1.2.3", 443, TCP, 0, A_DENY, 2 },
		{ "10.1.2.255", 22, TCP, 0, A_DENY, 2 },
		{ "10.1.3.0", 80, TCP, 0, A_DENY, 2 },
		{ "11.1.2.3", 80, TCP, 0, 0, 0 },
	};
	static const uint32_t r8[] = { 1 }, r16[] = { 2 }, r24[] = { 3, 2 };
	static const uint8_t a8[] = { A_ALLOW }, a16[] = { A_DENY },
		a24[] = { A_ALLOW, A_DENY };
	static const uint16_t l8[] = { 443 }, l16[] = { 0 }, l24[] = { 80, 0 };
	struct sl_cset s;

	flatten_specs(in, ARRAY_SIZE(in), &s);
	cr_assert_eq(s.n, 3);
	expect_value(&s, "10.0.0.0/8", r8, a8, l8, 1);
	expect_value(&s, "10.1.0.0/16", r16, a16, l16, 1);
	expect_value(&s, "10.1.2.0/24", r24, a24, l24, 2);
	check_probes(&s, pr, ARRAY_SIZE(pr));
	sl_cset_free(&s);
}

/* Items come out sorted by sl_prefix_cmp whatever the input order. */
Test(compile, sorted_output)
{
	static const struct spec in[] = {
		{ "2001:db8::/32", 1, 1, TCP, A_ALLOW, 1, 0 },
		{ "10.1.2.0/24", 1, 1, TCP, A_ALLOW, 2, 0 },
		{ "10.0.0.0/8", 2, 2, TCP, A_ALLOW, 3, 0 },
		{ "192.168.0.0/16", 1, 1, TCP, A_ALLOW, 4, 0 },
		{ "10.1.0.0/16", 3, 3, TCP, A_ALLOW, 5, 0 },
		{ "::1/128", 1, 1, TCP, A_ALLOW, 6, 0 },
	};
	struct sl_cset s;

	flatten_specs(in, ARRAY_SIZE(in), &s);
	cr_assert_eq(s.n, 6);
	for (size_t i = 1; i < s.n; i++)
		cr_expect_lt(sl_prefix_cmp(&s.items[i - 1].pfx, &s.items[i].pfx), 0);
	sl_cset_free(&s);
}

/* A deny and an allow for the same call: deny, in every arrangement. */
struct deny_case {
	const char *name;
	struct spec in[2];
	const char *addr;
	uint16_t port;
};

Test(compile, deny_beats_allow)
{
	static const struct deny_case cases[] = {
		{ "deny outer, allow inner",
		  { { "10.0.0.0/8", 0, 65535, ANY, A_DENY, 1, 0 },
		    { "10.1.2.0/24", 443, 443, TCP, A_ALLOW, 2, 0 } }, "10.1.2.3", 443 },
		{ "allow outer, deny inner",
		  { { "10.0.0.0/8", 0, 65535, ANY, A_ALLOW, 1, 0 },
		    { "10.1.2.0/24", 443, 443, TCP, A_DENY, 2, 0 } }, "10.1.2.3", 443 },
		{ "same prefix, allow first",
		  { { "10.1.2.0/24", 443, 443, TCP, A_ALLOW, 1, 0 },
		    { "10.1.2.0/24", 0, 65535, ANY, A_DENY, 2, 0 } }, "10.1.2.3", 443 },
		{ "same prefix, deny first",
		  { { "10.1.2.0/24", 0, 65535, ANY, A_DENY, 1, 0 },
		    { "10.1.2.0/24", 443, 443, TCP, A_ALLOW, 2, 0 } }, "10.1.2.3", 443 },
		{ "narrow deny inside a wide allow",
		  { { "0.0.0.0/0", 0, 65535, ANY, A_ALLOW, 1, 0 },
		    { "10.1.2.3/32", 443, 443, TCP, A_DENY, 2, 0 } }, "10.1.2.3", 443 },
		{ "host allow under a /0 deny",
		  { { "0.0.0.0/0", 0, 65535, ANY, A_DENY, 1, 0 },
		    { "10.1.2.3/32", 0, 65535, ANY, A_ALLOW, 2, 0 } }, "10.1.2.3", 443 },
		{ "IPv6 deny outer",
		  { { "2001:db8::/32", 0, 65535, ANY, A_DENY, 1, 0 },
		    { "2001:db8:1::/48", 443, 443, TCP, A_ALLOW, 2, 0 } }, "2001:db8:1::5", 443 },
		{ "IPv6 deny inner",
		  { { "::/0", 0, 65535, ANY, A_ALLOW, 1, 0 },
		    { "2001:db8:1::/48", 443, 443, ANY, A_DENY, 2, 0 } }, "2001:db8:1::5", 443 },
	};

	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		const struct deny_case *dc = &cases[c];
		uint32_t deny_rule = dc->in[0].act == A_DENY ? dc->in[0].rule : dc->in[1].rule;

		/* both input orders */
		for (int rev = 0; rev < 2; rev++) {
			struct spec in[2] = { dc->in[rev], dc->in[!rev] };
			struct sl_cset s;
			uint32_t rule;
			uint8_t act;

			flatten_specs(in, 2, &s);
			act = decide_at(&s, dc->addr, dc->port, TCP, 0, &rule);
			cr_expect_eq(act, A_DENY, "%s (rev %d): action %u", dc->name, rev, act);
			cr_expect_eq(rule, deny_rule, "%s (rev %d): rule %u", dc->name, rev, rule);
			sl_cset_free(&s);
		}
	}
}

/* ::/0 allows IPv6 only: IPv4 lookups land on an empty barrier. */
Test(compile, ipv6_default_does_not_allow_ipv4)
{
	static const struct spec in[] = {
		{ "::/0", 0, 65535, ANY, A_ALLOW, 1, 0 },
	};
	static const struct probe pr[] = {
		{ "2001:db8::1", 443, TCP, 0, A_ALLOW, 1 },
		{ "::1", 53, UDP, 0, A_ALLOW, 1 },
		{ "10.0.0.1", 443, TCP, 0, 0, 0 },
		{ "0.0.0.0", 443, TCP, 0, 0, 0 },
		{ "255.255.255.255", 443, TCP, 0, 0, 0 },
		{ "::fffe:ffff:ffff", 443, TCP, 0, A_ALLOW, 1 },
		{ "::1:0:0:0", 443, TCP, 0, A_ALLOW, 1 },
	};
	const struct sl_citem *bar;
	struct sl_cset s;
	uint8_t a[16];

	flatten_specs(in, ARRAY_SIZE(in), &s);
	cr_assert_eq(s.n, 2);
	bar = item_at(&s, "0.0.0.0/0");
	cr_assert_not_null(bar);
	cr_expect_eq(bar->val.n, 0);
	cr_expect(bytes_zero(&bar->val, sizeof(bar->val)));
	sl_addr_parse("10.0.0.1", a);
	cr_expect_eq(sl_cset_lookup(&s, a), bar);
	check_probes(&s, pr, ARRAY_SIZE(pr));
	sl_cset_free(&s);
}

struct barrier_case {
	const char *name;
	struct spec in[3];
	size_t n_in;
	bool barrier;		/* an empty item at ::ffff:0:0/96 */
	size_t n_items;
	struct probe pr[3];
};

Test(compile, barrier_cases)
{
	static const struct barrier_case cases[] = {
		{ "::/64 contains the IPv4 range",
		  { { "::/64", 0, 65535, ANY, A_ALLOW, 1, 0 } }, 1, true, 2,
		  { { "10.0.0.1", 80, TCP, 0, 0, 0 },
		    { "::2", 80, TCP, 0, A_ALLOW, 1 },
		    { "::ffff:0:1", 80, TCP, 0, 0, 0 } } },
		{ "::/80 contains it too",
		  { { "::/80", 0, 65535, ANY, A_ALLOW, 1, 0 } }, 1, true, 2,
		  { { "10.0.0.1", 80, TCP, 0, 0, 0 },
		    { "::1:0:0", 80, TCP, 0, A_ALLOW, 1 },
		    { "::2", 80, TCP, 0, A_ALLOW, 1 } } },
		{ "a prefix beside the IPv4 range needs none",
		  { { "2001:db8::/32", 0, 65535, ANY, A_ALLOW, 1, 0 },
		    { "::/96", 0, 65535, ANY, A_ALLOW, 2, 0 } }, 2, false, 2,
		  { { "10.0.0.1", 80, TCP, 0, 0, 0 },
		    { "::7", 80, TCP, 0, A_ALLOW, 2 },
		    { "2001:db8::1", 80, TCP, 0, A_ALLOW, 1 } } },
		{ "an IPv4 rule under ::/0 inherits nothing from it",
		  { { "::/0", 443, 443, TCP, A_ALLOW, 1, 0 },
		    { "10.0.0.0/8", 80, 80, TCP, A_ALLOW, 2, 0 } }, 2, true, 3,
		  { { "10.1.1.1", 80, TCP, 0, A_ALLOW, 2 },
		    { "10.1.1.1", 443, TCP, 0, 0, 0 },
		    { "11.1.1.1", 443, TCP, 0, 0, 0 } } },
		{ "IPv4 /0 takes the barrier's place",
		  { { "::/0", 0, 65535, ANY, A_DENY, 1, 0 },
		    { "0.0.0.0/0", 443, 443, TCP, A_ALLOW, 2, 0 } }, 2, false, 2,
		  { { "10.1.1.1", 443, TCP, 0, A_ALLOW, 2 },
		    { "10.1.1.1", 80, TCP, 0, 0, 0 },
		    { "2001:db8::1", 443, TCP, 0, A_DENY, 1 } } },
		{ "an IPv6 deny-all does not deny IPv4",
		  { { "::/0", 0, 65535, ANY, A_DENY, 1, 0 },
		    { "10.0.0.0/8", 0, 65535, ANY, A_ALLOW, 2, 0 } }, 2, true, 3,
		  { { "10.1.1.1", 443, TCP, 0, A_ALLOW, 2 },
		    { "11.1.1.1", 80, TCP, 0, 0, 0 },
		    { "2001:db8::1", 443, TCP, 0, A_DENY, 1 } } },
	};

	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		const struct barrier_case *bc = &cases[c];
		const struct sl_citem *bar;
		struct sl_cset s;

		flatten_specs(bc->in, bc->n_in, &s);
		cr_expect_eq(s.n, bc->n_items, "%s: %zu items", bc->name, s.n);
		bar = item_at(&s, "0.0.0.0/0");
		if (bc->barrier) {
			cr_expect(bar && bar->val.n == 0, "%s: no barrier", bc->name);
		} else {
			cr_expect(!bar || bar->val.n > 0, "%s: unexpected barrier", bc->name);
		}
		cr_log_info("case: %s", bc->name);
		check_probes(&s, bc->pr, 3);
		sl_cset_free(&s);
	}
}

/* ::ffff:10.0.0.0/104 is 10.0.0.0/8: same key, one value. */
Test(compile, mapped_prefix_equals_ipv4)
{
	static const struct spec a[] = {
		{ "10.0.0.0/8", 443, 443, TCP, A_ALLOW, 1, 0 },
		{ "10.1.0.0/16", 80, 80, TCP, A_ALLOW, 2, 0 },
	};
	static const struct spec b[] = {
		{ "::ffff:10.0.0.0/104", 443, 443, TCP, A_ALLOW, 1, 0 },
		{ "::ffff:10.1.0.0/112", 80, 80, TCP, A_ALLOW, 2, 0 },
	};
	static const struct spec both[] = {
		{ "10.0.0.0/8", 443, 443, TCP, A_ALLOW, 1, 0 },
		{ "::ffff:10.0.0.0/104", 443, 443, TCP, A_ALLOW, 1, 0 },
	};
	struct sl_cset sa, sb, sc;

	flatten_specs(a, ARRAY_SIZE(a), &sa);
	flatten_specs(b, ARRAY_SIZE(b), &sb);
	cr_assert_eq(sa.n, 2);
	cr_assert_eq(sb.n, sa.n);
	cr_expect_eq(memcmp(sa.items, sb.items, sa.n * sizeof(*sa.items)), 0);
	flatten_specs(both, ARRAY_SIZE(both), &sc);
	cr_assert_eq(sc.n, 1);
	cr_expect_eq(sc.items[0].val.n, 1);
	sl_cset_free(&sa);
	sl_cset_free(&sb);
	sl_cset_free(&sc);
}

/* Host bits below the length are ignored, as the kernel trie does. */
Test(compile, host_bits_cleared)
{
	struct spec sp = { "10.0.0.0/8", 1, 1, TCP, A_ALLOW, 1, 0 };
	struct sl_cin in[2];
	struct sl_cset s;
	struct sl_diag d;

	in[0] = cin(&sp);
	in[1] = in[0];
	in[1].pfx.addr[15] = 9;		/* "10.0.0.9/8" */
	in[1].ent.rule_id = 2;
	sl_diag_init(&d);
	cr_assert_eq(sl_flatten(in, 2, &s, &d), 0);
	cr_assert_eq(s.n, 1);
	cr_expect_eq(s.items[0].pfx.addr[15], 0);
	cr_expect_eq(s.items[0].val.n, 1);
	sl_cset_free(&s);
	sl_diag_free(&d);
}

/*
 * Expiring entries.  A permanent entry drops a later expiring one of the
 * same action; an expiring one never drops a permanent one; between two
 * expiring ones the later-expiring earlier entry wins.
 */
Test(compile, expiry_does_not_shadow_permanent)
{
	static const struct spec in[] = {
		/* /24: allow 443 until 100, inherits a permanent allow 443 */
		{ "10.0.0.0/8", 443, 443, TCP, A_ALLOW, 1, 0 },
		{ "10.1.2.0/24", 443, 443, TCP, A_ALLOW, 2, 100 },
		/* /24 of 20/8: permanent allow drops the inherited expiring one */
		{ "20.0.0.0/8", 443, 443, TCP, A_ALLOW, 3, 100 },
		{ "20.1.2.0/24", 443, 443, TCP, A_ALLOW, 4, 0 },
		/* expiring deny over a permanent allow */
		{ "30.0.0.0/8", 0, 65535, ANY, A_ALLOW, 5, 0 },
		{ "30.1.2.0/24", 0, 65535, ANY, A_DENY, 6, 100 },
	};
	static const struct probe pr[] = {
		{ "10.1.2.3", 443, TCP, 50, A_ALLOW, 2 },
		{ "10.1.2.3", 443, TCP, 100, A_ALLOW, 1 },
		{ "10.1.2.3", 443, TCP, 500, A_ALLOW, 1 },
		{ "20.1.2.3", 443, TCP, 50, A_ALLOW, 4 },
		{ "20.1.2.3", 443, TCP, 500, A_ALLOW, 4 },
		{ "20.9.9.9", 443, TCP, 50, A_ALLOW, 3 },
		{ "20.9.9.9", 443, TCP, 100, 0, 0 },
		{ "30.1.2.3", 80, TCP, 99, A_DENY, 6 },
		{ "30.1.2.3", 80, TCP, 100, A_ALLOW, 5 },
	};
	static const uint32_t r10[] = { 2, 1 }, r20[] = { 4 }, r30[] = { 6, 5 };
	static const uint8_t a10[] = { A_ALLOW, A_ALLOW }, a20[] = { A_ALLOW },
		a30[] = { A_DENY, A_ALLOW };
	static const uint16_t l10[] = { 443, 443 }, l20[] = { 443 }, l30[] = { 0, 0 };
	struct sl_cset s;

	flatten_specs(in, ARRAY_SIZE(in), &s);
	expect_value(&s, "10.1.2.0/24", r10, a10, l10, 2);
	expect_value(&s, "20.1.2.0/24", r20, a20, l20, 1);
	expect_value(&s, "30.1.2.0/24", r30, a30, l30, 2);
	check_probes(&s, pr, ARRAY_SIZE(pr));
	sl_cset_free(&s);
}

/* Pruning cases within one prefix: how many entries stay, in order. */
struct prune_case {
	const char *name;
	struct spec in[3];
	size_t n_in;
	uint32_t keep[3];	/* rule ids that stay, in order */
	uint32_t n_keep;
};

Test(compile, pruning)
{
	static const struct prune_case cases[] = {
		{ "exact duplicate", { { "10.0.0.0/8", 80, 80, TCP, A_ALLOW, 1, 0 },
			{ "10.0.0.0/8", 80, 80, TCP, A_ALLOW, 1, 0 } }, 2, { 1 }, 1 },
		{ "same entry, other rule: the first names it",
			{ { "10.0.0.0/8", 80, 80, TCP, A_ALLOW, 1, 0 },
			  { "10.0.0.0/8", 80, 80, TCP, A_ALLOW, 2, 0 } }, 2, { 1 }, 1 },
		{ "wider allow first drops a narrower allow",
			{ { "10.0.0.0/8", 0, 65535, ANY, A_ALLOW, 1, 0 },
			  { "10.0.0.0/8", 80, 80, TCP, A_ALLOW, 2, 0 } }, 2, { 1 }, 1 },
		{ "narrower allow first keeps both (it names the rule)",
			{ { "10.0.0.0/8", 80, 80, TCP, A_ALLOW, 1, 0 },
			  { "10.0.0.0/8", 0, 65535, ANY, A_ALLOW, 2, 0 } }, 2, { 1, 2 }, 2 },
		{ "tcp allow does not cover udp",
			{ { "10.0.0.0/8", 0, 65535, TCP, A_ALLOW, 1, 0 },
			  { "10.0.0.0/8", 53, 53, UDP, A_ALLOW, 2, 0 } }, 2, { 1, 2 }, 2 },
		{ "tcp allow does not cover any",
			{ { "10.0.0.0/8", 0, 65535, TCP, A_ALLOW, 1, 0 },
			  { "10.0.0.0/8", 53, 53, ANY, A_ALLOW, 2, 0 } }, 2, { 1, 2 }, 2 },
		{ "permanent deny drops later allow, ask and deny",
			{ { "10.0.0.0/8", 0, 65535, ANY, A_DENY, 1, 0 },
			  { "10.0.0.0/8", 80, 80, TCP, A_ALLOW, 2, 0 },
			  { "10.0.0.0/8", 22, 22, TCP, A_ASK, 3, 0 } }, 3, { 1 }, 1 },
		{ "tcp deny does not drop a udp allow",
			{ { "10.0.0.0/8", 0, 65535, TCP, A_DENY, 1, 0 },
			  { "10.0.0.0/8", 53, 53, UDP, A_ALLOW, 2, 0 } }, 2, { 1, 2 }, 2 },
		{ "expiring deny does not drop an allow",
			{ { "10.0.0.0/8", 0, 65535, ANY, A_DENY, 1, 100 },
			  { "10.0.0.0/8", 80, 80, TCP, A_ALLOW, 2, 0 } }, 2, { 1, 2 }, 2 },
		{ "expiring deny drops a deny expiring sooner",
			{ { "10.0.0.0/8", 0, 65535, ANY, A_DENY, 1, 200 },
			  { "10.0.0.0/8", 80, 80, TCP, A_DENY, 2, 100 } }, 2, { 1 }, 1 },
		{ "expiring allow keeps an allow expiring later",
			{ { "10.0.0.0/8", 0, 65535, ANY, A_ALLOW, 1, 100 },
			  { "10.0.0.0/8", 80, 80, TCP, A_ALLOW, 2, 200 } }, 2, { 1, 2 }, 2 },
		{ "expiring allow keeps a permanent allow",
			{ { "10.0.0.0/8", 0, 65535, ANY, A_ALLOW, 1, 100 },
			  { "10.0.0.0/8", 80, 80, TCP, A_ALLOW, 2, 0 } }, 2, { 1, 2 }, 2 },
		{ "allow does not drop an ask",
			{ { "10.0.0.0/8", 0, 65535, ANY, A_ALLOW, 1, 0 },
			  { "10.0.0.0/8", 80, 80, TCP, A_ASK, 2, 0 } }, 2, { 1, 2 }, 2 },
		{ "a later deny drops nothing before it",
			{ { "10.0.0.0/8", 80, 80, TCP, A_ALLOW, 1, 0 },
			  { "10.0.0.0/8", 0, 65535, ANY, A_DENY, 2, 0 } }, 2, { 1, 2 }, 2 },
		{ "partial port overlap keeps both",
			{ { "10.0.0.0/8", 80, 90, TCP, A_ALLOW, 1, 0 },
			  { "10.0.0.0/8", 85, 95, TCP, A_ALLOW, 2, 0 } }, 2, { 1, 2 }, 2 },
	};

	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		const struct prune_case *pc = &cases[c];
		struct sl_cset s;

		flatten_specs(pc->in, pc->n_in, &s);
		cr_assert_eq(s.n, 1, "%s", pc->name);
		cr_expect_eq(s.items[0].val.n, pc->n_keep, "%s: %u entries",
			     pc->name, s.items[0].val.n);
		for (uint32_t i = 0; i < pc->n_keep && i < s.items[0].val.n; i++)
			cr_expect_eq(s.items[0].val.e[i].rule_id, pc->keep[i],
				     "%s: entry %u", pc->name, i);
		sl_cset_free(&s);
	}
}

/* Duplicates across prefixes and inputs: the child drops the inherited copy. */
Test(compile, duplicate_inputs)
{
	static const struct spec in[] = {
		{ "10.0.0.0/8", 443, 443, TCP, A_ALLOW, 1, 0 },
		{ "10.0.0.0/8", 443, 443, TCP, A_ALLOW, 1, 0 },
		{ "10.1.0.0/16", 80, 80, TCP, A_ALLOW, 2, 0 },
		{ "10.1.0.0/16", 443, 443, TCP, A_ALLOW, 1, 0 },
		{ "10.1.0.0/16", 80, 80, TCP, A_ALLOW, 2, 0 },
	};
	static const uint32_t r[] = { 2, 1 };
	static const uint8_t a[] = { A_ALLOW, A_ALLOW };
	static const uint16_t l[] = { 80, 443 };
	struct sl_cset s;

	flatten_specs(in, ARRAY_SIZE(in), &s);
	cr_assert_eq(s.n, 2);
	cr_expect_eq(item_at(&s, "10.0.0.0/8")->val.n, 1);
	expect_value(&s, "10.1.0.0/16", r, a, l, 2);
	sl_cset_free(&s);
}

/* 11 entries at 10.1.2.0/24: 9 own, 2 inherited from the /8. */
Test(compile, overflow_names_prefix_and_rules)
{
	static const struct sl_loc locs[] = {
		{ "p.yaml", 4, 7 }, { "p.yaml", 9, 7 }, { "q.yaml", 2, 3 },
	};
	struct sl_cin in[11];
	struct sl_cset s;
	struct sl_diag d;
	int i;

	for (i = 0; i < 11; i++) {
		struct spec sp = { i < 9 ? "10.1.2.0/24" : "10.0.0.0/8",
				   (uint16_t)(1000 + i), (uint16_t)(1000 + i),
				   TCP, A_ALLOW, (uint32_t)i, 0 };

		in[i] = cin(&sp);
		in[i].loc = i < 9 ? &locs[i % 2] : &locs[2];
	}
	sl_diag_init(&d);
	cr_assert_eq(sl_flatten(in, 11, &s, &d), -EINVAL);
	cr_expect_eq(s.n, 0);
	cr_expect_null(s.items);
	cr_assert_eq(d.n, 1);
	cr_expect_str_eq(d.msg[0], "p.yaml:4:7: 10.1.2.0/24: 11 entries apply after "
			 "flattening, at most 8 can (rules at p.yaml:4:7, p.yaml:9:7, q.yaml:2:3)");
	sl_diag_free(&d);
}

/* Every overflowing prefix is reported; no location, no "at". */
Test(compile, overflow_every_prefix_no_loc)
{
	struct sl_cin in[18];
	struct sl_cset s;
	struct sl_diag d;

	for (int i = 0; i < 18; i++) {
		struct spec sp = { i < 9 ? "10.0.0.0/8" : "2001:db8::/32",
				   (uint16_t)(i + 1), (uint16_t)(i + 1), UDP, A_DENY, 1, 0 };

		in[i] = cin(&sp);
	}
	sl_diag_init(&d);
	cr_assert_eq(sl_flatten(in, 18, &s, &d), -EINVAL);
	cr_assert_eq(d.n, 2);
	cr_expect_str_eq(d.msg[0], "10.0.0.0/8: 9 entries apply after flattening, at most 8 can");
	cr_expect_str_eq(d.msg[1], "2001:db8::/32: 9 entries apply after flattening, at most 8 can");
	sl_diag_free(&d);
}

/* A long list of rule locations is cut short with ", ...". */
Test(compile, overflow_long_loc_list)
{
	static const char file[] = "policies/a-rather-long-directory-name/agent.yaml";
	struct sl_loc locs[12];
	struct sl_cin in[12];
	struct sl_cset s;
	struct sl_diag d;
	size_t len;

	for (int i = 0; i < 12; i++) {
		struct spec sp = { "10.0.0.0/8", (uint16_t)(i + 1), (uint16_t)(i + 1),
				   TCP, A_ALLOW, 1, 0 };

		locs[i] = (struct sl_loc){ file, 10 + i, 3 };
		in[i] = cin(&sp);
		in[i].loc = &locs[i];
	}
	sl_diag_init(&d);
	cr_assert_eq(sl_flatten(in, 12, &s, &d), -EINVAL);
	cr_assert_eq(d.n, 1);
	len = strlen(d.msg[0]);
	cr_assert_gt(len, 6);
	cr_expect_str_eq(d.msg[0] + len - 6, ", ...)", "%s", d.msg[0]);
	cr_expect(strstr(d.msg[0], "(rules at policies/a-rather-long-directory-name/agent.yaml:10:3, "),
		  "%s", d.msg[0]);
	sl_diag_free(&d);
}

/* Pruning happens before counting: 20 inputs that prune to 1 are fine. */
Test(compile, prune_before_overflow)
{
	struct sl_cin in[20];
	struct sl_cset s;
	struct sl_diag d;

	for (int i = 0; i < 20; i++) {
		struct spec sp = { "10.0.0.0/8", (uint16_t)(i + 1), (uint16_t)(i + 1),
				   TCP, A_ALLOW, 3, 0 };

		in[i] = cin(&sp);
	}
	in[0].ent.port_lo = 0;
	in[0].ent.port_hi = 65535;
	sl_diag_init(&d);
	cr_assert_eq(sl_flatten(in, 20, &s, &d), 0);
	cr_assert_eq(s.n, 1);
	cr_expect_eq(s.items[0].val.n, 1);
	sl_cset_free(&s);
	sl_diag_free(&d);
}

/* Absurd inputs at one prefix stay linear and say "at least". */
Test(compile, overflow_huge_prefix)
{
	size_t n = 20000;
	struct sl_cin *in = calloc(n, sizeof(*in));
	struct sl_cset s;
	struct sl_diag d;

	cr_assert_not_null(in);
	for (size_t i = 0; i < n; i++) {
		struct spec sp = { "10.0.0.0/8", (uint16_t)i, (uint16_t)i, TCP,
				   A_ALLOW, 1, 0 };

		in[i] = cin(&sp);
	}
	sl_diag_init(&d);
	cr_assert_eq(sl_flatten(in, n, &s, &d), -EINVAL);
	cr_assert_eq(d.n, 1);
	cr_expect(strstr(d.msg[0], "10.0.0.0/8: at least ") == d.msg[0], "%s", d.msg[0]);
	sl_diag_free(&d);
	free(in);
}

Test(compile, bad_prefix_length)
{
	struct spec sp = { "10.0.0.0/8", 1, 1, TCP, A_ALLOW, 1, 0 };
	struct sl_cin in = cin(&sp);
	struct sl_cset s;
	struct sl_diag d;

	in.pfx.len = 129;
	sl_diag_init(&d);
	cr_assert_eq(sl_flatten(&in, 1, &s, &d), -EINVAL);
	cr_expect_eq(d.n, 1);
	sl_diag_free(&d);
}

/* An item whose value the fallback already has is left out. */
Test(compile, omits_redundant_children)
{
	static const struct spec in[] = {
		/* one rule, two nested destinations: the /24 adds nothing */
		{ "10.0.0.0/8", 0, 65535, ANY, A_DENY, 1, 0 },
		{ "10.1.2.0/24", 0, 65535, ANY, A_DENY, 1, 0 },
		/* same, and below it a /32 whose own entry differs */
		{ "20.0.0.0/8", 443, 443, TCP, A_ALLOW, 2, 0 },
		{ "20.1.0.0/16", 443, 443, TCP, A_ALLOW, 2, 0 },
		{ "20.1.2.3/32", 80, 80, TCP, A_ALLOW, 3, 0 },
		/* IPv4 /0 equal to ::/0's value: the lookup falls on ::/0 */
		{ "::/0", 22, 22, TCP, A_ALLOW, 4, 0 },
		{ "0.0.0.0/0", 22, 22, TCP, A_ALLOW, 4, 0 },
	};
	static const struct probe pr[] = {
		{ "10.1.2.3", 443, TCP, 0, A_DENY, 1 },
		{ "20.1.9.9", 443, TCP, 0, A_ALLOW, 2 },
		{ "20.1.2.3", 80, TCP, 0, A_ALLOW, 3 },
		{ "20.1.2.3", 443, TCP, 0, A_ALLOW, 2 },
		{ "20.1.2.4", 80, TCP, 0, 0, 0 },
		{ "99.1.2.3", 22, TCP, 0, A_ALLOW, 4 },
		{ "2001:db8::1", 22, TCP, 0, A_ALLOW, 4 },
		{ "99.1.2.3", 23, TCP, 0, 0, 0 },
	};
	struct sl_cset s;

	flatten_specs(in, ARRAY_SIZE(in), &s);
	cr_expect_null(item_at(&s, "10.1.2.0/24"));
	cr_expect_null(item_at(&s, "20.1.0.0/16"));
	cr_expect_null(item_at(&s, "0.0.0.0/0"));
	cr_expect_not_null(item_at(&s, "10.0.0.0/8"));
	cr_expect_not_null(item_at(&s, "20.1.2.3/32"));
	cr_expect_eq(s.n, 4);
	check_probes(&s, pr, ARRAY_SIZE(pr));
	sl_cset_free(&s);
}

/*
 * A child whose value equals its logical parent's but not the fallback's
 * must stay: 10.1.0.0/16 under an omitted... here an IPv4 value equal to an
 * IPv4 parent that sits under a different IPv6 value.
 */
Test(compile, omission_uses_kernel_fallback)
{
	static const struct spec in[] = {
		{ "::/0", 0, 65535, ANY, A_ALLOW, 1, 0 },
		{ "10.0.0.0/8", 80, 80, TCP, A_ALLOW, 2, 0 },
		{ "10.1.0.0/16", 80, 80, TCP, A_ALLOW, 2, 0 },
	};
	static const struct probe pr[] = {
		{ "10.1.2.3", 80, TCP, 0, A_ALLOW, 2 },
		{ "10.1.2.3", 443, TCP, 0, 0, 0 },
		{ "11.1.2.3", 80, TCP, 0, 0, 0 },
		{ "2001:db8::1", 443, TCP, 0, A_ALLOW, 1 },
	};
	struct sl_cset s;

	flatten_specs(in, ARRAY_SIZE(in), &s);
	/* ::/0, the barrier, 10/8; the /16 is 10/8's value again */
	cr_expect_eq(s.n, 3);
	cr_expect_null(item_at(&s, "10.1.0.0/16"));
	check_probes(&s, pr, ARRAY_SIZE(pr));
	sl_cset_free(&s);
}

Test(compile, lookup_longest_prefix)
{
	static const struct spec in[] = {
		{ "0.0.0.0/0", 1, 1, TCP, A_ALLOW, 1, 0 },
		{ "10.0.0.0/8", 2, 2, TCP, A_ALLOW, 2, 0 },
		{ "10.1.2.3/32", 3, 3, TCP, A_ALLOW, 3, 0 },
		{ "2001:db8::/32", 4, 4, TCP, A_ALLOW, 4, 0 },
		{ "2001:db8::1/128", 5, 5, TCP, A_ALLOW, 5, 0 },
	};
	static const struct { const char *addr, *item; } cases[] = {
		{ "10.1.2.3", "10.1.2.3/32" }, { "10.1.2.4", "10.0.0.0/8" },
		{ "11.0.0.0", "0.0.0.0/0" }, { "2001:db8::1", "2001:db8::1/128" },
		{ "2001:db8::2", "2001:db8::/32" }, { "2001:db9::", NULL },
		{ "::", NULL },
	};
	struct sl_cset s;

	flatten_specs(in, ARRAY_SIZE(in), &s);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct sl_citem *want = cases[i].item ? item_at(&s, cases[i].item) : NULL;
		uint8_t a[16];

		cr_assert_eq(sl_addr_parse(cases[i].addr, a), 0);
		if (cases[i].item)
			cr_assert_not_null(want, "%s", cases[i].item);
		cr_expect_eq(sl_cset_lookup(&s, a), want, "%s", cases[i].addr);
	}
	sl_cset_free(&s);
}

Test(compile, diff_add_change_delete)
{
	static const struct spec old_in[] = {
		{ "10.0.0.0/8", 443, 443, TCP, A_ALLOW, 1, 0 },		/* same */
		{ "10.1.0.0/16", 80, 80, TCP, A_ALLOW, 2, 0 },		/* changed */
		{ "192.168.0.0/16", 22, 22, TCP, A_ALLOW, 3, 0 },	/* deleted */
	};
	static const struct spec new_in[] = {
		{ "10.0.0.0/8", 443, 443, TCP, A_ALLOW, 1, 0 },
		{ "10.1.0.0/16", 8080, 8080, TCP, A_ALLOW, 2, 0 },
		{ "172.16.0.0/12", 22, 22, TCP, A_ALLOW, 4, 0 },	/* added */
	};
	struct sl_cset o, n, e = { NULL, 0 };
	struct sl_citem *upd;
	struct sl_prefix *del;
	size_t nu, nd;

	flatten_specs(old_in, ARRAY_SIZE(old_in), &o);
	flatten_specs(new_in, ARRAY_SIZE(new_in), &n);
	cr_assert_eq(sl_cset_diff(&o, &n, &upd, &nu, &del, &nd), 0);
	cr_assert_eq(nu, 2);
	cr_expect_eq(sl_prefix_cmp(&upd[0].pfx, &item_at(&n, "10.1.0.0/16")->pfx), 0);
	cr_expect_eq(upd[0].val.e[0].port_lo, 8080);
	cr_expect_eq(sl_prefix_cmp(&upd[1].pfx, &item_at(&n, "172.16.0.0/12")->pfx), 0);
	cr_assert_eq(nd, 1);
	cr_expect_eq(sl_prefix_cmp(&del[0], &item_at(&o, "192.168.0.0/16")->pfx), 0);
	free(upd);
	free(del);

	/* no change: nothing allocated */
	cr_assert_eq(sl_cset_diff(&n, &n, &upd, &nu, &del, &nd), 0);
	cr_expect_eq(nu, 0);
	cr_expect_eq(nd, 0);
	cr_expect_null(upd);
	cr_expect_null(del);

	/* from nothing / to nothing */
	cr_assert_eq(sl_cset_diff(&e, &n, &upd, &nu, &del, &nd), 0);
	cr_expect_eq(nu, n.n);
	cr_expect_eq(nd, 0);
	cr_expect_eq(memcmp(upd, n.items, nu * sizeof(*upd)), 0);
	free(upd);
	cr_assert_eq(sl_cset_diff(&o, &e, &upd, &nu, &del, &nd), 0);
	cr_expect_eq(nu, 0);
	cr_expect_eq(nd, o.n);
	free(del);
	sl_cset_free(&o);
	sl_cset_free(&n);
}

/* Rules as the policy parser would build them. */
static struct sl_dest dcidr(const char *p)
{
	struct sl_dest d = { .kind = SL_DEST_CIDR };

	d.pfx = pfx(p);
	return d;
}

Test(compile, compile_agent_expansion)
{
	static struct sl_ports p2[] = { { 443, 443 }, { 8000, 8100 } };
	static char gh[] = "api.github.com";
	struct sl_dest to0[3], to1[1], to2[1], to3[1], to4[1], to5[1];
	struct sl_rule r[6];
	struct sl_agent_policy a;
	struct sl_clock clk = { .boot_ns = 5000000000ull, .real_s = 1700000000 };
	struct sl_cin *in;
	size_t n;

	memset(r, 0, sizeof(r));
	memset(&a, 0, sizeof(a));
	to0[0] = dcidr("10.0.0.0/8");
	to0[1] = (struct sl_dest){ .kind = SL_DEST_NAME, .name = gh };
	to0[2] = dcidr("2001:db8::/32");
	r[0] = (struct sl_rule){ .action = A_ALLOW, .proto = TCP, .to = to0, .n_to = 3,
				 .ports = p2, .n_ports = 2, .loc = { "a.yaml", 3, 5 } };
	to1[0] = dcidr("1.2.3.4/32");
	r[1] = (struct sl_rule){ .action = A_DENY, .to = to1, .n_to = 1,
				 .loc = { "a.yaml", 9, 5 } };
	to2[0] = dcidr("1.2.3.5/32");
	r[2] = (struct sl_rule){ .action = A_ALLOW, .proto = UDP, .to = to2, .n_to = 1,
				 .ttl_ns = 60000000000ull };
	to3[0] = dcidr("1.2.3.6/32");
	r[3] = (struct sl_rule){ .action = A_ASK, .to = to3, .n_to = 1,
				 .not_after = 1600000000 };
	to4[0] = dcidr("1.2.3.7/32");
	r[4] = (struct sl_rule){ .action = A_ALLOW, .to = to4, .n_to = 1,
				 .not_after = 1700000100 };
	to5[0] = (struct sl_dest){ .kind = SL_DEST_NAME, .name = gh };
	r[5] = (struct sl_rule){ .action = A_ALLOW, .to = to5, .n_to = 1 };
	a.rules = r;
	a.n_rules = 6;

	cr_assert_eq(sl_compile_agent(&a, 100, &clk, &in, &n), 0);
	cr_assert_eq(n, 8);
	/* rule 0: two CIDRs x two port ranges, the name skipped */
	for (int i = 0; i < 4; i++) {
		cr_expect_eq(in[i].ent.rule_id, 100);
		cr_expect_eq(in[i].ent.action, A_ALLOW);
		cr_expect_eq(in[i].ent.proto, TCP);
		cr_expect_eq(in[i].ent.flags, SL_ENTRY_POLICY);
		cr_expect_eq(in[i].ent.expires_ns, 0);
		cr_expect_eq(in[i].ent.pad, 0);
		cr_expect_eq(in[i].loc, &r[0].loc);
	}
	cr_expect_eq(sl_prefix_cmp(&in[0].pfx, &to0[0].pfx), 0);
	cr_expect_eq(sl_prefix_cmp(&in[2].pfx, &to0[2].pfx), 0);
	cr_expect_eq(in[0].ent.port_lo, 443);
	cr_expect_eq(in[1].ent.port_lo, 8000);
	cr_expect_eq(in[1].ent.port_hi, 8100);
	cr_expect_eq(in[3].ent.port_hi, 8100);
	/* rule 1: no ports, every port, any proto */
	cr_expect_eq(in[4].ent.rule_id, 101);
	cr_expect_eq(in[4].ent.port_lo, 0);
	cr_expect_eq(in[4].ent.port_hi, 65535);
	cr_expect_eq(in[4].ent.proto, ANY);
	cr_expect_eq(in[4].ent.action, A_DENY);
	cr_expect_eq(in[4].loc, &r[1].loc);
	/* rule 2: ttl from boot time now */
	cr_expect_eq(in[5].ent.rule_id, 102);
	cr_expect_eq(in[5].ent.proto, UDP);
	cr_expect_eq(in[5].ent.expires_ns, 65000000000ull);
	/* rule 3: not_after already past: a time long gone, never matches */
	cr_expect_eq(in[6].ent.rule_id, 103);
	cr_expect_eq(in[6].ent.action, A_ASK);
	cr_expect_eq(in[6].ent.expires_ns, 1);
	/* rule 4: not_after 100 s from now */
	cr_expect_eq(in[7].ent.rule_id, 104);
	cr_expect_eq(in[7].ent.expires_ns, 105000000000ull);
	free(in);

	/* only names: no inputs */
	a.rules = &r[5];
	a.n_rules = 1;
	cr_assert_eq(sl_compile_agent(&a, 1, &clk, &in, &n), 0);
	cr_expect_eq(n, 0);
	cr_expect_null(in);
}

/* compile_agent then flatten then decide, end to end. */
Test(compile, compile_agent_decisions)
{
	struct sl_dest to0[1], to1[1];
	struct sl_ports p443 = { 443, 443 };
	struct sl_rule r[2];
	struct sl_agent_policy a = { 0 };
	struct sl_clock clk = { .boot_ns = 1000, .real_s = 1700000000 };
	struct sl_cin *in;
	struct sl_cset s;
	struct sl_diag d;
	size_t n;
	uint32_t rule;

	to0[0] = dcidr("10.0.0.0/8");
	to1[0] = dcidr("10.1.0.0/16");
	r[0] = (struct sl_rule){ .action = A_ALLOW, .proto = TCP, .to = to0, .n_to = 1,
				 .ports = &p443, .n_ports = 1 };
	r[1] = (struct sl_rule){ .action = A_DENY, .to = to1, .n_to = 1,
				 .not_after = 1600000000 };
	a.rules = r;
	a.n_rules = 2;
	cr_assert_eq(sl_compile_agent(&a, 10, &clk, &in, &n), 0);
	sl_diag_init(&d);
	cr_assert_eq(sl_flatten(in, n, &s, &d), 0);
	/* the deny's not_after is past: it never matches */
	cr_expect_eq(decide_at(&s, "10.1.2.3", 443, TCP, 2000, &rule), A_ALLOW);
	cr_expect_eq(rule, 10);
	cr_expect_eq(decide_at(&s, "10.1.2.3", 80, TCP, 2000, &rule), 0);
	sl_cset_free(&s);
	sl_diag_free(&d);
	free(in);
}

/*
 * Random sets against a reference that needs no flattening: every input
 * whose prefix contains the address, in the same family, most specific
 * first, input order within a prefix, scanned the way decide.h scans.
 */
#define RND_INPUTS 8

static const char *const rnd_pfx[] = {
	"0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32",
	"10.2.0.0/16", "::/0", "::/64", "2001:db8::/32", "2001:db8:1::/48",
	"::ffff:10.1.0.0/112", "::/80",
};
static const char *const rnd_addr[] = {
	"10.1.2.3", "10.1.2.4", "10.1.3.1", "10.2.0.1", "11.0.0.1",
	"2001:db8:1::1", "2001:db8:2::1", "2001:db9::1", "::1", "::1:0:0:1",
};
static const struct sl_ports rnd_ports[] = {
	{ 0, 65535 }, { 80, 80 }, { 443, 443 }, { 1, 1024 }, { 443, 8080 },
};
static const uint16_t probe_ports[] = { 22, 53, 80, 443, 8080, 9000 };
static const uint64_t rnd_exp[] = { 0, 0, 100, 200 };
static const uint64_t probe_now[] = { 0, 150, 250 };

static uint32_t rnd_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* in[] ordered most specific first, input order kept (insertion sort). */
static void by_len_desc(const struct sl_cin *in, size_t n, size_t *ord)
{
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		for (; j > 0 && in[ord[j - 1]].pfx.len < in[i].pfx.len; j--)
			ord[j] = ord[j - 1];
		ord[j] = i;
	}
}

static uint8_t reference(const struct sl_cin *in, const size_t *ord, size_t n,
			 const uint8_t a[16], uint16_t port, uint8_t proto,
			 uint64_t now, uint32_t *rule)
{
	struct sl_prefix host;
	struct sl_match m;
	uint16_t flags;
	bool v4 = sl_addr_is_v4(a);

	memcpy(host.addr, a, 16);
	host.len = 128;
	sl_match_init(&m);
	for (size_t k = 0; k < n; k++) {
		const struct sl_cin *c = &in[ord[k]];
		struct sl_rule_val v = { .n = 1 };

		if (!sl_prefix_contains(&c->pfx, &host) || sl_prefix_is_v4(&c->pfx) != v4)
			continue;
		v.e[0] = c->ent;
		sl_match_val(&v, port, proto, now, &m);
	}
	return sl_match_action(&m, rule, &flags);
}

static uint8_t decide_bytes(const struct sl_cset *s, const uint8_t a[16],
			    uint16_t port, uint8_t proto, uint64_t now,
			    uint32_t *rule)
{
	const struct sl_citem *it = sl_cset_lookup(s, a);
	struct sl_match m;
	uint16_t flags;

	sl_match_init(&m);
	if (it)
		sl_match_val(&it->val, port, proto, now, &m);
	return sl_match_action(&m, rule, &flags);
}

static void random_case(uint32_t *seed, size_t *checked)
{
	struct sl_cin in[RND_INPUTS];
	size_t ord[RND_INPUTS], n = 1 + rnd_next(seed) % RND_INPUTS;
	struct sl_cset s;
	struct sl_diag d;

	for (size_t i = 0; i < n; i++) {
		const struct sl_ports *p = &rnd_ports[rnd_next(seed) % ARRAY_SIZE(rnd_ports)];
		struct spec sp = { rnd_pfx[rnd_next(seed) % ARRAY_SIZE(rnd_pfx)],
				   p->lo, p->hi, (uint8_t[]){ ANY, TCP, UDP }[rnd_next(seed) % 3],
				   (uint8_t)(1 + rnd_next(seed) % 3), 1 + rnd_next(seed) % 5,
				   rnd_exp[rnd_next(seed) % ARRAY_SIZE(rnd_exp)] };

		in[i] = cin(&sp);
	}
	by_len_desc(in, n, ord);
	sl_diag_init(&d);
	cr_assert_eq(sl_flatten(in, n, &s, &d), 0);
	for (size_t i = 1; i < s.n; i++)
		cr_assert_lt(sl_prefix_cmp(&s.items[i - 1].pfx, &s.items[i].pfx), 0);
	for (size_t ai = 0; ai < ARRAY_SIZE(rnd_addr); ai++) {
		uint8_t a[16];

		sl_addr_parse(rnd_addr[ai], a);
		for (size_t pi = 0; pi < ARRAY_SIZE(probe_ports); pi++)
			for (int pr = 0; pr < 2; pr++)
				for (size_t ti = 0; ti < ARRAY_SIZE(probe_now); ti++) {
					uint8_t proto = pr ? UDP : TCP, act, want;
					uint64_t now = probe_now[ti];
					uint32_t rule, want_rule;

					want = reference(in, ord, n, a, probe_ports[pi], proto,
							 now, &want_rule);
					act = decide_bytes(&s, a, probe_ports[pi], proto, now, &rule);
					/* plain if: criterion asserts are slow in loops */
					if (act != want || rule != want_rule)
						cr_assert_fail("%s:%u proto %u now %llu: got %u/%u, want %u/%u",
							       rnd_addr[ai], probe_ports[pi], proto,
							       (unsigned long long)now, act, rule, want,
							       want_rule);
					(*checked)++;
				}
	}
	sl_cset_free(&s);
	sl_diag_free(&d);
}

Test(compile, random_sets_match_reference)
{
	uint32_t seed = 0x5eed1234;
	size_t checked = 0;

	for (int c = 0; c < 3000; c++)
		random_case(&seed, &checked);
	cr_log_info("%zu decisions checked", checked);
}

/* The longest item containing a, by looking at every item. */
static const struct sl_citem *lookup_linear(const struct sl_cset *s,
					    const uint8_t a[16])
{
	const struct sl_citem *best = NULL;
	struct sl_prefix host;

	memcpy(host.addr, a, 16);
	host.len = 128;
	for (size_t i = 0; i < s->n; i++)
		if (sl_prefix_contains(&s->items[i].pfx, &host) &&
		    (!best || s->items[i].pfx.len > best->pfx.len))
			best = &s->items[i];
	return best;
}

/* Random bits near a few bases, so prefixes nest, touch and miss. */
static void random_addr(uint32_t *seed, uint8_t a[16])
{
	static const char *const base[] = { "10.1.2.3", "2001:db8::1", "::" };

	sl_addr_parse(base[rnd_next(seed) % ARRAY_SIZE(base)], a);
	for (int flips = rnd_next(seed) % 4; flips > 0; flips--) {
		unsigned int bit = 64 + rnd_next(seed) % 64;

		a[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
	}
}

Test(compile, lookup_matches_linear_scan)
{
	uint32_t seed = 0xabcdef01;

	for (int c = 0; c < 300; c++) {
		struct sl_cin in[40];
		struct sl_cset s;
		struct sl_diag d;

		for (uint32_t i = 0; i < ARRAY_SIZE(in); i++) {
			struct spec sp = { "::/0", 1, 1, TCP, A_ALLOW, i + 1, 0 };
			struct sl_prefix *p = &in[i].pfx;

			in[i] = cin(&sp);
			random_addr(&seed, p->addr);
			p->len = (uint8_t)(64 + rnd_next(&seed) % 65);
		}
		sl_diag_init(&d);
		cr_assert_eq(sl_flatten(in, ARRAY_SIZE(in), &s, &d), 0);
		for (int k = 0; k < 200; k++) {
			const struct sl_citem *want, *got;
			uint8_t a[16];

			random_addr(&seed, a);
			want = lookup_linear(&s, a);
			got = sl_cset_lookup(&s, a);
			if (got != want)
				cr_assert_fail("case %d probe %d: item %td, want %td", c, k,
					       got ? got - s.items : -1,
					       want ? want - s.items : -1);
		}
		sl_cset_free(&s);
		sl_diag_free(&d);
	}
}

/*
 * Scale: a million /32s, 32 addresses apart, from 10.0.0.0 to 11.255.255.224,
 * in scrambled order, plus 10.0.0.0/8.  The first 2^19 sit in the /8.
 */
#define BIG_N		(1u << 20)
#define BIG_IN_8	(1u << 19)

static void big_addr(uint32_t i, uint8_t a[16])
{
	uint32_t v4 = (10u << 24) + i * 32;

	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = (uint8_t)(v4 >> 24);
	a[13] = (uint8_t)(v4 >> 16);
	a[14] = (uint8_t)(v4 >> 8);
	a[15] = (uint8_t)v4;
}

Test(compile, scale_one_million, .timeout = 60)
{
	struct sl_cin *in = calloc(BIG_N + 1, sizeof(*in));
	struct spec sp8 = { "10.0.0.0/8", 443, 443, TCP, A_ALLOW, 1, 0 };
	struct timespec t0, t1;
	struct sl_cset s;
	struct sl_diag d;
	size_t two = 0;
	uint8_t a[16];
	double secs;

	cr_assert_not_null(in);
	for (uint32_t k = 0; k < BIG_N; k++) {
		/* odd multiplier: a permutation of 0..BIG_N-1 */
		uint32_t i = (k * 2654435761u) & (BIG_N - 1);

		big_addr(i, in[k].pfx.addr);
		in[k].pfx.len = 128;
		in[k].ent.port_lo = in[k].ent.port_hi = 80;
		in[k].ent.proto = TCP;
		in[k].ent.action = A_ALLOW;
		in[k].ent.rule_id = 2 + i;
	}
	in[BIG_N] = cin(&sp8);
	sl_diag_init(&d);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(sl_flatten(in, BIG_N + 1, &s, &d), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_log_info("flattened %u inputs in %.3f s", BIG_N + 1, secs);
	/* generous: catches a quadratic sweep, not a slow machine */
	cr_expect_lt(secs, 30.0);

	cr_assert_eq(s.n, BIG_N + 1);
	for (size_t i = 0; i < s.n; i++)
		two += s.items[i].val.n == 2;
	cr_expect_eq(two, BIG_IN_8);

	big_addr(0, a);				/* 10.0.0.0: /32 + the /8 */
	cr_expect_eq(sl_cset_lookup(&s, a)->val.n, 2);
	cr_expect_eq(sl_cset_lookup(&s, a)->val.e[0].rule_id, 2);
	cr_expect_eq(sl_cset_lookup(&s, a)->val.e[1].rule_id, 1);
	big_addr(BIG_IN_8, a);			/* 11.0.0.0: its /32 only */
	cr_expect_eq(sl_cset_lookup(&s, a)->val.n, 1);
	cr_expect_eq(sl_cset_lookup(&s, a)->val.e[0].rule_id, 2 + BIG_IN_8);
	big_addr(BIG_N - 1, a);
	cr_expect_eq(sl_cset_lookup(&s, a)->pfx.len, 128);
	cr_expect_eq(sl_cset_lookup(&s, a)->val.e[0].rule_id, 2 + BIG_N - 1);
	a[15] += 1;				/* between two /32s, outside 10/8 */
	cr_expect_null(sl_cset_lookup(&s, a));
	cr_expect_eq(decide_at(&s, "10.0.0.1", 443, TCP, 0, &(uint32_t){ 0 }), A_ALLOW);
	cr_expect_eq(decide_at(&s, "10.0.0.32", 80, TCP, 0, &(uint32_t){ 0 }), A_ALLOW);
	cr_expect_eq(decide_at(&s, "10.0.0.33", 80, TCP, 0, &(uint32_t){ 0 }), 0);
	cr_expect_eq(decide_at(&s, "11.0.0.32", 443, TCP, 0, &(uint32_t){ 0 }), 0);
	sl_cset_free(&s);
	sl_diag_free(&d);
	free(in);
}
