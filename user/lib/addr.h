/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Addresses, prefixes, ports and durations as operators write them.
 * Every address is 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) and
 * an IPv4 /n prefix is an IPv6 /(96+n), as in the kernel maps.
 */
#ifndef SLUICE_ADDR_H
#define SLUICE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_V4_PREFIX_BITS 96
/* Room for any prefix or address as text, with "/128" and a port. */
#define SL_ADDRSTRLEN 64

struct sl_prefix {
	uint8_t addr[16];
	uint8_t len;		/* 0..128 */
};

bool sl_addr_is_v4(const uint8_t addr[16]);
/* The IPv4-mapped range ::ffff:0:0/96 as a prefix. */
void sl_prefix_v4_all(struct sl_prefix *p);
bool sl_prefix_is_v4(const struct sl_prefix *p);

/*
 * "10.0.0.0/8", "10.1.2.3" (a /32), "2001:db8::/32", "::1",
 * "::ffff:10.0.0.0/104" (the same as 10.0.0.0/8).  Host bits below the
 * prefix length must be zero.  Returns 0 or -EINVAL; *why (may be NULL)
 * gets a static explanation.
 */
int sl_prefix_parse(const char *s, struct sl_prefix *p, const char **why);
/* IPv4-mapped prefixes of length >= 96 print as IPv4. */
void sl_prefix_format(const struct sl_prefix *p, char *buf, size_t len);
/* An address alone (no length); IPv4 as dotted quad. */
void sl_addr_format(const uint8_t addr[16], char *buf, size_t len);
int sl_addr_parse(const char *s, uint8_t addr[16]);
/* Does a contain b (b's prefix inside a's)? */
bool sl_prefix_contains(const struct sl_prefix *a, const struct sl_prefix *b);
/* Order by address, then shorter first: a parent sorts before its children. */
int sl_prefix_cmp(const struct sl_prefix *a, const struct sl_prefix *b);

/* "1.2.3.4:80", "[2001:db8::1]:443"; port 0-65535. */
int sl_hostport_parse(const char *s, uint8_t addr[16], uint16_t *port);

/* "443" or "8000-8100", 1..65535 and lo <= hi; returns 0 or -EINVAL. */
int sl_port_range_parse(const char *s, uint16_t *lo, uint16_t *hi);

/* "30s", "10m", "2h", "1d", "1h30m", "500ms"; > 0; to nanoseconds. */
int sl_duration_parse(const char *s, uint64_t *ns);
/* 90 s -> "1m30s" */
void sl_duration_format(uint64_t ns, char *buf, size_t len);

/* "tcp" | "udp" | "any" -> 6 | 17 | 0; -EINVAL otherwise. */
int sl_proto_parse(const char *s);
const char *sl_proto_name(int proto);

#endif
