/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Whose socket is that?  The DNS proxy receives queries on loopback; the
 * kernel knows which socket sent each one, and sock_diag (NETLINK_SOCK_DIAG)
 * tells its cgroup id, the agent's identity.
 */
#ifndef SLUICE_SOCKDIAG_H
#define SLUICE_SOCKDIAG_H

#include <stdint.h>
#include <sys/socket.h>

struct sl_sockdiag;

int sl_sockdiag_open(struct sl_sockdiag **out);
void sl_sockdiag_close(struct sl_sockdiag *sd);
/*
 * The cgroup id of the socket whose local address is `local` and whose
 * peer (the proxy) is `peer`, for IPPROTO_UDP or IPPROTO_TCP.
 * 0, -ENOENT (no such socket: it is gone), or -errno.
 */
int sl_sockdiag_cgroup(struct sl_sockdiag *sd, int proto, const struct sockaddr *local,
		       const struct sockaddr *peer, uint64_t *cgroup);

#endif
