"""`tranchectl explain` and `stats` on a headless output: no planes, no
linux-dmabuf (pixman), so shm windows are composited with the reasons said,
a window hidden under a fullscreen one is `hidden`, and the counters move.
(The plane paths themselves are tested on KMS in tests/vm/scanout.py.)"""
import harness as h


def surface(explain, app_id):
    return next((s for s in explain["surfaces"] if s.get("app_id") == app_id), None)


def test():
    if h.Compositor.kind_requested() == "sway":
        h.skip("tranche's IPC")
    with h.Compositor(size=(800, 600)) as comp:
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
            return e if a and b and a["path"] == "hidden" and b["path"] == "composited" else None
        explain = h.wait_until(hidden, 10, "the fullscreen window over the first one",
                               details=lambda: str(comp.query("explain")["surfaces"]))
        s = surface(explain, "explain-full")
        h.check("not_dmabuf" in s["reasons"] and "not_fullscreen" not in s["reasons"],
                f"the fullscreen shm window: {s['reasons']}")

        # presentation-time: frames presented, none zero-copy (composited shm).
        explain = h.wait_until(lambda: (e := comp.query("explain")) and surface(e, "explain-full")["presentations"]
                               ["presented"] > 0 and e, 10, "a presented frame counted for the fullscreen window")
        h.check(surface(explain, "explain-full")["presentations"]["zero_copy"] == 0,
                f"a composited window counted zero-copy: {surface(explain, 'explain-full')['presentations']}")
        stats = comp.query("stats")
        h.check(stats["presentations"]["presented"] > 0 and stats["presentations"]["zero_copy"] == 0
                and stats["outputs"][0]["presented_frames"] > 0, f"presentation counters: {stats}")
        o = stats["outputs"][0]
        h.check(o["name"] == "HEADLESS-1" and o["frames"] > 0 and o["frames"] == o["frames_composited"]
                and o["frames_primary"] == 0 and o["overlay_assignments"] == 0,
                f"stats on a plane-less output: {o}")
        h.check(stats["imports"] == {"ok": 0, "failed": 0, "invalid_format": 0} and stats["feedback_sends"] == 0, f"stats: {stats}")

        # stats for people: one "key: value" line per counter, nested indented.
        text = comp.ctl("stats")
        h.check(text.returncode == 0 and "outputs:\n  -\n    " in text.stdout
                and "presentations:\n  presented: " in text.stdout and "    name: HEADLESS-1\n" in text.stdout and not text.stdout.lstrip().startswith("{"),
                f"tranchectl stats printed {text.stdout!r}")

        # The people's version names the window and its reasons.
        text = comp.ctl("explain")
        h.check(text.returncode == 0 and "app_id=explain-full: composited" in text.stdout
                and "not faster because: not_dmabuf" in text.stdout, f"tranchectl explain printed {text.stdout!r}")
        window.stop()
        full.stop()

        # Gone surfaces leave explain.
        h.wait_until(lambda: not comp.query("explain")["surfaces"], 10, "explain to forget closed windows")


h.main(test)
