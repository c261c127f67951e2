/*
 * NAME
 *	mx_cache - MX answers cached until their TTL, across processes
 * SYNOPSIS
 *	#include "mx_cache.h"
 *
 *	struct mx_cache *mx_cache_new(const char *state_dir,
 *	    uint32_t max_ttl_s, uint32_t max_negative_ttl_s);
 *	void mx_cache_free(struct mx_cache *c);
 *	void mx_cache_set_clock(struct mx_cache *c, time_t (*now)(void *),
 *	    void *arg);
 *	void mx_cache_set_seed(struct mx_cache *c, uint64_t seed);
 *	int mx_cache_lookup(struct mx_cache *c, struct dns *d,
 *	    const char *domain, unsigned port,
 *	    const struct dns_mx_self *self, struct dns_mx_list *list,
 *	    bool *hit, struct relay_result *why);
 *	bool mx_cache_store(struct mx_cache *c, struct dns *d,
 *	    const char *domain, int rc, const struct dns_mx_list *list,
 *	    const struct relay_result *why);
 *	const char *mx_cache_verdict_name(enum mx_cache_verdict v);
 *	int mx_cache_tlsa_lookup(struct mx_cache *c, struct dns *d,
 *	    const char *host, unsigned port, struct dns_tlsa_set *set,
 *	    bool *hit, struct relay_result *why);
 *
 *	size_t mx_cache_format(char *buf, size_t len, const char *domain,
 *	    enum config_addr_pref pref, time_t expires, int rc,
 *	    const struct dns_mx_list *list, const struct relay_result *why);
 *	enum mx_cache_verdict mx_cache_parse(const char *buf, size_t len,
 *	    const char *domain, enum config_addr_pref pref, time_t now,
 *	    uint32_t max_age_s, unsigned port, struct dns_mx_list *list,
 *	    struct relay_result *why);
 *	size_t mx_cache_tlsa_format(char *buf, size_t len, const char *owner,
 *	    time_t expires, const struct dns_tlsa_set *set);
 *	enum mx_cache_verdict mx_cache_tlsa_parse(const char *buf,
 *	    size_t len, const char *owner, time_t now, uint32_t max_age_s,
 *	    struct dns_tlsa_set *set);
 * DESCRIPTION
 *	slimrelay runs once per delivery, so an MX answer can only be
 *	reused across runs through the file system: each domain has one
 *	small file in <state_dir>/mx, named after the domain in lower
 *	case. A lookup that finds a fresh file makes no DNS query at all.
 *
 *	mx_cache_new() stores the settings (nothing is touched on disk
 *	yet): state_dir NULL or "" means no cache. Positive answers are
 *	kept for the smallest TTL of the answer (dns_mx_lookup()), at
 *	most max_ttl_s; permanent failures (NXDOMAIN, null MX, no
 *	address anywhere) for their RFC 2308 negative TTL, at most
 *	max_negative_ttl_s. Both caps are themselves capped at
 *	MX_CACHE_LIMIT_S; a cap of 0 turns that kind of caching off, and
 *	so does a TTL of 0. Transient failures (4.x.x) are never cached,
 *	nor loop detection results, which depend on the local host: the
 *	file holds what DNS said, and dns_mx_drop_self() and
 *	dns_mx_shuffle() run on every use, hit or miss. It returns NULL
 *	when out of memory; mx_cache_free() frees it (NULL is a no-op).
 *
 *	mx_cache_lookup() is dns_mx_lookup() behind the cache, followed
 *	by dns_mx_drop_self(list, self) (self NULL: no loop detection;
 *	pass it only for port 25) and dns_mx_shuffle(). *hit says
 *	whether the answer came from a file (a cached permanent failure
 *	is a hit too, returned as -1 with why as first reported). On a
 *	hit list->ttl and every address' TTL are what is left of the
 *	file's lifetime. c may be NULL: no cache.
 *
 *	mx_cache_store() writes the outcome of dns_mx_lookup() (rc, list,
 *	why) for domain when it may be cached, and says whether it did;
 *	mx_cache_lookup() calls it on every miss.
 *
 *	Files are written to a temporary name in the same directory and
 *	renamed over the old file, so that a reader sees the old file or
 *	the new one, never a mix, whatever other processes do at the same
 *	time. There is no fsync(2): it is a cache, and a file spoiled by
 *	a system crash reads as damaged, that is, as a miss. A process
 *	killed between creating and renaming its temporary file leaves it
 *	behind (".tmp.*", never read; XXX not cleaned up automatically).
 *	Nothing read is trusted: a file that is not a regular file
 *	owned by our user and writable by nobody else, that is larger than
 *	MX_CACHE_FILE_MAX, whose checksum, magic line, domain, numbers,
 *	names, addresses or counts are wrong, or that claims a lifetime
 *	beyond the caps, is a miss and is replaced (or removed when the
 *	new answer may not be cached). The directory is created (mode
 *	0700) when missing; a directory that cannot be used (no state
 *	directory, not ours, writable by others) or written means no
 *	cache: lookups still work, and the trouble is logged once per
 *	struct mx_cache.
 *
 *	The file format (version 2) is text, one item per line, every
 *	line ending in a newline, printable ASCII only:
 *
 *	    slimrelay-mx-cache 1
 *	    domain example.com
 *	    preference any                (address_preference)
 *	    expires 1700000000            (time(3) seconds)
 *	    mx IMPLICIT BEST NHOST DNSSEC (or: fail STATUS TEXT)
 *	    host PREF NAME NADDR DNSSEC TARGET
 *	                                  (NHOST times, by preference)
 *	    addr ADDRESS TTL              (NADDR times after each host)
 *	    checksum HEX                  (FNV-1a 64 of all lines above)
 *
 *	DNSSEC is "off" when the answer was got without asking for DNSSEC
 *	(dns_set_dnssec()), else "secure" or "insecure": for the "mx"
 *	line, the MX answer (or, for an implicit MX, its denial); for a
 *	host, its addresses; TARGET is the end of the CNAME chain of the
 *	host's addresses, "-" for none (dns_last_target()). Such a status is what a validating resolver
 *	said (dns.c); DANE (dane.c) trusts it for as long as the answer.
 *	A file made with another address_preference, or of another
 *	version, is stale rather than damaged: it is replaced the same way,
 *	and so is a file made without DNSSEC when a lookup asks for it.
 *
 *	mx_cache_format() writes that text for an outcome into buf and
 *	returns its length, 0 when it does not fit. mx_cache_parse()
 *	checks it all for domain (canonical form) at time now, and for a
 *	positive file fills list with addresses of port; for a negative
 *	one it sets why. They are public for the tests and the fuzzer.
 *
 *	mx_cache_tlsa_lookup() is dns_lookup_tlsa() behind the same
 *	cache, for DANE (dane.c), when d asks for DNSSEC: the answer for
 *	_port._tcp.host (records, or a denial) is kept in the same
 *	directory under the owner name ("_25._tcp.mx.example.com", a name
 *	no domain's file has) for its TTL, capped as above; failures are
 *	never kept. Its file (version 1):
 *
 *	    slimrelay-tlsa-cache 1
 *	    owner _25._tcp.mx.example.com
 *	    expires 1700000000
 *	    tlsa OUTCOME DNSSEC NRR NBAD  (ok, nodata or nxdomain;
 *	                                   secure or insecure)
 *	    rr USAGE SELECTOR MTYPE HEX   (NRR times)
 *	    checksum HEX
 *
 *	and mx_cache_tlsa_format() and mx_cache_tlsa_parse() write and
 *	check it, with the same rules as the MX files; a file of more
 *	than MX_CACHE_FILE_MAX bytes is not written.
 *
 *	mx_cache_set_clock() replaces time(3) (tests);
 *	mx_cache_set_seed() seeds the shuffle (tests; mx_cache_new() seeds
 *	it with dns_mx_random_seed()).
 * SEE ALSO
 *	RFC 2308 (negative caching), rename(2), dns_mx.c.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mx_cache.h"
#include "nexthop.h"

#define MX_CACHE_MAGIC		"slimrelay-mx-cache"
#define MX_CACHE_VERSION	2
#define MX_CACHE_SUBDIR		"/mx"
#define MX_CACHE_LINE_MAX	(RELAY_TEXT_MAX + 32)
#define MX_CACHE_TOKENS_MAX	7
#define MX_CACHE_NAME_MAX	250	/* file name, below NAME_MAX */
#define MX_CACHE_SUM_LEN	16	/* hex digits */
#define MX_CACHE_TMP_TRIES	4
#define TLSA_CACHE_MAGIC	"slimrelay-tlsa-cache"
#define TLSA_CACHE_VERSION	1
#define TLSA_CACHE_LINE_MAX	(2 * DNS_TLSA_DATA_MAX + 32)

struct mx_cache {
	char	dir[CONFIG_PATH_MAX + sizeof(MX_CACHE_SUBDIR)];
	int	dirfd;			/* -1 until opened */
	bool	is_disabled;		/* unusable, said so once */
	bool	has_warned;		/* a write failed, said so */
	uint32_t max_ttl_s;
	uint32_t max_negative_ttl_s;
	time_t	(*now)(void *);
	void	*now_arg;
	uint64_t rng;			/* dns_mx_shuffle() state */
};

/* Lines of a file being read. */
struct cursor {
	const char *p;
	const char *end;
};

/* Text being written, bounded. */
struct out {
	char	*buf;
	size_t	len;
	size_t	used;
	bool	is_full;
};

static const struct {
	const char *name;
	enum config_addr_pref pref;
} pref_names[] = {
	{ "any", CONFIG_ADDR_ANY },
	{ "ipv4", CONFIG_ADDR_IPV4 },
	{ "ipv6", CONFIG_ADDR_IPV6 },
	{ "ipv4_only", CONFIG_ADDR_IPV4_ONLY },
	{ "ipv6_only", CONFIG_ADDR_IPV6_ONLY },
};

static const char *const dnssec_names[] = { "off", "insecure", "secure" };

static uint64_t fnv1a(const char *, size_t);
static int dnssec_word(const char *);
static const char *pref_name(enum config_addr_pref);
static void put(struct out *, const char *, ...) PRINTFLIKE(2, 3);
static size_t seal(struct out *, const char *);
static bool next_line(struct cursor *, char *, size_t);
static size_t split(char *, char **, size_t);
static bool parse_num(const char *, uint64_t, uint64_t *);
static bool parse_addr(const char *, unsigned, uint32_t, struct dns_addr *,
    enum config_addr_pref);
static bool check_sum(const char *, size_t, size_t *);
static enum mx_cache_verdict parse_header(struct cursor *, const char *,
    enum config_addr_pref, time_t, uint32_t, uint32_t *);
static enum mx_cache_verdict parse_hosts(struct cursor *, char **,
    const char *, enum config_addr_pref, unsigned, uint32_t,
    struct dns_mx_list *);
static void file_name(const char *, char *, size_t);
static time_t now(const struct mx_cache *);
static uint32_t max_age(const struct mx_cache *);
static void disable(struct mx_cache *, const char *, ...) PRINTFLIKE(2, 3);
static bool open_dir(struct mx_cache *);
static int read_file(struct mx_cache *, const char *, char *, size_t *);
static bool write_file(struct mx_cache *, const char *, const char *, size_t);
static bool store(struct mx_cache *, struct dns *, const char *,
    const char *, int, const struct dns_mx_list *,
    const struct relay_result *, char *);

/* mx_cache_new - the settings; no file is touched yet */
struct mx_cache *
mx_cache_new(const char *state_dir, uint32_t max_ttl_s,
    uint32_t max_negative_ttl_s)
{
	struct mx_cache *c;
	int n;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->dirfd = -1;
	c->max_ttl_s = max_ttl_s > MX_CACHE_LIMIT_S ? MX_CACHE_LIMIT_S :
	    max_ttl_s;
	c->max_negative_ttl_s = max_negative_ttl_s > MX_CACHE_LIMIT_S ?
	    MX_CACHE_LIMIT_S : max_negative_ttl_s;
	c->rng = dns_mx_random_seed();
	if (state_dir == NULL || state_dir[0] == '\0') {
		c->is_disabled = true;
		return c;
	}
	n = snprintf(c->dir, sizeof(c->dir), "%s" MX_CACHE_SUBDIR,
	    state_dir);
	if (n < 0 || (size_t)n >= sizeof(c->dir)) {
		c->dir[0] = '\0';
		disable(c, "state directory name too long");
	}
	return c;
}

/* mx_cache_free - close the directory and free */
void
mx_cache_free(struct mx_cache *c)
{
	if (c == NULL)
		return;
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c);
}

/* mx_cache_set_clock - another clock than time(3), for tests */
void
mx_cache_set_clock(struct mx_cache *c, time_t (*fn)(void *), void *arg)
{
	c->now = fn;
	c->now_arg = arg;
}

/* mx_cache_set_seed - a known shuffle, for tests */
void
mx_cache_set_seed(struct mx_cache *c, uint64_t seed)
{
	c->rng = seed;
}

/* mx_cache_verdict_name - "damaged", "stale", "positive", "negative" */
const char *
mx_cache_verdict_name(enum mx_cache_verdict v)
{
	switch (v) {
	case MX_CACHE_DAMAGED:
		return "damaged";
	case MX_CACHE_STALE:
		return "stale";
	case MX_CACHE_POSITIVE:
		return "positive";
	case MX_CACHE_NEGATIVE:
		return "negative";
	}
	return "?";
}

/* fnv1a - FNV-1a 64: any one changed byte changes it */
static uint64_t
fnv1a(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* dnssec_word - 0 off, 1 insecure, 2 secure; -1 for anything else */
static int
dnssec_word(const char *w)
{
	int i;

	for (i = 0; i < 3; i++)
		if (strcmp(w, dnssec_names[i]) == 0)
			return i;
	return -1;
}

/* pref_name - the address_preference word */
static const char *
pref_name(enum config_addr_pref pref)
{
	size_t i;

	for (i = 0; i < sizeof(pref_names) / sizeof(pref_names[0]); i++)
		if (pref_names[i].pref == pref)
			return pref_names[i].name;
	return "?";
}

/* put - append to out; remember when it did not fit */
static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->is_full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->used) {
		o->is_full = true;
		return;
	}
	o->used += (size_t)n;
}

/* mx_cache_format - the file for one outcome; 0 if it does not fit */
size_t
mx_cache_format(char *buf, size_t len, const char *domain,
    enum config_addr_pref pref, time_t expires, int rc,
    const struct dns_mx_list *list, const struct relay_result *why)
{
	struct out o = { buf, len, 0, false };
	const struct dns_mx_host *h;
	size_t i, j;

	if (buf == NULL || len == 0)
		return 0;
	buf[0] = '\0';
	put(&o, "%s %d\ndomain %s\npreference %s\nexpires %lld\n",
	    MX_CACHE_MAGIC, MX_CACHE_VERSION, domain, pref_name(pref),
	    (long long)expires);
	if (rc == 0) {
		put(&o, "mx %d %u %zu %s\n", list->is_implicit ? 1 : 0,
		    list->best_pref, list->nhost, dnssec_names[
		    !list->has_dnssec ? 0 : list->is_secure ? 2 : 1]);
		for (i = 0; i < list->nhost; i++) {
			h = &list->host[i];
			put(&o, "host %u %s %zu %s %s\n", h->pref, h->name,
			    h->naddr, dnssec_names[!list->has_dnssec ? 0 :
			    h->is_secure ? 2 : 1], h->target[0] != '\0' ?
			    h->target : "-");
			for (j = 0; j < h->naddr; j++)
				put(&o, "addr %s %lu\n",
				    list->addr[h->first + j].text,
				    (unsigned long)list->addr[h->first +
				    j].ttl);
		}
	} else {
		put(&o, "fail %s %s\n", why->status, why->text);
	}
	return seal(&o, buf);
}

/*
 * seal - end a cache file's text in buf with its checksum line; its
 * length, or 0 when it did not fit
 */
static size_t
seal(struct out *o, const char *buf)
{
	if (o->is_full)
		return 0;
	put(o, "checksum %016llx\n", (unsigned long long)fnv1a(buf, o->used));
	return o->is_full ? 0 : o->used;
}

/* next_line - the next line, without its newline; false at the end */
static bool
next_line(struct cursor *c, char *buf, size_t len)
{
	const char *nl;
	size_t n;

	if (c->p >= c->end ||
	    (nl = memchr(c->p, '\n', (size_t)(c->end - c->p))) == NULL)
		return false;
	n = (size_t)(nl - c->p);
	if (n >= len)
		return false;
	memcpy(buf, c->p, n);
	buf[n] = '\0';
	c->p = nl + 1;
	return true;
}

/* split - cut line at single spaces into at most max words, the last
 * keeping the rest of the line; 0 when a word is empty */
static size_t
split(char *line, char **word, size_t max)
{
	size_t n = 0;
	char *sp;

	while (n < max) {
		if (*line == '\0' || *line == ' ')
			return 0;
		word[n++] = line;
		if (n == max || (sp = strchr(line, ' ')) == NULL)
			break;
		*sp = '\0';
		line = sp + 1;
	}
	return n;
}

/* parse_num - decimal digits only, no leading zero, at most max */
static bool
parse_num(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 19)
			return false;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (n > max)
		return false;
	*out = n;
	return true;
}

/* parse_addr - a canonical numeric address the preference allows */
static bool
parse_addr(const char *text, unsigned port, uint32_t ttl,
    struct dns_addr *a, enum config_addr_pref pref)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->sa;
	char canon[INET6_ADDRSTRLEN];

	memset(a, 0, sizeof(*a));
	if (strlen(text) >= sizeof(a->text))
		return false;
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		if (pref == CONFIG_ADDR_IPV6_ONLY)
			return false;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		a->salen = sizeof(*sin);
		inet_ntop(AF_INET, &sin->sin_addr, canon, sizeof(canon));
	} else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		if (pref == CONFIG_ADDR_IPV4_ONLY)
			return false;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		a->salen = sizeof(*sin6);
		inet_ntop(AF_INET6, &sin6->sin6_addr, canon, sizeof(canon));
	} else {
		return false;
	}
	/* Only the form we write: one text per address. */
	if (strcmp(canon, text) != 0)
		return false;
	snprintf(a->text, sizeof(a->text), "%s", text);
	a->ttl = ttl;
	return true;
}

/* check_sum - the last line is the checksum of all before it, which
 * end at *body */
static bool
check_sum(const char *buf, size_t len, size_t *body)
{
	static const char key[] = "checksum ";
	const size_t line = sizeof(key) - 1 + MX_CACHE_SUM_LEN + 1;
	uint64_t want = 0;
	size_t i;
	char ch;

	if (len <= line || buf[len - 1] != '\n' || buf[len - line - 1] != '\n')
		return false;
	*body = len - line;
	if (memcmp(buf + *body, key, sizeof(key) - 1) != 0)
		return false;
	for (i = *body + sizeof(key) - 1; i < len - 1; i++) {
		ch = buf[i];
		if (ch >= '0' && ch <= '9')
			want = want << 4 | (uint64_t)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			want = want << 4 | (uint64_t)(ch - 'a' + 10);
		else
			return false;
	}
	return fnv1a(buf, *body) == want;
}

/* parse_header - magic, domain, preference, expiry; *left = seconds */
static enum mx_cache_verdict
parse_header(struct cursor *cur, const char *domain,
    enum config_addr_pref pref, time_t now, uint32_t max_age_s,
    uint32_t *left)
{
	char line[MX_CACHE_LINE_MAX], *w[MX_CACHE_TOKENS_MAX];
	enum mx_cache_verdict stale = MX_CACHE_POSITIVE;
	uint64_t n;
	size_t i;

	if (!next_line(cur, line, sizeof(line)) || split(line, w, 3) != 2 ||
	    strcmp(w[0], MX_CACHE_MAGIC) != 0 ||
	    !parse_num(w[1], UINT32_MAX, &n))
		return MX_CACHE_DAMAGED;
	/* Another version: its checksum held, so it is just not ours. */
	if (n != MX_CACHE_VERSION)
		return MX_CACHE_STALE;
	if (!next_line(cur, line, sizeof(line)) || split(line, w, 3) != 2 ||
	    strcmp(w[0], "domain") != 0 || strcmp(w[1], domain) != 0)
		return MX_CACHE_DAMAGED;
	if (!next_line(cur, line, sizeof(line)) || split(line, w, 3) != 2 ||
	    strcmp(w[0], "preference") != 0)
		return MX_CACHE_DAMAGED;
	for (i = 0; i < sizeof(pref_names) / sizeof(pref_names[0]); i++)
		if (strcmp(w[1], pref_names[i].name) == 0)
			break;
	if (i == sizeof(pref_names) / sizeof(pref_names[0]))
		return MX_CACHE_DAMAGED;
	if (pref_names[i].pref != pref)
		stale = MX_CACHE_STALE;
	if (!next_line(cur, line, sizeof(line)) || split(line, w, 3) != 2 ||
	    strcmp(w[0], "expires") != 0 ||
	    !parse_num(w[1], (uint64_t)INT64_MAX / 2, &n))
		return MX_CACHE_DAMAGED;
	if ((int64_t)n <= (int64_t)now)
		return MX_CACHE_STALE;
	/* From the future: a clock that went back, or not our file. */
	if ((uint64_t)((int64_t)n - (int64_t)now) > max_age_s)
		return MX_CACHE_DAMAGED;
	*left = (uint32_t)((int64_t)n - (int64_t)now);
	return stale;
}

/* parse_hosts - after the words of the "mx" line (mx), the hosts and
 * their addresses */
static enum mx_cache_verdict
parse_hosts(struct cursor *cur, char **mx, const char *domain,
    enum config_addr_pref pref, unsigned port, uint32_t left,
    struct dns_mx_list *list)
{
	char line[MX_CACHE_LINE_MAX], name[DNS_NAME_MAX + 1];
	char h_target[DNS_NAME_MAX + 1], *w[MX_CACHE_TOKENS_MAX];
	struct dns_mx_host *h;
	uint64_t implicit, best, nhost, p, naddr, ttl;
	size_t i, j;
	int sec, hsec;

	if (!parse_num(mx[1], 1, &implicit) ||
	    !parse_num(mx[2], 65535, &best) ||
	    !parse_num(mx[3], DNS_MX_HOSTS_MAX, &nhost) || nhost == 0 ||
	    (sec = dnssec_word(mx[4])) < 0)
		return MX_CACHE_DAMAGED;
	list->is_implicit = implicit == 1;
	list->has_dnssec = sec > 0;
	list->is_secure = sec == 2;
	list->best_pref = (unsigned)best;
	list->ttl = left;
	for (i = 0; i < nhost; i++) {
		if (!next_line(cur, line, sizeof(line)) ||
		    split(line, w, 7) != 6 || strcmp(w[0], "host") != 0 ||
		    !parse_num(w[1], 65535, &p) || p < best ||
		    (i > 0 && p < list->host[i - 1].pref) ||
		    !dns_mx_canonical_domain(w[2], name, sizeof(name)) ||
		    strcmp(name, w[2]) != 0 ||
		    !parse_num(w[3], DNS_ADDRS_MAX - list->naddr, &naddr) ||
		    naddr == 0 || (hsec = dnssec_word(w[4])) < 0 ||
		    (hsec == 0) != (sec == 0) || (strcmp(w[5], "-") != 0 &&
		    (!dns_mx_canonical_domain(w[5], h_target, sizeof(h_target)) ||
		    strcmp(h_target, w[5]) != 0)))
			return MX_CACHE_DAMAGED;
		h = &list->host[i];
		h->is_secure = hsec == 2;
		snprintf(h->target, sizeof(h->target), "%s",
		    strcmp(w[5], "-") != 0 ? w[5] : "");
		snprintf(h->name, sizeof(h->name), "%s", name);
		h->pref = (unsigned)p;
		h->first = list->naddr;
		h->naddr = (size_t)naddr;
		for (j = 0; j < naddr; j++) {
			if (!next_line(cur, line, sizeof(line)) ||
			    split(line, w, 4) != 3 ||
			    strcmp(w[0], "addr") != 0 ||
			    !parse_num(w[2], 0x7fffffffU, &ttl) ||
			    !parse_addr(w[1], port, ttl < left ?
			    (uint32_t)ttl : left, &list->addr[list->naddr],
			    pref))
				return MX_CACHE_DAMAGED;
			list->naddr++;
		}
		list->nhost++;
	}
	/* An implicit MX is the domain itself at preference 0. */
	if (list->is_implicit && (nhost != 1 || best != 0 ||
	    strcmp(list->host[0].name, domain) != 0))
		return MX_CACHE_DAMAGED;
	return cur->p == cur->end ? MX_CACHE_POSITIVE : MX_CACHE_DAMAGED;
}

/* mx_cache_parse - check a whole file; fill list or why */
enum mx_cache_verdict
mx_cache_parse(const char *buf, size_t len, const char *domain,
    enum config_addr_pref pref, time_t now, uint32_t max_age_s,
    unsigned port, struct dns_mx_list *list, struct relay_result *why)
{
	char line[MX_CACHE_LINE_MAX], *w[MX_CACHE_TOKENS_MAX];
	struct cursor cur;
	enum mx_cache_verdict v;
	uint32_t left = 0;
	size_t i, body;

	memset(list, 0, sizeof(*list));
	if (buf == NULL || len == 0 || len > MX_CACHE_FILE_MAX ||
	    domain == NULL || port < 1 || port > 65535)
		return MX_CACHE_DAMAGED;
	/* Printable ASCII lines, nothing else. */
	for (i = 0; i < len; i++)
		if ((buf[i] < 0x20 && buf[i] != '\n') || buf[i] >= 0x7f)
			return MX_CACHE_DAMAGED;
	if (!check_sum(buf, len, &body))
		return MX_CACHE_DAMAGED;
	cur.p = buf;
	cur.end = buf + body;
	v = parse_header(&cur, domain, pref, now, max_age_s, &left);
	if (v != MX_CACHE_POSITIVE)
		return v;
	if (!next_line(&cur, line, sizeof(line)))
		return MX_CACHE_DAMAGED;
	if (strncmp(line, "fail ", 5) == 0) {
		if (split(line, w, 3) != 3 || !relay_status_valid(w[1]) ||
		    w[1][0] != '5' || strlen(w[2]) >= RELAY_TEXT_MAX ||
		    cur.p != cur.end)
			return MX_CACHE_DAMAGED;
		relay_result_set(why, w[1], "%s", w[2]);
		return MX_CACHE_NEGATIVE;
	}
	if (split(line, w, 6) != 5 || strcmp(w[0], "mx") != 0)
		return MX_CACHE_DAMAGED;
	v = parse_hosts(&cur, w, domain, pref, port, left, list);
	if (v != MX_CACHE_POSITIVE)
		memset(list, 0, sizeof(*list));
	else
		snprintf(list->domain, sizeof(list->domain), "%s", domain);
	return v;
}

/* file_name - the domain as a file name: [a-z0-9_.-] kept, the rest
 * as %XX, a hash when too long (the domain inside is checked anyway) */
static void
file_name(const char *domain, char *buf, size_t len)
{
	size_t used = 0;
	const char *p;
	unsigned char ch;

	for (p = domain; *p != '\0' && used + 4 < len; p++) {
		ch = (unsigned char)*p;
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_' || (ch == '.' && p != domain))
			buf[used++] = (char)ch;
		else
			used += (size_t)snprintf(buf + used, len - used,
			    "%%%02X", ch);
	}
	buf[used] = '\0';
	if (*p != '\0' || used > MX_CACHE_NAME_MAX)
		snprintf(buf, len, "h-%016llx",
		    (unsigned long long)fnv1a(domain, strlen(domain)));
}

/* now - the clock */
static time_t
now(const struct mx_cache *c)
{
	return c->now != NULL ? c->now(c->now_arg) : time(NULL);
}

/* max_age - the longest lifetime a file of ours can have */
static uint32_t
max_age(const struct mx_cache *c)
{
	return c->max_ttl_s > c->max_negative_ttl_s ? c->max_ttl_s :
	    c->max_negative_ttl_s;
}

/* disable - no cache from now on; say why, once */
static void
disable(struct mx_cache *c, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!c->is_disabled)
		log_warn("mx_cache: %s: MX answers are not cached", text);
	c->is_disabled = true;
}

/* open_dir - <state_dir>/mx, made if missing, ours alone */
static bool
open_dir(struct mx_cache *c)
{
	struct stat st;
	int fd;

	if (c->dirfd >= 0)
		return true;
	if (c->is_disabled)
		return false;
	if (mkdir(c->dir, 0700) != 0 && errno != EEXIST) {
		disable(c, "cannot create %s: %s", c->dir, strerror(errno));
		return false;
	}
	if ((fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		disable(c, "cannot open %s: %s", c->dir, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		disable(c, "%s is not owned by uid %ld alone", c->dir,
		    (long)geteuid());
		close(fd);
		return false;
	}
	c->dirfd = fd;
	return true;
}

/* read_file - a cache file: 1 read, 0 none, -1 unusable */
static int
read_file(struct mx_cache *c, const char *name, char *buf, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, ret = -1;

	*len = 0;
	fd = openat(c->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	/* Ours alone, a plain file, small: else not to be trusted. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 ||
	    st.st_size > MX_CACHE_FILE_MAX)
		goto out;
	while (got <= MX_CACHE_FILE_MAX) {
		n = read(fd, buf + got, MX_CACHE_FILE_MAX + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > MX_CACHE_FILE_MAX)
		goto out;
	*len = got;
	ret = 1;
out:
	close(fd);
	return ret;
}

/* write_file - a temporary file renamed over name */
static bool
write_file(struct mx_cache *c, const char *name, const char *buf,
    size_t len)
{
	char tmp[64];
	size_t done = 0;
	ssize_t n;
	int fd = -1, tries, saved;
	bool ok = false;

	for (tries = 0; tries < MX_CACHE_TMP_TRIES && fd < 0; tries++) {
		/* A dot first: no domain's file name starts with one. */
		snprintf(tmp, sizeof(tmp), ".tmp.%016llx",
		    (unsigned long long)dns_mx_random_seed());
		fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		saved = errno;
		if (!c->has_warned)
			log_warn("mx_cache: cannot write in %s: %s", c->dir,
			    strerror(saved));
		c->has_warned = true;
		return false;
	}
	while (done < len) {
		n = write(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	saved = errno;
	if (close(fd) != 0 && done == len) {
		saved = errno;
		done = 0;
	}
	if (done == len && renameat(c->dirfd, tmp, c->dirfd, name) == 0)
		ok = true;
	else if (done == len)
		saved = errno;
	if (!ok) {
		unlinkat(c->dirfd, tmp, 0);
		if (!c->has_warned)
			log_warn("mx_cache: cannot write %s/%s: %s", c->dir,
			    name, strerror(saved));
		c->has_warned = true;
	}
	return ok;
}

/* store - write one outcome if it may be cached, using scratch */
static bool
store(struct mx_cache *c, struct dns *d, const char *key, const char *name,
    int rc, const struct dns_mx_list *list, const struct relay_result *why,
    char *scratch)
{
	uint32_t ttl;
	size_t len;

	if (rc == 0 && list->nhost > 0)
		ttl = list->ttl < c->max_ttl_s ? list->ttl : c->max_ttl_s;
	else if (rc != 0 && why->class == RELAY_PERMANENT)
		ttl = list->ttl < c->max_negative_ttl_s ? list->ttl :
		    c->max_negative_ttl_s;
	else
		ttl = 0;	/* transient: never cached */
	if (ttl == 0)
		return false;
	len = mx_cache_format(scratch, MX_CACHE_FILE_MAX + 1, key,
	    dns_address_preference(d), now(c) + (time_t)ttl, rc, list, why);
	if (len == 0 || !write_file(c, name, scratch, len))
		return false;
	log_debug("mx_cache: %s: stored for %lus", key, (unsigned long)ttl);
	return true;
}

/* mx_cache_store - cache the outcome of dns_mx_lookup(), if it may be */
bool
mx_cache_store(struct mx_cache *c, struct dns *d, const char *domain,
    int rc, const struct dns_mx_list *list, const struct relay_result *why)
{
	char key[DNS_NAME_MAX + 1], name[MX_CACHE_NAME_MAX + 6];
	char *scratch;
	bool ok;

	if (c == NULL || d == NULL || list == NULL || why == NULL ||
	    !dns_mx_canonical_domain(domain, key, sizeof(key)) ||
	    !open_dir(c))
		return false;
	if ((scratch = malloc(MX_CACHE_FILE_MAX + 1)) == NULL)
		return false;
	file_name(key, name, sizeof(name));
	ok = store(c, d, key, name, rc, list, why, scratch);
	free(scratch);
	return ok;
}

/* mx_cache_lookup - the cached answer when fresh, else DNS's, stored */
int
mx_cache_lookup(struct mx_cache *c, struct dns *d, const char *domain,
    unsigned port, const struct dns_mx_self *self, struct dns_mx_list *list,
    bool *hit, struct relay_result *why)
{
	char key[DNS_NAME_MAX + 1], name[MX_CACHE_NAME_MAX + 6];
	enum mx_cache_verdict v;
	uint64_t rng;
	char *buf = NULL;
	size_t len;
	bool had_file, dummy;
	int rc, r;

	if (hit == NULL)
		hit = &dummy;
	*hit = false;
	if (d == NULL || domain == NULL || list == NULL)
		return relay_result_set(why, "4.3.0",
		    "mx_cache_lookup: bad arguments");
	rng = c != NULL ? c->rng : dns_mx_random_seed();
	if (c == NULL || port < 1 || port > 65535 ||
	    !dns_mx_canonical_domain(domain, key, sizeof(key)) ||
	    !open_dir(c) || (buf = malloc(MX_CACHE_FILE_MAX + 1)) == NULL) {
		/* No cache for this one; dns_mx_lookup() explains any
		 * trouble with the arguments. */
		rc = dns_mx_lookup(d, domain, port, list, why);
		goto local;
	}
	file_name(key, name, sizeof(name));
	r = read_file(c, name, buf, &len);
	had_file = r != 0;
	if (r > 0) {
		v = mx_cache_parse(buf, len, key, dns_address_preference(d),
		    now(c), max_age(c), port, list, why);
		/* Made without DNSSEC: it cannot say what DANE needs. */
		if (v == MX_CACHE_POSITIVE && dns_dnssec(d) &&
		    !list->has_dnssec)
			v = MX_CACHE_STALE;
		if (v == MX_CACHE_POSITIVE || v == MX_CACHE_NEGATIVE) {
			log_debug("mx_cache: %s: hit (%s)", key,
			    mx_cache_verdict_name(v));
			*hit = true;
			rc = v == MX_CACHE_POSITIVE ? 0 : -1;
			goto local;
		}
		log_debug("mx_cache: %s: miss (%s file)", key,
		    mx_cache_verdict_name(v));
	} else if (r < 0) {
		log_debug("mx_cache: %s: miss (unusable file)", key);
	}
	rc = dns_mx_lookup(d, key, port, list, why);
	if (!store(c, d, key, name, rc, list, why, buf) && had_file)
		unlinkat(c->dirfd, name, 0);
local:
	if (rc == 0 && (rc = dns_mx_drop_self(list, self, why)) == 0)
		dns_mx_shuffle(list, &rng);
	if (c != NULL)
		c->rng = rng;
	free(buf);
	return rc;
}

/* TLSA answers that may be cached, by their words in a file. */
static const struct {
	const char *name;
	enum dns_outcome outcome;
} tlsa_outcomes[] = {
	{ "ok", DNS_OUT_OK },
	{ "nodata", DNS_OUT_NODATA },
	{ "nxdomain", DNS_OUT_NXDOMAIN },
};

/* mx_cache_tlsa_format - a TLSA cache file; 0 if it does not fit */
size_t
mx_cache_tlsa_format(char *buf, size_t len, const char *owner,
    time_t expires, const struct dns_tlsa_set *set)
{
	struct out o = { buf, len, 0, false };
	const char *word = NULL;
	size_t i, k;

	if (buf == NULL || len == 0)
		return 0;
	buf[0] = '\0';
	for (i = 0; i < sizeof(tlsa_outcomes) / sizeof(tlsa_outcomes[0]); i++)
		if (tlsa_outcomes[i].outcome == set->outcome)
			word = tlsa_outcomes[i].name;
	if (word == NULL)
		return 0;
	put(&o, "%s %d\nowner %s\nexpires %lld\ntlsa %s %s %zu %zu\n",
	    TLSA_CACHE_MAGIC, TLSA_CACHE_VERSION, owner, (long long)expires,
	    word, set->is_secure ? "secure" : "insecure", set->nrr, set->nbad);
	for (i = 0; i < set->nrr; i++) {
		put(&o, "rr %u %u %u ", set->rr[i].usage, set->rr[i].selector,
		    set->rr[i].mtype);
		for (k = 0; k < set->rr[i].len; k++)
			put(&o, "%02x", set->rr[i].data[k]);
		put(&o, "\n");
	}
	return seal(&o, buf);
}

/* parse_hex - lower-case hex digits into at most max bytes */
static bool
parse_hex(const char *s, unsigned char *out, size_t max, size_t *n)
{
	size_t len = strlen(s), i;
	int hi, lo;

	if (len == 0 || len % 2 != 0 || len / 2 > max)
		return false;
	for (i = 0; i < len; i += 2) {
		hi = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' :
		    s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 : -1;
		lo = s[i + 1] >= '0' && s[i + 1] <= '9' ? s[i + 1] - '0' :
		    s[i + 1] >= 'a' && s[i + 1] <= 'f' ? s[i + 1] - 'a' + 10 :
		    -1;
		if (hi < 0 || lo < 0)
			return false;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	*n = len / 2;
	return true;
}

/* parse_tlsa_rrs - the "tlsa" line's words w, then the records */
static enum mx_cache_verdict
parse_tlsa_rrs(struct cursor *cur, char **w, uint32_t left,
    struct dns_tlsa_set *set)
{
	char *line, *r[MX_CACHE_TOKENS_MAX];
	uint64_t nrr, nbad, u, sel, m;
	enum mx_cache_verdict v = MX_CACHE_DAMAGED;
	size_t i, n;

	if ((line = malloc(TLSA_CACHE_LINE_MAX)) == NULL)
		return MX_CACHE_DAMAGED;
	for (i = 0; i < sizeof(tlsa_outcomes) / sizeof(tlsa_outcomes[0]); i++)
		if (strcmp(w[1], tlsa_outcomes[i].name) == 0)
			break;
	if (i == sizeof(tlsa_outcomes) / sizeof(tlsa_outcomes[0]) ||
	    (strcmp(w[2], "secure") != 0 && strcmp(w[2], "insecure") != 0) ||
	    !parse_num(w[3], DNS_TLSA_MAX, &nrr) ||
	    !parse_num(w[4], DNS_TLSA_MAX, &nbad))
		goto out;
	set->outcome = tlsa_outcomes[i].outcome;
	set->is_secure = strcmp(w[2], "secure") == 0;
	set->ttl = left;
	/* Records exactly when the answer had some. */
	if ((set->outcome == DNS_OUT_OK) != (nrr + nbad > 0))
		goto out;
	for (i = 0; i < nrr; i++) {
		if (!next_line(cur, line, TLSA_CACHE_LINE_MAX) ||
		    split(line, r, 5) != 5 || strcmp(r[0], "rr") != 0 ||
		    !parse_num(r[1], 255, &u) || !parse_num(r[2], 255, &sel) ||
		    !parse_num(r[3], 255, &m) ||
		    !parse_hex(r[4], set->rr[i].data, DNS_TLSA_DATA_MAX, &n))
			goto out;
		set->rr[i].usage = (uint8_t)u;
		set->rr[i].selector = (uint8_t)sel;
		set->rr[i].mtype = (uint8_t)m;
		set->rr[i].len = (uint16_t)n;
		set->nrr++;
	}
	set->nbad = (size_t)nbad;
	if (cur->p == cur->end)
		v = MX_CACHE_POSITIVE;
out:
	free(line);
	return v;
}

/* mx_cache_tlsa_parse - check a whole TLSA file; fill set */
enum mx_cache_verdict
mx_cache_tlsa_parse(const char *buf, size_t len, const char *owner,
    time_t now, uint32_t max_age_s, struct dns_tlsa_set *set)
{
	char line[MX_CACHE_LINE_MAX], *w[MX_CACHE_TOKENS_MAX];
	struct cursor cur;
	enum mx_cache_verdict v;
	uint64_t n;
	uint32_t left;
	size_t i, body;

	set->nrr = set->nbad = 0;
	set->outcome = DNS_OUT_TRYAGAIN;
	set->is_secure = false;
	set->ttl = 0;
	if (buf == NULL || len == 0 || len > MX_CACHE_FILE_MAX ||
	    owner == NULL)
		return MX_CACHE_DAMAGED;
	for (i = 0; i < len; i++)
		if ((buf[i] < 0x20 && buf[i] != '\n') || buf[i] >= 0x7f)
			return MX_CACHE_DAMAGED;
	if (!check_sum(buf, len, &body))
		return MX_CACHE_DAMAGED;
	cur.p = buf;
	cur.end = buf + body;
	if (!next_line(&cur, line, sizeof(line)) || split(line, w, 3) != 2 ||
	    strcmp(w[0], TLSA_CACHE_MAGIC) != 0 ||
	    !parse_num(w[1], UINT32_MAX, &n))
		return MX_CACHE_DAMAGED;
	if (n != TLSA_CACHE_VERSION)
		return MX_CACHE_STALE;
	if (!next_line(&cur, line, sizeof(line)) || split(line, w, 3) != 2 ||
	    strcmp(w[0], "owner") != 0 || strcmp(w[1], owner) != 0)
		return MX_CACHE_DAMAGED;
	if (!next_line(&cur, line, sizeof(line)) || split(line, w, 3) != 2 ||
	    strcmp(w[0], "expires") != 0 ||
	    !parse_num(w[1], (uint64_t)INT64_MAX / 2, &n))
		return MX_CACHE_DAMAGED;
	if ((int64_t)n <= (int64_t)now)
		return MX_CACHE_STALE;
	if ((uint64_t)((int64_t)n - (int64_t)now) > max_age_s)
		return MX_CACHE_DAMAGED;
	left = (uint32_t)((int64_t)n - (int64_t)now);
	if (!next_line(&cur, line, sizeof(line)) || split(line, w, 6) != 5 ||
	    strcmp(w[0], "tlsa") != 0)
		return MX_CACHE_DAMAGED;
	v = parse_tlsa_rrs(&cur, w, left, set);
	if (v != MX_CACHE_POSITIVE) {
		set->nrr = set->nbad = 0;
		set->outcome = DNS_OUT_TRYAGAIN;
		set->is_secure = false;
		set->ttl = 0;
	}
	return v;
}

/* mx_cache_tlsa_lookup - the TLSA records of _port._tcp.host: a fresh
 * file, else DNS, whose answer (not a failure) is stored for its TTL */
int
mx_cache_tlsa_lookup(struct mx_cache *c, struct dns *d, const char *host,
    unsigned port, struct dns_tlsa_set *set, bool *hit,
    struct relay_result *why)
{
	char owner[DNS_NAME_MAX + 16], name[MX_CACHE_NAME_MAX + 6];
	enum mx_cache_verdict v;
	char *buf = NULL;
	uint32_t ttl;
	size_t len;
	bool had_file;
	int rc, r, n;

	*hit = false;
	n = snprintf(owner, sizeof(owner), "_%u._tcp.%s", port,
	    host != NULL ? host : "");
	if (c == NULL || d == NULL || host == NULL || n < 0 ||
	    (size_t)n >= sizeof(owner) || !dns_dnssec(d) || !open_dir(c) ||
	    (buf = malloc(MX_CACHE_FILE_MAX + 1)) == NULL)
		return dns_lookup_tlsa(d, host, port, set, why);
	file_name(owner, name, sizeof(name));
	r = read_file(c, name, buf, &len);
	had_file = r != 0;
	if (r > 0) {
		v = mx_cache_tlsa_parse(buf, len, owner, now(c), max_age(c),
		    set);
		if (v == MX_CACHE_POSITIVE) {
			log_debug("mx_cache: %s: hit", owner);
			*hit = true;
			free(buf);
			if (set->outcome == DNS_OUT_OK)
				return 0;
			return relay_result_set(why, "5.4.4", "Host or domain "
			    "name not found. Name service error for name=%s "
			    "type=TLSA: %s (cached)", owner,
			    set->outcome == DNS_OUT_NXDOMAIN ?
			    "Host not found" : "Host found but no data "
			    "record of requested type");
		}
		log_debug("mx_cache: %s: miss (%s file)", owner,
		    mx_cache_verdict_name(v));
	}
	rc = dns_lookup_tlsa(d, host, port, set, why);
	ttl = set->outcome == DNS_OUT_OK ? c->max_ttl_s :
	    c->max_negative_ttl_s;
	if (set->ttl < ttl)
		ttl = set->ttl;
	len = 0;
	if (ttl > 0 && (set->outcome == DNS_OUT_OK ||
	    set->outcome == DNS_OUT_NODATA ||
	    set->outcome == DNS_OUT_NXDOMAIN))
		len = mx_cache_tlsa_format(buf, MX_CACHE_FILE_MAX + 1, owner,
		    now(c) + (time_t)ttl, set);
	if (len > 0 && write_file(c, name, buf, len))
		log_debug("mx_cache: %s: stored for %lus", owner,
		    (unsigned long)ttl);
	else if (had_file)
		unlinkat(c->dirfd, name, 0);
	free(buf);
	return rc;
}
