// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pipeline on the event loop's thread: drain the ring buffer, enrich,
 * number, and fan out.  Each event is rendered once per format in use and
 * queued to every sink that wants it; sinks write on their own threads
 * (sinks.c), followers are non-blocking sockets with a bounded backlog,
 * so nothing here waits for a reader.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "enrich.h"
#include "events.h"
#include "format.h"
#include "log.h"

#define RECENT_MAX	1024
#define FOLLOW_BUF_MAX	(4u << 20)	/* what a slow follower may lag behind */
#define DRAIN_MS	2000		/* what sinks get to finish at stop */

struct follower {
	int fd;
	char *agent;
	char *verdict;
	enum sl_evfmt fmt;
	char *out;			/* bytes not yet written */
	size_t len;
	uint64_t lost;
};

/* One event, rendered lazily in each format it is asked for. */
struct rendering {
	const struct sl_evrec *rec;
	char *line[SL_EVFMT_MAX];	/* with a '\n' at [len] */
	size_t len[SL_EVFMT_MAX];
};

struct sl_events {
	struct sl_engine *eng;
	const struct sl_maps *maps;
	struct ring_buffer *rb;
	struct sl_enrich *en;
	struct sl_sink **sinks;
	size_t n_sinks;
	uint32_t sample;		/* keep one allowed event in sample */
	uint64_t allowed_seen, sampled_out;
	uint64_t seq;
	uint64_t kernel_lost;		/* SL_CNT_EVENTS_LOST when last reported */
	struct follower *fol;
	size_t n_fol;
	uint64_t followers_lost;	/* of followers already gone */
	struct sl_evrec *recent[RECENT_MAX];
	size_t recent_next;
	int64_t boot_to_real_ns;
};

/* ---- configuration ------------------------------------------------------------ */

int sl_events_cfg_add(struct sl_events_cfg *c, const struct sl_sink_cfg *sink)
{
	struct sl_sink_cfg *grown = reallocarray(c->sinks, c->n_sinks + 1, sizeof(*grown));
	int err;

	if (!grown)
		return -ENOMEM;
	c->sinks = grown;
	err = sl_sink_cfg_copy(&c->sinks[c->n_sinks], sink);
	if (!err)
		c->n_sinks++;
	return err;
}

void sl_events_cfg_free(struct sl_events_cfg *c)
{
	for (size_t i = 0; i < c->n_sinks; i++)
		sl_sink_cfg_free(&c->sinks[i]);
	free(c->sinks);
	memset(c, 0, sizeof(*c));
}

/* ---- time ---------------------------------------------------------------------- */

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

/* ---- fan-out ---------------------------------------------------------------------- */

static bool passes(const char *agent, const char *verdict, const char *f_agent,
		   const char *f_verdict)
{
	if (f_agent && (!agent || strcmp(agent, f_agent)))
		return false;
	if (f_verdict && (!verdict || strcmp(verdict, f_verdict)))
		return false;
	return true;
}

/* The event in format f, newline-terminated; NULL on ENOMEM. */
static const char *rendered(struct rendering *r, enum sl_evfmt f, size_t *len)
{
	if (!r->line[f]) {
		char *s = sl_format(r->rec, f, &r->len[f]), *t;

		t = s ? realloc(s, r->len[f] + 1) : NULL;
		if (!t) {
			free(s);
			return NULL;
		}
		t[r->len[f]] = '\n';
		r->line[f] = t;
	}
	*len = r->len[f];
	return r->line[f];
}

static void follower_write(struct follower *f, const char *line, size_t len)
{
	ssize_t n = 0;
	char *p;

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
	if (f->len + len - (size_t)n > FOLLOW_BUF_MAX || !(p = realloc(f->out, f->len + len - (size_t)n))) {
		f->lost++;
		return;
	}
	f->out = p;
	memcpy(f->out + f->len, line + n, len - (size_t)n);
	f->len += len - (size_t)n;
}

static void remember(struct sl_events *ev, const struct sl_evrec *rec)
{
	struct sl_evrec **slot = &ev->recent[ev->recent_next];

	sl_evrec_free(*slot);
	*slot = sl_evrec_dup(rec);
	ev->recent_next = (ev->recent_next + 1) % RECENT_MAX;
}

static void publish(struct sl_events *ev, struct sl_evrec *rec)
{
	struct rendering r = { .rec = rec };
	const char *verdict, *line;
	size_t len = 0;

	rec->seq = ++ev->seq;
	rec->host = sl_enrich_host(ev->en);
	sl_enrich_event_id(ev->en, rec->seq, rec->event_id);
	verdict = sl_evrec_verdict(rec);
	for (size_t i = 0; i < ev->n_sinks; i++) {
		struct sl_sink *s = ev->sinks[i];

		if (!sl_sink_wants(s, verdict))
			continue;
		/* NULL (out of memory) is counted as dropped too. */
		line = rendered(&r, sl_sink_format(s), &len);
		sl_sink_push(s, rec, line, len);
	}
	for (size_t i = 0; i < ev->n_fol; i++) {
		struct follower *f = &ev->fol[i];

		if (!passes(rec->id.agent, verdict, f->agent, f->verdict))
			continue;
		line = rendered(&r, f->fmt, &len);
		if (line)
			follower_write(f, line, len + 1);
		else
			f->lost++;
	}
	remember(ev, rec);
	for (int f = 0; f < SL_EVFMT_MAX; f++)
		free(r.line[f]);
}

/* ---- the ring buffer ------------------------------------------------------------- */

/* Allowed events may be sampled; denials and audits never are. */
static bool sampled_out(struct sl_events *ev, const struct sl_event *k)
{
	if (k->verdict != SL_VERDICT_ALLOW || ev->sample <= 1)
		return false;
	if (ev->allowed_seen++ % ev->sample == 0)
		return false;
	ev->sampled_out++;
	return true;
}

static int handle_record(void *ctx, void *data, size_t size)
{
	struct sl_events *ev = ctx;
	const struct sl_event *k = data;
	struct sl_evrec rec = { .k = k };

	if (size < sizeof(*k) || sampled_out(ev, k))
		return 0;
	boot_ts_to_real(ev, k->ts_ns, &rec.time);
	sl_engine_ident(ev->eng, k->cgroup, k->agent, k->task, &rec.id);
	rec.has_rule = k->rule_id && sl_engine_rule(ev->eng, k->rule_id, &rec.rule);
	if (rec.has_rule)
		rec.dns_name = rec.rule.dns_name;
	for (int i = 0; i < rec.id.n_delegators; i++)
		rec.delegators[rec.n_delegators++] = rec.id.delegators[i];
	if (k->reason == SL_REASON_ASK && k->verdict == SL_VERDICT_DENY)
		rec.request_id = sl_engine_ask(ev->eng, k);
	/* Read now: the process may exit soon, and its exe with it. */
	rec.exe = sl_enrich_exe(ev->en, k->tgid, k->comm);
	rec.user = sl_enrich_user(ev->en, k->uid);
	publish(ev, &rec);
	return 0;
}

static int open_sinks(struct sl_events *ev, const struct sl_events_cfg *cfg)
{
	ev->sinks = calloc(cfg->n_sinks ? cfg->n_sinks : 1, sizeof(*ev->sinks));
	if (!ev->sinks)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_sinks; i++) {
		int err = sl_sink_new(&ev->sinks[i], &cfg->sinks[i]);

		if (err)
			return err;
		ev->n_sinks++;
	}
	return 0;
}

int sl_events_new(struct sl_events **out, struct sl_engine *e, const struct sl_maps *m,
		  const struct sl_events_cfg *cfg)
{
	struct sl_events *ev = calloc(1, sizeof(*ev));
	uint64_t c[SL_CNT_MAX];
	int err;

	if (!ev)
		return -ENOMEM;
	ev->eng = e;
	ev->maps = m;
	ev->sample = cfg->sample_allowed;
	ev->boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	/* Losses before this daemon started were reported by the one before. */
	if (m && !sl_maps_counters(m, c))
		ev->kernel_lost = c[SL_CNT_EVENTS_LOST];
	err = sl_enrich_new(&ev->en);
	if (!err)
		err = open_sinks(ev, cfg);
	if (!err && m) {
		ev->rb = ring_buffer__new(sl_maps_ringbuf_fd(m), handle_record, ev, NULL);
		err = ev->rb ? 0 : -errno;
	}
	if (err) {
		sl_events_free(ev);
		return err;
	}
	*out = ev;
	return 0;
}

static void follower_free(struct follower *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->agent);
	free(f->verdict);
	free(f->out);
}

void sl_events_free(struct sl_events *ev)
{
	int64_t deadline = sl_now_ms() + DRAIN_MS;

	if (!ev)
		return;
	/* All sinks drain at once, within one deadline. */
	for (size_t i = 0; i < ev->n_sinks; i++)
		sl_sink_stop(ev->sinks[i], deadline);
	for (size_t i = 0; i < ev->n_sinks; i++)
		sl_sink_free(ev->sinks[i]);
	free(ev->sinks);
	ring_buffer__free(ev->rb);
	for (size_t i = 0; i < ev->n_fol; i++)
		follower_free(&ev->fol[i]);
	free(ev->fol);
	for (size_t i = 0; i < RECENT_MAX; i++)
		sl_evrec_free(ev->recent[i]);
	sl_enrich_free(ev->en);
	free(ev);
}

int sl_events_fd(const struct sl_events *ev)
{
	return ring_buffer__epoll_fd(ev->rb);
}

int sl_events_consume(struct sl_events *ev)
{
	int n;

	/* Re-anchor boot time to wall time: NTP steps the latter. */
	ev->boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	if (!ev->rb)
		return 0;
	for (size_t i = 0; i < ev->n_sinks; i++)
		sl_sink_hold(ev->sinks[i], true);
	n = ring_buffer__consume(ev->rb);
	for (size_t i = 0; i < ev->n_sinks; i++)
		sl_sink_hold(ev->sinks[i], false);
	return n;
}

void sl_events_control(struct sl_events *ev, const char *type, json_object *fields)
{
	struct sl_evrec rec = { .type = type, .fields = fields };
	json_object *v;

	clock_gettime(CLOCK_REALTIME, &rec.time);
	if (fields && json_object_object_get_ex(fields, "agent", &v) &&
	    json_object_is_type(v, json_type_string))
		rec.id.agent = json_object_get_string(v);
	publish(ev, &rec);
	json_object_put(fields);
}

int sl_events_reopen(struct sl_events *ev)
{
	sl_enrich_reset(ev->en);
	for (size_t i = 0; i < ev->n_sinks; i++)
		sl_sink_reopen(ev->sinks[i]);
	return 0;
}

/* ---- followers and history ----------------------------------------------------------- */

static char *opt_str(json_object *req, const char *key)
{
	json_object *v;

	if (!req || !json_object_object_get_ex(req, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return strdup(json_object_get_string(v));
}

static enum sl_evfmt req_format(json_object *req)
{
	char *s = opt_str(req, "format");
	int f = sl_evfmt_parse(s);

	free(s);
	return f < 0 ? SL_EVFMT_JSON : (enum sl_evfmt)f;
}

int sl_events_follow(struct sl_events *ev, int fd, json_object *req)
{
	struct follower *grown = reallocarray(ev->fol, ev->n_fol + 1, sizeof(*grown));

	if (!grown) {
		close(fd);
		return -ENOMEM;
	}
	ev->fol = grown;
	ev->fol[ev->n_fol++] = (struct follower){
		.fd = fd, .agent = opt_str(req, "agent"), .verdict = opt_str(req, "verdict"),
		.fmt = req_format(req),
	};
	return 0;
}

/* One remembered event for a reply: an object for JSON formats, a string for CEF. */
static json_object *recent_obj(const struct sl_evrec *rec, enum sl_evfmt f)
{
	size_t len;
	char *line = sl_format(rec, f, &len);
	json_object *o;

	if (!line)
		return NULL;
	o = f == SL_EVFMT_CEF ? json_object_new_string_len(line, (int)len) :
	    json_tokener_parse(line);
	free(line);
	return o;
}

json_object *sl_events_recent(struct sl_events *ev, json_object *req)
{
	char *agent = opt_str(req, "agent"), *verdict = opt_str(req, "verdict");
	enum sl_evfmt f = req_format(req);
	json_object *arr = json_object_new_array(), *lim;
	size_t limit = RECENT_MAX, picked = 0, first = RECENT_MAX;

	if (req && json_object_object_get_ex(req, "limit", &lim) && json_object_get_int64(lim) > 0)
		limit = (size_t)json_object_get_int64(lim);
	/* Walk newest to oldest to find where the last `limit` begin... */
	for (size_t i = 0; i < RECENT_MAX && picked < limit; i++) {
		size_t at = (ev->recent_next + RECENT_MAX - 1 - i) % RECENT_MAX;
		const struct sl_evrec *r = ev->recent[at];

		if (!r)
			break;
		if (passes(r->id.agent, sl_evrec_verdict(r), agent, verdict)) {
			picked++;
			first = i;
		}
	}
	/* ...then render them oldest first. */
	for (size_t i = first + 1; picked && i-- > 0;) {
		const struct sl_evrec *r = ev->recent[(ev->recent_next + RECENT_MAX - 1 - i) % RECENT_MAX];
		json_object *o;

		if (!passes(r->id.agent, sl_evrec_verdict(r), agent, verdict))
			continue;
		o = recent_obj(r, f);
		if (o)
			json_object_array_add(arr, o);
	}
	free(agent);
	free(verdict);
	return arr;
}

static void flush_followers(struct sl_events *ev)
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
		ev->followers_lost += f->lost;
		follower_free(f);
		ev->fol[i] = ev->fol[--ev->n_fol];
	}
}

static void lost_event(struct sl_events *ev, const char *source, const char *sink,
		       const struct sl_sink_losses *l)
{
	json_object *f = json_object_new_object();

	json_object_object_add(f, "source", json_object_new_string(source));
	if (sink)
		json_object_object_add(f, "sink", json_object_new_string(sink));
	json_object_object_add(f, "lost", json_object_new_uint64(l->lost));
	json_object_object_add(f, "total", json_object_new_uint64(l->total));
	if (sink) {
		json_object_object_add(f, "first_seq", json_object_new_uint64(l->first_seq));
		json_object_object_add(f, "last_seq", json_object_new_uint64(l->last_seq));
	}
	pr_warn("%llu events lost in %s (%llu in all)\n", (unsigned long long)l->lost,
		sink ? sink : "the kernel ring buffer", (unsigned long long)l->total);
	sl_events_control(ev, "events_lost", f);
}

/*
 * At most one events_lost per source per call (once a second).  A report
 * that a full sink drops is itself a loss there, so a stalled sink is
 * reported every second until an events_lost gets through to it.
 */
static void report_losses(struct sl_events *ev)
{
	struct sl_sink_losses l;
	uint64_t c[SL_CNT_MAX];

	if (ev->maps && !sl_maps_counters(ev->maps, c) && c[SL_CNT_EVENTS_LOST] > ev->kernel_lost) {
		l = (struct sl_sink_losses){
			.lost = c[SL_CNT_EVENTS_LOST] - ev->kernel_lost, .total = c[SL_CNT_EVENTS_LOST],
		};
		ev->kernel_lost = c[SL_CNT_EVENTS_LOST];
		lost_event(ev, "kernel", NULL, &l);
	}
	for (size_t i = 0; i < ev->n_sinks; i++)
		if (sl_sink_take_losses(ev->sinks[i], &l))
			lost_event(ev, "sink", sl_sink_name(ev->sinks[i]), &l);
}

void sl_events_flush(struct sl_events *ev)
{
	flush_followers(ev);
	report_losses(ev);
}

json_object *sl_events_status(struct sl_events *ev)
{
	json_object *o = json_object_new_object(), *sinks = json_object_new_array();
	uint64_t lost = ev->followers_lost, c[SL_CNT_MAX];

	for (size_t i = 0; i < ev->n_fol; i++)
		lost += ev->fol[i].lost;
	for (size_t i = 0; i < ev->n_sinks; i++)
		json_object_array_add(sinks, sl_sink_status(ev->sinks[i]));
	json_object_object_add(o, "seq", json_object_new_uint64(ev->seq));
	json_object_object_add(o, "sample_allowed", json_object_new_int64(ev->sample ? ev->sample : 1));
	json_object_object_add(o, "sampled_out", json_object_new_uint64(ev->sampled_out));
	if (ev->maps && !sl_maps_counters(ev->maps, c))
		json_object_object_add(o, "kernel_lost", json_object_new_uint64(c[SL_CNT_EVENTS_LOST]));
	json_object_object_add(o, "sinks", sinks);
	json_object_object_add(o, "followers", json_object_new_int64((int64_t)ev->n_fol));
	json_object_object_add(o, "followers_lost", json_object_new_uint64(lost));
	return o;
}
