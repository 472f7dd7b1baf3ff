// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdbool.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include "sockdiag.h"

struct sl_sockdiag {
	int fd;
	uint32_t seq;
};

int sl_sockdiag_open(struct sl_sockdiag **out)
{
	struct sl_sockdiag *sd = calloc(1, sizeof(*sd));
	struct timeval tv = { .tv_sec = 1 };

	if (!sd)
		return -ENOMEM;
	sd->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (sd->fd < 0) {
		free(sd);
		return -errno;
	}
	setsockopt(sd->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*out = sd;
	return 0;
}

void sl_sockdiag_close(struct sl_sockdiag *sd)
{
	if (!sd)
		return;
	close(sd->fd);
	free(sd);
}

static void put_addr(const struct sockaddr *sa, __be32 *addr, __be16 *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		addr[0] = s4->sin_addr.s_addr;
		*port = s4->sin_port;
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		memcpy(addr, &s6->sin6_addr, 16);
		*port = s6->sin6_port;
	}
}

/*
 * The kernel looks the socket up from a packet's point of view, and for
 * historical reasons UDP and TCP disagree on which of src and dst is the
 * socket's own end (udp_dump_one swaps them; inet_diag_find_one_icsk does
 * not).
 */
static void fill_req(struct inet_diag_req_v2 *r, int proto, const struct sockaddr *local,
		     const struct sockaddr *peer)
{
	bool udp = proto == IPPROTO_UDP;

	memset(r, 0, sizeof(*r));
	r->sdiag_family = (uint8_t)local->sa_family;
	r->sdiag_protocol = (uint8_t)proto;
	r->idiag_states = ~0u;
	r->idiag_ext = 0;
	put_addr(udp ? peer : local, r->id.idiag_src, &r->id.idiag_sport);
	put_addr(udp ? local : peer, r->id.idiag_dst, &r->id.idiag_dport);
	r->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
}

static int find_cgroup(const struct nlmsghdr *h, size_t len, uint64_t *cgroup)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	const struct rtattr *a;
	unsigned int alen;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) || h->nlmsg_len > len)
		return -EPROTO;
	alen = (unsigned int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
	for (a = (const struct rtattr *)(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if (a->rta_type == INET_DIAG_CGROUP_ID && RTA_PAYLOAD(a) >= (int)sizeof(uint64_t)) {
			memcpy(cgroup, RTA_DATA(a), sizeof(*cgroup));
			return 0;
		}
	}
	return -ENODATA;
}

int sl_sockdiag_cgroup(struct sl_sockdiag *sd, int proto, const struct sockaddr *local,
		       const struct sockaddr *peer, uint64_t *cgroup)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req = {
		.h = {
			.nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = ++sd->seq,
		},
	};
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	ssize_t n;

	fill_req(&req.r, proto, local, peer);
	if (send(sd->fd, &req, sizeof(req), 0) < 0)
		return -errno;
	do {
		n = recv(sd->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
	} while ((size_t)n >= sizeof(*h) && h->nlmsg_seq != sd->seq);
	if ((size_t)n < sizeof(*h) || !NLMSG_OK(h, (size_t)n))
		return -EPROTO;
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);

		return e->error ? e->error : -ENOENT;
	}
	return find_cgroup(h, (size_t)n, cgroup);
}
