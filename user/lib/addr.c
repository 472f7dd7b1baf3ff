// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool sl_addr_is_v4(const uint8_t addr[16])
{
	return memcmp(addr, v4_mapped, sizeof(v4_mapped)) == 0;
}

void sl_prefix_v4_all(struct sl_prefix *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->addr, v4_mapped, sizeof(v4_mapped));
	p->len = SL_V4_PREFIX_BITS;
}

bool sl_prefix_is_v4(const struct sl_prefix *p)
{
	return p->len >= SL_V4_PREFIX_BITS && sl_addr_is_v4(p->addr);
}

int sl_addr_parse(const char *s, uint8_t addr[16])
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memcpy(addr, v4_mapped, sizeof(v4_mapped));
		memcpy(addr + 12, &a4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1)
		return 0;
	return -EINVAL;
}

static bool host_bits_zero(const uint8_t addr[16], unsigned int len)
{
	for (unsigned int bit = len; bit < 128; bit++)
		if (addr[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

int sl_prefix_parse(const char *s, struct sl_prefix *p, const char **why)
{
	char buf[SL_ADDRSTRLEN], *slash, *end;
	const char *dummy;
	unsigned long len;
	bool v4;

	why = why ? why : &dummy;
	*why = "not an IPv4 or IPv6 address or prefix";
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (sl_addr_parse(buf, p->addr))
		return -EINVAL;
	v4 = strchr(buf, ':') == NULL;
	len = v4 ? 32 : 128;
	if (slash) {
		/* Digits only: strtoul alone would take " 8", "+8" and "-0". */
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (!slash[1] || slash[1 + strspn(slash + 1, "0123456789")] || *end ||
		    errno || len > (v4 ? 32u : 128u)) {
			*why = v4 ? "prefix length must be 0-32" : "prefix length must be 0-128";
			return -EINVAL;
		}
	}
	p->len = v4 ? SL_V4_PREFIX_BITS + len : len;
	if (!host_bits_zero(p->addr, p->len)) {
		*why = "host bits are set below the prefix length";
		return -EINVAL;
	}
	return 0;
}

void sl_addr_format(const uint8_t addr[16], char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];

	if (sl_addr_is_v4(addr))
		inet_ntop(AF_INET, addr + 12, tmp, sizeof(tmp));
	else
		inet_ntop(AF_INET6, addr, tmp, sizeof(tmp));
	snprintf(buf, len, "%s", tmp);
}

void sl_prefix_format(const struct sl_prefix *p, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];

	if (sl_prefix_is_v4(p)) {
		inet_ntop(AF_INET, p->addr + 12, tmp, sizeof(tmp));
		snprintf(buf, len, "%s/%u", tmp, p->len - SL_V4_PREFIX_BITS);
	} else {
		inet_ntop(AF_INET6, p->addr, tmp, sizeof(tmp));
		snprintf(buf, len, "%s/%u", tmp, p->len);
	}
}

bool sl_prefix_contains(const struct sl_prefix *a, const struct sl_prefix *b)
{
	unsigned int full = a->len / 8, rest = a->len % 8;

	if (a->len > b->len)
		return false;
	if (memcmp(a->addr, b->addr, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((a->addr[full] ^ b->addr[full]) & mask)
			return false;
	}
	return true;
}

int sl_prefix_cmp(const struct sl_prefix *a, const struct sl_prefix *b)
{
	int c = memcmp(a->addr, b->addr, 16);

	if (c)
		return c;
	return (int)a->len - (int)b->len;
}

int sl_hostport_parse(const char *s, uint8_t addr[16], uint16_t *port)
{
	char buf[SL_ADDRSTRLEN], *colon, *end, *host = buf;
	unsigned long p;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	if (buf[0] == '[') {
		host = buf + 1;
		colon = strchr(host, ']');
		if (!colon || colon[1] != ':')
			return -EINVAL;
		*colon++ = '\0';
	} else {
		colon = strrchr(buf, ':');
		if (!colon || strchr(buf, ':') != colon)
			return -EINVAL;	/* bare IPv6 needs brackets */
		*colon = '\0';
	}
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (!colon[1] || colon[1 + strspn(colon + 1, "0123456789")] || *end ||
	    errno || p > 65535)
		return -EINVAL;
	*port = (uint16_t)p;
	return sl_addr_parse(host, addr);
}

static int parse_port(const char *s, const char *stop, uint16_t *out)
{
	unsigned long v = 0;

	if (s == stop || stop - s > 5)
		return -EINVAL;
	for (const char *c = s; c < stop; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v < 1 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int sl_port_range_parse(const char *s, uint16_t *lo, uint16_t *hi)
{
	const char *dash = strchr(s, '-'), *end = s + strlen(s);

	if (!dash) {
		if (parse_port(s, end, lo))
			return -EINVAL;
		*hi = *lo;
		return 0;
	}
	if (parse_port(s, dash, lo) || parse_port(dash + 1, end, hi) || *lo > *hi)
		return -EINVAL;
	return 0;
}

int sl_duration_parse(const char *s, uint64_t *ns)
{
	static const struct { const char *unit; uint64_t ns; } units[] = {
		{ "ms", 1000000ull }, { "s", 1000000000ull }, { "m", 60000000000ull },
		{ "h", 3600000000000ull }, { "d", 86400000000000ull },
	};
	uint64_t total = 0;
	const char *c = s;

	if (!*s)
		return -EINVAL;
	while (*c) {
		uint64_t v = 0;
		size_t i, ulen = 0;

		if (*c < '0' || *c > '9')
			return -EINVAL;
		while (*c >= '0' && *c <= '9') {
			uint64_t digit = (uint64_t)(*c++ - '0');

			if (v > (UINT64_MAX - digit) / 10)
				return -ERANGE;
			v = v * 10 + digit;
		}
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			ulen = strlen(units[i].unit);
			if (!strncmp(c, units[i].unit, ulen) &&
			    !(c[ulen] >= 'a' && c[ulen] <= 'z'))
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		if (v > (UINT64_MAX - total) / units[i].ns)
			return -ERANGE;
		total += v * units[i].ns;
		c += ulen;
	}
	if (!total)
		return -EINVAL;
	*ns = total;
	return 0;
}

void sl_duration_format(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / 1000000000ull;
	size_t off = 0;

	if (s == 0) {
		snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000ull));
		return;
	}
	buf[0] = '\0';
	if (s >= 86400)
		off += (size_t)snprintf(buf + off, len - off, "%llud", (unsigned long long)(s / 86400));
	if (off < len && s % 86400 >= 3600)
		off += (size_t)snprintf(buf + off, len - off, "%lluh", (unsigned long long)(s % 86400 / 3600));
	if (off < len && s % 3600 >= 60)
		off += (size_t)snprintf(buf + off, len - off, "%llum", (unsigned long long)(s % 3600 / 60));
	if (off < len && (s % 60 || off == 0))
		snprintf(buf + off, len - off, "%llus", (unsigned long long)(s % 60));
}

int sl_proto_parse(const char *s)
{
	if (!strcmp(s, "tcp"))
		return 6;
	if (!strcmp(s, "udp"))
		return 17;
	if (!strcmp(s, "any"))
		return 0;
	return -EINVAL;
}

const char *sl_proto_name(int proto)
{
	switch (proto) {
	case 6: return "tcp";
	case 17: return "udp";
	case 0: return "any";
	default: return "other";
	}
}
