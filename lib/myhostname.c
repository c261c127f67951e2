/*
 * NAME
 *	myhostname - this host's fully qualified name, as Postfix finds it
 * SYNOPSIS
 *	#include "myhostname.h"
 *
 *	bool myhostname_get(char *buf, size_t size, const char *hosts_path);
 *	bool myhostname_from_hosts(const char *hosts_path, const char *name,
 *	    char *buf, size_t size);
 * DESCRIPTION
 *	myhostname_get() puts into buf the name this host calls itself in
 *	EHLO when ehlo_name is not set, the way Postfix finds its default
 *	myhostname: gethostname(2) ("localhost" when that fails or is
 *	empty); when that name has no dot, the canonical name of the host
 *	that has it: first from hosts_path (normally /etc/hosts, which the
 *	name service switch reads first on nearly every system), else from
 *	getaddrinfo(3) with AI_CANONNAME. /etc/hosts is read directly so
 *	that a run pays neither the name service's start-up (a dlopen() of
 *	its modules) nor a DNS query for the common set-up; only a host
 *	whose short name is not in that file asks the resolver. It returns
 *	true when the result is fully qualified (has a dot), false when it
 *	is not (the caller warns). buf always holds a NUL-ended name; size
 *	must be at least 16.
 *
 *	myhostname_from_hosts() looks up name in a hosts(5) file: the first
 *	line that lists it (as the official name or as an alias, case
 *	insensitive) gives its official name, the first on that line. It
 *	returns true and fills buf when found (and the official name fits),
 *	false otherwise, also when the file cannot be read. Lines longer
 *	than the line buffer are skipped whole; '#' starts a comment.
 * SEE ALSO
 *	hosts(5), gethostname(2), Postfix mail_params.c (myhostname).
 */
#include "autoconfig.h"

#include <fcntl.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "myhostname.h"

#define HOSTS_LINE_MAX	1024	/* longer lines are skipped */
#define HOSTS_READ_MAX	(256 * 1024)	/* bytes of the file looked at */

static bool	line_official(char *, const char *, char *, size_t);

/*
 * line_official - if the hosts line (NUL-ended, writable) lists name,
 * copy its official name (the second field) into buf
 */
static bool
line_official(char *line, const char *name, char *buf, size_t size)
{
	static const char sep[] = " \t\r";
	char *save = NULL, *field, *official;

	line[strcspn(line, "#")] = '\0';
	if (strtok_r(line, sep, &save) == NULL)		/* the address */
		return false;
	if ((official = strtok_r(NULL, sep, &save)) == NULL)
		return false;
	for (field = official; field != NULL;
	    field = strtok_r(NULL, sep, &save)) {
		if (strcasecmp(field, name) != 0)
			continue;
		if (strlen(official) >= size)
			return false;
		memcpy(buf, official, strlen(official) + 1);
		return true;
	}
	return false;
}

/* myhostname_from_hosts - the official name of name in a hosts file */
bool
myhostname_from_hosts(const char *hosts_path, const char *name, char *buf,
    size_t size)
{
	char chunk[4096], line[HOSTS_LINE_MAX];
	size_t len = 0, total = 0;
	bool is_skipping = false, found = false;
	ssize_t n;
	int fd, i;

	if ((fd = open(hosts_path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	while (!found && total < HOSTS_READ_MAX &&
	    (n = read(fd, chunk, sizeof(chunk))) > 0) {
		total += (size_t)n;
		for (i = 0; i < n && !found; i++) {
			if (chunk[i] != '\n') {
				if (len + 1 < sizeof(line))
					line[len++] = chunk[i];
				else
					is_skipping = true;
				continue;
			}
			line[len] = '\0';
			if (!is_skipping)
				found = line_official(line, name, buf, size);
			len = 0;
			is_skipping = false;
		}
	}
	if (!found && len > 0 && !is_skipping) {
		/* The last line, without a line end. */
		line[len] = '\0';
		found = line_official(line, name, buf, size);
	}
	close(fd);
	return found;
}

/* myhostname_get - the fully qualified host name; false if it is not */
bool
myhostname_get(char *buf, size_t size, const char *hosts_path)
{
	struct addrinfo hints, *res = NULL;
	char name[256];

	if (gethostname(name, sizeof(name)) != 0 || name[0] == '\0')
		snprintf(name, sizeof(name), "localhost");
	name[sizeof(name) - 1] = '\0';
	if (strchr(name, '.') == NULL &&
	    !myhostname_from_hosts(hosts_path, name, buf, size)) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_flags = AI_CANONNAME;
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(name, NULL, &hints, &res) == 0 &&
		    res != NULL && res->ai_canonname != NULL &&
		    strchr(res->ai_canonname, '.') != NULL &&
		    strlen(res->ai_canonname) < size)
			snprintf(buf, size, "%s", res->ai_canonname);
		else
			snprintf(buf, size, "%s", name);
		if (res != NULL)
			freeaddrinfo(res);
	} else if (strchr(name, '.') != NULL) {
		snprintf(buf, size, "%s", name);
	}
	return strchr(buf, '.') != NULL;
}
