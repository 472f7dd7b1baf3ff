// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a restarted sluiced needs to carry on where the last one stopped:
 * agents' ids and grant sets, tasks, grants, pending requests and which
 * task each run belongs to.  The kernel keeps enforcing without any of it;
 * this file lets the new daemon list, revoke and expire what the old one
 * granted.  Written whole after every change (temporary file + rename);
 * ignored when it comes from another boot (expiries are boot-clock times).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine_int.h"
#include "log.h"

#define STATE_FORMAT 1

static void boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	buf[0] = '\0';
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void add_s(json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *save_grant(const struct egrant *g)
{
	json_object *o = json_object_new_object(), *ports = json_object_new_array();
	char to[SL_ADDRSTRLEN];

	if (g->to.kind == SL_DEST_NAME)
		snprintf(to, sizeof(to), "%s", g->to.name);
	else
		sl_prefix_format(&g->to.pfx, to, sizeof(to));
	add_s(o, "id", g->id);
	add_s(o, "to", to);
	add_u64(o, "rule_id", g->rule_id);
	add_u64(o, "agent", g->agent);
	add_u64(o, "task", g->task);
	for (size_t i = 0; i < g->n_ports; i++)
		json_object_array_add(ports, json_object_new_int((int)g->ports[i].lo << 16 | g->ports[i].hi));
	json_object_object_add(o, "ports", ports);
	add_u64(o, "proto", g->proto);
	add_u64(o, "expires_ns", g->expires_ns);
	json_object_object_add(o, "expires_at", json_object_new_int64(g->expires_at));
	json_object_object_add(o, "created_at", json_object_new_int64(g->created_at));
	add_s(o, "reason", g->reason);
	add_s(o, "request", g->request);
	add_u64(o, "uid", g->by.uid);
	json_object_object_add(o, "pid", json_object_new_int(g->by.pid));
	return o;
}

static json_object *save_task(const struct etask *t)
{
	json_object *o = json_object_new_object();

	add_s(o, "name", t->name);
	add_u64(o, "id", t->id);
	add_u64(o, "agent", t->agent);
	add_u64(o, "delegator", t->delegator);
	add_u64(o, "expires_ns", t->expires_ns);
	json_object_object_add(o, "expires_at", json_object_new_int64(t->expires_at));
	json_object_object_add(o, "started_at", json_object_new_int64(t->started_at));
	json_object_object_add(o, "expired", json_object_new_boolean(t->expired));
	add_u64(o, "grant_set", t->dyn.set);
	return o;
}

static json_object *save_pending(const struct epending *p)
{
	json_object *o = json_object_new_object();
	char addr[SL_ADDRSTRLEN];

	sl_addr_format(p->addr, addr, sizeof(addr));
	add_s(o, "id", p->id);
	add_s(o, "addr", addr);
	add_u64(o, "agent", p->agent);
	add_u64(o, "task", p->task);
	add_u64(o, "rule_id", p->rule_id);
	add_u64(o, "port", p->port);
	add_u64(o, "proto", p->proto);
	json_object_object_add(o, "first", json_object_new_int64(p->first));
	json_object_object_add(o, "last", json_object_new_int64(p->last));
	add_u64(o, "count", p->count);
	return o;
}

static json_object *save_learned(const struct elearned *l)
{
	json_object *o = json_object_new_object();
	char addr[SL_ADDRSTRLEN];

	sl_addr_format(l->addr, addr, sizeof(addr));
	add_s(o, "addr", addr);
	add_s(o, "name", l->name);
	add_u64(o, "agent", l->agent);
	add_u64(o, "task", l->task);
	add_u64(o, "rule_id", l->rule_id);
	add_u64(o, "expires_ns", l->expires_ns);
	return o;
}

static json_object *state_json(const struct sl_engine *e)
{
	json_object *o = json_object_new_object(), *arr;
	char bid[64];

	boot_id(bid, sizeof(bid));
	json_object_object_add(o, "format", json_object_new_int(STATE_FORMAT));
	add_s(o, "boot_id", bid);
	add_u64(o, "next_rule", e->next_rule);
	add_u64(o, "next_grant", e->next_grant);
	add_u64(o, "next_req", e->next_req);
	add_u64(o, "run_seq", e->run_seq);
	add_u64(o, "version", e->version);
	arr = json_object_new_array();
	for (size_t i = 0; i < e->n_agents; i++) {
		json_object *a = json_object_new_object();

		add_s(a, "name", agent_pol(&e->agents[i])->name);
		add_u64(a, "id", e->agents[i].id);
		add_u64(a, "grant_set", e->agents[i].dyn.set);
		json_object_array_add(arr, a);
	}
	json_object_object_add(o, "agents", arr);
	arr = json_object_new_array();
	for (size_t i = 0; i < e->n_tasks; i++)
		json_object_array_add(arr, save_task(e->tasks[i]));
	json_object_object_add(o, "tasks", arr);
	arr = json_object_new_array();
	for (size_t i = 0; i < e->n_grants; i++)
		json_object_array_add(arr, save_grant(e->grants[i]));
	json_object_object_add(o, "grants", arr);
	arr = json_object_new_array();
	for (size_t i = 0; i < e->n_pend; i++)
		json_object_array_add(arr, save_pending(&e->pend[i]));
	json_object_object_add(o, "pending", arr);
	arr = json_object_new_array();
	for (size_t i = 0; i < e->n_learned; i++)
		json_object_array_add(arr, save_learned(e->learned[i]));
	json_object_object_add(o, "learned", arr);
	arr = json_object_new_array();
	for (size_t i = 0; i < e->n_subj; i++) {
		json_object *r = json_object_new_object();

		add_u64(r, "cgroup", e->subj[i].cgroup);
		add_u64(r, "task", e->subj[i].task);
		json_object_array_add(arr, r);
	}
	json_object_object_add(o, "runs", arr);
	return o;
}

void eng_state_save(struct sl_engine *e)
{
	char tmp[PATH_MAX];
	json_object *o;
	int fd, err = 0;

	if (!e->state_path)
		return;
	e->state_dirty = false;
	snprintf(tmp, sizeof(tmp), "%s.tmp", e->state_path);
	o = state_json(e);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || json_object_to_fd(fd, o, JSON_C_TO_STRING_PLAIN) ||
	    rename(tmp, e->state_path))
		err = errno ? -errno : -EIO;
	if (fd >= 0)
		close(fd);
	json_object_put(o);
	if (err)
		pr_warn("cannot save state to %s: %s\n", e->state_path, strerror(-err));
}

static uint64_t get_u64(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_uint64(v) : 0;
}

static int64_t get_i64(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static const char *get_s(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

static json_object *get_arr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_array) ?
	       v : NULL;
}

static void load_agents(struct sl_engine *e, json_object *arr)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	e->remembered = calloc(n + 1, sizeof(*e->remembered));
	for (size_t i = 0; e->remembered && i < n; i++) {
		json_object *a = json_object_array_get_idx(arr, i);
		const char *name = get_s(a, "name");

		if (!name)
			continue;
		e->remembered[e->n_remembered++] = (struct eremembered){
			.name = strdup(name), .id = (uint32_t)get_u64(a, "id"),
			.grant_set = (uint32_t)get_u64(a, "grant_set"),
		};
	}
}

static void load_task(struct sl_engine *e, json_object *o)
{
	struct etask *t = calloc(1, sizeof(*t)), **grown;
	const char *name = get_s(o, "name");
	struct sl_task kv;

	grown = realloc(e->tasks, (e->n_tasks + 1) * sizeof(*grown));
	if (grown)
		e->tasks = grown;
	if (!t || !grown || !name || !(t->name = strdup(name))) {
		free(t);
		return;
	}
	t->id = (uint32_t)get_u64(o, "id");
	t->agent = (uint32_t)get_u64(o, "agent");
	t->delegator = (uint32_t)get_u64(o, "delegator");
	t->expires_ns = get_u64(o, "expires_ns");
	t->expires_at = get_i64(o, "expires_at");
	t->started_at = get_i64(o, "started_at");
	t->expired = get_u64(o, "expired");
	t->dyn.set = (uint32_t)get_u64(o, "grant_set");
	t->dyn.unsynced = t->dyn.set != 0;
	/* Only what the kernel still has: the pins may be newer than the file. */
	if (sl_maps_task_get(e->maps, t->id, &kv)) {
		eng_task_free(t);
		return;
	}
	e->tasks[e->n_tasks++] = t;
}

static void load_grant(struct sl_engine *e, json_object *o)
{
	struct egrant *g = calloc(1, sizeof(*g)), **grown;
	const char *id = get_s(o, "id"), *to = get_s(o, "to"), *why;
	json_object *ports = get_arr(o, "ports");

	grown = realloc(e->grants, (e->n_grants + 1) * sizeof(*grown));
	if (grown)
		e->grants = grown;
	if (!g || !grown || !id || !to || sl_dest_parse(to, &g->to, &why)) {
		eng_grant_free(g);
		return;
	}
	snprintf(g->id, sizeof(g->id), "%s", id);
	g->rule_id = (uint32_t)get_u64(o, "rule_id");
	g->agent = (uint32_t)get_u64(o, "agent");
	g->task = (uint32_t)get_u64(o, "task");
	for (size_t i = 0; ports && i < json_object_array_length(ports) && i < SL_GRANT_PORTS; i++) {
		int v = json_object_get_int(json_object_array_get_idx(ports, i));

		g->ports[g->n_ports].lo = (uint16_t)(v >> 16);
		g->ports[g->n_ports++].hi = (uint16_t)v;
	}
	g->proto = (uint8_t)get_u64(o, "proto");
	g->expires_ns = get_u64(o, "expires_ns");
	g->expires_at = get_i64(o, "expires_at");
	g->created_at = get_i64(o, "created_at");
	g->reason = get_s(o, "reason") ? strdup(get_s(o, "reason")) : NULL;
	g->request = get_s(o, "request") ? strdup(get_s(o, "request")) : NULL;
	g->by.uid = (uint32_t)get_u64(o, "uid");
	g->by.pid = (int32_t)get_i64(o, "pid");
	e->grants[e->n_grants++] = g;
}

static void load_pending(struct sl_engine *e, json_object *arr)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	e->pend = calloc(n + 16, sizeof(*e->pend));
	for (size_t i = 0; e->pend && i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		struct epending *p = &e->pend[e->n_pend];

		if (!get_s(o, "id") || !get_s(o, "addr") || sl_addr_parse(get_s(o, "addr"), p->addr))
			continue;
		snprintf(p->id, sizeof(p->id), "%s", get_s(o, "id"));
		p->agent = (uint32_t)get_u64(o, "agent");
		p->task = (uint32_t)get_u64(o, "task");
		p->rule_id = (uint32_t)get_u64(o, "rule_id");
		p->port = (uint16_t)get_u64(o, "port");
		p->proto = (uint8_t)get_u64(o, "proto");
		p->first = get_i64(o, "first");
		p->last = get_i64(o, "last");
		p->count = get_u64(o, "count");
		e->n_pend++;
	}
}

static void load_learned(struct sl_engine *e, json_object *arr)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	e->learned = calloc(n + 1, sizeof(*e->learned));
	for (size_t i = 0; e->learned && i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		struct elearned *l = calloc(1, sizeof(*l));

		if (!l || !get_s(o, "addr") || !get_s(o, "name") ||
		    sl_addr_parse(get_s(o, "addr"), l->addr)) {
			free(l);
			continue;
		}
		snprintf(l->name, sizeof(l->name), "%s", get_s(o, "name"));
		l->agent = (uint32_t)get_u64(o, "agent");
		l->task = (uint32_t)get_u64(o, "task");
		l->rule_id = (uint32_t)get_u64(o, "rule_id");
		l->expires_ns = get_u64(o, "expires_ns");
		e->learned[e->n_learned++] = l;
	}
}

static void load_runs(struct sl_engine *e, json_object *arr)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	e->rem_runs = calloc(n + 1, sizeof(*e->rem_runs));
	for (size_t i = 0; e->rem_runs && i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);

		e->rem_runs[e->n_rem_runs++] = (struct eremrun){
			.cgroup = get_u64(o, "cgroup"), .task = (uint32_t)get_u64(o, "task"),
		};
	}
}

static void max_u64(uint64_t *dst, uint64_t v)
{
	if (v > *dst)
		*dst = v;
}

int sl_engine_restore(struct sl_engine *e)
{
	json_object *o, *arr;
	char bid[64];
	uint64_t v;

	if (!e->state_path || access(e->state_path, R_OK))
		return -ENOENT;
	o = json_object_from_file(e->state_path);
	boot_id(bid, sizeof(bid));
	if (!o || get_i64(o, "format") != STATE_FORMAT || !get_s(o, "boot_id") ||
	    strcmp(get_s(o, "boot_id"), bid)) {
		pr_warn("ignoring %s: unreadable, or from another boot\n", e->state_path);
		json_object_put(o);
		return -EINVAL;
	}
	v = e->next_rule;
	max_u64(&v, get_u64(o, "next_rule"));
	e->next_rule = (uint32_t)v;
	e->next_grant = get_u64(o, "next_grant");
	e->next_req = get_u64(o, "next_req");
	e->run_seq = get_u64(o, "run_seq");
	e->version = (uint32_t)get_u64(o, "version");
	load_agents(e, get_arr(o, "agents"));
	arr = get_arr(o, "tasks");
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		load_task(e, json_object_array_get_idx(arr, i));
	arr = get_arr(o, "grants");
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		load_grant(e, json_object_array_get_idx(arr, i));
	load_pending(e, get_arr(o, "pending"));
	load_learned(e, get_arr(o, "learned"));
	load_runs(e, get_arr(o, "runs"));
	json_object_put(o);
	pr_info("restored %zu tasks, %zu grants, %zu pending requests, %zu learned addresses from %s\n",
		e->n_tasks, e->n_grants, e->n_pend, e->n_learned, e->state_path);
	return 0;
}

const struct eremembered *eng_remembered(const struct sl_engine *e, const char *name)
{
	for (size_t i = 0; i < e->n_remembered; i++)
		if (!strcmp(e->remembered[i].name, name))
			return &e->remembered[i];
	return NULL;
}

uint32_t eng_remembered_task(const struct sl_engine *e, uint64_t cgroup)
{
	for (size_t i = 0; i < e->n_rem_runs; i++)
		if (e->rem_runs[i].cgroup == cgroup && eng_task_by_id(e, e->rem_runs[i].task))
			return e->rem_runs[i].task;
	return 0;
}

void eng_remembered_free(struct sl_engine *e)
{
	for (size_t i = 0; i < e->n_remembered; i++)
		free(e->remembered[i].name);
	free(e->remembered);
	e->remembered = NULL;
	e->n_remembered = 0;
	free(e->rem_runs);
	e->rem_runs = NULL;
	e->n_rem_runs = 0;
}
