"""weston-simple-shm runs for 5 s without running out of buffers."""
import time

import harness as h


def test():
    h.require_programs("weston-simple-shm")
    with h.Compositor() as comp:
        shm = comp.spawn(["weston-simple-shm"])
        comp.wait_surface(lambda s: s["pid"] == shm.pid, 10, "weston-simple-shm to map")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            h.check(shm.poll() is None, f"weston-simple-shm died on its own:\n{shm.describe()}")
            time.sleep(0.1)
        shm.stop()
        output = shm.stdout() + shm.stderr()
        h.check("Both buffers busy" not in output, f"weston-simple-shm ran out of buffers:\n{shm.describe()}")
        comp.check_alive("after weston-simple-shm")


h.main(test)
