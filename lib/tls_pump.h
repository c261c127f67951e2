/*
 * tls_pump.h - a TLS session carried on by a detached process, so that
 * its plaintext end can be kept like any connection. See tls_pump.c.
 */
#ifndef SLIMRELAY_TLS_PUMP_H
#define SLIMRELAY_TLS_PUMP_H

#include "conn.h"

int	tls_pump_start(struct conn *, long end_ms, const char *peer);

#endif
