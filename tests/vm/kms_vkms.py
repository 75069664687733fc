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
  - (first renderer only) input through libinput: systemd-udevd runs (the VM
    has no udev otherwise; libinput takes only devices udev has processed), a
    uinput keyboard exists before tranche starts and a uinput mouse is plugged
    in while it runs; a fullscreen client (tests/vm/input-client) has the
    keyboard focus (`tranchectl --json surfaces`), gets a Shift+A press with
    its modifiers, the mouse's pointer enter, motion in the direction moved and
    a left click; tranche keeps running when both devices go away;
  - (first renderer only) a second output configuration takes effect: tranche
    runs with --config FILE; FILE gains an [[output]] block for Virtual-1 with
    another mode vkms offers and `tranchectl reload` applies it: the mode in
    `tranchectl --json outputs`, the CRTC's mode and the primary plane's size
    in the atomic state, the fullscreen client reconfigured to it and its frame
    on the CRTC (CRC); emptying FILE and reloading brings the preferred mode back;
  - tranche exits 0 on SIGTERM.
Runs inside the VM: tools/vm/vm run -- python3 tests/vm/kms_vkms.py
"""

import contextlib
import json
import os
import re
import subprocess
import sys
import time

from vmlib import (BTN_LEFT, KEY_A, KEY_LEFTSHIFT, Crc, Tap, Tranche, UinputDevice, Udevd, argb_u16, builddir,
                   describe_planes, fb_to_png, kms_state, pixels_other_than, read_fb, udev_settle,
                   vkms_compose_crc, wait_for_plane_colour)

RED, GREEN, BLUE = 0xFF0000, 0x00FF00, 0x0000FF
CONFIG = "/tmp/tranche-vm-kms_vkms.toml"


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
        check_frame(tap, t, what, f"{renderer}-{colour:06x}", colour, width, height, crcs)
    finally:
        client.stop()


def check_frame(tap, t, what, png_name, colour, width, height, crcs):
    """The CRTC (width x height) shows a fullscreen client of one colour: the
    primary plane's framebuffer has the colour (but for a cursor), vkms's CRC
    is the composition of the CRTC's planes, stays so, differs from the CRCs in
    crcs (appended to), and equals a reference frame of the colour."""
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
            if (small and (fb["width"], fb["height"]) == (width, height)) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        tap.diag(describe_planes(state))
        if box:
            tap.diag(f"primary plane: {count} pixels are not #{colour:06x}, within {box}")
        if os.path.isdir("/run/tranche-vm") and (not small or os.environ.get("TRANCHE_VM_SAVE_FRAMES")):
            path = f"/run/tranche-vm/{png_name}-primary.png"
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


def start_input(tap: Tap, stack: contextlib.ExitStack):
    """udevd and a uinput keyboard, before tranche starts. Returns the keyboard,
    or None (reported) when the VM cannot provide them."""
    try:
        stack.enter_context(Udevd())
        keyboard = stack.enter_context(UinputDevice.keyboard())
        udev_settle()
    except Exception as e:  # noqa: BLE001
        tap.ok(False, "input: systemd-udevd runs and a uinput keyboard exists", f"{type(e).__name__}: {e}")
        return None
    tap.ok(True, f"input: systemd-udevd runs and a uinput keyboard exists ({keyboard.event}) before tranche starts")
    return keyboard


def wait_line(client, pattern: str, timeout: float = 10, start: int = 0) -> str | None:
    try:
        return client.wait_for_line(pattern, timeout=timeout, start=start)
    except (TimeoutError, RuntimeError):
        return None


def input_lines(client) -> str:
    """The client's output but its configures, for diagnostics."""
    return "\n".join(line for line in client.output().splitlines() if not line.startswith("configure"))[-2000:]


def focused_surfaces(t: Tranche):
    surfaces = json.loads(t.ctl("surfaces", json_output=True).stdout)
    return surfaces, [s for s in surfaces if s.get("focused")]


def check_input(tap: Tap, t: Tranche, keyboard: UinputDevice, client, stack: contextlib.ExitStack):
    """Keys from the keyboard present at start, and a mouse plugged in now, reach
    the focused fullscreen client."""
    surfaces, focused = focused_surfaces(t)
    tap.ok(len(focused) == 1 and focused[0].get("app_id") == "tranche-input-client"
           and focused[0].get("pid") == client.proc.pid and focused[0].get("fullscreen"),
           "input: the fullscreen input client has the keyboard focus (tranchectl surfaces)",
           f"surfaces: {surfaces}; client pid {client.proc.pid}")
    tap.ok(wait_line(client, "^keyboard-enter ") is not None and wait_line(client, "^keymap 1 ") is not None,
           "input: the client's wl_keyboard gets an xkb keymap and enters its surface", input_lines(client))

    # Shift+A: each event in order, with the modifiers between.
    seen = len(client.lines)
    keyboard.key(KEY_LEFTSHIFT, 1)
    keyboard.key(KEY_A)
    keyboard.key(KEY_LEFTSHIFT, 0)
    want = [f"key {KEY_LEFTSHIFT} 1", "modifiers 1 0 0 0", f"key {KEY_A} 1", f"key {KEY_A} 0",
            f"key {KEY_LEFTSHIFT} 0", "modifiers 0 0 0 0"]
    wait_line(client, f"^key {KEY_LEFTSHIFT} 0$", start=seen)
    wait_line(client, "^modifiers 0 0 0 0$", timeout=2, start=seen)
    got = [line for line in client.lines[seen:] if line.startswith(("key ", "modifiers "))]
    tap.ok(got == want, "input: Shift+A on the uinput keyboard reaches the client through libinput "
           "(keys and modifiers, in order)", f"want {want}, got {got}")

    # The mouse: plugged in while tranche runs; libinput hears of it from udevd.
    try:
        mouse = stack.enter_context(UinputDevice.mouse())
        udev_settle()
    except Exception as e:  # noqa: BLE001
        tap.ok(False, "input: a uinput mouse plugged in while tranche runs moves the pointer",
               f"{type(e).__name__}: {e}")
        return None
    # Until libinput has opened it, its events go nowhere: nudge until one arrives.
    deadline = time.monotonic() + 20
    moved = None
    while moved is None and time.monotonic() < deadline:
        mouse.move(2, 1)
        moved = wait_line(client, "^motion ", timeout=0.5)
    entered = wait_line(client, "^pointer-enter ", timeout=0.1)
    tap.ok(moved is not None and entered is not None,
           f"input: a uinput mouse plugged in while tranche runs ({mouse.event}) is picked up (udev hotplug); "
           "the pointer enters the client and moves", input_lines(client))
    if moved is None:
        return mouse

    def last_motion():
        lines = [line for line in client.lines if line.startswith("motion ")]
        return tuple(float(v) for v in lines[-1].split()[1:3])

    before = last_motion()
    seen = len(client.lines)
    for _ in range(5):
        mouse.move(8, 6)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (last_motion()[0] > before[0] and last_motion()[1] > before[1]):
        wait_line(client, "^motion ", timeout=0.5, start=len(client.lines))
    after = last_motion()
    tap.ok(after[0] > before[0] and after[1] > before[1],
           "input: moving the mouse right and down moves the pointer right and down on the client",
           f"from {before} to {after}; lines: {client.lines[seen:][-10:]}")

    seen = len(client.lines)
    mouse.button(BTN_LEFT, 1)
    mouse.button(BTN_LEFT, 0)
    wait_line(client, f"^button {BTN_LEFT} 0$", start=seen)
    got = [line for line in client.lines[seen:] if line.startswith("button ")]
    tap.ok(got == [f"button {BTN_LEFT} 1", f"button {BTN_LEFT} 0"],
           "input: a left click reaches the client (press, release)", input_lines(client))
    surfaces, focused = focused_surfaces(t)
    tap.ok(len(focused) == 1 and focused[0].get("pid") == client.proc.pid,
           "input: the client keeps the keyboard focus after the click", f"surfaces: {surfaces}")
    return mouse


def output_modes(t: Tranche, connector: str = "Virtual-1") -> list[str]:
    """The connector's modes ("WxH", as listed by the kernel, preferred first)."""
    path = f"/sys/class/drm/card{t.dri_index}-{connector}/modes"
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def crtc_mode(state: dict, crtc: str = "crtc-0"):
    """(width, height, vrefresh) of a CRTC's mode in the atomic state, or None."""
    m = re.match(r'"(\d+)x(\d+)": (\d+) ', state["crtcs"].get(crtc, {}).get("mode", ""))
    return tuple(int(v) for v in m.groups()) if m else None


def wait_for_mode(t: Tranche, width: int, height: int, timeout: float = 15):
    """Poll `tranchectl outputs` and the atomic state until Virtual-1, crtc-0
    and plane-0 have the size. Returns (output, crtc mode, plane-0 size, state)."""
    deadline = time.monotonic() + timeout
    while True:
        output = next((o for o in t.outputs() if o.get("name") == "Virtual-1"), {})
        state = kms_state(t.dri_index)
        mode = crtc_mode(state)
        plane = state["planes"].get("plane-0", {}).get("size")
        done = (output.get("mode_width"), output.get("mode_height")) == (width, height) \
            and mode is not None and mode[:2] == (width, height) and plane == f"{width}x{height}"
        if done or time.monotonic() > deadline:
            return output, mode, plane, state
        time.sleep(0.3)


def reload_config(tap: Tap, t: Tranche, text: str, what: str) -> bool:
    with open(CONFIG, "w") as f:
        f.write(text)
    started = time.monotonic()
    result = t.ctl("reload", check=False)
    took = time.monotonic() - started
    return tap.ok(result.returncode == 0, f"output config: `tranchectl reload` {what} succeeds ({took:.1f} s)",
                  f"exit {result.returncode}: {result.stdout}{result.stderr}")


def check_output_config(tap: Tap, t: Tranche, client, width: int, height: int, crcs: list):
    """An [[output]] block with another mode, applied by `tranchectl reload`."""
    try:
        modes = output_modes(t)
    except OSError as e:
        tap.ok(False, "output config: the connector's modes are listed in sysfs", str(e))
        return
    others = [m for m in modes if m != f"{width}x{height}"]
    new = "800x600" if "800x600" in others else (others[-1] if others else None)
    if not new:
        tap.ok(False, "output config: vkms offers a second mode", f"modes: {modes}")
        return
    new_w, new_h = (int(v) for v in new.split("x"))
    seen = len(client.lines)
    if not reload_config(tap, t, f'[[output]]\nname = "Virtual-1"\nmode = "{new}"\n', f"with mode {new}"):
        return
    output, mode, plane, state = wait_for_mode(t, new_w, new_h)
    tap.diag(f"after reload: output {output}; crtc-0 mode {mode}; plane-0 {plane}")
    tap.ok((output.get("mode_width"), output.get("mode_height")) == (new_w, new_h)
           and (output.get("width"), output.get("height")) == (new_w, new_h),
           f"output config: tranchectl outputs reports Virtual-1 at {new} (mode and layout box)", f"{output}")
    refresh = output.get("refresh_mhz", 0)
    tap.ok(mode is not None and mode[:2] == (new_w, new_h) and abs(mode[2] * 1000 - refresh) < 1000,
           f"output config: the CRTC's mode in the atomic state is {new} at the reported refresh",
           f"crtc-0 mode {state['crtcs'].get('crtc-0', {}).get('mode')}, refresh_mhz {refresh}")
    tap.ok(plane == new, f"output config: the primary plane scans out a {new} framebuffer",
           describe_planes(state))
    configured = wait_line(client, f"^configure {new_w} {new_h}$", timeout=15, start=seen)
    tap.ok(configured is not None, f"output config: the fullscreen client is reconfigured to {new}",
           f"client's configures: {[line for line in client.lines if line.startswith('configure')]}")
    check_frame(tap, t, f"output config {new}, #{BLUE:06x}", f"mode-{new}", BLUE, new_w, new_h, crcs)

    # Without the block, the preferred mode again (the first the kernel lists).
    if not reload_config(tap, t, "# no outputs\n", "without the [[output]] block"):
        return
    pref_w, pref_h = (int(v) for v in modes[0].split("x"))
    output, mode, plane, state = wait_for_mode(t, pref_w, pref_h)
    tap.ok((output.get("mode_width"), output.get("mode_height")) == (pref_w, pref_h) and mode
           and mode[:2] == (pref_w, pref_h) and plane == modes[0],
           f"output config: without the block the preferred mode {modes[0]} is back "
           "(tranchectl outputs, CRTC, primary plane)", f"output {output}; crtc-0 mode {mode}; plane-0 {plane}")
    ok, state, fb, count, box = wait_for_plane_colour(t, BLUE, timeout=30)
    tap.ok(ok and fb is not None and (fb["width"], fb["height"]) == (pref_w, pref_h),
           f"output config: the client's colour fills the {modes[0]} primary plane again",
           f"{count} pixels not #{BLUE:06x} within {box}; {describe_planes(state)}")


def crtc_active(t: Tranche, crtc: str = "crtc-0"):
    return kms_state(t.dri_index)["crtcs"].get(crtc, {}).get("active")


def check_output_power(tap: Tap, t: Tranche, width: int, height: int):
    """wlr-output-power-management: off darkens the CRTC, on brings the
    client's frame back."""
    off = subprocess.run([str(builddir() / "tests/clients/power-client"), "off"], env=t.client_env(), capture_output=True, text=True, timeout=30)
    deadline = time.monotonic() + 10
    while crtc_active(t) != "0" and time.monotonic() < deadline:
        time.sleep(0.2)
    tap.ok(off.returncode == 0 and "mode off" in off.stdout and crtc_active(t) == "0",
           "output power off: the client hears 'off' and crtc-0 is inactive",
           f"power-client: {off.returncode} {off.stdout!r} {off.stderr!r}; crtc-0 active={crtc_active(t)}")
    on = subprocess.run([str(builddir() / "tests/clients/power-client"), "on"], env=t.client_env(), capture_output=True, text=True, timeout=30)
    tap.ok(on.returncode == 0 and "mode on" in on.stdout,
           "output power on: the client hears 'on'", f"power-client: {on.returncode} {on.stdout!r} {on.stderr!r}")
    # The same frame as before power off, so not a new CRC: a list of its own.
    check_frame(tap, t, f"output power back on, #{BLUE:06x}", "power-on", BLUE, width, height, [])


def run_renderer(tap: Tap, renderer: str, first: bool):
    crcs = []
    with contextlib.ExitStack() as stack:
        # The first renderer's run also checks input and a reloaded output
        # configuration: udevd and the keyboard come before tranche, and
        # tranche reads a config file.
        keyboard = start_input(tap, stack) if first else None
        args = []
        if first:
            with open(CONFIG, "w") as f:
                f.write("# no outputs\n")
            args = ["--config", CONFIG]
        t = Tranche(device="vkms", renderer=renderer, args=args)
        try:
            t.start()
        except Exception as e:  # noqa: BLE001
            tap.ok(False, f"{renderer}: tranche starts on vkms", str(e))
            return
        tap.ok(True, f"{renderer}: tranche starts on vkms ({t.card}), ready after {t.ready_after:.1f} s")
        try:
            run_checks(tap, t, renderer, first, keyboard, crcs, stack)
        finally:
            status = t.stop()
            tap.ok(status == 0, f"{renderer}: tranche exits 0 on SIGTERM",
                   f"status {status}; log:\n{t.log()[-3000:]}")


def run_checks(tap: Tap, t: Tranche, renderer: str, first: bool, keyboard, crcs: list, stack):
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

    if not first:
        return
    # Input and output configuration, with one fullscreen client that logs input.
    client = t.client([str(builddir() / "tests/vm/input-client"), "--color", f"{BLUE:06x}"])
    try:
        try:
            client.wait_for_line("^mapped", timeout=30)
            client.wait_for_line(f"^configure {width} {height}$", timeout=15)
        except Exception as e:  # noqa: BLE001
            tap.ok(False, "input client: maps fullscreen", f"{type(e).__name__}: {e}")
            return
        mouse = None
        if keyboard:
            try:
                mouse = check_input(tap, t, keyboard, client, stack)
            except Exception as e:  # noqa: BLE001
                tap.ok(False, "input: checks", f"{type(e).__name__}: {e}\n{input_lines(client)}")
        try:
            check_output_config(tap, t, client, width, height, crcs)
        except Exception as e:  # noqa: BLE001
            tap.ok(False, "output config: checks", f"{type(e).__name__}: {e}")
        try:
            check_output_power(tap, t, width, height)
        except Exception as e:  # noqa: BLE001
            tap.ok(False, "output power: checks", f"{type(e).__name__}: {e}")
        if keyboard:
            # Unplugged while tranche runs: it goes on.
            for device in (mouse, keyboard):
                if device:
                    device.close()
            udev_settle()
            time.sleep(0.5)
            tap.ok(t.process.proc.poll() is None and t.ctl("outputs", check=False).returncode == 0,
                   "input: tranche keeps running and answering when the uinput devices go away",
                   t.log()[-2000:])
    finally:
        client.stop()


def main():
    tap = Tap()
    for i, renderer in enumerate(sys.argv[1:] or ["pixman", "gles2"]):
        run_renderer(tap, renderer, first=i == 0)
    tap.done()


if __name__ == "__main__":
    main()
