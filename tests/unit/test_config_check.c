/*
 * test_config_check - slimrelay -t's checks of what a delivery needs:
 * secrets and key files, CA file and directory, the log file's
 * directory, the state directory, the programs of local routes and the
 * conditional rules, each problem one "WHERE: what" line, for the
 * test's own user and for a user who owns none of the files.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_check.h"
#include "unit.h"

#define OTHER_ID	4242	/* a user and group that own nothing here */

static char tmpdir[] = "/tmp/test_config_check.XXXXXX";

/* path - a name in the test's directory (static buffer, one of four) */
static const char *
path(const char *name)
{
	static char buf[4][512];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", tmpdir, name);
	return buf[n];
}

/* make_file - name with mode, owned by the test's user */
static void
make_file(const char *name, mode_t mode)
{
	FILE *fp = fopen(path(name), "w");

	if (fp == NULL) {
		unit_fail(__FILE__, __LINE__, "cannot create %s", path(name));
		return;
	}
	fputs("x\n", fp);
	fclose(fp);
	chmod(path(name), mode);
}

/* make_dir - a directory with mode */
static void
make_dir(const char *name, mode_t mode)
{
	mkdir(path(name), 0700);
	chmod(path(name), mode);
}

/* append - printf at the end of buf */
static void
append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
append(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* set - config_set() that must succeed */
static void
set(struct config *cfg, const char *key, const char *value)
{
	struct relay_result why;

	relay_result_init(&why);
	if (config_set(cfg, key, value, &why) != 0)
		unit_fail(__FILE__, __LINE__, "%s = %s: %s", key, value,
		    why.text);
}

/* run - config_check() for u: the problem count and what it printed */
static unsigned
run(const struct config *cfg, const struct config_check_user *u,
    char *out, size_t len)
{
	char *buf = NULL;
	size_t n = 0;
	unsigned problems;
	FILE *fp = open_memstream(&buf, &n);

	problems = config_check(cfg, u, fp);
	fclose(fp);
	snprintf(out, len, "%s", buf != NULL ? buf : "");
	free(buf);
	return problems;
}

/* me, other - the test's own user; a user who owns nothing */
static void
users(struct config_check_user *me, struct config_check_user *other)
{
	memset(me, 0, sizeof(*me));
	me->uid = geteuid();
	me->gid = getegid();
	snprintf(me->name, sizeof(me->name), "me");
	memset(other, 0, sizeof(*other));
	other->uid = OTHER_ID;
	other->gid = OTHER_ID;
	snprintf(other->name, sizeof(other->name), "other");
}

/* good_config - everything in place for the test's user */
static void
good_config(struct config *cfg)
{
	config_defaults(cfg);
	make_file("secrets", 0600);
	make_file("key", 0640);
	make_dir("ca", 0755);
	make_dir("state", 0700);
	make_dir("logdir", 0755);
	set(cfg, "auth_secrets_file", path("secrets"));
	set(cfg, "routing_key_file", path("key"));
	set(cfg, "tls_ca_path", path("ca"));
	set(cfg, "state_directory", path("state"));
	set(cfg, "log", path("logdir/slimrelay.log"));
}

/* test_config_check_good - nothing to say when all is well */
static void
test_config_check_good(void)
{
	struct config_check_user me, other;
	struct config cfg;
	char out[4096];

	users(&me, &other);
	good_config(&cfg);
	UNIT_ASSERT_INT_EQ(run(&cfg, &me, out, sizeof(out)), 0);
	UNIT_ASSERT_STR_EQ(out, "");
	/* An existing log file the user can write is enough. */
	make_file("logdir/slimrelay.log", 0600);
	UNIT_ASSERT_INT_EQ(run(&cfg, &me, out, sizeof(out)), 0);
	unlink(path("logdir/slimrelay.log"));
	config_fini(&cfg);
}

/* test_config_check_modes - unsafe modes and missing files, each a line */
static void
test_config_check_modes(void)
{
	struct config_check_user me, other;
	struct config cfg;
	char out[8192], want[8192];

	users(&me, &other);
	good_config(&cfg);
	chmod(path("secrets"), 0644);
	chmod(path("key"), 0620);
	chmod(path("ca"), 0777);
	chmod(path("state"), 0770);
	set(&cfg, "tls_ca_file", path("nosuch.pem"));
	set(&cfg, "log", path("nodir/slimrelay.log"));
	UNIT_ASSERT_INT_EQ(run(&cfg, &me, out, sizeof(out)), 6);
	want[0] = '\0';
	append(want, sizeof(want), "-o: auth_secrets_file = %s: mode 0644: "
	    "others have access; want 0600 or 0640\n", path("secrets"));
	append(want, sizeof(want), "-o: routing_key_file = %s: mode 0620: "
	    "its group can write it; want 0600 or 0640\n", path("key"));
	append(want, sizeof(want), "-o: tls_ca_file = %s: does not exist\n",
	    path("nosuch.pem"));
	append(want, sizeof(want), "-o: tls_ca_path = %s: mode 0777: "
	    "writable by anyone, who could add certificates that slimrelay "
	    "trusts\n", path("ca"));
	append(want, sizeof(want), "-o: log = %s: directory %s: does not "
	    "exist\n", path("nodir/slimrelay.log"), path("nodir"));
	append(want, sizeof(want), "-o: state_directory = %s: mode 0770: "
	    "writable by its group, who could forge MX cache entries and "
	    "connection slots; want 0700\n", path("state"));
	UNIT_ASSERT_STR_EQ(out, want);
	config_fini(&cfg);
	chmod(path("secrets"), 0600);
	chmod(path("key"), 0640);
	chmod(path("ca"), 0755);
	chmod(path("state"), 0700);
}

/* test_config_check_other_user - what the transport's user cannot do */
static void
test_config_check_other_user(void)
{
	struct config_check_user me, other;
	struct config cfg;
	char out[8192];

	users(&me, &other);
	good_config(&cfg);
	UNIT_ASSERT_INT_EQ(run(&cfg, &other, out, sizeof(out)), 5);
	/* secrets 0600 and key 0640, owned by someone else */
	if (strstr(out, "auth_secrets_file = ") == NULL ||
	    strstr(out, ": other cannot read it (owner uid ") == NULL)
		unit_fail(__FILE__, __LINE__, "got \"%s\", want the secrets "
		    "file unreadable", out);
	if (strstr(out, "log = ") == NULL ||
	    strstr(out, ": other cannot create the file: directory ") == NULL)
		unit_fail(__FILE__, __LINE__, "got \"%s\", want the log "
		    "directory not writable", out);
	if (strstr(out, ": owned by uid ") == NULL ||
	    strstr(out, ", not by other (uid 4242)\n") == NULL)
		unit_fail(__FILE__, __LINE__, "got \"%s\", want the state "
		    "directory's owner", out);
	if (strstr(out, "/state: other cannot write in it (mode 0700)\n") ==
	    NULL)
		unit_fail(__FILE__, __LINE__, "got \"%s\", want the state "
		    "directory not writable", out);
	/* A directory on the way that the user cannot enter. */
	set(&cfg, "routing_key_file", "");
	set(&cfg, "auth_secrets_file", "");
	set(&cfg, "log", "syslog");
	make_dir("closed", 0700);
	make_dir("closed/state", 0700);
	set(&cfg, "state_directory", path("closed/state"));
	UNIT_ASSERT_INT_EQ(run(&cfg, &other, out, sizeof(out)), 1);
	if (strstr(out, ": other cannot enter directory ") == NULL ||
	    strstr(out, "/closed (mode 0700)\n") == NULL)
		unit_fail(__FILE__, __LINE__, "got \"%s\", want the closed "
		    "directory", out);
	config_fini(&cfg);
}

/* test_config_check_routes - local programs and conditional rules */
static void
test_config_check_routes(void)
{
	struct config_check_user me, other;
	struct config cfg;
	char out[8192], want[4096];

	users(&me, &other);
	good_config(&cfg);
	set(&cfg, "routing_key_file", "");
	set(&cfg, "route", "a.test smtp:[192.0.2.1]:25 sender=@x.test");
	set(&cfg, "route", "b.test pipe");
	set(&cfg, "route", "c.test maildrop");
	set(&cfg, "route", "d.test maildrop");
	set(&cfg, "maildrop_path", path("no-maildrop"));
	UNIT_ASSERT_INT_EQ(run(&cfg, &me, out, sizeof(out)), 3);
	snprintf(want, sizeof(want),
	    "-o: route = a.test smtp:[192.0.2.1]:25 sender=@x.test: a "
	    "conditional rule, which only slimrelay-milter applies, through "
	    "signed routing headers: routing_key_file is not set, so nothing "
	    "applies it\n"
	    "-o: route = b.test pipe: pipe_command is not set\n"
	    "-o: maildrop_path = %s (used by the route at -o): does not "
	    "exist\n", path("no-maildrop"));
	UNIT_ASSERT_STR_EQ(out, want);

	/* With the key, the rule is a note; a program that may not run. */
	set(&cfg, "routing_key_file", path("key"));
	make_file("pipe-prog", 0644);
	set(&cfg, "pipe_command", path("pipe-prog"));
	set(&cfg, "maildrop_path", "/bin/sh");
	UNIT_ASSERT_INT_EQ(run(&cfg, &me, out, sizeof(out)), 1);
	if (strstr(out, "-o: note: route = a.test smtp:[192.0.2.1]:25 "
	    "sender=@x.test: a conditional rule: only slimrelay-milter "
	    "applies it") == NULL)
		unit_fail(__FILE__, __LINE__, "got \"%s\", want the note", out);
	if (strstr(out, "pipe_command = ") == NULL ||
	    strstr(out, "pipe-prog (used by the route at -o): me may not "
	    "run it (mode 0644)\n") == NULL)
		unit_fail(__FILE__, __LINE__, "got \"%s\", want pipe-prog "
		    "not runnable", out);
	config_fini(&cfg);
}

/* test_config_check_where - file and line of settings and route rules */
static void
test_config_check_where(void)
{
	struct config_check_user me, other;
	struct config cfg;
	char conf[512], out[8192], want[2048], *buf;
	unsigned count = 0;
	size_t n;
	FILE *fp;

	users(&me, &other);
	config_defaults(&cfg);
	make_dir("state2", 0777);
	snprintf(conf, sizeof(conf), "%s", path("slimrelay.conf"));
	fp = fopen(conf, "w");
	CU_ASSERT_FATAL(fp != NULL);
	fprintf(fp, "# a comment\n"
	    "state_directory = %s\n"
	    "bogus = 1\n"
	    "route = a.test\n"
	    "  smtp:[192.0.2.1]:25 client=192.0.2.0/24\n"
	    "connect_timeout = soon\n", path("state2"));
	fclose(fp);
	/* config_load_all: every mistake, and the good lines kept. */
	buf = NULL;
	n = 0;
	fp = open_memstream(&buf, &n);
	UNIT_ASSERT_INT_EQ(config_load_all(&cfg, conf, true, fp, &count), 0);
	fclose(fp);
	snprintf(want, sizeof(want), "%s:3: unknown parameter \"bogus\"\n"
	    "%s:6: parameter connect_timeout: bad value \"soon\": expected "
	    "a time like 30s, 500ms, 5m, 1h\n", conf, conf);
	UNIT_ASSERT_STR_EQ(buf, want);
	free(buf);
	UNIT_ASSERT_INT_EQ(count, 2);
	UNIT_ASSERT_STR_EQ(cfg.state_directory, path("state2"));
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 1);
	UNIT_ASSERT_INT_EQ(cfg.routes.route[0].line, 4);
	UNIT_ASSERT_INT_EQ(config_where(&cfg, "state_directory", want,
	    sizeof(want)), 1);
	snprintf(out, sizeof(out), "%s:2", conf);
	UNIT_ASSERT_STR_EQ(want, out);
	UNIT_ASSERT_INT_EQ(config_where(&cfg, "pool_size", want,
	    sizeof(want)), 0);
	UNIT_ASSERT_STR_EQ(want, conf);

	UNIT_ASSERT_INT_EQ(run(&cfg, &me, out, sizeof(out)), 2);
	snprintf(want, sizeof(want), "%s:2: state_directory = %s: mode "
	    "0777: writable by anyone, who could forge MX cache entries and "
	    "connection slots; want 0700\n"
	    "%s:4: route = a.test smtp:[192.0.2.1]:25 client=192.0.2.0/24: "
	    "a conditional rule, which only slimrelay-milter applies, "
	    "through signed routing headers: routing_key_file is not set, "
	    "so nothing applies it\n", conf, path("state2"), conf);
	UNIT_ASSERT_STR_EQ(out, want);

	/* A missing file that must exist is one problem, not a stop. */
	count = 0;
	fp = fopen("/dev/null", "w");
	UNIT_ASSERT_INT_EQ(config_load_all(&cfg, path("none.conf"), true, fp,
	    &count), -1);
	fclose(fp);
	UNIT_ASSERT_INT_EQ(count, 1);
	config_fini(&cfg);
}

static CU_TestInfo tests[] = {
	{ "test_config_check_good", test_config_check_good },
	{ "test_config_check_modes", test_config_check_modes },
	{ "test_config_check_other_user", test_config_check_other_user },
	{ "test_config_check_routes", test_config_check_routes },
	{ "test_config_check_where", test_config_check_where },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	char cmd[600];
	int ret;

	if (mkdtemp(tmpdir) == NULL)
		return 99;
	/* The closed directory must be searchable for the test's user. */
	chmod(tmpdir, 0755);
	ret = unit_run("config_check", tests);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		ret = ret != 0 ? ret : 1;
	return ret;
}
