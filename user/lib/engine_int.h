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

/*
 * A set in sl_grants that changes key by key: one scope's grants (and the
 * addresses learned for its names).  Policy sets are replaced whole
 * (apply.c); these are small and change often.
 */
struct dynset {
	uint32_t set;			/* 0 until first written */
	struct sl_cset cs;		/* what the kernel holds for it */
	bool unsynced;			/* restored: cs is not known, reconcile */
};

struct eagent {
	uint32_t id;			/* key in sl_agents */
	struct sl_agent kv;		/* its value, as written */
	struct sl_cset cset;		/* what its policy set holds */
	struct agen cur;
	struct agen prev;		/* kept for events still in flight */
	struct dynset dyn;		/* agent-wide grants; kv.grant_set */
};

struct etask {
	uint32_t id;			/* key in sl_tasks */
	char *name;
	uint32_t agent;
	uint32_t delegator;		/* task id, 0 for none */
	uint64_t expires_ns;		/* CLOCK_BOOTTIME; 0 never */
	int64_t expires_at;		/* the same as Unix seconds */
	int64_t started_at;
	bool expired;			/* its TTL passed: grants taken */
	int runs;			/* live runs */
	struct dynset dyn;		/* its grants; kv.grant_set */
};

#define SL_GRANT_PORTS 8

struct egrant {
	char id[24];			/* "g-17" */
	uint32_t rule_id;		/* in the entries and in events */
	uint32_t agent;
	uint32_t task;			/* 0: agent-wide */
	struct sl_dest to;
	struct sl_ports ports[SL_GRANT_PORTS];
	size_t n_ports;			/* 0: every port */
	uint8_t proto;
	uint64_t expires_ns;		/* CLOCK_BOOTTIME */
	int64_t expires_at;		/* Unix seconds */
	int64_t created_at;
	char *reason;
	char *request;			/* approval request it came from */
	struct sl_actor by;
};

/*
 * An address a DNS answer gave one scope (an agent, or a task) for a name:
 * while some rule or grant of that scope still allows the name, the scope's
 * set allows the address as that rule does, until the expiry (the record's
 * TTL plus a grace).  Kept past the expiry, so that the revocation sweep
 * leaves established connections alone: DNS expiry is not revocation.
 */
struct elearned {
	uint32_t agent;
	uint32_t task;			/* 0: agent-wide */
	uint8_t addr[16];
	char name[254];
	uint32_t rule_id;		/* its own, in entries and events */
	uint64_t expires_ns;		/* CLOCK_BOOTTIME */
};

/* Flattener inputs being gathered. */
struct cinbuf {
	struct sl_cin *v;
	size_t n;
	size_t cap;
};

/* An ask the kernel refused, waiting for an operator. */
struct epending {
	char id[24];			/* "req-4" */
	uint32_t agent;
	uint32_t task;
	uint32_t rule_id;		/* the ask rule */
	uint8_t addr[16];
	uint16_t port;
	uint8_t proto;
	int64_t first, last;		/* Unix seconds */
	uint64_t count;
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

/* An agent an earlier daemon knew (state.c): its id and grant set stay. */
struct eremembered {
	char *name;
	uint32_t id;
	uint32_t grant_set;
};

/* A run an earlier daemon recorded: its task, until the run is adopted. */
struct eremrun {
	uint64_t cgroup;
	uint32_t task;
};

struct sl_engine {
	char root[PATH_MAX];
	struct gaprun *gap;
	size_t n_gap;
	struct sl_maps *maps;
	struct eagent *agents;
	size_t n_agents;
	struct etask **tasks;
	size_t n_tasks;
	struct egrant **grants;
	size_t n_grants;
	struct epending *pend;
	size_t n_pend;
	struct elearned **learned;
	size_t n_learned;
	uint64_t dns_grace_ns, dns_max_ttl_ns;
	bool state_dirty;		/* a change the next tick saves */
	struct esubject *subj;
	size_t n_subj;
	uint32_t next_agent, next_set, next_rule, next_task, version;
	uint64_t run_seq, next_grant, next_req;
	uint64_t max_ttl_ns;
	char *state_path;
	struct eremembered *remembered;
	size_t n_remembered;
	struct eremrun *rem_runs;
	size_t n_rem_runs;
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

/* tasks.c */
struct etask *eng_task_new(struct sl_engine *e, const char *name, const struct eagent *a,
			   uint32_t delegator, uint64_t ttl_ns, struct sl_diag *d);
void eng_task_free(struct etask *t);
int eng_task_depth(const struct sl_engine *e, const struct etask *t);
int eng_task_put(struct sl_engine *e, const struct etask *t);
void eng_task_expire(struct sl_engine *e, uint64_t now_ns);

/* grants.c */
int eng_scope_rebuild(struct sl_engine *e, uint32_t agent, uint32_t task);
int eng_grants_drop(struct sl_engine *e, uint32_t agent, uint32_t task, bool whole_agent,
		    const char *why, const struct sl_actor *who);
bool eng_grant_rule(const struct sl_engine *e, uint32_t rule_id, struct sl_rule_info *ri);
int eng_grants_expire(struct sl_engine *e, uint64_t now_ns);
int eng_grants_take(struct sl_engine *e, bool (*match)(const struct egrant *, const void *),
		    const void *arg, const char *type, const char *why,
		    const struct sl_actor *who, json_object *ids);
void eng_grant_free(struct egrant *g);
void eng_sweep(struct sl_engine *e, const char *why);

int eng_cin_push(struct cinbuf *b, const struct sl_prefix *pfx, uint16_t lo, uint16_t hi,
		 uint8_t proto, uint8_t action, uint16_t flags, uint32_t rule_id, uint64_t expires);

/* names.c */
int eng_learned_inputs(struct sl_engine *e, uint32_t agent, uint32_t task, struct cinbuf *b);
bool eng_learned_rule(const struct sl_engine *e, uint32_t rule_id, struct sl_rule_info *ri);
void eng_learned_free(struct sl_engine *e);

/* approvals.c */
void eng_pending_expire(struct sl_engine *e, int64_t now_s);

/* state.c */
void eng_state_save(struct sl_engine *e);
const struct eremembered *eng_remembered(const struct sl_engine *e, const char *name);
uint32_t eng_remembered_task(const struct sl_engine *e, uint64_t cgroup);
void eng_remembered_free(struct sl_engine *e);

bool eng_token_valid(const char *s);
const struct eagent *eng_agent_by_id(const struct sl_engine *e, uint32_t id);
const struct etask *eng_task_by_id(const struct sl_engine *e, uint32_t id);
int eng_subject_add(struct sl_engine *e, const struct esubject *s);
int eng_watch_run(struct sl_engine *e, const char *path);
struct eagent *eng_agent_find(struct sl_engine *e, const char *name);
struct etask *eng_task_find(struct sl_engine *e, const char *name);
void eng_for_each_run(struct sl_engine *e,
			 void (*fn)(struct sl_engine *, const char *, const char *, const char *),
			 bool rm_empty_agent_dirs);
void eng_notify(struct sl_engine *e, const char *type, json_object *fields);
void eng_now(struct sl_clock *clk);
void eng_pb_put(struct pbundle *pb);
void eng_subject_free(struct esubject *s);
void eng_subject_end(struct sl_engine *e, size_t i);
void eng_task_drop(struct sl_engine *e, uint32_t id);

#endif
