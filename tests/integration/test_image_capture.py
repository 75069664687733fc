"""ext-image-copy-capture-v1 with grim 1.5: a screenshot of the output goes
through ext-image-copy-capture (not wlr-screencopy), `grim -T IDENTIFIER`
captures one window (its size, its pixels, even when another window covers
it), and while the session is locked a window capture shows no content."""
import signal

import harness as h

RED = "d02020"
BLUE = "2040d0"


def capture(comp, name, *args, debug=False):
    """grim's image (RGB) and its stderr."""
    from PIL import Image
    path = h.artifacts_dir() / f"{name}.png"
    env = comp.client_env(**({"WAYLAND_DEBUG": "1"} if debug else {}))
    result = h.run(["grim", *args, path], env, timeout=20)
    h.check(result.returncode == 0, f"grim {' '.join(args)} failed ({result.returncode}): {result.stderr[-800:]}")
    with Image.open(path) as image:
        return image.convert("RGB"), result.stderr


def test():
    if h.Compositor.kind_requested() == "sway":
        h.skip("tranche's IPC")
    h.require_programs("grim")
    try:
        import PIL  # noqa: F401
    except ImportError:
        h.skip("python3-pil is not installed")
    with h.Compositor(size=(800, 600)) as comp:
        red = comp.spawn([h.client("solid-client"), "--app-id", "red", "--color", RED, "--size", "300x200"],
                         name="red")
        red.wait_output("mapped", 10)
        blue = comp.spawn([h.client("solid-client"), "--app-id", "blue", "--color", BLUE, "--size", "200x150"],
                          name="blue")
        blue.wait_output("mapped", 10)
        red_id = comp.wait_surface(lambda s: s.get("app_id") == "red" and s.get("identifier"), 10,
                                   "the red window's identifier")["identifier"]

        # 1. The output, through ext-image-copy-capture.
        image, log = capture(comp, "capture-output", debug=True)
        ready = [line for line in log.splitlines() if "ext_image_copy_capture_frame_v1#" in line and ".ready(" in line]
        h.check(ready and "zwlr_screencopy_frame_v1#" not in log,
                "grim did not capture the output through ext-image-copy-capture")
        h.check(image.size == (800, 600), f"output capture is {image.size}")
        for colour in (RED, BLUE):
            h.check(h.color_fraction(image, h.hex_rgb(colour)) > 0.03, f"#{colour} missing from the output capture")

        # 2. One window: its size and only its pixels, although blue is stacked over it.
        image, log = capture(comp, "capture-window", "-T", red_id)
        h.check(image.size == (300, 200), f"window capture is {image.size}, the window is 300x200")
        h.check(h.color_fraction(image, h.hex_rgb(RED)) > 0.99,
                f"window capture is {h.color_fraction(image, h.hex_rgb(RED)):.1%} red")
        h.check(h.color_fraction(image, h.hex_rgb(BLUE)) == 0, "the window capture shows the window above it")

        # 3. Locked: a window capture shows nothing of the window.
        locker = comp.spawn([h.client("lock-client"), "--color", "101010"], name="locker")
        locker.wait_output("drawn", 10)
        image, _ = capture(comp, "capture-window-locked", "-T", red_id)
        h.check(h.color_fraction(image, h.hex_rgb(RED)) == 0,
                f"a window capture while locked is {h.color_fraction(image, h.hex_rgb(RED)):.1%} red")
        image, _ = capture(comp, "capture-output-locked")
        h.check(h.color_fraction(image, h.hex_rgb(RED)) == 0 and h.color_fraction(image, h.hex_rgb(BLUE)) == 0,
                "an output capture while locked shows window content")

        # 4. Unlocked: the window's content is back in its capture.
        locker.signal(signal.SIGUSR1)
        locker.wait_output("unlocked", 10)
        h.wait_until(lambda: h.color_fraction(capture(comp, "capture-window-unlocked", "-T", red_id)[0],
                                              h.hex_rgb(RED)) > 0.99, 10, "the window capture after the unlock")
        # A window that went: grim fails cleanly, the compositor lives.
        red.stop()
        h.wait_until(lambda: not any(s.get("app_id") == "red" for s in comp.surfaces()), 10, "the red window gone")
        gone = h.run(["grim", "-T", red_id, h.artifacts_dir() / "capture-gone.png"], comp.client_env(), timeout=20)
        h.check(gone.returncode != 0, "grim captured a window that is gone")
        comp.check_alive("after the captures")


h.main(test)
