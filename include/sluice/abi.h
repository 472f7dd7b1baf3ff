/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sluice kernel/user ABI: the map keys and values the BPF programs read and
 * sluiced writes, and the event record the programs emit.
 *
 * Rules for this file: only __u8..__u64 and fixed arrays, explicit padding,
 * every address is 16 bytes (IPv4 stored as IPv4-mapped IPv6, ::ffff:a.b.c.d)
 * so one LPM lookup serves both families.  The includer provides the __uN
 * types: vmlinux.h on the BPF side, <linux/types.h> in userspace.
 */
#ifndef SLUICE_ABI_H
#define SLUICE_ABI_H

#define SL_ADDR_LEN		16
#define SL_COMM_LEN		16
/* Entries one rule-trie value can hold after flattening (see compile.c). */
#define SL_MAX_ENTRIES		8
/* Longest delegation chain the kernel follows (child, delegator, ...). */
#define SL_MAX_CHAIN		4
/* Bits of the set id that lead every rule-trie key. */
#define SL_SET_BITS		32
/* Set id 0 is "no set": the program skips the lookup. */
#define SL_SET_NONE		0

/* What a matching rule entry says.  Precedence is in decide.h. */
enum sl_action {
	SL_ACT_ALLOW	= 1,
	SL_ACT_DENY	= 2,
	SL_ACT_ASK	= 3,	/* refuse now, ask the operator (step-up) */
};

/* Protocol of an entry or a call: IPPROTO numbers, 0 for "any". */
enum sl_proto {
	SL_PROTO_ANY	= 0,
	SL_PROTO_TCP	= 6,
	SL_PROTO_UDP	= 17,
};

/* The decision recorded in an event. */
enum sl_verdict {
	SL_VERDICT_ALLOW	= 1,
	SL_VERDICT_DENY		= 2,
	SL_VERDICT_AUDIT	= 3,	/* audit mode: allowed, would be denied */
	SL_VERDICT_REDIRECT	= 4,	/* DNS sent to sluiced's resolver */
};

/* Why a verdict was reached. */
enum sl_reason {
	SL_REASON_RULE		= 1,	/* an allow entry matched */
	SL_REASON_DENY_RULE	= 2,	/* an explicit deny entry matched */
	SL_REASON_DEFAULT	= 3,	/* nothing matched: default deny */
	SL_REASON_NOT_ENROLLED	= 4,	/* cgroup under the root, not an agent */
	SL_REASON_SOCKET	= 5,	/* socket type refused (raw, packet, ...) */
	SL_REASON_ASK		= 6,	/* an ask entry matched: pending approval */
	SL_REASON_DELEGATOR	= 7,	/* own policy allows, delegator does not */
	SL_REASON_DNS		= 8,	/* DNS redirected to the resolver proxy */
	SL_REASON_NO_AGENT	= 9,	/* enrolled cgroup whose agent is gone */
};

/* Which program made the decision. */
enum sl_hook {
	SL_HOOK_CONNECT4	= 1,
	SL_HOOK_CONNECT6	= 2,
	SL_HOOK_SENDMSG4	= 3,
	SL_HOOK_SENDMSG6	= 4,
	SL_HOOK_SOCK_CREATE	= 5,
	SL_HOOK_TERMINATE	= 6,	/* the revocation sweep closed a socket */
};

/* Per-agent modes. */
enum sl_mode {
	SL_MODE_ENFORCE	= 0,
	SL_MODE_AUDIT	= 1,
};

/* sl_agent.flags */
#define SL_AGENT_LOG_ALLOWED	(1u << 0)	/* emit events for allowed calls */
#define SL_AGENT_DNS_REDIRECT	(1u << 1)	/* send port-53 traffic to the proxy */

/* sl_entry.flags: where the entry came from (for events, never decisions). */
#define SL_ENTRY_POLICY		(1u << 0)
#define SL_ENTRY_GRANT		(1u << 1)
#define SL_ENTRY_LEARNED	(1u << 2)	/* learned from a DNS answer */

/*
 * Rule-trie key (BPF_MAP_TYPE_LPM_TRIE sl_rules and sl_grants).
 * prefixlen counts the set id bits too: 10.0.0.0/8 in set 7 is
 * { .prefixlen = 32 + 96 + 8, .set = 7 (big endian), .addr = ::ffff:10.0.0.0 }.
 * A lookup uses prefixlen 32 + 128 and the full destination address.
 */
struct sl_rule_key {
	__u32 prefixlen;
	__u32 set;			/* big endian, so it leads the match */
	__u8  addr[SL_ADDR_LEN];
};

/*
 * One entry of a flattened rule value: "ports 443-443, tcp, allow, rule 12,
 * until boot time 9.3e12 ns".  port_lo 0 and port_hi 65535 mean every port.
 * expires_ns is CLOCK_BOOTTIME nanoseconds (bpf_ktime_get_boot_ns); 0 never.
 */
struct sl_entry {
	__u16 port_lo;
	__u16 port_hi;
	__u8  proto;			/* enum sl_proto */
	__u8  action;			/* enum sl_action */
	__u16 flags;			/* SL_ENTRY_* */
	__u32 rule_id;			/* sluiced's id for the rule or grant */
	__u32 pad;
	__u64 expires_ns;
};

/*
 * Value of the rule tries: every entry that applies to the key's prefix,
 * including those inherited from shorter prefixes (userspace flattens), so
 * one longest-prefix lookup answers the question.
 */
struct sl_rule_val {
	__u32 n;			/* entries used, <= SL_MAX_ENTRIES */
	__u32 pad;
	struct sl_entry e[SL_MAX_ENTRIES];
};

/*
 * sl_cgroups: cgroup id -> the subject running in it.  An agent's run or
 * task cgroup, e.g. /sys/fs/cgroup/sluice/coder/t-build-1 -> {agent 3, task 9}.
 */
struct sl_subject {
	__u32 agent;			/* key into sl_agents */
	__u32 task;			/* key into sl_tasks, 0 for none */
};

/*
 * sl_agents: agent id -> the agent's policy now.  Replaced whole (hash map,
 * no prealloc: readers see the old or the new value, never a mix), so one
 * update switches an agent from one policy version to the next.
 */
struct sl_agent {
	__u32 policy_set;		/* set in sl_rules: compiled policy */
	__u32 grant_set;		/* set in sl_grants: agent-wide grants */
	__u32 version;			/* policy version, for events */
	__u8  mode;			/* enum sl_mode */
	__u8  pad8;
	__u16 flags;			/* SL_AGENT_* */
};

/*
 * sl_tasks: task id -> task state.  A task's grants live in its own set;
 * past expires_ns the kernel ignores the set (the task's processes keep only
 * their agent's policy).  delegator names the task this one works for: its
 * calls must also be allowed to the delegator (attenuation).
 */
struct sl_task {
	__u32 agent;
	__u32 grant_set;		/* set in sl_grants, 0 for none */
	__u32 delegator;		/* task id, 0 for none */
	__u32 pad;
	__u64 expires_ns;		/* CLOCK_BOOTTIME ns, 0 never */
};

/*
 * sl_sockets (socket storage): set on a socket whose connect was allowed,
 * so the revocation sweep judges it again, e.g. {rule 12, agent 3}.
 */
struct sl_sock {
	__u32 rule_id;			/* the entry that allowed it */
	__u32 agent;
};

/* Per-CPU counters (sl_counters, a PERCPU_ARRAY indexed by these). */
enum sl_counter {
	SL_CNT_ALLOW = 0,
	SL_CNT_DENY,
	SL_CNT_AUDIT,
	SL_CNT_REDIRECT,
	SL_CNT_EVENTS,			/* events written to the ring buffer */
	SL_CNT_EVENTS_LOST,		/* ring buffer full: event dropped */
	SL_CNT_TERMINATED,		/* sockets the sweep destroyed */
	SL_CNT_MAX,
};

/*
 * Event record in the ring buffer (sl_events), one per decision.
 * Example: coder (agent 3, task 0) tgid 4242 "curl" connect4 to
 * ::ffff:127.0.1.1 port 8080 tcp -> allow by rule 12 of version 5.
 */
struct sl_event {
	__u64 ts_ns;			/* CLOCK_BOOTTIME */
	__u64 cgroup;			/* cgroup id of the caller */
	__u32 pid;			/* thread id */
	__u32 tgid;			/* process id */
	__u32 uid;
	__u32 gid;
	__u32 agent;			/* 0 when not enrolled */
	__u32 task;
	__u32 rule_id;			/* deciding entry's rule, 0 for none */
	__u32 version;			/* policy version of the agent */
	__u32 delegator;		/* task whose policy refused (REASON_DELEGATOR) */
	__u8  addr[SL_ADDR_LEN];	/* destination, IPv4 as mapped */
	__u16 port;			/* destination port, host order */
	__u8  family;			/* AF_INET or AF_INET6, as called */
	__u8  proto;			/* IPPROTO_TCP / IPPROTO_UDP / socket proto */
	__u8  verdict;			/* enum sl_verdict */
	__u8  reason;			/* enum sl_reason */
	__u8  hook;			/* enum sl_hook */
	__u8  sock_type;		/* SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, ... */
	__u8  entry_flags;		/* SL_ENTRY_* of the deciding entry */
	__u8  pad[3];
	char  comm[SL_COMM_LEN];
};

#endif /* SLUICE_ABI_H */
