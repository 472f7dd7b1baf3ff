/* SPDX-License-Identifier: GPL-2.0-only */
/* sluicectl: the commands (user/ctl/) and the client plumbing they share. */
#ifndef SLUICE_CTL_H
#define SLUICE_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

/* Exit statuses, as grep has them: 0 yes / 1 no / 2 trouble. */
#define EXIT_DENY	1
#define EXIT_TROUBLE	2
/* run: sluicectl itself failed, as env(1) and docker run have them. */
#define EXIT_RUN_FAILED	125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND	127

extern const char *socket_path;
extern bool json_out;

/* sluicectl.c: a command's --help text. */
const char *sl_ctl_help(const char *cmd);

/* client.c */
int usage_error(const char *cmd, const char *fmt, const char *arg);
void print_help(const char *name);
/* One request (taken), one reply (caller puts it), or NULL with a message printed. */
json_object *call(json_object *req);
json_object *request(const char *op);
/* ok: *result is the reply's result.  Not ok: the errors are printed. */
bool reply_ok(json_object *reply, json_object **result);
const char *jstr(json_object *o, const char *key);
const char *js(json_object *o, const char *key);
int64_t jint(json_object *o, const char *key);
void print_json(json_object *o);
/* Send a request with no options of its own, print nothing; 0 or an exit status. */
int simple(int argc, char **argv, const char *name, json_object **reply, json_object **res);

/* The commands: each parses its own options and returns an exit status. */
int cmd_apply(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_agents(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_grant(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_grants(int argc, char **argv);
int cmd_tasks(int argc, char **argv);
int cmd_task(int argc, char **argv);
int cmd_pending(int argc, char **argv);
int cmd_approve(int argc, char **argv);
int cmd_deny(int argc, char **argv);

#endif
