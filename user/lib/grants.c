// SPDX-License-Identifier: GPL-2.0-only
/*
 * Grants: "agent A (or its task T) may reach D on ports P for the next N
 * minutes".  Each scope (an agent, or a task) has one set in sl_grants that
 * holds its grants flattened like a policy; the set changes key by key as
 * grants come and go.  The expiry is in every entry, so the kernel stops
 * honouring a grant on time even when sluiced is not running; the daemon's
 * tick only tidies up and records the expiry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine_int.h"
#include "log.h"

json_object *sl_actor_json(const struct sl_actor *who)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "uid", json_object_new_int64(who->uid));
	json_object_object_add(o, "pid", json_object_new_int64(who->pid));
	return o;
}

void eng_grant_free(struct egrant *g)
{
	if (!g)
		return;
	free(g->to.name);
	free(g->reason);
	free(g->request);
	free(g);
}

static bool in_scope(const struct egrant *g, uint32_t agent, uint32_t task)
{
	return g->agent == agent && g->task == task;
}

int eng_cin_push(struct cinbuf *b, const struct sl_prefix *pfx, uint16_t lo, uint16_t hi,
		 uint8_t proto, uint8_t action, uint16_t flags, uint32_t rule_id, uint64_t expires)
{
	struct sl_cin *c;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;

		c = realloc(b->v, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		b->v = c;
		b->cap = cap;
	}
	c = &b->v[b->n++];
	memset(c, 0, sizeof(*c));
	c->pfx = *pfx;
	c->ent.port_lo = lo;
	c->ent.port_hi = hi;
	c->ent.proto = proto;
	c->ent.action = action;
	c->ent.flags = flags;
	c->ent.rule_id = rule_id;
	c->ent.expires_ns = expires;
	return 0;
}

/* Flattener inputs for one scope's address grants: destination x port range. */
static int grant_inputs(const struct sl_engine *e, uint32_t agent, uint32_t task,
			struct cinbuf *b)
{
	int err = 0;

	for (size_t i = 0; i < e->n_grants && !err; i++) {
		const struct egrant *g = e->grants[i];

		if (!in_scope(g, agent, task) || g->to.kind != SL_DEST_CIDR)
			continue;
		for (size_t j = 0; j < (g->n_ports ? g->n_ports : 1) && !err; j++)
			err = eng_cin_push(b, &g->to.pfx, g->n_ports ? g->ports[j].lo : 0,
					   g->n_ports ? g->ports[j].hi : 65535, g->proto,
					   SL_ACT_ALLOW, SL_ENTRY_GRANT, g->rule_id, g->expires_ns);
	}
	return err;
}

/* The first write of a scope's set gives it an id, then points the scope at it. */
static int scope_attach(struct sl_engine *e, struct eagent *a, struct etask *t,
			struct dynset *dyn, const struct sl_cset *cs)
{
	uint32_t set = e->next_set;
	int err;

	err = sl_maps_set_write(e->maps, SL_TRIE_GRANTS, set, cs);
	if (err)
		return err;
	dyn->set = set;
	if (t) {
		err = eng_task_put(e, t);
	} else {
		a->kv.grant_set = set;
		err = sl_maps_agent_put(e->maps, a->id, &a->kv);
	}
	if (err) {
		sl_maps_set_delete(e->maps, SL_TRIE_GRANTS, set, cs);
		dyn->set = SL_SET_NONE;
		a->kv.grant_set = t ? a->kv.grant_set : SL_SET_NONE;
		return err;
	}
	e->next_set++;
	return 0;
}

/*
 * Bring one scope's kernel set in line with its grants.  On failure the
 * kernel keeps what it had and the caller undoes its change.
 */
int eng_scope_rebuild(struct sl_engine *e, uint32_t agent, uint32_t task)
{
	struct eagent *a = (struct eagent *)eng_agent_by_id(e, agent);
	struct etask *t = task ? (struct etask *)eng_task_by_id(e, task) : NULL;
	struct sl_cset cs = { 0 };
	struct cinbuf in = { 0 };
	struct dynset *dyn;
	struct sl_diag d;
	int err;

	if (!a || (task && !t))
		return 0;	/* the scope is gone, and its set with it */
	dyn = t ? &t->dyn : &a->dyn;
	sl_diag_init(&d);
	err = grant_inputs(e, agent, task, &in);
	if (!err)
		err = eng_learned_inputs(e, agent, task, &in);
	if (!err)
		err = sl_flatten(in.v, in.n, &cs, &d);
	free(in.v);
	if (err) {
		for (size_t i = 0; i < d.n; i++)
			pr_warn("grants of %s: %s\n", agent_pol(a)->name, d.msg[i]);
	} else if (!dyn->set) {
		err = cs.n ? scope_attach(e, a, t, dyn, &cs) : 0;
	} else if (dyn->unsynced) {
		/* A restarted daemon: write it all, then drop what it no longer holds. */
		err = sl_maps_set_write(e->maps, SL_TRIE_GRANTS, dyn->set, &cs);
		if (!err)
			err = sl_maps_set_retain(e->maps, SL_TRIE_GRANTS, dyn->set, &cs);
		dyn->unsynced = err != 0;
	} else {
		err = sl_maps_set_update(e->maps, SL_TRIE_GRANTS, dyn->set, &dyn->cs, &cs);
	}
	sl_diag_free(&d);
	if (err) {
		sl_cset_free(&cs);
		return err;
	}
	sl_cset_free(&dyn->cs);
	dyn->cs = cs;
	return 0;
}

static const char *dest_text(const struct sl_dest *d, char *buf, size_t len)
{
	if (d->kind == SL_DEST_NAME)
		return d->name;
	sl_prefix_format(&d->pfx, buf, len);
	return buf;
}

static json_object *grant_json(const struct sl_engine *e, const struct egrant *g)
{
	const struct eagent *a = eng_agent_by_id(e, g->agent);
	const struct etask *t = g->task ? eng_task_by_id(e, g->task) : NULL;
	json_object *o = json_object_new_object(), *ports = json_object_new_array();
	char buf[SL_ADDRSTRLEN];

	json_object_object_add(o, "grant_id", json_object_new_string(g->id));
	if (a)
		json_object_object_add(o, "agent", json_object_new_string(agent_pol(a)->name));
	if (t)
		json_object_object_add(o, "task", json_object_new_string(t->name));
	json_object_object_add(o, "to", json_object_new_string(dest_text(&g->to, buf, sizeof(buf))));
	for (size_t i = 0; i < g->n_ports; i++) {
		if (g->ports[i].lo == g->ports[i].hi)
			snprintf(buf, sizeof(buf), "%u", g->ports[i].lo);
		else
			snprintf(buf, sizeof(buf), "%u-%u", g->ports[i].lo, g->ports[i].hi);
		json_object_array_add(ports, json_object_new_string(buf));
	}
	json_object_object_add(o, "ports", ports);
	json_object_object_add(o, "protocol", json_object_new_string(sl_proto_name(g->proto)));
	json_object_object_add(o, "rule_id", json_object_new_int64(g->rule_id));
	json_object_object_add(o, "created_at", json_object_new_int64(g->created_at));
	json_object_object_add(o, "expires_at", json_object_new_int64(g->expires_at));
	if (g->reason)
		json_object_object_add(o, "reason", json_object_new_string(g->reason));
	if (g->request)
		json_object_object_add(o, "request_id", json_object_new_string(g->request));
	return o;
}

static int parse_ports(const char *s, struct egrant *g, struct sl_diag *d)
{
	char buf[256], *tok, *save;

	if (!s || !*s)
		return 0;
	if (strlen(s) >= sizeof(buf)) {
		sl_diag_add(d, NULL, "--ports is too long");
		return -EINVAL;
	}
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (g->n_ports == SL_GRANT_PORTS) {
			sl_diag_add(d, NULL, "at most %d port ranges in one grant", SL_GRANT_PORTS);
			return -EINVAL;
		}
		if (sl_port_range_parse(tok, &g->ports[g->n_ports].lo, &g->ports[g->n_ports].hi)) {
			sl_diag_add(d, NULL, "bad port \"%s\": a port 1-65535 or a range lo-hi", tok);
			return -EINVAL;
		}
		g->n_ports++;
	}
	return 0;
}

/* Check a request and fill a grant from it; nothing is kept on error. */
static int grant_fill(struct sl_engine *e, const struct sl_grant_req *q, struct egrant *g,
		      struct etask **task, struct sl_diag *d)
{
	struct eagent *a = eng_agent_find(e, q->agent);
	struct sl_clock clk;
	const char *why;
	int p;

	if (!a) {
		sl_diag_add(d, NULL, "unknown agent \"%s\" (see `sluicectl agents`)", q->agent);
		return -ENOENT;
	}
	if (!q->ttl_ns || q->ttl_ns > e->max_ttl_ns) {
		char max[32];

		sl_duration_format(e->max_ttl_ns, max, sizeof(max));
		sl_diag_add(d, NULL, "a grant needs a TTL, at most %s (sluiced --max-ttl)", max);
		return -EINVAL;
	}
	if (sl_dest_parse(q->to, &g->to, &why)) {
		sl_diag_add(d, NULL, "bad destination \"%s\": %s", q->to, why);
		return -EINVAL;
	}
	p = q->proto ? sl_proto_parse(q->proto) : SL_PROTO_ANY;
	if (p < 0) {
		sl_diag_add(d, NULL, "bad protocol \"%s\": tcp, udp or any", q->proto);
		return -EINVAL;
	}
	if (parse_ports(q->ports, g, d))
		return -EINVAL;
	if (q->task) {
		*task = eng_task_find(e, q->task);
		if (*task && (*task)->agent != a->id) {
			sl_diag_add(d, NULL, "task \"%s\" belongs to another agent", q->task);
			return -EINVAL;
		}
		if (*task && (*task)->expired) {
			sl_diag_add(d, NULL, "task \"%s\" is past its TTL", q->task);
			return -EINVAL;
		}
		if (!*task && !(*task = eng_task_new(e, q->task, a, 0, 0, d)))
			return -EINVAL;
	}
	eng_now(&clk);
	g->proto = (uint8_t)p;
	g->agent = a->id;
	g->task = *task ? (*task)->id : 0;
	g->expires_ns = clk.boot_ns + q->ttl_ns;
	g->expires_at = clk.real_s + (int64_t)(q->ttl_ns / 1000000000ull);
	g->created_at = clk.real_s;
	return 0;
}

int sl_engine_grant(struct sl_engine *e, const struct sl_grant_req *q,
		    const struct sl_actor *who, json_object **result, struct sl_diag *d)
{
	struct egrant *g = calloc(1, sizeof(*g)), **grown;
	struct etask *t = NULL;
	json_object *f;
	int err;

	if (!g)
		return -ENOMEM;
	err = grant_fill(e, q, g, &t, d);
	grown = err ? NULL : realloc(e->grants, (e->n_grants + 1) * sizeof(*grown));
	if (!err && !grown)
		err = -ENOMEM;
	if (err) {
		eng_grant_free(g);
		return err;
	}
	e->grants = grown;
	snprintf(g->id, sizeof(g->id), "g-%llu", (unsigned long long)++e->next_grant);
	g->rule_id = e->next_rule++;
	g->by = *who;
	g->reason = q->reason ? strdup(q->reason) : NULL;
	g->request = q->request ? strdup(q->request) : NULL;
	e->grants[e->n_grants++] = g;
	err = eng_scope_rebuild(e, g->agent, g->task);
	if (err) {
		e->n_grants--;
		sl_diag_add(d, NULL, "the grant does not fit in the kernel set: %s", strerror(-err));
		eng_grant_free(g);
		return err;
	}
	pr_info("grant %s to %s%s%s\n", g->id, q->agent, t ? " task " : "", t ? t->name : "");
	f = grant_json(e, g);
	json_object_object_add(f, "operator", sl_actor_json(who));
	eng_notify(e, "grant", f);
	eng_state_save(e);
	*result = grant_json(e, g);
	return 0;
}

/* A scope (agent, task) seen while taking grants, to rebuild once after. */
struct scopes {
	uint32_t (*v)[2];
	size_t n;
};

static void scopes_add(struct scopes *sc, uint32_t agent, uint32_t task)
{
	uint32_t (*p)[2];

	for (size_t i = 0; i < sc->n; i++)
		if (sc->v[i][0] == agent && sc->v[i][1] == task)
			return;
	p = realloc(sc->v, (sc->n + 1) * sizeof(*p));
	if (!p)
		return;	/* rebuilt by the caller's fallback below */
	sc->v = p;
	sc->v[sc->n][0] = agent;
	sc->v[sc->n++][1] = task;
}

/*
 * Remove the grants that match, record each with an event of this type,
 * and bring the scopes they were in up to date.  Returns how many went.
 */
int eng_grants_take(struct sl_engine *e, bool (*match)(const struct egrant *, const void *),
		    const void *arg, const char *type, const char *why,
		    const struct sl_actor *who, json_object *ids)
{
	struct scopes sc = { 0 };
	int n = 0;

	for (size_t i = 0; i < e->n_grants;) {
		struct egrant *g = e->grants[i];
		json_object *f;

		if (!match(g, arg)) {
			i++;
			continue;
		}
		f = grant_json(e, g);
		json_object_object_add(f, "reason", json_object_new_string(why));
		if (who)
			json_object_object_add(f, "operator", sl_actor_json(who));
		eng_notify(e, type, f);
		if (ids)
			json_object_array_add(ids, json_object_new_string(g->id));
		scopes_add(&sc, g->agent, g->task);
		e->grants[i] = e->grants[--e->n_grants];
		eng_grant_free(g);
		n++;
	}
	for (size_t s = 0; s < sc.n; s++)
		eng_scope_rebuild(e, sc.v[s][0], sc.v[s][1]);
	free(sc.v);
	return n;
}

struct scope_sel {
	uint32_t agent, task;
	bool whole_agent;
	const char *id;
	uint64_t now;
};

static bool match_scope(const struct egrant *g, const void *arg)
{
	const struct scope_sel *s = arg;

	if (s->id)
		return !strcmp(g->id, s->id);
	return g->agent == s->agent && (s->whole_agent || g->task == s->task);
}

static bool match_expired(const struct egrant *g, const void *arg)
{
	const struct scope_sel *s = arg;

	return g->expires_ns <= s->now;
}

int eng_grants_drop(struct sl_engine *e, uint32_t agent, uint32_t task, bool whole_agent,
		    const char *why, const struct sl_actor *who)
{
	struct scope_sel s = { .agent = agent, .task = task, .whole_agent = whole_agent };

	return eng_grants_take(e, match_scope, &s, "revoke", why, who, NULL);
}

int eng_grants_expire(struct sl_engine *e, uint64_t now_ns)
{
	struct scope_sel s = { .now = now_ns };

	return eng_grants_take(e, match_expired, &s, "expiry", "its TTL ran out", NULL, NULL);
}

int sl_engine_revoke(struct sl_engine *e, const char *grant, const char *task,
		     const char *agent, const struct sl_actor *who,
		     json_object **result, struct sl_diag *d)
{
	struct scope_sel s = { .id = grant };
	json_object *ids = json_object_new_array(), *r;
	const struct etask *t;
	struct eagent *a;

	if (task) {
		t = eng_task_find(e, task);
		if (!t) {
			sl_diag_add(d, NULL, "no task \"%s\"", task);
			goto fail;
		}
		s.agent = t->agent;
		s.task = t->id;
	} else if (agent) {
		a = eng_agent_find(e, agent);
		if (!a) {
			sl_diag_add(d, NULL, "unknown agent \"%s\"", agent);
			goto fail;
		}
		s.agent = a->id;
		s.whole_agent = true;
	}
	if (!eng_grants_take(e, match_scope, &s, "revoke", "revoked by an operator", who, ids) && grant) {
		sl_diag_add(d, NULL, "no grant \"%s\" (see `sluicectl grants`)", grant);
		goto fail;
	}
	eng_sweep(e, "revoke");
	eng_state_save(e);
	r = json_object_new_object();
	json_object_object_add(r, "revoked", ids);
	*result = r;
	return 0;
fail:
	json_object_put(ids);
	return -ENOENT;
}

json_object *sl_engine_grants(struct sl_engine *e, const char *agent, const char *task)
{
	json_object *arr = json_object_new_array();
	struct sl_clock clk;

	eng_now(&clk);
	for (size_t i = 0; i < e->n_grants; i++) {
		const struct egrant *g = e->grants[i];
		const struct eagent *a = eng_agent_by_id(e, g->agent);
		const struct etask *t = g->task ? eng_task_by_id(e, g->task) : NULL;
		json_object *o;

		if ((agent && (!a || strcmp(agent_pol(a)->name, agent))) ||
		    (task && (!t || strcmp(t->name, task))))
			continue;
		o = grant_json(e, g);
		json_object_object_add(o, "seconds_left", json_object_new_int64(
			g->expires_ns > clk.boot_ns ? (int64_t)((g->expires_ns - clk.boot_ns) / 1000000000ull) : 0));
		json_object_array_add(arr, o);
	}
	return arr;
}

bool eng_grant_rule(const struct sl_engine *e, uint32_t rule_id, struct sl_rule_info *ri)
{
	for (size_t i = 0; i < e->n_grants; i++) {
		const struct egrant *g = e->grants[i];
		const struct eagent *a;

		if (g->rule_id != rule_id)
			continue;
		a = eng_agent_by_id(e, g->agent);
		*ri = (struct sl_rule_info){
			.agent = a ? agent_pol(a)->name : NULL, .section = "grant",
			.index = -1, .id = g->id,
		};
		return true;
	}
	return false;
}

void eng_sweep(struct sl_engine *e, const char *why)
{
	int err = sl_maps_sweep(e->maps);

	if (err && err != -ENOTSUP)
		pr_warn("revocation sweep after %s failed: %s\n", why, strerror(-err));
}
