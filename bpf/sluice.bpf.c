// SPDX-License-Identifier: GPL-2.0-only
/*
 * sluice: egress decisions for agent cgroups.
 *
 * Every program here is attached (bpf_link) at sluiced's agents root cgroup
 * and so runs for every process below it.  Each hook extracts the call into a
 * struct sl_call and hands it to decide() (decide.bpf.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <sluice/abi.h>
#include "decide.bpf.h"

char LICENSE[] SEC("license") = "GPL";

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

/*
 * Remember that this socket's connection was judged and allowed, so that the
 * revocation sweep may judge it again when access is taken back.  Sockets
 * without the mark (accepted connections, unconnected UDP) are not swept.
 */
static __always_inline void mark_socket(struct bpf_sock_addr *ctx,
					const struct sl_decision *d)
{
	struct sl_sock *m;

	m = bpf_sk_storage_get(&sl_sockets, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!m)
		return;
	m->rule_id = d->rule;
	m->agent = d->agent;
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
	d.cgroup = bpf_get_current_cgroup_id();
	decide(&c, &d);
	if (d.verdict != SL_VERDICT_DENY && (hook == SL_HOOK_CONNECT4 || hook == SL_HOOK_CONNECT6))
		mark_socket(ctx, &d);
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
