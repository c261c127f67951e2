/*
 * test_route_header - signed routing headers: sign and verify round
 * trip, every tampered field, wrong key, wrong message, age limits,
 * malformed and overlong values, key file checks, header name matching.
 */
#include "autoconfig.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "route.h"
#include "route_header.h"
#include "unit.h"

#define KEY_TEXT	"unit-test-key-0123456789"
#define NOW		1764000000
#define DAY_MS		(86400L * 1000)

static const struct route_header_message msg1 = { "<m1@example.org>",
    "4QID1" };

/* make_key - the test key, as route_header_key_load() would give it */
static void
make_key(struct route_header_key *k, const char *text)
{
	memset(k, 0, sizeof(*k));
	k->len = strlen(text);
	memcpy(k->data, text, k->len);
}

/* make_route - one route line parsed; valid until the next call */
static const struct route *
make_route(const char *spec)
{
	static struct route_table t;
	struct relay_result why;

	route_table_free(&t);
	relay_result_init(&why);
	if (route_table_add(&t, spec, &why) != 0) {
		unit_fail(__FILE__, __LINE__, "route %s: %s", spec, why.text);
		return NULL;
	}
	return &t.route[0];
}

/* sign_for - a signed value for domain via spec, bound to msg */
static void
sign_for(char *buf, size_t len, const char *domain, const char *spec,
    const struct route_header_message *msg, time_t when,
    const struct route_header_key *k)
{
	struct route_header h;
	struct relay_result why;

	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(route_header_from_route(&h, domain,
	    make_route(spec), when, msg, &why), 0);
	UNIT_ASSERT_INT_EQ(route_header_sign(&h, k, buf, len, &why), 0);
}

static void
test_route_header_round_trip(void)
{
	struct route_header_key k;
	struct route_header h;
	char v[ROUTE_HEADER_VALUE_MAX + 1];

	make_key(&k, KEY_TEXT);
	sign_for(v, sizeof(v), "Forced.Example", "forced.example "
	    "smtp:[mx.example.net]:2525 tls=verify wrappermode=yes", &msg1,
	    NOW, &k);
	UNIT_ASSERT_INT_EQ(strncmp(v, "v=1; d=forced.example; "
	    "r=[mx.example.net]:2525; o=tls=verify,wrappermode=yes; "
	    "t=1764000000; b=mid:", 88), 0);
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, v, &k, &msg1, NOW + 60,
	    7 * DAY_MS), ROUTE_HEADER_VALID);
	UNIT_ASSERT_STR_EQ(h.domain, "forced.example");
	UNIT_ASSERT_STR_EQ(h.nh.host, "mx.example.net");
	UNIT_ASSERT_INT_EQ(h.nh.port, 2525);
	UNIT_ASSERT_INT_EQ(h.nh.want_mx, 0);
	UNIT_ASSERT_INT_EQ(h.tls_level, 3);
	UNIT_ASSERT_INT_EQ(h.tls_wrappermode, 1);
	UNIT_ASSERT_INT_EQ(h.binding, ROUTE_HEADER_BIND_MSGID);
}

/* test_route_header_dane - the DANE levels travel in the header too */
static void
test_route_header_dane(void)
{
	static const char *const levels[] = { "dane", "dane-only" };
	struct route_header_key k;
	struct route_header h;
	char v[ROUTE_HEADER_VALUE_MAX + 1], spec[128], want[32];
	size_t i;

	make_key(&k, KEY_TEXT);
	for (i = 0; i < 2; i++) {
		snprintf(spec, sizeof(spec), "dane.example smtp:[mx.dane.example] tls=%s",
		    levels[i]);
		sign_for(v, sizeof(v), "dane.example", spec, &msg1, NOW, &k);
		snprintf(want, sizeof(want), "o=tls=%s;", levels[i]);
		if (strstr(v, want) == NULL)
			unit_fail(__FILE__, __LINE__, "got \"%s\", want "
			    "\"%s\" in it", v, want);
		else
			CU_PASS("option");
		UNIT_ASSERT_INT_EQ(route_header_verify(&h, v, &k, &msg1,
		    NOW + 60, 7 * DAY_MS), ROUTE_HEADER_VALID);
		UNIT_ASSERT_INT_EQ(h.tls_level, i == 0 ? CONFIG_TLS_DANE :
		    CONFIG_TLS_DANE_ONLY);
	}
}

/* The signature is over the canonical form, computed independently:
 * printf 'slimrelay-route\nv=1\nd=a.test\nr=[192.0.2.1]:25\no=\n'
 * 't=1764000000\nb=mid:SHA256("<m1@example.org>")\n' |
 * openssl dgst -sha256 -hmac unit-test-key-0123456789 -binary | base64 */
static void
test_route_header_known_answer(void)
{
	struct route_header_key k;
	char v[ROUTE_HEADER_VALUE_MAX + 1];

	make_key(&k, KEY_TEXT);
	sign_for(v, sizeof(v), "a.test", "a.test [192.0.2.1]", &msg1, NOW,
	    &k);
	UNIT_ASSERT_STR_EQ(v, "v=1; d=a.test; r=[192.0.2.1]:25; "
	    "t=1764000000; b=mid:"
	    "b7ceee5a65b5e4f5b36ecc18a2b225b1213889c78bb073c04bf96400ecc0b56b; "
	    "s=qXhyzXXVOFyE2mPSqqfU+giw45tX8KESgRM2GYyDN4s=");
}

static void
test_route_header_whitespace_and_folding(void)
{
	struct route_header_key k;
	struct route_header h;
	char v[ROUTE_HEADER_VALUE_MAX + 1], folded[2 * sizeof(v)];
	const char *p;
	char *q = folded;

	make_key(&k, KEY_TEXT);
	sign_for(v, sizeof(v), "a.test", "a.test [192.0.2.1]", &msg1, NOW,
	    &k);
	/* Fold after every ';', upper-case tags, add a trailing ';'. */
	for (p = v; *p != '\0'; p++) {
		if (p[1] == '=' && (p == v || p[-1] == ' '))
			*q++ = (char)(*p - 'a' + 'A');
		else
			*q++ = *p;
		if (*p == ';') {
			memcpy(q, "\r\n\t", 3);
			q += 3;
		}
	}
	strcpy(q, " ;  ");
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, folded, &k, &msg1, NOW,
	    DAY_MS), ROUTE_HEADER_VALID);
}

static void
test_route_header_tampered_field(void)
{
	static const struct {
		const char *from, *to;
	} edits[] = {
		{ "d=a.test", "d=b.test" },
		{ "r=[192.0.2.1]:25", "r=[192.0.2.2]:25" },
		{ "r=[192.0.2.1]:25", "r=[192.0.2.1]:26" },
		{ "r=[192.0.2.1]:25", "r=a.test:25" },
		{ "t=1764000000", "t=1764000001" },
		{ "b=mid:", "b=qid:" },
		{ "; t=", "; o=tls=none; t=" },
	};
	struct route_header_key k;
	struct route_header h;
	char v[ROUTE_HEADER_VALUE_MAX + 1], t[sizeof(v) + 32];
	const char *at;
	size_t i;

	make_key(&k, KEY_TEXT);
	sign_for(v, sizeof(v), "a.test", "a.test [192.0.2.1]", &msg1, NOW,
	    &k);
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		at = strstr(v, edits[i].from);
		UNIT_ASSERT_INT_EQ(at != NULL, 1);
		if (at == NULL)
			continue;
		snprintf(t, sizeof(t), "%.*s%s%s", (int)(at - v), v,
		    edits[i].to, at + strlen(edits[i].from));
		UNIT_ASSERT_INT_EQ(route_header_verify(&h, t, &k, &msg1, NOW,
		    DAY_MS), ROUTE_HEADER_BAD_SIGNATURE);
	}
	/* A flipped signature bit. */
	snprintf(t, sizeof(t), "%s", v);
	at = strstr(t, "s=");
	t[at - t + 3] = t[at - t + 3] == 'A' ? 'B' : 'A';
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, t, &k, &msg1, NOW, DAY_MS),
	    ROUTE_HEADER_BAD_SIGNATURE);
}

static void
test_route_header_wrong_key(void)
{
	struct route_header_key k, other;
	struct route_header h;
	char v[ROUTE_HEADER_VALUE_MAX + 1];

	make_key(&k, KEY_TEXT);
	make_key(&other, KEY_TEXT "x");
	sign_for(v, sizeof(v), "a.test", "a.test [192.0.2.1]", &msg1, NOW,
	    &k);
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, v, &other, &msg1, NOW,
	    DAY_MS), ROUTE_HEADER_BAD_SIGNATURE);
	route_header_key_wipe(&other);
	UNIT_ASSERT_INT_EQ(other.len, 0);
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, v, &other, &msg1, NOW,
	    DAY_MS), ROUTE_HEADER_NO_KEY);
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, v, NULL, &msg1, NOW,
	    DAY_MS), ROUTE_HEADER_NO_KEY);
}

static void
test_route_header_binding(void)
{
	static const struct route_header_message other_mid = {
	    "<m2@example.org>", "4QID1" };
	static const struct route_header_message folded_mid = {
	    " \r\n <m1@example.org>\r\n", NULL };
	static const struct route_header_message qid_only = { NULL, "4QID1" };
	static const struct route_header_message other_qid = { "<x@y>",
	    "4QID2" };
	static const struct route_header_message none = { NULL, NULL };
	struct route_header_key k;
	struct route_header h;
	struct relay_result why;
	char v[ROUTE_HEADER_VALUE_MAX + 1];

	make_key(&k, KEY_TEXT);
	sign_for(v, sizeof(v), "a.test", "a.test [192.0.2.1]", &msg1, NOW,
	    &k);
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, v, &k, &other_mid, NOW,
	    DAY_MS), ROUTE_HEADER_WRONG_MESSAGE);
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, v, &k, &qid_only, NOW,
	    DAY_MS), ROUTE_HEADER_WRONG_MESSAGE);
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, v, &k, &folded_mid, NOW,
	    DAY_MS), ROUTE_HEADER_VALID);

	/* No Message-ID: bound to the queue id, which the transport has. */
	sign_for(v, sizeof(v), "a.test", "a.test [192.0.2.1]", &qid_only, NOW,
	    &k);
	UNIT_ASSERT_INT_EQ(strstr(v, "b=qid:") != NULL, 1);
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, v, &k, &msg1, NOW, DAY_MS),
	    ROUTE_HEADER_VALID);
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, v, &k, &other_qid, NOW,
	    DAY_MS), ROUTE_HEADER_WRONG_MESSAGE);

	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(route_header_from_route(&h, "a.test",
	    make_route("a.test [192.0.2.1]"), NOW, &none, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
}

static void
test_route_header_age(void)
{
	struct route_header_key k;
	struct route_header h;
	char v[ROUTE_HEADER_VALUE_MAX + 1];

	make_key(&k, KEY_TEXT);
	sign_for(v, sizeof(v), "a.test", "a.test [192.0.2.1]", &msg1, NOW,
	    &k);
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, v, &k, &msg1,
	    NOW + 7 * 86400, 7 * DAY_MS), ROUTE_HEADER_VALID);
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, v, &k, &msg1,
	    NOW + 7 * 86400 + 1, 7 * DAY_MS), ROUTE_HEADER_EXPIRED);
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, v, &k, &msg1,
	    NOW - ROUTE_HEADER_SKEW_S, DAY_MS), ROUTE_HEADER_VALID);
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, v, &k, &msg1,
	    NOW - ROUTE_HEADER_SKEW_S - 1, DAY_MS), ROUTE_HEADER_FUTURE);
}

static void
test_route_header_malformed(void)
{
	static const struct {
		const char *value;
		enum route_header_status want;
	} cases[] = {
		{ "", ROUTE_HEADER_MALFORMED },
		{ "forged", ROUTE_HEADER_MALFORMED },
		{ "v=2; d=a.test", ROUTE_HEADER_BAD_VERSION },
		{ "d=a.test; v=2; x=y", ROUTE_HEADER_BAD_VERSION },
		{ "v=1; d=a.test; r=[192.0.2.1]:25; t=1764000000",
		    ROUTE_HEADER_MALFORMED },		/* missing b, s */
		{ "v=1; v=1; d=a.test", ROUTE_HEADER_MALFORMED },
		{ "v=1; x=1", ROUTE_HEADER_MALFORMED },
		{ "v=1;; d=a.test", ROUTE_HEADER_MALFORMED },
		{ "v=1; d=a..test", ROUTE_HEADER_MALFORMED },
		{ "v=1; d=a test", ROUTE_HEADER_MALFORMED },
		{ "v=1; r=[host", ROUTE_HEADER_MALFORMED },
		{ "v=1; t=-5", ROUTE_HEADER_MALFORMED },
		{ "v=1; t=12345678901234", ROUTE_HEADER_MALFORMED },
		{ "v=1; b=mid:abc", ROUTE_HEADER_MALFORMED },
		{ "v=1; b=zzz:" "0000000000000000000000000000000000000000000"
		    "000000000000000000000", ROUTE_HEADER_MALFORMED },
		{ "v=1; s=AAAA", ROUTE_HEADER_MALFORMED },
		{ "v=1; s=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=",
		    ROUTE_HEADER_MALFORMED },		/* stray bits */
		{ "v=1; o=tls=bogus", ROUTE_HEADER_MALFORMED },
		{ "v=1; o=tls=may,tls=none", ROUTE_HEADER_MALFORMED },
		{ "v=1; d=", ROUTE_HEADER_MALFORMED },
		{ "=1", ROUTE_HEADER_MALFORMED },
	};
	struct route_header_key k;
	struct route_header h;
	unsigned char mac[ROUTE_HEADER_MAC_LEN];
	size_t i;

	make_key(&k, KEY_TEXT);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (route_header_parse(&h, mac, cases[i].value) !=
		    cases[i].want)
			unit_fail(__FILE__, __LINE__, "\"%s\": got %s, want %s",
			    cases[i].value, route_header_status_name(
			    route_header_parse(&h, mac, cases[i].value)),
			    route_header_status_name(cases[i].want));
		UNIT_ASSERT_INT_EQ(route_header_verify(&h, cases[i].value, &k,
		    &msg1, NOW, DAY_MS), cases[i].want);
	}
}

static void
test_route_header_too_long(void)
{
	struct route_header_key k;
	struct route_header h;
	char v[ROUTE_HEADER_VALUE_MAX + 1], longer[ROUTE_HEADER_VALUE_MAX + 8];
	char small[64];
	struct relay_result why;

	make_key(&k, KEY_TEXT);
	sign_for(v, sizeof(v), "a.test", "a.test [192.0.2.1]", &msg1, NOW,
	    &k);
	/* Valid, then padded with folding white space past the limit. */
	snprintf(longer, sizeof(longer), "%-*s", ROUTE_HEADER_VALUE_MAX + 1,
	    v);
	UNIT_ASSERT_INT_EQ(strlen(longer), ROUTE_HEADER_VALUE_MAX + 1);
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, longer, &k, &msg1, NOW,
	    DAY_MS), ROUTE_HEADER_TOO_LONG);
	longer[ROUTE_HEADER_VALUE_MAX] = '\0';
	UNIT_ASSERT_INT_EQ(route_header_verify(&h, longer, &k, &msg1, NOW,
	    DAY_MS), ROUTE_HEADER_VALID);
	/* The signer refuses a buffer that is too small. */
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(route_header_from_route(&h, "a.test",
	    make_route("a.test [192.0.2.1]"), NOW, &msg1, &why), 0);
	UNIT_ASSERT_INT_EQ(route_header_sign(&h, &k, small, sizeof(small),
	    &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
}

static void
test_route_header_no_nexthop(void)
{
	struct route_header h;
	struct relay_result why;

	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(route_header_from_route(&h, "a.test",
	    make_route("a.test maildrop"), NOW, &msg1, &why), -1);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(route_header_from_route(&h, "a.test",
	    make_route("a.test smtp:"), NOW, &msg1, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(route_header_from_route(&h, "a.test",
	    make_route("a.test smtp:relay.example"), NOW, &msg1, &why), 0);
	UNIT_ASSERT_INT_EQ(h.nh.want_mx, 1);
}

/* write_key - a key file with mode, in a private directory */
static void
write_key(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL) {
		unit_fail(__FILE__, __LINE__, "%s: cannot create", path);
		return;
	}
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
}

static void
test_route_header_key_file(void)
{
	char dir[] = "/tmp/test_route_header.XXXXXX", path[64], big[1200];
	struct route_header_key k;
	struct relay_result why;

	if (mkdtemp(dir) == NULL) {
		unit_fail(__FILE__, __LINE__, "mkdtemp failed");
		return;
	}
	snprintf(path, sizeof(path), "%s/key", dir);

	write_key(path, KEY_TEXT "\n", 0600);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(route_header_key_load(&k, path, &why), 0);
	UNIT_ASSERT_INT_EQ(k.len, strlen(KEY_TEXT));
	UNIT_ASSERT_INT_EQ(memcmp(k.data, KEY_TEXT, k.len), 0);
	route_header_key_wipe(&k);
	UNIT_ASSERT_INT_EQ(k.len, 0);
	UNIT_ASSERT_INT_EQ(k.data[0], 0);

	write_key(path, KEY_TEXT, 0640);
	UNIT_ASSERT_INT_EQ(route_header_key_load(&k, path, &why), 0);

	/* Readable by others, or writable by the group: refused. */
	write_key(path, KEY_TEXT, 0644);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(route_header_key_load(&k, path, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	UNIT_ASSERT_INT_EQ(strstr(why.text, "mode 0644") != NULL, 1);
	UNIT_ASSERT_INT_EQ(k.len, 0);
	write_key(path, KEY_TEXT, 0660);
	UNIT_ASSERT_INT_EQ(route_header_key_load(&k, path, &why), -1);

	write_key(path, "short\n", 0600);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(route_header_key_load(&k, path, &why), -1);
	UNIT_ASSERT_INT_EQ(strstr(why.text, "shorter") != NULL, 1);

	/* Blanks that end the read buffer do not end a longer file. */
	memset(big, 'k', 1020);
	snprintf(big + 1020, sizeof(big) - 1020, "      more key\n");
	write_key(path, big, 0600);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(route_header_key_load(&k, path, &why), -1);
	UNIT_ASSERT_INT_EQ(strstr(why.text, "longer") != NULL, 1);
	UNIT_ASSERT_INT_EQ(k.len, 0);
	/* Trailing blanks past the buffer are still trailing blanks. */
	memset(big, 'k', 1024);
	memset(big + 1024, ' ', 100);
	big[1124] = '\0';
	write_key(path, big, 0600);
	UNIT_ASSERT_INT_EQ(route_header_key_load(&k, path, &why), 0);
	UNIT_ASSERT_INT_EQ(k.len, 1024);

	unlink(path);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(route_header_key_load(&k, path, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	UNIT_ASSERT_INT_EQ(route_header_key_load(&k, dir, &why), -1);
	rmdir(dir);
}

static void
test_route_header_name_match(void)
{
	UNIT_ASSERT_INT_EQ(route_header_name_is("X-Slimrelay-Route"), 1);
	UNIT_ASSERT_INT_EQ(route_header_name_is("x-SLIMRELAY-route"), 1);
	UNIT_ASSERT_INT_EQ(route_header_name_is("X-Slimrelay-Route \t"), 1);
	UNIT_ASSERT_INT_EQ(route_header_name_is("X-Slimrelay-Routes"), 0);
	UNIT_ASSERT_INT_EQ(route_header_name_is("X-Slimrelay-Rout"), 0);
	UNIT_ASSERT_INT_EQ(route_header_name_is(""), 0);
	UNIT_ASSERT_INT_EQ(route_header_line_match("X-SLIMRELAY-ROUTE: v=1",
	    22), 18);
	UNIT_ASSERT_INT_EQ(route_header_line_match("x-slimrelay-route \t:x",
	    21), 20);
	UNIT_ASSERT_INT_EQ(route_header_line_match("X-Slimrelay-Router: x",
	    21), 0);
	UNIT_ASSERT_INT_EQ(route_header_line_match("X-Slimrelay-Route", 17),
	    0);
	/* len bounds the look, not the NUL. */
	UNIT_ASSERT_INT_EQ(route_header_line_match("X-Slimrelay-Route:", 17),
	    0);
}

static CU_TestInfo tests[] = {
	{ "test_route_header_round_trip", test_route_header_round_trip },
	{ "test_route_header_dane", test_route_header_dane },
	{ "test_route_header_known_answer", test_route_header_known_answer },
	{ "test_route_header_whitespace_and_folding",
	    test_route_header_whitespace_and_folding },
	{ "test_route_header_tampered_field",
	    test_route_header_tampered_field },
	{ "test_route_header_wrong_key", test_route_header_wrong_key },
	{ "test_route_header_binding", test_route_header_binding },
	{ "test_route_header_age", test_route_header_age },
	{ "test_route_header_malformed", test_route_header_malformed },
	{ "test_route_header_too_long", test_route_header_too_long },
	{ "test_route_header_no_nexthop", test_route_header_no_nexthop },
	{ "test_route_header_key_file", test_route_header_key_file },
	{ "test_route_header_name_match", test_route_header_name_match },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("route_header", tests);
}
