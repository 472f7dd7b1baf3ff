// SPDX-License-Identifier: GPL-2.0-only
/*
 * OCSF 1.8.0 rendering.  Decisions are Network Activity (4001) with the
 * security_control and host profiles; control events take the class of
 * the table in format.c (docs/siem.md explains each choice).  OCSF has no
 * agent attribute: the agent is actor.app_name, its SPIFFE ID
 * actor.app_uid, its task metadata.correlation_uid; the rest is unmapped.
 */
#include <stdio.h>
#include <string.h>
#include "addr.h"
#include "format_int.h"

#define OCSF_VERSION	"1.8.0"

struct caption {
	int id;
	const char *text;
};

struct ocsf_class {
	int uid;
	const char *name;
	const char *category;
	struct caption activities[4];
};

static const struct ocsf_class classes[] = {
	{ OCSF_PROCESS, "Process Activity", "System Activity",
	  { { 1, "Launch" }, { 2, "Terminate" } } },
	{ OCSF_EVENT_LOG, "Event Log Activity", "System Activity", { { 0 } } },
	{ OCSF_AUTH, "Authentication", "Identity & Access Management", { { 1, "Logon" } } },
	{ OCSF_ENTITY, "Entity Management", "Identity & Access Management",
	  { { 1, "Create" }, { 3, "Update" }, { 4, "Delete" } } },
	{ OCSF_ACCESS, "User Access Management", "Identity & Access Management",
	  { { 1, "Assign Privileges" }, { 2, "Revoke Privileges" } } },
	{ OCSF_NETWORK, "Network Activity", "Network Activity",
	  { { 1, "Open" }, { 2, "Close" }, { 5, "Refuse" } } },
	{ OCSF_DNS, "DNS Activity", "Network Activity", { { 1, "Query" }, { 2, "Response" } } },
	{ OCSF_APP, "Application Lifecycle", "Application Activity",
	  { { 3, "Start" }, { 4, "Stop" } } },
};

static const char *const severities[] = {
	"Unknown", "Informational", "Low", "Medium", "High", "Critical", "Fatal",
};

/* security_control: action_id, disposition_id and their captions. */
struct control {
	int action;
	const char *action_name;
	int disposition;
	const char *disposition_name;
	bool alert;
};

static const struct ocsf_class *class_of(int uid)
{
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
		if (classes[i].uid == uid)
			return &classes[i];
	return &classes[ARRAY_SIZE(classes) - 1];
}

static const char *activity_name(const struct ocsf_class *c, int activity)
{
	for (size_t i = 0; i < ARRAY_SIZE(c->activities) && c->activities[i].text; i++)
		if (c->activities[i].id == activity)
			return c->activities[i].text;
	return "Other";
}

/* Activity 99 is "Other": its name is ours, the event type. */
static void classify(json_object *o, const struct sl_evrec *ev, const struct sl_evkind *k,
		     int activity)
{
	const struct ocsf_class *c = class_of(k->ocsf_class);
	const char *act = activity == 99 ? (ev->type ? ev->type : k->name) :
			  activity_name(c, activity);
	int sev = sl_ev_severity(ev, k);
	char type_name[128];

	sl_jint(o, "class_uid", c->uid);
	sl_jstr(o, "class_name", c->name);
	sl_jint(o, "category_uid", c->uid / 1000);
	sl_jstr(o, "category_name", c->category);
	sl_jint(o, "activity_id", activity);
	sl_jstr(o, "activity_name", act);
	sl_jint(o, "type_uid", (int64_t)c->uid * 100 + activity);
	snprintf(type_name, sizeof(type_name), "%s: %s", c->name,
		 activity == 99 ? "Other" : act);
	sl_jstr(o, "type_name", type_name);
	sl_jint(o, "severity_id", sev);
	sl_jstr(o, "severity", severities[sev]);
}

static void metadata(json_object *o, const struct sl_evrec *ev, bool security)
{
	json_object *m = sl_jobj(o, "metadata"), *p = sl_jobj(m, "product");
	json_object *prof = json_object_new_array();
	const char *task = sl_ev_task(ev);

	sl_jstr(m, "version", OCSF_VERSION);
	sl_jstr(p, "name", "sluice");
	sl_jstr(p, "vendor_name", "sluice");
	sl_jstr(p, "version", SLUICE_VERSION);
	sl_jstr(m, "uid", ev->event_id);
	json_object_object_add(m, "sequence", json_object_new_int64((int64_t)ev->seq));
	sl_jstr(m, "correlation_uid", task);
	sl_jstr(m, "log_name", "sluice");
	sl_jstr(m, "event_code", ev->k ? sl_evkind(ev)->name : ev->type);
	json_object_array_add(prof, json_object_new_string("host"));
	if (security)
		json_object_array_add(prof, json_object_new_string("security_control"));
	json_object_object_add(m, "profiles", prof);
}

static void device(json_object *o, const struct sl_evrec *ev)
{
	json_object *d = sl_jobj(o, "device");

	sl_jstr(d, "hostname", ev->host ? ev->host : "localhost");
	sl_jint(d, "type_id", 1);
	sl_jstr(d, "type", "Server");
}

static json_object *envelope(const struct sl_evrec *ev, const struct sl_evkind *k,
			     int activity, bool security)
{
	json_object *o = json_object_new_object();
	char msg[512];

	sl_jint(o, "time", sl_ev_ms(ev));
	classify(o, ev, k, activity);
	sl_ev_message(ev, k, msg, sizeof(msg));
	sl_jstr(o, "message", msg);
	metadata(o, ev, security);
	device(o, ev);
	return o;
}

static void security_control(json_object *o, const struct control *c)
{
	sl_jint(o, "action_id", c->action);
	sl_jstr(o, "action", c->action_name);
	sl_jint(o, "disposition_id", c->disposition);
	sl_jstr(o, "disposition", c->disposition_name);
	json_object_object_add(o, "is_alert", json_object_new_boolean(c->alert));
}

static void status(json_object *o, bool failed, const char *detail)
{
	sl_jint(o, "status_id", failed ? 2 : 1);
	sl_jstr(o, "status", failed ? "Failure" : "Success");
	sl_jstr(o, "status_detail", detail);
}

/* Everything a control event carried, untouched, for whoever wants it. */
static void unmapped_fields(json_object *o, const struct sl_evrec *ev)
{
	if (ev->fields && json_object_object_length(ev->fields))
		json_object_object_add(o, "unmapped", json_object_get(ev->fields));
}

/* ---- actors and endpoints ---------------------------------------------------------- */

static void user_obj(json_object *parent, const char *key, int64_t uid, const char *name)
{
	json_object *u = sl_jobj(parent, key);
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)uid);
	sl_jstr(u, "uid", buf);
	sl_jstr(u, "name", name);
}

/* The calling process of a decision: pid, thread, name, executable, user. */
static void process_obj(json_object *actor, const struct sl_evrec *ev)
{
	json_object *p = sl_jobj(actor, "process"), *f;
	char comm[SL_COMM_LEN + 1];
	const char *base;

	sl_jint(p, "pid", ev->k->tgid);
	sl_jint(p, "tid", ev->k->pid);
	sl_jstr(p, "name", sl_ev_comm(ev, comm));
	if (ev->exe) {
		f = sl_jobj(p, "file");
		base = strrchr(ev->exe, '/');
		sl_jstr(f, "name", base ? base + 1 : ev->exe);
		sl_jstr(f, "path", ev->exe);
		sl_jint(f, "type_id", 1);
		sl_jstr(f, "type", "Regular File");
	}
	user_obj(p, "user", ev->k->uid, ev->user);
}

/* The agent as actor: app name and SPIFFE ID, and the process if known. */
static void agent_actor(json_object *o, const struct sl_evrec *ev)
{
	json_object *a = sl_jobj(o, "actor");
	char comm[SL_COMM_LEN + 1];
	int64_t pid;

	sl_jstr(a, "app_name", sl_ev_agent(ev));
	sl_jstr(a, "app_uid", sl_ev_spiffe(ev));
	if (ev->k) {
		process_obj(a, ev);
	} else if (sl_ev_int(ev, "pid", &pid)) {
		json_object *p = sl_jobj(a, "process");

		sl_jint(p, "pid", pid);
		sl_jstr(p, "name", sl_ev_comm(ev, comm));
	} else if (!sl_ev_agent(ev)) {
		sl_jstr(a, "app_name", "sluiced");
	}
}

/* Who did a control operation: the operator's uid and pid, or sluiced itself. */
static void operator_actor(json_object *o, const struct sl_evrec *ev)
{
	json_object *a = sl_jobj(o, "actor");
	int64_t uid, pid;

	if (!sl_ev_operator(ev, &uid, &pid)) {
		sl_jstr(a, "app_name", "sluiced");
		return;
	}
	user_obj(a, "user", uid, sl_ev_str(ev, "operator_name"));
	if (pid > 0) {
		json_object *p = sl_jobj(a, "process");

		sl_jint(p, "pid", pid);
	}
}

/* Destination, or this host as the source when there is none (raw sockets). */
static void endpoints(json_object *o, const struct sl_evrec *ev, const struct sl_evdst *d)
{
	json_object *e;

	if (!d->ip[0]) {
		e = sl_jobj(o, "src_endpoint");
		sl_jstr(e, "hostname", ev->host ? ev->host : "localhost");
		return;
	}
	e = sl_jobj(o, "dst_endpoint");
	sl_jstr(e, "ip", d->ip);
	if (d->port >= 0)
		sl_jint(e, "port", d->port);
	sl_jstr(e, "hostname", ev->dns_name ? ev->dns_name : sl_ev_str(ev, "dns_name"));
}

static void connection_info(json_object *o, const struct sl_evdst *d)
{
	json_object *c = sl_jobj(o, "connection_info");

	if (d->proto == SL_PROTO_TCP || d->proto == SL_PROTO_UDP) {
		sl_jstr(c, "protocol_name", sl_proto_name(d->proto));
		sl_jint(c, "protocol_num", d->proto);
	}
	sl_jint(c, "direction_id", 2);
	sl_jstr(c, "direction", "Outbound");
	if (d->ip[0])
		sl_jint(c, "protocol_ver_id", d->v6 ? 6 : 4);
}

/* ---- decisions ------------------------------------------------------------------- */

static const struct control *decision_control(uint8_t verdict)
{
	static const struct control allow = { 1, "Allowed", 1, "Allowed", false };
	static const struct control deny = { 2, "Denied", 2, "Blocked", true };
	static const struct control audit = { 3, "Observed", 17, "Logged", true };
	static const struct control redirect = { 4, "Modified", 1, "Allowed", false };

	switch (verdict) {
	case SL_VERDICT_ALLOW: return &allow;
	case SL_VERDICT_AUDIT: return &audit;
	case SL_VERDICT_REDIRECT: return &redirect;
	default: return &deny;
	}
}

static void rule_and_policy(json_object *o, const struct sl_evrec *ev)
{
	const struct sl_event *k = ev->k;
	char buf[512];
	json_object *r;

	if (k->rule_id) {
		r = sl_jobj(o, "firewall_rule");
		snprintf(buf, sizeof(buf), "%u", k->rule_id);
		sl_jstr(r, "uid", buf);
		if (sl_ev_rule_src(ev, buf, sizeof(buf))) {
			sl_jstr(r, "name", ev->rule.id ? ev->rule.id : buf);
			sl_jstr(r, "type", ev->rule.section);
			sl_jstr(r, "desc", buf);
		}
	}
	if (ev->id.agent && k->agent) {
		r = sl_jobj(o, "policy");
		sl_jstr(r, "uid", ev->id.agent);
		sl_jstr(r, "name", ev->id.agent);
		snprintf(buf, sizeof(buf), "%u", k->version);
		sl_jstr(r, "version", buf);
	}
}

static void decision_unmapped(json_object *o, const struct sl_evrec *ev)
{
	json_object *u = sl_jobj(o, "unmapped");
	const struct sl_event *k = ev->k;

	sl_jint(u, "cgroup_id", (int64_t)k->cgroup);
	sl_jstr(u, "cgroup", ev->id.cgroup);
	sl_jstr(u, "run", ev->id.run);
	sl_jstr(u, "owner", ev->id.owner);
	sl_jstr(u, "task", ev->id.task);
	sl_jstr(u, "hook", sl_hook_name(k->hook));
	sl_jstr(u, "verdict", sl_verdict_name(k->verdict));
	sl_jstr(u, "reason", sl_reason_name(k->reason));
	sl_jint(u, "gid", k->gid);
	if (k->hook == SL_HOOK_SOCK_CREATE) {
		sl_jint(u, "sock_type", k->sock_type);
		sl_jint(u, "sock_protocol", k->proto);
	}
	if (k->delegator)
		sl_jint(u, "delegator_task_id", k->delegator);
	if (ev->n_delegators) {
		json_object *arr = json_object_new_array();

		for (unsigned int i = 0; i < ev->n_delegators; i++)
			json_object_array_add(arr, json_object_new_string(ev->delegators[i]));
		json_object_object_add(u, "delegators", arr);
	}
}

static json_object *decision(const struct sl_evrec *ev, const struct sl_evkind *k)
{
	json_object *o = envelope(ev, k, k->ocsf_activity, true);
	struct sl_evdst d;

	sl_ev_dst(ev, &d);
	security_control(o, decision_control(ev->k->verdict));
	agent_actor(o, ev);
	endpoints(o, ev, &d);
	connection_info(o, &d);
	rule_and_policy(o, ev);
	decision_unmapped(o, ev);
	return o;
}

/* ---- control events ----------------------------------------------------------------- */

static json_object *terminated(const struct sl_evrec *ev, const struct sl_evkind *k)
{
	static const struct control revoked = { 2, "Denied", 24, "Access Revoked", true };
	json_object *o = envelope(ev, k, k->ocsf_activity, true);
	struct sl_evdst d;

	sl_ev_dst(ev, &d);
	security_control(o, &revoked);
	agent_actor(o, ev);
	endpoints(o, ev, &d);
	connection_info(o, &d);
	unmapped_fields(o, ev);
	return o;
}

static const char *rcode_caption(int rcode)
{
	static const char *const names[] = {
		"NoError", "FormError", "ServError", "NXDomain", "NotImp", "Refused",
	};

	return rcode >= 0 && rcode < 6 ? names[rcode] : "Other";
}

/* The answer's addresses as OCSF dns_answer objects. */
static void dns_answers(json_object *o, const struct sl_evrec *ev, const char *qtype)
{
	json_object *list = sl_ev_get(ev, "answers"), *arr;

	if (!list || !json_object_is_type(list, json_type_array))
		return;
	arr = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *a = json_object_new_object();

		sl_jstr(a, "rdata", json_object_get_string(json_object_array_get_idx(list, i)));
		sl_jstr(a, "type", qtype);
		sl_jstr(a, "class", "IN");
		json_object_array_add(arr, a);
	}
	json_object_object_add(o, "answers", arr);
}

/*
 * The proxy's events: a refused name (dns_denied), a malformed query
 * (dns_malformed), an answered query (dns_query, with its addresses).
 */
static json_object *dns_activity(const struct sl_evrec *ev, const struct sl_evkind *k)
{
	static const struct control blocked = { 2, "Denied", 2, "Blocked", true };
	static const struct control allowed = { 1, "Allowed", 1, "Allowed", false };
	bool answered = !strcmp(k->name, "dns_query");
	json_object *o = envelope(ev, k, k->ocsf_activity, true), *q;
	const char *name = sl_ev_str(ev, "query"), *qtype = sl_ev_str(ev, "qtype");
	int64_t rcode = 5;
	struct sl_evdst d;

	sl_ev_dst(ev, &d);
	security_control(o, answered ? &allowed : &blocked);
	agent_actor(o, ev);
	endpoints(o, ev, &d);
	if (name) {
		q = sl_jobj(o, "query");
		sl_jstr(q, "hostname", name);
		sl_jstr(q, "type", qtype);
	}
	if (answered) {
		sl_ev_int(ev, "rcode", &rcode);
		dns_answers(o, ev, qtype);
	}
	if (strcmp(k->name, "dns_malformed")) {
		sl_jint(o, "rcode_id", rcode);
		sl_jstr(o, "rcode", rcode_caption((int)rcode));
	}
	unmapped_fields(o, ev);
	return o;
}

/* The privileges of a grant: "privileges": [...], or built from "to". */
static json_object *privileges(const struct sl_evrec *ev)
{
	json_object *p = sl_ev_get(ev, "privileges"), *arr;
	const char *to = sl_ev_str(ev, "to"), *proto = sl_ev_str(ev, "protocol");
	json_object *ports = sl_ev_get(ev, "ports");
	char buf[1024], list[256];

	if (p && json_object_is_type(p, json_type_array) && json_object_array_length(p))
		return json_object_get(p);
	arr = json_object_new_array();
	snprintf(buf, sizeof(buf), "egress:%s%s%s%s%s", to ? to : sl_ev_agent(ev) ?: "?",
		 ports ? ":" : "", ports ? sl_jlist(ports, list, sizeof(list)) : "", proto ? "/" : "",
		 proto ? proto : "");
	json_object_array_add(arr, json_object_new_string(buf));
	return arr;
}

/* Grants, revocations, approvals and expiries change an agent's privileges. */
static json_object *user_access(const struct sl_evrec *ev, const struct sl_evkind *k)
{
	json_object *o = envelope(ev, k, k->ocsf_activity, false), *u;
	const char *agent = sl_ev_agent(ev), *spiffe = sl_ev_spiffe(ev);

	/* A denied step-up request is an assignment that did not happen. */
	status(o, sl_ev_failed(ev) || sl_ev_refusal(k), sl_ev_str(ev, "reason"));
	operator_actor(o, ev);
	u = sl_jobj(o, "user");
	sl_jstr(u, "name", agent ? agent : "unknown");
	sl_jstr(u, "uid", spiffe ? spiffe : agent ? agent : "unknown");
	sl_jint(u, "type_id", 4);
	sl_jstr(u, "type", "Service");
	json_object_object_add(o, "privileges", privileges(ev));
	unmapped_fields(o, ev);
	return o;
}

static void policy_entity(json_object *o, const char *key, int64_t version)
{
	json_object *e = sl_jobj(o, key);
	char buf[24];

	sl_jint(e, "type_id", 5);
	sl_jstr(e, "type", "Policy");
	sl_jstr(e, "uid", "sluice-policy");
	sl_jstr(e, "name", "sluice egress policy");
	snprintf(buf, sizeof(buf), "%lld", (long long)version);
	sl_jstr(e, "version", buf);
}

static void task_entity(json_object *o, const struct sl_evrec *ev)
{
	json_object *e = sl_jobj(o, "entity");
	const char *task = sl_ev_task(ev);

	sl_jint(e, "type_id", 99);
	sl_jstr(e, "type", "Task");
	sl_jstr(e, "uid", task ? task : "unknown");
	sl_jstr(e, "name", task ? task : "unknown");
}

static json_object *entity(const struct sl_evrec *ev, const struct sl_evkind *k)
{
	json_object *o = envelope(ev, k, k->ocsf_activity, false);
	int64_t before = 0, after = 0;

	status(o, sl_ev_failed(ev), sl_ev_str(ev, "reason"));
	operator_actor(o, ev);
	if (strcmp(k->name, "policy_apply")) {
		task_entity(o, ev);
	} else {
		if (!sl_ev_int(ev, "version_after", &after))
			sl_ev_int(ev, "version", &after);
		if (!sl_ev_int(ev, "version_before", &before))
			before = after ? after - 1 : 0;
		policy_entity(o, "entity", before);
		policy_entity(o, "entity_result", after);
	}
	unmapped_fields(o, ev);
	return o;
}

static json_object *process_activity(const struct sl_evrec *ev, const struct sl_evkind *k)
{
	json_object *o = envelope(ev, k, k->ocsf_activity, false), *p;
	const char *run = sl_ev_str(ev, "run");
	int64_t pid;

	operator_actor(o, ev);
	p = sl_jobj(o, "process");
	if (sl_ev_int(ev, "pid", &pid))
		sl_jint(p, "pid", pid);
	sl_jstr(p, "uid", run ? run : "unknown");
	sl_jstr(p, "name", sl_ev_agent(ev));
	unmapped_fields(o, ev);
	return o;
}

static json_object *authentication(const struct sl_evrec *ev, const struct sl_evkind *k)
{
	json_object *o = envelope(ev, k, k->ocsf_activity, false), *s;
	int64_t uid = -1;

	status(o, true, "not root and not in the control group");
	sl_ev_int(ev, "uid", &uid);
	user_obj(o, "user", uid, NULL);
	s = sl_jobj(o, "service");
	sl_jstr(s, "name", "sluiced control socket");
	unmapped_fields(o, ev);
	return o;
}

static json_object *event_log(const struct sl_evrec *ev, const struct sl_evkind *k)
{
	json_object *o = envelope(ev, k, 99, false);
	const char *sink = sl_ev_str(ev, "sink");
	char detail[256];
	int64_t lost = 0;

	sl_ev_int(ev, "lost", &lost);
	snprintf(detail, sizeof(detail), "%lld events lost in %s", (long long)lost,
		 sink ? sink : "the kernel ring buffer");
	status(o, true, detail);
	sl_jstr(o, "log_name", "sluice events");
	sl_jstr(o, "log_provider", "sluiced");
	unmapped_fields(o, ev);
	return o;
}

static json_object *app_lifecycle(const struct sl_evrec *ev, const struct sl_evkind *k)
{
	json_object *o = envelope(ev, k, k->ocsf_activity, false), *a;

	a = sl_jobj(o, "app");
	sl_jstr(a, "name", "sluiced");
	sl_jstr(a, "vendor_name", "sluice");
	sl_jstr(a, "version", SLUICE_VERSION);
	unmapped_fields(o, ev);
	return o;
}

json_object *sl_format_ocsf(const struct sl_evrec *ev)
{
	const struct sl_evkind *k = sl_evkind(ev);

	if (ev->k)
		return decision(ev, k);
	switch (k->ocsf_class) {
	case OCSF_NETWORK: return terminated(ev, k);
	case OCSF_DNS: return dns_activity(ev, k);
	case OCSF_ACCESS: return user_access(ev, k);
	case OCSF_ENTITY: return entity(ev, k);
	case OCSF_PROCESS: return process_activity(ev, k);
	case OCSF_AUTH: return authentication(ev, k);
	case OCSF_EVENT_LOG: return event_log(ev, k);
	default: return app_lifecycle(ev, k);
	}
}
