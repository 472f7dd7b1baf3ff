/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The DNS proxy's insides, shared by dnsproxy.c (UDP, queries, answers,
 * the loop) and dnsproxy_tcp.c.  Not for other modules.
 */
#ifndef SLUICE_DNSPROXY_INT_H
#define SLUICE_DNSPROXY_INT_H

#include <stdatomic.h>
#include "dns.h"
#include "dnsproxy.h"
#include "sockdiag.h"

#define MAX_PENDING	1024
#define MAX_CLIENTS	128		/* TCP client connections at once */
#define TRY_MS		1000		/* per upstream before the next */
#define GIVE_UP_MS	3000		/* then SERVFAIL */
#define TICK_MS		100
#define MALFORMED_EVERY_MS 1000		/* malformed-query events, at most */

enum hkind { H_UDP, H_LISTEN, H_UPSTREAM, H_CLIENT, H_UPTCP, H_STOP, H_TICK };

/* What epoll hands back: every fd the loop watches starts with one. */
struct handle {
	enum hkind kind;
	int fd;
};

/* An agent's TCP connection; freed once closed and no query points at it. */
struct client {
	struct handle h;
	struct sockaddr_storage peer, local;
	struct sl_dns_stream in;
	uint8_t *out;
	size_t out_len;
	int refs;
	bool closed;
};

/* The TCP connection to upstream of a query whose UDP answer was truncated. */
struct uptcp {
	struct handle h;
	int slot;
	uint8_t msg[2 + 1024];
	size_t len, sent;
	struct sl_dns_stream in;
};

/* A query waiting for upstream. */
struct pending {
	bool used;
	uint16_t id;			/* the id sent upstream */
	struct sl_dns_query q;
	uint64_t cgroup;
	bool log;
	struct handle *from;		/* the UDP socket, or the client */
	struct sockaddr_storage peer;	/* UDP: where the answer goes */
	int up;				/* upstream tried now */
	uint64_t started, tried;	/* ms */
	uint64_t t0_us;			/* for the latency figures */
	struct uptcp *tcp;
};

struct sl_dnsproxy {
	struct sl_dnsproxy_cfg cfg;
	int ep;
	struct handle udp[2], listen[2], upstream[2], stop, tick;
	struct sockaddr_storage local[2];	/* 127.0.0.1:port, [::1]:port */
	struct pending pq[MAX_PENDING];
	uint16_t by_id[65536];			/* pending slot + 1 */
	int n_clients;
	struct sl_sockdiag *sd;
	pthread_t thread;
	bool started;
	uint64_t last_malformed_ms;
	uint64_t malformed_quiet;
	atomic_ulong queries, forwarded, refused, malformed, servfail, timeouts, tcp_retries,
		     installed, answered;
	atomic_ulong lat_bucket[32];		/* answered queries by log2(latency in µs) */
};

uint64_t px_now_ms(void);
uint64_t px_now_us(void);
socklen_t px_sa_len(const struct sockaddr_storage *ss);
bool px_sa_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
int px_watch(struct sl_dnsproxy *p, struct handle *h, uint32_t events);
void px_rewatch(struct sl_dnsproxy *p, struct handle *h, uint32_t events);
void px_servfail(struct sl_dnsproxy *p, struct pending *pq);
void px_on_answer(struct sl_dnsproxy *p, struct pending *pq, uint8_t *msg, size_t len,
		      bool over_tcp);
void px_on_query(struct sl_dnsproxy *p, const uint8_t *msg, size_t len, struct handle *from,
		     const struct sockaddr_storage *peer, const struct sockaddr_storage *local);
void px_malformed(struct sl_dnsproxy *p, const char *why, const char *agent);
void px_pending_free(struct sl_dnsproxy *p, struct pending *pq);
void px_client_put(struct sl_dnsproxy *p, struct client *c);
void px_client_close(struct sl_dnsproxy *p, struct client *c);
void px_client_send(struct sl_dnsproxy *p, struct client *c, const uint8_t *msg, size_t len);
void px_client_flush(struct sl_dnsproxy *p, struct client *c);
void px_tcp_retry(struct sl_dnsproxy *p, struct pending *pq);
void px_on_uptcp(struct sl_dnsproxy *p, struct uptcp *t, uint32_t events);
void px_on_accept(struct sl_dnsproxy *p, struct handle *h);
void px_on_client(struct sl_dnsproxy *p, struct client *c, uint32_t events);

#endif
