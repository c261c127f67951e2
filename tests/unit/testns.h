/*
 * testns.h - start and stop a canned name server, ldns-testns(1), for a
 * unit test (test_dns, test_dns_mx, test_mx_cache): included by the test
 * file, whose main() calls testns_run(), which starts the server, runs
 * the suite (unit_run()) and stops the server, or calls testns_start()
 * before its suite and testns_stop() after it.
 *
 * testns_start() finds tests/data/dns/<data> (from $top_srcdir, else
 * from __FILE__), starts ldns-testns on the first free port from
 * base_port on (it exits at once when the port is taken), and waits
 * until the server says it listens and answers "probe.test. IN A" with
 * 127.0.0.1. It returns 0 when the server runs, 77 when ldns-testns is
 * not installed (the test is skipped; SLIMRELAY_NO_SKIP turns that
 * into 1, a failure), 99 on any other trouble. The server's output goes
 * to a log file in $TMPDIR, removed by testns_stop(), which stops the
 * server by its process id.
 */
#ifndef SLIMRELAY_TESTS_TESTNS_H
#define SLIMRELAY_TESTS_TESTNS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "dns.h"
#include "result.h"
#include "unit.h"

#define TESTNS_PORT_TRIES	40

struct testns {
	pid_t	pid;
	unsigned port;
	char	log[512];
};

/* testns_find_program - is prog in $PATH? */
static bool
testns_find_program(const char *prog)
{
	const char *path = getenv("PATH"), *p, *end;
	char file[1024];

	for (p = path != NULL ? path : "/usr/bin:/bin"; *p != '\0'; p = end) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		snprintf(file, sizeof(file), "%.*s/%s", (int)(end - p), p,
		    prog);
		if (access(file, X_OK) == 0)
			return true;
		if (*end == ':')
			end++;
	}
	return false;
}

/* testns_data_file - tests/data/dns/<name> of the source tree */
static void
testns_data_file(const char *name, char *buf, size_t len)
{
	const char *top = getenv("top_srcdir");
	const char *here = __FILE__, *cut;

	if (top != NULL && *top != '\0') {
		snprintf(buf, len, "%s/tests/data/dns/%s", top, name);
		return;
	}
	/* __FILE__ is "<srcdir>/tests/unit/testns.h". */
	cut = strstr(here, "tests/unit/testns.h");
	snprintf(buf, len, "%.*stests/data/dns/%s",
	    cut != NULL ? (int)(cut - here) : 0, here, name);
}

/* testns_listening - has the server said that it bound its port? */
static bool
testns_listening(const struct testns *ns)
{
	char line[256], want[64];
	bool found = false;
	FILE *fp;

	if ((fp = fopen(ns->log, "r")) == NULL)
		return false;
	snprintf(want, sizeof(want), "Listening on port %u\n", ns->port);
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		found = strcmp(line, want) == 0;
	fclose(fp);
	return found;
}

/* testns_config - defaults aimed at the server: one quick try */
static void
testns_config(const struct testns *ns, struct config *cfg)
{
	config_defaults(cfg);
	snprintf(cfg->dns_servers, sizeof(cfg->dns_servers), "127.0.0.1:%u",
	    ns->port);
	cfg->dns_timeout_ms = 2000;
	cfg->dns_retries = 0;
	cfg->host_lookup_dns = true;
	cfg->host_lookup_native = false;
	cfg->address_preference = CONFIG_ADDR_ANY;
}

/* testns_answers - does probe.test resolve through it? */
static bool
testns_answers(const struct testns *ns)
{
	struct relay_result why;
	struct dns_addr addr;
	struct config cfg;
	struct dns *d;
	size_t n = 0;
	bool ok;

	testns_config(ns, &cfg);
	cfg.dns_timeout_ms = 200;
	cfg.address_preference = CONFIG_ADDR_IPV4_ONLY;
	if ((d = dns_new(&cfg)) == NULL) {
		config_fini(&cfg);
		return false;
	}
	ok = dns_lookup_host(d, "probe.test", 25, &addr, 1, &n, &why) == 0 &&
	    n == 1 && strcmp(addr.text, "127.0.0.1") == 0;
	dns_free(d);
	config_fini(&cfg);
	return ok;
}

/* testns_stop - end the server, by process id */
static void
testns_stop(struct testns *ns)
{
	int status;

	if (ns->pid > 0) {
		kill(ns->pid, SIGTERM);
		waitpid(ns->pid, &status, 0);
		ns->pid = -1;
	}
	if (ns->log[0] != '\0')
		unlink(ns->log);
}

/* testns_start - the server with tests/data/dns/<data>; 0, 77 or 99 */
static int
testns_start(struct testns *ns, const char *test, const char *data,
    unsigned base_port)
{
	const char *skip = getenv("SLIMRELAY_NO_SKIP");
	char datafile[1024], portstr[16];
	int i, status, fd;

	memset(ns, 0, sizeof(*ns));
	ns->pid = -1;
	if (!testns_find_program("ldns-testns")) {
		if (skip != NULL && *skip != '\0') {
			fprintf(stderr, "%s: FAIL: ldns-testns is not "
			    "installed (apt-get install ldnsutils), and "
			    "SLIMRELAY_NO_SKIP is set\n", test);
			return 1;
		}
		fprintf(stderr, "%s: SKIP: ldns-testns is not installed "
		    "(apt-get install ldnsutils)\n", test);
		return 77;
	}
	testns_data_file(data, datafile, sizeof(datafile));
	if (access(datafile, R_OK) != 0) {
		fprintf(stderr, "%s: cannot read %s: %s\n", test, datafile,
		    strerror(errno));
		return 99;
	}
	snprintf(ns->log, sizeof(ns->log), "%s/%s.%ld.log",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp", test,
	    (long)getpid());
	for (ns->port = base_port; ns->port < base_port + TESTNS_PORT_TRIES;
	    ns->port++) {
		snprintf(portstr, sizeof(portstr), "%u", ns->port);
		if ((ns->pid = fork()) < 0)
			return 99;
		if (ns->pid == 0) {
			fd = open(ns->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
			execlp("ldns-testns", "ldns-testns", "-p", portstr,
			    datafile, (char *)NULL);
			_exit(127);
		}
		for (i = 0; i < 250; i++) {
			if (waitpid(ns->pid, &status, WNOHANG) == ns->pid) {
				ns->pid = -1;
				if (WIFEXITED(status) &&
				    WEXITSTATUS(status) == 127)
					return 99;
				break;	/* port taken: try the next */
			}
			if (testns_listening(ns) && testns_answers(ns))
				return 0;
			usleep(20000);
		}
		if (ns->pid > 0) {
			kill(ns->pid, SIGKILL);
			waitpid(ns->pid, &status, 0);
			ns->pid = -1;
		}
	}
	fprintf(stderr, "%s: ldns-testns did not start (log: %s)\n", test,
	    ns->log);
	return 99;
}

/* testns_run - the suite between the server's start and stop: exit code */
static int
testns_run(struct testns *ns, const char *test, const char *data,
    unsigned base_port, const char *suite, CU_TestInfo *tests)
{
	int rc;

	if ((rc = testns_start(ns, test, data, base_port)) == 0)
		rc = unit_run(suite, tests);
	testns_stop(ns);
	return rc;
}

#endif
