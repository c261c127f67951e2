/*
 * NAME
 *	test_relay_local - unit tests for lib/relay_local.c
 * DESCRIPTION
 *	The exit-status mapping table of the three local transports, the
 *	message in local form (LF, unstuffed, with or without Return-Path
 *	and Delivered-To), and whole deliveries through relay_local_deliver
 *	with small shell scripts standing in for maildrop and a pipe
 *	command (the shell is used only by the tests): the argv they get,
 *	the message they read for each of two recipients, a time limit, and
 *	the configuration mistakes.
 */
#include "autoconfig.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "relay.h"
#include "relay_local.h"
#include "unit.h"

static char tmpdir[] = "/tmp/test_relay_local.XXXXXX";

/* st_exit - a child status: exited with code and output */
static void
st_exit(struct child_status *st, int code, const char *output)
{
	memset(st, 0, sizeof(*st));
	st->exited = true;
	st->exit_code = code;
	snprintf(st->output, sizeof(st->output), "%s", output);
	st->output_len = strlen(st->output);
}

/* test_relay_local_map_table - how a command ended -> the result */
static void
test_relay_local_map_table(void)
{
	static const struct {
		enum route_transport t;
		int	code;
		const char *output, *status, *text;
	} cases[] = {
		{ ROUTE_MAILDROP, 0, "", "2.0.0",
		    "delivered via maildrop service" },
		{ ROUTE_MAILDROP, 0, "ERR: authdaemon: s_connect() failed: "
		    "No such file or directory\n", "2.0.0",
		    "delivered via maildrop service" },
		{ ROUTE_MAILDROP, 75, "ERR: authdaemon: s_connect() failed: "
		    "x\n", "4.3.0", "temporary failure. Command output: "
		    "ERR: authdaemon: s_connect() failed: x" },
		{ ROUTE_MAILDROP, 67, "ERR: authdaemon: s_connect() failed: "
		    "x\nERR: authdaemon: s_connect() failed: x\n"
		    "Invalid user specified.\n", "5.1.1",
		    "user unknown. Command output: Invalid user specified." },
		{ ROUTE_MAILDROP, 75, "maildrop: Cannot set my user or group "
		    "id.\n", "4.3.0", "temporary failure. Command output: "
		    "maildrop: Cannot set my user or group id." },
		{ ROUTE_MAILDROP, 71, "", "4.3.0", "system resource problem" },
		{ ROUTE_MAILDROP, 77, "", "5.7.0", "permission denied" },
		{ ROUTE_MAILDROP, 78, "", "5.3.5", "local configuration error" },
		{ ROUTE_MAILDROP, 65, "", "5.6.0", "data format error" },
		{ ROUTE_MAILDROP, 3, "oops\n", "5.3.0",
		    "Command died with status 3: \"oops\"" },
		{ ROUTE_MAILDROP, 100, "", "5.3.0",
		    "Command died with status 100" },
		/* Every local transport reads a status from its output. */
		{ ROUTE_MAILDROP, 1, "5.2.2 mailbox full\n", "5.2.2",
		    "mailbox full" },
		{ ROUTE_MAILDROP, 77, "4.2.0 mailbox busy\n", "4.2.0",
		    "mailbox busy" },
		{ ROUTE_MAILDROP, 75, "5.7.1 refused by the filter\n",
		    "5.7.1", "refused by the filter" },
		{ ROUTE_MAILDROP, 77, "ERR: authdaemon: s_connect() failed: "
		    "x\n5.7.1 no\n", "5.7.1", "no" },
		{ ROUTE_MAILDROP, 0, "5.7.1 no\n", "2.0.0",
		    "delivered via maildrop service (5.7.1 no)" },
		{ ROUTE_DOVECOT, 75, "5.2.2\tquota exceeded\n", "5.2.2",
		    "quota exceeded" },
		{ ROUTE_DOVECOT, 67, "4.3.0", "4.3.0", "user unknown" },
		{ ROUTE_DOVECOT, 75, "lda: quota\n", "4.3.0",
		    "temporary failure. Command output: lda: quota" },
		{ ROUTE_DOVECOT, 67, "", "5.1.1", "user unknown" },
		{ ROUTE_DOVECOT, 0, "", "2.0.0", "delivered via dovecot service" },
		/* pipe: a code at the very start of the output, then a space. */
		{ ROUTE_PIPE, 1, "5.2.2 mailbox full\nmore\n", "5.2.2",
		    "mailbox full more" },
		{ ROUTE_PIPE, 75, "4.2.2 over quota", "4.2.2", "over quota" },
		{ ROUTE_PIPE, 1, "5.1.10 no such domain\n", "5.1.10",
		    "no such domain" },
		{ ROUTE_PIPE, 0, "5.2.2 mailbox full\n", "2.0.0",
		    "delivered via pipe service (5.2.2 mailbox full)" },
		{ ROUTE_PIPE, 1, "550 5.1.1 no\n", "5.3.0",
		    "Command died with status 1: \"550 5.1.1 no\"" },
		{ ROUTE_PIPE, 67, "5.1.1:no\n", "5.1.1",
		    "user unknown. Command output: 5.1.1:no" },
		{ ROUTE_PIPE, 1, "warning\n5.1.1 no\n", "5.3.0",
		    "Command died with status 1: \"warning\"" },
		/* A success code after a failure bounces, as bounce_append. */
		{ ROUTE_PIPE, 1, "2.0.0 fine\n", "5.0.0", "fine" },
		{ ROUTE_PIPE, 1, " 5.1.1 no\n", "5.3.0",
		    "Command died with status 1: \" 5.1.1 no\"" },
		{ ROUTE_PIPE, 1, "5.1.1000 no\n", "5.3.0",
		    "Command died with status 1: \"5.1.1000 no\"" },
		{ ROUTE_PIPE, 1, "9.9.9 odd\n", "5.3.0",
		    "Command died with status 1: \"9.9.9 odd\"" },
	};
	struct child_status st;
	struct relay_result r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st_exit(&st, cases[i].code, cases[i].output);
		relay_result_init(&r);
		relay_local_map(cases[i].t, &st, 10000, &r);
		UNIT_ASSERT_STR_EQ(r.status, cases[i].status);
		UNIT_ASSERT_STR_EQ(r.text, cases[i].text);
	}
}

/* test_relay_local_map_timeout_signal - both defer */
static void
test_relay_local_map_timeout_signal(void)
{
	struct child_status st;
	struct relay_result r;

	st_exit(&st, 0, "filtering...\n");
	st.exited = false;
	st.timed_out = true;
	st.signal = 9;
	relay_result_init(&r);
	relay_local_map(ROUTE_MAILDROP, &st, 10000, &r);
	UNIT_ASSERT_STR_EQ(r.status, "4.4.2");
	UNIT_ASSERT_INT_EQ(r.class, RELAY_TRANSIENT);
	UNIT_ASSERT_STR_EQ(r.text, "maildrop delivery timed out after 10 s; "
	    "command killed: \"filtering...\"");

	st_exit(&st, 0, "");
	st.exited = false;
	st.signal = 11;
	relay_local_map(ROUTE_PIPE, &st, 1500, &r);
	UNIT_ASSERT_STR_EQ(r.status, "4.3.0");
	UNIT_ASSERT_STR_EQ(r.text, "Command died with signal 11");
}

/* local_form - the reader's whole output for message text */
static char *
local_form(const char *text, unsigned flags, bool headers,
    const char *sender)
{
	static char out[8192];
	struct relay_local_reader rd;
	struct relay_result why;
	struct msg_stream *ms;
	size_t n = 0;
	ssize_t k;
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/msg", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return NULL;
	lseek(fd, 0, SEEK_SET);
	relay_result_init(&why);
	ms = msg_stream_new(fd, flags | MSG_STREAM_REPLAY, tmpdir, &why);
	relay_local_reader_init(&rd, ms, sender, "bob@example.org", headers);
	/* Small reads, to cross every boundary. */
	while ((k = relay_local_reader_read(&rd, out + n, 3, &why)) > 0)
		n += (size_t)k;
	out[n] = '\0';
	msg_stream_free(ms);
	close(fd);
	unlink(path);
	return out;
}

/* test_relay_local_reader - LF line ends, no stuffing, the headers */
static void
test_relay_local_reader(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "", "" },
		{ "a\n", "a\n" },
		{ "a", "a\n" },
		{ "a\r\nb\r\n", "a\nb\n" },
		{ ".\n..\n.x\n", ".\n..\n.x\n" },
		{ "x\n.\n", "x\n.\n" },
		{ "lone\rcr\n", "lone\rcr\n" },
		{ "end cr\r", "end cr\r\n" },
		{ "two\r\r\n", "two\r\n" },
		{ "S: t\n\nbody\n..dots\n", "S: t\n\nbody\n..dots\n" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		UNIT_ASSERT_STR_EQ(local_form(cases[i].in, 0, false, "a@b"),
		    cases[i].want);
	UNIT_ASSERT_STR_EQ(local_form("S: x\n\n.b\n", 0, true,
	    "alice@sender.test"), "Return-Path: <alice@sender.test>\n"
	    "Delivered-To: bob@example.org\nS: x\n\n.b\n");
	UNIT_ASSERT_STR_EQ(local_form("S: x\n", 0, true, ""),
	    "Return-Path: <>\nDelivered-To: bob@example.org\nS: x\n");
	UNIT_ASSERT_STR_EQ(local_form("From a@b Mon\nS: x\n",
	    MSG_STREAM_SKIP_FROM, false, ""), "S: x\n");
}

/* write_file - a file with text and mode */
static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL) {
		unit_fail(__FILE__, __LINE__, "cannot write %s", path);
		return;
	}
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
}

/* read_file - a small file's text, or "" */
static const char *
read_file(const char *path)
{
	static char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (fp == NULL)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* A run: configuration, envelope with two recipients, message. */
struct run {
	struct config cfg;
	struct relay_ctx ctx;
	struct relay_job job;
	struct envelope env;
	struct address rcpt[2];
	struct relay_result results[2];
	bool	pending[2];
	struct relay_smtp_stats stats;
	int	fd;
	struct msg_stream *ms;
};

/* run_setup - two recipients, a message with a leading-dot line */
static void
run_setup(struct run *r, const char *sender)
{
	struct relay_result why;
	struct deadline d;
	char path[300];
	const char *msg = "Subject: t\r\n\r\n.dot\r\nlast\r\n";

	memset(r, 0, sizeof(*r));
	config_defaults(&r->cfg);
	r->ctx.cfg = &r->cfg;
	relay_result_init(&why);
	address_parse_sender(&r->env.sender, sender, &why);
	address_parse_rcpt(&r->rcpt[0], "Bob+x@example.org", &why);
	address_parse_rcpt(&r->rcpt[1], "carol@example.org", &why);
	r->env.rcpt = r->rcpt;
	r->env.nrcpt = 2;
	r->env.queue_id = "QID7";
	r->env.size = -1;
	r->pending[0] = r->pending[1] = true;
	relay_result_init(&r->results[0]);
	relay_result_init(&r->results[1]);
	snprintf(path, sizeof(path), "%s/in", tmpdir);
	write_file(path, msg, 0600);
	r->fd = open(path, O_RDONLY);
	r->ms = msg_stream_new(r->fd, MSG_STREAM_REPLAY, tmpdir, &why);
	deadline_in_ms(&d, 20000);
	relay_job_init(&r->job, NULL, &r->env, r->ms, r->results, &d);
}

/* run_deliver - deliver through transport t */
static void
run_deliver(struct run *r, enum route_transport t)
{
	struct route_decision d;

	memset(&d, 0, sizeof(d));
	d.transport = t;
	relay_local_deliver(&r->ctx, &r->job, &d, r->pending, &r->stats);
}

/* run_free - the stream and its file, the configuration */
static void
run_free(struct run *r)
{
	relay_job_fini(&r->job);
	msg_stream_free(r->ms);
	close(r->fd);
	config_fini(&r->cfg);
}

/* test_relay_local_maildrop - argv, headers, message, for each recipient */
static void
test_relay_local_maildrop(void)
{
	char script[300], text[1200], out[300], want[600];
	struct relay_result why;
	struct run r;

	snprintf(script, sizeof(script), "%s/fake-maildrop", tmpdir);
	snprintf(out, sizeof(out), "%s/out", tmpdir);
	snprintf(text, sizeof(text), "#!/bin/sh\n"
	    "{ printf '%%s|' \"$@\"; echo; cat; } >>%s\n"
	    "echo \"ERR: authdaemon: s_connect() failed: x\"\n"
	    "case \"$4\" in carol) echo 'Invalid user specified.'; exit 67;; "
	    "esac\nexit 0\n", out);
	write_file(script, text, 0700);
	unlink(out);
	run_setup(&r, "alice@sender.test");
	relay_result_init(&why);
	UNIT_ASSERT_STR_EQ(r.cfg.maildrop_args, "-f ${sender} -d ${user}");
	UNIT_ASSERT_INT_EQ(config_set(&r.cfg, "maildrop_path", script, &why),
	    0);
	run_deliver(&r, ROUTE_MAILDROP);
	UNIT_ASSERT_STR_EQ(r.results[0].status, "2.0.0");
	UNIT_ASSERT_STR_EQ(r.results[0].relay, "maildrop");
	UNIT_ASSERT_STR_EQ(r.results[1].status, "5.1.1");
	UNIT_ASSERT_STR_EQ(r.results[1].text,
	    "user unknown. Command output: Invalid user specified.");
	UNIT_ASSERT_STR_EQ(r.results[1].relay, "maildrop");
	UNIT_ASSERT_INT_EQ(r.pending[0] || r.pending[1], 0);
	snprintf(want, sizeof(want),
	    "-f|alice@sender.test|-d|bob|\n"
	    "Return-Path: <alice@sender.test>\n"
	    "Delivered-To: Bob+x@example.org\n"
	    "Subject: t\n\n.dot\nlast\n"
	    "-f|alice@sender.test|-d|carol|\n"
	    "Return-Path: <alice@sender.test>\n"
	    "Delivered-To: carol@example.org\n"
	    "Subject: t\n\n.dot\nlast\n");
	UNIT_ASSERT_STR_EQ(read_file(out), want);
	run_free(&r);
	unlink(out);
	unlink(script);
}

/* test_relay_local_dovecot - -f sender -d recipient, headers, exit 75 */
static void
test_relay_local_dovecot(void)
{
	char script[300], text[600], out[300];
	struct relay_result why;
	struct run r;

	snprintf(script, sizeof(script), "%s/fake-lda", tmpdir);
	snprintf(out, sizeof(out), "%s/out", tmpdir);
	snprintf(text, sizeof(text), "#!/bin/sh\n"
	    "{ echo \"$*\"; head -n 2; } >>%s\n"
	    "[ \"$4\" = carol@example.org ] && { echo 'quota'; exit 75; }\n"
	    "exit 0\n", out);
	write_file(script, text, 0700);
	unlink(out);
	run_setup(&r, "alice@sender.test");
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(config_set(&r.cfg, "dovecot_lda_path", script,
	    &why), 0);
	run_deliver(&r, ROUTE_DOVECOT);
	UNIT_ASSERT_STR_EQ(r.results[0].status, "2.0.0");
	UNIT_ASSERT_STR_EQ(r.results[0].relay, "dovecot");
	UNIT_ASSERT_STR_EQ(r.results[1].status, "4.3.0");
	UNIT_ASSERT_STR_EQ(r.results[1].text,
	    "temporary failure. Command output: quota");
	UNIT_ASSERT_STR_EQ(read_file(out),
	    "-f alice@sender.test -d Bob+x@example.org\n"
	    "Return-Path: <alice@sender.test>\n"
	    "Delivered-To: Bob+x@example.org\n"
	    "-f alice@sender.test -d carol@example.org\n"
	    "Return-Path: <alice@sender.test>\n"
	    "Delivered-To: carol@example.org\n");
	run_free(&r);
	unlink(out);
	unlink(script);
}

/* test_relay_local_null_sender - ${sender} is an empty argument */
static void
test_relay_local_null_sender(void)
{
	char script[300], text[600], out[300];
	struct relay_result why;
	struct run r;

	snprintf(script, sizeof(script), "%s/fake-maildrop", tmpdir);
	snprintf(out, sizeof(out), "%s/out", tmpdir);
	snprintf(text, sizeof(text), "#!/bin/sh\n"
	    "{ echo \"$#:$2:\"; head -n 1; } >>%s\n", out);
	write_file(script, text, 0700);
	unlink(out);
	run_setup(&r, "");
	config_set(&r.cfg, "maildrop_path", script, &why);
	r.pending[1] = false;
	run_deliver(&r, ROUTE_MAILDROP);
	UNIT_ASSERT_STR_EQ(r.results[0].status, "2.0.0");
	UNIT_ASSERT_STR_EQ(read_file(out), "4::\nReturn-Path: <>\n");
	run_free(&r);
	unlink(out);
	unlink(script);
}

/* test_relay_local_pipe - pipe_command: no headers, status from output */
static void
test_relay_local_pipe(void)
{
	char script[300], text[600], out[300], cmd[700];
	struct relay_result why;
	struct run r;

	snprintf(script, sizeof(script), "%s/deliver", tmpdir);
	snprintf(out, sizeof(out), "%s/out", tmpdir);
	snprintf(text, sizeof(text), "#!/bin/sh\n"
	    "{ echo \"$*\"; cat; } >>%s\n"
	    "[ \"$2\" = example.org ] || exit 1\n"
	    "case \"$1\" in carol*) echo '5.2.2 mailbox full'; exit 1;; esac\n",
	    out);
	write_file(script, text, 0700);
	unlink(out);
	run_setup(&r, "alice@sender.test");
	snprintf(cmd, sizeof(cmd), "%s ${recipient} ${domain} ${extension} "
	    "${queue_id}", script);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(config_set(&r.cfg, "pipe_command", cmd, &why), 0);
	run_deliver(&r, ROUTE_PIPE);
	UNIT_ASSERT_STR_EQ(r.results[0].status, "2.0.0");
	UNIT_ASSERT_STR_EQ(r.results[0].relay, "pipe");
	UNIT_ASSERT_STR_EQ(r.results[1].status, "5.2.2");
	UNIT_ASSERT_STR_EQ(r.results[1].text, "mailbox full");
	UNIT_ASSERT_STR_EQ(read_file(out),
	    "Bob+x@example.org example.org x QID7\n"
	    "Subject: t\n\n.dot\nlast\n"
	    "carol@example.org example.org  QID7\n"
	    "Subject: t\n\n.dot\nlast\n");
	run_free(&r);
	unlink(out);
	unlink(script);
}

/* test_relay_local_loop - Delivered-To: the recipient already: 5.4.6 */
static void
test_relay_local_loop(void)
{
	char script[300], path[300];
	struct relay_result why;
	struct run r;

	snprintf(script, sizeof(script), "%s/ok", tmpdir);
	write_file(script, "#!/bin/sh\ncat >/dev/null\n", 0700);
	run_setup(&r, "alice@sender.test");
	/* Another message: one that has been delivered to Bob before. */
	msg_stream_free(r.ms);
	close(r.fd);
	snprintf(path, sizeof(path), "%s/in", tmpdir);
	write_file(path, "Received: x\nDelivered-To: someone@else\n"
	    "delivered-to:  bob+X@Example.org \nSubject: t\n\n"
	    "Delivered-To: carol@example.org\n", 0600);
	r.fd = open(path, O_RDONLY);
	r.ms = msg_stream_new(r.fd, MSG_STREAM_REPLAY, tmpdir, &why);
	config_set(&r.cfg, "maildrop_path", script, &why);
	run_deliver(&r, ROUTE_MAILDROP);
	UNIT_ASSERT_STR_EQ(r.results[0].status, "5.4.6");
	UNIT_ASSERT_STR_EQ(r.results[0].text,
	    "mail forwarding loop for Bob+x@example.org");
	/* In the body it does not count. */
	UNIT_ASSERT_STR_EQ(r.results[1].status, "2.0.0");
	run_free(&r);
	unlink(script);
}

/* test_relay_local_timeout - the time limit defers, quickly */
static void
test_relay_local_timeout(void)
{
	char script[300];
	struct relay_result why;
	struct run r;
	long t0;

	snprintf(script, sizeof(script), "%s/slow", tmpdir);
	write_file(script, "#!/bin/sh\necho filtering\nexec sleep 30\n",
	    0700);
	run_setup(&r, "alice@sender.test");
	config_set(&r.cfg, "maildrop_path", script, &why);
	config_set(&r.cfg, "maildrop_timeout", "300ms", &why);
	r.pending[1] = false;
	t0 = deadline_now_ms();
	run_deliver(&r, ROUTE_MAILDROP);
	UNIT_ASSERT_STR_EQ(r.results[0].status, "4.4.2");
	UNIT_ASSERT_STR_EQ(r.results[0].text, "maildrop delivery timed out "
	    "after 0.3 s; command killed: \"filtering\"");
	if (deadline_now_ms() - t0 > 3000)
		unit_fail(__FILE__, __LINE__, "took %ld ms",
		    deadline_now_ms() - t0);
	if (r.stats.delays.xfer_s < 0.25)
		unit_fail(__FILE__, __LINE__, "xfer_s %.3f, want >= 0.3",
		    r.stats.delays.xfer_s);
	run_free(&r);
	unlink(script);
}

/* test_relay_local_config_errors - mistakes defer with 4.3.5 */
static void
test_relay_local_config_errors(void)
{
	static const struct {
		enum route_transport t;
		const char *key, *value, *text;
	} cases[] = {
		{ ROUTE_PIPE, "pipe_command", "",
		    "pipe_command, which is not set" },
		{ ROUTE_PIPE, "pipe_command", "deliver ${recipient}",
		    "is not an absolute path" },
		{ ROUTE_PIPE, "pipe_command", "/bin/true ${rcpt}",
		    "unknown macro ${rcpt}" },
		{ ROUTE_MAILDROP, "maildrop_path", "/nonexistent/maildrop",
		    "cannot execute /nonexistent/maildrop" },
		{ ROUTE_DOVECOT, "dovecot_lda_path", "/nonexistent/lda",
		    "cannot execute /nonexistent/lda" },
	};
	struct relay_result why;
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_setup(&r, "alice@sender.test");
		relay_result_init(&why);
		if (config_set(&r.cfg, cases[i].key, cases[i].value, &why) != 0 &&
		    strcmp(cases[i].key, "pipe_command") == 0) {
			/*
			 * slimrelay.conf refuses an unknown macro already
			 * (slimrelay -t shows it); the relay checks again.
			 */
			UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
			snprintf(r.cfg.pipe_command, sizeof(r.cfg.pipe_command),
			    "%s", cases[i].value);
		}
		run_deliver(&r, cases[i].t);
		UNIT_ASSERT_STR_EQ(r.results[0].status, "4.3.5");
		UNIT_ASSERT_STR_EQ(r.results[1].status, "4.3.5");
		if (strstr(r.results[0].text, cases[i].text) == NULL)
			unit_fail(__FILE__, __LINE__, "text \"%s\" lacks "
			    "\"%s\"", r.results[0].text, cases[i].text);
		run_free(&r);
	}
}

/* setup - a private directory */
static int
setup(void)
{
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

/* cleanup - remove it */
static int
cleanup(void)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/in", tmpdir);
	unlink(path);
	return rmdir(tmpdir);
}

static CU_TestInfo tests[] = {
	{ "test_relay_local_map_table", test_relay_local_map_table },
	{ "test_relay_local_map_timeout_signal",
	    test_relay_local_map_timeout_signal },
	{ "test_relay_local_reader", test_relay_local_reader },
	{ "test_relay_local_maildrop", test_relay_local_maildrop },
	{ "test_relay_local_dovecot", test_relay_local_dovecot },
	{ "test_relay_local_null_sender", test_relay_local_null_sender },
	{ "test_relay_local_pipe", test_relay_local_pipe },
	{ "test_relay_local_loop", test_relay_local_loop },
	{ "test_relay_local_timeout", test_relay_local_timeout },
	{ "test_relay_local_config_errors", test_relay_local_config_errors },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	int rc;

	if (setup() != 0) {
		perror("mkdtemp");
		return 1;
	}
	rc = unit_run("relay_local", tests);
	cleanup();
	return rc;
}
