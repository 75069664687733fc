#!/usr/bin/env python3
"""VM test: vkms devices built through configfs (Linux 7.2) — one KMS device
driving two outputs, and connectors unplugged and plugged back while clients
run. One boot; systemd-udevd runs, since wlroots hears of hotplugs from udevd's
events. The device ("tranche-two"): two CRTCs, each with its own primary and
cursor plane, two overlay planes either CRTC may use, and a connector (with
its encoder) per CRTC. The windows open on the left output (at 0,0, where the
pointer is); fullscreen clients go where they ask (xdg_toplevel.set_fullscreen
with an output).

  two outputs on one device (GLES2, overlays on, dmabuf-client buffers):
    - both outputs are enabled side by side, each on a CRTC of its own and lit;
      explain lists the same overlay planes for both and a primary of its own;
    - a fullscreen client on the right output: the right CRTC's primary plane
      scans out its own buffer (0x5a in XR24's unused byte) while the left
      output composites; its feedback has a scanout tranche for the device;
    - two windows on the left output: each on a plane of its own of the left
      CRTC (an overlay or its cursor plane, as libliftoff chooses), while the
      right primary still scans out the fullscreen client;
      neither output's explain names a plane the other uses;
  hot-unplug (the connector's configfs status, which sends a hotplug uevent):
    - the right connector unplugged: its output goes away; tranche and every
      client live; the fullscreen client moves to the left output and the left
      primary scans out its buffer;
    - plugged back: the output returns, enabled, its CRTC lit; a new fullscreen
      client on it is scanned out on its primary;
    - unplugged and plugged back three times in a row without waiting: both
      outputs end up there, tranche lives;
    - the left connector (the windows' output) unplugged: the windows move to
      the right output; plugged back: two outputs again;
  the copy chain (virtio-gpu renders, the vkms device displays, copy-path
  sysram): a fullscreen shm client's colour is the right CRTC's CRC; the right
  connector unplugged and plugged back: the copy chain starts again (explain:
  sysram frames counted after the replug) and a new client's colour is the CRC.
Runs inside the VM (~4 min):
  tools/vm/vm run --builddir B -- python3 tests/vm/vkms_configfs.py
"""

import json
import os
import re
import time

from vmlib import (Crc, Tap, Tranche, Udevd, VkmsDevice, card_connectors, describe_planes, drm_card, explain_surface,
                   kms_state, pixels_other_than, read_fb, start_dmabuf_client, tranche_json, unused_byte_values,
                   vkms_solid_crc, wait_for_client_fb)

CONFIG = "/tmp/tranche-vm-configfs.toml"
X_BYTE = 0x5A
FIRST_MAP_TIMEOUT = 90  # the first client to load Mesa waits for it over 9p
HOTPLUG_TIMEOUT = 30
WINDOW = (256, 192)

FULL = 0x3366CC     # the first fullscreen client (right output)
WIN1 = 0x22AA44     # the windows on the left output
WIN2 = 0xAA4422
AGAIN = 0x8844CC    # the fullscreen client after the replug
COPIED = 0xCC8833   # the copy chain's clients
COPIED_AGAIN = 0x33AAAA


def two_output_device() -> VkmsDevice:
    return VkmsDevice("tranche-two", crtcs=2,
                      planes=[("primary", [0]), ("primary", [1]), ("overlay", [0, 1]), ("overlay", [0, 1]),
                              ("cursor", [0]), ("cursor", [1])],
                      connectors=[[0], [1]])


def connector_number(name: str) -> int:
    return int(re.sub(r"\D", "", name) or 0)


class Layout:
    """Which output is where: the connectors in creation order (vkms numbers
    them so), left/right from tranche's layout, CRTCs from the KMS state."""

    def __init__(self, t, dev):
        self.names = sorted(dev.connectors, key=connector_number)  # configfs connector0, connector1
        outputs = {o["name"]: o for o in t.outputs()}
        left, right = sorted(self.names, key=lambda n: outputs.get(n, {}).get("x", 0))
        self.left, self.right = left, right
        self.index = {name: i for i, name in enumerate(self.names)}  # configfs connector index
        state = kms_state(dev.dri_index)
        self.crtc = {name: state["connectors"].get(name, {}).get("crtc") for name in self.names}
        self.size = {name: (outputs.get(name, {}).get("mode_width", 0), outputs.get(name, {}).get("mode_height", 0))
                     for name in self.names}

    def crc_index(self, name) -> int:
        return int(self.crtc[name].removeprefix("crtc-"))


def write_config(extra: str = ""):
    with open(CONFIG, "w") as f:
        # Overlays are off by default (libliftoff); this test needs them.
        f.write("[scanout]\noverlays = true\nfeedback-hysteresis-ms = 1000\n" + extra)


def wait_outputs(t, predicate, timeout=HOTPLUG_TIMEOUT):
    """Poll `tranchectl outputs` until predicate({name: output}) holds; returns
    the last {name: output} (tranche must stay alive meanwhile)."""
    deadline = time.monotonic() + timeout
    while True:
        outputs = {o["name"]: o for o in t.outputs() if o.get("enabled")}
        if predicate(outputs) or time.monotonic() > deadline:
            return outputs
        time.sleep(0.3)


def surfaces(t) -> dict:
    """{app_id: surface} from `tranchectl surfaces`."""
    return {s.get("app_id"): s for s in json.loads(t.ctl("surfaces", json_output=True).stdout)}


def wait_surface_output(t, app_ids, output, timeout=HOTPLUG_TIMEOUT) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        now = surfaces(t)
        if all(now.get(a, {}).get("output") == output for a in app_ids) or time.monotonic() > deadline:
            return {a: now.get(a, {}).get("output") for a in app_ids}
        time.sleep(0.3)


def explain_output(explain, name) -> dict:
    return next((o for o in explain.get("outputs", []) if o.get("name") == name), {})


def crtc_lit(dev, crtc) -> tuple[bool, str]:
    """The CRTC is active and its primary plane has a framebuffer."""
    state = kms_state(dev.dri_index)
    active = state["crtcs"].get(crtc, {}).get("active") == "1"
    fbs = [name for name, p in state["planes"].items() if p.get("crtc") == crtc and p.get("fb")]
    return active and bool(fbs), f"{crtc}: {state['crtcs'].get(crtc)}\n{describe_planes(state)}"


def wait_crtc_lit(dev, crtc, timeout=HOTPLUG_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        lit, why = crtc_lit(dev, crtc)
        if lit or time.monotonic() > deadline:
            return lit, why
        time.sleep(0.3)


def dmabuf_client(tap, t, name, colour, argv, timeout=60):
    """A dmabuf-client of one colour, redrawing every frame, with the unused byte
    that tells its own buffer from a composited one."""
    return start_dmabuf_client(tap, t, name, ["--x-byte", f"0x{X_BYTE:02x}", "--color", f"{colour:06x}",
                                              "--frames", "0", *argv], timeout)


def window_planes(t, dev, crtc, wins) -> dict:
    """{app_id: KMS plane id} of the windows (their colour, WINDOW size, the
    client's unused byte) on one reading of the CRTC's planes."""
    found = {}
    state = kms_state(dev.dri_index)
    for plane in state["planes"].values():
        if plane.get("crtc") != crtc or not plane.get("fb"):
            continue
        try:
            fb = read_fb(t.card, plane["fb"])
        except OSError:
            continue
        if (fb["width"], fb["height"]) != WINDOW or set(unused_byte_values(fb)) != {X_BYTE}:
            continue
        for name, colour in wins:
            if pixels_other_than(fb, colour)[0] == 0:
                found[name] = plane["id"]
    return found


def alive(procs) -> bool:
    return all(p is not None and p.proc.poll() is None for p in procs)


# ----------------------------------------------------------------- two outputs, planes and hotplug


def check_two_outputs(tap, t, dev, lay):
    outputs = {o["name"]: o for o in t.outputs()}
    tap.ok(sorted(outputs) == sorted(lay.names) and all(o.get("enabled") for o in outputs.values())
           and outputs[lay.left].get("x") != outputs[lay.right].get("x"),
           f"two outputs of one device, enabled, side by side ({lay.left} left, {lay.right} right)",
           f"outputs {outputs}")
    tap.ok(lay.crtc[lay.left] and lay.crtc[lay.right] and lay.crtc[lay.left] != lay.crtc[lay.right],
           "each connector has a CRTC of its own", f"{lay.crtc}")
    for name in lay.names:
        lit, why = wait_crtc_lit(dev, lay.crtc[name], timeout=20)
        tap.ok(lit, f"{name}'s CRTC is active with a framebuffer on a plane", why)
    explain = tranche_json(t, "explain")
    planes = {name: explain_output(explain, name).get("planes", []) for name in lay.names}
    kinds = {name: sorted(p.get("type") for p in planes[name]) for name in lay.names}
    overlays = {name: sorted(p["id"] for p in planes[name] if p.get("type") == "overlay") for name in lay.names}
    primary = {name: [p["id"] for p in planes[name] if p.get("type") == "primary"] for name in lay.names}
    card_dev = os.stat(dev.card).st_rdev
    tap.ok(all(kinds[n] == ["cursor", "overlay", "overlay", "primary"] for n in lay.names)
           and overlays[lay.left] == overlays[lay.right] and primary[lay.left] != primary[lay.right]
           and all((explain_output(explain, n).get("kms_device") or {}).get("dev") == card_dev for n in lay.names),
           "explain: per output a primary and a cursor plane of its own and the same two overlay planes, "
           "on the device's card", f"planes {planes}")
    return primary


def check_planes_per_output(tap, t, dev, lay, clients):
    card_dev = os.stat(dev.card).st_rdev
    left, right = lay.left, lay.right
    full = dmabuf_client(tap, t, "two-full", FULL, ["--output", right], timeout=FIRST_MAP_TIMEOUT)
    clients.append(full)
    if not full:
        return
    plane, fb, state = wait_for_client_fb(t, FULL, lay.size[right], X_BYTE, crtc=lay.crtc[right], timeout=45)
    tap.diag(describe_planes(state))
    tap.ok(plane is not None, f"a fullscreen client on {right}: a plane of {right}'s CRTC ({lay.crtc[right]}) "
           "scans out its own buffer", f"last fb seen {fb and {k: fb[k] for k in ('width', 'height', 'format')}}")
    explain = tranche_json(t, "explain")
    surface = explain_surface(explain, "two-full") or {}
    tap.ok(explain_output(explain, right).get("frame", {}).get("path") == "primary"
           and explain_output(explain, left).get("frame", {}).get("path") == "composited"
           and surface.get("path") == "primary",
           f"explain: {right}'s frame is the client on its primary plane, {left} composites",
           f"{right}: {explain_output(explain, right).get('frame')}, {left}: "
           f"{explain_output(explain, left).get('frame')}; surface {surface}")
    fbk = surface.get("feedback") or {}
    tap.ok(any(tr.get("scanout") and tr.get("target_device") == card_dev for tr in fbk.get("tranches", [])),
           "its feedback has a scanout tranche for the device's card", f"feedback {fbk}")

    # libliftoff may move the first window to another plane when the second
    # comes: what counts is where both are once both are up.
    wins = (("two-win1", WIN1), ("two-win2", WIN2))
    for name, colour in wins:
        win = dmabuf_client(tap, t, name, colour, ["--size", f"{WINDOW[0]}x{WINDOW[1]}"])
        clients.append(win)
        if not win:
            return
    for name, colour in wins:  # each shows up on a plane at some point
        wait_for_client_fb(t, colour, WINDOW, X_BYTE, crtc=lay.crtc[left], timeout=45)
    primary_ids = {p["id"] for p in explain_output(tranche_json(t, "explain"), left).get("planes", [])
                   if p.get("type") == "primary"}
    # libliftoff may swap the two between frames: compare KMS, explain and KMS
    # again until one reading agrees with itself.
    used, named, why = {}, {}, ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        before = window_planes(t, dev, lay.crtc[left], wins)
        explain = tranche_json(t, "explain")
        after = window_planes(t, dev, lay.crtc[left], wins)
        named = {name: (explain_surface(explain, name) or {}).get("plane") for name, _ in wins}
        why = f"KMS before {before}, explain {named}, KMS after {after}"
        if before == after and len(before) == 2:
            used = before
            if named == used:
                break
        time.sleep(0.3)
    tap.ok(len(used) == 2 and len(set(used.values())) == 2 and not set(used.values()) & primary_ids,
           f"two windows on {left}: each on a plane of its own of {left}'s CRTC (not the primary), "
           "scanning out its own buffer", f"{why}; primary {primary_ids}")
    tap.ok(bool(used) and named == used, "explain names the plane KMS shows each window on", why)
    plane, fb, state = wait_for_client_fb(t, FULL, lay.size[right], X_BYTE, crtc=lay.crtc[right], timeout=20)
    tap.ok(plane is not None, f"meanwhile {right}'s primary still scans out the fullscreen client",
           describe_planes(state))
    explain = tranche_json(t, "explain")
    claimed = {name: {p["id"] for p in explain_output(explain, name).get("planes", []) if p.get("surface")}
               for name in lay.names}
    tap.ok(set(used.values()) <= claimed[left] and not claimed[left] & claimed[right],
           f"explain: {left} names both planes as its windows', no plane is named by both outputs",
           f"claimed {claimed}, overlays used {used}")
    with Crc(dev.dri_index, lay.crc_index(right)) as crc:
        want = vkms_solid_crc(*lay.size[right], FULL)
        hit = crc.wait_for(want, timeout=20)
    tap.ok(hit is not None, f"{right}'s CRC is a frame of the fullscreen client's colour",
           f"want {want:08x}, saw {sorted({f'{v:08x}' for _, v in crc.entries})[:6]}")


def unplug(tap, t, dev, lay, name, clients) -> bool:
    other = lay.left if name == lay.right else lay.right
    dev.set_status(lay.index[name], "disconnected")
    outputs = wait_outputs(t, lambda o: name not in o)
    ok = tap.ok(name not in outputs and other in outputs and t.process.proc.poll() is None,
                f"{name} unplugged: its output goes away, {other} stays, tranche lives",
                f"outputs {sorted(outputs)}; log:\n{t.log()[-1500:]}")
    tap.ok(alive(clients), f"{name} unplugged: every client lives",
           f"{[(c.name, c.proc.poll(), c.output()[-300:]) for c in clients if c and c.proc.poll() is not None]}")
    return ok


def replug(tap, t, dev, lay, name) -> bool:
    dev.set_status(lay.index[name], "connected")
    outputs = wait_outputs(t, lambda o: name in o and o[name].get("mode_width"))
    ok = tap.ok(name in outputs and outputs[name].get("mode_width"),
                f"{name} plugged back: its output returns, enabled, with a mode", f"outputs {outputs}")
    if ok:
        lit, why = wait_crtc_lit(dev, lay.crtc[name])
        tap.ok(lit, f"{name} plugged back: its CRTC is lit again", why)
    return ok


def check_hotplug(tap, t, dev, lay, clients):
    left, right = lay.left, lay.right
    if not unplug(tap, t, dev, lay, right, clients):
        return
    where = wait_surface_output(t, ["two-full"], left)
    tap.ok(where["two-full"] == left, f"the fullscreen client moves to {left}", f"{where}")
    plane, fb, state = wait_for_client_fb(t, FULL, lay.size[left], X_BYTE, crtc=lay.crtc[left], timeout=45)
    tap.ok(plane is not None, f"{left}'s primary now scans out the fullscreen client's buffer", describe_planes(state))

    if not replug(tap, t, dev, lay, right):
        return
    again = dmabuf_client(tap, t, "two-again", AGAIN, ["--output", right])
    clients.append(again)
    if again:
        plane, fb, state = wait_for_client_fb(t, AGAIN, lay.size[right], X_BYTE, crtc=lay.crtc[right], timeout=45)
        tap.ok(plane is not None, f"a new fullscreen client on {right} after the replug is scanned out there",
               describe_planes(state))

    for _ in range(3):
        dev.set_status(lay.index[right], "disconnected")
        time.sleep(0.5)
        dev.set_status(lay.index[right], "connected")
        time.sleep(0.5)
    outputs = wait_outputs(t, lambda o: left in o and right in o)
    lit, why = wait_crtc_lit(dev, lay.crtc[right])
    tap.ok(sorted(outputs) == sorted(lay.names) and lit and t.process.proc.poll() is None and alive(clients),
           f"{right} unplugged and plugged back three times in a row: both outputs, {right} lit, "
           "tranche and the clients live", f"outputs {sorted(outputs)}; {why}; log:\n{t.log()[-1500:]}")

    if not unplug(tap, t, dev, lay, left, clients):
        return
    where = wait_surface_output(t, ["two-win1", "two-win2", "two-full"], right)
    tap.ok(set(where.values()) == {right}, f"with {left} gone, its windows and fullscreen client move to {right}",
           f"{where}")
    replug(tap, t, dev, lay, left)


# ----------------------------------------------------------------- the copy chain across a replug


def check_copy_chain(tap, dev):
    virtio, _ = drm_card("virtio")
    virtio_conn = card_connectors(virtio)
    names = sorted(dev.connectors, key=connector_number)
    blocks = f'[[output]]\nname = "{virtio_conn[0]}"\nenabled = false\n' + "".join(
        f'\n[[output]]\nname = "{n}"\ncopy-path = "sysram"\n' for n in names)
    write_config(blocks)
    t = Tranche(device="vkms", card=dev.card, renderer="gles2", args=["--config", CONFIG],
                env={"WLR_DRM_DEVICES": f"{virtio}:{dev.card}"})
    try:
        t.start()
    except Exception as e:  # noqa: BLE001
        tap.ok(False, "copy chain: tranche starts (virtio-gpu renders, the vkms device displays)",
               f"{type(e).__name__}: {e}")
        return
    clients = []
    try:
        tap.ok(True, f"copy chain: tranche starts (virtio-gpu renders, the vkms device displays; "
               f"{t.ready_after:.1f} s)")
        lay = Layout(t, dev)
        right = lay.right

        def shows(colour, label):
            client = t.client(["solid-client", "--output", right, "--color", f"{colour:06x}",
                               "--app-id", label])
            clients.append(client)
            client.wait_for_line("^mapped", timeout=FIRST_MAP_TIMEOUT)
            with Crc(dev.dri_index, lay.crc_index(right)) as crc:
                want = vkms_solid_crc(*lay.size[right], colour)
                hit = crc.wait_for(want, timeout=45)
            out = explain_output(tranche_json(t, "explain"), right)
            sysram = ((out.get("copy") or {}).get("paths") or {}).get("sysram") or {}
            tap.ok(hit is not None and (out.get("copy") or {}).get("path") == "sysram" and sysram.get("frames", 0) > 0,
                   f"copy chain: {label} on {right}: its colour is the CRTC's CRC; explain: sysram, frames copied",
                   f"want {want:08x}, saw {sorted({f'{v:08x}' for _, v in crc.entries})[:6]}; copy {out.get('copy')}")
            return sysram.get("frames", 0)

        before = shows(COPIED, "copy-full")
        if not unplug(tap, t, dev, lay, right, clients):
            return
        if not replug(tap, t, dev, lay, right):
            return
        clients[0].stop()
        after = shows(COPIED_AGAIN, "copy-again")
        tap.diag(f"sysram frames of {right}: {before} before the unplug, {after} after the replug")
    except Exception as e:  # noqa: BLE001
        tap.ok(False, "copy chain across a replug", f"{type(e).__name__}: {e}\nlog:\n{t.log()[-2000:]}")
    finally:
        for c in clients:
            c.stop()
        alive_before = t.process.proc.poll() is None
        status = t.stop()
        tap.ok(alive_before and status == 0, "copy chain: tranche exits 0 on SIGTERM",
               f"status {status}; log:\n{t.log()[-2000:]}")


def main():
    tap = Tap()
    started = time.monotonic()
    dev = two_output_device()
    try:
        dev.create()
    except Exception as e:  # noqa: BLE001
        tap.ok(False, "configfs: a vkms device with two CRTCs and connectors is created", f"{type(e).__name__}: {e}")
        tap.done()
    state = kms_state(dev.dri_index)
    tap.ok(len(state["planes"]) == 6 and len(state["crtcs"]) == 2 and len(dev.connectors) == 2,
           f"configfs: {dev.card}, a vkms device with 2 CRTCs, 2 connectors ({', '.join(dev.connectors)}) and 6 planes",
           f"{state}")
    with Udevd():
        write_config()
        t = Tranche(device="vkms", card=dev.card, renderer="gles2", args=["--config", CONFIG])
        clients = []
        try:
            t.start()
            tap.ok(True, f"tranche starts on the two-output device ({t.ready_after:.1f} s)")
            lay = Layout(t, dev)
            check_two_outputs(tap, t, dev, lay)
            for check in (check_planes_per_output, check_hotplug):
                try:
                    check(tap, t, dev, lay, clients)
                except Exception as e:  # noqa: BLE001
                    tap.ok(False, check.__name__, f"{type(e).__name__}: {e}")
                if t.process.proc.poll() is not None:
                    tap.ok(False, f"tranche is alive after {check.__name__}",
                           f"exit status {t.process.proc.returncode}; log:\n{t.log()[-3000:]}")
                    tap.done()
        except Exception as e:  # noqa: BLE001
            tap.ok(False, "tranche on the two-output device", f"{type(e).__name__}: {e}")
        finally:
            for c in clients:
                if c:
                    c.stop()
            alive_before = t.process and t.process.proc.poll() is None
            status = t.stop()
            tap.ok(alive_before and status == 0, "tranche exits 0 on SIGTERM", f"status {status}; log:\n{t.log()[-2000:]}")
        for i in range(len(dev.connectors)):
            dev.set_status(i, "connected")
        check_copy_chain(tap, dev)
    try:
        dev.remove()
        tap.ok(dev.card is not None and not os.path.exists(dev.card), "configfs: the device is taken down again")
    except OSError as e:
        tap.ok(False, "configfs: the device is taken down again", str(e))
    tap.diag(f"{time.monotonic() - started:.0f} s in the VM")
    tap.done()


if __name__ == "__main__":
    main()
