/*
 * NAME
 *	fuzz_auth - libFuzzer target for lib/auth.c: the secrets file, the
 *	CRAM-MD5 challenge and the mechanism choice
 * DESCRIPTION
 *	The input is written to a private (mode 600) file and looked up
 *	with auth_secrets_lookup() for the keys "[smtp.example.test]:587",
 *	"smtp.example.test" and "example.test", in that order. When the
 *	file has no NUL and no line of 1000 bytes or more, a reference
 *	reading written here must agree: the lookup fails exactly when a
 *	line that is neither blank nor a comment lacks a user name or a
 *	password, or has one of 256 bytes or more; else the first key that
 *	some line names wins, with the first such line's user name and
 *	password (the rest of the line, trailing blanks cut). Always: a
 *	failure is 4.3.5 with nothing found and the secret wiped; a found
 *	secret has a non-empty user without blanks, a password without
 *	blanks at its ends, both bounded, and the key that matched.
 *
 *	The input (NUL-terminated, at most 2 KiB) is also a server's
 *	CRAM-MD5 challenge: auth_cram_md5_response() succeeds exactly when
 *	the challenge is base64 of 1 to 1024 bytes, and then its answer is
 *	base64 of "user " and the HMAC-MD5 in lower-case hex; base64 that
 *	decodes encodes back to text that decodes to the same bytes. And
 *	it is the list of mechanisms of an EHLO AUTH line:
 *	auth_mech_choose() names one of the list's words or none.
 *	Any violation abort()s.
 */
#include "autoconfig.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "dl_openssl.h"

#define CHALLENGE_MAX	2048

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const keys[] = { "[smtp.example.test]:587",
    "smtp.example.test", "example.test" };

/* The reference reading of a secrets file. */
struct ref {
	bool	is_bad;
	bool	found;
	size_t	key;
	char	user[1024];
	char	pass[1024];
};

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_auth: %s\n", what);
		abort();
	}
}

/* ref_line - one line (no NUL, no LF) into r */
static void
ref_line(struct ref *r, char *line)
{
	char *p = line, *end, *host, *user;
	size_t i;

	p += strspn(p, " \t");
	if (*p == '\0' || *p == '#' || *p == '\r')
		return;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r'))
		*--end = '\0';
	host = p;
	p += strcspn(p, " \t");
	if (*p == '\0') {
		r->is_bad = true;
		return;
	}
	*p++ = '\0';
	user = p += strspn(p, " \t");
	p += strcspn(p, " \t");
	if (*p == '\0') {
		r->is_bad = true;
		return;
	}
	*p++ = '\0';
	p += strspn(p, " \t");
	if (*p == '\0' || strlen(user) >= AUTH_USER_MAX ||
	    strlen(p) >= AUTH_PASS_MAX) {
		r->is_bad = true;
		return;
	}
	for (i = 0; i < 3 && (!r->found || i < r->key); i++) {
		if (strcasecmp(keys[i], host) != 0)
			continue;
		r->found = true;
		r->key = i;
		snprintf(r->user, sizeof(r->user), "%s", user);
		snprintf(r->pass, sizeof(r->pass), "%s", p);
		break;
	}
}

/* ref_read - the reference reading; false when it does not apply */
static bool
ref_read(const uint8_t *data, size_t size, struct ref *r)
{
	char line[1024];
	const uint8_t *p = data, *end = data + size, *nl;
	size_t n;

	memset(r, 0, sizeof(*r));
	if (memchr(data, '\0', size) != NULL)
		return false;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (n >= 1000)
			return false;
		memcpy(line, p, n);
		line[n] = '\0';
		ref_line(r, line);
		p += n + 1;
	}
	return true;
}

static char path[64];

/* remove_secrets - atexit(): no file left behind */
static void
remove_secrets(void)
{
	(void)unlink(path);
}

/* secrets_path - a private file, rewritten with each input */
static const char *
secrets_path(void)
{
	int fd;

	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/tmp/fuzz_auth.XXXXXX");
		if ((fd = mkstemp(path)) < 0 || fchmod(fd, 0600) != 0)
			abort();
		close(fd);
		atexit(remove_secrets);
	}
	return path;
}

/* check_lookup - the secrets file */
static void
check_lookup(const uint8_t *data, size_t size)
{
	struct auth_keys k;
	struct auth_secret sec;
	struct relay_result why;
	struct ref r;
	bool found;
	const char *file = secrets_path();
	int fd, rc;
	size_t i;

	if ((fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC)) < 0 ||
	    (size > 0 && write(fd, data, size) != (ssize_t)size) ||
	    close(fd) != 0)
		abort();
	auth_keys_init(&k);
	for (i = 0; i < 3; i++)
		auth_keys_add(&k, keys[i]);
	auth_keys_add(&k, keys[1]);	/* a key twice is ignored */
	check(k.n == 3, "a repeated key was added");
	relay_result_init(&why);
	rc = auth_secrets_lookup(file, &k, &sec, &found, &why);
	if (rc != 0) {
		check(rc == -1 && strcmp(why.status, "4.3.5") == 0,
		    "a failure without 4.3.5");
		check(!found && sec.user[0] == '\0' && sec.pass[0] == '\0',
		    "a failure left a secret");
	} else if (found) {
		check(memchr(sec.user, '\0', sizeof(sec.user)) != NULL &&
		    memchr(sec.pass, '\0', sizeof(sec.pass)) != NULL,
		    "secret not terminated");
		check(sec.user[0] != '\0' && strpbrk(sec.user, " \t\n") == NULL,
		    "user empty or with blanks");
		check(sec.pass[0] != '\0' && strchr(" \t\r\n", sec.pass[0]) ==
		    NULL && strchr(" \t\r\n", sec.pass[strlen(sec.pass) - 1]) ==
		    NULL, "password with blanks at its ends");
		for (i = 0; i < 3 && strcmp(sec.key, keys[i]) != 0; i++)
			;
		check(i < 3, "the key that matched is none of ours");
	} else
		check(sec.user[0] == '\0', "nothing found, yet a user");
	if (!ref_read(data, size, &r))
		goto out;
	check((rc != 0) == r.is_bad, "lookup and reference disagree on "
	    "whether the file is good");
	if (rc != 0)
		goto out;
	check(found == r.found, "lookup and reference disagree on a match");
	if (found)
		check(strcmp(sec.key, keys[r.key]) == 0 &&
		    strcmp(sec.user, r.user) == 0 &&
		    strcmp(sec.pass, r.pass) == 0,
		    "lookup and reference found different secrets");
out:
	auth_secret_wipe(&sec);
}

/* check_challenge - CRAM-MD5 and base64 */
static void
check_challenge(const char *chal)
{
	static const struct auth_secret sec = { "fuzzuser", "fuzz pass",
	    "key" };
	unsigned char raw[CHALLENGE_MAX], again[CHALLENGE_MAX], md[16];
	char out[AUTH_B64_MAX], text[2 * CHALLENGE_MAX], want[64];
	size_t rlen, alen, i;
	unsigned mdlen = 0;
	bool is_b64;
	int rc;

	is_b64 = auth_base64_decode(chal, raw, sizeof(raw), &rlen) == 0;
	if (is_b64) {
		check(auth_base64_encode(raw, rlen, text, sizeof(text)) == 0,
		    "decoded bytes do not encode");
		check(auth_base64_decode(text, again, sizeof(again),
		    &alen) == 0 && alen == rlen && memcmp(raw, again,
		    rlen) == 0, "base64 round trip differs");
	}
	rc = auth_cram_md5_response(&sec, chal, out, sizeof(out));
	check((rc == 0) == (is_b64 && rlen >= 1 && rlen <= 1024),
	    "CRAM-MD5 answered a bad challenge, or refused a good one");
	if (rc != 0)
		return;
	check(HMAC(EVP_md5(), sec.pass, (int)strlen(sec.pass), raw, rlen, md,
	    &mdlen) != NULL && mdlen == 16, "HMAC-MD5 failed");
	i = (size_t)snprintf(want, sizeof(want), "%s ", sec.user);
	for (rc = 0; rc < 16; rc++)
		i += (size_t)snprintf(want + i, sizeof(want) - i, "%02x",
		    md[rc]);
	check(auth_base64_decode(out, again, sizeof(again), &alen) == 0 &&
	    alen == i && memcmp(again, want, i) == 0,
	    "CRAM-MD5 answer is not base64 of \"user hex\"");
}

/* check_choose - the chosen mechanism is a word of the list */
static void
check_choose(const char *list)
{
	static const char *const forced[] = { NULL, "PLAIN", "cram-md5",
	    "NTLM" };
	const char *name, *p;
	enum auth_mech m;
	size_t i, n;
	bool in_list;

	for (i = 0; i < 8; i++) {
		m = auth_mech_choose(list, forced[i / 2], i % 2 == 0);
		if (m == AUTH_MECH_NONE)
			continue;
		name = auth_mech_name(m);
		check(forced[i / 2] == NULL ||
		    strcasecmp(forced[i / 2], name) == 0,
		    "not the forced mechanism");
		in_list = false;
		for (p = list; *p != '\0'; p += n) {
			p += strspn(p, " ");
			n = strcspn(p, " ");
			in_list |= n == strlen(name) &&
			    strncasecmp(p, name, n) == 0;
		}
		check(in_list, "a mechanism the server did not offer");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool loaded;
	struct relay_result why;
	char *text;
	size_t n = size < CHALLENGE_MAX ? size : CHALLENGE_MAX - 1;

	if (size > 64 * 1024)
		return 0;
	if (!loaded) {
		relay_result_init(&why);
		if (dl_load(DL_CRYPTO, &why) != 0)
			abort();
		loaded = true;
	}
	check_lookup(data, size);
	if ((text = malloc(n + 1)) == NULL)
		abort();
	memcpy(text, data, n);
	text[n] = '\0';
	check_challenge(text);
	check_choose(text);
	free(text);
	return 0;
}
