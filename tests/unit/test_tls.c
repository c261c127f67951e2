/*
 * NAME
 *	test_tls - unit tests for lib/tls.c (and TLS in lib/conn.c)
 * DESCRIPTION
 *	A TLS server thread (OpenSSL, a certificate made here in memory
 *	for "mail.test") answers on the other end of a socketpair; the
 *	client side is conn + tls_session as the SMTP client uses them.
 *	Tested: the handshake and encrypted lines both ways; the levels'
 *	checks (verify: good, wrong name, untrusted; fingerprint of the
 *	certificate and of its public key, mismatch); the description
 *	("Untrusted/Verified TLS connection established/reused to ...");
 *	session resumption through the cache file (mode 0600, corrupt
 *	files dropped, a separate file per policy); a peer that is no TLS
 *	server (CONN_ERROR, EPROTO, a reason) or that never answers
 *	(CONN_TIMEOUT); fingerprint list parsing and cache file names.
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "conn.h"
#include "tls.h"
#include "unit.h"

enum server_mode {
	SERVER_TLS,		/* handshake, then answer one line with "ok" */
	SERVER_GARBAGE,		/* an SMTP greeting instead of TLS */
	SERVER_SILENT,		/* read, never answer */
};

struct server {
	int	fd;
	enum server_mode mode;
	pthread_t thread;
};

static SSL_CTX *server_ctx;
static X509 *server_cert;
static char ca_pem[] = "/tmp/test_tls_ca.XXXXXX";
static char other_pem[] = "/tmp/test_tls_other.XXXXXX";
static char cache_dir[] = "/tmp/test_tls_cache.XXXXXX";

/* make_cert - a self-signed P-256 certificate with SAN for name */
static X509 *
make_cert(const char *name, EVP_PKEY **keyp)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	char san[128];

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	snprintf(san, sizeof(san), "DNS:%s", name);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, key, EVP_sha256());
	*keyp = key;
	return x;
}

/* write_pem - a certificate to a temporary file */
static void
write_pem(char *path, X509 *x)
{
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");

	PEM_write_X509(fp, x);
	fclose(fp);
}

/* server_main - the peer's side of one connection */
static void *
server_main(void *arg)
{
	struct server *s = arg;
	char buf[256];
	SSL *ssl;
	int n;

	switch (s->mode) {
	case SERVER_GARBAGE:
		(void)read(s->fd, buf, sizeof(buf));
		(void)write(s->fd, "220 mx.test ESMTP\r\n", 19);
		break;
	case SERVER_SILENT:
		while (read(s->fd, buf, sizeof(buf)) > 0)
			;	/* until the client gives up */
		break;
	case SERVER_TLS:
		ssl = SSL_new(server_ctx);
		SSL_set_fd(ssl, s->fd);
		if (SSL_accept(ssl) == 1 &&
		    (n = SSL_read(ssl, buf, sizeof(buf))) > 0)
			(void)SSL_write(ssl, "ok\r\n", 4);
		(void)SSL_read(ssl, buf, sizeof(buf));	/* close_notify */
		SSL_free(ssl);
		ERR_clear_error();
		break;
	}
	close(s->fd);
	return NULL;
}

/* connect_tls - a handshake with policy p; the client conn, status */
static enum conn_status
connect_tls(struct server *srv, enum server_mode mode,
    const struct tls_policy *p, long ms, struct conn **cp)
{
	struct tls_session *sess;
	struct relay_result why;
	struct deadline d;
	int sv[2];

	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	srv->fd = sv[1];
	srv->mode = mode;
	pthread_create(&srv->thread, NULL, server_main, srv);
	*cp = conn_new();
	conn_adopt_fd(*cp, sv[0]);
	relay_result_init(&why);
	sess = tls_session_new(p, "test-mail.test[127.0.0.1]:25", &why);
	CU_ASSERT_FATAL(sess != NULL);
	deadline_in_ms(&d, ms);
	return conn_tls_start(*cp, sess, &d);
}

/* exchange - one line each way over TLS, then close and join */
static void
exchange(struct server *srv, struct conn *c)
{
	struct deadline d;
	char line[64];
	size_t len;

	deadline_in_ms(&d, 2000);
	UNIT_ASSERT_INT_EQ(conn_write(c, "hello\r\n", 7, &d), CONN_OK);
	UNIT_ASSERT_INT_EQ(conn_read_line(c, line, sizeof(line), &len, &d),
	    CONN_OK);
	UNIT_ASSERT_STR_EQ(line, "ok");
	CU_ASSERT(!conn_has_input(c));
	conn_free(c);
	pthread_join(srv->thread, NULL);
}

/* policy - a policy of level lv for mail.test, no cache */
static struct tls_policy
policy(enum config_tls_level lv)
{
	struct tls_policy p;

	memset(&p, 0, sizeof(p));
	p.level = lv;
	p.verify_name = "mail.test";
	p.ca_file = ca_pem;
	return p;
}

/* describe - the session's description */
static const char *
describe(struct conn *c)
{
	static char buf[512];

	tls_session_describe(conn_tls(c), "mail.test[127.0.0.1]:25", buf,
	    sizeof(buf));
	return buf;
}

/* starts_with - prefix check with a useful message */
#define UNIT_ASSERT_PREFIX(s, p) UNIT_ASSERT_STR_EQ(			\
	strncmp((s), (p), strlen(p)) == 0 ? (p) : (s), (p))

/* test_tls_may_untrusted - handshake, lines both ways, description */
static void
test_tls_may_untrusted(void)
{
	struct tls_policy p = policy(CONFIG_TLS_MAY);
	struct relay_result why;
	struct server srv;
	struct conn *c;

	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(tls_session_check(conn_tls(c), &why), 0);
	CU_ASSERT(!tls_session_reused(conn_tls(c)));
	UNIT_ASSERT_PREFIX(describe(c), "Untrusted TLS connection established "
	    "to mail.test[127.0.0.1]:25: TLSv1.3 with cipher TLS_");
	exchange(&srv, c);
}

/* test_tls_verify - CA and name good; wrong name; other CA */
static void
test_tls_verify(void)
{
	struct tls_policy p = policy(CONFIG_TLS_VERIFY);
	struct relay_result why;
	struct server srv;
	struct conn *c;

	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(tls_session_check(conn_tls(c), &why), 0);
	UNIT_ASSERT_PREFIX(describe(c), "Verified TLS connection established");
	exchange(&srv, c);

	p.verify_name = "other.test";
	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	UNIT_ASSERT_INT_EQ(tls_session_check(conn_tls(c), &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.7.5");
	UNIT_ASSERT_STR_EQ(why.text,
	    "Server certificate not verified: hostname mismatch");
	UNIT_ASSERT_PREFIX(describe(c), "Untrusted TLS connection");
	exchange(&srv, c);

	p.verify_name = "mail.test";
	p.ca_file = other_pem;
	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	UNIT_ASSERT_INT_EQ(tls_session_check(conn_tls(c), &why), -1);
	UNIT_ASSERT_STR_EQ(why.text,
	    "Server certificate not verified: self-signed certificate");
	exchange(&srv, c);
}

/* hex - a digest as hex, with colons when asked */
static void
hex(const unsigned char *md, unsigned n, bool colons, char *out)
{
	unsigned i;

	*out = '\0';
	for (i = 0; i < n; i++)
		out += sprintf(out, "%s%02x", colons && i ? ":" : "", md[i]);
}

/* test_tls_fingerprint - certificate, public key, mismatch */
static void
test_tls_fingerprint(void)
{
	struct tls_policy p = policy(CONFIG_TLS_FINGERPRINT);
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	char cert_fp[200], spki_fp[200], list[500], want[300];
	struct relay_result why;
	struct server srv;
	struct conn *c;
	unsigned n;
	int len;

	X509_digest(server_cert, EVP_sha256(), md, &n);
	hex(md, n, false, cert_fp);
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(server_cert), &der);
	EVP_Digest(der, (size_t)len, md, &n, EVP_sha256(), NULL);
	OPENSSL_free(der);
	hex(md, n, true, spki_fp);

	snprintf(list, sizeof(list), "%064d, %s", 0, cert_fp);
	p.fingerprints = list;
	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(tls_session_check(conn_tls(c), &why), 0);
	UNIT_ASSERT_PREFIX(describe(c), "Verified TLS connection established");
	exchange(&srv, c);

	p.fingerprints = spki_fp;
	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	UNIT_ASSERT_INT_EQ(tls_session_check(conn_tls(c), &why), 0);
	exchange(&srv, c);

	snprintf(list, sizeof(list), "%064d", 0);
	p.fingerprints = list;
	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	UNIT_ASSERT_INT_EQ(tls_session_check(conn_tls(c), &why), -1);
	X509_digest(server_cert, EVP_sha256(), md, &n);
	hex(md, n, true, cert_fp);
	for (char *q = cert_fp; *q; q++)
		if (*q >= 'a' && *q <= 'f')
			*q = (char)(*q - 'a' + 'A');
	snprintf(want, sizeof(want), "Server certificate not verified: its "
	    "fingerprint %s is not in tls_fingerprints", cert_fp);
	UNIT_ASSERT_STR_EQ(why.text, want);
	exchange(&srv, c);
}

/* cache_file - the one cache file in cache_dir, "" if none */
static void
cache_file(char *buf, size_t len)
{
	char cmd[256];
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "ls %s/*.der 2>/dev/null", cache_dir);
	buf[0] = '\0';
	if ((fp = popen(cmd, "r")) != NULL) {
		if (fgets(buf, (int)len, fp) == NULL)
			buf[0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		pclose(fp);
	}
}

/* test_tls_session_resumed - the cache file resumes the next handshake */
static void
test_tls_session_resumed(void)
{
	struct tls_policy p = policy(CONFIG_TLS_ENCRYPT);
	struct relay_result why;
	struct server srv;
	struct conn *c;
	struct stat st;
	char path[512], other[600];
	FILE *fp;

	relay_result_init(&why);
	p.cache_dir = cache_dir;
	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	CU_ASSERT(!tls_session_reused(conn_tls(c)));
	exchange(&srv, c);	/* reading "ok" takes the TLS 1.3 tickets */
	cache_file(path, sizeof(path));
	CU_ASSERT_FATAL(path[0] != '\0');
	CU_ASSERT(strstr(path, "/test-mail.test[127.0.0.1]:25-") != NULL);
	CU_ASSERT(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	CU_ASSERT(tls_session_reused(conn_tls(c)));
	UNIT_ASSERT_INT_EQ(tls_session_check(conn_tls(c), &why), 0);
	UNIT_ASSERT_PREFIX(describe(c), "Untrusted TLS connection reused to");
	exchange(&srv, c);

	/* A corrupt file is dropped: full handshake, new session saved. */
	fp = fopen(path, "w");
	fputs("garbage", fp);
	fclose(fp);
	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	CU_ASSERT(!tls_session_reused(conn_tls(c)));
	exchange(&srv, c);
	CU_ASSERT(stat(path, &st) == 0 && st.st_size > 100);

	/* Another policy (another CA file) never resumes this session. */
	p.ca_file = other_pem;
	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	CU_ASSERT(!tls_session_reused(conn_tls(c)));
	exchange(&srv, c);
	/* tls_session_forget() removes this policy's file only. */
	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	CU_ASSERT(tls_session_reused(conn_tls(c)));
	tls_cache_file(cache_dir, "x", other, sizeof(other));
	tls_session_forget(conn_tls(c));
	conn_free(c);
	pthread_join(srv.thread, NULL);
	CU_ASSERT(stat(path, &st) == 0);
	unlink(path);
	cache_file(other, sizeof(other));
	UNIT_ASSERT_STR_EQ(other, "");
}

/* test_tls_not_tls - a plaintext peer fails the handshake */
static void
test_tls_not_tls(void)
{
	struct tls_policy p = policy(CONFIG_TLS_MAY);
	struct server srv;
	struct conn *c;

	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_GARBAGE, &p, 2000, &c),
	    CONN_ERROR);
	UNIT_ASSERT_INT_EQ(conn_errno(c), EPROTO);
	UNIT_ASSERT_STR_EQ(tls_session_error(conn_tls(c)),
	    "wrong version number");
	conn_free(c);
	pthread_join(srv.thread, NULL);
}

/* test_tls_handshake_timeout - a silent peer: CONN_TIMEOUT on time */
static void
test_tls_handshake_timeout(void)
{
	struct tls_policy p = policy(CONFIG_TLS_MAY);
	struct server srv;
	struct conn *c;
	long t0 = deadline_now_ms();
	int fd;

	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_SILENT, &p, 150, &c),
	    CONN_TIMEOUT);
	CU_ASSERT(deadline_now_ms() - t0 >= 140);
	CU_ASSERT(deadline_now_ms() - t0 < 1500);
	fd = conn_fd(c);
	(void)shutdown(fd, SHUT_RDWR);
	conn_free(c);
	pthread_join(srv.thread, NULL);
}

/* test_tls_fingerprint_match - hex with colons, case, separators */
static void
test_tls_fingerprint_match(void)
{
	const unsigned char md[4] = { 0xde, 0xad, 0xbe, 0xef };

	UNIT_ASSERT_INT_EQ(tls_fingerprint_match("deadbeef", md, 4), 1);
	UNIT_ASSERT_INT_EQ(tls_fingerprint_match("DE:AD:BE:EF", md, 4), 1);
	UNIT_ASSERT_INT_EQ(tls_fingerprint_match("00, \tDEADbeef", md, 4), 1);
	UNIT_ASSERT_INT_EQ(tls_fingerprint_match("deadbe", md, 4), 0);
	UNIT_ASSERT_INT_EQ(tls_fingerprint_match("deadbeef00", md, 4), 0);
	UNIT_ASSERT_INT_EQ(tls_fingerprint_match("deadbeeg", md, 4), 0);
	UNIT_ASSERT_INT_EQ(tls_fingerprint_match("zz,deadbeef", md, 4), 1);
	UNIT_ASSERT_INT_EQ(tls_fingerprint_match("", md, 4), 0);
	UNIT_ASSERT_INT_EQ(tls_fingerprint_match(NULL, md, 4), 0);
}

/* test_tls_cache_file - odd bytes of a key never leave the directory */
static void
test_tls_cache_file(void)
{
	char buf[256];

	tls_cache_file("/s/tls", "may-mx.test[192.0.2.1]:25", buf, sizeof(buf));
	UNIT_ASSERT_STR_EQ(buf, "/s/tls/may-mx.test[192.0.2.1]:25.der");
	tls_cache_file("/s/tls", "../x/y z", buf, sizeof(buf));
	UNIT_ASSERT_STR_EQ(buf, "/s/tls/_._x_y_z.der");
	tls_cache_file("/s/tls", "k", buf, 8);
	UNIT_ASSERT_STR_EQ(buf, "");
}

/* spki_record - a DANE-EE SPKI SHA2-256 (3 1 1) record for x */
static void
spki_record(X509 *x, struct dns_tlsa *rr)
{
	unsigned char *der = NULL;
	unsigned mdlen = 0;
	int len;

	memset(rr, 0, sizeof(*rr));
	rr->usage = 3;
	rr->selector = 1;
	rr->mtype = 1;
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	CU_ASSERT_FATAL(len > 0);
	EVP_Digest(der, (size_t)len, rr->data, &mdlen, EVP_sha256(), NULL);
	rr->len = (uint16_t)mdlen;
	OPENSSL_free(der);
}

/* test_tls_dane - DANE-EE: a match, a mismatch, unusable records only,
 * and resumption under the same records only */
static void
test_tls_dane(void)
{
	struct dns_tlsa_set *set = calloc(1, sizeof(*set));
	struct dns_tlsa_set *bad = calloc(1, sizeof(*bad));
	struct tls_policy p = policy(CONFIG_TLS_DANE);
	struct tls_session *sess;
	struct relay_result why;
	struct server srv;
	struct conn *c;
	char want[128];
	size_t i;

	CU_ASSERT_FATAL(set != NULL && bad != NULL);
	set->outcome = DNS_OUT_OK;
	set->is_secure = true;
	/* A PKIX-EE record of the same key first: it must be ignored. */
	spki_record(server_cert, &set->rr[0]);
	set->rr[0].usage = 1;
	spki_record(server_cert, &set->rr[1]);
	set->nrr = 2;
	p.tlsa = set;
	p.ca_file = NULL;
	/* DANE-EE: no name check, so any base domain will do. */
	p.verify_name = "mx.unrelated.test";
	p.nexthop_name = "unrelated.test";
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	UNIT_ASSERT_INT_EQ(tls_session_check(conn_tls(c), &why), 0);
	UNIT_ASSERT_PREFIX(describe(c),
	    "Verified TLS connection established to");
	snprintf(want, sizeof(want), ", DANE TLSA 3 1 1 ");
	for (i = 0; i < 4; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
		    "%02x", set->rr[1].data[i]);
	if (strstr(describe(c), want) == NULL ||
	    strstr(describe(c), " matched at depth 0") == NULL)
		unit_fail(__FILE__, __LINE__, "got \"%s\", want \"%s...\" "
		    "and the depth", describe(c), want);
	exchange(&srv, c);

	/* Another key: the handshake ends, the check refuses. */
	*bad = *set;
	bad->rr[1].data[0] ^= 1;
	p.tlsa = bad;
	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	UNIT_ASSERT_INT_EQ(tls_session_check(conn_tls(c), &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.7.5");
	UNIT_ASSERT_STR_EQ(why.text, "Server certificate not verified: no "
	    "matching DANE TLSA records");
	conn_free(c);
	pthread_join(srv.thread, NULL);

	/* Only unusable records: no DANE session at all. */
	bad->nrr = 1;
	sess = tls_session_new(&p, "test-mail.test[127.0.0.1]:25", &why);
	CU_ASSERT(sess == NULL);
	UNIT_ASSERT_STR_EQ(why.text, "cannot set up DANE for "
	    "mx.unrelated.test: no usable TLSA records");

	/* Resumed under the same records, not under others. */
	p.tlsa = set;
	p.cache_dir = cache_dir;
	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	UNIT_ASSERT_INT_EQ(tls_session_check(conn_tls(c), &why), 0);
	exchange(&srv, c);
	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	CU_ASSERT(tls_session_reused(conn_tls(c)));
	UNIT_ASSERT_INT_EQ(tls_session_check(conn_tls(c), &why), 0);
	UNIT_ASSERT_PREFIX(describe(c), "Verified TLS connection reused to");
	exchange(&srv, c);
	*bad = *set;
	bad->rr[bad->nrr] = bad->rr[1];
	bad->rr[bad->nrr++].data[0] ^= 1;	/* one more record */
	p.tlsa = bad;
	UNIT_ASSERT_INT_EQ(connect_tls(&srv, SERVER_TLS, &p, 2000, &c),
	    CONN_OK);
	CU_ASSERT(!tls_session_reused(conn_tls(c)));
	UNIT_ASSERT_INT_EQ(tls_session_check(conn_tls(c), &why), 0);
	exchange(&srv, c);
	free(set);
	free(bad);
}

static CU_TestInfo tests[] = {
	{ "test_tls_may_untrusted", test_tls_may_untrusted },
	{ "test_tls_verify", test_tls_verify },
	{ "test_tls_fingerprint", test_tls_fingerprint },
	{ "test_tls_session_resumed", test_tls_session_resumed },
	{ "test_tls_not_tls", test_tls_not_tls },
	{ "test_tls_handshake_timeout", test_tls_handshake_timeout },
	{ "test_tls_fingerprint_match", test_tls_fingerprint_match },
	{ "test_tls_cache_file", test_tls_cache_file },
	{ "test_tls_dane", test_tls_dane },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	EVP_PKEY *key, *okey;
	X509 *other;
	int rc;

	signal(SIGPIPE, SIG_IGN);	/* as transport/main.c: see conn.c */
	server_cert = make_cert("mail.test", &key);
	other = make_cert("mail.test", &okey);
	write_pem(ca_pem, server_cert);
	write_pem(other_pem, other);
	if (mkdtemp(cache_dir) == NULL)
		return 1;
	server_ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_use_certificate(server_ctx, server_cert);
	SSL_CTX_use_PrivateKey(server_ctx, key);
	rc = unit_run("tls", tests);
	SSL_CTX_free(server_ctx);
	X509_free(server_cert);
	X509_free(other);
	EVP_PKEY_free(key);
	EVP_PKEY_free(okey);
	unlink(ca_pem);
	unlink(other_pem);
	rmdir(cache_dir);
	return rc;
}
