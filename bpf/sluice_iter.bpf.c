// SPDX-License-Identifier: GPL-2.0-only
/*
 * The revocation sweep: sluiced runs these iterators after access is taken
 * back (a grant revoked or expired, a task ended, an apply that changed an
 * agent).  Every TCP socket and connected UDP socket that an agent's
 * connect hook allowed is judged again with the same decide() as a new
 * call; one that would now be denied is destroyed (bpf_sock_destroy), which
 * the agent sees as ECONNABORTED, and leaves a terminate event.
 *
 * An object of its own: kernels before 6.5 (no bpf_sock_destroy) cannot
 * load it, and the rest of sluice must load there all the same.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include <sluice/abi.h>
#include "decide.bpf.h"

char LICENSE[] SEC("license") = "GPL";

extern int bpf_sock_destroy(struct sock_common *sk) __ksym;

#define TCP_ESTABLISHED	1
#define TCP_SYN_SENT	2
#define TCP_CLOSE	7
#define TCP_LISTEN	10

static __always_inline void sweep_call(struct sock_common *skc, __u8 proto,
				       struct sl_call *c)
{
	c->family = skc->skc_family;
	if (c->family == AF_INET) {
		__u32 ip4 = skc->skc_daddr;

		__builtin_memset(c->addr, 0, 10);
		c->addr[10] = 0xff;
		c->addr[11] = 0xff;
		__builtin_memcpy(&c->addr[12], &ip4, 4);
	} else {
		BPF_CORE_READ_INTO(&c->addr, skc, skc_v6_daddr.in6_u.u6_addr8);
	}
	c->port = bpf_ntohs(skc->skc_dport);
	c->proto = proto;
	c->hook = SL_HOOK_TERMINATE;
	c->ageless = SL_ENTRY_LEARNED;
}

/* skc is the iterator's own (trusted) pointer to sk, which destroy needs. */
static __always_inline int sweep(struct sock *sk, struct sock_common *skc, __u8 proto)
{
	struct sl_decision d = {};
	struct sl_call c = {};
	struct sl_sock *mark;

	mark = bpf_sk_storage_get(&sl_sockets, sk, 0, 0);
	if (!mark)
		return 0;
	if (skc->skc_state == TCP_CLOSE || skc->skc_state == TCP_LISTEN)
		return 0;
	sweep_call(skc, proto, &c);
	d.cgroup = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
	d.sock_uid = sk->sk_uid.val;
	decide(&c, &d);
	/* Audit mode logs a would-be denial but takes nothing back. */
	if (d.verdict != SL_VERDICT_DENY)
		return 0;
	bpf_sock_destroy(skc);
	count(SL_CNT_TERMINATED);
	emit(&c, &d);
	return 0;
}

SEC("iter/tcp")
int sl_iter_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp;

	if (!skc)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;	/* request and time-wait sockets */
	return sweep(&tp->inet_conn.icsk_inet.sk, skc, SL_PROTO_TCP);
}

SEC("iter/udp")
int sl_iter_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *us = ctx->udp_sk;

	if (!us)
		return 0;
	return sweep(&us->inet.sk, (struct sock_common *)us, SL_PROTO_UDP);
}
