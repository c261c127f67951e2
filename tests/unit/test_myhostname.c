/*
 * NAME
 *	test_myhostname - unit tests for lib/myhostname.c
 * DESCRIPTION
 *	The official name of a host in a hosts(5) file: by its official
 *	name or an alias, in any case, first matching line first, comments
 *	and over-long lines skipped, a last line without a line end, a
 *	missing file. myhostname_get() always gives a NUL-ended name that
 *	agrees with what it returns. (The whole lookup, with the host name
 *	and /etc/hosts of a namespace, is tests/integration/ehlo_name.sh.)
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "myhostname.h"
#include "unit.h"

/* hosts_file - a temporary hosts file with text; the caller unlinks */
static void
hosts_file(char *path, size_t size, const char *text)
{
	FILE *fp;
	int fd;

	snprintf(path, size, "%s/test_myhostname.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	fp = fdopen(fd, "w");
	CU_ASSERT_FATAL(fp != NULL);
	fputs(text, fp);
	fclose(fp);
}

/* lookup - myhostname_from_hosts() on text; "" when not found */
static const char *
lookup(const char *text, const char *name)
{
	static char buf[256];
	char path[256];
	bool found;

	hosts_file(path, sizeof(path), text);
	buf[0] = '\0';
	found = myhostname_from_hosts(path, name, buf, sizeof(buf));
	unlink(path);
	return found ? buf : "";
}

/* test_myhostname_hosts - official names from a hosts file */
static void
test_myhostname_hosts(void)
{
	static const char hosts[] =
	    "# a comment line relaybox\n"
	    "127.0.0.1\tlocalhost\n"
	    "127.0.1.1 relay.example.org relaybox # relaybox2\n"
	    "192.0.2.7   Mixed.Example.NET   mixed\tmx\r\n"
	    "192.0.2.8 second.example.org relaybox\n"
	    "::1 ip6-localhost ip6-loopback\n"
	    "192.0.2.9 last.example.org last";

	UNIT_ASSERT_STR_EQ(lookup(hosts, "relaybox"), "relay.example.org");
	UNIT_ASSERT_STR_EQ(lookup(hosts, "RELAYBOX"), "relay.example.org");
	UNIT_ASSERT_STR_EQ(lookup(hosts, "relay.example.org"),
	    "relay.example.org");
	UNIT_ASSERT_STR_EQ(lookup(hosts, "mx"), "Mixed.Example.NET");
	UNIT_ASSERT_STR_EQ(lookup(hosts, "mixed"), "Mixed.Example.NET");
	UNIT_ASSERT_STR_EQ(lookup(hosts, "last"), "last.example.org");
	UNIT_ASSERT_STR_EQ(lookup(hosts, "localhost"), "localhost");
	/* In a comment, or the address: not a name. */
	UNIT_ASSERT_STR_EQ(lookup(hosts, "relaybox2"), "");
	UNIT_ASSERT_STR_EQ(lookup(hosts, "127.0.1.1"), "");
	UNIT_ASSERT_STR_EQ(lookup(hosts, "nothere"), "");
	UNIT_ASSERT_STR_EQ(lookup("", "relaybox"), "");
	UNIT_ASSERT_STR_EQ(lookup("127.0.0.1\n", "relaybox"), "");
}

/* test_myhostname_long_line - a line over the buffer is skipped whole */
static void
test_myhostname_long_line(void)
{
	char *text;
	size_t n = 5000;

	text = malloc(n + 100);
	CU_ASSERT_FATAL(text != NULL);
	memcpy(text, "10.0.0.1 long.example.org longbox ", 34);
	memset(text + 34, 'x', n - 34);
	strcpy(text + n, "\n10.0.0.2 short.example.org shortbox\n");
	UNIT_ASSERT_STR_EQ(lookup(text, "longbox"), "");
	UNIT_ASSERT_STR_EQ(lookup(text, "shortbox"), "short.example.org");
	free(text);
}

/* test_myhostname_missing - no file: not found; get still gives a name */
static void
test_myhostname_missing(void)
{
	char buf[256];
	bool qualified;

	UNIT_ASSERT_INT_EQ(myhostname_from_hosts("/nonexistent/hosts",
	    "localhost", buf, sizeof(buf)), false);
	qualified = myhostname_get(buf, sizeof(buf), "/nonexistent/hosts");
	UNIT_ASSERT_INT_EQ(buf[0] != '\0', true);
	UNIT_ASSERT_INT_EQ(strchr(buf, '.') != NULL, qualified);
}

static CU_TestInfo tests[] = {
	{ "test_myhostname_hosts", test_myhostname_hosts },
	{ "test_myhostname_long_line", test_myhostname_long_line },
	{ "test_myhostname_missing", test_myhostname_missing },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("myhostname", tests);
}
