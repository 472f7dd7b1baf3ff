// SPDX-License-Identifier: GPL-2.0-only
/*
 * sluice: egress decisions for agent cgroups.
 *
 * Every program here is attached (bpf_link) at sluiced's agents root cgroup
 * and so runs for every process below it.  Each hook extracts the call into a
 * struct sl_call and hands it to decide(); the decision is a constant amount
 * of work: three hash lookups, at most three LPM lookups per subject in the
 * delegation chain, and a scan of at most SL_MAX_ENTRIES entries per lookup.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <sluice/abi.h>
#include <sluice/decide.h>
#include "emit.bpf.h"

char LICENSE[] SEC("license") = "GPL";

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
		sl_match_val(v, c->port, c->proto, now, m);
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

static __always_inline void decide(const struct sl_call *c,
				   struct sl_decision *d)
{
	struct sl_subject *s;
	struct sl_agent *a;
	__u64 now;
	__u8 act;

	d->cgroup = bpf_get_current_cgroup_id();
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

static __always_inline void call_v4(struct sl_call *c, __u32 ip4_be)
{
	__builtin_memset(c->addr, 0, 10);
	c->addr[10] = 0xff;
	c->addr[11] = 0xff;
	__builtin_memcpy(&c->addr[12], &ip4_be, 4);
	c->family = AF_INET;
}

static __always_inline void call_v6(struct sl_call *c, struct bpf_sock_addr *ctx)
{
	__u32 w[4];

	/* user_ip6 allows only 4-byte loads, one word at a time. */
	w[0] = ctx->user_ip6[0];
	w[1] = ctx->user_ip6[1];
	w[2] = ctx->user_ip6[2];
	w[3] = ctx->user_ip6[3];
	__builtin_memcpy(c->addr, w, SL_ADDR_LEN);
	c->family = AF_INET6;
}

static __always_inline int sock_addr_hook(struct bpf_sock_addr *ctx,
					  __u8 hook, int v6)
{
	struct sl_decision d = {};
	struct sl_call c = {};

	if (v6)
		call_v6(&c, ctx);
	else
		call_v4(&c, ctx->user_ip4);
	c.port = bpf_ntohs((__u16)ctx->user_port);
	c.proto = ctx->protocol;
	c.sock_type = ctx->type;
	c.hook = hook;
	decide(&c, &d);
	return finish(&c, &d);
}

SEC("cgroup/connect4")
int sl_connect4(struct bpf_sock_addr *ctx)
{
	return sock_addr_hook(ctx, SL_HOOK_CONNECT4, 0);
}

SEC("cgroup/connect6")
int sl_connect6(struct bpf_sock_addr *ctx)
{
	return sock_addr_hook(ctx, SL_HOOK_CONNECT6, 1);
}

SEC("cgroup/sendmsg4")
int sl_sendmsg4(struct bpf_sock_addr *ctx)
{
	return sock_addr_hook(ctx, SL_HOOK_SENDMSG4, 0);
}

SEC("cgroup/sendmsg6")
int sl_sendmsg6(struct bpf_sock_addr *ctx)
{
	return sock_addr_hook(ctx, SL_HOOK_SENDMSG6, 1);
}

SEC("cgroup/sock_create")
int sl_sock_create(struct bpf_sock *sk)
{
	return socket_hook(sk->family, sk->type, sk->protocol);
}
