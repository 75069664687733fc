#!/usr/bin/env python3
"""VM test: tranche on vkms, with the pixman renderer and with GLES2 (llvmpipe).

For each renderer (argv: renderer names, default pixman gles2):
  - the vkms connector gets a mode (`tranchectl --json outputs`);
  - the primary plane scans out a framebuffer of tranche's on CRTC 0 (debugfs state);
  - (first renderer only) a toplevel asking for fullscreen before its first
    commit is configured to the output's size;
  - a fullscreen solid-colour client's frame reaches the CRTC, for two colours
    in turn: vkms's CRC settles and changes with the colour; the primary plane's
    framebuffer (read back through GETFB2) shows the colour, but for a cursor;
    the CRC equals the composition of the CRTC's planes computed here the way
    vkms does, and, when the primary shows nothing else, the CRC of a reference
    frame of that colour composed with the same other planes (the cursor);
  - tranche exits 0 on SIGTERM.
Runs inside the VM: tools/vm/vm run -- python3 tests/vm/kms_vkms.py
"""

import contextlib
import os
import subprocess
import sys
import time

from vmlib import (Crc, Tap, Tranche, argb_u16, describe_planes, fb_to_png, kms_state, pixels_other_than,
                   read_fb, vkms_compose_crc)

RED, GREEN = 0xFF0000, 0x00FF00


def supports_late(t: Tranche) -> bool:
    usage = subprocess.run([str(t.build / "tests/clients/solid-client"), "--help"],
                           capture_output=True, text=True).stderr
    return "--late" in usage


def check_colour(tap, t, renderer, colour, width, height, late, crcs):
    """A fullscreen client of one colour: its frame is what the CRTC shows."""
    what = f"{renderer}, #{colour:06x}"
    client = t.client(["solid-client", "--fullscreen", *late, "--color", f"{colour:06x}"])
    try:
        client.wait_for_line("^mapped", timeout=30)
        client.wait_for_line(f"^configure {width} {height}$", timeout=15)
    except Exception as e:  # noqa: BLE001
        tap.ok(False, f"{what}: the client becomes fullscreen", f"{type(e).__name__}: {e}")
        client.stop()
        return
    try:
        # Wait for the client's colour in the primary plane's framebuffer (the
        # first GLES2 frames of a client take seconds under TCG: llvmpipe compiles).
        deadline = time.monotonic() + 60
        while True:
            state = kms_state(t.dri_index)
            fb = read_fb(t.card, state["planes"]["plane-0"]["fb"])
            count, box = pixels_other_than(fb, colour)
            # Anything else than the colour may only be a cursor drawn into the frame.
            small = box is None or ((box[2] - box[0]) <= 64 and (box[3] - box[1]) <= 64)
            if small or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        tap.diag(describe_planes(state))
        if box:
            tap.diag(f"primary plane: {count} pixels are not #{colour:06x}, within {box}")
        if os.path.isdir("/run/tranche-vm") and (not small or os.environ.get("TRANCHE_VM_SAVE_FRAMES")):
            path = f"/run/tranche-vm/{renderer}-{colour:06x}-primary.png"
            with contextlib.suppress(Exception):
                fb_to_png(fb, path)
                tap.diag(f"saved the primary plane as {path} (in the host's run directory with --keep)")
        tap.ok(small, f"{what}: the primary plane's framebuffer shows the client's colour "
               "(but for a cursor)", f"{count} other pixels within {box}")

        # The CRTC's CRC must become the composition of its planes, and stay.
        composed = vkms_compose_crc(t.card, state, width=width, height=height)
        with Crc(t.dri_index) as crc:
            hit = crc.wait_for(composed, timeout=30)
            stable = crc.wait_stable(10, timeout=30) if hit else None
            frames = len(crc.entries)
        tap.ok(hit is not None, f"{what}: the CRC is vkms's composition of the CRTC's planes",
               f"composed from the framebuffers {composed:08x}; CRTC showed "
               f"{sorted({f'{v:08x}' for _, v in crc.entries})[:8]} over {frames} frames")
        tap.ok(stable == composed, f"{what}: the CRC stays so while nothing changes",
               f"last entries {crc.entries[-10:]}")
        tap.ok(composed not in crcs, f"{what}: the CRC differs from the previous colour's",
               f"CRC {composed:08x}, earlier {crcs}")
        crcs.append(composed)
        if box is None:
            # The reference: a frame of the colour composed the same way, with the
            # other planes (cursor) as they are.
            solid = [argb_u16(colour) * width] * height
            ref = vkms_compose_crc(t.card, state, width=width, height=height, replace={"plane-0": solid})
            tap.ok(hit is not None and ref == composed, f"{what}: the CRC equals a reference frame of the colour",
                   f"reference {ref:08x}, CRTC {composed:08x}")
    except Exception as e:  # noqa: BLE001
        tap.ok(False, f"{what}: frame checks", f"{type(e).__name__}: {e}")
    finally:
        client.stop()


def run_renderer(tap: Tap, renderer: str, first: bool):
    crcs = []
    t = Tranche(device="vkms", renderer=renderer)
    try:
        t.start()
    except Exception as e:  # noqa: BLE001
        tap.ok(False, f"{renderer}: tranche starts on vkms", str(e))
        return
    tap.ok(True, f"{renderer}: tranche starts on vkms ({t.card}), ready after {t.ready_after:.1f} s")
    try:
        outputs = t.outputs()
        tap.diag(f"outputs: {outputs}")
        virtual = [o for o in outputs if o.get("name") == "Virtual-1"]
        tap.ok(len(virtual) == 1 and virtual[0].get("mode_width", 0) > 0 and virtual[0].get("mode_height", 0) > 0
               and virtual[0].get("enabled") and virtual[0].get("backend") == "drm",
               f"{renderer}: output Virtual-1 is enabled on drm with a mode", f"outputs: {outputs}")
        width = virtual[0]["mode_width"] if virtual else 1024
        height = virtual[0]["mode_height"] if virtual else 768

        if renderer == "gles2":
            log = t.log()
            tap.ok("GLES2" in log or "gles2" in log.lower(), f"{renderer}: tranche uses the GLES2 renderer",
                   log[-2000:])

        state = kms_state(t.dri_index)
        tap.diag(describe_planes(state))
        primary = state["planes"].get("plane-0", {})
        tap.ok(primary.get("fb", 0) != 0 and primary.get("crtc") == "crtc-0"
               and primary.get("size") == f"{width}x{height}",
               f"{renderer}: the primary plane scans out a {width}x{height} framebuffer on crtc-0",
               f"plane-0: {primary}")

        # xdg-shell: a toplevel that asks for fullscreen before its first commit
        # should get the output's size in its first configure.
        if first:
            client = t.client(["solid-client", "--fullscreen", "--color", "0000ff"])
            try:
                client.wait_for_line("^mapped", timeout=30)
                time.sleep(1)
                configured = [line for line in client.lines if line.startswith("configure ")]
                tap.ok(f"configure {width} {height}" in configured,
                       "a toplevel asking for fullscreen before its first commit is configured "
                       f"to the output's size {width}x{height}", f"client's configures: {configured}")
            except Exception as e:  # noqa: BLE001
                tap.ok(False, "a toplevel asking for fullscreen before its first commit is configured", str(e))
            finally:
                client.stop()

        # For the CRCs, ask for fullscreen after mapping when solid-client can
        # (--late), which does not depend on the check above.
        late = ["--late"] if supports_late(t) else []
        for colour in (RED, GREEN):
            check_colour(tap, t, renderer, colour, width, height, late, crcs)
    finally:
        status = t.stop()
        tap.ok(status == 0, f"{renderer}: tranche exits 0 on SIGTERM", f"status {status}; log:\n{t.log()[-3000:]}")


def main():
    tap = Tap()
    for i, renderer in enumerate(sys.argv[1:] or ["pixman", "gles2"]):
        run_renderer(tap, renderer, first=i == 0)
    tap.done()


if __name__ == "__main__":
    main()
