#!/bin/sh
# Runs inside a private network namespace (unshare -n): a peer and a client on
# its loopback; once the connection is up, every packet arriving is dropped
# (nftables, input hook), so the client's data is never acknowledged.
#   blackhole.sh WPEER WCLIENT LIMIT_SECONDS [client args...]
# Prints the client's JSON line, or BLOCKED if it was still writing at LIMIT.
set -u
wpeer=$1 wclient=$2 limit=$3
shift 3
ip link set lo up || exit 90
dir=$(mktemp -d)
"$wpeer" tcp4:127.0.0.1:0 drain --portfile "$dir/port" &
peer=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
port=$(cat "$dir/port")
# The client connects at once and starts writing after 500 ms, by which time
# the drop rule is in force.
timeout -s KILL "$limit" "$wclient" "tcp4:127.0.0.1:$port" write --delay-ms 500 "$@" >"$dir/out" &
client=$!
sleep 0.2
nft add table inet uwtest &&
	nft add chain inet uwtest in '{ type filter hook input priority 0; policy drop; }' || echo NFT-FAILED
wait $client
rc=$?
if [ $rc -eq 137 ]; then echo BLOCKED; else cat "$dir/out"; fi
kill $peer 2>/dev/null
rm -rf "$dir"
