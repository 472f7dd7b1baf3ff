// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "events.h"
#include "format.h"
#include "log.h"

#define RECENT_MAX	1024
#define FOLLOW_BUF_MAX	(4u << 20)	/* what a slow follower may lag behind */

struct follower {
	int fd;
	char *agent;
	char *verdict;
	char *out;			/* bytes not yet written */
	size_t len;
	uint64_t lost;
};

/* One remembered event, with what the filters need. */
struct recent {
	char *line;
	char *agent;
	const char *verdict;
};

struct sl_events {
	struct sl_engine *eng;
	struct ring_buffer *rb;
	char *path;
	int sink_fd;
	uint64_t seq;
	uint64_t sink_errors;
	char host[256];
	struct follower *fol;
	size_t n_fol;
	struct recent recent[RECENT_MAX];
	size_t recent_next;
	int64_t boot_to_real_ns;
};

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void boot_ts_to_real(const struct sl_events *ev, uint64_t boot_ns, struct timespec *ts)
{
	int64_t real = (int64_t)boot_ns + ev->boot_to_real_ns;

	ts->tv_sec = real / 1000000000ll;
	ts->tv_nsec = real % 1000000000ll;
}

static bool passes(const char *agent, const char *verdict, const char *f_agent,
		   const char *f_verdict)
{
	if (f_agent && (!agent || strcmp(agent, f_agent)))
		return false;
	if (f_verdict && (!verdict || strcmp(verdict, f_verdict)))
		return false;
	return true;
}

static void follower_write(struct follower *f, const char *line, size_t len)
{
	ssize_t n = 0;

	if (f->fd < 0)
		return;
	if (!f->len) {
		n = write(f->fd, line, len);
		if (n < 0 && errno != EAGAIN) {
			close(f->fd);
			f->fd = -1;	/* gone: removed by the next flush */
			return;
		}
		if (n == (ssize_t)len)
			return;
		if (n < 0)
			n = 0;
	}
	if (f->len + len - (size_t)n > FOLLOW_BUF_MAX) {
		f->lost++;
		return;
	}
	char *p = realloc(f->out, f->len + len - (size_t)n);

	if (!p) {
		f->lost++;
		return;
	}
	f->out = p;
	memcpy(f->out + f->len, line + n, len - (size_t)n);
	f->len += len - (size_t)n;
}

static void sink_write(struct sl_events *ev, const char *line, size_t len)
{
	size_t off = 0;

	while (ev->sink_fd >= 0 && off < len) {
		ssize_t n = write(ev->sink_fd, line + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ev->sink_errors++;
			return;
		}
		off += (size_t)n;
	}
}

static void remember(struct sl_events *ev, const char *line, const char *agent,
		     const char *verdict)
{
	struct recent *r = &ev->recent[ev->recent_next];

	free(r->line);
	free(r->agent);
	r->line = strdup(line);
	r->agent = agent ? strdup(agent) : NULL;
	r->verdict = verdict;
	ev->recent_next = (ev->recent_next + 1) % RECENT_MAX;
}

static void publish(struct sl_events *ev, struct sl_evrec *rec)
{
	json_object *o;
	const char *s, *verdict;
	char *line;
	size_t len;

	rec->seq = ++ev->seq;
	rec->host = ev->host;
	o = sl_format_json(rec);
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	line = malloc(len + 1);
	if (!line) {
		json_object_put(o);
		return;
	}
	memcpy(line, s, len);
	line[len] = '\n';
	sink_write(ev, line, len + 1);
	verdict = sl_evrec_verdict(rec);
	for (size_t i = 0; i < ev->n_fol; i++)
		if (passes(rec->id.agent, verdict, ev->fol[i].agent, ev->fol[i].verdict))
			follower_write(&ev->fol[i], line, len + 1);
	line[len] = '\0';
	remember(ev, line, rec->id.agent, verdict);
	free(line);
	json_object_put(o);
}

static int handle_record(void *ctx, void *data, size_t size)
{
	struct sl_events *ev = ctx;
	const struct sl_event *k = data;
	struct sl_evrec rec = { .k = k };

	if (size < sizeof(*k))
		return 0;
	boot_ts_to_real(ev, k->ts_ns, &rec.time);
	sl_engine_ident(ev->eng, k->cgroup, k->agent, k->task, &rec.id);
	rec.has_rule = k->rule_id && sl_engine_rule(ev->eng, k->rule_id, &rec.rule);
	if (k->reason == SL_REASON_ASK && k->verdict == SL_VERDICT_DENY)
		rec.request_id = sl_engine_ask(ev->eng, k);
	publish(ev, &rec);
	return 0;
}

int sl_events_new(struct sl_events **out, struct sl_engine *e, const struct sl_events_cfg *cfg)
{
	struct sl_events *ev = calloc(1, sizeof(*ev));
	int err;

	if (!ev)
		return -ENOMEM;
	ev->eng = e;
	ev->sink_fd = -1;
	gethostname(ev->host, sizeof(ev->host) - 1);
	ev->boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	if (cfg->path) {
		ev->path = strdup(cfg->path);
		err = ev->path ? sl_events_reopen(ev) : -ENOMEM;
		if (err) {
			pr_warn("cannot open the event file %s: %s\n", cfg->path, strerror(-err));
			sl_events_free(ev);
			return err;
		}
	}
	ev->rb = ring_buffer__new(cfg->ringbuf_fd, handle_record, ev, NULL);
	if (!ev->rb) {
		err = -errno;
		sl_events_free(ev);
		return err;
	}
	*out = ev;
	return 0;
}

void sl_events_free(struct sl_events *ev)
{
	if (!ev)
		return;
	ring_buffer__free(ev->rb);
	if (ev->sink_fd > 2)
		close(ev->sink_fd);
	for (size_t i = 0; i < ev->n_fol; i++) {
		if (ev->fol[i].fd >= 0)
			close(ev->fol[i].fd);
		free(ev->fol[i].agent);
		free(ev->fol[i].verdict);
		free(ev->fol[i].out);
	}
	for (size_t i = 0; i < RECENT_MAX; i++) {
		free(ev->recent[i].line);
		free(ev->recent[i].agent);
	}
	free(ev->fol);
	free(ev->path);
	free(ev);
}

int sl_events_fd(const struct sl_events *ev)
{
	return ring_buffer__epoll_fd(ev->rb);
}

int sl_events_consume(struct sl_events *ev)
{
	/* Re-anchor boot time to wall time: NTP steps the latter. */
	ev->boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	return ring_buffer__consume(ev->rb);
}

void sl_events_control(struct sl_events *ev, const char *type, json_object *fields)
{
	struct sl_evrec rec = { .type = type, .fields = fields };
	json_object *agent = NULL;

	clock_gettime(CLOCK_REALTIME, &rec.time);
	if (fields && json_object_object_get_ex(fields, "agent", &agent))
		rec.id.agent = json_object_get_string(agent);
	publish(ev, &rec);
	json_object_put(fields);
}

int sl_events_reopen(struct sl_events *ev)
{
	int fd;

	if (!ev->path)
		return 0;
	if (!strcmp(ev->path, "-")) {
		ev->sink_fd = STDOUT_FILENO;
		return 0;
	}
	fd = open(ev->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (ev->sink_fd > 2)
		close(ev->sink_fd);
	ev->sink_fd = fd;
	return 0;
}

static char *opt_str(json_object *req, const char *key)
{
	json_object *v;

	if (!req || !json_object_object_get_ex(req, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return strdup(json_object_get_string(v));
}

int sl_events_follow(struct sl_events *ev, int fd, json_object *req)
{
	struct follower *grown = realloc(ev->fol, (ev->n_fol + 1) * sizeof(*grown));

	if (!grown) {
		close(fd);
		return -ENOMEM;
	}
	ev->fol = grown;
	ev->fol[ev->n_fol++] = (struct follower){
		.fd = fd, .agent = opt_str(req, "agent"), .verdict = opt_str(req, "verdict"),
	};
	return 0;
}

json_object *sl_events_recent(struct sl_events *ev, json_object *req)
{
	char *agent = opt_str(req, "agent"), *verdict = opt_str(req, "verdict");
	json_object *arr = json_object_new_array(), *lim;
	size_t limit = RECENT_MAX, picked = 0, start;

	if (req && json_object_object_get_ex(req, "limit", &lim) && json_object_get_int64(lim) > 0)
		limit = (size_t)json_object_get_int64(lim);
	/* Walk newest to oldest to take the last `limit`, then reverse. */
	for (size_t i = 0; i < RECENT_MAX && picked < limit; i++) {
		struct recent *r = &ev->recent[(ev->recent_next + RECENT_MAX - 1 - i) % RECENT_MAX];

		if (!r->line)
			break;
		if (passes(r->agent, r->verdict, agent, verdict)) {
			json_object_array_add(arr, json_tokener_parse(r->line));
			picked++;
		}
	}
	start = 0;
	for (size_t end = picked; start + 1 < end; start++, end--) {
		json_object *a = json_object_get(json_object_array_get_idx(arr, start));
		json_object *b = json_object_get(json_object_array_get_idx(arr, end - 1));

		json_object_array_put_idx(arr, start, b);
		json_object_array_put_idx(arr, end - 1, a);
	}
	free(agent);
	free(verdict);
	return arr;
}

void sl_events_flush(struct sl_events *ev)
{
	for (size_t i = 0; i < ev->n_fol;) {
		struct follower *f = &ev->fol[i];

		if (f->fd >= 0 && f->len) {
			ssize_t n = write(f->fd, f->out, f->len);

			if (n > 0) {
				memmove(f->out, f->out + n, f->len - (size_t)n);
				f->len -= (size_t)n;
			} else if (n < 0 && errno != EAGAIN) {
				close(f->fd);
				f->fd = -1;
			}
		}
		if (f->fd >= 0) {
			i++;
			continue;
		}
		free(f->agent);
		free(f->verdict);
		free(f->out);
		ev->fol[i] = ev->fol[--ev->n_fol];
	}
}

json_object *sl_events_status(const struct sl_events *ev)
{
	json_object *o = json_object_new_object();
	uint64_t lost = 0;

	for (size_t i = 0; i < ev->n_fol; i++)
		lost += ev->fol[i].lost;
	json_object_object_add(o, "seq", json_object_new_uint64(ev->seq));
	json_object_object_add(o, "sink", json_object_new_string(ev->path ? ev->path : "none"));
	json_object_object_add(o, "sink_errors", json_object_new_uint64(ev->sink_errors));
	json_object_object_add(o, "followers", json_object_new_int64((int64_t)ev->n_fol));
	json_object_object_add(o, "followers_lost", json_object_new_uint64(lost));
	return o;
}
