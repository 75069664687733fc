"""ext-session-lock-v1, tested as an attacker would: while locked no window
content is on any output (screenshots) and typed keys reach only the locker;
a second lock is refused; a layer-shell overlay, a new window and a popup
mapped while locked stay hidden and get no keys; a new output shows no
content; a locker that is killed, or crashes mid-lock, leaves the session
locked and a new locker can take over; only unlock_and_destroy unlocks."""
import signal

import harness as h

WINDOW = "e0a030"
ATTACK = "30e0a0"
LOCK = "2040ff"
ABANDONED = (0x59, 0, 0)  # compositor/session_lock.cpp kAbandonedColour
SIZE = (640, 480)


def presses(process, since=0):
    """Key presses a client printed after stdout offset `since` (wtype gives each
    character a keycode of its own keymap, so only presses are counted)."""
    return process.stdout()[since:].count(" pressed")


def test():
    h.require_programs("wtype")
    with h.Compositor(size=SIZE) as comp:
        def state():
            return comp.query("session-lock")

        def content_fraction(image):
            return max(h.color_fraction(image, h.hex_rgb(WINDOW)), h.color_fraction(image, h.hex_rgb(ATTACK)))

        def type_key(char):
            result = comp.run(["wtype", "-k", "Shift_L", "-s", "100", char], timeout=10)
            h.check(result.returncode == 0, f"wtype failed ({result.returncode}): {result.stderr.strip()}")

        def no_content(what):
            image = comp.screenshot(what.replace(" ", "-"))
            h.check(content_fraction(image) == 0,
                    f"{what}: {content_fraction(image):.2%} of the screen shows window content while locked")
            return image

        window = comp.spawn([h.client("solid-client"), "--color", WINDOW, "--size", "300x200", "--print-keys",
                             "--app-id", "victim"])
        comp.wait_surface(lambda s: s["app_id"] == "victim" and s["focused"], 10, "the window to map with focus")
        type_key("a")  # wtype's virtual keyboard is the seat's first: keyboard-enter comes now
        h.wait_until(lambda: presses(window), 10, "the window to get a key before the lock")
        h.wait_until(lambda: content_fraction(comp.screenshot("before")) > 0.1, 5, "the window to be drawn")

        # 1. Lock: the window loses the keyboard, the screen shows only the locker.
        locker = comp.spawn([h.client("lock-client"), "--color", LOCK], name="locker")
        locker.wait_output("drawn", 10)
        h.check(state()["state"] == "locked", f"not locked: {state()}")
        h.wait_until(lambda: "keyboard-leave" in window.stdout(), 5, "the window to lose the keyboard")

        def lock_shown():
            image = no_content("locked")
            return h.color_fraction(image, h.hex_rgb(LOCK)) > 0.99
        h.wait_until(lock_shown, 5, "the lock surface to cover the output", interval=0.2)
        mark = len(window.stdout())
        type_key("b")
        h.wait_until(lambda: presses(locker), 10, "the locker to get the key typed while locked")
        h.check(presses(window, mark) == 0, "a key typed while locked reached the window")

        # 2. A second lock is refused with `finished`; the first stays.
        second = comp.spawn([h.client("lock-client"), "--color", ATTACK], name="second-locker")
        h.check(second.wait(10) == 3 and "finished" in second.stdout(),
                f"a second lock was not refused:\n{second.describe()}")
        h.check(state()["refused"] == 1 and state()["state"] == "locked", f"after the second lock: {state()}")

        # 3. What an attacker maps while locked stays hidden and gets no keys.
        overlay = comp.spawn([h.client("layer-client"), "--layer", "overlay", "--anchor", "top,bottom,left,right",
                              "--size", "0x0", "--color", ATTACK, "--namespace", "attack"], name="overlay")
        overlay.wait_output("mapped", 10)
        intruder = comp.spawn([h.client("solid-client"), "--color", ATTACK, "--size", "200x150", "--print-keys",
                               "--app-id", "intruder"], name="intruder")
        intruder.wait_output("mapped", 10)
        popup = comp.spawn([h.client("popup-client"), "--size", "200x150", "--popup", "100x100"], name="popup")
        popup.wait_output("toplevel", 10)
        no_content("attackers mapped")
        mark, locker_mark = len(window.stdout()), len(locker.stdout())
        type_key("c")
        h.wait_until(lambda: presses(locker, locker_mark), 10, "the locker to get the next key")
        h.check(presses(window, mark) == 0 and presses(intruder) == 0, "a window got a key while locked")
        h.check("keyboard-enter" not in intruder.stdout(), "a window mapped while locked got the keyboard")

        # 4. An output plugged in while locked shows no content either.
        created = comp.query_args("create-output", width=SIZE[0], height=SIZE[1])
        h.wait_until(lambda: len(comp.outputs()) == 2, 5, "the new output")
        h.wait_until(lambda: locker.stdout().count("configure") >= 2, 5,
                     f"the locker to get a lock surface for {created['name']}")
        no_content("new output")

        # 5. The locker is killed: the session stays locked, shows the abandoned colour.
        locker.signal(signal.SIGKILL)
        h.wait_until(lambda: state()["state"] == "abandoned", 5, "the lock to be abandoned")

        def abandoned_shown():
            return h.color_fraction(no_content("abandoned"), ABANDONED, tolerance=2) > 0.99
        h.wait_until(abandoned_shown, 5, "the abandoned colour on every output", interval=0.2)
        mark = len(window.stdout()), len(intruder.stdout())
        type_key("d")
        comp.check_alive("after a key with nobody to receive it")
        h.check(presses(window, mark[0]) == 0 and presses(intruder, mark[1]) == 0,
                "a key typed while the lock was abandoned reached a window")

        # 6. A new locker takes over, and crashes mid-lock: still locked.
        crasher = comp.spawn([h.client("lock-client"), "--color", LOCK, "--crash"], name="crasher")
        crasher.wait_output("drawn", 10)
        crasher.wait(10)
        h.wait_until(lambda: state()["state"] == "abandoned" and state()["abandoned"] == 2, 5,
                     "the crashed locker's lock to be abandoned")
        no_content("after the crash")

        # 7. A third locker takes over and unlocks: the window is back, with the keyboard.
        for attacker in (intruder, popup, overlay):
            attacker.stop()
        h.wait_until(lambda: [s["app_id"] for s in comp.surfaces()] == ["victim"], 5, "only the window to be left")
        unlocker = comp.spawn([h.client("lock-client"), "--color", LOCK], name="unlocker")
        unlocker.wait_output("drawn", 10)
        h.check(state()["locks"] == 3, f"{state()}")
        unlocker.signal(signal.SIGUSR1)
        unlocker.wait_output("unlocked", 10)
        h.wait_until(lambda: state()["state"] == "unlocked", 5, "the session to unlock")
        h.wait_until(lambda: content_fraction(comp.screenshot("unlocked")) > 0.05, 5, "the windows to show again")
        comp.wait_surface(lambda s: s["app_id"] == "victim" and s["focused"], 5, "the window to get the keyboard back")
        mark = len(window.stdout())
        type_key("a")
        h.wait_until(lambda: presses(window, mark), 10, "the window to get keys after the unlock")
        comp.check_alive("after the lock tests")


h.main(test)
