// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tasks: one piece of work of an agent, with its own runs, its own grants
 * (seen by its processes only), an optional TTL, and, for a sub-agent, the
 * task it works for (its delegator).  A task ends when its last run exits
 * or when an operator ends it; its grants go with it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cgroup.h"
#include "engine_int.h"
#include "log.h"

struct etask *eng_task_find(struct sl_engine *e, const char *name)
{
	for (size_t i = 0; i < e->n_tasks; i++)
		if (!strcmp(e->tasks[i]->name, name))
			return e->tasks[i];
	return NULL;
}

const struct etask *eng_task_by_id(const struct sl_engine *e, uint32_t id)
{
	for (size_t i = 0; i < e->n_tasks; i++)
		if (e->tasks[i]->id == id)
			return e->tasks[i];
	return NULL;
}

/* Delegators above t: 0 for a task that works for nobody. */
int eng_task_depth(const struct sl_engine *e, const struct etask *t)
{
	int depth = 0;

	while (t && t->delegator && depth <= SL_MAX_CHAIN) {
		t = eng_task_by_id(e, t->delegator);
		depth++;
	}
	return depth;
}

int eng_task_put(struct sl_engine *e, const struct etask *t)
{
	struct sl_task kv = {
		.agent = t->agent, .grant_set = t->dyn.set,
		.delegator = t->delegator, .expires_ns = t->expires_ns,
	};

	return sl_maps_task_put(e->maps, t->id, &kv);
}

void eng_task_free(struct etask *t)
{
	if (!t)
		return;
	sl_cset_free(&t->dyn.cs);
	free(t->name);
	free(t);
}

static json_object *task_json(const struct sl_engine *e, const struct etask *t)
{
	const struct eagent *a = eng_agent_by_id(e, t->agent);
	const struct etask *up = t->delegator ? eng_task_by_id(e, t->delegator) : NULL;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "task", json_object_new_string(t->name));
	if (a)
		json_object_object_add(o, "agent", json_object_new_string(agent_pol(a)->name));
	if (up)
		json_object_object_add(o, "delegated_by", json_object_new_string(up->name));
	json_object_object_add(o, "runs", json_object_new_int(t->runs));
	json_object_object_add(o, "started_at", json_object_new_int64(t->started_at));
	if (t->expires_at)
		json_object_object_add(o, "expires_at", json_object_new_int64(t->expires_at));
	json_object_object_add(o, "expired", json_object_new_boolean(t->expired));
	return o;
}

struct etask *eng_task_new(struct sl_engine *e, const char *name, const struct eagent *a,
			   uint32_t delegator, uint64_t ttl_ns, struct sl_diag *d)
{
	struct etask **grown, *t;
	struct sl_clock clk;

	if (!eng_token_valid(name)) {
		sl_diag_add(d, NULL, "bad task id \"%s\": use letters, digits, '-', '_', '.' (max %d)",
			    name, SL_NAME_MAX);
		return NULL;
	}
	if (ttl_ns > e->max_ttl_ns) {
		sl_diag_add(d, NULL, "task TTL longer than the maximum (sluiced --max-ttl)");
		return NULL;
	}
	grown = realloc(e->tasks, (e->n_tasks + 1) * sizeof(*grown));
	t = calloc(1, sizeof(*t));
	if (grown)
		e->tasks = grown;
	if (!grown || !t || !(t->name = strdup(name))) {
		free(t);
		return NULL;
	}
	eng_now(&clk);
	t->id = e->next_task++;
	t->agent = a->id;
	t->delegator = delegator;
	t->started_at = clk.real_s;
	if (ttl_ns) {
		t->expires_ns = clk.boot_ns + ttl_ns;
		t->expires_at = clk.real_s + (int64_t)(ttl_ns / 1000000000ull);
	}
	if (eng_task_put(e, t)) {
		sl_diag_add(d, NULL, "cannot record task \"%s\" in the kernel", name);
		eng_task_free(t);
		return NULL;
	}
	e->tasks[e->n_tasks++] = t;
	json_object *f = task_json(e, t);

	eng_notify(e, "task_start", f);
	return t;
}

static void task_remove(struct sl_engine *e, struct etask *t)
{
	for (size_t i = 0; i < e->n_tasks; i++) {
		if (e->tasks[i] != t)
			continue;
		e->tasks[i] = e->tasks[--e->n_tasks];
		break;
	}
	sl_maps_task_del(e->maps, t->id);
	if (t->dyn.set)
		sl_maps_set_delete(e->maps, SL_TRIE_GRANTS, t->dyn.set, &t->dyn.cs);
	eng_task_free(t);
}

/*
 * The end of a task: its grants are revoked, its processes stopped, its
 * cgroups removed and its kernel entry deleted, so that sub-agents it
 * delegated to are refused from now on (the kernel finds no delegator).
 */
static void task_end(struct sl_engine *e, struct etask *t, const char *why,
		     const struct sl_actor *who)
{
	json_object *f = task_json(e, t);

	t->runs = -1;	/* ending: runs that end now do not end it again */
	eng_grants_drop(e, t->agent, t->id, false, why, who);
	for (size_t i = 0; i < e->n_subj;) {
		if (e->subj[i].task != t->id) {
			i++;
			continue;
		}
		sl_cgroup_destroy(e->subj[i].path, 2000);
		eng_subject_end(e, i);
	}
	json_object_object_add(f, "reason", json_object_new_string(why));
	if (who)
		json_object_object_add(f, "operator", sl_actor_json(who));
	pr_info("task %s ended: %s\n", t->name, why);
	task_remove(e, t);
	eng_notify(e, "task_end", f);
	eng_sweep(e, "task end");
	eng_state_save(e);
}

void eng_task_drop(struct sl_engine *e, uint32_t id)
{
	struct etask *t = (struct etask *)eng_task_by_id(e, id);

	if (!t || t->runs < 0)
		return;
	if (--t->runs == 0)
		task_end(e, t, "its last run exited", NULL);
}

int sl_engine_task_end(struct sl_engine *e, const char *task, const struct sl_actor *who,
		       json_object **result, struct sl_diag *d)
{
	struct etask *t = eng_task_find(e, task);
	json_object *r;

	if (!t) {
		sl_diag_add(d, NULL, "no task \"%s\" (see `sluicectl tasks`)", task);
		return -ENOENT;
	}
	r = json_object_new_object();
	json_object_object_add(r, "task", json_object_new_string(task));
	task_end(e, t, "ended by an operator", who);
	*result = r;
	return 0;
}

json_object *sl_engine_tasks(struct sl_engine *e)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < e->n_tasks; i++)
		json_object_array_add(arr, task_json(e, e->tasks[i]));
	return arr;
}

/*
 * A task past its TTL keeps running, with its agent's policy only: the
 * kernel already ignores its grants; here they are taken and recorded.
 */
void eng_task_expire(struct sl_engine *e, uint64_t now_ns)
{
	for (size_t i = 0; i < e->n_tasks; i++) {
		struct etask *t = e->tasks[i];
		json_object *f;

		if (t->expired || !t->expires_ns || t->expires_ns > now_ns)
			continue;
		t->expired = true;
		f = task_json(e, t);
		eng_grants_drop(e, t->agent, t->id, false, "task TTL ran out", NULL);
		eng_notify(e, "task_expired", f);
		eng_sweep(e, "task expiry");
		eng_state_save(e);
	}
}
