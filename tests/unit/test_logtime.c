/*
 * test_logtime - the log time stamp agrees with glibc's localtime(3) and
 * strftime(3) in real zones from 1900 to 2100, and on each side of every
 * change of offset the files list; built files cover the
 * footer rule, the time before the first transition and versions 1 to
 * 4; every malformed file (each prefix of a good one, bad counts,
 * indexes, offsets, order, leap seconds) is refused, never misread.
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "logtime.h"
#include "unit.h"

#define ZONEINFO	"/usr/share/zoneinfo/"

/* Zones with DST both ways, half and quarter hours, and odd histories. */
static const char *const zones[] = {
	"Etc/UTC", "Europe/Berlin", "America/New_York", "Europe/Dublin",
	"Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns",
	"Pacific/Chatham", "Asia/Kathmandu", "America/Sao_Paulo",
	"Africa/Casablanca", "Pacific/Apia", "Asia/Tokyo",
};

static char tmpdir[] = "/tmp/test_logtime.XXXXXX";

/* read_zone - a zone file into buf; its length, or 0 after a failure */
static size_t
read_zone(const char *name, unsigned char *buf, size_t size)
{
	char path[256];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s%s", ZONEINFO, name);
	if ((fp = fopen(path, "rb")) == NULL) {
		unit_fail(__FILE__, __LINE__, "%s: cannot open it: is tzdata "
		    "installed?", path);
		return 0;
	}
	n = fread(buf, 1, size, fp);
	fclose(fp);
	return n;
}

/* libc_stamp - what glibc says for t in the zone file at path */
static void
libc_stamp(const char *path, time_t t, char *buf, size_t len)
{
	char tz[300];
	struct tm tm;

	snprintf(tz, sizeof(tz), ":%s", path);
	setenv("TZ", tz, 1);
	tzset();
	buf[0] = '\0';
	if (localtime_r(&t, &tm) != NULL)
		strftime(buf, len, "%b %d %H:%M:%S", &tm);
}

/* check_stamp - logtime_stamp() and glibc agree at t */
static int
check_stamp(const char *path, time_t t)
{
	char got[64], want[64];

	logtime_stamp(t, got, sizeof(got));
	libc_stamp(path, t, want, sizeof(want));
	if (strcmp(got, want) != 0) {
		unit_fail(__FILE__, __LINE__, "%s at %lld: got \"%s\", want "
		    "\"%s\"", path, (long long)t, got, want);
		return -1;
	}
	return 0;
}

/* test_logtime_real_zones - real zones, 1900 to 2100, and each change */
static void
test_logtime_real_zones(void)
{
	static unsigned char data[LOGTIME_TZIF_MAX];
	struct logtime_span span;
	char path[256];
	size_t z, len, bad;
	int64_t t;

	for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		snprintf(path, sizeof(path), "%s%s", ZONEINFO, zones[z]);
		if ((len = read_zone(zones[z], data, sizeof(data))) == 0)
			continue;
		logtime_zone_file(path);
		bad = 0;
		/* Every 9 days and 7 hours, and a few seconds apart. */
		for (t = -2208988800LL; t < 4102444800LL && bad < 5;
		    t += 9 * 86400 + 7 * 3600 + 13)
			if (check_stamp(path, (time_t)t) != 0)
				bad++;
		/* The file answers for 1970 in every zone. */
		if (logtime_tzif(data, len, 0, &span) != 0) {
			unit_fail(__FILE__, __LINE__, "%s: the parser cannot "
			    "answer for 1970", path);
			bad++;
		}
		/* Each side of each change the file knows, from 1970 on,
		 * up to its last one (a rule with DST after it is libc's). */
		for (t = 0; t < 4102444800LL && bad < 5; ) {
			if (logtime_tzif(data, len, t, &span) != 0)
				break;
			if (span.from > t || span.until <= t) {
				unit_fail(__FILE__, __LINE__, "%s: %lld is "
				    "not in its span", path, (long long)t);
				bad++;
			}
			if (span.until == INT64_MAX)
				break;
			if (check_stamp(path, (time_t)span.until - 1) != 0 ||
			    check_stamp(path, (time_t)span.until) != 0)
				bad++;
			t = span.until;
		}
		UNIT_ASSERT_INT_EQ(bad, 0);
	}
	logtime_zone_file(NULL);
	unsetenv("TZ");
	tzset();
}

/* The parts of a TZif file the tests build. */
struct tzif {
	int	version;		/* 1 to 4 */
	size_t	ntimes;
	int64_t	times[8];
	unsigned char idx[8];
	size_t	ntypes;
	long	utoff[4];
	unsigned char isdst[4];
	uint32_t leapcnt;
	const char *footer;		/* NULL: none (version 1) */
};

static size_t
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return 4;
}

/* block - a header and its data block, times of tsize bytes */
static size_t
block(const struct tzif *z, size_t tsize, unsigned char *p)
{
	size_t n = 0, i;

	memcpy(p, "TZif", 4);
	p[4] = z->version == 1 ? '\0' : (unsigned char)('0' + z->version);
	memset(p + 5, 0, 15);
	n = 20;
	n += put32(p + n, 0);				/* isutcnt */
	n += put32(p + n, 0);				/* isstdcnt */
	n += put32(p + n, z->leapcnt);
	n += put32(p + n, (uint32_t)z->ntimes);
	n += put32(p + n, (uint32_t)z->ntypes);
	n += put32(p + n, 4);				/* charcnt */
	for (i = 0; i < z->ntimes; i++) {
		if (tsize == 8)
			n += put32(p + n, (uint32_t)((uint64_t)z->times[i] >>
			    32));
		n += put32(p + n, (uint32_t)z->times[i]);
	}
	for (i = 0; i < z->ntimes; i++)
		p[n++] = z->idx[i];
	for (i = 0; i < z->ntypes; i++) {
		n += put32(p + n, (uint32_t)(int32_t)z->utoff[i]);
		p[n++] = z->isdst[i];
		p[n++] = 0;				/* desigidx */
	}
	memcpy(p + n, "XYZ", 4);
	n += 4;
	for (i = 0; i < z->leapcnt; i++) {
		n += put32(p + n, 0);
		if (tsize == 8)
			n += put32(p + n, 0);
		n += put32(p + n, 1);
	}
	return n;
}

/* build - the whole file into p (4 KiB is enough); its length */
static size_t
build(const struct tzif *z, unsigned char *p)
{
	size_t n = block(z, 4, p);

	if (z->version == 1)
		return n;
	n += block(z, 8, p + n);
	n += (size_t)sprintf((char *)p + n, "\n%s\n", z->footer ?
	    z->footer : "");
	return n;
}

/* A zone at +1 h, +2 h in summer from 2000 to 2001, then the footer. */
static const struct tzif two_changes = {
	2, 2, { 954550800, 972781200 }, { 1, 0 }, 2, { 3600, 7200 },
	{ 0, 1 }, 0, "XYZ-1"
};

/* test_logtime_built - spans, the footer, before the first change */
static void
test_logtime_built(void)
{
	unsigned char buf[4096];
	struct logtime_span s;
	struct tzif z;
	size_t len;

	len = build(&two_changes, buf);
	UNIT_ASSERT_INT_EQ(logtime_tzif(buf, len, 954550799, &s), 0);
	UNIT_ASSERT_INT_EQ(s.utoff, 3600);
	UNIT_ASSERT_INT_EQ(s.from == INT64_MIN, 1);
	UNIT_ASSERT_INT_EQ(s.until, 954550800);
	UNIT_ASSERT_INT_EQ(logtime_tzif(buf, len, 954550800, &s), 0);
	UNIT_ASSERT_INT_EQ(s.utoff, 7200);
	UNIT_ASSERT_INT_EQ(s.from, 954550800);
	UNIT_ASSERT_INT_EQ(s.until, 972781200);
	UNIT_ASSERT_INT_EQ(logtime_tzif(buf, len, 2000000000, &s), 0);
	UNIT_ASSERT_INT_EQ(s.utoff, 3600);
	UNIT_ASSERT_INT_EQ(s.until == INT64_MAX, 1);

	/* The footer rules after the last change, in POSIX's sign. */
	z = two_changes;
	z.footer = "<+0530>-5:30";
	len = build(&z, buf);
	UNIT_ASSERT_INT_EQ(logtime_tzif(buf, len, 2000000000, &s), 0);
	UNIT_ASSERT_INT_EQ(s.utoff, 5 * 3600 + 1800);
	z.footer = "<-03>3";
	len = build(&z, buf);
	UNIT_ASSERT_INT_EQ(logtime_tzif(buf, len, 2000000000, &s), 0);
	UNIT_ASSERT_INT_EQ(s.utoff, -3 * 3600);
	/* A rule with DST is libc's to apply; before it, the file answers. */
	z.footer = "CET-1CEST,M3.5.0,M10.5.0/3";
	len = build(&z, buf);
	UNIT_ASSERT_INT_EQ(logtime_tzif(buf, len, 2000000000, &s), -1);
	UNIT_ASSERT_INT_EQ(logtime_tzif(buf, len, 960000000, &s), 0);
	UNIT_ASSERT_INT_EQ(s.utoff, 7200);
	/* No footer: the last type goes on. */
	z.footer = "";
	len = build(&z, buf);
	UNIT_ASSERT_INT_EQ(logtime_tzif(buf, len, 2000000000, &s), 0);
	UNIT_ASSERT_INT_EQ(s.utoff, 3600);

	/* Version 1: 32-bit times and no footer. Versions 3 and 4. */
	z = two_changes;
	z.version = 1;
	len = build(&z, buf);
	UNIT_ASSERT_INT_EQ(logtime_tzif(buf, len, 960000000, &s), 0);
	UNIT_ASSERT_INT_EQ(s.utoff, 7200);
	z.version = 4;
	len = build(&z, buf);
	UNIT_ASSERT_INT_EQ(logtime_tzif(buf, len, 960000000, &s), 0);
	UNIT_ASSERT_INT_EQ(s.utoff, 7200);

	/* Before the first change: the first type without DST. */
	z = two_changes;
	z.idx[0] = 0;
	z.idx[1] = 1;
	z.isdst[0] = 1;
	z.isdst[1] = 0;
	len = build(&z, buf);
	UNIT_ASSERT_INT_EQ(logtime_tzif(buf, len, 0, &s), 0);
	UNIT_ASSERT_INT_EQ(s.utoff, 7200);

	/* No changes at all: one type, whatever the footer says. */
	z = two_changes;
	z.ntimes = 0;
	z.ntypes = 1;
	z.utoff[0] = -4 * 3600;
	len = build(&z, buf);
	UNIT_ASSERT_INT_EQ(logtime_tzif(buf, len, 0, &s), 0);
	UNIT_ASSERT_INT_EQ(s.utoff, -4 * 3600);
	UNIT_ASSERT_INT_EQ(s.from == INT64_MIN && s.until == INT64_MAX, 1);
}

/* refused - logtime_tzif() says -1 for the built file z */
static void
refused(const struct tzif *z, const char *what)
{
	unsigned char buf[4096];
	struct logtime_span s;
	size_t len = build(z, buf);

	/* After the last change: the footer is read too. */
	if (logtime_tzif(buf, len, 2000000000, &s) != -1)
		unit_fail(__FILE__, __LINE__, "%s: not refused", what);
	else
		CU_PASS(what);
}

/* test_logtime_malformed - bad files are refused, whole or in part */
static void
test_logtime_malformed(void)
{
	unsigned char buf[4096], copy[4096];
	struct logtime_span s;
	struct tzif z;
	size_t len, n, bad = 0;

	/* Every strict prefix: nothing outside it is read (ASan watches). */
	len = build(&two_changes, buf);
	for (n = 0; n < len; n++) {
		unsigned char *p = malloc(n ? n : 1);

		memcpy(p, buf, n);
		if (logtime_tzif(p, n, 960000000, &s) != -1)
			bad++;
		free(p);
	}
	UNIT_ASSERT_INT_EQ(bad, 0);

	memcpy(copy, buf, len);
	copy[0] = 'X';					/* magic */
	UNIT_ASSERT_INT_EQ(logtime_tzif(copy, len, 0, &s), -1);
	memcpy(copy, buf, len);
	copy[4] = '5';					/* version */
	UNIT_ASSERT_INT_EQ(logtime_tzif(copy, len, 0, &s), -1);
	memcpy(copy, buf, len);
	put32(copy + 32, 0xffffffffU);			/* timecnt */
	UNIT_ASSERT_INT_EQ(logtime_tzif(copy, len, 0, &s), -1);
	memcpy(copy, buf, len);
	copy[len - 1] = 'x';				/* footer's end */
	UNIT_ASSERT_INT_EQ(logtime_tzif(copy, len, 0, &s), -1);

	z = two_changes;
	z.idx[1] = 2;
	refused(&z, "type index out of range");
	z = two_changes;
	z.times[1] = z.times[0];
	refused(&z, "times not rising");
	z = two_changes;
	z.leapcnt = 1;
	refused(&z, "leap seconds");
	z = two_changes;
	z.utoff[1] = 26 * 3600;
	refused(&z, "offset of 26 hours");
	z = two_changes;
	z.isdst[1] = 2;
	refused(&z, "isdst of 2");
	z = two_changes;
	z.ntypes = 0;
	z.ntimes = 0;
	refused(&z, "no types");
	z = two_changes;
	z.footer = "XY-1";
	refused(&z, "footer name of two letters");
	z.footer = "XYZ";
	refused(&z, "footer without an offset");
	z.footer = "XYZ-1:5";
	refused(&z, "footer minutes of one digit");
	z.footer = "<+01-1";
	refused(&z, "footer name without '>'");
}

/* write_zone - the built file z at tmpdir/name; its path in path */
static void
write_zone(const struct tzif *z, const char *name, char *path, size_t len)
{
	unsigned char buf[4096];
	size_t n = build(z, buf);
	FILE *fp;

	snprintf(path, len, "%s/%s", tmpdir, name);
	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(buf, 1, n, fp) != n || fclose(fp) != 0)
		unit_fail(__FILE__, __LINE__, "cannot write %s", path);
}

/* test_logtime_stamp - the span is kept, and left at its end */
static void
test_logtime_stamp(void)
{
	char path[512], got[LOGTIME_STAMP_MAX];

	write_zone(&two_changes, "two", path, sizeof(path));
	logtime_zone_file(path);
	/* 2000-04-01 01:00:00 UTC is the change: +1 h before, +2 h at. */
	UNIT_ASSERT_INT_EQ(logtime_stamp(954550799, got, sizeof(got)), 15);
	UNIT_ASSERT_STR_EQ(got, "Apr 01 01:59:59");
	logtime_stamp(954550800, got, sizeof(got));
	UNIT_ASSERT_STR_EQ(got, "Apr 01 03:00:00");
	logtime_stamp(954550799, got, sizeof(got));
	UNIT_ASSERT_STR_EQ(got, "Apr 01 01:59:59");
	logtime_stamp(978307199, got, sizeof(got));	/* 2000-12-31 */
	UNIT_ASSERT_STR_EQ(got, "Jan 01 00:59:59");
	/* Leap day, and the end of a year. */
	logtime_stamp(951782400, got, sizeof(got));	/* 2000-02-29 */
	UNIT_ASSERT_STR_EQ(got, "Feb 29 01:00:00");
	/* Too small a buffer: nothing, and an empty string. */
	UNIT_ASSERT_INT_EQ(logtime_stamp(0, got, 15), 0);
	UNIT_ASSERT_STR_EQ(got, "");

	/* A missing file, a directory: libc answers, here from TZ. */
	setenv("TZ", "UTC0", 1);
	tzset();
	logtime_zone_file("/nonexistent/zone");
	logtime_stamp(0, got, sizeof(got));
	UNIT_ASSERT_STR_EQ(got, "Jan 01 00:00:00");
	logtime_zone_file(tmpdir);
	logtime_stamp(0, got, sizeof(got));
	UNIT_ASSERT_STR_EQ(got, "Jan 01 00:00:00");
	unlink(path);
}

/* The threads of test_logtime_threads and what they must print. */
#define THREADS	4
#define ROUNDS	2000
static const time_t spread[] = { 954550799, 954550800, 972781199,
    972781200, 0, 2000000000 };
static char expected[sizeof(spread) / sizeof(spread[0])][LOGTIME_STAMP_MAX];

static void *
stamp_thread(void *arg)
{
	char got[LOGTIME_STAMP_MAX];
	size_t i, *bad = arg;

	/* Each step leaves the span of the last: a reload every time. */
	for (i = 0; i < ROUNDS; i++) {
		size_t k = i % (sizeof(spread) / sizeof(spread[0]));

		logtime_stamp(spread[k], got, sizeof(got));
		if (strcmp(got, expected[k]) != 0)
			(*bad)++;
	}
	return NULL;
}

/* test_logtime_threads - the milter's threads log at the same time */
static void
test_logtime_threads(void)
{
	pthread_t tid[THREADS];
	size_t bad[THREADS] = { 0 }, i, total = 0;
	char path[512];

	write_zone(&two_changes, "threads", path, sizeof(path));
	logtime_zone_file(path);
	for (i = 0; i < sizeof(spread) / sizeof(spread[0]); i++)
		logtime_stamp(spread[i], expected[i], sizeof(expected[i]));
	UNIT_ASSERT_STR_EQ(expected[1], "Apr 01 03:00:00");
	for (i = 0; i < THREADS; i++)
		CU_ASSERT_FATAL(pthread_create(&tid[i], NULL, stamp_thread,
		    &bad[i]) == 0);
	for (i = 0; i < THREADS; i++) {
		pthread_join(tid[i], NULL);
		total += bad[i];
	}
	UNIT_ASSERT_INT_EQ(total, 0);
	logtime_zone_file(NULL);
	unlink(path);
}

/* test_logtime_env - with TZ set, libc reads it; unset, /etc/localtime */
static void
test_logtime_env(void)
{
	static const time_t when[] = { 0, 1000000000, 1711846799,
	    1711846800, 1729990800, 2000000000 };
	char got[64], want[64];
	struct tm tm;
	size_t i;

	logtime_zone_file(NULL);
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	for (i = 0; i < sizeof(when) / sizeof(when[0]); i++) {
		logtime_stamp(when[i], got, sizeof(got));
		localtime_r(&when[i], &tm);
		strftime(want, sizeof(want), "%b %d %H:%M:%S", &tm);
		UNIT_ASSERT_STR_EQ(got, want);
	}
	unsetenv("TZ");
	tzset();
	logtime_zone_file(NULL);
	for (i = 0; i < sizeof(when) / sizeof(when[0]); i++) {
		logtime_stamp(when[i], got, sizeof(got));
		localtime_r(&when[i], &tm);
		strftime(want, sizeof(want), "%b %d %H:%M:%S", &tm);
		UNIT_ASSERT_STR_EQ(got, want);
	}
}

static CU_TestInfo tests[] = {
	{ "real zones against glibc", test_logtime_real_zones },
	{ "built files", test_logtime_built },
	{ "malformed files", test_logtime_malformed },
	{ "stamps and their span", test_logtime_stamp },
	{ "TZ and /etc/localtime", test_logtime_env },
	{ "threads at once", test_logtime_threads },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	int ret;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	ret = unit_run("logtime", tests);
	rmdir(tmpdir);
	return ret;
}
