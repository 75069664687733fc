"""A GPU reset (the renderer's `lost` signal, emitted by `tranchectl
renderer-lost` as wlroots does after one) costs no client: tranche makes a new
renderer and every surface shows its pixels again: a window and a layer-shell
panel are shown from their buffers without their clients' help. A third
window's client destroyed its buffer once committed: pixman's texture still
held it, so it is shown from it too; with GLES2, which copies at upload, the
client is asked to draw (a configure) and does (tests/vm/scanout.py covers
that case).
A window capture works after; new windows map. Three resets in a row, so the
sanitizer lane sees any pointer to an old renderer that is used again."""
import harness as h

BACKGROUND = '[[output]]\nname = "*"\nbackground = "#1c2633"\n'
RED, GREEN, BLUE = "d02020", "20c040", "2040d0"


def centre(image, box):
    return image.getpixel((box["x"] + box["width"] // 2, box["y"] + box["height"] // 2))[:3]


def overlap(a, b):
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and
            a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def placed(comp, app_id):
    """The window's box on the output, once it is shown."""
    def find():
        e = comp.query("explain")
        s = next((s for s in e["surfaces"] if s.get("app_id") == app_id), None)
        return s and s["outputs"] and s["outputs"][0]
    return h.wait_until(find, 10, f"{app_id} on the output")


def test():
    if h.Compositor.kind_requested() == "sway":
        h.skip("tranche's IPC")
    h.require_programs("grim")
    with h.Compositor(size=(800, 600), config=BACKGROUND) as comp:
        kept = comp.spawn([h.client("solid-client"), "--app-id", "kept", "--color", RED, "--size", "200x100"],
                          name="kept")
        kept.wait_output("mapped", 10)
        redraws = comp.spawn([h.client("solid-client"), "--app-id", "redraws", "--color", GREEN, "--size", "160x90",
                              "--destroy-attached", "--redraw-on-configure"], name="redraws")
        redraws.wait_output("mapped", 10)
        panel = comp.spawn([h.client("layer-client"), "--anchor", "top,left,right", "--size", "0x30",
                            "--color", BLUE, "--layer", "top"], name="panel")
        panel.wait_output("mapped", 10)
        clients = (kept, redraws, panel)
        before = comp.query("renderer")
        h.check(before["losses"] == 0 and before["recoveries"] == 0 and before["renderer"] != "none",
                f"a fresh compositor: {before}")
        ids = {s["id"] for s in comp.query("surfaces")}
        kept_id = comp.wait_surface(lambda s: s.get("app_id") == "kept" and s.get("identifier"), 10,
                                    "the window's identifier")["identifier"]
        # A window capture made before the resets: its source holds the old renderer.
        h.check(h.run(["grim", "-T", kept_id, h.artifacts_dir() / "before.png"], comp.client_env(),
                      timeout=20).returncode == 0, "a window capture before the reset")
        boxes = {name: placed(comp, name) for name in ("kept", "redraws")}
        h.check(not overlap(boxes["kept"], boxes["redraws"]), f"the windows overlap: {boxes}")

        for n in range(1, 4):
            drawn = [c.stdout().count("configure ") for c in clients]
            answer = comp.query("renderer-lost")
            h.check(answer == {"recovering": True}, f"renderer-lost answered {answer}")
            status = h.wait_until(lambda: (r := comp.query("renderer"))["recoveries"] == n and
                                  not r["recovering"] and r, 10, f"recovery {n}",
                                  details=lambda: str(comp.query("renderer")))
            lost = 0 if before["renderer"] == "pixman" else n
            h.check(status["losses"] == n and status["failed_attempts"] == 0 and
                    status["renderer"] == before["renderer"] and
                    status["surfaces_lost"] == lost and status["redraws_asked"] == lost,
                    f"after reset {n} ({lost} surfaces without their buffer expected): {status}")
            comp.check_alive(f"after reset {n}")
            h.check(all(c.poll() is None for c in clients), f"a client died with reset {n}")
            if lost:
                h.wait_until(lambda: redraws.stdout().count("configure ") > drawn[1],
                             10, f"the window without its buffer drew again after reset {n}",
                             details=lambda: f"{[c.stdout()[-120:] for c in clients]}")
            h.check({s["id"] for s in comp.query("surfaces")} == ids, f"the windows changed with reset {n}")

            def screen():
                image = comp.screenshot(f"reset-{n}")
                return (centre(image, boxes["kept"]), centre(image, boxes["redraws"]), image.getpixel((400, 10))[:3])
            want = (h.hex_rgb(RED), h.hex_rgb(GREEN), h.hex_rgb(BLUE))
            h.wait_until(lambda: screen() == want, 10, f"every surface's pixels on the screen after reset {n}",
                         details=lambda: str(screen()))
            # Shown from their buffers: those clients did not draw.
            h.check(kept.stdout().count("configure ") == drawn[0] and panel.stdout().count("configure ") == drawn[2]
                    and (lost or redraws.stdout().count("configure ") == drawn[1]),
                    f"a client whose buffer was there drew after reset {n}")

        # The capture source made before the resets ended with the old renderer:
        # a new capture of the same window works and shows it.
        from PIL import Image
        path = h.artifacts_dir() / "after.png"
        result = h.run(["grim", "-T", kept_id, path], comp.client_env(), timeout=20)
        h.check(result.returncode == 0, f"a window capture after the resets: {result.stderr[-400:]}")
        with Image.open(path) as image:
            h.check(h.color_fraction(image.convert("RGB"), h.hex_rgb(RED)) > 0.99, "the window capture's pixels")

        # New clients after the resets.
        late = comp.spawn([h.client("solid-client"), "--app-id", "late", "--color", GREEN, "--size", "120x80"],
                          name="late")
        late.wait_output("mapped", 10)
        box = placed(comp, "late")
        h.wait_until(lambda: centre(comp.screenshot("new-window"), box) == h.hex_rgb(GREEN), 10,
                     "a window mapped after the resets on the screen")
        explain = comp.query("explain")
        h.check(explain["outputs"][0]["frame"]["path"] == "composited", f"explain after the resets: {explain['outputs']}")
        for client in (*clients, late):
            client.stop()


h.main(test)
