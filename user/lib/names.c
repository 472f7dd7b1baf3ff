// SPDX-License-Identifier: GPL-2.0-only
/*
 * Names: which DNS names a subject may resolve, and the addresses their
 * answers gave it.  The kernel knows only addresses; a name rule (policy or
 * grant) becomes, for each address a DNS answer returned, an entry in the
 * scope's set with the rule's ports, protocol and action, expiring with the
 * answer's TTL plus a grace.  Records are derived again from the rules on
 * every rebuild, so a rule that goes (apply, revoke) takes its addresses
 * with it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dns.h"
#include "engine_int.h"
#include "log.h"

#define LEARNED_MAX	1024	/* records kept per scope; the oldest expiry goes */

enum nverdict { NV_NONE, NV_ASK, NV_ALLOW, NV_DENY };

/* What the agent's own policy says of a name: deny beats allow beats ask. */
static enum nverdict policy_verdict(const struct sl_agent_policy *ap, const char *name)
{
	enum nverdict v = NV_NONE;

	for (size_t i = 0; i < ap->n_rules; i++) {
		const struct sl_rule *r = &ap->rules[i];
		enum nverdict rv = r->action == SL_ACT_DENY ? NV_DENY :
				   r->action == SL_ACT_ASK ? NV_ASK : NV_ALLOW;

		for (size_t j = 0; j < r->n_to && rv > v; j++)
			if (r->to[j].kind == SL_DEST_NAME && sl_dns_name_match(r->to[j].name, name))
				v = rv;
	}
	return v;
}

static bool grant_allows(const struct egrant *g, uint32_t agent, uint32_t task,
			 const char *name, uint64_t now)
{
	return g->agent == agent && g->task == task && g->to.kind == SL_DEST_NAME &&
	       g->expires_ns > now && sl_dns_name_match(g->to.name, name);
}

static bool grants_allow(const struct sl_engine *e, uint32_t agent, uint32_t task,
			 const char *name, uint64_t now)
{
	for (size_t i = 0; i < e->n_grants; i++)
		if (grant_allows(e->grants[i], agent, task, name, now))
			return true;
	return false;
}

static bool task_live(const struct etask *t, uint64_t now)
{
	return t && t->runs >= 0 && !t->expired && (!t->expires_ns || t->expires_ns > now);
}

/* One level of the chain: an agent and, maybe, its task. */
struct level {
	const struct eagent *a;
	const struct etask *t;
};

/* Where a level's permission for a name comes from. */
struct nsources {
	enum nverdict verdict;
	bool agent_scope;		/* the policy or an agent-wide grant */
	bool task_scope;		/* a grant of the task */
};

static struct nsources level_sources(const struct sl_engine *e, const struct level *l,
				     const char *name, uint64_t now)
{
	enum nverdict pv = policy_verdict(agent_pol(l->a), name);
	bool ag = grants_allow(e, l->a->id, 0, name, now);
	bool tg = task_live(l->t, now) && grants_allow(e, l->a->id, l->t->id, name, now);
	struct nsources s = {
		.verdict = pv == NV_DENY ? NV_DENY : (pv == NV_ALLOW || ag || tg) ? NV_ALLOW : pv,
		.agent_scope = pv == NV_ALLOW || pv == NV_ASK || ag,
		.task_scope = tg,
	};

	return s;
}

/* The subject in a cgroup and the tasks it works for: levels[0] is itself. */
static int chain(const struct sl_engine *e, uint64_t cgroup, struct level *lv)
{
	const struct esubject *s = NULL;
	const struct etask *t;
	int n = 0;

	for (size_t i = 0; i < e->n_subj; i++)
		if (e->subj[i].cgroup == cgroup)
			s = &e->subj[i];
	if (!s || !(lv[0].a = eng_agent_by_id(e, s->agent)))
		return -ENOENT;
	lv[n++].t = t = s->task ? eng_task_by_id(e, s->task) : NULL;
	while (t && t->delegator && n <= SL_MAX_CHAIN) {
		t = eng_task_by_id(e, t->delegator);
		if (!t || !(lv[n].a = eng_agent_by_id(e, t->agent)))
			return -EACCES;	/* a delegator that ended refuses */
		lv[n++].t = t;
	}
	return n;
}

static const char *refusal(enum nverdict v, int level)
{
	if (level > 0)
		return "the delegating task may not resolve it";
	return v == NV_DENY ? "denied by a rule" : "no rule or grant allows it";
}

int sl_engine_dns_check(struct sl_engine *e, uint64_t cgroup, const char *name,
			struct sl_dns_verdict *v)
{
	struct level lv[SL_MAX_CHAIN + 1];
	struct sl_clock clk;
	int n;

	memset(v, 0, sizeof(*v));
	n = chain(e, cgroup, lv);
	if (n == -ENOENT) {
		v->why = "not an agent's process";
		return -ENOENT;
	}
	v->agent = agent_pol(lv[0].a)->name;
	v->task = lv[0].t ? lv[0].t->name : NULL;
	v->log_allowed = agent_pol(lv[0].a)->log_allowed;
	if (n < 0) {
		v->why = "the delegating task has ended";
		return -EACCES;
	}
	eng_now(&clk);
	for (int i = 0; i < n; i++) {
		struct nsources s = level_sources(e, &lv[i], name, clk.boot_ns);

		if (s.verdict == NV_NONE || s.verdict == NV_DENY) {
			v->why = refusal(s.verdict, i);
			return -EACCES;
		}
	}
	return 0;
}

uint32_t sl_engine_dns_ttl_cap(const struct sl_engine *e)
{
	return (uint32_t)(e->dns_max_ttl_ns / 1000000000ull);
}

static bool in_scope(const struct elearned *l, uint32_t agent, uint32_t task)
{
	return l->agent == agent && l->task == task;
}

/* Over the cap, the record that expires first goes. */
static void evict(struct sl_engine *e, uint32_t agent, uint32_t task)
{
	size_t n = 0, oldest = 0;

	for (size_t i = 0; i < e->n_learned; i++) {
		if (!in_scope(e->learned[i], agent, task))
			continue;
		if (!n++ || e->learned[i]->expires_ns < e->learned[oldest]->expires_ns)
			oldest = i;
	}
	if (n <= LEARNED_MAX)
		return;
	free(e->learned[oldest]);
	e->learned[oldest] = e->learned[--e->n_learned];
}

static int upsert(struct sl_engine *e, uint32_t agent, uint32_t task, const char *name,
		  const uint8_t addr[16], uint64_t expires)
{
	struct elearned *l, **grown;

	for (size_t i = 0; i < e->n_learned; i++) {
		l = e->learned[i];
		if (in_scope(l, agent, task) && !memcmp(l->addr, addr, 16) && !strcmp(l->name, name)) {
			l->expires_ns = expires;	/* a fresh answer: its TTL counts */
			return 0;
		}
	}
	grown = realloc(e->learned, (e->n_learned + 1) * sizeof(*grown));
	l = calloc(1, sizeof(*l));
	if (grown)
		e->learned = grown;
	if (!grown || !l) {
		free(l);
		return -ENOMEM;
	}
	*l = (struct elearned){ .agent = agent, .task = task, .rule_id = e->next_rule++,
				.expires_ns = expires };
	memcpy(l->addr, addr, 16);
	snprintf(l->name, sizeof(l->name), "%s", name);
	e->learned[e->n_learned++] = l;
	evict(e, agent, task);
	return 0;
}

/* Record the addresses in one scope and rebuild its set. */
static int learn_scope(struct sl_engine *e, uint32_t agent, uint32_t task, const char *name,
		       const uint8_t (*addrs)[16], const uint32_t *ttls, size_t n, uint64_t now)
{
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		uint64_t life = (uint64_t)ttls[i] * 1000000000ull + e->dns_grace_ns;

		err = upsert(e, agent, task, name, addrs[i],
			     now + (life < e->dns_max_ttl_ns ? life : e->dns_max_ttl_ns));
	}
	return err ? err : eng_scope_rebuild(e, agent, task);
}

int sl_engine_dns_learn(struct sl_engine *e, uint64_t cgroup, const char *name,
			const uint8_t (*addrs)[16], const uint32_t *ttls, size_t n)
{
	struct level lv[SL_MAX_CHAIN + 1];
	struct sl_clock clk;
	int levels, err = 0;

	levels = chain(e, cgroup, lv);
	if (levels < 0)
		return -EACCES;
	eng_now(&clk);
	/* Every level learns it: a delegated call is judged at every level. */
	for (int i = 0; i < levels && !err; i++) {
		struct nsources s = level_sources(e, &lv[i], name, clk.boot_ns);

		if (s.verdict == NV_NONE || s.verdict == NV_DENY)
			return -EACCES;
		if (s.agent_scope)
			err = learn_scope(e, lv[i].a->id, 0, name, addrs, ttls, n, clk.boot_ns);
		if (!err && s.task_scope)
			err = learn_scope(e, lv[i].a->id, lv[i].t->id, name, addrs, ttls, n,
					  clk.boot_ns);
	}
	/* Saved by the next tick: a file write per answer would cost every query. */
	e->state_dirty = true;
	return err;
}

/* Entries for one record from the policy rules that allow or ask for its name. */
static int policy_entries(const struct sl_agent_policy *ap, const struct elearned *l,
			  struct cinbuf *b, bool *any)
{
	struct sl_prefix pfx = { .len = 128 };
	int err = 0;

	memcpy(pfx.addr, l->addr, 16);
	for (size_t i = 0; i < ap->n_rules && !err; i++) {
		const struct sl_rule *r = &ap->rules[i];
		bool match = false;

		for (size_t j = 0; j < r->n_to; j++)
			match |= r->to[j].kind == SL_DEST_NAME && sl_dns_name_match(r->to[j].name, l->name);
		if (!match || r->action == SL_ACT_DENY)
			continue;
		*any = true;
		for (size_t p = 0; p < (r->n_ports ? r->n_ports : 1) && !err; p++)
			err = eng_cin_push(b, &pfx, r->n_ports ? r->ports[p].lo : 0,
					   r->n_ports ? r->ports[p].hi : 65535, r->proto, r->action,
					   SL_ENTRY_LEARNED, l->rule_id, l->expires_ns);
	}
	return err;
}

/* Entries for one record from the name grants of its scope. */
static int grant_entries(const struct sl_engine *e, const struct elearned *l, uint64_t now,
			 struct cinbuf *b, bool *any)
{
	struct sl_prefix pfx = { .len = 128 };
	int err = 0;

	memcpy(pfx.addr, l->addr, 16);
	for (size_t i = 0; i < e->n_grants && !err; i++) {
		const struct egrant *g = e->grants[i];
		uint64_t exp = l->expires_ns < g->expires_ns ? l->expires_ns : g->expires_ns;

		if (!grant_allows(g, l->agent, l->task, l->name, now))
			continue;
		*any = true;
		for (size_t p = 0; p < (g->n_ports ? g->n_ports : 1) && !err; p++)
			err = eng_cin_push(b, &pfx, g->n_ports ? g->ports[p].lo : 0,
					   g->n_ports ? g->ports[p].hi : 65535, g->proto,
					   SL_ACT_ALLOW, SL_ENTRY_LEARNED | SL_ENTRY_GRANT,
					   l->rule_id, exp);
	}
	return err;
}

static int by_expiry_desc(const void *a, const void *b)
{
	const struct elearned *x = *(const struct elearned *const *)a;
	const struct elearned *y = *(const struct elearned *const *)b;

	return x->expires_ns < y->expires_ns ? 1 : x->expires_ns > y->expires_ns ? -1 : 0;
}

/*
 * A scope's learned records as flattener inputs, longest-lived first (so
 * that when several names share an address, the entry that lives longest
 * comes first and shadows the others).  A record no rule or grant allows
 * any more is dropped here.
 */
int eng_learned_inputs(struct sl_engine *e, uint32_t agent, uint32_t task, struct cinbuf *b)
{
	const struct eagent *a = eng_agent_by_id(e, agent);
	struct sl_clock clk;
	int err = 0;

	if (!a)
		return 0;
	eng_now(&clk);
	qsort(e->learned, e->n_learned, sizeof(*e->learned), by_expiry_desc);
	for (size_t i = 0; i < e->n_learned && !err;) {
		struct elearned *l = e->learned[i];
		bool any = false;

		if (!in_scope(l, agent, task)) {
			i++;
			continue;
		}
		if (!task)
			err = policy_entries(agent_pol(a), l, b, &any);
		if (!err)
			err = grant_entries(e, l, clk.boot_ns, b, &any);
		if (any || err) {
			i++;
			continue;
		}
		memmove(&e->learned[i], &e->learned[i + 1], (e->n_learned - i - 1) * sizeof(l));
		e->n_learned--;
		free(l);
	}
	return err;
}

bool eng_learned_rule(const struct sl_engine *e, uint32_t rule_id, struct sl_rule_info *ri)
{
	const struct elearned *l = NULL;
	const struct eagent *a;

	for (size_t i = 0; i < e->n_learned && !l; i++)
		if (e->learned[i]->rule_id == rule_id)
			l = e->learned[i];
	if (!l || !(a = eng_agent_by_id(e, l->agent)))
		return false;
	*ri = (struct sl_rule_info){ .agent = agent_pol(a)->name, .section = "dns", .index = -1 };
	for (size_t i = 0; i < agent_pol(a)->n_rules; i++) {
		const struct sl_rule *r = &agent_pol(a)->rules[i];

		for (size_t j = 0; j < r->n_to; j++) {
			if (r->to[j].kind != SL_DEST_NAME || !sl_dns_name_match(r->to[j].name, l->name))
				continue;
			ri->section = r->action == SL_ACT_ASK ? "ask" : "egress";
			ri->index = (int)i;
			ri->id = r->id;
			ri->loc = r->loc;
			goto found;
		}
	}
	for (size_t i = 0; i < e->n_grants; i++) {
		if (e->grants[i]->to.kind == SL_DEST_NAME && e->grants[i]->agent == l->agent &&
		    sl_dns_name_match(e->grants[i]->to.name, l->name)) {
			ri->section = "grant";
			ri->id = e->grants[i]->id;
			break;
		}
	}
found:
	ri->dns_name = l->name;
	return true;
}

void eng_learned_free(struct sl_engine *e)
{
	for (size_t i = 0; i < e->n_learned; i++)
		free(e->learned[i]);
	free(e->learned);
	e->learned = NULL;
	e->n_learned = 0;
}
