// SPDX-License-Identifier: GPL-2.0-only
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
#include "engine.h"
#include "log.h"

/* A parsed policy shared by the agents it defines. */
struct pbundle {
	struct sl_policy pol;
	int refs;
};

/* One generation of an agent's policy: where its rules and ids come from. */
struct agen {
	struct pbundle *pb;
	size_t idx;			/* agent index in pb->pol */
	uint32_t rule_base;		/* rule ids rule_base .. + n_rules */
};

struct eagent {
	uint32_t id;			/* key in sl_agents */
	struct sl_agent kv;		/* its value, as written */
	struct sl_cset cset;		/* what its policy set holds */
	struct agen cur;
	struct agen prev;		/* kept for events still in flight */
};

struct etask {
	uint32_t id;			/* key in sl_tasks */
	char *name;
	uint32_t agent;
	int runs;
};

struct esubject {
	uint64_t cgroup;
	uint32_t agent;			/* 0 when its agent was removed */
	uint32_t task;
	char *path;
	char *run;
	char *agent_name;
	int wd;
};

/* A run cgroup found on disk at start, to name events made while no daemon ran. */
struct gaprun {
	uint64_t cgroup;
	char *agent;
	char *run;
	char *path;
};

struct sl_engine {
	char root[PATH_MAX];
	struct gaprun *gap;
	size_t n_gap;
	struct sl_maps *maps;
	struct eagent *agents;
	size_t n_agents;
	struct etask *tasks;
	size_t n_tasks;
	struct esubject *subj;
	size_t n_subj;
	uint32_t next_agent, next_set, next_rule, next_task, version;
	uint64_t run_seq;
	int ino_fd;
	sl_notify_fn notify;
	void *ctx;
};

static const struct sl_agent_policy *agen_pol(const struct agen *g)
{
	return &g->pb->pol.agents[g->idx];
}

static const struct sl_agent_policy *agent_pol(const struct eagent *a)
{
	return agen_pol(&a->cur);
}

static void pb_put(struct pbundle *pb)
{
	if (pb && --pb->refs == 0) {
		sl_policy_free(&pb->pol);
		free(pb);
	}
}

static struct eagent *find_agent(struct sl_engine *e, const char *name)
{
	for (size_t i = 0; i < e->n_agents; i++)
		if (!strcmp(agent_pol(&e->agents[i])->name, name))
			return &e->agents[i];
	return NULL;
}

static const struct eagent *agent_by_id(const struct sl_engine *e, uint32_t id)
{
	for (size_t i = 0; i < e->n_agents; i++)
		if (e->agents[i].id == id)
			return &e->agents[i];
	return NULL;
}

static struct etask *find_task(struct sl_engine *e, const char *name)
{
	for (size_t i = 0; i < e->n_tasks; i++)
		if (!strcmp(e->tasks[i].name, name))
			return &e->tasks[i];
	return NULL;
}

static const struct etask *task_by_id(const struct sl_engine *e, uint32_t id)
{
	for (size_t i = 0; i < e->n_tasks; i++)
		if (e->tasks[i].id == id)
			return &e->tasks[i];
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
	e->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (e->ino_fd < 0) {
		free(e);
		return -errno;
	}
	seed_ids(e);
	*out = e;
	return 0;
}

static void subject_free(struct esubject *s)
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
		pb_put(e->agents[i].cur.pb);
		pb_put(e->agents[i].prev.pb);
	}
	for (size_t i = 0; i < e->n_tasks; i++)
		free(e->tasks[i].name);
	for (size_t i = 0; i < e->n_subj; i++)
		subject_free(&e->subj[i]);
	sl_engine_gap_done(e);
	free(e->agents);
	free(e->tasks);
	free(e->subj);
	close(e->ino_fd);
	free(e);
}

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
	if (a->mode != b->mode || a->log_allowed != b->log_allowed ||
	    !str_eq(a->spiffe_id, b->spiffe_id) || !str_eq(a->owner, b->owner) ||
	    !str_eq(a->description, b->description) || a->n_rules != b->n_rules)
		return false;
	for (size_t i = 0; i < a->n_rules; i++)
		if (!rule_eq(&a->rules[i], &b->rules[i]))
			return false;
	return true;
}

static void now_clock(struct sl_clock *clk)
{
	struct timespec b, r;

	clock_gettime(CLOCK_BOOTTIME, &b);
	clock_gettime(CLOCK_REALTIME, &r);
	clk->boot_ns = (uint64_t)b.tv_sec * 1000000000ull + (uint64_t)b.tv_nsec;
	clk->real_s = r.tv_sec;
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

static uint16_t agent_flags(const struct sl_agent_policy *ap)
{
	return ap->log_allowed ? SL_AGENT_LOG_ALLOWED : 0;
}

static int plan_compile(struct sl_engine *e, struct pbundle *pb, struct plan *p,
			uint32_t *rule, const struct sl_clock *clk, struct sl_diag *d)
{
	const struct sl_agent_policy *ap = &pb->pol.agents[p->idx];
	struct sl_cin *in = NULL;
	size_t n = 0;
	int err;

	p->cur = find_agent(e, ap->name);
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
		      size_t n, uint32_t version)
{
	uint32_t set = e->next_set, agent = e->next_agent;
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		struct plan *p = &plans[i];

		if (p->ch != CH_ADD && p->ch != CH_UPDATE)
			continue;
		const struct sl_agent_policy *ap = &pb->pol.agents[p->idx];

		p->id = p->cur ? p->cur->id : agent++;
		p->kv = (struct sl_agent){
			.policy_set = set++,
			.grant_set = p->cur ? p->cur->kv.grant_set : SL_SET_NONE,
			.version = version,
			.mode = ap->mode,
			.flags = agent_flags(ap),
		};
		err = sl_maps_set_write(e->maps, SL_TRIE_RULES, p->kv.policy_set, &p->cs);
		p->written = !err;
	}
	for (size_t i = 0; i < n && !err; i++) {
		struct plan *p = &plans[i];

		if (p->ch != CH_ADD && p->ch != CH_UPDATE)
			continue;
		err = sl_maps_agent_put(e->maps, p->id, &p->kv);
		p->switched = !err;
	}
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
	subjects_orphan(e, a->id);
	sl_maps_agent_del(e->maps, a->id);
	sl_maps_set_delete(e->maps, SL_TRIE_RULES, a->kv.policy_set, &a->cset);
	sl_cset_free(&a->cset);
	pb_put(a->cur.pb);
	pb_put(a->prev.pb);
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
			a = find_agent(e, pb->pol.agents[p->idx].name);
			sl_maps_set_delete(e->maps, SL_TRIE_RULES, a->kv.policy_set, &a->cset);
			sl_cset_free(&a->cset);
			pb_put(a->prev.pb);
			a->prev = a->cur;
		}
		a->id = p->id;
		a->kv = p->kv;
		a->cset = p->cs;
		p->cs = (struct sl_cset){ 0 };
		a->cur = (struct agen){ .pb = pb, .idx = p->idx, .rule_base = p->rule_base };
		pb->refs++;
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

static json_object *apply_result(struct sl_engine *e, struct pbundle *pb,
				 struct plan *plans, size_t n, json_object *changes)
{
	json_object *r = json_object_new_object();
	int changed = 0;

	for (size_t i = 0; i < n; i++) {
		const char *name = pb->pol.agents[plans[i].idx].name;

		changed += plans[i].ch != CH_NONE;
		json_object_array_add(changes, change_json(name, plans[i].ch, find_agent(e, name)));
	}
	changed += (int)json_object_array_length(changes) - (int)n;
	json_object_object_add(r, "changed", json_object_new_boolean(changed > 0));
	json_object_object_add(r, "version", json_object_new_int64(e->version));
	json_object_object_add(r, "changes", changes);
	return r;
}

int sl_engine_apply(struct sl_engine *e, struct sl_policy *pol, bool prune,
		    json_object **result, struct sl_diag *d)
{
	struct pbundle *pb = calloc(1, sizeof(*pb));
	uint32_t rule = e->next_rule, version = e->version + 1;
	json_object *changes = json_object_new_array();
	struct plan *plans = NULL;
	struct sl_clock clk;
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
	now_clock(&clk);
	for (size_t i = 0; i < n; i++) {
		plans[i].idx = i;
		if (plan_compile(e, pb, &plans[i], &rule, &clk, d) && !err)
			err = -EINVAL;
		any |= plans[i].ch != CH_NONE;
	}
	if (err)
		goto out;
	if (any) {
		err = plan_write(e, pb, plans, n, version);
		if (!err) {
			err = plan_commit(e, pb, plans, n);
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
	if (removed_agents(e, &pb->pol, prune, changes) || any)
		e->version = version;
	*result = apply_result(e, pb, plans, n, changes);
	changes = NULL;
out:
	for (size_t i = 0; plans && i < n; i++)
		sl_cset_free(&plans[i].cs);
	free(plans);
	pb_put(pb);
out_free:
	json_object_put(changes);
	return err;
}

static bool token_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SL_NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static struct etask *task_get(struct sl_engine *e, const char *name, const struct eagent *a,
			      struct sl_diag *d)
{
	struct sl_task kv = { .agent = a->id };
	struct etask *t = find_task(e, name), *grown;

	if (t) {
		if (t->agent != a->id) {
			sl_diag_add(d, NULL, "task \"%s\" belongs to another agent", name);
			return NULL;
		}
		return t;
	}
	grown = realloc(e->tasks, (e->n_tasks + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	e->tasks = grown;
	t = &e->tasks[e->n_tasks];
	*t = (struct etask){ .id = e->next_task, .agent = a->id, .name = strdup(name) };
	if (!t->name || sl_maps_task_put(e->maps, t->id, &kv)) {
		free(t->name);
		sl_diag_add(d, NULL, "cannot record task \"%s\"", name);
		return NULL;
	}
	e->next_task++;
	e->n_tasks++;
	return t;
}

static void task_drop(struct sl_engine *e, uint32_t id)
{
	for (size_t i = 0; i < e->n_tasks; i++) {
		struct etask *t = &e->tasks[i];

		if (t->id != id || --t->runs > 0)
			continue;
		sl_maps_task_del(e->maps, t->id);
		free(t->name);
		*t = e->tasks[--e->n_tasks];
		return;
	}
}

static int subject_add(struct sl_engine *e, const struct esubject *s)
{
	struct esubject *grown = realloc(e->subj, (e->n_subj + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	e->subj = grown;
	e->subj[e->n_subj++] = *s;
	return 0;
}

static int watch_run(struct sl_engine *e, const char *path)
{
	char file[PATH_MAX];

	snprintf(file, sizeof(file), "%s/cgroup.events", path);
	return inotify_add_watch(e->ino_fd, file, IN_MODIFY);
}

/* Make the run's cgroup and enter it into the kernel, in that order. */
static int run_cgroup(struct sl_engine *e, const struct eagent *a, const struct etask *t,
		      struct esubject *s)
{
	char path[PATH_MAX], run[SL_NAME_MAX + 32];
	struct sl_subject kv = { .agent = a->id, .task = t ? t->id : 0 };
	int err;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", e->root, agent_pol(a)->name) >= sizeof(path))
		return -ENAMETOOLONG;
	err = sl_cgroup_mkdir(path);
	if (err)
		return err;
	e->run_seq++;
	if (t)
		snprintf(run, sizeof(run), "t-%s-%llu", t->name, (unsigned long long)e->run_seq);
	else
		snprintf(run, sizeof(run), "r-%llu", (unsigned long long)e->run_seq);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", e->root, agent_pol(a)->name, run) >= sizeof(path))
		return -ENAMETOOLONG;
	if (mkdir(path, 0755))
		return -errno;
	err = sl_cgroup_id(path, &s->cgroup);
	if (!err)
		err = sl_maps_subject_put(e->maps, s->cgroup, &kv);
	if (err) {
		rmdir(path);
		return err;
	}
	s->agent = kv.agent;
	s->task = kv.task;
	s->path = strdup(path);
	s->run = strdup(run);
	s->agent_name = strdup(agent_pol(a)->name);
	return 0;
}

int sl_engine_run(struct sl_engine *e, const char *agent, const char *task,
		  pid_t pid, json_object **result, struct sl_diag *d)
{
	struct esubject s = { .wd = -1 };
	struct etask *t = NULL;
	struct eagent *a;
	json_object *r;
	int err;

	a = find_agent(e, agent);
	if (!a) {
		sl_diag_add(d, NULL, "unknown agent \"%s\" (see `sluicectl agents`)", agent);
		return -ENOENT;
	}
	if (task && !token_valid(task)) {
		sl_diag_add(d, NULL, "bad task id \"%s\": use letters, digits, '-', '_', '.' (max %d)",
			    task, SL_NAME_MAX);
		return -EINVAL;
	}
	if (task && !(t = task_get(e, task, a, d)))
		return -EINVAL;
	if (t)
		t->runs++;
	err = run_cgroup(e, a, t, &s);
	if (!err && (!s.path || !s.run || !s.agent_name))
		err = -ENOMEM;
	if (!err)
		err = sl_cgroup_move(s.path, pid);
	if (!err) {
		s.wd = watch_run(e, s.path);
		err = subject_add(e, &s);
	}
	if (err) {
		sl_diag_add(d, NULL, "cannot start a run of %s: %s", agent, strerror(-err));
		if (s.path) {
			sl_maps_subject_del(e->maps, s.cgroup);
			sl_cgroup_destroy(s.path, 1000);
		}
		subject_free(&s);
		if (t)
			task_drop(e, t->id);
		return err;
	}
	pr_info("run %s of agent %s%s%s: pid %d in %s\n", s.run, agent, task ? " task " : "",
		task ? task : "", (int)pid, s.path);
	r = json_object_new_object();
	json_object_object_add(r, "agent", json_object_new_string(agent));
	json_object_object_add(r, "run", json_object_new_string(s.run));
	json_object_object_add(r, "cgroup", json_object_new_string(s.path));
	json_object_object_add(r, "cgroup_id", json_object_new_uint64(s.cgroup));
	if (task)
		json_object_object_add(r, "task", json_object_new_string(task));
	*result = r;
	return 0;
}

int sl_engine_watch_fd(const struct sl_engine *e)
{
	return e->ino_fd;
}

static void notify(struct sl_engine *e, const char *type, json_object *fields)
{
	if (e->notify)
		e->notify(e->ctx, type, fields);
	else
		json_object_put(fields);
}

static void subject_end(struct sl_engine *e, size_t i)
{
	struct esubject *s = &e->subj[i];
	json_object *f = json_object_new_object();

	pr_info("run %s of agent %s ended\n", s->run, s->agent_name);
	json_object_object_add(f, "agent", json_object_new_string(s->agent_name));
	json_object_object_add(f, "run", json_object_new_string(s->run));
	json_object_object_add(f, "cgroup", json_object_new_string(s->path));
	notify(e, "run_end", f);
	if (s->wd >= 0)
		inotify_rm_watch(e->ino_fd, s->wd);
	sl_maps_subject_del(e->maps, s->cgroup);
	/* Sub-cgroups an agent made are removed with it. */
	sl_cgroup_destroy(s->path, 1000);
	if (s->task)
		task_drop(e, s->task);
	subject_free(s);
	e->subj[i] = e->subj[--e->n_subj];
}

void sl_engine_reap(struct sl_engine *e)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool populated;

	while (read(e->ino_fd, buf, sizeof(buf)) > 0)
		;	/* which watch fired matters not: every run is checked */
	for (size_t i = 0; i < e->n_subj;) {
		if (!sl_cgroup_populated(e->subj[i].path, &populated) && populated) {
			i++;
			continue;
		}
		subject_end(e, i);
	}
}

static int gap_add(struct sl_engine *e, const char *agent, const char *run, const char *path)
{
	struct gaprun *grown = realloc(e->gap, (e->n_gap + 1) * sizeof(*grown));
	struct gaprun *g;

	if (!grown)
		return -ENOMEM;
	e->gap = grown;
	g = &e->gap[e->n_gap];
	if (sl_cgroup_id(path, &g->cgroup))
		return 0;
	g->agent = strdup(agent);
	g->run = strdup(run);
	g->path = strdup(path);
	e->n_gap++;
	return 0;
}

/* Call fn for every <root>/<agent>/<run> directory. */
static void for_each_run(struct sl_engine *e,
			 void (*fn)(struct sl_engine *, const char *, const char *, const char *),
			 bool rm_empty_agent_dirs)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de, *re;
	DIR *d, *rd;

	d = opendir(e->root);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", e->root, de->d_name) >= sizeof(dir))
			continue;
		rd = opendir(dir);
		if (!rd)
			continue;
		while ((re = readdir(rd))) {
			if (re->d_type != DT_DIR || re->d_name[0] == '.')
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, re->d_name) < sizeof(path))
				fn(e, de->d_name, re->d_name, path);
		}
		closedir(rd);
		if (rm_empty_agent_dirs)
			rmdir(dir);	/* only succeeds when no run is left */
	}
	closedir(d);
}

static void gap_one(struct sl_engine *e, const char *agent, const char *run, const char *path)
{
	gap_add(e, agent, run, path);
}

void sl_engine_gap_scan(struct sl_engine *e)
{
	for_each_run(e, gap_one, false);
}

void sl_engine_gap_done(struct sl_engine *e)
{
	for (size_t i = 0; i < e->n_gap; i++) {
		free(e->gap[i].agent);
		free(e->gap[i].run);
		free(e->gap[i].path);
	}
	free(e->gap);
	e->gap = NULL;
	e->n_gap = 0;
}

/* An enrolled run cgroup left by an earlier daemon: keep it, re-pointed. */
static void adopt_run(struct sl_engine *e, const char *agent, const char *run,
		      const char *path)
{
	struct esubject s = { .wd = -1 };
	struct sl_subject kv;
	struct eagent *a;
	bool populated;

	if (sl_cgroup_id(path, &s.cgroup) || sl_maps_subject_get(e->maps, s.cgroup, &kv))
		return;	/* not enrolled: the kernel denies it anyway */
	if (!sl_cgroup_populated(path, &populated) && !populated) {
		sl_maps_subject_del(e->maps, s.cgroup);
		sl_cgroup_destroy(path, 1000);
		return;
	}
	a = find_agent(e, agent);
	/* Tasks are not carried across restarts: the run keeps its agent's policy. */
	kv = (struct sl_subject){ .agent = a ? a->id : 0, .task = 0 };
	s.agent = kv.agent;
	s.path = strdup(path);
	s.run = strdup(run);
	s.agent_name = strdup(agent);
	if (!s.path || !s.run || !s.agent_name || sl_maps_subject_put(e->maps, s.cgroup, &kv) ||
	    subject_add(e, &s)) {
		subject_free(&s);
		return;
	}
	e->subj[e->n_subj - 1].wd = watch_run(e, path);
	pr_info("adopted run %s of agent %s%s\n", run, agent, a ? "" : " (agent no longer in policy: denied)");
}

static bool subject_known(const struct sl_engine *e, uint64_t cg)
{
	for (size_t i = 0; i < e->n_subj; i++)
		if (e->subj[i].cgroup == cg)
			return true;
	return false;
}

/* Remove what the pinned maps hold that the engine does not know. */
static void drop_stale(struct sl_engine *e)
{
	uint64_t *cgs = NULL;
	uint32_t *ids = NULL;
	size_t n = 0;

	if (!sl_maps_subject_ids(e->maps, &cgs, &n))
		for (size_t i = 0; i < n; i++)
			if (!subject_known(e, cgs[i]))
				sl_maps_subject_del(e->maps, cgs[i]);
	free(cgs);
	if (!sl_maps_agent_ids(e->maps, &ids, &n))
		for (size_t i = 0; i < n; i++)
			if (!agent_by_id(e, ids[i]))
				sl_maps_agent_del(e->maps, ids[i]);
	free(ids);
	if (!sl_maps_task_ids(e->maps, &ids, &n))
		for (size_t i = 0; i < n; i++)
			if (!task_by_id(e, ids[i]))
				sl_maps_task_del(e->maps, ids[i]);
	free(ids);
	for (int t = SL_TRIE_RULES; t <= SL_TRIE_GRANTS; t++) {
		if (sl_maps_set_ids(e->maps, t, &ids, &n))
			continue;
		for (size_t i = 0; i < n; i++) {
			bool used = false;

			for (size_t j = 0; j < e->n_agents; j++)
				used |= ids[i] == (t == SL_TRIE_RULES ? e->agents[j].kv.policy_set :
						   e->agents[j].kv.grant_set);
			if (!used)
				sl_maps_set_purge(e->maps, t, ids[i]);
		}
		free(ids);
	}
}

int sl_engine_adopt(struct sl_engine *e)
{
	for_each_run(e, adopt_run, true);
	drop_stale(e);
	return 0;
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
	for (size_t i = 0; i < e->n_agents; i++)
		if (rule_in(&e->agents[i].cur, rule_id, ri) ||
		    rule_in(&e->agents[i].prev, rule_id, ri))
			return true;
	return false;
}

void sl_engine_ident(const struct sl_engine *e, uint64_t cgroup, uint32_t agent,
		     uint32_t task, struct sl_ident *id)
{
	const struct eagent *a = agent_by_id(e, agent);
	const struct etask *t = task_by_id(e, task);

	memset(id, 0, sizeof(*id));
	if (a) {
		id->agent = agent_pol(a)->name;
		id->spiffe_id = agent_pol(a)->spiffe_id;
		id->owner = agent_pol(a)->owner;
	}
	if (t)
		id->task = t->name;
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
	uint16_t flags;
	uint32_t rule;
	uint8_t act;

	a = find_agent(e, agent);
	if (!a) {
		sl_diag_add(d, NULL, "unknown agent \"%s\"", agent);
		return -ENOENT;
	}
	if (task && (!(t = find_task(e, task)) || t->agent != a->id)) {
		sl_diag_add(d, NULL, "agent %s has no task \"%s\"", agent, task);
		return -ENOENT;
	}
	if (sl_maps_agent_get(e->maps, a->id, &kv)) {
		sl_diag_add(d, NULL, "agent %s is missing from the kernel map", agent);
		return -EIO;
	}
	now_clock(&clk);
	act = check_subject(e, &kv, t ? t->id : 0, addr, port, proto, clk.boot_ns, &rule, &flags);
	r = json_object_new_object();
	json_object_object_add(r, "verdict", json_object_new_string(verdict_str(act, kv.mode)));
	json_object_object_add(r, "reason", json_object_new_string(reason_str(act)));
	json_object_object_add(r, "version", json_object_new_int64(kv.version));
	if (rule)
		json_object_object_add(r, "rule_id", json_object_new_int64(rule));
	if (rule && sl_engine_rule(e, rule, &ri)) {
		char where[PATH_MAX + 32];

		snprintf(where, sizeof(where), "%s:%d:%d", ri.loc.file, ri.loc.line, ri.loc.col);
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
	json_object_object_add(r, "policy_version", json_object_new_int64(e->version));
	json_object_object_add(r, "agents", json_object_new_int64((int64_t)e->n_agents));
	json_object_object_add(r, "runs", json_object_new_int64((int64_t)e->n_subj));
	json_object_object_add(r, "tasks", json_object_new_int64((int64_t)e->n_tasks));
	if (!sl_maps_counters(e->maps, c))
		for (int i = 0; i < SL_CNT_MAX; i++)
			json_object_object_add(cnt, cnt_names[i], json_object_new_uint64(c[i]));
	json_object_object_add(r, "counters", cnt);
	return r;
}
