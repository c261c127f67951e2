#!/bin/bash
# install.sh - "make install DESTDIR=..." leaves a working set-up whose
# paths agree with each other: the configuration it writes (and never
# overwrites), the state directory, the milter's systemd unit, the man
# pages and the defaults compiled into the programs.
. "$top_srcdir/tests/integration/lib.sh"

need make find cmp

D=$T/dest
# inst - make install (or uninstall) into $D; sets RC and OUT
inst() {
	OUT=$(make -s -C "$top_builddir" "${1:-install}" DESTDIR="$D" 2>&1)
	RC=$?
}

inst install
check "make install DESTDIR=..." eq "$RC" 0

# found NAME - the one file called NAME under $D, without $D
found() {
	local f
	f=$(find "$D" -name "$1" \( -type f -o -type l \))
	[ "$(printf '%s\n' "$f" | grep -c .)" = 1 ] || return 1
	echo "${f#"$D"}"
}
conf=$(found slimrelay.conf)
unit=$(found slimrelay-milter.service)
transport=$(found slimrelay)
milter=$(found slimrelay-milter)
man8=$(found slimrelay.8)
manmilter=$(found slimrelay-milter.8)
man5=$(found slimrelay.conf.5)
check "the configuration is installed" has "$conf" /slimrelay/slimrelay.conf
if grep -qx 'systemdsystemunitdir = ' "$top_builddir/Makefile"; then
	echo "# configure --with-systemdsystemunitdir=no: no unit to check"
	unit=
else
	check "the unit is installed" has "$unit" /systemd/system/slimrelay-milter.service
fi
check "the programs are installed" test -x "$D$transport" -a -x "$D$milter"
check "slimrelay-postfix-setup is installed" \
    test -x "$D$(dirname "$transport")/slimrelay-postfix-setup"

# What the programs have compiled in, from the installed binaries.
key=$T/routing.key
printf '%s\n' 0123456789abcdef0123456789abcdef >"$key"
chmod 600 "$key"
state=$("$D$transport" -t -v -c "$D$conf" | sed -n 's/^state_directory = //p')
socket=$("$D$milter" -t -c "$D$conf" -o "routing_key_file=$key" |
    sed -n 's/^milter_socket: //p')
check "the installed configuration loads" test -n "$state" -a -n "$socket"
check "the state directory is made" test -d "$D$state"
check "the configuration states the compiled-in state_directory" \
    grep -qxF "#state_directory = $state" "$D$conf"
check "the configuration states the compiled-in milter_socket" \
    grep -qxF "#    milter_socket = $socket" "$D$conf"
if [ -n "$unit" ]; then
	check "the unit makes the socket's directory" \
	    grep -qxF "    -m 0750 $(dirname "${socket#unix:}")" "$D$unit"
	check "the unit runs the installed milter with the installed configuration" \
	    grep -qxF "ExecStart=$milter -c $conf \\" "$D$unit"
	check "the unit has no placeholder left" lacks "$(cat "$D$unit")" "@"
fi
# The man pages are gzip'ed by packagers, not here.
check "slimrelay(8): the configuration file" grep -qxF ".I $conf" "$D$man8"
check "slimrelay(8): the state directory" grep -qxF ".I $state" "$D$man8"
# (the page writes the hyphens of its own text as \-, not configure's)
rundir=${socket#unix:}
rundir=${rundir%/slimrelay-milter/milter.sock}
check "slimrelay.conf(5): the milter_socket default" \
    grep -qF "default: \" unix:$rundir/slimrelay\\-milter/milter.sock )" "$D$man5"
check "slimrelay-milter(8): the socket" \
    grep -qxF ".I ${socket#unix:}" "$D$manmilter"
check "no man page has a placeholder left" \
    eq "$(grep -l '@[a-zA-Z_]*@' "$D$man8" "$D$man5" "$D$manmilter")" ""

# A second install keeps a changed configuration; uninstall keeps it.
echo "# a local change" >>"$D$conf"
cp "$D$conf" "$T/conf.changed"
inst install
check "make install again" eq "$RC" 0
check "...says the configuration is kept" has "$OUT" "exists: left as it is"
check "...and keeps it" cmp -s "$T/conf.changed" "$D$conf"
inst uninstall
check "make uninstall" eq "$RC" 0
check "...keeps a changed configuration" cmp -s "$T/conf.changed" "$D$conf"
rm -f "$D$conf"
inst install
inst uninstall
check "...removes the one it installed" test ! -e "$D$conf"
check "...and every other file" eq "$(find "$D" -type f)" ""

finish
