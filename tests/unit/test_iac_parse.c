/*
 * test_iac_parse.c - iac/parse/: format detection and the six parsers, read
 * back through probe checks (tests/fixtures/iac/probe-pack.yaml): lines,
 * columns and values for Terraform (CRLF, comments, heredocs, templates,
 * jsonencode, dynamic blocks), Terraform JSON, ARM (comments, nested child
 * resources, "[[" escapes), Bicep (nested resources, decorators, loops,
 * existing), CloudFormation (short-form tags, Ref), Kubernetes (multi-doc,
 * anchors, merge keys, List), Dockerfile (escape directive, continuations,
 * exec form, heredocs, stages); and the caps: deep nesting, huge tokens,
 * alias bombs and oversize files give one UNKNOWN limit finding.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "core/iac/iac.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

static struct iac_checkset *cs;

struct scan {
	struct iac_finding *f;
	size_t n;
};

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *b = NULL;
	long n;

	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0 &&
	    (b = xmalloc((size_t)n + 1)) && fread(b, 1, (size_t)n, fp) == (size_t)n) {
		b[n] = '\0';
		*len = (size_t)n;
	} else {
		xfree(b);
		b = NULL;
	}
	fclose(fp);
	return b;
}

static int setup(void **state)
{
	const char *src = getenv("SLUICE_SOURCE_DIR");
	char path[4096];
	const char *texts[1];
	size_t lens[1];
	struct buf msg;
	char *text;
	int rc;

	UNUSED(state);
	snprintf(path, sizeof(path), "%s/tests/fixtures/iac/probe-pack.yaml", src ? src : ".");
	if (!(text = slurp(path, &lens[0]))) {
		fprintf(stderr, "cannot read %s\n", path);
		return -1;
	}
	texts[0] = text;
	buf_init(&msg, 1 << 16);
	rc = iac_checkset_load(texts, lens, 1, &cs, &msg);
	if (rc)
		fprintf(stderr, "%.*s", (int)msg.len, (const char *)msg.data);
	buf_release(&msg);
	xfree(text);
	return rc;
}

static int teardown(void **state)
{
	UNUSED(state);
	iac_checkset_free(cs);
	return 0;
}

static void scan_mem(struct scan *s, const char *path, const char *text, size_t len)
{
	s->f = NULL;
	s->n = 0;
	assert_int_equal(iac_scan(cs, path, (const uint8_t *)text, len, &s->f, &s->n), 0);
}

static void scan(struct scan *s, const char *path, const char *text)
{
	scan_mem(s, path, text, strlen(text));
}

static void done(struct scan *s)
{
	xfree(s->f);
	s->f = NULL;
}

/* The nth finding of check id (in document order), or NULL. */
static const struct iac_finding *nth(const struct scan *s, const char *id, size_t k)
{
	long ci = id ? iac_checkset_find(cs, id) : -1;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (id ? s->f[i].check != (uint32_t)ci : s->f[i].check != IAC_CHECK_NONE)
			continue;
		if (!k--)
			return &s->f[i];
	}
	return NULL;
}

static size_t count(const struct scan *s, const char *id)
{
	size_t k = 0;

	while (nth(s, id, k))
		k++;
	return k;
}

static void dump(const struct scan *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		fprintf(stderr, "  %s %s L%u C%u %s | %s\n",
			s->f[i].check == IAC_CHECK_NONE ? "-" : iac_checkset_info(cs, s->f[i].check)->id,
			iac_result_name(s->f[i].result), s->f[i].line, s->f[i].column, s->f[i].resource,
			s->f[i].found);
}

#define EXPECT(s, id, k, res, ln) do { \
		const struct iac_finding *f_ = nth((s), (id), (k)); \
		if (!f_ || f_->result != (res) || f_->line != (ln)) \
			dump(s); \
		assert_non_null(f_); \
		assert_int_equal(f_->result, (res)); \
		assert_int_equal(f_->line, (ln)); \
	} while (0)

/* --- detection ------------------------------------------------------------ */

static void detect_table(void **state)
{
	static const struct {
		const char *path, *head;
		enum iac_format want;
	} t[] = {
		{ "infra/main.tf", "", IAC_TERRAFORM },
		{ "infra/MAIN.TF", "resource \"x\" \"y\" {}", IAC_TERRAFORM },
		{ "infra/main.tf.json", "{}", IAC_TERRAFORM_JSON },
		{ "a/b/app.bicep", "param x string", IAC_BICEP },
		{ "Dockerfile", "# syntax=docker/dockerfile:1\n\nFROM alpine:3\n", IAC_DOCKERFILE },
		{ "svc/Dockerfile.prod", "ARG V=1\nFROM x:$V\n", IAC_DOCKERFILE },
		{ "svc/api.Dockerfile", "from alpine:3\n", IAC_DOCKERFILE },
		{ "Containerfile", "FROM fedora:40\n", IAC_DOCKERFILE },
		{ "Dockerfile", "this is not a dockerfile\n", IAC_NONE },
		{ "Dockerfile.dockerignore", "node_modules\n", IAC_NONE },
		{ "azuredeploy.json", "{\n \"$schema\": \"https://schema.management.azure.com/schemas/"
		  "2019-04-01/deploymentTemplate.json#\"}", IAC_ARM },
		{ "sub.json", "{\"$schema\": \"https://schema.management.azure.com/schemas/2018-05-01/"
		  "subscriptionDeploymentTemplate.json#\"}", IAC_ARM },
		{ "package.json", "{\"name\": \"x\", \"version\": \"1.0.0\"}", IAC_NONE },
		{ "stack.json", "{\"AWSTemplateFormatVersion\": \"2010-09-09\"}", IAC_CLOUDFORMATION },
		{ "stack.yaml", "Resources:\n  B:\n    Type: 'AWS::S3::Bucket'\n", IAC_CLOUDFORMATION },
		{ "sam.yml", "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n",
		  IAC_CLOUDFORMATION },
		{ "stack.template", "AWSTemplateFormatVersion: '2010-09-09'\n", IAC_CLOUDFORMATION },
		{ "k8s/deploy.yaml", "---\napiVersion: apps/v1\nkind: Deployment\n", IAC_KUBERNETES },
		{ "k8s/pod.json", "{\"apiVersion\": \"v1\", \"kind\": \"Pod\"}", IAC_KUBERNETES },
		{ ".github/workflows/ci.yml", "on: push\njobs:\n  a:\n    runs-on: ubuntu\n", IAC_NONE },
		{ "docker-compose.yml", "services:\n  web:\n    image: nginx\n", IAC_NONE },
		{ "README.md", "resource \"x\" \"y\" {}", IAC_NONE },
		{ NULL, "apiVersion: v1\nkind: Pod\n", IAC_KUBERNETES },
		{ "bin.yaml", "apiVersion: v1\nkind: Pod\n\0\0\0", IAC_NONE },
	};
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		size_t len = strlen(t[i].head);
		enum iac_format got;

		if (!strcmp(t[i].path ? t[i].path : "", "bin.yaml"))
			len += 3;
		got = iac_detect(t[i].path, (const uint8_t *)t[i].head, len);
		if (got != t[i].want)
			fprintf(stderr, "%s: got %s want %s\n", t[i].path ? t[i].path : "(null)",
				iac_format_name(got), iac_format_name(t[i].want));
		assert_int_equal(got, t[i].want);
	}
}

/* --- Terraform ------------------------------------------------------------- */

static void hcl_crlf_comments_heredoc(void **state)
{
	const char *tf =
		"# comment\r\n"				/* 1 */
		"/* block\r\n"				/* 2 */
		"   comment */\r\n"			/* 3 */
		"resource \"probe\" \"a\" {\r\n"	/* 4 */
		"  // note\r\n"				/* 5 */
		"  y = <<EOF\r\n"			/* 6 */
		"text x = 1 }\r\n"			/* 7 */
		"EOF\r\n"				/* 8 */
		"  x = \"v1\" # trailing\r\n"		/* 9 */
		"}\r\n"					/* 10 */
		"resource \"probe\" \"b\" {\n"		/* 11 */
		"  v = <<-EOT\n"			/* 12 */
		"    bad\n"				/* 13 */
		"    EOT\n"				/* 14 */
		"  old_x = [\"a\", \"b\"]\n"		/* 15 */
		"  nested { one = 1 }\n"		/* 16 */
		"}\n";					/* 17 */
	const struct iac_finding *f;
	struct scan s;

	UNUSED(state);
	scan(&s, "main.tf", tf);
	EXPECT(&s, "P-TF", 0, IAC_FAIL, 9);
	f = nth(&s, "P-TF", 0);
	assert_string_equal(f->found, "x = \"v1\"");
	assert_int_equal(f->column, 7);
	assert_string_equal(f->resource, "probe.a");
	assert_int_equal(f->start_line, 4);
	assert_int_equal(f->end_line, 10);
	/* The older alias is used when the newer name is absent. */
	EXPECT(&s, "P-TF", 1, IAC_FAIL, 15);
	assert_string_equal(nth(&s, "P-TF", 1)->found, "old_x = [...]");
	/* Missing attribute: the block header. */
	EXPECT(&s, "P-TF-SET", 0, IAC_FAIL, 4);
	assert_string_equal(nth(&s, "P-TF-SET", 0)->found, "must is not set");
	EXPECT(&s, "P-TF-SET", 1, IAC_FAIL, 11);
	/* A heredoc keeps its final newline: "bad\n" is not "bad". */
	assert_int_equal(count(&s, "P-TF-BAD"), 0);
	assert_int_equal(count(&s, NULL), 0);
	done(&s);
}

static void hcl_resolution_and_unknowns(void **state)
{
	const char *tf =
		"variable \"good\" {\n"			/* 1 */
		"  default = \"bad\"\n"			/* 2 */
		"}\n"					/* 3 */
		"variable \"nodefault\" {}\n"		/* 4 */
		"locals {\n"				/* 5 */
		"  l = var.good\n"			/* 6 */
		"}\n"					/* 7 */
		"resource \"probe\" \"c\" {\n"		/* 8 */
		"  v = \"${var.good}\"\n"		/* 9  FAIL via default */
		"}\n"					/* 10 */
		"resource \"probe\" \"d\" {\n"		/* 11 */
		"  v = \"pre-${var.nodefault}\"\n"	/* 12 cannot be "bad" */
		"}\n"					/* 13 */
		"resource \"probe\" \"e\" {\n"		/* 14 */
		"  v = var.nodefault\n"			/* 15 UNKNOWN */
		"}\n"					/* 16 */
		"resource \"probe\" \"f\" {\n"		/* 17 */
		"  v = lower(\"BAD\")\n"		/* 18 UNKNOWN */
		"}\n"					/* 19 */
		"resource \"probe\" \"g\" {\n"		/* 20 */
		"  v = module.m.out\n"			/* 21 UNKNOWN */
		"}\n"					/* 22 */
		"resource \"probe\" \"h\" {\n"		/* 23 */
		"  v = local.l\n"			/* 24 FAIL via local -> var */
		"}\n"					/* 25 */
		"resource \"probe\" \"i\" {\n"		/* 26 */
		"  v = var.good == \"\" ? \"bad\" : \"x\"\n"	/* 27 UNKNOWN */
		"  must = true\n"			/* 28 */
		"}\n";					/* 29 */
	struct scan s;

	UNUSED(state);
	scan(&s, "vars.tf", tf);
	EXPECT(&s, "P-TF-BAD", 0, IAC_FAIL, 9);
	assert_non_null(strstr(nth(&s, "P-TF-BAD", 0)->found, "(default \"bad\", line 2)"));
	EXPECT(&s, "P-TF-BAD", 1, IAC_UNKNOWN, 15);
	assert_string_equal(nth(&s, "P-TF-BAD", 1)->found, "v = var.nodefault (unresolved)");
	EXPECT(&s, "P-TF-BAD", 2, IAC_UNKNOWN, 18);
	EXPECT(&s, "P-TF-BAD", 3, IAC_UNKNOWN, 21);
	EXPECT(&s, "P-TF-BAD", 4, IAC_FAIL, 24);
	EXPECT(&s, "P-TF-BAD", 5, IAC_UNKNOWN, 27);
	assert_int_equal(count(&s, "P-TF-BAD"), 6);
	/* The missing-attribute probe fires on every resource but "i". */
	assert_int_equal(count(&s, "P-TF-SET"), 6);
	done(&s);
}

static void hcl_blocks_jsonencode_dynamic(void **state)
{
	const char *tf =
		"resource \"probe_list\" \"l\" {\n"	/* 1 */
		"  item { v = \"good\" }\n"		/* 2 */
		"  item {\n"				/* 3 */
		"    v = \"bad\"\n"			/* 4 */
		"  }\n"					/* 5 */
		"}\n"					/* 6 */
		"resource \"probe_list\" \"m\" {\n"	/* 7 */
		"  dynamic \"item\" {\n"		/* 8 */
		"    for_each = var.items\n"		/* 9 */
		"    content { v = item.value }\n"	/* 10 */
		"  }\n"					/* 11 */
		"}\n"					/* 12 */
		"resource \"probe_json\" \"j\" {\n"	/* 13 */
		"  doc = jsonencode({\n"		/* 14 */
		"    Statement = [\n"			/* 15 */
		"      { Action = \"ok\" },\n"		/* 16 */
		"      {\n"				/* 17 */
		"        Action = \"bad\"\n"		/* 18 */
		"      },\n"				/* 19 */
		"    ]\n"				/* 20 */
		"  })\n"				/* 21 */
		"}\n"					/* 22 */
		"resource \"probe_json\" \"k\" {\n"	/* 23 */
		"  doc = <<POLICY\n"			/* 24 */
		"{\n"					/* 25 */
		"  \"Statement\": {\n"			/* 26 */
		"    \"Resource\": \"${aws_s3_bucket.b.arn}\",\n"	/* 27 */
		"    \"Action\": \"bad\"}\n"		/* 28 */
		"}\n"					/* 29 */
		"POLICY\n"				/* 30 */
		"}\n"					/* 31 */
		"resource \"probe_json\" \"q\" {\n"	/* 32 */
		"  doc = \"{\\\"Statement\\\": [{\\\"Action\\\": \\\"bad\\\"}]}\"\n"	/* 33 */
		"}\n";					/* 34 */
	struct scan s;

	UNUSED(state);
	scan(&s, "blocks.tf", tf);
	EXPECT(&s, "P-TF-BAD", 0, IAC_FAIL, 4);
	EXPECT(&s, "P-TF-BAD", 1, IAC_UNKNOWN, 8);
	EXPECT(&s, "P-TF-BAD", 2, IAC_FAIL, 18);
	EXPECT(&s, "P-TF-BAD", 3, IAC_FAIL, 28);
	EXPECT(&s, "P-TF-BAD", 4, IAC_FAIL, 33);
	assert_int_equal(count(&s, "P-TF-BAD"), 5);
	done(&s);
}

static void hcl_parse_error_is_unknown(void **state)
{
	struct scan s;

	UNUSED(state);
	scan(&s, "broken.tf", "resource \"probe\" \"a\" {\n  x = 1\n  y = [1, 2\n");
	assert_int_equal(s.n, 1);
	assert_int_equal(s.f[0].check, IAC_CHECK_NONE);
	assert_int_equal(s.f[0].result, IAC_UNKNOWN);
	assert_non_null(strstr(s.f[0].found, "parse error"));
	done(&s);
	scan(&s, "broken.tf", "resource \"probe\" \"a\" {\n  x = \"unterminated\n}\n");
	assert_int_equal(s.n, 1);
	assert_int_equal(s.f[0].line, 2);
	done(&s);
}

static void tf_json(void **state)
{
	const char *tj =
		"{\n"					/* 1 */
		"  \"variable\": {\"good\": {\"default\": \"bad\"}},\n"	/* 2 */
		"  \"resource\": {\n"			/* 3 */
		"    \"probe\": {\n"			/* 4 */
		"      \"a\": {\n"			/* 5 */
		"        \"v\": \"${var.good}\",\n"	/* 6 */
		"        \"x\": 1\n"			/* 7 */
		"      },\n"				/* 8 */
		"      \"b\": [{\"must\": 1}]\n"		/* 9 */
		"    }\n"				/* 10 */
		"  }\n"					/* 11 */
		"}\n";					/* 12 */
	struct scan s;

	UNUSED(state);
	scan(&s, "main.tf.json", tj);
	EXPECT(&s, "P-TF-BAD", 0, IAC_FAIL, 6);
	EXPECT(&s, "P-TF", 0, IAC_FAIL, 7);
	EXPECT(&s, "P-TF-SET", 0, IAC_FAIL, 5);
	assert_int_equal(count(&s, "P-TF-SET"), 1);
	assert_string_equal(nth(&s, "P-TF", 0)->resource, "probe.a");
	done(&s);
}

/* --- ARM and Bicep ----------------------------------------------------------- */

static void arm_nested_children(void **state)
{
	const char *arm =
		"{\r\n"										/* 1 */
		"  // comment\r\n"								/* 2 */
		"  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\r\n" /* 3 */
		"  \"parameters\": {\"p\": {\"type\": \"int\", \"defaultValue\": 5}},\r\n"	/* 4 */
		"  \"resources\": [\r\n"							/* 5 */
		"    {\r\n"									/* 6 */
		"      \"type\": \"Microsoft.Test/things\",\r\n"				/* 7 */
		"      \"name\": \"[parameters('p')]\",\r\n"					/* 8 */
		"      \"properties\": {\"must\": \"[[not an expression]\"},\r\n"		/* 9 */
		"      \"resources\": [\r\n"							/* 10 */
		"        {\r\n"									/* 11 */
		"          \"type\": \"children\",\r\n"						/* 12 */
		"          \"name\": \"c\",\r\n"						/* 13 */
		"          \"properties\": {\"x\": \"[parameters('p')]\"},\r\n"		/* 14 */
		"          /* leaves */ \"resources\": [{\"type\": \"leaves\", \"name\": \"l\", \"properties\": {\"x\": true}}]\r\n" /* 15 */
		"        }\r\n"									/* 16 */
		"      ]\r\n"									/* 17 */
		"    },\r\n"									/* 18 */
		"  ]\r\n"									/* 19 */
		"}\r\n";									/* 20 */
	struct scan s;

	UNUSED(state);
	scan(&s, "azuredeploy.json", arm);
	EXPECT(&s, "P-ARM", 0, IAC_FAIL, 14);
	assert_string_equal(nth(&s, "P-ARM", 0)->resource, "Microsoft.Test/things/children.c");
	/* exists does not need the value: the expression is shown as written. */
	assert_string_equal(nth(&s, "P-ARM", 0)->found, "properties.x = [parameters('p')]");
	EXPECT(&s, "P-ARM", 1, IAC_FAIL, 15);
	assert_string_equal(nth(&s, "P-ARM", 1)->resource, "Microsoft.Test/things/children/leaves.l");
	assert_int_equal(count(&s, "P-ARM"), 2);
	/* "[[" is a literal, so must is set. */
	assert_int_equal(count(&s, "P-ARM-SET"), 0);
	done(&s);
	/* languageVersion 2.0: resources keyed by symbolic name. */
	scan(&s, "v2.json", "{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n"
	     "\"languageVersion\": \"2.0\",\n\"resources\": {\"t\": {\"type\": \"Microsoft.Test/things\",\n"
	     "\"properties\": {\"x\": 1, \"must\": 2}}}}\n");
	EXPECT(&s, "P-ARM", 0, IAC_FAIL, 4);
	done(&s);
}

static void bicep_nested_decorators_loops(void **state)
{
	const char *b =
		"@description('probe')\n"					/* 1 */
		"param p int = 3\n"						/* 2 */
		"var w = 'bad'\n"						/* 3 */
		"\n"								/* 4 */
		"@sys.batchSize(1)\n"						/* 5 */
		"resource t 'Microsoft.Test/things@2020-01-01' = {\n"		/* 6 */
		"  name: 'a${p}'\n"						/* 7 */
		"  properties: {\n"						/* 8 */
		"    must: '''\n"						/* 9 */
		"multi ${not} interp\n"						/* 10 */
		"'''\n"								/* 11 */
		"  }\n"								/* 12 */
		"  resource c 'children' = {\n"				/* 13 */
		"    name: 'c'\n"						/* 14 */
		"    properties: {\n"						/* 15 */
		"      x: p // comment\n"					/* 16 */
		"    }\n"							/* 17 */
		"    resource l 'leaves@2021-01-01' = {\n"			/* 18 */
		"      name: 'l'\n"						/* 19 */
		"      properties: { x: w, y: [1, 2] }\n"			/* 20 */
		"    }\n"							/* 21 */
		"  }\n"								/* 22 */
		"}\n"								/* 23 */
		"resource e 'Microsoft.Test/things@2020-01-01' existing = {\n"	/* 24 */
		"  name: 'e'\n"							/* 25 */
		"}\n"								/* 26 */
		"/* loop */\n"							/* 27 */
		"resource loop 'Microsoft.Test/things@2020-01-01' = [for i in range(0, 3): if (i > 0) {\n" /* 28 */
		"  name: 'loop${i}'\n"						/* 29 */
		"}]\n"								/* 30 */
		"output o string = t.id\n";					/* 31 */
	struct scan s;

	UNUSED(state);
	scan(&s, "main.bicep", b);
	EXPECT(&s, "P-ARM", 0, IAC_FAIL, 16);
	assert_string_equal(nth(&s, "P-ARM", 0)->resource, "Microsoft.Test/things/children.c");
	assert_string_equal(nth(&s, "P-ARM", 0)->found, "properties.x = p");
	EXPECT(&s, "P-ARM", 1, IAC_FAIL, 20);
	assert_string_equal(nth(&s, "P-ARM", 1)->resource, "Microsoft.Test/things/children/leaves.l");
	assert_int_equal(count(&s, "P-ARM"), 2);
	/* t has must; e is existing (not deployed here); the loop has none. */
	EXPECT(&s, "P-ARM-SET", 0, IAC_FAIL, 28);
	assert_int_equal(count(&s, "P-ARM-SET"), 1);
	assert_int_equal(count(&s, NULL), 0);
	done(&s);
}

/* --- YAML: CloudFormation and Kubernetes ------------------------------------- */

static void cfn_tags_and_refs(void **state)
{
	const char *y =
		"AWSTemplateFormatVersion: \"2010-09-09\"\r\n"	/* 1 */
		"Parameters:\r\n"				/* 2 */
		"  V:\r\n"					/* 3 */
		"    Type: String\r\n"				/* 4 */
		"    Default: bad\r\n"				/* 5 */
		"Resources:\r\n"				/* 6 */
		"  A:\r\n"					/* 7 */
		"    Type: AWS::Test::Thing\r\n"		/* 8 */
		"    Properties:\r\n"				/* 9 */
		"      X: !Ref V\r\n"				/* 10 FAIL */
		"  B:\r\n"					/* 11 */
		"    Type: AWS::Test::Thing\r\n"		/* 12 */
		"    Properties:\r\n"				/* 13 */
		"      X: !Sub \"${AWS::Region}-bad\"\r\n"	/* 14 UNKNOWN */
		"  C:\r\n"					/* 15 */
		"    Type: AWS::Test::Thing\r\n"		/* 16 */
		"    Properties:\r\n"				/* 17 */
		"      X: {\"Fn::GetAtt\": [A, Arn]}\r\n"	/* 18 UNKNOWN */
		"  D:\r\n"					/* 19 */
		"    Type: AWS::Test::Thing\r\n"		/* 20 */
		"    Properties:\r\n"				/* 21 */
		"      X: {Ref: V}\r\n"				/* 22 FAIL */
		"  E:\r\n"					/* 23 */
		"    Type: AWS::Test::Thing\r\n"		/* 24 */
		"    Properties:\r\n"				/* 25 */
		"      X: !If [Cond, bad, good]\r\n";		/* 26 UNKNOWN */
	struct scan s;

	UNUSED(state);
	scan(&s, "stack.yaml", y);
	EXPECT(&s, "P-CFN", 0, IAC_FAIL, 10);
	assert_string_equal(nth(&s, "P-CFN", 0)->resource, "AWS::Test::Thing.A");
	EXPECT(&s, "P-CFN", 1, IAC_UNKNOWN, 14);
	EXPECT(&s, "P-CFN", 2, IAC_UNKNOWN, 18);
	EXPECT(&s, "P-CFN", 3, IAC_FAIL, 22);
	EXPECT(&s, "P-CFN", 4, IAC_UNKNOWN, 26);
	assert_int_equal(count(&s, "P-CFN"), 5);
	done(&s);
	scan(&s, "stack.json", "{\"AWSTemplateFormatVersion\": \"2010-09-09\",\n"
	     " \"Parameters\": {\"V\": {\"Default\": \"bad\"}},\n"
	     " \"Resources\": {\"A\": {\"Type\": \"AWS::Test::Thing\",\n"
	     "   \"Properties\": {\"X\": {\"Ref\": \"V\"}}}}}\n");
	EXPECT(&s, "P-CFN", 0, IAC_FAIL, 4);
	done(&s);
}

static void k8s_multidoc_anchors_lists(void **state)
{
	const char *y =
		"---\n"					/* 1 */
		"apiVersion: v1\n"			/* 2 */
		"kind: ConfigMap\n"			/* 3 */
		"metadata: {name: a}\n"			/* 4 */
		"data:\n"				/* 5 */
		"  x: &b bad\n"				/* 6 FAIL */
		"---\n"					/* 7 */
		"# comment\n"				/* 8 */
		"apiVersion: v1\n"			/* 9 */
		"kind: List\n"				/* 10 */
		"items:\n"				/* 11 */
		"  - apiVersion: v1\n"			/* 12 */
		"    kind: Pod\n"			/* 13 */
		"    metadata: {name: p}\n"		/* 14 */
		"    spec:\n"				/* 15 */
		"      containers:\n"			/* 16 */
		"        - &c {name: a, image: *b}\n"	/* 17 FAIL (alias to "bad") */
		"        - *c\n"			/* 18 FAIL (same container again) */
		"        - name: d\n"			/* 19 */
		"          image: good\n"		/* 20 */
		"...\n"					/* 21 */
		"---\n"					/* 22 */
		"apiVersion: v1\n"			/* 23 */
		"kind: ConfigMap\n"			/* 24 */
		"metadata: {name: m}\n"			/* 25 */
		"data:\n"				/* 26 */
		"  <<: {x: bad}\n"			/* 27 FAIL via merge key */
		"---\n"					/* 28 */
		"kind: ConfigMap\n"			/* 29 no apiVersion: not an object */
		"data: {x: bad}\n";			/* 30 */
	struct scan s;

	UNUSED(state);
	scan(&s, "all.yaml", y);
	EXPECT(&s, "P-K8S", 0, IAC_FAIL, 6);
	assert_string_equal(nth(&s, "P-K8S", 0)->resource, "ConfigMap.default.a");
	EXPECT(&s, "P-K8S", 1, IAC_FAIL, 17);
	assert_string_equal(nth(&s, "P-K8S", 1)->resource, "Pod.default.p container a");
	assert_int_equal(nth(&s, "P-K8S", 1)->start_line, 17);
	EXPECT(&s, "P-K8S", 2, IAC_FAIL, 17);
	assert_int_equal(nth(&s, "P-K8S", 2)->start_line, 18);
	EXPECT(&s, "P-K8S", 3, IAC_FAIL, 27);
	assert_int_equal(count(&s, "P-K8S"), 4);
	done(&s);
}

static void k8s_helm_template_unknown(void **state)
{
	const char *y =
		"apiVersion: v1\n"			/* 1 */
		"kind: ConfigMap\n"			/* 2 */
		"metadata:\n"				/* 3 */
		"  name: {{ .Release.Name }}\n"		/* 4 */
		"{{- if .Values.enabled }}\n"		/* 5 */
		"data:\n"				/* 6 */
		"  x: {{ .Values.x | quote }}\n"	/* 7 UNKNOWN */
		"{{- end }}\n";				/* 8 */
	struct scan s;

	UNUSED(state);
	scan(&s, "templates/cm.yaml", y);
	EXPECT(&s, "P-K8S", 0, IAC_UNKNOWN, 7);
	assert_int_equal(s.n, 1);
	done(&s);
}

/* --- Dockerfile ------------------------------------------------------------------ */

static void dockerfile_forms(void **state)
{
	const char *d =
		"# escape=`\n"					/* 1 */
		"FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS base\n"	/* 2 */
		"RUN echo one `\n"				/* 3 */
		"# a comment inside the continuation\n"		/* 4 */
		"    && probe two\n"				/* 5 FAIL */
		"FROM base\n"					/* 6 */
		"RUN [\"probe\", \"x\"]\n"			/* 7 FAIL */
		"RUN <<EOT\n"					/* 8 */
		"set -e\n"					/* 9 */
		"probe heredoc\n"				/* 10 FAIL */
		"EOT\n"						/* 11 */
		"ARG IMG=probeimage\n"				/* 12 */
		"FROM ${IMG}:1 AS p\n"				/* 13 global ARG? no: not before first FROM */
		"RUN echo \"probe; not a command\" | tee x\n";	/* 14 */
	struct scan s;

	UNUSED(state);
	scan(&s, "build/Dockerfile", d);
	EXPECT(&s, "P-DKR", 0, IAC_FAIL, 5);
	assert_string_equal(nth(&s, "P-DKR", 0)->resource, "Dockerfile.RUN");
	EXPECT(&s, "P-DKR", 1, IAC_FAIL, 7);
	EXPECT(&s, "P-DKR", 2, IAC_FAIL, 10);
	/* ${IMG} after the first FROM is not in scope for FROM: UNKNOWN. */
	EXPECT(&s, "P-DKR", 3, IAC_UNKNOWN, 13);
	assert_int_equal(count(&s, "P-DKR"), 4);
	done(&s);
	scan(&s, "Dockerfile", "ARG IMG=probeimage\nFROM ${IMG}:1 AS p\n");
	EXPECT(&s, "P-DKR", 0, IAC_FAIL, 2);
	done(&s);
}

/* --- caps (iac.md §1) ---------------------------------------------------------------- */

static void expect_limit(const char *path, const char *text, size_t len, const char *what)
{
	struct scan s;

	scan_mem(&s, path, text, len);
	if (s.n != 1 || s.f[0].check != IAC_CHECK_NONE || !strstr(s.f[0].found, what))
		dump(&s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.f[0].check, IAC_CHECK_NONE);
	assert_int_equal(s.f[0].result, IAC_UNKNOWN);
	assert_non_null(strstr(s.f[0].found, what));
	done(&s);
}

static char *repeat(const char *pre, const char *unit, size_t n, const char *post, size_t *len)
{
	size_t pl = strlen(pre), ul = strlen(unit), ql = strlen(post), i;
	char *b = xmalloc(pl + ul * n + ql + 1), *p = b;

	assert_non_null(b);
	memcpy(p, pre, pl);
	p += pl;
	for (i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, post, ql);
	p += ql;
	*p = '\0';
	*len = (size_t)(p - b);
	return b;
}

static void caps_deep_nesting(void **state)
{
	char *t, *u;
	size_t len, l2;

	UNUSED(state);
	/* JSON (ARM) */
	t = repeat("{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", \"x\": ",
		   "[", 300, "", &len);
	expect_limit("deep.json", t, len, "limit: nesting depth 256 exceeded");
	xfree(t);
	/* HCL */
	t = repeat("resource \"probe\" \"a\" {\n  x = ", "[", 300, "", &len);
	expect_limit("deep.tf", t, len, "limit: nesting depth 256 exceeded");
	xfree(t);
	t = repeat("", "a {\n", 300, "", &len);
	expect_limit("deep2.tf", t, len, "limit: nesting depth 256 exceeded");
	xfree(t);
	/* YAML */
	t = repeat("apiVersion: v1\nkind: ConfigMap\ndata: ", "[", 300, "", &len);
	expect_limit("deep.yaml", t, len, "limit: nesting depth 256 exceeded");
	xfree(t);
	/* Bicep */
	t = repeat("resource t 'Microsoft.Test/things@2020-01-01' = {\n  p: ", "{\n a: ", 300, "", &len);
	expect_limit("deep.bicep", t, len, "limit: nesting depth 256 exceeded");
	xfree(t);
	/* Just under the cap parses. */
	t = repeat("resource \"probe\" \"a\" {\n  x = ", "[", 200, "", &len);
	u = repeat(t, "]", 200, "\n}\n", &l2);
	{
		struct scan s;

		scan_mem(&s, "ok.tf", u, l2);
		EXPECT(&s, "P-TF", 0, IAC_FAIL, 2);
		done(&s);
	}
	xfree(t);
	xfree(u);
}

static void caps_huge_token_and_file(void **state)
{
	char *t;
	size_t len;
	struct iac_scan_opts o;
	struct iac_finding *f = NULL;
	size_t nf = 0;

	UNUSED(state);
	t = repeat("resource \"probe\" \"a\" {\n  x = \"", "a", LIMIT_IAC_TOKEN_BYTES + 10, "\"\n}\n", &len);
	expect_limit("big.tf", t, len, "limit: token longer than");
	xfree(t);
	t = repeat("{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"x\": \"", "a", LIMIT_IAC_TOKEN_BYTES + 10,
		   "\"}", &len);
	expect_limit("big.json", t, len, "limit: token longer than");
	xfree(t);
	/* A multi-MB one-line JSON within the cap parses in linear time. */
	t = repeat("{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"x\": [",
		   "\"abcdefghijklmnopqrstuvwxyz0123456789\",", 90000, "1]}", &len);
	assert_true(len > 3 * 1024 * 1024);
	{
		struct scan s;

		scan_mem(&s, "line.json", t, len);
		assert_int_equal(s.n, 0);
		done(&s);
	}
	xfree(t);
	/* Tiny tokens would make the tree many times the input: capped. */
	t = repeat("{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"x\": [", "1,", 1500000, "1]}", &len);
	expect_limit("tiny.json", t, len, "limit: parse tree larger than");
	xfree(t);
	t = repeat("resource \"probe\" \"a\" {\n", "  # padding padding padding\n", 200000, "}\n", &len);
	assert_true(len > LIMIT_IAC_FILE_BYTES_DEFAULT);
	expect_limit("huge.tf", t, len, "limit: file larger than");
	/* The cap is an option. */
	iac_scan_opts_default(&o);
	o.max_file = len;
	assert_int_equal(iac_scan_ex(cs, &o, "huge.tf", (const uint8_t *)t, len, &f, &nf), 0);
	assert_int_equal(nf, 1);	/* only P-TF-SET: the block has no attributes */
	assert_int_equal(f[0].line, 1);
	xfree(f);
	xfree(t);
}

static void caps_alias_bomb(void **state)
{
	const char *y =
		"apiVersion: v1\n"
		"kind: ConfigMap\n"
		"a: &a [x, x, x, x, x, x, x, x, x]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";

	UNUSED(state);
	expect_limit("bomb.yaml", y, strlen(y), "limit: YAML alias expansion");
}

static void not_iac_is_silent(void **state)
{
	struct scan s;

	UNUSED(state);
	scan(&s, "notes.txt", "resource \"probe\" \"a\" { x = 1 }\n");
	assert_int_equal(s.n, 0);
	done(&s);
	scan(&s, "values.yaml", "replicas: 3\nimage: bad\n");
	assert_int_equal(s.n, 0);
	done(&s);
	scan(&s, "empty.tf", "");
	assert_int_equal(s.n, 0);
	done(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(detect_table),
		cmocka_unit_test(hcl_crlf_comments_heredoc),
		cmocka_unit_test(hcl_resolution_and_unknowns),
		cmocka_unit_test(hcl_blocks_jsonencode_dynamic),
		cmocka_unit_test(hcl_parse_error_is_unknown),
		cmocka_unit_test(tf_json),
		cmocka_unit_test(arm_nested_children),
		cmocka_unit_test(bicep_nested_decorators_loops),
		cmocka_unit_test(cfn_tags_and_refs),
		cmocka_unit_test(k8s_multidoc_anchors_lists),
		cmocka_unit_test(k8s_helm_template_unknown),
		cmocka_unit_test(dockerfile_forms),
		cmocka_unit_test(caps_deep_nesting),
		cmocka_unit_test(caps_huge_token_and_file),
		cmocka_unit_test(caps_alias_bomb),
		cmocka_unit_test(not_iac_is_silent),
	};

	return cmocka_run_group_tests_name("iac/parse/", tests, setup, teardown);
}
