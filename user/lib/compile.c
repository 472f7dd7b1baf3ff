// SPDX-License-Identifier: GPL-2.0-only
/*
 * Flattening: (prefix, entry) inputs -> one self-contained value per key.
 *
 * Inputs are sorted by prefix (address, then shorter first), so a parent
 * comes before everything it contains.  One sweep keeps the chain of
 * prefixes that contain the current one on a stack (at most 129 deep, one
 * per prefix length); a prefix's value is its own entries followed by its
 * parent's value, pruned.  O(n log n) for the sort, O(n) for the sweep.
 *
 * Pruning.  The kernel runs sl_match_val() over one value per set (policy,
 * agent grants, task grants) into one struct sl_match, and then only
 * sl_match_action() reads it: the winning action and that action's FIRST
 * matching rule.  An entry X may be dropped when an earlier entry Y of the
 * same value matches whenever X matches, and then:
 *
 *  (a) Y is a deny without expiry: whenever X matches, hit[DENY] is set by
 *      this value, so the action is deny whatever else matched anywhere.  If
 *      X is a deny too, Y (earlier) or a deny of an earlier set was already
 *      the first deny, so the deny rule id is unchanged; if X is an allow or
 *      an ask, its hit no longer matters because deny wins.
 *  (b) Y has X's action and lives at least as long (Y never expires, or
 *      both expire and Y no sooner): whenever X matches, Y matches too and
 *      comes first, so hit[action] and rule[action] are set by Y (or by an
 *      earlier set) and X changes nothing.  Exact duplicates are this case.
 *      An entry that expires never drops one that does not: after it
 *      expires the later one would be the only match.
 *
 * "Y matches whenever X matches" means: Y's ports cover X's, Y's protocol is
 * any or X's, and Y has not expired whenever X has not.  Both relations are
 * transitive, so checking X only against entries kept so far is the same as
 * checking it against every earlier entry, and a child that inherits a
 * pruned parent value gets the same result as pruning the whole list.
 *
 * IPv4 lives in ::ffff:0:0/96.  An IPv4 prefix inherits only from IPv4
 * prefixes; when an IPv6 prefix contains the whole IPv4 range, an empty
 * "barrier" key at ::ffff:0:0/96 stops IPv4 lookups from falling back to it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include "compile.h"

/*
 * Entries one prefix may collect before the rest are only counted: a value
 * can hold SL_MAX_ENTRIES, so beyond this the prefix is an error anyway and
 * the cap only bounds the quadratic pruning of absurd inputs.
 */
#define FLAT_CAP	64
/* A chain of nested distinct prefixes has one per length 0..128. */
#define FLAT_DEPTH	129
/* Locations listed in an overflow message. */
#define LOCS_LEN	320
/* The sort key of the barrier: no input behind it. */
#define BARRIER_IDX	UINT32_MAX

/* A prefix as two host-order words, so keys compare as integers. */
struct fkey {
	uint64_t hi, lo;
	uint32_t idx;		/* input index, BARRIER_IDX for the barrier */
	uint8_t len;
};

struct fent {
	struct sl_entry e;
	const struct sl_loc *loc;
};

/* One prefix on the stack of containing prefixes, with its full value. */
struct flevel {
	struct fkey key;
	bool v4;
	bool lost;		/* an ancestor had entries beyond FLAT_CAP */
	size_t n;		/* entries kept in e[] */
	size_t extra;		/* entries beyond FLAT_CAP, counted only */
	ssize_t emitted;	/* item at or above this prefix a lookup lands on */
	struct fent e[FLAT_CAP];
};

struct flat {
	const struct sl_cin *in;
	struct fkey *keys;
	size_t n_keys;
	struct flevel *lv;
	size_t depth;
	struct sl_cset *out;
	struct sl_diag *d;
	int err;
};

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Keep the first len bits of (hi, lo). */
static void mask_bits(uint64_t *hi, uint64_t *lo, unsigned int len)
{
	if (len == 0) {
		*hi = 0;
		*lo = 0;
	} else if (len < 64) {
		*hi &= ~0ull << (64 - len);
		*lo = 0;
	} else if (len == 64) {
		*lo = 0;
	} else if (len < 128) {
		*lo &= ~0ull << (128 - len);
	}
}

/* Host bits are cleared: a key equals the prefix the kernel trie stores. */
static void key_set(struct fkey *k, const uint8_t addr[16], unsigned int len,
		    uint32_t idx)
{
	k->hi = load_be64(addr);
	k->lo = load_be64(addr + 8);
	mask_bits(&k->hi, &k->lo, len);
	k->len = (uint8_t)len;
	k->idx = idx;
}

static void key_prefix(const struct fkey *k, struct sl_prefix *p)
{
	memset(p, 0, sizeof(*p));
	store_be64(p->addr, k->hi);
	store_be64(p->addr + 8, k->lo);
	p->len = k->len;
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct fkey *a = pa, *b = pb;

	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (a->idx != b->idx)
		return a->idx < b->idx ? -1 : 1;
	return 0;
}

static bool key_same(const struct fkey *a, const struct fkey *b)
{
	return a->hi == b->hi && a->lo == b->lo && a->len == b->len;
}

static bool key_contains(const struct fkey *a, const struct fkey *b)
{
	uint64_t hi = b->hi, lo = b->lo;

	if (a->len > b->len)
		return false;
	mask_bits(&hi, &lo, a->len);
	return hi == a->hi && lo == a->lo;
}

static bool key_v4(const struct fkey *k)
{
	return k->len >= SL_V4_PREFIX_BITS && k->hi == 0 &&
	       k->lo >> 32 == 0xffff;
}

/* An IPv6 prefix strictly containing ::ffff:0:0/96, or exactly it (IPv4 /0). */
static void v4_range_cover(const struct sl_cin *in, size_t n, bool *v6_above,
			   bool *v4_all)
{
	struct fkey all, k;
	struct sl_prefix p;

	sl_prefix_v4_all(&p);
	key_set(&all, p.addr, p.len, 0);
	*v6_above = *v4_all = false;
	for (size_t i = 0; i < n; i++) {
		key_set(&k, in[i].pfx.addr, in[i].pfx.len, 0);
		if (key_same(&k, &all))
			*v4_all = true;
		else if (key_contains(&k, &all))
			*v6_above = true;
	}
}

static int check_inputs(const struct sl_cin *in, size_t n, struct sl_diag *d)
{
	int err = 0;

	if (n >= BARRIER_IDX) {
		sl_diag_add(d, NULL, "%zu rule inputs, at most %u can be compiled",
			    n, BARRIER_IDX - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (in[i].pfx.len <= 128)
			continue;
		sl_diag_add(d, in[i].loc, "prefix length %u is over 128",
			    in[i].pfx.len);
		err = -EINVAL;
	}
	return err;
}

/* Sorted keys, plus the barrier when IPv4 needs one. */
static int keys_build(struct flat *f, size_t n)
{
	bool v6_above, v4_all;
	struct sl_prefix all;
	size_t i;

	v4_range_cover(f->in, n, &v6_above, &v4_all);
	f->n_keys = n + (v6_above && !v4_all);
	f->keys = malloc((f->n_keys ? f->n_keys : 1) * sizeof(*f->keys));
	if (!f->keys)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		key_set(&f->keys[i], f->in[i].pfx.addr, f->in[i].pfx.len,
			(uint32_t)i);
	if (i < f->n_keys) {
		sl_prefix_v4_all(&all);
		key_set(&f->keys[i], all.addr, all.len, BARRIER_IDX);
	}
	qsort(f->keys, f->n_keys, sizeof(*f->keys), key_cmp);
	return 0;
}

/* Field by field, so padding from the caller never reaches the kernel. */
static void entry_copy(struct sl_entry *dst, const struct sl_entry *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->port_lo = src->port_lo;
	dst->port_hi = src->port_hi;
	dst->proto = src->proto;
	dst->action = src->action;
	dst->flags = src->flags;
	dst->rule_id = src->rule_id;
	dst->expires_ns = src->expires_ns;
}

/* Does earlier entry y make later entry x useless?  See the top comment. */
static bool shadows(const struct sl_entry *y, const struct sl_entry *x)
{
	if (y->port_lo > x->port_lo || y->port_hi < x->port_hi)
		return false;
	if (y->proto != SL_PROTO_ANY && y->proto != x->proto)
		return false;
	if (y->action == SL_ACT_DENY && !y->expires_ns)
		return true;
	if (y->action != x->action)
		return false;
	return !y->expires_ns || (x->expires_ns && y->expires_ns >= x->expires_ns);
}

static void level_add(struct flevel *lv, const struct sl_entry *e,
		      const struct sl_loc *loc)
{
	for (size_t i = 0; i < lv->n; i++)
		if (shadows(&lv->e[i].e, e))
			return;
	if (lv->n == FLAT_CAP) {
		lv->extra++;
		return;
	}
	entry_copy(&lv->e[lv->n].e, e);
	lv->e[lv->n].loc = loc;
	lv->n++;
}

/* Own entries in input order (the keys of a run are sorted by index). */
static void level_fill(struct flat *f, struct flevel *lv, size_t a, size_t b,
		       const struct flevel *parent)
{
	for (size_t i = a; i < b; i++) {
		const struct sl_cin *c;

		if (f->keys[i].idx == BARRIER_IDX)
			continue;
		c = &f->in[f->keys[i].idx];
		level_add(lv, &c->ent, c->loc);
	}
	if (!parent)
		return;
	for (size_t i = 0; i < parent->n; i++)
		level_add(lv, &parent->e[i].e, parent->e[i].loc);
	lv->lost = parent->lost || parent->extra;
}

static bool loc_same(const struct sl_loc *a, const struct sl_loc *b)
{
	return a->line == b->line && a->col == b->col &&
	       !strcmp(a->file, b->file);
}

/* Append ", file:line:col"; false when it does not fit (", ..." instead). */
static bool loc_append(char *buf, size_t *off, const struct sl_loc *loc)
{
	char one[LOCS_LEN];
	size_t len;

	if (loc->line > 0)
		snprintf(one, sizeof(one), "%s%s:%d:%d", *off ? ", " : "",
			 loc->file, loc->line, loc->col);
	else
		snprintf(one, sizeof(one), "%s%s", *off ? ", " : "", loc->file);
	len = strlen(one);
	/* Leave room for ", ..." so a long list is visibly cut short. */
	if (*off + len + sizeof(", ...") > LOCS_LEN) {
		snprintf(buf + *off, LOCS_LEN - *off, "%s...", *off ? ", " : "");
		return false;
	}
	memcpy(buf + *off, one, len + 1);
	*off += len;
	return true;
}

/* "p.yaml:4:7, p.yaml:9:7": each rule location once, in value order. */
static void level_locs(const struct flevel *lv, char *buf)
{
	size_t off = 0, i, j;

	buf[0] = '\0';
	for (i = 0; i < lv->n; i++) {
		const struct sl_loc *loc = lv->e[i].loc;

		if (!loc || !loc->file)
			continue;
		for (j = 0; j < i; j++)
			if (lv->e[j].loc && lv->e[j].loc->file &&
			    loc_same(lv->e[j].loc, loc))
				break;
		if (j == i && !loc_append(buf, &off, loc))
			return;
	}
}

static void report_overflow(struct flat *f, const struct flevel *lv,
			    const struct sl_loc *at)
{
	char pfx[SL_ADDRSTRLEN], locs[LOCS_LEN];
	struct sl_prefix p;

	if (f->d->n > SL_DIAG_MAX)
		return;
	key_prefix(&lv->key, &p);
	sl_prefix_format(&p, pfx, sizeof(pfx));
	level_locs(lv, locs);
	sl_diag_add(f->d, at, "%s: %s%zu entries apply after flattening, at most %d can%s%s%s",
		    pfx, lv->extra || lv->lost ? "at least " : "", lv->n,
		    SL_MAX_ENTRIES, locs[0] ? " (rules at " : "", locs,
		    locs[0] ? ")" : "");
}

static void item_build(const struct flevel *lv, struct sl_citem *it)
{
	memset(it, 0, sizeof(*it));
	key_prefix(&lv->key, &it->pfx);
	it->val.n = (__u32)lv->n;
	for (size_t i = 0; i < lv->n; i++)
		entry_copy(&it->val.e[i], &lv->e[i].e);
}

/*
 * Write lv's item unless it is what the lookup falls back to anyway: the
 * nearest emitted prefix containing it, whatever its family.  The barrier
 * is always written: being empty is its point.
 */
static void level_emit(struct flat *f, struct flevel *lv, bool barrier,
		       const struct sl_loc *at)
{
	struct sl_citem it;

	if (lv->n > SL_MAX_ENTRIES || lv->extra) {
		report_overflow(f, lv, at);
		f->err = -EINVAL;
		return;
	}
	if (lv->lost)
		return;	/* the ancestor's error covers it; flattening fails */
	item_build(lv, &it);
	if (!barrier && lv->emitted >= 0 &&
	    !memcmp(&f->out->items[lv->emitted].val, &it.val, sizeof(it.val)))
		return;
	memcpy(&f->out->items[f->out->n], &it, sizeof(it));
	lv->emitted = (ssize_t)f->out->n++;
}

/* The prefix of keys[a..b): pop what does not contain it, build, push. */
static void flat_prefix(struct flat *f, size_t a, size_t b)
{
	const struct fkey *k = &f->keys[a];
	struct flevel *top, *lv, *parent;
	const struct sl_loc *at = NULL;

	while (f->depth && !key_contains(&f->lv[f->depth - 1].key, k))
		f->depth--;
	top = f->depth ? &f->lv[f->depth - 1] : NULL;
	/* Nested distinct prefixes have distinct lengths: depth <= 129. */
	lv = &f->lv[f->depth++];
	lv->key = *k;
	lv->v4 = key_v4(k);
	lv->lost = false;
	lv->n = lv->extra = 0;
	lv->emitted = top ? top->emitted : -1;
	/* IPv6 entries never apply to IPv4 (the barrier hides them). */
	parent = top && (top->v4 || !lv->v4) ? top : NULL;
	level_fill(f, lv, a, b, parent);
	if (k->idx != BARRIER_IDX)
		at = f->in[k->idx].loc;
	level_emit(f, lv, k->idx == BARRIER_IDX, at);
}

static size_t count_prefixes(const struct fkey *keys, size_t n)
{
	size_t u = n ? 1 : 0;

	for (size_t i = 1; i < n; i++)
		u += !key_same(&keys[i - 1], &keys[i]);
	return u;
}

static int flat_sweep(struct flat *f)
{
	size_t i = 0, j, cap = count_prefixes(f->keys, f->n_keys);

	/* Not zeroed: every item written is copied whole from a zeroed one. */
	f->out->items = malloc((cap ? cap : 1) * sizeof(*f->out->items));
	f->lv = malloc(FLAT_DEPTH * sizeof(*f->lv));
	if (!f->out->items || !f->lv)
		return -ENOMEM;
	while (i < f->n_keys) {
		for (j = i + 1; j < f->n_keys && key_same(&f->keys[i], &f->keys[j]); j++)
			;
		flat_prefix(f, i, j);
		i = j;
	}
	return f->err;
}

/* Give back what omitted items left unused. */
static void cset_shrink(struct sl_cset *s)
{
	struct sl_citem *items;

	if (!s->n) {
		free(s->items);
		s->items = NULL;
		return;
	}
	items = realloc(s->items, s->n * sizeof(*items));
	if (items)
		s->items = items;
}

int sl_flatten(const struct sl_cin *in, size_t n, struct sl_cset *out,
	       struct sl_diag *d)
{
	struct flat f = { .in = in, .out = out, .d = d };
	int err;

	out->items = NULL;
	out->n = 0;
	err = check_inputs(in, n, d);
	if (err)
		return err;
	err = keys_build(&f, n);
	if (!err)
		err = flat_sweep(&f);
	free(f.keys);
	free(f.lv);
	if (err) {
		sl_cset_free(out);
		return err;
	}
	cset_shrink(out);
	return 0;
}

void sl_cset_free(struct sl_cset *s)
{
	if (!s)
		return;
	free(s->items);
	s->items = NULL;
	s->n = 0;
}

/* Index of the last item at or before p in sort order, or -1. */
static ssize_t cset_floor(const struct sl_cset *s, const struct sl_prefix *p)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sl_prefix_cmp(&s->items[mid].pfx, p) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (ssize_t)lo - 1;
}

/* Leading bits a and b share. */
static unsigned int common_bits(const uint8_t a[16], const uint8_t b[16])
{
	unsigned int i = 0;

	while (i < 16 && a[i] == b[i])
		i++;
	if (i == 16)
		return 128;
	return i * 8 + (unsigned int)__builtin_clz((unsigned int)(a[i] ^ b[i])) - 24;
}

/*
 * Every prefix containing addr sorts at or before (addr, 128).  If the last
 * item there, x, contains addr, it is the longest that does: a longer one
 * would sit inside x and sort after it.  If not, whatever contains addr
 * also contains x and is shorter than the bits x and addr share, so look
 * again below (addr cut to those bits).  Usually one or two searches.
 */
const struct sl_citem *sl_cset_lookup(const struct sl_cset *s,
				      const uint8_t addr[16])
{
	struct sl_prefix host, q;
	struct fkey k;

	memcpy(host.addr, addr, 16);
	host.len = 128;
	q = host;
	for (;;) {
		ssize_t i = cset_floor(s, &q);
		const struct sl_citem *x;

		if (i < 0)
			return NULL;
		x = &s->items[i];
		if (sl_prefix_contains(&x->pfx, &host))
			return x;
		key_set(&k, addr, common_bits(x->pfx.addr, addr), 0);
		key_prefix(&k, &q);
	}
}

/* Walk both sorted sets once; with upd/del NULL, only count. */
static void cset_merge(const struct sl_cset *old, const struct sl_cset *new,
		       struct sl_citem *upd, size_t *n_upd,
		       struct sl_prefix *del, size_t *n_del)
{
	size_t i = 0, j = 0;

	*n_upd = *n_del = 0;
	while (i < old->n || j < new->n) {
		int c;

		if (i == old->n)
			c = 1;
		else if (j == new->n)
			c = -1;
		else
			c = sl_prefix_cmp(&old->items[i].pfx, &new->items[j].pfx);
		if (c < 0) {
			if (del)
				del[*n_del] = old->items[i].pfx;
			(*n_del)++;
			i++;
			continue;
		}
		if (c > 0 || memcmp(&old->items[i].val, &new->items[j].val,
				    sizeof(new->items[j].val))) {
			if (upd)
				memcpy(&upd[*n_upd], &new->items[j], sizeof(*upd));
			(*n_upd)++;
		}
		i += c == 0;
		j++;
	}
}

int sl_cset_diff(const struct sl_cset *old, const struct sl_cset *new,
		 struct sl_citem **upd, size_t *n_upd,
		 struct sl_prefix **del, size_t *n_del)
{
	size_t nu, nd;

	*upd = NULL;
	*del = NULL;
	cset_merge(old, new, NULL, &nu, NULL, &nd);
	if (nu && !(*upd = malloc(nu * sizeof(**upd))))
		return -ENOMEM;
	if (nd && !(*del = malloc(nd * sizeof(**del)))) {
		free(*upd);
		*upd = NULL;
		return -ENOMEM;
	}
	cset_merge(old, new, *upd, n_upd, *del, n_del);
	return 0;
}

/*
 * Boot time of a rule's end: `ttl:` counts from now; `not_after:` is wall
 * time, moved onto CLOCK_BOOTTIME through the clock pair.  An end already
 * past becomes 1, a boot time long gone, so the entry never matches.
 */
static uint64_t rule_expiry(const struct sl_rule *r, const struct sl_clock *clk)
{
	uint64_t s;

	if (r->ttl_ns)
		return r->ttl_ns > UINT64_MAX - clk->boot_ns ?
		       UINT64_MAX : clk->boot_ns + r->ttl_ns;
	if (!r->not_after)
		return 0;
	if (r->not_after <= clk->real_s)
		return 1;
	s = (uint64_t)r->not_after - (uint64_t)clk->real_s;
	if (s > (UINT64_MAX - clk->boot_ns) / 1000000000ull)
		return UINT64_MAX;
	return clk->boot_ns + s * 1000000000ull;
}

static size_t rule_inputs(const struct sl_rule *r)
{
	size_t cidrs = 0;

	for (size_t i = 0; i < r->n_to; i++)
		cidrs += r->to[i].kind == SL_DEST_CIDR;
	return cidrs * (r->n_ports ? r->n_ports : 1);
}

static size_t rule_expand(const struct sl_rule *r, uint32_t id,
			  const struct sl_clock *clk, struct sl_cin *out)
{
	static const struct sl_ports all = { 0, 65535 };
	size_t n_ports = r->n_ports ? r->n_ports : 1, k = 0;
	uint64_t exp = rule_expiry(r, clk);

	for (size_t i = 0; i < r->n_to; i++) {
		if (r->to[i].kind != SL_DEST_CIDR)
			continue;
		for (size_t j = 0; j < n_ports; j++) {
			const struct sl_ports *p = r->n_ports ? &r->ports[j] : &all;
			struct sl_cin *c = &out[k++];

			memset(c, 0, sizeof(*c));
			c->pfx = r->to[i].pfx;
			c->ent.port_lo = p->lo;
			c->ent.port_hi = p->hi;
			c->ent.proto = r->proto;
			c->ent.action = r->action;
			c->ent.flags = SL_ENTRY_POLICY;
			c->ent.rule_id = id;
			c->ent.expires_ns = exp;
			c->loc = &r->loc;
		}
	}
	return k;
}

int sl_compile_agent(const struct sl_agent_policy *a, uint32_t first_rule_id,
		     const struct sl_clock *clk, struct sl_cin **out, size_t *n)
{
	size_t total = 0, k = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < a->n_rules; i++)
		total += rule_inputs(&a->rules[i]);
	if (!total)
		return 0;
	*out = calloc(total, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < a->n_rules; i++)
		k += rule_expand(&a->rules[i], first_rule_id + (uint32_t)i, clk,
				 *out + k);
	*n = k;
	return 0;
}
