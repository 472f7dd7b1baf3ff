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

/*
 * sluiced's DNS proxy, set before load (network order).  dns_port 0: no
 * proxy, port 53 is a destination like any other.
 */
const volatile __u32 dns_ip4 = 0;
const volatile __u32 dns_ip6[4] = {};
const volatile __u16 dns_port = 0;

#define DNS_PORT	53

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

static __always_inline int is_mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return !w[0] && !w[1] && w[2] == bpf_htonl(0xffff);
}

/*
 * An agent's DNS (UDP or TCP port 53, any resolver) goes to the proxy: the
 * destination is rewritten before the kernel routes the call, and the one
 * the agent meant is kept on the socket for the recvmsg hooks.  Returns 1
 * when redirected.  Agents with `dns: direct` are judged as usual.
 */
static __always_inline int dns_redirect(struct bpf_sock_addr *ctx, const struct sl_call *c,
					int v6)
{
	struct sl_dns_orig *o;
	struct sl_subject *s;
	struct sl_agent *a;
	__u64 cg;

	if (!dns_port || c->port != DNS_PORT ||
	    (c->proto != SL_PROTO_TCP && c->proto != SL_PROTO_UDP))
		return 0;
	cg = bpf_get_current_cgroup_id();
	s = bpf_map_lookup_elem(&sl_cgroups, &cg);
	if (!s)
		return 0;
	a = bpf_map_lookup_elem(&sl_agents, &s->agent);
	if (!a || !(a->flags & SL_AGENT_DNS_REDIRECT))
		return 0;
	o = bpf_sk_storage_get(&sl_dnsorig, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return 0;	/* judged as a plain destination: denied unless allowed */
	__builtin_memcpy(o->addr, c->addr, SL_ADDR_LEN);
	o->port = ctx->user_port;
	if (!v6) {
		ctx->user_ip4 = dns_ip4;
	} else if (is_mapped(c->addr)) {
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = bpf_htonl(0xffff);
		ctx->user_ip6[3] = dns_ip4;
	} else {
		ctx->user_ip6[0] = dns_ip6[0];
		ctx->user_ip6[1] = dns_ip6[1];
		ctx->user_ip6[2] = dns_ip6[2];
		ctx->user_ip6[3] = dns_ip6[3];
	}
	ctx->user_port = dns_port;
	count(SL_CNT_REDIRECT);
	return 1;
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
	if (dns_redirect(ctx, &c, v6))
		return SL_RET_PASS;
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

/*
 * Answers from the proxy to a redirected socket carry the proxy's address;
 * the agent's resolver expects the one it asked, so that goes back in.
 */
SEC("cgroup/recvmsg4")
int sl_recvmsg4(struct bpf_sock_addr *ctx)
{
	struct sl_dns_orig *o;

	if (!dns_port || ctx->user_ip4 != dns_ip4 || ctx->user_port != dns_port)
		return SL_RET_PASS;
	o = bpf_sk_storage_get(&sl_dnsorig, ctx->sk, 0, 0);
	if (o && is_mapped(o->addr)) {
		ctx->user_ip4 = *(__u32 *)&o->addr[12];
		ctx->user_port = o->port;
	}
	return SL_RET_PASS;
}

SEC("cgroup/recvmsg6")
int sl_recvmsg6(struct bpf_sock_addr *ctx)
{
	struct sl_dns_orig *o;
	__u32 w[4];

	if (!dns_port || ctx->user_port != dns_port)
		return SL_RET_PASS;
	w[0] = ctx->user_ip6[0];
	w[1] = ctx->user_ip6[1];
	w[2] = ctx->user_ip6[2];
	w[3] = ctx->user_ip6[3];
	if (!(w[0] == dns_ip6[0] && w[1] == dns_ip6[1] && w[2] == dns_ip6[2] && w[3] == dns_ip6[3]) &&
	    !(is_mapped((__u8 *)w) && w[3] == dns_ip4))
		return SL_RET_PASS;
	o = bpf_sk_storage_get(&sl_dnsorig, ctx->sk, 0, 0);
	if (!o)
		return SL_RET_PASS;
	__builtin_memcpy(w, o->addr, SL_ADDR_LEN);
	ctx->user_ip6[0] = w[0];
	ctx->user_ip6[1] = w[1];
	ctx->user_ip6[2] = w[2];
	ctx->user_ip6[3] = w[3];
	ctx->user_port = o->port;
	return SL_RET_PASS;
}

SEC("cgroup/sock_create")
int sl_sock_create(struct bpf_sock *sk)
{
	return socket_hook(sk->family, sk->type, sk->protocol);
}
