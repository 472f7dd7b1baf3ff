/* SPDX-License-Identifier: GPL-2.0-only */
/* What every hook shares: the call and decision records, counters, events. */
#ifndef SLUICE_EMIT_BPF_H
#define SLUICE_EMIT_BPF_H

#include "maps.bpf.h"

/* Return values of cgroup sock, sock_addr and lsm_cgroup programs. */
#define SL_RET_REFUSE	0	/* the syscall fails with EPERM */
#define SL_RET_PASS	1

#define AF_UNIX		1
#define AF_INET		2
#define AF_NETLINK	16
#define AF_INET6	10
#define SOCK_STREAM	1
#define SOCK_DGRAM	2

/* One outbound call, as the hooks see it. */
struct sl_call {
	__u8  addr[SL_ADDR_LEN];	/* IPv4 as ::ffff:a.b.c.d */
	__u16 port;			/* host order */
	__u8  family;
	__u8  proto;
	__u8  hook;
	__u8  sock_type;
	__u16 ageless;			/* SL_ENTRY_* whose expiry is ignored */
};

/* What decide() found, for the verdict and the event. */
struct sl_decision {
	__u64 cgroup;
	__u32 agent;
	__u32 task;
	__u32 rule;
	__u32 version;
	__u32 delegator;
	__u16 agent_flags;
	__u16 entry_flags;
	__u8  mode;
	__u8  verdict;
	__u8  reason;
	__u32 sock_uid;			/* the socket's owner, for swept sockets */
};

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&sl_counters, &idx);

	if (c)
		*c += 1;
}

/*
 * The ring buffer never decides a verdict: when it is full the event is
 * counted as lost and the call goes on with the verdict already made.
 */
static __always_inline void emit(const struct sl_call *c,
				 const struct sl_decision *d)
{
	struct sl_event *e;
	__u64 id;

	if (d->verdict == SL_VERDICT_ALLOW &&
	    !(d->agent_flags & SL_AGENT_LOG_ALLOWED))
		return;
	e = bpf_ringbuf_reserve(&sl_events, sizeof(*e), 0);
	if (!e) {
		count(SL_CNT_EVENTS_LOST);
		return;
	}
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->cgroup = d->cgroup;
	if (c->hook == SL_HOOK_TERMINATE) {
		/* The sweep runs in sluiced: the process is the socket's, unknown. */
		e->pid = e->tgid = e->gid = 0;
		e->uid = d->sock_uid;
		__builtin_memset(e->comm, 0, sizeof(e->comm));
	} else {
		id = bpf_get_current_pid_tgid();
		e->pid = (__u32)id;
		e->tgid = id >> 32;
		id = bpf_get_current_uid_gid();
		e->uid = (__u32)id;
		e->gid = id >> 32;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	}
	e->agent = d->agent;
	e->task = d->task;
	e->rule_id = d->rule;
	e->version = d->version;
	e->delegator = d->delegator;
	__builtin_memcpy(e->addr, c->addr, SL_ADDR_LEN);
	e->port = c->port;
	e->family = c->family;
	e->proto = c->proto;
	e->verdict = d->verdict;
	e->reason = d->reason;
	e->hook = c->hook;
	e->sock_type = c->sock_type;
	e->entry_flags = (__u8)d->entry_flags;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	bpf_ringbuf_submit(e, 0);
	count(SL_CNT_EVENTS);
}

static __always_inline int finish(const struct sl_call *c,
				  struct sl_decision *d)
{
	switch (d->verdict) {
	case SL_VERDICT_ALLOW:
		count(SL_CNT_ALLOW);
		break;
	case SL_VERDICT_AUDIT:
		count(SL_CNT_AUDIT);
		break;
	default:
		count(SL_CNT_DENY);
		break;
	}
	emit(c, d);
	return d->verdict == SL_VERDICT_DENY ? SL_RET_REFUSE : SL_RET_PASS;
}

/*
 * Agents may create TCP and UDP sockets (IPv4, IPv6), Unix and netlink
 * sockets, nothing else: no raw, packet, ICMP "ping", SCTP or MPTCP sockets,
 * whose traffic the connect and sendmsg hooks would not see.
 */
static __always_inline int socket_allowed(__u32 family, __u32 type, __u32 proto)
{
	if (family == AF_UNIX || family == AF_NETLINK)
		return 1;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (type == SOCK_STREAM)
		return proto == SL_PROTO_TCP;
	if (type == SOCK_DGRAM)
		return proto == SL_PROTO_UDP;
	return 0;
}

/* Socket refusals are not policy: the agent's mode does not soften them. */
static __always_inline int socket_hook(__u32 family, __u32 type, __u32 proto)
{
	struct sl_decision d = {};
	struct sl_call c = {};
	struct sl_subject *s;
	struct sl_agent *a;

	if (socket_allowed(family, type, proto))
		return SL_RET_PASS;
	d.cgroup = bpf_get_current_cgroup_id();
	s = bpf_map_lookup_elem(&sl_cgroups, &d.cgroup);
	if (s) {
		d.agent = s->agent;
		d.task = s->task;
		a = bpf_map_lookup_elem(&sl_agents, &s->agent);
		if (a)
			d.version = a->version;
	}
	c.family = family;
	c.sock_type = type;
	c.proto = proto;
	c.hook = SL_HOOK_SOCK_CREATE;
	d.verdict = SL_VERDICT_DENY;
	d.reason = SL_REASON_SOCKET;
	return finish(&c, &d);
}

#endif
