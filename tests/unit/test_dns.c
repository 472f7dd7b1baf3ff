// SPDX-License-Identifier: GPL-2.0-only
/*
 * DNS wire format: hand-built packets, every malformed class, the replies the
 * proxy builds (parsed back), and policy name matching.
 *
 * Packets are string literals: label lengths as 3-digit octal ("\003www")
 * so a following digit or letter never joins the escape, other bytes in hex
 * in their own literal.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compat.h"
#include "addr.h"
#include "dns.h"

struct bytes {
	const uint8_t *b;
	size_t len;
};

#define PKT(s) { (const uint8_t *)(s), sizeof(s) - 1 }

/* The agent asks www.example.com A with id 0x1234, RD; upstream id 0xbeef. */
#define QHDR	"\x12\x34" "\x01\x00" "\x00\x01" "\x00\x00" "\x00\x00" "\x00\x00"
#define QHDR_AR	"\x12\x34" "\x01\x00" "\x00\x01" "\x00\x00" "\x00\x00" "\x00\x01"
#define WWW	"\003www\007example\003com\000"		/* offset 12, 17 bytes */
#define IN_A	"\x00\x01" "\x00\x01"
#define IN_AAAA	"\x00\x1c" "\x00\x01"
#define IN_CNAME "\x00\x05" "\x00\x01"
#define TTL300	"\x00\x00\x01\x2c"
#define TTL60	"\x00\x00\x00\x3c"
#define TTL30	"\x00\x00\x00\x1e"
#define RD4	"\x00\x04"
#define AT_WWW	"\xc0\x0c"				/* pointer to offset 12 */
/* OPT: root owner, UDP 4096, version 0, DO set, no options. */
#define OPT_DO	"\x00" "\x00\x29" "\x10\x00" "\x00\x00\x80\x00" "\x00\x00"
#define OPT_V1	"\x00" "\x00\x29" "\x04\xd0" "\x00\x01\x00\x00" "\x00\x00"

/* Response header: id 0xbeef, QR RD RA, rcode in the low nibble. */
#define RHDR(rc, an, ns, ar) "\xbe\xef" "\x81" rc "\x00\x01" "\x00" an "\x00" ns "\x00" ar

static const uint8_t A_Q[] = QHDR WWW IN_A;

static void agent_query(struct sl_dns_query *q, const uint8_t *msg, size_t len)
{
	const char *why = NULL;

	cr_assert_eq(sl_dns_parse_query(msg, len, q, &why), 0, "%s", why);
}

static void www_a(struct sl_dns_query *q)
{
	agent_query(q, A_Q, sizeof(A_Q) - 1);
}

/* A growing packet for the cases too long to write out. */
struct buf {
	uint8_t b[4096];
	size_t len;
};

static void put(struct buf *p, const void *s, size_t n)
{
	cr_assert_leq(p->len + n, sizeof(p->b));
	memcpy(p->b + p->len, s, n);
	p->len += n;
}

#define PUT(p, s) put(p, s, sizeof(s) - 1)

static void put_label(struct buf *p, char c, size_t n)
{
	uint8_t l = (uint8_t)n;

	put(p, &l, 1);
	for (size_t i = 0; i < n; i++)
		put(p, &c, 1);
}

static void put16(struct buf *p, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(p, b, 2);
}

Test(dns, queries)
{
	static const struct {
		const char *what;
		struct bytes pkt;
		const char *name;
		uint16_t qtype;
		bool edns, edns_do;
		uint16_t udp_size;
	} cases[] = {
		{ "plain A", PKT(QHDR WWW IN_A), "www.example.com", 1, false, false, 512 },
		{ "mixed case AAAA",
		  PKT(QHDR "\003WwW\007ExAmple\003COM\000" IN_AAAA),
		  "www.example.com", 28, false, false, 512 },
		{ "EDNS with DO", PKT(QHDR_AR WWW IN_A OPT_DO),
		  "www.example.com", 1, true, true, 4096 },
		{ "EDNS size below 512 reads as 512",
		  PKT(QHDR_AR WWW IN_A "\x00" "\x00\x29" "\x00\x64" "\x00\x00\x00\x00" "\x00\x00"),
		  "www.example.com", 1, true, false, 512 },
		{ "root NS", PKT(QHDR "\000" "\x00\x02\x00\x01"), "", 2, false, false, 512 },
		{ "underscore TXT", PKT(QHDR "\006_dmarc\007example\003com\000" "\x00\x10\x00\x01"),
		  "_dmarc.example.com", 16, false, false, 512 },
		{ "ANY is served", PKT(QHDR WWW "\x00\xff\x00\x01"), "www.example.com", 255,
		  false, false, 512 },
		/* An unknown extra record is walked and not forwarded. */
		{ "extra additional record",
		  PKT("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x02" WWW IN_A OPT_DO
		      AT_WWW "\x00\x10\x00\x01" TTL60 "\x00\x02" "\001x"),
		  "www.example.com", 1, true, true, 4096 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sl_dns_query q;
		const char *why = NULL;
		int err = sl_dns_parse_query(cases[i].pkt.b, cases[i].pkt.len, &q, &why);

		cr_assert_eq(err, 0, "%s: %d %s", cases[i].what, err, why);
		cr_expect_str_eq(q.name, cases[i].name, "%s", cases[i].what);
		cr_expect_eq(q.id, 0x1234, "%s", cases[i].what);
		cr_expect_eq(q.flags, 0x0100, "%s", cases[i].what);
		cr_expect_eq(q.qtype, cases[i].qtype, "%s", cases[i].what);
		cr_expect_eq(q.qclass, 1, "%s", cases[i].what);
		cr_expect_eq(q.has_edns, cases[i].edns, "%s", cases[i].what);
		cr_expect_eq(q.edns_do, cases[i].edns_do, "%s", cases[i].what);
		cr_expect_eq(q.udp_size, cases[i].udp_size, "%s", cases[i].what);
		/* The question exactly as sent, case included. */
		cr_expect_arr_eq(q.question, cases[i].pkt.b + 12, q.question_len, "%s",
				 cases[i].what);
	}
}

Test(dns, malformed_queries)
{
	static const struct {
		struct bytes pkt;
		const char *why;
	} cases[] = {
		{ PKT(""), "shorter than a DNS header" },
		{ PKT("\x12\x34\x01\x00\x00"), "shorter than a DNS header" },
		{ PKT("\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00" WWW IN_A),
		  "a response, not a query" },
		{ PKT("\x12\x34\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
		  "question count is not 1" },
		{ PKT("\x12\x34\x01\x00\x00\x02\x00\x00\x00\x00\x00\x00" WWW IN_A WWW IN_A),
		  "question count is not 1" },
		{ PKT(QHDR), "name runs past the end" },
		{ PKT(QHDR "\003www\007exa"), "label runs past the end" },
		{ PKT(QHDR "\003www\007example"), "name runs past the end" },
		{ PKT(QHDR WWW "\x00\x01\x00"), "question runs past the end" },
		/* 64 is the 0x40 label type: no label is longer than 63. */
		{ PKT(QHDR "\100" "aaaa"), "reserved label type" },
		{ PKT(QHDR "\003www\200" "\x00"), "reserved label type" },
		{ PKT(QHDR "\177" "a"), "reserved label type" },
		{ PKT(QHDR "\xc0\x0c" IN_A), "compression pointer does not point back" },
		{ PKT(QHDR "\003www\xc0\x0c" IN_A), "compression pointer does not point back" },
		{ PKT(QHDR "\xc0\x20" IN_A), "compression pointer does not point back" },
		{ PKT(QHDR "\xc0\x04" IN_A), "compression pointer into the header" },
		{ PKT(QHDR "\xc0"), "name runs past the end" },
		{ PKT("\x12\x34\x01\x00\x00\x01\x00\x01\x00\x00\x00\x00" WWW IN_A
		      AT_WWW IN_A TTL60 RD4 "\x01\x02\x03\x04"),
		  "answer or authority records in a query" },
		{ PKT("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x01\x00\x00" WWW IN_A),
		  "answer or authority records in a query" },
		{ PKT("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\xff\xff" WWW IN_A OPT_DO),
		  "record counts exceed the message" },
		{ PKT("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x02" WWW IN_A OPT_DO OPT_DO),
		  "more than one OPT record" },
		{ PKT(QHDR_AR WWW IN_A AT_WWW "\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00"),
		  "OPT record not owned by the root" },
		{ PKT(QHDR WWW IN_A "\x00"), "bytes after the last record" },
		{ PKT(QHDR_AR WWW IN_A "\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x05" "abcd"),
		  "record data runs past the end" },
		{ PKT(QHDR_AR WWW IN_A "\001x\000" "\x00\x29\x10\x00\x00\x00\x00\x00"),
		  "record runs past the end" },
		{ PKT(QHDR_AR WWW IN_A AT_WWW IN_A TTL60 "\x00\x05" "\x01\x02\x03\x04\x05"),
		  "A record data is not 4 bytes" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sl_dns_query q;
		const char *why = NULL;

		cr_expect_eq(sl_dns_parse_query(cases[i].pkt.b, cases[i].pkt.len, &q, &why),
			     -EBADMSG, "case %zu (%s)", i, cases[i].why);
		cr_expect_str_eq(why ? why : "(null)", cases[i].why, "case %zu", i);
	}
}

Test(dns, unsupported_queries)
{
	static const struct {
		struct bytes pkt;
		int rcode;
		const char *name, *why;
	} cases[] = {
		{ PKT("\x12\x34\x11\x00\x00\x01\x00\x00\x00\x00\x00\x00" WWW IN_A),
		  SL_DNS_NOTIMP, "www.example.com", "opcode is not QUERY" },
		{ PKT(QHDR_AR WWW IN_A OPT_V1), SL_DNS_BADVERS, "www.example.com",
		  "EDNS version is not 0" },
		/* A dot inside a label must not read as a label boundary. */
		{ PKT(QHDR "\010api.evil\003com\000" IN_A), SL_DNS_REFUSED, "api?evil.com",
		  "name has bytes other than letters, digits, '-' and '_'" },
		{ PKT(QHDR "\003a" "\x00" "b\003com\000" IN_A), SL_DNS_REFUSED, "a?b.com",
		  "name has bytes other than letters, digits, '-' and '_'" },
		{ PKT(QHDR "\001*\006github\003com\000" IN_A), SL_DNS_REFUSED, "?.github.com",
		  "name has bytes other than letters, digits, '-' and '_'" },
		{ PKT(QHDR "\002" "\xff\x20" "\003com\000" IN_A), SL_DNS_REFUSED, "??.com",
		  "name has bytes other than letters, digits, '-' and '_'" },
		{ PKT(QHDR "\007version\004bind\000" "\x00\x10\x00\x03"), SL_DNS_REFUSED,
		  "version.bind", "class is not IN" },
		{ PKT(QHDR WWW "\x00\xfc\x00\x01"), SL_DNS_REFUSED, "www.example.com",
		  "zone transfer or meta query type" },
		{ PKT(QHDR WWW "\x00\x00\x00\x01"), SL_DNS_REFUSED, "www.example.com",
		  "zone transfer or meta query type" },
		{ PKT(QHDR WWW "\x00\x29\x00\x01"), SL_DNS_REFUSED, "www.example.com",
		  "zone transfer or meta query type" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sl_dns_query q;
		const char *why = NULL;
		uint8_t out[512];
		size_t n;

		cr_expect_eq(sl_dns_parse_query(cases[i].pkt.b, cases[i].pkt.len, &q, &why),
			     -EOPNOTSUPP, "case %zu", i);
		cr_expect_str_eq(why ? why : "(null)", cases[i].why, "case %zu", i);
		cr_expect_eq(q.error_rcode, cases[i].rcode, "case %zu", i);
		cr_expect_str_eq(q.name, cases[i].name, "case %zu", i);
		/* Enough of q to answer it. */
		cr_expect_eq(sl_dns_build_error(&q, q.error_rcode, out, sizeof(out), &n), 0,
			     "case %zu", i);
	}
}

/* Labels of the given lengths; the wire name is sum(1 + len) + 1 bytes. */
static void long_query(struct buf *p, const size_t *labels, size_t n)
{
	p->len = 0;
	PUT(p, QHDR);
	for (size_t i = 0; i < n; i++)
		put_label(p, 'a', labels[i]);
	PUT(p, "\000" IN_A);
}

Test(dns, name_length_limits)
{
	static const size_t ok[] = { 63, 63, 63, 61 };		/* 255 bytes */
	static const size_t too_long[] = { 63, 63, 63, 62 };	/* 256 bytes */
	struct sl_dns_query q;
	const char *why = NULL;
	struct buf p;

	long_query(&p, ok, ARRAY_SIZE(ok));
	cr_assert_eq(sl_dns_parse_query(p.b, p.len, &q, &why), 0, "%s", why);
	cr_expect_eq(strlen(q.name), SL_DNS_NAME_MAX);
	cr_expect_eq(q.question_len, 255 + 4);
	long_query(&p, too_long, ARRAY_SIZE(too_long));
	cr_expect_eq(sl_dns_parse_query(p.b, p.len, &q, &why), -EBADMSG);
	cr_expect_str_eq(why, "name longer than 255 bytes");
}

Test(dns, parse_query_why_may_be_null)
{
	struct sl_dns_query q;

	cr_expect_eq(sl_dns_parse_query((const uint8_t *)"", 0, &q, NULL), -EBADMSG);
	cr_expect_eq(sl_dns_parse_query(A_Q, sizeof(A_Q) - 1, &q, NULL), 0);
}

struct want_addr {
	const char *addr;
	uint32_t ttl;
};

/* Answers to www.example.com A, sent upstream with id 0xbeef. */
Test(dns, answers)
{
	static const struct {
		const char *what;
		struct bytes pkt;
		int rcode;
		const char *cnames[3];
		struct want_addr addrs[3];
	} cases[] = {
		{ "one A through a pointer",
		  PKT(RHDR("\x80", "\x01", "\x00", "\x00") WWW IN_A
		      AT_WWW IN_A TTL300 RD4 "\x5d\xb8\xd8\x22"),
		  0, { NULL }, { { "93.184.216.34", 300 } } },
		/*
		 * www -> a.cdn.net (60 s) -> b.cdn.net (600 s) -> 1.2.3.4 (300 s),
		 * 1.2.3.5 (30 s), all compressed: a.cdn.net at 45, cdn.net at 47,
		 * b.cdn.net at 68.  An address lives no longer than a CNAME to it.
		 */
		{ "CNAME chain, compressed",
		  PKT(RHDR("\x80", "\x04", "\x00", "\x00") WWW IN_A
		      AT_WWW IN_CNAME TTL60 "\x00\x0b" "\001a\003cdn\003net\000"
		      "\xc0\x2d" IN_CNAME "\x00\x00\x02\x58" "\x00\x04" "\001b\xc0\x2f"
		      "\xc0\x44" IN_A TTL300 RD4 "\x01\x02\x03\x04"
		      "\xc0\x44" IN_A TTL30 RD4 "\x01\x02\x03\x05"),
		  0, { "a.cdn.net", "b.cdn.net" },
		  { { "1.2.3.4", 60 }, { "1.2.3.5", 30 } } },
		{ "CNAME chain, records in reverse order",
		  PKT(RHDR("\x80", "\x03", "\x00", "\x00") WWW IN_A
		      "\001b\003cdn\003net\000" IN_A TTL300 RD4 "\x01\x02\x03\x04"
		      "\001a\xc0\x23" IN_CNAME TTL300 "\x00\x02" "\xc0\x21"
		      AT_WWW IN_CNAME TTL60 "\x00\x02" "\xc0\x3a"),
		  0, { "a.cdn.net", "b.cdn.net" }, { { "1.2.3.4", 60 } } },
		/*
		 * Not installed: another owner in the answer section, the query
		 * name in the additional section, a HS-class A; a duplicate keeps
		 * the smaller TTL; an OPT record is fine.
		 */
		{ "other owners ignored, duplicates merged",
		  PKT(RHDR("\x80", "\x04", "\x00", "\x02") WWW IN_A
		      "\004evil\003com\000" IN_A TTL300 RD4 "\x06\x06\x06\x06"
		      AT_WWW IN_A TTL300 RD4 "\x01\x02\x03\x04"
		      AT_WWW "\x00\x01\x00\x04" TTL300 RD4 "\x07\x07\x07\x07"
		      AT_WWW IN_A TTL30 RD4 "\x01\x02\x03\x04"
		      AT_WWW IN_A TTL300 RD4 "\x08\x08\x08\x08"
		      OPT_DO),
		  0, { NULL }, { { "1.2.3.4", 30 } } },
		/* 0x20 case randomisation upstream; a TTL with the top bit reads as 0. */
		{ "question case differs, TTL top bit",
		  PKT(RHDR("\x80", "\x01", "\x00", "\x00") "\003WWW\007examPLE\003com\000" IN_A
		      AT_WWW IN_A "\x80\x00\x00\x10" RD4 "\x01\x02\x03\x04"),
		  0, { NULL }, { { "1.2.3.4", 0 } } },
		{ "NXDOMAIN with SOA",
		  PKT(RHDR("\x83", "\x00", "\x01", "\x00") WWW IN_A
		      "\xc0\x10" "\x00\x06\x00\x01" TTL300 "\x00\x1e"
		      "\002ns\xc0\x10" "\002hm\xc0\x10"
		      "\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03"
		      "\x00\x00\x00\x04\x00\x00\x00\x05"),
		  3, { NULL }, { { NULL } } },
		{ "SERVFAIL", PKT(RHDR("\x82", "\x00", "\x00", "\x00") WWW IN_A), 2,
		  { NULL }, { { NULL } } },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sl_dns_answer a;
		struct sl_dns_query q;
		const char *why = NULL;
		size_t n = 0;
		int err;

		www_a(&q);
		err = sl_dns_parse_answer(cases[i].pkt.b, cases[i].pkt.len, &q, 0xbeef, &a, &why);
		cr_assert_eq(err, 0, "%s: %d %s", cases[i].what, err, why);
		cr_expect_eq(a.rcode, cases[i].rcode, "%s", cases[i].what);
		cr_expect_not(a.truncated, "%s", cases[i].what);
		while (n < 3 && cases[i].cnames[n])
			n++;
		cr_expect_eq(a.n_cnames, n, "%s", cases[i].what);
		for (size_t k = 0; k < n && k < a.n_cnames; k++)
			cr_expect_str_eq(a.cnames[k], cases[i].cnames[k], "%s", cases[i].what);
		for (n = 0; n < 3 && cases[i].addrs[n].addr; n++)
			;
		cr_expect_eq(a.n_addrs, n, "%s: %zu addresses", cases[i].what, a.n_addrs);
		cr_expect_eq(a.addrs_dropped, 0);
		for (size_t k = 0; k < n && k < a.n_addrs; k++) {
			const struct want_addr *w = &cases[i].addrs[k];
			uint8_t want[16];

			cr_assert_eq(sl_addr_parse(w->addr, want), 0);
			cr_expect_arr_eq(a.addrs[k].addr, want, 16, "%s: address %zu",
					 cases[i].what, k);
			cr_expect_eq(a.addrs[k].ttl, w->ttl, "%s: ttl %zu", cases[i].what, k);
		}
	}
}

Test(dns, aaaa_answer)
{
	static const uint8_t query[] = QHDR WWW IN_AAAA;
	static const uint8_t ans[] = RHDR("\x80", "\x01", "\x00", "\x00") WWW IN_AAAA
		AT_WWW IN_AAAA TTL300 "\x00\x10"
		"\x26\x06\x28\x00\x02\x20\x00\x01\x02\x48\x18\x93\x25\xc8\x19\x46";
	struct sl_dns_answer a;
	struct sl_dns_query q;
	const char *why = NULL;

	agent_query(&q, query, sizeof(query) - 1);
	cr_assert_eq(sl_dns_parse_answer(ans, sizeof(ans) - 1, &q, 0xbeef, &a, &why), 0,
		     "%s", why);
	cr_assert_eq(a.n_addrs, 1);
	cr_expect_arr_eq(a.addrs[0].addr, ans + sizeof(ans) - 1 - 16, 16);
	cr_expect_eq(a.addrs[0].ttl, 300);
}

Test(dns, truncated_answer)
{
	/* TC: whatever follows the question is not read, not even garbage. */
	static const uint8_t ans[] = "\xbe\xef\x83\x80\x00\x01\x00\x05\x00\x00\x00\x00" WWW IN_A
		"\xc0";
	struct sl_dns_answer a;
	struct sl_dns_query q;

	www_a(&q);
	cr_assert_eq(sl_dns_parse_answer(ans, sizeof(ans) - 1, &q, 0xbeef, &a, NULL), 0);
	cr_expect(a.truncated);
	cr_expect_eq(a.n_addrs, 0);
}

/* Answer header and question with n answer records; an address. */
#define AN(n)	RHDR("\x80", n, "\x00", "\x00") WWW IN_A
#define ADDR	"\x01\x02\x03\x04"
#define NOT_OURS(pkt, id, why) { PKT(pkt), id, -ENOMSG, why }
#define BAD(pkt, why) { PKT(pkt), 0xbeef, -EBADMSG, why }

Test(dns, answer_errors)
{
	static const struct {
		struct bytes pkt;
		uint16_t id;
		int err;
		const char *why;
	} cases[] = {
		/* Not an answer to this query: -ENOMSG, keep waiting. */
		NOT_OURS(AN("\x00"), 0x1234, "id does not match"),
		NOT_OURS("\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" WWW IN_A, 0xbeef,
			 "not a response to a standard query"),
		NOT_OURS("\xbe\xef\x91\x80\x00\x01\x00\x00\x00\x00\x00\x00" WWW IN_A, 0xbeef,
			 "not a response to a standard query"),
		NOT_OURS("\xbe\xef\x81\x80\x00\x00\x00\x00\x00\x00\x00\x00", 0xbeef,
			 "question count is not 1"),
		NOT_OURS(RHDR("\x80", "\x00", "\x00", "\x00") "\003www\007example\003org\000" IN_A,
			 0xbeef, "question does not match"),
		NOT_OURS(RHDR("\x80", "\x00", "\x00", "\x00") "\007example\003com\000" IN_A,
			 0xbeef, "question does not match"),
		NOT_OURS(RHDR("\x80", "\x00", "\x00", "\x00") WWW IN_AAAA, 0xbeef,
			 "question does not match"),
		NOT_OURS(RHDR("\x80", "\x00", "\x00", "\x00") WWW "\x00\x01\x00\x03", 0xbeef,
			 "question does not match"),
		/* Malformed: -EBADMSG, SERVFAIL. */
		BAD("\xbe\xef\x81", "shorter than a DNS header"),
		BAD(AN("\x01") AT_WWW IN_A TTL300 "\x00\x08" ADDR, "record data runs past the end"),
		BAD(AN("\x01") AT_WWW IN_A TTL300 "\x00", "record runs past the end"),
		BAD(AN("\x01") AT_WWW IN_A TTL300 "\x00\x05" ADDR "\x05",
		    "A record data is not 4 bytes"),
		BAD(AN("\x01") AT_WWW IN_AAAA TTL300 RD4 ADDR, "AAAA record data is not 16 bytes"),
		/* Owner at 33 pointing to itself, forward, and a two-pointer loop. */
		BAD(AN("\x01") "\xc0\x21" IN_A TTL300 RD4 ADDR,
		    "compression pointer does not point back"),
		BAD(AN("\x01") "\xc0\x30" IN_A TTL300 RD4 ADDR,
		    "compression pointer does not point back"),
		/* A NULL record's data holds pointers 45 -> 47 -> 45; an owner enters at 47. */
		BAD(AN("\x02") AT_WWW "\x00\x0a\x00\x01" TTL300 RD4 "\xc0\x2f\xc0\x2d"
		    "\xc0\x2f" IN_A TTL300 RD4 ADDR, "compression pointer does not point back"),
		BAD(AN("\x01") "\xc0\x0b" IN_A TTL300 RD4 ADDR,
		    "compression pointer into the header"),
		BAD(AN("\x01") "\x40" IN_A TTL300 RD4 ADDR, "reserved label type"),
		BAD(AN("\xff") AT_WWW IN_A TTL300 RD4 ADDR, "record counts exceed the message"),
		BAD("\xbe\xef\x81\x80\x00\x01\xff\xff\xff\xff\xff\xff" WWW IN_A,
		    "record counts exceed the message"),
		BAD(AN("\x01") AT_WWW IN_A TTL300 RD4 ADDR "\x00", "bytes after the last record"),
		BAD(AN("\x01") AT_WWW IN_CNAME TTL300 "\x00\x04" "\001a\000" "\x00",
		    "CNAME data is not one name"),
		BAD(AN("\x01") AT_WWW IN_CNAME TTL300 "\x00\x02" "\001a", "name runs past the end"),
		BAD(AN("\x01") OPT_DO, "OPT record outside the additional section"),
		BAD(AN("\x01") AT_WWW IN_CNAME TTL300 "\x00\x02" AT_WWW, "CNAME loop"),
		BAD(AN("\x02") AT_WWW IN_CNAME TTL300 "\x00\x03" "\001a\000"
		    "\001a\000" IN_CNAME TTL300 "\x00\x02" AT_WWW, "CNAME loop"),
		BAD(AN("\x01") AT_WWW IN_CNAME TTL300 "\x00\x05" "\003a.b\000",
		    "CNAME name has bytes other than letters, digits, '-' and '_'"),
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sl_dns_answer a;
		struct sl_dns_query q;
		const char *why = NULL;

		www_a(&q);
		int err = sl_dns_parse_answer(cases[i].pkt.b, cases[i].pkt.len, &q,
					      cases[i].id, &a, &why);

		cr_expect_eq(err, cases[i].err, "case %zu", i);
		cr_expect_str_eq(why ? why : "(null)", cases[i].why, "case %zu", i);
		cr_expect_eq(a.n_addrs, 0, "case %zu", i);
	}
}

/* www -> c1 -> c2 ... -> cN (A 10.0.0.1), uncompressed: "\002cK" names. */
static void chain_answer(struct buf *p, unsigned int n)
{
	char name[8];

	p->len = 0;
	PUT(p, "\xbe\xef\x81\x80\x00\x01");
	put16(p, (uint16_t)(n + 1));
	PUT(p, "\x00\x00\x00\x00" WWW IN_A);
	for (unsigned int i = 1; i <= n; i++) {
		if (i == 1)
			PUT(p, AT_WWW);
		else
			put(p, name, (size_t)name[0] + 2);
		PUT(p, IN_CNAME TTL300);
		snprintf(name + 1, sizeof(name) - 1, "c%u", i);
		name[0] = (char)strlen(name + 1);
		put16(p, (uint16_t)(name[0] + 2));
		put(p, name, (size_t)name[0] + 2);
	}
	put(p, name, (size_t)name[0] + 2);
	PUT(p, IN_A TTL300 RD4 "\x0a\x00\x00\x01");
}

Test(dns, address_limit)
{
	unsigned int n = SL_DNS_MAX_ADDRS + 6;
	struct sl_dns_answer a;
	struct sl_dns_query q;
	const char *why = NULL;
	struct buf p = { .len = 0 };

	www_a(&q);
	PUT(&p, "\xbe\xef\x81\x80\x00\x01");
	put16(&p, (uint16_t)n);
	PUT(&p, "\x00\x00\x00\x00" WWW IN_A);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t last = (uint8_t)i;

		PUT(&p, AT_WWW IN_A TTL300 RD4 "\x0a\x00\x00");
		put(&p, &last, 1);
	}
	cr_assert_eq(sl_dns_parse_answer(p.b, p.len, &q, 0xbeef, &a, &why), 0, "%s", why);
	cr_expect_eq(a.n_addrs, SL_DNS_MAX_ADDRS);
	cr_expect_eq(a.addrs_dropped, 6);
}

/*
 * n pointers in a NULL record's data, each pointing at the one before it
 * (the first at the query name); an A record's owner points at the last:
 * n + 1 hops, every one backwards.
 */
static void hop_answer(struct buf *p, unsigned int n)
{
	size_t first;

	p->len = 0;
	PUT(p, RHDR("\x80", "\x02", "\x00", "\x00") WWW IN_A);
	PUT(p, AT_WWW "\x00\x0a\x00\x01" TTL300);
	put16(p, (uint16_t)(2 * n));
	first = p->len;
	for (unsigned int i = 0; i < n; i++)
		put16(p, (uint16_t)(0xc000 | (i ? first + 2 * (i - 1) : 12)));
	put16(p, (uint16_t)(0xc000 | (first + 2 * (n - 1))));
	PUT(p, IN_A TTL300 RD4 "\x01\x02\x03\x04");
}

/* At the limit it parses; one past it, it is refused with its reason. */
Test(dns, chain_and_hop_limits)
{
	static const struct {
		void (*build)(struct buf *p, unsigned int n);
		unsigned int max;
		const char *why;
	} cases[] = {
		{ chain_answer, SL_DNS_MAX_CNAMES, "CNAME chain longer than 16" },
		/* The owner's pointer is one hop more. */
		{ hop_answer, SL_DNS_MAX_HOPS - 1, "too many compression pointers" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sl_dns_answer a;
		struct sl_dns_query q;
		const char *why = NULL;
		struct buf p;

		www_a(&q);
		cases[i].build(&p, cases[i].max);
		cr_assert_eq(sl_dns_parse_answer(p.b, p.len, &q, 0xbeef, &a, &why), 0,
			     "%s", why);
		cr_expect_eq(a.n_addrs, 1, "case %zu", i);
		cases[i].build(&p, cases[i].max + 1);
		cr_expect_eq(sl_dns_parse_answer(p.b, p.len, &q, 0xbeef, &a, &why), -EBADMSG);
		cr_expect_str_eq(why, cases[i].why);
		cr_expect_eq(a.n_addrs, 0, "case %zu", i);
	}
}

Test(dns, chain_names)
{
	struct sl_dns_answer a;
	struct sl_dns_query q;
	const char *why = NULL;
	struct buf p;

	www_a(&q);
	chain_answer(&p, SL_DNS_MAX_CNAMES);
	cr_assert_eq(sl_dns_parse_answer(p.b, p.len, &q, 0xbeef, &a, &why), 0, "%s", why);
	cr_assert_eq(a.n_cnames, SL_DNS_MAX_CNAMES);
	for (unsigned int i = 0; i < SL_DNS_MAX_CNAMES; i++) {
		char want[8];

		snprintf(want, sizeof(want), "c%u", i + 1);
		cr_expect_str_eq(a.cnames[i], want);
	}
}

Test(dns, build_error_round_trip)
{
	static const struct bytes queries[] = {
		PKT(QHDR WWW IN_A),
		PKT(QHDR_AR "\003WwW\007ExAmple\003COM\000" IN_A OPT_DO),
	};
	static const int rcodes[] = { SL_DNS_REFUSED, SL_DNS_NXDOMAIN, SL_DNS_SERVFAIL };

	for (size_t i = 0; i < ARRAY_SIZE(queries); i++) {
		for (size_t r = 0; r < ARRAY_SIZE(rcodes); r++) {
			struct sl_dns_query q, again;
			struct sl_dns_answer a;
			const char *why = NULL;
			uint8_t out[512];
			size_t n;

			agent_query(&q, queries[i].b, queries[i].len);
			cr_assert_eq(sl_dns_build_error(&q, rcodes[r], out, sizeof(out), &n), 0);
			cr_expect_eq(n, queries[i].len);
			cr_assert_eq(sl_dns_parse_answer(out, n, &q, q.id, &a, &why), 0, "%s", why);
			cr_expect_eq(a.rcode, rcodes[r]);
			cr_expect_eq(a.n_addrs, 0);
			/* QR RA, RD copied; the question exactly as asked. */
			cr_expect_eq(out[2], 0x81);
			cr_expect_eq(out[3], 0x80 | rcodes[r]);
			cr_expect_arr_eq(out + 12, queries[i].b + 12, q.question_len);
			/* The same OPT back: it parses as a query once QR is cleared. */
			out[2] &= 0x7f;
			out[3] &= 0xf0;
			cr_assert_eq(sl_dns_parse_query(out, n, &again, &why), 0, "%s", why);
			cr_expect_eq(again.has_edns, q.has_edns);
			cr_expect_eq(again.edns_do, q.edns_do);
		}
	}
}

Test(dns, build_error_limits)
{
	static const uint8_t edns[] = QHDR_AR WWW IN_A OPT_DO;
	struct sl_dns_query q;
	uint8_t out[512];
	size_t n;

	www_a(&q);
	cr_expect_eq(sl_dns_build_error(&q, SL_DNS_BADVERS, out, sizeof(out), &n), -EINVAL);
	cr_expect_eq(sl_dns_build_error(&q, -1, out, sizeof(out), &n), -EINVAL);
	cr_expect_eq(sl_dns_build_error(&q, SL_DNS_REFUSED, out, 12 + 20, &n), -ENOSPC);
	cr_expect_eq(sl_dns_build_error(&q, SL_DNS_REFUSED, out, 12 + 21, &n), 0);
	agent_query(&q, edns, sizeof(edns) - 1);
	/* BADVERS = 16: rcode 0 in the header, 1 in the OPT's extended rcode. */
	cr_assert_eq(sl_dns_build_error(&q, SL_DNS_BADVERS, out, sizeof(out), &n), 0);
	cr_expect_eq(out[3] & 0xf, 0);
	cr_expect_eq(out[n - 6], 1);
	cr_expect_eq(out[n - 5], 0);
	cr_expect_eq(out[n - 4], 0x80);
}

Test(dns, build_truncated)
{
	struct sl_dns_answer a;
	struct sl_dns_query q;
	uint8_t out[512];
	size_t n;

	www_a(&q);
	cr_assert_eq(sl_dns_build_truncated(&q, out, sizeof(out), &n), 0);
	cr_assert_eq(sl_dns_parse_answer(out, n, &q, 0x1234, &a, NULL), 0);
	cr_expect(a.truncated);
	cr_expect_eq(a.rcode, 0);
}

Test(dns, build_query)
{
	/* The agent's extras (AA, an unknown record, its EDNS size) stay behind. */
	static const uint8_t agent[] =
		"\x12\x34\x05\x30\x00\x01\x00\x00\x00\x00\x00\x02" "\003WwW\007example\003com\000"
		IN_A OPT_DO AT_WWW "\x00\x10\x00\x01" TTL60 "\x00\x02" "\001x";
	static const uint8_t plain[] = "\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00" WWW IN_A;
	struct sl_dns_query q, up;
	const char *why = NULL;
	uint8_t out[512];
	size_t n;

	agent_query(&q, agent, sizeof(agent) - 1);
	cr_assert_eq(sl_dns_build_query(&q, 0xbeef, out, sizeof(out), &n), 0);
	cr_assert_eq(sl_dns_parse_query(out, n, &up, &why), 0, "%s", why);
	cr_expect_eq(up.id, 0xbeef);
	cr_expect_eq(up.flags, SL_DNS_RD | SL_DNS_AD | SL_DNS_CD);
	cr_expect_str_eq(up.name, "www.example.com");
	cr_expect_arr_eq(up.question, q.question, q.question_len);
	cr_expect(up.has_edns);
	cr_expect(up.edns_do);
	cr_expect_eq(up.udp_size, SL_DNS_EDNS_SIZE);
	cr_expect_eq(n, 12 + q.question_len + 11);
	cr_expect_eq(sl_dns_build_query(&q, 0xbeef, out, n - 1, &n), -ENOSPC);

	agent_query(&q, plain, sizeof(plain) - 1);
	cr_assert_eq(sl_dns_build_query(&q, 7, out, sizeof(out), &n), 0);
	cr_expect_eq(n, sizeof(plain) - 1);
	cr_expect_arr_eq(out + 2, plain + 2, n - 2);
}

Test(dns, finish_reply)
{
	static const uint8_t agent[] = QHDR_AR "\003WwW\007ExAmple\003COM\000" IN_A OPT_DO;
	uint8_t ans[] = RHDR("\x80", "\x02", "\x00", "\x01") WWW IN_A
		AT_WWW IN_CNAME TTL300 "\x00\x03" "\001a\000"
		"\001a\000" IN_A "\x00\x01\x00\x00" RD4 "\x01\x02\x03\x04"
		"\x00" "\x00\x29" "\x10\x00" "\x00\x00\x80\x00" "\x00\x00";
	size_t len = sizeof(ans) - 1;
	struct sl_dns_answer a;
	struct sl_dns_query q;
	const char *why = NULL;

	agent_query(&q, agent, sizeof(agent) - 1);
	cr_assert_eq(sl_dns_parse_answer(ans, len, &q, 0xbeef, &a, &why), 0, "%s", why);
	cr_assert_eq(sl_dns_finish_reply(ans, len, &q, &a, 120), 0);
	cr_expect_eq(ans[0], 0x12);
	cr_expect_eq(ans[1], 0x34);
	cr_expect_arr_eq(ans + 12, agent + 12, q.question_len);
	cr_assert_eq(sl_dns_parse_answer(ans, len, &q, 0x1234, &a, &why), 0, "%s", why);
	cr_assert_eq(a.n_addrs, 1);
	cr_expect_eq(a.addrs[0].ttl, 120);
	/* The CNAME's TTL is capped too; the OPT's flags are not a TTL. */
	cr_expect_arr_eq(ans + 33 + 6, "\x00\x00\x00\x78", 4);
	cr_expect_arr_eq(ans + len - 6, "\x00\x00\x80\x00", 4);
	/* A question that is not q's is refused. */
	ans[13] = 'x';
	cr_expect_eq(sl_dns_finish_reply(ans, len, &q, &a, 120), -EBADMSG);
	cr_expect_eq(sl_dns_finish_reply(ans, 5, &q, &a, 120), -EBADMSG);
}

/*
 * Found by the fuzzer: the CNAME's data points into its own TTL, which reads
 * as the name "a" (01 61 00) until the TTL is capped and it reads as the
 * root.  The agent would see a different chain than was installed.
 */
Test(dns, finish_reply_pointer_into_ttl)
{
	uint8_t ans[] = RHDR("\x80", "\x02", "\x00", "\x00") WWW IN_A
		AT_WWW IN_CNAME "\x01\x61\x00\x00" "\x00\x02" "\xc0\x27"
		"\001a\000" IN_A TTL300 RD4 "\x05\x06\x07\x08";
	struct sl_dns_answer a;
	struct sl_dns_query q;
	const char *why = NULL;

	www_a(&q);
	cr_assert_eq(sl_dns_parse_answer(ans, sizeof(ans) - 1, &q, 0xbeef, &a, &why), 0,
		     "%s", why);
	cr_expect_eq(a.n_cnames, 1);
	cr_expect_str_eq(a.cnames[0], "a");
	cr_expect_eq(a.n_addrs, 1);
	cr_expect_eq(sl_dns_finish_reply(ans, sizeof(ans) - 1, &q, &a, 120), -EBADMSG);
}

Test(dns, tcp_framing)
{
	static const uint8_t two[] = "\x00\x03" "abc" "\x00\x02" "de";
	struct sl_dns_stream *s = malloc(sizeof(*s));
	const uint8_t *msg;
	uint8_t pre[2], *dst;
	size_t i = 0, len, room;
	int got = 0, r;

	cr_expect_eq(sl_dns_tcp_prefix(0, pre), -EMSGSIZE);
	cr_expect_eq(sl_dns_tcp_prefix(65536, pre), -EMSGSIZE);
	cr_expect_eq(sl_dns_tcp_prefix(300, pre), 0);
	cr_expect_eq(pre[0], 1);
	cr_expect_eq(pre[1], 44);

	/* One byte at a time: never a byte of the next frame in this one. */
	cr_assert_not_null(s);
	sl_dns_stream_reset(s);
	while (i < sizeof(two) - 1) {
		room = sl_dns_stream_room(s, &dst);
		cr_assert_gt(room, 0);
		*dst = two[i++];
		r = sl_dns_stream_fill(s, 1);
		cr_assert_geq(r, 0);
		if (!r) {
			cr_expect_null(sl_dns_stream_msg(s, &len));
			continue;
		}
		msg = sl_dns_stream_msg(s, &len);
		cr_assert_not_null(msg);
		cr_expect_eq(len, got ? 2 : 3);
		cr_expect_arr_eq(msg, got ? "de" : "abc", len);
		cr_expect_eq(sl_dns_stream_room(s, &dst), 0);
		got++;
		sl_dns_stream_reset(s);
	}
	cr_expect_eq(got, 2);
	room = sl_dns_stream_room(s, &dst);
	cr_expect_eq(room, 2);
	cr_expect_eq(sl_dns_stream_fill(s, 3), -EINVAL);
	memset(dst, 0, 2);
	cr_expect_eq(sl_dns_stream_fill(s, 2), -EBADMSG);
	free(s);
}

Test(dns, name_match)
{
	static const struct {
		const char *pattern, *name;
		bool match;
	} cases[] = {
		{ "api.github.com", "api.github.com", true },
		{ "api.github.com", "API.GitHub.com", true },
		{ "api.github.com", "api.github.com.", true },
		{ "api.github.com.", "api.github.com", true },
		{ "API.github.com", "api.github.com", true },
		{ "api.github.com", "github.com", false },
		{ "api.github.com", "x.api.github.com", false },
		{ "api.github.com", "api.github.co", false },
		{ "api.github.com", "api.github.comm", false },
		{ "*.github.com", "a.github.com", true },
		{ "*.github.com", "a.b.github.com", true },
		{ "*.github.com", "x.y.z.github.com", true },
		{ "*.github.com", "A.GITHUB.COM.", true },
		{ "*.github.com.", "a.github.com", true },
		{ "*.github.com", "github.com", false },
		{ "*.github.com", "github.com.", false },
		{ "*.github.com", ".github.com", false },
		{ "*.github.com", "evilgithub.com", false },
		{ "*.github.com", "a.evilgithub.com", false },
		{ "*.github.com", "a.github.com.evil.com", false },
		{ "*.github.com", "a..github.com", false },
		{ "*.github.com", "", false },
		{ "*", "github.com", false },
		{ "*.", "github.com", false },
		{ "", "", false },
		{ "", "github.com", false },
		{ ".", "", false },
		{ "*x.github.com", "ax.github.com", false },
		{ "*x.github.com", "*x.github.com", true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		cr_expect_eq(sl_dns_name_match(cases[i].pattern, cases[i].name), cases[i].match,
			     "\"%s\" vs \"%s\"", cases[i].pattern, cases[i].name);
}
