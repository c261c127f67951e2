/*
 * config_check.h - slimrelay -t: the files, directories and programs a
 * delivery needs, checked as the transport's user. See config_check.c.
 */
#ifndef SLIMRELAY_CONFIG_CHECK_H
#define SLIMRELAY_CONFIG_CHECK_H

#include <stdio.h>
#include <sys/types.h>

#include "config.h"
#include "result.h"

#define CONFIG_CHECK_GROUPS_MAX	64

/* The user the checks are made for. */
struct config_check_user {
	uid_t	uid;
	gid_t	gid;
	gid_t	groups[CONFIG_CHECK_GROUPS_MAX];	/* supplementary */
	int	ngroups;
	char	name[64];			/* for messages */
};

int	config_check_user_init(struct config_check_user *, const char *name,
	    struct relay_result *why);
unsigned config_check(const struct config *,
	    const struct config_check_user *, FILE *);

#endif
