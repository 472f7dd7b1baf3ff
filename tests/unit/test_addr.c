// SPDX-License-Identifier: GPL-2.0-only
/* Addresses, prefixes, ports and durations as operators write them. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "compat.h"
#include "addr.h"

static void mapped(uint8_t out[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	out[12] = a;
	out[13] = b;
	out[14] = c;
	out[15] = d;
}

Test(addr, prefix_round_trips)
{
	static const struct { const char *in, *out; unsigned int len; } cases[] = {
		{ "10.0.0.0/8", "10.0.0.0/8", 104 },
		{ "10.1.2.3", "10.1.2.3/32", 128 },
		{ "0.0.0.0/0", "0.0.0.0/0", 96 },
		{ "169.254.169.254/32", "169.254.169.254/32", 128 },
		{ "2001:db8::/32", "2001:db8::/32", 32 },
		{ "2001:DB8::1", "2001:db8::1/128", 128 },
		{ "::1", "::1/128", 128 },
		{ "::/0", "::/0", 0 },
		/* IPv4-mapped IPv6 is the IPv4 prefix, and prints as one. */
		{ "::ffff:10.0.0.0/104", "10.0.0.0/8", 104 },
		{ "::ffff:0:0/96", "0.0.0.0/0", 96 },
		{ "::ffff:1.2.3.4", "1.2.3.4/32", 128 },
		/* Shorter than /96 it is IPv6: it covers more than IPv4. */
		{ "::/95", "::/95", 95 },
	};
	char buf[SL_ADDRSTRLEN];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sl_prefix p, again;
		const char *why = NULL;

		cr_assert_eq(sl_prefix_parse(cases[i].in, &p, &why), 0, "%s: %s", cases[i].in, why);
		cr_expect_eq(p.len, cases[i].len, "%s", cases[i].in);
		sl_prefix_format(&p, buf, sizeof(buf));
		cr_expect_str_eq(buf, cases[i].out, "%s", cases[i].in);
		cr_assert_eq(sl_prefix_parse(buf, &again, NULL), 0, "%s", buf);
		cr_expect_eq(sl_prefix_cmp(&p, &again), 0, "%s", buf);
	}
}

Test(addr, v4_and_mapped_are_one)
{
	struct sl_prefix a, b, all;
	uint8_t want[16];

	cr_assert_eq(sl_prefix_parse("10.0.0.0/8", &a, NULL), 0);
	cr_assert_eq(sl_prefix_parse("::ffff:10.0.0.0/104", &b, NULL), 0);
	cr_expect_eq(sl_prefix_cmp(&a, &b), 0);
	mapped(want, 10, 0, 0, 0);
	cr_expect_arr_eq(a.addr, want, 16);
	cr_expect(sl_addr_is_v4(a.addr));
	cr_expect(sl_prefix_is_v4(&a));
	sl_prefix_v4_all(&all);
	cr_expect_eq(all.len, 96);
	cr_expect(sl_prefix_is_v4(&all));
	cr_expect(sl_prefix_contains(&all, &a));
	cr_assert_eq(sl_prefix_parse("::/0", &b, NULL), 0);
	cr_expect_not(sl_prefix_is_v4(&b));
	cr_assert_eq(sl_prefix_parse("::/95", &b, NULL), 0);
	cr_expect_not(sl_prefix_is_v4(&b));
}

Test(addr, prefix_errors)
{
	static const struct { const char *in, *why; } cases[] = {
		{ "10.0.0.0/33", "prefix length must be 0-32" },
		{ "10.0.0.0/", "prefix length must be 0-32" },
		{ "10.0.0.0/ 8", "prefix length must be 0-32" },
		{ "10.0.0.0/+8", "prefix length must be 0-32" },
		{ "10.0.0.0/8x", "prefix length must be 0-32" },
		{ "2001:db8::/129", "prefix length must be 0-128" },
		{ "2001:db8::/-0", "prefix length must be 0-128" },
		{ "10.1.2.3/8", "host bits are set below the prefix length" },
		{ "2001:db8::1/32", "host bits are set below the prefix length" },
		{ "::ffff:10.0.0.1/104", "host bits are set below the prefix length" },
		{ "300.1.1.1", "not an IPv4 or IPv6 address or prefix" },
		{ "1.2.3", "not an IPv4 or IPv6 address or prefix" },
		{ "", "not an IPv4 or IPv6 address or prefix" },
		{ "example.com", "not an IPv4 or IPv6 address or prefix" },
		{ "fe80::1%eth0", "not an IPv4 or IPv6 address or prefix" },
		{ "0123456789012345678901234567890123456789012345678901234567890123456789",
		  "not an IPv4 or IPv6 address or prefix" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sl_prefix p;
		const char *why = NULL;

		cr_expect_eq(sl_prefix_parse(cases[i].in, &p, &why), -EINVAL, "%s", cases[i].in);
		cr_expect_str_eq(why, cases[i].why, "%s", cases[i].in);
		cr_expect_eq(sl_prefix_parse(cases[i].in, &p, NULL), -EINVAL, "%s", cases[i].in);
	}
}

Test(addr, addr_parse_format)
{
	uint8_t a[16], want[16];
	char buf[SL_ADDRSTRLEN];

	cr_assert_eq(sl_addr_parse("192.0.2.7", a), 0);
	mapped(want, 192, 0, 2, 7);
	cr_expect_arr_eq(a, want, 16);
	sl_addr_format(a, buf, sizeof(buf));
	cr_expect_str_eq(buf, "192.0.2.7");
	cr_assert_eq(sl_addr_parse("2001:db8::7", a), 0);
	sl_addr_format(a, buf, sizeof(buf));
	cr_expect_str_eq(buf, "2001:db8::7");
	cr_expect_eq(sl_addr_parse("10.0.0.0/8", a), -EINVAL);
	cr_expect_eq(sl_addr_parse("", a), -EINVAL);
}

Test(addr, contains)
{
	static const struct { const char *a, *b; bool in; } cases[] = {
		{ "10.0.0.0/8", "10.1.0.0/16", true },
		{ "10.0.0.0/8", "10.0.0.0/8", true },
		{ "10.0.0.0/8", "10.255.255.255", true },
		{ "10.1.0.0/16", "10.0.0.0/8", false },
		{ "10.0.0.0/8", "11.0.0.0/8", false },
		{ "10.0.0.0/9", "10.128.0.0/9", false },
		{ "10.0.0.0/9", "10.127.0.0/16", true },
		{ "0.0.0.0/0", "192.0.2.1", true },
		{ "0.0.0.0/0", "2001:db8::1", false },
		{ "2001:db8::/32", "2001:db8:1::/48", true },
		{ "2001:db8::/32", "2001:db9::/48", false },
		/* Plain prefix arithmetic: ::/0 covers the mapped range too. */
		{ "::/0", "10.0.0.0/8", true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sl_prefix a, b;

		cr_assert_eq(sl_prefix_parse(cases[i].a, &a, NULL), 0);
		cr_assert_eq(sl_prefix_parse(cases[i].b, &b, NULL), 0);
		cr_expect_eq(sl_prefix_contains(&a, &b), cases[i].in, "%s in %s", cases[i].b, cases[i].a);
	}
}

Test(addr, cmp_puts_parents_first)
{
	struct sl_prefix p8, p16, other;

	cr_assert_eq(sl_prefix_parse("10.0.0.0/8", &p8, NULL), 0);
	cr_assert_eq(sl_prefix_parse("10.0.0.0/16", &p16, NULL), 0);
	cr_assert_eq(sl_prefix_parse("10.0.1.0/24", &other, NULL), 0);
	cr_expect_lt(sl_prefix_cmp(&p8, &p16), 0);
	cr_expect_gt(sl_prefix_cmp(&p16, &p8), 0);
	cr_expect_lt(sl_prefix_cmp(&p16, &other), 0);
	cr_expect_eq(sl_prefix_cmp(&p8, &p8), 0);
}

Test(addr, hostport)
{
	static const struct { const char *in; int rc; const char *addr; uint16_t port; } cases[] = {
		{ "1.2.3.4:80", 0, "1.2.3.4", 80 },
		{ "1.2.3.4:0", 0, "1.2.3.4", 0 },
		{ "1.2.3.4:65535", 0, "1.2.3.4", 65535 },
		{ "[2001:db8::1]:443", 0, "2001:db8::1", 443 },
		{ "[::ffff:1.2.3.4]:53", 0, "1.2.3.4", 53 },
		{ "1.2.3.4:65536", -EINVAL, NULL, 0 },
		{ "1.2.3.4:", -EINVAL, NULL, 0 },
		{ "1.2.3.4", -EINVAL, NULL, 0 },
		{ "1.2.3.4:+80", -EINVAL, NULL, 0 },
		{ "1.2.3.4: 80", -EINVAL, NULL, 0 },
		{ "1.2.3.4:-1", -EINVAL, NULL, 0 },
		{ "2001:db8::1:443", -EINVAL, NULL, 0 },
		{ "[2001:db8::1]443", -EINVAL, NULL, 0 },
		{ "[2001:db8::1:443", -EINVAL, NULL, 0 },
		{ "example.com:443", -EINVAL, NULL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t a[16];
		uint16_t port = 1;
		char buf[SL_ADDRSTRLEN];
		int rc = sl_hostport_parse(cases[i].in, a, &port);

		cr_expect_eq(rc, cases[i].rc, "%s", cases[i].in);
		if (rc || cases[i].rc)
			continue;
		sl_addr_format(a, buf, sizeof(buf));
		cr_expect_str_eq(buf, cases[i].addr, "%s", cases[i].in);
		cr_expect_eq(port, cases[i].port, "%s", cases[i].in);
	}
}

Test(addr, port_range)
{
	static const struct { const char *in; int rc; uint16_t lo, hi; } cases[] = {
		{ "443", 0, 443, 443 },
		{ "1", 0, 1, 1 },
		{ "65535", 0, 65535, 65535 },
		{ "8000-8100", 0, 8000, 8100 },
		{ "1-65535", 0, 1, 65535 },
		{ "53-53", 0, 53, 53 },
		{ "0", -EINVAL, 0, 0 },
		{ "65536", -EINVAL, 0, 0 },
		{ "8100-8000", -EINVAL, 0, 0 },
		{ "0-10", -EINVAL, 0, 0 },
		{ "-1", -EINVAL, 0, 0 },
		{ "1-", -EINVAL, 0, 0 },
		{ "1-2-3", -EINVAL, 0, 0 },
		{ "", -EINVAL, 0, 0 },
		{ "https", -EINVAL, 0, 0 },
		{ " 80", -EINVAL, 0, 0 },
		{ "000443", -EINVAL, 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint16_t lo = 0, hi = 0;
		int rc = sl_port_range_parse(cases[i].in, &lo, &hi);

		cr_expect_eq(rc, cases[i].rc, "%s", cases[i].in);
		if (rc || cases[i].rc)
			continue;
		cr_expect_eq(lo, cases[i].lo, "%s", cases[i].in);
		cr_expect_eq(hi, cases[i].hi, "%s", cases[i].in);
	}
}

#define S 1000000000ull

Test(addr, duration_parse)
{
	static const struct { const char *in; int rc; uint64_t ns; } cases[] = {
		{ "30s", 0, 30 * S },
		{ "10m", 0, 600 * S },
		{ "2h", 0, 7200 * S },
		{ "1d", 0, 86400 * S },
		{ "1h30m", 0, 5400 * S },
		{ "500ms", 0, 500000000ull },
		{ "1m500ms", 0, 60 * S + 500000000ull },
		{ "213503d", 0, 213503ull * 86400 * S },
		{ "", -EINVAL, 0 },
		{ "10", -EINVAL, 0 },
		{ "0s", -EINVAL, 0 },
		{ "10x", -EINVAL, 0 },
		{ "1.5h", -EINVAL, 0 },
		{ "s", -EINVAL, 0 },
		{ "1mm", -EINVAL, 0 },
		{ "-1s", -EINVAL, 0 },
		{ "213504d", -ERANGE, 0 },
		{ "18446744073709551616ms", -ERANGE, 0 },
		/* Wrapped to 3 before the digit check was tight. */
		{ "18446744073709551619ms", -ERANGE, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t ns = 0;
		int rc = sl_duration_parse(cases[i].in, &ns);

		cr_expect_eq(rc, cases[i].rc, "%s", cases[i].in);
		if (!rc && !cases[i].rc)
			cr_expect_eq(ns, cases[i].ns, "%s", cases[i].in);
	}
}

Test(addr, duration_format)
{
	static const struct { uint64_t ns; const char *out; } cases[] = {
		{ 90 * S, "1m30s" },
		{ 30 * S, "30s" },
		{ 3600 * S, "1h" },
		{ 86400 * S + S, "1d1s" },
		{ 90061 * S, "1d1h1m1s" },
		{ 500000000ull, "500ms" },
		{ 0, "0ms" },
	};
	char buf[32];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t back = 0;

		sl_duration_format(cases[i].ns, buf, sizeof(buf));
		cr_expect_str_eq(buf, cases[i].out, "%llu ns", (unsigned long long)cases[i].ns);
		if (!cases[i].ns)
			continue;
		cr_expect_eq(sl_duration_parse(buf, &back), 0, "%s", buf);
		cr_expect_eq(back, cases[i].ns, "%s", buf);
	}
}

Test(addr, proto)
{
	cr_expect_eq(sl_proto_parse("tcp"), SL_PROTO_TCP);
	cr_expect_eq(sl_proto_parse("udp"), SL_PROTO_UDP);
	cr_expect_eq(sl_proto_parse("any"), SL_PROTO_ANY);
	cr_expect_eq(sl_proto_parse("TCP"), -EINVAL);
	cr_expect_eq(sl_proto_parse("icmp"), -EINVAL);
	cr_expect_eq(sl_proto_parse(""), -EINVAL);
	cr_expect_str_eq(sl_proto_name(SL_PROTO_TCP), "tcp");
	cr_expect_str_eq(sl_proto_name(SL_PROTO_UDP), "udp");
	cr_expect_str_eq(sl_proto_name(SL_PROTO_ANY), "any");
	cr_expect_str_eq(sl_proto_name(1), "other");
}
