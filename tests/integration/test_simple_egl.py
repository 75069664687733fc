"""weston-simple-egl maps and keeps running for 3 s."""
import time

import harness as h


def test():
    h.require_programs("weston-simple-egl")
    with h.Compositor() as comp:
        egl = comp.spawn(["weston-simple-egl"])
        comp.wait_surface(lambda s: s["pid"] == egl.pid, 15, "weston-simple-egl to map")
        time.sleep(3)
        h.check(egl.poll() is None, f"weston-simple-egl died on its own:\n{egl.describe()}")
        egl.stop()
        comp.check_alive("after weston-simple-egl")


h.main(test)
