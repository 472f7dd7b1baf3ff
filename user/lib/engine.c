// SPDX-License-Identifier: GPL-2.0-only
/*
 * The engine's state and the questions asked of it: who an event's ids
 * name, what a rule id is, what the kernel would decide, status.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cgroup.h"
#include "engine_int.h"
#include "log.h"

void eng_pb_put(struct pbundle *pb)
{
	if (pb && --pb->refs == 0) {
		sl_policy_free(&pb->pol);
		free(pb);
	}
}

struct eagent *eng_agent_find(struct sl_engine *e, const char *name)
{
	for (size_t i = 0; i < e->n_agents; i++)
		if (!strcmp(agent_pol(&e->agents[i])->name, name))
			return &e->agents[i];
	return NULL;
}

const struct eagent *eng_agent_by_id(const struct sl_engine *e, uint32_t id)
{
	for (size_t i = 0; i < e->n_agents; i++)
		if (e->agents[i].id == id)
			return &e->agents[i];
	return NULL;
}

/* Ids above anything an earlier daemon left pinned, so nothing collides. */
static void seed_ids(struct sl_engine *e)
{
	uint32_t *ids = NULL;
	size_t n = 0;

	e->next_agent = e->next_set = e->next_rule = e->next_task = 1;
	if (!sl_maps_agent_ids(e->maps, &ids, &n))
		for (size_t i = 0; i < n; i++)
			if (ids[i] >= e->next_agent)
				e->next_agent = ids[i] + 1;
	free(ids);
	if (!sl_maps_task_ids(e->maps, &ids, &n))
		for (size_t i = 0; i < n; i++)
			if (ids[i] >= e->next_task)
				e->next_task = ids[i] + 1;
	free(ids);
	for (int t = SL_TRIE_RULES; t <= SL_TRIE_GRANTS; t++) {
		if (sl_maps_set_ids(e->maps, t, &ids, &n))
			continue;
		for (size_t i = 0; i < n; i++)
			if (ids[i] >= e->next_set)
				e->next_set = ids[i] + 1;
		free(ids);
	}
}

int sl_engine_validate(const struct sl_policy *pol, struct sl_diag *d)
{
	struct sl_clock clk = { 0 };
	int err = sl_policy_check(pol, d);

	for (size_t i = 0; i < pol->n_agents; i++) {
		struct sl_cin *in = NULL;
		struct sl_cset cs = { 0 };
		size_t n = 0;

		if (sl_compile_agent(&pol->agents[i], 1, &clk, &in, &n) ||
		    sl_flatten(in, n, &cs, d))
			err = -EINVAL;
		free(in);
		sl_cset_free(&cs);
	}
	return err;
}

int sl_engine_new(struct sl_engine **out, const struct sl_engine_cfg *cfg)
{
	struct sl_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	snprintf(e->root, sizeof(e->root), "%s", cfg->cgroup_root);
	e->maps = cfg->maps;
	e->notify = cfg->notify;
	e->ctx = cfg->ctx;
	e->max_ttl_ns = cfg->max_ttl_ns ? cfg->max_ttl_ns : 24 * 3600 * 1000000000ull;
	e->state_path = cfg->state_path ? strdup(cfg->state_path) : NULL;
	e->dns_grace_ns = cfg->dns_grace_ns ? cfg->dns_grace_ns : 10 * 1000000000ull;
	e->dns_max_ttl_ns = cfg->dns_max_ttl_ns ? cfg->dns_max_ttl_ns : 3600 * 1000000000ull;
	e->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (e->ino_fd < 0) {
		free(e);
		return -errno;
	}
	seed_ids(e);
	*out = e;
	return 0;
}

void eng_subject_free(struct esubject *s)
{
	free(s->path);
	free(s->run);
	free(s->agent_name);
}

void sl_engine_free(struct sl_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_agents; i++) {
		sl_cset_free(&e->agents[i].cset);
		sl_cset_free(&e->agents[i].dyn.cs);
		eng_pb_put(e->agents[i].cur.pb);
		eng_pb_put(e->agents[i].prev.pb);
	}
	for (size_t i = 0; i < e->n_tasks; i++)
		eng_task_free(e->tasks[i]);
	for (size_t i = 0; i < e->n_grants; i++)
		eng_grant_free(e->grants[i]);
	eng_learned_free(e);
	for (size_t i = 0; i < e->n_subj; i++)
		eng_subject_free(&e->subj[i]);
	sl_engine_gap_done(e);
	eng_remembered_free(e);
	free(e->agents);
	free(e->tasks);
	free(e->grants);
	free(e->pend);
	free(e->subj);
	free(e->state_path);
	close(e->ino_fd);
	free(e);
}

void eng_now(struct sl_clock *clk)
{
	struct timespec b, r;

	clock_gettime(CLOCK_BOOTTIME, &b);
	clock_gettime(CLOCK_REALTIME, &r);
	clk->boot_ns = (uint64_t)b.tv_sec * 1000000000ull + (uint64_t)b.tv_nsec;
	clk->real_s = r.tv_sec;
}

void eng_notify(struct sl_engine *e, const char *type, json_object *fields)
{
	if (e->notify)
		e->notify(e->ctx, type, fields);
	else
		json_object_put(fields);
}

static const char *section_name(uint8_t action)
{
	return action == SL_ACT_DENY ? "deny" : action == SL_ACT_ASK ? "ask" : "egress";
}

static bool rule_in(const struct agen *g, uint32_t id, struct sl_rule_info *ri)
{
	const struct sl_agent_policy *ap;
	const struct sl_rule *r;

	if (!g->pb || id < g->rule_base)
		return false;
	ap = agen_pol(g);
	if (id - g->rule_base >= ap->n_rules)
		return false;
	r = &ap->rules[id - g->rule_base];
	*ri = (struct sl_rule_info){
		.agent = ap->name, .section = section_name(r->action),
		.index = (int)(id - g->rule_base), .id = r->id, .loc = r->loc,
	};
	return true;
}

bool sl_engine_rule(const struct sl_engine *e, uint32_t rule_id, struct sl_rule_info *ri)
{
	if (eng_grant_rule(e, rule_id, ri) || eng_learned_rule(e, rule_id, ri))
		return true;
	for (size_t i = 0; i < e->n_agents; i++)
		if (rule_in(&e->agents[i].cur, rule_id, ri) ||
		    rule_in(&e->agents[i].prev, rule_id, ri))
			return true;
	return false;
}

void sl_engine_ident(const struct sl_engine *e, uint64_t cgroup, uint32_t agent,
		     uint32_t task, struct sl_ident *id)
{
	const struct eagent *a = eng_agent_by_id(e, agent);
	const struct etask *t = eng_task_by_id(e, task);

	memset(id, 0, sizeof(*id));
	if (a) {
		id->agent = agent_pol(a)->name;
		id->spiffe_id = agent_pol(a)->spiffe_id;
		id->owner = agent_pol(a)->owner;
	}
	if (t)
		id->task = t->name;
	/* The delegator chain, nearest first. */
	while (t && t->delegator && id->n_delegators < SL_MAX_CHAIN) {
		t = eng_task_by_id(e, t->delegator);
		if (t)
			id->delegators[id->n_delegators++] = t->name;
	}
	for (size_t i = 0; i < e->n_subj; i++) {
		if (e->subj[i].cgroup != cgroup)
			continue;
		id->cgroup = e->subj[i].path;
		id->run = e->subj[i].run;
		if (!id->agent)
			id->agent = e->subj[i].agent_name;
		return;
	}
	for (size_t i = 0; i < e->n_gap; i++) {
		if (e->gap[i].cgroup != cgroup)
			continue;
		id->cgroup = e->gap[i].path;
		id->run = e->gap[i].run;
		if (!id->agent)
			id->agent = e->gap[i].agent;
		return;
	}
}

uint32_t sl_engine_version(const struct sl_engine *e)
{
	return e->version;
}

static const char *verdict_str(uint8_t act, uint8_t mode)
{
	if (act == SL_ACT_ALLOW)
		return "allow";
	return mode == SL_MODE_AUDIT ? "audit" : "deny";
}

static const char *reason_str(uint8_t act)
{
	switch (act) {
	case SL_ACT_ALLOW: return "rule";
	case SL_ACT_DENY: return "deny_rule";
	case SL_ACT_ASK: return "ask";
	default: return "default";
	}
}

/* The same lookups the kernel's eval_subject() makes, through the syscall. */
static uint8_t check_subject(struct sl_engine *e, const struct sl_agent *kv, uint32_t task,
			     const uint8_t addr[16], uint16_t port, uint8_t proto,
			     uint64_t now, uint32_t *rule, uint16_t *flags)
{
	struct sl_rule_val v;
	struct sl_match m;
	struct sl_task t;

	sl_match_init(&m);
	if (kv->policy_set && !sl_maps_set_lookup(e->maps, SL_TRIE_RULES, kv->policy_set, addr, &v))
		sl_match_val(&v, port, proto, now, &m);
	if (kv->grant_set && !sl_maps_set_lookup(e->maps, SL_TRIE_GRANTS, kv->grant_set, addr, &v))
		sl_match_val(&v, port, proto, now, &m);
	if (task && !sl_maps_task_get(e->maps, task, &t) && (!t.expires_ns || t.expires_ns > now) &&
	    t.grant_set && !sl_maps_set_lookup(e->maps, SL_TRIE_GRANTS, t.grant_set, addr, &v))
		sl_match_val(&v, port, proto, now, &m);
	return sl_match_action(&m, rule, flags);
}

/* As the kernel's check_delegators(): the task up the chain that refuses, or 0. */
static uint32_t check_chain(struct sl_engine *e, uint32_t task, const uint8_t addr[16],
			    uint16_t port, uint8_t proto, uint64_t now)
{
	struct sl_agent kv;
	struct sl_task t;
	uint32_t up, rule;
	uint16_t flags;

	for (int i = 0; i < SL_MAX_CHAIN; i++) {
		if (sl_maps_task_get(e->maps, task, &t))
			return task;
		up = t.delegator;
		if (!up)
			return 0;
		if (sl_maps_task_get(e->maps, up, &t) || sl_maps_agent_get(e->maps, t.agent, &kv) ||
		    check_subject(e, &kv, up, addr, port, proto, now, &rule, &flags) != SL_ACT_ALLOW)
			return up;
		task = up;
	}
	return task;
}

int sl_engine_check(struct sl_engine *e, const char *agent, const char *task,
		    const uint8_t addr[16], uint16_t port, uint8_t proto,
		    json_object **result, struct sl_diag *d)
{
	struct sl_clock clk;
	struct sl_rule_info ri;
	struct sl_agent kv;
	struct etask *t = NULL;
	struct eagent *a;
	json_object *r;
	uint32_t rule, refuser = 0;
	uint16_t flags;
	uint8_t act;

	a = eng_agent_find(e, agent);
	if (!a) {
		sl_diag_add(d, NULL, "unknown agent \"%s\"", agent);
		return -ENOENT;
	}
	if (task && (!(t = eng_task_find(e, task)) || t->agent != a->id)) {
		sl_diag_add(d, NULL, "agent %s has no task \"%s\"", agent, task);
		return -ENOENT;
	}
	if (sl_maps_agent_get(e->maps, a->id, &kv)) {
		sl_diag_add(d, NULL, "agent %s is missing from the kernel map", agent);
		return -EIO;
	}
	eng_now(&clk);
	act = check_subject(e, &kv, t ? t->id : 0, addr, port, proto, clk.boot_ns, &rule, &flags);
	if (act == SL_ACT_ALLOW && t && (refuser = check_chain(e, t->id, addr, port, proto, clk.boot_ns)))
		act = 0;
	r = json_object_new_object();
	json_object_object_add(r, "verdict", json_object_new_string(verdict_str(act, kv.mode)));
	json_object_object_add(r, "reason", json_object_new_string(refuser ? "delegator" : reason_str(act)));
	if (refuser && eng_task_by_id(e, refuser))
		json_object_object_add(r, "refused_by", json_object_new_string(eng_task_by_id(e, refuser)->name));
	json_object_object_add(r, "version", json_object_new_int64(kv.version));
	if (rule)
		json_object_object_add(r, "rule_id", json_object_new_int64(rule));
	if (rule && sl_engine_rule(e, rule, &ri)) {
		char where[PATH_MAX + 32];

		if (ri.loc.file)
			snprintf(where, sizeof(where), "%s:%d:%d", ri.loc.file, ri.loc.line, ri.loc.col);
		else
			snprintf(where, sizeof(where), "%s", ri.id);
		json_object_object_add(r, "rule", json_object_new_string(where));
		json_object_object_add(r, "section", json_object_new_string(ri.section));
		if (ri.id)
			json_object_object_add(r, "rule_label", json_object_new_string(ri.id));
	}
	*result = r;
	return 0;
}

json_object *sl_engine_agents(struct sl_engine *e)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < e->n_agents; i++) {
		const struct eagent *a = &e->agents[i];
		const struct sl_agent_policy *ap = agent_pol(a);
		json_object *o = json_object_new_object();
		int runs = 0;

		for (size_t j = 0; j < e->n_subj; j++)
			runs += e->subj[j].agent == a->id;
		json_object_object_add(o, "name", json_object_new_string(ap->name));
		if (ap->spiffe_id)
			json_object_object_add(o, "spiffe_id", json_object_new_string(ap->spiffe_id));
		json_object_object_add(o, "mode", json_object_new_string(ap->mode == SL_MODE_AUDIT ? "audit" : "enforce"));
		json_object_object_add(o, "log", json_object_new_string(ap->log_allowed ? "all" : "denied"));
		json_object_object_add(o, "version", json_object_new_int64(a->kv.version));
		json_object_object_add(o, "rules", json_object_new_int64((int64_t)ap->n_rules));
		json_object_object_add(o, "keys", json_object_new_int64((int64_t)a->cset.n));
		json_object_object_add(o, "runs", json_object_new_int(runs));
		json_object_array_add(arr, o);
	}
	return arr;
}

json_object *sl_engine_status(struct sl_engine *e)
{
	static const char *cnt_names[SL_CNT_MAX] = {
		[SL_CNT_ALLOW] = "allow", [SL_CNT_DENY] = "deny", [SL_CNT_AUDIT] = "audit",
		[SL_CNT_REDIRECT] = "dns_redirect", [SL_CNT_EVENTS] = "events",
		[SL_CNT_EVENTS_LOST] = "events_lost_kernel",
		[SL_CNT_TERMINATED] = "terminated",
	};
	json_object *r = json_object_new_object(), *att = json_object_new_array();
	json_object *cnt = json_object_new_object();
	const char *names[16], *types[16];
	uint64_t c[SL_CNT_MAX];
	int n = sl_maps_attached(e->maps, names, types, 16);

	for (int i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "program", json_object_new_string(names[i]));
		json_object_object_add(o, "attach", json_object_new_string(types[i] ? types[i] : "?"));
		json_object_array_add(att, o);
	}
	json_object_object_add(r, "cgroup_root", json_object_new_string(e->root));
	json_object_object_add(r, "attached", att);
	json_object_object_add(r, "packet_sockets", json_object_new_string(
		sl_maps_lsm_missing(e->maps) ? "refused by dropping CAP_NET_RAW in sluicectl run" :
		"refused in the kernel (lsm_cgroup)"));
	json_object_object_add(r, "revocation", json_object_new_string(
		sl_maps_sweep_missing(e->maps) ? sl_maps_sweep_missing(e->maps) :
		"established connections are closed (socket iterators)"));
	json_object_object_add(r, "policy_version", json_object_new_int64(e->version));
	json_object_object_add(r, "agents", json_object_new_int64((int64_t)e->n_agents));
	json_object_object_add(r, "runs", json_object_new_int64((int64_t)e->n_subj));
	json_object_object_add(r, "tasks", json_object_new_int64((int64_t)e->n_tasks));
	json_object_object_add(r, "grants", json_object_new_int64((int64_t)e->n_grants));
	json_object_object_add(r, "pending", json_object_new_int64((int64_t)e->n_pend));
	if (!sl_maps_counters(e->maps, c))
		for (int i = 0; i < SL_CNT_MAX; i++)
			json_object_object_add(cnt, cnt_names[i], json_object_new_uint64(c[i]));
	json_object_object_add(r, "counters", cnt);
	return r;
}

void sl_engine_tick(struct sl_engine *e)
{
	struct sl_clock clk;

	eng_now(&clk);
	if (eng_grants_expire(e, clk.boot_ns)) {
		eng_sweep(e, "grant expiry");
		eng_state_save(e);
	}
	eng_task_expire(e, clk.boot_ns);
	eng_pending_expire(e, clk.real_s);
	if (e->state_dirty)
		eng_state_save(e);
}
