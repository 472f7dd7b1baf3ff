// SPDX-License-Identifier: GPL-2.0-only
/* sluicectl run: start a command inside a fresh cgroup of an agent, confined. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "compat.h"
#include "addr.h"
#include "ctl.h"

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

/* What the daemon is asked: the agent, and optionally task, delegator, TTL. */
struct run_opts {
	const char *agent, *task, *delegated_by, *ttl;
	const struct passwd *pw;
};

static int start_run(const struct run_opts *o, char **cmd)
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
		child_exec(go[0], ep[1], cmd, o->pw);
	}
	close(go[0]);
	close(ep[1]);
	req = request("run");
	json_object_object_add(req, "agent", json_object_new_string(o->agent));
	if (o->task)
		json_object_object_add(req, "task", json_object_new_string(o->task));
	if (o->delegated_by)
		json_object_object_add(req, "delegated_by", json_object_new_string(o->delegated_by));
	if (o->ttl)
		json_object_object_add(req, "ttl", json_object_new_string(o->ttl));
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

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "task", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "ttl", required_argument, NULL, 'T' },
		{ "delegated-by", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct run_opts o = { 0 };
	struct passwd *pw = NULL;
	uint64_t ns;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "+a:t:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': o.agent = optarg; break;
		case 't': o.task = optarg; break;
		case 'D': o.delegated_by = optarg; break;
		case 'T':
			if (sl_duration_parse(optarg, &ns))
				return usage_error("run", "bad --ttl \"%s\": like 30s, 10m, 2h", optarg);
			o.ttl = optarg;
			break;
		case 'u':
			pw = getpwnam(optarg);
			if (!pw) {
				unsigned long uid = strtoul(optarg, &end, 10);

				pw = *optarg && !*end ? getpwuid((uid_t)uid) : NULL;
			}
			o.pw = pw;
			if (!pw)
				return usage_error("run", "no user \"%s\"", optarg);
			if (geteuid() != 0)
				return usage_error("run", "--user needs root%s", "");
			break;
		case 'h': print_help("run"); return 0;
		default: return usage_error("run", "bad option%s", "");
		}
	}
	if (!o.agent)
		return usage_error("run", "--agent NAME is required%s", "");
	if (optind >= argc)
		return usage_error("run", "no command given (put it after --)%s", "");
	return start_run(&o, argv + optind);
}
