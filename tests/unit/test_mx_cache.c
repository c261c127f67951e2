/*
 * test_mx_cache - the MX cache against a real name server (ldns-testns
 * serving tests/data/dns/mx.data, see testns.h), with a state directory
 * made for the run and a clock the tests move.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "dns.h"
#include "dns_mx.h"
#include "mx_cache.h"
#include "result.h"
#include "testns.h"
#include "unit.h"

#define BASE_PORT	53831	/* test_dns_mx: 53731 */
#define T0		1700000000	/* the fake clock's start */

static struct testns server;
static char top[512];		/* the run's temporary directory */
static char state[600];		/* the state directory of a test */
static time_t clock_now = T0;
static int state_count;

/* The outcome of one cached lookup, flattened for assertions. */
struct outcome {
	int	rc;
	bool	hit;
	struct relay_result why;
	struct dns_mx_list list;
	char	text[4096];
	unsigned queries;
};

/* fake_clock - the tests' clock */
static time_t
fake_clock(void *arg)
{
	return *(const time_t *)arg;
}

/* new_state - a fresh, empty state directory for one test */
static void
new_state(void)
{
	snprintf(state, sizeof(state), "%s/state%d", top, ++state_count);
	if (mkdir(state, 0700) != 0)
		unit_fail(__FILE__, __LINE__, "mkdir %s: %s", state,
		    strerror(errno));
	clock_now = T0;
}

/* new_cache - a cache in the state directory on the fake clock */
static struct mx_cache *
new_cache(uint32_t max_ttl_s, uint32_t max_negative_ttl_s)
{
	struct mx_cache *c;

	c = mx_cache_new(state, max_ttl_s, max_negative_ttl_s);
	mx_cache_set_clock(c, fake_clock, &clock_now);
	mx_cache_set_seed(c, 1);
	return c;
}

/* run - one cached lookup with a fresh handle of cfg */
static void
run(struct mx_cache *c, const struct config *cfg, const char *domain,
    const struct dns_mx_self *self, struct outcome *o)
{
	struct dns *d;

	memset(o, 0, sizeof(*o));
	relay_result_init(&o->why);
	if ((d = dns_new(cfg)) == NULL) {
		unit_fail(__FILE__, __LINE__, "dns_new failed");
		o->rc = -2;
		return;
	}
	o->rc = mx_cache_lookup(c, d, domain, 25, self, &o->list, &o->hit,
	    &o->why);
	o->queries = dns_queries(d);
	dns_mx_format(&o->list, o->text, sizeof(o->text));
	dns_free(d);
}

/* lookup - run() with the test server */
static void
lookup(struct mx_cache *c, const char *domain, struct outcome *o)
{
	struct config cfg;

	testns_config(&server, &cfg);
	run(c, &cfg, domain, NULL, o);
	config_fini(&cfg);
}

/* path_of - the cache file of a domain */
static const char *
path_of(const char *domain)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "%s/mx/%s", state, domain);
	return buf;
}

/* read_whole - a file into buf; its length, or -1 */
static ssize_t
read_whole(const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	while ((size_t)got < len &&
	    (n = read(fd, buf + got, len - (size_t)got)) > 0)
		got += n;
	close(fd);
	return got;
}

/* write_whole - replace a file with buf, mode */
static void
write_whole(const char *path, const char *buf, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) < 0 ||
	    write(fd, buf, len) != (ssize_t)len)
		unit_fail(__FILE__, __LINE__, "write %s: %s", path,
		    strerror(errno));
	if (fd >= 0)
		close(fd);
	chmod(path, mode);
}

/* verdict_of - what the cache file of domain holds now */
static enum mx_cache_verdict
verdict_of(const char *domain, struct dns_mx_list *list)
{
	static char buf[MX_CACHE_FILE_MAX + 1];
	struct dns_mx_list scratch;
	struct relay_result why;
	ssize_t n;

	n = read_whole(path_of(domain), buf, sizeof(buf));
	if (n < 0)
		return MX_CACHE_DAMAGED;
	return mx_cache_parse(buf, (size_t)n, domain, CONFIG_ADDR_ANY,
	    clock_now, MX_CACHE_LIMIT_S, 25, list != NULL ? list : &scratch,
	    &why);
}

/* exists - is there such a file? */
static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* fnv - FNV-1a 64, written again here to seal crafted files */
static unsigned long long
fnv(const char *p, size_t len)
{
	unsigned long long h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* seal - body plus its checksum line, into buf */
static size_t
seal(const char *body, char *buf, size_t len)
{
	return (size_t)snprintf(buf, len, "%schecksum %016llx\n", body,
	    fnv(body, strlen(body)));
}

/* test_mx_cache_hit_makes_no_query - a fresh file: zero queries */
static void
test_mx_cache_hit_makes_no_query(void)
{
	struct mx_cache *c;
	struct outcome o;
	struct stat st;
	char first[4096];

	new_state();
	c = new_cache(MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	lookup(c, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_INT_EQ(o.hit, 0);
	UNIT_ASSERT_INT_EQ(o.queries, 7);
	snprintf(first, sizeof(first), "%s", o.text);

	/* The directory and the file are ours alone. */
	UNIT_ASSERT_INT_EQ(lstat(path_of(""), &st), 0);
	UNIT_ASSERT_INT_EQ(S_ISDIR(st.st_mode), 1);
	UNIT_ASSERT_INT_EQ(st.st_mode & 0777, 0700);
	UNIT_ASSERT_INT_EQ(lstat(path_of("sorted.test"), &st), 0);
	UNIT_ASSERT_INT_EQ(S_ISREG(st.st_mode), 1);
	UNIT_ASSERT_INT_EQ(st.st_mode & 0777, 0600);
	UNIT_ASSERT_INT_EQ(verdict_of("sorted.test", NULL),
	    MX_CACHE_POSITIVE);

	lookup(c, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_INT_EQ(o.hit, 1);
	UNIT_ASSERT_INT_EQ(o.queries, 0);
	UNIT_ASSERT_STR_EQ(o.text, first);
	UNIT_ASSERT_INT_EQ(o.list.ttl, 300);
	UNIT_ASSERT_STR_EQ(o.list.domain, "sorted.test");

	/* Later, what is left of the lifetime; any spelling. */
	clock_now += 100;
	lookup(c, "SORTED.test.", &o);
	UNIT_ASSERT_INT_EQ(o.hit, 1);
	UNIT_ASSERT_INT_EQ(o.queries, 0);
	UNIT_ASSERT_INT_EQ(o.list.ttl, 200);
	UNIT_ASSERT_STR_EQ(o.text,
	    "MX 10 mx1.test 192.0.2.1 ttl=200\n"
	    "MX 10 mx1.test 2001:db8::1 ttl=200\n"
	    "MX 20 mx2.test 192.0.2.2 ttl=200\n"
	    "MX 30 mx3.test 192.0.2.3 ttl=200\n");

	/* Another process (another handle) sees it too. */
	mx_cache_free(c);
	c = new_cache(MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	clock_now = T0 + 10;
	lookup(c, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(o.hit, 1);
	UNIT_ASSERT_INT_EQ(o.queries, 0);
	mx_cache_free(c);
}

/* test_mx_cache_expiry - asked again once the TTL is over */
static void
test_mx_cache_expiry(void)
{
	struct mx_cache *c;
	struct outcome o;

	new_state();
	c = new_cache(MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	lookup(c, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(o.hit, 0);
	clock_now = T0 + 299;
	lookup(c, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(o.hit, 1);
	UNIT_ASSERT_INT_EQ(o.list.ttl, 1);
	clock_now = T0 + 300;
	lookup(c, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_INT_EQ(o.hit, 0);
	UNIT_ASSERT_INT_EQ(o.queries, 7);
	/* Stored again, from now. */
	clock_now = T0 + 599;
	lookup(c, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(o.hit, 1);
	UNIT_ASSERT_INT_EQ(o.list.ttl, 1);

	/* The cap of positive answers. */
	mx_cache_free(c);
	new_state();
	c = new_cache(100, MX_CACHE_NEGATIVE_TTL_MAX_S);
	lookup(c, "sorted.test", &o);
	clock_now = T0 + 99;
	lookup(c, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(o.hit, 1);
	clock_now = T0 + 100;
	lookup(c, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(o.hit, 0);
	mx_cache_free(c);

	/* A cap of 0: positive answers are not kept at all. */
	new_state();
	c = new_cache(0, MX_CACHE_NEGATIVE_TTL_MAX_S);
	lookup(c, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(exists(path_of("sorted.test")), 0);
	lookup(c, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(o.hit, 0);
	UNIT_ASSERT_INT_EQ(o.queries, 7);
	mx_cache_free(c);
}

/* test_mx_cache_shuffle_on_hit - equal preferences mixed on hits */
static void
test_mx_cache_shuffle_on_hit(void)
{
	struct mx_cache *c;
	struct outcome o;
	int first_mx1 = 0, first_mx2 = 0, i;

	new_state();
	c = new_cache(MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	lookup(c, "equal.test", &o);
	UNIT_ASSERT_INT_EQ(o.hit, 0);
	for (i = 0; i < 100; i++) {
		lookup(c, "equal.test", &o);
		UNIT_ASSERT_INT_EQ(o.hit, 1);
		UNIT_ASSERT_INT_EQ(o.queries, 0);
		UNIT_ASSERT_STR_EQ(o.list.host[2].name, "mx3.test");
		if (strcmp(o.list.host[0].name, "mx1.test") == 0)
			first_mx1++;
		else if (strcmp(o.list.host[0].name, "mx2.test") == 0)
			first_mx2++;
	}
	if (first_mx1 < 25 || first_mx2 < 25)
		unit_fail(__FILE__, __LINE__, "mx1 first %d times, mx2 %d "
		    "times, of 100", first_mx1, first_mx2);
	/* The file keeps answer order: shuffling is per use. */
	UNIT_ASSERT_INT_EQ(verdict_of("equal.test", &o.list),
	    MX_CACHE_POSITIVE);
	UNIT_ASSERT_STR_EQ(o.list.host[0].name, "mx1.test");
	mx_cache_free(c);
}

/* negative_case - a permanent failure, cached for ttl seconds */
static void
negative_case(struct mx_cache *c, const char *domain, const char *status,
    const char *text, time_t ttl)
{
	struct outcome o;

	clock_now = T0;
	lookup(c, domain, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_INT_EQ(o.hit, 0);
	UNIT_ASSERT_STR_EQ(o.why.status, status);
	if (text != NULL)
		UNIT_ASSERT_STR_EQ(o.why.text, text);
	lookup(c, domain, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_INT_EQ(o.hit, 1);
	UNIT_ASSERT_INT_EQ(o.queries, 0);
	UNIT_ASSERT_STR_EQ(o.why.status, status);
	UNIT_ASSERT_INT_EQ(o.why.class, RELAY_PERMANENT);
	if (text != NULL)
		UNIT_ASSERT_STR_EQ(o.why.text, text);
	UNIT_ASSERT_INT_EQ(o.list.nhost, 0);
	clock_now = T0 + ttl - 1;
	lookup(c, domain, &o);
	UNIT_ASSERT_INT_EQ(o.hit, 1);
	clock_now = T0 + ttl;
	lookup(c, domain, &o);
	UNIT_ASSERT_INT_EQ(o.hit, 0);
	UNIT_ASSERT_INT_EQ(o.queries >= 1, 1);
	UNIT_ASSERT_STR_EQ(o.why.status, status);
}

/* test_mx_cache_negative - RFC 2308 lifetimes and the cap */
static void
test_mx_cache_negative(void)
{
	struct mx_cache *c;
	struct outcome o;

	new_state();
	c = new_cache(MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	negative_case(c, "nx.test", "5.4.4", "Host or domain name not found. "
	    "Name service error for name=nx.test type=MX: Host not found",
	    120);
	negative_case(c, "nx-soattl.test", "5.4.4", NULL, 60);
	negative_case(c, "nx-big.test", "5.4.4", NULL,
	    MX_CACHE_NEGATIVE_TTL_MAX_S);
	negative_case(c, "nullmx.test", "5.1.10", "Domain nullmx.test does "
	    "not accept mail (nullMX)", 900);
	negative_case(c, "noaddr.test", "5.4.4", NULL, 200);
	negative_case(c, "implicit-none.test", "5.4.4", NULL, 120);
	negative_case(c, "allbad.test", "5.4.4", NULL, 600);

	/* No SOA: not cached (RFC 2308 section 5). */
	clock_now = T0;
	lookup(c, "nx-nosoa.test", &o);
	UNIT_ASSERT_STR_EQ(o.why.status, "5.4.4");
	UNIT_ASSERT_INT_EQ(exists(path_of("nx-nosoa.test")), 0);
	lookup(c, "nx-nosoa.test", &o);
	UNIT_ASSERT_INT_EQ(o.hit, 0);
	UNIT_ASSERT_INT_EQ(o.queries, 1);
	mx_cache_free(c);

	/* Another cap. */
	new_state();
	c = new_cache(MX_CACHE_TTL_MAX_S, 1000);
	negative_case(c, "nx-big.test", "5.4.4", NULL, 1000);
	mx_cache_free(c);

	/* A cap of 0: no negative caching. */
	new_state();
	c = new_cache(MX_CACHE_TTL_MAX_S, 0);
	lookup(c, "nx.test", &o);
	lookup(c, "nx.test", &o);
	UNIT_ASSERT_INT_EQ(o.hit, 0);
	UNIT_ASSERT_INT_EQ(exists(path_of("nx.test")), 0);
	mx_cache_free(c);
}

/* test_mx_cache_transient_not_cached - 4.x.x and TTL 0 never stored */
static void
test_mx_cache_transient_not_cached(void)
{
	static const char *domains[] = {
		"servfail-mx.test",	/* 4.4.3 */
		"noaddr-transient.test",	/* 4.4.3 from a host */
		"skip-transient.test",	/* a list without the best host */
		"zero-ttl.test",	/* TTL 0 */
	};
	struct mx_cache *c;
	struct outcome o;
	unsigned first;
	size_t i;

	new_state();
	c = new_cache(MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		lookup(c, domains[i], &o);
		UNIT_ASSERT_INT_EQ(o.hit, 0);
		first = o.queries;
		UNIT_ASSERT_INT_EQ(exists(path_of(domains[i])), 0);
		lookup(c, domains[i], &o);
		UNIT_ASSERT_INT_EQ(o.hit, 0);
		UNIT_ASSERT_INT_EQ(o.queries, first);
	}
	/* A stale file that cannot be replaced is removed. */
	lookup(c, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(exists(path_of("sorted.test")), 1);
	{
		char buf[MX_CACHE_FILE_MAX + 1];
		ssize_t n = read_whole(path_of("sorted.test"), buf,
		    sizeof(buf));

		UNIT_ASSERT_INT_EQ(n > 0, 1);
		write_whole(path_of("servfail-mx.test"), buf, (size_t)n,
		    0600);
	}
	lookup(c, "servfail-mx.test", &o);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.4.3");
	UNIT_ASSERT_INT_EQ(exists(path_of("servfail-mx.test")), 0);
	mx_cache_free(c);
}

/* test_mx_cache_loop_on_hit - loop detection after the cache */
static void
test_mx_cache_loop_on_hit(void)
{
	struct relay_result why;
	struct dns_mx_self self;
	struct dns_mx_list file;
	struct mx_cache *c;
	struct config cfg;
	struct outcome o;
	int i;

	new_state();
	c = new_cache(MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	dns_mx_self_init(&self);
	dns_mx_self_add(&self, "127.0.0.1", &why);
	testns_config(&server, &cfg);
	for (i = 0; i < 2; i++) {
		run(c, &cfg, "loop.test", &self, &o);
		UNIT_ASSERT_INT_EQ(o.rc, 0);
		UNIT_ASSERT_INT_EQ(o.hit, i);
		UNIT_ASSERT_INT_EQ(o.list.nhost, 1);
		UNIT_ASSERT_STR_EQ(o.list.host[0].name, "mx1.test");
	}
	/* The file has what DNS said, ourselves included. */
	UNIT_ASSERT_INT_EQ(verdict_of("loop.test", &file), MX_CACHE_POSITIVE);
	UNIT_ASSERT_INT_EQ(file.nhost, 3);
	/* Without loop detection (not port 25), all three. */
	run(c, &cfg, "loop.test", NULL, &o);
	UNIT_ASSERT_INT_EQ(o.hit, 1);
	UNIT_ASSERT_INT_EQ(o.list.nhost, 3);

	for (i = 0; i < 2; i++) {
		run(c, &cfg, "loopbest.test", &self, &o);
		UNIT_ASSERT_INT_EQ(o.rc, -1);
		UNIT_ASSERT_INT_EQ(o.hit, i);
		UNIT_ASSERT_STR_EQ(o.why.status, "5.4.6");
		UNIT_ASSERT_STR_EQ(o.why.text, "mail for loopbest.test loops "
		    "back to myself");
	}
	mx_cache_free(c);
	config_fini(&cfg);
}

/* The usual start of a crafted file for d.test, and a short list. */
#define HEAD	"slimrelay-mx-cache 2\ndomain d.test\npreference any\n" \
		"expires 1700000300\n"
#define HOST1	"host 10 mx.test 1 off -\naddr 192.0.2.1 300\n"
#define MX1	"mx 0 10 1 off\n" HOST1

/* test_mx_cache_parse_rejects - anything but an exact file is damage */
static void
test_mx_cache_parse_rejects(void)
{
	static const struct {
		const char *body;
		enum mx_cache_verdict want;
	} cases[] = {
		/* The good ones, to show that the frame is right. */
		{ HEAD MX1, MX_CACHE_POSITIVE },
		{ HEAD "fail 5.4.4 gone\n", MX_CACHE_NEGATIVE },
		{ HEAD "mx 0 10 1 secure\nhost 10 mx.test 1 insecure -\n"
		    "addr 192.0.2.1 300\n", MX_CACHE_POSITIVE },
		/* DNSSEC asked for the MX answer, not for its hosts. */
		{ HEAD "mx 0 10 1 secure\nhost 10 mx.test 1 off -\n"
		    "addr 192.0.2.1 300\n", MX_CACHE_DAMAGED },
		{ HEAD "mx 0 10 1 valid\n" HOST1, MX_CACHE_DAMAGED },
		/* A CNAME target, canonical only. */
		{ HEAD "mx 0 10 1 secure\nhost 10 mx.test 1 secure "
		    "real.mx.test\naddr 192.0.2.1 300\n", MX_CACHE_POSITIVE },
		{ HEAD "mx 0 10 1 secure\nhost 10 mx.test 1 secure "
		    "Real.mx.test\naddr 192.0.2.1 300\n", MX_CACHE_DAMAGED },
		{ HEAD "mx 0 10 1 secure\nhost 10 mx.test 1 secure "
		    "real!.test\naddr 192.0.2.1 300\n", MX_CACHE_DAMAGED },
		/* Another version, preference or time: stale. */
		{ "slimrelay-mx-cache 1\ndomain d.test\npreference any\n"
		    "expires 1700000300\nfail 5.4.4 gone\n", MX_CACHE_STALE },
		{ "slimrelay-mx-cache 2\ndomain d.test\npreference ipv6\n"
		    "expires 1700000300\nfail 5.4.4 gone\n", MX_CACHE_STALE },
		{ "slimrelay-mx-cache 2\ndomain d.test\npreference any\n"
		    "expires 1700000000\nfail 5.4.4 gone\n", MX_CACHE_STALE },
		{ "slimrelay-mx-cache 2\ndomain d.test\n"
		    "preference ipv4_only\nexpires 1700000300\n"
		    "mx 0 10 1 off\nhost 10 mx.test 1 off -\naddr 2001:db8::1 300\n",
		    MX_CACHE_STALE },
		/* Damage in the header. */
		{ "slimrelay-mx-cachE 1\ndomain d.test\npreference any\n"
		    "expires 1700000300\nfail 5.4.4 gone\n", MX_CACHE_DAMAGED },
		{ "slimrelay-mx-cache 2\ndomain e.test\npreference any\n"
		    "expires 1700000300\nfail 5.4.4 gone\n", MX_CACHE_DAMAGED },
		{ "slimrelay-mx-cache 2\ndomain d.test\npreference some\n"
		    "expires 1700000300\nfail 5.4.4 gone\n", MX_CACHE_DAMAGED },
		{ "slimrelay-mx-cache 2\ndomain d.test\npreference any\n"
		    "expires 1800000000\nfail 5.4.4 gone\n", MX_CACHE_DAMAGED },
		{ "slimrelay-mx-cache 2\ndomain d.test\npreference any\n"
		    "expires 01700000300\nfail 5.4.4 gone\n",
		    MX_CACHE_DAMAGED },
		{ "slimrelay-mx-cache 2\ndomain d.test\npreference any\n"
		    "expires 99999999999999999999\nfail 5.4.4 gone\n",
		    MX_CACHE_DAMAGED },
		{ HEAD, MX_CACHE_DAMAGED },
		{ "", MX_CACHE_DAMAGED },
		/* Damage in a failure. */
		{ HEAD "fail 4.4.3 later\n", MX_CACHE_DAMAGED },
		{ HEAD "fail 5.4 gone\n", MX_CACHE_DAMAGED },
		{ HEAD "fail 5.4.4 gone\nmore\n", MX_CACHE_DAMAGED },
		/* Damage in a list. */
		{ HEAD "mx 0 10 99999 off\nhost 10 mx.test 1 off -\n"
		    "addr 192.0.2.1 300\n", MX_CACHE_DAMAGED },
		{ HEAD "mx 0 10 0 off\n", MX_CACHE_DAMAGED },
		{ HEAD "mx 0 10 1 off\nhost 10 mx.test 33 off -\naddr 192.0.2.1 300\n",
		    MX_CACHE_DAMAGED },
		{ HEAD "mx 0 10 2 off\n" HOST1, MX_CACHE_DAMAGED },
		{ HEAD MX1 "addr 192.0.2.2 300\n", MX_CACHE_DAMAGED },
		{ HEAD "mx 0 10 1 off\nhost 10 mx.test 1 off -\naddr 999.0.2.1 300\n",
		    MX_CACHE_DAMAGED },
		{ HEAD "mx 0 10 1 off\nhost 10 mx.test 1 off -\naddr 2001:DB8::1 300\n",
		    MX_CACHE_DAMAGED },
		{ HEAD "mx 0 10 1 off\nhost 10 mx.test 1 off -\n"
		    "addr 192.0.2.1 4294967295\n", MX_CACHE_DAMAGED },
		{ HEAD "mx 0 10 1 off\nhost 10 MX.test 1 off -\naddr 192.0.2.1 300\n",
		    MX_CACHE_DAMAGED },
		{ HEAD "mx 0 10 1 off\nhost 10 bad!.test 1 off -\naddr 192.0.2.1 300\n",
		    MX_CACHE_DAMAGED },
		{ HEAD "mx 0 10 1 off\nhost 9 mx.test 1 off -\naddr 192.0.2.1 300\n",
		    MX_CACHE_DAMAGED },
		{ HEAD "mx 0 10 2 off\nhost 20 mx.test 1 off -\naddr 192.0.2.1 300\n"
		    "host 10 mx2.test 1 off -\naddr 192.0.2.2 300\n",
		    MX_CACHE_DAMAGED },
		{ HEAD "mx 1 0 1 off\nhost 0 mx.test 1 off -\naddr 192.0.2.1 300\n",
		    MX_CACHE_DAMAGED },
		{ HEAD "mx 0 10 1 off\nhost 10 mx.test 1 \naddr 192.0.2.1 300\n",
		    MX_CACHE_DAMAGED },
		{ HEAD "mx 0 10 1 off\nhost 10  mx.test 1\naddr 192.0.2.1 300\n",
		    MX_CACHE_DAMAGED },
		{ HEAD "mx 0 65536 1 off\nhost 65536 mx.test 1 off -\n"
		    "addr 192.0.2.1 300\n", MX_CACHE_DAMAGED },
	};
	char buf[4096], big[MX_CACHE_FILE_MAX + 64];
	struct dns_mx_list list;
	struct relay_result why;
	enum mx_cache_verdict v;
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = seal(cases[i].body, buf, sizeof(buf));
		v = mx_cache_parse(buf, n, "d.test", CONFIG_ADDR_ANY, T0,
		    86400, 25, &list, &why);
		if (v != cases[i].want)
			unit_fail(__FILE__, __LINE__, "case %zu: got %s, want "
			    "%s", i, mx_cache_verdict_name(v),
			    mx_cache_verdict_name(cases[i].want));
		else
			CU_PASS("verdict");
		if (v != MX_CACHE_POSITIVE)
			UNIT_ASSERT_INT_EQ(list.nhost + list.naddr, 0);
	}
	/* A good body without its checksum, or with a wrong one. */
	n = (size_t)snprintf(buf, sizeof(buf), "%schecksum %016llx\n",
	    cases[0].body, fnv(cases[0].body, strlen(cases[0].body)) ^ 1);
	UNIT_ASSERT_INT_EQ(mx_cache_parse(buf, n, "d.test", CONFIG_ADDR_ANY,
	    T0, 86400, 25, &list, &why), MX_CACHE_DAMAGED);
	n = strlen(cases[0].body);
	UNIT_ASSERT_INT_EQ(mx_cache_parse(cases[0].body, n, "d.test",
	    CONFIG_ADDR_ANY, T0, 86400, 25, &list, &why), MX_CACHE_DAMAGED);
	/* Too big, even if otherwise fine. */
	memset(big, 'x', sizeof(big));
	UNIT_ASSERT_INT_EQ(mx_cache_parse(big, sizeof(big), "d.test",
	    CONFIG_ADDR_ANY, T0, 86400, 25, &list, &why), MX_CACHE_DAMAGED);
	/* A NUL inside. */
	n = seal(cases[1].body, buf, sizeof(buf));
	buf[30] = '\0';
	UNIT_ASSERT_INT_EQ(mx_cache_parse(buf, n, "d.test", CONFIG_ADDR_ANY,
	    T0, 86400, 25, &list, &why), MX_CACHE_DAMAGED);
	UNIT_ASSERT_STR_EQ(mx_cache_verdict_name(MX_CACHE_STALE), "stale");
}

/* test_mx_cache_round_trip - what is written reads back the same */
static void
test_mx_cache_round_trip(void)
{
	char buf[MX_CACHE_FILE_MAX + 1], small[64];
	struct dns_mx_list list, back;
	struct relay_result why, why2;
	struct config cfg;
	struct dns *d;
	size_t n, i;

	testns_config(&server, &cfg);
	d = dns_new(&cfg);
	UNIT_ASSERT_INT_EQ(dns_mx_lookup(d, "bigaddr.test", 25, &list, &why),
	    0);
	n = mx_cache_format(buf, sizeof(buf), "bigaddr.test", CONFIG_ADDR_ANY,
	    T0 + 300, 0, &list, &why);
	UNIT_ASSERT_INT_EQ(n > 0, 1);
	UNIT_ASSERT_INT_EQ(mx_cache_parse(buf, n, "bigaddr.test",
	    CONFIG_ADDR_ANY, T0, 86400, 587, &back, &why),
	    MX_CACHE_POSITIVE);
	UNIT_ASSERT_INT_EQ(back.nhost, list.nhost);
	UNIT_ASSERT_INT_EQ(back.naddr, list.naddr);
	UNIT_ASSERT_INT_EQ(back.best_pref, list.best_pref);
	UNIT_ASSERT_INT_EQ(back.ttl, 300);
	for (i = 0; i < list.naddr; i++) {
		const struct sockaddr_in *sin =
		    (const struct sockaddr_in *)&back.addr[i].sa;

		UNIT_ASSERT_STR_EQ(back.addr[i].text, list.addr[i].text);
		UNIT_ASSERT_INT_EQ(ntohs(sin->sin_port), 587);
		UNIT_ASSERT_INT_EQ(back.addr[i].salen, list.addr[i].salen);
	}
	/* Every changed byte and every shorter file is damage. */
	for (i = 0; i < n; i++) {
		buf[i] ^= 0x01;
		if (mx_cache_parse(buf, n, "bigaddr.test", CONFIG_ADDR_ANY,
		    T0, 86400, 25, &back, &why) == MX_CACHE_POSITIVE)
			unit_fail(__FILE__, __LINE__, "byte %zu flipped: "
			    "still taken", i);
		buf[i] ^= 0x01;
	}
	for (i = 0; i < n; i++)
		if (mx_cache_parse(buf, i, "bigaddr.test", CONFIG_ADDR_ANY,
		    T0, 86400, 25, &back, &why) == MX_CACHE_POSITIVE)
			unit_fail(__FILE__, __LINE__, "cut at %zu: still "
			    "taken", i);
	/* Negative. */
	relay_result_init(&why);
	relay_result_set(&why, "5.1.10", "Domain x.test does not accept mail "
	    "(nullMX)");
	n = mx_cache_format(buf, sizeof(buf), "x.test", CONFIG_ADDR_IPV4,
	    T0 + 900, -1, &list, &why);
	relay_result_init(&why2);
	UNIT_ASSERT_INT_EQ(mx_cache_parse(buf, n, "x.test", CONFIG_ADDR_IPV4,
	    T0, 3600, 25, &back, &why2), MX_CACHE_NEGATIVE);
	UNIT_ASSERT_STR_EQ(why2.status, "5.1.10");
	UNIT_ASSERT_STR_EQ(why2.text, why.text);
	/* Too small a buffer: nothing. */
	UNIT_ASSERT_INT_EQ(mx_cache_format(small, sizeof(small), "x.test",
	    CONFIG_ADDR_ANY, T0, 0, &list, &why), 0);
	dns_free(d);
	config_fini(&cfg);
}

/* damage - one way to spoil the cache file of sorted.test */
static void
damage(int how, const char *good, size_t len)
{
	char buf[MX_CACHE_FILE_MAX + 64], body[4096];
	const char *path = path_of("sorted.test");
	size_t n;

	switch (how) {
	case 0:		/* truncated */
		write_whole(path, good, len / 2, 0600);
		break;
	case 1:		/* one byte flipped */
		memcpy(buf, good, len);
		buf[len / 3] ^= 0x20;
		write_whole(path, buf, len, 0600);
		break;
	case 2:		/* another domain's file, checksum and all */
		snprintf(body, sizeof(body), "slimrelay-mx-cache 2\n"
		    "domain evil.test\npreference any\nexpires %lld\n"
		    "mx 0 10 1 off\nhost 10 mx.evil.test 1 off -\naddr 192.0.2.66 300\n",
		    (long long)clock_now + 300);
		n = seal(body, buf, sizeof(buf));
		write_whole(path, buf, n, 0600);
		break;
	case 3:		/* wrong magic, checksum right */
		snprintf(body, sizeof(body), "something-else 1\n"
		    "domain sorted.test\npreference any\nexpires %lld\n"
		    "fail 5.4.4 gone\n", (long long)clock_now + 300);
		n = seal(body, buf, sizeof(buf));
		write_whole(path, buf, n, 0600);
		break;
	case 4:		/* huge counts, checksum right */
		snprintf(body, sizeof(body), "slimrelay-mx-cache 2\n"
		    "domain sorted.test\npreference any\nexpires %lld\n"
		    "mx 0 10 4000000000 off\nhost 10 mx1.test 4000000000 off -\n"
		    "addr 192.0.2.1 300\n", (long long)clock_now + 300);
		n = seal(body, buf, sizeof(buf));
		write_whole(path, buf, n, 0600);
		break;
	case 5:		/* too big */
		memset(buf, 'a', sizeof(buf));
		write_whole(path, buf, sizeof(buf), 0600);
		break;
	case 6:		/* writable by others */
		write_whole(path, good, len, 0666);
		break;
	case 7:		/* a symbolic link to a good file */
		snprintf(body, sizeof(body), "%s/elsewhere", state);
		write_whole(body, good, len, 0600);
		unlink(path);
		if (symlink(body, path) != 0)
			unit_fail(__FILE__, __LINE__, "symlink: %s",
			    strerror(errno));
		break;
	case 8:		/* somebody else's (root only) */
		write_whole(path, good, len, 0600);
		if (chown(path, 65534, 65534) != 0)
			unit_fail(__FILE__, __LINE__, "chown: %s",
			    strerror(errno));
		break;
	case 9:		/* an empty file */
		write_whole(path, good, 0, 0600);
		break;
	case 10:	/* a valid file from the far future */
		snprintf(body, sizeof(body), "slimrelay-mx-cache 2\n"
		    "domain sorted.test\npreference any\nexpires %lld\n"
		    "fail 5.4.4 gone\n", (long long)clock_now + 30 * 86400);
		n = seal(body, buf, sizeof(buf));
		write_whole(path, buf, n, 0600);
		break;
	case 11:	/* made with another address_preference */
		snprintf(body, sizeof(body), "slimrelay-mx-cache 2\n"
		    "domain sorted.test\npreference ipv6_only\nexpires %lld\n"
		    "fail 5.4.4 gone\n", (long long)clock_now + 300);
		n = seal(body, buf, sizeof(buf));
		write_whole(path, buf, n, 0600);
		break;
	}
}

/* test_mx_cache_damaged_files - ignored, asked again, rewritten */
static void
test_mx_cache_damaged_files(void)
{
	char good[MX_CACHE_FILE_MAX + 1];
	struct mx_cache *c;
	struct outcome o;
	struct stat st;
	ssize_t len;
	int how, last = geteuid() == 0 ? 11 : 7;

	new_state();
	c = new_cache(MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	lookup(c, "sorted.test", &o);
	len = read_whole(path_of("sorted.test"), good, sizeof(good));
	UNIT_ASSERT_INT_EQ(len > 0, 1);
	for (how = 0; how <= last; how++) {
		if (how == 8 && geteuid() != 0)
			continue;
		damage(how, good, (size_t)len);
		lookup(c, "sorted.test", &o);
		if (o.hit || o.queries != 7 || o.rc != 0)
			unit_fail(__FILE__, __LINE__, "damage %d: hit %d, "
			    "%u queries, rc %d", how, o.hit, o.queries, o.rc);
		else
			CU_PASS("damage ignored");
		/* Rebuilt: ours, a plain file, good again. */
		UNIT_ASSERT_INT_EQ(lstat(path_of("sorted.test"), &st), 0);
		UNIT_ASSERT_INT_EQ(S_ISREG(st.st_mode), 1);
		UNIT_ASSERT_INT_EQ(st.st_uid, geteuid());
		UNIT_ASSERT_INT_EQ(st.st_mode & 0777, 0600);
		UNIT_ASSERT_INT_EQ(verdict_of("sorted.test", NULL),
		    MX_CACHE_POSITIVE);
		lookup(c, "sorted.test", &o);
		UNIT_ASSERT_INT_EQ(o.hit, 1);
	}
	mx_cache_free(c);
}

/* count_temp - leftover temporary files in the cache directory */
static int
count_temp(void)
{
	struct dirent *de;
	DIR *dir;
	int n = 0;

	if ((dir = opendir(path_of(""))) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL)
		if (strncmp(de->d_name, ".tmp.", 5) == 0)
			n++;
	closedir(dir);
	return n;
}

/* test_mx_cache_unusable_directory - no cache, still answers */
static void
test_mx_cache_unusable_directory(void)
{
	struct mx_cache *c;
	struct outcome o;
	char path[1024];
	int i;

	/* No state directory at all. */
	new_state();
	snprintf(state + strlen(state), sizeof(state) - strlen(state),
	    "/missing");
	c = new_cache(MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	for (i = 0; i < 2; i++) {
		lookup(c, "sorted.test", &o);
		UNIT_ASSERT_INT_EQ(o.rc, 0);
		UNIT_ASSERT_INT_EQ(o.hit, 0);
		UNIT_ASSERT_INT_EQ(o.queries, 7);
		UNIT_ASSERT_INT_EQ(o.list.nhost, 3);
	}
	mx_cache_free(c);

	/* "mx" is a file, not a directory. */
	new_state();
	snprintf(path, sizeof(path), "%s/mx", state);
	write_whole(path, "x", 1, 0600);
	c = new_cache(MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	for (i = 0; i < 2; i++) {
		lookup(c, "nx.test", &o);
		UNIT_ASSERT_STR_EQ(o.why.status, "5.4.4");
		UNIT_ASSERT_INT_EQ(o.hit, 0);
	}
	mx_cache_free(c);

	/* A directory others may write to is not trusted. */
	new_state();
	snprintf(path, sizeof(path), "%s/mx", state);
	mkdir(path, 0700);
	chmod(path, 0770);
	c = new_cache(MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	for (i = 0; i < 2; i++) {
		lookup(c, "sorted.test", &o);
		UNIT_ASSERT_INT_EQ(o.rc, 0);
		UNIT_ASSERT_INT_EQ(o.hit, 0);
	}
	UNIT_ASSERT_INT_EQ(exists(path_of("sorted.test")), 0);
	mx_cache_free(c);

	/* A file that cannot be replaced (a directory in its place). */
	new_state();
	snprintf(path, sizeof(path), "%s/mx", state);
	mkdir(path, 0700);
	mkdir(path_of("sorted.test"), 0700);
	c = new_cache(MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	for (i = 0; i < 2; i++) {
		lookup(c, "sorted.test", &o);
		UNIT_ASSERT_INT_EQ(o.rc, 0);
		UNIT_ASSERT_INT_EQ(o.hit, 0);
		UNIT_ASSERT_INT_EQ(o.list.nhost, 3);
	}
	UNIT_ASSERT_INT_EQ(count_temp(), 0);
	/* Other domains are still cached. */
	lookup(c, "equal.test", &o);
	lookup(c, "equal.test", &o);
	UNIT_ASSERT_INT_EQ(o.hit, 1);
	mx_cache_free(c);

	/* No state directory configured, and no cache object. */
	c = mx_cache_new(NULL, MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	lookup(c, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_INT_EQ(o.hit, 0);
	mx_cache_free(c);
	lookup(NULL, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_INT_EQ(o.list.nhost, 3);
	mx_cache_free(NULL);
}

/* writer - a child that stores list n times, then exits */
static void
writer(const struct dns_mx_list *list, int n)
{
	struct relay_result why;
	struct mx_cache *c;
	struct config cfg;
	struct dns *d;
	int i, failed = 0;

	testns_config(&server, &cfg);
	d = dns_new(&cfg);
	c = new_cache(MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	relay_result_init(&why);
	for (i = 0; i < n; i++)
		if (!mx_cache_store(c, d, "sorted.test", 0, list, &why))
			failed++;
	mx_cache_free(c);
	dns_free(d);
	config_fini(&cfg);
	_exit(failed > 0 ? 1 : 0);
}

/* test_mx_cache_concurrent_writers - readers only see whole files */
static void
test_mx_cache_concurrent_writers(void)
{
	struct dns_mx_list a, b, seen;
	struct relay_result why;
	struct mx_cache *c;
	struct config cfg;
	struct outcome o;
	struct dns *d;
	pid_t pid[2];
	int i, status, bad = 0, reads = 0;
	enum mx_cache_verdict v;

	new_state();
	c = new_cache(MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	lookup(c, "sorted.test", &o);	/* makes the directory */
	testns_config(&server, &cfg);
	d = dns_new(&cfg);
	UNIT_ASSERT_INT_EQ(dns_mx_lookup(d, "sorted.test", 25, &a, &why), 0);
	dns_free(d);
	b = a;
	b.nhost = 2;		/* without mx3 */
	b.naddr = 3;

	for (i = 0; i < 2; i++) {
		if ((pid[i] = fork()) == 0)
			writer(i == 0 ? &a : &b, 400);
		if (pid[i] < 0)
			unit_fail(__FILE__, __LINE__, "fork: %s",
			    strerror(errno));
	}
	/* Read while they write: a whole file every time. */
	for (i = 0; i < 400; i++) {
		v = verdict_of("sorted.test", &seen);
		reads++;
		if (v != MX_CACHE_POSITIVE ||
		    (seen.nhost != 2 && seen.nhost != 3))
			bad++;
	}
	for (i = 0; i < 2; i++) {
		if (pid[i] > 0 && waitpid(pid[i], &status, 0) == pid[i])
			UNIT_ASSERT_INT_EQ(WIFEXITED(status) &&
			    WEXITSTATUS(status) == 0, 1);
	}
	UNIT_ASSERT_INT_EQ(bad, 0);
	UNIT_ASSERT_INT_EQ(reads, 400);
	UNIT_ASSERT_INT_EQ(verdict_of("sorted.test", &seen),
	    MX_CACHE_POSITIVE);
	UNIT_ASSERT_INT_EQ(count_temp(), 0);
	lookup(c, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(o.hit, 1);
	UNIT_ASSERT_INT_EQ(o.queries, 0);
	mx_cache_free(c);
	config_fini(&cfg);
}

/* test_mx_cache_preference_change - other settings, other answer */
static void
test_mx_cache_preference_change(void)
{
	struct mx_cache *c;
	struct config cfg;
	struct outcome o;

	new_state();
	c = new_cache(MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	lookup(c, "sorted.test", &o);
	UNIT_ASSERT_INT_EQ(o.list.naddr, 4);
	testns_config(&server, &cfg);
	cfg.address_preference = CONFIG_ADDR_IPV4_ONLY;
	run(c, &cfg, "sorted.test", NULL, &o);
	UNIT_ASSERT_INT_EQ(o.hit, 0);
	UNIT_ASSERT_INT_EQ(o.list.naddr, 3);
	run(c, &cfg, "sorted.test", NULL, &o);
	UNIT_ASSERT_INT_EQ(o.hit, 1);
	UNIT_ASSERT_INT_EQ(o.list.naddr, 3);
	mx_cache_free(c);
	config_fini(&cfg);
}

/* remove_tree - rm -r of the run's directory (no symlinks followed) */
static void
remove_tree(const char *path)
{
	char child[1024];
	struct dirent *de;
	struct stat st;
	DIR *dir;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (dir = opendir(path)) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(child, sizeof(child), "%s/%s", path,
			    de->d_name);
			remove_tree(child);
		}
		closedir(dir);
		rmdir(path);
	} else {
		unlink(path);
	}
}

/* The start of a crafted TLSA file. */
#define THEAD	"slimrelay-tlsa-cache 1\nowner _25._tcp.mx.test\n" \
		"expires 1700000300\n"
#define TRR	"rr 3 1 1 0123456789abcdef\n"

/* test_mx_cache_tlsa_files - the TLSA file: round trip, and damage */
static void
test_mx_cache_tlsa_files(void)
{
	static const struct {
		const char *body;
		enum mx_cache_verdict want;
	} cases[] = {
		{ THEAD "tlsa ok secure 1 0\n" TRR, MX_CACHE_POSITIVE },
		{ THEAD "tlsa ok insecure 1 2\n" TRR, MX_CACHE_POSITIVE },
		{ THEAD "tlsa ok secure 0 1\n", MX_CACHE_POSITIVE },
		{ THEAD "tlsa nodata secure 0 0\n", MX_CACHE_POSITIVE },
		{ THEAD "tlsa nxdomain insecure 0 0\n", MX_CACHE_POSITIVE },
		{ "slimrelay-tlsa-cache 2\nowner _25._tcp.mx.test\n"
		    "expires 1700000300\ntlsa nodata secure 0 0\n",
		    MX_CACHE_STALE },
		{ "slimrelay-tlsa-cache 1\nowner _25._tcp.mx.test\n"
		    "expires 1700000000\ntlsa nodata secure 0 0\n",
		    MX_CACHE_STALE },
		{ "slimrelay-tlsa-cache 1\nowner _26._tcp.mx.test\n"
		    "expires 1700000300\ntlsa nodata secure 0 0\n",
		    MX_CACHE_DAMAGED },
		{ THEAD "tlsa ok secure 0 0\n", MX_CACHE_DAMAGED },
		{ THEAD "tlsa nodata secure 1 0\n" TRR, MX_CACHE_DAMAGED },
		{ THEAD "tlsa servfail secure 0 0\n", MX_CACHE_DAMAGED },
		{ THEAD "tlsa ok valid 1 0\n" TRR, MX_CACHE_DAMAGED },
		{ THEAD "tlsa ok secure 2 0\n" TRR, MX_CACHE_DAMAGED },
		{ THEAD "tlsa ok secure 1 0\n" TRR TRR, MX_CACHE_DAMAGED },
		{ THEAD "tlsa ok secure 17 0\n" TRR, MX_CACHE_DAMAGED },
		{ THEAD "tlsa ok secure 1 0\nrr 3 1 1 0123456789ABCDEF\n",
		    MX_CACHE_DAMAGED },
		{ THEAD "tlsa ok secure 1 0\nrr 3 1 1 012\n",
		    MX_CACHE_DAMAGED },
		{ THEAD "tlsa ok secure 1 0\nrr 256 1 1 01\n",
		    MX_CACHE_DAMAGED },
		{ THEAD "tlsa ok secure 1 0\nrr 3 1 1\n", MX_CACHE_DAMAGED },
	};
	struct dns_tlsa_set *set = calloc(1, sizeof(*set));
	struct dns_tlsa_set *back = calloc(1, sizeof(*back));
	char buf[4096];
	enum mx_cache_verdict v;
	size_t i, n;

	if (set == NULL || back == NULL)
		goto out;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = seal(cases[i].body, buf, sizeof(buf));
		v = mx_cache_tlsa_parse(buf, n, "_25._tcp.mx.test", T0, 86400,
		    set);
		if (v != cases[i].want)
			unit_fail(__FILE__, __LINE__, "case %zu: got %s, want "
			    "%s", i, mx_cache_verdict_name(v),
			    mx_cache_verdict_name(cases[i].want));
		else
			CU_PASS("verdict");
		if (v != MX_CACHE_POSITIVE)
			UNIT_ASSERT_INT_EQ(set->nrr + set->is_secure, 0);
	}
	/* The first one, read back: what it says, 300 s left. */
	n = seal(cases[0].body, buf, sizeof(buf));
	UNIT_ASSERT_INT_EQ(mx_cache_tlsa_parse(buf, n, "_25._tcp.mx.test",
	    T0, 86400, set), MX_CACHE_POSITIVE);
	UNIT_ASSERT_INT_EQ(set->outcome, DNS_OUT_OK);
	UNIT_ASSERT_INT_EQ(set->is_secure, 1);
	UNIT_ASSERT_INT_EQ(set->ttl, 300);
	UNIT_ASSERT_INT_EQ(set->nrr, 1);
	UNIT_ASSERT_INT_EQ(set->rr[0].len, 8);
	UNIT_ASSERT_INT_EQ(set->rr[0].data[7], 0xef);
	/* Written again, it is the same file. */
	n = mx_cache_tlsa_format(buf, sizeof(buf), "_25._tcp.mx.test",
	    T0 + 300, set);
	UNIT_ASSERT_INT_EQ(n > 0, 1);
	UNIT_ASSERT_INT_EQ(mx_cache_tlsa_parse(buf, n, "_25._tcp.mx.test",
	    T0, 86400, back), MX_CACHE_POSITIVE);
	UNIT_ASSERT_INT_EQ(back->nrr, 1);
	UNIT_ASSERT_INT_EQ(memcmp(back->rr[0].data, set->rr[0].data, 8), 0);
	/* A failure is never written. */
	set->outcome = DNS_OUT_TRYAGAIN;
	UNIT_ASSERT_INT_EQ(mx_cache_tlsa_format(buf, sizeof(buf),
	    "_25._tcp.mx.test", T0 + 300, set), 0);
	/* One changed byte breaks the checksum. */
	n = seal(cases[0].body, buf, sizeof(buf));
	buf[n - 30] ^= 1;
	UNIT_ASSERT_INT_EQ(mx_cache_tlsa_parse(buf, n, "_25._tcp.mx.test",
	    T0, 86400, set), MX_CACHE_DAMAGED);
out:
	free(set);
	free(back);
}

static CU_TestInfo tests[] = {
	{ "test_mx_cache_tlsa_files", test_mx_cache_tlsa_files },
	{ "test_mx_cache_hit_makes_no_query",
	    test_mx_cache_hit_makes_no_query },
	{ "test_mx_cache_expiry", test_mx_cache_expiry },
	{ "test_mx_cache_shuffle_on_hit", test_mx_cache_shuffle_on_hit },
	{ "test_mx_cache_negative", test_mx_cache_negative },
	{ "test_mx_cache_transient_not_cached",
	    test_mx_cache_transient_not_cached },
	{ "test_mx_cache_loop_on_hit", test_mx_cache_loop_on_hit },
	{ "test_mx_cache_parse_rejects", test_mx_cache_parse_rejects },
	{ "test_mx_cache_round_trip", test_mx_cache_round_trip },
	{ "test_mx_cache_damaged_files", test_mx_cache_damaged_files },
	{ "test_mx_cache_unusable_directory",
	    test_mx_cache_unusable_directory },
	{ "test_mx_cache_concurrent_writers",
	    test_mx_cache_concurrent_writers },
	{ "test_mx_cache_preference_change",
	    test_mx_cache_preference_change },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	int rc;

	snprintf(top, sizeof(top), "%s/test_mx_cache.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(top) == NULL) {
		fprintf(stderr, "test_mx_cache: mkdtemp %s: %s\n", top,
		    strerror(errno));
		return 99;
	}
	rc = testns_run(&server, "test_mx_cache", "mx.data", BASE_PORT,
	    "mx_cache", tests);
	remove_tree(top);
	return rc;
}
