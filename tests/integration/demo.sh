#!/bin/bash
# demo.sh - the README's main job: start Postfix's smtp-sink on
# 127.0.0.1:2525, relay one message through slimrelay with its built-in
# defaults, show the delivery record and what the sink received.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${SLIMRELAY:=transport/slimrelay}"
T=$(mktemp -d /tmp/slimrelay-demo.XXXXXX)
chmod 755 "$T"
mkdir -m 777 "$T/sink"
smtp-sink -u nobody -d "$T/sink/%M." 127.0.0.1:2525 16 &
SINK=$!
trap 'kill $SINK 2>/dev/null; wait $SINK 2>/dev/null' EXIT
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/2525) 2>/dev/null && break; sleep 0.1; done

cat >"$T/message" <<MSG
From: Alice <alice@example.org>
To: Bob <bob@example.com>
Subject: hello through slimrelay
Date: $(date -R)
Message-ID: <demo.$$@example.org>

Hello Bob,
.this line starts with a dot and arrives intact.
MSG

echo "\$ $SLIMRELAY -o log=$T/slimrelay.log -q DEMO1 -n '[127.0.0.1]:2525' -f alice@example.org -- bob@example.com < message"
"$SLIMRELAY" -o log="$T/slimrelay.log" -q DEMO1 -n '[127.0.0.1]:2525' \
    -f alice@example.org -- bob@example.com <"$T/message"
rc=$?
echo "exit status: $rc"
echo
echo "--- delivery record ($T/slimrelay.log)"
cat "$T/slimrelay.log"
echo
echo "--- what smtp-sink received"
cat "$T"/sink/*
exit $rc
