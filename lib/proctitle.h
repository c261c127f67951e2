/*
 * proctitle.h - the title ps(1) shows for a process. See proctitle.c.
 */
#ifndef SLIMRELAY_PROCTITLE_H
#define SLIMRELAY_PROCTITLE_H

#include "result.h"	/* PRINTFLIKE */

void	proctitle_init(int argc, char **argv);
void	proctitle_set(const char *fmt, ...) PRINTFLIKE(1, 2);

#endif
