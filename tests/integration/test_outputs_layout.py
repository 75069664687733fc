"""Several outputs: laid out left to right by default; the config places,
scales and rotates them, and tranchectl reports the layout."""
import harness as h

CONFIG = """
[[output]]
name = "HEADLESS-2"
position = { x = 0, y = 600 }
scale = 2
[[output]]
name = "HEADLESS-3"
transform = "90"
"""


def by_name(outputs):
    return {o["name"]: o for o in outputs}


def test():
    with h.Compositor(outputs=2, size=(800, 600)) as comp:
        outputs = by_name(comp.outputs())
        h.check(set(outputs) == {"HEADLESS-1", "HEADLESS-2"}, f"outputs: {sorted(outputs)}")
        first, second = outputs["HEADLESS-1"], outputs["HEADLESS-2"]
        h.check((first["x"], first["y"]) == (0, 0), f"HEADLESS-1 at {first['x']},{first['y']}")
        h.check((second["x"], second["y"]) == (800, 0), f"HEADLESS-2 at {second['x']},{second['y']}, expected 800,0")

    with h.Compositor(outputs=3, size=(800, 600), config=CONFIG) as comp:
        outputs = by_name(comp.outputs())
        second, third = outputs["HEADLESS-2"], outputs["HEADLESS-3"]
        h.check((second["x"], second["y"]) == (0, 600), f"HEADLESS-2 at {second['x']},{second['y']}, expected 0,600")
        h.check(second["scale"] == 2 and (second["width"], second["height"]) == (400, 300),
                f"HEADLESS-2 scale {second['scale']} box {second['width']}x{second['height']}, expected 2, 400x300")
        h.check(third["transform"] == "90" and (third["width"], third["height"]) == (600, 800),
                f"HEADLESS-3 transform {third['transform']} box {third['width']}x{third['height']}, expected 600x800")


h.main(test)
