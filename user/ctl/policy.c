// SPDX-License-Identifier: GPL-2.0-only
/* sluicectl apply and validate. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "ctl.h"
#include "engine.h"
#include "policy.h"

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

int cmd_validate(int argc, char **argv)
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

int cmd_apply(int argc, char **argv)
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
