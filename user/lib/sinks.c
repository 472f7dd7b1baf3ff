// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sinks: a bounded queue of rendered events and a writer thread each.
 *
 * The event loop only renders and queues (a mutex held for a pointer
 * copy); everything that can block -- a full disk, a receiver that stopped
 * reading, a reconnect with backoff -- happens on the sink's own thread.
 * Regular files cannot be made non-blocking, which is why this is threads
 * and not epoll.  A full queue drops the new event and counts it, with the
 * seq range lost, so events_lost can say exactly what is missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "sinks.h"

#define BATCH		64
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
#define CONNECT_MS	2000
#define POLL_MS		200

struct item {
	char *buf;
	size_t len;
	uint64_t seq;
	bool sent;
};

struct sl_sink {
	struct sl_sink_cfg cfg;		/* strings owned */
	char name[PATH_MAX + 32];
	struct sl_syslog_opts sopts;

	pthread_mutex_t mu;		/* guards what follows, up to the writer's state */
	pthread_cond_t cv;
	struct item *q;
	uint32_t head, n;
	bool stopping, reopen, connected;
	int64_t deadline_ms;
	uint64_t written, dropped, errors, rotations;
	uint64_t reported;		/* dropped when losses were last taken */
	uint64_t loss_first, loss_last;	/* seq range dropped since then */
	char last_error[128];

	/* The writer thread's own state. */
	pthread_t thread;
	bool started;
	int fd;
	uint64_t size;			/* file: bytes in the current file */
	bool stream;			/* socket: octet-counted stream */
	struct sockaddr_storage sa;
	socklen_t sa_len;
	int backoff_ms;
};

int64_t sl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sl_sink_cfg_init(struct sl_sink_cfg *c, enum sl_sink_type type)
{
	memset(c, 0, sizeof(*c));
	c->type = type;
	c->format = SL_EVFMT_JSON;
	c->transport = SL_TRANSPORT_UDP;
	c->queue = SL_SINK_QUEUE_DEFAULT;
	c->facility = SL_SYSLOG_FACILITY;
	c->rotate_keep = 5;
}

void sl_sink_cfg_free(struct sl_sink_cfg *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->path);
	free(c->address);
	free(c->sd_id);
	memset(c, 0, sizeof(*c));
}

static int cfg_copy(struct sl_sink_cfg *dst, const struct sl_sink_cfg *src)
{
	*dst = *src;
	dst->name = src->name ? strdup(src->name) : NULL;
	dst->path = src->path ? strdup(src->path) : NULL;
	dst->address = src->address ? strdup(src->address) : NULL;
	dst->sd_id = strdup(src->sd_id ? src->sd_id : SL_SYSLOG_SD_ID);
	if ((src->name && !dst->name) || (src->path && !dst->path) ||
	    (src->address && !dst->address) || !dst->sd_id)
		return -ENOMEM;
	return 0;
}

static const char *transport_name(enum sl_transport t)
{
	switch (t) {
	case SL_TRANSPORT_TCP: return "tcp";
	case SL_TRANSPORT_UNIX: return "unix";
	default: return "udp";
	}
}

static void make_name(struct sl_sink *s)
{
	const struct sl_sink_cfg *c = &s->cfg;

	if (c->name)
		snprintf(s->name, sizeof(s->name), "%s", c->name);
	else if (c->type == SL_SINK_FILE)
		snprintf(s->name, sizeof(s->name), "file:%s", c->path);
	else if (c->type == SL_SINK_STDOUT)
		snprintf(s->name, sizeof(s->name), "stdout");
	else
		snprintf(s->name, sizeof(s->name), "syslog:%s:%s", transport_name(c->transport),
			 c->transport == SL_TRANSPORT_UNIX ? c->path : c->address);
}

static void set_error(struct sl_sink *s, const char *what, int err)
{
	pthread_mutex_lock(&s->mu);
	s->errors++;
	snprintf(s->last_error, sizeof(s->last_error), "%s: %s", what, strerror(err));
	pthread_mutex_unlock(&s->mu);
}

static bool giving_up(struct sl_sink *s)
{
	bool r;

	pthread_mutex_lock(&s->mu);
	r = s->stopping && sl_now_ms() >= s->deadline_ms;
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* ---- files and standard output --------------------------------------------- */

static int file_open(struct sl_sink *s)
{
	struct stat st;

	s->fd = open(s->cfg.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (s->fd < 0) {
		int err = -errno;

		set_error(s, "open", -err);
		return err;
	}
	s->size = fstat(s->fd, &st) ? 0 : (uint64_t)st.st_size;
	return 0;
}

static int fd_open(struct sl_sink *s)
{
	if (s->cfg.type == SL_SINK_STDOUT) {
		s->fd = STDOUT_FILENO;
		return 0;
	}
	return file_open(s);
}

static void fd_close(struct sl_sink *s)
{
	if (s->fd > STDERR_FILENO)
		close(s->fd);
	s->fd = -1;
}

/* PATH.(keep-1) -> PATH.keep, ..., PATH -> PATH.1; the oldest falls off. */
static void rotate(struct sl_sink *s)
{
	size_t len = strlen(s->cfg.path) + 16;
	char from[len], to[len];

	fd_close(s);
	for (uint32_t i = s->cfg.rotate_keep; i >= 1; i--) {
		if (i == 1)
			snprintf(from, len, "%s", s->cfg.path);
		else
			snprintf(from, len, "%s.%u", s->cfg.path, i - 1);
		snprintf(to, len, "%s.%u", s->cfg.path, i);
		if (rename(from, to) && errno != ENOENT)
			set_error(s, "rotate", errno);
	}
	if (!s->cfg.rotate_keep)
		unlink(s->cfg.path);
	pthread_mutex_lock(&s->mu);
	s->rotations++;
	pthread_mutex_unlock(&s->mu);
}

/* Would this line push the current file past its size?  Never for the first line. */
static bool must_rotate(const struct sl_sink *s, uint64_t pending, size_t len)
{
	return s->cfg.rotate_bytes && s->size + pending > 0 &&
	       s->size + pending + len > s->cfg.rotate_bytes;
}

/* Write iov[0..n) entirely.  0 or -errno. */
static int writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/*
 * Lines go out in runs that fit the current file; rotation happens only
 * between runs, so no line is ever split across two files.
 */
static void file_deliver(struct sl_sink *s, struct item *it, size_t n)
{
	struct iovec iov[BATCH];

	for (size_t i = 0; i < n;) {
		uint64_t bytes = 0;
		size_t j = i;
		int err;

		if (s->fd < 0 && fd_open(s))
			return;
		if (must_rotate(s, 0, it[i].len)) {
			rotate(s);
			continue;
		}
		while (j < n && !must_rotate(s, bytes, it[j].len)) {
			iov[j - i] = (struct iovec){ .iov_base = it[j].buf, .iov_len = it[j].len };
			bytes += it[j++].len;
		}
		err = writev_all(s->fd, iov, (int)(j - i));
		if (err) {
			set_error(s, "write", -err);
			fd_close(s);
			return;
		}
		s->size += bytes;
		for (; i < j; i++)
			it[i].sent = true;
	}
}

/* ---- syslog sockets ------------------------------------------------------------ */

static int resolve(struct sl_sink *s)
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

static void net_close(struct sl_sink *s)
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

	while (!giving_up(s)) {
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
	while (sl_now_ms() < until && !giving_up(s)) {
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
		net_close(s);
		s->stream = true;
		err = net_connect_fd(s, SOCK_STREAM);
	}
	if (err) {
		net_close(s);
		set_error(s, "connect", -err);
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
	int64_t until = sl_now_ms() + s->backoff_ms;
	struct timespec ts;

	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
	pthread_mutex_lock(&s->mu);
	while (!s->stopping && sl_now_ms() < until) {
		ts.tv_sec = until / 1000;
		ts.tv_nsec = until % 1000 * 1000000;
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	pthread_mutex_unlock(&s->mu);
	return !giving_up(s);
}

/*
 * TCP and Unix sockets keep a message through reconnects until it is sent
 * (or the daemon stops); UDP tries twice, since a refusal reported now is
 * about an earlier datagram, then drops it.
 */
static void net_deliver(struct sl_sink *s, struct item *it, size_t n)
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
			net_close(s);
			continue;
		}
		err = net_send(s, &it[i]);
		if (!err) {
			it[i++].sent = true;
			s->backoff_ms = BACKOFF_MIN_MS;
			retried = false;
			continue;
		}
		set_error(s, "send", -err);
		if (giving_up(s))
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
		net_close(s);
	}
}

/* ---- the queue and the writer --------------------------------------------------- */

/* One more event lost; the range since the last report grows to cover it. */
static void count_drop(struct sl_sink *s, uint64_t seq)
{
	if (s->dropped == s->reported) {
		s->loss_first = s->loss_last = seq;
	} else {
		s->loss_first = seq < s->loss_first ? seq : s->loss_first;
		s->loss_last = seq > s->loss_last ? seq : s->loss_last;
	}
	s->dropped++;
}

static void drop_queued(struct sl_sink *s)
{
	for (; s->n; s->n--, s->head = (s->head + 1) % s->cfg.queue) {
		count_drop(s, s->q[s->head].seq);
		free(s->q[s->head].buf);
	}
}

/* Wait for work: up to max items in out (*n, maybe 0 on a reopen); false to end. */
static bool take(struct sl_sink *s, struct item *out, size_t max, size_t *n, bool *reopen)
{
	bool more;

	pthread_mutex_lock(&s->mu);
	while (!s->n && !s->stopping && !s->reopen)
		pthread_cond_wait(&s->cv, &s->mu);
	*reopen = s->reopen;
	s->reopen = false;
	/* Out of time: what is still queued is lost, and counted. */
	if (s->stopping && sl_now_ms() >= s->deadline_ms)
		drop_queued(s);
	for (*n = 0; *n < max && s->n; s->n--, s->head = (s->head + 1) % s->cfg.queue)
		out[(*n)++] = s->q[s->head];
	more = *n || *reopen || !s->stopping;
	pthread_mutex_unlock(&s->mu);
	return more;
}

static void account(struct sl_sink *s, struct item *it, size_t n)
{
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < n; i++) {
		if (it[i].sent)
			s->written++;
		else
			count_drop(s, it[i].seq);
		free(it[i].buf);
	}
	pthread_mutex_unlock(&s->mu);
}

static void deliver(struct sl_sink *s, struct item *it, size_t n)
{
	if (s->cfg.type == SL_SINK_SYSLOG)
		net_deliver(s, it, n);
	else
		file_deliver(s, it, n);
}

static void *writer(void *arg)
{
	struct sl_sink *s = arg;
	struct item batch[BATCH];
	bool reopen;
	size_t n;

	while (take(s, batch, BATCH, &n, &reopen)) {
		if (reopen) {
			if (s->cfg.type == SL_SINK_SYSLOG)
				net_close(s);
			else
				fd_close(s);
		}
		deliver(s, batch, n);
		account(s, batch, n);
	}
	if (s->cfg.type == SL_SINK_SYSLOG)
		net_close(s);
	else
		fd_close(s);
	return NULL;
}

/* ---- the sink as the event loop sees it ---------------------------------------------- */

static int start_writer(struct sl_sink *s)
{
	sigset_t all, old;
	int err;

	/* Signals belong to the event loop's signalfd, never to a writer. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = -pthread_create(&s->thread, NULL, writer, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	s->started = !err;
	return err;
}

static int sink_init(struct sl_sink *s, const struct sl_sink_cfg *cfg)
{
	pthread_condattr_t ca;
	int err;

	s->fd = -1;
	s->backoff_ms = BACKOFF_MIN_MS;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	err = cfg_copy(&s->cfg, cfg);
	if (err)
		return err;
	if (!s->cfg.queue)
		s->cfg.queue = SL_SINK_QUEUE_DEFAULT;
	make_name(s);
	s->sopts = (struct sl_syslog_opts){
		.facility = s->cfg.facility, .sd_id = s->cfg.sd_id, .procid = (int)getpid(),
	};
	s->q = calloc(s->cfg.queue, sizeof(*s->q));
	return s->q ? 0 : -ENOMEM;
}

int sl_sink_new(struct sl_sink **out, const struct sl_sink_cfg *cfg)
{
	struct sl_sink *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	err = sink_init(s, cfg);
	/* A file that cannot be opened is an error at start, not a silent loss. */
	if (!err && cfg->type == SL_SINK_FILE)
		err = file_open(s);
	if (!err && cfg->type == SL_SINK_SYSLOG)
		err = resolve(s);
	if (err) {
		pr_warn("event sink %s: %s\n", s->name[0] ? s->name : "?", strerror(-err));
		goto fail;
	}
	err = start_writer(s);
	if (err)
		goto fail;
	*out = s;
	return 0;
fail:
	sl_sink_free(s);
	return err;
}

void sl_sink_stop(struct sl_sink *s, int64_t deadline_ms)
{
	pthread_mutex_lock(&s->mu);
	if (!s->stopping) {
		s->stopping = true;
		s->deadline_ms = deadline_ms;
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void sl_sink_free(struct sl_sink *s)
{
	if (!s)
		return;
	if (s->started) {
		sl_sink_stop(s, sl_now_ms() + 2000);
		pthread_join(s->thread, NULL);
	} else if (s->fd >= 0) {
		fd_close(s);
	}
	for (; s->n; s->n--, s->head = (s->head + 1) % s->cfg.queue)
		free(s->q[s->head].buf);
	free(s->q);
	sl_sink_cfg_free(&s->cfg);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

const char *sl_sink_name(const struct sl_sink *s)
{
	return s->name;
}

enum sl_evfmt sl_sink_format(const struct sl_sink *s)
{
	return s->cfg.format;
}

static uint32_t verdict_bit(const char *v)
{
	static const char *const names[] = {
		[SL_VERDICT_ALLOW] = "allow", [SL_VERDICT_DENY] = "deny",
		[SL_VERDICT_AUDIT] = "audit", [SL_VERDICT_REDIRECT] = "redirect",
	};

	for (uint32_t i = 1; i < ARRAY_SIZE(names); i++)
		if (!strcmp(v, names[i]))
			return 1u << i;
	return 0;
}

bool sl_sink_wants(const struct sl_sink *s, const char *verdict)
{
	if (!verdict)
		return !s->cfg.no_control;
	return !s->cfg.verdicts || (s->cfg.verdicts & verdict_bit(verdict));
}

/* The line as the sink writes it: newline-terminated, or a syslog message. */
static char *sink_line(struct sl_sink *s, const struct sl_evrec *ev, const char *line,
		       size_t len, size_t *out_len)
{
	char *buf;

	if (s->cfg.type == SL_SINK_SYSLOG)
		return sl_format_syslog(ev, &s->sopts, line, len, out_len);
	buf = malloc(len + 1);
	if (!buf)
		return NULL;
	memcpy(buf, line, len);
	buf[len] = '\n';
	*out_len = len + 1;
	return buf;
}

bool sl_sink_push(struct sl_sink *s, const struct sl_evrec *ev, const char *line, size_t len)
{
	struct item it = { .seq = ev->seq };
	bool ok;

	pthread_mutex_lock(&s->mu);
	ok = line && s->n < s->cfg.queue && !s->stopping;
	if (!ok)
		count_drop(s, ev->seq);
	pthread_mutex_unlock(&s->mu);
	if (!ok)
		return false;
	/* Rendered outside the lock; the writer only ever takes from the head. */
	it.buf = sink_line(s, ev, line, len, &it.len);
	pthread_mutex_lock(&s->mu);
	ok = it.buf && s->n < s->cfg.queue;
	if (ok) {
		s->q[(s->head + s->n++) % s->cfg.queue] = it;
		if (s->n == 1)
			pthread_cond_signal(&s->cv);
	} else {
		count_drop(s, ev->seq);
	}
	pthread_mutex_unlock(&s->mu);
	if (!ok)
		free(it.buf);
	return ok;
}

void sl_sink_reopen(struct sl_sink *s)
{
	pthread_mutex_lock(&s->mu);
	s->reopen = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

bool sl_sink_take_losses(struct sl_sink *s, struct sl_sink_losses *l)
{
	bool grew;

	pthread_mutex_lock(&s->mu);
	grew = s->dropped > s->reported;
	*l = (struct sl_sink_losses){
		.lost = s->dropped - s->reported, .total = s->dropped,
		.first_seq = s->loss_first, .last_seq = s->loss_last,
	};
	s->reported = s->dropped;
	pthread_mutex_unlock(&s->mu);
	return grew;
}

uint64_t sl_sink_dropped(struct sl_sink *s)
{
	uint64_t d;

	pthread_mutex_lock(&s->mu);
	d = s->dropped;
	pthread_mutex_unlock(&s->mu);
	return d;
}

static const char *type_name(enum sl_sink_type t)
{
	switch (t) {
	case SL_SINK_FILE: return "file";
	case SL_SINK_STDOUT: return "stdout";
	default: return "syslog";
	}
}

json_object *sl_sink_status(struct sl_sink *s)
{
	json_object *o = json_object_new_object();

	pthread_mutex_lock(&s->mu);
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "type", json_object_new_string(type_name(s->cfg.type)));
	json_object_object_add(o, "format", json_object_new_string(sl_evfmt_name(s->cfg.format)));
	if (s->cfg.type == SL_SINK_SYSLOG) {
		json_object_object_add(o, "transport",
				       json_object_new_string(transport_name(s->cfg.transport)));
		json_object_object_add(o, "connected", json_object_new_boolean(s->connected));
	}
	json_object_object_add(o, "queued", json_object_new_int64(s->n));
	json_object_object_add(o, "queue", json_object_new_int64(s->cfg.queue));
	json_object_object_add(o, "written", json_object_new_uint64(s->written));
	json_object_object_add(o, "dropped", json_object_new_uint64(s->dropped));
	json_object_object_add(o, "errors", json_object_new_uint64(s->errors));
	if (s->cfg.type == SL_SINK_FILE)
		json_object_object_add(o, "rotations", json_object_new_uint64(s->rotations));
	if (s->last_error[0])
		json_object_object_add(o, "last_error", json_object_new_string(s->last_error));
	pthread_mutex_unlock(&s->mu);
	return o;
}
