/*
 * NAME
 *	log - syslog, file or stderr logging and delivery records
 * SYNOPSIS
 *	#include "log.h"
 *
 *	int log_open(const char *dest, const char *ident, int facility,
 *	    bool verbose, struct relay_result *why);
 *	void log_set_host(const char *name);
 *	void log_close(void);
 *	bool log_verbose(void);
 *	void log_info(const char *fmt, ...);
 *	void log_warn(const char *fmt, ...);
 *	void log_err(const char *fmt, ...);
 *	void log_debug(const char *fmt, ...);
 *	void log_delivery(const char *queue_id, const char *rcpt,
 *	    const struct relay_result *r, int conn_use, double delay_s,
 *	    const struct log_delays *delays);
 *	void log_format_delivery(char *buf, size_t len, ...);
 * DESCRIPTION
 *	The log is the one piece of process-wide state in lib/: like
 *	syslog(3) itself, it is opened once by the program and used by
 *	every module. Until log_open() is called, messages go nowhere
 *	(never to stdout: under Postfix pipe(8) and in LMTP mode stdout is
 *	the protocol).
 *
 *	dest is "syslog" (openlog with ident, LOG_PID and facility),
 *	"stderr", or an absolute path, appended to with one write(2) per
 *	line in the format of Postfix's maillog_file (msg_logger.c):
 *	"Nov 05 23:59:01 host ident[pid]: text", the day zero-padded
 *	(logtime.c), so concurrent processes never interleave within a
 *	line. The host is the first label of the system's host name, as
 *	Postfix logs the first label of myhostname (whose default is that
 *	name); log_set_host() replaces it with the first label of name
 *	(ehlo_name, slimrelay's counterpart of myhostname), unless name is
 *	empty or an address literal. ident is syslog_name: "postfix/..."
 *	makes Postfix's log tools count the records (slimrelay(8),
 *	LOGGING). As Postfix's msg_logger.c and msg_syslog.c do, a
 *	warning's text starts "warning: " and an error's "error: ", in
 *	every destination. log_open() fails with a 4.3.5 result when the
 *	file cannot be opened. Every line is cut at LOG_LINE_MAX bytes and
 *	made printable by printable_fix() (control bytes and bytes that are
 *	not valid UTF-8 never reach the log raw): one event, one line.
 *
 *	log_debug() logs only when verbose was requested (-v).
 *
 *	log_delivery() writes the delivery record of one recipient in
 *	Postfix's field order and spelling:
 *	"QUEUEID: to=<rcpt>, relay=host[addr]:port, conn_use=2, delay=1.2,
 *	delays=0/0/0.31/0.9, dsn=2.0.0, status=sent (250 2.0.0 Ok)";
 *	conn_use appears only when the connection carried more than one
 *	message; delays are Postfix's a/b/c/d (log_adhoc.c) as slimrelay
 *	fills them, in seconds: a, before this destination's delivery
 *	began; b, waiting for a connection slot; c, connection set-up with
 *	its name lookups; d, the transfer (see struct log_delays and
 *	slimrelay(8), LOGGING); with delays NULL (a recipient refused
 *	before any delivery) a is the whole delay. Every time is written
 *	as Postfix's format_tv() does with its defaults: two significant
 *	digits and at most two decimals, whole seconds from 10 s on ("0",
 *	"0.01", "0.12", "1.2", "12", "150"). A missing queue id is logged
 *	as "NOQUEUE".
 * SEE ALSO
 *	syslog(3), Postfix log_adhoc.c and maillog_file.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "logtime.h"
#include "printable.h"

#define LOG_LINE_MAX	2048
#define LOG_IDENT_MAX	64

enum log_dest {
	LOG_DEST_NONE,
	LOG_DEST_SYSLOG,
	LOG_DEST_STDERR,
	LOG_DEST_FILE,
};

/* The log sink: process-wide by design (see DESCRIPTION). */
static struct {
	enum log_dest dest;
	int	fd;
	bool	verbose;
	char	ident[LOG_IDENT_MAX];
	char	host[256];		/* first label only */
} sink = { LOG_DEST_NONE, -1, false, "slimrelay", "localhost" };

static void first_label(char *, size_t, const char *);

/* log_open - choose where log lines go */
int
log_open(const char *dest, const char *ident, int facility, bool verbose,
    struct relay_result *why)
{
	char name[256];
	int fd;

	log_close();
	snprintf(sink.ident, sizeof(sink.ident), "%s",
	    ident != NULL && *ident != '\0' ? ident : "slimrelay");
	sink.verbose = verbose;
	if (dest == NULL || strcmp(dest, "syslog") == 0) {
		openlog(sink.ident, LOG_PID, facility);
		sink.dest = LOG_DEST_SYSLOG;
		return 0;
	}
	if (strcmp(dest, "stderr") == 0) {
		sink.dest = LOG_DEST_STDERR;
		return 0;
	}
	if (dest[0] != '/')
		return relay_result_set(why, "4.3.5",
		    "log destination \"%s\" is not syslog, stderr or an "
		    "absolute path", dest);
	fd = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	    0640);
	if (fd < 0)
		return relay_result_set(why, "4.3.5", "cannot open log file "
		    "%s: %s", dest, strerror(errno));
	if (gethostname(name, sizeof(name)) != 0)
		snprintf(name, sizeof(name), "localhost");
	name[sizeof(name) - 1] = '\0';
	first_label(sink.host, sizeof(sink.host), name);
	sink.fd = fd;
	sink.dest = LOG_DEST_FILE;
	return 0;
}

/* log_set_host - the log file's host: name's first label (see above) */
void
log_set_host(const char *name)
{
	if (name != NULL && name[0] != '\0' && name[0] != '[')
		first_label(sink.host, sizeof(sink.host), name);
}

/* first_label - "mail" of "mail.example.com", as msg_logger.c does */
static void
first_label(char *buf, size_t len, const char *name)
{
	size_t n = strcspn(name, ".");

	if (n == 0 || n >= len)
		return;		/* keep what we had */
	memcpy(buf, name, n);
	buf[n] = '\0';
}

/* log_close - stop logging; messages are dropped until log_open */
void
log_close(void)
{
	if (sink.dest == LOG_DEST_SYSLOG)
		closelog();
	if (sink.fd >= 0)
		close(sink.fd);
	sink.fd = -1;
	sink.dest = LOG_DEST_NONE;
}

/* log_verbose - whether -v was given */
bool
log_verbose(void)
{
	return sink.verbose;
}

/* emit - format one line, make it printable and send it to the sink */
static void
emit(int prio, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX], out[LOG_LINE_MAX + 320];
	char stamp[LOGTIME_STAMP_MAX];
	/* Postfix's severity labels; info and debug have none. */
	const char *sev = prio == LOG_WARNING ? "warning: " :
	    prio == LOG_ERR ? "error: " : "";
	int n;

	if (sink.dest == LOG_DEST_NONE)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	printable_fix(line);
	switch (sink.dest) {
	case LOG_DEST_SYSLOG:
		syslog(prio, "%s%s", sev, line);
		return;
	case LOG_DEST_STDERR:
		n = snprintf(out, sizeof(out), "%s: %s%s\n", sink.ident, sev,
		    line);
		break;
	case LOG_DEST_FILE:
		logtime_stamp(time(NULL), stamp, sizeof(stamp));
		n = snprintf(out, sizeof(out), "%s %s %s[%ld]: %s%s\n", stamp,
		    sink.host, sink.ident, (long)getpid(), sev, line);
		break;
	default:
		return;
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(out)) {
		n = sizeof(out) - 1;
		out[n - 1] = '\n';
	}
	/* One write per line: O_APPEND keeps lines whole across processes. */
	if (write(sink.dest == LOG_DEST_FILE ? sink.fd : STDERR_FILENO, out,
	    (size_t)n) < 0) {
		/* Nowhere left to report a logging failure. */
	}
}

#define LOG_FUNC(name, prio, cond)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	if (!(cond))						\
		return;						\
	va_start(ap, fmt);					\
	emit(prio, fmt, ap);					\
	va_end(ap);						\
}

/* log_info, log_warn, log_err, log_debug - one event, one line */
LOG_FUNC(log_info, LOG_INFO, true)
LOG_FUNC(log_warn, LOG_WARNING, true)
LOG_FUNC(log_err, LOG_ERR, true)
LOG_FUNC(log_debug, LOG_DEBUG, sink.verbose)

/*
 * format_delay - seconds the way Postfix's format_tv() shows them with
 * two significant digits and delay_logging_resolution_limit = 2: 0,
 * 0.05, 0.12, 1.2, 12, 150; rounded, trailing zeros dropped. Integer
 * arithmetic on microseconds: %f would pull printf's floating-point
 * code into every run for one log line.
 */
static void
format_delay(char *buf, size_t len, double s)
{
	unsigned long long sec, usec, res, n;
	char *p;

	if (!(s > 0))			/* also a NaN */
		s = 0;
	if (s > 1e12)
		s = 1e12;		/* bounded: fits, whatever the clock did */
	usec = (unsigned long long)(s * 1e6 + 0.5);
	sec = usec / 1000000;
	usec %= 1000000;
	/* The resolution: 0.01 s under 1 s, 0.1 s under 10 s, else 1 s. */
	for (n = 1; sec >= n && n <= 10; n *= 10)
		;
	res = sec > 0 ? 10000 * n : 10000;
	usec += res / 2;
	if (usec >= 1000000) {
		sec++;
		usec -= 1000000;
	}
	if (usec < res || res >= 1000000) {
		snprintf(buf, len, "%llu", sec);
		return;
	}
	snprintf(buf, len, "%llu.%02llu", sec, usec / 10000);
	p = buf + strlen(buf) - 1;
	/* Digits below the resolution and trailing zeros go. */
	if (res == 100000)
		*p-- = '\0';
	while (*p == '0')
		*p-- = '\0';
	if (*p == '.')
		*p = '\0';
}

/* log_format_delivery - the delivery record of one recipient */
void
log_format_delivery(char *buf, size_t len, const char *queue_id,
    const char *rcpt, const struct relay_result *r, int conn_use,
    double delay_s, const struct log_delays *d)
{
	char delay[32], a[32], b[32], c[32], x[32], use[32];

	format_delay(delay, sizeof(delay), delay_s);
	/* Refused before any delivery: all of it came before (Postfix's
	 * "no queue manager" case). */
	format_delay(a, sizeof(a), d != NULL ? d->before_s : delay_s);
	format_delay(b, sizeof(b), d != NULL ? d->wait_s : 0);
	format_delay(c, sizeof(c), d != NULL ? d->conn_s : 0);
	format_delay(x, sizeof(x), d != NULL ? d->xfer_s : 0);
	use[0] = '\0';
	if (conn_use > 1)
		snprintf(use, sizeof(use), "conn_use=%d, ", conn_use);
	snprintf(buf, len, "%s: to=<%s>, relay=%s, %sdelay=%s, "
	    "delays=%s/%s/%s/%s, dsn=%s, status=%s (%s)",
	    queue_id != NULL && *queue_id != '\0' ? queue_id : "NOQUEUE",
	    rcpt, r->relay, use, delay, a, b, c, x, r->status,
	    relay_class_log_status(r->class), r->text);
}

/* log_delivery - log the delivery record of one recipient */
void
log_delivery(const char *queue_id, const char *rcpt,
    const struct relay_result *r, int conn_use, double delay_s,
    const struct log_delays *d)
{
	char buf[LOG_LINE_MAX];

	log_format_delivery(buf, sizeof(buf), queue_id, rcpt, r, conn_use,
	    delay_s, d);
	log_info("%s", buf);
}
