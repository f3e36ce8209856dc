/*
 * rulepack.c - YAML rule packs -> struct secret_rule (libyaml document
 * API; packs are small, human-written files, so a whole-document parse is
 * the simple and safe choice here).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/match/match.h"
#include "core/match/ruleset.h"
#include "rules/rulepack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <yaml.h>

struct loader {
	yaml_document_t *doc;
	struct buf *msg;
	const char *name;	/* file name for messages */
	const char *rule;	/* current rule id for messages */
};

static int fail(struct loader *ld, yaml_node_t *n, const char *what)
{
	if (ld->msg)
		buf_printf(ld->msg, "%s:%lu: %s%s%s", ld->name,
			   n ? (unsigned long)n->start_mark.line + 1 : 0UL,
			   ld->rule ? ld->rule : "", ld->rule ? ": " : "", what);
	return ERR_SYNTAX;
}

static yaml_node_t *node(struct loader *ld, int idx)
{
	return yaml_document_get_node(ld->doc, idx);
}

static int get_str(struct loader *ld, yaml_node_t *n, char **out)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return fail(ld, n, "expected a string");
	xfree(*out);
	*out = xstrndup((const char *)n->data.scalar.value, n->data.scalar.length);
	return *out ? 0 : ERR_NOMEM;
}

static int get_num(struct loader *ld, yaml_node_t *n, double lo, double hi, double *out)
{
	char tmp[64], *end;
	double v;

	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.length == 0 ||
	    n->data.scalar.length >= sizeof(tmp))
		return fail(ld, n, "expected a number");
	memcpy(tmp, n->data.scalar.value, n->data.scalar.length);
	tmp[n->data.scalar.length] = '\0';
	errno = 0;
	v = strtod(tmp, &end);
	if (errno || *end || v < lo || v > hi)
		return fail(ld, n, "number out of range");
	*out = v;
	return 0;
}

static int get_uint(struct loader *ld, yaml_node_t *n, unsigned max, unsigned *out)
{
	double v;
	int err = get_num(ld, n, 0, max, &v);

	if (err)
		return err;
	if (v != (double)(unsigned)v)
		return fail(ld, n, "expected a whole number");
	*out = (unsigned)v;
	return 0;
}

/* A string or a list of strings. */
static int get_strv(struct loader *ld, yaml_node_t *n, char ***out, size_t *count)
{
	yaml_node_item_t *it;
	size_t k = 0, len;

	if (n && n->type == YAML_SCALAR_NODE) {
		*out = xcalloc(1, sizeof(char *));
		if (!*out)
			return ERR_NOMEM;
		*count = 1;
		return get_str(ld, n, &(*out)[0]);
	}
	if (!n || n->type != YAML_SEQUENCE_NODE)
		return fail(ld, n, "expected a list of strings");
	len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (len > RULEPACK_MAX_LIST)
		return fail(ld, n, "list too long");
	*out = xcalloc(len ? len : 1, sizeof(char *));
	if (!*out)
		return ERR_NOMEM;
	*count = len;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, k++) {
		int err = get_str(ld, node(ld, *it), &(*out)[k]);

		if (err)
			return err;
	}
	return 0;
}

static bool key_is(yaml_node_t *k, const char *name)
{
	return k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(name) &&
	       memcmp(k->data.scalar.value, name, k->data.scalar.length) == 0;
}

static int get_examples(struct loader *ld, yaml_node_t *n, bool positive,
			struct rule_example **out, size_t *count)
{
	yaml_node_item_t *it;
	size_t len, k = 0;

	if (!n || n->type != YAML_SEQUENCE_NODE)
		return fail(ld, n, "examples must be a list");
	len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (len > RULEPACK_MAX_LIST)
		return fail(ld, n, "too many examples");
	*out = xcalloc(len ? len : 1, sizeof(**out));
	if (!*out)
		return ERR_NOMEM;
	*count = len;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, k++) {
		yaml_node_t *e = node(ld, *it);
		yaml_node_pair_t *p;
		int err;

		if (!positive && e && e->type == YAML_SCALAR_NODE) {
			err = get_str(ld, e, &(*out)[k].text);
			if (err)
				return err;
			continue;
		}
		if (!e || e->type != YAML_MAPPING_NODE)
			return fail(ld, e, positive ? "an example is {text, secret[, path]}"
						    : "a negative example is a string or {text, path}");
		for (p = e->data.mapping.pairs.start; p < e->data.mapping.pairs.top; p++) {
			yaml_node_t *key = node(ld, p->key), *val = node(ld, p->value);

			if (key_is(key, "text"))
				err = get_str(ld, val, &(*out)[k].text);
			else if (key_is(key, "secret") && positive)
				err = get_str(ld, val, &(*out)[k].secret);
			else if (key_is(key, "path"))
				err = get_str(ld, val, &(*out)[k].path);
			else
				err = fail(ld, key, "unknown key in example");
			if (err)
				return err;
		}
		/* A path rule's secret is the blob id: `secret` may be left out. */
		if (!(*out)[k].text || (positive && !(*out)[k].secret && !(*out)[k].path) ||
		    (!positive && !(*out)[k].path))
			return fail(ld, e, positive ? "an example needs text and secret (or path)"
						    : "a negative example mapping needs text and path");
	}
	return 0;
}

static int get_flags(struct loader *ld, yaml_node_t *n, struct secret_rule *r)
{
	char **v = NULL;
	size_t c = 0, i;
	int err = get_strv(ld, n, &v, &c);

	for (i = 0; !err && i < c; i++) {
		if (strcmp(v[i], "caseless") == 0)
			r->flags |= RULE_FLAG_CASELESS;
		else if (strcmp(v[i], "dotall") == 0)
			r->flags |= RULE_FLAG_DOTALL;
		else if (strcmp(v[i], "multiline") == 0)
			r->flags |= RULE_FLAG_MULTILINE;
		else
			err = fail(ld, n, "unknown flag (caseless, dotall, multiline)");
	}
	for (i = 0; i < c; i++)
		xfree(v[i]);
	xfree(v);
	return err;
}

static int get_validators(struct loader *ld, yaml_node_t *n, struct secret_rule *r)
{
	char **v = NULL;
	size_t c = 0, i;
	int err = get_strv(ld, n, &v, &c);

	for (i = 0; !err && i < c; i++) {
		unsigned bit;

		if (rule_validator_parse(v[i], &bit))
			err = fail(ld, n, "unknown validator");
		else
			r->validators |= bit;
	}
	for (i = 0; i < c; i++)
		xfree(v[i]);
	xfree(v);
	return err;
}

static int load_rule(struct loader *ld, yaml_node_t *n, struct secret_rule *r)
{
	yaml_node_pair_t *p;
	char *tmp = NULL;
	double ent;
	int err = 0;
	size_t i;

	if (!n || n->type != YAML_MAPPING_NODE)
		return fail(ld, n, "a rule is a mapping");
	r->tier = RULE_TIER_WARN;
	r->severity = SEV_MEDIUM;
	/* Find the id first so every message names the rule. */
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
		if (key_is(node(ld, p->key), "id")) {
			err = get_str(ld, node(ld, p->value), &r->id);
			if (err)
				return err;
			ld->rule = r->id;
		}
	if (!r->id)
		return fail(ld, n, "rule without id");
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top && !err; p++) {
		yaml_node_t *k = node(ld, p->key), *v = node(ld, p->value);

		if (key_is(k, "id"))
			continue;
		else if (key_is(k, "name"))
			err = get_str(ld, v, &r->name);
		else if (key_is(k, "pattern"))
			err = get_str(ld, v, &r->pattern);
		else if (key_is(k, "secret_group"))
			err = get_uint(ld, v, 63, &r->secret_group);
		else if (key_is(k, "flags"))
			err = get_flags(ld, v, r);
		else if (key_is(k, "keywords"))
			err = get_strv(ld, v, &r->keywords, &r->n_keywords);
		else if (key_is(k, "keyword_window"))
			err = get_uint(ld, v, 4096, &r->keyword_window);
		else if (key_is(k, "entropy")) {
			err = get_num(ld, v, 0, 8, &ent);
			r->entropy_min = ent;
		} else if (key_is(k, "validators"))
			err = get_validators(ld, v, r);
		else if (key_is(k, "requires"))
			err = get_str(ld, v, &r->requires);
		else if (key_is(k, "tier")) {
			err = get_str(ld, v, &tmp);
			if (!err && rule_tier_parse(tmp, &r->tier))
				err = fail(ld, v, "tier is block or warn");
		} else if (key_is(k, "severity")) {
			err = get_str(ld, v, &tmp);
			if (!err && rule_severity_parse(tmp, &r->severity))
				err = fail(ld, v, "severity is critical, high, medium, low or info");
		} else if (key_is(k, "remediation"))
			err = get_str(ld, v, &r->remediation);
		else if (key_is(k, "references"))
			err = get_strv(ld, v, &r->references, &r->n_references);
		else if (key_is(k, "tags"))
			err = get_strv(ld, v, &r->tags, &r->n_tags);
		else if (key_is(k, "paths"))
			err = get_strv(ld, v, &r->paths, &r->n_paths);
		else if (key_is(k, "line")) {
			err = get_str(ld, v, &tmp);
			if (!err && strcmp(tmp, "match") == 0)
				r->line_at = RULE_LINE_MATCH;
			else if (!err && strcmp(tmp, "secret") == 0)
				r->line_at = RULE_LINE_SECRET;
			else if (!err)
				err = fail(ld, v, "line is secret or match");
		} else if (key_is(k, "candidate")) {
			err = get_str(ld, v, &tmp);
			if (!err && rule_candidate_parse(tmp, &r->candidate))
				err = fail(ld, v, "unknown candidate filter");
		} else if (key_is(k, "candidate_min"))
			err = get_num(ld, v, -1000, 1000, &r->candidate_min);
		else if (key_is(k, "examples"))
			err = get_examples(ld, v, true, &r->examples, &r->n_examples);
		else if (key_is(k, "negative_examples"))
			err = get_examples(ld, v, false, &r->negatives, &r->n_negatives);
		else
			err = fail(ld, k, "unknown key");
	}
	xfree(tmp);
	if (err)
		return err;
	if (!r->name || (!r->pattern && !r->n_paths))
		return fail(ld, n, "a rule needs name and pattern (or paths)");
	if (!r->pattern && r->line_at == RULE_LINE_MATCH)
		return fail(ld, n, "line: match needs a pattern");
	for (i = 0; i < r->n_examples; i++)
		if (!r->pattern && !r->examples[i].path)
			return fail(ld, n, "an example of a path rule needs path");
	if (!r->remediation)
		return fail(ld, n, "a rule needs remediation text");
	if (r->n_examples == 0)
		return fail(ld, n, "a rule needs at least one example");
	for (i = 0; i < r->n_keywords; i++) {
		char *c;

		for (c = r->keywords[i]; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	}
	return 0;
}

static int load_doc(struct loader *ld, struct rulepack *out)
{
	yaml_node_t *root = yaml_document_get_root_node(ld->doc);
	yaml_node_pair_t *p;
	int err = 0;

	if (!root || root->type != YAML_MAPPING_NODE)
		return fail(ld, root, "a pack is a mapping with `pack` and `rules`");
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top && !err; p++) {
		yaml_node_t *k = node(ld, p->key), *v = node(ld, p->value);

		if (key_is(k, "pack")) {
			yaml_node_pair_t *q;

			if (!v || v->type != YAML_MAPPING_NODE)
				return fail(ld, v, "pack is {id, version, description}");
			for (q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top && !err; q++) {
				yaml_node_t *kk = node(ld, q->key), *vv = node(ld, q->value);

				if (key_is(kk, "id"))
					err = get_str(ld, vv, &out->id);
				else if (key_is(kk, "version"))
					err = get_uint(ld, vv, 1000000, &out->version);
				else if (key_is(kk, "description"))
					err = get_str(ld, vv, &out->description);
				else
					err = fail(ld, kk, "unknown key in pack");
			}
		} else if (key_is(k, "rules")) {
			yaml_node_item_t *it;
			size_t len;

			if (!v || v->type != YAML_SEQUENCE_NODE)
				return fail(ld, v, "rules is a list");
			len = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
			if (len > RULEPACK_MAX_RULES)
				return fail(ld, v, "too many rules");
			out->rules = xcalloc(len ? len : 1, sizeof(*out->rules));
			if (!out->rules)
				return ERR_NOMEM;
			for (it = v->data.sequence.items.start;
			     it < v->data.sequence.items.top && !err; it++) {
				ld->rule = NULL;
				err = load_rule(ld, node(ld, *it), &out->rules[out->n_rules]);
				out->n_rules++;
			}
			ld->rule = NULL;
		} else if (key_is(k, "checks")) {
			out->is_iac = true;	/* rulepack_load_mem keeps the text */
		} else {
			err = fail(ld, k, "unknown top-level key");
		}
	}
	if (!err && out->is_iac && out->rules)
		err = fail(ld, root, "a pack holds either `rules` or `checks`, not both");
	if (!err && !out->id)
		err = fail(ld, root, "pack.id is missing");
	if (!err) {
		size_t i, j;

		for (i = 0; i < out->n_rules; i++) {
			out->rules[i].pack_id = xstrdup(out->id);
			for (j = 0; j < i; j++)
				if (strcmp(out->rules[i].id, out->rules[j].id) == 0) {
					ld->rule = out->rules[i].id;
					return fail(ld, NULL, "duplicate rule id");
				}
		}
	}
	return err;
}

int rulepack_load_mem(const char *text, size_t len, const char *name,
		      struct rulepack *out, struct buf *msg)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct loader ld = { &doc, msg, name, NULL };
	int err;

	memset(out, 0, sizeof(*out));
	if (len > RULEPACK_MAX_BYTES)
		return ERR_LIMIT;
	if (!yaml_parser_initialize(&parser))
		return ERR_NOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (msg)
			buf_printf(msg, "%s:%lu: YAML error: %s", name,
				   (unsigned long)parser.problem_mark.line + 1,
				   parser.problem ? parser.problem : "?");
		yaml_parser_delete(&parser);
		return ERR_SYNTAX;
	}
	err = load_doc(&ld, out);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (!err && out->is_iac) {
		out->iac_text = xstrndup(text, len);
		out->iac_len = len;
		if (!out->iac_text)
			err = ERR_NOMEM;
	}
	if (err)
		rulepack_release(out);
	return err;
}

int rulepack_load_file(const char *path, struct rulepack *out, struct buf *msg)
{
	struct buf text;
	int err;

	memset(out, 0, sizeof(*out));
	buf_init(&text, RULEPACK_MAX_BYTES);
	err = buf_read_file(&text, path);
	if (err) {
		if (msg)
			buf_printf(msg, "%s: %s", path, err_str(err));
	} else {
		err = rulepack_load_mem((const char *)text.data, text.len, path, out, msg);
		if (!err) {
			out->source = xstrdup(path);
			if (!out->source) {
				rulepack_release(out);
				err = ERR_NOMEM;
			}
		}
	}
	buf_release(&text);
	return err;
}

void rulepack_release(struct rulepack *p)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++)
		secret_rule_release(&p->rules[i]);
	xfree(p->rules);
	xfree(p->iac_text);
	xfree(p->source);
	xfree(p->id);
	xfree(p->description);
	memset(p, 0, sizeof(*p));
}

struct secret_rule *rulepack_take_rules(struct rulepack *p, size_t *n)
{
	struct secret_rule *r = p->rules;

	*n = p->n_rules;
	p->rules = NULL;
	p->n_rules = 0;
	return r;
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = xstrdup(s);
	if (!d)
		*oom = true;
	return d;
}

static char **dup_strv(char **v, size_t n, bool *oom)
{
	char **d;
	size_t i;

	if (!v)
		return NULL;
	d = xcalloc(n ? n : 1, sizeof(*d));
	if (!d) {
		*oom = true;
		return NULL;
	}
	for (i = 0; i < n; i++)
		d[i] = dup_or_null(v[i], oom);
	return d;
}

static struct rule_example *dup_examples(const struct rule_example *e, size_t n, bool *oom)
{
	struct rule_example *d;
	size_t i;

	if (!e)
		return NULL;
	d = xcalloc(n ? n : 1, sizeof(*d));
	if (!d) {
		*oom = true;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		d[i].text = dup_or_null(e[i].text, oom);
		d[i].secret = dup_or_null(e[i].secret, oom);
		d[i].path = dup_or_null(e[i].path, oom);
	}
	return d;
}

int secret_rule_copy(struct secret_rule *dst, const struct secret_rule *src)
{
	bool oom = false;

	*dst = *src;
	dst->id = dup_or_null(src->id, &oom);
	dst->name = dup_or_null(src->name, &oom);
	dst->pattern = dup_or_null(src->pattern, &oom);
	dst->keywords = dup_strv(src->keywords, src->n_keywords, &oom);
	dst->requires = dup_or_null(src->requires, &oom);
	dst->remediation = dup_or_null(src->remediation, &oom);
	dst->references = dup_strv(src->references, src->n_references, &oom);
	dst->tags = dup_strv(src->tags, src->n_tags, &oom);
	dst->examples = dup_examples(src->examples, src->n_examples, &oom);
	dst->negatives = dup_examples(src->negatives, src->n_negatives, &oom);
	dst->pack_id = dup_or_null(src->pack_id, &oom);
	dst->paths = dup_strv(src->paths, src->n_paths, &oom);
	if (oom) {
		secret_rule_release(dst);
		return ERR_NOMEM;
	}
	return 0;
}

/* Scans one text and counts open findings of `rule`, and among them those
 * whose fingerprint equals `want` (when given). */
/* An example's bytes: its text, or for "base64:<data>" the decoded data
 * (binary files for path rules: PKCS#12, keystores). */
static int example_bytes(const char *text, struct buf *out)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0;
	const char *p, *q;

	if (strncmp(text, "base64:", 7) != 0)
		return buf_append(out, text, strlen(text));
	for (p = text + 7; *p && *p != '='; p++) {
		if (*p == ' ' || *p == '\n')
			continue;
		q = strchr(b64, *p);
		if (!q)
			return ERR_SYNTAX;
		acc = acc << 6 | (uint32_t)(q - b64);
		bits += 6;
		if (bits >= 8) {
			uint8_t c;

			bits -= 8;
			c = (uint8_t)(acc >> bits);
			if (buf_append(out, &c, 1))
				return ERR_NOMEM;
		}
	}
	return 0;
}

static int scan_text(const struct ruleset *rs, struct match_scratch *sc, const char *text,
		     const char *path, uint32_t rule, const uint8_t *want, size_t *hits,
		     size_t *exact, struct buf *others)
{
	struct match_stream ms;
	struct buf data;
	size_t i;
	int err;

	*hits = *exact = 0;
	buf_init(&data, RULEPACK_MAX_BYTES);
	err = example_bytes(text, &data);
	if (err) {
		buf_release(&data);
		return err;
	}
	err = match_stream_init(&ms, rs, sc);
	if (!err && path)
		err = match_stream_set_object(&ms, path, NULL, data.len);
	if (!err && data.len)
		err = match_stream_feed(&ms, data.data, data.len);
	if (!err)
		err = match_stream_finish(&ms);
	for (i = 0; !err && i < ms.n_findings; i++) {
		const struct finding *f = &ms.findings[i];

		if (f->rule != rule) {
			if (others)
				buf_printf(others, " %s", ruleset_rule(rs, f->rule)->id);
			continue;
		}
		if (f->status != FINDING_OPEN)
			continue;
		(*hits)++;
		if (!want || memcmp(f->fingerprint, want, FINDING_FP_BYTES) == 0)
			(*exact)++;
	}
	match_stream_release(&ms);
	buf_release(&data);
	return err;
}

long rulepack_check_examples(const struct ruleset *rs, struct buf *msg)
{
	struct match_scratch *sc;
	long failures = 0;
	size_t i, j;
	int err;

	err = match_scratch_new(rs, &sc);
	if (err)
		return err;
	for (i = 0; i < ruleset_count(rs); i++) {
		const struct secret_rule *r = ruleset_rule(rs, i);

		for (j = 0; j < r->n_examples; j++) {
			const struct rule_example *e = &r->examples[j];
			uint8_t fp[FINDING_FP_BYTES];
			size_t hits, exact;

			/* A store written before examples kept their paths:
			 * a path rule read back from it cannot replay them. */
			if (rule_is_path_only(r) && !e->path)
				continue;
			if (e->secret)
				match_fingerprint(rs, r->id, (const uint8_t *)e->secret,
						  strlen(e->secret), fp);
			err = scan_text(rs, sc, e->text, e->path, (uint32_t)i, e->secret ? fp : NULL,
					&hits, &exact, NULL);
			if (err)
				goto out;
			if (hits != 1 || exact != 1) {
				failures++;
				buf_printf(msg, "%s: example %zu does not match: %zu finding(s) of "
					   "the rule, %zu with the expected secret\n",
					   r->id, j + 1, hits, exact);
			}
		}
		for (j = 0; j < r->n_negatives; j++) {
			size_t hits, exact;

			if (rule_is_path_only(r) && !r->negatives[j].path)
				continue;
			err = scan_text(rs, sc, r->negatives[j].text, r->negatives[j].path,
					(uint32_t)i, NULL, &hits, &exact, NULL);
			if (err)
				goto out;
			if (hits != 0) {
				failures++;
				buf_printf(msg, "%s: negative example %zu matches\n", r->id, j + 1);
			}
		}
	}
out:
	match_scratch_free(sc);
	return err ? err : failures;
}
