#!/usr/bin/env bash
# tools/vm/mkinitramfs.sh OUT KERNEL_ABI GUEST_DIR MODULES_DIR
#
# Runs inside the Debian forky root (tools/vm/vm calls it). Writes OUT, a gzip'd cpio
# initramfs: busybox-static, GUEST_DIR/init and GUEST_DIR/stage2, the in-tree
# modules needed to reach the root (9p over virtio, overlayfs) and the DRM ones
# (virtio-gpu, vgem, vkms's dependencies), decompressed, with their load order,
# and MODULES_DIR/*.ko (vkms, sw_sync).
set -euo pipefail
out=${1:?} abi=${2:?} guest=${3:?} extra=${4:?}
moddir=/lib/modules/$abi
[ -f "$moddir/modules.dep" ] || { echo "mkinitramfs: $moddir/modules.dep is missing" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/tranche-vm-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,lib/modules,lib/extra}
install -m 0755 /bin/busybox "$stage/bin/busybox"
install -m 0755 "$guest/init" "$stage/init"
install -m 0755 "$guest/stage2" "$stage/stage2"
install -m 0644 "$extra"/*.ko "$stage/lib/extra/"

# modules.dep lists a module's dependencies (all of them), the deepest last:
# load them in reverse order, then the module.
declare -A deps loaded
while IFS=: read -r path rest; do
  name=${path##*/}; name=${name%%.ko*}
  deps[$name]="$path:$rest"
done <"$moddir/modules.dep"
order=()
add() {  # add MODULE: queue MODULE and its dependencies (once) in load order
  local entry=${deps[$1]:?mkinitramfs: no module $1 in modules.dep} path list i
  path=${entry%%:*}; read -ra list <<<"${entry#*:}"
  for (( i = ${#list[@]} - 1; i >= 0; i-- )); do
    local dep=${list[i]##*/}; add "${dep%%.ko*}"
  done
  [ -n "${loaded[$1]:-}" ] && return
  loaded[$1]=1
  case "$path" in
    *.xz) xz -dc "$moddir/$path" >"$stage/lib/modules/$1.ko" ;;
    *.zst) zstd -qdc "$moddir/$path" >"$stage/lib/modules/$1.ko" ;;
    *) cp "$moddir/$path" "$stage/lib/modules/$1.ko" ;;
  esac
  order+=("$1.ko")
}
# order.boot: what reaches the root, and what vkms and sw_sync need; order.drm:
# the other DRM drivers, loaded after vkms so that vkms is card0 with connector
# Virtual-1 (connector names are numbered per type across all devices). The VM
# has no udev: nothing else gets loaded.
for module in 9pnet_virtio 9p overlay \
  $(modinfo -F depends "$extra/vkms.ko" | tr ',' ' ') $(modinfo -F depends "$extra/sw_sync.ko" | tr ',' ' '); do
  add "$module"
done
printf '%s\n' "${order[@]}" >"$stage/lib/modules/order.boot"
order=()
for module in virtio-gpu vgem; do add "$module"; done
printf '%s\n' "${order[@]}" >"$stage/lib/modules/order.drm"

mknod -m 0600 "$stage/dev/console" c 5 1 2>/dev/null || true
(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out"
echo "mkinitramfs: $(du -k "$out" | cut -f1) KiB, modules: $(cat "$stage"/lib/modules/order.* | tr '\n' ' ')"
