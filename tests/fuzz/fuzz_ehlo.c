/*
 * NAME
 *	fuzz_ehlo - libFuzzer target: the EHLO reply and its extensions, in
 *	a real smtp_client session
 * DESCRIPTION
 *	Each input line (cut at LF, at most 2000 bytes, at most 99 lines)
 *	becomes one line of a 250 reply to EHLO: "250-" before all but the
 *	last, "250 " before the last. A scripted server (smtp_peer.h) sends
 *	it after its greeting and accepts one message. The client's
 *	parse_ehlo() is static: this drives it through
 *	smtp_client_start_fd(), then checks what the client learnt against
 *	the reply's lines as smtp_reply keeps them (smtp_reply_next_line(),
 *	the client's own view):
 *	- an extension bit is set exactly when a line's keyword (the bytes
 *	  before ' ' or '=', any case) names it and, except for AUTH, is
 *	  not followed by '=';
 *	- smtp_client_size_limit() is the number of the last "SIZE n" line
 *	  when n is a plain decimal number (above 10^18 it may also be 0,
 *	  "no limit"), else 0; never a limit without the SIZE bit;
 *	- smtp_client_auth_mechs() is empty without AUTH, else shorter
 *	  than SMTP_AUTH_MECHS_MAX, single-spaced, made of words that an
 *	  AUTH line offers, and the whole list of the last RFC 4954 AUTH
 *	  line when it is short and not empty;
 *	- then one message of known wire size is sent: over the server's
 *	  SIZE it must fail with 5.3.4 for every recipient and without a
 *	  MAIL command; else MAIL FROM carries SIZE= exactly when SIZE was
 *	  offered, the commands arrive in one write exactly when
 *	  PIPELINING was, and the message is delivered.
 *	Any violation abort()s.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "address.h"
#include "msg_stream.h"
#include "result.h"
#include "smtp_client.h"
#include "smtp_peer.h"
#include "smtp_reply.h"

#define LINE_MAX_IN	2000
#define LINES_MAX_IN	(SMTP_REPLY_LINES_MAX - 1)
#define MESSAGE		"Subject: fuzz\n\nbody\n"
#define WIRE_SIZE	23		/* MESSAGE with CRLF line ends */
#define STAGE_MS	300

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct {
	const char *name;
	unsigned flag;
} keywords[] = {
	{ "PIPELINING", SMTP_EXT_PIPELINING },
	{ "SIZE", SMTP_EXT_SIZE },
	{ "8BITMIME", SMTP_EXT_8BITMIME },
	{ "SMTPUTF8", SMTP_EXT_SMTPUTF8 },
	{ "STARTTLS", SMTP_EXT_STARTTLS },
	{ "AUTH", SMTP_EXT_AUTH },
	{ "ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCEDSTATUSCODES },
	{ "DSN", SMTP_EXT_DSN },
	{ "CHUNKING", SMTP_EXT_CHUNKING },
};

/* What the reply offers, worked out here. */
struct expect {
	unsigned ext;
	const char *size_arg;		/* last "SIZE n" line's n, or NULL */
	const char *auth_args;		/* last RFC 4954 AUTH line's list */
};

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ehlo: %s\n", what);
		abort();
	}
}

/* flag_of - the SMTP_EXT_* bit a keyword of klen bytes names, or 0 */
static unsigned
flag_of(const char *line, size_t klen)
{
	size_t i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strlen(keywords[i].name) == klen &&
		    strncasecmp(line, keywords[i].name, klen) == 0)
			return keywords[i].flag;
	return 0;
}

/* expect_from - what the kept lines offer (the first names the host) */
static void
expect_from(const struct smtp_reply *r, struct expect *e)
{
	const char *line = smtp_reply_next_line(r, NULL);
	size_t klen;
	unsigned f;

	memset(e, 0, sizeof(*e));
	while (line != NULL && (line = smtp_reply_next_line(r, line)) != NULL) {
		klen = strcspn(line, " =");
		if ((f = flag_of(line, klen)) == 0)
			continue;
		if (f != SMTP_EXT_AUTH && line[klen] == '=')
			continue;
		e->ext |= f;
		if (f == SMTP_EXT_SIZE)
			e->size_arg = line + klen;
		if (f == SMTP_EXT_AUTH && line[klen] != '=')
			e->auth_args = line + klen;
	}
}

/* check_size - the limit the client took from the last SIZE line */
static void
check_size(unsigned long long got, const struct expect *e)
{
	const char *p;
	unsigned long long n = 0;
	size_t digits = 0;

	if (!(e->ext & SMTP_EXT_SIZE)) {
		check(got == 0, "a size limit without SIZE");
		return;
	}
	for (p = e->size_arg; *p == ' '; p++)
		;
	/* Leading zeros are no digits of the value's size. */
	for (; *p >= '0' && *p <= '9'; p++) {
		if (digits > 0 || *p != '0')
			digits++;
		if (digits < 19)
			n = n * 10 + (unsigned long long)(*p - '0');
	}
	if (*p != '\0' && *p != ' ') {
		check(got == 0, "a limit from a SIZE line that is no number");
		return;
	}
	if (digits <= 18)
		check(got == n, "SIZE limit differs from the number sent");
	else
		check(got == 0 || got >= 1000000000000000000ULL,
		    "a huge SIZE read as a small limit");
}

/* has_word - does the list of words offer w (wlen bytes)? */
static bool
has_word(const char *list, const char *w, size_t wlen)
{
	size_t n;

	while (*list != '\0') {
		list += strspn(list, " ");
		n = strcspn(list, " ");
		if (n == wlen && memcmp(list, w, n) == 0)
			return true;
		list += n;
	}
	return false;
}

/* check_mechs - the AUTH mechanism list the client kept */
static void
check_mechs(const char *got, const struct smtp_reply *r,
    const struct expect *e)
{
	const char *w, *line;
	char want[SMTP_AUTH_MECHS_MAX * 2];
	size_t n, used = 0;
	bool found;

	check(strlen(got) < SMTP_AUTH_MECHS_MAX, "mechanism list too long");
	if (!(e->ext & SMTP_EXT_AUTH)) {
		check(got[0] == '\0', "mechanisms without AUTH");
		return;
	}
	check(got[0] != ' ' && strstr(got, "  ") == NULL &&
	    (got[0] == '\0' || got[strlen(got) - 1] != ' '),
	    "mechanism list not single-spaced");
	for (w = got; *w != '\0'; w += n + (w[n] == ' ')) {
		n = strcspn(w, " ");
		found = false;
		line = smtp_reply_next_line(r, NULL);
		while (!found && line != NULL &&
		    (line = smtp_reply_next_line(r, line)) != NULL)
			if (flag_of(line, strcspn(line, " =")) ==
			    SMTP_EXT_AUTH)
				found = has_word(line + 4 +
				    (line[4] != '\0'), w, n);
		check(found, "a mechanism no AUTH line offers");
	}
	if (e->auth_args == NULL)
		return;
	/* The last RFC 4954 line wins, whole when it fits. */
	for (w = e->auth_args; *w != '\0'; w += n) {
		w += strspn(w, " ");
		if ((n = strcspn(w, " ")) == 0)
			break;
		if (used + 1 + n >= sizeof(want) - 1)
			return;
		if (used > 0)
			want[used++] = ' ';
		memcpy(want + used, w, n);
		used += n;
	}
	want[used] = '\0';
	/* An empty RFC 4954 list leaves room for an "AUTH=" one. */
	if (used > 0 && used < SMTP_AUTH_MECHS_MAX - 1)
		check(strcmp(got, want) == 0,
		    "mechanisms differ from the last AUTH line");
}

/* build_script - greeting, the EHLO reply from data, then a delivery */
static char *
build_script(const uint8_t *data, size_t size, struct smtp_reply *r,
    size_t *len)
{
	static const char greet[] = "220 mx.example.test ESMTP\r\n";
	static const char rest[] = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "354 go ahead\r\n250 2.0.0 Ok: queued\r\n221 Bye\r\n";
	const char *p = (const char *)data, *end = p + size, *nl;
	char *s, *o;
	size_t n, nlines = 0;

	if ((s = malloc(sizeof(greet) + size + 8 * (LINES_MAX_IN + 1) +
	    sizeof(rest))) == NULL)
		abort();
	o = s;
	memcpy(o, greet, sizeof(greet) - 1);
	o += sizeof(greet) - 1;
	smtp_reply_init(r);
	do {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > LINE_MAX_IN)
			n = LINE_MAX_IN;
		nlines++;
		memcpy(o, nl == NULL || nlines == LINES_MAX_IN ? "250 " :
		    "250-", 4);
		memcpy(o + 4, p, n);
		/* The client's view: our CRLF dropped, the rest kept. */
		if (smtp_reply_add_line(r, o, n + 4) == SMTP_REPLY_BAD)
			abort();
		memcpy(o + 4 + n, "\r\n", 2);
		o += n + 6;
		p = nl != NULL ? nl + 1 : end;
	} while (nl != NULL && nlines < LINES_MAX_IN);
	memcpy(o, rest, sizeof(rest) - 1);
	o += sizeof(rest) - 1;
	*len = (size_t)(o - s);
	return s;
}

/* set_address - an address as address.c makes it from clean input */
static void
set_address(struct address *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->addr, sizeof(a->addr), "%s", text);
	snprintf(a->domain, sizeof(a->domain), "%s", strchr(text, '@') + 1);
	a->local_len = (size_t)(strchr(text, '@') - text);
}

/* check_send - one message, as the offered extensions say */
static void
check_send(struct smtp_client *cl, struct peer *p, const struct expect *e)
{
	struct relay_result why, res[1];
	struct address rcpt;
	struct envelope env;
	struct msg_stream *ms;
	unsigned long long limit = smtp_client_size_limit(cl);
	const char *mail, *nl;
	char want[64];
	size_t i;
	int fd, rc;

	memset(&env, 0, sizeof(env));
	set_address(&env.sender, "sender@example.test");
	set_address(&rcpt, "rcpt@example.test");
	env.rcpt = &rcpt;
	env.nrcpt = 1;
	env.size = -1;
	relay_result_init(&why);
	if ((fd = memfd_create("fuzz", MFD_CLOEXEC)) < 0 ||
	    write(fd, MESSAGE, WIRE_SIZE - 3) != WIRE_SIZE - 3 ||
	    lseek(fd, 0, SEEK_SET) != 0 ||
	    (ms = msg_stream_new(fd, 0, NULL, &why)) == NULL)
		abort();
	rc = smtp_client_send(cl, &env, ms, res, &why);
	msg_stream_free(ms);
	close(fd);
	smtp_client_quit(cl);
	peer_join(p);	/* everything it read is in p->got */

	mail = strstr(p->got, "MAIL FROM:");
	if ((e->ext & SMTP_EXT_SIZE) && limit > 0 && WIRE_SIZE > limit) {
		check(rc == 0 && strcmp(res[0].status, "5.3.4") == 0,
		    "a message over SIZE not refused with 5.3.4");
		check(mail == NULL, "MAIL sent for a message over SIZE");
		return;
	}
	check(rc == 0 && res[0].class == RELAY_OK, "message not delivered");
	check(mail != NULL && (nl = strchr(mail, '\n')) != NULL,
	    "no MAIL command");
	snprintf(want, sizeof(want), " SIZE=%d", WIRE_SIZE);
	check(((e->ext & SMTP_EXT_SIZE) != 0) ==
	    (memmem(mail, (size_t)(nl - mail), want, strlen(want)) != NULL),
	    "SIZE= in MAIL FROM, and SIZE offered, disagree");
	check(memmem(mail, (size_t)(nl - mail), "BODY=", 5) == NULL,
	    "BODY= for a 7-bit message");
	/* The read that brought MAIL also brought DATA: pipelined. */
	for (i = 0; i + 1 < p->nread &&
	    p->got + p->read_off[i + 1] <= mail; i++)
		;
	nl = i + 1 < p->nread ? p->got + p->read_off[i + 1] :
	    p->got + p->got_len;
	check(((e->ext & SMTP_EXT_PIPELINING) != 0) ==
	    (memmem(mail, (size_t)(nl - mail), "\r\nDATA\r\n", 8) != NULL),
	    "commands grouped, and PIPELINING offered, disagree");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtp_reply r;
	struct relay_result why;
	struct smtp_options o;
	struct smtp_client *cl;
	struct expect e;
	struct peer p;
	char *script;
	size_t len;
	int s;

	if (size > LINES_MAX_IN * (LINE_MAX_IN + 1))
		return 0;
	script = build_script(data, size, &r, &len);
	expect_from(&r, &e);
	memset(&o, 0, sizeof(o));
	o.ehlo_name = "client.example.test";
	for (s = 0; s < SMTP_STAGE_COUNT; s++)
		o.timeout_ms[s] = STAGE_MS;
	deadline_none(&o.deadline);
	peer_start(&p, script, len);
	if ((cl = smtp_client_new(&o)) == NULL)
		abort();
	relay_result_init(&why);
	check(smtp_client_start_fd(cl, p.client_fd, "mx.example.test",
	    "192.0.2.1", 25, &why) == 0, "a 250 EHLO reply refused");
	check(smtp_client_extensions(cl) == e.ext,
	    "extensions differ from the keywords offered");
	check_size(smtp_client_size_limit(cl), &e);
	check_mechs(smtp_client_auth_mechs(cl), &r, &e);
	check_send(cl, &p, &e);
	smtp_client_free(cl);
	peer_finish(&p);
	free(script);
	return 0;
}
