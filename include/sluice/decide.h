/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The decision over one flattened rule value, shared word for word by the
 * BPF programs and by sluiced (`sluicectl check` answers with the same code
 * the kernel runs).  Include after abi.h; the includer defines
 * __always_inline (bpf_helpers.h does; userspace includes <sluice/compat.h>).
 *
 * Precedence, the one place it is written in code (docs/policy.md says the
 * same in words):
 *
 *   1. an explicit deny that matches wins, whatever else matches;
 *   2. otherwise an allow that matches (policy rule, grant, learned name);
 *   3. otherwise an ask that matches: refused now, approval requested;
 *   4. otherwise the default: deny.
 *
 * An entry matches when it has not expired (expires_ns is 0 or later than
 * now), its protocol is any or equal, and the port is in [port_lo, port_hi].
 * Within a value entries are ordered most specific prefix first, so the
 * first match of each action names the most specific rule.
 */
#ifndef SLUICE_DECIDE_H
#define SLUICE_DECIDE_H

/* What the matches of one or more values add up to. */
struct sl_match {
	__u32 rule[4];		/* first matching rule id, by enum sl_action */
	__u16 flags[4];		/* its SL_ENTRY_* flags */
	__u8  hit[4];		/* 1 when an entry of that action matched */
};

static __always_inline void sl_match_init(struct sl_match *m)
{
	__builtin_memset(m, 0, sizeof(*m));
}

/*
 * Entries whose flags intersect `ageless` count as live even past their
 * expiry: the revocation sweep passes SL_ENTRY_LEARNED, because a DNS
 * answer's TTL running out stops new connections, not established ones.
 */
static __always_inline void sl_match_val_ex(const struct sl_rule_val *v,
					    __u16 port, __u8 proto, __u64 now,
					    __u16 ageless, struct sl_match *m)
{
	__u32 i, n = v->n;

	for (i = 0; i < SL_MAX_ENTRIES; i++) {
		const struct sl_entry *e = &v->e[i];
		__u8 a = e->action;

		if (i >= n)
			break;
		if (e->expires_ns && e->expires_ns <= now && !(e->flags & ageless))
			continue;
		if (e->proto != SL_PROTO_ANY && e->proto != proto)
			continue;
		if (port < e->port_lo || port > e->port_hi)
			continue;
		if (a < SL_ACT_ALLOW || a > SL_ACT_ASK || m->hit[a])
			continue;
		m->hit[a] = 1;
		m->rule[a] = e->rule_id;
		m->flags[a] = e->flags;
	}
}

static __always_inline void sl_match_val(const struct sl_rule_val *v,
					 __u16 port, __u8 proto, __u64 now,
					 struct sl_match *m)
{
	sl_match_val_ex(v, port, proto, now, 0, m);
}

/*
 * The action the matches decide (SL_ACT_*), or 0 for the default deny.
 * *rule and *flags are set to the deciding entry's, or 0.
 */
static __always_inline __u8 sl_match_action(const struct sl_match *m,
					    __u32 *rule, __u16 *flags)
{
	__u8 a = 0;

	if (m->hit[SL_ACT_DENY])
		a = SL_ACT_DENY;
	else if (m->hit[SL_ACT_ALLOW])
		a = SL_ACT_ALLOW;
	else if (m->hit[SL_ACT_ASK])
		a = SL_ACT_ASK;
	*rule = a ? m->rule[a] : 0;
	*flags = a ? m->flags[a] : 0;
	return a;
}

#endif /* SLUICE_DECIDE_H */
