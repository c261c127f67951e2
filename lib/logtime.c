/*
 * NAME
 *	logtime - the local time stamp of a log file line
 * SYNOPSIS
 *	#include "logtime.h"
 *
 *	size_t logtime_stamp(time_t t, char *buf, size_t len);
 *	void logtime_zone_file(const char *path);
 *	int logtime_tzif(const unsigned char *data, size_t len, int64_t t,
 *	    struct logtime_span *span);
 * DESCRIPTION
 *	logtime_stamp() writes t as local time the way Postfix's
 *	maillog_file shows it, "Nov 05 03:49:43" (msg_logger.c formats
 *	"%b %d %H:%M:%S": the day zero-padded, where syslog pads with a
 *	space; C locale month names), into buf
 *	(LOGTIME_STAMP_MAX bytes are enough) and returns its length, or 0
 *	when buf is too small.
 *
 *	The offset from UTC comes from the system's time zone file,
 *	/etc/localtime, read with one read(2) and kept for as long as it
 *	holds (until the next change of offset). A transport logs a
 *	line or two and exits; localtime(3) would load its zone through
 *	stdio and bring in strftime(3) for them. Whenever the file cannot
 *	answer alone, logtime_stamp() uses localtime_r(3) and strftime(3)
 *	and the answer is theirs: when TZ is set in the environment, when
 *	the file is missing, malformed, larger than LOGTIME_TZIF_MAX or
 *	has leap seconds, and when t lies beyond the file's last
 *	transition and its footer rule has daylight saving time. It
 *	answers as glibc's localtime(3) does, the time before the first
 *	transition included.
 *
 *	Both functions may be called from several threads at once.
 *
 *	logtime_zone_file() makes logtime_stamp() read path instead of
 *	/etc/localtime, whatever TZ says (NULL: back to the system's
 *	zone), and forgets what it had read; for the tests.
 *
 *	logtime_tzif() is the parser: it finds in a time zone file (RFC
 *	8536, versions 1 to 4) the offset from UTC at t and the span in
 *	which that offset holds. It returns 0, or -1 when the data is
 *	not a well-formed file or cannot answer for t without a rule
 *	with daylight saving time. It reads nothing outside data[0..len).
 * SEE ALSO
 *	RFC 8536 (TZif), tzfile(5), localtime(3).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logtime.h"

#define TZIF_HEADER	44
#define UTOFF_MIN	(-89999L)	/* RFC 8536: -25 h < offset < 26 h */
#define UTOFF_MAX	93599L

/*
 * The zone of this process, read once and kept while it holds; the
 * milter logs from several threads, so it is read and changed under
 * the lock.
 */
static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	bool	loaded;			/* a lookup was made */
	bool	native;			/* the file cannot answer: libc */
	struct logtime_span span;
	char	path[256];		/* "" = /etc/localtime */
} zone;

/* The counts of one TZif header. */
struct tzif_counts {
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static void	load(time_t);
static bool	read_zone(const char *, unsigned char **, size_t *);
static bool	header(const unsigned char *, size_t, struct tzif_counts *,
		    int *);
static bool	block_size(const struct tzif_counts *, size_t, size_t,
		    size_t *);
static uint32_t	be32(const unsigned char *);
static int64_t	be64(const unsigned char *);
static bool	footer_offset(const char *, size_t, long *);
static size_t	format_stamp(int64_t, char *, size_t);

/* logtime_stamp - "Nov 25 03:49:43" for t, in local time */
size_t
logtime_stamp(time_t t, char *buf, size_t len)
{
	struct tm tm;
	bool native;
	long utoff;
	size_t n;

	pthread_mutex_lock(&zone_lock);
	if (!zone.loaded || (!zone.native && ((int64_t)t < zone.span.from ||
	    (int64_t)t >= zone.span.until)))
		load(t);
	native = zone.native;
	utoff = zone.span.utoff;
	pthread_mutex_unlock(&zone_lock);
	/* Far from now, t + utoff could overflow: libc has the answer. */
	if (!native && (int64_t)t > -((int64_t)1 << 56) &&
	    (int64_t)t < (int64_t)1 << 56)
		return format_stamp((int64_t)t + utoff, buf, len);
	if (localtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, len, "%b %d %H:%M:%S", &tm)) == 0) {
		if (len > 0)
			buf[0] = '\0';
		return 0;
	}
	return n;
}

/* logtime_zone_file - read path, not /etc/localtime; NULL: the default */
void
logtime_zone_file(const char *path)
{
	pthread_mutex_lock(&zone_lock);
	memset(&zone, 0, sizeof(zone));
	if (path != NULL)
		snprintf(zone.path, sizeof(zone.path), "%s", path);
	pthread_mutex_unlock(&zone_lock);
}

/* load - find the offset at t in the zone file, or fall back to libc;
 * with zone_lock held */
static void
load(time_t t)
{
	unsigned char *data = NULL;
	size_t len;

	zone.loaded = true;
	zone.native = true;
	/* TZ names a zone or a rule of its own: libc knows how to read it. */
	if (zone.path[0] == '\0' && getenv("TZ") != NULL)
		return;
	if (read_zone(zone.path[0] != '\0' ? zone.path : "/etc/localtime",
	    &data, &len) && logtime_tzif(data, len, (int64_t)t,
	    &zone.span) == 0)
		zone.native = false;
	free(data);
}

/*
 * read_zone - the file at path, into memory of its size (a zone file
 * is a few KiB at most: no bigger buffer is touched)
 */
static bool
read_zone(const char *path, unsigned char **data, size_t *len)
{
	struct stat st;
	size_t size;
	ssize_t n;
	int fd;

	*data = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return false;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
	    st.st_size > LOGTIME_TZIF_MAX)
		goto fail;
	/* One byte more than the size: a file that grew is refused. */
	size = (size_t)st.st_size + 1;
	if ((*data = malloc(size)) == NULL)
		goto fail;
	while (*len < size) {
		if ((n = read(fd, *data + *len, size - *len)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	if (*len == size)
		goto fail;
	close(fd);
	return true;
fail:
	close(fd);
	return false;
}

/* logtime_tzif - the offset at t and where it holds, from TZif data */
int
logtime_tzif(const unsigned char *data, size_t len, int64_t t,
    struct logtime_span *span)
{
	struct tzif_counts c;
	const unsigned char *times, *idx, *types, *end;
	size_t off = 0, size, tsize = 4, i, n;
	const char *foot = NULL;
	size_t foot_len = 0;
	int version;
	uint32_t type;
	long utoff, rule;

	if (!header(data, len, &c, &version) ||
	    !block_size(&c, 4, len, &size) || size > len - TZIF_HEADER)
		return -1;
	if (version >= 2) {
		/* Skip the 32-bit block: the 64-bit one says it all. */
		off = TZIF_HEADER + size;
		if (!header(data + off, len - off, &c, &version) ||
		    !block_size(&c, 8, len, &size) ||
		    size > len - off - TZIF_HEADER)
			return -1;
		tsize = 8;
		end = data + off + TZIF_HEADER + size;
		/* The footer: "\n" TZ-string "\n". */
		n = len - (size_t)(end - data);
		if (n < 2 || end[0] != '\n')
			return -1;
		foot = (const char *)end + 1;
		if ((end = memchr(foot, '\n', n - 1)) == NULL)
			return -1;
		foot_len = (size_t)((const char *)end - foot);
	}
	/* Leap seconds shift every time after them: leave those to libc. */
	if (c.typecnt == 0 || c.leapcnt != 0)
		return -1;
	times = data + off + TZIF_HEADER;
	idx = times + (size_t)c.timecnt * tsize;
	types = idx + c.timecnt;
	for (i = 0; i < c.typecnt; i++) {
		utoff = (long)(int32_t)be32(types + 6 * i);
		if (utoff <= UTOFF_MIN || utoff >= UTOFF_MAX ||
		    types[6 * i + 4] > 1)
			return -1;
	}

	/* n: the transitions at or before t. Times must go up. */
	for (n = 0, i = 0; i < c.timecnt; i++) {
		int64_t at = tsize == 8 ? be64(times + 8 * i) :
		    (int64_t)(int32_t)be32(times + 4 * i);

		if (idx[i] >= c.typecnt)
			return -1;
		if (i > 0 && at <= (tsize == 8 ? be64(times + 8 * (i - 1)) :
		    (int64_t)(int32_t)be32(times + 4 * (i - 1))))
			return -1;
		if (at <= t)
			n = i + 1;
	}
	span->from = INT64_MIN;
	span->until = INT64_MAX;
	if (n > 0)
		span->from = tsize == 8 ? be64(times + 8 * (n - 1)) :
		    (int64_t)(int32_t)be32(times + 4 * (n - 1));
	if (n < c.timecnt)
		span->until = tsize == 8 ? be64(times + 8 * n) :
		    (int64_t)(int32_t)be32(times + 4 * n);
	if (n > 0)
		type = idx[n - 1];
	else {
		/* Before the first transition, or none: as glibc does, the
		 * first type without DST (RFC 8536 says type 0, which is
		 * that type in every file tzdata makes). */
		for (type = 0; type < c.typecnt && types[6 * type + 4]; type++)
			continue;
		if (type == c.typecnt)
			type = 0;
	}
	span->utoff = (long)(int32_t)be32(types + 6 * type);

	/* From the last transition on, the footer rules, if there is one. */
	if (n > 0 && n == c.timecnt && foot_len > 0) {
		if (!footer_offset(foot, foot_len, &rule))
			return -1;
		span->utoff = rule;
	}
	return 0;
}

/* header - check the magic and read the counts; version 1 to 4 */
static bool
header(const unsigned char *p, size_t len, struct tzif_counts *c,
    int *version)
{
	if (len < TZIF_HEADER || memcmp(p, "TZif", 4) != 0)
		return false;
	if (p[4] == '\0')
		*version = 1;
	else if (p[4] >= '2' && p[4] <= '4')
		*version = p[4] - '0';
	else
		return false;
	c->isutcnt = be32(p + 20);
	c->isstdcnt = be32(p + 24);
	c->leapcnt = be32(p + 28);
	c->timecnt = be32(p + 32);
	c->typecnt = be32(p + 36);
	c->charcnt = be32(p + 40);
	return true;
}

/* block_size - bytes of the data block after a header, at most len */
static bool
block_size(const struct tzif_counts *c, size_t tsize, size_t len,
    size_t *size)
{
	/* Each count is checked against len first: no sum can overflow. */
	if (c->isutcnt > len || c->isstdcnt > len || c->leapcnt > len ||
	    c->timecnt > len || c->typecnt > len || c->charcnt > len)
		return false;
	*size = (size_t)c->timecnt * (tsize + 1) + (size_t)c->typecnt * 6 +
	    c->charcnt + (size_t)c->leapcnt * (tsize + 4) + c->isstdcnt +
	    c->isutcnt;
	return true;
}

/* be32, be64 - big-endian integers */
static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/*
 * footer_offset - the offset of a footer rule without daylight saving
 * time: "UTC0", "JST-9", "<+0530>-5:30". A rule with a DST part (or
 * anything this does not read) is false: libc must apply it.
 */
static bool
footer_offset(const char *s, size_t len, long *utoff)
{
	const char *end = s + len;
	long h = 0, m = 0, sec = 0, sign = 1;
	size_t n = 0;

	if (s < end && *s == '<') {
		while (++s < end && *s != '>')
			n++;
		if (s == end)
			return false;
		s++;
	} else {
		for (; s < end && ((*s >= 'A' && *s <= 'Z') ||
		    (*s >= 'a' && *s <= 'z')); s++)
			n++;
	}
	if (n < 3 || s == end)
		return false;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (s == end || *s < '0' || *s > '9')
		return false;
	for (n = 0; s < end && *s >= '0' && *s <= '9' && n < 3; s++, n++)
		h = h * 10 + (*s - '0');
	if (s < end && *s == ':') {
		for (s++, n = 0; s < end && *s >= '0' && *s <= '9' && n < 2;
		    s++, n++)
			m = m * 10 + (*s - '0');
		if (n != 2 || m > 59)
			return false;
		if (s < end && *s == ':') {
			for (s++, n = 0; s < end && *s >= '0' && *s <= '9' &&
			    n < 2; s++, n++)
				sec = sec * 10 + (*s - '0');
			if (n != 2 || sec > 59)
				return false;
		}
	}
	if (s != end || h > 24)
		return false;	/* a DST part follows, or junk */
	/* POSIX offsets count west of UTC. */
	*utoff = -sign * (h * 3600 + m * 60 + sec);
	return true;
}

/* format_stamp - "Nov 05 03:49:43" for local seconds since the epoch */
static size_t
format_stamp(int64_t local, char *buf, size_t len)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t days, secs, z, era, doe, yoe, doy, mp;
	int n;

	days = local / 86400;
	secs = local % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* Days since 1970-01-01 to month and day (proleptic Gregorian). */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	n = snprintf(buf, len, "%s %02d %02d:%02d:%02d",
	    months[mp < 10 ? mp + 2 : mp - 10],
	    (int)(doy - (153 * mp + 2) / 5 + 1), (int)(secs / 3600),
	    (int)(secs / 60 % 60), (int)(secs % 60));
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}
