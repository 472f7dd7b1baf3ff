/* SPDX-License-Identifier: GPL-2.0-only */
/* The one logging module: messages to stderr, libbpf's routed through it. */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

enum sl_log_level { SL_LOG_WARN, SL_LOG_INFO, SL_LOG_DEBUG };

/* Program name in front of every line, and the most verbose level shown. */
void sl_log_init(const char *prog, enum sl_log_level max);
/* Route libbpf's output here; its debug output only at SL_LOG_DEBUG. */
void sl_log_libbpf(void);
void sl_log(enum sl_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(...)	sl_log(SL_LOG_WARN, __VA_ARGS__)
#define pr_info(...)	sl_log(SL_LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	sl_log(SL_LOG_DEBUG, __VA_ARGS__)

#endif
