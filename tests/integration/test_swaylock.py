"""swaylock locks a headless tranche: its colour covers the output, the window
under it is not shown and gets no keys; killed, it leaves the session locked
until another locker (ours) unlocks it."""
import signal

import harness as h

WINDOW = "e0a030"
LOCK = "3050c0"


def test():
    h.require_programs("swaylock", "wtype")
    with h.Compositor(size=(640, 480)) as comp:
        window = comp.spawn([h.client("solid-client"), "--color", WINDOW, "--size", "300x200", "--print-keys",
                             "--app-id", "victim"])
        comp.wait_surface(lambda s: s["app_id"] == "victim" and s["focused"], 10, "the window to map with focus")
        # The window binds its wl_keyboard only once wtype's virtual keyboard
        # exists: wtype waits a little, and a lost first try is typed again.
        for _ in range(3):
            h.check(comp.run(["wtype", "-s", "400", "-k", "Shift_L", "x"], timeout=10).returncode == 0, "wtype failed")
            if h.eventually(lambda: " pressed" in window.stdout(), 3):
                break
        else:
            h.fail(f"the window got no key before the lock in 3 tries:\n{window.stdout()}")

        swaylock = comp.spawn(["swaylock", "--color", LOCK, "--no-unlock-indicator"], name="swaylock")
        h.wait_until(lambda: comp.query("session-lock")["state"] == "locked", 10, "swaylock to lock",
                     details=swaylock.describe)

        def covered():
            image = comp.screenshot("swaylock")
            covered.seen = (h.color_fraction(image, h.hex_rgb(WINDOW)), h.color_fraction(image, h.hex_rgb(LOCK), 4))
            return covered.seen[0] == 0 and covered.seen[1] > 0.99
        covered.seen = None
        h.wait_until(covered, 10, "swaylock's colour to cover the output", interval=0.2,
                     details=lambda: f"window {covered.seen[0]:.2%}, lock colour {covered.seen[1]:.2%}")
        mark = len(window.stdout())
        h.check(comp.run(["wtype", "secret"], timeout=10).returncode == 0, "wtype failed")
        h.check(window.stdout()[mark:].count(" pressed") == 0, "keys typed into swaylock reached the window")

        swaylock.signal(signal.SIGKILL)
        h.wait_until(lambda: comp.query("session-lock")["state"] == "abandoned", 5, "the lock to stay, abandoned")
        image = comp.screenshot("killed")
        h.check(h.color_fraction(image, h.hex_rgb(WINDOW)) == 0, "the window shows after swaylock was killed")

        unlocker = comp.spawn([h.client("lock-client")], name="unlocker")
        unlocker.wait_output("drawn", 10)
        unlocker.signal(signal.SIGUSR1)
        unlocker.wait_output("unlocked", 10)
        h.wait_until(lambda: h.color_fraction(comp.screenshot("unlocked"), h.hex_rgb(WINDOW)) > 0.05, 5,
                     "the window to show again after the new locker unlocked")
        comp.check_alive()


h.main(test)
