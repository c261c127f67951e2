/*
 * NAME
 *	dl - OpenSSL and ldns, loaded when first needed
 * SYNOPSIS
 *	#include "dl.h"
 *
 *	int dl_load(enum dl_lib lib, struct relay_result *why);
 *	bool dl_loaded(enum dl_lib lib);
 *	const char *dl_soname(enum dl_lib lib);
 * DESCRIPTION
 *	The transport runs once per message, and most deliveries need
 *	neither TLS nor a DNS query: a smart host given by address that
 *	offers no STARTTLS, an MX answer from the cache, a local
 *	delivery. Mapping libssl, libcrypto and libldns and applying their
 *	relocations costs more than such a delivery's whole SMTP dialogue
 *	(some 170 page faults), so the programs are not linked with them:
 *	the code that needs one of them calls dl_load() first, which
 *	dlopen(3)s the shared library installed by the distribution (by
 *	the soname found when slimrelay was configured, e.g. libssl.so.3)
 *	and looks up every function slimrelay calls (the lists in
 *	dl_openssl.h and dl_ldns.h). The system's library is the one in
 *	use, so a security update of OpenSSL or ldns reaches slimrelay
 *	without a rebuild.
 *
 *	dl_load() returns 0 when the library is ready (at once when it
 *	was loaded before); -1 with why set to 4.3.0 "cannot load
 *	libssl.so.3: REASON" when the library or one of its functions
 *	cannot be found: a broken installation defers mail, it never
 *	bounces it. DL_SSL loads libcrypto first. A library stays loaded
 *	until the process ends. dl_loaded() tells whether dl_load() has
 *	succeeded for lib; dl_soname() names the library file.
 *
 *	dl_load() is not thread-safe: a threaded program (slimrelay-milter)
 *	loads what it needs before it starts threads; later calls only
 *	read the flag.
 * SEE ALSO
 *	dlopen(3), dl_openssl.h, dl_ldns.h.
 */
#include "autoconfig.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

/* The real declarations, without the redirecting macros. */
#define DL_NO_REDIRECT
#include "dl_ldns.h"
#include "dl_openssl.h"

#define DL_DEFINE(name)	__typeof__(name) *dl_##name;
DL_CRYPTO_SYMBOLS(DL_DEFINE)
DL_SSL_SYMBOLS(DL_DEFINE)
DL_LDNS_SYMBOLS(DL_DEFINE)

static int find(void *, const char *, enum dl_lib, void *, size_t,
	    struct relay_result *);
static int open_lib(enum dl_lib, void **, struct relay_result *);
static int load_crypto(void *, struct relay_result *);
static int load_ssl(void *, struct relay_result *);
static int load_ldns(void *, struct relay_result *);

static const struct {
	const char *soname;
	int	(*resolve)(void *, struct relay_result *);
} libs[] = {
	[DL_CRYPTO] = { SLIMRELAY_LIBCRYPTO_SONAME, load_crypto },
	[DL_SSL] = { SLIMRELAY_LIBSSL_SONAME, load_ssl },
	[DL_LDNS] = { SLIMRELAY_LIBLDNS_SONAME, load_ldns },
};

static bool loaded[3];

/* find - one symbol of handle into the pointer at slot */
static int
find(void *handle, const char *name, enum dl_lib lib, void *slot,
    size_t size, struct relay_result *why)
{
	void *sym;

	dlerror();
	if ((sym = dlsym(handle, name)) == NULL)
		return relay_result_set(why, "4.3.0", "cannot load %s: no "
		    "symbol %s in it", libs[lib].soname, name);
	/* POSIX: a data pointer from dlsym() holds a function's address. */
	memcpy(slot, &sym, size);
	return 0;
}

#define DL_FIND(lib) \
	do { \
		if (find(handle, #lib, which, &dl_##lib, \
		    sizeof(dl_##lib), why) != 0) \
			return -1; \
	} while (0);

/* load_crypto - the libcrypto functions of dl_openssl.h */
static int
load_crypto(void *handle, struct relay_result *why)
{
	const enum dl_lib which = DL_CRYPTO;

	DL_CRYPTO_SYMBOLS(DL_FIND)
	return 0;
}

/* load_ssl - the libssl functions of dl_openssl.h */
static int
load_ssl(void *handle, struct relay_result *why)
{
	const enum dl_lib which = DL_SSL;

	DL_SSL_SYMBOLS(DL_FIND)
	return 0;
}

/* load_ldns - the libldns functions and tables of dl_ldns.h */
static int
load_ldns(void *handle, struct relay_result *why)
{
	const enum dl_lib which = DL_LDNS;

	DL_LDNS_SYMBOLS(DL_FIND)
	return 0;
}

/* open_lib - dlopen one library; -1 with why set */
static int
open_lib(enum dl_lib lib, void **handle, struct relay_result *why)
{
	const char *err;

	/* RTLD_LOCAL: its symbols never satisfy another library's. */
	if ((*handle = dlopen(libs[lib].soname, RTLD_NOW | RTLD_LOCAL)) !=
	    NULL)
		return 0;
	err = dlerror();
	return relay_result_set(why, "4.3.0", "cannot load %s: %s",
	    libs[lib].soname, err != NULL ? err : "unknown error");
}

/* dl_load - make lib's functions callable */
int
dl_load(enum dl_lib lib, struct relay_result *why)
{
	void *handle;

	if ((unsigned)lib >= sizeof(loaded) / sizeof(loaded[0]))
		return relay_result_set(why, "4.3.0", "dl_load: bad library");
	if (loaded[lib])
		return 0;
	if (lib == DL_SSL && dl_load(DL_CRYPTO, why) != 0)
		return -1;
	if (open_lib(lib, &handle, why) != 0)
		return -1;
	if (libs[lib].resolve(handle, why) != 0) {
		/* Pointers filled so far stay unused: loaded[] is false. */
		dlclose(handle);
		return -1;
	}
	loaded[lib] = true;
	return 0;
}

/* dl_loaded - whether dl_load(lib) has succeeded */
bool
dl_loaded(enum dl_lib lib)
{
	return (unsigned)lib < sizeof(loaded) / sizeof(loaded[0]) &&
	    loaded[lib];
}

/* dl_soname - the library file dl_load(lib) opens */
const char *
dl_soname(enum dl_lib lib)
{
	return (unsigned)lib < sizeof(libs) / sizeof(libs[0]) ?
	    libs[lib].soname : "?";
}
