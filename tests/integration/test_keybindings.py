"""Default keybindings typed through the virtual keyboard act on the focused
window: Logo+f toggles fullscreen, Logo+Shift+q closes it."""
import harness as h


def test():
    h.require_programs("wtype")
    with h.Compositor(size=(800, 600)) as comp:
        client = comp.spawn([h.client("solid-client"), "--size", "200x150", "--color", "3060a0"])
        client.wait_output("mapped", 10)
        view = comp.wait_surface(lambda s: s["kind"] == "xdg_toplevel" and s["focused"], 10, "the focused window")
        h.check(not view["fullscreen"], f"the window starts fullscreen: {view}")

        typed = comp.run(["wtype", "-M", "logo", "f", "-m", "logo"], timeout=10)
        h.check(typed.returncode == 0, f"wtype failed: {typed.stderr.strip()}")
        comp.wait_surface(lambda s: s["id"] == view["id"] and s["fullscreen"] and s["width"] == 800, 10,
                          "Logo+f to make the window fullscreen")

        typed = comp.run(["wtype", "-M", "logo", "-M", "shift", "q", "-m", "shift", "-m", "logo"], timeout=10)
        h.check(typed.returncode == 0, f"wtype failed: {typed.stderr.strip()}")
        client.wait_output("closed", 10)
        h.check(client.wait(5) == 0, f"solid-client did not exit cleanly:\n{client.describe()}")
        h.wait_until(lambda: not comp.surfaces(), 10, "the closed window to go away")
        comp.check_alive("after the keybindings")


h.main(test)
