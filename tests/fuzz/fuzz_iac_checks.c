/*
 * fuzz_iac_checks.c - the IaC check-pack loader on arbitrary YAML; a pack
 * it accepts is then evaluated against one small file of each format.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/iac/iac.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *path, *text;
} samples[] = {
	{ "main.tf", "variable \"v\" { default = \"x\" }\nresource \"t\" \"a\" {\n  a = var.v\n"
	  "  b { c = [1, \"0.0.0.0/0\"] }\n  p = jsonencode({ Statement = [{ Action = \"*\" }] })\n}\n" },
	{ "t.json", "{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\","
	  "\"resources\": [{\"type\": \"Microsoft.X/y\", \"apiVersion\": \"2018-01-01\", \"properties\": {\"a\": true}}]}" },
	{ "m.bicep", "param p string = 'x'\nresource r 'Microsoft.X/y@2020-01-01' = {\n  properties: { a: p }\n}\n" },
	{ "s.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A:\n    Type: AWS::X::Y\n"
	  "    Properties: {A: !Ref P, B: [1, 2]}\n" },
	{ "k.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n"
	  "    image: x\n    securityContext: {privileged: true}\n" },
	{ "Dockerfile", "FROM x\nUSER root\nRUN sudo a\nEXPOSE 22\nENV A=b\nADD a /b\n" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iac_checkset *cs = NULL;
	const char *texts[1] = { (const char *)data };
	size_t lens[1] = { size }, i, j;
	struct buf msg;

	buf_init(&msg, 1 << 16);
	if (iac_checkset_load(texts, lens, 1, &cs, &msg) == 0) {
		for (i = 0; i < ARRAY_SIZE(samples); i++) {
			struct iac_finding *f = NULL;
			size_t nf = 0;

			iac_scan(cs, samples[i].path, (const uint8_t *)samples[i].text,
				 strlen(samples[i].text), &f, &nf);
			for (j = 0; j < nf; j++)
				if (f[j].check != IAC_CHECK_NONE && f[j].check >= iac_checkset_count(cs))
					__builtin_trap();
			xfree(f);
		}
		for (i = 0; i < iac_checkset_count(cs); i++)
			if (!iac_checkset_info(cs, i)->id)
				__builtin_trap();
		iac_checkset_free(cs);
	}
	buf_release(&msg);
	return 0;
}
