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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "sinks_int.h"

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

int sl_sink_cfg_copy(struct sl_sink_cfg *dst, const struct sl_sink_cfg *src)
{
	*dst = *src;
	dst->name = src->name ? strdup(src->name) : NULL;
	dst->path = src->path ? strdup(src->path) : NULL;
	dst->address = src->address ? strdup(src->address) : NULL;
	dst->sd_id = src->sd_id ? strdup(src->sd_id) : NULL;
	if ((src->name && !dst->name) || (src->path && !dst->path) ||
	    (src->address && !dst->address) || (src->sd_id && !dst->sd_id)) {
		sl_sink_cfg_free(dst);
		return -ENOMEM;
	}
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

void sl_sink_error(struct sl_sink *s, const char *what, int err)
{
	char buf[64];
	/* Writers call this: strerror_r, as strerror may share a buffer. */
	const char *text = strerror_r(err, buf, sizeof(buf));

	pthread_mutex_lock(&s->mu);
	s->errors++;
	snprintf(s->last_error, sizeof(s->last_error), "%s: %s", what, text);
	pthread_mutex_unlock(&s->mu);
}

bool sl_sink_giving_up(struct sl_sink *s)
{
	bool r;

	pthread_mutex_lock(&s->mu);
	r = s->stopping && sl_now_ms() >= s->deadline_ms;
	pthread_mutex_unlock(&s->mu);
	return r;
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
	}
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < n; i++)
		free(it[i].buf);
}

static void deliver(struct sl_sink *s, struct item *it, size_t n)
{
	if (s->cfg.type == SL_SINK_SYSLOG)
		sl_sink_net_deliver(s, it, n);
	else
		sl_sink_file_deliver(s, it, n);
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
				sl_sink_net_close(s);
			else
				sl_sink_file_close(s);
		}
		deliver(s, batch, n);
		account(s, batch, n);
	}
	if (s->cfg.type == SL_SINK_SYSLOG)
		sl_sink_net_close(s);
	else
		sl_sink_file_close(s);
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
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	err = sl_sink_cfg_copy(&s->cfg, cfg);
	if (err)
		return err;
	if (!s->cfg.queue)
		s->cfg.queue = SL_SINK_QUEUE_DEFAULT;
	make_name(s);
	s->sopts = (struct sl_syslog_opts){
		.facility = s->cfg.facility, .procid = (int)getpid(),
		.sd_id = s->cfg.sd_id ? s->cfg.sd_id : SL_SYSLOG_SD_ID,
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
		err = sl_sink_file_open(s);
	if (!err && cfg->type == SL_SINK_SYSLOG)
		err = sl_sink_resolve(s);
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
		sl_sink_file_close(s);
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

	/* Rendered outside the lock; the writer only ever takes from the head. */
	it.buf = line ? sink_line(s, ev, line, len, &it.len) : NULL;
	pthread_mutex_lock(&s->mu);
	ok = it.buf && s->n < s->cfg.queue && !s->stopping;
	if (ok) {
		s->q[(s->head + s->n++) % s->cfg.queue] = it;
		/* Held: wake the writer once per batch, not once per event. */
		if (s->held ? s->n % BATCH == 0 : s->n == 1)
			pthread_cond_signal(&s->cv);
	} else {
		count_drop(s, ev->seq);
	}
	pthread_mutex_unlock(&s->mu);
	if (!ok)
		free(it.buf);
	return ok;
}

void sl_sink_hold(struct sl_sink *s, bool hold)
{
	/*
	 * A UDP receiver has no backpressure: a batch sent at once overruns its
	 * socket buffer, so UDP sinks go on sending each event as it comes.
	 */
	if (s->cfg.type == SL_SINK_SYSLOG && s->cfg.transport == SL_TRANSPORT_UDP)
		return;
	pthread_mutex_lock(&s->mu);
	s->held = hold;
	if (!hold && s->n)
		pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
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
