"""keyboard-shortcuts-inhibit: while the focused window holds an active
inhibitor, Logo+f reaches it instead of making it fullscreen; another window
focused, the inhibitor goes inactive and the binding works again."""
import harness as h


def logo_f(comp):
    # The seat has a keyboard only while wtype's virtual one exists, so a client
    # binds its wl_keyboard only then: wait a little before typing, or the keys
    # may pass before the client can receive them (bindings see them anyway).
    typed = comp.run(["wtype", "-s", "400", "-M", "logo", "f", "-m", "logo"], timeout=10)
    h.check(typed.returncode == 0, f"wtype failed: {typed.stderr.strip()}")


def test():
    h.require_programs("wtype")
    with h.Compositor(size=(800, 600)) as comp:
        vm = comp.spawn([h.client("solid-client"), "--app-id", "vm", "--size", "200x150", "--print-keys",
                         "--inhibit-shortcuts"], name="vm")
        view = comp.wait_surface(lambda s: s["app_id"] == "vm" and s["focused"], 10, "the window with focus")
        # Type only once the inhibitor is active: before that the binding wins.
        vm.wait_output("inhibitor active", 10)
        for _ in range(3):  # only the client's keyboard can be late, see logo_f
            logo_f(comp)
            h.check(not next(s for s in comp.surfaces() if s["id"] == view["id"])["fullscreen"],
                    "Logo+f made the inhibiting window fullscreen")
            if h.eventually(lambda: " pressed" in vm.stdout(), 3):
                break
        else:
            h.fail(f"f (with Logo held) never reached the window in 3 tries; it printed:\n{vm.stdout()}")

        other = comp.spawn([h.client("solid-client"), "--app-id", "other", "--size", "200x150"], name="other")
        other_view = comp.wait_surface(lambda s: s["app_id"] == "other" and s["focused"], 10, "the second window")
        vm.wait_output("inhibitor inactive", 10)
        logo_f(comp)
        comp.wait_surface(lambda s: s["id"] == other_view["id"] and s["fullscreen"], 10,
                          "Logo+f to work on a window without an inhibitor")
        comp.check_alive()


h.main(test)
