/*
 * NAME
 *	test_dl - unit tests for lib/dl.c
 * DESCRIPTION
 *	Nothing is loaded at start; DL_CRYPTO loads libcrypto alone,
 *	DL_SSL loads libssl and libcrypto; the functions then work
 *	through the pointers (a digest with a known value, an SSL_CTX);
 *	a second load is a no-op; a bad library number is refused. The
 *	failure paths (a missing or broken library) are in
 *	tests/integration/dl.sh, which can put a broken library first.
 *	The tests depend on their order: loading is for the process.
 */
#include "autoconfig.h"

#include <string.h>

#include "dl_ldns.h"
#include "dl_openssl.h"
#include "unit.h"

/* test_dl_nothing_at_start - no library before the first dl_load() */
static void
test_dl_nothing_at_start(void)
{
	UNIT_ASSERT_INT_EQ(dl_loaded(DL_CRYPTO), false);
	UNIT_ASSERT_INT_EQ(dl_loaded(DL_SSL), false);
	UNIT_ASSERT_INT_EQ(dl_loaded(DL_LDNS), false);
	UNIT_ASSERT_INT_EQ(strncmp(dl_soname(DL_SSL), "libssl.so.", 10), 0);
	UNIT_ASSERT_INT_EQ(strncmp(dl_soname(DL_CRYPTO), "libcrypto.so.",
	    13), 0);
	UNIT_ASSERT_INT_EQ(strncmp(dl_soname(DL_LDNS), "libldns.so.", 11), 0);
}

/* test_dl_crypto - libcrypto alone; SHA-256 of "abc" (FIPS 180-2) */
static void
test_dl_crypto(void)
{
	static const unsigned char want[4] = { 0xba, 0x78, 0x16, 0xbf };
	struct relay_result why;
	unsigned char md[SHA256_DIGEST_LENGTH];

	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(dl_load(DL_CRYPTO, &why), 0);
	UNIT_ASSERT_INT_EQ(dl_loaded(DL_CRYPTO), true);
	UNIT_ASSERT_INT_EQ(dl_loaded(DL_SSL), false);
	SHA256((const unsigned char *)"abc", 3, md);
	UNIT_ASSERT_INT_EQ(memcmp(md, want, sizeof(want)), 0);
	/* Again: at once, the same functions. */
	UNIT_ASSERT_INT_EQ(dl_load(DL_CRYPTO, &why), 0);
}

/* test_dl_ssl - libssl: an SSL_CTX can be made and freed */
static void
test_dl_ssl(void)
{
	struct relay_result why;
	SSL_CTX *ctx;

	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(dl_load(DL_SSL, &why), 0);
	UNIT_ASSERT_INT_EQ(dl_loaded(DL_SSL), true);
	UNIT_ASSERT_INT_EQ(dl_loaded(DL_CRYPTO), true);
	ctx = SSL_CTX_new(TLS_client_method());
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	SSL_CTX_free(ctx);
}

/* test_dl_ldns - libldns: a name parses and compares */
static void
test_dl_ldns(void)
{
	struct relay_result why;
	ldns_rdf *a, *b;

	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(dl_load(DL_LDNS, &why), 0);
	UNIT_ASSERT_INT_EQ(dl_loaded(DL_LDNS), true);
	a = ldns_dname_new_frm_str("Mail.Example.COM.");
	b = ldns_dname_new_frm_str("mail.example.com");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	UNIT_ASSERT_INT_EQ(ldns_dname_compare(a, b), 0);
	UNIT_ASSERT_STR_EQ(ldns_lookup_by_id(ldns_rcodes, 3)->name,
	    "NXDOMAIN");
	ldns_rdf_deep_free(a);
	ldns_rdf_deep_free(b);
}

/* test_dl_bad_library - a number that names no library */
static void
test_dl_bad_library(void)
{
	struct relay_result why;

	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(dl_load((enum dl_lib)42, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
	UNIT_ASSERT_INT_EQ(dl_loaded((enum dl_lib)42), false);
	UNIT_ASSERT_STR_EQ(dl_soname((enum dl_lib)42), "?");
}

static CU_TestInfo tests[] = {
	{ "test_dl_nothing_at_start", test_dl_nothing_at_start },
	{ "test_dl_crypto", test_dl_crypto },
	{ "test_dl_ssl", test_dl_ssl },
	{ "test_dl_ldns", test_dl_ldns },
	{ "test_dl_bad_library", test_dl_bad_library },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("dl", tests);
}
