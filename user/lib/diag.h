/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Diagnostics for operator input: a list of "file:line:col: message" lines,
 * collected so that one run reports every error, not only the first.
 */
#ifndef SLUICE_DIAG_H
#define SLUICE_DIAG_H

#include <stddef.h>
#include <stdio.h>

/* Where something was written: file name (not owned), 1-based line and column. */
struct sl_loc {
	const char *file;
	int line;
	int col;
};

struct sl_diag {
	char **msg;
	size_t n;
	size_t cap;
};

#define SL_DIAG_MAX 100	/* more than this and the rest are summarised */

void sl_diag_init(struct sl_diag *d);
/* Adds "file:line:col: message" (or "file: message" when line is 0). */
void sl_diag_add(struct sl_diag *d, const struct sl_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sl_diag_print(const struct sl_diag *d, FILE *f);
void sl_diag_free(struct sl_diag *d);

#endif
