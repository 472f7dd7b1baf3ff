// SPDX-License-Identifier: GPL-2.0-only
/*
 * What every format shares: the kind of an event (the mapping table of
 * docs/siem.md), accessors over decisions and control fields, time, and
 * sluice's own JSON rendering (docs/events.md).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "format_int.h"

#define AF_INET_NR	2
#define AF_INET6_NR	10

static const char *const fmt_names[SL_EVFMT_MAX] = {
	[SL_EVFMT_JSON] = "json", [SL_EVFMT_OCSF] = "ocsf",
	[SL_EVFMT_ECS] = "ecs", [SL_EVFMT_CEF] = "cef",
};

/* Kernel decisions, by record type and verdict. */
static const struct sl_evkind decisions[] = {
	{ "connection", "allow", OCSF_NETWORK, 1, 1, "network", { "connection", "allowed" },
	  "egress-allow", "Egress connection allowed" },
	{ "connection", "deny", OCSF_NETWORK, 5, 3, "network", { "connection", "denied" },
	  "egress-deny", "Egress connection denied" },
	{ "connection", "audit", OCSF_NETWORK, 1, 2, "network", { "connection", "allowed" },
	  "egress-audit", "Egress connection would be denied (audit)" },
	{ "connection", "redirect", OCSF_NETWORK, 1, 1, "network", { "connection", "allowed" },
	  "dns-redirect", "DNS traffic redirected to the sluice resolver" },
	{ "socket", "deny", OCSF_NETWORK, 5, 3, "network", { "connection", "denied" },
	  "socket-deny", "Socket type refused" },
	{ "connection_terminated", "deny", OCSF_NETWORK, 2, 2, "network", { "connection", "end" },
	  "connection-terminated", "Connection terminated: access revoked" },
};

/* Control-plane events, by type. */
static const struct sl_evkind controls[] = {
	{ "policy_apply", NULL, OCSF_ENTITY, 3, 1, "configuration", { "change" },
	  "policy-apply", "Egress policy applied" },
	{ "grant", NULL, OCSF_ACCESS, 1, 1, "iam", { "change" },
	  "grant", "Egress grant assigned" },
	{ "revoke", NULL, OCSF_ACCESS, 2, 1, "iam", { "change" },
	  "revoke", "Egress grant revoked" },
	{ "approve", NULL, OCSF_ACCESS, 1, 1, "iam", { "change" },
	  "approve", "Step-up request approved" },
	{ "approval_request", NULL, OCSF_ACCESS, 99, 2, "iam", { "info" },
	  "approval-request", "Step-up approval requested" },
	{ "approval_denied", NULL, OCSF_ACCESS, 1, 2, "iam", { "change" },
	  "approval-deny", "Step-up request denied" },
	{ "approval_expired", NULL, OCSF_ACCESS, 1, 2, "iam", { "change" },
	  "approval-expired", "Step-up request expired unanswered" },
	{ "task_expired", NULL, OCSF_ENTITY, 3, 1, "session", { "info" },
	  "task-expired", "Agent task TTL ran out" },
	{ "expiry", NULL, OCSF_ACCESS, 2, 1, "iam", { "change" },
	  "expiry", "Egress grant expired" },
	{ "connection_terminated", "deny", OCSF_NETWORK, 2, 2, "network", { "connection", "end" },
	  "connection-terminated", "Connection terminated" },
	{ "dns_query", "allow", OCSF_DNS, 2, 1, "network", { "protocol", "allowed" },
	  "dns-query", "DNS query answered" },
	{ "dns_malformed", "deny", OCSF_DNS, 1, 3, "network", { "protocol", "denied" },
	  "dns-malformed", "Malformed DNS query dropped" },
	{ "dns_denied", "deny", OCSF_DNS, 1, 3, "network", { "protocol", "denied" },
	  "dns-deny", "DNS query refused" },
	{ "run_start", NULL, OCSF_PROCESS, 1, 1, "process", { "start" },
	  "run-start", "Agent run started" },
	{ "run_end", NULL, OCSF_PROCESS, 2, 1, "process", { "end" },
	  "run-end", "Agent run ended" },
	{ "task_start", NULL, OCSF_ENTITY, 1, 1, "session", { "start" },
	  "task-start", "Agent task started" },
	{ "task_end", NULL, OCSF_ENTITY, 4, 1, "session", { "end" },
	  "task-end", "Agent task ended" },
	{ "daemon_start", NULL, OCSF_APP, 3, 1, "process", { "start" },
	  "daemon-start", "sluiced started" },
	{ "daemon_stop", NULL, OCSF_APP, 4, 1, "process", { "end" },
	  "daemon-stop", "sluiced stopped" },
	{ "control_refused", NULL, OCSF_AUTH, 1, 3, "authentication", { "start" },
	  "control-refused", "Control connection refused" },
	{ "events_lost", NULL, OCSF_EVENT_LOG, 99, 3, "host", { "info" },
	  "events-lost", "Events lost" },
};

/* Any other control type still validates everywhere: an application event. */
static const struct sl_evkind other = {
	"control", NULL, OCSF_APP, 99, 1, "process", { "info" }, "control", "sluiced control event",
};

int sl_evfmt_parse(const char *s)
{
	for (int i = 0; s && i < SL_EVFMT_MAX; i++)
		if (!strcmp(s, fmt_names[i]))
			return i;
	return -EINVAL;
}

const char *sl_evfmt_name(enum sl_evfmt f)
{
	return f < SL_EVFMT_MAX ? fmt_names[f] : "?";
}

const char *sl_verdict_name(uint8_t v)
{
	switch (v) {
	case SL_VERDICT_ALLOW: return "allow";
	case SL_VERDICT_DENY: return "deny";
	case SL_VERDICT_AUDIT: return "audit";
	case SL_VERDICT_REDIRECT: return "redirect";
	default: return "unknown";
	}
}

const char *sl_reason_name(uint8_t r)
{
	switch (r) {
	case SL_REASON_RULE: return "rule";
	case SL_REASON_DENY_RULE: return "deny_rule";
	case SL_REASON_DEFAULT: return "default_deny";
	case SL_REASON_NOT_ENROLLED: return "not_enrolled";
	case SL_REASON_SOCKET: return "socket_type";
	case SL_REASON_ASK: return "ask";
	case SL_REASON_DELEGATOR: return "delegator";
	case SL_REASON_DNS: return "dns_redirect";
	case SL_REASON_NO_AGENT: return "no_agent";
	default: return "unknown";
	}
}

const char *sl_hook_name(uint8_t h)
{
	switch (h) {
	case SL_HOOK_CONNECT4: return "connect4";
	case SL_HOOK_CONNECT6: return "connect6";
	case SL_HOOK_SENDMSG4: return "sendmsg4";
	case SL_HOOK_SENDMSG6: return "sendmsg6";
	case SL_HOOK_SOCK_CREATE: return "sock_create";
	case SL_HOOK_TERMINATE: return "sweep";
	default: return "unknown";
	}
}

const struct sl_evkind *sl_evkind(const struct sl_evrec *ev)
{
	if (ev->k) {
		const char *type = ev->k->hook == SL_HOOK_SOCK_CREATE ? "socket" :
				   ev->k->hook == SL_HOOK_TERMINATE ? "connection_terminated" :
				   "connection";
		const char *v = sl_verdict_name(ev->k->verdict);

		for (size_t i = 0; i < ARRAY_SIZE(decisions); i++)
			if (!strcmp(decisions[i].name, type) && !strcmp(decisions[i].verdict, v))
				return &decisions[i];
		return ev->k->verdict == SL_VERDICT_ALLOW ? &decisions[0] : &decisions[1];
	}
	for (size_t i = 0; ev->type && i < ARRAY_SIZE(controls); i++)
		if (!strcmp(controls[i].name, ev->type))
			return &controls[i];
	return &other;
}

bool sl_ev_refusal(const struct sl_evkind *k)
{
	return !strcmp(k->name, "approval_denied") || !strcmp(k->name, "approval_expired");
}

const char *sl_evrec_verdict(const struct sl_evrec *ev)
{
	const char *v = ev->k ? NULL : sl_ev_str(ev, "verdict");

	return v ? v : sl_evkind(ev)->verdict;
}

json_object *sl_ev_get(const struct sl_evrec *ev, const char *key)
{
	json_object *v;

	if (!ev->fields || !json_object_object_get_ex(ev->fields, key, &v))
		return NULL;
	return v;
}

const char *sl_ev_str(const struct sl_evrec *ev, const char *key)
{
	json_object *v = sl_ev_get(ev, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool sl_ev_int(const struct sl_evrec *ev, const char *key, int64_t *out)
{
	json_object *v = sl_ev_get(ev, key);

	if (!v || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

bool sl_ev_operator(const struct sl_evrec *ev, int64_t *uid, int64_t *pid)
{
	json_object *op = sl_ev_get(ev, "operator"), *u, *p;

	if (!op || !json_object_object_get_ex(op, "uid", &u))
		return false;
	*uid = json_object_get_int64(u);
	*pid = json_object_object_get_ex(op, "pid", &p) ? json_object_get_int64(p) : -1;
	return true;
}

bool sl_ev_failed(const struct sl_evrec *ev)
{
	const char *o = sl_ev_str(ev, "outcome");

	return o && !strcmp(o, "failure");
}

int sl_ev_severity(const struct sl_evrec *ev, const struct sl_evkind *k)
{
	return sl_ev_failed(ev) && k->severity < 3 ? 3 : k->severity;
}

const char *sl_ev_agent(const struct sl_evrec *ev)
{
	return ev->id.agent ? ev->id.agent : sl_ev_str(ev, "agent");
}

const char *sl_ev_spiffe(const struct sl_evrec *ev)
{
	return ev->id.spiffe_id ? ev->id.spiffe_id : sl_ev_str(ev, "spiffe_id");
}

const char *sl_ev_task(const struct sl_evrec *ev)
{
	return ev->id.task ? ev->id.task : sl_ev_str(ev, "task");
}

static int proto_num(const char *name)
{
	if (!name)
		return -1;
	if (!strcmp(name, "tcp"))
		return SL_PROTO_TCP;
	return !strcmp(name, "udp") ? SL_PROTO_UDP : -1;
}

void sl_ev_dst(const struct sl_evrec *ev, struct sl_evdst *d)
{
	const char *ip = ev->k ? NULL : sl_ev_str(ev, "dst_ip");
	int64_t port;

	memset(d, 0, sizeof(*d));
	d->port = d->proto = -1;
	if (ev->k && ev->k->hook != SL_HOOK_SOCK_CREATE) {
		sl_addr_format(ev->k->addr, d->ip, sizeof(d->ip));
		d->port = ev->k->port;
		d->proto = ev->k->proto;
	} else if (ev->k) {
		d->proto = ev->k->proto;
	} else {
		if (ip && !sl_addr_parse(ip, (uint8_t[16]){ 0 }))
			snprintf(d->ip, sizeof(d->ip), "%s", ip);
		if (sl_ev_int(ev, "dst_port", &port) && port >= 0 && port <= 65535)
			d->port = (int)port;
		d->proto = proto_num(sl_ev_str(ev, "protocol"));
	}
	d->v6 = strchr(d->ip, ':') != NULL;
}

const char *sl_ev_rule_src(const struct sl_evrec *ev, char *buf, size_t len)
{
	if (!ev->has_rule)
		return NULL;
	snprintf(buf, len, "%s:%d:%d", ev->rule.loc.file, ev->rule.loc.line, ev->rule.loc.col);
	return buf;
}

const char *sl_ev_delegators(const struct sl_evrec *ev, char *buf, size_t len)
{
	size_t o = 0;

	if (!ev->n_delegators)
		return NULL;
	buf[0] = '\0';
	for (unsigned int i = 0; i < ev->n_delegators && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "", ev->delegators[i]);
	return buf;
}

const char *sl_ev_comm(const struct sl_evrec *ev, char buf[SL_COMM_LEN + 1])
{
	if (!ev->k)
		return sl_ev_str(ev, "comm");
	memcpy(buf, ev->k->comm, SL_COMM_LEN);
	buf[SL_COMM_LEN] = '\0';
	return buf;
}

static void decision_message(const struct sl_evrec *ev, char *buf, size_t len)
{
	const char *agent = ev->id.agent ? ev->id.agent : "(not an agent)";
	bool bracket;
	struct sl_evdst d;

	sl_ev_dst(ev, &d);
	if (ev->k->hook == SL_HOOK_SOCK_CREATE) {
		snprintf(buf, len, "socket %s: %s type %u protocol %u (%s)",
			 sl_verdict_name(ev->k->verdict), agent, ev->k->sock_type, ev->k->proto,
			 sl_reason_name(ev->k->reason));
		return;
	}
	bracket = d.v6 && !ev->dns_name;
	snprintf(buf, len, "egress %s: %s -> %s%s%s:%d/%s (%s)", sl_verdict_name(ev->k->verdict),
		 agent, bracket ? "[" : "", ev->dns_name ? ev->dns_name : d.ip, bracket ? "]" : "",
		 d.port, sl_proto_name(d.proto), sl_reason_name(ev->k->reason));
}

void sl_ev_message(const struct sl_evrec *ev, const struct sl_evkind *k, char *buf, size_t len)
{
	const char *agent = sl_ev_agent(ev), *detail = sl_ev_str(ev, "reason");
	int64_t version;
	char ver[32] = "";

	if (ev->k) {
		decision_message(ev, buf, len);
		return;
	}
	if (sl_ev_int(ev, "version_after", &version) || sl_ev_int(ev, "version", &version))
		snprintf(ver, sizeof(ver), " (version %lld)", (long long)version);
	snprintf(buf, len, "%s%s%s%s%s%s%s", k->title, agent ? ": " : "", agent ? agent : "", ver,
		 sl_ev_failed(ev) ? " (failed)" : "", detail ? ": " : "", detail ? detail : "");
}

int64_t sl_ev_ms(const struct sl_evrec *ev)
{
	return (int64_t)ev->time.tv_sec * 1000 + ev->time.tv_nsec / 1000000;
}

void sl_ev_iso(const struct sl_evrec *ev, int digits, char *buf, size_t len)
{
	struct tm tm;
	long frac = digits == 3 ? ev->time.tv_nsec / 1000000 : ev->time.tv_nsec / 1000;

	gmtime_r(&ev->time.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%0*ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, digits, frac);
}

void sl_jstr(json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

void sl_jint(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

json_object *sl_jobj(json_object *parent, const char *key)
{
	json_object *o = json_object_new_object();

	json_object_object_add(parent, key, o);
	return o;
}

const char *sl_jtext(json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return json_object_to_json_string_ext(v, SL_JSON_FLAGS);
}

const char *sl_jlist(json_object *v, char *buf, size_t len)
{
	size_t o = 0;

	if (!json_object_is_type(v, json_type_array))
		return sl_jtext(v);
	buf[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(v) && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
				      sl_jtext(json_object_array_get_idx(v, i)));
	return buf;
}

/* ---- text buffers --------------------------------------------------------- */

void sl_sb_put(struct sl_sbuf *b, const char *s, size_t n)
{
	if (b->nomem)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 512;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p) {
			b->nomem = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sl_sb_puts(struct sl_sbuf *b, const char *s)
{
	sl_sb_put(b, s, strlen(s));
}

void sl_sb_printf(struct sl_sbuf *b, const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sl_sb_put(b, small, (size_t)n);
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->nomem = true;
		return;
	}
	sl_sb_put(b, big, (size_t)n);
	free(big);
}

char *sl_sb_take(struct sl_sbuf *b, size_t *len)
{
	char *s = b->nomem ? NULL : b->s;

	if (b->nomem)
		free(b->s);
	else if (!s)
		s = strdup("");
	*len = s ? b->len : 0;
	memset(b, 0, sizeof(*b));
	return s;
}

/* ---- sluice's own JSON ------------------------------------------------------ */

static const char *family_name(uint8_t f)
{
	switch (f) {
	case AF_INET_NR: return "ipv4";
	case AF_INET6_NR: return "ipv6";
	case 1: return "unix";
	case 16: return "netlink";
	case 17: return "packet";
	default: return "other";
	}
}

static const char *sock_type_name(uint8_t t)
{
	switch (t) {
	case 1: return "stream";
	case 2: return "dgram";
	case 3: return "raw";
	case 5: return "seqpacket";
	default: return "other";
	}
}

static void add_identity(json_object *o, const struct sl_evrec *ev)
{
	sl_jstr(o, "agent", ev->id.agent);
	sl_jstr(o, "spiffe_id", ev->id.spiffe_id);
	sl_jstr(o, "owner", ev->id.owner);
	sl_jstr(o, "task", ev->id.task);
	if (ev->n_delegators) {
		json_object *arr = json_object_new_array();

		for (unsigned int i = 0; i < ev->n_delegators; i++)
			json_object_array_add(arr, json_object_new_string(ev->delegators[i]));
		json_object_object_add(o, "delegators", arr);
	}
	sl_jstr(o, "run", ev->id.run);
	sl_jstr(o, "cgroup", ev->id.cgroup);
}

static void add_process(json_object *o, const struct sl_evrec *ev)
{
	const struct sl_event *k = ev->k;
	char comm[SL_COMM_LEN + 1];

	sl_jint(o, "cgroup_id", (int64_t)k->cgroup);
	sl_jint(o, "pid", k->tgid);
	sl_jint(o, "tid", k->pid);
	sl_jint(o, "uid", k->uid);
	sl_jstr(o, "user", ev->user);
	sl_jint(o, "gid", k->gid);
	sl_jstr(o, "comm", sl_ev_comm(ev, comm));
	sl_jstr(o, "exe", ev->exe);
}

static void add_rule(json_object *o, const struct sl_evrec *ev)
{
	const struct sl_event *k = ev->k;
	char src[512];

	if (k->agent) {
		sl_jstr(o, "policy", ev->id.agent);
		sl_jint(o, "policy_version", k->version);
	}
	if (k->rule_id)
		sl_jint(o, "rule_id", k->rule_id);
	if (!ev->has_rule)
		return;
	sl_jstr(o, "rule_section", ev->rule.section);
	sl_jstr(o, "rule_label", ev->rule.id);
	sl_jstr(o, "rule_source", sl_ev_rule_src(ev, src, sizeof(src)));
}

static void add_decision(json_object *o, const struct sl_evrec *ev)
{
	const struct sl_event *k = ev->k;
	struct sl_evdst d;

	sl_jstr(o, "hook", sl_hook_name(k->hook));
	sl_jstr(o, "verdict", sl_verdict_name(k->verdict));
	sl_jstr(o, "reason", sl_reason_name(k->reason));
	add_process(o, ev);
	sl_jstr(o, "family", family_name(k->family));
	if (k->hook == SL_HOOK_SOCK_CREATE) {
		sl_jstr(o, "sock_type", sock_type_name(k->sock_type));
		sl_jint(o, "sock_protocol", k->proto);
	} else {
		sl_ev_dst(ev, &d);
		sl_jstr(o, "protocol", sl_proto_name(k->proto));
		sl_jstr(o, "dst_ip", d.ip);
		sl_jint(o, "dst_port", k->port);
		sl_jstr(o, "dns_name", ev->dns_name);
	}
	add_rule(o, ev);
	if (k->delegator)
		sl_jint(o, "delegator_task_id", k->delegator);
	if (k->entry_flags & SL_ENTRY_GRANT)
		sl_jstr(o, "rule_origin", "grant");
	else if (k->entry_flags & SL_ENTRY_LEARNED)
		sl_jstr(o, "rule_origin", "dns");
	sl_jstr(o, "request_id", ev->request_id);
}

json_object *sl_format_json(const struct sl_evrec *ev)
{
	json_object *o = json_object_new_object();
	char ts[64];

	sl_ev_iso(ev, 6, ts, sizeof(ts));
	sl_jstr(o, "time", ts);
	json_object_object_add(o, "seq", json_object_new_uint64(ev->seq));
	sl_jstr(o, "event_id", ev->event_id);
	sl_jstr(o, "host", ev->host);
	sl_jstr(o, "type", ev->k ? sl_evkind(ev)->name : ev->type);
	add_identity(o, ev);
	if (ev->k) {
		add_decision(o, ev);
	} else if (ev->fields) {
		json_object_object_foreach(ev->fields, key, val)
			if (!json_object_object_get_ex(o, key, NULL))
				json_object_object_add(o, key, json_object_get(val));
	}
	return o;
}

/* ---- any format as one line --------------------------------------------------- */

static char *json_line(json_object *o, size_t *len)
{
	const char *s;
	char *line;

	if (!o)
		return NULL;
	s = json_object_to_json_string_length(o, SL_JSON_FLAGS, len);
	line = s ? strndup(s, *len) : NULL;
	json_object_put(o);
	return line;
}

char *sl_format(const struct sl_evrec *ev, enum sl_evfmt f, size_t *len)
{
	char *line;

	switch (f) {
	case SL_EVFMT_OCSF: line = json_line(sl_format_ocsf(ev), len); break;
	case SL_EVFMT_ECS: line = json_line(sl_format_ecs(ev), len); break;
	case SL_EVFMT_CEF: line = sl_format_cef(ev, len); break;
	default: line = json_line(sl_format_json(ev), len); break;
	}
	if (line)
		sl_utf8_scrub(line, *len);
	return line;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t need;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and past U+10FFFF are not UTF-8. */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

void sl_utf8_scrub(char *s, size_t len)
{
	unsigned char *p = (unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(p + i, len - i);

		if (!n) {
			p[i++] = '?';
			continue;
		}
		i += n;
	}
}

/* ---- copies for the history ----------------------------------------------------- */

static void dup_str(const char **dst, const char *src, bool *nomem)
{
	*dst = src ? strdup(src) : NULL;
	if (src && !*dst)
		*nomem = true;
}

/* The string members of a record, which a copy owns. */
#define N_STRS 15
static void str_slots(struct sl_evrec *c, const char **slot[N_STRS])
{
	const char **all[N_STRS] = {
		&c->host, &c->id.agent, &c->id.spiffe_id, &c->id.owner, &c->id.task,
		&c->id.cgroup, &c->id.run, &c->dns_name, &c->exe, &c->user,
		&c->rule.agent, &c->rule.section, &c->rule.id, &c->rule.loc.file, &c->type,
	};

	memcpy(slot, all, sizeof(all));
}

struct sl_evrec *sl_evrec_dup(const struct sl_evrec *ev)
{
	struct sl_evrec *c = calloc(1, sizeof(*c) + sizeof(struct sl_event));
	const char **slot[N_STRS];
	bool nomem = false;

	if (!c)
		return NULL;
	*c = *ev;
	str_slots(c, slot);
	for (size_t i = 0; i < N_STRS; i++)
		dup_str(slot[i], *slot[i], &nomem);
	for (unsigned int i = 0; i < c->n_delegators; i++)
		dup_str(&c->delegators[i], ev->delegators[i], &nomem);
	if (ev->k) {
		memcpy(c + 1, ev->k, sizeof(*ev->k));
		c->k = (const struct sl_event *)(c + 1);
	}
	c->fields = json_object_get(ev->fields);
	if (nomem) {
		sl_evrec_free(c);
		return NULL;
	}
	return c;
}

void sl_evrec_free(struct sl_evrec *ev)
{
	const char **slot[N_STRS];

	if (!ev)
		return;
	str_slots(ev, slot);
	for (size_t i = 0; i < N_STRS; i++)
		free((char *)*slot[i]);
	for (unsigned int i = 0; i < ev->n_delegators; i++)
		free((char *)ev->delegators[i]);
	json_object_put(ev->fields);
	free(ev);
}
