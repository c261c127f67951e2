/*
 * NAME
 *	fuzz_session_props - libFuzzer target: a kept session's properties,
 *	smtp_client_adopt() and smtp_client_props() in lib/smtp_client.c
 * DESCRIPTION
 *	Input: the properties text (cut at a NUL, at most PROPS_IN bytes),
 *	as the keeper hands it to a client. A fresh client adopts one end
 *	of a socketpair with it. A reference reading written here (words
 *	at single spaces, each name=value: t, n, size decimal, ext hex, tls
 *	0 or 1, auth, mechs, peer, relay, info %XX-encoded; the last of a
 *	name wins; t, peer and relay required, peer and relay not empty)
 *	says what must be accepted and what the client must then show.
 *	Invariants, any violation abort()s:
 *	- smtp_client_adopt() accepts the text exactly when the reference
 *	  does; a refusal is 4.3.0 and closes the descriptor;
 *	- accepted, the client is open on that descriptor and shows the
 *	  reference's values: relay, peer, extensions, SIZE, TLS, its
 *	  description, messages, connect time, AUTH offers and the
 *	  mechanism used (its wire name, "" for none);
 *	- smtp_client_props() then succeeds into a buffer that any session
 *	  fits, writes words of '!'..'~' only, and what it writes is either
 *	  refused for a buffer of session_cache.c's size or written the same
 *	  there; a second client adopts the text and shows the same values.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "keeper.h"
#include "result.h"
#include "smtp_client.h"

#define PROPS_IN	8192
#define PROPS_BIG	16384	/* every field at its longest, encoded */
#define PROPS_PARK	(KEEPER_PROPS_MAX / 2)	/* session_cache.c's park() */
#define AUTH_NAME_MAX	32	/* smtp_client_adopt()'s auth buffer */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What a client shows of a session. */
struct shown {
	long	connect_ms;
	int	messages;
	unsigned ext;
	unsigned long long size;
	bool	is_tls;
	char	auth[AUTH_NAME_MAX];
	char	mechs[SMTP_AUTH_MECHS_MAX];
	char	peer[RELAY_HOST_MAX];
	char	relay[RELAY_HOST_MAX];
	char	info[RELAY_TEXT_MAX];
};

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_session_props: %s\n", what);
		abort();
	}
}

/* hexval - a hex digit's value, or -1 */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ref_text - decode [v, v + vl) into out (size bytes); 0, or -1 */
static int
ref_text(const char *v, size_t vl, char *out, size_t size)
{
	size_t i, o = 0;
	int hi, lo;
	char c;

	for (i = 0; i < vl; i++) {
		c = v[i];
		if (c == '%') {
			if (vl - i < 3 || (hi = hexval(v[i + 1])) < 0 ||
			    (lo = hexval(v[i + 2])) < 0 || hi + lo == 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c < '!' || c > '~') {
			return -1;
		}
		if (o + 1 >= size)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* ref_number - 1 to 20 digits of base (16: lowercase) up to max */
static int
ref_number(const char *v, size_t vl, int base, unsigned long long max,
    unsigned long long *out)
{
	unsigned __int128 x = 0;
	size_t i;
	int d;

	if (vl < 1 || vl > 20)
		return -1;
	for (i = 0; i < vl; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			d = v[i] - '0';
		else if (base == 16 && v[i] >= 'a' && v[i] <= 'f')
			d = v[i] - 'a' + 10;
		else
			return -1;
		x = x * (unsigned)base + (unsigned)d;
		if (x > max)
			return -1;
	}
	*out = (unsigned long long)x;
	return 0;
}

/* ref_auth - the wire name of a mechanism; NULL for none known */
static const char *
ref_auth(const char *name)
{
	static const char *const mechs[] = { "PLAIN", "LOGIN", "CRAM-MD5" };
	size_t i;

	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (strcasecmp(name, mechs[i]) == 0)
			return mechs[i];
	return NULL;
}

/* ref_read - the reference reading of props; 0, or -1 */
static int
ref_read(const char *props, struct shown *s)
{
	const char *p = props, *e, *eq, *v;
	unsigned long long x;
	unsigned seen = 0;
	size_t nl, vl;
	const char *mech;

	memset(s, 0, sizeof(*s));
	for (;;) {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if ((eq = memchr(p, '=', (size_t)(e - p))) == NULL)
			return -1;
		nl = (size_t)(eq - p);
		v = eq + 1;
		vl = (size_t)(e - v);
#define NAME(n) (nl == strlen(n) && strncmp(p, n, nl) == 0)
		if (NAME("t")) {
			if (ref_number(v, vl, 10, LONG_MAX, &x) != 0)
				return -1;
			s->connect_ms = (long)x;
			seen |= 1;
		} else if (NAME("n")) {
			if (ref_number(v, vl, 10, INT_MAX, &x) != 0)
				return -1;
			s->messages = (int)x;
		} else if (NAME("ext")) {
			if (ref_number(v, vl, 16, 0xffff, &x) != 0)
				return -1;
			s->ext = (unsigned)x;
		} else if (NAME("size")) {
			if (ref_number(v, vl, 10, ULLONG_MAX, &x) != 0)
				return -1;
			s->size = x;
		} else if (NAME("tls")) {
			if (ref_number(v, vl, 10, 1, &x) != 0)
				return -1;
			s->is_tls = x == 1;
		} else if (NAME("auth")) {
			if (ref_text(v, vl, s->auth, sizeof(s->auth)) != 0)
				return -1;
		} else if (NAME("mechs")) {
			if (ref_text(v, vl, s->mechs, sizeof(s->mechs)) != 0)
				return -1;
		} else if (NAME("peer")) {
			if (ref_text(v, vl, s->peer, sizeof(s->peer)) != 0)
				return -1;
			seen |= 2;
		} else if (NAME("relay")) {
			if (ref_text(v, vl, s->relay, sizeof(s->relay)) != 0)
				return -1;
			seen |= 4;
		} else if (NAME("info")) {
			if (ref_text(v, vl, s->info, sizeof(s->info)) != 0)
				return -1;
		} else {
			return -1;
		}
#undef NAME
		if (*e == '\0')
			break;
		p = e + 1;
	}
	if (seen != 7 || s->peer[0] == '\0' || s->relay[0] == '\0')
		return -1;
	if (s->auth[0] != '\0') {
		if ((mech = ref_auth(s->auth)) == NULL)
			return -1;
		snprintf(s->auth, sizeof(s->auth), "%s", mech);
	}
	return 0;
}

/* client_shows - what cl shows */
static void
client_shows(const struct smtp_client *cl, struct shown *s)
{
	memset(s, 0, sizeof(*s));
	s->connect_ms = smtp_client_connect_ms(cl);
	s->messages = smtp_client_messages(cl);
	s->ext = smtp_client_extensions(cl);
	s->size = smtp_client_size_limit(cl);
	s->is_tls = smtp_client_is_tls(cl);
	check(strlen(smtp_client_auth_used(cl)) < sizeof(s->auth) &&
	    strlen(smtp_client_auth_mechs(cl)) < sizeof(s->mechs) &&
	    strlen(smtp_client_peer(cl)) < sizeof(s->peer) &&
	    strlen(smtp_client_relay(cl)) < sizeof(s->relay) &&
	    strlen(smtp_client_tls_info(cl)) < sizeof(s->info),
	    "a text longer than its buffer");
	strcpy(s->auth, smtp_client_auth_used(cl));
	strcpy(s->mechs, smtp_client_auth_mechs(cl));
	strcpy(s->peer, smtp_client_peer(cl));
	strcpy(s->relay, smtp_client_relay(cl));
	strcpy(s->info, smtp_client_tls_info(cl));
}

/* same - two views of a session agree */
static bool
same(const struct shown *a, const struct shown *b)
{
	return a->connect_ms == b->connect_ms && a->messages == b->messages &&
	    a->ext == b->ext && a->size == b->size &&
	    a->is_tls == b->is_tls && strcmp(a->auth, b->auth) == 0 &&
	    strcmp(a->mechs, b->mechs) == 0 &&
	    strcmp(a->peer, b->peer) == 0 &&
	    strcmp(a->relay, b->relay) == 0 && strcmp(a->info, b->info) == 0;
}

/* is_closed - fd is not open */
static bool
is_closed(int fd)
{
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

/*
 * adopt - a new client of opt adopts a socketpair end with props;
 * the client (NULL when refused: checked to be 4.3.0, fd closed) and
 * the other end in *other
 */
static struct smtp_client *
adopt(const struct smtp_options *opt, const char *props, int *other)
{
	struct relay_result why;
	struct smtp_client *cl;
	int sv[2];

	check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0,
	    "socketpair");
	*other = sv[1];
	check((cl = smtp_client_new(opt)) != NULL, "out of memory");
	relay_result_init(&why);
	if (smtp_client_adopt(cl, sv[0], props, &why) != 0) {
		check(strcmp(why.status, "4.3.0") == 0, "refused, not 4.3.0");
		check(is_closed(sv[0]), "refused, descriptor left open");
		check(smtp_client_fd(cl) < 0 && !smtp_client_is_open(cl),
		    "refused, client open");
		smtp_client_free(cl);
		return NULL;
	}
	check(smtp_client_fd(cl) == sv[0] && smtp_client_is_open(cl),
	    "accepted, client not open on the descriptor");
	return cl;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char props[PROPS_IN + 1], big[PROPS_BIG], park[PROPS_PARK];
	static struct shown want, got, again;
	struct smtp_options opt;
	struct smtp_client *cl, *cl2;
	int other, other2, ok, s;
	size_t i;

	if (size > PROPS_IN)
		size = PROPS_IN;
	memcpy(props, data, size);
	props[size] = '\0';
	memset(&opt, 0, sizeof(opt));
	opt.ehlo_name = "client.test";
	for (s = 0; s < SMTP_STAGE_COUNT; s++)
		opt.timeout_ms[s] = 100;
	deadline_none(&opt.deadline);

	ok = ref_read(props, &want) == 0;
	cl = adopt(&opt, props, &other);
	check((cl != NULL) == ok, cl != NULL ? "accepted, the reference "
	    "refuses it" : "refused, the reference accepts it");
	if (cl == NULL) {
		(void)close(other);
		return 0;
	}
	client_shows(cl, &got);
	check(same(&got, &want), "values differ from the reference's");

	check(smtp_client_props(cl, big, sizeof(big)) == 0,
	    "props: no room in a buffer any session fits");
	for (i = 0; big[i] != '\0'; i++)
		check(big[i] > ' ' ? big[i] < 0x7f : big[i] == ' ' &&
		    i > 0 && big[i + 1] != '\0' && big[i + 1] != ' ',
		    "props: not words of '!'..'~'");
	if (smtp_client_props(cl, park, sizeof(park)) == 0)
		check(strcmp(park, big) == 0, "props: differ by buffer");
	else
		check(strlen(big) >= sizeof(park), "props: refused, would fit");

	cl2 = adopt(&opt, big, &other2);
	check(cl2 != NULL, "props: not adopted again");
	client_shows(cl2, &again);
	check(same(&again, &got), "props: adopted again, values differ");
	smtp_client_free(cl2);
	(void)close(other2);
	smtp_client_free(cl);
	(void)close(other);
	return 0;
}
