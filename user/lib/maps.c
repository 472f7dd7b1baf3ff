// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "sluice.skel.h"
#include "sluice_lsm.skel.h"
#include "sluice_iter.skel.h"
#include "cgroup.h"
#include "log.h"
#include "maps.h"

#define BPF_FS_MAGIC_NR	0xcafe4a11
#define BPFFS_MOUNT	"/sys/fs/bpf"
#define MAX_PROGS	16

struct sl_maps {
	struct sluice *skel;
	struct sluice_lsm *lsm_skel;	/* NULL when the kernel refused it */
	struct sluice_iter *iter_skel;	/* NULL when the kernel refused it */
	struct bpf_link *iters[2];	/* the sweep's tcp and udp iterators */
	struct bpf_link *links[MAX_PROGS];
	int nlinks;
	int lock_fd;
	int ncpus;
	char lsm_why[160];		/* why sl_lsm_socket is not loaded */
	char iter_why[160];		/* why the sweep is not loaded */
	char pin_dir[PATH_MAX];
};

int sl_maps_probe(void)
{
	char mnt[PATH_MAX];

	if (geteuid() != 0) {
		pr_warn("sluiced must run as root: it loads BPF programs and manages cgroups\n");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		pr_warn("this kernel has no BTF (/sys/kernel/btf/vmlinux is missing); sluice needs CONFIG_DEBUG_INFO_BTF=y\n");
		return -ENOTSUP;
	}
	if (sl_cgroup_mount(mnt, sizeof(mnt))) {
		pr_warn("no cgroup v2 hierarchy is mounted (nothing of type cgroup2 in /proc/self/mountinfo)\n");
		return -ENOENT;
	}
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, NULL) != 1) {
		pr_warn("this kernel cannot run cgroup socket-address BPF programs (CONFIG_CGROUP_BPF and CONFIG_BPF_SYSCALL are needed)\n");
		return -ENOTSUP;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		pr_warn("this kernel has no BPF ring buffer (Linux 5.8 or later is needed)\n");
		return -ENOTSUP;
	}
	return 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && (unsigned long)st.f_type == BPF_FS_MAGIC_NR;
}

int sl_maps_bpffs(const char *dir)
{
	if (!is_bpffs(BPFFS_MOUNT)) {
		if (mkdir(BPFFS_MOUNT, 0700) && errno != EEXIST)
			return -errno;
		if (mount("bpf", BPFFS_MOUNT, "bpf", 0, "mode=0700")) {
			pr_warn("cannot mount bpffs at %s: %s\n", BPFFS_MOUNT, strerror(errno));
			return -errno;
		}
		pr_info("mounted bpffs at %s\n", BPFFS_MOUNT);
	}
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (!is_bpffs(dir)) {
		pr_warn("%s is not on a bpffs mount\n", dir);
		return -EINVAL;
	}
	return 0;
}

static int pin_path(char *buf, size_t len, const char *dir, const char *prefix,
		    const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s%s", dir, prefix, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * A map pinned by an earlier sluiced is reused as it is: its size wins over
 * the configuration (resizing would mean dropping enforcement state).  Key
 * or value size differing means another build of sluice pinned it.
 */
static int adopt_map_size(struct bpf_map *map, const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd, err = 0;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	if (info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.type != bpf_map__type(map)) {
		pr_warn("%s was pinned by an incompatible sluice build; stop the agents and run sluiced --teardown\n",
			path);
		err = -EINVAL;
		goto out;
	}
	if (info.max_entries != bpf_map__max_entries(map)) {
		pr_info("%s: keeping the pinned size %u (configured %u)\n", path,
			info.max_entries, bpf_map__max_entries(map));
		err = bpf_map__set_max_entries(map, info.max_entries);
	}
out:
	close(fd);
	return err;
}

static int prepare_maps(struct sl_maps *m, const struct sl_maps_cfg *cfg)
{
	struct sluice *s = m->skel;
	char path[PATH_MAX];
	struct bpf_map *map;
	int err;

	if (cfg->rules_max)
		bpf_map__set_max_entries(s->maps.sl_rules, cfg->rules_max);
	if (cfg->grants_max)
		bpf_map__set_max_entries(s->maps.sl_grants, cfg->grants_max);
	if (cfg->ringbuf_bytes)
		bpf_map__set_max_entries(s->maps.sl_events, cfg->ringbuf_bytes);
	bpf_object__for_each_map(map, s->obj) {
		if (bpf_map__is_internal(map))
			continue;	/* .rodata and friends are not state */
		err = pin_path(path, sizeof(path), m->pin_dir, "", bpf_map__name(map));
		if (!err)
			err = adopt_map_size(map, path);
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Is the BPF LSM in the kernel's active list?  Without it an lsm_cgroup
 * program loads and attaches but never runs, so sluice says so instead.
 */
static bool bpf_lsm_active(void)
{
	const char *file = "/sys/kernel/security/lsm";
	char buf[512], *tok, *save;
	ssize_t n;
	int fd;

	if (access(file, R_OK))
		mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (tok = strtok_r(buf, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save))
		if (!strcmp(tok, "bpf"))
			return true;
	return false;
}

/* An optional object uses the main object's maps, not copies of its own. */
static int reuse_maps(struct sl_maps *m, struct bpf_object *obj)
{
	struct bpf_map *map, *main_map;
	int err;

	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map))
			continue;
		main_map = bpf_object__find_map_by_name(m->skel->obj, bpf_map__name(map));
		if (!main_map)
			return -ENOENT;
		err = bpf_map__reuse_fd(map, bpf_map__fd(main_map));
		if (err)
			return err;
	}
	return 0;
}

/*
 * Optional: refusing non-IP socket families (AF_PACKET) needs the BPF LSM.
 * Without it sluice still runs; status and the log say what is missing.
 */
static void load_lsm(struct sl_maps *m)
{
	int err;

	if (!bpf_lsm_active()) {
		snprintf(m->lsm_why, sizeof(m->lsm_why),
			 "the BPF LSM is not active (no \"bpf\" in /sys/kernel/security/lsm)");
		goto out;
	}
	m->lsm_skel = sluice_lsm__open();
	err = m->lsm_skel ? reuse_maps(m, m->lsm_skel->obj) : -errno;
	if (!err)
		err = sluice_lsm__load(m->lsm_skel);
	if (!err)
		return;
	snprintf(m->lsm_why, sizeof(m->lsm_why),
		 "the kernel refused the lsm_cgroup program (%s)", strerror(-err));
	sluice_lsm__destroy(m->lsm_skel);
	m->lsm_skel = NULL;
out:
	pr_warn("packet sockets are not refused in the kernel: %s; agents started by sluicectl run lose CAP_NET_RAW instead\n",
		m->lsm_why);
}

/*
 * Optional too: closing established connections on revocation needs
 * iterators and bpf_sock_destroy (Linux 6.5).  Without them new calls are
 * still judged; status says that live connections are not cut.
 */
static void load_iter(struct sl_maps *m)
{
	struct bpf_link *l;
	int err;

	m->iter_skel = sluice_iter__open();
	err = m->iter_skel ? reuse_maps(m, m->iter_skel->obj) : -errno;
	if (!err)
		err = sluice_iter__load(m->iter_skel);
	for (int i = 0; !err && i < 2; i++) {
		l = bpf_program__attach_iter(i ? m->iter_skel->progs.sl_iter_udp :
					     m->iter_skel->progs.sl_iter_tcp, NULL);
		if (!l)
			err = -errno;
		m->iters[i] = l;
	}
	if (!err)
		return;
	snprintf(m->iter_why, sizeof(m->iter_why),
		 "the kernel refused the socket iterators (%s)", strerror(-err));
	pr_warn("established connections are not closed on revocation: %s\n", m->iter_why);
	for (int i = 0; i < 2; i++) {
		bpf_link__destroy(m->iters[i]);
		m->iters[i] = NULL;
	}
	sluice_iter__destroy(m->iter_skel);
	m->iter_skel = NULL;
}

static int run_iter(struct bpf_link *link)
{
	char buf[256];
	ssize_t n;
	int fd;

	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return -errno;
	/* The programs do their work while the iterator is read. */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n < 0 ? -errno : 0;
}

int sl_maps_sweep(struct sl_maps *m)
{
	int err = 0;

	if (!m->iter_skel)
		return -ENOTSUP;
	for (int i = 0; i < 2 && !err; i++)
		err = run_iter(m->iters[i]);
	return err;
}

const char *sl_maps_sweep_missing(const struct sl_maps *m)
{
	return m->iter_skel ? NULL : m->iter_why;
}

static int root_cgroup_id(const char *root, __u64 *id)
{
	uint64_t v;
	int err = sl_cgroup_id(root, &v);

	*id = v;
	return err;
}

/* Adopt a pinned link: check where it is attached, then switch its program. */
static int adopt_link(struct sl_maps *m, struct bpf_program *prog, const char *path,
		      __u64 root_id)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	struct bpf_link *link;
	int err;

	link = bpf_link__open(path);
	if (!link)
		return -errno;
	if (bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &len)) {
		err = -errno;
		goto fail;
	}
	if (info.type == BPF_LINK_TYPE_CGROUP && info.cgroup.cgroup_id != root_id) {
		pr_warn("%s is attached at another cgroup (id %llu); run sluiced --teardown with the same --bpffs first\n",
			path, (unsigned long long)info.cgroup.cgroup_id);
		err = -EEXIST;
		goto fail;
	}
	err = bpf_link__update_program(link, prog);
	if (err)
		goto fail;
	m->links[m->nlinks++] = link;
	return 0;
fail:
	bpf_link__destroy(link);
	return err;
}

static int attach_obj(struct sl_maps *m, struct bpf_object *obj, int cg_fd,
		      __u64 root_id, bool *adopted);

static int attach_progs(struct sl_maps *m, const char *root, bool *adopted)
{
	__u64 root_id;
	int cg_fd, err;

	err = root_cgroup_id(root, &root_id);
	if (err)
		return err;
	cg_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0)
		return -errno;
	err = attach_obj(m, m->skel->obj, cg_fd, root_id, adopted);
	if (!err && m->lsm_skel)
		err = attach_obj(m, m->lsm_skel->obj, cg_fd, root_id, adopted);
	close(cg_fd);
	return err;
}

static int attach_obj(struct sl_maps *m, struct bpf_object *obj, int cg_fd,
		      __u64 root_id, bool *adopted)
{
	struct bpf_program *prog;
	char path[PATH_MAX];
	struct bpf_link *link;
	int err = 0;

	bpf_object__for_each_program(prog, obj) {
		if (m->nlinks == MAX_PROGS) {
			err = -E2BIG;
			break;
		}
		err = pin_path(path, sizeof(path), m->pin_dir, "link_", bpf_program__name(prog));
		if (err)
			break;
		if (!access(path, F_OK)) {
			err = adopt_link(m, prog, path, root_id);
			if (err)
				break;
			*adopted = true;
			continue;
		}
		link = bpf_program__attach_cgroup(prog, cg_fd);
		if (!link) {
			err = -errno;
			pr_warn("cannot attach %s: %s\n", bpf_program__name(prog), strerror(-err));
			break;
		}
		m->links[m->nlinks++] = link;
		err = bpf_link__pin(link, path);
		if (err)
			break;
	}
	return err;
}

static int lock_pin_dir(struct sl_maps *m)
{
	m->lock_fd = open(m->pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->lock_fd < 0)
		return -errno;
	if (flock(m->lock_fd, LOCK_EX | LOCK_NB)) {
		if (errno == EWOULDBLOCK)
			pr_warn("another sluiced is using %s\n", m->pin_dir);
		return -errno;
	}
	return 0;
}

int sl_maps_open(struct sl_maps **out, const struct sl_maps_cfg *cfg, bool *adopted)
{
	struct sl_maps *m;
	int err;

	*adopted = false;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->lock_fd = -1;
	m->ncpus = libbpf_num_possible_cpus();
	snprintf(m->pin_dir, sizeof(m->pin_dir), "%s", cfg->pin_dir);
	err = sl_maps_bpffs(m->pin_dir);
	if (!err)
		err = lock_pin_dir(m);
	if (err)
		goto fail;
	m->skel = sluice__open();
	if (!m->skel) {
		err = -errno;
		pr_warn("cannot open the BPF object: %s\n", strerror(-err));
		goto fail;
	}
	if (cfg->dns_port) {
		/* The proxy listens on 127.0.0.1 and ::1 (dnsproxy.c). */
		m->skel->rodata->dns_ip4 = htonl(INADDR_LOOPBACK);
		m->skel->rodata->dns_ip6[3] = htonl(1);
		m->skel->rodata->dns_port = htons(cfg->dns_port);
	}
	err = prepare_maps(m, cfg);
	if (err) {
		pr_warn("cannot prepare the pinned maps in %s: %s\n", m->pin_dir, strerror(-err));
		goto fail;
	}
	err = sluice__load(m->skel);
	if (err) {
		pr_warn("the kernel refused sluice's BPF programs (%s); run with -v for the verifier log\n",
			strerror(-err));
		goto fail;
	}
	load_lsm(m);
	load_iter(m);
	err = attach_progs(m, cfg->cgroup_root, adopted);
	if (err)
		goto fail;
	*out = m;
	return 0;
fail:
	sl_maps_close(m);
	return err;
}

void sl_maps_close(struct sl_maps *m)
{
	if (!m)
		return;
	/* Destroying a pinned link only drops our reference: the pin keeps it. */
	for (int i = 0; i < m->nlinks; i++)
		bpf_link__destroy(m->links[i]);
	for (int i = 0; i < 2; i++)
		bpf_link__destroy(m->iters[i]);
	sluice_iter__destroy(m->iter_skel);
	sluice_lsm__destroy(m->lsm_skel);
	sluice__destroy(m->skel);
	if (m->lock_fd >= 0)
		close(m->lock_fd);
	free(m);
}

int sl_maps_teardown(const char *pin_dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = opendir(pin_dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	/* Links first, so the programs detach before their maps go. */
	for (int pass = 0; pass < 2; pass++) {
		rewinddir(d);
		while ((de = readdir(d))) {
			bool is_link = !strncmp(de->d_name, "link_", 5);

			if (de->d_name[0] == '.' || is_link != (pass == 0))
				continue;
			if (pin_path(path, sizeof(path), pin_dir, "", de->d_name) ||
			    (unlink(path) && errno != ENOENT))
				err = err ? err : -errno;
		}
	}
	closedir(d);
	if (rmdir(pin_dir) && errno != ENOENT)
		err = err ? err : -errno;
	return err;
}

int sl_maps_ringbuf_fd(const struct sl_maps *m)
{
	return bpf_map__fd(m->skel->maps.sl_events);
}

int sl_maps_counters(const struct sl_maps *m, uint64_t out[SL_CNT_MAX])
{
	int fd = bpf_map__fd(m->skel->maps.sl_counters);
	__u64 vals[m->ncpus > 0 ? m->ncpus : 1];

	for (__u32 i = 0; i < SL_CNT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals))
			return -errno;
		for (int c = 0; c < m->ncpus; c++)
			out[i] += vals[c];
	}
	return 0;
}

int sl_maps_attached(const struct sl_maps *m, const char **names, const char **types, int max)
{
	struct bpf_object *objs[2] = { m->skel->obj, m->lsm_skel ? m->lsm_skel->obj : NULL };
	struct bpf_program *prog;
	int n = 0;

	for (int o = 0; o < 2 && objs[o]; o++) {
		bpf_object__for_each_program(prog, objs[o]) {
			if (n == max)
				return n;
			names[n] = bpf_program__name(prog);
			types[n] = libbpf_bpf_attach_type_str(bpf_program__expected_attach_type(prog));
			n++;
		}
	}
	return n;
}

const char *sl_maps_lsm_missing(const struct sl_maps *m)
{
	return m->lsm_skel ? NULL : m->lsm_why;
}

int sl_maps_trie_fd(const struct sl_maps *m, enum sl_trie t)
{
	return bpf_map__fd(t == SL_TRIE_RULES ? m->skel->maps.sl_rules : m->skel->maps.sl_grants);
}

static int hash_keys(int fd, size_t ksz, void **keys, size_t *n)
{
	char prev[8], cur[8];
	bool first = true;
	size_t cap = 0;
	char *a = NULL;

	*keys = NULL;
	*n = 0;
	while (!bpf_map_get_next_key(fd, first ? NULL : prev, cur)) {
		if (*n == cap) {
			char *p = realloc(a, (cap = cap ? cap * 2 : 64) * ksz);

			if (!p) {
				free(a);
				return -ENOMEM;
			}
			a = p;
		}
		memcpy(a + *n * ksz, cur, ksz);
		(*n)++;
		memcpy(prev, cur, ksz);
		first = false;
	}
	*keys = a;
	return 0;
}

#define HASH_OPS(name, mapname, ktype, vtype)					\
int sl_maps_##name##_put(struct sl_maps *m, ktype k, const vtype *v)		\
{										\
	if (bpf_map_update_elem(bpf_map__fd(m->skel->maps.mapname), &k, v, BPF_ANY)) \
		return -errno;							\
	return 0;								\
}										\
int sl_maps_##name##_get(const struct sl_maps *m, ktype k, vtype *v)		\
{										\
	if (bpf_map_lookup_elem(bpf_map__fd(m->skel->maps.mapname), &k, v))	\
		return -errno;							\
	return 0;								\
}										\
int sl_maps_##name##_del(struct sl_maps *m, ktype k)				\
{										\
	if (bpf_map_delete_elem(bpf_map__fd(m->skel->maps.mapname), &k) &&	\
	    errno != ENOENT)							\
		return -errno;							\
	return 0;								\
}										\
int sl_maps_##name##_ids(const struct sl_maps *m, ktype **ids, size_t *n)	\
{										\
	return hash_keys(bpf_map__fd(m->skel->maps.mapname), sizeof(ktype),	\
			 (void **)ids, n);					\
}

HASH_OPS(agent, sl_agents, uint32_t, struct sl_agent)
HASH_OPS(task, sl_tasks, uint32_t, struct sl_task)
HASH_OPS(subject, sl_cgroups, uint64_t, struct sl_subject)
