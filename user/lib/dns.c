// SPDX-License-Identifier: GPL-2.0-only
/*
 * DNS wire format for the resolver proxy.  Every read is checked against the
 * message length before it happens; names are read with bounded pointer
 * chasing into fixed buffers; nothing recurses.  See docs/dns.md.
 */
#include <errno.h>
#include <string.h>
#include "dns.h"

#define RR_FIXED	10	/* type, class, TTL, rdlength after the owner */
#define RR_MIN		(1 + RR_FIXED)	/* root owner, no data */
#define OPT_LEN		RR_MIN
#define PTR_MASK	0xc0
#define TTL_MAX		0x7fffffffu	/* RFC 2181 8: larger reads as 0 */

/* A name as read from a message: uncompressed wire form, original case. */
struct wname {
	size_t len;
	uint8_t b[SL_DNS_WIRE_MAX];
};

/* One resource record; rdata is an offset into the message. */
struct rr {
	struct wname owner;
	uint16_t type;
	uint16_t class;
	uint32_t ttl;		/* raw: an OPT keeps flags there */
	size_t rdata;
	size_t rdlen;
};

/* A message being read: position, and what the walk has seen so far. */
struct walk {
	const uint8_t *msg;
	size_t len;
	size_t pos;
	const char **why;
	bool has_opt;
	struct rr opt;
};

enum section { SEC_ANSWER, SEC_AUTHORITY, SEC_ADDITIONAL };

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static int bad(const char **why, const char *reason)
{
	*why = reason;
	return -EBADMSG;
}

/* A well-formed message that answers some other query. */
static int other(const char **why, const char *reason)
{
	*why = reason;
	return -ENOMSG;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

/*
 * Read the name at *pos; *pos moves past it (past its first pointer if it
 * has one).  Every pointer must land below the start of the name, and
 * below the previous pointer's target: targets strictly decrease, so no
 * loop, and a pointer can never re-enter the name being read.
 */
static int read_name(const uint8_t *msg, size_t len, size_t *pos,
		     struct wname *n, const char **why)
{
	size_t p = *pos, limit = *pos, end = 0;
	unsigned int hops = 0;
	uint8_t c;

	n->len = 0;
	for (;;) {
		if (p >= len)
			return bad(why, "name runs past the end");
		c = msg[p];
		if ((c & PTR_MASK) == PTR_MASK) {
			size_t to;

			if (p + 1 >= len)
				return bad(why, "name runs past the end");
			to = (size_t)(c & ~PTR_MASK) << 8 | msg[p + 1];
			if (to < SL_DNS_HDR_LEN)
				return bad(why, "compression pointer into the header");
			if (to >= limit)
				return bad(why, "compression pointer does not point back");
			if (++hops > SL_DNS_MAX_HOPS)
				return bad(why, "too many compression pointers");
			if (!end)
				end = p + 2;
			p = limit = to;
			continue;
		}
		if (c & PTR_MASK)
			return bad(why, "reserved label type");
		if (n->len + 1 + c > SL_DNS_WIRE_MAX)
			return bad(why, "name longer than 255 bytes");
		if (c >= len - p)
			return bad(why, "label runs past the end");
		memcpy(n->b + n->len, msg + p, 1 + (size_t)c);
		n->len += 1 + (size_t)c;
		p += 1 + (size_t)c;
		if (!c)
			break;
	}
	*pos = end ? end : p;
	return 0;
}

/* ASCII case-insensitive; equal bytes mean equal label structure. */
static bool name_eq(const struct wname *a, const struct wname *b)
{
	if (a->len != b->len)
		return false;
	for (size_t i = 0; i < a->len; i++)
		if (lower(a->b[i]) != lower(b->b[i]))
			return false;
	return true;
}

static bool name_byte_ok(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Lower-case dotted form, no trailing dot; "" for the root.  A 255-byte
 * wire name is at most 253 characters.  Bytes outside [a-z0-9_-] (after
 * lower-casing) show as '?' and make it return false.
 */
static bool name_pres(const struct wname *n, char out[SL_DNS_NAME_MAX + 1])
{
	size_t i = 0, o = 0;
	bool ok = true;

	while (i < n->len && n->b[i]) {
		size_t l = n->b[i++];

		if (o)
			out[o++] = '.';
		for (; l; l--, i++) {
			uint8_t c = lower(n->b[i]);

			ok = ok && name_byte_ok(c);
			out[o++] = name_byte_ok(c) ? (char)c : '?';
		}
	}
	out[o] = '\0';
	return ok;
}

static uint32_t min_ttl(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* RFC 2181 8: a TTL with the top bit set is read as 0. */
static uint32_t rr_ttl(const struct rr *rr)
{
	return rr->ttl > TTL_MAX ? 0 : rr->ttl;
}

static int read_rr(struct walk *w, struct rr *rr)
{
	int err = read_name(w->msg, w->len, &w->pos, &rr->owner, w->why);

	if (err)
		return err;
	if (w->len - w->pos < RR_FIXED)
		return bad(w->why, "record runs past the end");
	rr->type = get16(w->msg + w->pos);
	rr->class = get16(w->msg + w->pos + 2);
	rr->ttl = get32(w->msg + w->pos + 4);
	rr->rdlen = get16(w->msg + w->pos + 8);
	rr->rdata = w->pos + RR_FIXED;
	if (rr->rdlen > w->len - rr->rdata)
		return bad(w->why, "record data runs past the end");
	w->pos = rr->rdata + rr->rdlen;
	return 0;
}

/* The name that is a CNAME's whole data. */
static int cname_target(const struct walk *w, const struct rr *rr, struct wname *n)
{
	size_t p = rr->rdata;
	int err = read_name(w->msg, rr->rdata + rr->rdlen, &p, n, w->why);

	if (err)
		return err;
	if (p != rr->rdata + rr->rdlen)
		return bad(w->why, "CNAME data is not one name");
	return 0;
}

/* What the proxy relies on: address sizes, CNAME data, one OPT at the root. */
static int check_rr(struct walk *w, const struct rr *rr, enum section sec)
{
	struct wname target;

	if (rr->type == SL_DNS_OPT) {
		if (sec != SEC_ADDITIONAL)
			return bad(w->why, "OPT record outside the additional section");
		if (w->has_opt)
			return bad(w->why, "more than one OPT record");
		if (rr->owner.len != 1)
			return bad(w->why, "OPT record not owned by the root");
		w->has_opt = true;
		w->opt = *rr;
		return 0;
	}
	if (rr->type == SL_DNS_CNAME)
		return cname_target(w, rr, &target);
	if (rr->class != SL_DNS_CLASS_IN)
		return 0;
	if (rr->type == SL_DNS_A && rr->rdlen != 4)
		return bad(w->why, "A record data is not 4 bytes");
	if (rr->type == SL_DNS_AAAA && rr->rdlen != 16)
		return bad(w->why, "AAAA record data is not 16 bytes");
	return 0;
}

/* Every record of the three sections, then nothing after them. */
static int walk_records(struct walk *w, const uint16_t count[3])
{
	size_t total = (size_t)count[0] + count[1] + count[2];
	struct rr rr;
	int err;

	if (total > (w->len - w->pos) / RR_MIN)
		return bad(w->why, "record counts exceed the message");
	for (int sec = SEC_ANSWER; sec <= SEC_ADDITIONAL; sec++) {
		for (unsigned int i = 0; i < count[sec]; i++) {
			err = read_rr(w, &rr);
			if (!err)
				err = check_rr(w, &rr, (enum section)sec);
			if (err)
				return err;
		}
	}
	if (w->pos != w->len)
		return bad(w->why, "bytes after the last record");
	return 0;
}

static void section_counts(const uint8_t *msg, uint16_t count[3])
{
	for (int i = 0; i < 3; i++)
		count[i] = get16(msg + 6 + 2 * i);
}

/* The question at offset 12; qdcount already checked to be 1. */
static int read_question(struct walk *w, struct wname *n, uint16_t *type,
			 uint16_t *class)
{
	int err;

	w->pos = SL_DNS_HDR_LEN;
	err = read_name(w->msg, w->len, &w->pos, n, w->why);
	if (err)
		return err;
	if (w->len - w->pos < 4)
		return bad(w->why, "question runs past the end");
	*type = get16(w->msg + w->pos);
	*class = get16(w->msg + w->pos + 2);
	w->pos += 4;
	return 0;
}

static int unsupported(struct sl_dns_query *q, int rcode, const char **why,
		       const char *reason)
{
	q->error_rcode = rcode;
	*why = reason;
	return -EOPNOTSUPP;
}

/* Zone transfers, TSIG/TKEY, OPT and other meta types (RFC 6895 128-254). */
static bool qtype_served(uint16_t t)
{
	return t && t != SL_DNS_OPT && (t < 128 || t == 255);
}

static void query_edns(struct sl_dns_query *q, const struct walk *w)
{
	uint16_t udp = w->opt.class;

	q->has_edns = true;
	q->udp_size = udp > SL_DNS_UDP_PLAIN ? udp : SL_DNS_UDP_PLAIN;
	q->edns_version = (uint8_t)(w->opt.ttl >> 16);
	q->edns_do = w->opt.ttl & 0x8000;
}

/* Header, question and q's copy of it; 1 when the name has odd bytes. */
static int query_head(struct walk *w, struct sl_dns_query *q)
{
	struct wname n;
	int err;

	if (w->len < SL_DNS_HDR_LEN)
		return bad(w->why, "shorter than a DNS header");
	q->id = get16(w->msg);
	q->flags = get16(w->msg + 2);
	if (q->flags & SL_DNS_QR)
		return bad(w->why, "a response, not a query");
	if (get16(w->msg + 4) != 1)
		return bad(w->why, "question count is not 1");
	err = read_question(w, &n, &q->qtype, &q->qclass);
	if (err)
		return err;
	memcpy(q->question, n.b, n.len);
	put16(q->question + n.len, q->qtype);
	put16(q->question + n.len + 2, q->qclass);
	q->question_len = n.len + 4;
	return name_pres(&n, q->name) ? 0 : 1;
}

int sl_dns_parse_query(const uint8_t *msg, size_t len, struct sl_dns_query *q,
		       const char **why)
{
	struct walk w = { .msg = msg, .len = len };
	const char *dummy;
	uint16_t count[3];
	int odd, err;

	w.why = why = why ? why : &dummy;
	memset(q, 0, sizeof(*q));
	q->udp_size = SL_DNS_UDP_PLAIN;
	odd = query_head(&w, q);
	if (odd < 0)
		return odd;
	if (SL_DNS_OPCODE(q->flags))
		return unsupported(q, SL_DNS_NOTIMP, why, "opcode is not QUERY");
	section_counts(msg, count);
	if (count[SEC_ANSWER] || count[SEC_AUTHORITY])
		return bad(why, "answer or authority records in a query");
	err = walk_records(&w, count);
	if (err)
		return err;
	if (w.has_opt)
		query_edns(q, &w);
	if (q->edns_version)
		return unsupported(q, SL_DNS_BADVERS, why, "EDNS version is not 0");
	if (odd)
		return unsupported(q, SL_DNS_REFUSED, why,
				   "name has bytes other than letters, digits, '-' and '_'");
	if (q->qclass != SL_DNS_CLASS_IN)
		return unsupported(q, SL_DNS_REFUSED, why, "class is not IN");
	if (!qtype_served(q->qtype))
		return unsupported(q, SL_DNS_REFUSED, why, "zone transfer or meta query type");
	return 0;
}

/* Trailing dot dropped, as policy names and query names are written. */
static size_t name_len(const char *s)
{
	size_t n = strlen(s);

	return n && s[n - 1] == '.' ? n - 1 : n;
}

static bool text_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower((uint8_t)a[i]) != lower((uint8_t)b[i]))
			return false;
	return true;
}

bool sl_dns_name_match(const char *pattern, const char *name)
{
	size_t pl = name_len(pattern), nl = name_len(name), sl;
	const char *suffix;

	if (!pl)
		return false;
	if (pattern[0] != '*' || (pl > 1 && pattern[1] != '.'))
		return pl == nl && text_eq(pattern, name, pl);
	/* "*.github.com": ".github.com" ends the name, one label or more before. */
	if (pl < 3)
		return false;
	suffix = pattern + 1;
	sl = pl - 1;
	return nl > sl && name[0] != '.' && name[nl - sl - 1] != '.' &&
	       text_eq(suffix, name + nl - sl, sl);
}

/* Header, q's question, and an OPT record when q had one. */
static int write_msg(const struct sl_dns_query *q, uint16_t id, uint16_t flags,
		     uint16_t udp_size, int rcode, uint8_t *out, size_t cap,
		     size_t *outlen)
{
	size_t n = SL_DNS_HDR_LEN + q->question_len + (q->has_edns ? OPT_LEN : 0);
	uint8_t *p = out + SL_DNS_HDR_LEN + q->question_len;

	if (rcode < 0 || rcode > 0xfff || (rcode > 0xf && !q->has_edns) ||
	    q->question_len < 5 || q->question_len > sizeof(q->question))
		return -EINVAL;
	if (n > cap)
		return -ENOSPC;
	memset(out, 0, SL_DNS_HDR_LEN);
	put16(out, id);
	put16(out + 2, (uint16_t)(flags | (rcode & 0xf)));
	put16(out + 4, 1);
	put16(out + 10, q->has_edns);
	memcpy(out + SL_DNS_HDR_LEN, q->question, q->question_len);
	if (q->has_edns) {
		p[0] = 0;
		put16(p + 1, SL_DNS_OPT);
		put16(p + 3, udp_size);
		put32(p + 5, (uint32_t)(rcode >> 4) << 24 | (q->edns_do ? 0x8000u : 0));
		put16(p + 9, 0);
	}
	*outlen = n;
	return 0;
}

static uint16_t reply_flags(const struct sl_dns_query *q)
{
	return (uint16_t)(SL_DNS_QR | SL_DNS_RA |
			  (q->flags & (0x7800 | SL_DNS_RD | SL_DNS_CD)));
}

int sl_dns_build_error(const struct sl_dns_query *q, int rcode, uint8_t *out,
		       size_t cap, size_t *outlen)
{
	return write_msg(q, q->id, reply_flags(q), SL_DNS_EDNS_SIZE, rcode, out,
			 cap, outlen);
}

int sl_dns_build_truncated(const struct sl_dns_query *q, uint8_t *out,
			   size_t cap, size_t *outlen)
{
	return write_msg(q, q->id, reply_flags(q) | SL_DNS_TC, SL_DNS_EDNS_SIZE,
			 SL_DNS_NOERROR, out, cap, outlen);
}

int sl_dns_build_query(const struct sl_dns_query *q, uint16_t id, uint8_t *out,
		       size_t cap, size_t *outlen)
{
	uint16_t udp = q->udp_size < SL_DNS_EDNS_SIZE ? q->udp_size : SL_DNS_EDNS_SIZE;

	return write_msg(q, id, q->flags & (SL_DNS_RD | SL_DNS_AD | SL_DNS_CD),
			 udp, SL_DNS_NOERROR, out, cap, outlen);
}

/* q's name back in wire form. */
static void query_wname(const struct sl_dns_query *q, struct wname *n)
{
	n->len = q->question_len > 4 && q->question_len <= sizeof(q->question) ?
		 q->question_len - 4 : 0;
	memcpy(n->b, q->question, n->len);
}

/*
 * Header and question of an answer to q sent with id; w->pos ends past the
 * question.  -ENOMSG when it answers something else.
 */
static int answer_head(struct walk *w, const struct sl_dns_query *q, uint16_t id)
{
	uint16_t flags, type, class;
	struct wname n, want;
	int err;

	if (w->len < SL_DNS_HDR_LEN)
		return bad(w->why, "shorter than a DNS header");
	flags = get16(w->msg + 2);
	if (get16(w->msg) != id)
		return other(w->why, "id does not match");
	if (!(flags & SL_DNS_QR) || SL_DNS_OPCODE(flags))
		return other(w->why, "not a response to a standard query");
	if (get16(w->msg + 4) != 1)
		return other(w->why, "question count is not 1");
	err = read_question(w, &n, &type, &class);
	if (err)
		return err;
	query_wname(q, &want);
	if (!name_eq(&n, &want) || type != q->qtype || class != q->qclass)
		return other(w->why, "question does not match");
	return 0;
}

/* Chain names[0] is the query name; ttl[i] is the least TTL on the way to i. */
struct chain {
	size_t n;
	struct wname names[SL_DNS_MAX_CNAMES + 1];
	uint32_t ttl[SL_DNS_MAX_CNAMES + 1];
};

/* The answer section again, record by record: 1 with *rr, 0 past its end. */
static int next_answer(struct walk *w, unsigned int *left, struct rr *rr)
{
	int err;

	if (!*left)
		return 0;
	(*left)--;
	err = read_rr(w, rr);
	return err ? err : 1;
}

/* The first IN CNAME in the answer section owned by owner: 1, 0 if none. */
static int find_cname(struct walk *w, size_t start, uint16_t an,
		      const struct wname *owner, struct wname *target, uint32_t *ttl)
{
	unsigned int left = an;
	struct rr rr;
	int err;

	w->pos = start;
	while ((err = next_answer(w, &left, &rr)) > 0) {
		if (rr.type != SL_DNS_CNAME || rr.class != SL_DNS_CLASS_IN ||
		    !name_eq(&rr.owner, owner))
			continue;
		*ttl = rr_ttl(&rr);
		err = cname_target(w, &rr, target);
		return err ? err : 1;
	}
	return err;
}

static int follow_cnames(struct walk *w, size_t start, uint16_t an,
			 struct chain *c, struct sl_dns_answer *a)
{
	struct wname next;
	uint32_t ttl;
	int err;

	for (;;) {
		err = find_cname(w, start, an, &c->names[c->n - 1], &next, &ttl);
		if (err <= 0)
			return err;
		for (size_t i = 0; i < c->n; i++)
			if (name_eq(&next, &c->names[i]))
				return bad(w->why, "CNAME loop");
		if (c->n == SL_DNS_MAX_CNAMES + 1)
			return bad(w->why, "CNAME chain longer than 16");
		if (!name_pres(&next, a->cnames[a->n_cnames++]))
			return bad(w->why, "CNAME name has bytes other than "
				   "letters, digits, '-' and '_'");
		c->names[c->n] = next;
		c->ttl[c->n] = min_ttl(ttl, c->ttl[c->n - 1]);
		c->n++;
	}
}

static void add_addr(struct sl_dns_answer *a, const uint8_t addr[16], uint32_t ttl)
{
	for (size_t i = 0; i < a->n_addrs; i++) {
		if (memcmp(a->addrs[i].addr, addr, 16))
			continue;
		if (ttl < a->addrs[i].ttl)
			a->addrs[i].ttl = ttl;
		return;
	}
	if (a->n_addrs == SL_DNS_MAX_ADDRS) {
		a->addrs_dropped++;
		return;
	}
	memcpy(a->addrs[a->n_addrs].addr, addr, 16);
	a->addrs[a->n_addrs++].ttl = ttl;
}

/* An IN A or AAAA record's address, IPv4-mapped; false for anything else. */
static bool rr_addr(const struct walk *w, const struct rr *rr, uint8_t addr[16])
{
	static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (rr->class != SL_DNS_CLASS_IN)
		return false;
	if (rr->type == SL_DNS_A && rr->rdlen == 4) {
		memcpy(addr, v4_mapped, sizeof(v4_mapped));
		memcpy(addr + 12, w->msg + rr->rdata, 4);
		return true;
	}
	if (rr->type == SL_DNS_AAAA && rr->rdlen == 16) {
		memcpy(addr, w->msg + rr->rdata, 16);
		return true;
	}
	return false;
}

/* IN A and AAAA records in the answer section owned by a chain name. */
static int collect_addrs(struct walk *w, size_t start, uint16_t an,
			 const struct chain *c, struct sl_dns_answer *a)
{
	unsigned int left = an;
	uint8_t addr[16];
	struct rr rr;
	int err;

	w->pos = start;
	while ((err = next_answer(w, &left, &rr)) > 0) {
		if (!rr_addr(w, &rr, addr))
			continue;
		for (size_t k = 0; k < c->n; k++) {
			if (name_eq(&rr.owner, &c->names[k])) {
				add_addr(a, addr, min_ttl(rr_ttl(&rr), c->ttl[k]));
				break;
			}
		}
	}
	return err;
}

int sl_dns_parse_answer(const uint8_t *msg, size_t len,
			const struct sl_dns_query *q, uint16_t id,
			struct sl_dns_answer *a, const char **why)
{
	struct walk w = { .msg = msg, .len = len };
	struct chain c = { .n = 1, .ttl = { TTL_MAX } };
	uint16_t count[3];
	const char *dummy;
	size_t start;
	int err;

	w.why = why ? why : &dummy;
	memset(a, 0, sizeof(*a));
	err = answer_head(&w, q, id);
	if (err)
		return err;
	a->rcode = SL_DNS_RCODE(get16(msg + 2));
	a->truncated = get16(msg + 2) & SL_DNS_TC;
	if (a->truncated)
		return 0;
	start = w.pos;
	section_counts(msg, count);
	err = walk_records(&w, count);
	if (err)
		return err;
	query_wname(q, &c.names[0]);
	err = follow_cnames(&w, start, count[SEC_ANSWER], &c, a);
	if (!err)
		err = collect_addrs(&w, start, count[SEC_ANSWER], &c, a);
	if (err)
		memset(a, 0, sizeof(*a));
	return err;
}

/*
 * Past the name at *pos without following its pointers: they may lead back
 * into TTLs already rewritten.  Only bytes from *pos on are read.
 */
static int skip_name(const uint8_t *msg, size_t len, size_t *pos)
{
	size_t p = *pos;

	while (p < len && msg[p] && !(msg[p] & PTR_MASK))
		p += 1 + (size_t)msg[p];
	if (p >= len || (msg[p] & PTR_MASK) == 0x40 || (msg[p] & PTR_MASK) == 0x80)
		return -EBADMSG;
	p += msg[p] ? 2 : 1;
	if (p > len)
		return -EBADMSG;
	*pos = p;
	return 0;
}

/* Every TTL but an OPT's capped; the walk does not depend on what it writes. */
static int cap_ttls(uint8_t *msg, size_t len, size_t pos, uint32_t cap)
{
	unsigned int total = (unsigned int)get16(msg + 6) + get16(msg + 8) + get16(msg + 10);
	uint32_t ttl;

	for (unsigned int i = 0; i < total; i++) {
		if (skip_name(msg, len, &pos) || len - pos < RR_FIXED ||
		    get16(msg + pos + 8) > len - pos - RR_FIXED)
			return -EBADMSG;
		ttl = get32(msg + pos + 4);
		ttl = ttl > TTL_MAX ? 0 : ttl;
		if (get16(msg + pos) != SL_DNS_OPT)
			put32(msg + pos + 4, min_ttl(ttl, cap));
		pos += RR_FIXED + get16(msg + pos + 8);
	}
	return pos == len ? 0 : -EBADMSG;
}

/* b is a with every TTL capped: nothing else changed. */
static bool same_capped(const struct sl_dns_answer *a, const struct sl_dns_answer *b,
			uint32_t cap)
{
	if (a->rcode != b->rcode || a->truncated != b->truncated ||
	    a->n_addrs != b->n_addrs || a->addrs_dropped != b->addrs_dropped ||
	    a->n_cnames != b->n_cnames)
		return false;
	for (size_t i = 0; i < a->n_addrs; i++)
		if (memcmp(a->addrs[i].addr, b->addrs[i].addr, 16) ||
		    b->addrs[i].ttl != min_ttl(a->addrs[i].ttl, cap))
			return false;
	for (size_t i = 0; i < a->n_cnames; i++)
		if (strcmp(a->cnames[i], b->cnames[i]))
			return false;
	return true;
}

int sl_dns_finish_reply(uint8_t *msg, size_t len, const struct sl_dns_query *q,
			const struct sl_dns_answer *a, uint32_t ttl_cap)
{
	struct walk w = { .msg = msg, .len = len };
	struct sl_dns_answer again;
	const char *why;

	w.why = &why;
	if (a->truncated || answer_head(&w, q, len >= 2 ? get16(msg) : 0))
		return -EBADMSG;
	put16(msg, q->id);
	/* A question name cannot be compressed: same length as q's, in place. */
	memcpy(msg + SL_DNS_HDR_LEN, q->question, q->question_len);
	if (cap_ttls(msg, len, w.pos, ttl_cap))
		return -EBADMSG;
	/* A pointer into a TTL would change a name: the agent must see what was installed. */
	if (sl_dns_parse_answer(msg, len, q, q->id, &again, NULL) ||
	    !same_capped(a, &again, ttl_cap))
		return -EBADMSG;
	return 0;
}

int sl_dns_tcp_prefix(size_t len, uint8_t out[2])
{
	if (!len || len > SL_DNS_MSG_MAX)
		return -EMSGSIZE;
	put16(out, (uint16_t)len);
	return 0;
}

void sl_dns_stream_reset(struct sl_dns_stream *s)
{
	s->have = 0;
}

/* The frame's full size once its prefix is in. */
static size_t stream_want(const struct sl_dns_stream *s)
{
	return s->have < 2 ? 2 : 2 + (size_t)get16(s->buf);
}

size_t sl_dns_stream_room(struct sl_dns_stream *s, uint8_t **dst)
{
	*dst = s->buf + s->have;
	return stream_want(s) - s->have;
}

int sl_dns_stream_fill(struct sl_dns_stream *s, size_t n)
{
	if (n > stream_want(s) - s->have)
		return -EINVAL;
	s->have += n;
	if (s->have < 2)
		return 0;
	if (!get16(s->buf))
		return -EBADMSG;
	return s->have == stream_want(s);
}

const uint8_t *sl_dns_stream_msg(const struct sl_dns_stream *s, size_t *len)
{
	if (s->have < 2 || s->have != stream_want(s)) {
		*len = 0;
		return NULL;
	}
	*len = get16(s->buf);
	return s->buf + 2;
}
