// SPDX-License-Identifier: GPL-2.0-only
/*
 * Applying a policy: compile every changed agent, write the new sets beside
 * the old, switch each agent with one map update, then drop what was
 * replaced.  Any failure before the switch undoes the writes: an apply
 * changes everything it names or nothing.
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

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool rule_eq(const struct sl_rule *a, const struct sl_rule *b)
{
	if (a->action != b->action || a->proto != b->proto || a->n_to != b->n_to ||
	    a->n_ports != b->n_ports || a->ttl_ns != b->ttl_ns ||
	    a->not_after != b->not_after || !str_eq(a->id, b->id))
		return false;
	for (size_t i = 0; i < a->n_to; i++) {
		if (a->to[i].kind != b->to[i].kind || !str_eq(a->to[i].name, b->to[i].name) ||
		    (a->to[i].kind == SL_DEST_CIDR &&
		     sl_prefix_cmp(&a->to[i].pfx, &b->to[i].pfx)))
			return false;
	}
	for (size_t i = 0; i < a->n_ports; i++)
		if (a->ports[i].lo != b->ports[i].lo || a->ports[i].hi != b->ports[i].hi)
			return false;
	return true;
}

/* Same meaning (locations aside)?  Then re-applying it is a no-op. */
static bool agent_policy_eq(const struct sl_agent_policy *a, const struct sl_agent_policy *b)
{
	if (a->mode != b->mode || a->log_allowed != b->log_allowed || a->dns_direct != b->dns_direct ||
	    !str_eq(a->spiffe_id, b->spiffe_id) || !str_eq(a->owner, b->owner) ||
	    !str_eq(a->description, b->description) || a->n_rules != b->n_rules)
		return false;
	for (size_t i = 0; i < a->n_rules; i++)
		if (!rule_eq(&a->rules[i], &b->rules[i]))
			return false;
	return true;
}

enum change { CH_NONE, CH_ADD, CH_UPDATE, CH_REMOVE };

static const char *change_name[] = {
	[CH_NONE] = "unchanged", [CH_ADD] = "added",
	[CH_UPDATE] = "updated", [CH_REMOVE] = "removed",
};

/* One agent's part of an apply. */
struct plan {
	enum change ch;
	struct eagent *cur;		/* NULL when added */
	size_t idx;			/* in the new policy; unused for CH_REMOVE */
	struct sl_cset cs;
	struct sl_agent kv;
	uint32_t id, rule_base;
	bool written, switched;
};

/* Where an apply's time went, in microseconds (the apply result's timing_us). */
struct apply_times {
	uint64_t compile, write, sw, commit;
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

static uint16_t agent_flags(const struct sl_agent_policy *ap)
{
	return (ap->log_allowed ? SL_AGENT_LOG_ALLOWED : 0) |
	       (ap->dns_direct ? 0 : SL_AGENT_DNS_REDIRECT);
}

static int plan_compile(struct sl_engine *e, struct pbundle *pb, struct plan *p,
			uint32_t *rule, const struct sl_clock *clk, struct sl_diag *d)
{
	const struct sl_agent_policy *ap = &pb->pol.agents[p->idx];
	struct sl_cin *in = NULL;
	size_t n = 0;
	int err;

	p->cur = eng_agent_find(e, ap->name);
	if (p->cur && agent_policy_eq(agent_pol(p->cur), ap)) {
		p->ch = CH_NONE;
		return 0;
	}
	p->ch = p->cur ? CH_UPDATE : CH_ADD;
	p->rule_base = *rule;
	*rule += (uint32_t)ap->n_rules;
	err = sl_compile_agent(ap, p->rule_base, clk, &in, &n);
	if (!err)
		err = sl_flatten(in, n, &p->cs, d);
	free(in);
	return err;
}

static void plan_undo(struct sl_engine *e, struct plan *plans, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct plan *p = &plans[i];

		if (p->switched) {
			if (p->cur)
				sl_maps_agent_put(e->maps, p->id, &p->cur->kv);
			else
				sl_maps_agent_del(e->maps, p->id);
		}
		if (p->written)
			sl_maps_set_delete(e->maps, SL_TRIE_RULES, p->kv.policy_set, &p->cs);
	}
}

/* Write every new set, then switch each agent with one update. */
static int plan_write(struct sl_engine *e, struct pbundle *pb, struct plan *plans,
		      size_t n, uint32_t version, struct apply_times *t)
{
	uint32_t set = e->next_set, agent = e->next_agent;
	uint64_t t0 = mono_us();
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		struct plan *p = &plans[i];

		if (p->ch != CH_ADD && p->ch != CH_UPDATE)
			continue;
		const struct sl_agent_policy *ap = &pb->pol.agents[p->idx];

		const struct eremembered *r = p->cur ? NULL : eng_remembered(e, ap->name);

		/* An agent a restarted daemon remembers keeps its id and grants. */
		p->id = p->cur ? p->cur->id : r ? r->id : agent++;
		p->kv = (struct sl_agent){
			.policy_set = set++,
			.grant_set = p->cur ? p->cur->kv.grant_set : r ? r->grant_set : SL_SET_NONE,
			.version = version,
			.mode = ap->mode,
			.flags = agent_flags(ap),
		};
		err = sl_maps_set_write(e->maps, SL_TRIE_RULES, p->kv.policy_set, &p->cs);
		p->written = !err;
	}
	t->write = mono_us() - t0;
	t0 = mono_us();
	for (size_t i = 0; i < n && !err; i++) {
		struct plan *p = &plans[i];

		if (p->ch != CH_ADD && p->ch != CH_UPDATE)
			continue;
		err = sl_maps_agent_put(e->maps, p->id, &p->kv);
		p->switched = !err;
	}
	t->sw = mono_us() - t0;
	if (err) {
		plan_undo(e, plans, n);
		return err;
	}
	e->next_set = set;
	e->next_agent = agent;
	return 0;
}

static void subjects_orphan(struct sl_engine *e, uint32_t agent)
{
	for (size_t i = 0; i < e->n_subj; i++) {
		struct esubject *s = &e->subj[i];
		struct sl_subject kv = { .agent = 0, .task = s->task };

		if (s->agent != agent)
			continue;
		/* Agent id 0 never exists: the kernel denies (no agent). */
		s->agent = 0;
		sl_maps_subject_put(e->maps, s->cgroup, &kv);
	}
}

static void agent_remove(struct sl_engine *e, struct eagent *a)
{
	eng_grants_drop(e, a->id, 0, true, "agent removed from the policy", NULL);
	if (a->dyn.set)
		sl_maps_set_delete(e->maps, SL_TRIE_GRANTS, a->dyn.set, &a->dyn.cs);
	sl_cset_free(&a->dyn.cs);
	subjects_orphan(e, a->id);
	sl_maps_agent_del(e->maps, a->id);
	sl_maps_set_delete(e->maps, SL_TRIE_RULES, a->kv.policy_set, &a->cset);
	sl_cset_free(&a->cset);
	eng_pb_put(a->cur.pb);
	eng_pb_put(a->prev.pb);
	*a = e->agents[--e->n_agents];
}

/* The new state is in the kernel: make the engine agree, drop the old sets. */
static int plan_commit(struct sl_engine *e, struct pbundle *pb, struct plan *plans, size_t n)
{
	struct eagent *grown;
	size_t adds = 0;

	for (size_t i = 0; i < n; i++)
		adds += plans[i].ch == CH_ADD;
	grown = realloc(e->agents, (e->n_agents + adds + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;	/* kernel state is new, engine's is old: caller undoes */
	e->agents = grown;
	for (size_t i = 0; i < n; i++) {
		struct plan *p = &plans[i];
		struct eagent *a;

		if (p->ch != CH_ADD && p->ch != CH_UPDATE)
			continue;
		if (p->ch == CH_ADD) {
			a = &e->agents[e->n_agents++];
			memset(a, 0, sizeof(*a));
		} else {
			a = eng_agent_find(e, pb->pol.agents[p->idx].name);
			sl_maps_set_delete(e->maps, SL_TRIE_RULES, a->kv.policy_set, &a->cset);
			sl_cset_free(&a->cset);
			eng_pb_put(a->prev.pb);
			a->prev = a->cur;
		}
		a->id = p->id;
		a->kv = p->kv;
		a->dyn.set = p->kv.grant_set;
		/* A remembered set: what the kernel holds in it is not known here. */
		a->dyn.unsynced |= p->ch == CH_ADD && a->dyn.set;
		a->cset = p->cs;
		p->cs = (struct sl_cset){ 0 };
		a->cur = (struct agen){ .pb = pb, .idx = p->idx, .rule_base = p->rule_base };
		pb->refs++;
		/* Addresses learned for names the new policy no longer allows go. */
		if (p->ch == CH_UPDATE)
			eng_scope_rebuild(e, a->id, 0);
	}
	return 0;
}

static json_object *change_json(const char *name, enum change ch, const struct eagent *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "agent", json_object_new_string(name));
	json_object_object_add(o, "change", json_object_new_string(change_name[ch]));
	if (a && ch != CH_REMOVE) {
		json_object_object_add(o, "rules", json_object_new_int64((int64_t)agent_pol(a)->n_rules));
		json_object_object_add(o, "keys", json_object_new_int64((int64_t)a->cset.n));
		json_object_object_add(o, "version", json_object_new_int64(a->kv.version));
	}
	return o;
}

/* Agents the new policy does not name: removed with prune, kept without. */
static int removed_agents(struct sl_engine *e, const struct sl_policy *pol, bool prune,
			  json_object *changes)
{
	int removed = 0;

	for (size_t i = 0; i < e->n_agents;) {
		const char *name = agent_pol(&e->agents[i])->name;

		if (!prune || sl_policy_find(pol, name)) {
			i++;
			continue;
		}
		json_object_array_add(changes, change_json(name, CH_REMOVE, NULL));
		pr_info("agent %s removed\n", name);
		agent_remove(e, &e->agents[i]);
		removed++;
	}
	return removed;
}

static json_object *times_json(const struct apply_times *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "compile", json_object_new_uint64(t->compile));
	json_object_object_add(o, "write", json_object_new_uint64(t->write));
	json_object_object_add(o, "switch", json_object_new_uint64(t->sw));
	json_object_object_add(o, "release", json_object_new_uint64(t->commit));
	return o;
}

static json_object *apply_result(struct sl_engine *e, struct pbundle *pb, struct plan *plans,
				 size_t n, json_object *changes, const struct apply_times *t)
{
	json_object *r = json_object_new_object();
	int changed = 0;

	for (size_t i = 0; i < n; i++) {
		const char *name = pb->pol.agents[plans[i].idx].name;

		changed += plans[i].ch != CH_NONE;
		json_object_array_add(changes, change_json(name, plans[i].ch, eng_agent_find(e, name)));
	}
	changed += (int)json_object_array_length(changes) - (int)n;
	json_object_object_add(r, "changed", json_object_new_boolean(changed > 0));
	json_object_object_add(r, "version", json_object_new_int64(e->version));
	json_object_object_add(r, "changes", changes);
	json_object_object_add(r, "timing_us", times_json(t));
	return r;
}

int sl_engine_apply(struct sl_engine *e, struct sl_policy *pol, bool prune,
		    json_object **result, struct sl_diag *d)
{
	struct pbundle *pb = calloc(1, sizeof(*pb));
	uint32_t rule = e->next_rule, version = e->version + 1;
	json_object *changes = json_object_new_array();
	struct apply_times times = { 0 };
	struct plan *plans = NULL;
	struct sl_clock clk;
	uint64_t t0;
	bool any = false;
	size_t n = 0;
	int err = -ENOMEM;

	if (!pb)
		goto out_free;
	pb->pol = *pol;
	sl_policy_init(pol);
	pb->refs = 1;
	n = pb->pol.n_agents;
	err = sl_policy_check(&pb->pol, d);
	if (err)
		goto out;
	plans = calloc(n + 1, sizeof(*plans));
	if (!plans) {
		err = -ENOMEM;
		goto out;
	}
	eng_now(&clk);
	t0 = mono_us();
	for (size_t i = 0; i < n; i++) {
		plans[i].idx = i;
		if (plan_compile(e, pb, &plans[i], &rule, &clk, d) && !err)
			err = -EINVAL;
		any |= plans[i].ch != CH_NONE;
	}
	times.compile = mono_us() - t0;
	if (err)
		goto out;
	if (any) {
		err = plan_write(e, pb, plans, n, version, &times);
		if (!err) {
			t0 = mono_us();
			err = plan_commit(e, pb, plans, n);
			times.commit = mono_us() - t0;
			if (err)
				plan_undo(e, plans, n);
		}
		if (err) {
			sl_diag_add(d, NULL, "writing the kernel maps failed: %s; nothing changed",
				    strerror(-err));
			goto out;
		}
		e->next_rule = rule;
	}
	if (removed_agents(e, &pb->pol, prune, changes) || any) {
		e->version = version;
		/* Access an old version gave may be gone: judge live sockets again. */
		eng_sweep(e, "apply");
		eng_state_save(e);
	}
	*result = apply_result(e, pb, plans, n, changes, &times);
	changes = NULL;
out:
	for (size_t i = 0; plans && i < n; i++)
		sl_cset_free(&plans[i].cs);
	free(plans);
	eng_pb_put(pb);
out_free:
	json_object_put(changes);
	return err;
}
