// SPDX-License-Identifier: GPL-2.0-only
/*
 * The DNS proxy over TCP: agents' connections (framed queries in, framed
 * answers out, several queries per connection), and the connection to
 * upstream when a UDP answer came back truncated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "dnsproxy_int.h"

void px_client_put(struct sl_dnsproxy *p, struct client *c)
{
	if (--c->refs > 0 || !c->closed)
		return;
	free(c->out);
	free(c);
	p->n_clients--;
}

void px_client_close(struct sl_dnsproxy *p, struct client *c)
{
	if (c->closed)
		return;
	epoll_ctl(p->ep, EPOLL_CTL_DEL, c->h.fd, NULL);
	close(c->h.fd);
	c->closed = true;
	px_client_put(p, c);	/* the connection's own reference */
}

void px_client_flush(struct sl_dnsproxy *p, struct client *c)
{
	ssize_t n = send(c->h.fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0 && errno != EAGAIN) {
		px_client_close(p, c);
		return;
	}
	if (n > 0) {
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	px_rewatch(p, &c->h, EPOLLIN | (c->out_len ? EPOLLOUT : 0));
}

void px_client_send(struct sl_dnsproxy *p, struct client *c, const uint8_t *msg, size_t len)
{
	uint8_t *o;

	if (c->closed || c->out_len + len + 2 > 4 * SL_DNS_MSG_MAX)
		return;
	o = realloc(c->out, c->out_len + len + 2);
	if (!o)
		return;
	c->out = o;
	sl_dns_tcp_prefix(len, c->out + c->out_len);
	memcpy(c->out + c->out_len + 2, msg, len);
	c->out_len += len + 2;
	px_client_flush(p, c);
}

/* ---- TCP to upstream ------------------------------------------------------- */

void px_tcp_retry(struct sl_dnsproxy *p, struct pending *pq)
{
	const struct sockaddr_storage *up = &p->cfg.upstream[pq->up];
	struct uptcp *t = calloc(1, sizeof(*t));
	size_t len;

	atomic_fetch_add(&p->tcp_retries, 1);
	if (!t || sl_dns_build_query(&pq->q, pq->id, t->msg + 2, sizeof(t->msg) - 2, &len)) {
		free(t);
		px_servfail(p, pq);
		return;
	}
	sl_dns_tcp_prefix(len, t->msg);
	t->len = len + 2;
	t->slot = (int)(pq - p->pq);
	t->h.kind = H_UPTCP;
	t->h.fd = socket(up->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->h.fd < 0 || (connect(t->h.fd, (const struct sockaddr *)up, px_sa_len(up)) &&
			    errno != EINPROGRESS) || px_watch(p, &t->h, EPOLLOUT | EPOLLIN)) {
		if (t->h.fd >= 0)
			close(t->h.fd);
		free(t);
		px_servfail(p, pq);
		return;
	}
	pq->tcp = t;
	pq->tried = px_now_ms();
}

void px_on_uptcp(struct sl_dnsproxy *p, struct uptcp *t, uint32_t events)
{
	struct pending *pq = &p->pq[t->slot];
	const uint8_t *msg;
	uint8_t *dst;
	size_t room, len;
	ssize_t n;
	int r;

	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		px_servfail(p, pq);
		return;
	}
	if (t->sent < t->len && (events & EPOLLOUT)) {
		n = send(t->h.fd, t->msg + t->sent, t->len - t->sent, MSG_NOSIGNAL);
		if (n > 0)
			t->sent += (size_t)n;
		if (t->sent == t->len)
			px_rewatch(p, &t->h, EPOLLIN);
	}
	if (!(events & EPOLLIN))
		return;
	room = sl_dns_stream_room(&t->in, &dst);
	n = read(t->h.fd, dst, room);
	r = n > 0 ? sl_dns_stream_fill(&t->in, (size_t)n) : -EPIPE;
	if (r == 0)
		return;
	if (r < 0) {
		px_servfail(p, pq);
		return;
	}
	msg = sl_dns_stream_msg(&t->in, &len);
	px_on_answer(p, pq, (uint8_t *)msg, len, true);
}

void px_on_accept(struct sl_dnsproxy *p, struct handle *h)
{
	struct client *c;
	socklen_t len;
	int fd;

	while ((fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		c = p->n_clients < MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			close(fd);
			continue;
		}
		c->h = (struct handle){ .kind = H_CLIENT, .fd = fd };
		c->refs = 1;
		len = sizeof(c->peer);
		getpeername(fd, (struct sockaddr *)&c->peer, &len);
		len = sizeof(c->local);
		getsockname(fd, (struct sockaddr *)&c->local, &len);
		if (px_watch(p, &c->h, EPOLLIN)) {
			close(fd);
			free(c);
			continue;
		}
		p->n_clients++;
	}
}

void px_on_client(struct sl_dnsproxy *p, struct client *c, uint32_t events)
{
	const uint8_t *msg;
	uint8_t *dst;
	size_t len;
	ssize_t n;
	int r;

	if (events & EPOLLOUT)
		px_client_flush(p, c);
	while (!c->closed && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		len = sl_dns_stream_room(&c->in, &dst);
		n = read(c->h.fd, dst, len);
		if (n < 0 && errno == EAGAIN)
			return;
		r = n > 0 ? sl_dns_stream_fill(&c->in, (size_t)n) : -EPIPE;
		if (r < 0) {
			if (r == -EBADMSG)
				px_malformed(p, "zero-length TCP frame", NULL);
			px_client_close(p, c);
			return;
		}
		if (r == 1) {
			msg = sl_dns_stream_msg(&c->in, &len);
			px_on_query(p, msg, len, &c->h, &c->peer, &c->local);
			sl_dns_stream_reset(&c->in);
		}
	}
}
