"""Idle IPC connections cannot lock tranchectl out: with the client limit's
worth of connections held open and silent, tranchectl still gets answers, and
the longest-idle connection is the one closed to make room."""
import socket

import harness as h

LIMIT = 64  # compositor/ipc/ipc.hpp kMaxClients


def test():
    if h.Compositor.kind_requested() == "sway":
        h.skip("tranche's IPC")
    with h.Compositor() as comp:
        held = []
        try:
            for i in range(LIMIT + 8):  # more than the table holds
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(str(comp.ipc_path))
                if i % 2:
                    sock.sendall(b'{"command": "out')  # half a request is no activity either
                held.append(sock)
            for attempt in range(3):
                result = comp.ctl("outputs", timeout=5)
                h.check(result.returncode == 0 and "HEADLESS-1" in result.stdout,
                        f"tranchectl #{attempt} was locked out by idle connections: exit {result.returncode}, "
                        f"{result.stderr.strip()!r}")

            # The first connections made room, one each: they were told why and closed.
            first = held[0]
            first.settimeout(5)
            data = first.recv(4096)
            h.check(b"longest idle" in data, f"the longest-idle connection got {data!r}, not the reason")
            h.check(first.recv(4096) == b"", "the longest-idle connection was not closed")
            newest = held[-1] if (len(held) - 1) % 2 == 0 else held[-2]  # one without half a request
            newest.sendall(b'{"command": "outputs"}\n')
            newest.settimeout(5)
            h.check(b'"ok":true' in newest.recv(65536), "the newest held connection is not served")
        finally:
            for sock in held:
                sock.close()
        comp.check_alive("after the idle connections")


h.main(test)
