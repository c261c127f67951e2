/*
 * NAME
 *	sysexits_map - RFC 3463 status codes and sysexits(3) exit codes
 * SYNOPSIS
 *	#include "sysexits_map.h"
 *
 *	int sysexits_map_from_status(const char *status);
 *	const char *sysexits_map_to_status(int exit_code, const char **text);
 * DESCRIPTION
 *	sysexits_map_from_status() gives the exit status slimrelay uses
 *	for a result: 0 for 2.x.x, EX_TEMPFAIL (75) for 4.x.x and for
 *	anything invalid, and for 5.x.x a permanent sysexits code that
 *	agrees with Postfix's sys_exits table read backwards, so that a
 *	host MTA that looks only at the exit status (Exim) still bounces,
 *	and one that reads the status line (Postfix pipe(8)) sees the same
 *	meaning twice. It never returns 71 or 73: each is temporary in one
 *	MTA and permanent in another.
 *
 *	sysexits_map_to_status() maps a child's exit code (maildrop, a
 *	pipe command) to a status and a text, as Postfix's sys_exits.c
 *	does; codes outside the table give "5.3.0" and "unknown mail
 *	system error". 0 gives "2.0.0". The strings are static.
 * SEE ALSO
 *	sysexits(3), RFC 3463, Postfix global/sys_exits.c.
 */
#include "autoconfig.h"

#include <stddef.h>
#include <string.h>
#include <sysexits.h>

#include "result.h"
#include "sysexits_map.h"

static const struct {
	int	code;
	const char *status;
	const char *text;
} exits[] = {
	{ EX_USAGE, "5.3.0", "command line usage error" },
	{ EX_DATAERR, "5.6.0", "data format error" },
	{ EX_NOINPUT, "5.3.0", "cannot open input" },
	{ EX_NOUSER, "5.1.1", "user unknown" },
	{ EX_NOHOST, "5.1.2", "host name unknown" },
	{ EX_UNAVAILABLE, "5.3.0", "service unavailable" },
	{ EX_SOFTWARE, "5.3.0", "internal software error" },
	{ EX_OSERR, "4.3.0", "system resource problem" },
	{ EX_OSFILE, "5.3.0", "critical OS file missing" },
	{ EX_CANTCREAT, "5.2.0", "can't create user output file" },
	{ EX_IOERR, "5.3.0", "input/output error" },
	{ EX_TEMPFAIL, "4.3.0", "temporary failure" },
	{ EX_PROTOCOL, "5.5.0", "remote error in protocol" },
	{ EX_NOPERM, "5.7.0", "permission denied" },
	{ EX_CONFIG, "5.3.5", "local configuration error" },
};

/* sysexits_map_from_status - the exit status that carries a result */
int
sysexits_map_from_status(const char *status)
{
	/* Anything that is not a status defers (RFC 3463 syntax). */
	if (!relay_status_valid(status))
		return EX_TEMPFAIL;
	if (status[0] == '2')
		return 0;
	if (status[0] != '5')
		return EX_TEMPFAIL;
	/* Subject digit of 5.S.D (RFC 3463 section 3). */
	if (strncmp(status, "5.1.1", 5) == 0 && status[5] == '\0')
		return EX_NOUSER;
	switch (status[2]) {
	case '1':		/* addressing: 5.1.2 bad domain and friends */
		return strcmp(status, "5.1.2") == 0 ? EX_NOHOST :
		    EX_UNAVAILABLE;
	case '4':		/* routing: host not found, loops */
		return strcmp(status, "5.4.4") == 0 ? EX_NOHOST :
		    EX_UNAVAILABLE;
	case '5':		/* protocol */
		return EX_PROTOCOL;
	case '6':		/* content */
		return EX_DATAERR;
	case '7':		/* security and policy */
		return EX_NOPERM;
	default:		/* mailbox, system, anything else */
		return EX_UNAVAILABLE;
	}
}

/* sysexits_map_to_status - a child's exit code as status and text */
const char *
sysexits_map_to_status(int exit_code, const char **text)
{
	size_t i;

	if (exit_code == 0) {
		if (text != NULL)
			*text = "delivered";
		return "2.0.0";
	}
	for (i = 0; i < sizeof(exits) / sizeof(exits[0]); i++) {
		if (exits[i].code == exit_code) {
			if (text != NULL)
				*text = exits[i].text;
			return exits[i].status;
		}
	}
	if (text != NULL)
		*text = "unknown mail system error";
	return "5.3.0";
}
