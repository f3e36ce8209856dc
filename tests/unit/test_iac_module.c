/*
 * test_iac_module.c - iac/set/: where findings point in every format (the
 * line convention of README-iac.md), and what a directory decides that a
 * file alone cannot: partner resources in other files, variables, locals
 * and tfvars across the files of a module, module inputs one level
 * (Terraform and Bicep), Bicep `existing`, kustomize patches.  Checks come
 * from rules/packs/iac-v1.yaml (SLUICE_SOURCE_DIR).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/iac/iac.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

static struct iac_checkset *cs;

static int setup(void **state)
{
	const char *src = getenv("SLUICE_SOURCE_DIR");
	char path[4096];
	struct buf msg;
	const char *t[1];
	size_t l[1];
	char *text;
	long n;
	FILE *f;

	UNUSED(state);
	snprintf(path, sizeof(path), "%s/rules/packs/iac-v1.yaml", src ? src : ".");
	if (!(f = fopen(path, "rb"))) {
		fprintf(stderr, "cannot open %s (set SLUICE_SOURCE_DIR)\n", path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = malloc((size_t)n + 1);
	if (!text || fread(text, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(text);
		return -1;
	}
	fclose(f);
	t[0] = text;
	l[0] = (size_t)n;
	buf_init(&msg, 1 << 16);
	if (iac_checkset_load(t, l, 1, &cs, &msg)) {
		fprintf(stderr, "%.*s\n", (int)msg.len, (const char *)msg.data);
		cs = NULL;
	}
	buf_release(&msg);
	free(text);
	return cs ? 0 : -1;
}

static int teardown(void **state)
{
	UNUSED(state);
	iac_checkset_free(cs);
	return 0;
}

/* --- one file alone ------------------------------------------------------- */

/* The finding of check id in a single file, or result PASS (line 0). */
static struct iac_finding one(const char *path, const char *text, const char *id)
{
	struct iac_finding *f = NULL, r;
	size_t n = 0, i;
	long ci = iac_checkset_find(cs, id);

	assert_true(ci >= 0);
	assert_int_equal(iac_scan(cs, path, (const uint8_t *)text, strlen(text), &f, &n), 0);
	memset(&r, 0, sizeof(r));
	r.result = IAC_PASS;
	for (i = 0; i < n; i++)
		if (f[i].check == (uint32_t)ci) {
			r = f[i];
			break;
		}
	xfree(f);
	return r;
}

#define EXPECT(path, text, id, res, ln) do { \
		struct iac_finding f_ = one(path, text, id); \
		if (f_.result != (res) || f_.line != (uint32_t)(ln)) \
			fail_msg("%s %s: %s line %u, want %s line %u (%s)", path, id, \
				 iac_result_name(f_.result), f_.line, iac_result_name(res), \
				 (unsigned)(ln), f_.found); \
	} while (0)

/* A wrong attribute: its line (a nested one: the offending value's); a
 * missing one: the first line of the resource's own text. */
static void lines_per_format(void **state)
{
	UNUSED(state);
	/* Terraform: the resource line; a nested value's own line. */
	EXPECT("a.tf",
	       "# storage\n"
	       "resource \"azurerm_key_vault\" \"kv\" {\n"
	       "  name = \"kv\"\n"
	       "}\n", "AZ-14", IAC_FAIL, 2);
	EXPECT("a.tf",
	       "resource \"aws_security_group\" \"sg\" {\n"
	       "  ingress {\n"
	       "    from_port = 22\n"
	       "    to_port = 22\n"
	       "    protocol = \"tcp\"\n"
	       "    cidr_blocks = [\n"
	       "      \"10.0.0.0/8\",\n"
	       "      \"0.0.0.0/0\",\n"
	       "    ]\n"
	       "  }\n"
	       "}\n", "AWS-03", IAC_FAIL, 8);
	EXPECT("a.tf",
	       "resource \"azurerm_storage_account\" \"s\" {\n"
	       "  name = \"s\"\n"
	       "  min_tls_version = \"TLS1_0\"\n"
	       "}\n", "AZ-02", IAC_FAIL, 3);
	/* Terraform JSON: the resource name's line. */
	EXPECT("a.tf.json",
	       "{\n"
	       "  \"resource\": {\n"
	       "    \"azurerm_key_vault\": {\n"
	       "      \"kv\": {\n"
	       "        \"name\": \"kv\"\n"
	       "      }\n"
	       "    }\n"
	       "  }\n"
	       "}\n", "AZ-14", IAC_FAIL, 4);
	/* ARM: the resource object's opening brace, not its "type". */
	EXPECT("t.json",
	       "{\n"
	       "  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n"
	       "  \"contentVersion\": \"1.0.0.0\",\n"
	       "  \"resources\": [\n"
	       "    {\n"
	       "      \"name\": \"kv\",\n"
	       "      \"apiVersion\": \"2022-07-01\",\n"
	       "      \"type\": \"Microsoft.KeyVault/vaults\",\n"
	       "      \"properties\": {\"enablePurgeProtection\": false}\n"
	       "    },\n"
	       "    {\n"
	       "      \"name\": \"kv2\",\n"
	       "      \"apiVersion\": \"2022-07-01\",\n"
	       "      \"type\": \"Microsoft.KeyVault/vaults\",\n"
	       "      \"properties\": {}\n"
	       "    }\n"
	       "  ]\n"
	       "}\n", "AZ-14", IAC_FAIL, 9);
	EXPECT("t.json",
	       "{\n"
	       "  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n"
	       "  \"contentVersion\": \"1.0.0.0\",\n"
	       "  \"resources\": [\n"
	       "    {\n"
	       "      \"name\": \"kv\",\n"
	       "      \"apiVersion\": \"2022-07-01\",\n"
	       "      \"type\": \"Microsoft.KeyVault/vaults\",\n"
	       "      \"properties\": {}\n"
	       "    }\n"
	       "  ]\n"
	       "}\n", "AZ-14", IAC_FAIL, 5);
	/* Bicep: the resource line. */
	EXPECT("a.bicep",
	       "param loc string = 'westeurope'\n"
	       "@description('vault')\n"
	       "resource kv 'Microsoft.KeyVault/vaults@2022-07-01' = {\n"
	       "  name: 'kv'\n"
	       "  location: loc\n"
	       "  properties: {}\n"
	       "}\n", "AZ-14", IAC_FAIL, 3);
	/* CloudFormation: the logical id. */
	EXPECT("t.yaml",
	       "AWSTemplateFormatVersion: '2010-09-09'\n"
	       "Resources:\n"
	       "  Db:\n"
	       "    Type: AWS::RDS::DBInstance\n"
	       "    Properties:\n"
	       "      Engine: mysql\n", "AWS-06", IAC_FAIL, 3);
	/* Kubernetes: the object's first line; a container's first line. */
	EXPECT("d.yaml",
	       "# web\n"
	       "apiVersion: v1\n"
	       "kind: Pod\n"
	       "metadata:\n"
	       "  name: web\n"
	       "spec:\n"
	       "  containers:\n"
	       "    - name: app\n"
	       "      image: nginx:1.25\n", "K8S-02", IAC_FAIL, 8);
	EXPECT("d.yaml",
	       "apiVersion: v1\n"
	       "kind: Pod\n"
	       "metadata:\n"
	       "  name: web\n"
	       "spec:\n"
	       "  hostNetwork: true\n"
	       "  containers:\n"
	       "    - name: app\n"
	       "      image: nginx:1.25\n", "K8S-04", IAC_FAIL, 6);
	/* Dockerfile: the instruction (the stage's FROM when USER is missing). */
	EXPECT("Dockerfile",
	       "# build\n"
	       "FROM alpine:3.19\n"
	       "RUN apk add curl\n", "DKR-01", IAC_FAIL, 2);
}

/* --- sets ------------------------------------------------------------------- */

struct got {
	char path[128];
	struct iac_finding f;
};

struct res {
	struct got v[256];
	size_t n;
	size_t files;
};

static int collect(void *arg, const char *path, void *user, const struct iac_finding *f, size_t n)
{
	struct res *r = arg;
	size_t i;

	UNUSED(user);
	r->files++;
	for (i = 0; i < n && r->n < ARRAY_SIZE(r->v); i++) {
		snprintf(r->v[r->n].path, sizeof(r->v[0].path), "%s", path);
		r->v[r->n++].f = f[i];
	}
	return 0;
}

/* Scans files given as (path, text) pairs, NULL-terminated. */
static void scan_set(struct res *r, ...)
{
	struct iac_set *s;
	const char *p;
	va_list ap;

	memset(r, 0, sizeof(*r));
	assert_int_equal(iac_set_new(&s), 0);
	va_start(ap, r);
	while ((p = va_arg(ap, const char *))) {
		const char *t = va_arg(ap, const char *);

		assert_int_equal(iac_set_add(s, p, (const uint8_t *)t, strlen(t), NULL), 0);
	}
	va_end(ap);
	assert_int_equal(iac_set_scan(cs, NULL, s, collect, r), 0);
	iac_set_free(s);
}

/* The finding of id in path, or a PASS with line 0. */
static struct iac_finding find(const struct res *r, const char *path, const char *id)
{
	struct iac_finding none;
	long ci = iac_checkset_find(cs, id);
	size_t i;

	assert_true(ci >= 0);
	for (i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].path, path) && r->v[i].f.check == (uint32_t)ci)
			return r->v[i].f;
	memset(&none, 0, sizeof(none));
	none.result = IAC_PASS;
	return none;
}

#define HAS(r, path, id, res, ln) do { \
		struct iac_finding f_ = find(r, path, id); \
		if (f_.result != (res) || (f_.result != IAC_PASS && f_.line != (uint32_t)(ln))) \
			fail_msg("%s %s: %s line %u, want %s line %u (%s)", path, id, \
				 iac_result_name(f_.result), f_.line, iac_result_name(res), \
				 (unsigned)(ln), f_.found); \
	} while (0)

static const char bucket_tf[] =
	"resource \"aws_s3_bucket\" \"logs\" {\n"
	"  bucket = \"example-logs\"\n"
	"}\n";

/* Provider v4+ split resources in another file of the directory. */
static void partners_in_other_files(void **state)
{
	struct res r;

	UNUSED(state);
	/* Alone: the block may be elsewhere, so UNKNOWN. */
	scan_set(&r, "infra/s3.tf", bucket_tf, NULL);
	HAS(&r, "infra/s3.tf", "AWS-02", IAC_UNKNOWN, 1);
	/* Found in a sibling file by reference: no finding. */
	scan_set(&r, "infra/s3.tf", bucket_tf, "infra/pab.tf",
		 "resource \"aws_s3_bucket_public_access_block\" \"logs\" {\n"
		 "  bucket = aws_s3_bucket.logs.id\n"
		 "  block_public_acls = true\n"
		 "  block_public_policy = true\n"
		 "  ignore_public_acls = true\n"
		 "  restrict_public_buckets = true\n"
		 "}\n", NULL);
	HAS(&r, "infra/s3.tf", "AWS-02", IAC_PASS, 0);
	HAS(&r, "infra/pab.tf", "AWS-02", IAC_PASS, 0);
	assert_int_equal(r.files, 2);
	/* By literal name through a variable of a third file. */
	scan_set(&r, "infra/s3.tf", bucket_tf, "infra/pab.tf",
		 "resource \"aws_s3_bucket_public_access_block\" \"logs\" {\n"
		 "  bucket = var.name\n"
		 "  block_public_acls = true\n"
		 "  block_public_policy = true\n"
		 "  ignore_public_acls = true\n"
		 "  restrict_public_buckets = true\n"
		 "}\n", "infra/variables.tf",
		 "variable \"name\" {\n  default = \"example-logs\"\n}\n", NULL);
	HAS(&r, "infra/s3.tf", "AWS-02", IAC_PASS, 0);
	/* A block in another directory is not this module's. */
	scan_set(&r, "infra/s3.tf", bucket_tf, "other/pab.tf",
		 "resource \"aws_s3_bucket_public_access_block\" \"logs\" {\n"
		 "  bucket = aws_s3_bucket.logs.id\n"
		 "}\n", NULL);
	HAS(&r, "infra/s3.tf", "AWS-02", IAC_UNKNOWN, 1);
	/* Azure network rules as their own resource: the account has none
	 * inline and draws nothing; the rules resource is judged itself. */
	scan_set(&r, "az/main.tf",
		 "resource \"azurerm_storage_account\" \"s\" {\n"
		 "  name = \"s\"\n"
		 "  min_tls_version = \"TLS1_2\"\n"
		 "}\n", "az/net.tf",
		 "resource \"azurerm_storage_account_network_rules\" \"s\" {\n"
		 "  storage_account_id = azurerm_storage_account.s.id\n"
		 "  default_action = \"Deny\"\n"
		 "}\n", NULL);
	HAS(&r, "az/main.tf", "AZ-05", IAC_PASS, 0);
	HAS(&r, "az/net.tf", "AZ-05", IAC_PASS, 0);
}

static const char sa_var_tf[] =
	"resource \"azurerm_storage_account\" \"s\" {\n"
	"  name = local.name\n"
	"  min_tls_version = var.tls\n"
	"}\n";

/* Variables, locals and tfvars across the files of a directory. */
static void variables_across_files(void **state)
{
	struct res r;
	struct iac_finding f;

	UNUSED(state);
	/* Alone: UNKNOWN. */
	scan_set(&r, "m/main.tf", sa_var_tf, NULL);
	HAS(&r, "m/main.tf", "AZ-02", IAC_UNKNOWN, 3);
	/* variables.tf default: decides, and the finding says where. */
	scan_set(&r, "m/main.tf", sa_var_tf, "m/variables.tf",
		 "variable \"tls\" {\n  type = string\n  default = \"TLS1_0\"\n}\n",
		 "m/locals.tf", "locals {\n  name = \"s\"\n}\n", NULL);
	HAS(&r, "m/main.tf", "AZ-02", IAC_FAIL, 3);
	f = find(&r, "m/main.tf", "AZ-02");
	if (!strstr(f.found, "var.tls (\"TLS1_0\" from variables.tf:3)"))
		fail_msg("found: %s", f.found);
	/* terraform.tfvars overrides the default. */
	scan_set(&r, "m/main.tf", sa_var_tf, "m/variables.tf",
		 "variable \"tls\" {\n  default = \"TLS1_0\"\n}\n",
		 "m/terraform.tfvars", "tls = \"TLS1_2\"\n", NULL);
	HAS(&r, "m/main.tf", "AZ-02", IAC_PASS, 0);
	/* *.auto.tfvars load after terraform.tfvars: the later one wins. */
	scan_set(&r, "m/main.tf", sa_var_tf, "m/variables.tf", "variable \"tls\" {}\n",
		 "m/terraform.tfvars", "tls = \"TLS1_2\"\n",
		 "m/z.auto.tfvars", "tls = \"TLS1_1\"\n", NULL);
	HAS(&r, "m/main.tf", "AZ-02", IAC_FAIL, 3);
	f = find(&r, "m/main.tf", "AZ-02");
	if (!strstr(f.found, "(\"TLS1_1\" from z.auto.tfvars:1)"))
		fail_msg("found: %s", f.found);
	/* Declared without a default, no tfvars in the set: UNKNOWN. */
	scan_set(&r, "m/main.tf", sa_var_tf, "m/variables.tf", "variable \"tls\" {}\n", NULL);
	HAS(&r, "m/main.tf", "AZ-02", IAC_UNKNOWN, 3);
	/* Two versions of variables.tf in one push: agreeing defaults decide,
	 * disagreeing ones are unknown. */
	scan_set(&r, "m/main.tf", sa_var_tf, "m/variables.tf", "variable \"tls\" {\n  default = \"TLS1_0\"\n}\n",
		 "m/variables.tf", "variable \"tls\" {\n  default = \"TLS1_0\"\n}\n", NULL);
	HAS(&r, "m/main.tf", "AZ-02", IAC_FAIL, 3);
	scan_set(&r, "m/main.tf", sa_var_tf, "m/variables.tf", "variable \"tls\" {\n  default = \"TLS1_0\"\n}\n",
		 "m/variables.tf", "variable \"tls\" {\n  default = \"TLS1_2\"\n}\n", NULL);
	HAS(&r, "m/main.tf", "AZ-02", IAC_UNKNOWN, 3);
	/* tfvars of another directory do not apply. */
	scan_set(&r, "m/main.tf", sa_var_tf, "m/variables.tf", "variable \"tls\" {}\n",
		 "n/terraform.tfvars", "tls = \"TLS1_2\"\n", NULL);
	HAS(&r, "m/main.tf", "AZ-02", IAC_UNKNOWN, 3);
}

static const char mod_tf[] =
	"variable \"tls\" {}\n"
	"resource \"azurerm_storage_account\" \"s\" {\n"
	"  name = \"s\"\n"
	"  min_tls_version = var.tls\n"
	"}\n";

/* A module block's literal arguments become the module's variables. */
static void module_inputs(void **state)
{
	struct res r;

	UNUSED(state);
	scan_set(&r, "env/main.tf",
		 "module \"st\" {\n  source = \"../modules/st\"\n  tls = \"TLS1_0\"\n}\n",
		 "modules/st/main.tf", mod_tf, NULL);
	HAS(&r, "modules/st/main.tf", "AZ-02", IAC_FAIL, 4);
	scan_set(&r, "env/main.tf",
		 "module \"st\" {\n  source = \"../modules/st\"\n  tls = \"TLS1_2\"\n}\n",
		 "modules/st/main.tf", mod_tf, NULL);
	HAS(&r, "modules/st/main.tf", "AZ-02", IAC_PASS, 0);
	/* An expression of the caller: UNKNOWN in the module. */
	scan_set(&r, "env/main.tf",
		 "module \"st\" {\n  source = \"../modules/st\"\n  tls = var.x\n}\n",
		 "modules/st/main.tf", mod_tf, NULL);
	HAS(&r, "modules/st/main.tf", "AZ-02", IAC_UNKNOWN, 4);
	/* Two callers: which one is deployed is not ours to pick. */
	scan_set(&r, "a/main.tf",
		 "module \"st\" {\n  source = \"../modules/st\"\n  tls = \"TLS1_2\"\n}\n",
		 "b/main.tf",
		 "module \"st\" {\n  source = \"../modules/st\"\n  tls = \"TLS1_0\"\n}\n",
		 "modules/st/main.tf", mod_tf, NULL);
	HAS(&r, "modules/st/main.tf", "AZ-02", IAC_UNKNOWN, 4);
}

/* Bicep: module params into the module file; existing references never
 * give findings. */
static void bicep_modules_and_existing(void **state)
{
	static const char st[] =
		"param tls string\n"
		"resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n"
		"  name: 'sa'\n"
		"  location: 'westeurope'\n"
		"  kind: 'StorageV2'\n"
		"  sku: { name: 'Standard_LRS' }\n"
		"  properties: {\n"
		"    minimumTlsVersion: tls\n"
		"  }\n"
		"}\n";
	struct res r;

	UNUSED(state);
	scan_set(&r, "bicep/main.bicep",
		 "module st './st.bicep' = {\n"
		 "  name: 'st'\n"
		 "  params: {\n"
		 "    tls: 'TLS1_0'\n"
		 "  }\n"
		 "}\n", "bicep/st.bicep", st, NULL);
	HAS(&r, "bicep/st.bicep", "AZ-02", IAC_FAIL, 8);
	scan_set(&r, "bicep/main.bicep",
		 "module st 'st.bicep' = {\n"
		 "  name: 'st'\n"
		 "  params: {\n"
		 "    tls: 'TLS1_2'\n"
		 "  }\n"
		 "}\n", "bicep/st.bicep", st, NULL);
	HAS(&r, "bicep/st.bicep", "AZ-02", IAC_PASS, 0);
	scan_set(&r, "bicep/st.bicep", st, NULL);
	HAS(&r, "bicep/st.bicep", "AZ-02", IAC_UNKNOWN, 8);
	/* Called twice with different params: unknown, not the first's. */
	scan_set(&r, "bicep/main.bicep",
		 "module a './st.bicep' = {\n  name: 'a'\n  params: {\n    tls: 'TLS1_2'\n  }\n}\n"
		 "module b './st.bicep' = {\n  name: 'b'\n  params: {\n    tls: 'TLS1_0'\n  }\n}\n",
		 "bicep/st.bicep", st, NULL);
	HAS(&r, "bicep/st.bicep", "AZ-02", IAC_UNKNOWN, 8);
	scan_set(&r, "bicep/kv.bicep",
		 "resource kv 'Microsoft.KeyVault/vaults@2022-07-01' existing = {\n"
		 "  name: 'kv'\n"
		 "}\n"
		 "resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' existing = {\n"
		 "  name: 'sa'\n"
		 "}\n", NULL);
	assert_int_equal(r.n, 0);
}

static const char deploy_yaml[] =
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n"
	"  name: web\n"
	"spec:\n"
	"  template:\n"
	"    spec:\n"
	"      containers:\n"
	"        - name: app\n"
	"          image: nginx:1.25\n"
	"          securityContext:\n"
	"            privileged: true\n";

/* Kustomize: a patched resource is UNKNOWN, the patch file is a fragment. */
static void kustomize_patches(void **state)
{
	struct res r;
	size_t i;

	UNUSED(state);
	scan_set(&r, "k/base/deploy.yaml", deploy_yaml, NULL);
	HAS(&r, "k/base/deploy.yaml", "K8S-01", IAC_FAIL, 12);
	scan_set(&r, "k/base/deploy.yaml", deploy_yaml,
		 "k/base/kustomization.yaml",
		 "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
		 "resources:\n  - deploy.yaml\n",
		 "k/overlay/kustomization.yaml",
		 "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
		 "resources:\n  - ../base\n"
		 "patches:\n  - path: secure.yaml\n",
		 "k/overlay/secure.yaml",
		 "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
		 "spec:\n  template:\n    spec:\n      containers:\n        - name: app\n"
		 "          securityContext:\n            privileged: false\n", NULL);
	HAS(&r, "k/base/deploy.yaml", "K8S-01", IAC_UNKNOWN, 9);
	HAS(&r, "k/base/deploy.yaml", "K8S-02", IAC_UNKNOWN, 9);
	for (i = 0; i < r.n; i++) {
		assert_string_not_equal(r.v[i].path, "k/overlay/secure.yaml");
		assert_int_not_equal(r.v[i].f.result, IAC_FAIL);
	}
	/* A target by kind and name, patch inline. */
	scan_set(&r, "k/base/deploy.yaml", deploy_yaml,
		 "k/overlay/kustomization.yaml",
		 "resources:\n  - ../base\n"
		 "patches:\n  - target:\n      kind: Deployment\n      name: web\n"
		 "    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 2\n", NULL);
	HAS(&r, "k/base/deploy.yaml", "K8S-01", IAC_UNKNOWN, 9);
	/* Other objects are not touched. */
	scan_set(&r, "k/base/deploy.yaml", deploy_yaml,
		 "k/overlay/kustomization.yaml",
		 "patches:\n  - target:\n      kind: Deployment\n      name: api\n    patch: x\n", NULL);
	HAS(&r, "k/base/deploy.yaml", "K8S-01", IAC_FAIL, 12);
}

/* A directory past the caps is evaluated file by file: still findings,
 * never a pass from context it could not afford. */
static void big_directory_alone(void **state)
{
	static char names[300][32];
	static const char var_tf[] = "variable \"tls\" {\n  default = \"TLS1_2\"\n}\n";
	static const char filler[] = "locals {\n  x = 1\n}\n";
	struct iac_set *s;
	struct res r;
	size_t i;

	UNUSED(state);
	memset(&r, 0, sizeof(r));
	assert_int_equal(iac_set_new(&s), 0);
	assert_int_equal(iac_set_add(s, "big/main.tf", (const uint8_t *)sa_var_tf, strlen(sa_var_tf), NULL), 0);
	assert_int_equal(iac_set_add(s, "big/variables.tf", (const uint8_t *)var_tf, strlen(var_tf), NULL), 0);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(names[i], sizeof(names[0]), "big/f%zu.tf", i);
		assert_int_equal(iac_set_add(s, names[i], (const uint8_t *)filler, strlen(filler), NULL), 0);
	}
	assert_int_equal(iac_set_scan(cs, NULL, s, collect, &r), 0);
	iac_set_free(s);
	assert_int_equal(r.files, 302);
	HAS(&r, "big/main.tf", "AZ-02", IAC_UNKNOWN, 3);
}

/* A Secret's stringData is evaluated like its data. */
static void secret_string_data(void **state)
{
	static const char pack[] =
		"pack: {id: t}\n"
		"checks:\n"
		"  - id: T-1\n"
		"    title: t\n"
		"    severity: low\n"
		"    remediation: r\n"
		"    bindings:\n"
		"      - {format: kubernetes, types: [Secret], fail_if: {attr: data.password, op: exists}}\n"
		"    examples:\n"
		"      positive: [{name: s.yaml, text: \"apiVersion: v1\\nkind: Secret\\ndata: {password: eA==}\\n\", lines: [3]}]\n"
		"      negative: [{name: s.yaml, text: \"apiVersion: v1\\nkind: Secret\\ndata: {user: eA==}\\n\"}]\n";
	static const char sec[] =
		"apiVersion: v1\n"
		"kind: Secret\n"
		"metadata:\n"
		"  name: db\n"
		"stringData:\n"
		"  password: hunter2\n";
	static const char cm[] =
		"apiVersion: v1\n"
		"kind: ConfigMap\n"
		"metadata:\n"
		"  name: db\n"
		"stringData:\n"
		"  password: hunter2\n";
	const char *t[1] = { pack };
	size_t l[1] = { sizeof(pack) - 1 };
	struct iac_checkset *own = NULL;
	struct iac_finding *f = NULL;
	struct buf msg;
	size_t n = 0;

	UNUSED(state);
	buf_init(&msg, 4096);
	if (iac_checkset_load(t, l, 1, &own, &msg))
		fail_msg("%.*s", (int)msg.len, (const char *)msg.data);
	buf_release(&msg);
	assert_int_equal(iac_scan(own, "s.yaml", (const uint8_t *)sec, strlen(sec), &f, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].result, IAC_FAIL);
	assert_int_equal(f[0].line, 6);
	xfree(f);
	f = NULL;
	n = 0;
	/* Only Secrets: a ConfigMap has no stringData to merge. */
	assert_int_equal(iac_scan(own, "c.yaml", (const uint8_t *)cm, strlen(cm), &f, &n), 0);
	assert_int_equal(n, 0);
	xfree(f);
	iac_checkset_free(own);
}

/* The set gives a lone file exactly what iac_scan gives it. */
static void set_matches_single_scan(void **state)
{
	static const char *const files[][2] = {
		{ "x/a.tf", "resource \"azurerm_key_vault\" \"kv\" {\n  name = \"kv\"\n}\n" },
		{ "x/Dockerfile", "FROM alpine:3.19\nUSER root\n" },
		{ "x/p.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
			      "    - name: a\n      image: busybox\n" },
	};
	size_t k;

	UNUSED(state);
	for (k = 0; k < ARRAY_SIZE(files); k++) {
		struct iac_finding *f = NULL;
		size_t n = 0, i;
		struct res r;

		assert_int_equal(iac_scan(cs, files[k][0], (const uint8_t *)files[k][1], strlen(files[k][1]),
					  &f, &n), 0);
		scan_set(&r, files[k][0], files[k][1], NULL);
		assert_int_equal(r.n, n);
		for (i = 0; i < n; i++) {
			assert_int_equal(r.v[i].f.check, f[i].check);
			assert_int_equal(r.v[i].f.line, f[i].line);
			assert_int_equal(r.v[i].f.result, f[i].result);
		}
		xfree(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_per_format),
		cmocka_unit_test(partners_in_other_files),
		cmocka_unit_test(variables_across_files),
		cmocka_unit_test(module_inputs),
		cmocka_unit_test(bicep_modules_and_existing),
		cmocka_unit_test(kustomize_patches),
		cmocka_unit_test(secret_string_data),
		cmocka_unit_test(big_directory_alone),
		cmocka_unit_test(set_matches_single_scan),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
