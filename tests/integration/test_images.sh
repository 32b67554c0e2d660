#!/bin/bash
# test_images.sh — the node's image store through kbpfctl: the busybox image and a
# hand-made two-layer OCI archive are imported, listed and removed; broken archives are
# refused with a clear error; the unpacked layers, mounted with overlayfs, are a rootfs
# that runs busybox (chroot, and runc with a minimal bundle).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root"
[ -x "$KBPFCTL" ] || skip_all "$KBPFCTL is not built (run make)"
[ -x /bin/busybox ] || skip_all "busybox-static missing (make deps)"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
	skip_all "no overlayfs in this kernel"

STORE=$WORK/store
MERGED=$WORK/merged
CTR=$T-ctr
RUNC_ROOT=$WORK/runc
img() { "$KBPFCTL" --image-root "$STORE" image "$@"; }

cleanup_images() {
	if command -v runc >/dev/null && [ -d "$RUNC_ROOT" ]; then
		runc --root "$RUNC_ROOT" delete -f "$CTR" >/dev/null 2>&1
	fi
	mountpoint -q "$MERGED" && { umount "$MERGED" || umount -l "$MERGED"; }
	cleanup
}
trap cleanup_images EXIT

# --- the busybox image ---
check "scripts/busybox-image.sh builds busybox:latest and imports it" \
	"$ROOT/scripts/busybox-image.sh" -o "$WORK/busybox-oci" --kbpfctl "$KBPFCTL" \
	--image-root "$STORE"
listed() { # listed REGEX: a line of `image list` matches
	local out
	out=$(img list) && echo "$out" && echo "$out" | grep -Eq "$1"
}
check "image list shows busybox latest" \
	listed '^busybox +latest +sha256:[0-9a-f]{12} +1\.[0-9]+MB$'
bb_digest=$(img -o json list | jq -r '.[] | select(.shortName == "busybox") | .digest')
reimport_same() {
	local out
	out=$(img import "$WORK/busybox-oci" busybox 2>&1) && echo "$out" &&
		! echo "$out" | grep -q replaced &&
		[ "$(img -o json list | jq -r '.[0].digest')" = "$bb_digest" ]
}
check "importing busybox again changes nothing and says nothing of a replacement" reimport_same

# --- a hand-made OCI archive: busybox's layer plus one that deletes /bin/ls and makes
# /etc opaque with only /etc/motd in it ---
layout=$WORK/hand
cp -a "$WORK/busybox-oci" "$layout"
mkdir -p "$WORK/l2/bin" "$WORK/l2/etc"
: >"$WORK/l2/bin/.wh.ls"
: >"$WORK/l2/etc/.wh..wh..opq"
echo "made by hand" >"$WORK/l2/etc/motd"
tar -C "$WORK/l2" -cf "$WORK/l2.tar" .
blob() { # blob FILE: copy FILE into the layout; prints "sha256:HEX SIZE"
	local h
	h=$(sha256sum "$1" | cut -d' ' -f1)
	cp "$1" "$layout/blobs/sha256/$h"
	echo "sha256:$h $(stat -c %s "$1")"
}
bb_manifest=$layout/blobs/sha256/${bb_digest#sha256:}
read -r l2_digest l2_size < <(blob "$WORK/l2.tar")
jq -c '.config.Cmd = ["cat", "/etc/motd"] | .config.WorkingDir = "/etc" |
	.rootfs.diff_ids += ["'"$l2_digest"'"]' \
	"$layout/blobs/sha256/$(jq -r .config.digest "$bb_manifest" | cut -d: -f2)" \
	>"$WORK/config.json"
read -r cfg_digest cfg_size < <(blob "$WORK/config.json")
jq -c --arg c "$cfg_digest" --argjson cs "$cfg_size" --arg l "$l2_digest" --argjson ls "$l2_size" \
	'.config.digest = $c | .config.size = $cs | .layers += [{
	  "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": $l, "size": $ls}]' \
	"$bb_manifest" >"$WORK/manifest.json"
read -r m_digest m_size < <(blob "$WORK/manifest.json")
jq -n -c --arg d "$m_digest" --argjson s "$m_size" '{schemaVersion: 2, manifests: [{
	mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
	annotations: {"org.opencontainers.image.ref.name": "example.org/hand/made:1"}}]}' \
	>"$layout/index.json"
tar -C "$layout" -czf "$WORK/hand.tar.gz" .

import_hand() {
	local out
	out=$(img import "$WORK/hand.tar.gz") && echo "$out" &&
		echo "$out" | grep -q '^example.org/hand/made *1 '
}
check "a gzip OCI archive imports under its ref.name annotation" import_hand
both_listed() {
	local out
	out=$(img list) && echo "$out" &&
		[ "$(echo "$out" | awk 'NR > 1 {print $1 ":" $2}' | tr '\n' ' ')" = \
		  'busybox:latest example.org/hand/made:1 ' ]
}
check "image list shows both images" both_listed
inspect_config() {
	local out
	out=$(img inspect example.org/hand/made:1) && echo "$out" &&
		echo "$out" | jq -e '.config.Cmd == ["cat", "/etc/motd"] and
			.config.WorkingDir == "/etc" and (.layers | length) == 2'
}
check "image inspect reads the config and unpacks both layers" inspect_config

# --- refusals ---
refused() { # refused MESSAGE ARCHIVE: the import fails, says MESSAGE, keeps the list
	local out before
	before=$(img list)
	if out=$(img import "$2" broken:1 2>&1); then
		echo "import of $2 succeeded: $out"
		return 1
	fi
	echo "$out" | grep -q "$1" || { echo "error '$out' does not say '$1'"; return 1; }
	[ "$(img list)" = "$before" ] || { echo "the image list changed"; return 1; }
}
head -c 3000 /dev/urandom >"$WORK/noise.tar"
check "random bytes are refused: not a tar archive" refused "not a tar archive" "$WORK/noise.tar"
tar -C "$layout" -cf "$WORK/noindex.tar" blobs oci-layout
check "an archive without index.json is refused" refused "no index.json" "$WORK/noindex.tar"
mkdir -p "$WORK/bad" && cp -a "$layout/." "$WORK/bad/"
printf 'tampered' >>"$WORK/bad/blobs/sha256/${l2_digest#sha256:}"
tar -C "$WORK/bad" -cf "$WORK/bad.tar" .
check "an archive whose layer does not match its digest is refused" \
	refused "bad digest: blob $l2_digest" "$WORK/bad.tar"
head -c 20000 "$WORK/hand.tar.gz" >"$WORK/truncated.tar.gz"
check "a truncated archive is refused" refused "hand\|tar\|blob" "$WORK/truncated.tar.gz"

# --- the unpacked layers are a rootfs ---
lower=$(img inspect example.org/hand/made:1 | jq -r .lowerdir)
mkdir -p "$WORK/upper" "$WORK/work" "$MERGED"
check "overlayfs mounts the image's layers" \
	mount -t overlay overlay \
	-o "lowerdir=$lower,upperdir=$WORK/upper,workdir=$WORK/work" "$MERGED"
merged_view() {
	ls -l "$MERGED/bin/busybox" "$MERGED/etc" &&
	[ -x "$MERGED/bin/busybox" ] && [ ! -e "$MERGED/bin/ls" ] && [ -L "$MERGED/bin/cat" ] &&
		[ ! -e "$MERGED/etc/passwd" ] && [ "$(cat "$MERGED/etc/motd")" = 'made by hand' ]
}
check "the upper layer's whiteout hides /bin/ls, opaque /etc hides /etc/passwd" merged_view
says_hi() { # says_hi CMD...: CMD prints exactly "hi"
	local out
	out=$("$@" 2>&1); echo "$out"
	[ "$out" = hi ]
}
check "chroot into the merged rootfs runs /bin/busybox echo hi" \
	says_hi chroot "$MERGED" /bin/busybox echo hi
if command -v runc >/dev/null && command -v jq >/dev/null; then
	mkdir -p "$WORK/bundle" "$RUNC_ROOT"
	(cd "$WORK/bundle" && runc spec)
	jq --arg r "$MERGED" '.root = {path: $r, readonly: true} | .process.terminal = false |
		.process.args = ["/bin/busybox", "echo", "hi"] | .hostname = "images-test"' \
		"$WORK/bundle/config.json" >"$WORK/bundle/c.json"
	mv "$WORK/bundle/c.json" "$WORK/bundle/config.json"
	check "runc runs /bin/busybox echo hi from the image's rootfs" \
		says_hi runc --root "$RUNC_ROOT" run -b "$WORK/bundle" "$CTR" </dev/null
else
	ok "runc runs busybox from the image's rootfs # SKIP runc or jq missing"
fi
umount "$MERGED"

# --- removal ---
rm_hand() {
	img rm example.org/hand/made:1 | grep 'Deleted: example.org/hand/made:1' &&
		! img list | grep hand &&
		[ ! -e "$STORE/blobs/sha256/${l2_digest#sha256:}" ] &&
		[ ! -e "$STORE/layers/sha256/${l2_digest#sha256:}" ] &&
		img inspect busybox >/dev/null
}
check "image rm removes the name and the blobs only it used" rm_hand
rm_absent() {
	local out
	! out=$(img rm nothere:1 2>&1) && echo "$out" &&
		echo "$out" | grep -q 'kbpfctl image import'
}
check "image rm of an absent image says how to import it" rm_absent
rm_last() {
	img rm busybox && [ "$(img list | wc -l)" = 1 ] &&
		[ -z "$(find "$STORE/blobs/sha256" "$STORE/layers/sha256" -mindepth 1)" ]
}
check "image rm busybox empties the store" rm_last
finish
