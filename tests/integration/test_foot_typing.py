"""foot maps, and text typed with wtype appears in it (compared with a reference)."""
import time

import harness as h

COMMAND = "echo tranche-typed"
BACKGROUND = (0x10, 0x18, 0x20)  # foot.ini


def test():
    h.require_programs("foot", "wtype")
    with h.Compositor(size=(1280, 720)) as comp:
        foot = comp.spawn(["foot", "--config", h.source_path("tests", "integration", "foot.ini"), "sh"],
                          env=comp.client_env(PS1="$ ", ENV="", SHELL="/bin/sh"))
        view = comp.wait_surface(lambda s: s["app_id"] == "foot" and s["focused"], 15,
                                 "foot to map with keyboard focus")
        box = (view["x"], view["y"], view["width"], view["height"])

        def prompt_drawn():  # foot's background with something on it: the prompt
            fraction = h.color_fraction(h.crop(comp.screenshot("foot"), *box), BACKGROUND, tolerance=4)
            return 0.9 < fraction < 0.999
        h.wait_until(prompt_drawn, 10, "foot to draw its prompt", interval=0.2)

        # The first key of a fresh virtual keyboard can get lost: start with a harmless one.
        typed = comp.run(["wtype", "-k", "Shift_L", "-s", "300", COMMAND, "-k", "Return"], timeout=10)
        h.check(typed.returncode == 0, f"wtype failed ({typed.returncode}): {typed.stderr.strip()}")

        if h.updating_references():
            time.sleep(2)  # let the typing settle before taking the new reference

        def matches():
            h.check(foot.poll() is None, f"foot exited after the typing:\n{foot.describe()}")
            image = h.crop(comp.screenshot("foot"), *box)
            matches.problem = h.compare_with_reference(image, "foot-typing.png")
            return matches.problem is None
        matches.problem = None
        h.wait_until(matches, 10, "the typed text to show", interval=0.3, details=lambda: matches.problem)
        h.check(foot.poll() is None, f"foot exited:\n{foot.describe()}")


h.main(test)
