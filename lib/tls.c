/*
 * NAME
 *	tls - the client side of one TLS session for an SMTP hop
 * SYNOPSIS
 *	#include "tls.h"
 *
 *	struct tls_session *tls_session_new(const struct tls_policy *p,
 *	    const char *cache_key, struct relay_result *why);
 *	void tls_session_free(struct tls_session *s);
 *	int tls_session_handshake(struct tls_session *s, int fd, short *want);
 *	ssize_t tls_session_read(struct tls_session *s, void *buf,
 *	    size_t len, short *want);
 *	ssize_t tls_session_write(struct tls_session *s, const void *buf,
 *	    size_t len, short *want);
 *	bool tls_session_pending(const struct tls_session *s);
 *	const char *tls_session_error(const struct tls_session *s);
 *	int tls_session_check(struct tls_session *s, struct relay_result *why);
 *	bool tls_session_reused(const struct tls_session *s);
 *	void tls_session_describe(const struct tls_session *s,
 *	    const char *peer, char *buf, size_t len);
 *	void tls_session_abandon(struct tls_session *s);
 *	void tls_session_forget(struct tls_session *s);
 *	int tls_fingerprint_match(const char *list, const unsigned char *md,
 *	    size_t mdlen);
 *	void tls_cache_file(const char *dir, const char *key, char *buf,
 *	    size_t len);
 * DESCRIPTION
 *	OpenSSL is touched only here, and only when a hop really uses TLS:
 *	tls_session_new() loads libssl (dl_load()), makes the SSL_CTX and
 *	the SSL object of one connection (TLS 1.2 or newer, no
 *	compression, no renegotiation), loads the CA file and directory
 *	for the "verify" level only, sets SNI to the policy's verify_name
 *	when it is a host name, and asks OpenSSL to match that name (or
 *	address) against the certificate. It returns NULL with why set
 *	(4.3.5 for a CA file that cannot be loaded, 4.3.0 for memory or
 *	a libssl that cannot be loaded) on failure.
 *
 *	Session resumption across processes: with a cache_dir and a
 *	cache_key, the file tls_cache_file(cache_dir, cache_key) holds one
 *	DER session (i2d_SSL_SESSION). It is offered to the server when it
 *	is a regular file of ours, not larger than TLS_CACHE_FILE_MAX,
 *	parses completely, is resumable, TLS 1.2 or newer and not expired;
 *	any other file is removed. Every session the server gives us (TLS
 *	1.2 at the end of the handshake, TLS 1.3 tickets later, while
 *	reading) replaces the file atomically (a temporary file, mode 0600,
 *	then rename). cache_dir is made, mode 0700, when missing.
 *	tls_session_forget() removes the file (a failed handshake or a
 *	failed certificate check must not be resumed).
 *
 *	tls_session_handshake() drives a non-blocking SSL_connect() on fd:
 *	1 when done, 0 when it must be called again once fd is ready for
 *	*want (POLLIN or POLLOUT), -1 on failure with the reason in
 *	tls_session_error(). tls_session_read() and tls_session_write()
 *	behave as recv(2) and send(2) on a non-blocking socket: -1 with
 *	errno EAGAIN and *want set when they would block, 0 from read when
 *	the peer closed the connection, -1 with errno EPROTO (reason in
 *	tls_session_error()) or the socket's errno on failure.
 *	tls_session_pending() tells whether decrypted bytes wait.
 *
 *	tls_session_check() applies the level after the handshake: for
 *	"verify" the chain must verify against the CAs and the name must
 *	match; for "fingerprint" the SHA-256 digest of the certificate (DER)
 *	or of its public key (SubjectPublicKeyInfo, DER) must be one of the
 *	policy's list. A failure is 4.7.5 "Server certificate not verified:
 *	REASON", like Postfix. The session is then described as Anonymous
 *	(no certificate), Untrusted or Verified, after Postfix, by
 *	tls_session_describe(): "Verified TLS connection established to
 *	PEER: TLSv1.3 with cipher X (256/256 bits)" ("reused" instead of
 *	"established" for a resumed session).
 *
 *	Level "dane" (CONFIG_TLS_DANE, chosen per host by dane.c when the
 *	host has usable DNSSEC-validated TLSA records in p->tlsa): OpenSSL
 *	checks the peer against the records (SSL_dane_enable(3)), usages 2
 *	and 3 only, the TLSA base domain (p->verify_name, also the SNI
 *	name) and p->nexthop_name being the names a DANE-TA certificate
 *	may carry, DANE-EE without name or expiry checks (RFC 7672 3.1.1,
 *	3.1.2). tls_session_check() requires a match: "Server certificate
 *	not verified: no matching DANE TLSA records" otherwise, and the
 *	description ends in ", DANE TLSA 3 1 1 HEX matched at depth 0"
 *	(the record, and where in the chain it matched). The records are
 *	part of the session cache key, so a session is only resumed under
 *	the records that verified it ("DANE verified session resumed").
 *
 *	tls_fingerprint_match() tells whether the digest md is one of the
 *	list's fingerprints (hex, colons allowed, separated by commas or
 *	white space): 1 or 0.
 *
 *	tls_session_free() sends close_notify when the session is healthy
 *	(without waiting) and frees everything; NULL is a no-op.
 *	tls_session_abandon() frees everything without a word to the peer:
 *	for a process whose copy of the session lives on in another
 *	(tls_pump.c).
 * SEE ALSO
 *	RFC 3207 (STARTTLS), RFC 8314 (implicit TLS), RFC 6125, Postfix
 *	TLS_README, SSL_CTX_sess_set_new_cb(3), i2d_SSL_SESSION(3).
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dane.h"
#include "dl_openssl.h"
#include "log.h"
#include "tls.h"

#define TLS_CACHE_FILE_MAX	(16 * 1024)	/* one DER session */
#define TLS_PATH_MAX		(CONFIG_PATH_MAX + TLS_KEY_MAX + 16)

enum tls_trust {
	TLS_ANONYMOUS,
	TLS_UNTRUSTED,
	TLS_VERIFIED,
};

struct tls_session {
	SSL_CTX	*ctx;
	SSL	*ssl;
	struct tls_policy policy;
	enum tls_trust trust;
	bool	is_connected;		/* SSL_set_fd done */
	bool	is_broken;		/* fatal error: no close_notify */
	char	cache_path[TLS_PATH_MAX];	/* "" = no cache */
	char	error[TLS_ERR_MAX];
	char	dane_match[160];	/* ", DANE TLSA ... matched ..." */
};

static void	set_error(struct tls_session *, int, int);
static int	new_session_cb(SSL *, SSL_SESSION *);
static void	cache_load(struct tls_session *);
static bool	is_address(const char *);
static int	dane_setup(struct tls_session *);
static int	dane_check(struct tls_session *, struct relay_result *);

/* tls_cache_file - the cache file of a key: unusual bytes become '_' */
void
tls_cache_file(const char *dir, const char *key, char *buf, size_t len)
{
	char safe[TLS_KEY_MAX];
	size_t i;

	for (i = 0; key[i] != '\0' && i < sizeof(safe) - 1; i++)
		safe[i] = (key[i] >= 'a' && key[i] <= 'z') ||
		    (key[i] >= 'A' && key[i] <= 'Z') ||
		    (key[i] >= '0' && key[i] <= '9') ||
		    strchr(".-:[]", key[i]) != NULL ? key[i] : '_';
	safe[i] = '\0';
	if (safe[0] == '.')
		safe[0] = '_';
	if (snprintf(buf, len, "%s/%s.der", dir, safe) >= (int)len)
		buf[0] = '\0';
}

/* is_address - an IPv4 or IPv6 literal */
static bool
is_address(const char *name)
{
	unsigned char a[16];

	return inet_pton(AF_INET, name, a) == 1 ||
	    inet_pton(AF_INET6, name, a) == 1;
}

#define S(x)	((x) != NULL ? (x) : "")

/* digest_tlsa - the TLSA records into a policy digest: a session
 * verified under one set is not resumed under another */
static bool
digest_tlsa(EVP_MD_CTX *ctx, const struct tls_policy *p)
{
	const struct dns_tlsa *rr;
	unsigned char head[5];
	size_t i;

	if (p->level != CONFIG_TLS_DANE || p->tlsa == NULL)
		return true;
	for (i = 0; i < p->tlsa->nrr; i++) {
		rr = &p->tlsa->rr[i];
		head[0] = rr->usage;
		head[1] = rr->selector;
		head[2] = rr->mtype;
		head[3] = (unsigned char)(rr->len >> 8);
		head[4] = (unsigned char)rr->len;
		if (EVP_DigestUpdate(ctx, head, sizeof(head)) != 1 ||
		    EVP_DigestUpdate(ctx, rr->data, rr->len) != 1)
			return false;
	}
	return true;
}

/*
 * policy_key - the cache key with a digest of everything that decided
 * whether the peer was trusted: a session verified under one policy is
 * never resumed under another (resumption skips the checks)
 */
static void
policy_key(const struct tls_policy *p, const char *cache_key, char *buf,
    size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx;
	char lv[16];

	snprintf(lv, sizeof(lv), "%d", (int)p->level);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, lv, strlen(lv) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, S(p->verify_name),
	    strlen(S(p->verify_name)) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, S(p->ca_file),
	    strlen(S(p->ca_file)) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, S(p->ca_path),
	    strlen(S(p->ca_path)) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, S(p->fingerprints),
	    strlen(S(p->fingerprints)) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, S(p->nexthop_name),
	    strlen(S(p->nexthop_name)) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, S(p->mx_name),
	    strlen(S(p->mx_name)) + 1) != 1 ||
	    !digest_tlsa(ctx, p) ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen < 4) {
		ERR_clear_error();
		memset(md, 0, sizeof(md));
	}
	EVP_MD_CTX_free(ctx);
	snprintf(buf, len, "%.*s-%02x%02x%02x%02x", TLS_KEY_MAX - 16,
	    cache_key, md[0], md[1], md[2], md[3]);
}

/* tls_session_new - SSL_CTX and SSL for one connection, by the policy */
struct tls_session *
tls_session_new(const struct tls_policy *p, const char *cache_key,
    struct relay_result *why)
{
	struct tls_session *s;
	X509_VERIFY_PARAM *vp;
	const char *name = p->verify_name != NULL ? p->verify_name : "";
	const char *file, *path;
	char key[TLS_KEY_MAX];

	/* libssl is loaded now, for the first TLS hop: see dl.c. */
	if (dl_load(DL_SSL, why) != 0)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		relay_result_set(why, "4.3.0", "out of memory");
		return NULL;
	}
	s->policy = *p;
	s->trust = TLS_ANONYMOUS;
	if ((s->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto fail;
	(void)SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(s->ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(s->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_NONE, NULL);
	if (p->level == CONFIG_TLS_VERIFY) {
		file = p->ca_file != NULL && *p->ca_file ? p->ca_file : NULL;
		path = p->ca_path != NULL && *p->ca_path ? p->ca_path : NULL;
		if ((file != NULL || path != NULL) &&
		    SSL_CTX_load_verify_locations(s->ctx, file, path) != 1) {
			relay_result_set(why, "4.3.5", "cannot load the CA "
			    "certificates of tls_ca_file or tls_ca_path: %s",
			    ERR_reason_error_string(ERR_peek_last_error()) ?
			    ERR_reason_error_string(ERR_peek_last_error()) :
			    "unknown error");
			ERR_clear_error();
			tls_session_free(s);
			return NULL;
		}
	}
	if (p->cache_dir != NULL && *p->cache_dir != '\0' &&
	    cache_key != NULL && *cache_key != '\0') {
		if (mkdir(p->cache_dir, 0700) != 0 && errno != EEXIST)
			log_warn("tls: cannot make %s: %s", p->cache_dir,
			    strerror(errno));
		policy_key(p, cache_key, key, sizeof(key));
		tls_cache_file(p->cache_dir, key, s->cache_path,
		    sizeof(s->cache_path));
		SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(s->ctx, new_session_cb);
	}
	if (p->level == CONFIG_TLS_DANE && SSL_CTX_dane_enable(s->ctx) <= 0)
		goto fail;
	if ((s->ssl = SSL_new(s->ctx)) == NULL)
		goto fail;
	SSL_set_app_data(s->ssl, s);
	if (*name != '\0' && !is_address(name) &&
	    SSL_set_tlsext_host_name(s->ssl, name) != 1)
		goto fail;
	if (p->level == CONFIG_TLS_DANE && dane_setup(s) != 0) {
		relay_result_set(why, "4.7.5", "cannot set up DANE for %s: "
		    "%s", name, s->error);
		ERR_clear_error();
		tls_session_free(s);
		return NULL;
	}
	if (p->level == CONFIG_TLS_VERIFY && *name != '\0') {
		vp = SSL_get0_param(s->ssl);
		X509_VERIFY_PARAM_set_hostflags(vp,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (is_address(name) ?
		    X509_VERIFY_PARAM_set1_ip_asc(vp, name) != 1 :
		    X509_VERIFY_PARAM_set1_host(vp, name, 0) != 1)
			goto fail;
	}
	if (s->cache_path[0] != '\0')
		cache_load(s);
	return s;
fail:
	relay_result_set(why, "4.3.0", "cannot set up TLS: %s",
	    ERR_reason_error_string(ERR_peek_last_error()) ?
	    ERR_reason_error_string(ERR_peek_last_error()) : "out of memory");
	ERR_clear_error();
	tls_session_free(s);
	return NULL;
}

/* tls_session_free - close_notify when healthy, then free; NULL: no-op */
void
tls_session_free(struct tls_session *s)
{
	if (s == NULL)
		return;
	if (s->ssl != NULL) {
		if (s->is_connected && !s->is_broken &&
		    SSL_is_init_finished(s->ssl))
			(void)SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
	}
	SSL_CTX_free(s->ctx);
	ERR_clear_error();
	free(s);
}

/*
 * tls_session_abandon - free without a word to the peer: another
 * process (the session's pump) carries the session on
 */
void
tls_session_abandon(struct tls_session *s)
{
	if (s == NULL)
		return;
	if (s->ssl != NULL) {
		/* No close_notify: SSL_free() alone sends nothing. */
		SSL_free(s->ssl);
	}
	SSL_CTX_free(s->ctx);
	ERR_clear_error();
	free(s);
}

/* cache_load - offer the cached session when it is sound; else remove it */
static void
cache_load(struct tls_session *s)
{
	unsigned char *buf = NULL;
	const unsigned char *p;
	SSL_SESSION *sess = NULL;
	struct stat st;
	ssize_t n;
	size_t have = 0;
	int fd;
	const char *bad = NULL;

	fd = open(s->cache_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("tls: cannot open %s: %s", s->cache_path,
			    strerror(errno));
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0)
		bad = "not a private regular file";
	else if (st.st_size <= 0 || st.st_size > TLS_CACHE_FILE_MAX)
		bad = "bad size";
	else if ((buf = malloc((size_t)st.st_size)) == NULL)
		goto out;
	while (bad == NULL && have < (size_t)st.st_size) {
		n = read(fd, buf + have, (size_t)st.st_size - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			bad = "short read";
			break;
		}
		have += (size_t)n;
	}
	if (bad == NULL) {
		p = buf;
		sess = d2i_SSL_SESSION(NULL, &p, (long)have);
		if (sess == NULL || p != buf + have)
			bad = "not a session";
		else if (!SSL_SESSION_is_resumable(sess) ||
		    SSL_SESSION_get_protocol_version(sess) < TLS1_2_VERSION)
			bad = "not resumable";
		else if ((long long)SSL_SESSION_get_time(sess) +
		    (long long)SSL_SESSION_get_timeout(sess) <=
		    (long long)time(NULL))
			bad = "expired";
		else if (SSL_set_session(s->ssl, sess) != 1)
			bad = "refused by OpenSSL";
	}
	if (bad != NULL) {
		if (log_verbose())
			log_debug("tls: dropping cached session %s: %s",
			    s->cache_path, bad);
		(void)unlink(s->cache_path);
	} else if (log_verbose()) {
		log_debug("tls: offering cached session %s", s->cache_path);
	}
out:
	SSL_SESSION_free(sess);
	free(buf);
	ERR_clear_error();
	(void)close(fd);
}

/* new_session_cb - a session from the server replaces the cache file */
static int
new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_session *s = SSL_get_app_data(ssl);
	char tmp[TLS_PATH_MAX + 8];
	unsigned char *buf = NULL, *p;
	int len, fd = -1;
	size_t done = 0;
	ssize_t n;

	if (s == NULL || s->cache_path[0] == '\0' ||
	    !SSL_SESSION_is_resumable(sess))
		return 0;
	len = i2d_SSL_SESSION(sess, NULL);
	if (len <= 0 || len > TLS_CACHE_FILE_MAX ||
	    (buf = malloc((size_t)len)) == NULL)
		goto out;
	p = buf;
	if (i2d_SSL_SESSION(sess, &p) != len)
		goto out;
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", s->cache_path) >=
	    (int)sizeof(tmp))
		goto out;
	if ((fd = mkstemp(tmp)) < 0) {
		log_warn("tls: cannot save the session in %s: %s",
		    s->cache_path, strerror(errno));
		goto out;
	}
	(void)fchmod(fd, 0600);
	while (done < (size_t)len) {
		n = write(fd, buf + done, (size_t)len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (close(fd) != 0 || done != (size_t)len ||
	    rename(tmp, s->cache_path) != 0) {
		log_warn("tls: cannot save the session in %s: %s",
		    s->cache_path, strerror(errno));
		(void)unlink(tmp);
	} else if (log_verbose()) {
		log_debug("tls: saved session in %s", s->cache_path);
	}
out:
	if (buf != NULL)
		explicit_bzero(buf, (size_t)(len > 0 ? len : 0));
	free(buf);
	return 0;	/* we keep no reference */
}

/* set_error - the reason of a failed SSL call, for results and logs */
static void
set_error(struct tls_session *s, int ret, int err)
{
	unsigned long e = ERR_get_error();
	const char *r;

	s->is_broken = true;
	if (e != 0 && (r = ERR_reason_error_string(e)) != NULL)
		snprintf(s->error, sizeof(s->error), "%s", r);
	else if (err == SSL_ERROR_SYSCALL && ret < 0 && errno != 0)
		snprintf(s->error, sizeof(s->error), "%s", strerror(errno));
	else if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN)
		snprintf(s->error, sizeof(s->error), "lost connection");
	else
		snprintf(s->error, sizeof(s->error), "TLS error %d", err);
	ERR_clear_error();
}

/* tls_session_error - the reason of the last failure */
const char *
tls_session_error(const struct tls_session *s)
{
	return s->error[0] != '\0' ? s->error : "unknown TLS error";
}

/* tls_session_handshake - one step of SSL_connect: 1 done, 0 again, -1 */
int
tls_session_handshake(struct tls_session *s, int fd, short *want)
{
	int ret, err;

	if (!s->is_connected) {
		if (SSL_set_fd(s->ssl, fd) != 1) {
			set_error(s, 0, SSL_ERROR_SSL);
			return -1;
		}
		s->is_connected = true;
	}
	ERR_clear_error();
	errno = 0;
	if ((ret = SSL_connect(s->ssl)) == 1)
		return 1;
	err = SSL_get_error(s->ssl, ret);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		*want = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	set_error(s, ret, err);
	return -1;
}

/* io_result - map a failed SSL_read/SSL_write like recv/send */
static ssize_t
io_result(struct tls_session *s, int ret, short *want)
{
	int err = SSL_get_error(s->ssl, ret), saved = errno;

	switch (err) {
	case SSL_ERROR_WANT_READ:
		*want = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*want = POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0 && saved != 0) {
			set_error(s, ret, err);
			errno = saved;
			return -1;
		}
		if (ERR_peek_error() == 0) {
			s->is_broken = true;
			return 0;	/* EOF without close_notify */
		}
		/* FALLTHROUGH */
	default:
		set_error(s, ret, err);
		errno = EPROTO;
		return -1;
	}
}

/* tls_session_read - like recv(2) on a non-blocking socket */
ssize_t
tls_session_read(struct tls_session *s, void *buf, size_t len, short *want)
{
	int ret;

	ERR_clear_error();
	errno = 0;
	if (len > INT_MAX)
		len = INT_MAX;
	if ((ret = SSL_read(s->ssl, buf, (int)len)) > 0)
		return ret;
	return io_result(s, ret, want);
}

/* tls_session_write - like send(2) on a non-blocking socket */
ssize_t
tls_session_write(struct tls_session *s, const void *buf, size_t len,
    short *want)
{
	int ret;

	if (len == 0)
		return 0;
	ERR_clear_error();
	errno = 0;
	if (len > INT_MAX)
		len = INT_MAX;
	if ((ret = SSL_write(s->ssl, buf, (int)len)) > 0)
		return ret;
	return io_result(s, ret, want);
}

/* tls_session_pending - decrypted bytes wait to be read */
bool
tls_session_pending(const struct tls_session *s)
{
	return SSL_pending(s->ssl) > 0;
}

/* tls_session_reused - the server resumed our cached session */
bool
tls_session_reused(const struct tls_session *s)
{
	return SSL_session_reused(s->ssl) == 1;
}

/* tls_session_forget - remove the cache file of this destination */
void
tls_session_forget(struct tls_session *s)
{
	if (s->cache_path[0] != '\0')
		(void)unlink(s->cache_path);
}

/* hex_value - one hex digit, or -1 */
static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* tls_fingerprint_match - md is one of the list's digests: 1, else 0 */
int
tls_fingerprint_match(const char *list, const unsigned char *md,
    size_t mdlen)
{
	unsigned char want[EVP_MAX_MD_SIZE];
	size_t n;
	int hi, lo;

	while (list != NULL && *list != '\0') {
		list += strspn(list, ", \t");
		if (*list == '\0')
			break;
		for (n = 0; *list != '\0' && strchr(", \t", *list) == NULL;) {
			if (*list == ':') {
				list++;
				continue;
			}
			hi = hex_value((unsigned char)list[0]);
			lo = list[1] != '\0' ?
			    hex_value((unsigned char)list[1]) : -1;
			if (hi < 0 || lo < 0 || n >= sizeof(want)) {
				n = sizeof(want) + 1;	/* malformed */
				list += strcspn(list, ", \t");
				break;
			}
			want[n++] = (unsigned char)(hi << 4 | lo);
			list += 2;
		}
		if (n == mdlen && CRYPTO_memcmp(want, md, mdlen) == 0)
			return 1;
	}
	return 0;
}

/* spki_digest - SHA-256 of the certificate's SubjectPublicKeyInfo (DER) */
static int
spki_digest(X509 *cert, unsigned char *md, unsigned *mdlen)
{
	unsigned char *der = NULL;
	int len, ret = -1;

	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der)) > 0 &&
	    EVP_Digest(der, (size_t)len, md, mdlen, EVP_sha256(), NULL) == 1)
		ret = 0;
	OPENSSL_free(der);
	return ret;
}

/* tls_session_check - the level's certificate checks after the handshake */
int
tls_session_check(struct tls_session *s, struct relay_result *why)
{
	unsigned char md[EVP_MAX_MD_SIZE], pk[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, pklen = 0, i;
	char hex[3 * EVP_MAX_MD_SIZE + 1];
	X509 *cert = SSL_get0_peer_certificate(s->ssl);
	long vr = SSL_get_verify_result(s->ssl);

	if (cert == NULL)
		s->trust = TLS_ANONYMOUS;
	else if (s->policy.level == CONFIG_TLS_VERIFY && vr == X509_V_OK)
		s->trust = TLS_VERIFIED;
	else
		s->trust = TLS_UNTRUSTED;
	switch (s->policy.level) {
	case CONFIG_TLS_DANE:
		if (cert == NULL && !tls_session_reused(s))
			goto no_cert;
		return dane_check(s, why);
	case CONFIG_TLS_VERIFY:
		if (cert == NULL)
			goto no_cert;
		if (vr != X509_V_OK) {
			relay_result_set(why, "4.7.5", "Server certificate not "
			    "verified: %s", X509_verify_cert_error_string(vr));
			tls_session_forget(s);
			return -1;
		}
		return 0;
	case CONFIG_TLS_FINGERPRINT:
		if (cert == NULL)
			goto no_cert;
		if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1 ||
		    spki_digest(cert, pk, &pklen) != 0) {
			ERR_clear_error();
			relay_result_set(why, "4.7.5", "Server certificate not "
			    "verified: cannot compute its fingerprint");
			tls_session_forget(s);
			return -1;
		}
		if (tls_fingerprint_match(s->policy.fingerprints, md,
		    mdlen) || tls_fingerprint_match(s->policy.fingerprints,
		    pk, pklen)) {
			s->trust = TLS_VERIFIED;
			return 0;
		}
		hex[0] = '\0';
		for (i = 0; i < mdlen; i++)
			snprintf(hex + (i ? 3 * i - 1 : 0), sizeof(hex) -
			    (i ? 3 * i - 1 : 0), "%s%02X", i ? ":" : "",
			    md[i]);
		relay_result_set(why, "4.7.5", "Server certificate not "
		    "verified: its fingerprint %s is not in tls_fingerprints",
		    hex);
		tls_session_forget(s);
		return -1;
	default:
		return 0;
	}
no_cert:
	relay_result_set(why, "4.7.5", "Server certificate not verified: "
	    "the server sent no certificate");
	tls_session_forget(s);
	return -1;
}

/* tls_session_describe - Postfix's "... TLS connection established ..." */
void
tls_session_describe(const struct tls_session *s, const char *peer,
    char *buf, size_t len)
{
	static const char *trust[] = { "Anonymous", "Untrusted", "Verified" };
	int alg = 0, bits = SSL_get_cipher_bits(s->ssl, &alg);

	snprintf(buf, len, "%s TLS connection %s to %s: %s with cipher %s "
	    "(%d/%d bits)%s", trust[s->trust],
	    tls_session_reused(s) ? "reused" : "established", peer,
	    SSL_get_version(s->ssl), SSL_get_cipher_name(s->ssl), bits, alg,
	    s->dane_match);
}

/* add_name - one more name a DANE-TA certificate may carry */
static int
add_name(struct tls_session *s, const char *name)
{
	if (name == NULL || *name == '\0' ||
	    strcasecmp(name, s->policy.verify_name) == 0)
		return 0;
	if (SSL_add1_host(s->ssl, name) != 1) {
		snprintf(s->error, sizeof(s->error), "SSL_add1_host failed");
		return -1;
	}
	return 0;
}

/*
 * dane_setup - OpenSSL's DANE verification (SSL_CTX_dane_enable(3)):
 * the TLSA base domain (the MX host, also the SNI name) and the next
 * hop as reference names for DANE-TA, no name checks for DANE-EE (RFC
 * 7672 3.1.1; also the MX host's own name when the base domain is its
 * CNAME target), only usable records (usages 2 and 3: OpenSSL would take
 * 0 and 1 too, and then demand PKIX). The handshake itself does not
 * fail on a mismatch (SSL_VERIFY_NONE): dane_check() decides, so that
 * the reason can be reported. -1 with s->error set when no record
 * could be added.
 */
static int
dane_setup(struct tls_session *s)
{
	const struct tls_policy *p = &s->policy;
	const struct dns_tlsa *rr;
	size_t i, added = 0;
	int r;

	if (p->tlsa == NULL || p->verify_name == NULL ||
	    *p->verify_name == '\0') {
		snprintf(s->error, sizeof(s->error), "no TLSA records");
		return -1;
	}
	if (SSL_dane_enable(s->ssl, p->verify_name) <= 0) {
		snprintf(s->error, sizeof(s->error), "SSL_dane_enable failed");
		return -1;
	}
	(void)SSL_dane_set_flags(s->ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(s->ssl),
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (add_name(s, p->nexthop_name) != 0 ||
	    add_name(s, p->mx_name) != 0)
		return -1;
	for (i = 0; i < p->tlsa->nrr; i++) {
		rr = &p->tlsa->rr[i];
		if (!dane_tlsa_usable(rr))
			continue;
		r = SSL_dane_tlsa_add(s->ssl, rr->usage, rr->selector,
		    rr->mtype, rr->data, rr->len);
		if (r < 0) {
			snprintf(s->error, sizeof(s->error),
			    "SSL_dane_tlsa_add failed");
			return -1;
		}
		added += r > 0;
	}
	if (added == 0) {
		snprintf(s->error, sizeof(s->error), "no usable TLSA records");
		return -1;
	}
	return 0;
}

/* dane_check - the peer matched a TLSA record; say which, and where */
static int
dane_check(struct tls_session *s, struct relay_result *why)
{
	long vr = SSL_get_verify_result(s->ssl);
	struct dns_tlsa rr;
	const unsigned char *data = NULL;
	uint8_t u, sel, m;
	size_t dlen = 0;
	char text[96];
	int depth;

	s->dane_match[0] = '\0';
	if (vr != X509_V_OK) {
		relay_result_set(why, "4.7.5", "Server certificate not "
		    "verified: %s", X509_verify_cert_error_string(vr));
		tls_session_forget(s);
		return -1;
	}
	if (tls_session_reused(s)) {
		/* Resumed: verified by the same records (policy_key). */
		s->trust = TLS_VERIFIED;
		snprintf(s->dane_match, sizeof(s->dane_match), ", DANE "
		    "verified session resumed");
		return 0;
	}
	depth = SSL_get0_dane_tlsa(s->ssl, &u, &sel, &m, &data, &dlen);
	if (depth < 0 || SSL_get0_dane_authority(s->ssl, NULL, NULL) < 0 ||
	    data == NULL) {
		relay_result_set(why, "4.7.5", "Server certificate not "
		    "verified: no DANE TLSA record matched");
		tls_session_forget(s);
		return -1;
	}
	rr.usage = u;
	rr.selector = sel;
	rr.mtype = m;
	rr.len = (uint16_t)(dlen < sizeof(rr.data) ? dlen : sizeof(rr.data));
	memcpy(rr.data, data, rr.len);
	dane_tlsa_format(&rr, text, sizeof(text), 64);
	snprintf(s->dane_match, sizeof(s->dane_match), ", DANE TLSA %s "
	    "matched at depth %d", text, depth);
	s->trust = TLS_VERIFIED;
	return 0;
}
