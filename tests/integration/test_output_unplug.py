"""Outputs unplugged at run time (IPC remove-output on the headless backend):
the output goes from the layout, a window on it moves to one that remains and
keeps working, a second plug-in works, and wrong names are refused clearly."""
import harness as h


def test():
    with h.Compositor(size=(640, 480)) as comp:
        first = comp.outputs()[0]["name"]
        added = comp.query_args("create-output", width=640, height=480)["name"]
        h.wait_until(lambda: len(comp.outputs()) == 2, 10, "the second output in the layout")

        comp.spawn([h.client("solid-client"), "--app-id", "moved", "--size", "200x150"], name="moved")
        view = comp.wait_surface(lambda s: s["app_id"] == "moved" and s["output"] == first, 10,
                                 "the window on the first output")
        # Unplug the output the window is on: it must move to the one that remains.
        comp.query_args("remove-output", name=first)
        h.wait_until(lambda: [o["name"] for o in comp.outputs()] == [added], 10, "the output gone from the layout")
        box = comp.outputs()[0]
        moved = comp.wait_surface(lambda s: s["id"] == view["id"] and s["output"] == added, 10,
                                  "the window on the remaining output")
        h.check(box["x"] <= moved["x"] < box["x"] + box["width"] and box["y"] <= moved["y"] < box["y"] + box["height"],
                f"the window is not inside the remaining output {box}: {moved}")

        comp.query_args("create-output", width=320, height=240)
        h.wait_until(lambda: len(comp.outputs()) == 2, 10, "an output plugged in again")

        bad = comp.ctl("remove-output", "name=NOPE-9")
        h.check(bad.returncode != 0 and "no output called" in bad.stderr, f"unknown name: {bad.stderr!r}")
        bad = comp.ctl("remove-output")
        h.check(bad.returncode != 0 and "needs a string argument" in bad.stderr, f"no name: {bad.stderr!r}")
        comp.check_alive()


h.main(test)
