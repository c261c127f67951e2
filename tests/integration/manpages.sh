#!/bin/bash
# manpages.sh - every man page the build makes renders without a warning
# from groff (-ww: all of them), has its NAME section, and holds no
# control character that a stray escape (a "\f" written as a form feed)
# would leave behind.
. "$(dirname "$0")/lib.sh"
need groff
for page in slimrelay.8 slimrelay.conf.5 slimrelay-milter.8 \
    slimrelay-postfix-setup.8; do
	f=$top_builddir/man/$page
	check "$page: built" test -s "$f"
	check "$page: groff -ww has nothing to say" eq \
	    "$(groff -man -ww -z "$f" 2>&1)" ""
	check "$page: a NAME section" grep -q '^\.SH NAME' "$f"
	check "$page: no control characters" eq \
	    "$(LC_ALL=C grep -c '[[:cntrl:]]' "$f")" 0
done
finish
