/*
 * detect.c - which IaC format a file is, from its path and first bytes
 * (iac.md §2).  The path decides for .tf, .tf.json, .bicep and Dockerfile
 * names (with a content check for Dockerfiles); the content decides for
 * .json, .yaml, .yml and .template.
 */
#include "core/base/api.h"
#include "core/iac/iac.h"
#include "core/iac/iac-int.h"

static bool ends_with_i(const char *s, size_t n, const char *suf)
{
	size_t l = strlen(suf);

	return n >= l && iac_mem_ieq(s + n - l, l, suf);
}

static bool starts_with_i(const char *s, size_t n, const char *pre)
{
	size_t l = strlen(pre), i;

	if (n < l)
		return false;
	for (i = 0; i < l; i++) {
		char a = s[i], b = pre[i];

		if (a >= 'A' && a <= 'Z')
			a = (char)(a + 32);
		if (a != b)
			return false;
	}
	return true;
}

/* Case-insensitive search for a lower-case needle. */
static const char *find_i(const char *h, size_t n, const char *needle)
{
	size_t l = strlen(needle), i;

	if (n < l)
		return NULL;
	for (i = 0; i + l <= n; i++)
		if (starts_with_i(h + i, l, needle))
			return h + i;
	return NULL;
}

static bool is_binary(const uint8_t *h, size_t n)
{
	return memchr(h, 0, n) != NULL;
}

/* The first instruction after directives, comments and blanks. */
static bool docker_signature(const char *s, size_t n)
{
	size_t i = 0;

	if (n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < n) {
		size_t e = i;

		while (e < n && s[e] != '\n')
			e++;
		while (i < e && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i < e && s[i] != '#') {
			size_t l = e - i;

			return (l > 4 && starts_with_i(s + i, l, "from") && (s[i + 4] == ' ' || s[i + 4] == '\t')) ||
			       (l > 3 && starts_with_i(s + i, l, "arg") && (s[i + 3] == ' ' || s[i + 3] == '\t'));
		}
		i = e + 1;
	}
	return false;
}

static bool arm_signature(const char *s, size_t n)
{
	const char *p = find_i(s, n, "\"$schema\"");

	return p && find_i(p, n - (size_t)(p - s), "deploymenttemplate.json");
}

/* "AWSTemplateFormatVersion", or a Type whose value starts AWS::. */
static bool cfn_signature(const char *s, size_t n)
{
	size_t i;

	if (memmem(s, n, "AWSTemplateFormatVersion", 24))
		return true;
	if (!memmem(s, n, "Resources", 9))
		return false;
	for (i = 0; i + 5 <= n; i++) {
		size_t k;

		if (memcmp(s + i, "AWS::", 5))
			continue;
		k = i;
		while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t' || s[k - 1] == '"' ||
				 s[k - 1] == '\'' || s[k - 1] == ':'))
			k--;
		if (k >= 4 && !memcmp(s + k - 4, "Type", 4))
			return true;
	}
	return false;
}

/* Top-level apiVersion and kind (YAML at column 0, or JSON keys). */
static bool k8s_signature(const char *s, size_t n, bool json)
{
	size_t i = 0;
	bool api = false, kind = false;

	if (json)
		return memmem(s, n, "\"apiVersion\"", 12) && memmem(s, n, "\"kind\"", 6);
	while (i < n) {
		size_t e = i;

		while (e < n && s[e] != '\n')
			e++;
		if (e - i >= 11 && !memcmp(s + i, "apiVersion:", 11))
			api = true;
		else if (e - i >= 5 && !memcmp(s + i, "kind:", 5))
			kind = true;
		if (api && kind)
			return true;
		i = e + 1;
	}
	return false;
}

static bool looks_json(const char *s, size_t n)
{
	size_t i = 0;

	if (n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i < n && (s[i] == '{' || s[i] == '[');
}

static enum iac_format sniff(const char *s, size_t n, bool yaml_ok, bool json_ok, bool cfn_only)
{
	bool json = looks_json(s, n);

	if (json && !json_ok && !yaml_ok)
		return IAC_NONE;
	if (json && arm_signature(s, n) && !cfn_only)
		return IAC_ARM;
	if (cfn_signature(s, n))
		return IAC_CLOUDFORMATION;
	if (!cfn_only && k8s_signature(s, n, json))
		return IAC_KUBERNETES;
	return IAC_NONE;
}

enum iac_format iac_detect(const char *path, const uint8_t *head, size_t len)
{
	const char *s = (const char *)head, *b;
	size_t bl;

	if (!head)
		len = 0;
	if (len && is_binary(head, len < 8000 ? len : 8000))
		return IAC_NONE;
	if (!path)
		return len ? sniff(s, len, true, true, false) : IAC_NONE;
	b = strrchr(path, '/');
	b = b ? b + 1 : path;
	bl = strlen(b);
	if (ends_with_i(b, bl, ".tf.json"))
		return IAC_TERRAFORM_JSON;
	if (ends_with_i(b, bl, ".tf"))
		return IAC_TERRAFORM;
	if (ends_with_i(b, bl, ".bicep"))
		return IAC_BICEP;
	if (((starts_with_i(b, bl, "dockerfile") || starts_with_i(b, bl, "containerfile")) &&
	     !ends_with_i(b, bl, ".dockerignore")) || ends_with_i(b, bl, ".dockerfile") ||
	    ends_with_i(b, bl, ".containerfile"))
		return docker_signature(s, len) ? IAC_DOCKERFILE : IAC_NONE;
	if (!len)
		return IAC_NONE;
	if (ends_with_i(b, bl, ".json"))
		return looks_json(s, len) ? sniff(s, len, false, true, false) : IAC_NONE;
	if (ends_with_i(b, bl, ".yaml") || ends_with_i(b, bl, ".yml"))
		return sniff(s, len, true, false, false);
	if (ends_with_i(b, bl, ".template"))
		return sniff(s, len, true, true, true);
	return IAC_NONE;
}

const char *iac_format_name(enum iac_format f)
{
	switch (f) {
	case IAC_TERRAFORM: return "terraform";
	case IAC_TERRAFORM_JSON: return "terraform-json";
	case IAC_ARM: return "arm";
	case IAC_BICEP: return "bicep";
	case IAC_CLOUDFORMATION: return "cloudformation";
	case IAC_KUBERNETES: return "kubernetes";
	case IAC_DOCKERFILE: return "dockerfile";
	case IAC_NONE: break;
	}
	return "none";
}
