/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sluiced's state and the operations on it: the agents it knows and their
 * compiled policies, the cgroups enrolled as their runs, and the kernel
 * maps that mirror both.  Every operation is all-or-nothing: it checks and
 * compiles first, writes new kernel state beside the old, switches with one
 * map update per agent, and only then removes what it replaced.
 */
#ifndef SLUICE_ENGINE_H
#define SLUICE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>
#include "compile.h"
#include "diag.h"
#include "maps.h"
#include "policy.h"

struct sl_engine;

/* Control-plane events the engine reports (fields are taken). */
typedef void (*sl_notify_fn)(void *ctx, const char *type, json_object *fields);

struct sl_engine_cfg {
	const char *cgroup_root;	/* absolute agents root */
	struct sl_maps *maps;		/* owned by the caller */
	sl_notify_fn notify;		/* may be NULL */
	void *ctx;
	uint64_t max_ttl_ns;		/* longest grant or task TTL; 0: 24 h */
	uint64_t dns_grace_ns;		/* added to a DNS TTL; 0: 10 s */
	uint64_t dns_max_ttl_ns;	/* longest a learned address lives; 0: 1 h */
	const char *state_path;		/* where grants and tasks persist; NULL none */
};

/* What an event's ids mean, for enrichment. */
struct sl_ident {
	const char *agent;		/* NULL when unknown */
	const char *spiffe_id;
	const char *owner;
	const char *task;		/* task name or NULL */
	const char *cgroup;		/* run cgroup path or NULL */
	const char *run;		/* run name or NULL */
	const char *delegators[SL_MAX_CHAIN];	/* task names up the chain */
	int n_delegators;
};

struct sl_rule_info {
	const char *agent;
	const char *section;		/* "egress", "deny", "ask", or "grant" */
	int index;			/* within the agent's rules; -1 for a grant */
	const char *id;			/* `id:` label, grant id, or NULL */
	struct sl_loc loc;		/* file NULL for a grant */
	const char *dns_name;		/* for an address learned from DNS */
};

/* Who asked for a change, for the audit trail. */
struct sl_actor {
	uint32_t uid;
	int32_t pid;
};

/* {"uid": ..., "pid": ...} for events. */
json_object *sl_actor_json(const struct sl_actor *who);

/* sluicectl run: what to start, for whom. */
struct sl_run_req {
	const char *agent;
	const char *task;		/* NULL: no task (or a generated one if delegated) */
	const char *delegated_by;	/* task the run works for, or NULL */
	uint64_t ttl_ns;		/* task TTL when the run starts the task; 0 none */
	pid_t pid;			/* the stopped child to place */
};

/* sluicectl grant. */
struct sl_grant_req {
	const char *agent;
	const char *task;		/* NULL: every process of the agent */
	const char *to;			/* address, prefix or name */
	const char *ports;		/* "443,8000-8100" or NULL for all */
	const char *proto;		/* tcp, udp, any; NULL for any */
	uint64_t ttl_ns;		/* required */
	const char *reason;		/* or NULL */
	const char *request;		/* approval request it answers, or NULL */
};

/*
 * Everything an apply checks before it touches the kernel: cross-file
 * checks and compiling each agent.  No engine needed (sluicectl validate).
 */
int sl_engine_validate(const struct sl_policy *pol, struct sl_diag *d);

int sl_engine_new(struct sl_engine **out, const struct sl_engine_cfg *cfg);
void sl_engine_free(struct sl_engine *e);

/*
 * Read what an earlier daemon recorded (cfg.state_path): agents' ids,
 * tasks, grants, requests.  Call before the first apply, so that agents
 * keep their ids; -ENOENT when there is nothing to restore.
 */
int sl_engine_restore(struct sl_engine *e);

/*
 * Take over what an earlier daemon left in the pinned maps: enrolled run
 * cgroups under the root are kept (re-pointed at the agents of the policy
 * applied since), stale agents and sets are removed.  Call after the first
 * apply.
 */
int sl_engine_adopt(struct sl_engine *e);

/*
 * Before adopting: note the run cgroups on disk, so that events the kernel
 * queued while no daemon ran can still be named; _done forgets them.
 */
void sl_engine_gap_scan(struct sl_engine *e);
void sl_engine_gap_done(struct sl_engine *e);

/*
 * Apply a policy (taken over by the engine, even on error).  prune removes
 * agents the policy does not name.  On success *result describes what
 * changed; on error nothing changed and d says why.
 */
int sl_engine_apply(struct sl_engine *e, struct sl_policy *pol, bool prune,
		    json_object **result, struct sl_diag *d);

/*
 * Enroll pid (a stopped child of the caller) as a run of agent within task
 * (NULL for none): a fresh cgroup under the agent's directory, entered into
 * the kernel before the process is moved into it.
 */
int sl_engine_run(struct sl_engine *e, const struct sl_run_req *req,
		  json_object **result, struct sl_diag *d);
/* A watched run cgroup changed: end runs whose cgroups have emptied. */
void sl_engine_reap(struct sl_engine *e);
/* The inotify fd that tells when run cgroups empty, for the event loop. */
int sl_engine_watch_fd(const struct sl_engine *e);

/*
 * Grants: access for a while, to an agent or one of its tasks, enforced by
 * the kernel until the expiry even if sluiced is gone.  Revoking takes it
 * back at once, and closes the established connections it allowed.
 */
int sl_engine_grant(struct sl_engine *e, const struct sl_grant_req *g,
		    const struct sl_actor *who, json_object **result, struct sl_diag *d);
/* Exactly one of grant, task, agent selects what to revoke. */
int sl_engine_revoke(struct sl_engine *e, const char *grant, const char *task,
		     const char *agent, const struct sl_actor *who,
		     json_object **result, struct sl_diag *d);
json_object *sl_engine_grants(struct sl_engine *e, const char *agent, const char *task);

json_object *sl_engine_tasks(struct sl_engine *e);
/* End a task: revoke its grants, stop its processes, remove its cgroups. */
int sl_engine_task_end(struct sl_engine *e, const char *task, const struct sl_actor *who,
		       json_object **result, struct sl_diag *d);

/*
 * Step-up approval.  An ask denial (the kernel refused, reason ask) becomes
 * a pending request, identical ones coalesced; sl_engine_ask returns its id
 * for the event.  Approving turns it into a grant for that destination.
 */
const char *sl_engine_ask(struct sl_engine *e, const struct sl_event *k);
json_object *sl_engine_pending(struct sl_engine *e);
int sl_engine_approve(struct sl_engine *e, const char *id, uint64_t ttl_ns,
		      const struct sl_actor *who, json_object **result, struct sl_diag *d);
int sl_engine_deny_request(struct sl_engine *e, const char *id, const struct sl_actor *who,
			   json_object **result, struct sl_diag *d);

/*
 * The DNS proxy's questions.  A name is allowed to a subject (the run in
 * that cgroup) when its agent's policy or a grant of the agent or its task
 * allows (or asks for) it, and, for a delegated run, to every task up the
 * chain too.  An explicit deny of the name refuses it.
 */
struct sl_dns_verdict {
	const char *agent;		/* NULL when the cgroup is no agent's */
	const char *task;
	const char *why;		/* why refused */
	bool log_allowed;		/* the agent logs allowed calls */
};
/* 0 to forward, -EACCES refused (v->why), -ENOENT not an agent's. */
int sl_engine_dns_check(struct sl_engine *e, uint64_t cgroup, const char *name,
			struct sl_dns_verdict *v);
/*
 * Install an answer's addresses (IPv4 mapped) for every scope that allows
 * the name, expiring at their TTL plus the grace (at most the maximum),
 * before the answer goes to the agent.  0, -EACCES (no longer allowed), or
 * another -errno (the kernel could not take them: answer SERVFAIL).
 */
int sl_engine_dns_learn(struct sl_engine *e, uint64_t cgroup, const char *name,
			const uint8_t (*addrs)[16], const uint32_t *ttls, size_t n);
/* The longest TTL an answer may tell an agent (its cache ends before the rule). */
uint32_t sl_engine_dns_ttl_cap(const struct sl_engine *e);

/* Once a second: expire grants, tasks and requests; sweep what was taken back. */
void sl_engine_tick(struct sl_engine *e);

/* What the kernel would decide now; as `sluicectl check`. */
int sl_engine_check(struct sl_engine *e, const char *agent, const char *task,
		    const uint8_t addr[16], uint16_t port, uint8_t proto,
		    json_object **result, struct sl_diag *d);

json_object *sl_engine_agents(struct sl_engine *e);
json_object *sl_engine_status(struct sl_engine *e);

/* Enrichment lookups; pointers live until the next engine call. */
void sl_engine_ident(const struct sl_engine *e, uint64_t cgroup, uint32_t agent,
		     uint32_t task, struct sl_ident *id);
bool sl_engine_rule(const struct sl_engine *e, uint32_t rule_id, struct sl_rule_info *ri);
uint32_t sl_engine_version(const struct sl_engine *e);

#endif
