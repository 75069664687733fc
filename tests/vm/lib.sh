# tests/vm/lib.sh — shell helpers for tests inside the VM of tools/vm/vm.
# Source it from a bash script run with `tools/vm/vm run -- bash SCRIPT`:
#
#   . tests/vm/lib.sh
#   vm_start_tranche vkms pixman          # sets TRANCHE_PID, WAYLAND_DISPLAY, TRANCHE_IPC_SOCKET,
#                                         # VM_CARD (/dev/dri/cardN), VM_DRI (N), TRANCHE_LOG
#   solid-client --fullscreen --color ff0000 &
#   vm_crc "$VM_DRI" 5                    # five CRC entries of crtc-0: "FRAME CRC" lines
#   vm_planes "$VM_DRI"                   # which framebuffer is on which plane
#   vm_stop_tranche                       # SIGTERM; VM_TRANCHE_STATUS is tranche's status
#
# tests/vm/vmlib.py has the same in Python, plus framebuffer read-back and vkms
# CRC composition.

vm_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
vm_builddir=${TRANCHE_VM_BUILDDIR:-$vm_top/build}
export PATH=$vm_builddir/compositor:$vm_builddir/tranchectl:$vm_builddir/tests/clients:$PATH

# vm_card DRIVER|vkms|virtio — /dev/dri/cardN of the first card of that driver.
vm_card() {
  case "$1" in vkms) set -- vkms ;; virtio) set -- virtio_gpu ;; esac
  "$vm_top/tools/vm/guest/drm-card" "$1"
}

# vm_start_tranche [DEVICE [RENDERER [TRANCHE ARGS...]]] — start tranche on the
# DRM backend (device vkms or virtio, renderer pixman, gles2 or auto) and wait
# until `tranchectl outputs` answers (90 s at most). Returns 1 with its log on
# stderr when it does not start.
vm_start_tranche() {
  local device=${1:-vkms} renderer=${2:-auto}
  shift $(( $# < 2 ? $# : 2 ))
  VM_CARD=$(vm_card "$device") || { echo "vm_start_tranche: no $device card" >&2; return 1; }
  VM_DRI=${VM_CARD##*card}
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/user/0}
  mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
  local n=1
  while [ -e "$XDG_RUNTIME_DIR/wayland-$n" ]; do n=$((n + 1)); done
  export WAYLAND_DISPLAY=wayland-$n
  export TRANCHE_IPC_SOCKET=$XDG_RUNTIME_DIR/tranche.$WAYLAND_DISPLAY.ipc
  TRANCHE_LOG=$XDG_RUNTIME_DIR/tranche-$n.log
  local env=(WLR_DRM_DEVICES="$VM_CARD" WLR_RENDERER_ALLOW_SOFTWARE=1 WLR_LIBINPUT_NO_DEVICES=1
             LIBSEAT_BACKEND=builtin)
  [ "$renderer" = auto ] || env+=(WLR_RENDERER="$renderer")
  env -u WAYLAND_DISPLAY "${env[@]}" tranche --backend drm --socket "$WAYLAND_DISPLAY" "$@" \
    >"$TRANCHE_LOG" 2>&1 &
  TRANCHE_PID=$!
  local i
  for i in $(seq 450); do
    kill -0 "$TRANCHE_PID" 2>/dev/null || break
    tranchectl outputs >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "vm_start_tranche: tranche did not start; its log:" >&2
  tail -n 30 "$TRANCHE_LOG" >&2
  kill "$TRANCHE_PID" 2>/dev/null
  wait "$TRANCHE_PID" 2>/dev/null
  return 1
}

# vm_stop_tranche — SIGTERM, wait (SIGKILL after 10 s); sets VM_TRANCHE_STATUS
# and returns it. (Not in $(...): the subshell could not wait for tranche.)
vm_stop_tranche() {
  local i
  kill -TERM "$TRANCHE_PID" 2>/dev/null
  for i in $(seq 100); do kill -0 "$TRANCHE_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$TRANCHE_PID" 2>/dev/null && kill -KILL "$TRANCHE_PID"
  wait "$TRANCHE_PID"; VM_TRANCHE_STATUS=$?
  return "$VM_TRANCHE_STATUS"
}

# vm_crc DRI_INDEX [COUNT [CRTC]] — COUNT (default 1) CRC entries of a CRTC of a
# card whose driver computes CRCs (vkms), as "FRAME CRC" lines. The CRTC must
# be active (a compositor drives it).
vm_crc() {
  local dir=/sys/kernel/debug/dri/$1/crtc-${3:-0}/crc
  echo auto >"$dir/control" || return 1
  # Reading data starts the capture; each read returns one entry.
  python3 - "$dir/data" "${2:-1}" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
for _ in range(int(sys.argv[2])):
    print(" ".join(os.read(fd, 256).decode().split()[:2]))
PY
}

# vm_state DRI_INDEX — the atomic state from debugfs.
vm_state() { cat "/sys/kernel/debug/dri/$1/state"; }

# vm_planes DRI_INDEX — one line per plane with a framebuffer:
# "PLANE fb=ID FORMAT SIZE crtc=CRTC at POS".
vm_planes() {
  vm_state "$1" | awk '
    function val(line) { sub(/^[^=]*=[ ]*/, "", line); return line }
    /^plane\[/ { name = $2; fb = 0; crtc = ""; fmt = ""; size = ""; pos = "" }
    /^\tcrtc=/ { crtc = val($0) }
    /^\tfb=/ { fb = val($0) }
    /^\t\tformat=/ { fmt = val($1) }
    /^\t\tsize=/ && size == "" { size = val($0) }
    /^\tcrtc-pos=/ { pos = val($0); if (fb != 0) print name, "fb=" fb, fmt, size, "crtc=" crtc, "at", pos }'
}
