/*
 * fuzz_validate.c - every offline validator on arbitrary bytes: the input
 * as it comes, and behind the prefixes the decoding validators expect
 * (so that the base64, JSON, macaroon, DER and routing-payload parsers
 * see their own formats' bytes, not only rejections at the prefix).
 */
#include "core/base/api.h"
#include "core/match/rule-t.h"
#include "core/match/validate.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const prefixes[] = {
	"", "pypi-", "pypi-AgEIcHlwaS5vcmc", "glpat-", "eyJhbGciOiJub25lIn0.", "MII", "MHcCAQEE",
	"glsa_", "ATATT3", "AKIA",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i;

	if (size > 8192)
		return 0;
	(void)marvin32(data, size, 0x004fb61a001bdbccull);
	for (i = 0; i < ARRAY_SIZE(prefixes); i++) {
		size_t pl = strlen(prefixes[i]);
		/* an exact-size heap copy: reads past the end are caught */
		char *s = malloc(pl + size ? pl + size : 1);

		if (!s)
			return 0;
		memcpy(s, prefixes[i], pl);
		if (size)
			memcpy(s + pl, data, size);
		(void)validate_secret(~0u, s, pl + size);
		(void)validate_crc32_base62(s, pl + size);
		(void)validate_jwt(s, pl + size);
		(void)validate_azure_identifiable(s, pl + size);
		(void)validate_azure_cask(s, pl + size);
		(void)validate_crc32_hex_suffix(s, pl + size);
		(void)validate_grafana_sa(s, pl + size);
		(void)validate_gitlab_token(s, pl + size);
		(void)validate_pypi_macaroon(s, pl + size);
		(void)validate_aws_key_id(s, pl + size);
		(void)validate_der_pkcs1(s, pl + size);
		(void)validate_der_pkcs8(s, pl + size);
		(void)validate_der_ec(s, pl + size);
		(void)validate_pkcs12(s, pl + size);
		(void)validate_keystore(s, pl + size);
		(void)validate_kdbx(s, pl + size);
		(void)validate_pem_private(s, pl + size);
		free(s);
	}
	return 0;
}
