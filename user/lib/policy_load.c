// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy files from disk: one file, or every *.yaml / *.yml of a directory
 * in byte order, read whole (at most 16 MiB each) and handed to the
 * parser; nothing is added unless every file is valid.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "policy.h"

static int io_error(const char *path, int err, struct sl_diag *d)
{
	sl_diag_add(d, &(struct sl_loc){ .file = path }, "%s", strerror(-err));
	return err;
}

/* Up to MAX_FILE_BYTES + 1 bytes of fd (one more says "too big"), NUL-terminated. */
static int read_fd(int fd, char **out, size_t *len)
{
	size_t n = 0, cap = 0;
	char *buf = NULL, *nb;
	ssize_t r;

	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			cap = cap > MAX_FILE_BYTES ? MAX_FILE_BYTES + 1 : cap;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno != EINTR) {
			r = -errno;
			free(buf);
			return (int)r;
		}
		n += r > 0 ? (size_t)r : 0;
	} while (r && n <= MAX_FILE_BYTES);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* The whole file, NUL-terminated, at most MAX_FILE_BYTES. */
static int read_all(const char *path, char **out, size_t *len, struct sl_diag *d)
{
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return io_error(path, -errno, d);
	err = read_fd(fd, out, len);
	close(fd);
	if (err)
		return io_error(path, err, d);
	if (*len > MAX_FILE_BYTES) {
		free(*out);
		sl_diag_add(d, &(struct sl_loc){ .file = path }, "larger than 16 MiB");
		return -EFBIG;
	}
	return 0;
}

static int load_file(struct sl_policy *pol, const char *path, struct sl_diag *d)
{
	size_t len = 0;
	char *buf = NULL;
	int err;

	err = read_all(path, &buf, &len, d);
	if (err)
		return err;
	err = sl_policy_parse_buf(pol, path, buf, len, d);
	free(buf);
	return err;
}

/* *.yaml and *.yml, as a shell glob would match them (no dot files). */
static int is_policy_file(const struct dirent *e)
{
	const char *dot = strrchr(e->d_name, '.');

	return e->d_name[0] != '.' && dot &&
	       (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml"));
}

/* Byte order, not the locale's: the same files load in the same order everywhere. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* The first I/O error wins over -EINVAL, which wins over 0. */
static int worse(int a, int b)
{
	if (a && a != -EINVAL)
		return a;
	return b ? b : a;
}

static int load_entry(struct sl_policy *pol, const char *dir, const char *name,
		      struct sl_diag *d)
{
	bool slash = dir[0] && dir[strlen(dir) - 1] == '/';
	struct stat st;
	char *path;
	int err = 0;

	if (asprintf(&path, "%s%s%s", dir, slash ? "" : "/", name) < 0)
		return -ENOMEM;
	if (stat(path, &st))
		err = io_error(path, -errno, d);
	else if (S_ISREG(st.st_mode))
		err = load_file(pol, path, d);
	free(path);
	return err;
}

static int load_dir(struct sl_policy *pol, const char *dir, struct sl_diag *d)
{
	struct dirent **ents;
	int n, err = 0;

	n = scandir(dir, &ents, is_policy_file, by_name);
	if (n < 0)
		return io_error(dir, -errno, d);
	for (int i = 0; i < n; i++) {
		err = worse(err, load_entry(pol, dir, ents[i]->d_name, d));
		free(ents[i]);
	}
	free(ents);
	return err;
}

int sl_policy_load(struct sl_policy *pol, const char *path, struct sl_diag *d)
{
	size_t n_agents = pol->n_agents, n_files = pol->n_files;
	struct sl_policy tmp;
	struct stat st;
	int err;

	if (stat(path, &st))
		return io_error(path, -errno, d);
	sl_policy_init(&tmp);
	if (S_ISDIR(st.st_mode))
		err = load_dir(&tmp, path, d);
	else
		err = load_file(&tmp, path, d);
	if (err && err != -EINVAL) {
		sl_policy_free(&tmp);
		return err;
	}
	/* Check the whole, then take it back out if anything was wrong. */
	if (sl_policy_move(pol, &tmp)) {
		sl_policy_free(&tmp);
		return -ENOMEM;
	}
	err = worse(err, sl_policy_check(pol, d));
	if (err)
		sl_policy_truncate(pol, n_agents, n_files);
	return err;
}
