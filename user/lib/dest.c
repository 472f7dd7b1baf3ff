// SPDX-License-Identifier: GPL-2.0-only
/*
 * Destinations as operators write them, in a policy's `to:` or on the
 * command line (sluicectl grant --to): an address or prefix, or a DNS name
 * or wildcard.  The syntax of names is checked here, once for both.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"

#define MAX_LABEL	63
#define MAX_DNS_NAME	253

/*
 * A DNS label: 1-63 of [a-z0-9-], no '-' at either end.  Called on lower
 * case text.  NULL, or why not.
 */
static const char *label_why(const char *l, size_t n)
{
	if (!n)
		return "empty label";
	if (n > MAX_LABEL)
		return "label longer than 63 characters";
	for (size_t i = 0; i < n; i++) {
		if (l[i] == '*')
			return "\"*\" is only allowed as the whole first label, as in \"*.example.com\"";
		if (!((l[i] >= 'a' && l[i] <= 'z') || (l[i] >= '0' && l[i] <= '9') ||
		      l[i] == '-'))
			return "only letters, digits, \"-\" and \".\" are allowed";
	}
	if (l[0] == '-' || l[n - 1] == '-')
		return "a label starts or ends with \"-\"";
	return NULL;
}

/* A lower-case name without its trailing dot; "*." may lead two labels. */
static const char *dns_name_why(const char *s)
{
	const char *wild_why = "a wildcard needs at least two labels after \"*.\"";
	bool wild = !strncmp(s, "*.", 2);
	const char *l = wild ? s + 2 : s, *why;
	int labels = 0;

	if (!*s)
		return "empty";
	if (!strcmp(s, "*"))
		return wild_why;
	if (strlen(s) > MAX_DNS_NAME)
		return "longer than 253 characters";
	for (;;) {
		size_t n = strcspn(l, ".");

		why = label_why(l, n);
		if (why)
			return why;
		labels++;
		if (!l[n])
			break;
		l += n + 1;
	}
	return wild && labels < 2 ? wild_why : NULL;
}

/* Lower-cased, one trailing dot dropped, checked. 0, -EINVAL (why), -ENOMEM. */
static int dns_name(const char *s, char **out, const char **why)
{
	size_t len = strlen(s);
	char *name;

	*why = "longer than 253 characters";
	if (len > MAX_DNS_NAME + 1)
		return -EINVAL;
	name = strdup(s);
	if (!name)
		return -ENOMEM;
	for (char *p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (len && name[len - 1] == '.')
		name[len - 1] = '\0';
	*why = dns_name_why(name);
	if (*why) {
		free(name);
		return -EINVAL;
	}
	*out = name;
	return 0;
}

/* Digits, dots and a slash, or any ':': meant as an address, not a name. */
static bool looks_like_addr(const char *s)
{
	return strchr(s, ':') || !s[strspn(s, "0123456789./")];
}

/* "10.1.2.3/8" -> "10.0.0.0/8": the prefix meant when host bits are set. */
bool sl_cidr_masked(const char *s, char *out, size_t len)
{
	const char *slash = strchr(s, '/');
	char addr[SL_ADDRSTRLEN], *end;
	struct sl_prefix p;
	unsigned long n;
	bool v4;

	if (!slash || (size_t)(slash - s) >= sizeof(addr) ||
	    slash[1] < '0' || slash[1] > '9')
		return false;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	v4 = !strchr(addr, ':');
	n = strtoul(slash + 1, &end, 10);
	if (sl_addr_parse(addr, p.addr) || *end || n > (v4 ? 32u : 128u))
		return false;
	p.len = (uint8_t)(v4 ? SL_V4_PREFIX_BITS + n : n);
	for (unsigned int bit = p.len; bit < 128; bit++)
		p.addr[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
	sl_prefix_format(&p, out, len);
	return true;
}

/*
 * One destination by the rules of `to:`: an address or prefix, else a DNS
 * name or wildcard.  d->name is allocated.  0, -EINVAL with *why set, or
 * -ENOMEM.
 */
int sl_dest_parse(const char *s, struct sl_dest *d, const char **why)
{
	memset(d, 0, sizeof(*d));
	if (*s && looks_like_addr(s)) {
		d->kind = SL_DEST_CIDR;
		return sl_prefix_parse(s, &d->pfx, why);
	}
	d->kind = SL_DEST_NAME;
	return dns_name(s, &d->name, why);
}
