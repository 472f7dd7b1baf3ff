// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "log.h"

static const char *log_prog = "sluice";
static enum sl_log_level log_max = SL_LOG_INFO;

void sl_log_init(const char *prog, enum sl_log_level max)
{
	log_prog = prog;
	log_max = max;
}

static void vlog(enum sl_log_level lvl, const char *fmt, va_list ap)
{
	if (lvl > log_max)
		return;
	fprintf(stderr, "%s: ", log_prog);
	vfprintf(stderr, fmt, ap);
}

void sl_log(enum sl_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum sl_log_level lvl = level == LIBBPF_WARN ? SL_LOG_WARN :
				level == LIBBPF_INFO ? SL_LOG_INFO : SL_LOG_DEBUG;

	/* libbpf warns loudly on paths sluice handles; keep them for -v. */
	if (log_max < SL_LOG_DEBUG)
		return 0;
	vlog(lvl, fmt, ap);
	return 0;
}

void sl_log_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
