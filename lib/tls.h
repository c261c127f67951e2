/*
 * tls.h - the client side of one TLS session (STARTTLS or implicit
 * TLS): policy checks, session resumption, descriptions. See tls.c.
 */
#ifndef SLIMRELAY_TLS_H
#define SLIMRELAY_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "dns.h"
#include "result.h"

#define TLS_ERR_MAX	256	/* one reason, for a result text */
#define TLS_KEY_MAX	400	/* session cache key */

/* What one SMTP hop requires of TLS. */
struct tls_policy {
	enum config_tls_level level;
	bool	wrappermode;		/* implicit TLS: handshake first */
	const char *verify_name;	/* name (or address) checked; SNI */
	const char *ca_file;		/* "" or NULL: none */
	const char *ca_path;		/* "" or NULL: none */
	const char *fingerprints;	/* SHA-256 list for "fingerprint" */
	const char *cache_dir;		/* "" or NULL: no session cache */
	/* Level "dane" (CONFIG_TLS_DANE): the host's usable records. */
	const struct dns_tlsa_set *tlsa;	/* verify_name is the base */
	const char *nexthop_name;	/* also matched by DANE-TA; or NULL */
	const char *mx_name;		/* the same: the MX host as named */
};

struct tls_session;

struct tls_session *tls_session_new(const struct tls_policy *,
	    const char *cache_key, struct relay_result *why);
void	tls_session_free(struct tls_session *);
int	tls_session_handshake(struct tls_session *, int fd, short *want);
ssize_t	tls_session_read(struct tls_session *, void *, size_t, short *want);
ssize_t	tls_session_write(struct tls_session *, const void *, size_t,
	    short *want);
bool	tls_session_pending(const struct tls_session *);
const char *tls_session_error(const struct tls_session *);
int	tls_session_check(struct tls_session *, struct relay_result *why);
bool	tls_session_reused(const struct tls_session *);
void	tls_session_describe(const struct tls_session *, const char *peer,
	    char *buf, size_t len);
void	tls_session_abandon(struct tls_session *);
void	tls_session_forget(struct tls_session *);
int	tls_fingerprint_match(const char *list, const unsigned char *md,
	    size_t mdlen);
void	tls_cache_file(const char *dir, const char *key, char *buf,
	    size_t len);

#endif
