// SPDX-License-Identifier: GPL-2.0-only
/*
 * Control operations: parse a request's fields, call the engine, shape the
 * reply, and record what an operator changed (who, what, before/after) as
 * a control-plane event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"
#include "policy.h"

/* One request being served. */
struct call {
	int fd;
	const struct sl_peer *peer;
	json_object *req;
	struct sl_diag dg;
	struct sl_actor who;
};

void sl_ops_notify(const struct sl_ops *ops, const char *type, json_object *fields)
{
	if (ops->ev)
		sl_events_control(ops->ev, type, fields);
	else
		json_object_put(fields);
}

static json_object *diag_json(const struct sl_diag *dg)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < dg->n; i++)
		json_object_array_add(arr, json_object_new_string(dg->msg[i]));
	return arr;
}

static json_object *reply(int err, json_object *result, const struct sl_diag *dg)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "ok", json_object_new_boolean(!err));
	if (!err) {
		if (result)
			json_object_object_add(r, "result", result);
		return r;
	}
	json_object_put(result);
	json_object_object_add(r, "error", json_object_new_string(
		dg && dg->n ? dg->msg[0] : strerror(-err)));
	if (dg && dg->n)
		json_object_object_add(r, "errors", diag_json(dg));
	return r;
}

static const char *str(const struct call *c, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(c->req, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool flag(const struct call *c, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(c->req, key, &v) && json_object_get_boolean(v);
}

/* A duration field ("ttl": "10m"); 0 when absent, -EINVAL (reported) when bad. */
static int duration(struct call *c, const char *key, uint64_t *ns)
{
	const char *s = str(c, key);

	*ns = 0;
	if (!s)
		return 0;
	if (sl_duration_parse(s, ns)) {
		sl_diag_add(&c->dg, NULL, "bad duration \"%s\": like 30s, 10m, 2h, 1h30m", s);
		return -EINVAL;
	}
	return 0;
}

static int need(struct call *c, const char *key, const char **out)
{
	*out = str(c, key);
	if (*out)
		return 0;
	sl_diag_add(&c->dg, NULL, "request has no \"%s\"", key);
	return -EINVAL;
}

/* Parse the files a client sent: [{"name": ..., "content": ...}, ...]. */
static int parse_files(struct call *c, struct sl_policy *pol)
{
	json_object *files;
	int err = 0;

	if (!json_object_object_get_ex(c->req, "files", &files) ||
	    !json_object_is_type(files, json_type_array)) {
		sl_diag_add(&c->dg, NULL, "request has no \"files\"");
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		json_object *f = json_object_array_get_idx(files, i), *n, *t;

		if (!json_object_object_get_ex(f, "name", &n) ||
		    !json_object_object_get_ex(f, "content", &t)) {
			sl_diag_add(&c->dg, NULL, "file %zu has no name or content", i);
			err = -EINVAL;
			continue;
		}
		if (sl_policy_parse_buf(pol, json_object_get_string(n), json_object_get_string(t),
					(size_t)json_object_get_string_len(t), &c->dg))
			err = -EINVAL;
	}
	return err;
}

static json_object *op_apply(const struct sl_ops *ops, struct call *c)
{
	uint32_t before = sl_engine_version(ops->eng);
	json_object *result = NULL, *f, *ch;
	struct sl_policy pol;
	int err;

	sl_policy_init(&pol);
	err = parse_files(c, &pol);
	if (!err)
		err = sl_engine_apply(ops->eng, &pol, flag(c, "prune"), &result, &c->dg);
	sl_policy_free(&pol);
	f = json_object_new_object();
	json_object_object_add(f, "operator", sl_actor_json(&c->who));
	json_object_object_add(f, "outcome", json_object_new_string(err ? "failure" : "success"));
	json_object_object_add(f, "version_before", json_object_new_int64(before));
	json_object_object_add(f, "version_after", json_object_new_int64(sl_engine_version(ops->eng)));
	if (err)
		json_object_object_add(f, "errors", diag_json(&c->dg));
	else if (json_object_object_get_ex(result, "changes", &ch))
		json_object_object_add(f, "changes", json_object_get(ch));
	sl_ops_notify(ops, "policy_apply", f);
	return reply(err, result, &c->dg);
}

/* The pid must be the caller's own child, so nobody moves others' processes. */
static int verify_child(const struct sl_peer *peer, pid_t pid)
{
	char path[64], line[256];
	int ppid = -1, uid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "PPid: %d", &ppid);
		sscanf(line, "Uid: %d", &uid);
	}
	fclose(f);
	if (ppid != peer->pid || (peer->uid != 0 && (uid_t)uid != peer->uid))
		return -EPERM;
	return 0;
}

static json_object *op_run(const struct sl_ops *ops, struct call *c)
{
	struct sl_run_req q = {
		.task = str(c, "task"), .delegated_by = str(c, "delegated_by"),
	};
	json_object *result = NULL, *pid;
	int err;

	err = need(c, "agent", &q.agent);
	if (!err && !json_object_object_get_ex(c->req, "pid", &pid)) {
		sl_diag_add(&c->dg, NULL, "request has no \"pid\"");
		err = -EINVAL;
	}
	if (!err)
		err = duration(c, "ttl", &q.ttl_ns);
	if (!err) {
		q.pid = (pid_t)json_object_get_int(pid);
		err = verify_child(c->peer, q.pid);
		if (err)
			sl_diag_add(&c->dg, NULL, "pid %d is not a child of the caller", (int)q.pid);
	}
	if (!err)
		err = sl_engine_run(ops->eng, &q, &result, &c->dg);
	if (!err) {
		json_object *f = json_object_get(result);

		json_object_object_add(f, "operator", sl_actor_json(&c->who));
		sl_ops_notify(ops, "run_start", f);
	}
	return reply(err, result, &c->dg);
}

static json_object *op_check(const struct sl_ops *ops, struct call *c)
{
	const char *agent, *to, *proto = str(c, "proto");
	json_object *result = NULL;
	uint8_t addr[16];
	uint16_t port;
	int p = SL_PROTO_TCP, err;

	err = need(c, "agent", &agent);
	if (!err)
		err = need(c, "to", &to);
	if (!err && sl_hostport_parse(to, addr, &port)) {
		sl_diag_add(&c->dg, NULL, "bad destination \"%s\": expected ADDR:PORT or [ADDR6]:PORT", to);
		err = -EINVAL;
	}
	if (!err && proto && ((p = sl_proto_parse(proto)) < 0 || p == SL_PROTO_ANY)) {
		sl_diag_add(&c->dg, NULL, "bad protocol \"%s\": tcp or udp", proto);
		err = -EINVAL;
	}
	if (!err)
		err = sl_engine_check(ops->eng, agent, str(c, "task"), addr, port, (uint8_t)p,
				      &result, &c->dg);
	return reply(err, result, &c->dg);
}

static json_object *op_status(const struct sl_ops *ops, struct call *c)
{
	json_object *s = sl_engine_status(ops->eng);

	(void)c;
	json_object_object_add(s, "events", sl_events_status(ops->ev));
	if (ops->dns)
		json_object_object_add(s, "dns", sl_dnsproxy_status(ops->dns));
	json_object_object_add(s, "bpffs", json_object_new_string(ops->bpffs));
	json_object_object_add(s, "socket", json_object_new_string(ops->socket));
	return reply(0, s, NULL);
}

static json_object *op_events(const struct sl_ops *ops, struct call *c)
{
	json_object *ok;

	if (!flag(c, "follow"))
		return reply(0, sl_events_recent(ops->ev, c->req), NULL);
	ok = reply(0, NULL, NULL);
	sl_json_send(c->fd, ok);
	json_object_put(ok);
	ops->follow(ops->ctx, c->fd, c->req);
	return NULL;
}

static json_object *op_grant(const struct sl_ops *ops, struct call *c)
{
	struct sl_grant_req g = {
		.task = str(c, "task"), .ports = str(c, "ports"), .proto = str(c, "proto"),
		.reason = str(c, "reason"),
	};
	json_object *result = NULL;
	int err;

	err = need(c, "agent", &g.agent);
	if (!err)
		err = need(c, "to", &g.to);
	if (!err)
		err = duration(c, "ttl", &g.ttl_ns);
	if (!err)
		err = sl_engine_grant(ops->eng, &g, &c->who, &result, &c->dg);
	return reply(err, result, &c->dg);
}

static json_object *op_revoke(const struct sl_ops *ops, struct call *c)
{
	const char *grant = str(c, "grant"), *task = str(c, "task"), *agent = str(c, "agent");
	json_object *result = NULL;
	int err = 0;

	if ((grant != NULL) + (task != NULL) + (agent != NULL) != 1) {
		sl_diag_add(&c->dg, NULL, "revoke needs exactly one of a grant id, --task or --agent");
		err = -EINVAL;
	}
	if (!err)
		err = sl_engine_revoke(ops->eng, grant, task, agent, &c->who, &result, &c->dg);
	return reply(err, result, &c->dg);
}

static json_object *op_grants(const struct sl_ops *ops, struct call *c)
{
	return reply(0, sl_engine_grants(ops->eng, str(c, "agent"), str(c, "task")), NULL);
}

static json_object *op_tasks(const struct sl_ops *ops, struct call *c)
{
	(void)c;
	return reply(0, sl_engine_tasks(ops->eng), NULL);
}

static json_object *op_task_end(const struct sl_ops *ops, struct call *c)
{
	json_object *result = NULL;
	const char *task;
	int err = need(c, "task", &task);

	if (!err)
		err = sl_engine_task_end(ops->eng, task, &c->who, &result, &c->dg);
	return reply(err, result, &c->dg);
}

static json_object *op_pending(const struct sl_ops *ops, struct call *c)
{
	(void)c;
	return reply(0, sl_engine_pending(ops->eng), NULL);
}

static json_object *op_approve(const struct sl_ops *ops, struct call *c)
{
	json_object *result = NULL;
	const char *id;
	uint64_t ttl;
	int err = need(c, "request", &id);

	if (!err)
		err = duration(c, "ttl", &ttl);
	if (!err)
		err = sl_engine_approve(ops->eng, id, ttl, &c->who, &result, &c->dg);
	return reply(err, result, &c->dg);
}

static json_object *op_deny(const struct sl_ops *ops, struct call *c)
{
	json_object *result = NULL;
	const char *id;
	int err = need(c, "request", &id);

	if (!err)
		err = sl_engine_deny_request(ops->eng, id, &c->who, &result, &c->dg);
	return reply(err, result, &c->dg);
}

static json_object *op_ping(const struct sl_ops *ops, struct call *c)
{
	(void)ops;
	(void)c;
	return reply(0, NULL, NULL);
}

static json_object *op_agents(const struct sl_ops *ops, struct call *c)
{
	(void)c;
	return reply(0, sl_engine_agents(ops->eng), NULL);
}

static const struct {
	const char *name;
	json_object *(*fn)(const struct sl_ops *ops, struct call *c);
} table[] = {
	{ "ping", op_ping }, { "apply", op_apply }, { "run", op_run },
	{ "check", op_check }, { "agents", op_agents }, { "status", op_status },
	{ "events", op_events }, { "grant", op_grant }, { "revoke", op_revoke },
	{ "grants", op_grants }, { "tasks", op_tasks }, { "task_end", op_task_end },
	{ "pending", op_pending }, { "approve", op_approve }, { "deny", op_deny },
};

json_object *sl_ops_dispatch(const struct sl_ops *ops, int fd, const struct sl_peer *peer,
			     json_object *req)
{
	struct call c = {
		.fd = fd, .peer = peer, .req = req,
		.who = { .uid = peer->uid, .pid = peer->pid },
	};
	json_object *r = NULL;
	const char *op;

	sl_diag_init(&c.dg);
	op = str(&c, "op");
	for (size_t i = 0; op && i < ARRAY_SIZE(table); i++) {
		if (!strcmp(op, table[i].name)) {
			r = table[i].fn(ops, &c);
			break;
		}
	}
	if (!r && op && strcmp(op, "events")) {
		sl_diag_add(&c.dg, NULL, "unknown operation \"%s\"", op);
		r = reply(-EINVAL, NULL, &c.dg);
	} else if (!op) {
		sl_diag_add(&c.dg, NULL, "request has no \"op\"");
		r = reply(-EINVAL, NULL, &c.dg);
	}
	sl_diag_free(&c.dg);
	return r;
}
