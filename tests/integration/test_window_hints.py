"""What a window says about itself: a modal dialog (xdg-dialog-v1) opens
centred on its parent and keeps the focus whenever the parent would get it;
an icon (xdg-toplevel-icon-v1) is shown over IPC; a parent in another client
(xdg-foreign-v2) is a parent like any other; an opacity (alpha-modifier-v1)
blends the window and explain shows it with the content type
(content-type-v1); a wish for tearing
(tearing-control-v1) is honoured only when the configuration allows it and the
buffer is scanned out as is, and explain says which."""
import harness as h


def by_title(comp, title):
    return next((s for s in comp.surfaces() if s.get("title") == title), None)


def tearing_of(comp):
    return comp.query("explain")["outputs"][0]["frame"]["tearing"]


def test():
    if h.Compositor.kind_requested() == "sway":
        h.skip("tranche's IPC")
    h.require_programs("wtype")
    with h.Compositor(size=(800, 600)) as comp:
        app = comp.spawn([h.client("hints-client"), "--size", "400x300", "--title", "main", "--dialog",
                          "--icon", "org.example.Hints", "--icon-buffer", "32"], name="hints")
        app.wait_output("dialog mapped", 10)
        main = comp.wait_surface(lambda s: s.get("title") == "main", 10, "the main window")
        dialog = comp.wait_surface(lambda s: s.get("title") == "dialog" and s["focused"], 10,
                                   "the dialog to map with the focus")
        h.check(dialog["modal"] is True and dialog["parent"] == main["id"],
                f"the dialog is not a modal child of the main window: {dialog}")
        h.check(main["modal"] is False and main["parent"] is None, f"the main window: {main}")
        # Centred on its parent (to the pixel, give or take rounding).
        for axis, size in (("x", "width"), ("y", "height")):
            centre_main = main[axis] + main[size] / 2
            centre_dialog = dialog[axis] + dialog[size] / 2
            h.check(abs(centre_main - centre_dialog) <= 1,
                    f"dialog not centred on its parent along {axis}: {dialog} over {main}")
        h.check(main["icon"] == {"name": "org.example.Hints", "buffers": [{"width": 32, "height": 32, "scale": 1}]},
                f"the main window's icon: {main['icon']}")
        h.check(dialog["icon"] is None, f"the dialog has no icon: {dialog['icon']}")
        text = comp.ctl("surfaces").stdout
        h.check(f"[modal] parent=#{main['id']}" in text and "icon=org.example.Hints" in text,
                f"tranchectl surfaces does not show the dialog and the icon:\n{text}")

        # Another window takes the focus; cycling back to the main window
        # brings up its modal dialog, not the window the dialog blocks.
        other = comp.spawn([h.client("solid-client"), "--app-id", "other", "--size", "200x150"], name="other")
        other.wait_output("mapped", 10)
        comp.wait_surface(lambda s: s.get("app_id") == "other" and s["focused"], 10, "the other window focused")
        typed = comp.run(["wtype", "-M", "alt", "-k", "Tab", "-m", "alt"], timeout=10)
        h.check(typed.returncode == 0, f"wtype failed: {typed.stderr.strip()}")
        h.wait_until(lambda: (main_now := by_title(comp, "main")) and by_title(comp, "dialog")["focused"]
                     and not main_now["focused"], 10, "Alt+Tab onto the parent to focus its dialog",
                     details=lambda: str(comp.surfaces()))
        comp.check_alive("after the dialog")
        app.stop()
        other.stop()

        # xdg-foreign: a window of another client becomes the parent, and the
        # child opens centred on it.
        exporter = comp.spawn([h.client("hints-client"), "--export", "--title", "exporter", "--size", "400x300"],
                              name="exporter")
        exporter.wait_output("mapped", 10)
        handle = h.wait_until(lambda: next((line.split()[1] for line in exporter.stdout().splitlines()
                                            if line.startswith("exported ")), None), 10, "the exported handle")
        importer = comp.spawn([h.client("hints-client"), "--import", handle, "--title", "imported",
                               "--size", "160x100"], name="importer")
        importer.wait_output("mapped", 10)
        parent = by_title(comp, "exporter")
        child = comp.wait_surface(lambda s: s.get("title") == "imported", 10, "the imported window")
        h.check(child["parent"] == parent["id"] and child["pid"] != parent["pid"],
                f"xdg-foreign did not make the exported window the parent: {child} / {parent}")
        h.check(abs((child["x"] + child["width"] / 2) - (parent["x"] + parent["width"] / 2)) <= 1,
                f"the imported child is not centred on its foreign parent: {child} over {parent}")
        exporter.stop()
        importer.stop()

        # alpha-modifier and content-type: explain shows both; the window is blended.
        translucent = comp.spawn([h.client("hints-client"), "--alpha", "0.5", "--content-type", "video",
                                  "--color", "ff0000", "--size", "200x200", "--title", "translucent"],
                                 name="translucent")
        translucent.wait_output("mapped", 10)

        def hints():
            e = comp.query("explain")
            return next((s["hints"] for s in e["surfaces"] if s.get("title") == "translucent"), None)
        got = h.wait_until(hints, 10, "the translucent window in explain")
        h.check(got["content_type"] == "video" and abs(got["alpha"] - 0.5) < 0.01 and got["presentation"] == "vsync",
                f"explain's hints: {got}")
        t = by_title(comp, "translucent")
        image = comp.screenshot("translucent")
        background = image.getpixel((2, 2))
        r, g, b = image.getpixel((t["x"] + 100, t["y"] + 100))
        want = ((background[0] + 255) / 2, background[1] / 2, background[2] / 2)
        h.check(all(abs(have - w) <= 12 for have, w in zip((r, g, b), want)),
                f"half-transparent red over {background} is {(r, g, b)}, want about {want}")
        translucent.stop()

        # Tearing: asked for by a fullscreen window, refused by the default configuration.
        tearer = comp.spawn([h.client("hints-client"), "--fullscreen", "--tearing", "--title", "game"], name="game")
        tearer.wait_output("mapped", 10)
        h.wait_until(lambda: tearing_of(comp) == "disabled_by_config", 10, "tearing disabled by the config",
                     details=lambda: str(comp.query("explain")["outputs"][0]["frame"]))
        h.check(comp.query("explain")["config"]["tearing"] is False, "tearing is on by default")
        h.check(comp.query("stats")["outputs"][0]["tearing_frames"] == 0, "frames tore against the config")
        tearer.stop()

    with h.Compositor(size=(800, 600), config="[scanout]\ntearing = true\n") as comp:
        # Allowed, and the fullscreen buffer is the headless output's frame: an async flip.
        tearer = comp.spawn([h.client("hints-client"), "--fullscreen", "--tearing", "--title", "game"], name="game")
        tearer.wait_output("mapped", 10)
        h.wait_until(lambda: tearing_of(comp) == "async" and comp.query("stats")["outputs"][0]["tearing_frames"] > 0,
                     10, "tearing: async flips of the scanned-out buffer", details=lambda: str(comp.query("explain")))
        tearer.stop()

    with h.Compositor(size=(800, 600), config="[scanout]\ntearing = true\ndirect-scanout = false\n") as comp:
        # Allowed, but composited: a tear would cut through the composition.
        tearer = comp.spawn([h.client("hints-client"), "--fullscreen", "--tearing", "--title", "game"], name="game")
        tearer.wait_output("mapped", 10)
        h.wait_until(lambda: tearing_of(comp) == "not_scanned_out", 10, "tearing refused: not scanned out",
                     details=lambda: str(comp.query("explain")))
        h.check(comp.query("stats")["outputs"][0]["tearing_frames"] == 0, "a composited frame tore")
        tearer.stop()
        # A window that did not ask: nothing requested.
        plain = comp.spawn([h.client("solid-client"), "--fullscreen"], name="plain")
        plain.wait_output("mapped", 10)
        h.wait_until(lambda: tearing_of(comp) == "not_requested", 10, "no tearing without the hint",
                     details=lambda: str(comp.query("explain")["outputs"][0]["frame"]))
        h.check(comp.query("stats")["outputs"][0]["tearing_frames"] == 0, "a composited frame tore")
        comp.check_alive()


h.main(test)
