/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The engine's insides, shared by its modules: engine.c (state, lookups,
 * check, status), apply.c (policy apply), runs.c (runs and adoption),
 * tasks.c, grants.c, approvals.c and state.c.  Not for other modules.
 */
#ifndef SLUICE_ENGINE_INT_H
#define SLUICE_ENGINE_INT_H

#include <limits.h>
#include "engine.h"

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

static inline const struct sl_agent_policy *agen_pol(const struct agen *g)
{
	return &g->pb->pol.agents[g->idx];
}

static inline const struct sl_agent_policy *agent_pol(const struct eagent *a)
{
	return agen_pol(&a->cur);
}

bool eng_token_valid(const char *s);
const struct eagent *eng_agent_by_id(const struct sl_engine *e, uint32_t id);
const struct etask *eng_task_by_id(const struct sl_engine *e, uint32_t id);
int eng_subject_add(struct sl_engine *e, const struct esubject *s);
int eng_watch_run(struct sl_engine *e, const char *path);
struct eagent *eng_agent_find(struct sl_engine *e, const char *name);
struct etask *eng_task_find(struct sl_engine *e, const char *name);
struct etask *eng_task_get(struct sl_engine *e, const char *name, const struct eagent *a,
			      struct sl_diag *d);
void eng_for_each_run(struct sl_engine *e,
			 void (*fn)(struct sl_engine *, const char *, const char *, const char *),
			 bool rm_empty_agent_dirs);
void eng_notify(struct sl_engine *e, const char *type, json_object *fields);
void eng_now(struct sl_clock *clk);
void eng_pb_put(struct pbundle *pb);
void eng_subject_free(struct esubject *s);
void eng_task_drop(struct sl_engine *e, uint32_t id);

#endif
