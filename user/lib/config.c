// SPDX-License-Identifier: GPL-2.0-only
/*
 * sluiced's configuration file: YAML through libyaml's document API,
 * walked against tables of keys.  Each mapping's keys go through a table
 * of {name, setter}; unknown or repeated keys, wrong types and values out
 * of range are reported with file:line:col, and the walk goes on so that
 * one run shows every mistake.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include "compat.h"
#include "config.h"

#define MAX_CONFIG_BYTES	(1u << 20)
#define MAX_SINKS		32

struct cctx {
	const char *file;
	yaml_document_t *doc;
	struct sl_diag *d;
	int errors;
	bool nomem;
};

typedef void (*setter_fn)(struct cctx *c, yaml_node_t *v, void *obj);

struct field {
	const char *key;
	setter_fn set;
};

/* A sink while it is parsed: which keys it had, where it starts. */
struct sinkp {
	struct sl_sink_cfg cfg;
	unsigned int seen;		/* bits of sink_fields[] */
	bool bad;			/* an error already reported inside it */
	struct sl_loc loc;
};

static struct sl_loc where(const struct cctx *c, const yaml_node_t *n)
{
	return (struct sl_loc){
		.file = c->file, .line = (int)n->start_mark.line + 1,
		.col = (int)n->start_mark.column + 1,
	};
}

__attribute__((format(printf, 3, 4)))
static void cerr(struct cctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	struct sl_loc loc = where(c, n);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_diag_add(c->d, &loc, "%s", msg);
	c->errors++;
}

static const char *node_kind(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE ? "a mapping" :
	       n->type == YAML_SEQUENCE_NODE ? "a list" : "a value";
}

/* The text of a scalar node, or NULL (reported). */
static const char *scalar(struct cctx *c, yaml_node_t *n, const char *key)
{
	if (n->type == YAML_SCALAR_NODE && n->data.scalar.length &&
	    strlen((const char *)n->data.scalar.value) == n->data.scalar.length)
		return (const char *)n->data.scalar.value;
	cerr(c, n, "\"%s\" must be a non-empty value, not %s", key, node_kind(n));
	return NULL;
}

static char *scalar_dup(struct cctx *c, yaml_node_t *n, const char *key)
{
	const char *s = scalar(c, n, key);
	char *r = s ? strdup(s) : NULL;

	if (s && !r)
		c->nomem = true;
	return r;
}

static bool number(struct cctx *c, yaml_node_t *n, const char *key, uint64_t min,
		   uint64_t max, uint64_t *out)
{
	const char *s = scalar(c, n, key);
	char *end;

	if (!s)
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || *end || s[0] == '-' || *out < min || *out > max) {
		cerr(c, n, "\"%s\" must be a number from %llu to %llu, not \"%s\"", key,
		     (unsigned long long)min, (unsigned long long)max, s);
		return false;
	}
	return true;
}

/* Index of n's text among names (NULL-terminated), or -1 (reported). */
static int one_of(struct cctx *c, yaml_node_t *n, const char *key, const char *const *names)
{
	const char *s = scalar(c, n, key);
	char list[256] = "";
	size_t o = 0;

	if (!s)
		return -1;
	for (int i = 0; names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	for (int i = 0; names[i] && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", names[i]);
	cerr(c, n, "bad \"%s\" \"%s\" (expected one of %s)", key, s, list);
	return -1;
}

static yaml_node_t *node(struct cctx *c, int idx)
{
	return yaml_document_get_node(c->doc, idx);
}

/* Hand each key of map to its setter; returns the bits of the keys present. */
static unsigned int walk(struct cctx *c, yaml_node_t *map, const struct field *fields,
			 void *obj, const char *what)
{
	unsigned int seen = 0;

	if (map->type != YAML_MAPPING_NODE) {
		cerr(c, map, "%s must be a mapping, not %s", what, node_kind(map));
		return 0;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *name = k ? scalar(c, k, "key") : NULL;
		int i;

		if (!name || !v)
			continue;
		for (i = 0; fields[i].key && strcmp(fields[i].key, name); i++)
			;
		if (!fields[i].key)
			cerr(c, k, "unknown key \"%s\" in %s", name, what);
		else if (seen & (1u << i))
			cerr(c, k, "\"%s\" given twice in %s", name, what);
		else
			fields[i].set(c, v, obj);
		if (fields[i].key)
			seen |= 1u << i;
	}
	return seen;
}

int sl_size_parse(const char *s, uint64_t *out)
{
	uint64_t v, mult = 1;
	char *end;

	if (!s || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	}
	if (*end == 'i' && mult > 1)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > UINT64_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

/* ---- sinks -------------------------------------------------------------------- */

static const char *const type_names[] = { "file", "stdout", "syslog", NULL };
static const char *const transport_names[] = { "udp", "tcp", "unix", NULL };
static const char *const fmt_names[] = { "json", "ocsf", "ecs", "cef", NULL };
/* In SL_VERDICT_* order, from 1. */
static const char *const verdict_names[] = { "allow", "deny", "audit", "redirect", NULL };
static const char *const bool_names[] = { "false", "true", "no", "yes", NULL };

/* An enumerated value: its index in names, or -1 (reported, the sink marked bad). */
static int sink_choice(struct cctx *c, yaml_node_t *v, void *obj, const char *key,
		       const char *const *names)
{
	int i = one_of(c, v, key, names);

	((struct sinkp *)obj)->bad |= i < 0;
	return i;
}

static void sink_type(struct cctx *c, yaml_node_t *v, void *obj)
{
	int t = sink_choice(c, v, obj, "type", type_names);

	if (t >= 0)
		((struct sinkp *)obj)->cfg.type = (enum sl_sink_type)t;
}

static void sink_name(struct cctx *c, yaml_node_t *v, void *obj)
{
	((struct sinkp *)obj)->cfg.name = scalar_dup(c, v, "name");
}

static void sink_path(struct cctx *c, yaml_node_t *v, void *obj)
{
	struct sinkp *p = obj;

	p->cfg.path = scalar_dup(c, v, "path");
	if (p->cfg.path && p->cfg.path[0] != '/') {
		cerr(c, v, "\"path\" must be absolute (sluiced does not keep a working directory)");
		p->bad = true;
	}
}

static void sink_address(struct cctx *c, yaml_node_t *v, void *obj)
{
	((struct sinkp *)obj)->cfg.address = scalar_dup(c, v, "address");
}

static void sink_transport(struct cctx *c, yaml_node_t *v, void *obj)
{
	int t = sink_choice(c, v, obj, "transport", transport_names);

	if (t >= 0)
		((struct sinkp *)obj)->cfg.transport = (enum sl_transport)t;
}

static void sink_format(struct cctx *c, yaml_node_t *v, void *obj)
{
	int f = sink_choice(c, v, obj, "format", fmt_names);

	if (f >= 0)
		((struct sinkp *)obj)->cfg.format = (enum sl_evfmt)f;
}

static void rotate_size(struct cctx *c, yaml_node_t *v, void *obj)
{
	struct sinkp *p = obj;
	const char *s = scalar(c, v, "size");
	uint64_t n;

	if (s && (sl_size_parse(s, &n) || n < 4096)) {
		cerr(c, v, "bad rotate \"size\" \"%s\" (bytes, at least 4096; K, M, G allowed)", s);
		p->bad = true;
		return;
	}
	if (s)
		p->cfg.rotate_bytes = n;
}

static void rotate_keep(struct cctx *c, yaml_node_t *v, void *obj)
{
	struct sinkp *p = obj;
	uint64_t n;

	if (number(c, v, "keep", 0, 1000, &n))
		p->cfg.rotate_keep = (uint32_t)n;
}

static void sink_rotate(struct cctx *c, yaml_node_t *v, void *obj)
{
	static const struct field fields[] = {
		{ "size", rotate_size }, { "keep", rotate_keep }, { 0 },
	};
	struct sinkp *p = obj;

	if (!(walk(c, v, fields, obj, "rotate") & 1) && v->type == YAML_MAPPING_NODE) {
		cerr(c, v, "rotate needs \"size\"");
		p->bad = true;
	}
}

static void sink_verdicts(struct cctx *c, yaml_node_t *v, void *obj)
{
	struct sinkp *p = obj;

	if (v->type != YAML_SEQUENCE_NODE) {
		cerr(c, v, "\"verdicts\" must be a list like [deny, audit], not %s", node_kind(v));
		return;
	}
	for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		int b = one_of(c, node(c, *i), "verdicts", verdict_names);

		if (b >= 0)
			p->cfg.verdicts |= 1u << (b + 1);
	}
	if (!p->cfg.verdicts) {
		cerr(c, v, "\"verdicts\" lists no verdict (leave it out to keep every one)");
		p->bad = true;
	}
}

static void sink_control(struct cctx *c, yaml_node_t *v, void *obj)
{
	int b = one_of(c, v, "control", bool_names);

	if (b >= 0)
		((struct sinkp *)obj)->cfg.no_control = !(b & 1);
}

static void sink_queue(struct cctx *c, yaml_node_t *v, void *obj)
{
	uint64_t n;

	if (number(c, v, "queue", 1, SL_SINK_QUEUE_MAX, &n))
		((struct sinkp *)obj)->cfg.queue = (uint32_t)n;
}

static void sink_facility(struct cctx *c, yaml_node_t *v, void *obj)
{
	static const char *const names[] = {
		"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp",
		"cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
		"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
		NULL,
	};
	int f = one_of(c, v, "facility", names);

	if (f >= 0)
		((struct sinkp *)obj)->cfg.facility = f;
}

/* name@<private enterprise number>, 1-32 printable characters (RFC 5424 7.2.2). */
static bool sd_id_ok(const char *s)
{
	const char *at = strchr(s, '@'), *p;

	if (!at || at == s || strlen(s) > 32)
		return false;
	for (p = s; *p; p++)
		if (*p <= ' ' || *p > '~' || *p == '=' || *p == ']' || *p == '"')
			return false;
	/* The number: digits, maybe dotted (32473.1.2). */
	for (p = at + 1;;) {
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
		if (!*p)
			return true;
		if (*p++ != '.')
			return false;
	}
}

static void sink_sd_id(struct cctx *c, yaml_node_t *v, void *obj)
{
	struct sinkp *p = obj;

	p->cfg.sd_id = scalar_dup(c, v, "sd_id");
	if (p->cfg.sd_id && !sd_id_ok(p->cfg.sd_id)) {
		cerr(c, v, "bad \"sd_id\" \"%s\" (name@<enterprise number>, like sluice@32473)",
		     p->cfg.sd_id);
		p->bad = true;
	}
}

enum {
	K_TYPE, K_NAME, K_PATH, K_ADDRESS, K_TRANSPORT, K_FORMAT, K_ROTATE, K_VERDICTS,
	K_CONTROL, K_QUEUE, K_FACILITY, K_SD_ID,
};

static const struct field sink_fields[] = {
	[K_TYPE] = { "type", sink_type }, [K_NAME] = { "name", sink_name },
	[K_PATH] = { "path", sink_path }, [K_ADDRESS] = { "address", sink_address },
	[K_TRANSPORT] = { "transport", sink_transport }, [K_FORMAT] = { "format", sink_format },
	[K_ROTATE] = { "rotate", sink_rotate }, [K_VERDICTS] = { "verdicts", sink_verdicts },
	[K_CONTROL] = { "control", sink_control }, [K_QUEUE] = { "queue", sink_queue },
	[K_FACILITY] = { "facility", sink_facility }, [K_SD_ID] = { "sd_id", sink_sd_id },
	{ 0 },
};

#define BIT(k)	(1u << (k))

/* Keys each sink type needs, and those it must not have. */
static void sink_check(struct cctx *c, struct sinkp *p, yaml_node_t *n)
{
	const unsigned int syslog_only = BIT(K_ADDRESS) | BIT(K_TRANSPORT) | BIT(K_FACILITY) |
					 BIT(K_SD_ID);
	bool unix_tr = p->cfg.transport == SL_TRANSPORT_UNIX;
	unsigned int s = p->seen;

	if (!(s & BIT(K_TYPE)))
		cerr(c, n, "a sink needs \"type\" (file, stdout or syslog)");
	else if (p->cfg.type == SL_SINK_FILE && !(s & BIT(K_PATH)))
		cerr(c, n, "a file sink needs \"path\"");
	else if (p->cfg.type != SL_SINK_SYSLOG && (s & syslog_only))
		cerr(c, n, "a %s sink takes no address, transport, facility or sd_id",
		     type_names[p->cfg.type]);
	else if (p->cfg.type != SL_SINK_FILE && (s & BIT(K_ROTATE)))
		cerr(c, n, "only file sinks rotate");
	else if (p->cfg.type == SL_SINK_STDOUT && (s & BIT(K_PATH)))
		cerr(c, n, "a stdout sink takes no \"path\"");
	else if (p->cfg.type == SL_SINK_SYSLOG && unix_tr && !(s & BIT(K_PATH)))
		cerr(c, n, "a syslog sink over a Unix socket needs \"path\"");
	else if (p->cfg.type == SL_SINK_SYSLOG && !unix_tr && !(s & BIT(K_ADDRESS)))
		cerr(c, n, "a syslog sink over %s needs \"address\" (host:port)",
		     transport_names[p->cfg.transport]);
	else if (p->cfg.type == SL_SINK_SYSLOG && ((s & BIT(K_PATH)) && !unix_tr))
		cerr(c, n, "\"path\" is for transport: unix; use \"address\"");
	else
		return;
	p->bad = true;
}

static void one_sink(struct cctx *c, yaml_node_t *n, struct sl_events_cfg *ev)
{
	struct sinkp p = { .loc = where(c, n) };
	int err;

	sl_sink_cfg_init(&p.cfg, SL_SINK_FILE);
	p.seen = walk(c, n, sink_fields, &p, "a sink");
	if (n->type == YAML_MAPPING_NODE && !p.bad)
		sink_check(c, &p, n);
	if (!c->errors && !c->nomem) {
		err = sl_events_cfg_add(ev, &p.cfg);
		c->nomem |= err == -ENOMEM;
	}
	sl_sink_cfg_free(&p.cfg);
}

static void ev_sinks(struct cctx *c, yaml_node_t *v, void *obj)
{
	yaml_node_item_t *i;

	if (v->type != YAML_SEQUENCE_NODE) {
		cerr(c, v, "\"sinks\" must be a list of sinks, not %s", node_kind(v));
		return;
	}
	if (v->data.sequence.items.top - v->data.sequence.items.start > MAX_SINKS) {
		cerr(c, v, "at most %d sinks", MAX_SINKS);
		return;
	}
	for (i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++)
		one_sink(c, node(c, *i), obj);
}

static void ev_ringbuf(struct cctx *c, yaml_node_t *v, void *obj)
{
	struct sl_events_cfg *ev = obj;
	const char *s = scalar(c, v, "ringbuf_size");
	uint64_t n;

	if (s && (sl_size_parse(s, &n) || n < 4096 || n > (1u << 30) || (n & (n - 1)))) {
		cerr(c, v, "bad \"ringbuf_size\" \"%s\" (a power of two from 4096 to 1G)", s);
		return;
	}
	if (s)
		ev->ringbuf_bytes = (uint32_t)n;
}

static void ev_sample(struct cctx *c, yaml_node_t *v, void *obj)
{
	uint64_t n;

	if (number(c, v, "sample_allowed", 1, 1000000, &n))
		((struct sl_events_cfg *)obj)->sample_allowed = (uint32_t)n;
}

static void top_events(struct cctx *c, yaml_node_t *v, void *obj)
{
	static const struct field fields[] = {
		{ "ringbuf_size", ev_ringbuf }, { "sample_allowed", ev_sample },
		{ "sinks", ev_sinks }, { 0 },
	};

	walk(c, v, fields, obj, "events");
}

/* ---- documents -------------------------------------------------------------- */

static void syntax_error(struct cctx *c, const yaml_parser_t *p)
{
	struct sl_loc loc = {
		.file = c->file, .line = (int)p->problem_mark.line + 1,
		.col = (int)p->problem_mark.column + 1,
	};

	if (p->error == YAML_MEMORY_ERROR) {
		c->nomem = true;
		return;
	}
	sl_diag_add(c->d, &loc, "syntax error: %s%s%s", p->problem ? p->problem : "?",
		    p->context ? " " : "", p->context ? p->context : "");
	c->errors++;
}

int sl_config_parse(const char *name, const char *buf, size_t len,
		    struct sl_events_cfg *ev, struct sl_diag *d)
{
	static const struct field top[] = { { "events", top_events }, { 0 } };
	struct cctx c = { .file = name, .d = d };
	yaml_document_t doc;
	yaml_parser_t p;
	yaml_node_t *root;

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&p, &doc)) {
		syntax_error(&c, &p);
	} else {
		c.doc = &doc;
		root = yaml_document_get_root_node(&doc);
		if (root)
			walk(&c, root, top, ev, "the configuration");
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&p);
	if (c.nomem || c.errors)
		sl_events_cfg_free(ev);
	return c.nomem ? -ENOMEM : c.errors ? -EINVAL : 0;
}

int sl_config_load(const char *path, struct sl_events_cfg *ev, struct sl_diag *d)
{
	struct sl_loc loc = { .file = path };
	char *buf = NULL;
	struct stat st;
	int fd, err = 0;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
	} else if (st.st_size > MAX_CONFIG_BYTES) {
		err = -EFBIG;
	} else if (!(buf = malloc((size_t)st.st_size + 1))) {
		err = -ENOMEM;
	} else if ((n = read(fd, buf, (size_t)st.st_size)) != st.st_size) {
		err = n < 0 ? -errno : -EIO;
	}
	if (fd >= 0)
		close(fd);
	if (err)
		sl_diag_add(d, &loc, "cannot read: %s", strerror(-err));
	else
		err = sl_config_parse(path, buf, (size_t)st.st_size, ev, d);
	free(buf);
	return err;
}
