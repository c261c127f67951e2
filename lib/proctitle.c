/*
 * NAME
 *	proctitle - what ps(1) shows for a process that changed its job
 * SYNOPSIS
 *	#include "proctitle.h"
 *
 *	void proctitle_init(int argc, char **argv);
 *	void proctitle_set(const char *fmt, ...);
 * DESCRIPTION
 *	A TLS pump (tls_pump.c) is a fork of the run that made it, and
 *	would go on showing that run's command line (its queue id, sender
 *	and recipients) for as long as it lives: in ps(1) it would look
 *	like a delivery still under way, and keep addresses visible.
 *
 *	proctitle_init() notes where the program's arguments lie (the
 *	contiguous strings argv[0] .. argv[argc - 1]); the program calls it
 *	first thing. proctitle_set() writes a new title over them, cut to
 *	their length, the rest cleared, so that /proc/PID/cmdline (what
 *	ps -f shows) says it; the thread name (ps -o comm, top) gets its
 *	first 15 bytes as well. The arguments themselves are gone after
 *	that: only a process that no longer needs them (a pump) calls it.
 *	Without proctitle_init() only the thread name changes.
 * SEE ALSO
 *	prctl(2) (PR_SET_NAME), proc(5) (/proc/PID/cmdline).
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "proctitle.h"

static char *area;		/* argv[0] .. the end of the last argument */
static size_t area_len;

/* proctitle_init - note the arguments' memory */
void
proctitle_init(int argc, char **argv)
{
	char *end;
	int i;

	if (argc < 1 || argv == NULL || argv[0] == NULL)
		return;
	end = argv[0] + strlen(argv[0]);
	for (i = 1; i < argc && argv[i] != NULL; i++) {
		if (argv[i] != end + 1)
			break;		/* not contiguous: stop there */
		end = argv[i] + strlen(argv[i]);
	}
	area = argv[0];
	area_len = (size_t)(end - argv[0]);
}

/* proctitle_set - the new title, over the arguments */
void
proctitle_set(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	(void)prctl(PR_SET_NAME, buf, 0, 0, 0);
	if (area == NULL || area_len == 0)
		return;
	n = strlen(buf);
	if (n > area_len)
		n = area_len;
	memcpy(area, buf, n);
	memset(area + n, '\0', area_len - n + 1);
}
