/*
 * NAME
 *	slimrelay - relay one message onward for Postfix pipe(8) or Exim
 * SYNOPSIS
 *	slimrelay [-c file] [-o key=value]... [-v] [-F] [-E] [-q queue_id]
 *	    [-n nexthop] [-s size] [-f sender] [--] recipient...
 *	slimrelay [-c file] [-o key=value]... [-u user] [-v] -t
 *	slimrelay [-c file] [-o key=value]... [-n nexthop] --route address...
 * DESCRIPTION
 *	The program the host MTA runs per delivery: the envelope comes
 *	from the command line (or, with -E, from Exim's environment), the
 *	message from standard input. The outcome is the exit status (0,
 *	75 EX_TEMPFAIL, or a permanent sysexits code) plus, on failure,
 *	exactly one line on standard output that starts with the RFC 3463
 *	status code, the only place Postfix's pipe(8) looks for one.
 *
 *	This file only turns arguments into an envelope and results into
 *	an exit status; delivery is lib/'s work. Anything wrong with our
 *	own set-up (arguments, configuration) is 4.3.5 and exit 75, so a
 *	configuration mistake defers mail instead of bouncing it.
 *
 *	Mixed outcomes of several recipients (one status per run): any
 *	transient result decides (75), else any permanent one, else
 *	success; see slimrelay(8), MIXED RESULTS.
 *
 *	Once the configuration is loaded every path leaves through the
 *	one exit of main(), which frees it (config_fini()); only errors
 *	on the command line, found before, exit on the spot.
 * SEE ALSO
 *	slimrelay(8), slimrelay.conf(5), pipe(8).
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "address.h"
#include "cmdline.h"
#include "config.h"
#include "config_check.h"
#include "keeper.h"
#include "log.h"
#include "msg_stream.h"
#include "nexthop.h"
#include "proctitle.h"
#include "relay.h"
#include "session_cache.h"
#include "result.h"
#include "lmtp.h"
#include "stdfd.h"
#include "sysexits_map.h"

#define DEFAULT_CONFIG	PKGSYSCONFDIR "/slimrelay.conf"
#define OPT_ROUTE	256	/* --route: long only, never a short option */
#define OPT_LMTP	257	/* --lmtp: long only */
#define OPT_KEEPER	258	/* --keeper: started by slimrelay itself */
#define KEEPER_LOCK_FD	3	/* what keeper_start() hands the keeper */
#define KEEPER_LISTEN_FD 4

/*
 * LMTP mode: standard output is the protocol, so a set-up error is a
 * 421 greeting (the MTA defers) instead of a status line.
 */
static bool is_lmtp_mode;

struct args {
	const char *config_path;
	bool	config_given;
	bool	check_only;
	bool	route_only;
	bool	lmtp;
	bool	keeper;
	bool	verbose;
	bool	skip_from;
	bool	from_env;
	const char *queue_id;
	const char *nexthop;
	const char *size;
	const char *sender;
	const char *check_user;		/* -u: -t checks for this user */
	char	**rcpt;
	int	nrcpt;
	char	**overrides;
	int	noverride;
};

static void usage(FILE *);

/* argv_has_lmtp - --lmtp among the options (before "--") */
static bool
argv_has_lmtp(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--lmtp") == 0)
			return true;
	return false;
}

/* finish - print the status line; returns the matching exit status */
static int
finish(const struct relay_result *r)
{
	char line[RELAY_STATUS_MAX + RELAY_TEXT_MAX + 2];
	int n;

	if (is_lmtp_mode)
		/* The greeting the MTA gets instead (Exim reads 254 bytes). */
		n = snprintf(line, sizeof(line), "421 %s %.200s\r\n",
		    r->class == RELAY_OK ? "4.3.0" : r->status, r->text);
	else if (r->class == RELAY_OK)
		n = snprintf(line, sizeof(line), "%s\n", r->text);
	else
		n = snprintf(line, sizeof(line), "%s %s\n", r->status,
		    r->text);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	/* One write: a line this short reaches pipe(8)'s pipe whole
	 * (PIPE_BUF); there is nowhere to report a failure. */
	while (n > 0 && write(STDOUT_FILENO, line, (size_t)n) < 0 &&
	    errno == EINTR)
		continue;
	return sysexits_map_from_status(r->status);
}

/* setup_error - our own set-up is wrong: defer with 4.3.5 */
static int
setup_error(const struct relay_result *why)
{
	struct relay_result r;

	relay_result_init(&r);
	relay_result_set(&r, "4.3.5", "slimrelay configuration error: %s",
	    why->text);
	log_err("%s", r.text);
	return finish(&r);
}

/* usage_error - a usage error, reported the transport way */
static int
usage_error(const char *msg)
{
	struct relay_result why;

	relay_result_init(&why);
	relay_result_set(&why, "4.3.5", "%s", msg);
	return setup_error(&why);
}

/* fail_usage - usage_error() and exit: only before the configuration */
static void
fail_usage(const char *msg)
{
	exit(usage_error(msg));
}

/* parse_args - the command line into struct args */
static void
parse_args(int argc, char **argv, struct args *a)
{
	/* '+': recipients are never options; ':': see cmdline_problem(). */
	static const char optstring[] = "+:c:o:vtu:FEq:n:s:f:hV";
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "route", no_argument, NULL, OPT_ROUTE },
		{ "lmtp", no_argument, NULL, OPT_LMTP },
		{ "keeper", no_argument, NULL, OPT_KEEPER },
		{ NULL, 0, NULL, 0 },
	};
	char problem[CMDLINE_PROBLEM_MAX];
	int ch;

	memset(a, 0, sizeof(*a));
	opterr = 0;	/* our own message: nothing before the status line */
	a->config_path = DEFAULT_CONFIG;
	a->overrides = calloc((size_t)argc + 1, sizeof(char *));
	if (a->overrides == NULL)
		fail_usage("out of memory");
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			a->config_path = optarg;
			a->config_given = true;
			break;
		case 'o':
			a->overrides[a->noverride++] = optarg;
			break;
		case 'v':
			a->verbose = true;
			break;
		case 't':
			a->check_only = true;
			break;
		case 'u':
			a->check_user = optarg;
			break;
		case OPT_LMTP:
			a->lmtp = true;
			break;
		case OPT_KEEPER:
			a->keeper = true;
			break;
		case OPT_ROUTE:
			a->route_only = true;
			break;
		case 'F':
			a->skip_from = true;
			break;
		case 'E':
			a->from_env = true;
			break;
		case 'q':
			a->queue_id = optarg;
			break;
		case 'n':
			a->nexthop = optarg;
			break;
		case 's':
			a->size = optarg;
			break;
		case 'f':
			a->sender = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("slimrelay %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			cmdline_problem(problem, sizeof(problem), ch,
			    optstring, longopts, argv);
			fail_usage(problem);
		}
	}
	a->rcpt = argv + optind;
	a->nrcpt = argc - optind;
}

/* usage - the synopsis */
static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: slimrelay [-c file] [-o key=value]... [-v] [-F] [-E]\n"
	    "                 [-q queue_id] [-n nexthop] [-s size] "
	    "[-f sender] [--] recipient...\n"
	    "       slimrelay [-c file] [-o key=value]... [-u user] [-v] "
	    "-t\n"
	    "       slimrelay [-c file] [-o key=value]... [-n nexthop] "
	    "--route address...\n"
	    "       slimrelay [-c file] [-o key=value]... [-v] [-n nexthop] "
	    "--lmtp\n"
	    "Relays the message on standard input; see slimrelay(8).\n");
}

/*
 * load_config - defaults, file, then -o overrides. cfg is set up even
 * on failure (-1, why set): the caller ends it with config_fini().
 */
static int
load_config(struct config *cfg, const struct args *a,
    struct relay_result *why)
{
	int i;

	config_defaults(cfg);
	if (config_load(cfg, a->config_path, a->config_given, why) != 0)
		return -1;
	for (i = 0; i < a->noverride; i++)
		if (config_set_option(cfg, a->overrides[i], why) != 0)
			return -1;
	return 0;
}

/*
 * check_config - -t: read everything, list every problem a delivery
 * would meet, one line each on stderr, and exit 78; without problems,
 * print the settings and exit 0. cfg is set up for config_fini().
 */
static int
check_config(struct config *cfg, const struct args *a)
{
	struct config_check_user u;
	struct relay_result why;
	unsigned problems = 0;
	int i;

	config_defaults(cfg);
	relay_result_init(&why);
	(void)config_load_all(cfg, a->config_path, a->config_given, stderr,
	    &problems);
	for (i = 0; i < a->noverride; i++) {
		if (config_set_option(cfg, a->overrides[i], &why) != 0) {
			fprintf(stderr, "%s\n", why.text);
			problems++;
		}
	}
	if (config_check_user_init(&u, a->check_user, &why) != 0) {
		fprintf(stderr, "-u: %s\n", why.text);
		return EX_CONFIG;
	}
	problems += config_check(cfg, &u, stderr);
	/* -v: the effective settings all the same, to read them by. */
	if (problems == 0 || a->verbose)
		config_dump(cfg, stdout, !a->verbose);
	return problems > 0 ? EX_CONFIG : 0;
}

/* envelope_args_of - the command line and Exim's environment, for lib */
static void
envelope_args_of(struct envelope_args *ea, const struct args *a)
{
	memset(ea, 0, sizeof(*ea));
	ea->sender = a->sender;
	ea->from_env = a->from_env;
	ea->env_sender = getenv("SENDER");
	ea->env_recipient = getenv("RECIPIENT");
	ea->queue_id = a->queue_id;
	ea->size = a->size;
	ea->rcpt = a->rcpt;
	ea->nrcpt = a->nrcpt > 0 ? (size_t)a->nrcpt : 0;
}

/* build_envelope - the envelope of the command line or of -E */
static int
build_envelope(struct envelope *env, struct relay_result *results,
    const struct args *a, struct relay_result *setup)
{
	struct envelope_args ea;

	envelope_args_of(&ea, a);
	return address_envelope_build(env, results, &ea, setup);
}

/* decide - the one result that speaks for the whole run */
static const struct relay_result *
decide(const struct relay_result *results, size_t n)
{
	const struct relay_result *pick = &results[0];
	size_t i;

	for (i = 1; i < n; i++)
		if (relay_result_worse(&results[i], pick) > 0)
			pick = &results[i];
	return pick;
}

/* explain - --route: how each address would be delivered */
static int
explain(const struct config *cfg, const struct args *a)
{
	struct relay_ctx ctx;
	int i, ret = 0;

	if (a->nrcpt == 0) {
		fprintf(stderr, "slimrelay: --route needs addresses\n");
		return EX_USAGE;
	}
	relay_ctx_init(&ctx, cfg);
	for (i = 0; i < a->nrcpt; i++)
		if (relay_explain(&ctx, a->nexthop, a->rcpt[i], stdout) != 0)
			ret = 1;
	relay_ctx_fini(&ctx);
	return ret;
}

/*
 * The keeper of idle sessions (keeper.c), as runs find and start it: the
 * same program with the same configuration file and -o settings.
 */
static char *keeper_argv[KEEPER_ARGV_MAX];
static struct keeper_client_options keeper_opt;

/* keeper_setup - the keeper's options; NULL when there is none to use */
static const struct keeper_client_options *
keeper_setup(const struct config *cfg, const struct args *a,
    char *argv0)
{
	int n = 0, i;

	if (!cfg->connection_keeper || cfg->state_directory[0] == '\0' ||
	    a->noverride * 2 + 6 > KEEPER_ARGV_MAX)
		return NULL;
	keeper_argv[n++] = argv0;
	keeper_argv[n++] = (char *)"--keeper";
	if (a->config_given) {
		keeper_argv[n++] = (char *)"-c";
		keeper_argv[n++] = (char *)a->config_path;
	}
	for (i = 0; i < a->noverride; i++) {
		keeper_argv[n++] = (char *)"-o";
		keeper_argv[n++] = a->overrides[i];
	}
	keeper_argv[n] = NULL;
	keeper_opt.state_dir = cfg->state_directory;
	/* This very program, even when its file was replaced meanwhile. */
	keeper_opt.program = "/proc/self/exe";
	keeper_opt.argv = keeper_argv;
	keeper_opt.timeout_ms = KEEPER_TIMEOUT_MS;
	return &keeper_opt;
}

/*
 * keeper_mode - --keeper: only as keeper_start() runs it, with the lock
 * and the listening socket as descriptors 3 and 4
 */
static int
keeper_mode(const struct config *cfg)
{
	struct stat st;
	int type = 0, listening = 0;
	socklen_t len = sizeof(type), llen = sizeof(listening);

	if (fstat(KEEPER_LOCK_FD, &st) != 0 || !S_ISREG(st.st_mode) ||
	    getsockopt(KEEPER_LISTEN_FD, SOL_SOCKET, SO_TYPE, &type,
	    &len) != 0 || type != SOCK_SEQPACKET ||
	    getsockopt(KEEPER_LISTEN_FD, SOL_SOCKET, SO_ACCEPTCONN,
	    &listening, &llen) != 0 || !listening) {
		log_err("keeper: --keeper is for slimrelay itself to start "
		    "(it needs its lock and socket as descriptors 3 and 4)");
		return EX_USAGE;
	}
	return keeper_main(cfg, KEEPER_LOCK_FD, KEEPER_LISTEN_FD) == 0 ?
	    EX_OK : EX_SOFTWARE;
}

/* sessions_new - pipe mode's session cache: the keeper's, or none */
static struct session_cache *
sessions_new(const struct config *cfg,
    const struct keeper_client_options *kopt)
{
	struct session_cache_options so;

	if (kopt == NULL)
		return NULL;
	/* One message: every session goes to the keeper. */
	session_cache_options_init(&so, cfg, 0, kopt);
	return session_cache_new(&so);
}

/* deliver - the envelope, the message, the deliveries: the exit status */
static int
deliver(const struct config *cfg, const struct args *a,
    const struct keeper_client_options *kopt,
    const struct deadline *deadline)
{
	struct envelope env;
	struct envelope_args ea;
	struct relay_result *results = NULL, why;
	struct msg_stream *ms = NULL;
	struct relay_ctx ctx;
	struct relay_job job;
	size_t i, n;
	int ms_flags, status;

	memset(&env, 0, sizeof(env));
	relay_result_init(&why);
	envelope_args_of(&ea, a);
	n = address_envelope_count(&ea);
	if (n == 0) {
		status = usage_error("no recipients given");
		goto out;
	}
	env.rcpt = calloc(n, sizeof(*env.rcpt));
	results = calloc(n, sizeof(*results));
	if (env.rcpt == NULL || results == NULL) {
		status = usage_error("out of memory");
		goto out;
	}
	env.nrcpt = n;
	for (i = 0; i < n; i++)
		relay_result_init(&results[i]);
	if (build_envelope(&env, results, a, &why) != 0) {
		status = setup_error(&why);
		goto out;
	}

	/*
	 * The message, then the deliveries. The message may be sent more
	 * than once (several destinations, the next MX after a failure
	 * during the data): it is kept for replay, in memory up to 64 KiB,
	 * beyond that in an unlinked temporary file.
	 */
	ms_flags = MSG_STREAM_REPLAY;
	if (a->skip_from || cfg->skip_from_line)
		ms_flags |= MSG_STREAM_SKIP_FROM;
	if ((ms = msg_stream_new(STDIN_FILENO, ms_flags, NULL, &why)) ==
	    NULL) {
		status = setup_error(&why);
		goto out;
	}
	relay_ctx_init(&ctx, cfg);
	ctx.sessions = sessions_new(cfg, kopt);
	relay_job_init(&job, a->nexthop, &env, ms, results, deadline);
	if (relay_job_run(&ctx, &job, &why) != 0) {
		log_warn("%s", why.text);
		status = finish(&why);
	} else {
		status = finish(decide(results, n));
	}
	relay_job_fini(&job);
	session_cache_free(ctx.sessions);
	relay_ctx_fini(&ctx);
out:
	msg_stream_free(ms);
	free(results);
	free(env.rcpt);
	return status;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct args a;
	struct relay_result why;
	struct deadline deadline;
	const struct keeper_client_options *kopt;
	int status;

	/*
	 * First of all, before any file is opened: a closed standard
	 * output would hand its number to the log file, and the status
	 * line would go there. Nowhere to report if even this fails.
	 */
	if (stdfd_ensure() != 0)
		return EX_TEMPFAIL;
	/* A TLS pump takes a title of its own (tls_pump.c). */
	proctitle_init(argc, argv);
	/*
	 * Under spawn(8) and Exim's lmtp transport, standard error is the
	 * LMTP stream as well: away with it before anything can write.
	 */
	if (argv_has_lmtp(argc, argv)) {
		is_lmtp_mode = true;
		if (stdfd_null(STDERR_FILENO) != 0)
			return EX_TEMPFAIL;
	}

	/*
	 * Postfix runs us with SIGPIPE ignored and Exim with SIGINT,
	 * SIGTERM and SIGUSR1 ignored: set every disposition we rely on.
	 */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	umask(077);

	parse_args(argc, argv, &a);
	relay_result_init(&why);
	if (a.check_only) {
		status = check_config(&cfg, &a);
		goto out;
	}
	if (load_config(&cfg, &a, &why) != 0) {
		status = setup_error(&why);
		goto out;
	}
	kopt = keeper_setup(&cfg, &a, argv[0]);
	if (a.keeper && (a.lmtp || a.route_only || a.nrcpt > 0 ||
	    a.from_env)) {
		status = usage_error("bad command line: --keeper takes no "
		    "other mode, recipients or -E");
		goto out;
	}
	if (a.lmtp && (a.route_only || a.nrcpt > 0 || a.from_env)) {
		status = usage_error("bad command line: --lmtp takes no "
		    "recipients, -E or --route");
		goto out;
	}
	if (a.lmtp && strcmp(cfg.log, "stderr") == 0) {
		relay_result_set(&why, "4.3.5", "log = stderr cannot be used "
		    "with --lmtp: standard error is the LMTP stream");
		status = setup_error(&why);
		goto out;
	}
	if (log_open(a.route_only ? "stderr" : cfg.log, cfg.syslog_name,
	    cfg.syslog_facility, a.verbose, &why) != 0) {
		status = setup_error(&why);
		goto out;
	}
	log_set_host(cfg.ehlo_name);
	deadline_in_ms(&deadline, cfg.deadline_ms);
	if (a.keeper)
		status = keeper_mode(&cfg);
	else if (a.route_only)
		status = explain(&cfg, &a);
	else if (a.lmtp)
		status = lmtp_mode(&cfg, a.nexthop, kopt);
	else
		status = deliver(&cfg, &a, kopt, &deadline);
out:
	free(a.overrides);
	config_fini(&cfg);
	return status;
}
