/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The maps every sluice program shares.  Each BPF object that includes this
 * gets its own definitions; sluiced makes them one by reusing the main
 * object's map fds (and both are pinned under the same names).
 */
#ifndef SLUICE_MAPS_BPF_H
#define SLUICE_MAPS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct sl_subject);
	__uint(max_entries, 16384);
} sl_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct sl_agent);
	__uint(max_entries, 4096);
} sl_agents SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct sl_task);
	__uint(max_entries, 16384);
} sl_tasks SEC(".maps");

/* Compiled policies, one set per agent and version. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_rule_key);
	__type(value, struct sl_rule_val);
	__uint(max_entries, 262144);
} sl_rules SEC(".maps");

/* Grants and learned names: one set per agent and per task. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_rule_key);
	__type(value, struct sl_rule_val);
	__uint(max_entries, 65536);
} sl_grants SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} sl_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, SL_CNT_MAX);
} sl_counters SEC(".maps");

/* Sockets whose connection the hooks allowed (see mark_socket()). */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sl_sock);
} sl_sockets SEC(".maps");

/*
 * The resolver a redirected DNS socket meant to reach, for the recvmsg
 * hooks to put back as the source of the proxy's answers.
 */
struct sl_dns_orig {
	__u8  addr[SL_ADDR_LEN];	/* IPv4 as mapped */
	__u16 port;			/* network order */
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sl_dns_orig);
} sl_dnsorig SEC(".maps");

#endif
