/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The decision: from a cgroup and a destination to a verdict.  Shared by the
 * hooks (bpf/sluice.bpf.c) and the revocation sweep (bpf/sluice_iter.bpf.c).
 * The work is bounded: three hash lookups, at most three LPM lookups per
 * subject of the delegation chain, and at most SL_MAX_ENTRIES entries per
 * lookup, whatever the number of rules.
 */
#ifndef SLUICE_DECIDE_BPF_H
#define SLUICE_DECIDE_BPF_H

#include <sluice/decide.h>
#include "emit.bpf.h"

static __always_inline void match_set(void *trie, __u32 set,
				      const struct sl_call *c, __u64 now,
				      struct sl_match *m)
{
	struct sl_rule_key key = {
		.prefixlen = SL_SET_BITS + 8 * SL_ADDR_LEN,
		.set = bpf_htonl(set),
	};
	struct sl_rule_val *v;

	if (set == SL_SET_NONE)
		return;
	__builtin_memcpy(key.addr, c->addr, SL_ADDR_LEN);
	v = bpf_map_lookup_elem(trie, &key);
	if (v)
		sl_match_val_ex(v, c->port, c->proto, now, c->ageless, m);
}

/*
 * One subject's answer: its agent's policy set, the agent's grants and, while
 * the task is live, the task's grants.  Returns SL_ACT_* or 0 (no match).
 */
static __always_inline __u8 eval_subject(const struct sl_agent *a, __u32 task,
					 const struct sl_call *c, __u64 now,
					 __u32 *rule, __u16 *flags)
{
	struct sl_task *t;
	struct sl_match m;

	sl_match_init(&m);
	match_set(&sl_rules, a->policy_set, c, now, &m);
	match_set(&sl_grants, a->grant_set, c, now, &m);
	if (task) {
		t = bpf_map_lookup_elem(&sl_tasks, &task);
		if (t && (!t->expires_ns || t->expires_ns > now))
			match_set(&sl_grants, t->grant_set, c, now, &m);
	}
	return sl_match_action(&m, rule, flags);
}

/*
 * A delegated task may use only what every task up its delegator chain may
 * use now (attenuation).  Returns 0 if the chain allows, else the task that
 * refuses; a missing delegator (its task ended) refuses.
 */
static __always_inline __u32 check_delegators(__u32 task,
					      const struct sl_call *c, __u64 now)
{
	struct sl_agent *a;
	struct sl_task *t;
	__u32 up, rule;
	__u16 flags;
	int i;

	for (i = 0; i < SL_MAX_CHAIN; i++) {
		t = bpf_map_lookup_elem(&sl_tasks, &task);
		if (!t)
			return task;
		up = t->delegator;
		if (!up)
			return 0;
		t = bpf_map_lookup_elem(&sl_tasks, &up);
		if (!t)
			return up;
		a = bpf_map_lookup_elem(&sl_agents, &t->agent);
		if (!a || eval_subject(a, up, c, now, &rule, &flags) != SL_ACT_ALLOW)
			return up;
		task = up;
	}
	/* sluiced never builds longer chains; refuse rather than guess. */
	return task;
}

/*
 * The decision for a call from cgroup d->cgroup.  The same code judges a
 * new call (from the hooks) and an established socket again (from the
 * revocation sweep, where c->ageless keeps learned names alive).
 */
static __always_inline void decide(const struct sl_call *c,
				   struct sl_decision *d)
{
	struct sl_subject *s;
	struct sl_agent *a;
	__u64 now;
	__u8 act;

	s = bpf_map_lookup_elem(&sl_cgroups, &d->cgroup);
	if (!s) {
		d->verdict = SL_VERDICT_DENY;
		d->reason = SL_REASON_NOT_ENROLLED;
		return;
	}
	d->agent = s->agent;
	d->task = s->task;
	a = bpf_map_lookup_elem(&sl_agents, &s->agent);
	if (!a) {
		d->verdict = SL_VERDICT_DENY;
		d->reason = SL_REASON_NO_AGENT;
		return;
	}
	d->version = a->version;
	d->mode = a->mode;
	d->agent_flags = a->flags;

	now = bpf_ktime_get_boot_ns();
	act = eval_subject(a, s->task, c, now, &d->rule, &d->entry_flags);
	if (act == SL_ACT_ALLOW && s->task) {
		d->delegator = check_delegators(s->task, c, now);
		if (d->delegator) {
			d->verdict = SL_VERDICT_DENY;
			d->reason = SL_REASON_DELEGATOR;
			goto audit;
		}
	}
	switch (act) {
	case SL_ACT_ALLOW:
		d->verdict = SL_VERDICT_ALLOW;
		d->reason = SL_REASON_RULE;
		return;
	case SL_ACT_DENY:
		d->reason = SL_REASON_DENY_RULE;
		break;
	case SL_ACT_ASK:
		d->reason = SL_REASON_ASK;
		break;
	default:
		d->reason = SL_REASON_DEFAULT;
		break;
	}
	d->verdict = SL_VERDICT_DENY;
audit:
	if (d->mode == SL_MODE_AUDIT)
		d->verdict = SL_VERDICT_AUDIT;
}

#endif
