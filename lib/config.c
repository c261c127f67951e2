/*
 * NAME
 *	config - slimrelay.conf: defaults, parsing, -o overrides, dump
 * SYNOPSIS
 *	#include "config.h"
 *
 *	void config_defaults(struct config *cfg);
 *	void config_fini(struct config *cfg);
 *	int config_load(struct config *cfg, const char *path,
 *	    bool must_exist, struct relay_result *why);
 *	int config_load_all(struct config *cfg, const char *path,
 *	    bool must_exist, FILE *problems, unsigned *count);
 *	int config_where(const struct config *cfg, const char *key,
 *	    char *buf, size_t len);
 *	int config_read(struct config *cfg, FILE *fp, const char *name,
 *	    struct relay_result *why);
 *	int config_set(struct config *cfg, const char *key,
 *	    const char *value, struct relay_result *why);
 *	int config_set_option(struct config *cfg, const char *key_eq_value,
 *	    struct relay_result *why);
 *	void config_dump(const struct config *cfg, FILE *fp, bool only_set);
 *	int config_parse_time_ms(const char *text, long *ms);
 *	const char *config_tls_level_name(int level);
 *	int config_tls_level_parse(const char *name);
 * DESCRIPTION
 *	One table below names every parameter with its type, its place in
 *	struct config and its default; defaults, parsing, the set_mask and
 *	the dump are all driven by it. The SMTP stage timeouts take their
 *	names and defaults from smtp_stage.c, so there is one list of
 *	stages.
 *
 *	config_defaults() sets every parameter to its default and clears
 *	set_mask. The route table is the one part of a configuration on
 *	the heap: config_fini() frees it and must end the life of every
 *	struct config that config_defaults() began (it leaves an empty
 *	table, so a second call does no harm). config_defaults() takes cfg
 *	as raw memory: on a configuration that owns routes, call
 *	config_fini() first. A plain struct copy of a configuration
 *	shares the routes of the original; only one of the two may be
 *	given to config_fini().
 *
 *	config_load() reads a file in the format of Postfix's main.cf:
 *	"key = value" lines; blank lines and lines whose first non-blank
 *	character is '#' are ignored (comments are whole lines only: a '#'
 *	after a value is part of the value); a line that starts with
 *	whitespace continues the previous parameter line, joined with one
 *	space; leading and trailing whitespace of keys and values is
 *	removed. A later setting of a key replaces an earlier one, except
 *	for "route": each route line adds a rule to cfg->routes (see
 *	route.c), and an empty "route =" drops the rules before it. A file
 *	that does not exist is not an error unless must_exist is set.
 *	config_read() does the same with an open stream, and uses name in
 *	messages.
 *
 *	config_load_all() is config_load() for slimrelay -t: it does not
 *	stop at the first mistake but writes each one as a line on
 *	problems ("FILE:LINE: what is wrong"), adds one to *count, and
 *	goes on; cfg gets every good line. It returns 0 when the file was
 *	read (with or without mistakes), -1 when it could not be.
 *
 *	cfg->path is the file read and cfg->set_line[] the line of each
 *	parameter's last setting in it (0 for a default or -o);
 *	route.line is the line of each route rule. config_where() writes
 *	where key got its value: "FILE:LINE", "-o" or, for a default,
 *	"FILE" (the file that could have set it; "slimrelay.conf" when
 *	none was read), and returns 1 when key was set, 0 for a default,
 *	-1 for an unknown key.
 *
 *	config_set() sets one parameter from its text, config_set_option()
 *	from "key=value" (the -o option). Both mark the key as set, like
 *	a file setting, for config_dump(..., true).
 *
 *	Errors are transient ("4.3.5": a configuration problem must defer
 *	mail, never bounce it) and name the place: "FILE:LINE: unknown
 *	parameter \"smarthots\"", "FILE:LINE: parameter pool_size: bad
 *	value \"2000\": must be between 0 and 1000", "FILE:LINE: missing
 *	'=' ...", "FILE:LINE: line longer than 4096 bytes", "-o: ...". A
 *	value may not contain control characters other than TAB, nor may
 *	the file contain NUL bytes. On error *cfg is left unchanged:
 *	config_read() works on a copy with its own route table, which
 *	replaces cfg's (freed then) only when the whole stream is good.
 *	Running out of memory is "4.3.0".
 *
 *	Value types: strings, bounded, with a syntax check per parameter
 *	(smarthost by nexthop_parse(), host names, IP addresses, server
 *	lists); absolute paths; booleans
 *	(yes/no, true/false, on/off, 1/0, any case); integers in a range;
 *	times; and names from a fixed list. A time is a decimal number with
 *	an optional unit: ms, s, m, h, d or w; no unit means seconds
 *	("500ms", "10s", "5m", "1h"). config_parse_time_ms() parses one
 *	into milliseconds and returns 0, or -1 for bad syntax or a value
 *	that does not fit in a long.
 *
 *	config_tls_level_name() names an enum config_tls_level ("none",
 *	"may", ...; "unknown" out of range); config_tls_level_parse() is
 *	the level a name stands for, in any case, or -1. Route options
 *	and --route use the same names as tls_level.
 *
 *	config_dump() prints "key = value" lines in table order, like
 *	postconf(1) (-n: only_set), in a form that config_load() reads
 *	back to the same configuration; times are printed in seconds, or
 *	in milliseconds when not a whole number of seconds.
 * SEE ALSO
 *	slimrelay.conf(5), postconf(5) "syntax of main.cf", smtp_stage.c.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "address.h"
#include "config.h"
#include "macro.h"
#include "nexthop.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif
#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif

#define TIME_MAX_MS	(7L * 24 * 3600 * 1000)	/* a week */
#define SHOW_MAX	64	/* value bytes quoted in an error */
#define ERR_MAX		RELAY_TEXT_MAX
#define SYSLOG_NAME_MAX	63	/* log.c keeps 63 bytes of the ident */

enum param_type {
	P_STRING,		/* char[], with a syntax check */
	P_PATH,			/* char[], an absolute path */
	P_BOOL,			/* bool */
	P_INT,			/* int in [min, max] */
	P_TIME,			/* long milliseconds in [min, max] */
	P_ENUM,			/* int, one of names[] */
	P_LOOKUP,		/* host_lookup: two bools */
	P_ROUTE,		/* route: appends to cfg->routes */
};

struct name_value {
	const char *name;
	int	value;
};

struct param {
	const char *key;	/* NULL: smtp_stage_config_key(stage) */
	enum param_type type;
	size_t	offset;		/* of the field in struct config */
	size_t	size;		/* of a char[] field */
	const char *def;	/* default as text; NULL for stage timeouts */
	long	min;		/* P_INT, P_TIME */
	long	max;
	const struct name_value *names;	/* P_ENUM, NULL-terminated */
	int	(*check)(const char *, char *, size_t);	/* P_STRING */
	bool	is_stage;	/* an SMTP stage timeout */
	enum smtp_stage stage;
};

static int check_nexthop(const char *, char *, size_t);
static int check_hostname(const char *, char *, size_t);
static int check_ip(const char *, char *, size_t);
static int check_dns_servers(const char *, char *, size_t);
static int check_trust_resolver(const char *, char *, size_t);
static int check_probe(const char *, char *, size_t);
static int check_log(const char *, char *, size_t);
static int check_syslog_name(const char *, char *, size_t);
static int check_optional_path(const char *, char *, size_t);
static int check_fingerprints(const char *, char *, size_t);
static int check_mechanism(const char *, char *, size_t);
static int check_macros(const char *, char *, size_t);

static const struct name_value addr_prefs[] = {
	{ "any", CONFIG_ADDR_ANY },
	{ "ipv4", CONFIG_ADDR_IPV4 },
	{ "ipv6", CONFIG_ADDR_IPV6 },
	{ "ipv4_only", CONFIG_ADDR_IPV4_ONLY },
	{ "ipv6_only", CONFIG_ADDR_IPV6_ONLY },
	{ NULL, 0 },
};

static const struct name_value tls_levels[] = {
	{ "none", CONFIG_TLS_NONE },
	{ "may", CONFIG_TLS_MAY },
	{ "encrypt", CONFIG_TLS_ENCRYPT },
	{ "verify", CONFIG_TLS_VERIFY },
	{ "fingerprint", CONFIG_TLS_FINGERPRINT },
	{ "dane", CONFIG_TLS_DANE },
	{ "dane-only", CONFIG_TLS_DANE_ONLY },
	{ NULL, 0 },
};

static const struct name_value on_error[] = {
	{ "tempfail", 0 },
	{ "accept", 1 },
	{ NULL, 0 },
};

static const struct name_value facilities[] = {
	{ "mail", LOG_MAIL },
	{ "daemon", LOG_DAEMON },
	{ "user", LOG_USER },
	{ "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
	{ NULL, 0 },
};

#define OFF(f)	offsetof(struct config, f)
#define SZ(f)	sizeof(((struct config *)0)->f)
#define STR(k, f, d, c) { .key = k, .type = P_STRING, .offset = OFF(f), \
	.size = SZ(f), .def = d, .check = c }
#define TIME(k, f, d, lo) { .key = k, .type = P_TIME, .offset = OFF(f), \
	.def = d, .min = lo, .max = TIME_MAX_MS }
#define STAGE(s) { .type = P_TIME, .offset = OFF(timeout_ms) + \
	(s) * sizeof(long), .min = 1, .max = TIME_MAX_MS, .is_stage = true, \
	.stage = (s) }

/* The parameters, in slimrelay.conf(5) and config_dump() order. */
static const struct param params[] = {
	STR("smarthost", smarthost, "", check_nexthop),
	STR("ehlo_name", ehlo_name, "", check_hostname),
	STR("source_address", source_address, "", check_ip),
	{ .key = "address_preference", .type = P_ENUM,
	    .offset = OFF(address_preference), .def = "any",
	    .names = addr_prefs },
	STAGE(SMTP_STAGE_CONNECT),
	STAGE(SMTP_STAGE_GREETING),
	STAGE(SMTP_STAGE_EHLO),
	STAGE(SMTP_STAGE_HELO),
	STAGE(SMTP_STAGE_STARTTLS),
	STAGE(SMTP_STAGE_AUTH),
	STAGE(SMTP_STAGE_MAIL),
	STAGE(SMTP_STAGE_RCPT),
	STAGE(SMTP_STAGE_DATA),
	STAGE(SMTP_STAGE_XFER),
	STAGE(SMTP_STAGE_DOT),
	STAGE(SMTP_STAGE_RSET),
	STAGE(SMTP_STAGE_QUIT),
	TIME("deadline", deadline_ms, "900s", 1),
	{ .key = "mx_address_limit", .type = P_INT,
	    .offset = OFF(mx_address_limit), .def = "5", .min = 1, .max = 50 },
	{ .key = "mx_session_limit", .type = P_INT,
	    .offset = OFF(mx_session_limit), .def = "2", .min = 1, .max = 50 },
	{ .key = "pool_size", .type = P_INT, .offset = OFF(pool_size),
	    .def = "0", .min = 0, .max = 1000 },
	TIME("pool_wait", pool_wait_ms, "60s", 0),
	TIME("connection_idle_timeout", connection_idle_timeout_ms, "2s", 1),
	TIME("connection_reuse_time_limit", connection_reuse_time_limit_ms,
	    "300s", 1),
	{ .key = "connection_reuse_count_limit", .type = P_INT,
	    .offset = OFF(connection_reuse_count_limit), .def = "0",
	    .min = 0, .max = 100000 },
	{ .key = "connection_keeper", .type = P_BOOL,
	    .offset = OFF(connection_keeper), .def = "yes" },
	TIME("keeper_idle", keeper_idle_ms, "60s", 1000),
	{ .key = "keeper_max_sessions", .type = P_INT,
	    .offset = OFF(keeper_max_sessions), .def = "100", .min = 1,
	    .max = 10000 },
	TIME("lmtp_idle_timeout", lmtp_idle_timeout_ms, "300s", 1),
	TIME("lmtp_max_age", lmtp_max_age_ms, "3600s", 1),
	{ .key = "state_directory", .type = P_PATH,
	    .offset = OFF(state_directory), .size = SZ(state_directory),
	    .def = LOCALSTATEDIR "/lib/slimrelay" },
	STR("dns_servers", dns_servers, "", check_dns_servers),
	TIME("dns_timeout", dns_timeout_ms, "5s", 1),
	{ .key = "dns_retries", .type = P_INT, .offset = OFF(dns_retries),
	    .def = "2", .min = 0, .max = 10 },
	{ .key = "host_lookup", .type = P_LOOKUP, .def = "dns" },
	STR("dnssec_trust_resolver", dnssec_trust_resolver, "loopback",
	    check_trust_resolver),
	STR("dnssec_probe", dnssec_probe, "ns:.", check_probe),
	{ .key = "tls_level", .type = P_ENUM, .offset = OFF(tls_level),
	    .def = "may", .names = tls_levels },
	{ .key = "smarthost_tls_level", .type = P_ENUM,
	    .offset = OFF(smarthost_tls_level), .def = "may",
	    .names = tls_levels },
	{ .key = "smarthost_tls_wrappermode", .type = P_BOOL,
	    .offset = OFF(smarthost_tls_wrappermode), .def = "no" },
	STR("tls_ca_file", tls_ca_file, "", check_optional_path),
	STR("tls_ca_path", tls_ca_path, "/etc/ssl/certs", check_optional_path),
	STR("tls_fingerprints", tls_fingerprints, "", check_fingerprints),
	{ .key = "tls_session_cache", .type = P_BOOL,
	    .offset = OFF(tls_session_cache), .def = "yes" },
	STR("auth_secrets_file", auth_secrets_file, "", check_optional_path),
	STR("auth_mechanism", auth_mechanism, "", check_mechanism),
	{ .key = "auth_allow_plaintext", .type = P_BOOL,
	    .offset = OFF(auth_allow_plaintext), .def = "no" },
	{ .key = "auth_soft_bounce", .type = P_BOOL,
	    .offset = OFF(auth_soft_bounce), .def = "yes" },
	{ .key = "maildrop_path", .type = P_PATH,
	    .offset = OFF(maildrop_path), .size = SZ(maildrop_path),
	    .def = "/usr/bin/maildrop" },
	STR("maildrop_args", maildrop_args, "-f ${sender} -d ${user}",
	    check_macros),
	TIME("maildrop_timeout", maildrop_timeout_ms, "10s", 1),
	{ .key = "dovecot_lda_path", .type = P_PATH,
	    .offset = OFF(dovecot_lda_path), .size = SZ(dovecot_lda_path),
	    .def = "/usr/lib/dovecot/dovecot-lda" },
	STR("dovecot_lda_args", dovecot_lda_args,
	    "-f ${sender} -d ${recipient}", check_macros),
	STR("pipe_command", pipe_command, "", check_macros),
	TIME("pipe_timeout", pipe_timeout_ms, "60s", 1),
	STR("routing_key_file", routing_key_file, "", check_optional_path),
	TIME("routing_header_max_age", routing_header_max_age_ms, "7d", 1),
	STR("milter_socket", milter_socket,
	    "unix:" RUNSTATEDIR "/slimrelay-milter/milter.sock", NULL),
	{ .key = "milter_on_error", .type = P_ENUM,
	    .offset = OFF(milter_on_error), .def = "tempfail",
	    .names = on_error },
	STR("milter_user", milter_user, "", NULL),
	{ .key = "skip_from_line", .type = P_BOOL,
	    .offset = OFF(skip_from_line), .def = "no" },
	STR("log", log, "syslog", check_log),
	STR("syslog_name", syslog_name, "slimrelay", check_syslog_name),
	{ .key = "syslog_facility", .type = P_ENUM,
	    .offset = OFF(syslog_facility), .def = "mail",
	    .names = facilities },
	{ .key = "route", .type = P_ROUTE, .def = "" },
};

#define NPARAMS	(sizeof(params) / sizeof(params[0]))

_Static_assert(NPARAMS <= CONFIG_PARAMS_MAX && CONFIG_PARAMS_MAX % 64 == 0,
    "set_mask has one bit per parameter");
_Static_assert(sizeof(enum config_addr_pref) == sizeof(int),
    "address_preference is stored through an int");

static const struct param *find_param(const char *, size_t *);
static const char *param_key(const struct param *);
static int parse_value(const struct param *, struct config *, const char *,
	    char *, size_t);
static void format_value(const struct param *, const struct config *,
	    char *, size_t);
static int parse_line(struct config *, char *, const char *, unsigned,
	    struct relay_result *);

/* Where config_load_all() reports; NULL: stop at the first mistake. */
struct problems {
	FILE	*fp;
	unsigned count;
};
/*
 * A source of lines: a file descriptor read with read(2), or a stream.
 * The transport reads its configuration file through the descriptor,
 * so a delivery does not start up stdio to read a few lines.
 */
struct source {
	FILE	*fp;			/* NULL: read fd */
	int	fd;
	bool	error;			/* errno says why */
	size_t	pos, len;
	char	buf[4096];
};

static int read_source(struct config *, struct source *, const char *,
    struct problems *, struct relay_result *);
static int read_lines(struct config *, struct source *, const char *,
	    struct problems *, struct relay_result *);
static int report(struct problems *, const struct relay_result *);
static int read_line(struct source *, char *, size_t, size_t *);
static char *trim(char *);
static void show(char *, size_t, const char *);
static void format_time(long, char *, size_t);

/* config_defaults - every parameter at its default, none marked set */
void
config_defaults(struct config *cfg)
{
	struct relay_result r;
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NPARAMS; i++) {
		const struct param *p = &params[i];

		if (p->is_stage) {
			cfg->timeout_ms[p->stage] =
			    smtp_stage_default_timeout_ms(p->stage);
			continue;
		}
		if (p->type == P_ROUTE) {
			route_table_init(&cfg->routes);
			continue;
		}
		/* A default that does not parse is a bug in the table. */
		if (config_set(cfg, p->key, p->def, &r) < 0) {
			fprintf(stderr, "config: bad default: %s\n", r.text);
			abort();
		}
	}
	memset(cfg->set_mask, 0, sizeof(cfg->set_mask));
}

/* config_fini - free what cfg owns (the route table); cfg stays valid */
void
config_fini(struct config *cfg)
{
	route_table_free(&cfg->routes);
}

/* config_load - read a configuration file into cfg */
int
config_load(struct config *cfg, const char *path, bool must_exist,
    struct relay_result *why)
{
	struct source src;
	struct stat st;
	int fd, ret = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		if (errno == ENOENT && !must_exist)
			ret = 0;
		else
			relay_result_set(why, "4.3.5", "%s: %s", path,
			    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		relay_result_set(why, "4.3.5", "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		relay_result_set(why, "4.3.5", "%s: %s", path,
		    S_ISDIR(st.st_mode) ? "is a directory" :
		    "not a regular file");
		goto out;
	}
	src.fp = NULL;
	src.fd = fd;
	ret = read_source(cfg, &src, path, NULL, why);
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* config_load_all - config_load(), every mistake reported, none fatal */
int
config_load_all(struct config *cfg, const char *path, bool must_exist,
    FILE *problems, unsigned *count)
{
	struct problems pr = { problems, 0 };
	struct relay_result why;
	struct source src;
	struct stat st;
	int fd, ret = -1;

	relay_result_init(&why);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		if (errno == ENOENT && !must_exist) {
			/* The file that could set what the checks find. */
			snprintf(cfg->path, sizeof(cfg->path), "%s", path);
			ret = 0;
		} else
			relay_result_set(&why, "4.3.5", "%s: %s", path,
			    strerror(errno));
	} else if (fstat(fd, &st) < 0) {
		relay_result_set(&why, "4.3.5", "%s: %s", path,
		    strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		relay_result_set(&why, "4.3.5", "%s: %s", path,
		    S_ISDIR(st.st_mode) ? "is a directory" :
		    "not a regular file");
	} else {
		src.fp = NULL;
		src.fd = fd;
		ret = read_source(cfg, &src, path, &pr, &why);
	}
	if (ret != 0)
		(void)report(&pr, &why);
	if (fd >= 0)
		close(fd);
	*count += pr.count;
	return ret;
}

/* config_where - where key got its value (see above) */
int
config_where(const struct config *cfg, const char *key, char *buf,
    size_t len)
{
	const char *file = cfg->path[0] != '\0' ? cfg->path :
	    "slimrelay.conf";
	size_t idx;

	if (find_param(key, &idx) == NULL) {
		snprintf(buf, len, "%s", file);
		return -1;
	}
	if ((cfg->set_mask[idx / 64] & (1ULL << (idx % 64))) == 0) {
		snprintf(buf, len, "%s", file);
		return 0;
	}
	if (cfg->set_line[idx] == 0)
		snprintf(buf, len, "-o");
	else
		snprintf(buf, len, "%s:%u", file, cfg->set_line[idx]);
	return 1;
}

/* report - one mistake as a line; 0 to go on, -1 to stop (no list) */
static int
report(struct problems *pr, const struct relay_result *why)
{
	if (pr == NULL)
		return -1;
	fprintf(pr->fp, "%s\n", why->text);
	pr->count++;
	return 0;
}

/* config_read - parse a configuration stream; name is for messages */
int
config_read(struct config *cfg, FILE *fp, const char *name,
    struct relay_result *why)
{
	struct source src;

	src.fp = fp;
	src.fd = -1;
	return read_source(cfg, &src, name, NULL, why);
}

/* read_source - config_read() from either kind of source */
static int
read_source(struct config *cfg, struct source *src, const char *name,
    struct problems *pr, struct relay_result *why)
{
	struct config work = *cfg;

	src->error = false;
	src->pos = src->len = 0;
	snprintf(work.path, sizeof(work.path), "%s", name);
	/* All or nothing: work gets its own routes, cfg's stay as they are. */
	if (route_table_copy(&work.routes, &cfg->routes, why) != 0)
		return -1;
	if (read_lines(&work, src, name, pr, why) != 0) {
		config_fini(&work);
		return -1;
	}
	config_fini(cfg);
	*cfg = work;
	return 0;
}

/*
 * read_lines - parse the stream into cfg, up to the first error; with
 * pr, every error is reported and the next line read
 */
static int
read_lines(struct config *cfg, struct source *src, const char *name,
    struct problems *pr, struct relay_result *why)
{
	char line[CONFIG_LINE_MAX + 1], logical[CONFIG_LINE_MAX + 1];
	unsigned lineno = 0, start = 0;
	size_t len, llen = 0;
	bool pending = false;
	char *text;
	int n;

	while ((n = read_line(src, line, sizeof(line), &len)) > 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';	/* a CRLF line end */
		if (n == 2) {
			relay_result_set(why, "4.3.5", "%s:%u: line longer "
			    "than %d bytes", name, lineno, CONFIG_LINE_MAX);
			if (report(pr, why) != 0)
				return -1;
			continue;
		}
		if (memchr(line, '\0', len) != NULL) {
			relay_result_set(why, "4.3.5", "%s:%u: NUL byte in "
			    "line", name, lineno);
			if (report(pr, why) != 0)
				return -1;
			continue;
		}
		text = trim(line);
		if (*text == '\0' || *text == '#')
			continue;	/* blank line or comment */
		if (text != line) {
			/* Leading whitespace: continues the last line. */
			if (!pending) {
				relay_result_set(why, "4.3.5", "%s:%u: "
				    "continuation line without a parameter "
				    "line before it", name, lineno);
				if (report(pr, why) != 0)
					return -1;
				continue;
			}
			len = strlen(text);
			if (llen + 1 + len > CONFIG_LINE_MAX) {
				relay_result_set(why, "4.3.5", "%s:%u: "
				    "parameter longer than %d bytes", name,
				    start, CONFIG_LINE_MAX);
				if (report(pr, why) != 0)
					return -1;
				pending = false;
				continue;
			}
			logical[llen++] = ' ';
			memcpy(logical + llen, text, len + 1);
			llen += len;
			continue;
		}
		if (pending && parse_line(cfg, logical, name, start,
		    why) < 0 && report(pr, why) != 0)
			return -1;
		llen = strlen(text);
		memcpy(logical, text, llen + 1);
		start = lineno;
		pending = true;
	}
	if (n < 0) {
		relay_result_set(why, "4.3.5", "%s: read error: %s", name,
		    strerror(errno));
		return -1;
	}
	if (pending && parse_line(cfg, logical, name, start, why) < 0 &&
	    report(pr, why) != 0)
		return -1;
	return 0;
}

/* source_getc - the next byte, or EOF at the end or on an error */
static int
source_getc(struct source *src)
{
	ssize_t n;

	if (src->pos == src->len) {
		if (src->error)
			return EOF;
		if (src->fp != NULL) {
			n = (ssize_t)fread(src->buf, 1, sizeof(src->buf),
			    src->fp);
			if (n == 0 && ferror(src->fp))
				n = -1;
		} else {
			do
				n = read(src->fd, src->buf, sizeof(src->buf));
			while (n < 0 && errno == EINTR);
		}
		if (n <= 0) {
			src->error = n < 0;
			return EOF;
		}
		src->pos = 0;
		src->len = (size_t)n;
	}
	return (unsigned char)src->buf[src->pos++];
}

/*
 * read_line - one physical line without its newline: 1, 0 at end of
 * file, -1 on a read error, 2 for a line that does not fit (the rest
 * of it is skipped). NUL bytes are kept and counted in *len.
 */
static int
read_line(struct source *src, char *buf, size_t size, size_t *len)
{
	size_t n = 0;
	bool too_long = false;
	int c;

	while ((c = source_getc(src)) != EOF && c != '\n') {
		if (n + 1 < size)
			buf[n++] = (char)c;
		else
			too_long = true;
	}
	if (c == EOF && src->error)
		return -1;
	if (c == EOF && n == 0 && !too_long)
		return 0;
	buf[n] = '\0';
	*len = n;
	return too_long ? 2 : 1;
}

/* parse_line - one logical "key = value" line */
static int
parse_line(struct config *cfg, char *line, const char *name,
    unsigned lineno, struct relay_result *why)
{
	char shown[SHOW_MAX + 8];
	char *eq, *key, *value;
	size_t idx;

	if ((eq = strchr(line, '=')) == NULL) {
		show(shown, sizeof(shown), line);
		relay_result_set(why, "4.3.5", "%s:%u: missing '=' in \"%s\" "
		    "(expected \"parameter = value\")", name, lineno, shown);
		return -1;
	}
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (*key == '\0') {
		relay_result_set(why, "4.3.5", "%s:%u: missing parameter "
		    "name before '='", name, lineno);
		return -1;
	}
	if (config_set(cfg, key, value, why) < 0) {
		char inner[RELAY_TEXT_MAX];

		memcpy(inner, why->text, sizeof(inner));
		relay_result_set(why, "4.3.5", "%s:%u: %s", name, lineno,
		    inner);
		return -1;
	}
	/* config_set() found the key: remember the line, for -t. */
	if (find_param(key, &idx) != NULL) {
		cfg->set_line[idx] = lineno;
		if (params[idx].type == P_ROUTE && *value != '\0' &&
		    cfg->routes.count > 0)
			cfg->routes.route[cfg->routes.count - 1].line = lineno;
	}
	return 0;
}

/* config_set - set one parameter from text */
int
config_set(struct config *cfg, const char *key, const char *value,
    struct relay_result *why)
{
	const struct param *p;
	char err[ERR_MAX], shown[SHOW_MAX + 8];
	const char *v;
	size_t idx;

	if ((p = find_param(key, &idx)) == NULL) {
		show(shown, sizeof(shown), key);
		return relay_result_set(why, "4.3.5",
		    "unknown parameter \"%s\"", shown);
	}
	for (v = value; *v != '\0'; v++) {
		if (((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f) {
			show(shown, sizeof(shown), value);
			return relay_result_set(why, "4.3.5", "parameter %s: "
			    "bad value \"%s\": control character",
			    param_key(p), shown);
		}
	}
	if (parse_value(p, cfg, value, err, sizeof(err)) < 0) {
		show(shown, sizeof(shown), value);
		return relay_result_set(why, "4.3.5",
		    "parameter %s: bad value \"%s\": %s", param_key(p), shown,
		    err);
	}
	cfg->set_mask[idx / 64] |= 1ULL << (idx % 64);
	cfg->set_line[idx] = 0;		/* parse_line() sets the line */
	return 0;
}

/* config_set_option - set one parameter from "key=value" (-o) */
int
config_set_option(struct config *cfg, const char *key_eq_value,
    struct relay_result *why)
{
	char buf[CONFIG_LINE_MAX + 1], shown[SHOW_MAX + 8];
	char inner[RELAY_TEXT_MAX];
	size_t len = strlen(key_eq_value);
	char *eq, *key;

	show(shown, sizeof(shown), key_eq_value);
	if (len > CONFIG_LINE_MAX)
		return relay_result_set(why, "4.3.5", "-o \"%s\": longer "
		    "than %d bytes", shown, CONFIG_LINE_MAX);
	memcpy(buf, key_eq_value, len + 1);
	if ((eq = strchr(buf, '=')) == NULL)
		return relay_result_set(why, "4.3.5", "-o \"%s\": missing "
		    "'=' (expected -o parameter=value)", shown);
	*eq = '\0';
	key = trim(buf);
	if (*key == '\0')
		return relay_result_set(why, "4.3.5", "-o \"%s\": missing "
		    "parameter name before '='", shown);
	if (config_set(cfg, key, trim(eq + 1), why) < 0) {
		memcpy(inner, why->text, sizeof(inner));
		return relay_result_set(why, "4.3.5", "-o: %s", inner);
	}
	return 0;
}

/* config_dump - "key = value" lines, all or only those set */
void
config_dump(const struct config *cfg, FILE *fp, bool only_set)
{
	char value[CONFIG_PATH_MAX + 64];
	size_t i;

	for (i = 0; i < NPARAMS; i++) {
		if (only_set &&
		    (cfg->set_mask[i / 64] & (1ULL << (i % 64))) == 0)
			continue;
		if (params[i].type == P_ROUTE) {
			size_t r;

			for (r = 0; r < cfg->routes.count; r++)
				fprintf(fp, "%s = %s\n", param_key(&params[i]),
				    cfg->routes.route[r].text);
			continue;
		}
		format_value(&params[i], cfg, value, sizeof(value));
		fprintf(fp, "%s =%s%s\n", param_key(&params[i]),
		    *value != '\0' ? " " : "", value);
	}
}

/* config_parse_time_ms - "500ms", "10s", "5m", "1h", "2d", "1w", "30" */
int
config_parse_time_ms(const char *text, long *ms)
{
	static const struct {
		const char *unit;
		long	ms;
	} units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000L },
		{ "h", 3600 * 1000L }, { "d", 86400 * 1000L },
		{ "w", 7 * 86400 * 1000L },
	};
	const char *s = text;
	long v = 0;
	size_t i;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (LONG_MAX - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].unit) == 0) {
			if (v > LONG_MAX / units[i].ms)
				return -1;
			*ms = v * units[i].ms;
			return 0;
		}
	}
	return -1;
}

/* config_tls_level_name - "none", "may", ...: tls_level's own names */
const char *
config_tls_level_name(int level)
{
	const struct name_value *nv;

	for (nv = tls_levels; nv->name != NULL; nv++)
		if (nv->value == level)
			return nv->name;
	return "unknown";
}

/* config_tls_level_parse - the level of a name, any case; -1: none */
int
config_tls_level_parse(const char *name)
{
	const struct name_value *nv;

	for (nv = tls_levels; nv->name != NULL; nv++)
		if (strcasecmp(name, nv->name) == 0)
			return nv->value;
	return -1;
}

/* find_param - the table row for a key, and its index */
static const struct param *
find_param(const char *key, size_t *idx)
{
	size_t i;

	for (i = 0; i < NPARAMS; i++) {
		if (strcmp(param_key(&params[i]), key) == 0) {
			*idx = i;
			return &params[i];
		}
	}
	return NULL;
}

/* param_key - the name of a parameter */
static const char *
param_key(const struct param *p)
{
	return p->is_stage ? smtp_stage_config_key(p->stage) : p->key;
}

/* parse_number - a decimal integer without sign or spaces */
static int
parse_number(const char *s, long *out)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (LONG_MAX - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (*s != '\0')
		return -1;
	*out = v;
	return 0;
}

/* parse_bool - yes/no, true/false, on/off, 1/0 in any case */
static int
parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* parse_lookup - host_lookup: "dns", "native" or both, in any order */
static int
parse_lookup(const char *s, bool *dns, bool *native, char *err,
    size_t errlen)
{
	size_t n;

	*dns = *native = false;
	for (;;) {
		s += strspn(s, ", \t");
		if (*s == '\0')
			break;
		n = strcspn(s, ", \t");
		if (n == 3 && strncmp(s, "dns", 3) == 0)
			*dns = true;
		else if (n == 6 && strncmp(s, "native", 6) == 0)
			*native = true;
		else {
			snprintf(err, errlen, "expected \"dns\", \"native\" "
			    "or \"dns, native\"");
			return -1;
		}
		s += n;
	}
	if (!*dns && !*native) {
		snprintf(err, errlen, "expected \"dns\", \"native\" or "
		    "\"dns, native\"");
		return -1;
	}
	return 0;
}

/* parse_value - check text and store it in the parameter's field */
static int
parse_value(const struct param *p, struct config *cfg, const char *text,
    char *err, size_t errlen)
{
	char *field = (char *)cfg + p->offset;
	const struct name_value *nv;
	struct relay_result r;
	char lo[32], hi[32];
	bool b, b2;
	long v;

	switch (p->type) {
	case P_STRING:
	case P_PATH:
		if (strlen(text) >= p->size) {
			snprintf(err, errlen, "longer than %zu bytes",
			    p->size - 1);
			return -1;
		}
		if (p->type == P_PATH && text[0] != '/') {
			snprintf(err, errlen, "not an absolute path");
			return -1;
		}
		if (p->type == P_PATH && strchr(text, '\t') != NULL) {
			snprintf(err, errlen, "control character");
			return -1;
		}
		if (p->check != NULL && p->check(text, err, errlen) < 0)
			return -1;
		memcpy(field, text, strlen(text) + 1);
		return 0;
	case P_BOOL:
		if (parse_bool(text, &b) < 0) {
			snprintf(err, errlen, "expected yes or no");
			return -1;
		}
		*(bool *)field = b;
		return 0;
	case P_INT:
		if (parse_number(text, &v) < 0 || v < p->min || v > p->max) {
			snprintf(err, errlen, "%s between %ld and %ld",
			    parse_number(text, &v) < 0 ? "expected a number" :
			    "must be", p->min, p->max);
			return -1;
		}
		*(int *)field = (int)v;
		return 0;
	case P_TIME:
		if (config_parse_time_ms(text, &v) < 0) {
			snprintf(err, errlen, "expected a time like 30s, "
			    "500ms, 5m, 1h");
			return -1;
		}
		if (v < p->min || v > p->max) {
			format_time(p->min, lo, sizeof(lo));
			format_time(p->max, hi, sizeof(hi));
			snprintf(err, errlen, "must be between %s and %s", lo,
			    hi);
			return -1;
		}
		*(long *)field = v;
		return 0;
	case P_ENUM:
		for (nv = p->names; nv->name != NULL; nv++) {
			if (strcmp(text, nv->name) == 0) {
				*(int *)field = nv->value;
				return 0;
			}
		}
		snprintf(err, errlen, "expected one of");
		for (nv = p->names; nv->name != NULL; nv++) {
			size_t used = strlen(err);

			snprintf(err + used, errlen - used, "%s %s",
			    nv == p->names ? "" : ",", nv->name);
		}
		return -1;
	case P_LOOKUP:
		if (parse_lookup(text, &b, &b2, err, errlen) < 0)
			return -1;
		cfg->host_lookup_dns = b;
		cfg->host_lookup_native = b2;
		return 0;
	case P_ROUTE:
		/* Each line adds a rule; an empty value drops them all. */
		if (*text == '\0') {
			route_table_free(&cfg->routes);
			return 0;
		}
		relay_result_init(&r);
		if (route_table_add(&cfg->routes, text, &r) < 0) {
			snprintf(err, errlen, "%s", r.text);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown parameter type");
	return -1;
}

/* format_value - a parameter's value as config_load() reads it */
static void
format_value(const struct param *p, const struct config *cfg, char *buf,
    size_t len)
{
	const char *field = (const char *)cfg + p->offset;
	const struct name_value *nv;

	switch (p->type) {
	case P_STRING:
	case P_PATH:
		snprintf(buf, len, "%s", field);
		return;
	case P_BOOL:
		snprintf(buf, len, "%s", *(const bool *)field ? "yes" : "no");
		return;
	case P_INT:
		snprintf(buf, len, "%d", *(const int *)field);
		return;
	case P_TIME:
		format_time(*(const long *)field, buf, len);
		return;
	case P_ENUM:
		for (nv = p->names; nv->name != NULL; nv++) {
			if (nv->value == *(const int *)field) {
				snprintf(buf, len, "%s", nv->name);
				return;
			}
		}
		snprintf(buf, len, "%d", *(const int *)field);
		return;
	case P_LOOKUP:
		snprintf(buf, len, "%s", cfg->host_lookup_dns ?
		    cfg->host_lookup_native ? "dns, native" : "dns" : "native");
		return;
	case P_ROUTE:		/* one line per rule: see config_dump() */
		break;
	}
	buf[0] = '\0';
}

/* format_time - milliseconds as "30s" or "1500ms" */
static void
format_time(long ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%lds", ms / 1000);
	else
		snprintf(buf, len, "%ldms", ms);
}

/* check_nexthop - smarthost: empty, or a next-hop destination */
static int
check_nexthop(const char *s, char *err, size_t errlen)
{
	struct relay_result r;
	struct nexthop nh;
	char prefix[CONFIG_STR_MAX + 64];
	size_t n;

	if (*s == '\0' || nexthop_parse(&nh, s, 25, &r) == 0)
		return 0;
	/* Keep only the reason: the caller shows the value already. */
	n = (size_t)snprintf(prefix, sizeof(prefix),
	    "bad next-hop destination \"%s\": ", s);
	snprintf(err, errlen, "%s", n < sizeof(prefix) &&
	    strncmp(r.text, prefix, n) == 0 ? r.text + n : r.text);
	return -1;
}

/* check_hostname - ehlo_name: empty, a host name or address literal */
static int
check_hostname(const char *s, char *err, size_t errlen)
{
	if (*s == '\0')
		return 0;
	return address_check_domain(s, strlen(s), false, NULL, err, errlen);
}

/* check_ip - source_address: empty, or an IPv4 or IPv6 address */
static int
check_ip(const char *s, char *err, size_t errlen)
{
	unsigned char bin[sizeof(struct in6_addr)];

	if (*s == '\0' || inet_pton(AF_INET, s, bin) == 1 ||
	    inet_pton(AF_INET6, s, bin) == 1)
		return 0;
	snprintf(err, errlen, "not an IPv4 or IPv6 address");
	return -1;
}

/* check_server - one dns_servers entry: addr, addr:port, [v6addr]:port */
static int
check_server(const char *s, size_t n, long *port, char *err, size_t errlen)
{
	unsigned char bin[sizeof(struct in6_addr)];
	char addr[INET6_ADDRSTRLEN + 1], num[8];
	const char *colon = NULL, *a = s;
	size_t alen = n;
	int af = AF_INET;

	*port = 53;
	if (*s == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL || (rb + 1 < s + n && rb[1] != ':')) {
			snprintf(err, errlen, "bad server \"%.*s\"", (int)n, s);
			return -1;
		}
		a = s + 1;
		alen = (size_t)(rb - a);
		af = AF_INET6;
		colon = rb + 1 < s + n ? rb + 1 : NULL;
	} else if ((colon = memchr(s, ':', n)) != NULL) {
		if (memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)) !=
		    NULL) {
			/* More than one ':': a bare IPv6 address. */
			af = AF_INET6;
			colon = NULL;
		} else
			alen = (size_t)(colon - s);
	}
	if (alen == 0 || alen >= sizeof(addr)) {
		snprintf(err, errlen, "bad server address \"%.*s\"", (int)n, s);
		return -1;
	}
	memcpy(addr, a, alen);
	addr[alen] = '\0';
	if (inet_pton(af, addr, bin) != 1) {
		snprintf(err, errlen, "bad server address \"%s\" (IPv4, IPv6, "
		    "or [IPv6]:port)", addr);
		return -1;
	}
	if (colon != NULL) {
		size_t plen = n - (size_t)(colon + 1 - s);

		if (plen == 0 || plen >= sizeof(num)) {
			snprintf(err, errlen, "bad port in \"%.*s\"", (int)n,
			    s);
			return -1;
		}
		memcpy(num, colon + 1, plen);
		num[plen] = '\0';
		if (parse_number(num, port) < 0 || *port < 1 ||
		    *port > 65535) {
			snprintf(err, errlen, "bad port in \"%.*s\"", (int)n,
			    s);
			return -1;
		}
	}
	return 0;
}

/* check_dns_servers - empty, or servers separated by commas or spaces */
static int
check_dns_servers(const char *s, char *err, size_t errlen)
{
	long port, first_port = -1;
	size_t n;

	for (;;) {
		s += strspn(s, ", \t");
		if (*s == '\0')
			return 0;
		n = strcspn(s, ", \t");
		if (n > 128)
			n = 128;	/* longer is wrong anyway */
		if (check_server(s, n, &port, err, errlen) < 0)
			return -1;
		/* One ldns resolver, one port (see dns.c). */
		if (first_port >= 0 && port != first_port) {
			snprintf(err, errlen, "all servers must use the same "
			    "port");
			return -1;
		}
		first_port = port;
		s += n;
	}
}

/* check_trust_resolver - "loopback" and IP addresses; "" trusts none */
static int
check_trust_resolver(const char *s, char *err, size_t errlen)
{
	unsigned char bin[sizeof(struct in6_addr)];
	char addr[INET6_ADDRSTRLEN + 1];
	size_t n;

	for (;;) {
		s += strspn(s, ", \t");
		if (*s == '\0')
			return 0;
		n = strcspn(s, ", \t");
		if (n == 8 && strncmp(s, "loopback", 8) == 0) {
			s += n;
			continue;
		}
		if (n >= sizeof(addr)) {
			snprintf(err, errlen, "expected \"loopback\" or IP "
			    "addresses");
			return -1;
		}
		memcpy(addr, s, n);
		addr[n] = '\0';
		if (inet_pton(AF_INET, addr, bin) != 1 &&
		    inet_pton(AF_INET6, addr, bin) != 1) {
			snprintf(err, errlen, "\"%s\" is not \"loopback\" "
			    "or an IP address", addr);
			return -1;
		}
		s += n;
	}
}

/* check_probe - "" or TYPE:NAME, TYPE one of ns, a, aaaa, mx, soa */
static int
check_probe(const char *s, char *err, size_t errlen)
{
	static const char *const types[] = { "ns:", "a:", "aaaa:", "mx:",
	    "soa:", NULL };
	const char *const *t;
	size_t n;

	if (*s == '\0')
		return 0;
	for (t = types; *t != NULL; t++) {
		n = strlen(*t);
		if (strncasecmp(s, *t, n) != 0)
			continue;
		if (strcmp(s + n, ".") == 0 || (s[n] != '\0' &&
		    address_check_domain(s + n, strlen(s + n), false, NULL,
		    err, errlen) == 0))
			return 0;
		return -1;
	}
	snprintf(err, errlen, "expected TYPE:NAME, TYPE one of ns, a, aaaa, "
	    "mx, soa");
	return -1;
}

/* check_log - "syslog", "stderr" or an absolute path */
static int
check_log(const char *s, char *err, size_t errlen)
{
	if (strcmp(s, "syslog") == 0 || strcmp(s, "stderr") == 0 ||
	    (s[0] == '/' && strchr(s, '\t') == NULL))
		return 0;
	snprintf(err, errlen, "expected syslog, stderr or an absolute path");
	return -1;
}

/* check_syslog_name - a syslog ident: letters, digits, . _ - / */
static int
check_syslog_name(const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);

	if (n == 0 || n > SYSLOG_NAME_MAX || strspn(s,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-/") != n) {
		snprintf(err, errlen, "expected 1 to %d letters, digits, '.', "
		    "'_', '-' or '/'", SYSLOG_NAME_MAX);
		return -1;
	}
	return 0;
}

/* check_optional_path - empty, or an absolute path */
static int
check_optional_path(const char *s, char *err, size_t errlen)
{
	if (*s != '\0' && *s != '/') {
		snprintf(err, errlen, "not an absolute path");
		return -1;
	}
	return 0;
}

/* check_fingerprints - SHA-256 digests: 64 hex digits, colons allowed */
static int
check_fingerprints(const char *s, char *err, size_t errlen)
{
	size_t digits = 0;

	for (;; s++) {
		if (*s == '\0' || *s == ',' || *s == ' ' || *s == '\t') {
			if (digits != 0 && digits != 64) {
				snprintf(err, errlen, "a SHA-256 fingerprint has "
				    "64 hex digits");
				return -1;
			}
			digits = 0;
			if (*s == '\0')
				return 0;
			continue;
		}
		if (*s == ':')
			continue;
		if (!isxdigit((unsigned char)*s)) {
			snprintf(err, errlen, "expected hex digits");
			return -1;
		}
		digits++;
	}
}

/* check_macros - arguments whose macros macro.c knows ("": not set) */
static int
check_macros(const char *s, char *err, size_t errlen)
{
	struct relay_result r;

	relay_result_init(&r);
	if (*s == '\0' || macro_check(s, &r) == 0)
		return 0;
	snprintf(err, errlen, "%s", r.text);
	return -1;
}

/* check_mechanism - empty, or a SASL mechanism slimrelay speaks */
static int
check_mechanism(const char *s, char *err, size_t errlen)
{
	if (*s == '\0' || strcasecmp(s, "PLAIN") == 0 ||
	    strcasecmp(s, "LOGIN") == 0 || strcasecmp(s, "CRAM-MD5") == 0)
		return 0;
	snprintf(err, errlen, "expected PLAIN, LOGIN or CRAM-MD5");
	return -1;
}

/* trim - remove leading and trailing whitespace in place */
static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	return s;
}

/* show - a value for an error text: control characters as '?', cut */
static void
show(char *buf, size_t size, const char *s)
{
	size_t i;

	for (i = 0; i < SHOW_MAX && i + 4 < size && s[i] != '\0'; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	if (s[i] != '\0' && i + 4 < size) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
}
