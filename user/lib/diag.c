// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diag.h"

void sl_diag_init(struct sl_diag *d)
{
	memset(d, 0, sizeof(*d));
}

static void diag_push(struct sl_diag *d, char *s)
{
	char **m;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;

		m = realloc(d->msg, cap * sizeof(*m));
		if (!m) {
			free(s);
			return;
		}
		d->msg = m;
		d->cap = cap;
	}
	d->msg[d->n++] = s;
}

void sl_diag_add(struct sl_diag *d, const struct sl_loc *loc, const char *fmt, ...)
{
	char body[512], *s = NULL;
	va_list ap;
	int r;

	if (d->n > SL_DIAG_MAX)
		return;
	if (d->n == SL_DIAG_MAX) {
		s = strdup("too many errors; stopped reporting");
		if (s)
			diag_push(d, s);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (loc && loc->file && loc->line > 0)
		r = asprintf(&s, "%s:%d:%d: %s", loc->file, loc->line, loc->col, body);
	else if (loc && loc->file)
		r = asprintf(&s, "%s: %s", loc->file, body);
	else
		r = asprintf(&s, "%s", body);
	if (r >= 0)
		diag_push(d, s);
}

void sl_diag_print(const struct sl_diag *d, FILE *f)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(f, "%s\n", d->msg[i]);
}

void sl_diag_free(struct sl_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msg[i]);
	free(d->msg);
	sl_diag_init(d);
}
