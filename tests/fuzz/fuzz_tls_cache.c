/*
 * NAME
 *	fuzz_tls_cache - libFuzzer target: a TLS session cache file, as
 *	tls_session_new() reads it (cache_load() in lib/tls.c)
 * DESCRIPTION
 *	Input: one byte (bit 0: the file is mode 644 instead of 600), then
 *	the file: a DER SSL_SESSION, or anything else. The file is put
 *	where the cache keeps the session of the policy below, and a TLS
 *	session is made with that policy, as before a handshake. The
 *	file's name is worked out here the way tls.c does (the cache key
 *	and the first four bytes of a SHA-256 of the policy, level "may"
 *	so that no TLSA records are part of it); if tls.c
 *	changes it, every input leaves the file alone and the checks below
 *	fail at once. Invariants, any violation abort()s:
 *	- the session is made (a bad cache file is never an error);
 *	- a file that is kept is unchanged, and is a private regular file
 *	  holding exactly one DER session that OpenSSL reads whole, that
 *	  is resumable, of TLS 1.2 or later, and not expired: anything
 *	  else is removed, so it is never offered twice;
 *	- nothing leaks and nothing is read out of bounds (ASan).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "dl_openssl.h"
#include "tls.h"

#define CACHE_KEY	"mx.example.test[192.0.2.1]:25"
#define FILE_MAX	(16 * 1024)	/* TLS_CACHE_FILE_MAX */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char dir[64];
static char path[512];

/* remove_cache - atexit(): no file or directory left behind */
static void
remove_cache(void)
{
	(void)unlink(path);
	(void)rmdir(dir);
}

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_tls_cache: %s\n", what);
		abort();
	}
}

/* field - a policy string for the hash, NULL as "" */
static void
field(EVP_MD_CTX *ctx, const char *s)
{
	s = s != NULL ? s : "";
	if (EVP_DigestUpdate(ctx, s, strlen(s) + 1) != 1)
		abort();
}

/* cache_path - where tls.c keeps the session of policy p */
static void
cache_path(const struct tls_policy *p)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char key[TLS_KEY_MAX], lv[16];
	EVP_MD_CTX *ctx;

	snprintf(lv, sizeof(lv), "%d", (int)p->level);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		abort();
	field(ctx, lv);
	field(ctx, p->verify_name);
	field(ctx, p->ca_file);
	field(ctx, p->ca_path);
	field(ctx, p->fingerprints);
	field(ctx, p->nexthop_name);
	field(ctx, p->mx_name);
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen < 4)
		abort();
	EVP_MD_CTX_free(ctx);
	snprintf(key, sizeof(key), "%s-%02x%02x%02x%02x", CACHE_KEY, md[0],
	    md[1], md[2], md[3]);
	tls_cache_file(dir, key, path, sizeof(path));
	check(path[0] != '\0', "no cache file name");
}

/* is_good - would a session file be worth offering? */
static bool
is_good(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	SSL_SESSION *s;
	bool good;

	if (size == 0 || size > FILE_MAX ||
	    (s = d2i_SSL_SESSION(NULL, &p, (long)size)) == NULL) {
		ERR_clear_error();
		return false;
	}
	good = p == data + size && SSL_SESSION_is_resumable(s) &&
	    SSL_SESSION_get_protocol_version(s) >= TLS1_2_VERSION &&
	    (long long)SSL_SESSION_get_time(s) +
	    (long long)SSL_SESSION_get_timeout(s) > (long long)time(NULL);
	SSL_SESSION_free(s);
	return good;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tls_policy pol;
	struct relay_result why;
	struct tls_session *s;
	struct stat st;
	uint8_t *back;
	bool is_loose;
	int fd;

	if (size < 1 || size > FILE_MAX + 2)
		return 0;
	if (dir[0] == '\0') {
		relay_result_init(&why);
		snprintf(dir, sizeof(dir), "/tmp/fuzz_tls_cache.XXXXXX");
		if (dl_load(DL_SSL, &why) != 0 || mkdtemp(dir) == NULL)
			abort();
		pol.level = CONFIG_TLS_MAY;
		pol.verify_name = "mx.example.test";
		pol.cache_dir = dir;
		cache_path(&pol);
		atexit(remove_cache);
	}
	is_loose = data[0] & 1;
	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0 || fchmod(fd, is_loose ? 0644 : 0600) != 0 ||
	    (size > 1 && write(fd, data + 1, size - 1) != (ssize_t)size - 1) ||
	    close(fd) != 0)
		abort();

	relay_result_init(&why);
	s = tls_session_new(&pol, CACHE_KEY, &why);
	check(s != NULL, "no session because of a cache file");
	if (stat(path, &st) == 0) {
		check(!is_loose, "a cache file others can read was kept");
		check(is_good(data + 1, size - 1),
		    "a cache file that is no usable session was kept");
		check((size_t)st.st_size == size - 1 &&
		    (back = malloc(size)) != NULL &&
		    (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0 &&
		    read(fd, back, size) == (ssize_t)size - 1 &&
		    memcmp(back, data + 1, size - 1) == 0,
		    "a kept cache file changed");
		close(fd);
		free(back);
	} else
		check(errno == ENOENT, "cannot stat the cache file");
	tls_session_free(s);
	return 0;
}
