/*
 * test_validate.c - the offline validators of core/match/validate.c: valid
 * synthetic tokens pass; every single-character corruption of a
 * checksummed token, and every wrong length, fails.  Tokens come from
 * tests/fixtures/secrets/gen_validated.py and are random, never issued.
 */
#include "core/base/api.h"
#include "core/match/rule-t.h"
#include "core/match/validate.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Every character of tok replaced by every other character of alpha (and
 * a few outside it) fails; tok itself passes; so do no longer or shorter
 * cuts of it. */
static void check_corruptions_from(bool (*v)(const char *, size_t), const char *tok,
				   const char *alpha, size_t from)
{
	size_t len = strlen(tok), i, k;
	char *t = malloc(len + 2);

	assert_non_null(t);
	assert_true(v(tok, len));
	for (i = from; i < len; i++) {
		const char *c;

		memcpy(t, tok, len);
		for (c = alpha; *c; c++) {
			if (*c == tok[i])
				continue;
			t[i] = *c;
			if (v(t, len)) {
				print_error("corruption at %zu to '%c' passes: %.*s\n", i, *c,
					    (int)len, t);
				fail();
			}
		}
		for (c = "=.-_~ \"%"; *c; c++) {
			if (*c == tok[i])
				continue;
			t[i] = *c;
			assert_false(v(t, len));
		}
	}
	/* wrong lengths: every prefix that cuts more than '=' padding, and
	 * one character more */
	for (k = 0; k < len; k++)
		if (strspn(tok + k, "=") != len - k)
			assert_false(v(tok, k));
	memcpy(t, tok, len);
	t[len] = 'A';
	assert_false(v(t, len + 1));
	free(t);
}

static void check_corruptions(bool (*v)(const char *, size_t), const char *tok,
			      const char *alpha)
{
	check_corruptions_from(v, tok, alpha, 0);
}

static void test_marvin(void **state)
{
	static const struct {
		const char *data;
		size_t len;
		uint64_t want;
	} vec[] = {
		{ "", 0, 0x30ed35c100cd3c7dull },
		{ "\xaf", 1, 0x48e73fc77d75ddc1ull },
		{ "\xe7\x0f", 2, 0xb5f6e1fc485dbff8ull },
		{ "\x37\xf4\x95", 3, 0xf0b07c789b8cf7e8ull },
		{ "\x86\x42\xdc\x59", 4, 0x7008f2e87e9cf556ull },
		{ "\x15\x3f\xb7\x98\x26", 5, 0xe6c08c6da2afa997ull },
		{ "\x09\x32\xe6\x24\x6c\x47", 6, 0x6f04bf1a5ea24060ull },
		{ "\xab\x42\x7e\xa8\xd1\x0f\xc7", 7, 0xe11847e4f0678c41ull },
	};
	size_t i;

	UNUSED(state);
	/* the .NET runtime's published vectors, seed 0x004FB61A001BDBCC */
	for (i = 0; i < ARRAY_SIZE(vec); i++)
		assert_true(marvin64((const uint8_t *)vec[i].data, vec[i].len,
				     0x004fb61a001bdbccull) == vec[i].want);
	assert_int_equal(marvin32((const uint8_t *)"abc", 3, 0xd53cd9cecd0893b7ull), 0x6be02a86);
}

static const char *const azure_keys[] = {
	"MaRxX5zejFuUXmOBTShlaahsNlDLixTRKHEcjh8QP47w4EleBHyQMHYAtoFlocMJHywX3XWZpiq6+AStiseYtQ==",
	"MaRxX5zejFuUXmOBTShlaahsNlDLixTRKHEcjh8QP47w4EleBHyQMHYAtoFlocMJHywX3XWZpiq6ACDbJprvVw==",
	"MaRxX5zejFuUXmOBTShlaahsNlDLixTRKHEcjh8QP47w4EleBHyQMHYAtoFlocMJHywX3XWZpiq6APIMiyTA0g==",
	"syAv6hhfp2mW/X1+DPl8d58ExfF0HLspa+ASbK2HZro=",
	"MaRxX5zejFuUXmOBTShlaahsNlDLixTRK+AEhkioP9k=",
	"MaRxX5zejFuUXmOBTShlaahsNlDLixTRK+ARmvIIsBY=",
	"MHYAtoFlocMJHywX3XWZpiq6VXN63PmxYsdBySesGkAzSeDLAa0P",
	"MHYAtoFlocMJHywX3XWZpiq6VXN63PmxYsdBySesGk+ACRBqsPlk",
};
#define AZURE_FUNCTION_KEY "MaRxX5zejFuUXmOBTShlaahsNlDLixTRKHEcjh8QP47wAzFuuIYrGA=="

static void test_azure_identifiable(void **state)
{
	size_t i;

	UNUSED(state);
	/* Cosmos DB's two seeds ("MastRO00", "MastRW00") differ only in the
	 * low word, which Marvin adds to the first 4 bytes: a key of one seed
	 * with those bytes shifted by the difference is a key of the other.
	 * So its first 6 characters (4 bytes and a bit) are not covered. */
	for (i = 0; i < ARRAY_SIZE(azure_keys); i++)
		check_corruptions_from(validate_azure_identifiable, azure_keys[i], b64_std,
				       strstr(azure_keys[i], "ACDb") ? 6 : 0);
	check_corruptions(validate_azure_identifiable, AZURE_FUNCTION_KEY, b64_url);
	/* padding may be dropped */
	assert_true(validate_azure_identifiable(AZURE_FUNCTION_KEY, strlen(AZURE_FUNCTION_KEY) - 2));
	/* a plain 64-byte key with no signature */
	assert_false(validate_azure_identifiable(
		"wtjTJicXO/t2W3SSHUO/UAqTuB7bAgyCpbOSm4+/WTV4oJGdgYdCQToBZf/yZvh++iHZep9HK7k7R+NCeNp2UA==",
		88));
}

#define CASK_KEY "MpcXn3jWlXYgTKZaqbNUyiF0KcHjHEPj84SXBfkMdAtgZowCHLF3JQQJ99dJpKuVce3sYxQyJrGRwzs4ViDS"

static void test_azure_cask(void **state)
{
	UNUSED(state);
	check_corruptions(validate_azure_cask, CASK_KEY, b64_std);
}

static void test_crc32_hex_suffix(void **state)
{
	static const char *const tok[] = {
		"ATATT3xFfGF0HM47kji0228XZyfyTCBw7Jr1YEGOsiF0uLrNNI86QYLUAcoXnVUlf9N0KyCUTBzsrmm5oMih5VDEu6AMkx-4F0vompp7Ph6CWby-LEPMoYDts8AtViKXjFxOQZd0RzWDtyxMlC5LBNPJ5x28ApdsUYtvTliYytueTEDial51Pd=9C199D20",
		"ATCTT3xFfGN0D3lrFKnfsezRbw-Sf3M51SA9Ax_6E9B76wbcQEcrHD2qunkow08HbqBH8E1aC6m0O11fqUiKkRWQtSq3j_hnLthPIYo-HmnRev_0O_9I4OOJCZduBIDpDvgN5ZI36TUQI1gYs3dD5vPQ5AiE3UVZj2nxPXj3z8xw3X8BA6B3Ag=FA7C7E7A",
	};
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(tok); i++)
		check_corruptions(validate_crc32_hex_suffix, tok[i], b64_url);
	/* lower-case hex is not what Atlassian issues */
	assert_false(validate_crc32_hex_suffix("ATCTT3abc=fa7c7e7a", 18));
}

static void test_grafana_sa(void **state)
{
	UNUSED(state);
	check_corruptions(validate_grafana_sa, "glsa_nXauLJ5vCFnegUu7uE0Oxm47bEe15nWN_46fb4add", b64_url);
	check_corruptions(validate_grafana_sa, "glsa_MpcXn3jWlXYgTKZaqbNUyiF0KcHjHEPj_dfadb035", b64_url);
	assert_false(validate_grafana_sa("glsa_MpcXn3jWlXYgTKZaqbNUyiF0KcHjHEPj_DFADB035", 46));
}

#define GITLAB_ROUTABLE "glpat-X5zejFuUXmOBTShlaahsNm86NGRsbwp1OjRmZHRxDg.01.161p3y3q3"

static void test_gitlab_token(void **state)
{
	static const char tok[] = GITLAB_ROUTABLE;
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
	char t[sizeof(tok) + 1];
	size_t len = sizeof(tok) - 1, i, k;
	const char *c;

	UNUSED(state);
	assert_true(validate_gitlab_token(tok, len));
	assert_true(validate_gitlab_token("glrt-zCmm-PO9_qQdCpGvzHtGEW86YmhhNgp1Om93MTcN.01.141cnclkv", 58));
	/* legacy: 20 characters after the prefix, nothing to check */
	assert_true(validate_gitlab_token("glpat-bbzawuHRnolVWyj5kU1c", 26));
	assert_false(validate_gitlab_token("glpat-bbzawuHRnolVWyj5kU1", 25));
	assert_false(validate_gitlab_token("glpat-bbzawuHRnolVWyj5kU1c9", 27));
	/* the shape without GitLab's checksum */
	assert_false(validate_gitlab_token("glpat-RYdhCoP3wCRe2kOSvfazVXMwHTQ.01.q604cqvqd", 46));
	for (i = 0; i < len; i++) {
		memcpy(t, tok, len);
		for (c = alpha; *c; c++) {
			if (*c == tok[i])
				continue;
			t[i] = *c;
			if (validate_gitlab_token(t, len)) {
				print_error("corruption at %zu to '%c' passes\n", i, *c);
				fail();
			}
		}
	}
	/* every cut, except the one that leaves a legacy-shaped token */
	for (k = 0; k < len; k++)
		if (k != 26)
			assert_false(validate_gitlab_token(tok, k));
	memcpy(t, tok, len);
	t[len] = 'a';
	assert_false(validate_gitlab_token(t, len + 1));
}

#define PYPI_TOKEN "pypi-AgEIcHlwaS5vcmcCJDMxZGRiZTcyLWE0M2ItNzE3Ny01ZjdhLWRlMjY5YzgxZTFhNwACOXsidmVyc2lvbiI6IDEsICJwZXJtaXNzaW9ucyI6IHsicHJvamVjdHMiOiBbImFjbWUtNTYyIl19fQAABiBblF5jgU0oZWmobDZQy4sU0ShxHI4fED-O8OBJXgR8kA"
#define TESTPYPI_TOKEN "pypi-AgENdGVzdC5weXBpLm9yZwIkMzFkZGJlNzItYTQzYi03MTc3LTVmN2EtZGUyNjljODFlMWE3AAI5eyJ2ZXJzaW9uIjogMSwgInBlcm1pc3Npb25zIjogeyJwcm9qZWN0cyI6IFsiYWNtZS01NjIiXX19AAAGIFuUXmOBTShlaahsNlDLixTRKHEcjh8QP47w4EleBHyQ"

static void test_pypi_macaroon(void **state)
{
	char t[sizeof(PYPI_TOKEN)];
	size_t len = strlen(PYPI_TOKEN), k;

	UNUSED(state);
	assert_true(validate_pypi_macaroon(PYPI_TOKEN, len));
	assert_true(validate_pypi_macaroon(TESTPYPI_TOKEN, strlen(TESTPYPI_TOKEN)));
	/* every cut: the signature must end the blob */
	for (k = 0; k < len; k++)
		assert_false(validate_pypi_macaroon(PYPI_TOKEN, k));
	/* the random body of the old synthetic examples is no macaroon */
	{
		static const char old_example[] = "pypi-AgEIcHlwaS5vcmcqr25LbBPn-bxKF-Ma-G1RXwX_AQ5RPtdrK0AjkiqV0_sMqRAKKJMse1rlKL4OvSuo0P2T1k_J2cgGEJpW4yqTTxBf898w5SC_Mq-pEkvq7ltbRBTBifN1scFd2AAGYsEXKM8ojD1a88nrQb-JdkdArLU1lYmFszl";

		assert_false(validate_pypi_macaroon(old_example, strlen(old_example)));
	}
	/* corrupt the location (pypi.org -> pypi.orh), the version, the
	 * identifier length and the signature field type */
	memcpy(t, PYPI_TOKEN, sizeof(t));
	t[18] = 'd';
	assert_false(validate_pypi_macaroon(t, len));
	memcpy(t, PYPI_TOKEN, sizeof(t));
	t[5] = 'B';
	assert_false(validate_pypi_macaroon(t, len));
	memcpy(t, PYPI_TOKEN, sizeof(t));
	t[20] = 'K';
	assert_false(validate_pypi_macaroon(t, len));
	/* "AABiB" holds the end of caveats and the signature field 06 20 */
	memcpy(t, PYPI_TOKEN, sizeof(t));
	{
		char *sig = strstr(t, "AABiB");

		assert_non_null(sig);
		sig[3] = 'j';
		assert_false(validate_pypi_macaroon(t, len));
	}
	/* any character outside base64url */
	memcpy(t, PYPI_TOKEN, sizeof(t));
	t[40] = '+';
	assert_false(validate_pypi_macaroon(t, len));
}

static void test_jwt_strict(void **state)
{
	static const char *const good[] = {
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI4NjgwMDA4MTgiLCJuYW1lIjoic3ZjLWRlcGxveSIsImlhdCI6MTcwMTI0MjkxMH0.aOJZUkiTWdtODwWvCc_AvfZyQWiY9-7uxQuZ5llSe5c",
		/* {"alg":"none"}.{"a":[1,2.5e3,{"b":null}]}. */
		"eyJhbGciOiJub25lIn0.eyJhIjpbMSwyLjVlMyx7ImIiOm51bGx9XX0.",
	};
	static const char *const bad[] = {
		/* {"alg":"HS999"} */
		"eyJhbGciOiJIUzk5OSJ9.eyJzdWIiOiIxIn0.c2ln",
		/* {"notJWT":1} has no alg */
		"eyJub3RKV1QiOjF9.eyJzdWIiOiIxMjM0In0.OqAcsgb-DZJDLL42ZP5JXv254X6Ekbouk4YOiDhFLrf",
		/* {"alg":"none"} followed by garbage "x" */
		"eyJhbGciOiJub25lIn14.eyJzdWIiOiIxIn0.c2ln",
		/* payload {"sub":1,} (trailing comma) */
		"eyJhbGciOiJub25lIn0.eyJzdWIiOjEsfQ.c2ln",
		/* '+' in a part */
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.c2+n",
		/* padding */
		"eyJhbGciOiJub25lIn0=.eyJzdWIiOiIxIn0.c2ln",
		/* {"alg":7} */
		"eyJhbGciOjd9.eyJzdWIiOiIxIn0.c2ln",
		/* two dots only */
		"eyJhbGciOiJub25lIn0",
	};
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(good); i++)
		assert_true(validate_jwt(good[i], strlen(good[i])));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (validate_jwt(bad[i], strlen(bad[i]))) {
			print_error("passes: %s\n", bad[i]);
			fail();
		}
	}
}

static void test_der(void **state)
{
	static const char rsa[] = "MIIEpAIBAAKCAQEAgsQmu+nkKyJskzqeTcqmx6MUPCfL8+d+MD2ol8CLyQJRYO/6";
	static const char dsa[] = "MIIBuwIBAAKBgQFy0SlmPB2GTdJ6FLhQXubUAnUWejVC8+egSQH1CGP7SsQzfEDJ";
	static const char p8[] = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQXivWj9IlhARP5P";
	static const char p8ec[] = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgLf7mILZoEbZ27Rks";
	static const char ed[] = "MC4CAQAwBQYDK2VwBCIEIUBKAIBFekv6CUoTbVb/MGiD+LAC12iRCKTbbudzn5nv";
	static const char ec[] = "MHcCAQEEIIMmNS5srNVxtNAk9UXcRVK6ij+bDowsWUf5WXlevTJLEsDipByUeSs6";
	/* a certificate (SEQUENCE { SEQUENCE ...) and a public key */
	static const char cert[] = "MIIDdzCCAl+gAwIBAgIErrllQBjs/iGboLLsrtMfdKDasd5Wi+oZ45LXJW3d5+bW";
	static const char pub[] = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAam93x14dIZD7T19HjaoV";
	/* RSA with version 1, EC with version 0, random text */
	static const char rsa_v1[] = "MIIEpAIBAQKCAQEAgsQmu+nkKyJskzqeTcqmx6MUPCfL8+d+MD2ol8CLyQJRYO/6";
	static const char ec_v0[] = "MHcCAQAEIIMmNS5srNVxtNAk9UXcRVK6ij+bDowsWUf5WXlevTJLEsDipByUeSs6";
	static const char junk[] = "QWxsIHdvcmsgYW5kIG5vIHBsYXkgbWFrZXMgSmFjayBhIGR1bGwgYm95LiBBbGwg";

	UNUSED(state);
	assert_true(validate_der_pkcs1(rsa, strlen(rsa)));
	assert_true(validate_der_pkcs1(dsa, strlen(dsa)));
	assert_true(validate_der_pkcs8(p8, strlen(p8)));
	assert_true(validate_der_pkcs8(p8ec, strlen(p8ec)));
	assert_true(validate_der_pkcs8(ed, strlen(ed)));
	assert_true(validate_der_ec(ec, strlen(ec)));
	/* a line cut at any length from 12 characters still decides */
	assert_true(validate_der_pkcs1(rsa, 40));
	assert_true(validate_der_pkcs8(p8, 43));
	/* wrong kind */
	assert_false(validate_der_pkcs1(p8, strlen(p8)));
	assert_false(validate_der_pkcs1(ec, strlen(ec)));
	assert_false(validate_der_pkcs8(rsa, strlen(rsa)));
	assert_false(validate_der_pkcs8(ec, strlen(ec)));
	assert_false(validate_der_ec(rsa, strlen(rsa)));
	assert_false(validate_der_ec(p8, strlen(p8)));
	/* not keys */
	assert_false(validate_der_pkcs1(cert, strlen(cert)));
	assert_false(validate_der_pkcs8(cert, strlen(cert)));
	assert_false(validate_der_pkcs8(pub, strlen(pub)));
	assert_false(validate_der_pkcs1(rsa_v1, strlen(rsa_v1)));
	assert_false(validate_der_ec(ec_v0, strlen(ec_v0)));
	assert_false(validate_der_pkcs1(junk, strlen(junk)));
	assert_false(validate_der_pkcs8(junk, strlen(junk)));
	assert_false(validate_der_ec(junk, strlen(junk)));
	assert_false(validate_der_ec("MHcC", 4));
}

static void test_aws_key_id(void **state)
{
	UNUSED(state);
	/* accounts 311162681184 and 81778170568 */
	assert_true(validate_aws_key_id("AKIAUQ4V5W5QOGTSI7PW", 20));
	assert_true(validate_aws_key_id("ASIABGCS33LEHUKJYINU", 20));
	/* decodes to an account id of 13 digits */
	assert_false(validate_aws_key_id("AKIA6777777YOGTSI7PW", 20));
	assert_false(validate_aws_key_id("AKIAUQ4V5W5QOGTSI7P", 19));
	assert_false(validate_aws_key_id("AKIAUQ4V5W5QOG1SI7PW", 20));
}

static void test_path_content(void **state)
{
	UNUSED(state);
	assert_true(validate_pkcs12("\x30\x82\x0a\x31\x02\x01\x03\x30", 8));
	assert_true(validate_pkcs12("\x30\x80\x02\x01\x03\x30", 6));
	assert_false(validate_pkcs12("\x30\x82\x03\x5d\x30\x82\x02\x45", 8));	/* certificate */
	assert_false(validate_pkcs12("\x30\x82\x0a\x31\x02\x01\x00\x30", 8));
	assert_false(validate_pkcs12("\x30\x82\x0a", 3));
	assert_true(validate_keystore("\xfe\xed\xfe\xed\x00\x00\x00\x02", 8));
	assert_true(validate_keystore("\xce\xce\xce\xce", 4));
	assert_false(validate_keystore("\xfe\xed\xfe", 3));
	assert_true(validate_kdbx("\x03\xd9\xa2\x9a\x67\xfb\x4b\xb5\x01", 9));
	assert_false(validate_kdbx("\x03\xd9\xa2\x9a\x65\xfb\x4b\xb5", 8));	/* KeePass 1 */
	assert_true(validate_pem_private("\n-----BEGIN RSA PRIVATE KEY-----\nMII", 36));
	assert_true(validate_pem_private("-----BEGIN OPENSSH PRIVATE KEY-----", 35));
	assert_true(validate_pem_private("PuTTY-User-Key-File-3: ssh-ed25519", 34));
	assert_false(validate_pem_private("-----BEGIN PUBLIC KEY-----\nPRIVATE KEY", 38));
	assert_false(validate_pem_private("ssh-ed25519 AAAAC3Nza", 21));
}

static void test_path_globs(void **state)
{
	char *globs[] = { "*.p12", "id_rsa", ".kube/config" };
	struct secret_rule r;

	UNUSED(state);
	memset(&r, 0, sizeof(r));
	r.paths = globs;
	r.n_paths = ARRAY_SIZE(globs);
	assert_true(rule_is_path_only(&r));
	assert_true(rule_path_matches(&r, "deploy/tls/client.p12"));
	assert_true(rule_path_matches(&r, "CLIENT.P12"));
	assert_true(rule_path_matches(&r, "home/u/.ssh/id_rsa"));
	assert_true(rule_path_matches(&r, ".kube/config"));
	assert_true(rule_path_matches(&r, "home/u/.kube/config"));
	assert_false(rule_path_matches(&r, "home/u/.ssh/id_rsa.pub"));
	assert_false(rule_path_matches(&r, "client.p12/readme"));
	assert_false(rule_path_matches(&r, "home/u/x.kube/config"));
	assert_false(rule_path_matches(&r, "home/u/.kube/config.bak"));
}

/* Published example values are placeholders; one character off is not. */
static void test_published_values(void **state)
{
	static const char azurite[] =
		"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
	char other[sizeof(azurite)];

	(void)state;
	assert_true(validate_is_placeholder(azurite, strlen(azurite)));
	assert_true(validate_is_placeholder("2YotnFZFEjr1zCsicMWpAA", 22));
	memcpy(other, azurite, sizeof(azurite));
	other[10] = other[10] == 'A' ? 'B' : 'A';
	assert_false(validate_is_placeholder(other, strlen(other)));
	assert_false(validate_is_placeholder(azurite, strlen(azurite) - 2));
}

static void test_validate_secret_dispatch(void **state)
{
	UNUSED(state);
	assert_true(validate_secret(0, "anything", 8));
	assert_true(validate_secret(RULE_VALID_AZURE_CASK, CASK_KEY, strlen(CASK_KEY)));
	assert_false(validate_secret(RULE_VALID_AZURE_CASK, "MpcX", 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marvin),
		cmocka_unit_test(test_azure_identifiable),
		cmocka_unit_test(test_azure_cask),
		cmocka_unit_test(test_crc32_hex_suffix),
		cmocka_unit_test(test_grafana_sa),
		cmocka_unit_test(test_gitlab_token),
		cmocka_unit_test(test_pypi_macaroon),
		cmocka_unit_test(test_jwt_strict),
		cmocka_unit_test(test_der),
		cmocka_unit_test(test_aws_key_id),
		cmocka_unit_test(test_path_content),
		cmocka_unit_test(test_path_globs),
		cmocka_unit_test(test_published_values),
		cmocka_unit_test(test_validate_secret_dispatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
