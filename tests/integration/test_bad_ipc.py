"""Malformed IPC requests get an error reply; the compositor keeps answering."""
import json

import harness as h

BAD_REQUESTS = {
    "garbage": b"this is not json\n",
    "truncated JSON": b'{"command": "outputs"\n',
    "array": b'["outputs"]\n',
    "string": b'"outputs"\n',
    "number": b"42\n",
    "no command": b'{"args": {}}\n',
    "command not a string": b'{"command": 42}\n',
    "unknown command": b'{"command": "no-such-command"}\n',
    "args not an object": b'{"command": "outputs", "args": [1, 2]}\n',
    "binary": bytes(b for b in range(256) if b != 10) + b"\n",
    "huge line": b'{"command": "' + b"x" * 200_000 + b'"}\n',
}


def reply_ok(lines):
    return bool(lines) and json.loads(lines[0]).get("ok") is True


def test():
    if h.Compositor.kind_requested() == "sway":
        h.skip("tranche's IPC")
    with h.Compositor() as comp:
        # A client that sends half a request and stays silent must not block others.
        import socket
        idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        idle.connect(str(comp.ipc_path))
        idle.sendall(b'{"command": "out')
        try:
            for name, data in BAD_REQUESTS.items():
                lines = comp.ipc_lines(data)
                h.check(lines, f"{name}: no reply to {data[:60]!r}")
                try:
                    reply = json.loads(lines[0])
                except json.JSONDecodeError:
                    h.fail(f"{name}: the reply is not JSON: {lines[0][:300]!r}")
                h.check(isinstance(reply, dict) and reply.get("ok") is False and isinstance(reply.get("error"), str),
                        f"{name}: expected {{\"ok\": false, \"error\": ...}}, got {lines[0][:300]!r}")
                comp.check_alive(f"after the {name} request")
                h.check(reply_ok(comp.ipc_lines(b'{"command": "outputs"}\n')),
                        f"'outputs' failed after the {name} request")

            # Several requests on one connection, bad between good: one reply each, in order.
            lines = comp.ipc_lines(b'{"command": "outputs"}\nnonsense\n{"command": "outputs"}\n')
            oks = [json.loads(line).get("ok") for line in lines]
            h.check(oks == [True, False, True], f"pipelined good/bad/good requests got {oks}: {lines}")

            unknown = comp.ctl("no-such-command")
            h.check(unknown.returncode == 1,
                    f"tranchectl no-such-command exited {unknown.returncode}, expected 1: {unknown.stderr.strip()}")
            h.check(comp.outputs(), "no outputs after the malformed requests")
        finally:
            idle.close()


h.main(test)
