#!/usr/bin/env bash
# tools/vm/build-modules.sh OUTDIR KERNEL_ABI
#
# Runs inside the Debian forky root (tools/vm/vm calls it). Builds the two DRM test
# modules the Debian kernel leaves out, out of tree, from linux-source-X.Y (the kernel's X.Y) and the
# installed linux-headers-KERNEL_ABI, and writes OUTDIR/vkms.ko and OUTDIR/sw_sync.ko.
#
# Changes to the kernel sources (each checked to apply exactly once):
#  vkms     a module parameter of ours, enable_syncobj (default off), that adds
#           DRIVER_SYNCOBJ | DRIVER_SYNCOBJ_TIMELINE to the driver's features
#           (syncobjs live entirely in DRM core; stock vkms answers EOPNOTSUPP).
#  sw_sync  built in-tree only (CONFIG_SW_SYNC=y): give it <linux/module.h> and a
#           licence, and let its tracepoint header be found out of tree. (6.12's
#           sync_debug.c also called the unexported sync_file_get_name(); 7.x's
#           no longer lists sync files.)
# vkms's objects come from its own Makefile (7.x has configfs, colorop, luts...).
set -euo pipefail

out=${1:?usage: build-modules.sh OUTDIR KERNEL_ABI}
abi=${2:?usage: build-modules.sh OUTDIR KERNEL_ABI}
headers=/usr/src/linux-headers-$abi
series=$(echo "$abi" | cut -d. -f1,2)
tarball=/usr/src/linux-source-$series.tar.xz
[ -d "$headers" ] || { echo "build-modules: $headers is missing" >&2; exit 1; }
[ -f "$tarball" ] || { echo "build-modules: $tarball is missing" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tranche-vm-modules.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -xJf "$tarball" -C "$work" --strip-components=1 \
  --wildcards "linux-source-$series/drivers/gpu/drm/vkms/*" \
  "linux-source-$series/drivers/dma-buf/sw_sync.c" \
  "linux-source-$series/drivers/dma-buf/sync_debug.[ch]" \
  "linux-source-$series/drivers/dma-buf/sync_trace.h"

python3 - "$work" <<'PY'
import pathlib, sys

root = pathlib.Path(sys.argv[1]) / "drivers"

def edit(rel, old, new):
    path = root / rel
    text = path.read_text()
    if text.count(old) != 1:
        sys.exit(f"build-modules: expected one '{old.splitlines()[0]}' in {rel}, "
                 f"found {text.count(old)} (kernel sources changed?)")
    path.write_text(text.replace(old, new))

# vkms: opt-in syncobj support.
edit("gpu/drm/vkms/vkms_drv.c",
     "static const struct drm_driver vkms_driver = {",
     "static struct drm_driver vkms_driver = {")
edit("gpu/drm/vkms/vkms_drv.c",
     "DEFINE_DRM_GEM_FOPS(vkms_driver_fops);",
     "static bool enable_syncobj;\n"
     "module_param_named(enable_syncobj, enable_syncobj, bool, 0444);\n"
     "MODULE_PARM_DESC(enable_syncobj, \"Advertise DRM syncobjs (binary and timeline); "
     "tranche test build, default off\");\n\n"
     "DEFINE_DRM_GEM_FOPS(vkms_driver_fops);")
# Before any device exists (the default one and configfs ones share the driver).
edit("gpu/drm/vkms/vkms_drv.c",
     "\tret = vkms_configfs_register();",
     "\tif (enable_syncobj)\n"
     "\t\tvkms_driver.driver_features |= DRIVER_SYNCOBJ | DRIVER_SYNCOBJ_TIMELINE;\n\n"
     "\tret = vkms_configfs_register();")

# sw_sync: a loadable module.
edit("dma-buf/sw_sync.c", "#include <linux/file.h>",
     "#include <linux/module.h>\n#include <linux/file.h>")
edit("dma-buf/sw_sync.c", "const struct file_operations sw_sync_debugfs_fops = {",
     "MODULE_LICENSE(\"GPL\");\n"
     "MODULE_DESCRIPTION(\"sw_sync fences for tests (tranche out-of-tree build)\");\n\n"
     "const struct file_operations sw_sync_debugfs_fops = {")
edit("dma-buf/sync_debug.c", "#include <linux/debugfs.h>",
     "#include <linux/module.h>\n#include <linux/debugfs.h>")
edit("dma-buf/sync_trace.h", "#define TRACE_INCLUDE_PATH ../../drivers/dma-buf",
     "#define TRACE_INCLUDE_PATH .")
PY

# Kbuild wins over the Makefile out of tree: take its object list, build the module.
cat > "$work/drivers/gpu/drm/vkms/Kbuild" <<'EOF'
include $(src)/Makefile
obj-m += vkms.o
EOF
cat > "$work/drivers/dma-buf/Kbuild" <<'EOF'
obj-m += sw_sync.o
sw_sync-y := sw_sync_main.o sync_debug.o
CFLAGS_sw_sync_main.o := -I$(src)
EOF
# A module named like one of its objects cannot have several objects: rename.
mv "$work/drivers/dma-buf/sw_sync.c" "$work/drivers/dma-buf/sw_sync_main.c"

jobs=$(nproc)
for dir in drivers/gpu/drm/vkms drivers/dma-buf; do
  make -s -C "$headers" M="$work/$dir" -j"$jobs" modules >"$work/make.log" 2>&1 ||
    { cat "$work/make.log" >&2; echo "build-modules: building $dir failed" >&2; exit 1; }
done
mkdir -p "$out"
install -m 0644 "$work/drivers/gpu/drm/vkms/vkms.ko" "$work/drivers/dma-buf/sw_sync.ko" "$out/"
echo "build-modules: built vkms.ko and sw_sync.ko for $abi"
