"""A layer surface anchored top+bottom+right, 100 px wide, sits on the right edge."""
import harness as h

COLOR = "20c040"
WIDTH = 100


def test():
    with h.Compositor(size=(1280, 720)) as comp:
        out = comp.outputs()[0]
        layer = comp.spawn([h.client("layer-client"), "--anchor", "top,bottom,right",
                            "--size", f"{WIDTH}x0", "--color", COLOR, "--layer", "top"])
        layer.wait_output("mapped", 10)
        h.check(f"configure {WIDTH} {out['height']}" in layer.stdout(),
                f"expected a configure of {WIDTH}x{out['height']}; the client saw:\n{layer.stdout()}")

        want = {"x": out["x"] + out["width"] - WIDTH, "y": out["y"], "width": WIDTH, "height": out["height"]}
        if not comp.is_sway:  # sway does not list layer surfaces
            surface = comp.wait_surface(lambda s: s["pid"] == layer.pid, 10, "the layer surface in 'surfaces'")
            h.check(surface["kind"] == "layer", f"kind is {surface['kind']!r}, not 'layer': {surface}")
            got = {k: surface[k] for k in want}
            h.check(got == want, f"layer surface geometry {got}, expected {want}")

        rgb = h.hex_rgb(COLOR)
        column = (want["x"] - out["x"], want["y"] - out["y"], WIDTH, out["height"])
        neighbour = (column[0] - 2, column[1], 2, out["height"])

        def drawn():
            image = comp.screenshot("layer")
            inside = h.color_fraction(h.crop(image, *column), rgb)
            outside = h.color_fraction(h.crop(image, *neighbour), rgb)
            drawn.last = f"{inside:.1%} of the right {WIDTH} px and {outside:.1%} of the 2 px left of them are #{COLOR}"
            return inside >= 0.99 and outside <= 0.01
        drawn.last = ""
        h.wait_until(drawn, 5, "the layer surface to be drawn", interval=0.3,
                     details=lambda: f"{drawn.last}; screenshot: {h.artifacts_dir() / 'layer.png'}")


h.main(test)
