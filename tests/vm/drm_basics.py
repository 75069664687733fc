#!/usr/bin/env python3
"""VM test: the VM's DRM devices are what tools/vm promises, and `tranche
--backend drm` fails quickly and clearly when it cannot drive a KMS device.

  - the rig: vkms (card with 1 primary, 8 overlay, 1 cursor plane and a
    writeback connector, Virtual-1), virtio-gpu and vgem cards; DRM syncobjs on
    virtio-gpu, not on stock vkms, and on vkms reloaded with enable_syncobj=1;
    sw_sync fences that signal when their timeline advances;
  - no DRM device (/dev/dri hidden in a private mount namespace): tranche exits
    non-zero within seconds and says there is no DRM device;
  - the device is already DRM master (a first tranche drives vkms): a second
    tranche on the same device exits non-zero within seconds with an error that
    names the device, and the first keeps running and answering.
Runs inside the VM: tools/vm/vm run -- python3 tests/vm/drm_basics.py
"""

import os
import pathlib
import subprocess
import time

from vmlib import (DRM_CAP_SYNCOBJ, DRM_CAP_SYNCOBJ_TIMELINE, SwSyncTimeline, Tap, Tranche, builddir,
                   drm_card, drm_cards, drm_get_cap, fence_signalled, kms_state)

QUICK = 15  # seconds: what "quickly" means here, under TCG
# Reported to the lead: the second instance says "cannot create an allocator".


def tranche_argv():
    return [str(builddir() / "compositor/tranche"), "--backend", "drm"]


def run_timed(argv, env=None, timeout=60):
    started = time.monotonic()
    try:
        result = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=timeout)
        return result.returncode, result.stdout + result.stderr, time.monotonic() - started
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") + (e.stderr or b"").decode(errors="replace")
        return None, out, time.monotonic() - started


def no_device(tap: Tap):
    env = dict(os.environ, XDG_RUNTIME_DIR="/run/user/0")
    env.pop("WAYLAND_DISPLAY", None)
    # A private mount namespace with an empty /dev/dri.
    argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount -t tmpfs none /dev/dri && exec "$@"', "sh", *tranche_argv()]
    rc, out, took = run_timed(argv, env=env)
    tap.diag(f"no device: exit {rc} after {took:.1f} s: {out.strip()[-500:]}")
    tap.ok(rc not in (0, None) and took < QUICK, f"no DRM device: tranche exits non-zero within {QUICK} s",
           f"exit {rc} after {took:.1f} s")
    tap.ok("no DRM device" in out, "no DRM device: the error says so", out[-1000:])


def device_busy(tap: Tap, seat: str):
    first = Tranche(device="vkms", renderer="pixman", seat=seat)
    try:
        first.start()
    except Exception as e:  # noqa: BLE001
        tap.ok(False, f"{seat}: a first tranche drives vkms", str(e))
        return
    tap.ok(True, f"{seat}: a first tranche drives vkms ({first.card})")
    try:
        second = Tranche(device="vkms", renderer="pixman", seat=seat, card=first.card)
        env = second.env()
        rc, out, took = run_timed([*tranche_argv(), "--socket", second.socket], env=env)
        tap.diag(f"second tranche: exit {rc} after {took:.1f} s; its last lines:")
        tap.diag("\n".join(out.strip().splitlines()[-40:]))
        tap.ok(rc not in (0, None) and took < QUICK,
               f"{seat}: a second tranche on the mastered device exits non-zero within {QUICK} s",
               f"exit {rc} after {took:.1f} s")
        # tranche's own message (not wlroots' or libseat's log lines).
        own = [line for line in out.splitlines() if line.startswith("tranche:") or "[tranche]" in line]
        said = "\n".join(own).lower()
        tap.ok(any(word in said for word in ("master", "in use", "busy")) and first.card in "\n".join(own),
               f"{seat}: tranche's error names the device and says it is in use (DRM master held elsewhere)",
               f"tranche said: {own}")
        tap.ok(first.process.proc.poll() is None and first.ctl("outputs", check=False).returncode == 0,
               f"{seat}: the first tranche still runs and answers", first.log()[-1000:])
    finally:
        status = first.stop()
        tap.ok(status == 0, f"{seat}: the first tranche exits 0 on SIGTERM", f"status {status}")


def rig(tap: Tap):
    cards = drm_cards()
    tap.diag(f"cards: {cards}")
    tap.ok(sorted(cards.values()) == ["vgem", "virtio_gpu", "vkms"], "the VM has a vkms, a virtio-gpu and a vgem card",
           str(cards))
    vkms, index = drm_card("vkms")
    planes = kms_state(index)["planes"]
    connectors = sorted(p.name for p in pathlib.Path("/sys/class/drm").glob(f"card{index}-*"))
    tap.ok(len(planes) == 10 and f"card{index}-Virtual-1" in connectors and f"card{index}-Writeback-1" in connectors,
           "vkms has 10 planes (primary, 8 overlay, cursor), connector Virtual-1 and a writeback connector",
           f"planes {list(planes)}, connectors {connectors}")
    virtio, _ = drm_card("virtio")
    tap.ok(drm_get_cap(virtio, DRM_CAP_SYNCOBJ_TIMELINE) == 1, "virtio-gpu supports timeline syncobjs")
    tap.ok(drm_get_cap(vkms, DRM_CAP_SYNCOBJ) == 0, "vkms as loaded by default has no syncobjs")

    # Reload vkms with our enable_syncobj=1 (tools/vm/build-modules.sh).
    params = "enable_overlay=1 enable_cursor=1 enable_writeback=1 enable_syncobj=1"
    result = subprocess.run(["sh", "-c", f"rmmod vkms && insmod /.tranche-vm/vkms.ko {params}"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        tap.ok(False, "vkms reloads with enable_syncobj=1", result.stderr)
    else:
        vkms, _ = drm_card("vkms")
        tap.ok(drm_get_cap(vkms, DRM_CAP_SYNCOBJ) == 1 and drm_get_cap(vkms, DRM_CAP_SYNCOBJ_TIMELINE) == 1,
               f"vkms reloaded with enable_syncobj=1 supports (timeline) syncobjs ({vkms})")
        # Back to the default for the checks below.
        default = params.replace("enable_syncobj=1", "enable_syncobj=0")
        subprocess.run(["sh", "-c", f"rmmod vkms && insmod /.tranche-vm/vkms.ko {default}"], check=False)

    timeline = SwSyncTimeline()
    fence = timeline.fence(1)
    before = fence_signalled(fence)
    timeline.inc()
    after = fence_signalled(fence, timeout=1)
    tap.ok(not before and after, "a sw_sync fence signals when its timeline advances, not before",
           f"before {before}, after {after}")
    os.close(fence)
    timeline.close()


def main():
    tap = Tap()
    rig(tap)
    no_device(tap)
    device_busy(tap, "builtin")
    tap.done()


if __name__ == "__main__":
    main()
