/*
 * myhostname.h - this host's fully qualified name, for EHLO. See
 * myhostname.c.
 */
#ifndef SLIMRELAY_MYHOSTNAME_H
#define SLIMRELAY_MYHOSTNAME_H

#include <stdbool.h>
#include <stddef.h>

#define MYHOSTNAME_HOSTS	"/etc/hosts"

bool	myhostname_get(char *buf, size_t size, const char *hosts_path);
bool	myhostname_from_hosts(const char *hosts_path, const char *name,
	    char *buf, size_t size);

#endif
