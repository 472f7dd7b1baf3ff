/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The resolver proxy agents' DNS is redirected to (bpf/sluice.bpf.c,
 * dns_redirect).  It answers only names an agent may resolve, forwards
 * those upstream (UDP, TCP when the answer is truncated), and installs the
 * answer's addresses into the agent's kernel rules before it releases the
 * answer.  It runs in a thread of its own; it touches the engine and the
 * event pipeline only while holding the daemon's lock.
 */
#ifndef SLUICE_DNSPROXY_H
#define SLUICE_DNSPROXY_H

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <json-c/json.h>
#include "engine.h"

#define SL_DNS_UPSTREAMS 4

struct sl_dnsproxy_cfg {
	uint16_t port;			/* on 127.0.0.1 and ::1, host order */
	struct sockaddr_storage upstream[SL_DNS_UPSTREAMS];
	int n_upstream;
	int refuse_rcode;		/* SL_DNS_REFUSED (default) or SL_DNS_NXDOMAIN */
	struct sl_engine *eng;
	pthread_mutex_t *lock;		/* the daemon's: engine and events */
	/* A control event; called with the lock held; fields are taken. */
	void (*notify)(void *ctx, const char *type, json_object *fields);
	void *ctx;
};

struct sl_dnsproxy;

/* Bind the sockets and start the thread.  0 or -errno (with a message). */
int sl_dnsproxy_start(struct sl_dnsproxy **out, const struct sl_dnsproxy_cfg *cfg);
/* Stop the thread and close everything.  Accepts NULL. */
void sl_dnsproxy_stop(struct sl_dnsproxy *p);
/* Counters for status (takes no lock: counters are atomic). */
json_object *sl_dnsproxy_status(const struct sl_dnsproxy *p);

/* "8.8.8.8", "[2001:db8::53]:5353", "127.0.0.1:53"; port 53 when absent. */
int sl_dnsproxy_parse_upstream(const char *s, struct sockaddr_storage *ss);
/* The nameservers of /etc/resolv.conf, skipping loopback:port (ours). */
int sl_dnsproxy_resolv_conf(struct sl_dnsproxy_cfg *cfg);

#endif
