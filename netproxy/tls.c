/*
 * tls.c - mbedTLS 2.28/3.x bridge over non-blocking sockets (RFC 5246,
 * RFC 8446 when available; RFC 7301 ALPN; RFC 6066 SNI; RFC 5077 tickets).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "netproxy/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ecp.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>
#include <mbedtls/version.h>
#include <mbedtls/oid.h>

#if MBEDTLS_VERSION_NUMBER < 0x03000000
#include <mbedtls/certs.h>
#endif

/* Session tickets live this long; a push's GET and POST resume within it. */
#define TLS_TICKET_LIFETIME_S 86400

struct tls_ctx {
	bool server;				/* role */
	mbedtls_ssl_config conf;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt cert;			/* own chain (server) or CAs */
	mbedtls_pk_context key;			/* server key */
	mbedtls_ssl_ticket_context tickets;	/* server */
	int *suites;				/* owned copy, 0-terminated */
};

struct tls_conn {
	mbedtls_ssl_context ssl;
	mbedtls_net_context net;		/* wraps the caller's fd */
	char err[160];				/* last mbedTLS error text */
	char sni[256];				/* name the client asked for */
};

static const char *alpn_list[] = { "http/1.1", NULL };

static int tls_fail(struct buf *msg, const char *what, int rc)
{
	char text[160];

	mbedtls_strerror(rc, text, sizeof(text));
	if (msg)
		buf_printf(msg, "TLS: %s: %s", what, text);
	return ERR_IO;
}

static int ctx_common(struct tls_ctx *t, bool server, struct buf *msg)
{
	static const char pers[] = "sluice";
	int rc;

	t->server = server;
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_entropy_init(&t->entropy);
	mbedtls_ctr_drbg_init(&t->drbg);
	mbedtls_x509_crt_init(&t->cert);
	mbedtls_pk_init(&t->key);
	mbedtls_ssl_ticket_init(&t->tickets);
	rc = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
				   (const unsigned char *)pers, sizeof(pers) - 1);
	if (rc)
		return tls_fail(msg, "seeding the DRBG", rc);
	rc = mbedtls_ssl_config_defaults(&t->conf,
					 server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
					 MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc)
		return tls_fail(msg, "config defaults", rc);
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	rc = mbedtls_ssl_conf_alpn_protocols(&t->conf, alpn_list);
	if (rc)
		return tls_fail(msg, "ALPN", rc);
	return 0;
}

static int sni_cb(void *ctx, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
	struct tls_conn *c = NULL;

	UNUSED(ctx);
	/* The connection is found through the ssl context's user pointer. */
	c = (struct tls_conn *)((char *)ssl - offsetof(struct tls_conn, ssl));
	len = MIN(len, sizeof(c->sni) - 1);
	memcpy(c->sni, name, len);
	c->sni[len] = '\0';
	return 0;	/* one certificate serves every name */
}

int tls_server_new(const struct tls_server_opts *o, struct tls_ctx **out, struct buf *msg)
{
	struct tls_ctx *t = xcalloc(1, sizeof(*t));
	int rc, err;

	*out = NULL;
	if (!t)
		return ERR_NOMEM;
	err = ctx_common(t, true, msg);
	if (err)
		goto fail;
	rc = mbedtls_x509_crt_parse_file(&t->cert, o->cert_file);
	if (rc) {
		err = tls_fail(msg, o->cert_file, rc);
		goto fail;
	}
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	rc = mbedtls_pk_parse_keyfile(&t->key, o->key_file, NULL, mbedtls_ctr_drbg_random, &t->drbg);
#else
	rc = mbedtls_pk_parse_keyfile(&t->key, o->key_file, NULL);
#endif
	if (rc) {
		err = tls_fail(msg, o->key_file, rc);
		goto fail;
	}
	rc = mbedtls_ssl_conf_own_cert(&t->conf, &t->cert, &t->key);
	if (rc) {
		err = tls_fail(msg, "certificate and key", rc);
		goto fail;
	}
	if (o->ciphersuites && o->ciphersuites[0]) {
		size_t n = 0;

		while (o->ciphersuites[n])
			n++;
		t->suites = xcalloc(n + 1, sizeof(int));
		if (!t->suites) {
			err = ERR_NOMEM;
			goto fail;
		}
		memcpy(t->suites, o->ciphersuites, n * sizeof(int));
		mbedtls_ssl_conf_ciphersuites(&t->conf, t->suites);
	}
	rc = mbedtls_ssl_ticket_setup(&t->tickets, mbedtls_ctr_drbg_random, &t->drbg,
				      MBEDTLS_CIPHER_AES_256_GCM, TLS_TICKET_LIFETIME_S);
	if (rc) {
		err = tls_fail(msg, "session tickets", rc);
		goto fail;
	}
	mbedtls_ssl_conf_session_tickets_cb(&t->conf, mbedtls_ssl_ticket_write,
					    mbedtls_ssl_ticket_parse, &t->tickets);
	mbedtls_ssl_conf_sni(&t->conf, sni_cb, NULL);
	*out = t;
	return 0;
fail:
	tls_ctx_free(t);
	return err;
}

int tls_client_new(const char *ca_file, struct tls_ctx **out, struct buf *msg)
{
	struct tls_ctx *t = xcalloc(1, sizeof(*t));
	const char *ca = ca_file ? ca_file : "/etc/ssl/certs/ca-certificates.crt";
	int rc, err;

	*out = NULL;
	if (!t)
		return ERR_NOMEM;
	err = ctx_common(t, false, msg);
	if (err)
		goto fail;
	rc = mbedtls_x509_crt_parse_file(&t->cert, ca);
	if (rc < 0) {
		err = tls_fail(msg, ca, rc);
		goto fail;
	}
	mbedtls_ssl_conf_ca_chain(&t->conf, &t->cert, NULL);
	mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	*out = t;
	return 0;
fail:
	tls_ctx_free(t);
	return err;
}

void tls_ctx_free(struct tls_ctx *t)
{
	if (!t)
		return;
	mbedtls_ssl_ticket_free(&t->tickets);
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->cert);
	mbedtls_pk_free(&t->key);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_entropy_free(&t->entropy);
	xfree(t->suites);
	xfree(t);
}

int tls_conn_new(struct tls_ctx *t, int fd, const char *host, struct tls_conn **out)
{
	struct tls_conn *c = xcalloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c)
		return ERR_NOMEM;
	mbedtls_ssl_init(&c->ssl);
	mbedtls_net_init(&c->net);
	c->net.fd = fd;
	rc = mbedtls_ssl_setup(&c->ssl, &t->conf);
	if (!rc && host)
		rc = mbedtls_ssl_set_hostname(&c->ssl, host);
	if (rc) {
		mbedtls_ssl_free(&c->ssl);
		xfree(c);
		return ERR_IO;
	}
	mbedtls_ssl_set_bio(&c->ssl, &c->net, mbedtls_net_send, mbedtls_net_recv, NULL);
	*out = c;
	return 0;
}

void tls_conn_free(struct tls_conn *c)
{
	if (!c)
		return;
	mbedtls_ssl_free(&c->ssl);
	xfree(c);
}

static int map_rc(struct tls_conn *c, int rc, enum tls_want *want)
{
	if (rc == MBEDTLS_ERR_SSL_WANT_READ) {
		*want = TLS_WANT_READ;
		return TLS_AGAIN;
	}
	if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
		*want = TLS_WANT_WRITE;
		return TLS_AGAIN;
	}
	mbedtls_strerror(rc, c->err, sizeof(c->err));
	return ERR_IO;
}

int tls_conn_handshake(struct tls_conn *c, enum tls_want *want)
{
	int rc = mbedtls_ssl_handshake(&c->ssl);

	return rc == 0 ? 0 : map_rc(c, rc, want);
}

ssize_t tls_conn_read(struct tls_conn *c, void *p, size_t n, enum tls_want *want)
{
	int rc = mbedtls_ssl_read(&c->ssl, p, n);

	if (rc >= 0)
		return rc;
	if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
		return 0;
	if (rc == MBEDTLS_ERR_NET_CONN_RESET) {
		snprintf(c->err, sizeof(c->err), "connection reset by peer");
		return ERR_IO;
	}
	return map_rc(c, rc, want);
}

ssize_t tls_conn_write(struct tls_conn *c, const void *p, size_t n, enum tls_want *want)
{
	int rc = mbedtls_ssl_write(&c->ssl, p, n);

	return rc >= 0 ? rc : map_rc(c, rc, want);
}

void tls_conn_close_notify(struct tls_conn *c)
{
	mbedtls_ssl_close_notify(&c->ssl);
}

size_t tls_conn_pending(const struct tls_conn *c)
{
	return mbedtls_ssl_get_bytes_avail(&c->ssl);
}

const char *tls_conn_error(const struct tls_conn *c)
{
	return c->err[0] ? c->err : "TLS error";
}

const char *tls_conn_sni(const struct tls_conn *c)
{
	return c->sni;
}

const char *tls_conn_suite(const struct tls_conn *c)
{
	return mbedtls_ssl_get_ciphersuite(&c->ssl);
}

/* --- self-signed certificate ------------------------------------------ */

static int write_file(const char *path, const unsigned char *p, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, p, n);
	if (close(fd) != 0 || w != (ssize_t)n) {
		unlink(path);
		return ERR_IO;
	}
	return 0;
}

/* subjectAltName value (RFC 5280 §4.2.1.6), DER: SEQUENCE of GeneralName
 * with dNSName [2] and iPAddress [7]. */
static size_t san_der(const char *cn, unsigned char *out, size_t cap)
{
	size_t cnl = strlen(cn), o = 2;
	static const char lh[] = "localhost";

	if (cnl > 100 || cap < 2 + 11 + 6 + 2 + cnl)
		cnl = 0;
	out[o++] = 0x82;
	out[o++] = (unsigned char)(sizeof(lh) - 1);
	memcpy(out + o, lh, sizeof(lh) - 1);
	o += sizeof(lh) - 1;
	out[o++] = 0x87;
	out[o++] = 4;
	out[o++] = 127;
	out[o++] = 0;
	out[o++] = 0;
	out[o++] = 1;
	if (cnl && strcmp(cn, lh) != 0) {
		out[o++] = 0x82;
		out[o++] = (unsigned char)cnl;
		memcpy(out + o, cn, cnl);
		o += cnl;
	}
	out[0] = 0x30;
	out[1] = (unsigned char)(o - 2);
	return o;
}

int tls_ensure_self_signed(const char *cert_file, const char *key_file,
			   const char *common_name, struct buf *msg)
{
	static const char pers[] = "sluice-selfsigned";
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context key;
	mbedtls_x509write_cert crt;
	mbedtls_mpi serial;
	unsigned char *pem = NULL, san[160], serial_bytes[16];
	char subject[200];
	size_t san_len;
	struct stat st;
	int rc, err = 0;

	if (stat(cert_file, &st) == 0)
		return 0;
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_pk_init(&key);
	mbedtls_x509write_crt_init(&crt);
	mbedtls_mpi_init(&serial);
	pem = xmalloc(16384);
	if (!pem) {
		err = ERR_NOMEM;
		goto out;
	}
	if ((rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
					(const unsigned char *)pers, sizeof(pers) - 1)) != 0 ||
	    (rc = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))) != 0 ||
	    (rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key),
				      mbedtls_ctr_drbg_random, &drbg)) != 0 ||
	    (rc = mbedtls_ctr_drbg_random(&drbg, serial_bytes, sizeof(serial_bytes))) != 0) {
		err = tls_fail(msg, "generating a key", rc);
		goto out;
	}
	serial_bytes[0] &= 0x7f;	/* positive serial (RFC 5280 §4.1.2.2) */
	snprintf(subject, sizeof(subject), "CN=%s,O=sluice self-signed", common_name);
	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, &key);
	mbedtls_x509write_crt_set_issuer_key(&crt, &key);
	san_len = san_der(common_name, san, sizeof(san));
	if ((rc = mbedtls_mpi_read_binary(&serial, serial_bytes, sizeof(serial_bytes))) != 0 ||
	    (rc = mbedtls_x509write_crt_set_serial(&crt, &serial)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_subject_name(&crt, subject)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_issuer_name(&crt, subject)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_validity(&crt, "20250101000000", "20451231235959")) != 0 ||
	    (rc = mbedtls_x509write_crt_set_basic_constraints(&crt, 1, 0)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_authority_key_identifier(&crt)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_extension(&crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
						      MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
						      0, san, san_len)) != 0) {
		err = tls_fail(msg, "certificate fields", rc);
		goto out;
	}
	if ((rc = mbedtls_pk_write_key_pem(&key, pem, 16384)) != 0) {
		err = tls_fail(msg, "writing the key", rc);
		goto out;
	}
	err = write_file(key_file, pem, strlen((char *)pem), 0600);
	if (err) {
		if (msg)
			buf_printf(msg, "%s: %s", key_file, err_str(err));
		goto out;
	}
	if ((rc = mbedtls_x509write_crt_pem(&crt, pem, 16384, mbedtls_ctr_drbg_random, &drbg)) != 0) {
		err = tls_fail(msg, "writing the certificate", rc);
		unlink(key_file);
		goto out;
	}
	err = write_file(cert_file, pem, strlen((char *)pem), 0644);
	if (err) {
		if (msg)
			buf_printf(msg, "%s: %s", cert_file, err_str(err));
		unlink(key_file);
	}
out:
	xfree(pem);
	mbedtls_mpi_free(&serial);
	mbedtls_x509write_crt_free(&crt);
	mbedtls_pk_free(&key);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	return err;
}
