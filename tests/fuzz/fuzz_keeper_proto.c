/*
 * NAME
 *	fuzz_keeper_proto - libFuzzer target: the keeper's records and
 *	their encoding (lib/keeper_proto.c)
 * DESCRIPTION
 *	Input: one byte of buffer sizes, then a record. The record goes
 *	through keeper_parse_request(), keeper_parse_reply() without a
 *	key and with two keys (the one the record names, and another),
 *	keeper_decode() and keeper_encode(). A reference reading written
 *	here (split at single spaces, the words of keeper_proto.c's
 *	grammar) says what each parser must accept. Invariants, any
 *	violation abort()s:
 *	- a request is accepted exactly when the reference accepts it:
 *	  "HELLO 1 GET <key>" or "HELLO 1 PUT <ttl> <cap> <key> <props>",
 *	  nothing before, between (one space) or after the words, no NUL;
 *	  then the key is the reference's decoding of its word, NUL-
 *	  terminated, 1 to KEEPER_KEY_MAX - 1 bytes; the TTL 1 ms to a
 *	  day, the cap 0 to 10000, the properties the word as sent
 *	  (without spaces, shorter than KEEPER_PROPS_MAX); a GET has no
 *	  TTL, cap or properties; and the canonical form of what was read
 *	  ("HELLO 1 GET " and keeper_encode() of the key, ...) is read
 *	  back the same;
 *	- a reply is accepted exactly when the reference accepts it,
 *	  "HELLO 1 <pid> NONE|OK|FULL|ERR" or, with the key it names, FD
 *	  with that key and properties; never FD without a key or with
 *	  another; word and props (buffers of the sizes the first byte
 *	  picks, on the heap, so that ASan sees a write past them) get
 *	  what the reference says, NUL-terminated, and "" on a refusal;
 *	- keeper_decode() of the record (into a buffer of the picked size)
 *	  succeeds exactly when the reference decoding does, with the same
 *	  text; keeper_encode() of any NUL-free text writes only bytes
 *	  from '!' to '~', returns the length it wrote (or 0 with "" when
 *	  the buffer is too small, exactly when the reference's length
 *	  does not fit) and decodes back to the text.
 */
#include "autoconfig.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keeper.h"

#define WORDS_MAX	8
#define TTL_MAX		(24L * 3600 * 1000)
#define CAP_MAX		10000

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A word of a record. */
struct word {
	const char *p;
	size_t	len;
};

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_keeper_proto: %s\n", what);
		abort();
	}
}

/* split - words at single spaces; their number, or -1 (empty word, NUL) */
static int
split(const char *msg, size_t len, struct word *w, int max)
{
	size_t s = 0, e;
	int n = 0;

	if (memchr(msg, '\0', len) != NULL)
		return -1;
	for (;;) {
		for (e = s; e < len && msg[e] != ' '; e++)
			;
		if (e == s || n == max)
			return -1;
		w[n].p = msg + s;
		w[n].len = e - s;
		n++;
		if (e == len)
			return n;
		s = e + 1;
	}
}

/* is - the word is text */
static bool
is(const struct word *w, const char *text)
{
	return w->len == strlen(text) && memcmp(w->p, text, w->len) == 0;
}

/* number - 1 to 12 decimal digits from lo to hi; 0, or -1 */
static int
number(const struct word *w, long lo, long hi, long *v)
{
	long x = 0;
	size_t i;

	if (w->len < 1 || w->len > 12)
		return -1;
	for (i = 0; i < w->len; i++) {
		if (w->p[i] < '0' || w->p[i] > '9')
			return -1;
		x = x * 10 + (w->p[i] - '0');
	}
	if (x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

/* hex - a hex digit's value, or -1 */
static int
hex(char c)
{
	const char *d = "0123456789abcdef", *u = "0123456789ABCDEF", *p;

	if (c == '\0')
		return -1;
	if ((p = strchr(d, c)) != NULL)
		return (int)(p - d);
	if ((p = strchr(u, c)) != NULL)
		return (int)(p - u);
	return -1;
}

/*
 * ref_decode - the reference: '!'..'~' as is, %XX a byte but NUL; the
 * decoded length, or -1. out has room for len + 1 bytes.
 */
static long
ref_decode(const char *in, size_t len, char *out)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '%') {
			if (len - i < 3 || (hi = hex(in[i + 1])) < 0 ||
			    (lo = hex(in[i + 2])) < 0 || (hi | lo) == 0)
				return -1;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (c >= '!' && c <= '~') {
			out[o++] = (char)c;
		} else {
			return -1;
		}
	}
	out[o] = '\0';
	return (long)o;
}

/* ref_encoded_len - the length keeper_encode() must write */
static size_t
ref_encoded_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += (*s >= '!' && *s <= '~' && *s != '%') ? 1 : 3;
	return n;
}

/* encode_check - keeper_encode() of s into outlen bytes, decoded back */
static void
encode_check(const char *s, size_t outlen)
{
	size_t want = ref_encoded_len(s), got, i;
	char *out = malloc(outlen > 0 ? outlen : 1), *back;

	check(out != NULL, "out of memory");
	got = keeper_encode(s, out, outlen);
	if (outlen == 0) {
		check(got == 0, "encode: wrote into no room");
		free(out);
		return;
	}
	if (want + 1 > outlen || want == 0) {
		check(got == 0 && out[0] == '\0',
		    "encode: too small, not \"\"");
		free(out);
		return;
	}
	check(got == want && strlen(out) == got, "encode: length");
	for (i = 0; i < got; i++)
		check(out[i] > ' ' && out[i] < 0x7f, "encode: a byte outside "
		    "'!'..'~'");
	back = malloc(strlen(s) + 1);
	check(back != NULL, "out of memory");
	check(keeper_decode(out, got, back, strlen(s) + 1) == 0 &&
	    strcmp(back, s) == 0, "decode(encode(s)) is not s");
	free(back);
	free(out);
}

/*
 * request_check - keeper_parse_request() against the reference, and the
 * canonical form of what it read read back the same
 */
static void
request_check(const char *msg, size_t len)
{
	static struct keeper_request req, again;
	static char key[KEEPER_MSG_MAX + 1], canon[KEEPER_MSG_MAX * 3 + 64];
	static char enc[KEEPER_KEY_MAX * 3];
	struct word w[WORDS_MAX];
	int n, rc, ok = 0, kw = 0;
	long ver, ttl = 0, cap = 0, kl = -1;
	size_t cl;

	n = split(msg, len, w, WORDS_MAX);
	if (n >= 4 && is(&w[0], "HELLO") && number(&w[1], 0, LONG_MAX,
	    &ver) == 0 && ver == KEEPER_VERSION) {
		if (n == 4 && is(&w[2], "GET")) {
			kw = 3;
			ok = 1;
		} else if (n == 7 && is(&w[2], "PUT") &&
		    number(&w[3], 1, TTL_MAX, &ttl) == 0 &&
		    number(&w[4], 0, CAP_MAX, &cap) == 0 &&
		    w[6].len < KEEPER_PROPS_MAX) {
			kw = 5;
			ok = 1;
		}
		if (ok && ((kl = ref_decode(w[kw].p, w[kw].len, key)) < 1 ||
		    kl >= KEEPER_KEY_MAX))
			ok = 0;
	}
	rc = keeper_parse_request(msg, len, &req);
	check((rc == 0) == (ok == 1), rc == 0 ? "request: accepted, the "
	    "reference refuses it" : "request: refused, the reference "
	    "accepts it");
	if (rc != 0)
		return;
	check(memchr(req.key, '\0', sizeof(req.key)) != NULL &&
	    strlen(req.key) == (size_t)kl && strcmp(req.key, key) == 0,
	    "request: key");
	check(memchr(req.props, '\0', sizeof(req.props)) != NULL,
	    "request: props not NUL-terminated");
	if (req.op == KEEPER_OP_GET) {
		check(is(&w[2], "GET") && req.ttl_ms == 0 &&
		    req.max_per_key == 0 && req.props[0] == '\0',
		    "request: GET with PUT's fields");
		check(keeper_encode(req.key, enc, sizeof(enc)) > 0,
		    "request: key does not encode");
		cl = (size_t)snprintf(canon, sizeof(canon), "HELLO %d GET %s",
		    KEEPER_VERSION, enc);
	} else {
		check(req.op == KEEPER_OP_PUT && is(&w[2], "PUT") &&
		    req.ttl_ms == ttl && req.ttl_ms >= 1 &&
		    req.ttl_ms <= TTL_MAX && req.max_per_key == cap &&
		    req.max_per_key >= 0 && req.max_per_key <= CAP_MAX,
		    "request: PUT's TTL or cap");
		check(strlen(req.props) == w[6].len && strchr(req.props,
		    ' ') == NULL && memcmp(req.props, w[6].p, w[6].len) == 0,
		    "request: props are not the word sent");
		check(keeper_encode(req.key, enc, sizeof(enc)) > 0,
		    "request: key does not encode");
		cl = (size_t)snprintf(canon, sizeof(canon),
		    "HELLO %d PUT %ld %d %s %s", KEEPER_VERSION, req.ttl_ms,
		    req.max_per_key, enc, req.props);
	}
	check(cl < sizeof(canon), "request: canonical form too long");
	check(keeper_parse_request(canon, cl, &again) == 0 &&
	    again.op == req.op && again.ttl_ms == req.ttl_ms &&
	    again.max_per_key == req.max_per_key &&
	    strcmp(again.key, req.key) == 0 &&
	    strcmp(again.props, req.props) == 0,
	    "request: canonical form reads back otherwise");
}

/*
 * reply_check - keeper_parse_reply() with key (NULL: none) against the
 * reference, into buffers of propslen and wordlen bytes
 */
static void
reply_check(const char *msg, size_t len, const char *key, size_t propslen,
    size_t wordlen)
{
	static char got_key[KEEPER_MSG_MAX + 1], props[KEEPER_MSG_MAX + 1];
	struct word w[WORDS_MAX];
	char *pb = malloc(propslen > 0 ? propslen : 1);
	char *wb = malloc(wordlen > 0 ? wordlen : 1);
	const char *want = NULL;
	long v, kl, pl = 0;
	int n, rc;

	check(pb != NULL && wb != NULL, "out of memory");
	memset(pb, 'x', propslen);
	memset(wb, 'x', wordlen);
	n = split(msg, len, w, WORDS_MAX);
	if (n >= 4 && is(&w[0], "HELLO") && number(&w[1], 0, LONG_MAX,
	    &v) == 0 && v == KEEPER_VERSION &&
	    number(&w[2], 1, INT_MAX, &v) == 0) {
		if (n == 4 && (is(&w[3], "NONE") || is(&w[3], "OK") ||
		    is(&w[3], "FULL") || is(&w[3], "ERR")))
			want = w[3].len == 4 ? (w[3].p[0] == 'N' ? "NONE" :
			    "FULL") : w[3].len == 2 ? "OK" : "ERR";
		else if (n == 6 && is(&w[3], "FD") && key != NULL &&
		    (kl = ref_decode(w[4].p, w[4].len, got_key)) >= 0 &&
		    kl < KEEPER_KEY_MAX && strcmp(got_key, key) == 0 &&
		    (pl = ref_decode(w[5].p, w[5].len, props)) >= 0 &&
		    (size_t)pl < propslen)
			want = "FD";
		if (want != NULL && strlen(want) >= wordlen)
			want = NULL;
	}
	rc = keeper_parse_reply(msg, len, key, pb, propslen, wb, wordlen);
	check((rc == 0) == (want != NULL), rc == 0 ? "reply: accepted, the "
	    "reference refuses it" : "reply: refused, the reference "
	    "accepts it");
	if (rc == 0) {
		check(strcmp(wb, want) == 0, "reply: word");
		if (strcmp(want, "FD") == 0)
			check(key != NULL && strcmp(pb, props) == 0,
			    "reply: FD's props");
		else if (propslen > 0)
			check(pb[0] == '\0', "reply: props without FD");
	} else if (wordlen > 0) {
		check(wb[0] == '\0', "reply: refused with a word");
	}
	free(pb);
	free(wb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t wordlens[] = { 8, 0, 3, 5 };
	static char key[KEEPER_MSG_MAX + 2], text[KEEPER_MSG_MAX + 1];
	static char dec[KEEPER_MSG_MAX + 1];
	struct word w[WORDS_MAX];
	const char *msg;
	size_t len, propslen, wordlen, declen;
	long kl, dl;
	char *out;
	int rc;

	if (size < 1)
		return 0;
	/* Bits 0-1: the word's buffer; 2-7: props' (63: the full size). */
	wordlen = wordlens[data[0] & 3];
	propslen = (size_t)(data[0] >> 2);
	if (propslen == 63)
		propslen = KEEPER_PROPS_MAX;
	msg = (const char *)data + 1;
	len = size - 1;
	/* keeper_recv() takes KEEPER_MSG_MAX bytes at most. */
	if (len > KEEPER_MSG_MAX)
		len = KEEPER_MSG_MAX;

	request_check(msg, len);

	reply_check(msg, len, NULL, propslen, wordlen);
	/* The key an FD reply names, and another. */
	key[0] = '\0';
	if (split(msg, len, w, WORDS_MAX) >= 5 &&
	    (kl = ref_decode(w[4].p, w[4].len, key)) >= 0) {
		reply_check(msg, len, key, propslen, wordlen);
		key[kl] = 'x';
		key[kl + 1] = '\0';
		reply_check(msg, len, key, propslen, wordlen);
	} else {
		reply_check(msg, len, "k", propslen, wordlen);
	}

	/* keeper_decode() of the whole record, into propslen bytes. */
	declen = propslen;
	out = malloc(declen > 0 ? declen : 1);
	check(out != NULL, "out of memory");
	dl = ref_decode(msg, len, dec);
	rc = keeper_decode(msg, len, out, declen);
	check((rc == 0) == (dl >= 0 && (size_t)dl < declen),
	    "decode: differs from the reference");
	if (rc == 0)
		check(strcmp(out, dec) == 0, "decode: text");
	free(out);

	/* keeper_encode() of the record as a text, cut at a NUL. */
	memcpy(text, msg, len);
	text[len] = '\0';
	encode_check(text, KEEPER_MSG_MAX * 3 + 1);
	encode_check(text, propslen);
	if (dl >= 0)
		encode_check(dec, KEEPER_MSG_MAX * 3 + 1);
	return 0;
}
