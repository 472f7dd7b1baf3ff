// SPDX-License-Identifier: GPL-2.0-only
/* sluicectl: the operator's command line for sluiced. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "control.h"
#include "engine.h"
#include "log.h"
#include "policy.h"

/* Exit statuses, as grep has them: 0 yes / 1 no / 2 trouble. */
#define EXIT_DENY	1
#define EXIT_TROUBLE	2
/* run: sluicectl itself failed, as env(1) and docker run have them. */
#define EXIT_RUN_FAILED	125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND	127

static const char *socket_path = SL_DEFAULT_SOCKET;
static bool json_out;

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *help;
};

static const struct cmd *find_cmd(const char *name);

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "sluicectl %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'sluicectl %s --help'.\n", cmd);
	return EXIT_TROUBLE;
}

static void print_help(const char *name)
{
	const struct cmd *c = find_cmd(name);

	fputs(c->help, stdout);
}

/* One request, one reply.  Returns the reply (caller puts it) or NULL. */
static json_object *call(json_object *req)
{
	struct sl_linebuf lb = { 0 };
	json_object *reply = NULL;
	int fd = sl_ctl_connect(socket_path);

	if (fd < 0)
		goto out;
	if (sl_json_send(fd, req)) {
		fprintf(stderr, "sluicectl: sending to sluiced failed: %s\n", strerror(errno));
		goto out;
	}
	reply = sl_json_recv(fd, &lb);
	if (!reply)
		fprintf(stderr, "sluicectl: no reply from sluiced: %s\n", strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	sl_linebuf_free(&lb);
	json_object_put(req);
	return reply;
}

static json_object *request(const char *op)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "op", json_object_new_string(op));
	return r;
}

/* ok: *result is the reply's result.  Not ok: the errors are printed. */
static bool reply_ok(json_object *reply, json_object **result)
{
	json_object *ok, *errs, *err;

	if (!reply)
		return false;
	if (json_object_object_get_ex(reply, "ok", &ok) && json_object_get_boolean(ok)) {
		if (result && !json_object_object_get_ex(reply, "result", result))
			*result = NULL;
		return true;
	}
	if (json_object_object_get_ex(reply, "errors", &errs)) {
		for (size_t i = 0; i < json_object_array_length(errs); i++)
			fprintf(stderr, "%s\n", json_object_get_string(json_object_array_get_idx(errs, i)));
	} else if (json_object_object_get_ex(reply, "error", &err)) {
		fprintf(stderr, "sluicectl: %s\n", json_object_get_string(err));
	}
	return false;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* For printing: never NULL. */
static const char *js(json_object *o, const char *key)
{
	const char *s = jstr(o, key);

	return s ? s : "-";
}

static int64_t jint(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

/* ---- policy files ---------------------------------------------------- */

static bool yaml_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] != '.' && ((l > 5 && !strcmp(n + l - 5, ".yaml")) ||
			       (l > 4 && !strcmp(n + l - 4, ".yml")));
}

static int yaml_filter(const struct dirent *de)
{
	return yaml_name(de->d_name);
}

static int read_whole(const char *path, char **out)
{
	struct stat st;
	ssize_t n;
	size_t off = 0;
	char *buf;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	while ((n = read(fd, buf + off, (size_t)st.st_size - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	*out = buf;
out:
	if (fd >= 0)
		close(fd);
	return err;
}

static int add_file(json_object *files, const char *path)
{
	json_object *f;
	char *content = NULL;
	int err = read_whole(path, &content);

	if (err) {
		fprintf(stderr, "%s: %s\n", path, strerror(-err));
		return err;
	}
	f = json_object_new_object();
	json_object_object_add(f, "name", json_object_new_string(path));
	json_object_object_add(f, "content", json_object_new_string(content));
	json_object_array_add(files, f);
	free(content);
	return 0;
}

/* The files apply sends: the file, or a directory's *.yaml / *.yml by name. */
static int collect_files(const char *path, json_object *files)
{
	struct dirent **list;
	char sub[4096];
	struct stat st;
	int n, err = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode))
		return add_file(files, path);
	n = scandir(path, &list, yaml_filter, alphasort);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", path, list[i]->d_name);
		if (!err)
			err = add_file(files, sub);
		free(list[i]);
	}
	free(list);
	return err;
}

/* ---- validate, apply --------------------------------------------------- */

static int validate_path(const char *path, bool quiet)
{
	struct sl_policy pol;
	struct sl_diag d;
	size_t rules = 0;
	int err;

	sl_policy_init(&pol);
	sl_diag_init(&d);
	err = sl_policy_load(&pol, path, &d);
	if (!err)
		err = sl_engine_validate(&pol, &d);
	sl_diag_print(&d, stderr);
	for (size_t i = 0; i < pol.n_agents; i++)
		rules += pol.agents[i].n_rules;
	if (!err && !quiet)
		printf("%s: valid: %zu agent%s, %zu rule%s\n", path, pol.n_agents,
		       pol.n_agents == 1 ? "" : "s", rules, rules == 1 ? "" : "s");
	sl_diag_free(&d);
	sl_policy_free(&pol);
	return err;
}

static int file_opt(int argc, char **argv, const char *cmd, const char **file, bool *prune)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "prune", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': *file = optarg; break;
		case 'P':
			if (!prune)
				return usage_error(cmd, "unknown option --prune%s", "");
			*prune = true;
			break;
		case 'h': print_help(cmd); exit(0);
		default: return usage_error(cmd, "bad option%s", "");
		}
	}
	if (!*file)
		return usage_error(cmd, "-f FILE|DIR is required%s", "");
	if (optind < argc)
		return usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
	return 0;
}

static int cmd_validate(int argc, char **argv)
{
	const char *file = NULL;
	int err = file_opt(argc, argv, "validate", &file, NULL);

	if (err)
		return err;
	return validate_path(file, false) ? EXIT_DENY : 0;
}

static void print_changes(json_object *res)
{
	json_object *changes;
	bool changed = jint(res, "changed");

	json_object_object_get_ex(res, "changes", &changes);
	for (size_t i = 0; changes && i < json_object_array_length(changes); i++) {
		json_object *c = json_object_array_get_idx(changes, i);
		const char *what = jstr(c, "change");

		if (!strcmp(what, "removed") || !strcmp(what, "unchanged"))
			printf("  %-24s %s\n", js(c, "agent"), what);
		else
			printf("  %-24s %s (%lld rules, %lld keys)\n", js(c, "agent"), what,
			       (long long)jint(c, "rules"), (long long)jint(c, "keys"));
	}
	if (changed)
		printf("policy version %lld in force\n", (long long)jint(res, "version"));
	else
		printf("no change: this policy is already in force (version %lld)\n",
		       (long long)jint(res, "version"));
}

static int cmd_apply(int argc, char **argv)
{
	json_object *req, *files, *reply, *res = NULL;
	const char *file = NULL;
	bool prune = false;
	int err = file_opt(argc, argv, "apply", &file, &prune);

	if (err)
		return err;
	/* sluiced checks again and records the attempt, refused or not. */
	req = request("apply");
	files = json_object_new_array();
	json_object_object_add(req, "files", files);
	json_object_object_add(req, "prune", json_object_new_boolean(prune));
	if (collect_files(file, files)) {
		json_object_put(req);
		return EXIT_TROUBLE;
	}
	reply = call(req);
	if (!reply_ok(reply, &res)) {
		json_object_put(reply);
		return reply ? EXIT_DENY : EXIT_TROUBLE;
	}
	if (json_out)
		print_json(res);
	else
		print_changes(res);
	json_object_put(reply);
	return 0;
}

/* ---- run ----------------------------------------------------------------- */

static pid_t run_child;

static void forward_signal(int sig)
{
	if (run_child > 0)
		kill(run_child, sig);
}

/*
 * Confine the agent before it runs: a cgroup namespace rooted at its run
 * cgroup (so even a root agent cannot move itself out of its cgroup), no
 * way back to privileges through setuid or file capabilities, and none of
 * the capabilities that would let it get around the kernel checks (packet
 * and raw sockets, BPF, network and cgroup administration).  An operator
 * who is not root has none of these to lose; the namespace needs root.
 */
static int confine(const struct passwd *pw)
{
	static const int caps[] = {
		CAP_NET_RAW, CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON,
		CAP_SYS_MODULE, CAP_SYS_PTRACE, CAP_SYS_RAWIO,
	};

	if (geteuid() == 0) {
		if (unshare(CLONE_NEWCGROUP))
			return -errno;
		for (size_t i = 0; i < ARRAY_SIZE(caps); i++)
			if (prctl(PR_CAPBSET_DROP, caps[i], 0, 0, 0) && errno != EINVAL)
				return -errno;
	}
	if (pw && (initgroups(pw->pw_name, pw->pw_gid) || setgid(pw->pw_gid) ||
		   setuid(pw->pw_uid)))
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}

/* The child waits for the daemon to place it, then execs; exec errors go back on ep. */
static void child_exec(int go, int ep, char **cmd, const struct passwd *pw)
{
	char c;
	int e;

	if (read(go, &c, 1) != 1)
		_exit(EXIT_RUN_FAILED);	/* refused, or sluicectl died */
	e = -confine(pw);
	if (e) {
		if (write(ep, &e, sizeof(e)) < 0)
			_exit(EXIT_RUN_FAILED);
		_exit(EXIT_RUN_FAILED);
	}
	execvp(cmd[0], cmd);
	e = errno;
	if (write(ep, &e, sizeof(e)) < 0)
		_exit(EXIT_RUN_FAILED);
	_exit(e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

static int wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return EXIT_RUN_FAILED;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static int start_run(const char *agent, const char *task, char **cmd,
		     const struct passwd *pw)
{
	json_object *req, *reply;
	int go[2], ep[2], e = 0;
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) || pipe2(ep, O_CLOEXEC))
		return EXIT_RUN_FAILED;
	pid = fork();
	if (pid < 0)
		return EXIT_RUN_FAILED;
	if (pid == 0) {
		close(go[1]);
		close(ep[0]);
		child_exec(go[0], ep[1], cmd, pw);
	}
	close(go[0]);
	close(ep[1]);
	req = request("run");
	json_object_object_add(req, "agent", json_object_new_string(agent));
	if (task)
		json_object_object_add(req, "task", json_object_new_string(task));
	json_object_object_add(req, "pid", json_object_new_int(pid));
	reply = call(req);
	if (!reply_ok(reply, NULL)) {
		/* Closing go makes the child exit without running the command. */
		close(go[1]);
		wait_child(pid);
		json_object_put(reply);
		return EXIT_RUN_FAILED;
	}
	json_object_put(reply);
	run_child = pid;
	signal(SIGTERM, forward_signal);
	signal(SIGHUP, forward_signal);
	/* The terminal sends SIGINT/SIGQUIT to the child too; we wait for it. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	if (write(go[1], "x", 1) != 1)
		kill(pid, SIGKILL);
	close(go[1]);
	if (read(ep[0], &e, sizeof(e)) == sizeof(e))
		fprintf(stderr, "sluicectl run: cannot run %s: %s\n", cmd[0], strerror(e));
	close(ep[0]);
	return wait_child(pid);
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "task", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *agent = NULL, *task = NULL;
	struct passwd *pw = NULL;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "+a:t:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': agent = optarg; break;
		case 't': task = optarg; break;
		case 'u':
			pw = getpwnam(optarg);
			if (!pw) {
				unsigned long uid = strtoul(optarg, &end, 10);

				pw = *optarg && !*end ? getpwuid((uid_t)uid) : NULL;
			}
			if (!pw)
				return usage_error("run", "no user \"%s\"", optarg);
			if (geteuid() != 0)
				return usage_error("run", "--user needs root%s", "");
			break;
		case 'h': print_help("run"); return 0;
		default: return usage_error("run", "bad option%s", "");
		}
	}
	if (!agent)
		return usage_error("run", "--agent NAME is required%s", "");
	if (optind >= argc)
		return usage_error("run", "no command given (put it after --)%s", "");
	return start_run(agent, task, argv + optind, pw);
}

/* ---- check, agents, status, events ------------------------------------- */

static int cmd_check(int argc, char **argv)
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

static int simple(int argc, char **argv, const char *name, json_object **reply,
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

static int cmd_agents(int argc, char **argv)
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
	json_object *att, *cnt, *ev;

	printf("agents root:    %s\n", js(s, "cgroup_root"));
	printf("pins:           %s\n", js(s, "bpffs"));
	printf("policy version: %lld\n", (long long)jint(s, "policy_version"));
	printf("agents:         %lld, runs %lld, tasks %lld\n", (long long)jint(s, "agents"),
	       (long long)jint(s, "runs"), (long long)jint(s, "tasks"));
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

static int cmd_status(int argc, char **argv)
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

static int cmd_events(int argc, char **argv)
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

/* ---- table and main ----------------------------------------------------- */

static const struct cmd cmds[] = {
	{ "apply", cmd_apply, "validate a policy and switch to it atomically",
"Usage: sluicectl apply -f FILE|DIR [--prune]\n"
"\n"
"Validate the policy in FILE, or in every *.yaml / *.yml of DIR, and apply it.\n"
"Each agent named is added or updated: its new rules are written to the\n"
"kernel beside the old ones, then the agent switches in one map update, so\n"
"no connection ever sees half a policy.  If anything is invalid nothing\n"
"changes, and each error is printed as file:line:col: message.  Applying the\n"
"policy already in force changes nothing and says so.\n"
"\n"
"  -f, --file FILE|DIR   the policy\n"
"      --prune           also remove agents the policy does not name\n"
"\n"
"Exit status: 0 applied (or nothing to change), 1 invalid or refused,\n"
"2 trouble (no daemon, bad usage).\n"
"\n"
"Examples:\n"
"  sluicectl apply -f /etc/sluice/policy.d\n"
"  sluicectl apply -f coder.yaml\n"
"  sluicectl apply -f policies/ --prune\n" },
	{ "validate", cmd_validate, "check a policy offline (no daemon needed)",
"Usage: sluicectl validate -f FILE|DIR\n"
"\n"
"Parse and compile the policy exactly as apply would, without a daemon.\n"
"Errors are printed as file:line:col: message.\n"
"\n"
"Exit status: 0 valid, 1 invalid, 2 trouble.\n"
"\n"
"Examples:\n"
"  sluicectl validate -f policies/demo.yaml\n"
"  sluicectl validate -f /etc/sluice/policy.d\n" },
	{ "run", cmd_run, "run a command as an agent",
"Usage: sluicectl run --agent NAME [--task ID] [--user USER] -- COMMAND [ARG]...\n"
"\n"
"Run COMMAND inside a fresh cgroup of agent NAME under sluiced's agents\n"
"root.  The cgroup is entered into the kernel before COMMAND starts, so its\n"
"very first connection is checked; children of COMMAND stay in it.  When\n"
"the last process exits, sluiced removes the cgroup.  If the agent is\n"
"unknown, COMMAND is not run.\n"
"\n"
"COMMAND runs confined: no_new_privs (setuid and file capabilities do not\n"
"raise it), and when sluicectl runs as root, a cgroup namespace rooted at\n"
"the run's cgroup (it cannot leave it) and a bounding set without\n"
"CAP_NET_RAW, CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON,\n"
"CAP_SYS_MODULE, CAP_SYS_PTRACE and CAP_SYS_RAWIO.\n"
"\n"
"  -a, --agent NAME   the agent (see sluicectl agents)\n"
"  -t, --task ID      the task this run belongs to (letters, digits, - _ .);\n"
"                     it appears in every event of the run\n"
"  -u, --user USER    run COMMAND as USER (name or uid; root only).  An agent\n"
"                     running as root owns the cgroup files and can move\n"
"                     itself out of its cgroup unless cgroup2 is mounted with\n"
"                     nsdelegate: run agents as an unprivileged user\n"
"\n"
"Exit status: COMMAND's status (128+N if killed by signal N); 125 if\n"
"sluicectl or sluiced refused or failed; 126 if COMMAND cannot be executed;\n"
"127 if it was not found.\n"
"\n"
"Examples:\n"
"  sluicectl run --agent coder -- curl https://api.github.com\n"
"  sluicectl run --agent coder --task build-42 -- make -j2\n"
"  sluicectl run --agent coder --user nobody -- python3 agent.py\n"
"  sluicectl run --agent research -- python3 agent.py --goal \"summarise\"\n" },
	{ "check", cmd_check, "say what the kernel would decide for a destination",
"Usage: sluicectl check --agent NAME --to ADDR:PORT [--proto tcp|udp] [--task ID]\n"
"\n"
"Look the destination up in the kernel maps in force now, with the same\n"
"decision code the BPF programs run, and print the verdict and the rule\n"
"that decides it.  IPv6 addresses go in brackets: [2001:db8::1]:443.\n"
"\n"
"  -a, --agent NAME    the agent\n"
"      --to ADDR:PORT  the destination\n"
"  -p, --proto P       tcp (default) or udp\n"
"  -t, --task ID       include the grants of this task\n"
"\n"
"Exit status: 0 allowed (or audit: allowed, logged as would-deny),\n"
"1 denied, 2 trouble.\n"
"\n"
"Examples:\n"
"  sluicectl check --agent coder --to 203.0.113.7:443\n"
"  sluicectl check --agent coder --to [2001:db8::1]:53 --proto udp\n" },
	{ "agents", cmd_agents, "list the agents in force",
"Usage: sluicectl agents\n"
"\n"
"List the agents of the policy in force: mode, logging, policy version,\n"
"number of rules and of live runs, SPIFFE ID.\n"
"\n"
"Examples:\n"
"  sluicectl agents\n"
"  sluicectl --json agents | jq '.[].name'\n" },
	{ "status", cmd_status, "show attach points, policy version, counters",
"Usage: sluicectl status\n"
"\n"
"Show where the programs are attached and pinned, the policy version,\n"
"decision counters from the kernel (allow, deny, audit), and events\n"
"written and lost, in the kernel ring buffer and in the sinks.\n"
"\n"
"Examples:\n"
"  sluicectl status\n"
"  sluicectl --json status\n" },
	{ "events", cmd_events, "show recent events, or follow them",
"Usage: sluicectl events [--follow] [--agent NAME] [--verdict V] [--limit N]\n"
"                        [--format json|ocsf|ecs|cef]\n"
"\n"
"Print events, one per line: without --follow the most recent ones kept by\n"
"sluiced (up to 1024), with --follow every new one until interrupted.\n"
"sluiced renders them in the format asked for, exactly as its sinks write\n"
"them (docs/events.md, docs/siem.md).\n"
"\n"
"  -f, --follow         stream new events\n"
"  -a, --agent NAME     only this agent's\n"
"      --verdict V      only allow, deny or audit decisions (control events,\n"
"                       like policy_apply, have no verdict and are left out)\n"
"  -n, --limit N        at most N recent events (1-1024)\n"
"      --format F       json (sluice's own, the default), ocsf, ecs or cef\n"
"\n"
"Examples:\n"
"  sluicectl events --limit 20\n"
"  sluicectl events --follow --verdict deny\n"
"  sluicectl events -f -a coder | jq -r '.dst_ip'\n"
"  sluicectl events -f --format cef | logger -t sluice\n" },
};

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static void main_usage(FILE *f)
{
	fprintf(f,
"Usage: sluicectl [--socket PATH] [--json] COMMAND [OPTION]...\n"
"\n"
"Operate sluiced, the kernel egress enforcer for AI agents.\n"
"\n"
"Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f,
"\n"
"Options:\n"
"  -s, --socket PATH   sluiced's control socket (default $SLUICE_SOCKET, else\n"
"                      " SL_DEFAULT_SOCKET ")\n"
"  -j, --json          print replies as JSON\n"
"  -h, --help          this text; 'sluicectl COMMAND --help' for a command\n"
"\n"
"Examples:\n"
"  sluicectl validate -f policies/\n"
"  sluicectl apply -f policies/\n"
"  sluicectl run --agent coder -- curl http://127.0.1.1:8080/\n"
"  sluicectl events --follow\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const struct cmd *cmd;
	int c;

	sl_log_init("sluicectl", SL_LOG_WARN);
	if (getenv("SLUICE_SOCKET"))
		socket_path = getenv("SLUICE_SOCKET");
	while ((c = getopt_long(argc, argv, "+s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's': socket_path = optarg; break;
		case 'j': json_out = true; break;
		case 'h': main_usage(stdout); return 0;
		default: main_usage(stderr); return EXIT_TROUBLE;
		}
	}
	if (optind >= argc) {
		main_usage(stderr);
		return EXIT_TROUBLE;
	}
	cmd = find_cmd(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "sluicectl: unknown command \"%s\"\n", argv[optind]);
		main_usage(stderr);
		return EXIT_TROUBLE;
	}
	argc -= optind;
	argv += optind;
	optind = 1;
	return cmd->fn(argc, argv);
}
