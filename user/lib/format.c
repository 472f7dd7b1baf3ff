// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>
#include "addr.h"
#include "format.h"

#define AF_INET_NR	2
#define AF_INET6_NR	10

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

const char *sl_evrec_verdict(const struct sl_evrec *ev)
{
	return ev->k ? sl_verdict_name(ev->k->verdict) : NULL;
}

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

static void add_str(json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

static void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void format_time(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 ts->tv_nsec / 1000);
}

static void add_identity(json_object *o, const struct sl_evrec *ev)
{
	add_str(o, "agent", ev->id.agent);
	add_str(o, "spiffe_id", ev->id.spiffe_id);
	add_str(o, "owner", ev->id.owner);
	add_str(o, "task", ev->id.task);
	if (ev->id.n_delegators) {
		json_object *arr = json_object_new_array();

		for (int i = 0; i < ev->id.n_delegators; i++)
			json_object_array_add(arr, json_object_new_string(ev->id.delegators[i]));
		json_object_object_add(o, "delegators", arr);
	}
	add_str(o, "run", ev->id.run);
	add_str(o, "cgroup", ev->id.cgroup);
}

static void add_decision(json_object *o, const struct sl_evrec *ev)
{
	const struct sl_event *k = ev->k;
	char addr[SL_ADDRSTRLEN], comm[SL_COMM_LEN + 1];

	add_str(o, "hook", sl_hook_name(k->hook));
	add_str(o, "verdict", sl_verdict_name(k->verdict));
	add_str(o, "reason", sl_reason_name(k->reason));
	add_int(o, "cgroup_id", (int64_t)k->cgroup);
	add_int(o, "pid", k->tgid);
	add_int(o, "tid", k->pid);
	add_int(o, "uid", k->uid);
	add_int(o, "gid", k->gid);
	memcpy(comm, k->comm, SL_COMM_LEN);
	comm[SL_COMM_LEN] = '\0';
	add_str(o, "comm", comm);
	add_str(o, "family", family_name(k->family));
	if (k->hook == SL_HOOK_SOCK_CREATE) {
		add_str(o, "sock_type", sock_type_name(k->sock_type));
		add_int(o, "sock_protocol", k->proto);
	} else {
		add_str(o, "protocol", sl_proto_name(k->proto));
		sl_addr_format(k->addr, addr, sizeof(addr));
		add_str(o, "dst_ip", addr);
		add_int(o, "dst_port", k->port);
	}
	if (k->agent)
		add_int(o, "policy_version", k->version);
	if (k->rule_id)
		add_int(o, "rule_id", k->rule_id);
	if (ev->has_rule) {
		char src[512];

		add_str(o, "rule_section", ev->rule.section);
		add_str(o, "rule_label", ev->rule.id);
		if (ev->rule.loc.file) {
			snprintf(src, sizeof(src), "%s:%d:%d", ev->rule.loc.file,
				 ev->rule.loc.line, ev->rule.loc.col);
			add_str(o, "rule_source", src);
		}
	}
	if (k->delegator)
		add_int(o, "delegator_task_id", k->delegator);
	add_str(o, "request_id", ev->request_id);
}

json_object *sl_format_json(const struct sl_evrec *ev)
{
	json_object *o = json_object_new_object();
	char ts[64];

	format_time(&ev->time, ts, sizeof(ts));
	add_str(o, "time", ts);
	add_int(o, "seq", (int64_t)ev->seq);
	add_str(o, "host", ev->host);
	add_str(o, "type", ev->k ? (ev->k->hook == SL_HOOK_SOCK_CREATE ? "socket" :
				    ev->k->hook == SL_HOOK_TERMINATE ? "connection_terminated" :
				    "connection") : ev->type);
	add_identity(o, ev);
	if (ev->k) {
		add_decision(o, ev);
	} else if (ev->fields) {
		json_object_object_foreach(ev->fields, key, val)
			json_object_object_add(o, key, json_object_get(val));
	}
	return o;
}
