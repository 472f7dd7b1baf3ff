// SPDX-License-Identifier: GPL-2.0-only
/* sluicectl grant, revoke, grants, tasks, task end, pending, approve, deny. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "addr.h"
#include "ctl.h"

static void add(json_object *req, const char *key, const char *val)
{
	if (val)
		json_object_object_add(req, key, json_object_new_string(val));
}

/* Send req; print the result as JSON with --json, else through fn. */
static int send_print(const char *cmd, json_object *req, void (*fn)(json_object *))
{
	json_object *reply = call(req), *res = NULL;

	(void)cmd;
	if (!reply_ok(reply, &res)) {
		json_object_put(reply);
		return reply ? EXIT_DENY : EXIT_TROUBLE;
	}
	if (json_out)
		print_json(res);
	else if (fn)
		fn(res);
	json_object_put(reply);
	return 0;
}

static int check_ttl(const char *cmd, const char *ttl)
{
	uint64_t ns;

	if (!ttl)
		return usage_error(cmd, "--ttl DURATION is required%s", "");
	if (sl_duration_parse(ttl, &ns))
		return usage_error(cmd, "bad --ttl \"%s\": like 30s, 10m, 2h, 1h30m", ttl);
	return 0;
}

static void print_grant_id(json_object *res)
{
	printf("%s\n", js(res, "grant_id"));
}

int cmd_grant(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "to", required_argument, NULL, 'T' },
		{ "ports", required_argument, NULL, 'p' },
		{ "proto", required_argument, NULL, 'P' },
		{ "ttl", required_argument, NULL, 'l' },
		{ "task", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	json_object *req = request("grant");
	const char *ttl = NULL;
	int c, err;

	while ((c = getopt_long(argc, argv, "a:p:t:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': add(req, "agent", optarg); break;
		case 'T': add(req, "to", optarg); break;
		case 'p': add(req, "ports", optarg); break;
		case 'P': add(req, "proto", optarg); break;
		case 'l': ttl = optarg; add(req, "ttl", optarg); break;
		case 't': add(req, "task", optarg); break;
		case 'r': add(req, "reason", optarg); break;
		case 'h': json_object_put(req); print_help("grant"); return 0;
		default: json_object_put(req); return usage_error("grant", "bad option%s", "");
		}
	}
	err = check_ttl("grant", ttl);
	if (!err && (!jstr(req, "agent") || !jstr(req, "to")))
		err = usage_error("grant", "--agent NAME and --to DEST are required%s", "");
	if (err) {
		json_object_put(req);
		return err;
	}
	return send_print("grant", req, print_grant_id);
}

static void print_revoked(json_object *res)
{
	json_object *ids;
	size_t n;

	json_object_object_get_ex(res, "revoked", &ids);
	n = ids ? json_object_array_length(ids) : 0;
	if (!n)
		printf("nothing to revoke\n");
	for (size_t i = 0; i < n; i++)
		printf("revoked %s\n", json_object_get_string(json_object_array_get_idx(ids, i)));
}

int cmd_revoke(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "task", required_argument, NULL, 't' },
		{ "agent", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	json_object *req = request("revoke");
	int c, chosen = 0;

	while ((c = getopt_long(argc, argv, "t:a:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': add(req, "task", optarg); chosen++; break;
		case 'a': add(req, "agent", optarg); chosen++; break;
		case 'h': json_object_put(req); print_help("revoke"); return 0;
		default: json_object_put(req); return usage_error("revoke", "bad option%s", "");
		}
	}
	if (optind < argc) {
		add(req, "grant", argv[optind++]);
		chosen++;
	}
	if (chosen != 1 || optind < argc) {
		json_object_put(req);
		return usage_error("revoke", "give one GRANT_ID, or --task ID, or --agent NAME%s", "");
	}
	return send_print("revoke", req, print_revoked);
}

static void left(int64_t s, char *buf, size_t len)
{
	if (s <= 0)
		snprintf(buf, len, "expired");
	else
		sl_duration_format((uint64_t)s * 1000000000ull, buf, len);
}

static void print_grants(json_object *res)
{
	printf("%-8s %-14s %-16s %-22s %-12s %-5s %-8s %s\n", "GRANT", "AGENT", "TASK", "TO",
	       "PORTS", "PROTO", "LEFT", "REASON");
	for (size_t i = 0; i < json_object_array_length(res); i++) {
		json_object *g = json_object_array_get_idx(res, i), *ports;
		char p[64] = "all", l[32];
		size_t off = 0;

		json_object_object_get_ex(g, "ports", &ports);
		for (size_t j = 0; ports && j < json_object_array_length(ports) && off < sizeof(p); j++)
			off += (size_t)snprintf(p + off, sizeof(p) - off, "%s%s", j ? "," : "",
						json_object_get_string(json_object_array_get_idx(ports, j)));
		left(jint(g, "seconds_left"), l, sizeof(l));
		printf("%-8s %-14s %-16s %-22s %-12s %-5s %-8s %s\n", js(g, "grant_id"),
		       js(g, "agent"), js(g, "task"), js(g, "to"), p, js(g, "protocol"), l,
		       js(g, "reason"));
	}
}

/* Commands that take only optional --agent and --task filters. */
static int filtered(int argc, char **argv, const char *cmd, const char *op,
		    void (*fn)(json_object *))
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "task", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	json_object *req = request(op);
	int c;

	while ((c = getopt_long(argc, argv, "a:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': add(req, "agent", optarg); break;
		case 't': add(req, "task", optarg); break;
		case 'h': json_object_put(req); print_help(cmd); return 0;
		default: json_object_put(req); return usage_error(cmd, "bad option%s", "");
		}
	}
	if (optind < argc) {
		json_object_put(req);
		return usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
	}
	return send_print(cmd, req, fn);
}

int cmd_grants(int argc, char **argv)
{
	return filtered(argc, argv, "grants", "grants", print_grants);
}

static void print_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!t) {
		snprintf(buf, len, "-");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void print_tasks(json_object *res)
{
	printf("%-24s %-16s %-20s %4s  %-20s %s\n", "TASK", "AGENT", "DELEGATED BY", "RUNS",
	       "EXPIRES", "STATE");
	for (size_t i = 0; i < json_object_array_length(res); i++) {
		json_object *t = json_object_array_get_idx(res, i), *exp;
		char when[32];

		print_time(jint(t, "expires_at"), when, sizeof(when));
		json_object_object_get_ex(t, "expired", &exp);
		printf("%-24s %-16s %-20s %4lld  %-20s %s\n", js(t, "task"), js(t, "agent"),
		       js(t, "delegated_by"), (long long)jint(t, "runs"), when,
		       json_object_get_boolean(exp) ? "expired" : "live");
	}
}

int cmd_tasks(int argc, char **argv)
{
	json_object *reply = NULL, *res = NULL;
	int rc = simple(argc, argv, "tasks", &reply, &res);

	if (rc)
		return rc;
	if (json_out)
		print_json(res);
	else
		print_tasks(res);
	json_object_put(reply);
	return 0;
}

static void print_ended(json_object *res)
{
	printf("task %s ended\n", js(res, "task"));
}

int cmd_task(int argc, char **argv)
{
	json_object *req;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		print_help("task");
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "end"))
		return usage_error("task", "usage: sluicectl task end ID%s", "");
	req = request("task_end");
	add(req, "task", argv[2]);
	return send_print("task", req, print_ended);
}

static void print_pending(json_object *res)
{
	printf("%-9s %-14s %-16s %-26s %-5s %5s  %-20s %s\n", "REQUEST", "AGENT", "TASK",
	       "DESTINATION", "PROTO", "COUNT", "FIRST SEEN", "RULE");
	for (size_t i = 0; i < json_object_array_length(res); i++) {
		json_object *p = json_object_array_get_idx(res, i);
		char dst[96], when[32];
		const char *ip = js(p, "dst_ip");

		snprintf(dst, sizeof(dst), strchr(ip, ':') ? "[%s]:%lld" : "%s:%lld", ip,
			 (long long)jint(p, "dst_port"));
		print_time(jint(p, "first_seen"), when, sizeof(when));
		printf("%-9s %-14s %-16s %-26s %-5s %5lld  %-20s %s\n", js(p, "request_id"),
		       js(p, "agent"), js(p, "task"), dst, js(p, "protocol"),
		       (long long)jint(p, "count"), when, js(p, "rule_label"));
	}
}

int cmd_pending(int argc, char **argv)
{
	json_object *reply = NULL, *res = NULL;
	int rc = simple(argc, argv, "pending", &reply, &res);

	if (rc)
		return rc;
	if (json_out)
		print_json(res);
	else
		print_pending(res);
	json_object_put(reply);
	return 0;
}

int cmd_approve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ttl", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	json_object *req = request("approve");
	const char *ttl = NULL;
	int c, err;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': ttl = optarg; add(req, "ttl", optarg); break;
		case 'h': json_object_put(req); print_help("approve"); return 0;
		default: json_object_put(req); return usage_error("approve", "bad option%s", "");
		}
	}
	err = check_ttl("approve", ttl);
	if (!err && optind + 1 != argc)
		err = usage_error("approve", "give one REQUEST_ID%s", "");
	if (err) {
		json_object_put(req);
		return err;
	}
	add(req, "request", argv[optind]);
	return send_print("approve", req, print_grant_id);
}

static void print_denied(json_object *res)
{
	printf("request %s denied\n", js(res, "request_id"));
}

int cmd_deny(int argc, char **argv)
{
	json_object *req;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		print_help("deny");
		return 0;
	}
	if (argc != 2)
		return usage_error("deny", "give one REQUEST_ID%s", "");
	req = request("deny");
	add(req, "request", argv[1]);
	return send_print("deny", req, print_denied);
}
