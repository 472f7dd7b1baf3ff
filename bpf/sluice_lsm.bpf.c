// SPDX-License-Identifier: GPL-2.0-only
/*
 * sluice's LSM program, an object of its own: kernels without an active BPF
 * LSM (or that refuse BTF-attached programs) cannot load it, and the rest of
 * sluice must load there all the same.  It shares the main object's maps.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include <sluice/abi.h>
#include "emit.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * cgroup/sock_create runs only for IPv4 and IPv6 sockets; packet, raw
 * link-layer and other families are refused here, at the LSM hook, per
 * cgroup.  IPv4/IPv6 are left to sl_sock_create, which sees the protocol
 * the kernel resolved (here it may still be 0).  Needs the BPF LSM active.
 */
SEC("lsm_cgroup/socket_create")
int BPF_PROG(sl_lsm_socket, int family, int type, int protocol, int kern)
{
	(void)ctx;	/* BPF_PROG's raw context: the arguments are unpacked */
	if (kern || family == AF_INET || family == AF_INET6)
		return SL_RET_PASS;
	return socket_hook(family, type, protocol);
}
