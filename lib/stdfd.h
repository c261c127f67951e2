/*
 * stdfd.h - standard input, output and error are always open.
 * See stdfd.c.
 */
#ifndef SLIMRELAY_STDFD_H
#define SLIMRELAY_STDFD_H

int	stdfd_ensure(void);
int	stdfd_null(int fd);

#endif
