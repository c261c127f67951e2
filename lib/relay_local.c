/*
 * NAME
 *	relay_local - final delivery on this host: maildrop, dovecot-lda,
 *	a pipe command
 * SYNOPSIS
 *	#include "relay.h"
 *	#include "relay_local.h"
 *
 *	void relay_local_deliver(struct relay_ctx *ctx,
 *	    const struct relay_job *job, const struct route_decision *d,
 *	    bool *pending, struct relay_smtp_stats *stats);
 *	void relay_local_map(enum route_transport t,
 *	    const struct child_status *st, long timeout_ms,
 *	    struct relay_result *r);
 *	void relay_local_reader_init(struct relay_local_reader *r,
 *	    struct msg_stream *ms, const char *sender, const char *rcpt,
 *	    bool add_headers);
 *	ssize_t relay_local_reader_read(void *r, char *buf, size_t len,
 *	    struct relay_result *why);
 * DESCRIPTION
 *	relay_local_deliver() delivers the pending recipients of one
 *	route whose transport is maildrop, dovecot (dovecot-lda) or pipe
 *	(pipe_command): it runs the command once per recipient, in
 *	recipient order, with the arguments of slimrelay.conf expanded for
 *	that recipient (macro.c; never through a shell), the message on
 *	its standard input, under the transport's time limit
 *	(maildrop_timeout; pipe_timeout for dovecot and pipe) and the
 *	run's deadline, whichever ends first (child.c). It sets results[i]
 *	for each pending recipient, with relay "maildrop", "dovecot" or
 *	"pipe", clears pending[i], and adds the time spent to
 *	stats->delays.xfer_s; relay.c logs the delivery records.
 *
 *	The command reads the message as it was queued, in the local
 *	form: LF line ends, no SMTP dot-stuffing (relay_local_reader
 *	undoes what msg_stream does for SMTP; a CRLF of the input becomes
 *	LF, a lone CR stays). For maildrop and dovecot-lda a Return-Path:
 *	header (the envelope sender, "<>" for the null sender) and a
 *	Delivered-To: header (the recipient) come first, like the R and D
 *	flags of the Postfix services that MAILDROP_README and Dovecot's
 *	documentation recommend: maildrop itself adds neither (observed
 *	with Debian's maildrop 2.9.3 delivering to a Maildir). A pipe
 *	command gets the message without them, as pipe(8) without flags.
 *	Like pipe(8)'s D flag, a message whose header already has
 *	"Delivered-To: <the recipient>" is not delivered but bounced
 *	"5.4.6 mail forwarding loop for <recipient>" (maildrop and dovecot
 *	only; the header is read first and the message read again).
 *
 *	relay_local_map() turns how the command ended into a result, the
 *	way Postfix pipe(8) does (pipe_command.c, then bounce_append()),
 *	for all three transports, with one difference:
 *	- past the time limit: transient "4.4.2 ... delivery timed out"
 *	  (pipe(8) bounces 5.3.0 here; we defer, because a hung maildrop
 *	  is usually a locked or slow mailbox, a network file system or a
 *	  stuck filter, and the next attempt tends to succeed: deferring
 *	  never loses mail, bouncing would);
 *	- killed by a signal: transient 4.3.0, whatever it printed;
 *	- exit 0: delivered, "2.0.0"; the output is not examined;
 *	- any other exit, when the output starts with an RFC 3463 code
 *	  followed by whitespace or the end ("5.7.1 rejected", "4.2.0
 *	  busy"): that code is the status and the rest of the output,
 *	  its lines joined, the text. The code's class wins over the exit
 *	  status: "4.2.0" after exit 77 defers, "5.2.2" after exit 75
 *	  bounces, and a "2.X.X" code after a failure bounces as "5.0.0"
 *	  (what bounce_append() makes of it). For maildrop the output
 *	  starts after the courier-authlib noise lines (see below);
 *	- a sysexits(3) code: Postfix's table (sysexits_map.c): 75 and 71
 *	  transient, 67 "5.1.1 user unknown", 64-78 otherwise as the table
 *	  says, with "Command output: <first line>";
 *	- any other exit status: 5.3.0 "Command died with status N".
 *	The first line of output that says something goes into the text;
 *	for maildrop, the "ERR: authdaemon: ..." lines that a maildrop
 *	built with courier-authlib prints on every run when no authdaemond
 *	runs are passed over, so that "Invalid user specified." shows.
 *
 *	relay_local_reader_read() is a child_input reader: up to len
 *	(>= 2) bytes of the headers, then of the message in local form; 0
 *	at the end; -1 with why set when the message cannot be read.
 * SEE ALSO
 *	child.c, macro.c, sysexits_map.c, Postfix pipe(8) and
 *	MAILDROP_README, maildrop(1), dovecot-lda(1).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "child.h"
#include "log.h"
#include "macro.h"
#include "relay.h"
#include "relay_local.h"
#include "sysexits_map.h"

#define AUTHDAEMON_NOISE	"ERR: authdaemon: "
#define LINE_MAX_TEXT		400	/* output shown in a result */
#define HEADER_LINE_MAX		1024	/* longer header lines: not compared */

/* What differs between the three local transports. */
struct local_kind {
	enum route_transport transport;
	const char *name;		/* relay= in the log */
	bool	has_program;		/* path + args; pipe: argv only */
	bool	add_headers;		/* Return-Path, Delivered-To */
	bool	skip_authdaemon;	/* maildrop's courier-authlib noise */
};

static const struct local_kind kinds[] = {
	{ ROUTE_MAILDROP, "maildrop", true, true, true },
	{ ROUTE_DOVECOT, "dovecot", true, true, false },
	{ ROUTE_PIPE, "pipe", false, false, false },
};

static const struct local_kind *find_kind(enum route_transport);
static void deliver_one(struct relay_ctx *, const struct local_kind *,
	    const struct relay_job *, size_t, struct relay_result *);
static const char *skip_noise(const struct local_kind *,
	    const struct child_status *);
static size_t pick_line(const struct local_kind *,
	    const struct child_status *, char *, size_t);
static bool output_status(const char *, const char *, char *, size_t,
	    const char **);
static int check_loop(struct msg_stream *, const char *,
	    struct relay_result *);

/* relay_local_deliver - run the local command for each pending recipient */
void
relay_local_deliver(struct relay_ctx *ctx, const struct relay_job *job,
    const struct route_decision *d, bool *pending,
    struct relay_smtp_stats *stats)
{
	const struct local_kind *kind = find_kind(d->transport);
	const struct envelope *env = job->env;
	struct relay_result *results = job->results;
	long t0;
	size_t i;

	for (i = 0; i < env->nrcpt; i++) {
		if (!pending[i])
			continue;
		t0 = deadline_now_ms();
		if (kind == NULL) {
			/* route.c and this table disagree: our bug. */
			relay_result_set(&results[i], "4.3.5", "no local "
			    "delivery agent for transport %s",
			    route_transport_name(d->transport));
		} else {
			deliver_one(ctx, kind, job, i, &results[i]);
			relay_result_set_relay(&results[i], kind->name);
		}
		pending[i] = false;
		stats->delays.xfer_s += (deadline_now_ms() - t0) / 1000.0;
	}
	stats->conn_use = 0;
}

/* find_kind - the table entry of a local transport, or NULL */
static const struct local_kind *
find_kind(enum route_transport t)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].transport == t)
			return &kinds[i];
	return NULL;
}

/* deliver_one - one recipient: build argv, run the command, map */
static void
deliver_one(struct relay_ctx *ctx, const struct local_kind *kind,
    const struct relay_job *job, size_t i, struct relay_result *r)
{
	const struct envelope *env = job->env;
	struct msg_stream *ms = job->ms;
	const struct config *cfg = ctx->cfg;
	struct macro_values *v = NULL;
	struct macro_argv *av = NULL;
	struct relay_local_reader *rd = NULL;
	struct child_status *st = NULL;
	struct child_input in;
	struct deadline limit;
	const char *program = NULL, *args;
	long timeout_ms;

	switch (kind->transport) {
	case ROUTE_MAILDROP:
		program = cfg->maildrop_path;
		args = cfg->maildrop_args;
		timeout_ms = cfg->maildrop_timeout_ms;
		break;
	case ROUTE_DOVECOT:
		program = cfg->dovecot_lda_path;
		args = cfg->dovecot_lda_args;
		timeout_ms = cfg->pipe_timeout_ms;
		break;
	default:
		args = cfg->pipe_command;
		timeout_ms = cfg->pipe_timeout_ms;
		break;
	}
	if (program == NULL && args[0] == '\0') {
		relay_result_set(r, "4.3.5", "mail for this domain goes to "
		    "pipe_command, which is not set in slimrelay.conf");
		goto out;
	}
	v = malloc(sizeof(*v));
	av = malloc(sizeof(*av));
	rd = malloc(sizeof(*rd));
	st = malloc(sizeof(*st));
	if (v == NULL || av == NULL || rd == NULL || st == NULL) {
		relay_result_set(r, "4.3.0", "out of memory");
		goto out;
	}
	macro_values_set(v, &env->sender, &env->rcpt[i], env->queue_id);
	if (macro_expand(av, program, args, v, r) != 0)
		goto out;
	if (av->argv[0][0] != '/') {
		relay_result_set(r, "4.3.5", "%s command \"%.200s\" is not an "
		    "absolute path", kind->name, av->argv[0]);
		goto out;
	}
	/* Each recipient reads the message from its first byte. */
	if (msg_stream_started(ms) && msg_stream_rewind(ms, r) != 0)
		goto out;
	if (kind->add_headers) {
		if (check_loop(ms, env->rcpt[i].addr, r) != 0)
			goto out;
		if (msg_stream_rewind(ms, r) != 0)
			goto out;
	}
	relay_local_reader_init(rd, ms, v->sender, env->rcpt[i].addr,
	    kind->add_headers);
	in.read = relay_local_reader_read;
	in.arg = rd;
	deadline_in_ms(&limit, timeout_ms);
	limit = deadline_earliest(&limit, &job->deadline);
	/* The run's deadline may leave less: say what the limit was. */
	if (limit.is_set && deadline_remaining_ms(&limit) < timeout_ms)
		timeout_ms = deadline_remaining_ms(&limit);
	log_debug("relay_local: %s: running %s for <%s>", kind->name,
	    av->argv[0], env->rcpt[i].addr);
	if (child_run(av->argv[0], av->argv, &in, &limit, st, r) != 0)
		goto out;
	relay_local_map(kind->transport, st, timeout_ms, r);
out:
	free(v);
	free(av);
	free(rd);
	free(st);
}

/*
 * check_loop - like pipe(8) with flag D: a message that already has
 * "Delivered-To: rcpt" in its header went round in a loop (a forward
 * back to this host): bounce it 5.4.6 rather than deliver it again.
 * Reads the header only; the caller rewinds.
 */
static int
check_loop(struct msg_stream *ms, const char *rcpt, struct relay_result *why)
{
	struct relay_local_reader *rd;
	char line[HEADER_LINE_MAX], chunk[4096];
	const char *v;
	size_t len = 0, k, n;
	bool long_line = false, done = false;
	ssize_t got = 0;
	int ret = 0;

	if ((rd = malloc(sizeof(*rd))) == NULL)
		return relay_result_set(why, "4.3.0", "out of memory");
	relay_local_reader_init(rd, ms, "", rcpt, false);
	while (!done && (got = relay_local_reader_read(rd, chunk,
	    sizeof(chunk), why)) > 0) {
		for (k = 0; k < (size_t)got && !done; k++) {
			if (chunk[k] != '\n') {
				if (len + 1 < sizeof(line))
					line[len++] = chunk[k];
				else
					long_line = true;
				continue;
			}
			line[len] = '\0';
			if (len == 0)
				done = true;	/* the end of the header */
			else if (!long_line && strncasecmp(line,
			    "Delivered-To:", 13) == 0) {
				for (v = line + 13; *v == ' ' || *v == '\t';
				    v++)
					;
				n = strlen(v);
				while (n > 0 && (v[n - 1] == ' ' ||
				    v[n - 1] == '\t' || v[n - 1] == '\r'))
					n--;
				if (n == strlen(rcpt) &&
				    strncasecmp(v, rcpt, n) == 0) {
					ret = relay_result_set(why, "5.4.6",
					    "mail forwarding loop for %s",
					    rcpt);
					done = true;
				}
			}
			len = 0;
			long_line = false;
		}
	}
	if (got < 0)
		ret = -1;
	free(rd);
	return ret;
}

/* relay_local_map - a finished command as a result (see above) */
void
relay_local_map(enum route_transport t, const struct child_status *st,
    long timeout_ms, struct relay_result *r)
{
	const struct local_kind *kind = find_kind(t);
	const char *name = kind != NULL ? kind->name : "local";
	const char *status, *text, *start, *end;
	char line[LINE_MAX_TEXT + 1], code[RELAY_STATUS_MAX];
	bool has_line;
	size_t len;

	has_line = kind != NULL ? pick_line(kind, st, line, sizeof(line)) > 0 :
	    child_first_line(st->output, st->output_len, line,
	    sizeof(line)) > 0;
	/* After success the noise alone is not worth showing. */
	if (has_line && kind != NULL && kind->skip_authdaemon &&
	    st->exited && st->exit_code == 0 && !st->timed_out &&
	    strncmp(line, AUTHDAEMON_NOISE, sizeof(AUTHDAEMON_NOISE) - 1) == 0)
		has_line = false;
	if (st->timed_out) {
		relay_result_set(r, "4.4.2", "%s delivery timed out after "
		    "%.3g s; command killed%s%s%s", name, timeout_ms / 1000.0,
		    has_line ? ": \"" : "", has_line ? line : "",
		    has_line ? "\"" : "");
		return;
	}
	if (!st->exited) {
		relay_result_set(r, "4.3.0", "Command died with signal %d%s%s%s",
		    st->signal, has_line ? ": \"" : "", has_line ? line : "",
		    has_line ? "\"" : "");
		return;
	}
	if (st->exit_code == 0) {
		relay_result_set(r, "2.0.0", "delivered via %s service%s%s%s",
		    name, has_line ? " (" : "", has_line ? line : "",
		    has_line ? ")" : "");
		return;
	}
	start = kind != NULL ? skip_noise(kind, st) : st->output;
	end = st->output + st->output_len;
	if (output_status(start, end, code, sizeof(code), &text)) {
		/* All the output, its lines joined, as pipe(8) shows it. */
		len = (size_t)(end - text);
		while (len > 0 && isspace((unsigned char)text[len - 1]))
			len--;
		if (len == 0) {	/* the code alone: say what the exit said */
			(void)sysexits_map_to_status(st->exit_code, &text);
			len = strlen(text);
		}
		/* bounce_append(): a failure is never a success code. */
		relay_result_set(r, code[0] == '2' ? "5.0.0" : code, "%.*s",
		    (int)len, text);
		return;
	}
	if (st->exit_code >= EX__BASE && st->exit_code <= EX__MAX) {
		status = sysexits_map_to_status(st->exit_code, &text);
		relay_result_set(r, status, "%s%s%s", text,
		    has_line ? ". Command output: " : "", has_line ? line : "");
		return;
	}
	relay_result_set(r, "5.3.0", "Command died with status %d%s%s%s",
	    st->exit_code, has_line ? ": \"" : "", has_line ? line : "",
	    has_line ? "\"" : "");
}

/*
 * skip_noise - where the output says something: for maildrop, after
 * the "ERR: authdaemon: " lines that courier-authlib prints on every
 * run; the output itself when it is only noise or for the others
 */
static const char *
skip_noise(const struct local_kind *kind, const struct child_status *st)
{
	const char *p = st->output, *end = st->output + st->output_len;
	const char *nl, *q;

	while (kind->skip_authdaemon && p < end) {
		for (q = p; q < end && (*q == ' ' || *q == '\t' ||
		    *q == '\r' || *q == '\n'); q++)
			;
		if ((size_t)(end - q) < sizeof(AUTHDAEMON_NOISE) - 1 ||
		    memcmp(q, AUTHDAEMON_NOISE,
		    sizeof(AUTHDAEMON_NOISE) - 1) != 0)
			return p;
		if ((nl = memchr(q, '\n', (size_t)(end - q))) == NULL)
			return st->output;	/* only noise: show it */
		p = nl + 1;
	}
	return p < end ? p : st->output;
}

/* pick_line - the output line worth showing, skipping known noise */
static size_t
pick_line(const struct local_kind *kind, const struct child_status *st,
    char *buf, size_t len)
{
	const char *p = skip_noise(kind, st);

	if (child_first_line(p, st->output_len - (size_t)(p - st->output),
	    buf, len) > 0)
		return strlen(buf);
	/* Nothing after the noise: the noise is all there is to show. */
	return child_first_line(st->output, st->output_len, buf, len);
}

/*
 * output_status - does the output [p, end) start with an RFC 3463 code?
 * Like pipe(8) (dsn_valid()): at its very first byte, class 2, 4 or 5,
 * then whitespace or the end; *text is what follows the whitespace.
 */
static bool
output_status(const char *p, const char *end, char *code, size_t len,
    const char **text)
{
	size_t n;

	for (n = 0; p + n < end && !isspace((unsigned char)p[n]); n++)
		if (n + 1 >= len || n + 1 >= RELAY_STATUS_MAX)
			return false;
	if (n == 0)
		return false;
	memcpy(code, p, n);
	code[n] = '\0';
	if (!relay_status_valid(code))
		return false;
	for (p += n; p < end && isspace((unsigned char)*p); p++)
		;
	*text = p;		/* relay_result_set() makes it one line */
	return true;
}

/* relay_local_reader_init - headers first, then the message from ms */
void
relay_local_reader_init(struct relay_local_reader *r, struct msg_stream *ms,
    const char *sender, const char *rcpt, bool add_headers)
{
	int n = 0;

	r->ms = ms;
	r->hpos = 0;
	r->bol = true;
	r->cr = false;
	if (add_headers)
		n = snprintf(r->head, sizeof(r->head), "Return-Path: <%s>\n"
		    "Delivered-To: %s\n", sender, rcpt);
	/* Addresses are at most ADDRESS_MAX bytes: it always fits. */
	r->hlen = n > 0 && (size_t)n < sizeof(r->head) ? (size_t)n : 0;
}

/* relay_local_reader_read - the message in local form (LF, unstuffed) */
ssize_t
relay_local_reader_read(void *arg, char *buf, size_t len,
    struct relay_result *why)
{
	struct relay_local_reader *r = arg;
	size_t want, out = 0, k;
	ssize_t n;
	char c;

	if (r->hpos < r->hlen) {
		k = r->hlen - r->hpos < len ? r->hlen - r->hpos : len;
		memcpy(buf, r->head + r->hpos, k);
		r->hpos += k;
		return (ssize_t)k;
	}
	while (out == 0 && len >= 2) {
		/* One held CR may come out on top of what is read. */
		want = len - 1 < sizeof(r->wire) ? len - 1 : sizeof(r->wire);
		if ((n = msg_stream_read(r->ms, r->wire, want, why)) < 0)
			return -1;
		if (n == 0) {
			if (r->cr) {
				r->cr = false;
				buf[out++] = '\r';
			}
			break;
		}
		for (k = 0; k < (size_t)n; k++) {
			c = r->wire[k];
			if (r->cr) {
				r->cr = false;
				if (c == '\n') {
					buf[out++] = '\n';
					r->bol = true;
					continue;
				}
				buf[out++] = '\r';
			}
			if (c == '\r') {
				r->cr = true;
				r->bol = false;
				continue;
			}
			if (r->bol && c == '.') {
				/* RFC 5321 4.5.2: undo the transparency dot. */
				r->bol = false;
				continue;
			}
			r->bol = false;
			buf[out++] = c;
		}
	}
	return (ssize_t)out;
}
