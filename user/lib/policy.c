// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy files: YAML loaded with libyaml's document API, then walked against
 * a fixed schema (top level -> agents -> rules -> scalars).  The walk never
 * stops at the first problem: it reports each one with its file:line:col and
 * goes on, and the caller's policy only changes when a file is clean.
 *
 * Hostile input is bounded by the file size and the schema: a node is walked
 * at most once, so YAML aliases (which let a small file name one big node
 * many times) are refused rather than expanded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>
#include "compat.h"
#include "policy_int.h"

static const char *const top_keys[] = { "version", "agents", NULL };
const char *const pol_agent_keys[] = {
	"name", "spiffe_id", "owner", "description", "mode", "log",
	"egress", "deny", "ask", "dns", NULL
};
static const char *const mode_names[] = { "enforce", "audit", NULL };
static const char *const log_names[] = { "all", "denied", NULL };
static const char *const dns_names[] = { "proxy", "direct", NULL };

struct sl_loc pol_loc_of(const struct pctx *c, const yaml_node_t *n)
{
	return (struct sl_loc){
		.file = c->file,
		.line = (int)n->start_mark.line + 1,
		.col = (int)n->start_mark.column + 1,
	};
}

static void verr(struct pctx *c, const struct sl_loc *loc, const char *fmt,
		 va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	sl_diag_add(c->d, loc, "%s", msg);
	c->errors++;
}

__attribute__((format(printf, 3, 4)))
void pol_perr_loc(struct pctx *c, const struct sl_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(c, loc, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
void pol_perr(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	struct sl_loc loc = pol_loc_of(c, n);
	va_list ap;

	va_start(ap, fmt);
	verr(c, &loc, fmt, ap);
	va_end(ap);
}

char *pol_xstrdup(struct pctx *c, const char *s)
{
	char *r = strdup(s);

	if (!r)
		c->nomem = true;
	return r;
}

/*
 * Room for element n of an array whose capacity is implicitly n rounded up
 * to a power of two.  Returns the (maybe moved) array, or NULL.
 */
void *pol_grow(void *arr, size_t n, size_t size)
{
	if (n & (n - 1))
		return arr;
	return reallocarray(arr, n ? 2 * n : 1, size);
}

/*
 * Operator text as it may appear in a message: cut short, and with control
 * and non-ASCII bytes escaped so a policy cannot write to the terminal.
 */
const char *pol_show(const char *s, char buf[SHOW_MAX])
{
	size_t o = 0, i;

	for (i = 0; s[i] && i < SHOW_CHARS; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
			o += (size_t)sprintf(buf + o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	strcpy(buf + o, s[i] ? "..." : "");
	return buf;
}

/* "a, b, c" (last == ", ") or "a, b or c" (last == " or "). */
const char *pol_join(const char *const *list, const char *last,
			char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; list[i] && o < len; i++) {
		const char *sep = !i ? "" : list[i + 1] ? ", " : last;

		o += (size_t)snprintf(buf + o, len - o, "%s%s", sep, list[i]);
	}
	return buf;
}

void pol_free_rule(struct sl_rule *r)
{
	for (size_t i = 0; i < r->n_to; i++)
		free(r->to[i].name);
	free(r->to);
	free(r->ports);
	free(r->id);
}

static void free_agent(struct sl_agent_policy *a)
{
	for (size_t i = 0; i < a->n_rules; i++)
		pol_free_rule(&a->rules[i]);
	free(a->rules);
	free(a->name);
	free(a->spiffe_id);
	free(a->owner);
	free(a->description);
}

void sl_policy_init(struct sl_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
}

void sl_policy_free(struct sl_policy *pol)
{
	if (!pol)
		return;
	for (size_t i = 0; i < pol->n_agents; i++)
		free_agent(&pol->agents[i]);
	free(pol->agents);
	for (size_t i = 0; i < pol->n_files; i++)
		free(pol->files[i]);
	free(pol->files);
	sl_policy_init(pol);
}

/* Plain empty, ~ and null are YAML's null; quoted they are strings. */
bool pol_is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE)
		return false;
	if (n->tag && !strcmp((const char *)n->tag, YAML_NULL_TAG))
		return true;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

const char *pol_kind(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	return pol_is_null(n) ? "empty" : "a string";
}

/*
 * Node idx of the document.  Walking each node once is what keeps the work
 * proportional to the file: a node reached twice is an alias, refused.
 */
yaml_node_t *pol_node_at(struct pctx *c, int idx)
{
	yaml_node_t *n = yaml_document_get_node(c->doc, idx);

	if (!n)
		return NULL;
	if (c->seen[idx - 1]) {
		pol_perr(c, n, "YAML anchors and aliases are not supported");
		return NULL;
	}
	c->seen[idx - 1] = 1;
	return n;
}

/* The text of a scalar, or NULL (reported) when n is something else. */
const char *pol_text(struct pctx *c, const yaml_node_t *n,
			const char *what, const char *want)
{
	const char *s = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE || pol_is_null(n)) {
		pol_perr(c, n, "%s must be %s, not %s", what, want, pol_kind(n));
		return NULL;
	}
	if (strlen(s) != n->data.scalar.length) {
		pol_perr(c, n, "%s contains a NUL character", what);
		return NULL;
	}
	return s;
}

int pol_key_index(struct pctx *c, const yaml_node_t *k,
		     const struct schema *sc)
{
	char shown[SHOW_MAX], expected[256];
	const char *s = pol_text(c, k, "a key", "a string");

	if (!s)
		return -1;
	for (int i = 0; sc->keys[i]; i++)
		if (!strcmp(s, sc->keys[i]))
			return i;
	pol_perr(c, k, "unknown key \"%s\" in %s (expected %s)", pol_show(s, shown),
	     sc->what, pol_join(sc->keys, ", ", expected, sizeof(expected)));
	return -1;
}

/* Hand each known key's value to sc->field; returns the keys present. */
unsigned int pol_walk_map(struct pctx *c, const yaml_node_t *map,
			     const struct schema *sc, void *obj)
{
	unsigned int present = 0;
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = pol_node_at(c, p->key), *v;
		int i;

		if (!k || (i = pol_key_index(c, k, sc)) < 0)
			continue;
		if (present & BIT(i)) {
			pol_perr(c, k, "duplicate key \"%s\" in %s", sc->keys[i], sc->what);
			continue;
		}
		/* Present even when the value is refused: one error, not two. */
		present |= BIT(i);
		v = pol_node_at(c, p->value);
		if (v)
			sc->field(c, obj, i, v);
	}
	return present;
}

/* Index of n's text in a NULL-terminated list of choices, or -1 (reported). */
int pol_choice(struct pctx *c, const yaml_node_t *n, const char *key,
		  const char *const *choices)
{
	char what[32], shown[SHOW_MAX], expected[128];
	const char *s;

	snprintf(what, sizeof(what), "\"%s\"", key);
	s = pol_text(c, n, what, "a string");
	if (!s)
		return -1;
	for (int i = 0; choices[i]; i++)
		if (!strcmp(s, choices[i]))
			return i;
	pol_perr(c, n, "bad %s \"%s\" (expected %s)", key, pol_show(s, shown),
	     pol_join(choices, " or ", expected, sizeof(expected)));
	return -1;
}

static const char *spiffe_why(const char *s)
{
	const char *td = s + strlen("spiffe://"), *p;
	size_t n;

	if (strncmp(s, "spiffe://", strlen("spiffe://")))
		return "must start with \"spiffe://\"";
	if (strlen(s) > MAX_SPIFFE)
		return "longer than 2048 characters";
	n = strcspn(td, "/");
	if (!n)
		return "no trust domain after \"spiffe://\"";
	if (strspn(td, "abcdefghijklmnopqrstuvwxyz0123456789.-_") < n)
		return "the trust domain allows only a-z, 0-9, \".\", \"-\" and \"_\"";
	for (p = td + n; *p; p += n) {
		n = strcspn(++p, "/");
		if (!n)
			return "empty path segment or trailing \"/\"";
		if ((n == 1 && p[0] == '.') || (n == 2 && !strncmp(p, "..", 2)))
			return "\".\" and \"..\" are not allowed in the path";
		if (strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			      "0123456789.-_") < n)
			return "the path allows only letters, digits, \".\", \"-\", \"_\" and \"/\"";
	}
	return NULL;
}

static char *spiffe_id(struct pctx *c, const yaml_node_t *v)
{
	const char *s = pol_text(c, v, "\"spiffe_id\"", "a string"), *why;
	char shown[SHOW_MAX];

	if (!s)
		return NULL;
	why = spiffe_why(s);
	if (why) {
		pol_perr(c, v, "bad spiffe_id \"%s\": %s", pol_show(s, shown), why);
		return NULL;
	}
	return pol_xstrdup(c, s);
}

static char *free_text(struct pctx *c, const yaml_node_t *v, const char *key)
{
	char what[32];
	const char *s;

	snprintf(what, sizeof(what), "\"%s\"", key);
	s = pol_text(c, v, what, "a string");
	if (!s)
		return NULL;
	if (strlen(s) > MAX_TEXT) {
		pol_perr(c, v, "\"%s\" is longer than %d characters", key, MAX_TEXT);
		return NULL;
	}
	return pol_xstrdup(c, s);
}

static void agent_name(struct pctx *c, struct sl_agent_policy *a, const yaml_node_t *v)
{
	const char *s = pol_text(c, v, "\"name\"", "a string");
	char shown[SHOW_MAX];

	if (!s)
		return;
	if (!sl_name_valid(s)) {
		pol_perr(c, v, "bad agent name \"%s\": use 1-63 of a-z, 0-9, \"_\", \".\" and \"-\", starting with a letter or digit",
		     pol_show(s, shown));
		return;
	}
	a->name = pol_xstrdup(c, s);
	/* Duplicates are reported here, where an operator would look. */
	a->loc = pol_loc_of(c, v);
}

static void agent_field(struct pctx *c, void *obj, int key, yaml_node_t *v)
{
	struct sl_agent_policy *a = obj;
	int i;

	switch (key) {
	case A_NAME:
		agent_name(c, a, v);
		break;
	case A_SPIFFE:
		a->spiffe_id = spiffe_id(c, v);
		break;
	case A_OWNER:
		a->owner = free_text(c, v, "owner");
		break;
	case A_DESC:
		a->description = free_text(c, v, "description");
		break;
	case A_MODE:
		i = pol_choice(c, v, "mode", mode_names);
		a->mode = i == 1 ? SL_MODE_AUDIT : SL_MODE_ENFORCE;
		break;
	case A_LOG:
		a->log_allowed = pol_choice(c, v, "log", log_names) != 1;
		break;
	case A_DNS:
		a->dns_direct = pol_choice(c, v, "dns", dns_names) == 1;
		break;
	default:
		pol_rule_list(c, a, key, v);
		break;
	}
}

static const struct schema agent_schema = { "agent", pol_agent_keys, agent_field };

static void agent(struct pctx *c, const yaml_node_t *n)
{
	struct sl_agent_policy a = {
		.mode = SL_MODE_ENFORCE, .log_allowed = true, .loc = pol_loc_of(c, n),
	};
	struct sl_policy *out = c->out;
	struct sl_agent_policy *agents;

	if (n->type != YAML_MAPPING_NODE) {
		pol_perr(c, n, "an agent must be a mapping, not %s", pol_kind(n));
		return;
	}
	if (c->base + out->n_agents >= MAX_AGENTS) {
		if (!c->too_many)
			pol_perr(c, n, "too many agents (at most %d)", MAX_AGENTS);
		c->too_many = true;
		return;
	}
	if (!(pol_walk_map(c, n, &agent_schema, &a) & BIT(A_NAME)))
		pol_perr(c, n, "agent has no \"name\"");
	agents = pol_grow(out->agents, out->n_agents, sizeof(*agents));
	if (!agents) {
		free_agent(&a);
		c->nomem = true;
		return;
	}
	out->agents = agents;
	out->agents[out->n_agents++] = a;
}

static void top_field(struct pctx *c, void *obj, int key, yaml_node_t *v)
{
	const yaml_node_item_t *i;
	char shown[SHOW_MAX];
	const char *s;

	(void)obj;
	if (key == T_VERSION) {
		s = pol_text(c, v, "\"version\"", "a number");
		if (s && strcmp(s, "1"))
			pol_perr(c, v, "unsupported version \"%s\" (only 1 is known)",
			     pol_show(s, shown));
		return;
	}
	if (pol_is_null(v))
		return;
	if (v->type != YAML_SEQUENCE_NODE) {
		pol_perr(c, v, "\"agents\" must be a list of agents, not %s", pol_kind(v));
		return;
	}
	for (i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		yaml_node_t *n = pol_node_at(c, *i);

		if (n)
			agent(c, n);
	}
}

static const struct schema top_schema = { "policy", top_keys, top_field };

static void parse_doc(struct pctx *c, yaml_document_t *doc, yaml_node_t *root)
{
	size_t n = (size_t)(doc->nodes.top - doc->nodes.start);

	c->doc = doc;
	c->seen = calloc(n, 1);
	if (!c->seen) {
		c->nomem = true;
		return;
	}
	c->seen[0] = 1;		/* the root is node 1 */
	if (root->type == YAML_MAPPING_NODE)
		pol_walk_map(c, root, &top_schema, NULL);
	else if (!pol_is_null(root))
		pol_perr(c, root, "a policy must be a mapping with \"agents:\", not %s",
		     pol_kind(root));
	free(c->seen);
	c->seen = NULL;
	c->doc = NULL;
}

/* libyaml's reader errors give a byte offset; turn it into line:col. */
static struct sl_loc offset_loc(const struct pctx *c, size_t off)
{
	struct sl_loc loc = { .file = c->file, .line = 1, .col = 1 };

	for (size_t i = 0; i < off && i < c->len; i++) {
		if (c->buf[i] == '\n') {
			loc.line++;
			loc.col = 1;
		} else {
			loc.col++;
		}
	}
	return loc;
}

static void yaml_fail(struct pctx *c, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown error";
	struct sl_loc loc = {
		.file = c->file,
		.line = (int)p->problem_mark.line + 1,
		.col = (int)p->problem_mark.column + 1,
	};

	if (p->error == YAML_MEMORY_ERROR) {
		c->nomem = true;
	} else if (p->error == YAML_READER_ERROR) {
		loc = offset_loc(c, p->problem_offset);
		pol_perr_loc(c, &loc, "syntax error: %s", problem);
	} else if (p->context && p->context_mark.index != p->problem_mark.index) {
		pol_perr_loc(c, &loc, "syntax error: %s (%s at line %d column %d)",
			 problem, p->context, (int)p->context_mark.line + 1,
			 (int)p->context_mark.column + 1);
	} else if (p->context) {
		pol_perr_loc(c, &loc, "syntax error: %s (%s)", problem, p->context);
	} else {
		pol_perr_loc(c, &loc, "syntax error: %s", problem);
	}
}

/* Every document of the stream; a syntax error ends the walk. */
static void parse_stream(struct pctx *c)
{
	yaml_document_t doc;
	yaml_parser_t p;
	yaml_node_t *root;

	if (!yaml_parser_initialize(&p)) {
		c->nomem = true;
		return;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)c->buf, c->len);
	while (!c->nomem) {
		if (!yaml_parser_load(&p, &doc)) {
			yaml_fail(c, &p);
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (root)
			parse_doc(c, &doc, root);
		yaml_document_delete(&doc);
		if (!root)
			break;
	}
	yaml_parser_delete(&p);
}

/* Report every agent that an earlier one already names; returns how many. */
static int dup_check(const struct sl_policy *pol, struct sl_diag *d)
{
	int dups = 0;

	for (size_t i = 1; i < pol->n_agents; i++) {
		const struct sl_agent_policy *a = &pol->agents[i];

		for (size_t j = 0; a->name && j < i; j++) {
			const struct sl_agent_policy *first = &pol->agents[j];

			if (!first->name || strcmp(a->name, first->name))
				continue;
			sl_diag_add(d, &a->loc, "duplicate agent \"%s\" (first defined at %s:%d:%d)",
				    a->name, first->loc.file, first->loc.line,
				    first->loc.col);
			dups++;
			break;
		}
	}
	return dups;
}

/* Move src's agents and files to the end of dst; src ends empty. */
int sl_policy_move(struct sl_policy *dst, struct sl_policy *src)
{
	size_t na = dst->n_agents + src->n_agents, nf = dst->n_files + src->n_files;
	struct sl_agent_policy *agents;
	char **files;

	agents = reallocarray(dst->agents, na ?: 1, sizeof(*agents));
	if (!agents)
		return -ENOMEM;
	dst->agents = agents;
	files = reallocarray(dst->files, nf ?: 1, sizeof(*files));
	if (!files)
		return -ENOMEM;
	dst->files = files;
	if (src->n_agents)
		memcpy(agents + dst->n_agents, src->agents, src->n_agents * sizeof(*agents));
	if (src->n_files)
		memcpy(files + dst->n_files, src->files, src->n_files * sizeof(*files));
	dst->n_agents = na;
	dst->n_files = nf;
	free(src->agents);
	free(src->files);
	sl_policy_init(src);
	return 0;
}

/* Undo a policy_move: free what lies past the old counts. */
void sl_policy_truncate(struct sl_policy *pol, size_t n_agents, size_t n_files)
{
	while (pol->n_agents > n_agents)
		free_agent(&pol->agents[--pol->n_agents]);
	while (pol->n_files > n_files)
		free(pol->files[--pol->n_files]);
}

int sl_policy_parse_buf(struct sl_policy *pol, const char *name,
			const char *buf, size_t len, struct sl_diag *d)
{
	struct sl_policy out;
	struct pctx c = {
		.buf = buf ? buf : "", .len = len, .d = d,
		.base = pol->n_agents, .out = &out,
	};
	int err;

	sl_policy_init(&out);
	out.files = malloc(sizeof(*out.files));
	if (!out.files || !(out.files[0] = strdup(name))) {
		free(out.files);
		return -ENOMEM;
	}
	out.n_files = 1;
	c.file = out.files[0];
	if (len > MAX_FILE_BYTES)
		pol_perr_loc(&c, &(struct sl_loc){ .file = c.file }, "larger than 16 MiB");
	else
		parse_stream(&c);
	if (!c.nomem)
		c.errors += dup_check(&out, d);
	err = c.nomem ? -ENOMEM : c.errors ? -EINVAL : sl_policy_move(pol, &out);
	sl_policy_free(&out);
	return err;
}

int sl_policy_check(const struct sl_policy *pol, struct sl_diag *d)
{
	int bad = dup_check(pol, d);

	if (pol->n_agents > MAX_AGENTS) {
		sl_diag_add(d, &pol->agents[MAX_AGENTS].loc,
			    "too many agents (at most %d)", MAX_AGENTS);
		bad++;
	}
	return bad ? -EINVAL : 0;
}

const struct sl_agent_policy *sl_policy_find(const struct sl_policy *pol,
					     const char *name)
{
	for (size_t i = 0; i < pol->n_agents; i++)
		if (pol->agents[i].name && !strcmp(pol->agents[i].name, name))
			return &pol->agents[i];
	return NULL;
}

bool sl_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n && n <= SL_NAME_MAX &&
	       ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')) &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}
