/*
 * sysexits_map.h - RFC 3463 status <-> sysexits(3) exit codes.
 * See sysexits_map.c.
 */
#ifndef SLIMRELAY_SYSEXITS_MAP_H
#define SLIMRELAY_SYSEXITS_MAP_H

int	sysexits_map_from_status(const char *status);
const char *sysexits_map_to_status(int exit_code, const char **text);

#endif
