"""Input methods (text-input-v3 <-> input-method-v2): the input method activates
when a window with an enabled text-input gets the keyboard and learns its
surrounding text; its commit and preedit strings reach that window; its popup
is drawn just below the window's cursor rectangle, above the window; a second
input method is refused; another window focused, the input method is
deactivated and its popup gone; its keyboard grab gets keys after the
compositor's bindings (Logo+f still works) and not the keys of its own
virtual keyboard; while locked it is deactivated, gets no keys, and what it
commits reaches no window."""
import signal
import time

import harness as h

EDITOR = "e0e0e0"
POPUP = "00ff00"
CURSOR = (20, 30, 2, 16)  # surface-local cursor rectangle of the text field
POPUP_SIZE = (120, 40)


def count(process, line):
    """How many lines of process's stdout are exactly `line`."""
    return process.stdout().splitlines().count(line)


def test():
    h.require_programs("wtype")
    with h.Compositor(size=(800, 600)) as comp:
        im = comp.spawn([h.client("im-client"), "--grab", "--forward", "--popup", "%dx%d" % POPUP_SIZE,
                         "--color", POPUP], name="im")
        im.wait_output("ready", 10)
        editor = comp.spawn([h.client("text-input-client"), "--app-id", "editor", "--size", "300x200",
                             "--color", EDITOR, "--surrounding", "hello", "--cursor", "%d,%d,%d,%d" % CURSOR],
                            name="editor")
        view = comp.wait_surface(lambda s: s["app_id"] == "editor" and s["focused"], 10, "the editor with focus")

        # 1. Focus: the text-input enters, the input method activates with its state.
        editor.wait_output("text-input enter", 10)
        im.wait_output("activate", 10)
        im.wait_output("surrounding-text hello 5 5", 10)
        im.wait_output("content-type 0 0", 10)

        # 2. Commit and preedit strings reach the window.
        im.signal(signal.SIGUSR1)
        editor.wait_output("commit-string 漢字", 10)
        im.signal(signal.SIGUSR2)
        editor.wait_output("preedit かん 0 6", 10)

        # 3. The popup: below the cursor rectangle, above the window, told where the cursor is.
        px, py = view["x"] + CURSOR[0], view["y"] + CURSOR[1] + CURSOR[3]

        def popup_drawn():
            image = comp.screenshot("popup")
            return h.color_fraction(h.crop(image, px, py, *POPUP_SIZE), h.hex_rgb(POPUP)) > 0.98
        h.wait_until(popup_drawn, 10, f"the input method popup at {px},{py}", interval=0.2)
        image = comp.screenshot("popup-around")
        h.check(h.color_fraction(h.crop(image, px, py - 8, POPUP_SIZE[0], 8), h.hex_rgb(POPUP)) == 0,
                "the popup reaches above the cursor rectangle's bottom")
        im.wait_output(f"popup-rectangle 0 {-CURSOR[3]} {CURSOR[2]} {CURSOR[3]}", 10)

        # 4. A second input method for the seat is unavailable.
        second = comp.spawn([h.client("im-client")], name="second-im")
        h.check(second.wait(10) == 3 and "unavailable" in second.stdout(),
                f"a second input method was not refused:\n{second.describe()}")

        # 5. The grab gets typed keys and forwards them on its own virtual keyboard
        #    (which must not come back into the grab); bindings go first.
        mark_im, mark_editor = len(im.stdout()), len(editor.stdout())
        typed = comp.run(["wtype", "x"], timeout=10)
        h.check(typed.returncode == 0, f"wtype failed: {typed.stderr.strip()}")
        h.wait_until(lambda: "grab-key" in im.stdout()[mark_im:], 10, "the grab to get the key")
        h.wait_until(lambda: " pressed" in editor.stdout()[mark_editor:], 10,
                     "the key the input method forwarded to reach the editor")
        time.sleep(0.5)
        grabbed = im.stdout()[mark_im:].count(" pressed")
        h.check(grabbed == 1, f"the grab got {grabbed} presses for one key (its own virtual keyboard looped back?)")
        mark_im = len(im.stdout())
        typed = comp.run(["wtype", "-M", "logo", "f", "-m", "logo"], timeout=10)
        h.check(typed.returncode == 0, f"wtype failed: {typed.stderr.strip()}")
        comp.wait_surface(lambda s: s["id"] == view["id"] and s["fullscreen"], 10,
                          "Logo+f to make the editor fullscreen despite the grab")
        # The binding took the key before the grab: the input method never saw it
        # (were it forwarded back, the binding would work anyway, through its keyboard).
        h.check(" pressed" not in im.stdout()[mark_im:],
                f"the grab got the binding's key: {im.stdout()[mark_im:].splitlines()}")
        comp.run(["wtype", "-M", "logo", "f", "-m", "logo"], timeout=10)
        comp.wait_surface(lambda s: s["id"] == view["id"] and not s["fullscreen"], 10, "the editor back from fullscreen")

        # 6. Another window focused: leave, deactivate, no popup.
        other = comp.spawn([h.client("solid-client"), "--app-id", "other", "--size", "200x150"], name="other")
        comp.wait_surface(lambda s: s["app_id"] == "other" and s["focused"], 10, "the other window with focus")
        editor.wait_output("text-input leave", 10)
        im.wait_output("deactivate", 10)
        h.wait_until(lambda: h.color_fraction(comp.screenshot("unfocused"), h.hex_rgb(POPUP)) == 0, 5,
                     "the popup to go with the focus", interval=0.2)
        mark = len(editor.stdout())
        im.signal(signal.SIGUSR1)
        h.wait_until(lambda: im.stdout().count("sent commit") == 2, 10, "the input method to commit again")
        time.sleep(0.5)
        h.check("commit-string" not in editor.stdout()[mark:], "a commit reached a window without focus")

        # Back to the editor (the other window closes): active again.
        other.stop()
        comp.wait_surface(lambda s: s["id"] == view["id"] and s["focused"], 10, "the editor to get focus back")
        h.wait_until(lambda: count(im, "activate") == 2 and count(im, "deactivate") == 1, 10,
                     "the input method to activate again")

        # 7. Locked: deactivated, no keys to the grab, commits reach nobody.
        locker = comp.spawn([h.client("lock-client"), "--color", "2040ff"], name="locker")
        locker.wait_output("drawn", 10)
        h.wait_until(lambda: count(im, "deactivate") == 2, 10, "the input method to deactivate on lock")
        h.wait_until(lambda: count(editor, "text-input leave") == 2, 10, "the editor's text-input to leave")
        mark_im, mark_editor = len(im.stdout()), len(editor.stdout())
        typed = comp.run(["wtype", "-k", "Shift_L", "-s", "100", "y"], timeout=10)
        h.check(typed.returncode == 0, f"wtype failed: {typed.stderr.strip()}")
        h.wait_until(lambda: " pressed" in locker.stdout(), 10, "the locker to get the key")
        im.signal(signal.SIGUSR1)
        im.signal(signal.SIGUSR2)
        h.wait_until(lambda: "sent preedit" in im.stdout()[mark_im:], 10, "the input method to try while locked")
        time.sleep(0.5)
        h.check("grab-key" not in im.stdout()[mark_im:], "the input method's grab got a key while locked")
        leaked = [line for line in editor.stdout()[mark_editor:].splitlines()
                  if line.startswith(("commit-string", "preedit", "key "))]
        h.check(not leaked, f"while locked the editor got: {leaked}")
        h.check(h.color_fraction(comp.screenshot("locked"), h.hex_rgb(POPUP)) == 0, "the popup shows while locked")

        # Unlocked: the editor's text-input and the input method come back.
        locker.signal(signal.SIGUSR1)
        locker.wait_output("unlocked", 10)
        h.wait_until(lambda: count(im, "deactivate") == 2 and count(im, "activate") == 3, 10,
                     "the input method to activate after the unlock")
        comp.check_alive()


h.main(test)
