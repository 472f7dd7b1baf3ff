/* SPDX-License-Identifier: GPL-2.0-only */
/* cgroup v2: finding the mount, making and removing agent cgroups, ids. */
#ifndef SLUICE_CGROUP_H
#define SLUICE_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The cgroup2 mount point from /proc/self/mountinfo; -ENOENT if none. */
int sl_cgroup_mount(char *buf, size_t len);
/* The cgroup id (kernfs inode) of a cgroup directory. */
int sl_cgroup_id(const char *path, uint64_t *id);
/* mkdir that accepts an existing directory. */
int sl_cgroup_mkdir(const char *path);
/* Move a process into a cgroup (cgroup.procs). */
int sl_cgroup_move(const char *path, pid_t pid);
/* Is any process left in the cgroup or below (cgroup.events populated)? */
int sl_cgroup_populated(const char *path, bool *populated);
/*
 * Kill every process in the cgroup and below (cgroup.kill), wait up to
 * timeout_ms for it to empty, then remove it and every cgroup below it.
 */
int sl_cgroup_destroy(const char *path, int timeout_ms);
/* The cgroup path (relative to the mount, e.g. "/sluice/coder/r-1") of pid. */
int sl_cgroup_of_pid(pid_t pid, char *buf, size_t len);

#endif
