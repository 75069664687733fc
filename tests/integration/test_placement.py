"""New windows go where they cover least of the ones already there, and
cascade once the output is full."""
import harness as h


def overlap(a, b):
    w = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    hgt = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(w, 0) * max(hgt, 0)


def test():
    with h.Compositor(size=(1280, 720)) as comp:
        def open_window(name, size):
            comp.spawn([h.client("solid-client"), "--app-id", name, "--size", size])
            return comp.wait_surface(lambda s: s["app_id"] == name, 10, f"{name} to map")

        first = open_window("first", "400x300")
        h.check(abs(first["x"] + first["width"] / 2 - 640) <= 1, f"the first window is not centred: {first}")
        second = open_window("second", "400x300")
        h.check(overlap(first, second) == 0, f"the second window covers the first: {first} / {second}")
        third = open_window("third", "200x200")
        for other in (first, second):
            h.check(overlap(third, other) == 0, f"the third window covers another: {third} / {other}")
        # No room left for a big one: it cascades from the topmost window.
        big = open_window("big", "900x600")
        h.check((big["x"], big["y"]) == (third["x"] + 32, third["y"] + 32) or (big["x"], big["y"]) == (0, 0),
                f"the big window did not cascade from the topmost one: {big} (topmost {third})")
        for window in (first, second, third, big):
            h.check(0 <= window["x"] and window["x"] + window["width"] <= 1280 and 0 <= window["y"] and
                    window["y"] + window["height"] <= 720, f"a window is off the output: {window}")
        comp.check_alive()


h.main(test)
