"""X11 clients through tranche's Xwayland: a window shows in a screenshot, gets
keyboard focus and the keys typed through the virtual keyboard, and the
clipboard crosses between X11 and Wayland clients both ways."""
import harness as h

BACKGROUND = "20c040"
FOREGROUND = "c02040"


def test():
    h.require_programs("Xwayland", "xlogo", "xev", "xclip", "wl-copy", "wl-paste", "wtype")
    with h.Compositor(size=(1280, 720)) as comp:
        display = comp.query("env").get("DISPLAY")
        h.check(display, f"tranchectl env gives no DISPLAY although Xwayland is installed: {comp.query('env')}")
        x_env = comp.client_env(DISPLAY=display)

        # 1. An X11 window is shown, with its own pixels (Xwayland starts on this first connection).
        xlogo = comp.spawn(["xlogo", "-geometry", "320x240", "-bg", f"#{BACKGROUND}", "-fg", f"#{FOREGROUND}"],
                           env=x_env)
        view = comp.wait_surface(lambda s: s["kind"] == "xwayland" and s["width"] == 320, 20,
                                 "xlogo's window to map through Xwayland")
        h.check(xlogo.poll() is None, f"xlogo exited:\n{xlogo.describe()}")
        box = (view["x"], view["y"], view["width"], view["height"])

        def drawn():
            fraction = h.color_fraction(h.crop(comp.screenshot("xlogo"), *box), h.hex_rgb(BACKGROUND))
            drawn.seen = fraction
            return fraction > 0.5
        drawn.seen = 0.0
        h.wait_until(drawn, 10, "xlogo's background in the screenshot", interval=0.2,
                     details=lambda: f"{drawn.seen:.0%} of its box has the colour")

        # 2. A second X11 window takes the keyboard focus and receives typed keys.
        xev = comp.spawn(["stdbuf", "-oL", "xev", "-geometry", "200x150", "-event", "keyboard"], env=x_env)
        comp.wait_surface(lambda s: s["kind"] == "xwayland" and s["width"] == 200 and s["focused"], 15,
                          "xev's window to map with keyboard focus")
        xev.wait_output("KeymapNotify", 10)  # the keyboard entered the window
        typed = comp.run(["wtype", "-k", "Shift_L", "-s", "200", "q"], timeout=10)
        h.check(typed.returncode == 0, f"wtype failed ({typed.returncode}): {typed.stderr.strip()}")
        xev.wait_output("keysym 0x71, q", 10)

        # 3. X11 -> Wayland: xclip owns CLIPBOARD, wl-paste (a Wayland client) reads it.
        # (xclip and wl-copy fork a child that serves the selection: their output goes to files.)
        copier = comp.spawn(["sh", "-c", "printf from-x11 | xclip -selection clipboard -i"], env=x_env, name="xclip-i")
        h.check(copier.wait(10) == 0, f"xclip -i failed:\n{copier.describe()}")

        def pasted(want, argv, env):
            result = h.run(argv, env, timeout=10)
            pasted.last = f"exit {result.returncode}, {result.stdout!r}, {result.stderr.strip()!r}"
            return result.returncode == 0 and result.stdout == want
        pasted.last = ""
        h.wait_until(lambda: pasted("from-x11", ["wl-paste", "-n"], comp.client_env()), 10,
                     "wl-paste to get the X11 selection", interval=0.2, details=lambda: pasted.last)

        # 4. Wayland -> X11: wl-copy owns the selection, xclip (an X11 client) reads it.
        copier = comp.spawn(["wl-copy", "from-wayland"])
        h.check(copier.wait(10) == 0, f"wl-copy failed:\n{copier.describe()}")
        h.wait_until(lambda: pasted("from-wayland", ["xclip", "-selection", "clipboard", "-o"], x_env), 10,
                     "xclip -o to get the Wayland selection", interval=0.2, details=lambda: pasted.last)

        for process in (xlogo, xev):
            h.check(process.poll() is None, f"an X11 client exited:\n{process.describe()}")
        comp.check_alive("after the X11 clients")


h.main(test)
