#!/bin/sh
# NAME
#	exim-unpack.sh - unpack Debian's Exim privately for the Exim tests
#
# SYNOPSIS
#	tests/integration/exim-unpack.sh [DIRECTORY]
#
# DESCRIPTION
#	Debian's exim4 packages conflict with postfix, so the tests do not
#	install Exim: this script downloads exim4-daemon-light with
#	"apt-get download" (run "apt-get update" first) and unpacks it
#	with dpkg-deb into DIRECTORY (default: $EXIM_ROOT, else
#	/opt/slimrelay-test/exim), where tests/integration/exim.sh finds
#	DIRECTORY/usr/sbin/exim4. The binary needs nothing else from the
#	exim4 packages: the tests give it its whole configuration with
#	-C. Its shared libraries are ordinary packages that install beside
#	Postfix; when one is missing the script says which packages to
#	install and fails.
#
#	Run it as root (CI's .ci/run does, before make check). It replaces
#	an earlier unpacked copy; the download goes to a temporary
#	directory that is removed afterwards.
#
# EXIT STATUS
#	0 when DIRECTORY/usr/sbin/exim4 is ready to run, 1 otherwise.

set -eu

dest=${1:-${EXIM_ROOT:-/opt/slimrelay-test/exim}}
case $dest in
/?*) ;;
*)
	echo "exim-unpack.sh: $dest: want an absolute path below /" >&2
	exit 1
	;;
esac
package=exim4-daemon-light
# Depends: of exim4-daemon-light 4.96 (Debian 12) that are libraries.
libraries="libc6 libcrypt1 libdb5.3 libgnutls-dane0 libgnutls30 libidn12
libidn2-0 libnsl2 libpcre2-8-0"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$dest.new"' EXIT
# apt-get downloads as the _apt user when it can write the directory.
if id _apt >/dev/null 2>&1; then
	chown _apt "$tmp"
fi

(cd "$tmp" && apt-get download "$package") || {
	echo "exim-unpack.sh: apt-get download $package failed" \
	    "(has apt-get update been run?)" >&2
	exit 1
}

rm -rf "$dest.new"
mkdir -p "$dest.new"
for deb in "$tmp"/*.deb; do
	dpkg-deb -x "$deb" "$dest.new"
done
rm -rf "$dest"
mv "$dest.new" "$dest"

exim=$dest/usr/sbin/exim4
missing=$(ldd "$exim" | awk '/not found/ { printf " %s", $1 }')
if [ -n "$missing" ]; then
	echo "exim-unpack.sh: $exim needs missing libraries:$missing" >&2
	echo "exim-unpack.sh: install them with: apt-get install -y" \
	    "$(echo "$libraries" | tr '\n' ' ')" >&2
	exit 1
fi
for deb in "$tmp"/*.deb; do
	echo "exim-unpack.sh: $(dpkg-deb -f "$deb" Package)" \
	    "$(dpkg-deb -f "$deb" Version) unpacked into $dest"
done
