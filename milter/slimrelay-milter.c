/*
 * NAME
 *	slimrelay-milter - write signed routing headers at SMTP time
 * SYNOPSIS
 *	slimrelay-milter [-tv] [-c FILE] [-o KEY=VALUE]... [-p SOCKET]
 *	    [-u USER]
 *	slimrelay-milter -h | -V
 * DESCRIPTION
 *	A libmilter filter for Postfix (smtpd_milters) or Sendmail. It
 *	reads the route table of slimrelay.conf and, per message:
 *
 *	- removes every routing header (X-Slimrelay-Route, in any case,
 *	  every copy) that the client sent;
 *	- adds one signed routing header (route_header.c) for each
 *	  distinct recipient domain whose route rule (route_table_match(),
 *	  with the conditions client=, sasl=, sender= evaluated against
 *	  this session) names an SMTP next hop.
 *
 *	The transport honours a header only when its signature, binding
 *	and age check out, and removes them all before relaying.
 *
 *	Contexts: struct conn_ctx per SMTP connection (smfi_setpriv),
 *	struct msg_ctx per message, freed by msg_reset() from envfrom (a
 *	new message), eom, abort and close. Each message holds a counted
 *	reference to the configuration it started with, so a reload
 *	(SIGHUP) swaps in a new configuration between messages without
 *	disturbing one in flight. Callbacks never exit: an internal
 *	failure answers per milter_on_error (tempfail: 451 4.3.0; accept:
 *	the message goes on without routing headers, forged ones still
 *	removed).
 *
 *	Signals: libmilter's own signal thread stops the filter on SIGHUP,
 *	SIGTERM and SIGINT. So the process started by the administrator is
 *	a small supervisor: it forks the filter, turns SIGHUP into SIGUSR1
 *	for it (SIGUSR1 sent to the filter itself works too), passes SIGTERM
 *	and SIGINT on, and exits when the filter exits. Both run as
 *	milter_user once the configuration is read.
 *
 *	-t checks the configuration and the key, prints the route rules
 *	and exits (0 good, 78 EX_CONFIG bad). -h and -V print the usage
 *	and the version on standard output and exit 0, like the
 *	transport's; a bad command line is named on standard error, exit
 *	64 (EX_USAGE: the administrator runs this program, no MTA waits
 *	for a status line).
 * SEE ALSO
 *	slimrelay-milter(8), slimrelay.conf(5), libmilter's API (smfi_*),
 *	Postfix MILTER_README.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "address.h"
#include "cmdline.h"
#include "config.h"
#include "log.h"
#include "printable.h"
#include "result.h"
#include "route.h"
#include "route_header.h"
#include "stdfd.h"

#define DEFAULT_CONFIG	SYSCONFDIR "/slimrelay.conf"
#define MILTER_NAME	"slimrelay-milter"
#define MAX_OVERRIDES	64	/* -o options */
#define MAX_FORCED	100	/* routed domains in one message */
#define MAX_ROUTING_HDRS 1000	/* routing headers we will delete */
#define QUEUE_ID_MAX	64
#define EX_CONFIG_	78	/* sysexits EX_CONFIG */

/* One configuration, shared by the messages that started under it. */
struct milter_conf {
	unsigned refs;			/* under conf_lock */
	struct config cfg;
	struct route_header_key key;
};

struct forced {
	char	domain[ADDRESS_DOMAIN_MAX + 1];
	const struct route *rule;	/* in msg_ctx.conf->cfg.routes */
};

struct msg_ctx {
	struct milter_conf *conf;	/* counted reference */
	char	sender[ADDRESS_MAX + 1];	/* "" null sender */
	bool	sender_unknown;		/* too long: no sender= matches */
	char	sasl[256];			/* "" not authenticated */
	char	queue_id[QUEUE_ID_MAX];
	char	message_id[ROUTE_HEADER_BINDING_MAX + 1];
	bool	has_message_id;
	unsigned routing_hdrs;		/* copies seen, any case */
	struct forced forced[MAX_FORCED];
	size_t	nforced;
	char	failure[RELAY_TEXT_MAX];
};

struct conn_ctx {
	struct sockaddr_storage client;
	bool	has_client;
	char	client_text[INET6_ADDRSTRLEN + 2];	/* "unknown" */
	struct msg_ctx *msg;
};

struct options {
	const char *config_path;
	bool	config_given;
	const char *socket;		/* -p */
	const char *user;		/* -u */
	const char *overrides[MAX_OVERRIDES];
	size_t	noverrides;
	bool	check_only;		/* -t */
	bool	verbose;		/* -v */
};

static struct options opts;
static pthread_mutex_t conf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct milter_conf *conf_current;

static struct milter_conf *conf_load(struct relay_result *);
static void conf_put(struct milter_conf *);
static struct milter_conf *conf_get(void);
static void msg_reset(struct conn_ctx *);
static sfsistat fail(SMFICTX *, struct conn_ctx *, const char *);

/* conf_free - wipe the key, free the route table and c */
static void
conf_free(struct milter_conf *c)
{
	if (c == NULL)
		return;
	route_header_key_wipe(&c->key);
	config_fini(&c->cfg);
	free(c);
}

/* conf_load - read slimrelay.conf, -o overrides and the routing key */
static struct milter_conf *
conf_load(struct relay_result *why)
{
	struct milter_conf *c;
	size_t i;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		relay_result_set(why, "4.3.0", "out of memory");
		return NULL;
	}
	c->refs = 1;
	config_defaults(&c->cfg);
	if (config_load(&c->cfg, opts.config_path, opts.config_given,
	    why) != 0)
		goto bad;
	for (i = 0; i < opts.noverrides; i++)
		if (config_set_option(&c->cfg, opts.overrides[i], why) != 0)
			goto bad;
	if (opts.socket != NULL &&
	    config_set(&c->cfg, "milter_socket", opts.socket, why) != 0)
		goto bad;
	if (opts.user != NULL &&
	    config_set(&c->cfg, "milter_user", opts.user, why) != 0)
		goto bad;
	if (c->cfg.routing_key_file[0] == '\0') {
		relay_result_set(why, "4.3.5", "routing_key_file is not set: "
		    "the milter cannot sign routing headers");
		goto bad;
	}
	if (route_header_key_load(&c->key, c->cfg.routing_key_file,
	    why) != 0)
		goto bad;
	return c;
bad:
	conf_free(c);
	return NULL;
}

/* conf_get - a counted reference to the current configuration */
static struct milter_conf *
conf_get(void)
{
	struct milter_conf *c;

	pthread_mutex_lock(&conf_lock);
	if ((c = conf_current) != NULL)
		c->refs++;
	pthread_mutex_unlock(&conf_lock);
	return c;
}

/* conf_put - drop a reference; the last one frees */
static void
conf_put(struct milter_conf *c)
{
	bool last;

	if (c == NULL)
		return;
	pthread_mutex_lock(&conf_lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&conf_lock);
	if (last)
		conf_free(c);
}

/* conf_swap - make c current; messages in flight keep the old one */
static void
conf_swap(struct milter_conf *c)
{
	struct milter_conf *old;

	pthread_mutex_lock(&conf_lock);
	old = conf_current;
	conf_current = c;
	pthread_mutex_unlock(&conf_lock);
	conf_put(old);
}

/* reload_thread - SIGUSR1 (SIGHUP via the supervisor): new config */
static void *
reload_thread(void *arg)
{
	struct relay_result why;
	struct milter_conf *c;
	sigset_t set;
	size_t nroutes;
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		relay_result_init(&why);
		if ((c = conf_load(&why)) == NULL) {
			log_err("reload failed, keeping the old configuration: "
			    "%s", why.text);
			continue;
		}
		/* Once swapped in, c is no longer ours to read. */
		nroutes = c->cfg.routes.count;
		conf_swap(c);
		log_info("configuration reloaded from %s (%zu route rules)",
		    opts.config_path, nroutes);
	}
	return NULL;
}

/* msg_reset - free the message context, on every path */
static void
msg_reset(struct conn_ctx *cc)
{
	if (cc == NULL || cc->msg == NULL)
		return;
	conf_put(cc->msg->conf);
	free(cc->msg);
	cc->msg = NULL;
}

/* on_error - the answer for an internal failure: milter_on_error */
static sfsistat
on_error(SMFICTX *ctx, const struct milter_conf *c)
{
	if (c != NULL && c->cfg.milter_on_error == 1)
		return SMFIS_ACCEPT;
	smfi_setreply(ctx, "451", "4.3.0", "Temporary routing failure, "
	    "try again later");
	return SMFIS_TEMPFAIL;
}

/* fail - log an internal failure and answer per milter_on_error */
static sfsistat
fail(SMFICTX *ctx, struct conn_ctx *cc, const char *what)
{
	struct milter_conf *c, *held = NULL;
	sfsistat ret;

	if (cc != NULL && cc->msg != NULL && cc->msg->conf != NULL)
		c = cc->msg->conf;
	else
		c = held = conf_get();
	log_err("%s: %s; answering %s", cc != NULL ? cc->client_text :
	    "unknown", what, c != NULL && c->cfg.milter_on_error == 1 ?
	    "accept" : "tempfail");
	ret = on_error(ctx, c);
	conf_put(held);
	msg_reset(cc);
	return ret;
}

/* copy_symval - a macro's value, or "" */
static void
copy_symval(SMFICTX *ctx, const char *name, char *buf, size_t len)
{
	const char *v = smfi_getsymval(ctx, (char *)name);

	if (v == NULL || strlen(v) >= len)
		v = "";
	snprintf(buf, len, "%s", v);
}

/* strip_brackets - "<a@b>" -> "a@b" into buf; false if too long */
static bool
strip_brackets(const char *arg, char *buf, size_t len)
{
	size_t n;

	while (*arg == ' ')
		arg++;
	n = strlen(arg);
	if (n >= 2 && arg[0] == '<' && arg[n - 1] == '>') {
		arg++;
		n -= 2;
	}
	if (n >= len)
		return false;
	memcpy(buf, arg, n);
	buf[n] = '\0';
	return true;
}

/* mlfi_connect - a new SMTP session: remember the client address */
static sfsistat
mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct conn_ctx *cc;
	const void *a = NULL;

	(void)hostname;
	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		return fail(ctx, NULL, "out of memory");
	snprintf(cc->client_text, sizeof(cc->client_text), "unknown");
	if (hostaddr != NULL && hostaddr->sa_family == AF_INET) {
		memcpy(&cc->client, hostaddr, sizeof(struct sockaddr_in));
		a = &((struct sockaddr_in *)(void *)&cc->client)->sin_addr;
	} else if (hostaddr != NULL && hostaddr->sa_family == AF_INET6) {
		memcpy(&cc->client, hostaddr, sizeof(struct sockaddr_in6));
		a = &((struct sockaddr_in6 *)(void *)&cc->client)->sin6_addr;
	}
	if (a != NULL) {
		cc->has_client = true;
		inet_ntop(cc->client.ss_family, a, cc->client_text,
		    sizeof(cc->client_text));
	}
	if (smfi_setpriv(ctx, cc) != MI_SUCCESS) {
		free(cc);
		return fail(ctx, NULL, "smfi_setpriv failed");
	}
	return SMFIS_CONTINUE;
}

/* mlfi_envfrom - a new message: fresh context and configuration */
static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn_ctx *cc = smfi_getpriv(ctx);
	struct msg_ctx *m;

	if (cc == NULL)
		return fail(ctx, NULL, "no connection context");
	msg_reset(cc);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return fail(ctx, cc, "out of memory");
	cc->msg = m;
	if ((m->conf = conf_get()) == NULL)
		return fail(ctx, cc, "no configuration");
	/* The MTA checked the syntax; one we cannot hold matches nothing. */
	if (argv[0] == NULL ||
	    !strip_brackets(argv[0], m->sender, sizeof(m->sender)))
		m->sender_unknown = true;
	copy_symval(ctx, "{auth_authen}", m->sasl, sizeof(m->sasl));
	copy_symval(ctx, "i", m->queue_id, sizeof(m->queue_id));
	return SMFIS_CONTINUE;
}

/* add_forced - remember a routed domain once */
static int
add_forced(struct msg_ctx *m, const char *domain, const struct route *r)
{
	size_t i;

	for (i = 0; i < m->nforced; i++)
		if (strcasecmp(m->forced[i].domain, domain) == 0)
			return 0;
	if (m->nforced >= MAX_FORCED)
		return -1;
	snprintf(m->forced[m->nforced].domain, sizeof(m->forced[0].domain),
	    "%s", domain);
	m->forced[m->nforced].rule = r;
	m->nforced++;
	return 0;
}

/* mlfi_envrcpt - note the recipient's domain when a rule routes it */
static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn_ctx *cc = smfi_getpriv(ctx);
	struct msg_ctx *m;
	struct route_session s;
	const struct route *r;
	char rcpt[ADDRESS_MAX + 1];
	const char *at;

	if (cc == NULL || (m = cc->msg) == NULL)
		return fail(ctx, cc, "recipient without a message context");
	if (argv[0] == NULL || !strip_brackets(argv[0], rcpt, sizeof(rcpt)))
		return SMFIS_CONTINUE;	/* the MTA rejects it */
	if ((at = strrchr(rcpt, '@')) == NULL || at[1] == '\0' ||
	    at[1] == '[')
		return SMFIS_CONTINUE;	/* no domain, or an address literal */
	if (m->queue_id[0] == '\0')
		copy_symval(ctx, "i", m->queue_id, sizeof(m->queue_id));
	s.client = cc->has_client ? (struct sockaddr *)&cc->client : NULL;
	s.sasl_login = m->sasl;
	s.sender = m->sender_unknown ? NULL : m->sender;
	r = route_table_match(&m->conf->cfg.routes, at + 1, &s);
	if (r == NULL || r->transport != ROUTE_SMTP || !r->has_nexthop)
		return SMFIS_CONTINUE;
	if (strlen(at + 1) > ROUTE_DOMAIN_MAX ||
	    !nexthop_valid_hostname(at + 1))
		return SMFIS_CONTINUE;
	if (add_forced(m, at + 1, r) != 0) {
		/* RFC 5321 4.5.3.1.10: the client sends the rest later. */
		smfi_setreply(ctx, "452", "4.5.3", "Too many routed domains "
		    "in one message");
		return SMFIS_TEMPFAIL;
	}
	log_debug("%s: rcpt domain %s routed by \"%s\"", cc->client_text,
	    at + 1, r->text);
	return SMFIS_CONTINUE;
}

/* mlfi_header - count routing headers, keep the first Message-ID */
static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn_ctx *cc = smfi_getpriv(ctx);
	struct msg_ctx *m;

	if (cc == NULL || (m = cc->msg) == NULL)
		return fail(ctx, cc, "header without a message context");
	if (route_header_name_is(name)) {
		if (++m->routing_hdrs > MAX_ROUTING_HDRS)
			return fail(ctx, cc, "too many routing headers");
		return SMFIS_CONTINUE;
	}
	if (!m->has_message_id && strcasecmp(name, "Message-ID") == 0) {
		m->has_message_id = true;
		/* Too long: bind to the queue id instead. */
		if (strlen(value) < sizeof(m->message_id))
			snprintf(m->message_id, sizeof(m->message_id), "%s",
			    value);
	}
	return SMFIS_CONTINUE;
}

/* remove_routing_headers - delete every copy, the last first */
static int
remove_routing_headers(SMFICTX *ctx, const struct msg_ctx *m)
{
	unsigned i;

	/*
	 * Postfix and Sendmail match the name without regard to case and
	 * count only the headers of that name, so index i is the i-th copy
	 * in any spelling. Deleting from the last keeps the lower indexes
	 * valid whether or not the MTA renumbers after a deletion.
	 */
	for (i = m->routing_hdrs; i >= 1; i--)
		if (smfi_chgheader(ctx, ROUTE_HEADER_NAME, (int)i, NULL) !=
		    MI_SUCCESS)
			return -1;
	return 0;
}

/* add_routing_headers - one signed header per routed domain */
static int
add_routing_headers(SMFICTX *ctx, struct conn_ctx *cc, struct msg_ctx *m)
{
	struct route_header_message msg;
	struct route_header h;
	struct relay_result why;
	char value[ROUTE_HEADER_VALUE_MAX + 1];
	time_t now = time(NULL);
	size_t i;

	msg.message_id = m->message_id[0] != '\0' ? m->message_id : NULL;
	msg.queue_id = m->queue_id[0] != '\0' ? m->queue_id : NULL;
	for (i = 0; i < m->nforced; i++) {
		relay_result_init(&why);
		if (route_header_from_route(&h, m->forced[i].domain,
		    m->forced[i].rule, now, &msg, &why) != 0 ||
		    route_header_sign(&h, &m->conf->key, value, sizeof(value),
		    &why) != 0) {
			snprintf(m->failure, sizeof(m->failure),
			    "%.255s: %.250s", m->forced[i].domain, why.text);
			return -1;
		}
		/*
		 * At the top of the header, where the transport looks (it
		 * reads the header in its first 64 KiB only).
		 */
		if (smfi_insheader(ctx, 0, ROUTE_HEADER_NAME, value) !=
		    MI_SUCCESS) {
			snprintf(m->failure, sizeof(m->failure), "%s: "
			    "smfi_insheader failed", m->forced[i].domain);
			return -1;
		}
		log_info("%s: routing header for %s: %s (client %s)",
		    msg.queue_id ? msg.queue_id : "NOQUEUE",
		    m->forced[i].domain, m->forced[i].rule->text,
		    cc->client_text);
	}
	return 0;
}

/* mlfi_eom - remove forged routing headers, add ours */
static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct conn_ctx *cc = smfi_getpriv(ctx);
	struct msg_ctx *m;
	sfsistat ret = SMFIS_CONTINUE;

	if (cc == NULL || (m = cc->msg) == NULL)
		return fail(ctx, cc, "end of message without a context");
	/* Postfix sends {i} with MAIL FROM and again at the end. */
	if (m->queue_id[0] == '\0')
		copy_symval(ctx, "i", m->queue_id, sizeof(m->queue_id));
	if (m->routing_hdrs > 0) {
		if (remove_routing_headers(ctx, m) != 0)
			return fail(ctx, cc, "cannot remove routing headers");
		log_info("%s: removed %u routing header(s) sent by client %s",
		    m->queue_id[0] ? m->queue_id : "NOQUEUE", m->routing_hdrs,
		    cc->client_text);
	}
	if (add_routing_headers(ctx, cc, m) != 0) {
		/* Forged headers are gone; ours are incomplete. */
		log_err("%s: %s", m->queue_id[0] ? m->queue_id : "NOQUEUE",
		    m->failure);
		ret = on_error(ctx, m->conf);
	}
	msg_reset(cc);
	return ret;
}

/* mlfi_abort - the message ended early (RSET, error, QUIT) */
static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	msg_reset(smfi_getpriv(ctx));
	return SMFIS_CONTINUE;
}

/* mlfi_close - the session ended: free everything */
static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct conn_ctx *cc = smfi_getpriv(ctx);

	if (cc != NULL) {
		msg_reset(cc);
		free(cc);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc filter = {
	.xxfi_name = MILTER_NAME,
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_connect = mlfi_connect,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
};

/* usage - the synopsis */
static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s [-tv] [-c file] [-o key=value]... [-p socket] "
	    "[-u user]\n"
	    "       %s -h | -V\n"
	    "Writes signed routing headers for slimrelay; see %s(8).\n",
	    MILTER_NAME, MILTER_NAME, MILTER_NAME);
}

/* bad_usage - a command line error: say what, to stderr, exit 64 */
static void
bad_usage(const char *problem)
{
	fprintf(stderr, "%s: %s\n", MILTER_NAME, problem);
	usage(stderr);
	exit(64);	/* EX_USAGE */
}

/* parse_args - command line into opts */
static void
parse_args(int argc, char **argv)
{
	/* ':': our own message, see cmdline_problem(). */
	static const char optstring[] = ":c:o:p:tu:vhV";
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char problem[CMDLINE_PROBLEM_MAX + 64];
	int ch;

	opterr = 0;
	opts.config_path = DEFAULT_CONFIG;
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			opts.config_path = optarg;
			opts.config_given = true;
			break;
		case 'o':
			if (opts.noverrides >= MAX_OVERRIDES) {
				snprintf(problem, sizeof(problem), "bad "
				    "command line: more than %d -o options",
				    MAX_OVERRIDES);
				bad_usage(problem);
			}
			opts.overrides[opts.noverrides++] = optarg;
			break;
		case 'p':
			opts.socket = optarg;
			break;
		case 't':
			opts.check_only = true;
			break;
		case 'u':
			opts.user = optarg;
			break;
		case 'v':
			opts.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("%s %s\n", MILTER_NAME, PACKAGE_VERSION);
			exit(0);
		default:
			cmdline_problem(problem, sizeof(problem), ch,
			    optstring, longopts, argv);
			bad_usage(problem);
		}
	}
	if (optind != argc) {
		snprintf(problem, sizeof(problem), "bad command line: "
		    "unexpected argument \"%.48s\"", argv[optind]);
		bad_usage(printable_fix(problem));
	}
}

/* check_report - -t: what the milter would do, without secrets */
static void
check_report(const struct milter_conf *c)
{
	const struct route *r;
	size_t i;

	printf("config: %s\n", opts.config_path);
	printf("routing_key_file: %s (%zu bytes, mode ok)\n",
	    c->cfg.routing_key_file, c->key.len);
	printf("milter_socket: %s\n", c->cfg.milter_socket);
	printf("milter_on_error: %s\n", c->cfg.milter_on_error == 1 ?
	    "accept" : "tempfail");
	for (i = 0; i < c->cfg.routes.count; i++) {
		r = &c->cfg.routes.route[i];
		printf("route: %s%s\n", r->text,
		    r->transport != ROUTE_SMTP || !r->has_nexthop ? "" :
		    r->has_conditions ? " (routing header when the conditions "
		    "hold; milter only)" : " (routing header)");
	}
	printf("%s: configuration OK\n", MILTER_NAME);
}

/* drop_privileges - root becomes milter_user; refuse to stay root */
static int
drop_privileges(const struct config *cfg, struct relay_result *why)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (cfg->milter_user[0] == '\0')
		return relay_result_set(why, "4.3.5", "refusing to run as "
		    "root: set milter_user (or -u USER)");
	errno = 0;
	if ((pw = getpwnam(cfg->milter_user)) == NULL)
		return relay_result_set(why, "4.3.5", "milter_user %s: %s",
		    cfg->milter_user, errno ? strerror(errno) : "no such user");
	if (pw->pw_uid == 0)
		return relay_result_set(why, "4.3.5", "milter_user %s is root",
		    cfg->milter_user);
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
		return relay_result_set(why, "4.3.5", "cannot become %s: %s",
		    cfg->milter_user, strerror(errno));
	if (setuid(0) == 0)
		return relay_result_set(why, "4.3.5", "could regain root after "
		    "becoming %s", cfg->milter_user);
	return 0;
}

/* control_signals - the signals both processes take with sigwait() */
static void
control_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGCHLD);
}

/* supervise - the parent: SIGHUP -> SIGUSR1 for the filter; wait */
static int
supervise(pid_t child)
{
	sigset_t set;
	int sig, status;
	pid_t pid;

	control_signals(&set);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		switch (sig) {
		case SIGHUP:
		case SIGUSR1:
			log_info("reload requested");
			kill(child, SIGUSR1);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("stopping");
			kill(child, SIGTERM);
			break;
		case SIGCHLD:
			while ((pid = waitpid(child, &status, WNOHANG)) < 0 &&
			    errno == EINTR)
				;
			if (pid != child)
				break;
			if (WIFEXITED(status)) {
				if (WEXITSTATUS(status) != 0)
					log_err("filter exited with status %d",
					    WEXITSTATUS(status));
				return WEXITSTATUS(status);
			}
			log_err("filter killed by signal %d",
			    WTERMSIG(status));
			return 1;
		}
	}
}

/* run_filter - the child: libmilter's loop, plus the reload thread */
static int
run_filter(pid_t parent)
{
	struct milter_conf *c;
	pthread_t tid;
	int ret = 1;

	/* Stop when the supervisor dies, whatever killed it. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		return 1;
	if ((c = conf_get()) == NULL)
		return 1;
	if (smfi_setconn(c->cfg.milter_socket) != MI_SUCCESS) {
		log_err("bad milter_socket \"%s\"", c->cfg.milter_socket);
		goto out;
	}
	if (smfi_register(filter) != MI_SUCCESS) {
		log_err("smfi_register failed");
		goto out;
	}
	if (smfi_opensocket(true) != MI_SUCCESS) {
		log_err("cannot listen on %s", c->cfg.milter_socket);
		goto out;
	}
	if (pthread_create(&tid, NULL, reload_thread, NULL) != 0) {
		log_err("cannot start the reload thread");
		goto out;
	}
	pthread_detach(tid);
	log_info("listening on %s, %zu route rules, on error %s",
	    c->cfg.milter_socket, c->cfg.routes.count,
	    c->cfg.milter_on_error == 1 ? "accept" : "tempfail");
	conf_put(c);
	c = NULL;
	ret = smfi_main() == MI_SUCCESS ? 0 : 1;
	log_info("stopped");
out:
	conf_put(c);
	/* Messages still in flight hold their own references. */
	conf_swap(NULL);
	return ret;
}

/* main - read the configuration, drop root, fork the filter */
int
main(int argc, char **argv)
{
	struct relay_result why;
	struct milter_conf *c;
	sigset_t set;
	pid_t parent, child;

	/*
	 * First of all, before any file or socket is opened: a closed
	 * standard descriptor would hand its number to the log file or
	 * the milter socket, and stray output would go there.
	 */
	if (stdfd_ensure() != 0)
		return 71;	/* EX_OSERR */
	parse_args(argc, argv);
	relay_result_init(&why);
	if ((c = conf_load(&why)) == NULL) {
		fprintf(stderr, "%s: %s\n", MILTER_NAME, why.text);
		return EX_CONFIG_;
	}
	if (opts.check_only) {
		check_report(c);
		conf_free(c);
		return 0;
	}
	if (drop_privileges(&c->cfg, &why) != 0) {
		fprintf(stderr, "%s: %s\n", MILTER_NAME, why.text);
		conf_free(c);
		return EX_CONFIG_;
	}
	/* What root could read, milter_user must read too for reloads. */
	conf_free(c);
	if ((c = conf_load(&why)) == NULL) {
		fprintf(stderr, "%s: as %s: %s\n", MILTER_NAME,
		    getpwuid(getuid()) ? getpwuid(getuid())->pw_name : "?",
		    why.text);
		return EX_CONFIG_;
	}
	conf_swap(c);
	/* The MTA connects through the group: socket mode 0770 (umask 007). */
	umask(007);
	if (log_open(c->cfg.log, "slimrelay-milter", c->cfg.syslog_facility,
	    opts.verbose, &why) != 0) {
		fprintf(stderr, "%s: %s\n", MILTER_NAME, why.text);
		conf_swap(NULL);
		return EX_CONFIG_;
	}
	log_set_host(c->cfg.ehlo_name);	/* a log file's host, as slimrelay's */

	/* Signals are taken by sigwait(): block them in every thread. */
	control_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	parent = getpid();
	if ((child = fork()) < 0) {
		fprintf(stderr, "%s: fork: %s\n", MILTER_NAME, strerror(errno));
		return 71;	/* EX_OSERR */
	}
	if (child > 0) {
		conf_swap(NULL);
		return supervise(child);
	}
	return run_filter(parent);
}
