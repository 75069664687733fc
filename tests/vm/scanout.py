#!/usr/bin/env python3
"""VM test: dmabuf feedback with scanout tranches, KMS planes and `tranchectl
explain` — tranche on vkms with GLES2 (llvmpipe; pixman cannot composite
dma-bufs, so tranche offers linux-dmabuf only with GLES2). One boot, one tranche
(overlays on, a feedback hysteresis of 1 s), clients one after another
(tests/clients/dmabuf-client allocates with GBM on vkms's card node):

  - default feedback (wayland-info, the client): main device = explain's render
    device, one render tranche, no scanout flag;
  - a fullscreen dmabuf client: its surface feedback gains scanout tranches for
    vkms's card (dev_t) with XR24 and AR24 LINEAR, before the render tranche, at
    once (a first offer does not wait for the hysteresis); the primary plane scans out *its* framebuffer
    (the client writes 0x5a into XR24's unused byte, composition writes 0xff);
    the CRC is that of a frame of its colour; explain says `primary`, stats count;
    its frames are presented with presentation-time's zero_copy flag;
  - a windowed dmabuf client over the composited background: an overlay plane
    shows its framebuffer at the window's position; explain says `overlay`;
    the CRC is right; while only it redraws, no pixel is composed beneath it;
  - a windowed dmabuf client that draws once: composited as not_worth_it
    (overlay-min-update-rate), and then nothing is composed while it is still;
    presented with the zero_copy flag (feedback tranche answers itself);
  - a windowed client drawing AR30 (no vkms plane has it; 6.12's vkms also
    lacked AB24, 7.2's has it), following feedback: composited for
    format_unsupported while its feedback offers scanout formats, then it
    reallocates with the first of them it draws in and goes on an overlay plane;
  - a fullscreen shm client: composited for not_dmabuf; no scanout tranche ever;
    presented without the zero_copy flag;
  - a fullscreen client that turns its buffer (transform 90) after a while:
    composited for `transformed`, and its scanout tranches withdrawn, but not
    before the hysteresis has passed;
  - weston-simple-dmabuf-feedback prints the tranches tranche sends (vkms card,
    scanout);
  - bad imports through create and create_immed (zwp_linux_buffer_params_v1):
    the spec's protocol error or `failed`; tranche stays alive and answers IPC
    after each; last, dma-bufs of other devices (udmabuf, vgem), which Mesa is
    known to mishandle on vkms: tranche must survive them.
Runs inside the VM:
  tools/vm/vm run --builddir B --renderer gles2 -- python3 tests/vm/scanout.py
"""

import contextlib
import os
import re
import subprocess
import time

from vmlib import (Crc, Tap, Tranche, argb_u16, describe_planes, explain_surface, feedback_events,
                   frame_callback_times, kms_state, pixels_other_than, read_fb, scanout_tranches, to_argb_u16,
                   start_dmabuf_client, tranche_json, unused_byte_values, vkms_compose_crc, wait_for_client_fb,
                   wait_for_explain, wait_for_feedback)

CONFIG = "/tmp/tranche-vm-scanout.toml"
HYSTERESIS_MS = 1000
X_BYTE = 0x5A
# The first client to load Mesa (GBM) waits for it to come over 9p under TCG.
FIRST_MAP_TIMEOUT = 90
LINEAR = "0x0"
# What vkms's planes scan out in Linux 7.2 (vkms_plane.c's vkms_formats[], LINEAR
# only); 6.12's had only XR24 AR24 XR48 AR48 RG16.
VKMS_FORMATS = {"AR24", "AB24", "BA24", "RA24", "XR24", "XB24", "RG24", "BG24", "XR48", "XB48", "AR48",
                "AB48", "RG16", "BG16", "NV12", "NV16", "NV24", "NV21", "NV61", "NV42", "YU12", "YU16",
                "YU24", "YV12", "YV16", "YV24", "P010", "P012", "P016", "R1  ", "R2  ", "R4  ", "R8  "}
# A format the client draws in, llvmpipe renders and no vkms plane scans out.
UNSCANNABLE = "AR30"


def fourcc_pairs(tranche: dict) -> set:
    return {tuple(f) for f in tranche.get("formats", [])}


def mapped_time(client) -> float | None:
    """CLOCK_MONOTONIC ms of the client's first commit with a buffer, else None."""
    for line in client.lines:
        m = re.match(r"^mapped ([\d.]+)$", line)
        if m:
            return float(m.group(1))
    return None


def mode_size(t) -> tuple[int, int]:
    """The CRTC's mode size from the atomic state."""
    state = kms_state(t.dri_index)
    m = re.search(r'"(\d+)x(\d+)"', state["crtcs"]["crtc-0"].get("mode", ""))
    return int(m.group(1)), int(m.group(2))


def render_tranche_last(event, main_device) -> bool:
    """Scanout tranches come before the render tranche, which targets the main device."""
    tranches = event.get("tranches", [])
    if not tranches:
        return False
    last = tranches[-1]
    return not last.get("flags", 0) & 1 and last.get("target_device") == main_device and \
        all(tr.get("flags", 0) & 1 for tr in tranches[:-1])


# ----------------------------------------------------------------- checks


def check_default_feedback(tap, t, card_dev):
    explain = tranche_json(t, "explain")
    render = explain.get("render_device") or {}
    main_device = render.get("dev")
    tap.ok(explain.get("linux_dmabuf") is True and isinstance(main_device, int),
           "explain: linux-dmabuf is offered, with a render device", f"explain: {explain}")
    output = (explain.get("outputs") or [{}])[0]
    tap.ok((output.get("kms_device") or {}).get("dev") == card_dev,
           f"explain: the output's KMS device is vkms's card ({card_dev})", f"output: {output}")

    info = subprocess.run(["wayland-info", "-i", "zwp_linux_dmabuf_v1"], env=t.client_env(), capture_output=True,
                          text=True, timeout=60)
    text = info.stdout
    m = re.search(r"main device: 0x([0-9A-Fa-f]+)", text)
    targets = [int(v, 16) for v in re.findall(r"target device: 0x([0-9A-Fa-f]+)", text)]
    flags = re.findall(r"flags: (.*)", text)
    tap.ok(info.returncode == 0 and m is not None and int(m.group(1), 16) == main_device
           and targets == [main_device] and flags == ["none"]
           and re.search(r"'XR24'; 0x0000000000000000 = LINEAR", text) is not None,
           "wayland-info: default feedback = the render device, one tranche without the scanout flag, "
           "with XR24 LINEAR", f"render device {main_device}; wayland-info exit {info.returncode}:\n{text[:1500]}"
           f"\n{info.stderr[-500:]}")
    return main_device


def check_v6_feedback(tap, t, card_dev, main_device):
    """A client bound at version 6: no main_device; the render device is named
    by a tranche flagged sampling (2), last; scanout tranches are flagged
    scanout (1) only; the client allocates on the sampling device and maps."""
    name = "scanout-v6"
    client = start_dmabuf_client(tap, t, name, ["--fullscreen", "--dmabuf-version", "6", "--frames", "0"],
                                 timeout=FIRST_MAP_TIMEOUT)
    if not client:
        return
    try:
        default = feedback_events(client, "default")
        first = default[0] if default else {}
        tranches = first.get("tranches", [])
        tap.ok(first.get("main_device") == 0 and first.get("sampling_device") == main_device
               and [(tr["target_device"], tr["flags"]) for tr in tranches] == [(main_device, 2)],
               "v6: the default feedback has no main_device and one sampling tranche of the render device",
               f"{first}")
        event = wait_for_feedback(client, lambda e: scanout_tranches(e, card_dev), timeout=30)
        flags = [(tr["target_device"], tr["flags"]) for tr in (event or {}).get("tranches", [])]
        tap.ok(event is not None and flags[-1] == (main_device, 2) and all(f == 1 for _, f in flags[:-1]),
               f"{name}: scanout tranches flagged scanout, then the render device flagged sampling",
               f"{flags}")
    finally:
        client.stop()


def check_fullscreen(tap, t, card_dev, main_device, size, stats_before):
    name = "scanout-fullscreen"
    colour = 0x3366CC
    client = start_dmabuf_client(tap, t, name, ["--fullscreen", "--x-byte", "0x5a", "--color", f"{colour:06x}",
                                                "--frames", "0"], timeout=FIRST_MAP_TIMEOUT)
    if not client:
        return
    try:
        default = feedback_events(client, "default")
        tap.ok(bool(default) and default[0]["main_device"] == main_device and not scanout_tranches(default[0]),
               "the client's default feedback: main device = render device, no scanout tranche",
               f"{default[:1]}")
        event = wait_for_feedback(client, lambda e: scanout_tranches(e, card_dev), timeout=30)
        tap.ok(event is not None, f"{name}: its surface feedback gains a scanout tranche for vkms's card ({card_dev})",
               "\n".join(line[:300] for line in client.lines if line.startswith("{"))[-3000:])
        if event:
            scan = scanout_tranches(event, card_dev)
            pairs = set().union(*(fourcc_pairs(tr) for tr in scan))
            tap.ok({("XR24", LINEAR), ("AR24", LINEAR)} <= pairs,
                   f"{name}: the scanout tranches offer XR24 and AR24 LINEAR",
                   f"scanout formats {sorted(pairs)}")
            tap.ok(all(f[1] == LINEAR for f in pairs) and not ({f[0] for f in pairs} - VKMS_FORMATS),
                   f"{name}: the scanout tranches offer only what vkms's planes scan out (LINEAR, "
                   "vkms_formats[] of Linux 7.2)", f"scanout formats {sorted(pairs)}")
            tap.ok(render_tranche_last(event, main_device),
                   f"{name}: scanout tranches come first, the render tranche (main device, no flag) last",
                   f"{[(tr['target_device'], tr['flags'], len(tr['formats'])) for tr in event['tranches']]}")
            # The surface becomes a candidate with the first frame that shows
            # it, which under TCG (llvmpipe's first import) can come seconds
            # after the first commit. An offer held for the hysteresis would
            # come after the client's frame callbacks of a whole second.
            first = mapped_time(client)
            early = [ms for ms in frame_callback_times(client) if ms < event["time_ms"]]
            tap.ok(first is not None and (event["time_ms"] - first < HYSTERESIS_MS or len(early) <= 1),
                   f"{name}: the first offer of scanout tranches comes at once, without waiting for the "
                   f"hysteresis ({HYSTERESIS_MS} ms)",
                   f"first commit at {first}, feedback at {event['time_ms']}, frame callbacks before it {early}")

        plane, fb, state = wait_for_client_fb(t, colour, size, X_BYTE, plane_name="plane-0")
        tap.diag(describe_planes(state))
        tap.ok(plane == "plane-0", f"{name}: the primary plane scans out the client's own buffer "
               f"(XR24 with the client's 0x{X_BYTE:02x} in the unused byte, its colour everywhere)",
               f"primary fb: {fb and {k: fb[k] for k in ('width', 'height', 'format', 'modifier')}}; "
               f"unused bytes {fb and unused_byte_values(fb)}; "
               f"other pixels {fb and pixels_other_than(fb, colour)}")
        if plane:
            # The client keeps redrawing: a framebuffer of the state read may be
            # gone when it is read back (ENOENT); read the state again then.
            for _ in range(5):
                try:
                    state = kms_state(t.dri_index)
                    composed = vkms_compose_crc(t.card, state, width=size[0], height=size[1])
                    solid = [argb_u16(colour) * size[0]] * size[1]
                    ref = vkms_compose_crc(t.card, state, width=size[0], height=size[1], replace={"plane-0": solid})
                    break
                except FileNotFoundError:
                    time.sleep(0.2)
            else:
                raise RuntimeError("the planes' framebuffers changed under every read of the KMS state")
            with Crc(t.dri_index) as crc:
                hit = crc.wait_for(ref, timeout=30)
            tap.ok(hit is not None and composed == ref,
                   f"{name}: the CRTC's CRC is that of a frame of the client's colour",
                   f"reference {ref:08x}, composed {composed:08x}, CRTC showed "
                   f"{sorted({f'{v:08x}' for _, v in crc.entries})[:6]}")

        surface, explain = wait_for_explain(t, name, lambda s: s.get("path") == "primary", timeout=15)
        out = (explain.get("outputs") or [{}])[0]
        primary = next((p for p in out.get("planes", []) if p.get("type") == "primary"), {})
        tap.ok(surface is not None and surface.get("plane") == primary.get("id") and primary.get("id") is not None
               and primary.get("surface") == surface.get("id") and (out.get("frame") or {}).get("path") == "primary",
               f"{name}: explain says path primary, on the primary plane; the output's frame is primary",
               f"surface {surface or explain_surface(explain, name)}; output {out}")
        fbk = (surface or {}).get("feedback") or {}
        tap.ok(any(tr.get("scanout") and tr.get("target_device") == card_dev for tr in fbk.get("tranches", [])),
               f"{name}: explain lists the scanout tranches sent to it", f"feedback {fbk}")
        stats = tranche_json(t, "stats")
        o, o0 = stats["outputs"][0], stats_before["outputs"][0]
        tap.ok(o["frames_primary"] > o0["frames_primary"] and o["primary_assignments"] > o0["primary_assignments"]
               and stats["feedback_sends"] > stats_before["feedback_sends"] and stats["imports"]["ok"] >= 3,
               f"{name}: stats count primary frames, primary assignments, feedback sends, imports",
               f"before {stats_before}, after {stats}")
        check_pacing(tap, t, client, name)
        check_zero_copy(tap, t, client, name, scanned_out=True)
    finally:
        client.stop()


def check_zero_copy(tap, t, client, name, scanned_out):
    """presentation-time v2: a buffer scanned out from a plane is presented
    with the zero_copy flag, a composited one without; explain counts the same."""
    mark = len(client.lines)
    start = time.monotonic()

    def flags_now():
        return [line.split()[1] for line in client.lines[mark:] if line.startswith("presented ")]
    # 2 s, longer (up to 8 s) until 5 frames were presented: a loaded host runs TCG slower.
    while time.monotonic() < start + 2.0 or (len(flags_now()) < 5 and time.monotonic() < start + 8.0):
        client._pump(0.05)
    flags = flags_now()
    surface = explain_surface(tranche_json(t, "explain"), name) or {}
    counted = surface.get("presentations") or {}
    if scanned_out:
        tap.ok(len(flags) >= 5 and flags.count("1") >= len(flags) - 1 and counted.get("zero_copy", 0) > 0,
               f"{name}: its frames are presented with the zero_copy flag, and explain counts them",
               f"flags seen {flags[-40:]}; explain {counted}")
    else:
        tap.ok(len(flags) >= 5 and "1" not in flags and counted.get("presented", 0) > 0
               and counted.get("zero_copy") == 0,
               f"{name}: its frames are presented without the zero_copy flag, and explain counts none",
               f"flags seen {flags[-40:]}; explain {counted}")


def check_pacing(tap, t, client, name, seconds=3.0):
    """A client redrawing at every frame callback gets one callback per output
    frame: not two (a second batch per refresh had it draw twice, once for
    nothing), and its commits do not keep the output from composing (idle frame
    events used to push the planned composition back: 26 output frames against
    431 client frames in 4 s)."""
    out0, frames0 = tranche_json(t, "stats")["outputs"][0], len(frame_callback_times(client))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        client._pump(0.05)
    out1, frames1 = tranche_json(t, "stats")["outputs"][0], len(frame_callback_times(client))
    shown, drawn = out1["frames"] - out0["frames"], frames1 - frames0
    tap.ok(shown >= 10 and drawn <= 1.25 * shown + 5,
           f"{name}: one frame callback per output frame, and the output keeps up with the client",
           f"in {seconds} s: {shown} output frames, {drawn} client frames; pacing {out1.get('pacing')}")


def expected_window_crc(t, state, size, client_plane, colour, x, y, w, h):
    """The CRC of what the CRTC should show: the planes as they are, but the
    window's rectangle in its colour on top of everything (whichever plane
    carries the composited frame, and in whatever zpos order)."""
    window = argb_u16(colour) * w
    replace = {}
    for name, plane in state["planes"].items():
        if not plane.get("fb") or name == client_plane:
            continue
        rows = to_argb_u16(read_fb(t.card, plane["fb"]))
        pos = re.fullmatch(r"(\d+)x(\d+)([+-]\d+)([+-]\d+)", plane.get("crtc-pos", ""))
        px, py = int(pos.group(3)), int(pos.group(4))
        for row_y in range(max(y, py), min(y + h, py + len(rows))):
            x0, x1 = max(x, px), min(x + w, px + len(rows[0]) // 8)
            if x0 < x1:
                row = bytearray(rows[row_y - py])
                row[(x0 - px) * 8:(x1 - px) * 8] = window[(x0 - x) * 8:(x1 - x) * 8]
                rows[row_y - py] = bytes(row)
        replace[name] = rows
    return vkms_compose_crc(t.card, state, width=size[0], height=size[1], replace=replace)


def check_overlay_damage(tap, t, client, name, size, seconds=1.5):
    """Only the overlaid window changes (it redraws every frame, nothing else
    moves): tranche composes nothing beneath it, yet commits every frame."""
    before, frames_before = tranche_json(t, "stats")["outputs"][0], len(frame_callback_times(client))
    time.sleep(seconds)
    after = tranche_json(t, "stats")["outputs"][0]
    frames = after["frames"] - before["frames"]
    composed = after["composed_pixels"] - before["composed_pixels"]
    drawn = len(frame_callback_times(client)) - frames_before
    # Composition did draw before: the output's first frames, whole.
    tap.ok(frames >= 5 and drawn >= 5 and composed == 0 and before["composed_pixels"] >= size[0] * size[1],
           f"{name}: frames where only the overlaid window changed compose nothing (damage beneath overlays)",
           f"{frames} output frames, {drawn} client frames, {composed} pixels composed in {seconds} s; "
           f"{before['composed_pixels']} composed before")


def check_windowed(tap, t, card_dev, size):
    name = "scanout-windowed"
    colour = 0x22AA44
    w, h = 256, 192
    client = start_dmabuf_client(tap, t, name, ["--size", f"{w}x{h}", "--x-byte", "0x5a", "--color", f"{colour:06x}",
                                                "--frames", "0"])
    if not client:
        return
    try:
        surface, explain = wait_for_explain(t, name, lambda s: s.get("path") == "overlay", timeout=20)
        tap.ok(surface is not None, f"{name}: explain says path overlay",
               f"surface {explain_surface(explain, name)}")
        out = (explain.get("outputs") or [{}])[0]
        primary_id = next((p.get("id") for p in out.get("planes", []) if p.get("type") == "primary"), None)
        plane, fb, state = wait_for_client_fb(t, colour, (w, h), X_BYTE)
        tap.diag(describe_planes(state))
        kms_plane = state["planes"].get(plane, {}) if plane else {}
        tap.ok(plane is not None and kms_plane.get("id") != primary_id,
               f"{name}: an overlay plane (not the primary, id {primary_id}) scans out the client's own {w}x{h} "
               f"buffer (unused byte 0x{X_BYTE:02x})",
               f"client's buffer on {plane} (KMS id {kms_plane.get('id')}); last fb seen "
               f"{fb and {k: fb[k] for k in ('width', 'height', 'format')}}")
        if plane:
            where = next((o for o in (surface or {}).get("outputs", []) if o.get("output")), {})
            tap.ok(surface is not None and kms_plane.get("id") == surface.get("plane")
                   and kms_plane.get("crtc-pos") == f"{w}x{h}+{where.get('x')}+{where.get('y')}",
                   f"{name}: the plane showing it is the one explain names, at the window's position",
                   f"KMS {plane} id {kms_plane.get('id')} at {kms_plane.get('crtc-pos')}; explain plane "
                   f"{(surface or {}).get('plane')} at {where}")
            # What the CRTC shows: the window must be visible, in its colour,
            # over the composited rest (vkms's CRC of the blended planes).
            for _ in range(5):
                try:
                    state = kms_state(t.dri_index)
                    expected = expected_window_crc(t, state, size, plane, colour, int(where.get("x", 0)),
                                                   int(where.get("y", 0)), w, h)
                    break
                except (FileNotFoundError, AttributeError):
                    time.sleep(0.2)
            else:
                expected = None
            with Crc(t.dri_index) as crc:
                hit = crc.wait_for(expected, timeout=20) if expected is not None else None
            if hit is None:
                # For the diagnosis: the CRC of the composited frame alone
                # (the client's plane fully transparent), i.e. the window hidden.
                clear = [b"\0" * 8 * w] * h
                with contextlib.suppress(Exception):
                    hidden = vkms_compose_crc(t.card, state, width=size[0], height=size[1],
                                              replace={plane: clear})
                    tap.diag(f"CRC with the window hidden under the composited frame: {hidden:08x}")
            tap.ok(hit is not None, f"{name}: the CRTC shows the window in its colour over the composited frame "
                   "(vkms's CRC of the blended planes)",
                   f"expected {expected if expected is None else f'{expected:08x}'}; CRTC showed "
                   f"{sorted({f'{v:08x}' for _, v in crc.entries})[:6]}; "
                   f"planes by zpos: {[(n, p.get('normalized-zpos'), p.get('format'), p.get('crtc-pos')) for n, p in state['planes'].items() if p.get('fb')]}")
            check_overlay_damage(tap, t, client, name, size)
        # The composited frame: a full-size framebuffer of tranche's on some
        # plane. XR24's unused byte is undefined: llvmpipe leaves 0 where it
        # draws a quad, 0xff where it clears; it is never the client's 0x5a.
        composited = None
        for _ in range(5):  # a framebuffer may be replaced between the state read and the read back
            try:
                state = kms_state(t.dri_index)
                for pname, p in state["planes"].items():
                    if p.get("fb") and pname != plane:
                        f = read_fb(t.card, p["fb"])
                        if (f["width"], f["height"]) == size:
                            composited = (pname, f)
                break
            except OSError:
                time.sleep(0.2)
        tap.ok(composited is not None and 0x5A not in unused_byte_values(composited[1]),
               f"{name}: another plane shows the composited frame (full size, not the client's buffer)",
               f"{composited and (composited[0], unused_byte_values(composited[1]))}")
        event = wait_for_feedback(client, lambda e: scanout_tranches(e, card_dev), timeout=10)
        tap.ok(event is not None, f"{name}: its surface feedback has a scanout tranche for vkms's card",
               "\n".join(line[:300] for line in client.lines if line.startswith("{"))[-2000:])
        stats = tranche_json(t, "stats")
        tap.ok(stats["outputs"][0]["overlay_assignments"] > 0, f"{name}: stats count overlay assignments",
               f"{stats}")
        # Frames tranche composes itself beneath the overlay: their feedback is ours to answer.
        check_zero_copy(tap, t, client, name, scanned_out=True)
    finally:
        client.stop()


def check_still_window(tap, t):
    """A window that draws once is not worth an overlay plane: composited
    (not_worth_it), after which it costs nothing per frame."""
    name = "scanout-still"
    client = start_dmabuf_client(tap, t, name, ["--size", "256x192", "--color", "3355aa"])
    if not client:
        return
    try:
        surface, _ = wait_for_explain(t, name, lambda s: "not_worth_it" in s.get("reasons", []), timeout=10)
        tap.ok(surface is not None and surface.get("path") == "composited",
               f"{name}: a still window is composited as not_worth_it, not put on an overlay plane",
               f"{surface}")
        before = tranche_json(t, "stats")["outputs"][0]
        seen = set()
        for _ in range(10):
            seen.add((explain_surface(tranche_json(t, "explain"), name) or {}).get("path"))
            time.sleep(0.2)
        after = tranche_json(t, "stats")["outputs"][0]
        tap.ok(seen == {"composited"} and after["composed_pixels"] == before["composed_pixels"],
               f"{name}: it stays composited, and nothing is composed while it is still",
               f"paths {seen}; {after['composed_pixels'] - before['composed_pixels']} pixels composed, "
               f"{after['frames'] - before['frames']} frames in 2 s")
    finally:
        client.stop()


def check_follow_format(tap, t, card_dev):
    """UNSCANNABLE is no vkms plane format: composited, feedback offers scanout
    formats; a client following it reallocates and lands on an overlay plane."""
    name = "scanout-follow"
    fmt = UNSCANNABLE
    client = start_dmabuf_client(tap, t, name, ["--size", "200x150", "--format", fmt, "--follow-feedback",
                                                "--frames", "0", "--color", "aa3311"])
    if not client:
        return
    try:
        surface, explain = wait_for_explain(t, name, lambda s: (s.get("buffer") or {}).get("format") == fmt,
                                            timeout=10)
        tap.ok(surface is not None and surface.get("path") == "composited"
               and "format_unsupported" in surface.get("reasons", []),
               f"{name}: an {fmt} buffer (no vkms plane has {fmt}) is composited for format_unsupported",
               f"surface {surface or explain_surface(explain, name)}")
        event = wait_for_feedback(client, lambda e: scanout_tranches(e, card_dev), timeout=15)
        pairs = set().union(*(fourcc_pairs(tr) for tr in scanout_tranches(event, card_dev))) if event else set()
        tap.ok(event is not None and not any(f[0] == fmt for f in pairs),
               f"{name}: its feedback still offers scanout tranches (reallocating would help), without {fmt}",
               f"event {event and [(tr['flags'], tr['formats'][:6]) for tr in event['tranches']]}")
        try:
            line = client.wait_for_line("^follow ", timeout=10)
        except (TimeoutError, RuntimeError) as e:
            line = str(e)
        surface, explain = wait_for_explain(t, name, lambda s: s.get("path") == "overlay", timeout=20)
        followed = line.split()[1] if line.startswith("follow ") else None
        tap.ok(surface is not None and followed in VKMS_FORMATS and (surface.get("buffer") or {}).get("format") == followed,
               f"{name}: following the feedback ({line.strip()[:60]}), the client goes on an overlay plane",
               f"surface {explain_surface(explain, name)}")
    finally:
        client.stop()


def check_shm(tap, t, card_dev):
    name = "scanout-shm"
    client = start_dmabuf_client(tap, t, name, ["--shm", "--fullscreen", "--frames", "0"])
    if not client:
        return
    try:
        surface, explain = wait_for_explain(t, name, lambda s: s.get("path") == "composited"
                                            and "not_dmabuf" in s.get("reasons", []), timeout=15)
        tap.ok(surface is not None, f"{name}: explain says composited, reason not_dmabuf",
               f"surface {explain_surface(explain, name)}")
        time.sleep(HYSTERESIS_MS / 1000 + 1.5)
        events = feedback_events(client, "surface")
        tap.ok(bool(events) and not any(scanout_tranches(e) for e in events),
               f"{name}: its surface feedback never has a scanout tranche (waited past the hysteresis)",
               "\n".join(str(e)[:300] for e in events))
        surface = explain_surface(tranche_json(t, "explain"), name) or {}
        tap.ok(not any(tr.get("scanout") for tr in (surface.get("feedback") or {}).get("tranches", [1])),
               f"{name}: explain lists no scanout tranche for it", f"surface {surface}")
        check_zero_copy(tap, t, client, name, scanned_out=False)
    finally:
        client.stop()


def check_transform(tap, t, card_dev, size):
    name = "scanout-transform"
    change_after = 4000
    client = start_dmabuf_client(tap, t, name, ["--fullscreen", "--x-byte", "0x5a", "--frames", "0", "--color",
                                                "884422", "--change-after", str(change_after),
                                                "--then-transform", "1"])
    if not client:
        return
    try:
        before = wait_for_feedback(client, lambda e: scanout_tranches(e, card_dev), timeout=change_after / 1000)
        surface = explain_surface(tranche_json(t, "explain"), name) or {}
        tap.ok(before is not None and surface.get("path") == "primary",
               f"{name}: before turning, on the primary plane with scanout tranches",
               f"explain {surface}; feedback {[e['time_ms'] for e in feedback_events(client, 'surface')]}")
        try:
            changed = float(client.wait_for_line("^changed ", timeout=change_after / 1000 + 15).split()[1])
        except (TimeoutError, RuntimeError) as e:
            tap.ok(False, f"{name}: the client turns its buffer", str(e))
            return
        n = len(feedback_events(client, "surface"))
        surface, explain = wait_for_explain(t, name, lambda s: s.get("path") == "composited"
                                            and "transformed" in s.get("reasons", []), timeout=15)
        tap.ok(surface is not None, f"{name}: a buffer with transform 90 is composited, reason transformed",
               f"surface {explain_surface(explain, name)}")
        withdrawn = wait_for_feedback(client, lambda e: e["time_ms"] > changed and not scanout_tranches(e),
                                      timeout=HYSTERESIS_MS / 1000 + 15)
        tap.ok(withdrawn is not None, f"{name}: its scanout tranches are withdrawn",
               f"surface feedback times {[e['time_ms'] for e in feedback_events(client, 'surface')]}, "
               f"changed at {changed}")
        if withdrawn:
            delay = withdrawn["time_ms"] - changed
            tap.ok(HYSTERESIS_MS - 50 <= delay <= HYSTERESIS_MS + 5000,
                   f"{name}: withdrawn after the hysteresis ({HYSTERESIS_MS} ms), not before",
                   f"withdrawn {delay:.0f} ms after the change")
            early = [e for e in feedback_events(client, "surface")[n - 1:]
                     if changed < e["time_ms"] < withdrawn["time_ms"]]
            tap.ok(not early, f"{name}: no other feedback between the change and the withdrawal",
                   f"{early}")
        for _ in range(5):  # the framebuffer may be replaced between the state read and the read back
            try:
                state = kms_state(t.dri_index)
                fb = read_fb(t.card, state["planes"]["plane-0"]["fb"])
                break
            except OSError:
                time.sleep(0.2)
        tap.ok(set(unused_byte_values(fb)) == {0xFF} and (fb["width"], fb["height"]) == size,
               f"{name}: the primary plane shows a composited frame (unused byte 0xff)",
               f"{describe_planes(state)}; unused bytes {unused_byte_values(fb)}")
    finally:
        client.stop()


def check_weston_feedback(tap, t, card_dev, card, render_path):
    """weston-simple-dmabuf-feedback prints the feedback it gets: the surface
    feedback names vkms's card as a scanout target. It draws XR24 fullscreen
    buffers for 3 s, then exits; explain is sampled meanwhile for diagnostics."""
    app_id = "org.freedesktop.weston.simple-dmabuf-feedback"
    client = t.client(["weston-simple-dmabuf-feedback"])
    seen = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and client.proc.poll() is None:
            client._pump(0.5)
            surface = explain_surface(tranche_json(t, "explain"), app_id)
            if surface:
                seen.append({k: surface.get(k) for k in ("path", "reasons", "buffer")}
                            | {"tranches": [(tr.get("kind"), tr.get("scanout"))
                                            for tr in (surface.get("feedback") or {}).get("tranches", [])]})
        text = client.output()
        ok = re.search(rf"tranche: target device {re.escape(card)}, scanout", text) is not None
        tap.ok(ok, f"weston-simple-dmabuf-feedback: a tranche with target device {card}, scanout",
               "\n".join(line for line in text.splitlines() if "format" not in line)[-1500:]
               + f"\nexit status {client.proc.poll()}; explain meanwhile: {seen[:1]} ... {seen[-1:]}")
        blocks = re.findall(r"feedback: main device (\S+)", text)
        tap.ok(bool(blocks) and all(b == render_path for b in blocks),
               f"weston-simple-dmabuf-feedback: the main device is explain's render device ({render_path})",
               f"{blocks}")
    finally:
        client.stop()


# Expected outcomes by the spec (linux-dmabuf-v1.xml, version 4):
# "error N" is zwp_linux_buffer_params_v1's error code N.
INCOMPLETE, PLANE_IDX, PLANE_SET, ALREADY_USED = "error 3", "error 1", "error 2", "error 0"
INVALID_FORMAT, INVALID_DIMENSIONS, OUT_OF_BOUNDS, INVALID_WL_BUFFER = "error 4", "error 5", "error 6", "error 7"
INVALID_DEV_T_SIZE = "error 8"
BAD_CASES = {
    "no-planes": {INCOMPLETE},
    "gap": {INCOMPLETE},
    "extra-plane": {INCOMPLETE, "failed"},
    "plane-idx": {PLANE_IDX},
    "plane-set": {PLANE_SET},
    "already-used": {ALREADY_USED},
    "zero-size": {INVALID_DIMENSIONS},
    "offset-overflow": {OUT_OF_BOUNDS},
    "stride-overflow": {OUT_OF_BOUNDS},
    "too-small": {OUT_OF_BOUNDS},
    "pipe-fd": {"failed"},
    "devnull-fd": {"failed", OUT_OF_BOUNDS},
    "bad-format": {INVALID_FORMAT},
    "bad-modifier": {INVALID_FORMAT},
}
# create_immed: argument errors as create; an import failure is either a
# `failed` event or INVALID_WL_BUFFER.
IMMED_IMPORT_FAILURE = {"failed", INVALID_WL_BUFFER}


def pixel_at(fb: dict, x: int, y: int) -> int:
    """0xRRGGBB of a 32-bit framebuffer's pixel."""
    b, g, r = fb["data"][y * fb["pitch"] + x * 4:y * fb["pitch"] + x * 4 + 3]
    return r << 16 | g << 8 | b


def check_renderer_loss(tap, t, size):
    """A GPU reset (`tranchectl renderer-lost` emits the renderer's lost
    signal, as wlroots' GLES2 renderer does on GL_GUILTY_CONTEXT_RESET): a new
    GLES2 renderer, both clients kept, the dmabuf window still scanned out from
    its own buffer, and the shm window, whose buffer its client destroyed once
    uploaded, asked to draw again and composited again."""
    name, shm_name = "renderer-loss-dmabuf", "renderer-loss-shm"
    colour, shm_colour = 0x3366CC, 0xC03020
    w, h = 200, 120
    dmabuf = start_dmabuf_client(tap, t, name, ["--size", f"{w}x{h}", "--x-byte", f"0x{X_BYTE:02x}",
                                                "--color", f"{colour:06x}", "--frames", "0"])
    if not dmabuf:
        return
    shm = t.client(["solid-client", "--app-id", shm_name, "--size", "160x100", "--color", f"{shm_colour:06x}",
                    "--redraw-on-configure"])
    try:
        shm.wait_for_line("^mapped", timeout=30)
        surface, _ = wait_for_explain(t, shm_name, lambda s: s.get("path") == "composited" and s.get("outputs"))
        where = (surface or {}).get("outputs", [{}])[0]
        before = tranche_json(t, "renderer")
        lines = len(shm.lines)
        t.ctl("renderer-lost")
        deadline = time.monotonic() + 30
        while (status := tranche_json(t, "renderer"))["recoveries"] < before["recoveries"] + 1 \
                and time.monotonic() < deadline:
            time.sleep(0.3)
        tap.ok(status["recoveries"] == before["recoveries"] + 1 and status["renderer"] == "gles2"
               and status["device"] == before["device"] and not status["recovering"],
               "renderer-loss: a new GLES2 renderer on the same device after the reset", f"{before} -> {status}")
        tap.ok(t.process.proc.poll() is None and dmabuf.proc.poll() is None and shm.proc.poll() is None,
               "renderer-loss: tranche and both clients live on")
        tap.ok(status["surfaces_lost"] > before["surfaces_lost"] and status["redraws_asked"] > before["redraws_asked"],
               "renderer-loss: the shm window's buffer was gone (GLES2 released it at upload): its client was "
               "asked to draw", f"{status}")
        try:
            shm.wait_for_line("^configure ", timeout=20, start=lines)
            redrew = True
        except (TimeoutError, RuntimeError):
            redrew = False
        tap.ok(redrew, "renderer-loss: the shm client drew again", shm.output()[-400:])
        plane, fb, state = wait_for_client_fb(t, colour, (w, h), X_BYTE)
        tap.ok(plane is not None, "renderer-loss: a plane still scans out the dmabuf window's own buffer",
               describe_planes(state))
        # The shm window is in the composited frame again, in its colour.
        cx, cy = int(where.get("x", 0)) + 80, int(where.get("y", 0)) + 50
        seen = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                state = kms_state(t.dri_index)
                for pname, p in state["planes"].items():
                    if p.get("fb") and pname != plane:
                        f = read_fb(t.card, p["fb"])
                        if (f["width"], f["height"]) == size:
                            seen = pixel_at(f, cx, cy)
                if seen == shm_colour:
                    break
            time.sleep(0.3)
        tap.ok(seen == shm_colour, "renderer-loss: the composited frame shows the shm window again",
               f"pixel at {cx},{cy}: {seen if seen is None else f'{seen:06x}'}")
    finally:
        shm.stop()
        dmabuf.stop()


def parse_bad_output(lines) -> dict:
    """{case: [outcome lines]} from dmabuf-client --bad output."""
    cases, current = {}, None
    for line in lines:
        if line.startswith("case "):
            current = line.split()[1]
            cases[current] = []
        elif current and re.match(r"^(created|failed|no-outcome|no-frame|mapped |frame 1 |error |disconnected)", line):
            cases[current].append(line)
    return cases


def outcome_of(lines) -> str:
    for line in lines:
        if line in ("created", "failed", "no-outcome"):
            return line
        m = re.match(r"^error zwp_linux_buffer_params_v1 (\d+)$", line)
        if m:
            return f"error {m.group(1)}"
        if line.startswith(("error ", "disconnected")):
            return line
    return "none"


def run_bad(tap, t, cases, immed, expect_for, version=4) -> bool:
    """One dmabuf-client runs the cases (each on its own connection), bound at
    `version`. After each, tranche must be alive and answer IPC, and the
    outcome match. Returns False when tranche died."""
    mode = ("create_immed" if immed else "create") + (f", v{version}" if version != 4 else "")
    client = t.client(["dmabuf-client", "--app-id", "scanout-bad", "--bad", ",".join(cases),
                       "--dmabuf-version", str(version), *(["--immed"] if immed else [])])
    alive = True
    try:
        for case in cases:
            try:
                client.wait_for_line(f"^bad-done {re.escape(case)}$", timeout=60)
            except (TimeoutError, RuntimeError) as e:
                tap.ok(False, f"bad import {case} ({mode}): the client finishes the case", str(e)[-1500:])
            if expect_for(case) is None:
                time.sleep(3)  # the client has gone: a crash may follow when tranche drops its buffer
            alive = t.process.proc.poll() is None and t.ctl("outputs", check=False, timeout=10).returncode == 0
            if not alive:
                try:
                    t.process.proc.wait(15)  # a crash takes a moment to end the process
                except subprocess.TimeoutExpired:
                    pass
            lines = parse_bad_output(client.lines).get(case, [])
            got = outcome_of(lines)
            expected = expect_for(case)
            tap.ok(alive, f"bad import {case} ({mode}): tranche is still alive and answers IPC"
                   + (" (3 s after the client left)" if expect_for(case) is None else ""),
                   f"tranche exit status {t.process.proc.returncode} (negative: killed by that signal, "
                   f"-11 SIGSEGV); client: {lines}; log tail:\n"
                   f"{t.log()[-2500:]}")
            if not alive:
                return False
            if expected is None:
                tap.diag(f"{case} ({mode}): outcome {lines}")
                tap.ok(got in ("created", "failed", INVALID_WL_BUFFER) and "no-frame" not in lines,
                       f"bad import {case} ({mode}): a clean outcome (created and shown, or failed)", f"{lines}")
            else:
                tap.ok(got in expected, f"bad import {case} ({mode}): {' or '.join(sorted(expected))} as the spec says",
                       f"got {got}; client lines {lines}")
    finally:
        client.stop()
    return alive


def check_bad_imports(tap, t):
    stats_before = tranche_json(t, "stats")
    cases = list(BAD_CASES)
    if not run_bad(tap, t, cases, False, lambda c: BAD_CASES[c]):
        return False

    def immed_expect(c):
        if "failed" in BAD_CASES[c]:
            return (BAD_CASES[c] - {"failed"}) | IMMED_IMPORT_FAILURE
        return BAD_CASES[c]
    if not run_bad(tap, t, cases, True, immed_expect):
        return False
    # Version 6 (tranche's own linux-dmabuf): the same errors, and the dev_t size.
    v6 = {**BAD_CASES, "dev-t-size": {INVALID_DEV_T_SIZE}}
    if not run_bad(tap, t, list(v6), False, lambda c: v6[c], version=6):
        return False
    stats = tranche_json(t, "stats")
    tap.ok(stats["imports"]["failed"] > stats_before["imports"]["failed"],
           "stats count failed imports", f"before {stats_before['imports']}, after {stats['imports']}")
    # bad-format and bad-modifier, by create and by create_immed at v4, by
    # create at v6 (protocols/linux_dmabuf.cpp raises invalid_format).
    tap.ok(stats["imports"]["invalid_format"] - stats_before["imports"]["invalid_format"] == 6,
           "stats count the 6 params refused with invalid_format",
           f"before {stats_before['imports']}, after {stats['imports']}")
    return True


def check_other_devices(tap, t):
    """dma-bufs from udmabuf and vgem, through create, then create_immed: Mesa
    mishandles them on vkms (segfault, measured); tranche must answer cleanly and
    survive. When one kills tranche, a fresh tranche runs the next (at most two
    restarts). Returns the tranche running at the end."""
    restarts = 0
    for immed in (False, True):
        for case in ("udmabuf", "vgem"):
            if t.process.proc.poll() is not None:
                if restarts == 2:
                    tap.skip(f"bad import {case} ({'create_immed' if immed else 'create'})",
                             "tranche was killed twice already")
                    continue
                restarts += 1
                fresh = Tranche(device="vkms", renderer="gles2", args=t.args)
                try:
                    fresh.start()
                except Exception as e:  # noqa: BLE001
                    tap.ok(False, "a fresh tranche starts", f"{type(e).__name__}: {e}")
                    return t
                t = fresh
                tap.diag(f"a fresh tranche for {case} ({t.ready_after:.0f} s to start)")
            run_bad(tap, t, [case], immed, lambda c: None)
    return t


def main():
    tap = Tap()
    with open(CONFIG, "w") as f:
        # Overlays are off by default (libliftoff); these tests are what proves them.
        f.write(f"[scanout]\noverlays = true\nfeedback-hysteresis-ms = {HYSTERESIS_MS}\n")
    started = time.monotonic()
    t = Tranche(device="vkms", renderer="gles2", args=["--config", CONFIG])
    try:
        t.start()
    except Exception as e:  # noqa: BLE001
        tap.ok(False, "tranche starts on vkms with GLES2", f"{type(e).__name__}: {e}")
        tap.done()
    try:
        tap.ok(True, f"tranche starts on vkms with GLES2 ({t.ready_after:.1f} s)")
        card_dev = os.stat(t.card).st_rdev
        size = mode_size(t)
        explain = tranche_json(t, "explain")
        config = explain.get("config") or {}
        tap.ok(config.get("feedback_hysteresis_ms") == HYSTERESIS_MS and config.get("overlays") is True
               and config.get("direct_scanout") is True,
               f"explain shows the configuration: hysteresis {HYSTERESIS_MS} ms, overlays and direct scanout on",
               f"{config}")
        main_device = check_default_feedback(tap, t, card_dev)
        render_path = (explain.get("render_device") or {}).get("path")
        stats_before = tranche_json(t, "stats")
        for check, args in ((check_fullscreen, (card_dev, main_device, size, stats_before)),
                            (check_windowed, (card_dev, size)),
                            (check_still_window, ()),
                            (check_follow_format, (card_dev,)),
                            (check_shm, (card_dev,)),
                            (check_v6_feedback, (card_dev, main_device)),
                            (check_transform, (card_dev, size)),
                            (check_weston_feedback, (card_dev, t.card, render_path)),
                            (check_renderer_loss, (size,))):
            try:
                check(tap, t, *args)
            except Exception as e:  # noqa: BLE001
                tap.ok(False, f"{check.__name__}", f"{type(e).__name__}: {e}")
            if t.process.proc.poll() is not None:
                tap.ok(False, f"tranche is alive after {check.__name__}",
                       f"exit status {t.process.proc.returncode}; log:\n{t.log()[-3000:]}")
                tap.done()
        if check_bad_imports(tap, t):
            t = check_other_devices(tap, t)
        if t.process.proc.poll() is None:
            status = t.stop()
            tap.ok(status == 0, "tranche exits 0 on SIGTERM", f"status {status}; log:\n{t.log()[-2000:]}")
    finally:
        t.stop()
        tap.diag(f"{time.monotonic() - started:.0f} s in the VM")
    tap.done()


if __name__ == "__main__":
    main()
