/*
 * printable.h - untrusted text made fit for a status line or a log
 * line. See printable.c.
 */
#ifndef SLIMRELAY_PRINTABLE_H
#define SLIMRELAY_PRINTABLE_H

#include <stddef.h>

char	*printable_fix(char *s);
size_t	printable_utf8_len(const unsigned char *s, size_t n);
int	printable_hex_value(int c);

#endif
