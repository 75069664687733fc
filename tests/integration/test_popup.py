"""A popup anchored beyond the output's bottom-right corner, with slide and flip
allowed, is moved back onto the output."""
import re

import harness as h

POPUP = (300, 200)
POPUP_RGB = (0xe0, 0xa0, 0x20)


def inside(box, out):
    x, y, w, hgt = box
    return (x >= out["x"] and y >= out["y"] and x + w <= out["x"] + out["width"]
            and y + hgt <= out["y"] + out["height"])


def test():
    with h.Compositor(size=(1280, 720)) as comp:
        out = comp.outputs()[0]
        popup = comp.spawn([h.client("popup-client"), "--maximized", "--size", f"{out['width']}x{out['height']}",
                            "--popup", f"{POPUP[0]}x{POPUP[1]}", "--adjust", "slide,flip"])
        popup.wait_output("popup ", 10)
        px, py, pw, ph = map(int, re.search(r"^popup (-?\d+) (-?\d+) (\d+) (\d+)$", popup.stdout(), re.M).groups())
        h.check((pw, ph) == POPUP, f"popup configured {pw}x{ph}, asked for {POPUP[0]}x{POPUP[1]} (no resize allowed)")

        def found():
            s = next((s for s in comp.surfaces() if s["pid"] == popup.pid), None)
            return s if s and (s["popups"] or comp.is_sway) else None
        toplevel = h.wait_until(found, 10, "the toplevel and its popup in 'surfaces'", interval=0.1)
        box = (toplevel["x"] + px, toplevel["y"] + py, pw, ph)
        h.check(inside(box, out), f"popup at {box} (toplevel at {toplevel['x']},{toplevel['y']} + configure "
                f"{px},{py}) is not within output {out}")
        if not comp.is_sway:
            reported = [(p["x"], p["y"], p["width"], p["height"]) for p in toplevel["popups"]]
            h.check(reported == [box], f"'surfaces' reports popups {reported}, the configure says {box}")

        def drawn():
            image = comp.screenshot("popup")
            drawn.fraction = h.color_fraction(h.crop(image, box[0] - out["x"], box[1] - out["y"], pw, ph), POPUP_RGB)
            return drawn.fraction >= 0.99
        drawn.fraction = 0
        h.wait_until(drawn, 5, "the popup to be drawn", interval=0.3,
                     details=lambda: f"{drawn.fraction:.1%} of {box} has the popup's colour; "
                                     f"screenshot: {h.artifacts_dir() / 'popup.png'}")


h.main(test)
