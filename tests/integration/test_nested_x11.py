"""tranche --backend x11 runs in an X server (Xvfb): one output window whose
pixels, read back from the X server, are what tranche's client drew."""
import os
import shlex
import struct

import harness as h

COLOR = "20c040"
SIZE = (640, 480)


def free_display():
    for number in range(90 + os.getpid() % 300, 1000):
        if not os.path.exists(f"/tmp/.X11-unix/X{number}") and not os.path.exists(f"/tmp/.X{number}-lock"):
            return number
    h.fail("no free X display number")


def read_xwd(data):
    """Pixels of an XWD ZPixmap dump (24 or 32 bits per pixel) as (width, height, rgb list)."""
    fields = struct.unpack(">25I", data[:100])
    header_size, pixmap_format, width, height = fields[0], fields[2], fields[4], fields[5]
    byte_order, bits_per_pixel, bytes_per_line = fields[7], fields[11], fields[12]
    red_mask, green_mask, blue_mask, ncolors = fields[14], fields[15], fields[16], fields[19]
    h.check(pixmap_format == 2 and bits_per_pixel in (24, 32),
            f"unexpected XWD format {pixmap_format}, {bits_per_pixel} bits per pixel")
    pixels = data[header_size + 12 * ncolors:]
    step = bits_per_pixel // 8
    endian = "little" if byte_order == 0 else "big"

    def channel(value, mask):
        return (value & mask) >> ((mask & -mask).bit_length() - 1)

    rgb = []
    for y in range(height):
        row = pixels[y * bytes_per_line:y * bytes_per_line + width * step]
        for x in range(0, len(row), step):
            v = int.from_bytes(row[x:x + step], endian)
            rgb.append((channel(v, red_mask), channel(v, green_mask), channel(v, blue_mask)))
    return width, height, rgb


def test():
    h.require_programs("Xvfb", "xwd")
    number = free_display()
    xvfb = h.Process(["Xvfb", f":{number}", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                     env=dict(os.environ), name="Xvfb")
    try:
        h.wait_until(lambda: os.path.exists(f"/tmp/.X11-unix/X{number}"), 10, "Xvfb's socket")
        display = {"DISPLAY": f":{number}"}
        solid = shlex.join([h.client("solid-client"), "--fullscreen", "--color", COLOR])
        with h.Compositor(backend="x11", size=SIZE, startup=[solid], env=display) as comp:
            out = comp.outputs()[0]
            h.check(out.get("backend") == "x11", f"backend {out.get('backend')!r}, expected x11")
            h.check((out["mode_width"], out["mode_height"]) == SIZE, f"output mode {out}, expected {SIZE}")
            comp.wait_surface(lambda s: s.get("fullscreen"), 15, "the fullscreen client")
            rgb = h.hex_rgb(COLOR)

            def shown():
                raw = h.run_bytes(["xwd", "-root", "-silent"], dict(os.environ, **display), timeout=15)
                width, height, pixels = read_xwd(raw)
                shown.count = sum(1 for p in pixels if all(abs(a - b) <= 2 for a, b in zip(p, rgb)))
                return shown.count >= SIZE[0] * SIZE[1] * 0.98
            shown.count = 0
            h.wait_until(shown, 15, "the client's colour in the X server's framebuffer", interval=0.3,
                         details=lambda: f"{shown.count} pixels of #{COLOR}, want {SIZE[0] * SIZE[1]}")
    finally:
        xvfb.stop()


h.main(test)
