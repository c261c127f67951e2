/*
 * dl.h - OpenSSL and ldns, loaded when first needed. See dl.c.
 *
 * A module that calls OpenSSL includes dl_openssl.h, one that calls
 * ldns includes dl_ldns.h, after the libraries' own headers: the
 * library's function names then call through pointers that dl_load()
 * fills in. A call before dl_load() has succeeded is a bug.
 */
#ifndef SLIMRELAY_DL_H
#define SLIMRELAY_DL_H

#include <stdbool.h>

#include "result.h"

enum dl_lib {
	DL_CRYPTO,		/* libcrypto */
	DL_SSL,			/* libssl, and libcrypto with it */
	DL_LDNS,		/* libldns */
};

int	dl_load(enum dl_lib, struct relay_result *why);
bool	dl_loaded(enum dl_lib);
const char *dl_soname(enum dl_lib);

/* Declares the pointer through which a library name is called. */
#define DL_DECLARE(name)	extern __typeof__(name) *dl_##name;

#endif
