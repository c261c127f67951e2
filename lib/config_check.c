/*
 * NAME
 *	config_check - what a delivery will need, checked before one runs
 * SYNOPSIS
 *	#include "config_check.h"
 *
 *	int config_check_user_init(struct config_check_user *u,
 *	    const char *name, struct relay_result *why);
 *	unsigned config_check(const struct config *cfg,
 *	    const struct config_check_user *u, FILE *fp);
 * DESCRIPTION
 *	slimrelay -t reads the configuration (config_load_all()) and then
 *	asks config_check() whether the files and directories a delivery
 *	uses are there and safe, as the transport's user u will meet them:
 *
 *	- auth_secrets_file and routing_key_file (when set): a regular
 *	  file that u can read, with no access for others and not
 *	  writable by its group (0600 or 0640);
 *	- tls_ca_file and tls_ca_path (when set): a regular file, a
 *	  directory, that u can read (and search), writable by neither
 *	  group nor others (whoever can write them chooses the
 *	  certificates slimrelay trusts);
 *	- log, when a path: the file, if it exists, is a regular file u
 *	  can write; otherwise its directory exists and u can write in it;
 *	- state_directory: a directory owned by u that u can write in and
 *	  that group and others cannot (the MX cache and the connection
 *	  slots live there), short enough for the keeper's socket name
 *	  when connection_keeper is on;
 *	- the route rules: the program of each local transport (maildrop,
 *	  dovecot-lda, the first word of pipe_command) is there and u may
 *	  run it; a pipe route needs pipe_command; a rule with conditions
 *	  (client=, sasl=, sender=) is one only slimrelay-milter applies,
 *	  and a problem when routing_key_file is not set (then nothing
 *	  ever applies it).
 *	Every directory on the way to each path must be searchable by u.
 *
 *	Each problem is one line on fp, "WHERE: what is wrong", where
 *	WHERE is config_where()'s "FILE:LINE" (for a route rule, its line),
 *	"-o", or "FILE" for a default value; a conditional rule when the
 *	milter can apply it is a note, "WHERE: note: ...", not a problem.
 *	config_check() returns the number of problems. Permission is
 *	judged from the mode bits and u's user and groups (no ACLs): root
 *	may read and write anything and run what has an x bit.
 *
 *	config_check_user_init() fills u for the user name (a name, or
 *	NULL for the real user running the program): user and group ids
 *	and up to CONFIG_CHECK_GROUPS_MAX supplementary groups. It returns
 *	0, or -1 with why set (4.3.5) for an unknown user.
 * SEE ALSO
 *	slimrelay(8) option -t, config.c, Postfix "postfix check".
 */
#include "autoconfig.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_check.h"
#include "keeper.h"

#define R	4
#define W	2
#define X	1

/* One check's context: the configuration, the user, the output. */
struct check {
	const struct config *cfg;
	const struct config_check_user *u;
	FILE	*fp;
	unsigned problems;
};

static void problem(struct check *, const char *, const char *, ...)
    PRINTFLIKE(3, 4);
static bool allowed(const struct config_check_user *, const struct stat *,
	    int);
static bool reachable(struct check *, const char *, const char *,
	    const char *);
static bool look(struct check *, const char *, const char *, const char *,
	    struct stat *);
static void check_secret(struct check *, const char *, const char *);
static void check_ca(struct check *);
static void check_log(struct check *);
static void check_state(struct check *);
static void check_routes(struct check *);
static void check_program(struct check *, const char *, const char *,
	    const char *);

/* config_check_user_init - ids and groups of a user (NULL: ourselves) */
int
config_check_user_init(struct config_check_user *u, const char *name,
    struct relay_result *why)
{
	struct passwd *pw;
	int n;

	memset(u, 0, sizeof(*u));
	if (name == NULL) {
		u->uid = getuid();
		u->gid = getgid();
		n = getgroups(CONFIG_CHECK_GROUPS_MAX, u->groups);
		u->ngroups = n > 0 ? n : 0;
		if ((pw = getpwuid(u->uid)) != NULL)
			snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
		else
			snprintf(u->name, sizeof(u->name), "uid %ld",
			    (long)u->uid);
		return 0;
	}
	if ((pw = getpwnam(name)) == NULL)
		return relay_result_set(why, "4.3.5", "unknown user \"%.64s\"",
		    name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	n = CONFIG_CHECK_GROUPS_MAX;
	if (getgrouplist(pw->pw_name, pw->pw_gid, u->groups, &n) < 0)
		n = CONFIG_CHECK_GROUPS_MAX;	/* the first ones */
	u->ngroups = n;
	return 0;
}

/* config_check - every problem a delivery would meet, one line each */
unsigned
config_check(const struct config *cfg, const struct config_check_user *u,
    FILE *fp)
{
	struct check c = { cfg, u, fp, 0 };

	check_secret(&c, "auth_secrets_file", cfg->auth_secrets_file);
	check_secret(&c, "routing_key_file", cfg->routing_key_file);
	check_ca(&c);
	check_log(&c);
	check_state(&c);
	check_routes(&c);
	return c.problems;
}

/* problem - one line, "WHERE: text", counted */
static void
problem(struct check *c, const char *where, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->fp, "%s: ", where);
	va_start(ap, fmt);
	vfprintf(c->fp, fmt, ap);
	va_end(ap);
	fputc('\n', c->fp);
	c->problems++;
}

/* in_group - is gid one of u's groups? */
static bool
in_group(const struct config_check_user *u, gid_t gid)
{
	int i;

	if (gid == u->gid)
		return true;
	for (i = 0; i < u->ngroups; i++)
		if (u->groups[i] == gid)
			return true;
	return false;
}

/* allowed - may u do all of bits (R, W, X) to st, by its mode bits? */
static bool
allowed(const struct config_check_user *u, const struct stat *st, int bits)
{
	unsigned m;

	if (u->uid == 0)
		return (bits & X) == 0 || S_ISDIR(st->st_mode) ||
		    (st->st_mode & 0111) != 0;
	if (st->st_uid == u->uid)
		m = (st->st_mode >> 6) & 7;
	else if (in_group(u, st->st_gid))
		m = (st->st_mode >> 3) & 7;
	else
		m = st->st_mode & 7;
	return (m & (unsigned)bits) == (unsigned)bits;
}

/*
 * where_key - where key was set, and " (default)" for a default: the
 * caller's buffers
 */
static const char *
where_key(const struct check *c, const char *key, char *buf, size_t len,
    const char **dflt)
{
	*dflt = config_where(c->cfg, key, buf, len) == 0 ? " (default)" : "";
	return buf;
}

/*
 * reachable - can u search every directory above path? One problem
 * for the first that it cannot; what names the setting ("log = x").
 */
static bool
reachable(struct check *c, const char *where, const char *what,
    const char *path)
{
	char dir[CONFIG_PATH_MAX];
	struct stat st;
	size_t n;
	const char *p;

	for (p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		n = (size_t)(p - path);
		if (n >= sizeof(dir))
			return true;	/* config.c bounds paths below this */
		memcpy(dir, path, n);
		dir[n] = '\0';
		if (stat(dir, &st) != 0)
			return true;	/* look() says what is missing */
		if (!allowed(c->u, &st, X)) {
			problem(c, where, "%s: %s cannot enter directory %s "
			    "(mode %04o)", what, c->u->name, dir,
			    (unsigned)(st.st_mode & 07777));
			return false;
		}
	}
	return true;
}

/* look - stat path for a setting; a problem and false when it cannot */
static bool
look(struct check *c, const char *where, const char *what, const char *path,
    struct stat *st)
{
	if (!reachable(c, where, what, path))
		return false;
	if (stat(path, st) == 0)
		return true;
	problem(c, where, "%s: %s", what, errno == ENOENT ?
	    "does not exist" : strerror(errno));
	return false;
}

/* check_secret - a key or password file: readable by u, by no one else */
static void
check_secret(struct check *c, const char *key, const char *path)
{
	char where[CONFIG_PATH_MAX + 16], what[CONFIG_PATH_MAX + 64];
	const char *dflt;
	struct stat st;
	unsigned mode;

	if (path[0] == '\0')
		return;
	where_key(c, key, where, sizeof(where), &dflt);
	snprintf(what, sizeof(what), "%s = %s%s", key, path, dflt);
	if (!look(c, where, what, path, &st))
		return;
	mode = (unsigned)(st.st_mode & 07777);
	if (!S_ISREG(st.st_mode)) {
		problem(c, where, "%s: not a regular file", what);
		return;
	}
	if ((mode & 007) != 0 || (mode & 020) != 0)
		problem(c, where, "%s: mode %04o: %s; want 0600 or 0640",
		    what, mode, (mode & 007) != 0 ? "others have access" :
		    "its group can write it");
	if (!allowed(c->u, &st, R))
		problem(c, where, "%s: %s cannot read it (owner uid %ld, "
		    "mode %04o)", what, c->u->name, (long)st.st_uid, mode);
}

/* check_ca - the trusted certificates: readable, written by no one else */
static void
check_ca(struct check *c)
{
	static const char *const keys[] = { "tls_ca_file", "tls_ca_path" };
	char where[CONFIG_PATH_MAX + 16], what[CONFIG_PATH_MAX + 64];
	const char *dflt, *path;
	struct stat st;
	unsigned mode;
	size_t i;

	for (i = 0; i < 2; i++) {
		path = i == 0 ? c->cfg->tls_ca_file : c->cfg->tls_ca_path;
		if (path[0] == '\0')
			continue;
		where_key(c, keys[i], where, sizeof(where), &dflt);
		snprintf(what, sizeof(what), "%s = %s%s", keys[i], path, dflt);
		if (!look(c, where, what, path, &st))
			continue;
		mode = (unsigned)(st.st_mode & 07777);
		if (i == 0 ? !S_ISREG(st.st_mode) : !S_ISDIR(st.st_mode)) {
			problem(c, where, "%s: not a %s", what, i == 0 ?
			    "regular file" : "directory");
			continue;
		}
		/* The sticky bit does not stop a new certificate. */
		if ((mode & 022) != 0)
			problem(c, where, "%s: mode %04o: writable by %s, who "
			    "could add certificates that slimrelay trusts",
			    what, mode, (mode & 002) != 0 ? "anyone" :
			    "its group");
		if (!allowed(c->u, &st, i == 0 ? R : R | X))
			problem(c, where, "%s: %s cannot read it (owner uid "
			    "%ld, mode %04o)", what, c->u->name,
			    (long)st.st_uid, mode);
	}
}

/* check_log - a log file u can append to, or a directory to make it in */
static void
check_log(struct check *c)
{
	const char *path = c->cfg->log;
	char where[CONFIG_PATH_MAX + 16], what[CONFIG_PATH_MAX + 64];
	char dir[CONFIG_PATH_MAX];
	const char *dflt, *slash;
	struct stat st;

	if (path[0] != '/')
		return;		/* syslog or stderr */
	where_key(c, "log", where, sizeof(where), &dflt);
	snprintf(what, sizeof(what), "log = %s%s", path, dflt);
	if (!reachable(c, where, what, path))
		return;
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			problem(c, where, "%s: not a regular file", what);
		else if (!allowed(c->u, &st, W))
			problem(c, where, "%s: %s cannot write it (owner uid "
			    "%ld, mode %04o)", what, c->u->name,
			    (long)st.st_uid, (unsigned)(st.st_mode & 07777));
		return;
	}
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
	    (int)(slash - path), path);
	if (stat(dir, &st) != 0)
		problem(c, where, "%s: directory %s: %s", what, dir,
		    errno == ENOENT ? "does not exist" : strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		problem(c, where, "%s: %s is not a directory", what, dir);
	else if (!allowed(c->u, &st, W | X))
		problem(c, where, "%s: %s cannot create the file: directory "
		    "%s is not writable by it (owner uid %ld, mode %04o)",
		    what, c->u->name, dir, (long)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
}

/* check_state - u's own directory, closed to everyone else */
static void
check_state(struct check *c)
{
	const char *path = c->cfg->state_directory;
	char where[CONFIG_PATH_MAX + 16], what[CONFIG_PATH_MAX + 64];
	char dir[CONFIG_PATH_MAX + 16], sock[CONFIG_PATH_MAX + 16];
	char lock[CONFIG_PATH_MAX + 16];
	const char *dflt;
	struct stat st;
	unsigned mode;

	where_key(c, "state_directory", where, sizeof(where), &dflt);
	snprintf(what, sizeof(what), "state_directory = %s%s", path, dflt);
	if (!look(c, where, what, path, &st))
		return;
	mode = (unsigned)(st.st_mode & 07777);
	if (!S_ISDIR(st.st_mode)) {
		problem(c, where, "%s: not a directory", what);
		return;
	}
	if (st.st_uid != c->u->uid)
		problem(c, where, "%s: owned by uid %ld, not by %s (uid %ld)",
		    what, (long)st.st_uid, c->u->name, (long)c->u->uid);
	if ((mode & 022) != 0)
		problem(c, where, "%s: mode %04o: writable by %s, who could "
		    "forge MX cache entries and connection slots; want 0700",
		    what, mode, (mode & 002) != 0 ? "anyone" : "its group");
	if (!allowed(c->u, &st, W | X))
		problem(c, where, "%s: %s cannot write in it (mode %04o)",
		    what, c->u->name, mode);
	if (c->cfg->connection_keeper &&
	    keeper_paths(path, dir, sizeof(dir), sock, sizeof(sock), lock,
	    sizeof(lock)) != 0)
		problem(c, where, "%s: too long for the keeper's socket "
		    "(%s/keeper/k%d.sock must fit in 107 bytes); shorten it, "
		    "or set connection_keeper = no", what, path,
		    KEEPER_VERSION);
}

/* check_routes - local programs, pipe_command, conditional rules */
static void
check_routes(struct check *c)
{
	const struct config *cfg = c->cfg;
	char where[CONFIG_PATH_MAX + 16], prog[CONFIG_PATH_MAX];
	const struct route *r;
	bool seen[ROUTE_TRANSPORT_COUNT] = { false };
	const char *file = cfg->path[0] != '\0' ? cfg->path : "slimrelay.conf";
	size_t i, n;

	for (i = 0; i < cfg->routes.count; i++) {
		r = &cfg->routes.route[i];
		if (r->line > 0)
			snprintf(where, sizeof(where), "%s:%u", file, r->line);
		else
			snprintf(where, sizeof(where), "-o");
		if (r->has_conditions && cfg->routing_key_file[0] == '\0')
			problem(c, where, "route = %s: a conditional rule, "
			    "which only slimrelay-milter applies, through "
			    "signed routing headers: routing_key_file is not "
			    "set, so nothing applies it", r->text);
		else if (r->has_conditions)
			fprintf(c->fp, "%s: note: route = %s: a conditional "
			    "rule: only slimrelay-milter applies it (a signed "
			    "routing header); without one the transport skips "
			    "it\n", where, r->text);
		if ((unsigned)r->transport >= ROUTE_TRANSPORT_COUNT ||
		    seen[r->transport])
			continue;
		seen[r->transport] = true;	/* once per program */
		switch (r->transport) {
		case ROUTE_MAILDROP:
			check_program(c, where, "maildrop_path",
			    cfg->maildrop_path);
			break;
		case ROUTE_DOVECOT:
			check_program(c, where, "dovecot_lda_path",
			    cfg->dovecot_lda_path);
			break;
		case ROUTE_PIPE:
			n = strcspn(cfg->pipe_command, " \t");
			if (n == 0) {
				problem(c, where, "route = %s: pipe_command "
				    "is not set", r->text);
				break;
			}
			if (n >= sizeof(prog) || cfg->pipe_command[0] != '/' ||
			    memchr(cfg->pipe_command, '$', n) != NULL)
				break;	/* a macro: known only per message */
			snprintf(prog, sizeof(prog), "%.*s", (int)n,
			    cfg->pipe_command);
			check_program(c, where, "pipe_command", prog);
			break;
		default:
			break;
		}
	}
}

/* check_program - a local agent that u may run */
static void
check_program(struct check *c, const char *route_where, const char *key,
    const char *path)
{
	char where[CONFIG_PATH_MAX + 16], what[CONFIG_PATH_MAX + 64];
	const char *dflt;
	struct stat st;

	where_key(c, key, where, sizeof(where), &dflt);
	snprintf(what, sizeof(what), "%s = %s%s (used by the route at %s)",
	    key, path, dflt, route_where);
	if (!look(c, where, what, path, &st))
		return;
	if (!S_ISREG(st.st_mode))
		problem(c, where, "%s: not a regular file", what);
	else if (!allowed(c->u, &st, X))
		problem(c, where, "%s: %s may not run it (mode %04o)", what,
		    c->u->name, (unsigned)(st.st_mode & 07777));
}
