"""Clients breaking the protocol, or writing garbage to the Wayland socket, are
disconnected; the compositor and its other clients carry on."""
import re
import socket
import struct
import time

import harness as h

# Raw messages: header = object id, (size << 16) | opcode.
GARBAGE = {
    "wl_display bad opcode": struct.pack("<II", 1, (8 << 16) | 77),
    "unknown object": struct.pack("<III", 4242, (12 << 16) | 0, 0),
    "message shorter than its header": struct.pack("<II", 1, (4 << 16) | 0),
    "wl_display.get_registry with a taken id": struct.pack("<III", 1, (12 << 16) | 1, 1),
}


# bad-client mode: the error it must get (xdg_surface error codes; a destroyed
# object's interface is unknown to the client).
PROTOCOL_ERRORS = {
    "unconfigured-buffer": r"protocol-error xdg_surface 3$",  # unconfigured_buffer
    "defunct-role": r"protocol-error (xdg_surface|unknown) 6$",  # defunct_role_object
}


def hung_up(sock, timeout=5):
    """True when the compositor closes the connection within timeout."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sock.recv(4096):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
    return False


def test():
    h.require_programs("weston-simple-shm")
    with h.Compositor() as comp:
        shm = comp.spawn(["weston-simple-shm"])
        comp.wait_surface(lambda s: s["pid"] == shm.pid, 10, "weston-simple-shm to map")

        for mode, expected in PROTOCOL_ERRORS.items():
            bad = comp.spawn([h.client("bad-client"), mode])
            status = bad.wait(10)
            h.check(status == 0 and re.search(expected, bad.stdout(), re.M),
                    f"bad-client {mode} was not disconnected with /{expected}/:\n{bad.describe()}")
            comp.check_alive(f"after bad-client {mode}")

        for name, data in GARBAGE.items():
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.connect(str(comp.runtime_dir / comp.socket))
                sock.sendall(data)
                h.check(hung_up(sock), f"{name}: the compositor did not close the connection within 5 s")
            comp.check_alive(f"after the {name} garbage")

        h.check(shm.poll() is None, f"weston-simple-shm died meanwhile:\n{shm.describe()}")
        solid = comp.spawn([h.client("solid-client")])
        solid.wait_output("mapped", 10)
        comp.wait_surface(lambda s: s["pid"] == solid.pid, 10, "a new client to map after the bad ones")


h.main(test)
