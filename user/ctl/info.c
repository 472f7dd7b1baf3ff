// SPDX-License-Identifier: GPL-2.0-only
/* sluicectl check, agents, status, events. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "control.h"
#include "ctl.h"

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "task", required_argument, NULL, 't' },
		{ "to", required_argument, NULL, 'T' },
		{ "proto", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *agent = NULL, *task = NULL, *to = NULL, *proto = "tcp", *verdict;
	json_object *req, *reply, *res = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "a:t:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': agent = optarg; break;
		case 't': task = optarg; break;
		case 'T': to = optarg; break;
		case 'p': proto = optarg; break;
		case 'h': print_help("check"); return 0;
		default: return usage_error("check", "bad option%s", "");
		}
	}
	if (!agent || !to)
		return usage_error("check", "--agent NAME and --to ADDR:PORT are required%s", "");
	req = request("check");
	json_object_object_add(req, "agent", json_object_new_string(agent));
	json_object_object_add(req, "to", json_object_new_string(to));
	json_object_object_add(req, "proto", json_object_new_string(proto));
	if (task)
		json_object_object_add(req, "task", json_object_new_string(task));
	reply = call(req);
	if (!reply_ok(reply, &res)) {
		json_object_put(reply);
		return EXIT_TROUBLE;
	}
	verdict = jstr(res, "verdict");
	if (json_out) {
		print_json(res);
	} else {
		printf("%s %s %s/%s: %s", agent, verdict, to, proto, jstr(res, "reason"));
		if (jstr(res, "rule"))
			printf(" (%s rule at %s%s%s)", jstr(res, "section"), jstr(res, "rule"),
			       jstr(res, "rule_label") ? ", " : "",
			       jstr(res, "rule_label") ? jstr(res, "rule_label") : "");
		printf(", policy version %lld\n", (long long)jint(res, "version"));
	}
	rc = !strcmp(verdict, "deny") ? EXIT_DENY : 0;
	json_object_put(reply);
	return rc;
}

int simple(int argc, char **argv, const char *name, json_object **reply,
		  json_object **res)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			print_help(name);
			exit(0);
		}
		return usage_error(name, "bad option%s", "");
	}
	if (optind < argc)
		return usage_error(name, "unexpected argument \"%s\"", argv[optind]);
	*reply = call(request(name));
	if (!reply_ok(*reply, res)) {
		json_object_put(*reply);
		return EXIT_TROUBLE;
	}
	return 0;
}

int cmd_agents(int argc, char **argv)
{
	json_object *reply = NULL, *res = NULL;
	int rc = simple(argc, argv, "agents", &reply, &res);

	if (rc)
		return rc;
	if (json_out) {
		print_json(res);
	} else {
		printf("%-20s %-8s %-7s %7s %6s %5s  %s\n", "AGENT", "MODE", "LOG", "VERSION",
		       "RULES", "RUNS", "SPIFFE ID");
		for (size_t i = 0; i < json_object_array_length(res); i++) {
			json_object *a = json_object_array_get_idx(res, i);

			printf("%-20s %-8s %-7s %7lld %6lld %5lld  %s\n", js(a, "name"),
			       js(a, "mode"), js(a, "log"), (long long)jint(a, "version"),
			       (long long)jint(a, "rules"), (long long)jint(a, "runs"),
			       js(a, "spiffe_id") ? js(a, "spiffe_id") : "-");
		}
	}
	json_object_put(reply);
	return 0;
}

static void print_events_status(json_object *ev)
{
	json_object *sinks = NULL;

	printf("events:\n");
	json_object_object_foreach(ev, k, v) {
		if (strcmp(k, "sinks"))
			printf("  %-20s %s\n", k, json_object_get_string(v));
	}
	json_object_object_get_ex(ev, "sinks", &sinks);
	if (!sinks || !json_object_array_length(sinks))
		return;
	printf("sinks:\n  %-40s %-6s %8s %10s %9s %7s  %s\n", "NAME", "FORMAT", "QUEUED",
	       "WRITTEN", "DROPPED", "ERRORS", "STATE");
	for (size_t i = 0; i < json_object_array_length(sinks); i++) {
		json_object *k = json_object_array_get_idx(sinks, i), *up;
		const char *state = "-";

		if (json_object_object_get_ex(k, "connected", &up))
			state = json_object_get_boolean(up) ? "connected" : "disconnected";
		printf("  %-40s %-6s %8lld %10lld %9lld %7lld  %s%s%s\n", js(k, "name"), js(k, "format"),
		       (long long)jint(k, "queued"), (long long)jint(k, "written"),
		       (long long)jint(k, "dropped"), (long long)jint(k, "errors"), state,
		       jstr(k, "last_error") ? ", last error: " : "",
		       jstr(k, "last_error") ? jstr(k, "last_error") : "");
	}
}

static void print_status(json_object *s)
{
	json_object *att, *cnt, *ev, *dns;

	printf("agents root:    %s\n", js(s, "cgroup_root"));
	printf("pins:           %s\n", js(s, "bpffs"));
	printf("policy version: %lld\n", (long long)jint(s, "policy_version"));
	printf("agents:         %lld, runs %lld, tasks %lld, grants %lld, pending %lld\n",
	       (long long)jint(s, "agents"), (long long)jint(s, "runs"), (long long)jint(s, "tasks"),
	       (long long)jint(s, "grants"), (long long)jint(s, "pending"));
	printf("packet sockets: %s\n", js(s, "packet_sockets"));
	printf("revocation:     %s\n", js(s, "revocation"));
	if (json_object_object_get_ex(s, "dns", &dns)) {
		printf("dns proxy:      port %lld; %lld queries, %lld forwarded, %lld refused, "
		       "%lld malformed, %lld servfail\n", (long long)jint(dns, "port"),
		       (long long)jint(dns, "queries"), (long long)jint(dns, "forwarded"),
		       (long long)jint(dns, "refused"), (long long)jint(dns, "malformed"),
		       (long long)jint(dns, "servfail"));
	}
	printf("attached:\n");
	json_object_object_get_ex(s, "attached", &att);
	for (size_t i = 0; att && i < json_object_array_length(att); i++) {
		json_object *a = json_object_array_get_idx(att, i);

		printf("  %-16s %s\n", js(a, "program"), js(a, "attach"));
	}
	printf("counters:\n");
	if (json_object_object_get_ex(s, "counters", &cnt)) {
		json_object_object_foreach(cnt, k, v)
			printf("  %-20s %s\n", k, json_object_get_string(v));
	}
	if (json_object_object_get_ex(s, "events", &ev))
		print_events_status(ev);
}

int cmd_status(int argc, char **argv)
{
	json_object *reply = NULL, *res = NULL;
	int rc = simple(argc, argv, "status", &reply, &res);

	if (rc)
		return rc;
	if (json_out)
		print_json(res);
	else
		print_status(res);
	json_object_put(reply);
	return 0;
}

/* Copy the stream to stdout as it comes: lines are already in their format. */
static int pass_through(int fd, struct sl_linebuf *lb)
{
	char buf[65536];
	ssize_t n;

	if (lb->len && fwrite(lb->buf, 1, lb->len, stdout) != lb->len)
		return EXIT_TROUBLE;
	fflush(stdout);
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		if (n > 0 && (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n || fflush(stdout)))
			return EXIT_TROUBLE;
	}
	return 0;
}

static int follow(json_object *req)
{
	struct sl_linebuf lb = { 0 };
	json_object *o;
	int fd = sl_ctl_connect(socket_path), rc;

	if (fd < 0) {
		json_object_put(req);
		return EXIT_TROUBLE;
	}
	sl_json_send(fd, req);
	json_object_put(req);
	o = sl_json_recv(fd, &lb);
	if (!reply_ok(o, NULL)) {
		json_object_put(o);
		close(fd);
		return EXIT_TROUBLE;
	}
	json_object_put(o);
	rc = pass_through(fd, &lb);
	sl_linebuf_free(&lb);
	close(fd);
	return rc;
}

int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "agent", required_argument, NULL, 'a' },
		{ "verdict", required_argument, NULL, 'V' },
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	json_object *req = request("events"), *reply, *res = NULL;
	bool fol = false;
	long limit = 0;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "fa:n:F:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': fol = true; break;
		case 'a':
			json_object_object_add(req, "agent", json_object_new_string(optarg));
			break;
		case 'V':
			if (strcmp(optarg, "allow") && strcmp(optarg, "deny") && strcmp(optarg, "audit")) {
				json_object_put(req);
				return usage_error("events", "--verdict is allow, deny or audit, not \"%s\"", optarg);
			}
			json_object_object_add(req, "verdict", json_object_new_string(optarg));
			break;
		case 'n':
			limit = strtol(optarg, &end, 10);
			if (*end || limit < 1 || limit > 1024) {
				json_object_put(req);
				return usage_error("events", "--limit must be 1-1024, not \"%s\"", optarg);
			}
			json_object_object_add(req, "limit", json_object_new_int64(limit));
			break;
		case 'F':
			if (strcmp(optarg, "json") && strcmp(optarg, "ocsf") && strcmp(optarg, "ecs") &&
			    strcmp(optarg, "cef")) {
				json_object_put(req);
				return usage_error("events", "--format is json, ocsf, ecs or cef, not \"%s\"", optarg);
			}
			json_object_object_add(req, "format", json_object_new_string(optarg));
			break;
		case 'h': json_object_put(req); print_help("events"); return 0;
		default: json_object_put(req); return usage_error("events", "bad option%s", "");
		}
	}
	json_object_object_add(req, "follow", json_object_new_boolean(fol));
	if (fol)
		return follow(req);
	reply = call(req);
	if (!reply_ok(reply, &res)) {
		json_object_put(reply);
		return EXIT_TROUBLE;
	}
	for (size_t i = 0; i < json_object_array_length(res); i++) {
		json_object *e = json_object_array_get_idx(res, i);

		if (json_object_is_type(e, json_type_string))
			puts(json_object_get_string(e));	/* CEF */
		else
			print_json(e);
	}
	json_object_put(reply);
	return 0;
}
