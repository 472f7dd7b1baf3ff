/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Synthetic events of every kind sluiced writes: kernel decisions (allow,
 * deny, audit, redirect, refused socket, IPv6, hostile strings) and every
 * control type, with the fields docs/siem.md lists for it.  The formatter
 * tests render each in every format and hand them to the validator.
 */
#ifndef SLUICE_TEST_EVSAMPLES_H
#define SLUICE_TEST_EVSAMPLES_H

#include <string.h>
#include <json-c/json.h>
#include "addr.h"
#include "format.h"

#define EVS_MAX 40

struct evsamples {
	struct sl_event k[EVS_MAX];
	struct sl_evrec ev[EVS_MAX];
	size_t n;
};

static inline struct sl_evrec *evs_next(struct evsamples *s)
{
	struct sl_evrec *ev = &s->ev[s->n];

	memset(ev, 0, sizeof(*ev));
	ev->seq = s->n + 1;
	snprintf(ev->event_id, sizeof(ev->event_id), "0f1e2d3c-4b5a-8978-8000-%012zx", s->n + 1);
	ev->time.tv_sec = 1767225600 + (time_t)s->n;
	ev->time.tv_nsec = 123456789;
	ev->host = "build-07";
	s->n++;
	return ev;
}

static inline struct sl_evrec *evs_decision(struct evsamples *s, uint8_t verdict, uint8_t reason)
{
	struct sl_event *k = &s->k[s->n];
	struct sl_evrec *ev = evs_next(s);

	memset(k, 0, sizeof(*k));
	k->cgroup = 12345;
	k->pid = 4243;
	k->tgid = 4242;
	k->uid = 1001;
	k->gid = 1001;
	k->agent = 3;
	k->rule_id = verdict == SL_VERDICT_ALLOW ? 12 : 0;
	k->version = 42;
	sl_addr_parse("203.0.113.7", k->addr);
	k->port = 443;
	k->family = 2;
	k->proto = SL_PROTO_TCP;
	k->verdict = verdict;
	k->reason = reason;
	k->hook = SL_HOOK_CONNECT4;
	k->sock_type = 1;
	memcpy(k->comm, "python3", 8);
	ev->k = k;
	ev->id.agent = "research-bot";
	ev->id.spiffe_id = "spiffe://example.org/agent/research-bot";
	ev->id.owner = "alice@example.org";
	ev->id.cgroup = "/sys/fs/cgroup/sluice/research-bot/r1";
	ev->id.run = "r1";
	ev->exe = "/usr/bin/python3.11";
	ev->user = "agent";
	if (k->rule_id) {
		ev->has_rule = true;
		ev->rule = (struct sl_rule_info){
			.agent = "research-bot", .section = "egress", .index = 0, .id = "api",
			.loc = { .file = "/etc/sluice/policy.d/bot.yaml", .line = 4, .col = 9 },
		};
	}
	return ev;
}

static inline struct sl_evrec *evs_control(struct evsamples *s, const char *type,
					   const char *json_fields)
{
	struct sl_evrec *ev = evs_next(s);

	ev->type = type;
	ev->fields = json_fields ? json_tokener_parse(json_fields) : NULL;
	return ev;
}

static inline void evs_decisions(struct evsamples *s)
{
	struct sl_evrec *ev;

	evs_decision(s, SL_VERDICT_ALLOW, SL_REASON_RULE);
	evs_decision(s, SL_VERDICT_DENY, SL_REASON_DEFAULT);
	evs_decision(s, SL_VERDICT_AUDIT, SL_REASON_DEFAULT);
	ev = evs_decision(s, SL_VERDICT_REDIRECT, SL_REASON_DNS);
	((struct sl_event *)ev->k)->port = 53;
	((struct sl_event *)ev->k)->proto = SL_PROTO_UDP;
	((struct sl_event *)ev->k)->hook = SL_HOOK_SENDMSG4;
	/* A raw socket: no destination at all. */
	ev = evs_decision(s, SL_VERDICT_DENY, SL_REASON_SOCKET);
	((struct sl_event *)ev->k)->hook = SL_HOOK_SOCK_CREATE;
	((struct sl_event *)ev->k)->sock_type = 3;
	((struct sl_event *)ev->k)->proto = 1;
	memset(((struct sl_event *)ev->k)->addr, 0, 16);
	/* IPv6, a delegated task, a DNS name, and a comm that is no UTF-8. */
	ev = evs_decision(s, SL_VERDICT_DENY, SL_REASON_DELEGATOR);
	((struct sl_event *)ev->k)->hook = SL_HOOK_CONNECT6;
	((struct sl_event *)ev->k)->family = 10;
	((struct sl_event *)ev->k)->delegator = 9;
	sl_addr_parse("2001:db8::1", ((struct sl_event *)ev->k)->addr);
	memcpy(((struct sl_event *)ev->k)->comm, "b\xff\xfe|x=y\\z\n", 11);
	ev->id.task = "t-build";
	ev->delegators[0] = "t-parent";
	ev->delegators[1] = "t-root";
	ev->n_delegators = 2;
	ev->dns_name = "api.example.com";
	ev->exe = NULL;
	ev->user = NULL;
	/* Not enrolled: no agent, no policy. */
	ev = evs_decision(s, SL_VERDICT_DENY, SL_REASON_NOT_ENROLLED);
	((struct sl_event *)ev->k)->agent = 0;
	ev->id = (struct sl_ident){ 0 };
}

static inline void evs_controls(struct evsamples *s)
{
	evs_control(s, "policy_apply", "{\"operator\":{\"uid\":0,\"pid\":77},\"outcome\":\"success\","
		    "\"version_before\":1,\"version_after\":2,\"changes\":[{\"agent\":\"coder\","
		    "\"change\":\"updated\"}]}");
	evs_control(s, "policy_apply", "{\"operator\":{\"uid\":0,\"pid\":77},\"outcome\":\"failure\","
		    "\"version_before\":2,\"version_after\":2,\"errors\":[\"a.yaml:6:13: bad CIDR\"]}");
	evs_control(s, "policy_apply", "{\"changed\":true,\"version\":1,\"changes\":[]}");
	evs_control(s, "grant", "{\"agent\":\"coder\",\"task\":\"t1\",\"to\":\"api.example.com\","
		    "\"ports\":[443],\"protocol\":\"tcp\",\"ttl\":\"15m\",\"operator\":{\"uid\":0,\"pid\":9}}");
	evs_control(s, "revoke", "{\"agent\":\"coder\",\"grant\":\"g-7\",\"operator\":{\"uid\":1000,\"pid\":9}}");
	evs_control(s, "approve", "{\"agent\":\"coder\",\"privileges\":[\"egress:10.0.0.1:443/tcp\"],"
		    "\"operator\":{\"uid\":0,\"pid\":9}}");
	evs_control(s, "approval_denied", "{\"agent\":\"coder\",\"to\":\"10.9.9.9\",\"reason\":\"not needed|\","
		    "\"operator\":{\"uid\":0,\"pid\":9}}");
	evs_control(s, "expiry", "{\"agent\":\"coder\",\"grant\":\"g-7\",\"to\":\"api.example.com\"}");
	evs_control(s, "connection_terminated", "{\"agent\":\"coder\",\"pid\":4242,\"comm\":\"curl\","
		    "\"dst_ip\":\"203.0.113.9\",\"dst_port\":443,\"protocol\":\"tcp\",\"reason\":\"grant revoked\"}");
	evs_control(s, "connection_terminated", "{\"agent\":\"coder\",\"reason\":\"grant expired\"}");
	evs_control(s, "dns_denied", "{\"agent\":\"coder\",\"task\":\"t1\",\"query\":\"exfil.evil.example\","
		    "\"qtype\":\"TXT\",\"dst_ip\":\"127.0.0.53\",\"dst_port\":53,\"protocol\":\"udp\","
		    "\"pid\":4242,\"comm\":\"dig\",\"rule\":\"default\"}");
	evs_control(s, "dns_denied", "{\"agent\":\"coder\"}");
	evs_control(s, "dns_query", "{\"agent\":\"coder\",\"task\":\"t1\",\"query\":\"api.example.com\","
		    "\"qtype\":\"AAAA\",\"answers\":[\"2001:db8::1\",\"2001:db8::2\"],\"rcode\":0,\"verdict\":\"allow\"}");
	evs_control(s, "dns_query", "{\"agent\":\"coder\",\"query\":\"gone.example.com\",\"qtype\":\"A\","
		    "\"answers\":[],\"rcode\":3,\"verdict\":\"allow\"}");
	evs_control(s, "dns_malformed", "{\"reason\":\"compression pointer loop\",\"suppressed\":3,\"verdict\":\"deny\"}");
	evs_control(s, "approval_request", "{\"request_id\":\"req-1\",\"agent\":\"coder\",\"dst_ip\":\"203.0.113.9\","
		    "\"dst_port\":443,\"protocol\":\"tcp\",\"count\":2}");
	evs_control(s, "approval_expired", "{\"request_id\":\"req-1\",\"agent\":\"coder\"}");
	evs_control(s, "task_expired", "{\"agent\":\"coder\",\"task\":\"t1\",\"expired\":true}");
	evs_control(s, "run_start", "{\"agent\":\"coder\",\"run\":\"r3\",\"cgroup\":\"/sys/fs/cgroup/sluice/coder/r3\","
		    "\"cgroup_id\":991,\"operator\":{\"uid\":0,\"pid\":50},\"pid\":51}");
	evs_control(s, "run_end", "{\"agent\":\"coder\",\"run\":\"r3\",\"cgroup\":\"/sys/fs/cgroup/sluice/coder/r3\"}");
	evs_control(s, "task_start", "{\"agent\":\"coder\",\"task\":\"t1\",\"delegator\":\"t0\"}");
	evs_control(s, "task_end", "{\"agent\":\"coder\",\"task\":\"t1\"}");
	evs_control(s, "daemon_start", NULL);
	evs_control(s, "daemon_stop", NULL);
	evs_control(s, "control_refused", "{\"uid\":1000,\"pid\":321,\"gid\":1000}");
	evs_control(s, "events_lost", "{\"source\":\"sink\",\"sink\":\"syslog:tcp:127.0.0.1:6514\","
		    "\"lost\":12,\"total\":40,\"first_seq\":100,\"last_seq\":130}");
	evs_control(s, "events_lost", "{\"source\":\"kernel\",\"lost\":3,\"total\":3}");
	evs_control(s, "something_new", "{\"agent\":\"co\\\"der]\\\\\",\"note\":\"a=b|c\\nd\"}");
	evs_control(s, "odd|type\\", NULL);
}

static inline void evs_all(struct evsamples *s)
{
	s->n = 0;
	evs_decisions(s);
	evs_controls(s);
}

static inline void evs_free(struct evsamples *s)
{
	for (size_t i = 0; i < s->n; i++)
		json_object_put(s->ev[i].fields);
	s->n = 0;
}

#endif
