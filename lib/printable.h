/*
 * printable.h - untrusted text made fit for a status line or a log
 * line. See printable.c.
 */
#ifndef SLIMRELAY_PRINTABLE_H
#define SLIMRELAY_PRINTABLE_H

char	*printable_fix(char *s);

#endif
