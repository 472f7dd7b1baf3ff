// SPDX-License-Identifier: GPL-2.0-only
/*
 * Step-up approval.  A rule under ask: makes the kernel refuse the call
 * with reason "ask"; here each such refusal becomes a pending request
 * (identical ones, same agent, task and destination, are one request with
 * a count).  An operator approves it, which grants that exact destination
 * for a TTL (to the task if the call came from one), or denies it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine_int.h"
#include "log.h"

#define PENDING_MAX	1024		/* the oldest goes when full */
#define PENDING_TTL_S	3600		/* unanswered requests are dropped */

static json_object *pending_json(const struct sl_engine *e, const struct epending *p)
{
	const struct eagent *a = eng_agent_by_id(e, p->agent);
	const struct etask *t = p->task ? eng_task_by_id(e, p->task) : NULL;
	json_object *o = json_object_new_object();
	char addr[SL_ADDRSTRLEN];
	struct sl_rule_info ri;

	sl_addr_format(p->addr, addr, sizeof(addr));
	json_object_object_add(o, "request_id", json_object_new_string(p->id));
	if (a)
		json_object_object_add(o, "agent", json_object_new_string(agent_pol(a)->name));
	if (t)
		json_object_object_add(o, "task", json_object_new_string(t->name));
	json_object_object_add(o, "dst_ip", json_object_new_string(addr));
	json_object_object_add(o, "dst_port", json_object_new_int(p->port));
	json_object_object_add(o, "protocol", json_object_new_string(sl_proto_name(p->proto)));
	json_object_object_add(o, "rule_id", json_object_new_int64(p->rule_id));
	if (sl_engine_rule(e, p->rule_id, &ri) && ri.id)
		json_object_object_add(o, "rule_label", json_object_new_string(ri.id));
	json_object_object_add(o, "first_seen", json_object_new_int64(p->first));
	json_object_object_add(o, "last_seen", json_object_new_int64(p->last));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)p->count));
	return o;
}

static void pending_remove(struct sl_engine *e, size_t i)
{
	memmove(&e->pend[i], &e->pend[i + 1], (e->n_pend - i - 1) * sizeof(*e->pend));
	e->n_pend--;
}

static struct epending *pending_find(struct sl_engine *e, const char *id, size_t *idx)
{
	for (size_t i = 0; i < e->n_pend; i++) {
		if (!strcmp(e->pend[i].id, id)) {
			*idx = i;
			return &e->pend[i];
		}
	}
	return NULL;
}

const char *sl_engine_ask(struct sl_engine *e, const struct sl_event *k)
{
	struct sl_clock clk;
	struct epending *p;

	eng_now(&clk);
	for (size_t i = 0; i < e->n_pend; i++) {
		p = &e->pend[i];
		if (p->agent == k->agent && p->task == k->task && p->port == k->port &&
		    p->proto == k->proto && !memcmp(p->addr, k->addr, sizeof(p->addr))) {
			p->count++;
			p->last = clk.real_s;
			return p->id;
		}
	}
	if (e->n_pend == PENDING_MAX)
		pending_remove(e, 0);	/* kept in arrival order: 0 is the oldest */
	if (!(e->n_pend % 16)) {
		p = realloc(e->pend, (e->n_pend + 16) * sizeof(*p));
		if (!p)
			return NULL;
		e->pend = p;
	}
	p = &e->pend[e->n_pend++];
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "req-%llu", (unsigned long long)++e->next_req);
	p->agent = k->agent;
	p->task = k->task;
	p->rule_id = k->rule_id;
	memcpy(p->addr, k->addr, sizeof(p->addr));
	p->port = k->port;
	p->proto = k->proto;
	p->first = p->last = clk.real_s;
	p->count = 1;
	eng_notify(e, "approval_request", pending_json(e, p));
	eng_state_save(e);
	return p->id;
}

json_object *sl_engine_pending(struct sl_engine *e)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < e->n_pend; i++)
		json_object_array_add(arr, pending_json(e, &e->pend[i]));
	return arr;
}

static void closed(struct sl_engine *e, size_t i, const char *type, const struct sl_actor *who,
		   const char *grant)
{
	json_object *f = pending_json(e, &e->pend[i]);

	if (who)
		json_object_object_add(f, "operator", sl_actor_json(who));
	if (grant)
		json_object_object_add(f, "grant_id", json_object_new_string(grant));
	pending_remove(e, i);
	eng_notify(e, type, f);
	eng_state_save(e);
}

int sl_engine_approve(struct sl_engine *e, const char *id, uint64_t ttl_ns,
		      const struct sl_actor *who, json_object **result, struct sl_diag *d)
{
	char to[SL_ADDRSTRLEN], port[8];
	const struct eagent *a;
	const struct etask *t = NULL;
	struct epending *p;
	json_object *gid;
	size_t i;
	int err;

	p = pending_find(e, id, &i);
	if (!p) {
		sl_diag_add(d, NULL, "no pending request \"%s\" (see `sluicectl pending`)", id);
		return -ENOENT;
	}
	a = eng_agent_by_id(e, p->agent);
	if (p->task && !(t = eng_task_by_id(e, p->task))) {
		sl_diag_add(d, NULL, "request %s came from a task that has ended", id);
		closed(e, i, "approval_expired", NULL, NULL);
		return -ESRCH;
	}
	if (!a) {
		sl_diag_add(d, NULL, "request %s came from an agent no longer in the policy", id);
		closed(e, i, "approval_expired", NULL, NULL);
		return -ESRCH;
	}
	sl_addr_format(p->addr, to, sizeof(to));
	snprintf(port, sizeof(port), "%u", p->port);
	struct sl_grant_req g = {
		.agent = agent_pol(a)->name, .task = t ? t->name : NULL, .to = to,
		.ports = port, .proto = sl_proto_name(p->proto), .ttl_ns = ttl_ns,
		.reason = "approved step-up request", .request = p->id,
	};

	err = sl_engine_grant(e, &g, who, result, d);
	if (err)
		return err;
	json_object_object_get_ex(*result, "grant_id", &gid);
	p = pending_find(e, id, &i);
	if (p)
		closed(e, i, "approve", who, json_object_get_string(gid));
	return 0;
}

int sl_engine_deny_request(struct sl_engine *e, const char *id, const struct sl_actor *who,
			   json_object **result, struct sl_diag *d)
{
	json_object *r;
	size_t i;

	if (!pending_find(e, id, &i)) {
		sl_diag_add(d, NULL, "no pending request \"%s\" (see `sluicectl pending`)", id);
		return -ENOENT;
	}
	closed(e, i, "approval_denied", who, NULL);
	r = json_object_new_object();
	json_object_object_add(r, "request_id", json_object_new_string(id));
	*result = r;
	return 0;
}

void eng_pending_expire(struct sl_engine *e, int64_t now_s)
{
	for (size_t i = 0; i < e->n_pend;) {
		if (e->pend[i].last + PENDING_TTL_S > now_s) {
			i++;
			continue;
		}
		closed(e, i, "approval_expired", NULL, NULL);
	}
}
