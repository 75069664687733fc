"""tranche --backend wayland runs as a client of a headless tranche; what its own
client draws shows inside the nested output's window."""
import os
import shlex

import harness as h

COLOR = "e020c0"
NESTED_SIZE = (640, 480)


def nested_command(tmp):
    solid = shlex.join([h.client("solid-client"), "--fullscreen", "--color", COLOR])
    if h.Compositor.kind_requested() == "sway":
        conf = tmp / "nested-sway.conf"
        conf.write_text(f"output * mode {NESTED_SIZE[0]}x{NESTED_SIZE[1]}\nexec {solid}\n")
        return shlex.join(["env", "WLR_BACKENDS=wayland", "WLR_RENDERER=pixman", "sway", "-c", str(conf)])
    config = tmp / "nested-config.toml"
    config.write_text("")
    return shlex.join([h.tranche_binary(), "--backend", "wayland",
                       "--socket", f"tranche-nested-{os.getpid()}",
                       "--output-size", f"{NESTED_SIZE[0]}x{NESTED_SIZE[1]}",
                       "--config", str(config), "--startup", solid])


def test():
    with h.Compositor(size=(1280, 720), startup=[nested_command(h.artifacts_dir())]) as comp:
        out = comp.outputs()[0]
        # The only toplevel of the parent is the nested compositor's output window.
        view = comp.wait_surface(lambda s: s["kind"] == "xdg_toplevel", 20, "the nested compositor's window")
        # solid-client is fullscreen (or at least centred) in the nested output: check
        # the middle of the window, 100x100.
        cx, cy = view["x"] - out["x"] + view["width"] // 2, view["y"] - out["y"] + view["height"] // 2
        box = (cx - 50, cy - 50, 100, 100)
        rgb = h.hex_rgb(COLOR)

        def drawn():
            drawn.fraction = h.color_fraction(h.crop(comp.screenshot("nested"), *box), rgb)
            return drawn.fraction >= 0.98
        drawn.fraction = 0
        h.wait_until(drawn, 15, "the nested client's colour", interval=0.3,
                     details=lambda: f"{drawn.fraction:.1%} of {box}, the middle of the nested window {view}, "
                                     f"is #{COLOR}; screenshot: {h.artifacts_dir() / 'nested.png'}")


h.main(test)
