#!/bin/sh
# deps.sh — install the Debian packages kbpf needs to build, test and run; quiet and
# quick when everything is already there (make deps, make test, make up call it).
set -eu

PACKAGES="
clang llvm gcc make pkg-config
libbpf-dev bpftool libelf-dev zlib1g-dev
libjansson-dev libcurl4-openssl-dev libmicrohttpd-dev libsqlite3-dev libyaml-dev uthash-dev
libarchive-dev libssl-dev libcmocka-dev libclang-rt-14-dev python3-kubernetes python3-yaml
iproute2 ethtool procps iptables nftables busybox-static runc
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing — run as root (or install them) first" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
