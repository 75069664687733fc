#!/usr/bin/env python3
"""VM test: tranche on virtio-gpu (2D, -device virtio-gpu-pci).

For each renderer (argv, default pixman gles2):
  - the virtio-gpu connector gets a mode (`tranchectl --json outputs`);
  - the primary plane scans out a framebuffer of the mode's size (debugfs state);
  - a fullscreen solid-colour client's colour is in the primary plane's
    framebuffer (read back through GETFB2; virtio-gpu has no CRC);
  - tranche exits 0 on SIGTERM.
Runs inside the VM: tools/vm/vm run -- python3 tests/vm/kms_virtio.py
"""

import sys

from vmlib import Tap, Tranche, describe_planes, kms_state, wait_for_plane_colour

COLOUR = 0x3366CC


def run_renderer(tap: Tap, renderer: str):
    t = Tranche(device="virtio", renderer=renderer)
    try:
        t.start()
    except Exception as e:  # noqa: BLE001
        tap.ok(False, f"virtio {renderer}: tranche starts", str(e))
        return
    tap.ok(True, f"virtio {renderer}: tranche starts on {t.card}, ready after {t.ready_after:.1f} s")
    try:
        outputs = t.outputs()
        tap.diag(f"outputs: {outputs}")
        good = [o for o in outputs if o.get("name", "").startswith("Virtual-") and o.get("enabled")
                and o.get("backend") == "drm" and o.get("mode_width", 0) > 0 and o.get("mode_height", 0) > 0]
        tap.ok(len(outputs) == 1 and len(good) == 1, f"virtio {renderer}: its one output is enabled with a mode",
               f"outputs: {outputs}")
        if not good:
            return
        width, height = good[0]["mode_width"], good[0]["mode_height"]
        state = kms_state(t.dri_index)
        tap.diag(describe_planes(state))
        primary = next((p for p in state["planes"].values() if p.get("fb") and p.get("normalized-zpos") == "0"),
                       {})
        tap.ok(primary.get("size") == f"{width}x{height}" and primary.get("crtc", "(null)") != "(null)",
               f"virtio {renderer}: the primary plane scans out a {width}x{height} framebuffer",
               describe_planes(state))

        late = ["--late"]
        client = t.client(["solid-client", "--fullscreen", *late, "--color", f"{COLOUR:06x}"])
        try:
            client.wait_for_line(f"^configure {width} {height}$", timeout=30)
            ok, state, fb, count, box = wait_for_plane_colour(t, COLOUR, plane=primary_name(state))
            tap.diag(describe_planes(state))
            tap.ok(ok, f"virtio {renderer}: a fullscreen client's colour is in the primary plane's framebuffer",
                   f"{count} pixels not #{COLOUR:06x} within {box}")
        except Exception as e:  # noqa: BLE001
            tap.ok(False, f"virtio {renderer}: a fullscreen client's colour is in the primary plane's framebuffer",
                   f"{type(e).__name__}: {e}")
        finally:
            client.stop()
    finally:
        status = t.stop()
        tap.ok(status == 0, f"virtio {renderer}: tranche exits 0 on SIGTERM", f"status {status}; log:\n{t.log()[-3000:]}")


def primary_name(state) -> str:
    for name, plane in state["planes"].items():
        if plane.get("normalized-zpos") == "0" and plane.get("crtc", "(null)") != "(null)":
            return name
    return "plane-0"


def main():
    tap = Tap()
    for renderer in sys.argv[1:] or ["pixman", "gles2"]:
        run_renderer(tap, renderer)
    tap.done()


if __name__ == "__main__":
    main()
