"""SIGTERM and SIGINT end tranche with status 0; its clients see the disconnect."""
import signal

import harness as h


def test():
    h.require_programs("weston-simple-shm")
    for sig in (signal.SIGTERM, signal.SIGINT):
        with h.Compositor() as comp:
            shm = comp.spawn(["weston-simple-shm"])
            solid = comp.spawn([h.client("solid-client")])
            for client in (shm, solid):
                comp.wait_surface(lambda s, pid=client.pid: s["pid"] == pid, 10, f"{client.name} to map")
            status = comp.stop(sig, timeout=5)
            h.check(status == 0, f"{sig.name}: exit status {status}, expected 0:\n{comp.process.describe()}")
            shm.wait(5)
            solid.wait(5)
            h.check("disconnected" in solid.stdout(), f"{sig.name}: solid-client did not see a clean disconnect:\n"
                    f"{solid.describe()}")
            if not comp.is_sway:
                leftovers = [p.name for p in (comp.runtime_dir / comp.socket, comp.ipc_path) if p.exists()]
                h.check(not leftovers, f"{sig.name}: sockets left behind: {leftovers}")


h.main(test)
