#!/bin/bash
# tests/package/debian.sh - the Debian packages, built, checked,
# installed, used, upgraded and purged on this machine.
#
# Run as root on Debian 12 by .ci/run, never by "make check": it installs
# packages and makes users system-wide (and removes them again). It
# follows the README's first way to install:
#   1. builds slimrelay and slimrelay-milter from the checkout
#      (committed files and their uncommitted changes; git stash create)
#      with dpkg-buildpackage -us -uc -b, and runs lintian on them:
#      any error or warning not overridden in debian/*.lintian-overrides
#      fails;
#   2. installs both with "apt-get install ./...deb", checks the users,
#      the state directory, the routing key, "slimrelay -t" and
#      "slimrelay-milter -t" with the packaged configuration, the unit
#      (installed, not enabled), slimrelay-postfix-setup against a
#      scratch Postfix configuration (never the system's), and delivers
#      one message as the user slimrelay to smtp-sink on loopback;
#   3. purges them and checks that nothing they made is left: files,
#      /etc/slimrelay, /var/lib/slimrelay, the users and groups;
#   4. upgrade: installs the package of the previous commit, edits the
#      conffile, installs the new package over it and checks that the
#      edit and the routing key survived; purges again.
# Port 2696 on 127.0.0.1 (the port plan is in tests/integration/lib.sh).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
top_srcdir=$top
. "$top/tests/integration/lib.sh"

need dpkg-buildpackage dh lintian fakeroot apt-get smtp-sink postconf \
    runuser git
[ "$(id -u)" = 0 ] || skip "must run as root (installs packages)"
export DEBIAN_FRONTEND=noninteractive
PORT=2696
PKGS="slimrelay slimrelay-milter"
# What the postinsts write in the users' comment field: the postrms
# remove a user on purge only when it carries it.
GECOS_TRANSPORT="slimrelay mail transport"
GECOS_MILTER="slimrelay milter"

for p in $PKGS; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed; then
		echo "not ok - $p is already installed; remove it first"
		exit 1
	fi
done
for d in /etc/slimrelay /var/lib/slimrelay; do
	if [ -e "$d" ]; then
		echo "not ok - $d exists (a source install?); this test would remove it"
		exit 1
	fi
done

# At exit, whatever happened: no package of ours stays installed.
purge_all() {
	local p installed=""
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -qv 'not-installed' && installed="$installed $p"
	done
	[ -z "$installed" ] ||
	    apt-get purge -y -q $installed >"$T/purge-at-exit.log" 2>&1
}
trap 'purge_all; cleanup' EXIT

# git in the checkout, which CI may have made as another user
gitc() {
	git -c safe.directory="$top" -C "$top" "$@"
}

# export_tree REV DIR - the tree of REV (a commit) in DIR; without git,
# the checkout's files but the builds
export_tree() {
	mkdir -p "$2" || return 1
	if [ "$1" = none ]; then
		tar -C "$top" --exclude=./.git --exclude='./build*' -c . |
		    tar -x -C "$2"
	else
		gitc archive "$1" | tar -x -C "$2"
	fi
}

# build DIR - dpkg-buildpackage in DIR/src; the packages land in DIR
build() {
	(cd "$1/src" && dpkg-buildpackage -us -uc -b) >"$1/build.log" 2>&1 || {
		tail -30 "$1/build.log" | sed 's/^/#   /'
		return 1
	}
}

# debs DIR - the two packages built in DIR (not the dbgsym ones)
debs() {
	echo "$1"/slimrelay_*.deb "$1"/slimrelay-milter_*.deb
}

# install DEB... - apt-get install ./DEB, keeping changed conffiles
install_debs() {
	apt-get install -y -q --no-install-recommends \
	    -o Dpkg::Options::=--force-confdef \
	    -o Dpkg::Options::=--force-confold "$@" >"$T/install.log" 2>&1 || {
		tail -20 "$T/install.log" | sed 's/^/#   /'
		return 1
	}
}

# owner_mode PATH - "user:group mode"
owner_mode() {
	stat -c '%U:%G %a' "$1" 2>/dev/null
}

user_exists() {
	getent passwd "$1" >/dev/null
}

# user_is_ours NAME GECOS - the user exists and the package made it
user_is_ours() {
	# adduser writes "NAME,,,": the full name, then empty fields
	[ "$(getent passwd "$1" | cut -d: -f5 | cut -d, -f1)" = "$2" ]
}

# --- 1. build and lint --------------------------------------------------
echo "# building the packages from the checkout"
if gitc rev-parse -q --verify HEAD >/dev/null 2>&1; then
	rev=$(gitc -c user.name=test -c user.email=test@invalid \
	    stash create 2>/dev/null) || rev=
	rev=${rev:-HEAD}
else
	echo "# not a git checkout: building from the files as they are"
	rev=none
fi
NEW=$T/new
export_tree "$rev" "$NEW/src"
export DEB_BUILD_OPTIONS="parallel=2"
check "dpkg-buildpackage -us -uc -b builds both packages" build "$NEW"
version=$(cd "$NEW/src" && dpkg-parsechangelog -S Version)
for p in $PKGS; do
	check "$p $version built" test -f "$NEW/${p}_${version}_$(dpkg --print-architecture).deb"
done
# lintian refuses nothing as root but says so; its tags are what count.
lintian --fail-on error,warning "$NEW"/*.changes >"$T/lintian.log" 2>&1
RC=$?
OUT=$(grep -v 'root privileges' "$T/lintian.log")
[ -z "$OUT" ] || echo "$OUT" | sed 's/^/#   lintian: /'
check "lintian: no errors, no warnings without an override" eq "$RC" 0

# The previous commit's package, for the upgrade in part 4. Before
# debian/ existed (HEAD~1 has none), the "previous" package is the
# current tree with a lower version: the upgrade path is then checked
# between two builds of this tree, which is what is testable.
PREV=$T/prev
if [ "$rev" != none ] &&
    gitc rev-parse -q --verify "HEAD~1:debian/changelog" >/dev/null 2>&1; then
	echo "# building the previous package from HEAD~1"
	export_tree HEAD~1 "$PREV/src"
else
	echo "# HEAD~1 has no debian/: the previous package is this tree, version ${version}~prev"
	export_tree "$rev" "$PREV/src"
fi
# Whatever its changelog says, it is older than this one.
sed -i "1s/([^)]*)/(${version}~prev)/" "$PREV/src/debian/changelog"
DEB_BUILD_OPTIONS="parallel=2 nocheck" check "the previous package builds" build "$PREV"

# --- 2. install and use -------------------------------------------------
echo "# installing $(debs "$NEW" | xargs -n1 basename | tr '\n' ' ')"
check "apt-get install ./slimrelay_*.deb ./slimrelay-milter_*.deb" \
    install_debs $(debs "$NEW")
for p in $PKGS; do
	check "$p is installed" eq "$(dpkg-query -W -f='${Status} ${Version}' "$p")" \
	    "install ok installed $version"
done
transport_ours=no
milter_ours=no
user_is_ours slimrelay "$GECOS_TRANSPORT" && transport_ours=yes
user_is_ours slimrelay-milter "$GECOS_MILTER" && milter_ours=yes
check "user slimrelay exists" user_exists slimrelay
check "user slimrelay-milter exists, in the group slimrelay" \
    has " $(id -nG slimrelay-milter) " " slimrelay "
check "/var/lib/slimrelay: slimrelay's, mode 700" \
    eq "$(owner_mode /var/lib/slimrelay)" "slimrelay:slimrelay 700"
check "routing key: root:slimrelay, mode 640" \
    eq "$(owner_mode /etc/slimrelay/slimrelay.key)" "root:slimrelay 640"
check "routing key: 32 random bytes in base64" \
    eq "$(base64 -d /etc/slimrelay/slimrelay.key | wc -c)" 32
check "slimrelay.conf is a conffile" \
    has "$(dpkg-query -W -f='${Conffiles}' slimrelay)" " /etc/slimrelay/slimrelay.conf "
check "slimrelay.conf names the key" \
    grep -qx 'routing_key_file = /etc/slimrelay/slimrelay.key' /etc/slimrelay/slimrelay.conf
check "slimrelay.conf: the rest commented out, with the paths of the package" \
    grep -qx '#state_directory = /var/lib/slimrelay' /etc/slimrelay/slimrelay.conf

OUT=$(runuser -u slimrelay -- /usr/sbin/slimrelay -t -v 2>&1)
RC=$?
check "slimrelay -t as slimrelay (the packaged configuration)" eq "$RC" 0
check "slimrelay -t: state_directory compiled in" has "$OUT" "state_directory = /var/lib/slimrelay"
check "slimrelay -t: the key" has "$OUT" "routing_key_file = /etc/slimrelay/slimrelay.key"
OUT=$(runuser -u slimrelay-milter -- /usr/sbin/slimrelay-milter -t 2>&1)
RC=$?
check "slimrelay-milter -t as slimrelay-milter: reads the key" eq "$RC" 0
check "slimrelay-milter -t: the socket under /run" \
    has "$OUT" "milter_socket: unix:/run/slimrelay-milter/milter.sock"

unit=/lib/systemd/system/slimrelay-milter.service
check "the milter's unit is installed" test -f "$unit"
check "the unit has the package's paths" \
    grep -q '^ExecStart=/usr/sbin/slimrelay-milter -c /etc/slimrelay/slimrelay.conf' "$unit"
check "the unit is not enabled" \
    test ! -e /etc/systemd/system/multi-user.target.wants/slimrelay-milter.service
if command -v systemd-analyze >/dev/null; then
	OUT=$(systemd-analyze verify "$unit" 2>&1)
	RC=$?
	check "systemd-analyze verify: the unit is valid" eq "$RC" 0
fi
# The unit's commands as systemd would run them (CI has no systemd to
# start it): the checks, the socket's directory, the milter as its user.
unit_cmds() {
	sed -e ':a' -e '/\\$/{N;s/\\\n *//;ba' -e '}' "$unit" | sed -n "s/^$1=+\{0,1\}//p"
}
RC=0
while read -r cmd; do
	eval "$cmd" >>"$T/milter.out" 2>&1 || RC=$?
done < <(unit_cmds ExecStartPre)
check "the unit's ExecStartPre commands" eq "$RC" 0
check "the unit made /run/slimrelay-milter" \
    eq "$(owner_mode /run/slimrelay-milter)" "slimrelay-milter:slimrelay-milter 750"
eval "exec $(unit_cmds ExecStart)" >>"$T/milter.out" 2>&1 &
milter_pid=$!
track $milter_pid
for i in $(seq 1 100); do
	[ -S /run/slimrelay-milter/milter.sock ] && break
	sleep 0.05
done
check "the milter listens on the default socket" test -S /run/slimrelay-milter/milter.sock
check "the socket: the milter's user's (so it dropped root), its group may connect" \
    eq "$(owner_mode /run/slimrelay-milter/milter.sock)" "slimrelay-milter:slimrelay-milter 770"
kill $milter_pid 2>/dev/null
wait $milter_pid 2>/dev/null
[ -s "$T/milter.out" ] && sed 's/^/#   milter: /' "$T/milter.out"

for prog in slimrelay slimrelay-milter slimrelay-postfix-setup; do
	check "$prog has a man page" test -f "/usr/share/man/man8/$prog.8.gz"
done
check "slimrelay.conf(5)" test -f /usr/share/man/man5/slimrelay.conf.5.gz

# slimrelay-postfix-setup, on a scratch Postfix configuration whose
# queue directory does not exist, so that no Postfix is ever reloaded.
PF=$T/postfix
mkdir -p "$PF"
cp /usr/share/postfix/main.cf.dist "$PF/main.cf"
cp /usr/share/postfix/master.cf.dist "$PF/master.cf"
postconf -c "$PF" -e "queue_directory = $PF/spool" "data_directory = $PF/data"
OUT=$(slimrelay-postfix-setup -c "$PF" 2>&1)
RC=$?
check "slimrelay-postfix-setup prints the changes" has "$OUT" "postconf -c '$PF' -M 'slimrelay/unix=slimrelay unix"
check "...and changes nothing" eq "$(postconf -c "$PF" -M slimrelay/unix 2>/dev/null)" ""
OUT=$(slimrelay-postfix-setup -c "$PF" --apply 2>&1)
RC=$?
check "slimrelay-postfix-setup --apply" eq "$RC" 0
OUT=$(slimrelay-postfix-setup -c "$PF" --apply 2>&1)
RC=$?
check "slimrelay-postfix-setup --apply twice" eq "$RC" 0
OUT=$(postconf -c "$PF" -M slimrelay/unix)
check "master.cf: one slimrelay service" eq "$(echo "$OUT" | wc -l)" 1
check "master.cf: postfix-example/master.cf's service, installed paths" has "$OUT" \
    "pipe null_sender= user=slimrelay argv=/usr/sbin/slimrelay -c /etc/slimrelay/slimrelay.conf -q \${queue_id} -n \${nexthop} -s \${size} -f \${sender} -- \${recipient}"
check "main.cf: default_transport" eq "$(postconf -c "$PF" -h default_transport)" slimrelay
check "main.cf: relay_transport" eq "$(postconf -c "$PF" -h relay_transport)" slimrelay
check "main.cf: one recipient per delivery" \
    eq "$(postconf -c "$PF" -h slimrelay_destination_recipient_limit)" 1
OUT=$(postconf -c "$PF" -n 2>&1 >/dev/null)
check "postconf has no complaint about the result" eq "$OUT" ""
# LMTP mode: the spawn and lmtp services of postfix-example/master-lmtp.cf.
OUT=$(slimrelay-postfix-setup -c "$PF" --lmtp --apply 2>&1)
RC=$?
check "slimrelay-postfix-setup --lmtp --apply" eq "$RC" 0
check "master.cf: the spawn service runs slimrelay --lmtp" has \
    "$(postconf -c "$PF" -M slimrelay-lmtp/unix)" \
    "spawn user=slimrelay argv=/usr/sbin/slimrelay --lmtp -c /etc/slimrelay/slimrelay.conf"
check "master.cf: the lmtp service caches its connection" has \
    "$(postconf -c "$PF" -M slimlmtp/unix)" \
    "lmtp -o syslog_name=postfix/slimlmtp -o lmtp_connection_cache_destinations=private/slimrelay-lmtp"
check "main.cf: default_transport is slimlmtp" \
    eq "$(postconf -c "$PF" -h default_transport)" slimlmtp:unix:private/slimrelay-lmtp
OUT=$(postconf -c "$PF" -n 2>&1 >/dev/null)
check "postconf has no complaint about the LMTP set-up" eq "$OUT" ""

# One message, as pipe(8) would run it: the user slimrelay, the
# packaged configuration, the smart host given on the command line.
start_sink $PORT
msg="Subject: package test
Message-ID: <debian.sh.$$@slimrelay.test>

delivered by the packaged slimrelay $$"
OUT=$(printf '%s\n' "$msg" | runuser -u slimrelay -- /usr/sbin/slimrelay \
    -o "smarthost=[127.0.0.1]:$PORT" -o log=stderr \
    -o connection_idle_timeout=30s -q DEB1 \
    -f sender@slimrelay.test -- rcpt@slimrelay.test 2>&1)
RC=$?
check "delivery as slimrelay: exit 0" eq "$RC" 0
check "delivery: the log line" has "$OUT" "DEB1: to=<rcpt@slimrelay.test>, relay=127.0.0.1[127.0.0.1]:$PORT"
check "delivery: status=sent" has "$OUT" "status=sent"
check "the sink got one message" eq "$(sink_count $PORT)" 1
f=$(sink_files $PORT | head -1)
check "the sink got the body" has "$(sink_body "$f" 2>/dev/null)" "delivered by the packaged slimrelay $$"

# The first run started the keeper (slimrelay(8), CONNECTION REUSE) as
# slimrelay in the packaged state directory; a second run reuses the
# session. The purge below must stop it (prerm) before the user goes.
keeper_pid=$(tr -cd 0-9 </var/lib/slimrelay/keeper/k1.lock 2>/dev/null)
check "a keeper runs as slimrelay" eq \
    "$(stat -c %U "/proc/${keeper_pid:-0}" 2>/dev/null)" slimrelay
check "...started with the run's options" eq \
    "$(tr '\0' ' ' <"/proc/${keeper_pid:-0}/cmdline" 2>/dev/null)" \
    "/usr/sbin/slimrelay --keeper -o smarthost=[127.0.0.1]:$PORT -o log=stderr -o connection_idle_timeout=30s "
check "the keeper's directory is private" \
    eq "$(owner_mode /var/lib/slimrelay/keeper)" "slimrelay:slimrelay 700"
OUT=$(printf '%s\n' "$msg" | runuser -u slimrelay -- /usr/sbin/slimrelay \
    -o "smarthost=[127.0.0.1]:$PORT" -o log=stderr \
    -o connection_idle_timeout=30s -q DEB2 \
    -f sender@slimrelay.test -- rcpt@slimrelay.test 2>&1)
RC=$?
check "second delivery: exit 0" eq "$RC" 0
check "second delivery: the session was reused" has "$OUT" \
    "DEB2: to=<rcpt@slimrelay.test>, relay=127.0.0.1[127.0.0.1]:$PORT, conn_use=2,"

# --- 3. purge -----------------------------------------------------------
# check_purged FILES - nothing of the packages is left
check_purged() {
	local f left=""
	for p in $PKGS; do
		check "$p purged" eq "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" ""
	done
	while read -r f; do
		[ -d "$f" ] && continue	# the packages' own: below
		[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
	done <"$1"
	check "no file of the packages left" eq "$left" ""
	for f in /etc/slimrelay /var/lib/slimrelay /run/slimrelay-milter \
	    /usr/share/doc/slimrelay /usr/share/doc/slimrelay-milter; do
		check "$f removed" test ! -e "$f"
	done
	if [ "$transport_ours" = yes ]; then
		check "user slimrelay removed" eq "$(getent passwd slimrelay)" ""
		check "group slimrelay removed" eq "$(getent group slimrelay)" ""
	else
		check "user slimrelay, not the package's, kept" user_exists slimrelay
	fi
	if [ "$milter_ours" = yes ]; then
		check "user slimrelay-milter removed" eq "$(getent passwd slimrelay-milter)" ""
		check "group slimrelay-milter removed" eq "$(getent group slimrelay-milter)" ""
	else
		check "user slimrelay-milter, not the package's, kept" \
		    user_exists slimrelay-milter
	fi
}

# purge - apt-get purge both, after listing their files in $T/files
purge() {
	dpkg-query -L $PKGS >"$T/files" 2>/dev/null
	apt-get purge -y -q $PKGS >"$T/purge.log" 2>&1 || {
		tail -20 "$T/purge.log" | sed 's/^/#   /'
		return 1
	}
	# dpkg's warnings (e.g. a directory "not empty so not removed")
	! grep -i 'warning' "$T/purge.log" | sed 's/^/#   /' | grep .
}

check "apt-get purge slimrelay slimrelay-milter" purge
# (A process that has ended has no command line, even before it is reaped.)
check "the keeper stopped by the prerm" eq \
    "$(tr '\0' ' ' <"/proc/${keeper_pid:-0}/cmdline" 2>/dev/null)" ""
check_purged "$T/files"

# --- 4. upgrade ---------------------------------------------------------
echo "# upgrade from ${version}~prev"
check "install the previous package" install_debs $(debs "$PREV")
check "previous version installed" \
    eq "$(dpkg-query -W -f='${Version}' slimrelay)" "${version}~prev"
user_is_ours slimrelay "$GECOS_TRANSPORT" && transport_ours=yes
user_is_ours slimrelay-milter "$GECOS_MILTER" && milter_ours=yes
printf '# a local edit (tests/package/debian.sh)\npool_wait = 61s\n' \
    >>/etc/slimrelay/slimrelay.conf
key_before=$(md5sum </etc/slimrelay/slimrelay.key)
check "install the new package over it" install_debs $(debs "$NEW")
check "new version installed" eq "$(dpkg-query -W -f='${Version}' slimrelay)" "$version"
check "the conffile edit survived" \
    grep -qx '# a local edit (tests/package/debian.sh)' /etc/slimrelay/slimrelay.conf
OUT=$(runuser -u slimrelay -- /usr/sbin/slimrelay -t 2>&1)
RC=$?
check "slimrelay -t after the upgrade" eq "$RC" 0
check "...with the edited setting" has "$OUT" "pool_wait = 61s"
check "the routing key is the same" eq "$(md5sum </etc/slimrelay/slimrelay.key)" "$key_before"
check "/var/lib/slimrelay still slimrelay's" \
    eq "$(owner_mode /var/lib/slimrelay)" "slimrelay:slimrelay 700"
check "apt-get purge after the upgrade" purge
check_purged "$T/files"

finish
