// SPDX-License-Identifier: GPL-2.0-only
/*
 * lpm_batch: what writing a policy set costs per key, one syscall per key
 * (as sluiced writes today) against the batch calls, on a trie shaped like
 * sl_rules (32-bit set id + 128-bit address keys, sl_rule_val values).
 *
 *   lpm_batch N      prints: keys=N elem_update_us=.. elem_delete_us=..
 *                            batch_update_us=.. batch_delete_us=.. (per key)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <linux/types.h>
#include <sluice/abi.h>

#define CHUNK	65536	/* keys per batch call */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* IPv4-mapped /32s in set 1, as the flattener writes host prefixes. */
static void fill_keys(struct sl_rule_key *k, struct sl_rule_val *v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		k[i].prefixlen = SL_SET_BITS + 8 * SL_ADDR_LEN;
		k[i].set = htonl(1);
		k[i].addr[10] = k[i].addr[11] = 0xff;
		k[i].addr[12] = 10;
		k[i].addr[13] = (__u8)(i >> 16);
		k[i].addr[14] = (__u8)(i >> 8);
		k[i].addr[15] = (__u8)i;
		v[i].n = 1;
		v[i].e[0] = (struct sl_entry){ .port_hi = 65535, .action = SL_ACT_ALLOW,
					       .rule_id = i };
	}
}

static int per_key(int fd, struct sl_rule_key *k, struct sl_rule_val *v, unsigned int n,
		   double *upd, double *del)
{
	double t0 = now_s();

	for (unsigned int i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &k[i], &v[i], BPF_ANY))
			return -errno;
	*upd = now_s() - t0;
	t0 = now_s();
	for (unsigned int i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, &k[i]))
			return -errno;
	*del = now_s() - t0;
	return 0;
}

static int batched(int fd, struct sl_rule_key *k, struct sl_rule_val *v, unsigned int n,
		   double *upd, double *del)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	unsigned int done, c;
	double t0 = now_s();

	for (done = 0; done < n; done += c) {
		c = n - done > CHUNK ? CHUNK : n - done;
		if (bpf_map_update_batch(fd, &k[done], &v[done], &c, &opts))
			return -errno;
	}
	*upd = now_s() - t0;
	t0 = now_s();
	for (done = 0; done < n; done += c) {
		c = n - done > CHUNK ? CHUNK : n - done;
		if (bpf_map_delete_batch(fd, &k[done], &c, &opts))
			return -errno;
	}
	*del = now_s() - t0;
	return 0;
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_NO_PREALLOC);
	unsigned int n = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 10) : 0;
	double eu = 0, ed = 0, bu = 0, bd = 0;
	struct sl_rule_key *k;
	struct sl_rule_val *v;
	int fd, err;

	if (n < 1 || n > (1u << 24)) {
		fprintf(stderr, "usage: lpm_batch N (1 to 16777216 keys)\n");
		return 2;
	}
	k = calloc(n, sizeof(*k));
	v = calloc(n, sizeof(*v));
	fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "sl_bench_lpm", sizeof(*k), sizeof(*v), n, &mo);
	if (!k || !v || fd < 0) {
		fprintf(stderr, "lpm_batch: %s\n", fd < 0 ? strerror(errno) : "out of memory");
		return 1;
	}
	fill_keys(k, v, n);
	/* The first pass fills the allocator's caches; the two timed ones reuse them. */
	err = per_key(fd, k, v, n, &eu, &ed);
	if (!err)
		err = batched(fd, k, v, n, &bu, &bd);
	if (!err)
		err = per_key(fd, k, v, n, &eu, &ed);
	if (err) {
		fprintf(stderr, "lpm_batch: %s\n", strerror(-err));
		return 1;
	}
	printf("keys=%u\telem_update_us=%.3f\telem_delete_us=%.3f\tbatch_update_us=%.3f"
	       "\tbatch_delete_us=%.3f\n", n, eu * 1e6 / n, ed * 1e6 / n, bu * 1e6 / n, bd * 1e6 / n);
	free(k);
	free(v);
	return 0;
}
