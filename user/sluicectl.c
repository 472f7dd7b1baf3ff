// SPDX-License-Identifier: GPL-2.0-only
/* sluicectl: the operator's command line for sluiced. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compat.h"
#include "control.h"
#include "ctl.h"
#include "log.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *help;
};

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
"Usage: sluicectl run --agent NAME [--task ID [--ttl D]] [--delegated-by TASK]\n"
"                     [--user USER] -- COMMAND [ARG]...\n"
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
"      --ttl D        a task started by this run lives D (30m, 2h): after\n"
"                     that its grants die and it keeps only its agent's policy\n"
"      --delegated-by TASK\n"
"                     run as a sub-agent working for TASK: every call must be\n"
"                     allowed to this agent AND to TASK (attenuation); when\n"
"                     TASK ends, this run loses what it held through it.  The\n"
"                     run gets a task of its own (--task, or a generated id)\n"
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
	{ "grant", cmd_grant, "give an agent or task access for a while",
"Usage: sluicectl grant --agent NAME --to DEST --ttl DURATION [--ports P]\n"
"                       [--proto tcp|udp|any] [--task ID] [--reason TEXT]\n"
"\n"
"Allow agent NAME (or only the processes of its task ID) to reach DEST for\n"
"DURATION, and print the grant id.  The expiry is written into the kernel\n"
"map, so the grant dies on time even if sluiced is not running.  A grant\n"
"never overrides an explicit deny of the agent's policy.  A task named here\n"
"that does not exist yet is started (it ends when its last run exits).\n"
"\n"
"  -a, --agent NAME     the agent\n"
"      --to DEST        address, prefix (10.0.0.0/8, 2001:db8::/32) or DNS\n"
"                       name (api.github.com, *.pypi.org: needs the DNS proxy)\n"
"      --ttl DURATION   required: 30s, 10m, 2h, 1h30m; at most sluiced --max-ttl\n"
"  -p, --ports P        443, 8000-8100, or a list: 80,443 (default: all)\n"
"      --proto P        tcp, udp or any (default any)\n"
"  -t, --task ID        only for the processes of this task\n"
"  -r, --reason TEXT    recorded in the grant and its events\n"
"\n"
"Exit status: 0 granted, 1 refused, 2 trouble.\n"
"\n"
"Examples:\n"
"  sluicectl grant --agent coder --to 203.0.113.10 --ports 443 --proto tcp --ttl 10m\n"
"  id=$(sluicectl grant --agent coder --task build-42 --to 10.1.0.0/16 --ttl 30m \\\n"
"       --reason \"artifact upload, ticket OPS-12\")\n" },
	{ "revoke", cmd_revoke, "take grants back now",
"Usage: sluicectl revoke GRANT_ID | --task ID | --agent NAME\n"
"\n"
"Revoke one grant, every grant of a task, or every grant of an agent (its\n"
"tasks' too).  The kernel stops allowing at once, and established\n"
"connections that no rule allows any more are closed.\n"
"\n"
"Examples:\n"
"  sluicectl revoke g-12\n"
"  sluicectl revoke --task build-42\n"
"  sluicectl revoke --agent coder\n" },
	{ "grants", cmd_grants, "list live grants with the time they have left",
"Usage: sluicectl grants [--agent NAME] [--task ID]\n"
"\n"
"List grants: id, agent, task, destination, ports, protocol, time left,\n"
"reason.\n"
"\n"
"Examples:\n"
"  sluicectl grants\n"
"  sluicectl grants --agent coder\n"
"  sluicectl --json grants --task build-42\n" },
	{ "tasks", cmd_tasks, "list tasks",
"Usage: sluicectl tasks\n"
"\n"
"List tasks: agent, the task each works for (delegation), live runs,\n"
"expiry.\n"
"\n"
"Examples:\n"
"  sluicectl tasks\n" },
	{ "task", cmd_task, "end a task",
"Usage: sluicectl task end ID\n"
"\n"
"End task ID: revoke its grants, stop its processes and remove their\n"
"cgroups.  Sub-agents working for it lose what they held through it.\n"
"\n"
"Examples:\n"
"  sluicectl task end build-42\n" },
	{ "pending", cmd_pending, "list step-up requests waiting for approval",
"Usage: sluicectl pending\n"
"\n"
"List calls refused by an ask: rule and waiting for an operator.  Identical\n"
"calls (same agent, task and destination) are one request with a count.\n"
"Unanswered requests go after an hour.\n"
"\n"
"Examples:\n"
"  sluicectl pending\n" },
	{ "approve", cmd_approve, "turn a pending request into a grant",
"Usage: sluicectl approve REQUEST_ID --ttl DURATION\n"
"\n"
"Grant the exact destination of the request (address, port, protocol) for\n"
"DURATION, to the task that asked, or to the agent if it asked outside a\n"
"task; print the grant id.  The agent's retry then succeeds.\n"
"\n"
"Examples:\n"
"  sluicectl approve req-3 --ttl 15m\n" },
	{ "deny", cmd_deny, "close a pending request",
"Usage: sluicectl deny REQUEST_ID\n"
"\n"
"Close the request; the call stays refused.\n"
"\n"
"Examples:\n"
"  sluicectl deny req-3\n" },
};

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

const char *sl_ctl_help(const char *cmd)
{
	const struct cmd *c = find_cmd(cmd);

	return c ? c->help : "";
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
	optind = 0;	/* 0: getopt starts over, forgetting main's "+" mode */
	return cmd->fn(argc, argv);
}
