#!/usr/bin/env python3
"""VM test: the copy chain — an output whose KMS device is not the render
device (render/copy_chain.cpp, render/copy/path_selector.cpp). The VM has vkms
and virtio-gpu (2D); the first card in WLR_DRM_DEVICES renders (GLES2, llvmpipe)
and the render device's own output is disabled by config, so clients land on
the other card's output. One tranche per case, each stopped with SIGTERM (exit 0):

  render virtio -> display vkms, each path forced: zero-copy by
  TRANCHE_COPY_PATH=zero-copy; gpu-copy by TRANCHE_COPY_PATH=NAME=gpu-copy over
  a config saying sysram (the variable wins); sysram by `copy-path = "sysram"`
  in the output's [[output]] block alone:
    - a fullscreen solid client: the vkms CRTC's CRC is a solid frame's of its
      colour; explain: display device, mode and path, frames > 0, no failures,
      no other path used, bytes > 0 and frame.path "copied" for the copy paths
      only; stats has the output's copy counters;
    - partial damage: the fullscreen client gone (the empty desktop), then a
      200x150 window (centred: deterministic; no pointer device, no cursor),
      then the window gone. The settled CRCs under gpu-copy and sysram equal
      zero-copy's (no copy at all: the reference), and the window's frames
      copied less than a whole frame. (A window opened over a fullscreen one
      would stay hidden: tranche's fullscreen layer covers windows.)
    - sysram only: `tranchectl reload` with the output disabled (tranche lives,
      output and CRTC off), enabled again (the client's frame is back, still
      sysram), then copy-path = "gpu-copy" by reload (explain: mode and path
      gpu-copy; a new client's frame on the CRTC);
  render virtio -> display vkms, auto: zero-copy, no failures, no copy path used;
  render vkms -> display virtio (virtio-gpu 2D imports no foreign dma-buf), auto:
    the path becomes sysram; zero-copy failed (last_error, a retry due within
    10 s); gpu-copy failed too, or, for a software renderer (sysram before
    gpu-copy), was never tried; the client's colour is in virtio's primary
    plane; after the backoff a new client's colour shows (not frozen), zero-copy
    was retried and failed again, the path is still sysram; a fullscreen dmabuf
    client is composited (other_device) with no scanout tranche; gpu-copy
    forced by reload fails every frame and tranche lives; auto again by reload,
    a new client's frame shows.
  In the auto zero-copy case also: tranchectl explain's words for the copy
  path, and a fullscreen dmabuf client allocated on virtio-gpu goes on vkms's
  primary plane with a scanout tranche for vkms first in its feedback.
Runs inside the VM (~3 min when everything passes):
  tools/vm/vm run --builddir B -- python3 tests/vm/copy_paths.py
"""

import collections
import os
import re
import time

from vmlib import (Crc, Tap, Tranche, card_connectors, crc_settled, describe_planes, drm_card, explain_surface,
                   kms_state, read_fb, tranche_json, vkms_solid_crc, wait_for_explain, wait_for_plane_colour)

CONFIG = "/tmp/tranche-vm-copy-paths.toml"
PATHS = ("zero-copy", "gpu-copy", "sysram")
COPIED = ("gpu-copy", "sysram")
# Under TCG a frame rendered on one device and shown on another takes ~1 s.
PIXELS_TIMEOUT = 45
MAP_TIMEOUT = 60
BACKOFF_S = 10  # copy::PathSelector::kFirstBackoff

FULL = 0x3366CC      # the fullscreen client
WINDOW = 0xCC8833    # the windowed client over it
AFTER = 0x22AA55     # a client started after a reload or the retry
WINDOW_SIZE = (200, 150)


class Devices:
    def __init__(self):
        self.vkms, self.vkms_index = drm_card("vkms")
        self.virtio, self.virtio_index = drm_card("virtio")
        self.conn = {self.vkms: card_connectors(self.vkms)[0], self.virtio: card_connectors(self.virtio)[0]}


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"'


def write_config(render_output: str, display_output: str, display_keys: dict | None = None):
    """The render device's output off; the display output with display_keys."""
    text = f'[[output]]\nname = "{render_output}"\nenabled = false\n\n[[output]]\nname = "{display_output}"\n'
    for key, value in (display_keys or {}).items():
        text += f"{key} = {toml_value(value)}\n"
    with open(CONFIG, "w") as f:
        f.write(text)
    return text


def start(tap, devs, label, render, display, env=None, display_keys=None) -> Tranche | None:
    config = write_config(devs.conn[render], devs.conn[display], display_keys)
    full_env = {"WLR_DRM_DEVICES": f"{render}:{display}"}
    full_env.update(env or {})
    t = Tranche(device="vkms", card=display, renderer="gles2", env=full_env, args=["--config", CONFIG])
    try:
        t.start()
    except Exception as e:  # noqa: BLE001
        tap.ok(False, f"{label}: tranche starts", f"{type(e).__name__}: {e}\nconfig:\n{config}")
        return None
    tap.ok(True, f"{label}: tranche starts ({t.ready_after:.1f} s)")
    return t


def stop(tap, t, label):
    alive = t.process.proc.poll() is None
    status = t.stop()
    tap.ok(alive and status == 0, f"{label}: tranche exits 0 on SIGTERM",
           f"{'' if alive else 'it had died: '}status {status}; log:\n{log_tail(t)}")


def log_tail(t, n=3000) -> str:
    return t.log()[-n:]


def copy_lines(t) -> str:
    """tranche's log lines about the copy chain and errors."""
    return "\n".join(line for line in t.log().splitlines()
                     if "[tranche]" in line or "[ERROR]" in line)[-3000:]


def explain_output(t, name) -> dict:
    explain = tranche_json(t, "explain")
    return next((o for o in explain.get("outputs", []) if o.get("name") == name), {})


def wait_copy(t, name, predicate, timeout=30):
    """Poll explain until predicate(output) holds; returns the last output entry."""
    deadline = time.monotonic() + timeout
    while True:
        out = explain_output(t, name)
        if out and predicate(out):
            return out
        if time.monotonic() > deadline:
            return out
        time.sleep(0.5)


def output_size(t, name) -> tuple[int, int]:
    out = next((o for o in t.outputs() if o.get("name") == name), {})
    return out.get("mode_width", 0), out.get("mode_height", 0)


def paths_of(out) -> dict:
    return ((out or {}).get("copy") or {}).get("paths") or {}


def brief(out) -> str:
    copy = (out or {}).get("copy")
    return f"copy: {copy}\nframe: {(out or {}).get('frame')}"


def plane_colours(card, dri_index, plane="plane-0") -> str:
    """For a diagnosis: the commonest colours in a plane's framebuffer, when it
    can be read (dumb buffers can; on vkms, buffers imported from virtio-gpu
    cannot)."""
    fb_id = kms_state(dri_index)["planes"].get(plane, {}).get("fb")
    try:
        fb = read_fb(card, fb_id)
    except (OSError, TypeError) as e:
        return f"primary plane's framebuffer {fb_id} not readable: {e}"
    counts = collections.Counter()
    for y in range(0, fb["height"], 8):
        row = fb["data"][y * fb["pitch"]:y * fb["pitch"] + fb["width"] * 4]
        counts.update(int.from_bytes(row[x:x + 3], "little") for x in range(0, len(row), 32))
    return "primary plane's commonest colours (every 8th pixel and row): " + \
        ", ".join(f"#{c:06x} x{n}" for c, n in counts.most_common(4))


def client(t, colour, *extra):
    c = t.client(["solid-client", *extra, "--color", f"{colour:06x}"])
    c.wait_for_line("^mapped", timeout=MAP_TIMEOUT)
    return c


def partial_damage(tap, t, devs, label, name, path, whole, settled):
    """The window opens and closes again, a few times. A target buffer that
    missed a frame's damage gets it on its next turn (the first frames after the
    whole-frame change may copy everything); once every target has been through
    the window's changes, a frame copies only the window's box."""
    lasts = []
    for turn in range(6):  # more than the target swapchain holds
        win = client(t, WINDOW, "--size", f"{WINDOW_SIZE[0]}x{WINDOW_SIZE[1]}")
        for want, other in ((settled["window"], settled["desktop"]), (settled["desktop"], settled["window"])):
            crc = crc_settled(devs.vkms_index, hold=2, timeout=PIXELS_TIMEOUT, other_than=(other,))
            lasts.append(paths_of(explain_output(t, name)).get(path, {}).get("last_frame_bytes"))
            if crc != want:
                win.stop()
                tap.ok(False, f"{label}: opening and closing the window again shows the same frames",
                       f"turn {turn}: 0x{crc or 0:08x}, want 0x{want or 0:08x}; last frames' bytes {lasts}")
                return
            win.stop()
        if any(0 < (b or 0) < whole for b in lasts[-2:]):
            break
    partial = [b for b in lasts if 0 < (b or 0) < whole]
    tap.ok(bool(partial), f"{label}: once its targets have caught up, a frame copies only the window's box "
           f"({partial[0] if partial else None} of {whole} bytes)", f"last frame bytes per change: {lasts}")


# ----------------------------------------------------------------- render virtio -> display vkms, forced


def forced_case(tap, devs, path, how, env, display_keys, reference):
    """Case 1 (a fullscreen client's solid frame, explain, stats) and case 2
    (partial damage) for one forced path; for sysram also case 6 (reload).
    reference: zero-copy's settled CRCs {"desktop", "window"}, to compare with
    (None for zero-copy itself). Returns this path's."""
    label = f"virtio->vkms {path} ({how})"
    render, display = devs.virtio, devs.vkms
    name = devs.conn[display]
    t = start(tap, devs, label, render, display, env, display_keys)
    if not t:
        return None
    settled = {}
    clients = []
    try:
        w, h = output_size(t, name)
        tap.ok(w > 0 and h > 0, f"{label}: {name} on vkms is enabled with a mode", f"outputs: {t.outputs()}")
        solid = vkms_solid_crc(w, h, FULL)
        full = client(t, FULL, "--fullscreen")
        clients.append(full)
        with Crc(devs.vkms_index) as crc:
            hit = crc.wait_for(solid, timeout=PIXELS_TIMEOUT)
            tap.ok(hit is not None, f"{label}: the vkms CRTC's CRC is that of a solid #{FULL:06x} frame",
                   f"want 0x{solid:08x}, last entries {[hex(v) for _, v in crc.entries[-4:]]}\n"
                   f"{describe_planes(kms_state(devs.vkms_index))}\n{plane_colours(devs.vkms, devs.vkms_index)}\n"
                   f"{brief(explain_output(t, name))}\n{copy_lines(t)}")

        out = wait_copy(t, name, lambda o: (o.get("copy") or {}).get("path") == path and
                        paths_of(o).get(path, {}).get("frames", 0) > 0)
        copy, paths = out.get("copy") or {}, paths_of(out)
        mine = paths.get(path, {})
        tap.ok(copy.get("display_device") == display and copy.get("mode") == path and copy.get("path") == path
               and mine.get("frames", 0) > 0 and mine.get("failures") == 0,
               f"{label}: explain: display device {display}, mode and path {path}, frames > 0, no failures",
               brief(out))
        others = {p: paths.get(p, {}).get("frames") for p in PATHS if p != path}
        tap.ok(set(paths) == set(PATHS) and all(v == 0 for v in others.values()),
               f"{label}: explain: no other path showed a frame", brief(out))
        frame_path = (out.get("frame") or {}).get("path")
        if path in COPIED:
            tap.ok(mine.get("bytes", 0) > 0 and mine.get("last_frame_bytes", -1) >= 0 and frame_path == "copied",
                   f"{label}: explain: bytes copied > 0, frame.path \"copied\"", brief(out))
        else:
            tap.ok(mine.get("bytes") == 0 and frame_path not in (None, "copied"),
                   f"{label}: explain: nothing copied, frame.path is not \"copied\" ({frame_path})", brief(out))
        stats = tranche_json(t, "stats")
        stat_out = next((o for o in stats.get("outputs", []) if o.get("name") == name), None) \
            if isinstance(stats.get("outputs"), list) else (stats.get("outputs") or {}).get(name)
        stat_copy = (stat_out or {}).get("copy") or {}
        tap.ok(set(stat_copy) == set(PATHS) and stat_copy.get(path, {}).get("frames", 0) > 0,
               f"{label}: stats: the output's copy counters show {path} frames", f"stats output: {stat_out}")

        if path == "sysram":
            reload_off_on(tap, devs, t, label, display_keys, solid)

        # Partial damage. A fullscreen window covers every other window
        # (tranche's fullscreen layer), so the scene is the empty desktop (the
        # background rect) and a centred window on it: the window's arrival and
        # departure damage only its box. No pointer device: no cursor.
        full.stop()
        clients.remove(full)
        settled["desktop"] = crc_settled(devs.vkms_index, hold=3, timeout=PIXELS_TIMEOUT, other_than=(solid,))
        tap.ok(settled["desktop"] is not None, f"{label}: the fullscreen client gone, the CRC settles (empty desktop)",
               f"{describe_planes(kms_state(devs.vkms_index))}\n{brief(explain_output(t, name))}")
        before = paths_of(explain_output(t, name)).get(path, {})
        win = client(t, WINDOW, "--size", f"{WINDOW_SIZE[0]}x{WINDOW_SIZE[1]}")
        clients.append(win)
        settled["window"] = crc_settled(devs.vkms_index, hold=4, timeout=PIXELS_TIMEOUT,
                                        other_than=(solid, settled["desktop"]))
        after = paths_of(explain_output(t, name)).get(path, {})
        tap.diag(f"{path}: desktop CRC 0x{settled['desktop'] or 0:08x}, "
                 f"with the window 0x{settled['window'] or 0:08x}; "
                 f"the window's frames: {after.get('frames', 0) - before.get('frames', 0)}, "
                 f"{after.get('bytes', 0) - before.get('bytes', 0)} bytes copied, the last "
                 f"{after.get('last_frame_bytes')} (a whole frame: {w * h * 4})")
        tap.ok(settled["window"] is not None, f"{label}: a {WINDOW_SIZE[0]}x{WINDOW_SIZE[1]} window opens, "
               "the CRC settles on another frame",
               f"{brief(explain_output(t, name))}\n{plane_colours(devs.vkms, devs.vkms_index)}")
        win.stop()
        clients.remove(win)
        back = crc_settled(devs.vkms_index, hold=3, timeout=PIXELS_TIMEOUT, other_than=(settled["window"],))
        tap.ok(back is not None and back == settled["desktop"],
               f"{label}: the window closed, the CRC is the empty desktop's again",
               f"now 0x{back or 0:08x}, desktop 0x{settled['desktop'] or 0:08x} (0: none)")
        if path in COPIED:
            partial_damage(tap, t, devs, label, name, path, w * h * 4, settled)
        if path != "zero-copy":
            ref = reference or {}
            for what, text in (("desktop", "the empty desktop's CRC (a full-frame copy)"),
                               ("window", "the CRC with the window (a partial copy)")):
                tap.ok(ref.get(what) is not None and settled[what] == ref[what],
                       f"{label}: {text} equals zero-copy's for the same scene",
                       f"{path} 0x{settled[what] or 0:08x}, zero-copy 0x{ref.get(what) or 0:08x} (0: none)\n"
                       f"{brief(explain_output(t, name))}")

        if path == "sysram":
            reload_copy_path(tap, devs, t, label, display_keys)
    except Exception as e:  # noqa: BLE001
        tap.ok(False, f"{label}: runs", f"{type(e).__name__}: {e}\n{copy_lines(t)}")
    finally:
        for c in clients:
            c.stop()
        stop(tap, t, label)
    return settled


def reload_off_on(tap, devs, t, label, display_keys, solid):
    """Case 6: the display output disabled by `tranchectl reload`, then enabled
    again: the fullscreen client's frame comes back."""
    name = devs.conn[devs.vkms]
    write_config(devs.conn[devs.virtio], name, {**display_keys, "enabled": False})
    result = t.ctl("reload", check=False, timeout=60)
    alive = t.process.proc.poll() is None
    outputs = t.outputs() if alive else []
    mine = next((o for o in outputs if o.get("name") == name), {})
    tap.ok(result.returncode == 0 and alive and mine.get("enabled") is False,
           f"{label}: reload with {name} disabled: tranche lives, the output is disabled",
           f"reload exit {result.returncode} {result.stderr}; alive {alive}; outputs {outputs}\n{log_tail(t)}")
    if not alive:
        return
    crtc = next(iter(kms_state(devs.vkms_index)["crtcs"].values()), {})
    tap.ok(crtc.get("active") == "0", f"{label}: vkms's CRTC is inactive", f"crtc: {crtc}")

    write_config(devs.conn[devs.virtio], name, display_keys)
    result = t.ctl("reload", check=False, timeout=60)
    hit = None
    if result.returncode == 0 and t.process.proc.poll() is None:
        deadline = time.monotonic() + PIXELS_TIMEOUT
        while hit is None and time.monotonic() < deadline:
            try:
                with Crc(devs.vkms_index) as crc:  # needs an active CRTC
                    hit = crc.wait_for(solid, timeout=max(deadline - time.monotonic(), 1))
            except OSError:
                time.sleep(0.5)
    out = explain_output(t, name) if t.process.proc.poll() is None else {}
    tap.ok(hit is not None, f"{label}: enabled again by reload, the fullscreen client's frame is back (CRC)",
           f"reload exit {result.returncode} {result.stderr}\n{brief(out)}\n{copy_lines(t)}")
    copy = out.get("copy") or {}
    tap.ok(copy.get("mode") == "sysram" and copy.get("path") == "sysram"
           and (out.get("frame") or {}).get("path") == "copied",
           f"{label}: after the reloads explain still shows sysram, frame.path \"copied\"", brief(out))


def reload_copy_path(tap, devs, t, label, display_keys):
    """copy-path applies on reload: sysram -> gpu-copy."""
    name = devs.conn[devs.vkms]
    write_config(devs.conn[devs.virtio], name, {**display_keys, "copy-path": "gpu-copy"})
    result = t.ctl("reload", check=False, timeout=60)
    after = client(t, AFTER, "--fullscreen")
    try:
        w, h = output_size(t, name)
        with Crc(devs.vkms_index) as crc:
            hit = crc.wait_for(vkms_solid_crc(w, h, AFTER), timeout=PIXELS_TIMEOUT)
        out = wait_copy(t, name, lambda o: (o.get("copy") or {}).get("path") == "gpu-copy")
        copy = out.get("copy") or {}
        tap.ok(result.returncode == 0 and copy.get("mode") == "gpu-copy" and copy.get("path") == "gpu-copy"
               and paths_of(out).get("gpu-copy", {}).get("frames", 0) > 0,
               f"{label}: copy-path = \"gpu-copy\" by reload: explain mode and path gpu-copy",
               f"reload exit {result.returncode} {result.stderr}\n{brief(out)}\n{copy_lines(t)}")
        tap.ok(hit is not None, f"{label}: then a new fullscreen client's #{AFTER:06x} frame is on the CRTC (CRC)",
               f"{brief(out)}")
    finally:
        after.stop()


# ----------------------------------------------------------------- auto


def auto_zero_copy(tap, devs):
    """Case 3: virtio renders, vkms displays, auto: zero-copy."""
    label = "virtio->vkms auto"
    name = devs.conn[devs.vkms]
    t = start(tap, devs, label, devs.virtio, devs.vkms)
    if not t:
        return
    c = None
    try:
        w, h = output_size(t, name)
        c = client(t, FULL, "--fullscreen")
        with Crc(devs.vkms_index) as crc:
            hit = crc.wait_for(vkms_solid_crc(w, h, FULL), timeout=PIXELS_TIMEOUT)
        tap.ok(hit is not None, f"{label}: the vkms CRTC's CRC is that of a solid #{FULL:06x} frame",
               copy_lines(t))
        out = wait_copy(t, name, lambda o: (o.get("copy") or {}).get("path") == "zero-copy")
        copy, paths = out.get("copy") or {}, paths_of(out)
        tap.ok(copy.get("mode") == "auto" and copy.get("path") == "zero-copy"
               and paths.get("zero-copy", {}).get("frames", 0) > 0
               and all(paths.get(p, {}).get("failures", -1) == 0 for p in PATHS)
               and all(paths.get(p, {}).get("frames", -1) == 0 for p in COPIED),
               f"{label}: explain: mode auto, path zero-copy, no failures, no copy path used", brief(out))
        human = t.ctl("explain").stdout
        tap.ok(f"copied to {devs.vkms} by zero-copy (auto)" in human,
               f"{label}: tranchectl explain says how frames reach the display device", human)
        c.stop()
        c = None
        feedback_case(tap, t, label, out, devs.virtio, scanout=True)
    except Exception as e:  # noqa: BLE001
        tap.ok(False, f"{label}: runs", f"{type(e).__name__}: {e}\n{copy_lines(t)}")
    finally:
        if c:
            c.stop()
        stop(tap, t, label)


def feedback_case(tap, t, label, out, alloc_card, scanout: bool):
    """A fullscreen dmabuf client (allocating on alloc_card, the render device's
    card): with zero-copy it goes on the display's primary plane and its
    feedback has a scanout tranche for the display device first; with a copy
    path it is composited (other_device) and gets the render tranche alone. The
    main device is the render device either way."""
    c = t.client(["dmabuf-client", "--fullscreen", "--app-id", "copy-feedback", "--frames", "0",
                  "--device", alloc_card])
    try:
        want = "primary" if scanout else "composited"

        def settled(surf):
            tranches = (surf.get("feedback") or {}).get("tranches") or []
            return surf.get("path") == want and tranches and \
                any(tr.get("scanout") for tr in tranches) == scanout

        surface, explain = wait_for_explain(t, "copy-feedback", settled, timeout=PIXELS_TIMEOUT)
        surface = surface or explain_surface(explain, "copy-feedback") or {}
        feedback = surface.get("feedback") or {}
        tranches = feedback.get("tranches") or []
        render_dev = (explain.get("render_device") or {}).get("dev")
        display_dev = (out.get("kms_device") or {}).get("dev")
        diag = f"surface: {surface}\nrender device {render_dev}, display device {display_dev}"
        tap.ok(surface.get("path") == want and feedback.get("main_device") == render_dev,
               f"{label}: a fullscreen dmabuf client is {want}; its feedback's main device is the render device", diag)
        if scanout:
            tap.ok(bool(tranches) and tranches[0].get("scanout") and tranches[0].get("target_device") == display_dev
                   and tranches[-1].get("target_device") == render_dev,
                   f"{label}: zero-copy: its feedback offers a scanout tranche for the display device first", diag)
        else:
            tap.ok("other_device" in (surface.get("reasons") or []) and tranches
                   and not any(tr.get("scanout") for tr in tranches),
                   f"{label}: copied: reason other_device, no scanout tranche in its feedback", diag)
    finally:
        c.stop()


def primary_plane(state) -> str:
    for name, plane in state["planes"].items():
        if plane.get("normalized-zpos") == "0" and plane.get("crtc", "(null)") != "(null)":
            return name
    return "plane-0"


def auto_fallback(tap, devs):
    """Case 4: vkms renders, virtio displays (no foreign dma-buf import): sysram,
    and the faster paths retried after the backoff without freezing the output."""
    label = "vkms->virtio auto"
    name = devs.conn[devs.virtio]
    t = start(tap, devs, label, devs.vkms, devs.virtio)
    if not t:
        return
    clients = []
    try:
        software = re.search(r"llvmpipe|softpipe|swrast", t.log()) is not None
        clients.append(client(t, FULL, "--fullscreen"))
        ok, state, fb, count, box = wait_for_plane_colour(t, FULL, plane=primary_plane(kms_state(t.dri_index)),
                                                          timeout=PIXELS_TIMEOUT, allowed=0)
        tap.ok(ok, f"{label}: the client's #{FULL:06x} is in virtio's primary-plane framebuffer",
               f"{count} other pixels within {box}\n{plane_colours(t.card, t.dri_index, primary_plane(state))}\n"
               f"{describe_planes(state)}\n{copy_lines(t)}")
        out = wait_copy(t, name, lambda o: (o.get("copy") or {}).get("path") == "sysram")
        copy, paths = out.get("copy") or {}, paths_of(out)
        zero, gpu, sysram = (paths.get(p, {}) for p in PATHS)
        tap.ok(copy.get("mode") == "auto" and copy.get("path") == "sysram" and sysram.get("frames", 0) > 0
               and sysram.get("bytes", 0) > 0 and (out.get("frame") or {}).get("path") == "copied",
               f"{label}: explain: mode auto, path sysram, frames and bytes > 0, frame.path \"copied\"", brief(out))
        tap.ok(zero.get("failures", 0) >= 1 and zero.get("last_error") and zero.get("frames") == 0
               and 0 <= zero.get("retry_in_ms", -1) <= BACKOFF_S * 1000,
               f"{label}: explain: zero-copy failed (failures >= 1, last_error, retry_in_ms <= {BACKOFF_S} s), "
               "showed no frame", brief(out))
        if software:
            # A software renderer's order: zero-copy, sysram, gpu-copy.
            tap.ok(gpu.get("frames") == 0 and gpu.get("failures") == 0,
                   f"{label}: explain: gpu-copy, after sysram for a software renderer, was never tried", brief(out))
        else:
            tap.ok(gpu.get("failures", 0) >= 1 and gpu.get("last_error") and gpu.get("frames") == 0,
                   f"{label}: explain: gpu-copy failed (failures >= 1, last_error), showed no frame", brief(out))
        tap.diag(f"zero-copy: {zero.get('last_error')}; gpu-copy: {gpu.get('last_error')}; "
                 f"software renderer: {software}")

        # The retry: zero-copy is tried again once its backoff is over, at the
        # next frame; it fails again and the frame goes on by sysram.
        before = zero.get("failures", 0)
        time.sleep(max(zero.get("retry_in_ms", BACKOFF_S * 1000) / 1000, 0) + 2)
        clients.append(client(t, AFTER, "--fullscreen"))
        ok, state, fb, count, box = wait_for_plane_colour(t, AFTER, plane=primary_plane(kms_state(t.dri_index)),
                                                          timeout=PIXELS_TIMEOUT, allowed=0)
        tap.ok(ok, f"{label}: after the retry time a new client's #{AFTER:06x} is in virtio's primary plane "
               "(not frozen)", f"{count} other pixels within {box}\n"
               f"{plane_colours(t.card, t.dri_index, primary_plane(state))}\n{describe_planes(state)}\n{copy_lines(t)}")
        out = wait_copy(t, name, lambda o: paths_of(o).get("zero-copy", {}).get("failures", 0) > before)
        copy, zero = out.get("copy") or {}, paths_of(out).get("zero-copy", {})
        tap.ok(zero.get("failures", 0) > before and zero.get("frames") == 0 and copy.get("path") == "sysram",
               f"{label}: zero-copy was retried and failed again (failures {before} -> {zero.get('failures')}), "
               "the path is still sysram", brief(out))
        feedback_case(tap, t, label, out, devs.vkms, scanout=False)

        # A forced path that cannot work (virtio-gpu cannot import the render
        # device's LINEAR buffers) fails every frame without taking tranche
        # down; back to auto by reload, the output shows frames again.
        write_config(devs.conn[devs.vkms], name, {"copy-path": "gpu-copy"})
        t.ctl("reload", timeout=120)
        out = wait_copy(t, name, lambda o: paths_of(o).get("gpu-copy", {}).get("failures", 0) > 0)
        gpu = paths_of(out).get("gpu-copy", {})
        tap.ok((out.get("copy") or {}).get("mode") == "gpu-copy" and gpu.get("failures", 0) > 0
               and gpu.get("frames") == 0 and gpu.get("last_error") and t.process.proc.poll() is None,
               f"{label}: forced gpu-copy by reload fails ({gpu.get('last_error')}); tranche lives", brief(out))
        write_config(devs.conn[devs.vkms], name, {"copy-path": "auto"})
        t.ctl("reload", timeout=120)
        clients.append(client(t, FULL, "--fullscreen"))
        ok, state, fb, count, box = wait_for_plane_colour(t, FULL, plane=primary_plane(kms_state(t.dri_index)),
                                                          timeout=PIXELS_TIMEOUT, allowed=0)
        tap.ok(ok, f"{label}: auto again by reload: a new client's #{FULL:06x} is in virtio's primary plane",
               f"{count} other pixels within {box}\n{copy_lines(t)}")
    except Exception as e:  # noqa: BLE001
        tap.ok(False, f"{label}: runs", f"{type(e).__name__}: {e}\n{copy_lines(t)}")
    finally:
        for c in clients:
            c.stop()
        stop(tap, t, label)


def main():
    os.environ.pop("TRANCHE_COPY_PATH", None)
    tap = Tap()
    started = time.monotonic()
    devs = Devices()
    tap.diag(f"vkms {devs.vkms} ({devs.conn[devs.vkms]}), virtio {devs.virtio} ({devs.conn[devs.virtio]})")
    display = devs.conn[devs.vkms]
    reference = forced_case(tap, devs, "zero-copy", "TRANCHE_COPY_PATH=zero-copy",
                            {"TRANCHE_COPY_PATH": "zero-copy"}, {}, None)
    forced_case(tap, devs, "gpu-copy", f"TRANCHE_COPY_PATH={display}=gpu-copy over config sysram",
                {"TRANCHE_COPY_PATH": f"{display}=gpu-copy"}, {"copy-path": "sysram"}, reference)
    forced_case(tap, devs, "sysram", 'config copy-path = "sysram"', {}, {"copy-path": "sysram"}, reference)
    auto_zero_copy(tap, devs)
    auto_fallback(tap, devs)
    tap.diag(f"{time.monotonic() - started:.0f} s in the VM")
    tap.done()


if __name__ == "__main__":
    main()
