/*
 * NAME
 *	log - syslog, file or stderr logging and delivery records
 * SYNOPSIS
 *	#include "log.h"
 *
 *	int log_open(const char *dest, const char *ident, int facility,
 *	    bool verbose, struct relay_result *why);
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
 *	line in the format of Postfix's maillog_file ("Nov 24 23:59:01
 *	host ident[pid]: text"), so concurrent processes never interleave
 *	within a line. log_open() fails with a 4.3.5 result when the file
 *	cannot be opened. Every line is cut at LOG_LINE_MAX bytes and made
 *	printable by printable_fix() (control bytes and bytes that are not
 *	valid UTF-8 never reach the log raw): one event, one line.
 *
 *	log_debug() logs only when verbose was requested (-v).
 *
 *	log_delivery() writes the delivery record of one recipient in
 *	Postfix's field order and spelling:
 *	"QUEUEID: to=<rcpt>, relay=host[addr]:port, conn_use=2, delay=1.2,
 *	delays=0.01/0.3/0.9, dsn=2.0.0, status=sent (250 2.0.0 Ok)";
 *	conn_use appears only when the connection carried more than one
 *	message; delays are name lookups / connection set-up / transfer,
 *	in seconds; a missing queue id is logged as "NOQUEUE".
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
	char	host[256];
} sink = { LOG_DEST_NONE, -1, false, "slimrelay", "localhost" };

/* log_open - choose where log lines go */
int
log_open(const char *dest, const char *ident, int facility, bool verbose,
    struct relay_result *why)
{
	char *dot;
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
	if (gethostname(sink.host, sizeof(sink.host)) != 0)
		snprintf(sink.host, sizeof(sink.host), "localhost");
	sink.host[sizeof(sink.host) - 1] = '\0';
	if ((dot = strchr(sink.host, '.')) != NULL)
		*dot = '\0';
	sink.fd = fd;
	sink.dest = LOG_DEST_FILE;
	return 0;
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
	int n;

	if (sink.dest == LOG_DEST_NONE)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	printable_fix(line);
	switch (sink.dest) {
	case LOG_DEST_SYSLOG:
		syslog(prio, "%s", line);
		return;
	case LOG_DEST_STDERR:
		n = snprintf(out, sizeof(out), "%s: %s\n", sink.ident, line);
		break;
	case LOG_DEST_FILE:
		logtime_stamp(time(NULL), stamp, sizeof(stamp));
		n = snprintf(out, sizeof(out), "%s %s %s[%ld]: %s\n", stamp,
		    sink.host, sink.ident, (long)getpid(), line);
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
 * format_delay - seconds the way Postfix shows them: 0, 0.05, 1.2, 12.
 * Two decimals under 10 s, one under 100 s, none above; trailing zeros
 * dropped. Integer arithmetic: %f would pull printf's floating-point
 * code into every run for one log line.
 */
static void
format_delay(char *buf, size_t len, double s)
{
	unsigned long long v, scale;
	char *p;

	if (!(s >= 0.005)) {		/* also a NaN */
		snprintf(buf, len, "0");
		return;
	}
	if (s > 1e12)
		s = 1e12;		/* bounded: v fits, whatever the clock did */
	scale = s >= 100 ? 1 : s >= 10 ? 10 : 100;
	v = (unsigned long long)(s * (double)scale + 0.5);
	if (scale == 1) {
		snprintf(buf, len, "%llu", v);
		return;
	}
	snprintf(buf, len, scale == 10 ? "%llu.%01llu" : "%llu.%02llu",
	    v / scale, v % scale);
	p = buf + strlen(buf) - 1;
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
	char delay[32], a[32], b[32], c[32], use[32];

	format_delay(delay, sizeof(delay), delay_s);
	format_delay(a, sizeof(a), d != NULL ? d->dns_s : 0);
	format_delay(b, sizeof(b), d != NULL ? d->conn_s : 0);
	format_delay(c, sizeof(c), d != NULL ? d->xfer_s : 0);
	use[0] = '\0';
	if (conn_use > 1)
		snprintf(use, sizeof(use), "conn_use=%d, ", conn_use);
	snprintf(buf, len, "%s: to=<%s>, relay=%s, %sdelay=%s, "
	    "delays=%s/%s/%s, dsn=%s, status=%s (%s)",
	    queue_id != NULL && *queue_id != '\0' ? queue_id : "NOQUEUE",
	    rcpt, r->relay, use, delay, a, b, c, r->status,
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
