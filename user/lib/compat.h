/* SPDX-License-Identifier: GPL-2.0-only */
/* What userspace needs before including <sluice/abi.h> and <sluice/decide.h>. */
#ifndef SLUICE_COMPAT_H
#define SLUICE_COMPAT_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#include <sluice/abi.h>
#include <sluice/decide.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(sizeof(struct sl_rule_key) == 24, "sl_rule_key layout");
_Static_assert(sizeof(struct sl_entry) == 24, "sl_entry layout");
_Static_assert(sizeof(struct sl_rule_val) == 8 + 24 * SL_MAX_ENTRIES, "sl_rule_val layout");
_Static_assert(sizeof(struct sl_subject) == 8, "sl_subject layout");
_Static_assert(sizeof(struct sl_agent) == 16, "sl_agent layout");
_Static_assert(sizeof(struct sl_task) == 24, "sl_task layout");
_Static_assert(sizeof(struct sl_event) == 96, "sl_event layout");

#endif
