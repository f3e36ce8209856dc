/*
 * test_helm.c - iac/helm: Helm charts rendered with their default values
 * (core/iac/helm.h).  The fixture chart tests/fixtures/iac/helm/web node
 * by node with its line map, each supported function, unsupported
 * constructs giving UNKNOWN (never a pass), limits stopping quickly with
 * a clear reason, and K8S-01 through the real IaC engine at the
 * template's line.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/iac/helm.h"
#include "core/iac/iac.h"
#include "tests/lib/slurp.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

static const char *src_dir(void)
{
	const char *s = getenv("SLUICE_SOURCE_DIR");

	return s ? s : ".";
}

/* The fixture chart's files, values.yaml optionally replaced. */
static const char *const web_files[] = {
	"Chart.yaml", "values.yaml", "templates/_helpers.tpl", "templates/deployment.yaml",
	"templates/service.yaml", "templates/ingress.yaml", "templates/NOTES.txt",
};

struct chart_in {
	struct helm_file f[ARRAY_SIZE(web_files)];
	char *owned[ARRAY_SIZE(web_files)];
	struct helm_chart_files in;
};

static void web_load(struct chart_in *c, const char *values)
{
	char path[4200];
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < ARRAY_SIZE(web_files); i++) {
		snprintf(path, sizeof(path), "%s/tests/fixtures/iac/helm/web/%s", src_dir(), web_files[i]);
		c->f[i].path = web_files[i];
		if (values && !strcmp(web_files[i], "values.yaml")) {
			c->f[i].data = (const uint8_t *)values;
			c->f[i].len = strlen(values);
			continue;
		}
		c->owned[i] = test_slurp(path, &c->f[i].len);
		assert_non_null(c->owned[i]);
		c->f[i].data = (const uint8_t *)c->owned[i];
	}
	c->in.files = c->f;
	c->in.n = ARRAY_SIZE(web_files);
}

static void web_free(struct chart_in *c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(web_files); i++)
		xfree(c->owned[i]);
}

static const struct helm_rendered *find_out(const struct helm_output *o, const char *path)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (!strcmp(o->files[i].path, path))
			return &o->files[i];
	return NULL;
}

/* The output line holding needle (1-based), or 0. */
static uint32_t out_line_of(const struct helm_rendered *r, const char *needle)
{
	char *t = xstrndup((const char *)r->text, r->len), *p = strstr(t, needle), *q;
	uint32_t line = 1;

	if (!p) {
		xfree(t);
		return 0;
	}
	for (q = t; q < p; q++)
		line += *q == '\n';
	xfree(t);
	return line;
}

/* The exact text of the deployment, node by node, and where each line
 * came from in the template. */
static void test_fixture_chart(void **state)
{
	static const char want[] =
		"apiVersion: apps/v1\n"
		"kind: Deployment\n"
		"metadata:\n"
		"  name: release-name-web\n"
		"  labels:\n"
		"    app.kubernetes.io/name: web\n"
		"    app.kubernetes.io/instance: release-name\n"
		"    app.kubernetes.io/version: \"2.0.1\"\n"
		"    helm.sh/chart: web-1.2.3\n"
		"spec:\n"
		"  replicas: 2\n"
		"  selector:\n"
		"    matchLabels:\n"
		"      app.kubernetes.io/name: web\n"
		"  template:\n"
		"    metadata:\n"
		"      labels:\n"
		"        app.kubernetes.io/name: web\n"
		"        app.kubernetes.io/instance: release-name\n"
		"        app.kubernetes.io/version: \"2.0.1\"\n"
		"        helm.sh/chart: web-1.2.3\n"
		"    spec:\n"
		"      containers:\n"
		"        - name: web\n"
		"          image: \"registry.example.com/web:2.0.1\"\n"
		"          imagePullPolicy: IfNotPresent\n"
		"          securityContext:\n"
		"            privileged: false\n"
		"            runAsNonRoot: true\n"
		"            readOnlyRootFilesystem: true\n"
		"            allowPrivilegeEscalation: false\n"
		"          env:\n"
		"            - name: LOG_LEVEL\n"
		"              value: \"info\"\n"
		"            - name: MODE\n"
		"              value: \"production\"\n"
		"          ports:\n"
		"            - name: http\n"
		"              containerPort: 8080\n"
		"          resources:\n"
		"            limits:\n"
		"              cpu: 500m\n"
		"              memory: 256Mi\n"
		"            requests:\n"
		"              cpu: 100m\n"
		"              memory: 128Mi\n";
	struct chart_in c;
	struct helm_output o;
	const struct helm_rendered *d, *s, *ing;
	bool exact;

	UNUSED(state);
	web_load(&c, NULL);
	assert_true(helm_is_chart(&c.in));
	helm_output_init(&o);
	assert_int_equal(helm_render(&c.in, &o, NULL), 0);
	assert_int_equal(o.n, 3);	/* deployment, service, ingress; no partial, no NOTES */
	d = find_out(&o, "templates/deployment.yaml");
	assert_non_null(d);
	if (d->status != HELM_RENDERED)
		fprintf(stderr, "unknown: %s at %u\n", d->reason, d->reason_line);
	assert_int_equal(d->status, HELM_RENDERED);
	if (d->len != strlen(want) || memcmp(d->text, want, d->len))
		fprintf(stderr, "got:\n%.*s\n", (int)d->len, (const char *)d->text);
	assert_int_equal(d->len, strlen(want));
	assert_memory_equal(d->text, want, d->len);
	/* line map: template lines of the rendered nodes */
	assert_int_equal(helm_source_line(d, out_line_of(d, "privileged: false"), &exact), 22);
	assert_true(exact);
	assert_int_equal(helm_source_line(d, out_line_of(d, "  name: release-name-web"), NULL), 4);
	assert_int_equal(helm_source_line(d, out_line_of(d, "    helm.sh/chart"), NULL), 6);
	assert_int_equal(helm_source_line(d, out_line_of(d, "  replicas: 2"), NULL), 8);
	assert_int_equal(helm_source_line(d, out_line_of(d, "- name: MODE"), NULL), 28);
	assert_int_equal(helm_source_line(d, out_line_of(d, "value: \"production\""), NULL), 29);
	assert_int_equal(helm_source_line(d, out_line_of(d, "containerPort: 8080"), NULL), 34);
	assert_int_equal(helm_source_line(d, out_line_of(d, "memory: 128Mi"), NULL), 37);
	assert_int_equal(helm_source_line(d, out_line_of(d, "resources:"), NULL), 36);
	assert_int_equal(helm_source_line(d, 9999, &exact), 1);
	assert_false(exact);

	s = find_out(&o, "templates/service.yaml");
	assert_non_null(s);
	assert_int_equal(s->status, HELM_RENDERED);
	assert_non_null(memmem(s->text, s->len, "apiVersion: v1\nkind: Service\n", 29));
	assert_int_equal(helm_source_line(s, out_line_of(s, "port: 80"), NULL), 11);
	ing = find_out(&o, "templates/ingress.yaml");
	assert_non_null(ing);
	assert_int_equal(ing->status, HELM_RENDERED);
	assert_true(ing->len <= 1);	/* the newline after {{- end }} */
	helm_output_release(&o);
	web_free(&c);
}

/* One template "templates/t.yaml" with values; returns its rendering. */
static void render1(const char *values, const char *tpl, struct helm_output *o)
{
	static const char chart[] = "apiVersion: v2\nname: t\nversion: 0.1.0\nappVersion: \"1.0\"\n";
	static const char helpers[] =
		"{{- define \"t.hello\" -}}hello {{ . }}{{- end -}}\n"
		"{{- define \"t.rec\" -}}{{ include \"t.rec\" . }}{{- end -}}\n"
		"{{- define \"t.deep\" -}}{{ if 1 }}{{ if 1 }}{{ if 1 }}{{ include \"t.deep\" . }}{{ end }}{{ end }}{{ end }}{{- end -}}\n";
	struct helm_file f[4] = {
		{ "Chart.yaml", (const uint8_t *)chart, sizeof(chart) - 1 },
		{ "values.yaml", (const uint8_t *)values, strlen(values) },
		{ "templates/_helpers.tpl", (const uint8_t *)helpers, sizeof(helpers) - 1 },
		{ "templates/t.yaml", (const uint8_t *)tpl, strlen(tpl) },
	};
	struct helm_chart_files in = { f, 4 };

	helm_output_init(o);
	assert_int_equal(helm_render(&in, o, NULL), 0);
	assert_int_equal(o->n, 1);
}

static const char fn_values[] =
	"s: \"  Hello World  \"\n"
	"name: web-app-\n"
	"n: 3\n"
	"f: 2.5\n"
	"t: true\n"
	"e: \"\"\n"
	"l: [a, b, c]\n"
	"m: {x: 1, z: two}\n"
	"nested: {a: {b: deep}}\n"
	"tag: \"1.0\"\n";

static const struct { const char *tpl, *want; } fn_cases[] = {
	{ "{{ .Values.n }}", "3" },
	{ "{{ .Values.f }}", "2.5" },
	{ "{{ .Values.nested.a.b }}", "deep" },
	{ "{{ .Values.missing }}", "" },
	{ "{{ .Values.missing.deeper }}", "" },
	{ "a {{- \" b \" -}} c", "a b c" },
	{ "x\n  {{- /* comment */}}\ny", "x\ny" },
	{ "{{ default \"d\" .Values.e }}|{{ default \"d\" .Values.n }}|{{ .Values.missing | default 7 }}", "d|3|7" },
	{ "{{ quote .Values.name }} {{ squote .Values.n }} {{ quote \"a\\\"b\" }}", "\"web-app-\" '3' \"a\\\"b\"" },
	{ "{{ toYaml .Values.m }}", "x: 1\nz: two" },
	{ "{{ toYaml .Values.l }}", "- a\n- b\n- c" },
	{ "{{ toYaml (dict \"k\" (list 1 (dict \"a\" \"true\"))) }}", "k:\n- 1\n- a: \"true\"" },
	{ "{{ toJson .Values.m }} {{ toJson .Values.l }}", "{\"x\":1,\"z\":\"two\"} [\"a\",\"b\",\"c\"]" },
	{ "k:{{ toYaml .Values.m | nindent 2 }}", "k:\n  x: 1\n  z: two" },
	{ "{{ \"a\\nb\" | indent 3 }}", "   a\n   b" },
	{ "[{{ trim .Values.s }}]", "[Hello World]" },
	{ "{{ trunc 3 \"abcdef\" }} {{ trunc -2 \"abcdef\" }} {{ trunc 10 \"ab\" }}", "abc ef ab" },
	{ "{{ trimSuffix \"-\" .Values.name }} {{ trimPrefix \"web-\" .Values.name }}", "web-app app-" },
	{ "{{ lower \"AbC\" }}{{ upper \"AbC\" }}", "abcABC" },
	{ "{{ printf \"%s-%d-%v-%q-%%\" \"x\" 42 .Values.t \"q\" }}", "x-42-true-\"q\"-%" },
	{ "{{ printf \"%5s|%-3d|\" \"ab\" 7 }}", "   ab|7  |" },
	{ "{{ replace \"-\" \"_\" .Values.name }}", "web_app_" },
	{ "{{ b64enc \"hello\" }} {{ b64enc \"hi\" }}", "aGVsbG8= aGk=" },
	{ "{{ required \"need n\" .Values.n }}", "3" },
	{ "{{ eq 1 1 }} {{ eq \"a\" \"b\" \"a\" }} {{ ne .Values.n 3 }} {{ lt 1 2 }} {{ gt 1 2 }} {{ le 2 2 }} {{ ge \"b\" \"a\" }}",
	  "true true false true false true true" },
	{ "{{ and 1 0 }} {{ and 1 2 }} {{ or 0 \"\" }} {{ or 0 \"x\" }} {{ not .Values.e }}", "0 2  x true" },
	{ "{{ empty .Values.e }} {{ empty .Values.l }} {{ empty .Values.missing }} {{ empty 0 }}", "true false true true" },
	{ "{{ hasKey .Values.m \"x\" }} {{ hasKey .Values.m \"w\" }}", "true false" },
	{ "{{ list 1 \"a\" true }} {{ dict \"b\" 2 \"a\" 1 }}", "[1 a true] map[a:1 b:2]" },
	{ "{{ $d := dict \"a\" 1 }}{{ $_ := merge $d (dict \"a\" 9 \"b\" 2) }}{{ $d }}", "map[a:1 b:2]" },
	{ "{{ $d := dict }}{{ $_ := set $d \"k\" \"v\" }}{{ $d.k }}", "v" },
	{ "{{ semverCompare \">=1.19-0\" .Capabilities.KubeVersion.GitVersion }} "
	  "{{ semverCompare \"<1.19\" .Capabilities.KubeVersion.Version }} "
	  "{{ semverCompare \"^1.2\" \"1.30.0\" }} {{ semverCompare \"~1.30.0\" \"v1.30.4\" }} "
	  "{{ semverCompare \"<1.20 || >=1.29\" \"1.30\" }} {{ semverCompare \"~1.30|<2|\" \"1.30.0\" }}",
	  "true false true true true false" },
	{ "{{ contains \"World\" .Values.s }} {{ hasPrefix \"web\" .Values.name }} {{ hasSuffix \"x\" .Values.name }}",
	  "true true false" },
	{ "{{ toString 5 }}{{ toString .Values.t }} {{ int \"42\" }} {{ int 2.9 }} {{ int64 .Values.n }}", "5true 42 2 3" },
	{ "{{ ternary \"y\" \"n\" true }}{{ ternary \"y\" \"n\" .Values.e }}", "yn" },
	{ "{{ coalesce .Values.e .Values.missing \"c\" \"d\" }}", "c" },
	{ "{{ lookup \"v1\" \"Secret\" \"ns\" \"x\" | len }}", "0" },
	{ "{{ include \"t.hello\" \"you\" }}|{{ template \"t.hello\" .Values.n }}", "hello you|hello 3" },
	{ "{{ len .Values.l }} {{ join \",\" .Values.l }} {{ until 3 }}", "3 a,b,c [0 1 2]" },
	{ "{{ print \"a\" 1 2 \"b\" }}", "a1 2b" },
	{ "{{ .Chart.Name }}-{{ .Chart.Version }}-{{ .Chart.AppVersion }} {{ .Release.Name }} {{ .Release.Namespace }} "
	  "{{ .Release.Service }} {{ .Template.Name }} {{ .Template.BasePath }}",
	  "t-0.1.0-1.0 release-name default Helm t/templates/t.yaml t/templates" },
	{ "{{ index .Values.m \"x\" }} {{ index .Values.l 1 }} {{ index .Values \"nested\" \"a\" \"b\" }} {{ index .Values \"no\" \"x\" }}",
	  "1 b deep " },
	{ "{{ \"abc\" | sha256sum }}", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "{{ add 1 2 3 }} {{ sub 5 7 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }} {{ max 1 9 3 }} {{ min 4 2 }} {{ add1 .Values.n }}",
	  "6 -2 6 3 1 9 2 4" },
	{ "{{ has \"b\" .Values.l }} {{ has \"z\" .Values.l }} {{ first .Values.l }} {{ last .Values.l }} {{ keys .Values.m }}",
	  "true false a c [x z]" },
	{ "{{ get .Values.m \"z\" }} {{ splitList \",\" \"a,b,,c\" }} {{ kindIs \"map\" .Values.m }} {{ kindOf .Values.l }}",
	  "two [a b  c] true slice" },
	{ "{{ cat \"a\" 1 .Values.missing \"b\" }} {{ title \"hello world\" }}", "a 1 b Hello World" },
	{ "{{ $d := deepCopy .Values.m }}{{ $_ := mergeOverwrite $d (dict \"x\" 5) }}{{ $d.x }}{{ .Values.m.x }}", "51" },
	{ "{{ include (print $.Template.BasePath \"/_helpers.tpl\") . | trim }}", "" },
	{ "v: {{ randAlphaNum 8 }}", "v: {{ unknown }}" },
	{ "{{ (fromYaml \"a: {b: 1}\").a.b }} {{ (fromJson \"{\\\"k\\\": [1,2]}\").k }}", "1 [1 2]" },
	{ "{{ append .Values.l \"d\" }} {{ concat .Values.l (list 1) }} {{ tuple 1 2 }}", "[a b c d] [a b c 1] [1 2]" },
	{ "{{ trimAll \"-\" \"--a-b--\" }} {{ repeat 3 \"ab\" }} {{ nospace \" a b \" }}", "a-b ababab ab" },
	{ "v: {{ now | date \"2006\" }}", "v: {{ unknown }}" },
	{ "{{ .Capabilities.APIVersions.Has \"policy/v1\" }} {{ .Capabilities.APIVersions.Has \"policy/v1beta1\" }}",
	  "true false" },
	{ "{{ if .Values.e }}a{{ else if .Values.n }}b{{ else }}c{{ end }}", "b" },
	{ "{{ if not .Values.t }}a{{ else }}c{{ end }}", "c" },
	{ "{{ with .Values.nested.a }}{{ .b }}{{ end }}{{ with .Values.missing }}x{{ else }}none{{ end }}", "deepnone" },
	{ "{{ range .Values.l }}{{ . }}{{ end }}", "abc" },
	{ "{{ range $i, $v := .Values.l }}{{ $i }}={{ $v }},{{ end }}", "0=a,1=b,2=c," },
	{ "{{ range $k, $v := .Values.m }}{{ $k }}:{{ $v }};{{ end }}", "x:1;z:two;" },
	{ "{{ range .Values.missing }}x{{ else }}empty{{ end }}", "empty" },
	{ "{{ range 3 }}{{ . }}{{ end }}", "012" },
	{ "{{ range .Values.l }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ if eq . \"c\" }}{{ break }}{{ end }}{{ . }}{{ end }}",
	  "a" },
	{ "{{ $x := 1 }}{{ $x = 2 }}{{ $x }} {{ range .Values.l }}{{ $.Values.n }}{{ end }}", "2 333" },
	{ "{{ (.Values.nested).a.b }} {{ (dict \"a\" \"z\").a }}", "deep z" },
	{ "{{ .Values.n | toString | quote | upper }}", "\"3\"" },
	{ "key: {{ tpl \"{{ .Values.n }}\" . }}", "key: {{ unknown }}" },
	{ "key: {{ required \"set me\" .Values.missing }}", "key: {{ unknown }}" },
	{ "key: {{ .Files.Get \"x\" | quote }}", "key: {{ unknown }}" },
	{ "spec:\n  {{- toYaml (required \"r\" .Values.nope) | nindent 2 }}", "spec: {{ unknown }}" },
	{ "- {{ tpl \"x\" . }}", "- {{ unknown }}" },
};

static void test_functions(void **state)
{
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(fn_cases); i++) {
		struct helm_output o;
		const struct helm_rendered *r;

		render1(fn_values, fn_cases[i].tpl, &o);
		r = &o.files[0];
		if (r->status != HELM_RENDERED || r->len != strlen(fn_cases[i].want) ||
		    (r->len && memcmp(r->text, fn_cases[i].want, r->len)))
			fprintf(stderr, "case %zu: %s\n  want [%s]\n  got  [%.*s] %s\n", i, fn_cases[i].tpl,
				fn_cases[i].want, (int)r->len, r->text ? (const char *)r->text : "",
				r->status == HELM_UNKNOWN ? r->reason : "");
		assert_int_equal(r->status, HELM_RENDERED);
		assert_int_equal(r->len, strlen(fn_cases[i].want));
		if (r->len)
			assert_memory_equal(r->text, fn_cases[i].want, r->len);
		helm_output_release(&o);
	}
}

/* Constructs outside the subset: the file is UNKNOWN with a reason that
 * names the cause, never rendered as a pass. */
static const struct { const char *tpl, *why; uint32_t line; } unsup_cases[] = {
	{ "a: 1\nb: {{ regexFind \"a\" \"b\" }}\n", "unsupported function 'regexFind'", 2 },
	{ "{{ toToml .Values }}", "unsupported function 'toToml'", 1 },
	{ "{{ fromYaml \"- 1\" }}", "not a mapping", 1 },
	{ "{{ index .Values.s 1 }}", "index of a scalar", 1 },
	{ "{{ div 1 0 }}", "division by zero", 1 },
	{ "x\n{{ fail \"no\" }}", "template calls fail: no", 2 },
	{ "{{ if tpl \"x\" . }}a{{ end }}", "condition is unknown", 1 },
	{ "{{ range tpl \"x\" . }}a{{ end }}", "range over a value unknown", 1 },
	{ "spec:\n{{ tpl \"x: 1\" . }}\n", "stands alone on its line", 2 },
	{ "a: 1\n{{ if eq (tpl \"x\" .) \"y\" }}b: 2{{ end }}", "condition is unknown", 2 },
	{ "{{ if .Values.a }}", "block without {{end}}", 1 },
	{ "{{ end }}", "unexpected {{end}}", 1 },
	{ "{{ .Values.a ", "unterminated action", 1 },
	{ "{{ $undefined }}", "undefined variable $undefined", 1 },
	{ "{{ include \"nope\" . }}", "no template named \"nope\"", 1 },
	{ "{{ .Values.s.Foo }}", "non-map", 1 },
	{ "{{ .Release.Name.Upper 1 }}", "non-map", 1 },
	{ "{{ printf \"%x\" 3 }}", "printf verb %x", 1 },
	{ "{{ lt \"a\" 1 }}", "cannot be compared", 1 },
	{ "{{ break }}", "outside range", 1 },
	{ "{{ else foo }}", "unsupported {{else", 1 },
	{ "{{ quote ( }}", "unexpected", 1 },
};

static void test_unsupported(void **state)
{
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(unsup_cases); i++) {
		struct helm_output o;
		const struct helm_rendered *r;

		render1("s: str\n", unsup_cases[i].tpl, &o);
		r = &o.files[0];
		if (r->status != HELM_UNKNOWN || !strstr(r->reason, unsup_cases[i].why) ||
		    r->reason_line != unsup_cases[i].line)
			fprintf(stderr, "case %zu: %s -> status %d reason [%s] line %u\n", i, unsup_cases[i].tpl,
				r->status, r->reason, r->reason_line);
		assert_int_equal(r->status, HELM_UNKNOWN);
		assert_non_null(strstr(r->reason, unsup_cases[i].why));
		assert_int_equal(r->reason_line, unsup_cases[i].line);
		helm_output_release(&o);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Hostile templates stop on a named limit, quickly. */
static const struct { const char *tpl, *why; } limit_cases[] = {
	{ "{{ range until 1000000000 }}x{{ end }}", "limit: until 1000000000" },
	{ "{{ range 1000000000 }}x{{ end }}", "limit: range of 1000000000" },
	{ "{{ range until 60000 }}{{ range until 60000 }}{{ end }}{{ end }}", "limit: " },
	{ "{{ range .Values.l }}{{ range $.Values.l }}{{ range $.Values.l }}{{ end }}{{ end }}{{ end }}",
	  "limit: more than 4194304 template steps" },
	{ "{{ include \"t.rec\" . }}", "limit: include/template nested deeper" },
	{ "{{ include \"t.deep\" . }}", "limit: blocks nested deeper than 64 across templates" },
	{ "{{ $s := \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" }}"
	  "{{ range until 60000 }}{{ range until 20 }}{{ $s }}{{ $s }}{{ $s }}{{ $s }}{{ $s }}{{ end }}{{ end }}",
	  "limit: output over" },
	{ "{{ $b := printf \"%1000s\" \"x\" }}{{ $b = cat $b $b $b $b $b $b $b $b $b $b $b $b $b $b $b $b }}"
	  "{{ $b = cat $b $b $b $b $b $b $b $b $b $b $b $b $b $b $b $b }}"
	  "{{ range until 60000 }}{{ if contains \"zz\" $b }}{{ end }}{{ end }}", "limit: more than" },
	{ "{{ ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))) }}",
	  "limit: parentheses" },
};

static void test_limits(void **state)
{
	char *list_values = xmalloc(2 * 1000 + 16);
	size_t i;

	UNUSED(state);
	/* l: a list of 1000 elements; three nested ranges are 10^9 steps */
	strcpy(list_values, "l: [");
	for (i = 0; i < 1000; i++)
		strcat(list_values, i ? ",1" : "1");
	strcat(list_values, "]\n");
	for (i = 0; i < ARRAY_SIZE(limit_cases); i++) {
		struct helm_output o;
		const struct helm_rendered *r;
		double t0 = now_s();

		render1(list_values, limit_cases[i].tpl, &o);
		r = &o.files[0];
		if (r->status != HELM_UNKNOWN || !strstr(r->reason, limit_cases[i].why))
			fprintf(stderr, "case %zu: status %d reason [%s]\n", i, r->status, r->reason);
		assert_int_equal(r->status, HELM_UNKNOWN);
		assert_non_null(strstr(r->reason, limit_cases[i].why));
		assert_true(now_s() - t0 < 5.0);
		helm_output_release(&o);
	}
	xfree(list_values);
}

/* Bad chart inputs: no Chart.yaml, values.yaml not YAML or not a map. */
static void test_bad_chart(void **state)
{
	static const char chart[] = "name: t\nversion: 1\n";
	struct helm_file f[2] = {
		{ "Chart.yaml", (const uint8_t *)chart, sizeof(chart) - 1 },
		{ "values.yaml", (const uint8_t *)"a: [1\n", 6 },
	};
	struct helm_chart_files in = { f + 1, 1 };
	struct helm_output o;
	struct buf err;

	UNUSED(state);
	helm_output_init(&o);
	buf_init(&err, 1024);
	assert_false(helm_is_chart(&in));
	assert_int_equal(helm_render(&in, &o, &err), ERR_SYNTAX);
	in.files = f;
	in.n = 2;
	assert_int_equal(helm_render(&in, &o, &err), ERR_SYNTAX);
	f[1].data = (const uint8_t *)"- 1\n";
	f[1].len = 4;
	assert_int_equal(helm_render(&in, &o, &err), ERR_SYNTAX);
	assert_int_equal(o.n, 0);
	buf_release(&err);
}

/* A template too large to read (no data, a length) is a limit, not a
 * skipped file; the line map can be taken out and applied to findings. */
static void test_too_large_and_linemap(void **state)
{
	static const char chart[] = "name: t\nversion: 1.0.0\n";
	static const char tpl[] = "a: 1\n{{- if true }}\nb: {{ \"x\" }}\n{{- end }}\n";
	struct helm_file f[3] = {
		{ "Chart.yaml", (const uint8_t *)chart, sizeof(chart) - 1 },
		{ "templates/big.yaml", NULL, 5u * 1024 * 1024 },
		{ "templates/small.yaml", (const uint8_t *)tpl, sizeof(tpl) - 1 },
	};
	struct helm_chart_files in = { f, 3 };
	struct helm_output o;
	struct helm_linemap *m;
	struct iac_finding fi;

	UNUSED(state);
	helm_output_init(&o);
	assert_int_equal(helm_render(&in, &o, NULL), 0);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.files[0].status, HELM_UNKNOWN);
	assert_non_null(strstr(o.files[0].reason, "limit: template over"));
	helm_unknown_finding(&o.files[0], &fi);
	assert_int_equal(fi.check, IAC_CHECK_NONE);
	assert_non_null(strstr(fi.found, "helm: limit: template over"));
	assert_int_equal(o.files[1].status, HELM_RENDERED);
	assert_int_equal(o.files[1].len, 10);
	assert_memory_equal(o.files[1].text, "a: 1\nb: x\n", 10);
	m = helm_linemap_take(&o.files[1]);
	assert_non_null(m);
	memset(&fi, 0, sizeof(fi));
	fi.line = 2;	/* "b: x" */
	fi.start_line = 1;
	fi.end_line = 2;
	helm_linemap_apply(m, &fi);
	assert_int_equal(fi.line, 3);
	assert_int_equal(fi.start_line, 1);
	assert_int_equal(fi.end_line, 3);
	xfree(m);
	helm_output_release(&o);
}

static struct iac_checkset *load_checks(void)
{
	char path[4200];
	struct iac_checkset *cs = NULL;
	const char *texts[1];
	size_t lens[1];
	char *t;

	snprintf(path, sizeof(path), "%s/rules/packs/iac-v1.yaml", src_dir());
	t = test_slurp(path, &lens[0]);
	assert_non_null(t);
	texts[0] = t;
	assert_int_equal(iac_checkset_load(texts, lens, 1, &cs, NULL), 0);
	xfree(t);
	return cs;
}

/* Through the real engine: privileged: true in values gives K8S-01 at the
 * template line of the privileged key; false gives none. */
static void test_end_to_end(void **state)
{
	static const char priv[] =
		"replicaCount: 1\nimage: {repository: r/web, tag: \"1\", pullPolicy: Always}\nnameOverride: \"\"\n"
		"securityContext: {privileged: true, runAsNonRoot: true, readOnlyRootFilesystem: true,"
		" allowPrivilegeEscalation: false}\n"
		"resources: {limits: {cpu: 1, memory: 1Gi}, requests: {cpu: 1, memory: 1Gi}}\n"
		"env: {}\nports: []\nservice: {enabled: false}\ningress: {enabled: false}\n";
	struct iac_checkset *cs = load_checks();
	long k01 = iac_checkset_find(cs, "K8S-01");
	struct chart_in c;
	struct helm_finding *f = NULL;
	size_t nf = 0, i, hits = 0;

	UNUSED(state);
	assert_true(k01 >= 0);
	web_load(&c, priv);
	assert_int_equal(helm_scan_chart(cs, &c.in, &f, &nf), 0);
	for (i = 0; i < nf; i++) {
		if (f[i].f.check != (uint32_t)k01)
			continue;
		hits++;
		assert_int_equal(f[i].f.result, IAC_FAIL);
		assert_string_equal(f[i].path, "templates/deployment.yaml");
		assert_int_equal(f[i].f.line, 22);
		assert_true(f[i].line_exact);
	}
	assert_int_equal(hits, 1);
	xfree(f);
	web_free(&c);

	/* the shipped defaults: privileged false, nothing about K8S-01 */
	f = NULL;
	nf = 0;
	web_load(&c, NULL);
	assert_int_equal(helm_scan_chart(cs, &c.in, &f, &nf), 0);
	for (i = 0; i < nf; i++) {
		assert_int_not_equal(f[i].f.check, (uint32_t)k01);
		assert_int_not_equal(f[i].f.check, IAC_CHECK_NONE);
	}
	xfree(f);
	web_free(&c);
	iac_checkset_free(cs);
}

/* An unsupported template is one UNKNOWN finding at its line, not a pass. */
static void test_unknown_finding(void **state)
{
	static const char tpl[] = "apiVersion: v1\nkind: Pod\n{{ regexFind \"a\" \"b\" }}\n";
	static const char chart[] = "name: t\nversion: 1.0.0\n";
	struct helm_file files[2] = {
		{ "Chart.yaml", (const uint8_t *)chart, sizeof(chart) - 1 },
		{ "templates/pod.yaml", (const uint8_t *)tpl, sizeof(tpl) - 1 },
	};
	struct helm_chart_files in = { files, 2 };
	struct iac_checkset *cs = load_checks();
	struct helm_finding *f = NULL;
	size_t nf = 0;

	UNUSED(state);
	assert_int_equal(helm_scan_chart(cs, &in, &f, &nf), 0);
	assert_int_equal(nf, 1);
	assert_int_equal(f[0].f.check, IAC_CHECK_NONE);
	assert_int_equal(f[0].f.result, IAC_UNKNOWN);
	assert_int_equal(f[0].f.line, 3);
	assert_string_equal(f[0].path, "templates/pod.yaml");
	assert_non_null(strstr(f[0].f.found, "helm: unsupported function 'regexFind'"));
	xfree(f);
	iac_checkset_free(cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_chart),
		cmocka_unit_test(test_functions),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_bad_chart),
		cmocka_unit_test(test_too_large_and_linemap),
		cmocka_unit_test(test_end_to_end),
		cmocka_unit_test(test_unknown_finding),
	};

	return cmocka_run_group_tests_name("iac/helm", tests, NULL, NULL);
}
