/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DNS messages (RFC 1035 wire format) for the resolver proxy: parse an
 * agent's query, build the upstream query and the proxy's own replies, parse
 * the upstream answer into the addresses to install, and finish the answer
 * for the agent.  Pure: no I/O, no allocation, every read length-checked.
 * It runs on hostile bytes in a root daemon; docs/dns.md says what is
 * accepted and why.
 *
 * The proxy's path through it:
 *   sl_dns_parse_query      0: serve; -EOPNOTSUPP: reply q.error_rcode;
 *                           -EBADMSG: drop (with an event)
 *   sl_dns_name_match       policy patterns against q.name
 *   sl_dns_build_error      REFUSED / NXDOMAIN / SERVFAIL / NOTIMP replies
 *   sl_dns_build_query      the query sent upstream (UDP, or TCP after TC)
 *   sl_dns_parse_answer     0: finish, install a.addrs, release;
 *                           -ENOMSG: not our answer (keep waiting);
 *                           -EBADMSG: SERVFAIL
 *   sl_dns_finish_reply     agent's id and question case, TTLs capped
 *   sl_dns_build_truncated  when the answer exceeds the agent's UDP size
 */
#ifndef SLUICE_DNS_H
#define SLUICE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_DNS_HDR_LEN		12
#define SL_DNS_NAME_MAX		253	/* presentation, no trailing dot */
#define SL_DNS_WIRE_MAX		255	/* a name on the wire, root label included */
#define SL_DNS_MSG_MAX		65535	/* TCP length prefix limit */
#define SL_DNS_UDP_PLAIN	512	/* UDP payload without EDNS */
#define SL_DNS_EDNS_SIZE	1232	/* most the proxy asks upstream for over UDP */
#define SL_DNS_MAX_ADDRS	64	/* addresses kept from one answer */
#define SL_DNS_MAX_CNAMES	16	/* CNAME chain length followed */
#define SL_DNS_MAX_HOPS		32	/* compression pointers in one name */

enum sl_dns_rcode {
	SL_DNS_NOERROR	= 0,
	SL_DNS_FORMERR	= 1,
	SL_DNS_SERVFAIL	= 2,
	SL_DNS_NXDOMAIN	= 3,
	SL_DNS_NOTIMP	= 4,
	SL_DNS_REFUSED	= 5,
	SL_DNS_BADVERS	= 16,	/* extended: needs an OPT record */
};

enum sl_dns_type {
	SL_DNS_A	= 1,
	SL_DNS_CNAME	= 5,
	SL_DNS_AAAA	= 28,
	SL_DNS_OPT	= 41,
};

#define SL_DNS_CLASS_IN	1

/* Header flag bits (the 16-bit word after the id). */
#define SL_DNS_QR	0x8000
#define SL_DNS_AA	0x0400
#define SL_DNS_TC	0x0200
#define SL_DNS_RD	0x0100
#define SL_DNS_RA	0x0080
#define SL_DNS_AD	0x0020
#define SL_DNS_CD	0x0010
#define SL_DNS_OPCODE(flags)	(((flags) >> 11) & 0xf)
#define SL_DNS_RCODE(flags)	((flags) & 0xf)

/*
 * An agent's query: exactly one question.  name is lower case without the
 * trailing dot ("" for the root), only [a-z0-9_-] labels, so a policy
 * pattern can never be fooled by a dot or a control byte inside a label.
 * question holds the question as the agent sent it (original case; a query
 * name cannot be compressed), copied into every message built for it.
 */
struct sl_dns_query {
	uint16_t id;
	uint16_t flags;			/* as received */
	uint16_t qtype;
	uint16_t qclass;
	char name[SL_DNS_NAME_MAX + 1];
	uint8_t question[SL_DNS_WIRE_MAX + 4];	/* name, type, class */
	size_t question_len;
	bool has_edns;			/* an OPT record came with it */
	bool edns_do;			/* DNSSEC OK bit of that OPT */
	uint8_t edns_version;
	uint16_t udp_size;		/* largest UDP reply it takes (>= 512) */
	int error_rcode;		/* with -EOPNOTSUPP: the reply's rcode */
};

/*
 * 0: a query to serve.  -EOPNOTSUPP: a well-formed query that is not served
 * (opcode other than QUERY, class other than IN, zone transfer or meta type,
 * EDNS version above 0, a name byte outside [A-Za-z0-9_-]); q is filled as
 * far as needed for sl_dns_build_error(q, q->error_rcode, ...), and q->name
 * shows an unsupported byte as '?'.  -EBADMSG: malformed; drop it.
 * *why (may be NULL) gets a short static reason in both error cases.
 */
int sl_dns_parse_query(const uint8_t *msg, size_t len, struct sl_dns_query *q,
		       const char **why);

/*
 * Policy matching, ASCII case-insensitive, one trailing dot ignored on
 * either side.  "api.github.com" matches only itself; "*.github.com"
 * matches any name at least one label below github.com ("a.github.com",
 * "a.b.github.com"), never "github.com" itself nor "evilgithub.com".
 * An empty pattern or a bare "*" matches nothing.
 */
bool sl_dns_name_match(const char *pattern, const char *name);

/*
 * The proxy's reply to q with no records: the question echoed, an OPT record
 * if the query had one, RA set, RD and CD copied.  rcode 0-15, or up to 4095
 * (BADVERS) when q has EDNS.  Returns 0, -EINVAL (rcode) or -ENOSPC (cap).
 */
int sl_dns_build_error(const struct sl_dns_query *q, int rcode, uint8_t *out,
		       size_t cap, size_t *outlen);
/* The same with TC set and NOERROR: "ask again over TCP". */
int sl_dns_build_truncated(const struct sl_dns_query *q, uint8_t *out,
			   size_t cap, size_t *outlen);

/*
 * The query forwarded upstream: id, RD/AD/CD as the agent set them, its
 * question, and an OPT record (no options, its DO bit, UDP size at most
 * SL_DNS_EDNS_SIZE) only if the agent sent one, so the answer never carries
 * an OPT the agent did not ask for.  Nothing else of the agent's packet goes
 * upstream.  0 or -ENOSPC.
 */
int sl_dns_build_query(const struct sl_dns_query *q, uint16_t id, uint8_t *out,
		       size_t cap, size_t *outlen);

/* One address to install: IPv4 as ::ffff:a.b.c.d. */
struct sl_dns_addr {
	uint8_t addr[16];
	uint32_t ttl;		/* min of its record's TTL and the CNAMEs to it */
};

/*
 * What an upstream answer says about q.  Only the answer section counts,
 * class IN: the CNAME chain from q's name (in any record order), and every
 * A/AAAA owned by a name on that chain.  Duplicate addresses are kept once
 * with the smaller TTL; past SL_DNS_MAX_ADDRS they are counted in
 * addrs_dropped.  With truncated set nothing past the question is read:
 * ask again over TCP.
 */
struct sl_dns_answer {
	int rcode;			/* header rcode, 0-15 */
	bool truncated;
	size_t n_addrs;
	size_t addrs_dropped;
	struct sl_dns_addr addrs[SL_DNS_MAX_ADDRS];
	size_t n_cnames;
	char cnames[SL_DNS_MAX_CNAMES][SL_DNS_NAME_MAX + 1];	/* in chain order */
};

/*
 * Parse msg as the upstream answer to q sent with id.  0: a; -ENOMSG: not
 * an answer to that query (id, QR, opcode or question differ); -EBADMSG:
 * malformed, a CNAME loop or chain longer than SL_DNS_MAX_CNAMES, or a
 * chain name with bytes outside [A-Za-z0-9_-].  *why as for queries.
 */
int sl_dns_parse_answer(const uint8_t *msg, size_t len,
			const struct sl_dns_query *q, uint16_t id,
			struct sl_dns_answer *a, const char **why);

/*
 * Make the answer a (from sl_dns_parse_answer, not truncated) fit for the
 * agent, in place: the agent's id, its question's letter case (0x20 stubs
 * check it), every TTL at most ttl_cap so the agent does not cache an
 * address past its kernel rule; OPT records keep their flags.  The result is
 * parsed again and must say exactly a with TTLs capped (a compression
 * pointer into a TTL would change a name).  0, or -EBADMSG and msg is
 * spoilt: reply SERVFAIL.  Call it before installing a's addresses, so a
 * failure installs nothing.
 */
int sl_dns_finish_reply(uint8_t *msg, size_t len, const struct sl_dns_query *q,
			const struct sl_dns_answer *a, uint32_t ttl_cap);

/*
 * DNS over TCP: each message behind a 2-byte big-endian length.
 * sl_dns_tcp_prefix writes it; 0 or -EMSGSIZE (0 or > 65535 bytes).
 */
int sl_dns_tcp_prefix(size_t len, uint8_t out[2]);

/*
 * Reassembly of one framed message from a stream without reading past it:
 * read at most sl_dns_stream_room() bytes into *dst, then report them with
 * sl_dns_stream_fill(): 1 when a whole message is in (sl_dns_stream_msg),
 * 0 for more, -EBADMSG for a zero length.  sl_dns_stream_reset() before
 * the next message.
 */
struct sl_dns_stream {
	size_t have;			/* bytes of this frame, prefix included */
	uint8_t buf[2 + SL_DNS_MSG_MAX];
};

void sl_dns_stream_reset(struct sl_dns_stream *s);
size_t sl_dns_stream_room(struct sl_dns_stream *s, uint8_t **dst);
int sl_dns_stream_fill(struct sl_dns_stream *s, size_t n);
const uint8_t *sl_dns_stream_msg(const struct sl_dns_stream *s, size_t *len);

#endif
