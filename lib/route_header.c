/*
 * NAME
 *	route_header - signed routing headers (X-Slimrelay-Route)
 * SYNOPSIS
 *	#include "route_header.h"
 *
 *	int route_header_key_load(struct route_header_key *k,
 *	    const char *path, struct relay_result *why);
 *	void route_header_key_wipe(struct route_header_key *k);
 *	int route_header_from_route(struct route_header *h,
 *	    const char *domain, const struct route *r, time_t now,
 *	    const struct route_header_message *msg, struct relay_result *why);
 *	int route_header_sign(const struct route_header *h,
 *	    const struct route_header_key *k, char *buf, size_t len,
 *	    struct relay_result *why);
 *	enum route_header_status route_header_parse(struct route_header *h,
 *	    unsigned char mac[ROUTE_HEADER_MAC_LEN], const char *value);
 *	enum route_header_status route_header_verify(struct route_header *h,
 *	    const char *value, const struct route_header_key *k,
 *	    const struct route_header_message *msg, time_t now,
 *	    long max_age_ms);
 *	bool route_header_name_is(const char *name);
 *	size_t route_header_line_match(const char *line, size_t len);
 *	const char *route_header_status_name(enum route_header_status s);
 * DESCRIPTION
 *	slimrelay-milter sees the SMTP session (client address, SASL
 *	login, sender) and writes, for each forced recipient domain, one
 *	header that tells the transport where that domain's mail goes:
 *
 *	    X-Slimrelay-Route: v=1; d=example.com; r=[mx.example.net]:2525;
 *	        o=tls=verify; t=1764030000; b=mid:<64 hex>; s=<base64>
 *
 *	v is the format version (1). d is the recipient domain (lower
 *	case). r is the next hop in Postfix syntax. o, optional, carries
 *	the route's options (tls=LEVEL, wrappermode=yes|no, comma
 *	separated). t is the signing time (seconds since the epoch). b
 *	binds the header to one message: "mid:" and the SHA-256 of its
 *	Message-ID, or "qid:" and the SHA-256 of the MTA's queue id when
 *	the message had no Message-ID. s is the HMAC-SHA256, in base64,
 *	of the canonical form of all the other fields:
 *
 *	    "slimrelay-route\nv=1\nd=DOMAIN\nr=NEXTHOP\no=OPTIONS\n"
 *	    "t=TIME\nb=KIND:HASH\n"
 *
 *	built from the parsed values (so white space, folding and the
 *	case of tags do not matter, and every field is covered). Tags may
 *	come in any order, each once; an unknown tag makes the header
 *	malformed. Values are at most ROUTE_HEADER_VALUE_MAX bytes.
 *
 *	route_header_key_load() reads the shared key: the file's bytes
 *	without trailing white space, ROUTE_HEADER_KEY_MIN to
 *	ROUTE_HEADER_KEY_MAX bytes (for example "openssl rand -base64 32").
 *	It refuses (4.3.5) a file that is not regular, that others may
 *	read or write, or that its group may write: mode 0600 or 0640 with
 *	a group shared by the milter and the transport. The caller wipes
 *	the key with route_header_key_wipe() when done with it.
 *
 *	route_header_from_route() fills h for a recipient domain from its
 *	route rule (an smtp rule with a next hop) and the message. It
 *	binds to the Message-ID when there is one, else to the queue id;
 *	with neither it fails (4.3.0).
 *
 *	route_header_sign() writes the header value (without the name)
 *	into buf; it fails (4.3.0) when buf is too small or h is not valid.
 *
 *	route_header_parse() checks the syntax and fills h and mac; it does
 *	not check the signature. route_header_verify() parses, then checks
 *	the signature in constant time (CRYPTO_memcmp), the binding to
 *	msg, and the age: t no older than max_age_ms and no more than
 *	ROUTE_HEADER_SKEW_S seconds in the future. Only ROUTE_HEADER_VALID
 *	means the header may be honoured; h is meaningful only then.
 *
 *	route_header_name_is() tells whether a header name (as a milter
 *	gets it, without the colon) is the routing header, in any case.
 *	route_header_line_match() does the same for a raw header line
 *	("X-SLIMRELAY-ROUTE :..."), returning the length up to and with
 *	the colon, or 0.
 * SEE ALSO
 *	RFC 2104 (HMAC), RFC 6234 (SHA-256), RFC 5322 section 2.2 (header
 *	fields), RFC 6376 section 3.2 (tag=value lists, for the syntax).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "auth.h"
#include "dl_openssl.h"
#include "config.h"
#include "route_header.h"

#define CANON_MAX	(ROUTE_HEADER_VALUE_MAX + 64)
#define B64_MAC_LEN	44	/* base64 of 32 bytes, with one '=' */
#define OPT_TEXT_MAX	48

/* is_wsp - header white space, folding included */
static bool
is_wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* route_header_key_wipe - forget the key */
void
route_header_key_wipe(struct route_header_key *k)
{
	explicit_bzero(k->data, sizeof(k->data));
	k->len = 0;
}

/* route_header_key_load - read the shared key; refuse a loose mode */
int
route_header_key_load(struct route_header_key *k, const char *path,
    struct relay_result *why)
{
	unsigned char buf[ROUTE_HEADER_KEY_MAX + 2], rest[64];
	struct stat st;
	size_t used = 0;
	bool is_long = false;
	ssize_t n;
	int fd = -1, ret = -1;

	route_header_key_wipe(k);
	/* A key is for HMAC: libcrypto is loaded with it (dl.c). */
	if (dl_load(DL_CRYPTO, why) != 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		relay_result_set(why, "4.3.5", "routing key %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		relay_result_set(why, "4.3.5", "routing key %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		relay_result_set(why, "4.3.5", "routing key %s: not a regular "
		    "file", path);
		goto out;
	}
	if ((st.st_mode & (S_IRWXO | S_IWGRP)) != 0) {
		relay_result_set(why, "4.3.5", "routing key %s: mode %04o lets "
		    "others read or change it (use 0600 or 0640)", path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	while (used < sizeof(buf)) {
		n = read(fd, buf + used, sizeof(buf) - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			relay_result_set(why, "4.3.5", "routing key %s: %s",
			    path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	/* A full buffer: whatever follows must be blanks too. */
	while (used == sizeof(buf) && !is_long) {
		n = read(fd, rest, sizeof(rest));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			relay_result_set(why, "4.3.5", "routing key %s: %s",
			    path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		while (n > 0 && !is_long)
			is_long = !is_wsp(rest[--n]);
	}
	while (used > 0 && (is_wsp(buf[used - 1])))
		used--;
	if (used > ROUTE_HEADER_KEY_MAX || is_long) {
		relay_result_set(why, "4.3.5", "routing key %s: longer than "
		    "%d bytes", path, ROUTE_HEADER_KEY_MAX);
		goto out;
	}
	if (used < ROUTE_HEADER_KEY_MIN) {
		relay_result_set(why, "4.3.5", "routing key %s: shorter than "
		    "%d bytes", path, ROUTE_HEADER_KEY_MIN);
		goto out;
	}
	memcpy(k->data, buf, used);
	k->len = used;
	ret = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(rest, sizeof(rest));
	if (fd >= 0)
		close(fd);
	return ret;
}

/* binding_hash - hex SHA-256 of a Message-ID or queue id, unfolded */
static bool
binding_hash(const char *value, char hex[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char buf[ROUTE_HEADER_BINDING_MAX + 1];
	size_t i, n = 0;

	if (value == NULL || !dl_loaded(DL_CRYPTO))
		return false;
	/* Unfold (drop CR and LF), then trim white space at both ends. */
	for (i = 0; value[i] != '\0'; i++) {
		if (value[i] == '\r' || value[i] == '\n')
			continue;
		if (n == 0 && is_wsp((unsigned char)value[i]))
			continue;
		if (n >= ROUTE_HEADER_BINDING_MAX)
			return false;
		buf[n++] = value[i];
	}
	while (n > 0 && is_wsp((unsigned char)buf[n - 1]))
		n--;
	if (n == 0)
		return false;
	SHA256((const unsigned char *)buf, n, md);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return true;
}

/* route_header_from_route - the header for one domain and message */
int
route_header_from_route(struct route_header *h, const char *domain,
    const struct route *r, time_t now, const struct route_header_message *msg,
    struct relay_result *why)
{
	size_t i;

	memset(h, 0, sizeof(*h));
	if (dl_load(DL_CRYPTO, why) != 0)
		return -1;
	if (r->transport != ROUTE_SMTP || !r->has_nexthop)
		return relay_result_set(why, "4.3.0", "route \"%.300s\" has no "
		    "SMTP next hop to write into a routing header", r->text);
	if (strlen(domain) > ROUTE_DOMAIN_MAX ||
	    !nexthop_valid_hostname(domain))
		return relay_result_set(why, "4.3.0", "bad domain \"%.300s\" "
		    "for a routing header", domain);
	for (i = 0; domain[i] != '\0'; i++)
		h->domain[i] = (char)tolower((unsigned char)domain[i]);
	h->nh = r->nh;
	h->tls_level = r->tls_level;
	h->tls_wrappermode = r->tls_wrappermode;
	h->time = (long long)now;
	if (binding_hash(msg->message_id, h->binding_hash))
		h->binding = ROUTE_HEADER_BIND_MSGID;
	else if (binding_hash(msg->queue_id, h->binding_hash))
		h->binding = ROUTE_HEADER_BIND_QUEUEID;
	else
		return relay_result_set(why, "4.3.0", "no Message-ID and no "
		    "queue id to bind the routing header to");
	return 0;
}

/* format_options - "tls=verify,wrappermode=yes" or "" */
static void
format_options(const struct route_header *h, char *buf, size_t len)
{
	buf[0] = '\0';
	/* config.c's table: every level, dane and dane-only too. */
	if (h->tls_level >= 0 && config_tls_level_parse(
	    config_tls_level_name(h->tls_level)) == h->tls_level)
		snprintf(buf, len, "tls=%s",
		    config_tls_level_name(h->tls_level));
	if (h->tls_wrappermode >= 0)
		snprintf(buf + strlen(buf), len - strlen(buf),
		    "%swrappermode=%s", buf[0] ? "," : "",
		    h->tls_wrappermode ? "yes" : "no");
}

/* binding_name - "mid" or "qid" */
static const char *
binding_name(enum route_header_binding b)
{
	return b == ROUTE_HEADER_BIND_MSGID ? "mid" : "qid";
}

/* compute_mac - HMAC-SHA256 over the canonical form of h */
static bool
compute_mac(const struct route_header *h, const struct route_header_key *k,
    unsigned char mac[ROUTE_HEADER_MAC_LEN])
{
	char canon[CANON_MAX], nh[NEXTHOP_FORMAT_MAX], opt[OPT_TEXT_MAX];
	unsigned int mac_len = 0;
	int n;

	nexthop_format(&h->nh, nh, sizeof(nh));
	format_options(h, opt, sizeof(opt));
	n = snprintf(canon, sizeof(canon), "slimrelay-route\nv=1\nd=%s\n"
	    "r=%s\no=%s\nt=%lld\nb=%s:%s\n", h->domain, nh, opt, h->time,
	    binding_name(h->binding), h->binding_hash);
	if (n < 0 || (size_t)n >= sizeof(canon) || !dl_loaded(DL_CRYPTO))
		return false;
	if (HMAC(EVP_sha256(), k->data, (int)k->len,
	    (const unsigned char *)canon, (size_t)n, mac, &mac_len) == NULL ||
	    mac_len != ROUTE_HEADER_MAC_LEN)
		return false;
	return true;
}

/* route_header_sign - the header value, signed with k */
int
route_header_sign(const struct route_header *h,
    const struct route_header_key *k, char *buf, size_t len,
    struct relay_result *why)
{
	unsigned char mac[ROUTE_HEADER_MAC_LEN];
	char b64[B64_MAC_LEN + 1];
	char nh[NEXTHOP_FORMAT_MAX], opt[OPT_TEXT_MAX];
	char opt_tag[OPT_TEXT_MAX + 8];
	int n, ret = -1;

	if (k->len == 0) {
		relay_result_set(why, "4.3.5", "no routing key loaded");
		goto out;
	}
	if (h->domain[0] == '\0' || h->nh.host[0] == '\0' ||
	    strlen(h->binding_hash) != 64 || h->time < 0) {
		relay_result_set(why, "4.3.0", "incomplete routing header");
		goto out;
	}
	if (!compute_mac(h, k, mac)) {
		relay_result_set(why, "4.3.0", "cannot compute the routing "
		    "header signature");
		goto out;
	}
	if (auth_base64_encode(mac, sizeof(mac), b64, sizeof(b64)) != 0) {
		relay_result_set(why, "4.3.0", "cannot encode the routing "
		    "header signature");
		goto out;
	}
	nexthop_format(&h->nh, nh, sizeof(nh));
	format_options(h, opt, sizeof(opt));
	opt_tag[0] = '\0';
	if (opt[0] != '\0')
		snprintf(opt_tag, sizeof(opt_tag), " o=%s;", opt);
	n = snprintf(buf, len, "v=1; d=%s; r=%s;%s t=%lld; b=%s:%s; s=%s",
	    h->domain, nh, opt_tag, h->time, binding_name(h->binding),
	    h->binding_hash, b64);
	if (n < 0 || (size_t)n >= len || (size_t)n > ROUTE_HEADER_VALUE_MAX) {
		relay_result_set(why, "4.3.0", "routing header too long");
		goto out;
	}
	ret = 0;
out:
	explicit_bzero(mac, sizeof(mac));
	return ret;
}

/* parse_options - "tls=LEVEL,wrappermode=yes|no", each at most once */
static bool
parse_options(struct route_header *h, char *v)
{
	char *opt, *save = NULL;

	for (opt = strtok_r(v, ",", &save); opt != NULL;
	    opt = strtok_r(NULL, ",", &save)) {
		if (strncasecmp(opt, "tls=", 4) == 0 && h->tls_level < 0) {
			if ((h->tls_level = config_tls_level_parse(opt + 4)) < 0)
				return false;
		} else if (strcasecmp(opt, "wrappermode=yes") == 0 &&
		    h->tls_wrappermode < 0)
			h->tls_wrappermode = 1;
		else if (strcasecmp(opt, "wrappermode=no") == 0 &&
		    h->tls_wrappermode < 0)
			h->tls_wrappermode = 0;
		else
			return false;
	}
	return true;
}

/* parse_binding - "mid:HEX64" or "qid:HEX64" */
static bool
parse_binding(struct route_header *h, const char *v)
{
	size_t i;

	if (strncasecmp(v, "mid:", 4) == 0)
		h->binding = ROUTE_HEADER_BIND_MSGID;
	else if (strncasecmp(v, "qid:", 4) == 0)
		h->binding = ROUTE_HEADER_BIND_QUEUEID;
	else
		return false;
	v += 4;
	if (strlen(v) != 64)
		return false;
	for (i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)v[i]))
			return false;
		h->binding_hash[i] = (char)tolower((unsigned char)v[i]);
	}
	h->binding_hash[64] = '\0';
	return true;
}

/* parse_mac - 44 characters of base64 that encode exactly 32 bytes */
static bool
parse_mac(unsigned char mac[ROUTE_HEADER_MAC_LEN], const char *v)
{
	unsigned char out[ROUTE_HEADER_MAC_LEN];
	char again[B64_MAC_LEN + 1];
	size_t n;

	if (strlen(v) != B64_MAC_LEN || v[B64_MAC_LEN - 1] != '=' ||
	    v[B64_MAC_LEN - 2] == '=')
		return false;
	if (auth_base64_decode(v, out, sizeof(out), &n) != 0 ||
	    n != ROUTE_HEADER_MAC_LEN)
		return false;
	/* Only the canonical encoding: no stray bits in the last digit. */
	if (auth_base64_encode(out, n, again, sizeof(again)) != 0 ||
	    memcmp(again, v, B64_MAC_LEN) != 0)
		return false;
	memcpy(mac, out, ROUTE_HEADER_MAC_LEN);
	return true;
}

/* parse_tag - one "tag=value" element; seen tracks duplicates */
static enum route_header_status
parse_tag(struct route_header *h, unsigned char *mac, char *elem,
    unsigned *seen)
{
	static const char tags[] = "vdrotbs";
	const char *p;
	char *eq, *v;
	unsigned bit;
	struct relay_result why;

	if ((eq = strchr(elem, '=')) == NULL || eq == elem || eq[1] == '\0')
		return ROUTE_HEADER_MALFORMED;
	*eq = '\0';
	v = eq + 1;
	if (strlen(elem) != 1 || (p = strchr(tags,
	    tolower((unsigned char)elem[0]))) == NULL)
		return ROUTE_HEADER_MALFORMED;
	bit = 1u << (p - tags);
	if (*seen & bit)
		return ROUTE_HEADER_MALFORMED;
	*seen |= bit;
	for (p = v; *p != '\0'; p++)
		if (is_wsp((unsigned char)*p) || !isprint((unsigned char)*p))
			return ROUTE_HEADER_MALFORMED;
	switch (tolower((unsigned char)elem[0])) {
	case 'v':
		return strcmp(v, "1") == 0 ? ROUTE_HEADER_VALID :
		    ROUTE_HEADER_BAD_VERSION;
	case 'd':
		if (strlen(v) > ROUTE_DOMAIN_MAX || !nexthop_valid_hostname(v))
			return ROUTE_HEADER_MALFORMED;
		for (p = v; *p != '\0'; p++)
			h->domain[p - v] = (char)tolower((unsigned char)*p);
		return ROUTE_HEADER_VALID;
	case 'r':
		relay_result_init(&why);
		return nexthop_parse(&h->nh, v, 25, &why) == 0 ?
		    ROUTE_HEADER_VALID : ROUTE_HEADER_MALFORMED;
	case 'o':
		return parse_options(h, v) ? ROUTE_HEADER_VALID :
		    ROUTE_HEADER_MALFORMED;
	case 't':
		if (strlen(v) > 12 || strspn(v, "0123456789") != strlen(v))
			return ROUTE_HEADER_MALFORMED;
		h->time = strtoll(v, NULL, 10);
		return ROUTE_HEADER_VALID;
	case 'b':
		return parse_binding(h, v) ? ROUTE_HEADER_VALID :
		    ROUTE_HEADER_MALFORMED;
	default:	/* 's' */
		return parse_mac(mac, v) ? ROUTE_HEADER_VALID :
		    ROUTE_HEADER_MALFORMED;
	}
}

/* trim - strip header white space at both ends, in place */
static char *
trim(char *s)
{
	size_t n;

	while (is_wsp((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_wsp((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* route_header_parse - syntax only: fields into h, signature into mac */
enum route_header_status
route_header_parse(struct route_header *h,
    unsigned char mac[ROUTE_HEADER_MAC_LEN], const char *value)
{
	char buf[ROUTE_HEADER_VALUE_MAX + 1];
	char *elem, *next;
	enum route_header_status st = ROUTE_HEADER_VALID, st1;
	unsigned seen = 0;
	size_t len;

	memset(h, 0, sizeof(*h));
	h->tls_level = -1;
	h->tls_wrappermode = -1;
	memset(mac, 0, ROUTE_HEADER_MAC_LEN);
	if ((len = strlen(value)) > ROUTE_HEADER_VALUE_MAX)
		return ROUTE_HEADER_TOO_LONG;
	memcpy(buf, value, len + 1);
	for (elem = buf; elem != NULL; elem = next) {
		if ((next = strchr(elem, ';')) != NULL)
			*next++ = '\0';
		elem = trim(elem);
		if (*elem == '\0') {
			if (next == NULL && seen != 0)
				break;		/* one trailing ';' */
			st = ROUTE_HEADER_MALFORMED;
			break;
		}
		st1 = parse_tag(h, mac, elem, &seen);
		/* A foreign version wins over any other complaint. */
		if (st1 == ROUTE_HEADER_BAD_VERSION)
			return st1;
		if (st1 != ROUTE_HEADER_VALID && st == ROUTE_HEADER_VALID)
			st = st1;
	}
	/* o (bit 3) is optional; every other tag must be there. */
	if (st == ROUTE_HEADER_VALID && (seen | 1u << 3) != 0x7f)
		st = ROUTE_HEADER_MALFORMED;
	explicit_bzero(buf, sizeof(buf));
	return st;
}

/* route_header_verify - parse, then signature, binding and age */
enum route_header_status
route_header_verify(struct route_header *h, const char *value,
    const struct route_header_key *k, const struct route_header_message *msg,
    time_t now, long max_age_ms)
{
	unsigned char mac[ROUTE_HEADER_MAC_LEN], want[ROUTE_HEADER_MAC_LEN];
	enum route_header_status st;
	char hash[65];
	const char *bound;
	long long age_s;

	if ((st = route_header_parse(h, mac, value)) != ROUTE_HEADER_VALID)
		goto out;
	if (k == NULL || k->len == 0) {
		st = ROUTE_HEADER_NO_KEY;
		goto out;
	}
	if (!compute_mac(h, k, want) ||
	    CRYPTO_memcmp(mac, want, sizeof(mac)) != 0) {
		st = ROUTE_HEADER_BAD_SIGNATURE;
		goto out;
	}
	bound = h->binding == ROUTE_HEADER_BIND_MSGID ? msg->message_id :
	    msg->queue_id;
	if (!binding_hash(bound, hash) || strcmp(hash, h->binding_hash) != 0) {
		st = ROUTE_HEADER_WRONG_MESSAGE;
		goto out;
	}
	age_s = (long long)now - h->time;
	if (age_s < -ROUTE_HEADER_SKEW_S)
		st = ROUTE_HEADER_FUTURE;
	else if (age_s > max_age_ms / 1000)
		st = ROUTE_HEADER_EXPIRED;
out:
	explicit_bzero(want, sizeof(want));
	return st;
}

/* route_header_name_is - the routing header's name, any case */
bool
route_header_name_is(const char *name)
{
	size_t n = strlen(ROUTE_HEADER_NAME);

	if (strncasecmp(name, ROUTE_HEADER_NAME, n) != 0)
		return false;
	/* RFC 5322 4.5.x obsolete syntax: white space before the colon. */
	for (name += n; *name == ' ' || *name == '\t'; name++)
		;
	return *name == '\0';
}

/* route_header_line_match - length through the colon, or 0 */
size_t
route_header_line_match(const char *line, size_t len)
{
	size_t n = strlen(ROUTE_HEADER_NAME), i;

	if (len <= n || strncasecmp(line, ROUTE_HEADER_NAME, n) != 0)
		return 0;
	for (i = n; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	return i < len && line[i] == ':' ? i + 1 : 0;
}

/* route_header_status_name - for log lines */
const char *
route_header_status_name(enum route_header_status s)
{
	switch (s) {
	case ROUTE_HEADER_VALID:
		return "valid";
	case ROUTE_HEADER_MALFORMED:
		return "malformed";
	case ROUTE_HEADER_TOO_LONG:
		return "too long";
	case ROUTE_HEADER_BAD_VERSION:
		return "unknown version";
	case ROUTE_HEADER_BAD_SIGNATURE:
		return "bad signature";
	case ROUTE_HEADER_WRONG_MESSAGE:
		return "bound to another message";
	case ROUTE_HEADER_EXPIRED:
		return "expired";
	case ROUTE_HEADER_FUTURE:
		return "time stamp in the future";
	case ROUTE_HEADER_NO_KEY:
		return "no routing key";
	}
	return "unknown";
}
