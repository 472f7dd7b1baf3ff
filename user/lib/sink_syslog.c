// SPDX-License-Identifier: GPL-2.0-only
/*
 * Syslog sinks: RFC 5424 messages over UDP (a datagram each), TCP (RFC
 * 6587 octet counting) or a Unix socket (datagram, or stream if that is
 * what listens).  Stream sockets reconnect with backoff and keep the
 * message in hand until it is sent; sockets are non-blocking and every
 * wait is bounded, so a stop always ends within its deadline.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>
#include "sinks_int.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
#define CONNECT_MS	2000
#define POLL_MS		200

int sl_sink_resolve(struct sl_sink *s)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICSERV }, *res = NULL;
	char host[256], *port;
	const char *a = s->cfg.address;
	int r;

	if (s->cfg.transport == SL_TRANSPORT_UNIX) {
		struct sockaddr_un *un = (struct sockaddr_un *)&s->sa;

		if (strlen(s->cfg.path) >= sizeof(un->sun_path))
			return -ENAMETOOLONG;
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, s->cfg.path);
		s->sa_len = sizeof(*un);
		return 0;
	}
	/* "host:port", "[v6]:port", or a host alone for port 514. */
	snprintf(host, sizeof(host), "%s", a[0] == '[' ? a + 1 : a);
	port = strrchr(host, a[0] == '[' ? ']' : ':');
	if (a[0] == '[' && (!port || (port[1] && port[1] != ':')))
		return -EINVAL;
	if (port) {
		*port++ = '\0';
		if (*port == ':')
			port++;
	}
	if (!port || !*port)
		port = "514";
	hints.ai_socktype = s->cfg.transport == SL_TRANSPORT_TCP ? SOCK_STREAM : SOCK_DGRAM;
	r = getaddrinfo(host, port, &hints, &res);
	if (r || !res)
		return -EHOSTUNREACH;
	memcpy(&s->sa, res->ai_addr, res->ai_addrlen);
	s->sa_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void set_connected(struct sl_sink *s, bool up)
{
	pthread_mutex_lock(&s->mu);
	s->connected = up;
	pthread_mutex_unlock(&s->mu);
}

void sl_sink_net_close(struct sl_sink *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	set_connected(s, false);
}

/* Wait up to POLL_MS for events on the socket; false when giving up. */
static bool net_wait(struct sl_sink *s, short events)
{
	struct pollfd p = { .fd = s->fd, .events = events };

	while (!sl_sink_giving_up(s)) {
		if (poll(&p, 1, POLL_MS) > 0)
			return true;
	}
	return false;
}

static int net_connect_fd(struct sl_sink *s, int type)
{
	int fd = socket(s->sa.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int64_t until = sl_now_ms() + CONNECT_MS;
	int err = 0;
	socklen_t l = sizeof(err);

	if (fd < 0)
		return -errno;
	s->fd = fd;
	if (!connect(fd, (struct sockaddr *)&s->sa, s->sa_len))
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	while (sl_now_ms() < until && !sl_sink_giving_up(s)) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (poll(&p, 1, POLL_MS) <= 0)
			continue;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
		return -err;
	}
	return -ETIMEDOUT;
}

static int net_connect(struct sl_sink *s)
{
	bool tcp = s->cfg.transport == SL_TRANSPORT_TCP;
	int err;

	s->stream = tcp;
	err = net_connect_fd(s, tcp ? SOCK_STREAM : SOCK_DGRAM);
	/* A Unix stream socket (rsyslog's imuxsock is a datagram one). */
	if (err == -EPROTOTYPE && s->cfg.transport == SL_TRANSPORT_UNIX) {
		sl_sink_net_close(s);
		s->stream = true;
		err = net_connect_fd(s, SOCK_STREAM);
	}
	if (err) {
		sl_sink_net_close(s);
		sl_sink_error(s, "connect", -err);
		return err;
	}
	set_connected(s, true);
	return 0;
}

/*
 * A syslog receiver never writes to us: readable means it closed (or
 * restarted).  Noticing before a send keeps the message from vanishing
 * into a socket the peer already abandoned.
 */
static bool peer_closed(struct sl_sink *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN | POLLRDHUP };
	char junk[256];

	if (poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & (POLLRDHUP | POLLHUP | POLLERR))
		return true;
	return recv(s->fd, junk, sizeof(junk), MSG_DONTWAIT) == 0;
}

static int send_all(struct sl_sink *s, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(s->fd, buf + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (!net_wait(s, POLLOUT))
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return -errno;
		if (!s->stream)
			return (size_t)n == len ? 0 : -EMSGSIZE;
		off += (size_t)n;
	}
	return 0;
}

/* RFC 6587 octet counting on streams: "LEN SP MSG". */
static int net_send(struct sl_sink *s, const struct item *it)
{
	char prefix[24];
	int err;

	if (!s->stream)
		return send_all(s, it->buf, it->len);
	snprintf(prefix, sizeof(prefix), "%zu ", it->len);
	err = send_all(s, prefix, strlen(prefix));
	return err ? err : send_all(s, it->buf, it->len);
}

/* Sleep before the next connect, doubling; false when giving up. */
static bool backoff(struct sl_sink *s)
{
	int64_t until;
	struct timespec ts;

	if (s->backoff_ms < BACKOFF_MIN_MS)
		s->backoff_ms = BACKOFF_MIN_MS;
	until = sl_now_ms() + s->backoff_ms;
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
	pthread_mutex_lock(&s->mu);
	while (!s->stopping && sl_now_ms() < until) {
		ts.tv_sec = until / 1000;
		ts.tv_nsec = until % 1000 * 1000000;
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	pthread_mutex_unlock(&s->mu);
	return !sl_sink_giving_up(s);
}

/*
 * TCP and Unix sockets keep a message through reconnects until it is sent
 * (or the daemon stops); UDP tries twice, since a refusal reported now is
 * about an earlier datagram, then drops it.
 */
void sl_sink_net_deliver(struct sl_sink *s, struct item *it, size_t n)
{
	bool retried = false;

	for (size_t i = 0; i < n;) {
		int err;

		if (s->fd < 0 && net_connect(s)) {
			if (!backoff(s))
				return;
			continue;
		}
		if (s->stream && peer_closed(s)) {
			sl_sink_net_close(s);
			continue;
		}
		err = net_send(s, &it[i]);
		if (!err) {
			it[i++].sent = true;
			s->backoff_ms = BACKOFF_MIN_MS;
			retried = false;
			continue;
		}
		sl_sink_error(s, "send", -err);
		if (sl_sink_giving_up(s))
			return;
		if (err == -EMSGSIZE) {
			i++;	/* too big for this receiver, ever */
			continue;
		}
		if (s->cfg.transport == SL_TRANSPORT_UDP) {
			if (retried || err != -ECONNREFUSED)
				i++;
			retried = !retried && err == -ECONNREFUSED;
			continue;
		}
		sl_sink_net_close(s);
	}
}

