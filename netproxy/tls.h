/*
 * tls.h - mbedTLS over a non-blocking socket, driven by the caller's
 * event loop (git-gate.md §10: Debian's libevent 2.1 has no mbedTLS
 * bufferevent, so the bridge is ours).
 *
 * A struct tls_ctx holds what all connections of one role share: the
 * mbedTLS config, certificate and key (server) or CA chain (client), the
 * DRBG and, for servers, the session-ticket keys.  It is built once and is
 * thread-safe to use from every worker (mbedTLS is built with
 * MBEDTLS_THREADING_C on Debian).  A struct tls_conn is one connection.
 *
 * Reads and writes return a byte count, 0 for a clean close, TLS_AGAIN
 * with *want set to TLS_WANT_READ or TLS_WANT_WRITE, or a negative error
 * (ERR_IO with the mbedTLS text available from tls_conn_error()).
 *
 * Server: TLS 1.2 minimum (1.3 too when built against mbedTLS 3.x),
 * ECDHE with AES-GCM or ChaCha20-Poly1305 in the order the board profile
 * gives, ALPN "http/1.1" only (no h2 layer exists), SNI accepted (the name
 * is recorded), session tickets on.
 * Client (https upstream): verifies the peer against the system CAs or a
 * given CA file, and the host name.
 */
#ifndef SLUICE_NETPROXY_TLS_H
#define SLUICE_NETPROXY_TLS_H

#include "core/base/api.h"
#include "core/base/buf.h"

#include <sys/types.h>

#define TLS_AGAIN (-1)
enum tls_want { TLS_WANT_READ = 1, TLS_WANT_WRITE = 2 };

struct tls_ctx;

struct tls_server_opts {
	const char *cert_file;		/* PEM certificate (chain) */
	const char *key_file;		/* PEM private key */
	const int *ciphersuites;	/* 0-terminated mbedTLS ids, or NULL */
};

/* Generates a self-signed ECDSA P-256 certificate for CN=common_name with
 * subjectAltName DNS:localhost, DNS:<common_name>, IP:127.0.0.1 and writes
 * cert_file and key_file (mode 0600) when cert_file does not exist yet.
 * Returns 0 (also when it existed), -errno or ERR_IO with msg. */
int tls_ensure_self_signed(const char *cert_file, const char *key_file,
			   const char *common_name, struct buf *msg);

int tls_server_new(const struct tls_server_opts *o, struct tls_ctx **out, struct buf *msg);
/* ca_file NULL: /etc/ssl/certs/ca-certificates.crt. */
int tls_client_new(const char *ca_file, struct tls_ctx **out, struct buf *msg);
void tls_ctx_free(struct tls_ctx *t);

struct tls_conn;

/* Wraps fd (not owned; the caller closes it after tls_conn_free).
 * host: server name to send and verify (client role), else NULL. */
int tls_conn_new(struct tls_ctx *t, int fd, const char *host, struct tls_conn **out);
void tls_conn_free(struct tls_conn *c);
/* Drives the handshake: 0 when done, TLS_AGAIN (see *want), or an error. */
int tls_conn_handshake(struct tls_conn *c, enum tls_want *want);
ssize_t tls_conn_read(struct tls_conn *c, void *p, size_t n, enum tls_want *want);
ssize_t tls_conn_write(struct tls_conn *c, const void *p, size_t n, enum tls_want *want);
/* Sends close_notify (best effort, never blocks). */
void tls_conn_close_notify(struct tls_conn *c);
/* Bytes already decrypted and waiting inside mbedTLS: the socket may be
 * quiet while data is still readable. */
size_t tls_conn_pending(const struct tls_conn *c);
const char *tls_conn_error(const struct tls_conn *c);
/* SNI name the client sent ("" if none), the negotiated suite name. */
const char *tls_conn_sni(const struct tls_conn *c);
const char *tls_conn_suite(const struct tls_conn *c);

#endif
