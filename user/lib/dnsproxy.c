// SPDX-License-Identifier: GPL-2.0-only
/*
 * The resolver proxy (dnsproxy.h).  One thread, one epoll loop, nothing
 * blocks: queries arrive over UDP and TCP on 127.0.0.1 and ::1, each is
 * judged (sl_engine_dns_check) for the cgroup of the socket that sent it
 * (sock_diag), forwarded upstream over UDP with the proxy's own random id,
 * retried over TCP when the answer is truncated, and answered only after
 * the answer's addresses are in the kernel (sl_engine_dns_learn).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "addr.h"
#include "dnsproxy_int.h"
#include "log.h"

uint64_t px_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t px_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

socklen_t px_sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

bool px_sa_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

	return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
}

int px_watch(struct sl_dnsproxy *p, struct handle *h, uint32_t events)
{
	struct epoll_event ee = { .events = events, .data.ptr = h };

	return epoll_ctl(p->ep, EPOLL_CTL_ADD, h->fd, &ee) ? -errno : 0;
}

void px_rewatch(struct sl_dnsproxy *p, struct handle *h, uint32_t events)
{
	struct epoll_event ee = { .events = events, .data.ptr = h };

	epoll_ctl(p->ep, EPOLL_CTL_MOD, h->fd, &ee);
}

static void notify(struct sl_dnsproxy *p, const char *type, json_object *f)
{
	pthread_mutex_lock(p->cfg.lock);
	p->cfg.notify(p->cfg.ctx, type, f);
	pthread_mutex_unlock(p->cfg.lock);
}

static const char *qtype_name(uint16_t t, char *buf, size_t len)
{
	switch (t) {
	case SL_DNS_A: return "A";
	case SL_DNS_AAAA: return "AAAA";
	case SL_DNS_CNAME: return "CNAME";
	default:
		snprintf(buf, len, "TYPE%u", t);
		return buf;
	}
}

static json_object *query_fields(const struct sl_dns_query *q, const char *agent,
				 const char *task)
{
	json_object *f = json_object_new_object();
	char t[16];

	if (agent)
		json_object_object_add(f, "agent", json_object_new_string(agent));
	if (task)
		json_object_object_add(f, "task", json_object_new_string(task));
	json_object_object_add(f, "query", json_object_new_string(q->name));
	json_object_object_add(f, "qtype", json_object_new_string(qtype_name(q->qtype, t, sizeof(t))));
	return f;
}

/* ---- replies ------------------------------------------------------------ */

/* Send msg for q to whoever asked: UDP (truncated if too big) or TCP. */
static void reply(struct sl_dnsproxy *p, struct handle *from, const struct sockaddr_storage *peer,
		  const struct sl_dns_query *q, const uint8_t *msg, size_t len)
{
	uint8_t tc[SL_DNS_UDP_PLAIN];
	size_t tlen;

	if (from->kind == H_CLIENT) {
		px_client_send(p, (struct client *)from, msg, len);
		return;
	}
	if (len > q->udp_size) {
		if (sl_dns_build_truncated(q, tc, sizeof(tc), &tlen))
			return;
		msg = tc;
		len = tlen;
	}
	sendto(from->fd, msg, len, MSG_DONTWAIT, (const struct sockaddr *)peer, px_sa_len(peer));
}

static void reply_rcode(struct sl_dnsproxy *p, struct handle *from,
			const struct sockaddr_storage *peer, const struct sl_dns_query *q, int rcode)
{
	uint8_t out[SL_DNS_WIRE_MAX + 64];
	size_t len;

	if (!sl_dns_build_error(q, rcode, out, sizeof(out), &len))
		reply(p, from, peer, q, out, len);
}

/* ---- pending queries --------------------------------------------------- */

void px_pending_free(struct sl_dnsproxy *p, struct pending *pq)
{
	if (pq->tcp) {
		epoll_ctl(p->ep, EPOLL_CTL_DEL, pq->tcp->h.fd, NULL);
		close(pq->tcp->h.fd);
		free(pq->tcp);
	}
	if (pq->from->kind == H_CLIENT)
		px_client_put(p, (struct client *)pq->from);
	p->by_id[pq->id] = 0;
	memset(pq, 0, sizeof(*pq));
}

static void note_latency(struct sl_dnsproxy *p, uint64_t t0_us)
{
	uint64_t us = px_now_us() - t0_us;
	int b = 0;

	while (us > 1 && b < 31) {
		us >>= 1;
		b++;
	}
	atomic_fetch_add(&p->lat_bucket[b], 1);
}

void px_servfail(struct sl_dnsproxy *p, struct pending *pq)
{
	atomic_fetch_add(&p->servfail, 1);
	reply_rcode(p, pq->from, &pq->peer, &pq->q, SL_DNS_SERVFAIL);
	px_pending_free(p, pq);
}

static int send_upstream(struct sl_dnsproxy *p, struct pending *pq)
{
	const struct sockaddr_storage *up = &p->cfg.upstream[pq->up];
	uint8_t msg[1024];
	size_t len;

	if (sl_dns_build_query(&pq->q, pq->id, msg, sizeof(msg), &len))
		return -ENOSPC;
	pq->tried = px_now_ms();
	if (sendto(p->upstream[up->ss_family == AF_INET6].fd, msg, len, MSG_DONTWAIT,
		   (const struct sockaddr *)up, px_sa_len(up)) < 0)
		return -errno;
	return 0;
}

static struct pending *pending_new(struct sl_dnsproxy *p)
{
	uint16_t id;

	for (int i = 0; i < MAX_PENDING; i++) {
		if (p->pq[i].used)
			continue;
		/* A fresh random id no other query uses: spoofed answers must guess it. */
		do {
			if (getrandom(&id, sizeof(id), 0) != sizeof(id))
				return NULL;
		} while (p->by_id[id]);
		p->pq[i].used = true;
		p->pq[i].id = id;
		p->by_id[id] = (uint16_t)(i + 1);
		return &p->pq[i];
	}
	return NULL;
}

/* ---- answers ------------------------------------------------------------- */

static json_object *answer_fields(const struct sl_dns_query *q, const struct sl_dns_verdict *v,
				  const struct sl_dns_answer *a)
{
	json_object *f = query_fields(q, v->agent, v->task), *arr = json_object_new_array();
	char ip[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < a->n_addrs; i++) {
		if (!memcmp(a->addrs[i].addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
			inet_ntop(AF_INET, a->addrs[i].addr + 12, ip, sizeof(ip));
		else
			inet_ntop(AF_INET6, a->addrs[i].addr, ip, sizeof(ip));
		json_object_array_add(arr, json_object_new_string(ip));
	}
	json_object_object_add(f, "answers", arr);
	json_object_object_add(f, "rcode", json_object_new_int(a->rcode));
	json_object_object_add(f, "verdict", json_object_new_string("allow"));
	return f;
}

/*
 * The upstream answered: cap its TTLs, put its addresses in the kernel,
 * then (and only then) release it.  Any failure is a SERVFAIL.
 */
static void finish(struct sl_dnsproxy *p, struct pending *pq, uint8_t *msg, size_t len,
		   const struct sl_dns_answer *a, uint64_t t0_us)
{
	uint8_t addrs[SL_DNS_MAX_ADDRS][16];
	uint32_t ttls[SL_DNS_MAX_ADDRS];
	struct sl_dns_verdict v;
	int err;

	for (size_t i = 0; i < a->n_addrs; i++) {
		memcpy(addrs[i], a->addrs[i].addr, 16);
		ttls[i] = a->addrs[i].ttl;
	}
	pthread_mutex_lock(p->cfg.lock);
	err = sl_dns_finish_reply(msg, len, &pq->q, a, sl_engine_dns_ttl_cap(p->cfg.eng));
	if (!err)
		err = sl_engine_dns_check(p->cfg.eng, pq->cgroup, pq->q.name, &v);
	if (!err && a->n_addrs)
		err = sl_engine_dns_learn(p->cfg.eng, pq->cgroup, pq->q.name,
					  (const uint8_t (*)[16])addrs, ttls, a->n_addrs);
	if (!err && pq->log)
		p->cfg.notify(p->cfg.ctx, "dns_query", answer_fields(&pq->q, &v, a));
	pthread_mutex_unlock(p->cfg.lock);
	if (err) {
		px_servfail(p, pq);
		return;
	}
	atomic_fetch_add(&p->installed, a->n_addrs);
	atomic_fetch_add(&p->answered, 1);
	note_latency(p, t0_us);
	reply(p, pq->from, &pq->peer, &pq->q, msg, len);
	px_pending_free(p, pq);
}

void px_on_answer(struct sl_dnsproxy *p, struct pending *pq, uint8_t *msg, size_t len,
		      bool over_tcp)
{
	struct sl_dns_answer *a = malloc(sizeof(*a));
	const char *why;
	int err;

	if (!a) {
		px_servfail(p, pq);
		return;
	}
	err = sl_dns_parse_answer(msg, len, &pq->q, pq->id, a, &why);
	if (err == -ENOMSG && !over_tcp) {
		free(a);	/* not the answer to this query: keep waiting */
		return;
	}
	if (err) {
		atomic_fetch_add(&p->malformed, 1);
		px_servfail(p, pq);
	} else if (a->truncated && !over_tcp) {
		px_tcp_retry(p, pq);
	} else {
		finish(p, pq, msg, len, a, pq->t0_us);
	}
	free(a);
}

static void on_upstream(struct sl_dnsproxy *p, struct handle *h)
{
	uint8_t msg[SL_DNS_MSG_MAX];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	struct pending *pq;
	ssize_t n;

	while ((n = recvfrom(h->fd, msg, sizeof(msg), MSG_DONTWAIT, (struct sockaddr *)&from,
			     &flen)) >= SL_DNS_HDR_LEN) {
		uint16_t id = (uint16_t)(msg[0] << 8 | msg[1]);

		pq = p->by_id[id] ? &p->pq[p->by_id[id] - 1] : NULL;
		/* Only from the server asked: answers from elsewhere are spoofs. */
		if (pq && !pq->tcp && px_sa_equal(&from, &p->cfg.upstream[pq->up]))
			px_on_answer(p, pq, msg, (size_t)n, false);
		flen = sizeof(from);
	}
}

/* ---- queries ----------------------------------------------------------------- */

/* The cgroup of the sender; a dual-stack socket asked over IPv4 is AF_INET6. */
static int sender_cgroup(struct sl_dnsproxy *p, int proto, const struct sockaddr_storage *peer,
			 const struct sockaddr_storage *local, uint64_t *cg)
{
	struct sockaddr_in6 p6 = { .sin6_family = AF_INET6 }, l6 = { .sin6_family = AF_INET6 };
	const struct sockaddr_in *p4 = (const void *)peer, *l4 = (const void *)local;
	int err = sl_sockdiag_cgroup(p->sd, proto, (const struct sockaddr *)peer,
				     (const struct sockaddr *)local, cg);

	if (err != -ENOENT || peer->ss_family != AF_INET)
		return err;
	p6.sin6_port = p4->sin_port;
	l6.sin6_port = l4->sin_port;
	p6.sin6_addr.s6_addr[10] = p6.sin6_addr.s6_addr[11] = 0xff;
	l6.sin6_addr.s6_addr[10] = l6.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&p6.sin6_addr.s6_addr[12], &p4->sin_addr, 4);
	memcpy(&l6.sin6_addr.s6_addr[12], &l4->sin_addr, 4);
	return sl_sockdiag_cgroup(p->sd, proto, (const struct sockaddr *)&p6,
				  (const struct sockaddr *)&l6, cg);
}

void px_malformed(struct sl_dnsproxy *p, const char *why, const char *agent)
{
	uint64_t t = px_now_ms();
	json_object *f;

	atomic_fetch_add(&p->malformed, 1);
	if (t - p->last_malformed_ms < MALFORMED_EVERY_MS) {
		p->malformed_quiet++;
		return;
	}
	f = json_object_new_object();
	json_object_object_add(f, "reason", json_object_new_string(why));
	if (agent)
		json_object_object_add(f, "agent", json_object_new_string(agent));
	json_object_object_add(f, "suppressed", json_object_new_uint64(p->malformed_quiet));
	json_object_object_add(f, "verdict", json_object_new_string("deny"));
	p->last_malformed_ms = t;
	p->malformed_quiet = 0;
	notify(p, "dns_malformed", f);
}

static void refused(struct sl_dnsproxy *p, const struct sl_dns_query *q,
		    const struct sl_dns_verdict *v)
{
	json_object *f = query_fields(q, v->agent, v->task);

	atomic_fetch_add(&p->refused, 1);
	json_object_object_add(f, "reason", json_object_new_string(v->why));
	json_object_object_add(f, "verdict", json_object_new_string("deny"));
	p->cfg.notify(p->cfg.ctx, "dns_denied", f);
}

/* Judge a query; forward it, or answer it here. */
void px_on_query(struct sl_dnsproxy *p, const uint8_t *msg, size_t len, struct handle *from,
		     const struct sockaddr_storage *peer, const struct sockaddr_storage *local)
{
	int proto = from->kind == H_CLIENT ? IPPROTO_TCP : IPPROTO_UDP;
	struct sl_dns_verdict v = { 0 };
	struct sl_dns_query q;
	struct pending *pq;
	const char *why;
	uint64_t cg = 0;
	int err;

	atomic_fetch_add(&p->queries, 1);
	err = sl_dns_parse_query(msg, len, &q, &why);
	if (err == -EBADMSG) {
		px_malformed(p, why, NULL);
		return;
	}
	if (err) {
		reply_rcode(p, from, peer, &q, q.error_rcode);
		return;
	}
	if (sender_cgroup(p, proto, peer, local, &cg)) {
		reply_rcode(p, from, peer, &q, p->cfg.refuse_rcode);	/* unknown sender */
		return;
	}
	pthread_mutex_lock(p->cfg.lock);
	err = sl_engine_dns_check(p->cfg.eng, cg, q.name, &v);
	if (err)
		refused(p, &q, &v);
	pthread_mutex_unlock(p->cfg.lock);
	if (err) {
		reply_rcode(p, from, peer, &q, p->cfg.refuse_rcode);
		return;
	}
	pq = pending_new(p);
	if (!pq) {
		reply_rcode(p, from, peer, &q, SL_DNS_SERVFAIL);
		return;
	}
	pq->q = q;
	pq->cgroup = cg;
	pq->log = v.log_allowed;
	pq->from = from;
	pq->peer = *peer;
	pq->started = px_now_ms();
	pq->t0_us = px_now_us();
	if (from->kind == H_CLIENT)
		((struct client *)from)->refs++;
	atomic_fetch_add(&p->forwarded, 1);
	if (send_upstream(p, pq))
		px_servfail(p, pq);
}

static void on_udp(struct sl_dnsproxy *p, struct handle *h, int fam)
{
	uint8_t msg[SL_DNS_MSG_MAX];
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	ssize_t n;

	while ((n = recvfrom(h->fd, msg, sizeof(msg), MSG_DONTWAIT, (struct sockaddr *)&peer,
			     &plen)) >= 0) {
		px_on_query(p, msg, (size_t)n, h, &peer, &p->local[fam]);
		plen = sizeof(peer);
	}
}

/* ---- the loop ------------------------------------------------------------------ */

static void on_tick(struct sl_dnsproxy *p)
{
	uint64_t t = px_now_ms(), ticks;

	if (read(p->tick.fd, &ticks, sizeof(ticks)) < 0)
		return;
	for (int i = 0; i < MAX_PENDING; i++) {
		struct pending *pq = &p->pq[i];

		if (!pq->used || t - pq->tried < TRY_MS)
			continue;
		if (t - pq->started >= GIVE_UP_MS || pq->tcp || pq->up + 1 >= p->cfg.n_upstream) {
			atomic_fetch_add(&p->timeouts, 1);
			px_servfail(p, pq);
			continue;
		}
		pq->up++;	/* the next upstream */
		if (send_upstream(p, pq))
			px_servfail(p, pq);
	}
}

static void *loop(void *arg)
{
	struct sl_dnsproxy *p = arg;
	struct epoll_event evs[32];

	for (;;) {
		int n = epoll_wait(p->ep, evs, 32, -1);

		for (int i = 0; i < n; i++) {
			struct handle *h = evs[i].data.ptr;

			switch (h->kind) {
			case H_STOP: return NULL;
			case H_TICK: on_tick(p); break;
			case H_UDP: on_udp(p, h, h == &p->udp[1]); break;
			case H_LISTEN: px_on_accept(p, h); break;
			case H_UPSTREAM: on_upstream(p, h); break;
			case H_CLIENT: px_on_client(p, (struct client *)h, evs[i].events); break;
			case H_UPTCP: px_on_uptcp(p, (struct uptcp *)h, evs[i].events); break;
			}
		}
	}
}

static int open_sock(struct sl_dnsproxy *p, struct handle *h, enum hkind kind, int fam,
		     int type, const struct sockaddr_storage *bind_to)
{
	int one = 1;

	h->kind = kind;
	h->fd = socket(fam, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0)
		return -errno;
	if (fam == AF_INET6)
		setsockopt(h->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_STREAM)
		setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind_to && bind(h->fd, (const struct sockaddr *)bind_to, px_sa_len(bind_to)))
		return -errno;
	if (type == SOCK_STREAM && kind == H_LISTEN && listen(h->fd, 64))
		return -errno;
	return px_watch(p, h, EPOLLIN);
}

static int open_all(struct sl_dnsproxy *p)
{
	struct sockaddr_in *l4 = (void *)&p->local[0];
	struct sockaddr_in6 *l6 = (void *)&p->local[1];
	struct itimerspec its = { .it_interval = { 0, TICK_MS * 1000000 },
				  .it_value = { 0, TICK_MS * 1000000 } };
	int err = 0;

	l4->sin_family = AF_INET;
	l4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l4->sin_port = htons(p->cfg.port);
	l6->sin6_family = AF_INET6;
	l6->sin6_addr = in6addr_loopback;
	l6->sin6_port = htons(p->cfg.port);
	for (int f = 0; f < 2 && !err; f++) {
		int fam = f ? AF_INET6 : AF_INET;

		err = open_sock(p, &p->udp[f], H_UDP, fam, SOCK_DGRAM, &p->local[f]);
		if (!err)
			err = open_sock(p, &p->listen[f], H_LISTEN, fam, SOCK_STREAM, &p->local[f]);
		if (!err)
			err = open_sock(p, &p->upstream[f], H_UPSTREAM, fam, SOCK_DGRAM, NULL);
	}
	if (err)
		return err;
	p->stop = (struct handle){ .kind = H_STOP, .fd = eventfd(0, EFD_CLOEXEC) };
	p->tick = (struct handle){ .kind = H_TICK,
				   .fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK) };
	if (p->stop.fd < 0 || p->tick.fd < 0)
		return -errno;
	timerfd_settime(p->tick.fd, 0, &its, NULL);
	err = px_watch(p, &p->stop, EPOLLIN);
	return err ? err : px_watch(p, &p->tick, EPOLLIN);
}

int sl_dnsproxy_start(struct sl_dnsproxy **out, const struct sl_dnsproxy_cfg *cfg)
{
	struct sl_dnsproxy *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	if (!p->cfg.refuse_rcode)
		p->cfg.refuse_rcode = SL_DNS_REFUSED;
	struct handle *hs[] = { &p->udp[0], &p->udp[1], &p->listen[0], &p->listen[1],
				&p->upstream[0], &p->upstream[1], &p->stop, &p->tick };

	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		hs[i]->fd = -1;
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	err = p->ep < 0 ? -errno : sl_sockdiag_open(&p->sd);
	if (!err)
		err = open_all(p);
	if (err) {
		pr_warn("cannot start the DNS proxy on port %u: %s\n", cfg->port, strerror(-err));
		sl_dnsproxy_stop(p);
		return err;
	}
	err = -pthread_create(&p->thread, NULL, loop, p);
	if (err) {
		sl_dnsproxy_stop(p);
		return err;
	}
	p->started = true;
	*out = p;
	return 0;
}

void sl_dnsproxy_stop(struct sl_dnsproxy *p)
{
	uint64_t one = 1;

	if (!p)
		return;
	if (p->started && write(p->stop.fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(p->thread, NULL);
	for (int i = 0; i < MAX_PENDING; i++)
		if (p->pq[i].used)
			px_pending_free(p, &p->pq[i]);
	struct handle *hs[] = { &p->udp[0], &p->udp[1], &p->listen[0], &p->listen[1],
				&p->upstream[0], &p->upstream[1], &p->stop, &p->tick };

	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		if (hs[i]->fd >= 0)
			close(hs[i]->fd);
	if (p->ep >= 0)
		close(p->ep);
	sl_sockdiag_close(p->sd);
	free(p);
}

/* The latency below which a share of the answered queries fall (bucket top). */
static uint64_t percentile_us(const struct sl_dnsproxy *p, double share)
{
	uint64_t total = 0, seen = 0;

	for (int b = 0; b < 32; b++)
		total += atomic_load(&p->lat_bucket[b]);
	for (int b = 0; b < 32 && total; b++) {
		seen += atomic_load(&p->lat_bucket[b]);
		if ((double)seen >= share * (double)total)
			return 2ull << b;
	}
	return 0;
}

json_object *sl_dnsproxy_status(const struct sl_dnsproxy *p)
{
	json_object *o = json_object_new_object();

#define ADD(name) json_object_object_add(o, #name, json_object_new_uint64(atomic_load(&p->name)))
	ADD(queries);
	ADD(forwarded);
	ADD(refused);
	ADD(malformed);
	ADD(servfail);
	ADD(timeouts);
	ADD(tcp_retries);
	ADD(installed);
	ADD(answered);
#undef ADD
	json_object_object_add(o, "port", json_object_new_int(p->cfg.port));
	json_object_object_add(o, "latency_p50_us_max", json_object_new_uint64(percentile_us(p, 0.5)));
	json_object_object_add(o, "latency_p99_us_max", json_object_new_uint64(percentile_us(p, 0.99)));
	return o;
}

int sl_dnsproxy_parse_upstream(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;
	uint8_t addr[16];
	uint16_t port = 53;

	memset(ss, 0, sizeof(*ss));
	if (sl_hostport_parse(s, addr, &port) && sl_addr_parse(s, addr))
		return -EINVAL;
	if (!port)
		return -EINVAL;
	if (sl_addr_is_v4(addr)) {
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, addr + 12, 4);
		s4->sin_port = htons(port);
	} else {
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, addr, 16);
		s6->sin6_port = htons(port);
	}
	return 0;
}

int sl_dnsproxy_resolv_conf(struct sl_dnsproxy_cfg *cfg)
{
	char line[256], addr[128];
	FILE *f = fopen("/etc/resolv.conf", "re");

	if (!f)
		return -errno;
	while (cfg->n_upstream < SL_DNS_UPSTREAMS && fgets(line, sizeof(line), f)) {
		struct sockaddr_storage ss;

		if (sscanf(line, " nameserver %127s", addr) != 1 ||
		    sl_dnsproxy_parse_upstream(addr, &ss))
			continue;
		cfg->upstream[cfg->n_upstream++] = ss;
	}
	fclose(f);
	return cfg->n_upstream ? 0 : -ENOENT;
}
