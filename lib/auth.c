/*
 * NAME
 *	auth - SMTP AUTH client side: secrets file, mechanisms, responses
 * SYNOPSIS
 *	#include "auth.h"
 *
 *	void auth_keys_init(struct auth_keys *k);
 *	void auth_keys_add(struct auth_keys *k, const char *key);
 *	int auth_secrets_lookup(const char *path, const struct auth_keys *k,
 *	    struct auth_secret *sec, bool *found, struct relay_result *why);
 *	void auth_secret_wipe(struct auth_secret *sec);
 *	enum auth_mech auth_mech_parse(const char *name);
 *	const char *auth_mech_name(enum auth_mech m);
 *	enum auth_mech auth_mech_choose(const char *offered,
 *	    const char *forced, bool is_tls);
 *	int auth_plain_response(const struct auth_secret *sec, char *out,
 *	    size_t len);
 *	int auth_base64_encode(const void *data, size_t n, char *out,
 *	    size_t len);
 *	int auth_base64_decode(const char *text, unsigned char *out,
 *	    size_t len, size_t *outlen);
 *	int auth_cram_md5_response(const struct auth_secret *sec,
 *	    const char *challenge_b64, char *out, size_t len);
 * DESCRIPTION
 *	The secrets file (auth_secrets_file) has one line per next hop:
 *
 *	    # next hop              user name        password
 *	    [smtp.example.com]:587  me@example.com   the rest of the line
 *
 *	'#' starts a comment line; empty lines are ignored; the next hop,
 *	the user name and the password are separated by blanks, and the
 *	password is the rest of the line (blanks inside it are kept,
 *	trailing blanks are not). Next hops compare without regard to
 *	case. auth_secrets_lookup() looks for the keys of k in their
 *	order (the first key that has a line wins; auth_keys_add() ignores
 *	a key already there) and fills sec, with *found telling whether a
 *	line matched. It returns -1 with why set (4.3.5) when the file
 *	cannot be opened, is not a regular file, grants any permission to
 *	group or others ("is readable by others": secrets must be mode 600
 *	and belong to the user slimrelay runs as), or has a malformed or
 *	overlong line. Every line read is wiped (explicit_bzero) at once;
 *	auth_secret_wipe() wipes sec when the caller is done.
 *
 *	auth_mech_choose() picks the mechanism: forced (auth_mechanism)
 *	when the server offers it, else none; without forced, over TLS
 *	PLAIN, then LOGIN, then CRAM-MD5 (the channel protects the
 *	password, PLAIN takes one round trip, and every password store on
 *	the server can check it); without TLS (only with
 *	auth_allow_plaintext) CRAM-MD5 first, which never sends the
 *	password, then PLAIN and LOGIN.
 *
 *	auth_plain_response() is RFC 4616's "\0user\0password" in base64.
 *	auth_cram_md5_response() is RFC 2195's base64 of "user HEX", HEX
 *	the HMAC-MD5 of the decoded challenge keyed with the password.
 *	auth_base64_encode() and auth_base64_decode() are RFC 4648 base64
 *	without line breaks (decode accepts missing padding, refuses any
 *	other character). Each returns 0, or -1 when out is too small or
 *	the input is malformed; intermediate buffers are wiped.
 * SEE ALSO
 *	RFC 4954 (SMTP AUTH), RFC 4616 (PLAIN), RFC 2195 (CRAM-MD5),
 *	draft-murchison-sasl-login (LOGIN), Postfix SASL_README.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "dl_openssl.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* auth_keys_init - no keys */
void
auth_keys_init(struct auth_keys *k)
{
	k->n = 0;
}

/* auth_keys_add - one more key, unless present, empty, full or too long */
void
auth_keys_add(struct auth_keys *k, const char *key)
{
	size_t i;

	if (key == NULL || *key == '\0' || k->n >= AUTH_KEYS_MAX ||
	    strlen(key) >= AUTH_KEY_MAX)
		return;
	for (i = 0; i < k->n; i++)
		if (strcasecmp(k->key[i], key) == 0)
			return;
	snprintf(k->key[k->n++], AUTH_KEY_MAX, "%s", key);
}

/* auth_secret_wipe - forget the secret */
void
auth_secret_wipe(struct auth_secret *sec)
{
	explicit_bzero(sec, sizeof(*sec));
}

/* parse_line - "host user password..."; 1 entry, 0 blank/comment, -1 bad */
static int
parse_line(char *line, char **host, char **user, char **pass)
{
	char *p = line, *end;

	p += strspn(p, " \t");
	if (*p == '\0' || *p == '#' || *p == '\n' || *p == '\r')
		return 0;
	end = p + strlen(p);
	while (end > p && strchr(" \t\r\n", end[-1]) != NULL)
		*--end = '\0';
	*host = p;
	p += strcspn(p, " \t");
	if (*p == '\0')
		return -1;
	*p++ = '\0';
	p += strspn(p, " \t");
	*user = p;
	p += strcspn(p, " \t");
	if (*p == '\0')
		return -1;
	*p++ = '\0';
	p += strspn(p, " \t");
	if (*p == '\0')
		return -1;
	*pass = p;
	return 1;
}

/* auth_secrets_lookup - the best line of the secrets file for the keys */
int
auth_secrets_lookup(const char *path, const struct auth_keys *k,
    struct auth_secret *sec, bool *found, struct relay_result *why)
{
	char line[AUTH_LINE_MAX];
	char *host, *user, *pass;
	struct stat st;
	FILE *fp = NULL;
	size_t best = AUTH_KEYS_MAX, i, len;
	unsigned lineno = 0;
	int fd, rc, ret = -1;

	*found = false;
	memset(sec, 0, sizeof(*sec));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		relay_result_set(why, "4.3.5", "cannot open auth_secrets_file "
		    "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		relay_result_set(why, "4.3.5", "auth_secrets_file %s is not a "
		    "regular file", path);
		(void)close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		relay_result_set(why, "4.3.5", "auth_secrets_file %s is "
		    "readable by others (mode %04o): run chmod 600 on it", path,
		    (unsigned)(st.st_mode & 07777));
		(void)close(fd);
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		relay_result_set(why, "4.3.0", "cannot read auth_secrets_file "
		    "%s: %s", path, strerror(errno));
		(void)close(fd);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n' &&
		    !feof(fp)) {
			relay_result_set(why, "4.3.5", "auth_secrets_file %s, "
			    "line %u: longer than %d bytes", path, lineno,
			    AUTH_LINE_MAX - 2);
			goto out;
		}
		if ((rc = parse_line(line, &host, &user, &pass)) == 0)
			continue;
		if (rc < 0) {
			relay_result_set(why, "4.3.5", "auth_secrets_file %s, "
			    "line %u: want \"nexthop username password\"",
			    path, lineno);
			goto out;
		}
		if (strlen(user) >= sizeof(sec->user) ||
		    strlen(pass) >= sizeof(sec->pass)) {
			relay_result_set(why, "4.3.5", "auth_secrets_file %s, "
			    "line %u: user name or password longer than %d "
			    "bytes", path, lineno, AUTH_PASS_MAX - 1);
			goto out;
		}
		for (i = 0; i < k->n && i < best; i++) {
			if (strcasecmp(k->key[i], host) != 0)
				continue;
			best = i;
			snprintf(sec->user, sizeof(sec->user), "%s", user);
			snprintf(sec->pass, sizeof(sec->pass), "%s", pass);
			snprintf(sec->key, sizeof(sec->key), "%s", k->key[i]);
			*found = true;
			break;
		}
		explicit_bzero(line, sizeof(line));
	}
	if (ferror(fp)) {
		relay_result_set(why, "4.3.0", "cannot read auth_secrets_file "
		    "%s: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	explicit_bzero(line, sizeof(line));
	if (ret != 0) {
		auth_secret_wipe(sec);
		*found = false;
	}
	(void)fclose(fp);
	return ret;
}

/* auth_mech_parse - "PLAIN", "LOGIN", "CRAM-MD5" (any case), else NONE */
enum auth_mech
auth_mech_parse(const char *name)
{
	if (name == NULL)
		return AUTH_MECH_NONE;
	if (strcasecmp(name, "PLAIN") == 0)
		return AUTH_MECH_PLAIN;
	if (strcasecmp(name, "LOGIN") == 0)
		return AUTH_MECH_LOGIN;
	if (strcasecmp(name, "CRAM-MD5") == 0)
		return AUTH_MECH_CRAM_MD5;
	return AUTH_MECH_NONE;
}

/* auth_mech_name - the mechanism's name on the wire */
const char *
auth_mech_name(enum auth_mech m)
{
	switch (m) {
	case AUTH_MECH_PLAIN:
		return "PLAIN";
	case AUTH_MECH_LOGIN:
		return "LOGIN";
	case AUTH_MECH_CRAM_MD5:
		return "CRAM-MD5";
	default:
		return "none";
	}
}

/* offers - the server's list has the mechanism (whole word, any case) */
static bool
offers(const char *offered, enum auth_mech m)
{
	const char *name = auth_mech_name(m), *p = offered;
	size_t n = strlen(name), w;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " ");
		w = strcspn(p, " ");
		if (w == n && strncasecmp(p, name, n) == 0)
			return true;
		p += w;
	}
	return false;
}

/* auth_mech_choose - forced if offered; else by preference (see above) */
enum auth_mech
auth_mech_choose(const char *offered, const char *forced, bool is_tls)
{
	static const enum auth_mech tls_order[] = { AUTH_MECH_PLAIN,
	    AUTH_MECH_LOGIN, AUTH_MECH_CRAM_MD5 };
	static const enum auth_mech plain_order[] = { AUTH_MECH_CRAM_MD5,
	    AUTH_MECH_PLAIN, AUTH_MECH_LOGIN };
	const enum auth_mech *order = is_tls ? tls_order : plain_order;
	enum auth_mech m;
	size_t i;

	if (forced != NULL && *forced != '\0') {
		m = auth_mech_parse(forced);
		return m != AUTH_MECH_NONE && offers(offered, m) ? m :
		    AUTH_MECH_NONE;
	}
	for (i = 0; i < 3; i++)
		if (offers(offered, order[i]))
			return order[i];
	return AUTH_MECH_NONE;
}

/* auth_base64_encode - RFC 4648 base64, NUL-terminated; -1: no room */
int
auth_base64_encode(const void *data, size_t n, char *out, size_t len)
{
	const unsigned char *p = data;
	size_t i, o = 0;
	unsigned v;

	if (len == 0 || (n + 2) / 3 > (len - 1) / 4)
		return -1;
	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	if (i < n) {
		v = (unsigned)p[i] << 16 |
		    (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return 0;
}

/* auth_base64_decode - RFC 4648 base64 to bytes; -1: malformed or no room */
int
auth_base64_decode(const char *text, unsigned char *out, size_t len,
    size_t *outlen)
{
	const char *c;
	unsigned v = 0;
	size_t o = 0, bits = 0, pad = 0;

	*outlen = 0;
	for (; *text != '\0'; text++) {
		if (*text == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (c = strchr(b64, *text)) == NULL)
			return -1;
		v = v << 6 | (unsigned)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= len)
				return -1;
			out[o++] = (unsigned char)(v >> bits & 0xff);
		}
	}
	if (pad > 2 || bits >= 6)
		return -1;
	*outlen = o;
	return 0;
}

/* auth_plain_response - base64 of "\0user\0password" (RFC 4616) */
int
auth_plain_response(const struct auth_secret *sec, char *out, size_t len)
{
	unsigned char buf[AUTH_USER_MAX + AUTH_PASS_MAX + 2];
	size_t ul = strlen(sec->user), pl = strlen(sec->pass);
	int ret;

	if (ul >= AUTH_USER_MAX || pl >= AUTH_PASS_MAX)
		return -1;
	buf[0] = '\0';
	memcpy(buf + 1, sec->user, ul);
	buf[1 + ul] = '\0';
	memcpy(buf + 2 + ul, sec->pass, pl);
	ret = auth_base64_encode(buf, 2 + ul + pl, out, len);
	explicit_bzero(buf, sizeof(buf));
	return ret;
}

/* auth_cram_md5_response - base64 of "user hex(HMAC-MD5(pass, chal))" */
int
auth_cram_md5_response(const struct auth_secret *sec,
    const char *challenge_b64, char *out, size_t len)
{
	unsigned char chal[1024], md[EVP_MAX_MD_SIZE];
	char resp[AUTH_USER_MAX + 2 * EVP_MAX_MD_SIZE + 2];
	unsigned mdlen = 0, i;
	size_t clen, ul = strlen(sec->user);
	struct relay_result r;
	int ret = -1;

	/* HMAC-MD5 is libcrypto's (dl.c); smtp_client loads it first. */
	if (dl_load(DL_CRYPTO, &r) != 0 ||
	    auth_base64_decode(challenge_b64, chal, sizeof(chal), &clen) != 0 ||
	    clen == 0 || ul >= AUTH_USER_MAX)
		goto out;
	if (HMAC(EVP_md5(), sec->pass, (int)strlen(sec->pass), chal, clen, md,
	    &mdlen) == NULL)
		goto out;
	memcpy(resp, sec->user, ul);
	resp[ul] = ' ';
	for (i = 0; i < mdlen; i++)
		snprintf(resp + ul + 1 + 2 * i, 3, "%02x", md[i]);
	ret = auth_base64_encode(resp, ul + 1 + 2 * (size_t)mdlen, out, len);
out:
	explicit_bzero(resp, sizeof(resp));
	explicit_bzero(md, sizeof(md));
	explicit_bzero(chal, sizeof(chal));
	return ret;
}
