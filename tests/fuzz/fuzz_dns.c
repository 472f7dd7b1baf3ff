// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for user/lib/dns.c.  One input is used as:
 *   - an agent's query: parse, then every message built for it must parse
 *     back to the same question (error reply, truncated reply, upstream query);
 *   - an upstream answer to the query made of its own question: parse, finish
 *     for the agent, parse again: same addresses, TTLs capped;
 *   - a TCP byte stream cut into chunks by its own bytes;
 *   - two strings for policy name matching.
 * Any broken invariant aborts, so the fuzzer reports it like a crash.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dns.h"

#define TTL_CAP 120

#define check(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();					\
		}							\
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *name)
{
	size_t n = strlen(name);

	check(n <= SL_DNS_NAME_MAX);
	check(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == n);
	check(!n || (name[0] != '.' && name[n - 1] != '.' && !strstr(name, "..")));
	/* A name is its own exact pattern and never its own wildcard. */
	if (n) {
		char wild[SL_DNS_NAME_MAX + 3] = "*.";

		check(sl_dns_name_match(name, name));
		strcat(wild, name);
		check(!sl_dns_name_match(wild, name));
	}
}

/*
 * Every reply the proxy builds for q parses back as an answer to q; the
 * upstream query for a served q parses back as the same question.
 */
static void check_replies(const struct sl_dns_query *q, int rcode, bool served)
{
	uint8_t out[SL_DNS_HDR_LEN + sizeof(q->question) + 11];
	struct sl_dns_answer a;
	struct sl_dns_query up;
	const char *why = NULL;
	size_t n;

	check(sl_dns_build_error(q, rcode, out, sizeof(out), &n) == 0);
	check(sl_dns_build_error(q, rcode, out, n - 1, &n) == -ENOSPC);
	check(sl_dns_build_error(q, rcode, out, sizeof(out), &n) == 0);
	/* NOTIMP echoes the opcode, which no answer parser takes. */
	if (SL_DNS_OPCODE(q->flags)) {
		check(out[2] >> 7 && ((out[2] >> 3) & 0xf) == SL_DNS_OPCODE(q->flags));
		check((out[3] & 0xf) == SL_DNS_NOTIMP);
		return;
	}
	check(sl_dns_parse_answer(out, n, q, q->id, &a, &why) == 0);
	check(a.rcode == (rcode & 0xf) && !a.truncated && !a.n_addrs && !a.n_cnames);
	check(sl_dns_build_truncated(q, out, sizeof(out), &n) == 0);
	check(sl_dns_parse_answer(out, n, q, q->id, &a, &why) == 0 && a.truncated);
	check(sl_dns_build_query(q, 0xbeef, out, sizeof(out), &n) == 0);
	if (!served)
		return;
	check(sl_dns_parse_query(out, n, &up, &why) == 0);
	check(up.id == 0xbeef && up.qtype == q->qtype && up.qclass == q->qclass);
	check(!strcmp(up.name, q->name) && up.has_edns == q->has_edns);
	check(up.question_len == q->question_len &&
	      !memcmp(up.question, q->question, q->question_len));
}

static void as_query(const uint8_t *data, size_t size)
{
	struct sl_dns_query q;
	const char *why = NULL;
	int err = sl_dns_parse_query(data, size, &q, &why);

	check(err == 0 || err == -EBADMSG || err == -EOPNOTSUPP);
	check(err == 0 || why);
	if (err == -EBADMSG)
		return;
	check(q.question_len > 4 && q.question_len <= sizeof(q.question));
	check(q.udp_size >= SL_DNS_UDP_PLAIN);
	if (err == -EOPNOTSUPP) {
		check(q.error_rcode > 0);
		check_replies(&q, q.error_rcode, false);
		return;
	}
	check_name(q.name);
	check_replies(&q, SL_DNS_REFUSED, true);
}

/*
 * The query an answer answers: its header, RD only, qdcount 1, and its
 * question, found by walking labels (no pointers in a question name).
 */
static int own_query(const uint8_t *data, size_t size, struct sl_dns_query *q)
{
	uint8_t msg[SL_DNS_HDR_LEN + SL_DNS_WIRE_MAX + 4];
	size_t p = SL_DNS_HDR_LEN;
	int err;

	while (p < size && p < sizeof(msg) && data[p] && data[p] < 64)
		p += 1 + data[p];
	p += 1 + 4;
	if (size < SL_DNS_HDR_LEN || p > size || p > sizeof(msg))
		return -EBADMSG;
	memcpy(msg, data, p);
	memcpy(msg + 2, "\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10);
	err = sl_dns_parse_query(msg, p, q, NULL);
	return err == -EOPNOTSUPP && q->error_rcode == SL_DNS_REFUSED ? 0 : err;
}

/* Finished, the answer says the same with TTLs capped, or is refused. */
static void check_finished(uint8_t *copy, size_t size, const struct sl_dns_query *q,
			   const struct sl_dns_answer *a)
{
	static struct sl_dns_answer b;
	int err = sl_dns_finish_reply(copy, size, q, a, TTL_CAP);

	check(err == 0 || err == -EBADMSG);
	if (err)
		return;
	check(copy[0] == q->id >> 8 && copy[1] == (q->id & 0xff));
	check(sl_dns_parse_answer(copy, size, q, q->id, &b, NULL) == 0);
	check(b.n_addrs == a->n_addrs && b.n_cnames == a->n_cnames);
	for (size_t i = 0; i < a->n_addrs; i++) {
		uint32_t want = a->addrs[i].ttl < TTL_CAP ? a->addrs[i].ttl : TTL_CAP;

		check(!memcmp(a->addrs[i].addr, b.addrs[i].addr, 16));
		check(b.addrs[i].ttl == want);
	}
}

/* Answers to www.example.com A with id 0x1234: the seeds' query. */
static void as_fixed_answer(const uint8_t *data, size_t size)
{
	static const uint8_t query[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
		"\003www\007example\003com\000\x00\x01\x00\x01";
	static struct sl_dns_answer a;
	struct sl_dns_query q;
	const char *why = NULL;
	int err;

	check(sl_dns_parse_query(query, sizeof(query) - 1, &q, NULL) == 0);
	err = sl_dns_parse_answer(data, size, &q, 0x1234, &a, &why);
	check(err == 0 || err == -EBADMSG || err == -ENOMSG);
	check(err == 0 || why);
	check(a.n_addrs <= SL_DNS_MAX_ADDRS && a.n_cnames <= SL_DNS_MAX_CNAMES);
}

static void as_answer(const uint8_t *data, size_t size)
{
	static struct sl_dns_answer a;
	struct sl_dns_query q;
	const char *why = NULL;
	uint16_t id;
	uint8_t *copy;
	int err;

	as_fixed_answer(data, size);
	if (own_query(data, size, &q))
		return;
	id = (uint16_t)(data[0] << 8 | data[1]);
	err = sl_dns_parse_answer(data, size, &q, id, &a, &why);
	check(err == 0 || err == -EBADMSG || err == -ENOMSG);
	check(err == 0 || why);
	if (err || a.truncated)
		return;
	check(a.n_addrs <= SL_DNS_MAX_ADDRS && a.n_cnames <= SL_DNS_MAX_CNAMES);
	check(a.rcode >= 0 && a.rcode <= 15);
	for (size_t i = 0; i < a.n_cnames; i++)
		check_name(a.cnames[i]);
	for (size_t i = 0; i < a.n_addrs; i++)
		check(a.addrs[i].ttl <= 0x7fffffff);
	copy = malloc(size);
	check(copy);
	memcpy(copy, data, size);
	check_finished(copy, size, &q, &a);
	free(copy);
}

/* Chunk sizes come from the stream's own bytes. */
static void as_stream(const uint8_t *data, size_t size)
{
	static struct sl_dns_stream s;
	struct sl_dns_query q;
	size_t i = 0, room, n, len;
	uint8_t *dst;
	int r;

	sl_dns_stream_reset(&s);
	while (i < size) {
		room = sl_dns_stream_room(&s, &dst);
		check(room > 0 && room <= 2 + SL_DNS_MSG_MAX);
		n = 1 + data[i] % 64;
		n = n < room ? n : room;
		n = n < size - i ? n : size - i;
		memcpy(dst, data + i, n);
		i += n;
		r = sl_dns_stream_fill(&s, n);
		if (r < 0)
			return;
		if (r == 1) {
			const uint8_t *msg = sl_dns_stream_msg(&s, &len);
			uint8_t pre[2];

			check(msg && len > 0);
			check(sl_dns_tcp_prefix(len, pre) == 0 && !memcmp(pre, msg - 2, 2));
			(void)sl_dns_parse_query(msg, len, &q, NULL);
			sl_dns_stream_reset(&s);
		}
	}
}

/* Pattern and name: the input split at its first NUL, both capped. */
static void as_names(const uint8_t *data, size_t size)
{
	char pattern[300], name[300];
	const uint8_t *nul = memchr(data, 0, size);
	size_t pl = nul ? (size_t)(nul - data) : size;
	size_t nl = nul ? size - pl - 1 : 0;
	bool m;

	pl = pl < sizeof(pattern) - 1 ? pl : sizeof(pattern) - 1;
	nl = nl < sizeof(name) - 1 ? nl : sizeof(name) - 1;
	memcpy(pattern, data, pl);
	pattern[pl] = '\0';
	if (nul)
		memcpy(name, nul + 1, nl);
	name[nl] = '\0';
	m = sl_dns_name_match(pattern, name);
	/* A wildcard match means the suffix ends the name at a label boundary. */
	if (m && pattern[0] == '*' && pattern[1] == '.') {
		size_t sl = strlen(pattern + 1), n = strlen(name);

		if (pattern[sl] == '.')
			sl--;
		if (n && name[n - 1] == '.')
			n--;
		check(n > sl && name[n - sl - 1] != '.' && name[n - sl] == '.');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_query(data, size);
	as_answer(data, size);
	as_stream(data, size);
	as_names(data, size);
	return 0;
}
