// SPDX-License-Identifier: GPL-2.0-only
/*
 * Elastic Common Schema rendering (ECS 9.4.0).  Decisions are network
 * connection events; control events take the category of the table in
 * format.c.  ECS has no place for an AI agent (agent.* is the shipper):
 * agent, SPIFFE ID, task and the rest go under labels.*, flat strings.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "addr.h"
#include "format_int.h"

#define ECS_VERSION	"9.4.0"

static json_object *str_array(const char *a, const char *b)
{
	json_object *arr = json_object_new_array();

	json_object_array_add(arr, json_object_new_string(a));
	if (b)
		json_object_array_add(arr, json_object_new_string(b));
	return arr;
}

/* Did what the event records fail or get refused? */
static bool failed(const struct sl_evrec *ev, const struct sl_evkind *k)
{
	if (ev->k)
		return ev->k->verdict == SL_VERDICT_DENY;
	return sl_ev_failed(ev) || (k->verdict && !strcmp(k->verdict, "deny")) ||
	       sl_ev_refusal(k) || !strcmp(k->name, "control_refused") ||
	       !strcmp(k->name, "events_lost");
}

/* ECS dns.*: the question, and for an answered query its addresses. */
static void dns_fields(json_object *o, const struct sl_evrec *ev, const struct sl_evkind *k)
{
	json_object *dns = sl_jobj(o, "dns"), *q = sl_jobj(dns, "question");
	json_object *list = sl_ev_get(ev, "answers");
	int64_t rcode = 5;

	sl_jstr(q, "name", sl_ev_str(ev, "query"));
	sl_jstr(q, "type", sl_ev_str(ev, "qtype"));
	if (!strcmp(k->name, "dns_malformed"))
		return;
	if (!strcmp(k->name, "dns_query"))
		sl_ev_int(ev, "rcode", &rcode);
	static const char *const rc[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };

	sl_jstr(dns, "response_code", rcode >= 0 && rcode < 6 ? rc[rcode] : "OTHER");
	if (list && json_object_is_type(list, json_type_array) && json_object_array_length(list)) {
		json_object *ips = json_object_new_array();

		for (size_t i = 0; i < json_object_array_length(list); i++)
			json_object_array_add(ips, json_object_get(json_object_array_get_idx(list, i)));
		json_object_object_add(dns, "resolved_ip", ips);
	}
}

static void event_obj(json_object *o, const struct sl_evrec *ev, const struct sl_evkind *k)
{
	json_object *e = sl_jobj(o, "event");
	const char *reason = ev->k ? sl_reason_name(ev->k->reason) : sl_ev_str(ev, "reason");

	sl_jstr(e, "kind", "event");
	json_object_object_add(e, "category", str_array(k->ecs_category, NULL));
	json_object_object_add(e, "type", str_array(k->ecs_type[0], k->ecs_type[1]));
	sl_jstr(e, "action", k->cef_class);
	sl_jstr(e, "outcome", failed(ev, k) ? "failure" : "success");
	sl_jstr(e, "id", ev->event_id);
	json_object_object_add(e, "sequence", json_object_new_int64((int64_t)ev->seq));
	sl_jstr(e, "module", "sluice");
	sl_jstr(e, "dataset", ev->k ? "sluice.decision" : "sluice.control");
	sl_jstr(e, "provider", "sluiced");
	sl_jstr(e, "code", ev->k ? k->name : ev->type);
	sl_jint(e, "severity", sl_ev_severity(ev, k));
	sl_jstr(e, "reason", reason);
}

static void observer_host(json_object *o, const struct sl_evrec *ev)
{
	json_object *obs = sl_jobj(o, "observer"), *h = sl_jobj(o, "host");
	const char *host = ev->host ? ev->host : "localhost";

	sl_jstr(obs, "vendor", "sluice");
	sl_jstr(obs, "product", "sluice");
	sl_jstr(obs, "version", SLUICE_VERSION);
	sl_jstr(obs, "type", "firewall");
	sl_jstr(obs, "hostname", host);
	sl_jstr(h, "hostname", host);
	sl_jstr(h, "name", host);
}

static void id_text(json_object *o, const char *key, int64_t id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)id);
	sl_jstr(o, key, buf);
}

static void process_obj(json_object *o, const struct sl_evrec *ev)
{
	json_object *p = sl_jobj(o, "process"), *u;
	char comm[SL_COMM_LEN + 1];
	int64_t pid;

	if (!ev->k) {
		if (sl_ev_int(ev, "pid", &pid))
			sl_jint(p, "pid", pid);
		sl_jstr(p, "name", sl_ev_comm(ev, comm));
		return;
	}
	sl_jint(p, "pid", ev->k->tgid);
	sl_jint(sl_jobj(p, "thread"), "id", ev->k->pid);
	sl_jstr(p, "name", sl_ev_comm(ev, comm));
	sl_jstr(p, "executable", ev->exe);
	u = sl_jobj(p, "user");
	id_text(u, "id", ev->k->uid);
	sl_jstr(u, "name", ev->user);
	id_text(sl_jobj(p, "group"), "id", ev->k->gid);
}

static void destination(json_object *o, const struct sl_evrec *ev)
{
	const char *dns = ev->dns_name ? ev->dns_name : sl_ev_str(ev, "dns_name");
	json_object *d, *n, *rel;
	struct sl_evdst dst;
	char num[8];

	sl_ev_dst(ev, &dst);
	n = sl_jobj(o, "network");
	if (dst.proto == SL_PROTO_TCP || dst.proto == SL_PROTO_UDP) {
		sl_jstr(n, "transport", sl_proto_name(dst.proto));
		snprintf(num, sizeof(num), "%d", dst.proto);
		sl_jstr(n, "iana_number", num);
	}
	sl_jstr(n, "direction", "egress");
	if (!dst.ip[0])
		return;
	sl_jstr(n, "type", dst.v6 ? "ipv6" : "ipv4");
	d = sl_jobj(o, "destination");
	sl_jstr(d, "ip", dst.ip);
	sl_jstr(d, "address", dns ? dns : dst.ip);
	if (dst.port >= 0)
		sl_jint(d, "port", dst.port);
	sl_jstr(d, "domain", dns);
	rel = sl_jobj(o, "related");
	json_object_object_add(rel, "ip", str_array(dst.ip, NULL));
	if (dns)
		json_object_object_add(rel, "hosts", str_array(dns, NULL));
}

static void rule_obj(json_object *o, const struct sl_evrec *ev)
{
	const struct sl_event *k = ev->k;
	json_object *r;
	char src[512];

	if (!k->rule_id && !k->agent)
		return;
	r = sl_jobj(o, "rule");
	if (k->rule_id)
		id_text(r, "id", k->rule_id);
	if (sl_ev_rule_src(ev, src, sizeof(src))) {
		sl_jstr(r, "name", ev->rule.id ? ev->rule.id : src);
		sl_jstr(r, "category", ev->rule.section);
		sl_jstr(r, "reference", src);
	}
	if (k->agent && ev->id.agent) {
		sl_jstr(r, "ruleset", ev->id.agent);
		id_text(r, "version", k->version);
	}
}

static void decision_labels(json_object *l, const struct sl_evrec *ev)
{
	const struct sl_event *k = ev->k;
	char buf[1024];

	sl_jstr(l, "owner", ev->id.owner);
	sl_jstr(l, "run", ev->id.run);
	sl_jstr(l, "cgroup", ev->id.cgroup);
	id_text(l, "cgroup_id", (int64_t)k->cgroup);
	sl_jstr(l, "hook", sl_hook_name(k->hook));
	sl_jstr(l, "verdict", sl_verdict_name(k->verdict));
	if (k->delegator)
		id_text(l, "delegator_task_id", k->delegator);
	sl_jstr(l, "delegators", sl_ev_delegators(ev, buf, sizeof(buf)));
}

static void labels(json_object *o, const struct sl_evrec *ev)
{
	json_object *l = sl_jobj(o, "labels");

	sl_jstr(l, "agent_name", sl_ev_agent(ev));
	sl_jstr(l, "spiffe_id", sl_ev_spiffe(ev));
	sl_jstr(l, "task_id", sl_ev_task(ev));
	if (ev->k) {
		decision_labels(l, ev);
		return;
	}
	if (!ev->fields)
		return;
	/* Control fields as they came, each a flat keyword. */
	json_object_object_foreach(ev->fields, key, val) {
		if (strcmp(key, "agent") && strcmp(key, "task") && strcmp(key, "spiffe_id") &&
		    !strchr(key, '.'))
			sl_jstr(l, key, sl_jtext(val));
	}
}

/* What ECS has a field for, beyond labels, for each kind of control event. */
static void control_fields(json_object *o, const struct sl_evrec *ev, const struct sl_evkind *k)
{
	int64_t uid, pid;
	json_object *u;

	if (sl_ev_operator(ev, &uid, &pid)) {
		u = sl_jobj(o, "user");
		id_text(u, "id", uid);
		if (!strcmp(k->ecs_category, "iam"))
			sl_jstr(sl_jobj(u, "target"), "name", sl_ev_agent(ev));
	} else if (!strcmp(k->name, "control_refused") && sl_ev_int(ev, "uid", &uid)) {
		id_text(sl_jobj(o, "user"), "id", uid);
	}
	if (!strncmp(k->name, "dns_", 4))
		dns_fields(o, ev, k);
	if (!strcmp(k->name, "daemon_start") || !strcmp(k->name, "daemon_stop")) {
		json_object *p = sl_jobj(o, "process");

		sl_jint(p, "pid", getpid());
		sl_jstr(p, "name", "sluiced");
	} else if (!strcmp(k->ecs_category, "process") || !strcmp(k->ecs_category, "network")) {
		process_obj(o, ev);
	}
	if (!strcmp(k->ecs_category, "network"))
		destination(o, ev);
}

json_object *sl_format_ecs(const struct sl_evrec *ev)
{
	const struct sl_evkind *k = sl_evkind(ev);
	json_object *o = json_object_new_object();
	char ts[64], msg[512];

	sl_ev_iso(ev, 3, ts, sizeof(ts));
	sl_jstr(o, "@timestamp", ts);
	sl_jstr(sl_jobj(o, "ecs"), "version", ECS_VERSION);
	sl_ev_message(ev, k, msg, sizeof(msg));
	sl_jstr(o, "message", msg);
	event_obj(o, ev, k);
	observer_host(o, ev);
	if (ev->k) {
		process_obj(o, ev);
		destination(o, ev);
		rule_obj(o, ev);
	} else {
		control_fields(o, ev, k);
	}
	labels(o, ev);
	return o;
}
