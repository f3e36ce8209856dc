/*
 * fuzz_iac_bicep.c - the IaC engine on arbitrary input scanned as "main.bicep": the
 * parser, the resource model and every check of rules/packs/iac-v1.yaml
 * (loaded once) must neither crash, leak nor overrun, whatever the bytes.
 */
#include "core/base/api.h"
#include "tests/fuzz/fuzz_iac.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_iac_scan("main.bicep", data, size);
	return 0;
}
