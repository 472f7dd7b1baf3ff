// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cgroup.h"

int sl_cgroup_mount(char *buf, size_t len)
{
	char line[4096], mnt[PATH_MAX], fstype[64];
	int err = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	/* "36 35 0:30 / /sys/fs/cgroup rw,... shared:9 - cgroup2 cgroup2 rw" */
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep + 3, "%63s", fstype) != 1 ||
		    strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if ((size_t)snprintf(buf, len, "%s", mnt) >= len) {
			err = -ENAMETOOLONG;
			break;
		}
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

int sl_cgroup_id(const char *path, uint64_t *id)
{
	struct stat st;

	/* On cgroup2 the inode number is the kernfs id bpf_get_current_cgroup_id returns. */
	if (stat(path, &st))
		return -errno;
	*id = (uint64_t)st.st_ino;
	return 0;
}

int sl_cgroup_mkdir(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_file(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, err = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

int sl_cgroup_move(const char *path, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return write_file(path, "cgroup.procs", buf);
}

int sl_cgroup_populated(const char *path, bool *populated)
{
	char file[PATH_MAX], line[128];
	int err = -EIO;
	FILE *f;

	if ((size_t)snprintf(file, sizeof(file), "%s/cgroup.events", path) >= sizeof(file))
		return -ENAMETOOLONG;
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		int v;

		if (sscanf(line, "populated %d", &v) == 1) {
			*populated = v != 0;
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

/* Remove the cgroups below path, deepest first, then path itself. */
static int remove_tree(const char *path)
{
	char child[PATH_MAX];
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s/%s", path, de->d_name) >= sizeof(child)) {
			err = -ENAMETOOLONG;
			continue;
		}
		if (remove_tree(child) && !err)
			err = -errno;
	}
	closedir(d);
	if (rmdir(path) && errno != ENOENT && !err)
		err = -errno;
	return err;
}

int sl_cgroup_destroy(const char *path, int timeout_ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	bool populated = true;
	int err, waited = 0;

	err = sl_cgroup_populated(path, &populated);
	if (err == -ENOENT)
		return 0;
	if (!err && populated) {
		err = write_file(path, "cgroup.kill", "1");
		if (err)
			return err;
		while (waited < timeout_ms) {
			err = sl_cgroup_populated(path, &populated);
			if (err || !populated)
				break;
			nanosleep(&ts, NULL);
			waited += 10;
		}
		if (!err && populated)
			return -EBUSY;
	}
	return remove_tree(path);
}

int sl_cgroup_of_pid(pid_t pid, char *buf, size_t len)
{
	char file[64], line[PATH_MAX + 8];
	int err = -ENOENT;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	/* The v2 line is "0::/path". */
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		if ((size_t)snprintf(buf, len, "%s", line + 3) >= len)
			err = -ENAMETOOLONG;
		else
			err = 0;
		break;
	}
	fclose(f);
	return err;
}
