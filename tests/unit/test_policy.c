// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy parser: the model a file turns into, and the exact message (with
 * file:line:col) for each kind of mistake an operator can make.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "compat.h"
#include "policy.h"

static struct sl_policy pol;
static struct sl_diag d;

static void setup(void)
{
	sl_policy_init(&pol);
	sl_diag_init(&d);
}

static void teardown(void)
{
	sl_policy_free(&pol);
	sl_diag_free(&d);
}

static int parse(const char *yaml)
{
	return sl_policy_parse_buf(&pol, "policy.yaml", yaml, strlen(yaml), &d);
}

/* Every message in d, one per line, for failure output. */
static const char *all_msgs(void)
{
	static char buf[4096];
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d.n && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s\n", d.msg[i]);
	return buf;
}

static void expect_ok(int rc)
{
	cr_assert_eq(rc, 0, "rc %d, messages:\n%s", rc, all_msgs());
	cr_assert_eq(d.n, 0, "messages:\n%s", all_msgs());
}

static struct sl_prefix pfx(const char *s)
{
	struct sl_prefix p;

	cr_assert_eq(sl_prefix_parse(s, &p, NULL), 0, "prefix %s", s);
	return p;
}

static void expect_cidr(const struct sl_dest *dst, const char *want, int line, int col)
{
	struct sl_prefix p = pfx(want);

	cr_expect_eq(dst->kind, SL_DEST_CIDR, "%s", want);
	cr_expect_arr_eq(dst->pfx.addr, p.addr, 16, "%s", want);
	cr_expect_eq(dst->pfx.len, p.len, "%s", want);
	cr_expect_null(dst->name);
	cr_expect_eq(dst->loc.line, line, "%s line", want);
	cr_expect_eq(dst->loc.col, col, "%s col", want);
}

static void expect_loc(const struct sl_loc *loc, int line, int col)
{
	cr_expect_str_eq(loc->file, "policy.yaml");
	cr_expect_eq(loc->line, line);
	cr_expect_eq(loc->col, col);
}

TestSuite(policy, .init = setup, .fini = teardown);

static const char full_example[] =
	"agents:\n"							/*  1 */
	"  - name: coder\n"						/*  2 */
	"    spiffe_id: spiffe://example.org/agent/coder\n"		/*  3 */
	"    owner: alice\n"						/*  4 */
	"    description: \"Writes code\"\n"				/*  5 */
	"    mode: audit\n"						/*  6 */
	"    log: denied\n"						/*  7 */
	"    egress:\n"							/*  8 */
	"      - to: 203.0.113.0/24\n"					/*  9 */
	"        ports: [443, 8000-8100]\n"				/* 10 */
	"        protocol: tcp\n"					/* 11 */
	"        ttl: 10m\n"						/* 12 */
	"        id: github-api\n"					/* 13 */
	"      - to: \"2001:db8::/32\"\n"				/* 14 */
	"        not_after: 2026-12-31T23:59:59Z\n"			/* 15 */
	"    deny:\n"							/* 16 */
	"      - to: 169.254.169.254/32\n"				/* 17 */
	"    ask:\n"							/* 18 */
	"      - to: [198.51.100.0/24, API.Example.COM.]\n"		/* 19 */
	"        protocol: udp\n"					/* 20 */
	"        ports: 53\n";						/* 21 */

Test(policy, full_example)
{
	const struct sl_agent_policy *a;
	const struct sl_rule *r;

	expect_ok(parse(full_example));
	cr_assert_eq(pol.n_agents, 1);
	cr_assert_eq(pol.n_files, 1);
	cr_assert_str_eq(pol.files[0], "policy.yaml");
	a = &pol.agents[0];
	cr_expect_str_eq(a->name, "coder");
	cr_expect_str_eq(a->spiffe_id, "spiffe://example.org/agent/coder");
	cr_expect_str_eq(a->owner, "alice");
	cr_expect_str_eq(a->description, "Writes code");
	cr_expect_eq(a->mode, SL_MODE_AUDIT);
	cr_expect_eq(a->log_allowed, false);
	expect_loc(&a->loc, 2, 11);
	cr_assert_eq(a->n_rules, 4);

	r = &a->rules[0];
	cr_expect_eq(r->action, SL_ACT_ALLOW);
	cr_expect_eq(r->proto, SL_PROTO_TCP);
	cr_assert_eq(r->n_to, 1);
	expect_cidr(&r->to[0], "203.0.113.0/24", 9, 13);
	cr_assert_eq(r->n_ports, 2);
	cr_expect_eq(r->ports[0].lo, 443);
	cr_expect_eq(r->ports[0].hi, 443);
	cr_expect_eq(r->ports[1].lo, 8000);
	cr_expect_eq(r->ports[1].hi, 8100);
	cr_expect_eq(r->ttl_ns, 600ull * 1000000000ull);
	cr_expect_eq(r->not_after, 0);
	cr_expect_str_eq(r->id, "github-api");
	expect_loc(&r->loc, 9, 9);

	r = &a->rules[1];
	cr_expect_eq(r->action, SL_ACT_ALLOW);
	cr_expect_eq(r->proto, SL_PROTO_ANY);
	cr_assert_eq(r->n_to, 1);
	expect_cidr(&r->to[0], "2001:db8::/32", 14, 13);
	cr_expect_eq(r->n_ports, 0);
	cr_expect_null(r->ports);
	cr_expect_eq(r->ttl_ns, 0);
	cr_expect_eq(r->not_after, 1798761599);
	cr_expect_null(r->id);
	expect_loc(&r->loc, 14, 9);

	r = &a->rules[2];
	cr_expect_eq(r->action, SL_ACT_DENY);
	cr_assert_eq(r->n_to, 1);
	expect_cidr(&r->to[0], "169.254.169.254/32", 17, 13);
	expect_loc(&r->loc, 17, 9);

	r = &a->rules[3];
	cr_expect_eq(r->action, SL_ACT_ASK);
	cr_expect_eq(r->proto, SL_PROTO_UDP);
	cr_assert_eq(r->n_to, 2);
	expect_cidr(&r->to[0], "198.51.100.0/24", 19, 14);
	cr_expect_eq(r->to[1].kind, SL_DEST_NAME);
	cr_expect_str_eq(r->to[1].name, "api.example.com");
	expect_loc(&r->to[1].loc, 19, 31);
	cr_assert_eq(r->n_ports, 1);
	cr_expect_eq(r->ports[0].lo, 53);
	cr_expect_eq(r->ports[0].hi, 53);
}

Test(policy, defaults)
{
	const struct sl_agent_policy *a;
	const struct sl_rule *r;

	expect_ok(parse("agents:\n  - name: a\n    egress:\n      - to: 10.0.0.0/8\n"));
	cr_assert_eq(pol.n_agents, 1);
	a = &pol.agents[0];
	cr_expect_null(a->spiffe_id);
	cr_expect_null(a->owner);
	cr_expect_null(a->description);
	cr_expect_eq(a->mode, SL_MODE_ENFORCE);
	cr_expect_eq(a->log_allowed, true);
	cr_assert_eq(a->n_rules, 1);
	r = &a->rules[0];
	cr_expect_eq(r->proto, SL_PROTO_ANY);
	cr_expect_eq(r->n_ports, 0);
	cr_expect_eq(r->ttl_ns, 0);
	cr_expect_eq(r->not_after, 0);
	cr_expect_null(r->id);
}

Test(policy, explicit_enforce_and_log_all)
{
	expect_ok(parse("agents:\n  - name: a\n    mode: enforce\n    log: all\n"));
	cr_expect_eq(pol.agents[0].mode, SL_MODE_ENFORCE);
	cr_expect_eq(pol.agents[0].log_allowed, true);
}

Test(policy, agent_without_rules)
{
	expect_ok(parse("agents:\n  - name: idle\n    egress: []\n    deny:\n"));
	cr_assert_eq(pol.n_agents, 1);
	cr_expect_eq(pol.agents[0].n_rules, 0);
	cr_expect_null(pol.agents[0].rules);
}

Test(policy, names_lower_cased_trailing_dot_stripped)
{
	const struct sl_rule *r;

	expect_ok(parse("agents:\n  - name: a\n    egress:\n"
			"      - to: [API.GitHub.COM., \"*.PyPI.org\", localhost, x-1.example.]\n"));
	r = &pol.agents[0].rules[0];
	cr_assert_eq(r->n_to, 4);
	for (size_t i = 0; i < r->n_to; i++)
		cr_expect_eq(r->to[i].kind, SL_DEST_NAME);
	cr_expect_str_eq(r->to[0].name, "api.github.com");
	cr_expect_str_eq(r->to[1].name, "*.pypi.org");
	cr_expect_str_eq(r->to[2].name, "localhost");
	cr_expect_str_eq(r->to[3].name, "x-1.example");
}

Test(policy, mapped_v4_is_v4)
{
	const struct sl_rule *r;
	struct sl_prefix v4 = pfx("10.0.0.0/8");

	expect_ok(parse("agents:\n  - name: a\n    egress:\n"
			"      - to: [\"::ffff:10.0.0.0/104\", \"::/0\", 10.1.2.3]\n"));
	r = &pol.agents[0].rules[0];
	cr_assert_eq(r->n_to, 3);
	cr_expect_arr_eq(r->to[0].pfx.addr, v4.addr, 16);
	cr_expect_eq(r->to[0].pfx.len, 104);
	cr_expect_eq(r->to[1].pfx.len, 0);
	cr_expect_eq(r->to[2].pfx.len, 128);
}

Test(policy, port_forms)
{
	const struct sl_rule *r;
	static const struct sl_ports want[] = {
		{ 443, 443 }, { 80, 80 }, { 8000, 8100 }, { 1, 65535 }, { 65535, 65535 },
	};

	expect_ok(parse("agents:\n  - name: a\n    egress:\n      - to: 10.0.0.0/8\n"
			"        ports: [443, \"80\", \"8000-8100\", 1-65535, 65535]\n"));
	r = &pol.agents[0].rules[0];
	cr_assert_eq(r->n_ports, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		cr_expect_eq(r->ports[i].lo, want[i].lo, "item %zu", i);
		cr_expect_eq(r->ports[i].hi, want[i].hi, "item %zu", i);
	}
}

Test(policy, rules_keep_file_order_across_lists)
{
	static const uint8_t want[] = {
		SL_ACT_DENY, SL_ACT_DENY, SL_ACT_ALLOW, SL_ACT_ASK, SL_ACT_ALLOW,
	};
	const struct sl_agent_policy *a;

	expect_ok(parse("agents:\n  - name: a\n"
			"    deny: [{to: 10.0.0.1}, {to: 10.0.0.2}]\n"
			"    egress: [{to: 10.0.0.3}]\n"
			"    ask: [{to: 10.0.0.4}]\n"));
	cr_expect_eq(parse("agents:\n  - name: b\n    egress: [{to: 10.0.0.5}]\n"), 0);
	a = &pol.agents[0];
	cr_assert_eq(a->n_rules, 4);
	for (size_t i = 0; i < a->n_rules; i++) {
		cr_expect_eq(a->rules[i].action, want[i], "rule %zu", i);
		cr_expect_eq(a->rules[i].to[0].pfx.addr[15], i + 1, "rule %zu", i);
	}
	cr_expect_eq(pol.agents[1].rules[0].action, want[4]);
}

/* Strings inline: Criterion runs each case in a fresh process, where the
 * parent's pointers mean nothing. */
struct time_case {
	char text[40];
	int64_t unix_s;
};

static struct time_case time_cases[] = {
	{ "2026-12-31T23:59:59Z", 1798761599 },
	{ "2026-12-31t23:59:59z", 1798761599 },
	{ "2026-12-31T23:59:59.999999Z", 1798761599 },
	{ "2026-12-31T23:59:59+02:00", 1798754399 },
	{ "2026-12-31T23:59:59-05:30", 1798781399 },
	{ "2026-12-31T23:59:59-00:00", 1798761599 },
	{ "2024-02-29T12:00:00Z", 1709208000 },
	{ "2016-12-31T23:59:60Z", 1483228800 },	/* leap second */
	{ "1970-01-01T00:00:01Z", 1 },
};

ParameterizedTestParameters(policy, not_after_forms)
{
	return cr_make_param_array(struct time_case, time_cases, ARRAY_SIZE(time_cases));
}

ParameterizedTest(struct time_case *tc, policy, not_after_forms)
{
	char yaml[256];

	snprintf(yaml, sizeof(yaml), "agents:\n  - name: a\n    egress:\n"
		 "      - to: 10.0.0.0/8\n        not_after: \"%s\"\n", tc->text);
	expect_ok(parse(yaml));
	cr_expect_eq(pol.agents[0].rules[0].not_after, tc->unix_s, "%s", tc->text);
}

Test(policy, ttl_forms)
{
	expect_ok(parse("agents:\n  - name: a\n    egress:\n"
			"      - to: 10.0.0.0/8\n        ttl: 1h30m\n"
			"      - to: 10.0.0.0/8\n        ttl: 500ms\n"));
	cr_expect_eq(pol.agents[0].rules[0].ttl_ns, 5400ull * 1000000000ull);
	cr_expect_eq(pol.agents[0].rules[1].ttl_ns, 500000000ull);
}

Test(policy, multiple_documents)
{
	expect_ok(parse("agents:\n  - name: a\n---\nversion: 1\n---\n"
			"agents:\n  - name: b\n...\n---\n"));
	cr_assert_eq(pol.n_agents, 2);
	cr_expect_str_eq(pol.agents[0].name, "a");
	cr_expect_str_eq(pol.agents[1].name, "b");
	expect_loc(&pol.agents[1].loc, 7, 11);
	cr_expect_eq(pol.agents[0].loc.file, pol.files[0]);
	cr_expect_eq(pol.agents[1].loc.file, pol.files[0]);
}

Test(policy, duplicate_across_documents)
{
	cr_expect_eq(parse("agents:\n  - name: a\n---\nagents:\n  - name: a\n"), -EINVAL);
	cr_assert_eq(d.n, 1, "%s", all_msgs());
	cr_expect_str_eq(d.msg[0], "policy.yaml:5:11: duplicate agent \"a\" (first defined at policy.yaml:2:11)");
}

Test(policy, empty_inputs)
{
	static const char *const empty[] = {
		"", "\n", "# nothing\n", "---\n", "---\n...\n", "{}\n", "agents: []\n",
		"agents:\n", "agents: ~\n", "version: 1\n", "version: \"1\"\nagents: []\n",
		"---\n---\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(empty); i++) {
		cr_expect_eq(parse(empty[i]), 0, "case %zu: %s", i, all_msgs());
		cr_expect_eq(pol.n_files, i + 1);
	}
	cr_expect_eq(pol.n_agents, 0);
	cr_expect_eq(d.n, 0);
	cr_expect_eq(sl_policy_parse_buf(&pol, "null.yaml", NULL, 0, &d), 0);
}

Test(policy, unchanged_after_failed_parse)
{
	struct sl_agent_policy *agents;
	char **files;

	expect_ok(parse("agents:\n  - name: a\n    egress: [{to: 10.0.0.0/8}]\n"));
	agents = pol.agents;
	files = pol.files;
	cr_assert_eq(parse("agents:\n  - name: b\n    egress: [{to: 10.0.0.0/8}]\n"
			   "  - name: c\n    egress: [{to: 10.0.0.0/33}]\n"), -EINVAL);
	cr_expect_eq(pol.n_agents, 1);
	cr_expect_eq(pol.n_files, 1);
	cr_expect_eq(pol.agents, agents);
	cr_expect_eq(pol.files, files);
	cr_expect_str_eq(pol.agents[0].name, "a");
	cr_expect_null(sl_policy_find(&pol, "b"));
	cr_expect_not_null(sl_policy_find(&pol, "a"));
}

Test(policy, every_error_in_one_pass)
{
	static const char *const want[] = {
		"policy.yaml:4:13: bad CIDR \"10.0.0.0/33\": prefix length must be 0-32",
		"policy.yaml:5:17: port 0 out of range (1-65535)",
		"policy.yaml:5:20: port 70000 out of range (1-65535)",
		"policy.yaml:5:27: port range \"8100-8000\" is reversed (8100 > 8000)",
		"policy.yaml:6:9: unknown key \"port\" in rule (expected to, ports, protocol, ttl, not_after, id)",
		"policy.yaml:8:11: bad mode \"strict\" (expected enforce or audit)",
		"policy.yaml:9:12: duplicate agent \"a\" (first defined at policy.yaml:2:11)",
	};

	cr_assert_eq(parse("agents:\n  - name: a\n    egress:\n"
			   "      - to: 10.0.0.0/33\n"
			   "        ports: [0, 70000, 8100-8000]\n"
			   "        port: 1\n"
			   "  - name: b\n    mode: strict\n"
			   "  - {name: a}\n"), -EINVAL);
	cr_assert_eq(d.n, ARRAY_SIZE(want), "%s", all_msgs());
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		cr_expect_str_eq(d.msg[i], want[i]);
	cr_expect_eq(pol.n_agents, 0);
	cr_expect_eq(pol.n_files, 0);
}

Test(policy, locs_point_into_files)
{
	expect_ok(parse("agents:\n  - name: a\n    egress: [{to: [10.0.0.0/8, a.example]}]\n"));
	expect_ok(sl_policy_parse_buf(&pol, "two.yaml", "agents: [{name: b}]", 19, &d));
	cr_assert_eq(pol.n_files, 2);
	cr_expect_eq(pol.agents[0].loc.file, pol.files[0]);
	cr_expect_eq(pol.agents[0].rules[0].loc.file, pol.files[0]);
	cr_expect_eq(pol.agents[0].rules[0].to[1].loc.file, pol.files[0]);
	cr_expect_eq(pol.agents[1].loc.file, pol.files[1]);
	cr_expect_str_eq(pol.files[1], "two.yaml");
	expect_loc(&pol.agents[0].rules[0].to[1].loc, 3, 32);
}

Test(policy, check_duplicates_across_buffers)
{
	const char *a = "agents:\n  - name: coder\n";
	const char *b = "# second\nagents:\n  - name: coder\n";

	expect_ok(sl_policy_parse_buf(&pol, "a.yaml", a, strlen(a), &d));
	expect_ok(sl_policy_parse_buf(&pol, "b.yaml", b, strlen(b), &d));
	cr_expect_eq(sl_policy_check(&pol, &d), -EINVAL);
	cr_assert_eq(d.n, 1);
	cr_expect_str_eq(d.msg[0], "b.yaml:3:11: duplicate agent \"coder\" (first defined at a.yaml:2:11)");
}

/* "agents:\n" then n one-line agents "  - {name: aN}\n". */
static char *many_agents(size_t n)
{
	char *buf, *p;

	buf = malloc(16 + n * 24);
	cr_assert_not_null(buf);
	p = buf + sprintf(buf, "agents:\n");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "  - {name: a%zu}\n", i);
	return buf;
}

Test(policy, agent_limit)
{
	char *yaml = many_agents(4096);

	expect_ok(parse(yaml));
	cr_expect_eq(pol.n_agents, 4096);
	free(yaml);
	cr_expect_eq(parse("agents: [{name: one-too-many}]\n"), -EINVAL);
	cr_assert_eq(d.n, 1);
	cr_expect_str_eq(d.msg[0], "policy.yaml:1:10: too many agents (at most 4096)");
	cr_expect_eq(pol.n_agents, 4096);
}

Test(policy, agent_limit_in_one_file)
{
	char *yaml = many_agents(4100);

	cr_expect_eq(parse(yaml), -EINVAL);
	free(yaml);
	cr_assert_eq(d.n, 1, "%s", all_msgs());
	cr_expect_str_eq(d.msg[0], "policy.yaml:4098:5: too many agents (at most 4096)");
}

Test(policy, size_limit)
{
	size_t len = (16u << 20) + 1;
	char *buf = malloc(len);

	cr_assert_not_null(buf);
	memset(buf, '\n', len);
	cr_expect_eq(sl_policy_parse_buf(&pol, "big.yaml", buf, len, &d), -EINVAL);
	free(buf);
	cr_assert_eq(d.n, 1);
	cr_expect_str_eq(d.msg[0], "big.yaml: larger than 16 MiB");
}

Test(policy, deep_nesting_is_refused)
{
	size_t depth = 100000, o = 0;
	char *buf = malloc(2 * depth + 16);

	cr_assert_not_null(buf);
	o += (size_t)sprintf(buf, "agents: ");
	memset(buf + o, '[', depth);
	memset(buf + o + depth, ']', depth);
	cr_expect_eq(sl_policy_parse_buf(&pol, "deep.yaml", buf, o + 2 * depth, &d), -EINVAL);
	free(buf);
	cr_assert_eq(d.n, 1);
	cr_expect_str_eq(d.msg[0], "deep.yaml:1:10: an agent must be a mapping, not a list");
}

Test(policy, alias_bomb_is_refused)
{
	/*
	 * Ten rules naming one list of ten thousand addresses would cost
	 * a hundred thousand destinations from a file of a few lines.
	 */
	cr_expect_eq(parse("agents:\n  - name: a\n    egress:\n"
			   "      - to: &a [10.0.0.1, 10.0.0.2]\n"
			   "      - to: *a\n      - to: *a\n"), -EINVAL);
	cr_assert_eq(d.n, 2, "%s", all_msgs());
	cr_expect_str_eq(d.msg[0], "policy.yaml:4:13: YAML anchors and aliases are not supported");
	cr_expect_str_eq(d.msg[1], "policy.yaml:4:13: YAML anchors and aliases are not supported");
}

Test(policy, find_and_free)
{
	expect_ok(parse("agents: [{name: a}, {name: b}]\n"));
	cr_expect_eq(sl_policy_find(&pol, "b"), &pol.agents[1]);
	cr_expect_null(sl_policy_find(&pol, "c"));
	sl_policy_free(&pol);
	cr_expect_eq(pol.n_agents, 0);
	cr_expect_null(pol.agents);
	sl_policy_free(&pol);
	sl_policy_free(NULL);
}

Test(policy, name_valid)
{
	static const struct { const char *name; bool ok; } cases[] = {
		{ "coder", true }, { "a", true }, { "0", true }, { "a_b.c-d", true },
		{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk", true },
		{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl", false },
		{ "", false }, { "Coder", false }, { "_a", false }, { ".a", false },
		{ "-a", false }, { "a/b", false }, { "a b", false }, { "..", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		cr_expect_eq(sl_name_valid(cases[i].name), cases[i].ok, "%s", cases[i].name);
}

/* One file with one mistake, and the one message it must produce. */
struct err_case {
	char yaml[512];
	char msg[512];
};

#define AGENT(lines)	"agents:\n  - name: a\n" lines
/* The `to:` value starts at 4:13; further rule keys at 5:9. */
#define RULE(to, lines)	AGENT("    egress:\n      - to: " to "\n" lines)
#define L10	"aaaaaaaaaa"
#define L63	L10 L10 L10 L10 L10 L10 "aaa"
#define P	"policy.yaml:"

static struct err_case err_cases[] = {
	/* addresses */
	{ RULE("10.0.0.0/33", ""), P "4:13: bad CIDR \"10.0.0.0/33\": prefix length must be 0-32" },
	{ RULE("\"2001:db8::/129\"", ""), P "4:13: bad CIDR \"2001:db8::/129\": prefix length must be 0-128" },
	{ RULE("10.1.2.3/8", ""), P "4:13: bad CIDR \"10.1.2.3/8\": host bits are set below the prefix length (did you mean 10.0.0.0/8?)" },
	{ RULE("\"2001:db8::1/32\"", ""), P "4:13: bad CIDR \"2001:db8::1/32\": host bits are set below the prefix length (did you mean 2001:db8::/32?)" },
	{ RULE("300.1.1.1", ""), P "4:13: bad CIDR \"300.1.1.1\": not an IPv4 or IPv6 address or prefix" },
	{ RULE("10.0.0.0/", ""), P "4:13: bad CIDR \"10.0.0.0/\": prefix length must be 0-32" },
	{ RULE("\"fe80::1%eth0\"", ""), P "4:13: bad CIDR \"fe80::1%eth0\": not an IPv4 or IPv6 address or prefix" },
	/* ports */
	{ RULE("10.0.0.0/8", "        ports: 70000\n"), P "5:16: port 70000 out of range (1-65535)" },
	{ RULE("10.0.0.0/8", "        ports: 0\n"), P "5:16: port 0 out of range (1-65535)" },
	{ RULE("10.0.0.0/8", "        ports: [443, 1-70000]\n"), P "5:22: port 70000 out of range (1-65535)" },
	{ RULE("10.0.0.0/8", "        ports: 8100-8000\n"), P "5:16: port range \"8100-8000\" is reversed (8100 > 8000)" },
	{ RULE("10.0.0.0/8", "        ports: https\n"), P "5:16: bad port \"https\" (expected a port 1-65535 or a range \"lo-hi\")" },
	{ RULE("10.0.0.0/8", "        ports: -1\n"), P "5:16: bad port \"-1\" (expected a port 1-65535 or a range \"lo-hi\")" },
	{ RULE("10.0.0.0/8", "        ports: 99999999999\n"), P "5:16: bad port \"99999999999\" (expected a port 1-65535 or a range \"lo-hi\")" },
	{ RULE("10.0.0.0/8", "        ports: []\n"), P "5:16: \"ports\" must not be empty (leave it out for every port)" },
	{ RULE("10.0.0.0/8", "        ports: {a: 1}\n"), P "5:16: \"ports\" must be a port or a range \"lo-hi\", not a mapping" },
	/* keys */
	{ RULE("10.0.0.0/8", "        port: 443\n"), P "5:9: unknown key \"port\" in rule (expected to, ports, protocol, ttl, not_after, id)" },
	{ AGENT("    egres: []\n"), P "3:5: unknown key \"egres\" in agent (expected name, spiffe_id, owner, description, mode, log, egress, deny, ask, dns)" },
	{ "agent: []\n", P "1:1: unknown key \"agent\" in policy (expected version, agents)" },
	{ AGENT("    name: b\n"), P "3:5: duplicate key \"name\" in agent" },
	{ AGENT("    [x]: 1\n"), P "3:5: a key must be a string, not a list" },
	{ "agents:\n  - mode: audit\n", P "2:5: agent has no \"name\"" },
	{ AGENT("    egress:\n      - ports: 443\n"), P "4:9: rule has no \"to\"" },
	/* types */
	{ "agents:\n  - name: {a: b}\n", P "2:11: \"name\" must be a string, not a mapping" },
	{ "agents:\n  - name:\n", P "2:10: \"name\" must be a string, not empty" },
	{ RULE("{a: 1}", ""), P "4:13: \"to\" must be an address, a prefix or a DNS name, not a mapping" },
	{ RULE("[[10.0.0.0/8]]", ""), P "4:14: an item of \"to\" must be an address, a prefix or a DNS name, not a list" },
	{ RULE("[]", ""), P "4:13: \"to\" must not be empty" },
	{ AGENT("    egress: 10.0.0.0/8\n"), P "3:13: \"egress\" must be a list of rules, not a string" },
	{ AGENT("    deny:\n      - 10.0.0.0/8\n"), P "4:9: a rule must be a mapping, not a string" },
	{ "agents: 5\n", P "1:9: \"agents\" must be a list of agents, not a string" },
	{ "agents:\n  - coder\n", P "2:5: an agent must be a mapping, not a string" },
	{ "- agents\n", P "1:1: a policy must be a mapping with \"agents:\", not a list" },
	{ AGENT("    owner: [a]\n"), P "3:12: \"owner\" must be a string, not a list" },
	{ "version: 2\n", P "1:10: unsupported version \"2\" (only 1 is known)" },
	/* names */
	{ "agents:\n  - name: Coder\n", P "2:11: bad agent name \"Coder\": use 1-63 of a-z, 0-9, \"_\", \".\" and \"-\", starting with a letter or digit" },
	{ "agents:\n  - name: " L63 "b\n", P "2:11: bad agent name \"" L63 "b\": use 1-63 of a-z, 0-9, \"_\", \".\" and \"-\", starting with a letter or digit" },
	{ "agents:\n  - name: \"a\\0b\"\n", P "2:11: \"name\" contains a NUL character" },
	{ "agents:\n  - name: \"\\e[31m\"\n", P "2:11: bad agent name \"\\x1b[31m\": use 1-63 of a-z, 0-9, \"_\", \".\" and \"-\", starting with a letter or digit" },
	/* spiffe_id */
	{ AGENT("    spiffe_id: https://example.org/a\n"), P "3:16: bad spiffe_id \"https://example.org/a\": must start with \"spiffe://\"" },
	{ AGENT("    spiffe_id: spiffe:///agent\n"), P "3:16: bad spiffe_id \"spiffe:///agent\": no trust domain after \"spiffe://\"" },
	{ AGENT("    spiffe_id: spiffe://Example.org\n"), P "3:16: bad spiffe_id \"spiffe://Example.org\": the trust domain allows only a-z, 0-9, \".\", \"-\" and \"_\"" },
	{ AGENT("    spiffe_id: spiffe://example.org/a//b\n"), P "3:16: bad spiffe_id \"spiffe://example.org/a//b\": empty path segment or trailing \"/\"" },
	{ AGENT("    spiffe_id: spiffe://example.org/a/\n"), P "3:16: bad spiffe_id \"spiffe://example.org/a/\": empty path segment or trailing \"/\"" },
	{ AGENT("    spiffe_id: spiffe://example.org/../b\n"), P "3:16: bad spiffe_id \"spiffe://example.org/../b\": \".\" and \"..\" are not allowed in the path" },
	{ AGENT("    spiffe_id: spiffe://example.org/a?b\n"), P "3:16: bad spiffe_id \"spiffe://example.org/a?b\": the path allows only letters, digits, \".\", \"-\", \"_\" and \"/\"" },
	/* enumerations */
	{ RULE("10.0.0.0/8", "        protocol: icmp\n"), P "5:19: bad protocol \"icmp\" (expected tcp, udp or any)" },
	{ RULE("10.0.0.0/8", "        protocol: TCP\n"), P "5:19: bad protocol \"TCP\" (expected tcp, udp or any)" },
	{ AGENT("    mode: block\n"), P "3:11: bad mode \"block\" (expected enforce or audit)" },
	{ AGENT("    log: none\n"), P "3:10: bad log \"none\" (expected all or denied)" },
	/* ttl, not_after, id */
	{ RULE("10.0.0.0/8", "        ttl: 10m\n        not_after: 2026-12-31T23:59:59Z\n"), P "4:9: rule has both \"ttl\" and \"not_after\"; use one" },
	{ RULE("10.0.0.0/8", "        ttl: 10x\n"), P "5:14: bad ttl \"10x\" (expected a duration above 0 such as 30s, 10m, 2h, 1d or 1h30m)" },
	{ RULE("10.0.0.0/8", "        ttl: 0s\n"), P "5:14: bad ttl \"0s\" (expected a duration above 0 such as 30s, 10m, 2h, 1d or 1h30m)" },
	{ RULE("10.0.0.0/8", "        ttl: 99999999999999999999s\n"), P "5:14: ttl \"99999999999999999999s\" is too long" },
#define BAD_TIME(t) { RULE("10.0.0.0/8", "        not_after: " t "\n"), \
	P "5:20: bad not_after \"" t "\" (expected an RFC 3339 time such as 2026-12-31T23:59:59Z or 2026-12-31T23:59:59+02:00)" }
	BAD_TIME("2026-12-31"),
	BAD_TIME("2026-12-31T23:59:59"),
	BAD_TIME("2026-12-31 23:59:59Z"),
	BAD_TIME("2026-02-30T00:00:00Z"),
	BAD_TIME("2025-02-29T00:00:00Z"),
	BAD_TIME("2026-13-01T00:00:00Z"),
	BAD_TIME("2026-12-31T24:00:00Z"),
	BAD_TIME("2026-12-31T23:60:00Z"),
	BAD_TIME("2026-12-31T23:59:59+0200"),
	BAD_TIME("2026-12-31T23:59:59+24:00"),
	BAD_TIME("2026-12-31T23:59:59.Z"),
	BAD_TIME("2026-12-31T23:59:59ZZ"),
	BAD_TIME("26-12-31T23:59:59Z"),
	{ RULE("10.0.0.0/8", "        not_after: 1970-01-01T00:00:00Z\n"), P "5:20: not_after \"1970-01-01T00:00:00Z\" is not after 1970-01-01T00:00:00Z" },
	{ RULE("10.0.0.0/8", "        id: has space\n"), P "5:13: bad id \"has space\": use 1-63 of A-Z, a-z, 0-9, \"_\", \".\", \":\" and \"-\"" },
	/* DNS names and wildcards */
	{ RULE("\"*.com\"", ""), P "4:13: bad DNS name \"*.com\": a wildcard needs at least two labels after \"*.\"" },
	{ RULE("\"*\"", ""), P "4:13: bad DNS name \"*\": a wildcard needs at least two labels after \"*.\"" },
	{ RULE("a.*.com", ""), P "4:13: bad DNS name \"a.*.com\": \"*\" is only allowed as the whole first label, as in \"*.example.com\"" },
	{ RULE("\"*.*.example.com\"", ""), P "4:13: bad DNS name \"*.*.example.com\": \"*\" is only allowed as the whole first label, as in \"*.example.com\"" },
	{ RULE("\"*api.example.com\"", ""), P "4:13: bad DNS name \"*api.example.com\": \"*\" is only allowed as the whole first label, as in \"*.example.com\"" },
	{ RULE("-a.example.com", ""), P "4:13: bad DNS name \"-a.example.com\": a label starts or ends with \"-\"" },
	{ RULE("a-.example.com", ""), P "4:13: bad DNS name \"a-.example.com\": a label starts or ends with \"-\"" },
	{ RULE("a..example.com", ""), P "4:13: bad DNS name \"a..example.com\": empty label" },
	{ RULE("example.com..", ""), P "4:13: bad DNS name \"example.com..\": empty label" },
	{ RULE("exa_mple.com", ""), P "4:13: bad DNS name \"exa_mple.com\": only letters, digits, \"-\" and \".\" are allowed" },
	{ RULE("example.com/24", ""), P "4:13: bad DNS name \"example.com/24\": only letters, digits, \"-\" and \".\" are allowed" },
	{ RULE("\"\"", ""), P "4:13: bad DNS name \"\": empty" },
	{ RULE(L63 "a.com", ""), P "4:13: bad DNS name \"" L63 "a.com\": label longer than 63 characters" },
	{ RULE(L63 "." L63 "." L63 "." L63, ""), P "4:13: bad DNS name \"" L63 "." L10 "aaaaaa...\": longer than 253 characters" },
	/* YAML itself */
	{ "agents: [\n", P "2:1: syntax error: did not find expected node content (while parsing a flow node)" },
	{ AGENT("   bad: x\n"), P "3:4: syntax error: did not find expected '-' indicator (while parsing a block collection at line 2 column 3)" },
	{ "agents:\n\t- name: a\n", P "2:1: syntax error: found character that cannot start any token (while scanning for the next token)" },
	{ "agents: *nowhere\n", P "1:9: syntax error: found undefined alias" },
	{ "a: \xff\n", P "1:4: syntax error: invalid leading UTF-8 octet" },
	{ "agents:\n  - &x {name: a}\n  - *x\n", P "2:5: YAML anchors and aliases are not supported" },
	/* agents */
	{ "agents:\n  - name: coder\n  - name: coder\n", P "3:11: duplicate agent \"coder\" (first defined at policy.yaml:2:11)" },
};

ParameterizedTestParameters(policy, errors)
{
	return cr_make_param_array(struct err_case, err_cases, ARRAY_SIZE(err_cases));
}

ParameterizedTest(struct err_case *ec, policy, errors)
{
	cr_expect_eq(parse(ec->yaml), -EINVAL, "for:\n%s", ec->yaml);
	cr_assert_eq(d.n, 1, "for:\n%s\ngot:\n%s", ec->yaml, all_msgs());
	cr_expect_str_eq(d.msg[0], ec->msg, "for:\n%s", ec->yaml);
	cr_expect_eq(pol.n_agents, 0);
	cr_expect_eq(pol.n_files, 0);
}

/* The directory loader, on a throwaway directory. */
static char dir[64];

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void dir_setup(void)
{
	setup();
	strcpy(dir, "/tmp/sluice-policy-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void dir_teardown(void)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	teardown();
}

static const char *in_dir(const char *name)
{
	static char path[4][256];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

TestSuite(policy_load, .init = dir_setup, .fini = dir_teardown);

Test(policy_load, reads_yaml_and_yml_in_byte_order)
{
	char sub[256];

	write_file("b.yaml", "agents: [{name: b}]\n");
	write_file("a.yml", "agents: [{name: a}]\n");
	write_file("Z.yaml", "agents: [{name: z}]\n");
	write_file("c.yaml", "agents:\n  - name: c\n");
	write_file("notes.txt", "not: [yaml\n");
	write_file("README", "agents: [{name: readme}]\n");
	write_file(".hidden.yaml", "agents: [{name: hidden}]\n");
	write_file("b.yaml.orig", "agents: [{name: orig}]\n");
	snprintf(sub, sizeof(sub), "%s/sub.yaml", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);

	expect_ok(sl_policy_load(&pol, dir, &d));
	cr_assert_eq(pol.n_agents, 4);
	cr_expect_str_eq(pol.agents[0].name, "z");
	cr_expect_str_eq(pol.agents[1].name, "a");
	cr_expect_str_eq(pol.agents[2].name, "b");
	cr_expect_str_eq(pol.agents[3].name, "c");
	cr_assert_eq(pol.n_files, 4);
	cr_expect_str_eq(pol.files[0], in_dir("Z.yaml"));
	cr_expect_str_eq(pol.files[1], in_dir("a.yml"));
	cr_expect_str_eq(pol.files[2], in_dir("b.yaml"));
	cr_expect_str_eq(pol.files[3], in_dir("c.yaml"));
	cr_expect_eq(pol.agents[3].loc.file, pol.files[3]);
	cr_expect_eq(pol.agents[3].loc.line, 2);
}

Test(policy_load, duplicate_across_files)
{
	char want[512];

	write_file("a.yaml", "agents:\n  - name: coder\n");
	write_file("b.yaml", "# the same agent again\nagents:\n  - name: coder\n");
	cr_expect_eq(sl_policy_load(&pol, dir, &d), -EINVAL);
	cr_assert_eq(d.n, 1, "%s", all_msgs());
	snprintf(want, sizeof(want), "%s:3:11: duplicate agent \"coder\" (first defined at %s:2:11)",
		 in_dir("b.yaml"), in_dir("a.yaml"));
	cr_expect_str_eq(d.msg[0], want);
	cr_expect_eq(pol.n_agents, 0);
	cr_expect_eq(pol.n_files, 0);
}

Test(policy_load, failure_leaves_policy_as_it_was)
{
	char want[512];

	expect_ok(parse("agents: [{name: before}]\n"));
	write_file("a.yaml", "agents: [{name: a}]\n");
	write_file("b.yaml", "agents:\n  - name: b\n    mode: loud\n");
	write_file("c.yaml", "agents: [{name: before}]\n");
	cr_expect_eq(sl_policy_load(&pol, dir, &d), -EINVAL);
	cr_assert_eq(d.n, 2, "%s", all_msgs());
	snprintf(want, sizeof(want), "%s:3:11: bad mode \"loud\" (expected enforce or audit)",
		 in_dir("b.yaml"));
	cr_expect_str_eq(d.msg[0], want);
	snprintf(want, sizeof(want), "%s:1:17: duplicate agent \"before\" (first defined at policy.yaml:1:17)",
		 in_dir("c.yaml"));
	cr_expect_str_eq(d.msg[1], want);
	cr_assert_eq(pol.n_agents, 1);
	cr_expect_eq(pol.n_files, 1);
	cr_expect_str_eq(pol.agents[0].name, "before");
}

Test(policy_load, appends_to_what_is_there)
{
	expect_ok(parse("agents: [{name: before}]\n"));
	write_file("a.yaml", "agents: [{name: a}]\n");
	expect_ok(sl_policy_load(&pol, in_dir("a.yaml"), &d));
	cr_assert_eq(pol.n_agents, 2);
	cr_expect_str_eq(pol.agents[1].name, "a");
	cr_expect_str_eq(pol.files[1], in_dir("a.yaml"));
	cr_expect_eq(pol.agents[1].loc.file, pol.files[1]);
}

Test(policy_load, empty_dir)
{
	expect_ok(sl_policy_load(&pol, dir, &d));
	cr_expect_eq(pol.n_agents, 0);
	cr_expect_eq(pol.n_files, 0);
}

Test(policy_load, trailing_slash)
{
	char path[256];

	write_file("a.yaml", "agents: [{name: a}]\n");
	snprintf(path, sizeof(path), "%s/", dir);
	expect_ok(sl_policy_load(&pol, path, &d));
	cr_expect_str_eq(pol.files[0], in_dir("a.yaml"));
}

Test(policy_load, missing_path)
{
	char want[512];

	cr_expect_eq(sl_policy_load(&pol, in_dir("nope.yaml"), &d), -ENOENT);
	cr_assert_eq(d.n, 1);
	snprintf(want, sizeof(want), "%s: No such file or directory", in_dir("nope.yaml"));
	cr_expect_str_eq(d.msg[0], want);
}

Test(policy_load, dangling_symlink_in_dir)
{
	char want[512];

	write_file("a.yaml", "agents: [{name: a}]\n");
	cr_assert_eq(symlink("/nonexistent/sluice", in_dir("b.yaml")), 0);
	cr_expect_eq(sl_policy_load(&pol, dir, &d), -ENOENT);
	cr_assert_eq(d.n, 1);
	snprintf(want, sizeof(want), "%s: No such file or directory", in_dir("b.yaml"));
	cr_expect_str_eq(d.msg[0], want);
	cr_expect_eq(pol.n_agents, 0);
}

Test(policy_load, file_too_big)
{
	char want[512];
	FILE *f;

	f = fopen(in_dir("big.yaml"), "w");
	cr_assert_not_null(f);
	cr_assert_eq(ftruncate(fileno(f), (16 << 20) + 1), 0);
	fclose(f);
	cr_expect_eq(sl_policy_load(&pol, dir, &d), -EFBIG);
	cr_assert_eq(d.n, 1);
	snprintf(want, sizeof(want), "%s: larger than 16 MiB", in_dir("big.yaml"));
	cr_expect_str_eq(d.msg[0], want);
}

Test(policy_load, file_at_size_limit)
{
	FILE *f;

	f = fopen(in_dir("big.yaml"), "w");
	cr_assert_not_null(f);
	fputs("agents: [{name: a}]\n", f);
	cr_assert_eq(ftruncate(fileno(f), 16 << 20), 0);
	fclose(f);
	/* The tail is NUL bytes, which YAML refuses: the read itself worked. */
	cr_expect_eq(sl_policy_load(&pol, dir, &d), -EINVAL);
	cr_assert_eq(d.n, 1);
	cr_expect(strstr(d.msg[0], "syntax error") != NULL, "%s", d.msg[0]);
}
