#!/bin/bash
# quickstart.sh - set up a Debian 12 machine (as root) and build slimrelay.
#
#   ./quickstart.sh demo    install what is needed, build, and deliver one
#                           message through slimrelay to a local smtp-sink
#   ./quickstart.sh test    install what is needed, build, run every test
#   ./quickstart.sh deps    only install the Debian packages (idempotent)
#
# The build goes to ./build (out of tree). With CI=true set, a test that
# would be skipped for a missing tool fails instead.
set -euo pipefail
cd "$(dirname "$0")"
top=$(pwd)

# Debian packages: build tools, libraries, the real servers the tests
# run (smtp-sink from postfix, ldns-testns, maildrop, miltertest,
# pflogsumm), the shared libraries of the privately unpacked Exim
# (exim-unpack.sh), nsd and unbound (which serve and validate dane.sh's
# signed test zone), and what tests/package/debian.sh builds and checks
# the .deb files with.
PACKAGES="autoconf automake libtool pkg-config make gcc
	build-essential debhelper dpkg-dev fakeroot lintian git
	libldns-dev libssl-dev libmilter-dev libcunit1-dev
	postfix swaks ldnsutils maildrop miltertest msmtp openssl time iproute2
	nsd unbound
	sasl2-bin libsasl2-modules procps pflogsumm groff-base
	libc6 libcrypt1 libdb5.3 libgnutls-dane0 libgnutls30 libidn12
	libidn2-0 libnsl2 libpcre2-8-0"

deps() {
	local missing=""
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q 'install ok installed' || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		export DEBIAN_FRONTEND=noninteractive
		# Postfix is only a test fixture here: no system mail set-up.
		echo "postfix postfix/main_mailer_type select No configuration" |
		    debconf-set-selections
		apt-get update -q
		# The servers are test fixtures the tests start themselves
		# (nsd, unbound, postfix): no daemon starts on install.
		local rcd=/usr/sbin/policy-rc.d made=""
		if [ ! -e "$rcd" ]; then
			printf '#!/bin/sh\nexit 101\n' >"$rcd"
			chmod 755 "$rcd"
			made=1
		fi
		apt-get install -y -q --no-install-recommends $missing ||
		    { [ -z "$made" ] || rm -f "$rcd"; exit 1; }
		[ -z "$made" ] || rm -f "$rcd"
	fi
	# Exim conflicts with Postfix as a package: unpack it privately.
	bash tests/integration/exim-unpack.sh
}

build() {
	local dir=$1
	shift
	[ -x configure ] || autoreconf -fi
	mkdir -p "$dir"
	(cd "$dir" && { [ -f Makefile ] || "$top/configure" "$@"; } &&
	    make -j"$(nproc)")
}

case "${1:-}" in
deps)
	deps
	;;
demo)
	deps
	build build --enable-werror
	make -C build demo
	;;
test)
	deps
	build build --enable-werror
	if [ "${CI:-}" = true ]; then
		export SLIMRELAY_NO_SKIP=1
	fi
	make -C build -j2 check || {
		cat build/test-suite.log
		exit 1
	}
	;;
*)
	sed -n '2,11p' "$0"
	exit 64
	;;
esac
