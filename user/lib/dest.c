// SPDX-License-Identifier: GPL-2.0-only
/* TEMPORARY: sl_dest_parse until policy.c exports its own (same rules). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"

int sl_dest_parse(const char *s, struct sl_dest *d, const char **why)
{
	size_t len = strlen(s);

	memset(d, 0, sizeof(*d));
	if (strchr(s, ':') || !s[strspn(s, "0123456789./")]) {
		d->kind = SL_DEST_CIDR;
		return sl_prefix_parse(s, &d->pfx, why);
	}
	d->kind = SL_DEST_NAME;
	if (!len || len > 254) {
		*why = "not a DNS name";
		return -EINVAL;
	}
	d->name = strdup(s);
	if (!d->name)
		return -ENOMEM;
	for (char *p = d->name; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '.' || (*p == '*' && p == d->name))) {
			*why = "only letters, digits, \"-\" and \".\" are allowed";
			free(d->name);
			d->name = NULL;
			return -EINVAL;
		}
	}
	if (d->name[len - 1] == '.')
		d->name[len - 1] = '\0';
	return 0;
}
