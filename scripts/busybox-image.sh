#!/bin/bash
# busybox-image.sh — build busybox:latest as an OCI image layout from Debian's busybox-static
# (one layer: /bin/busybox, a symlink per applet, /etc/passwd, /etc/group, /tmp) and import
# it into the node's image store. Reproducible: the same busybox binary gives the same
# digests (fixed times, owners and order; gzip without a name or time stamp).
#
# Usage: busybox-image.sh [-o LAYOUT_DIR] [--kbpfctl PATH] [--image-root DIR] [--no-import]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BUILD:-$ROOT/build}/busybox-oci
KBPFCTL=${KBPFCTL:-${BUILD:-$ROOT/build}/bin/kbpfctl}
IMAGE_ROOT=""
IMPORT=1
BUSYBOX=${BUSYBOX:-/bin/busybox}

while [ $# -gt 0 ]; do
	case $1 in
	-o) OUT=$2; shift 2 ;;
	--kbpfctl) KBPFCTL=$2; shift 2 ;;
	--image-root) IMAGE_ROOT=$2; shift 2 ;;
	--no-import) IMPORT=0; shift ;;
	-h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "busybox-image: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done

if ! file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked'; then
	echo "busybox-image: $BUSYBOX is not a static busybox (apt-get install busybox-static)" >&2
	exit 1
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
rootfs=$WORK/rootfs
mkdir -p "$rootfs"/{bin,etc,root,tmp,proc,sys,dev,home,var}
cp "$BUSYBOX" "$rootfs/bin/busybox"
chmod 0755 "$rootfs/bin/busybox"
for applet in $("$BUSYBOX" --list-full); do
	[ "$applet" = bin/busybox ] && continue
	mkdir -p "$rootfs/$(dirname "$applet")"
	ln -sf /bin/busybox "$rootfs/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' \
	>"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
chmod 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/root"

# The layer: GNU tar with fixed order, owners and times; pax headers without atime/ctime.
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix \
	--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
	-C "$rootfs" -cf "$WORK/layer.tar" .
gzip -n -9 <"$WORK/layer.tar" >"$WORK/layer.tar.gz"

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

rm -rf "$OUT"
mkdir -p "$OUT/blobs/sha256"
blob() { # blob FILE: store FILE under its digest; prints the digest's hex
	local h
	h=$(sha "$1")
	cp "$1" "$OUT/blobs/sha256/$h"
	echo "$h"
}

diff_id=$(sha "$WORK/layer.tar")
layer=$(blob "$WORK/layer.tar.gz")
layer_size=$(size "$WORK/layer.tar.gz")

printf '%s' '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",'\
'"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],'\
'"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:'"$diff_id"'"]},'\
'"history":[{"created":"1970-01-01T00:00:00Z","created_by":"kbpf scripts/busybox-image.sh"}]}' \
	>"$WORK/config.json"
config=$(blob "$WORK/config.json")
config_size=$(size "$WORK/config.json")

printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'\
'"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:'"$config"'",'\
'"size":'"$config_size"'},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",'\
'"digest":"sha256:'"$layer"'","size":'"$layer_size"'}]}' >"$WORK/manifest.json"
manifest=$(blob "$WORK/manifest.json")
manifest_size=$(size "$WORK/manifest.json")

printf '%s\n' '{"imageLayoutVersion":"1.0.0"}' >"$OUT/oci-layout"
# Named both ways: containerd's full name and the OCI tag (as docker save writes them).
printf '%s\n' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",'\
'"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",'\
'"digest":"sha256:'"$manifest"'","size":'"$manifest_size"','\
'"platform":{"architecture":"amd64","os":"linux"},'\
'"annotations":{"io.containerd.image.name":"docker.io/library/busybox:latest",'\
'"org.opencontainers.image.ref.name":"latest"}}]}' >"$OUT/index.json"

echo "busybox-image: $OUT (manifest sha256:$manifest)"
if [ "$IMPORT" = 1 ]; then
	"$KBPFCTL" ${IMAGE_ROOT:+--image-root "$IMAGE_ROOT"} image import "$OUT" busybox:latest
fi
