/*
 * NAME
 *	test_auth - unit tests for lib/auth.c
 * DESCRIPTION
 *	Base64 (RFC 4648 test vectors), the PLAIN and CRAM-MD5 responses
 *	(RFC 2195's example), the choice of mechanism, and the secrets
 *	file: lookup order, comments, passwords with blanks, and the
 *	files that must be refused (readable by others, not a regular
 *	file, malformed or overlong lines).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "auth.h"
#include "unit.h"

/* test_auth_base64_vectors - RFC 4648 section 10, both ways */
static void
test_auth_base64_vectors(void)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob",
	    "fooba", "foobar" };
	static const char *const out[] = { "", "Zg==", "Zm8=", "Zm9v",
	    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	unsigned char dec[16];
	char enc[16];
	size_t i, n;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		UNIT_ASSERT_INT_EQ(auth_base64_encode(in[i], strlen(in[i]),
		    enc, sizeof(enc)), 0);
		UNIT_ASSERT_STR_EQ(enc, out[i]);
		UNIT_ASSERT_INT_EQ(auth_base64_decode(out[i], dec,
		    sizeof(dec), &n), 0);
		UNIT_ASSERT_INT_EQ(n, strlen(in[i]));
		CU_ASSERT(memcmp(dec, in[i], n) == 0);
	}
}

/* test_auth_base64_bounds - no room, bad characters, bad padding */
static void
test_auth_base64_bounds(void)
{
	unsigned char dec[2];
	char enc[8];
	size_t n;

	/* "foob" needs 8 characters and a NUL. */
	UNIT_ASSERT_INT_EQ(auth_base64_encode("foob", 4, enc, 8), -1);
	UNIT_ASSERT_INT_EQ(auth_base64_encode("foo", 3, enc, 5), 0);
	UNIT_ASSERT_INT_EQ(auth_base64_encode("foo", 3, enc, 4), -1);
	UNIT_ASSERT_INT_EQ(auth_base64_decode("Zm9v", dec, sizeof(dec), &n),
	    -1);
	UNIT_ASSERT_INT_EQ(auth_base64_decode("Zm 9", dec, sizeof(dec), &n),
	    -1);
	UNIT_ASSERT_INT_EQ(auth_base64_decode("Zg=a", dec, sizeof(dec), &n),
	    -1);
	UNIT_ASSERT_INT_EQ(auth_base64_decode("Z", dec, sizeof(dec), &n), -1);
	UNIT_ASSERT_INT_EQ(auth_base64_decode("Zg", dec, sizeof(dec), &n), 0);
	UNIT_ASSERT_INT_EQ(n, 1);
}

/* test_auth_plain_response - base64 of NUL user NUL password */
static void
test_auth_plain_response(void)
{
	struct auth_secret sec;
	char out[AUTH_B64_MAX];

	memset(&sec, 0, sizeof(sec));
	strcpy(sec.user, "tim");
	strcpy(sec.pass, "tanstaaftanstaaf");
	UNIT_ASSERT_INT_EQ(auth_plain_response(&sec, out, sizeof(out)), 0);
	/* printf '\0tim\0tanstaaftanstaaf' | base64 */
	UNIT_ASSERT_STR_EQ(out, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	UNIT_ASSERT_INT_EQ(auth_plain_response(&sec, out, 10), -1);
	/* The longest secret fits AUTH_B64_MAX. */
	memset(sec.user, 'u', sizeof(sec.user) - 1);
	memset(sec.pass, 'p', sizeof(sec.pass) - 1);
	UNIT_ASSERT_INT_EQ(auth_plain_response(&sec, out, sizeof(out)), 0);
}

/* test_auth_cram_md5_rfc2195 - the example of RFC 2195 section 2 */
static void
test_auth_cram_md5_rfc2195(void)
{
	struct auth_secret sec;
	char chal[128], out[AUTH_B64_MAX];
	unsigned char dec[128];
	const char *c = "<1896.697170952@postoffice.reston.mci.net>";
	size_t n;

	memset(&sec, 0, sizeof(sec));
	strcpy(sec.user, "tim");
	strcpy(sec.pass, "tanstaaftanstaaf");
	UNIT_ASSERT_INT_EQ(auth_base64_encode(c, strlen(c), chal,
	    sizeof(chal)), 0);
	UNIT_ASSERT_INT_EQ(auth_cram_md5_response(&sec, chal, out,
	    sizeof(out)), 0);
	UNIT_ASSERT_INT_EQ(auth_base64_decode(out, dec, sizeof(dec) - 1, &n),
	    0);
	dec[n] = '\0';
	UNIT_ASSERT_STR_EQ((char *)dec, "tim b913a602c7eda7a495b4e6e7334d3890");
	UNIT_ASSERT_INT_EQ(auth_cram_md5_response(&sec, "not base64!", out,
	    sizeof(out)), -1);
	UNIT_ASSERT_INT_EQ(auth_cram_md5_response(&sec, "", out,
	    sizeof(out)), -1);
}

/* test_auth_mech_choose - preference with and without TLS, forced */
static void
test_auth_mech_choose(void)
{
	const char *all = "DIGEST-MD5 LOGIN cram-md5 PLAIN";

	UNIT_ASSERT_INT_EQ(auth_mech_choose(all, NULL, true), AUTH_MECH_PLAIN);
	UNIT_ASSERT_INT_EQ(auth_mech_choose(all, "", false),
	    AUTH_MECH_CRAM_MD5);
	UNIT_ASSERT_INT_EQ(auth_mech_choose("LOGIN", NULL, true),
	    AUTH_MECH_LOGIN);
	UNIT_ASSERT_INT_EQ(auth_mech_choose("LOGIN PLAIN", NULL, false),
	    AUTH_MECH_PLAIN);
	UNIT_ASSERT_INT_EQ(auth_mech_choose(all, "login", true),
	    AUTH_MECH_LOGIN);
	UNIT_ASSERT_INT_EQ(auth_mech_choose("PLAIN", "CRAM-MD5", true),
	    AUTH_MECH_NONE);
	UNIT_ASSERT_INT_EQ(auth_mech_choose("XPLAIN PLAINX", NULL, true),
	    AUTH_MECH_NONE);
	UNIT_ASSERT_INT_EQ(auth_mech_choose("", NULL, true), AUTH_MECH_NONE);
	UNIT_ASSERT_STR_EQ(auth_mech_name(AUTH_MECH_CRAM_MD5), "CRAM-MD5");
	UNIT_ASSERT_INT_EQ(auth_mech_parse("Plain"), AUTH_MECH_PLAIN);
	UNIT_ASSERT_INT_EQ(auth_mech_parse("SCRAM-SHA-1"), AUTH_MECH_NONE);
}

/* write_secrets - a secrets file with the given text and mode */
static void
write_secrets(const char *path, const char *text, mode_t mode)
{
	FILE *fp;

	(void)unlink(path);
	fp = fopen(path, "w");
	CU_ASSERT_FATAL(fp != NULL);
	fputs(text, fp);
	fclose(fp);
	CU_ASSERT_FATAL(chmod(path, mode) == 0);
}

static char secrets_path[] = "/tmp/test_auth.XXXXXX";

/* lookup - look up keys (NULL-terminated) in text; the return value */
static int
lookup(const char *text, mode_t mode, const char *const *keys,
    struct auth_secret *sec, bool *found, struct relay_result *why)
{
	struct auth_keys k;

	write_secrets(secrets_path, text, mode);
	auth_keys_init(&k);
	for (; *keys != NULL; keys++)
		auth_keys_add(&k, *keys);
	relay_result_init(why);
	return auth_secrets_lookup(secrets_path, &k, sec, found, why);
}

/* test_auth_secrets_lookup - first key with a line wins; blanks kept */
static void
test_auth_secrets_lookup(void)
{
	static const char text[] =
	    "# provider\n"
	    "\n"
	    "   smtp.example.com   plainuser  plain pass  \n"
	    "[SMTP.example.com]:587\tportuser\tport\tpass\r\n"
	    "[other.example]  o  p\n";
	const char *const keys[] = { "[smtp.example.com]:587",
	    "[smtp.example.com]", "smtp.example.com", NULL };
	const char *const later[] = { "[smtp.example.com]", "smtp.example.com",
	    NULL };
	const char *const none[] = { "[nothing.example]", NULL };
	struct relay_result why;
	struct auth_secret sec;
	bool found;

	UNIT_ASSERT_INT_EQ(lookup(text, 0600, keys, &sec, &found, &why), 0);
	CU_ASSERT(found);
	UNIT_ASSERT_STR_EQ(sec.user, "portuser");
	UNIT_ASSERT_STR_EQ(sec.pass, "port\tpass");
	UNIT_ASSERT_STR_EQ(sec.key, "[smtp.example.com]:587");
	UNIT_ASSERT_INT_EQ(lookup(text, 0400, later, &sec, &found, &why), 0);
	CU_ASSERT(found);
	UNIT_ASSERT_STR_EQ(sec.user, "plainuser");
	UNIT_ASSERT_STR_EQ(sec.pass, "plain pass");
	UNIT_ASSERT_INT_EQ(lookup(text, 0600, none, &sec, &found, &why), 0);
	CU_ASSERT(!found);
	UNIT_ASSERT_STR_EQ(sec.user, "");
	auth_secret_wipe(&sec);
	UNIT_ASSERT_STR_EQ(sec.pass, "");
}

/* test_auth_secrets_refused - permissions, type, syntax, length */
static void
test_auth_secrets_refused(void)
{
	const char *const keys[] = { "h", NULL };
	struct relay_result why;
	struct auth_secret sec;
	char want[512], longline[AUTH_LINE_MAX + 16];
	struct auth_keys k;
	bool found = true;

	UNIT_ASSERT_INT_EQ(lookup("h u p\n", 0640, keys, &sec, &found, &why),
	    -1);
	snprintf(want, sizeof(want), "auth_secrets_file %s is readable by "
	    "others (mode 0640): run chmod 600 on it", secrets_path);
	UNIT_ASSERT_STR_EQ(why.text, want);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	CU_ASSERT(!found);
	UNIT_ASSERT_INT_EQ(lookup("h u p\n", 0602, keys, &sec, &found, &why),
	    -1);
	UNIT_ASSERT_INT_EQ(lookup("h u p\nh u\n", 0600, keys, &sec, &found,
	    &why), -1);
	snprintf(want, sizeof(want), "auth_secrets_file %s, line 2: want "
	    "\"nexthop username password\"", secrets_path);
	UNIT_ASSERT_STR_EQ(why.text, want);
	CU_ASSERT(!found);
	UNIT_ASSERT_STR_EQ(sec.user, "");
	memset(longline, 'x', sizeof(longline) - 2);
	memcpy(longline, "h u ", 4);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	UNIT_ASSERT_INT_EQ(lookup(longline, 0600, keys, &sec, &found, &why),
	    -1);
	CU_ASSERT(strstr(why.text, "line 1: longer than") != NULL);
	auth_keys_init(&k);
	auth_keys_add(&k, "h");
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(auth_secrets_lookup("/tmp", &k, &sec, &found,
	    &why), -1);
	UNIT_ASSERT_STR_EQ(why.text,
	    "auth_secrets_file /tmp is not a regular file");
	UNIT_ASSERT_INT_EQ(auth_secrets_lookup("/nonexistent/secrets", &k,
	    &sec, &found, &why), -1);
	UNIT_ASSERT_STR_EQ(why.text, "cannot open auth_secrets_file "
	    "/nonexistent/secrets: No such file or directory");
}

/* test_auth_keys_add - duplicates (any case) and overlong keys ignored */
static void
test_auth_keys_add(void)
{
	struct auth_keys k;
	char big[AUTH_KEY_MAX + 1];
	int i;

	auth_keys_init(&k);
	auth_keys_add(&k, "[a]:25");
	auth_keys_add(&k, "[A]:25");
	auth_keys_add(&k, "");
	auth_keys_add(&k, NULL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	auth_keys_add(&k, big);
	UNIT_ASSERT_INT_EQ(k.n, 1);
	for (i = 0; i < 10; i++) {
		snprintf(big, sizeof(big), "k%d", i);
		auth_keys_add(&k, big);
	}
	UNIT_ASSERT_INT_EQ(k.n, AUTH_KEYS_MAX);
}

static CU_TestInfo tests[] = {
	{ "test_auth_base64_vectors", test_auth_base64_vectors },
	{ "test_auth_base64_bounds", test_auth_base64_bounds },
	{ "test_auth_plain_response", test_auth_plain_response },
	{ "test_auth_cram_md5_rfc2195", test_auth_cram_md5_rfc2195 },
	{ "test_auth_mech_choose", test_auth_mech_choose },
	{ "test_auth_secrets_lookup", test_auth_secrets_lookup },
	{ "test_auth_secrets_refused", test_auth_secrets_refused },
	{ "test_auth_keys_add", test_auth_keys_add },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	int fd, rc;

	if ((fd = mkstemp(secrets_path)) < 0)
		return 1;
	close(fd);
	rc = unit_run("auth", tests);
	unlink(secrets_path);
	return rc;
}
