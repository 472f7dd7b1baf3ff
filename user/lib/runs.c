// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runs: the cgroups `sluicectl run` places commands in, their end when the
 * last process leaves, and adopting the runs an earlier daemon left.
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

bool eng_token_valid(const char *s)
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

int eng_subject_add(struct sl_engine *e, const struct esubject *s)
{
	struct esubject *grown = realloc(e->subj, (e->n_subj + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	e->subj = grown;
	e->subj[e->n_subj++] = *s;
	return 0;
}

int eng_watch_run(struct sl_engine *e, const char *path)
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

static int run_delegator(struct sl_engine *e, const struct sl_run_req *q,
			 struct etask **up, struct sl_diag *d)
{
	*up = NULL;
	if (!q->delegated_by)
		return 0;
	*up = eng_task_find(e, q->delegated_by);
	if (!*up || (*up)->runs < 0) {
		sl_diag_add(d, NULL, "no task \"%s\" to work for (see `sluicectl tasks`)",
			    q->delegated_by);
		return -ENOENT;
	}
	if (eng_task_depth(e, *up) + 1 > SL_MAX_CHAIN) {
		sl_diag_add(d, NULL, "delegation deeper than %d tasks", SL_MAX_CHAIN);
		return -EINVAL;
	}
	return 0;
}

/* The task a run joins or starts, or none; a delegated run always has one. */
static int run_task(struct sl_engine *e, const struct sl_run_req *q, const struct eagent *a,
		    struct etask **out, struct sl_diag *d)
{
	char gen[SL_NAME_MAX + 1];
	const char *name = q->task;
	struct etask *up, *t;
	int err;

	*out = NULL;
	err = run_delegator(e, q, &up, d);
	if (err)
		return err;
	if (up && !name) {
		snprintf(gen, sizeof(gen), "%s.%s.%llu", up->name, agent_pol(a)->name,
			 (unsigned long long)++e->run_seq);
		name = gen;
	}
	if (!name) {
		if (!q->ttl_ns)
			return 0;
		sl_diag_add(d, NULL, "--ttl belongs to a task: give --task too");
		return -EINVAL;
	}
	t = eng_task_find(e, name);
	if (!t) {
		*out = eng_task_new(e, name, a, up ? up->id : 0, q->ttl_ns, d);
		return *out ? 0 : -EINVAL;
	}
	if (t->agent != a->id)
		sl_diag_add(d, NULL, "task \"%s\" belongs to another agent", name);
	else if (q->ttl_ns)
		sl_diag_add(d, NULL, "task \"%s\" has started; its TTL was set then", name);
	else if (t->delegator != (up ? up->id : 0))
		sl_diag_add(d, NULL, "task \"%s\" works for another delegator", name);
	else if (t->runs < 0)
		sl_diag_add(d, NULL, "task \"%s\" is ending", name);
	else
		*out = t;
	return *out ? 0 : -EINVAL;
}

static json_object *run_json(const struct esubject *s, const char *agent,
			     const struct etask *t, pid_t pid)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "agent", json_object_new_string(agent));
	json_object_object_add(r, "run", json_object_new_string(s->run));
	json_object_object_add(r, "cgroup", json_object_new_string(s->path));
	json_object_object_add(r, "cgroup_id", json_object_new_uint64(s->cgroup));
	json_object_object_add(r, "pid", json_object_new_int(pid));
	if (t)
		json_object_object_add(r, "task", json_object_new_string(t->name));
	return r;
}

int sl_engine_run(struct sl_engine *e, const struct sl_run_req *q,
		  json_object **result, struct sl_diag *d)
{
	struct esubject s = { .wd = -1 };
	struct etask *t = NULL;
	struct eagent *a;
	int err;

	a = eng_agent_find(e, q->agent);
	if (!a) {
		sl_diag_add(d, NULL, "unknown agent \"%s\" (see `sluicectl agents`)", q->agent);
		return -ENOENT;
	}
	err = run_task(e, q, a, &t, d);
	if (err)
		return err;
	if (t)
		t->runs++;
	err = run_cgroup(e, a, t, &s);
	if (!err && (!s.path || !s.run || !s.agent_name))
		err = -ENOMEM;
	if (!err)
		err = sl_cgroup_move(s.path, q->pid);
	if (!err) {
		s.wd = eng_watch_run(e, s.path);
		err = eng_subject_add(e, &s);
	}
	if (err) {
		sl_diag_add(d, NULL, "cannot start a run of %s: %s", q->agent, strerror(-err));
		if (s.path) {
			sl_maps_subject_del(e->maps, s.cgroup);
			sl_cgroup_destroy(s.path, 1000);
		}
		eng_subject_free(&s);
		if (t)
			eng_task_drop(e, t->id);
		return err;
	}
	pr_info("run %s of agent %s%s%s: pid %d in %s\n", s.run, q->agent, t ? " task " : "",
		t ? t->name : "", (int)q->pid, s.path);
	eng_state_save(e);
	*result = run_json(&s, q->agent, t, q->pid);
	return 0;
}

int sl_engine_watch_fd(const struct sl_engine *e)
{
	return e->ino_fd;
}

void eng_subject_end(struct sl_engine *e, size_t i)
{
	struct esubject s = e->subj[i];
	json_object *f = json_object_new_object();

	/* Out of the list first: ending its task may end the task's other runs. */
	e->subj[i] = e->subj[--e->n_subj];
	pr_info("run %s of agent %s ended\n", s.run, s.agent_name);
	json_object_object_add(f, "agent", json_object_new_string(s.agent_name));
	json_object_object_add(f, "run", json_object_new_string(s.run));
	json_object_object_add(f, "cgroup", json_object_new_string(s.path));
	eng_notify(e, "run_end", f);
	if (s.wd >= 0)
		inotify_rm_watch(e->ino_fd, s.wd);
	sl_maps_subject_del(e->maps, s.cgroup);
	/* Sub-cgroups an agent made are removed with it. */
	sl_cgroup_destroy(s.path, 1000);
	if (s.task)
		eng_task_drop(e, s.task);
	eng_subject_free(&s);
	eng_state_save(e);
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
		eng_subject_end(e, i);
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
void eng_for_each_run(struct sl_engine *e,
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
	eng_for_each_run(e, gap_one, false);
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
	a = eng_agent_find(e, agent);
	/* Its task, if the state file remembers one that still exists. */
	kv = (struct sl_subject){ .agent = a ? a->id : 0, .task = eng_remembered_task(e, s.cgroup) };
	s.agent = kv.agent;
	s.task = kv.task;
	if (s.task)
		((struct etask *)eng_task_by_id(e, s.task))->runs++;
	s.path = strdup(path);
	s.run = strdup(run);
	s.agent_name = strdup(agent);
	if (!s.path || !s.run || !s.agent_name || sl_maps_subject_put(e->maps, s.cgroup, &kv) ||
	    eng_subject_add(e, &s)) {
		eng_subject_free(&s);
		return;
	}
	e->subj[e->n_subj - 1].wd = eng_watch_run(e, path);
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
			if (!eng_agent_by_id(e, ids[i]))
				sl_maps_agent_del(e->maps, ids[i]);
	free(ids);
	if (!sl_maps_task_ids(e->maps, &ids, &n))
		for (size_t i = 0; i < n; i++)
			if (!eng_task_by_id(e, ids[i]))
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
			for (size_t j = 0; t == SL_TRIE_GRANTS && j < e->n_tasks; j++)
				used |= ids[i] == e->tasks[j]->dyn.set;
			if (!used)
				sl_maps_set_purge(e->maps, t, ids[i]);
		}
		free(ids);
	}
}

static bool grant_orphaned(const struct egrant *g, const void *arg)
{
	const struct sl_engine *e = arg;

	return !eng_agent_by_id(e, g->agent) || (g->task && !eng_task_by_id(e, g->task));
}

/*
 * Restored grants whose agent the policy no longer names go; the others
 * are written again into their scopes' sets (the same keys and values the
 * kernel holds, so nothing changes for the agents).
 */
static void adopt_grants(struct sl_engine *e)
{
	eng_grants_take(e, grant_orphaned, e, "revoke", "agent or task gone after a restart",
			NULL, NULL);
	for (size_t i = 0; i < e->n_agents; i++)
		eng_scope_rebuild(e, e->agents[i].id, 0);
	for (size_t i = 0; i < e->n_tasks; i++)
		eng_scope_rebuild(e, e->tasks[i]->agent, e->tasks[i]->id);
}

int sl_engine_adopt(struct sl_engine *e)
{
	for (size_t i = 0; i < e->n_tasks;) {
		/* A task of an agent the policy no longer names ends here. */
		if (eng_agent_by_id(e, e->tasks[i]->agent)) {
			i++;
			continue;
		}
		eng_task_free(e->tasks[i]);
		e->tasks[i] = e->tasks[--e->n_tasks];
	}
	adopt_grants(e);
	eng_for_each_run(e, adopt_run, true);
	eng_remembered_free(e);
	drop_stale(e);
	eng_state_save(e);
	return 0;
}
