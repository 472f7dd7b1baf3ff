// SPDX-License-Identifier: GPL-2.0-only
/*
 * The benchmark's "empty program" configuration: the hooks sluice uses, each
 * allowing everything at once.  What it costs is what having a cgroup hook
 * at all costs; sluice's cost above it is the cost of its decision.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define SL_BENCH_ALLOW	1	/* cgroup sock_addr and sock programs: 1 lets the call go on */

char LICENSE[] SEC("license") = "GPL";

SEC("cgroup/connect4")
int sl_nop_conn4(struct bpf_sock_addr *ctx)
{
	(void)ctx;
	return SL_BENCH_ALLOW;
}

SEC("cgroup/connect6")
int sl_nop_conn6(struct bpf_sock_addr *ctx)
{
	(void)ctx;
	return SL_BENCH_ALLOW;
}

SEC("cgroup/sendmsg4")
int sl_nop_send4(struct bpf_sock_addr *ctx)
{
	(void)ctx;
	return SL_BENCH_ALLOW;
}

SEC("cgroup/sendmsg6")
int sl_nop_send6(struct bpf_sock_addr *ctx)
{
	(void)ctx;
	return SL_BENCH_ALLOW;
}

SEC("cgroup/sock_create")
int sl_nop_sock(struct bpf_sock *sk)
{
	(void)sk;
	return SL_BENCH_ALLOW;
}
