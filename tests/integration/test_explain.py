"""`tranchectl explain` and `stats` on a headless output: no planes, no
linux-dmabuf (pixman). Over a coloured background shm windows are composited
with the reasons said; a fullscreen one is the output's frame itself (a
headless output takes any buffer: `primary`, zero-copy), a window hidden under
it is `hidden`, and the counters move. Over the default black background a
lone window is the frame too, and the screen still shows it right.
(The plane paths themselves are tested on KMS in tests/vm/scanout.py.)"""
import harness as h

BACKGROUND = '[[output]]\nname = "*"\nbackground = "#1c2633"\n'


def surface(explain, app_id):
    return next((s for s in explain["surfaces"] if s.get("app_id") == app_id), None)


def test():
    if h.Compositor.kind_requested() == "sway":
        h.skip("tranche's IPC")
    with h.Compositor(size=(800, 600), config=BACKGROUND) as comp:
        window = comp.spawn([h.client("solid-client"), "--app-id", "explain-window", "--size", "200x100"])
        window.wait_output("mapped", 10)
        explain = h.wait_until(lambda: (e := comp.query("explain")) and surface(e, "explain-window") and e, 10,
                               "the window in explain")
        h.check(explain["linux_dmabuf"] is False and explain["render_device"] is None,
                f"pixman on headless offers no linux-dmabuf, explain says {explain['linux_dmabuf']}, "
                f"{explain['render_device']}")
        out = explain["outputs"][0]
        h.check(out["planes"] == [] and out["kms_device"] is None and out["overlays_supported"] is False,
                f"a headless output has no planes: {out}")
        h.check(out["frame"]["path"] == "composited", f"frame path {out['frame']}")
        s = surface(explain, "explain-window")
        h.check(s["path"] == "composited" and s["output"] == "HEADLESS-1" and s["plane"] is None,
                f"the shm window: {s}")
        h.check(s["buffer"]["type"] == "shm" and (s["buffer"]["width"], s["buffer"]["height"]) == (200, 100),
                f"its buffer: {s['buffer']}")
        # Not a dma-buf, not fullscreen, and no overlays on this backend.
        for reason in ("not_dmabuf", "not_fullscreen", "overlays_unavailable"):
            h.check(reason in s["reasons"], f"reason {reason} missing from {s['reasons']}")
        h.check(s["feedback"] is None, f"no linux-dmabuf, so no feedback: {s['feedback']}")
        # One name for one surface: `surfaces` and `explain` give the window the same id.
        listed = next((v for v in comp.query("surfaces") if v.get("app_id") == "explain-window"), None)
        h.check(listed is not None and listed["id"] == s["id"],
                f"surfaces calls the window #{listed and listed['id']}, explain #{s['id']}")

        # A fullscreen window hides the first one: its path becomes hidden.
        full = comp.spawn([h.client("solid-client"), "--app-id", "explain-full", "--fullscreen"])
        full.wait_output("mapped", 10)

        def hidden():
            e = comp.query("explain")
            a, b = surface(e, "explain-window"), surface(e, "explain-full")
            return e if a and b and a["path"] == "hidden" and b["path"] == "primary" else None
        explain = h.wait_until(hidden, 10, "the fullscreen window over the first one, as the frame",
                               details=lambda: str(comp.query("explain")["surfaces"]))
        s = surface(explain, "explain-full")
        h.check(s["reasons"] == [] and explain["outputs"][0]["frame"]["path"] == "primary",
                f"the fullscreen shm window: {s['reasons']}, the frame {explain['outputs'][0]['frame']}")

        # presentation-time: its frames presented zero-copy (the buffer was the frame).
        explain = h.wait_until(lambda: (e := comp.query("explain")) and surface(e, "explain-full")["presentations"]
                               ["zero_copy"] > 0 and e, 10, "a zero-copy frame counted for the fullscreen window",
                               details=lambda: str(surface(comp.query("explain"), "explain-full")))
        stats = comp.query("stats")
        h.check(stats["presentations"]["presented"] > stats["presentations"]["zero_copy"] > 0
                and stats["outputs"][0]["presented_frames"] > 0,
                f"presentation counters (composited frames first, then zero-copy ones): {stats}")
        o = stats["outputs"][0]
        h.check(o["name"] == "HEADLESS-1" and o["frames"] == o["frames_composited"] + o["frames_primary"]
                and o["frames_composited"] > 0 and o["frames_primary"] > 0 and o["overlay_assignments"] == 0,
                f"stats on a plane-less output: {o}")
        h.check(stats["imports"] == {"ok": 0, "failed": 0, "invalid_format": 0} and stats["feedback_sends"] == 0, f"stats: {stats}")

        # stats for people: one "key: value" line per counter, nested indented.
        text = comp.ctl("stats")
        h.check(text.returncode == 0 and "outputs:\n  -\n    " in text.stdout
                and "presentations:\n  presented: " in text.stdout and "    name: HEADLESS-1\n" in text.stdout and not text.stdout.lstrip().startswith("{"),
                f"tranchectl stats printed {text.stdout!r}")

        # The people's version names the window and its reasons.
        text = comp.ctl("explain")
        h.check(text.returncode == 0 and "app_id=explain-full: primary" in text.stdout
                and "app_id=explain-window: hidden" in text.stdout, f"tranchectl explain printed {text.stdout!r}")
        full.stop()
        h.wait_until(lambda: surface(comp.query("explain"), "explain-window")["path"] == "composited", 10,
                     "the window composited again")
        text = comp.ctl("explain")
        h.check("not faster because: not_dmabuf" in text.stdout, f"tranchectl explain printed {text.stdout!r}")
        window.stop()

        # Gone surfaces leave explain.
        h.wait_until(lambda: not comp.query("explain")["surfaces"], 10, "explain to forget closed windows")

    # The default background is black, drawn by nobody: a lone window is the frame.
    with h.Compositor(size=(800, 600)) as comp:
        window = comp.spawn([h.client("solid-client"), "--app-id", "lone", "--size", "200x100",
                             "--color", "20c040"])
        window.wait_output("mapped", 10)
        explain = h.wait_until(lambda: (e := comp.query("explain")) and (s := surface(e, "lone"))
                               and s["presentations"]["zero_copy"] > 0 and e, 10,
                               "the lone window presented zero-copy",
                               details=lambda: str(comp.query("explain")))
        s = surface(explain, "lone")
        h.check(s["path"] == "primary" and s["reasons"] == [] and explain["outputs"][0]["frame"]["path"] == "primary",
                f"the lone window: {s['path']} {s['reasons']}, the frame {explain['outputs'][0]['frame']}")
        # What the output shows is still the window at its place on black.
        box = s["outputs"][0]
        image = comp.screenshot("lone")
        inside = image.getpixel((box["x"] + box["width"] // 2, box["y"] + box["height"] // 2))[:3]
        outside = image.getpixel((2, 2))[:3]
        h.check(inside == (0x20, 0xc0, 0x40) and outside == (0, 0, 0),
                f"the screen shows {inside} in the window and {outside} beside it")
        window.stop()


h.main(test)
