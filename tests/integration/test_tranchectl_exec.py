"""tranchectl env prints tranche's client environment as shell assignments, and
tranchectl exec runs a command detached, in that environment."""
import os
import shlex
import time

import harness as h


def test():
    with h.Compositor() as comp:
        printed = comp.ctl("env")
        h.check(printed.returncode == 0, f"tranchectl env exited {printed.returncode}: {printed.stderr.strip()}")
        assignments = {}
        for line in printed.stdout.splitlines():
            words = shlex.split(line)
            if words[:1] == ["export"] and "=" in words[1]:
                name, value = words[1].split("=", 1)
                assignments[name] = value
            else:
                h.check(words[:1] == ["unset"], f"not a shell assignment: {line!r}")
        h.check(assignments.get("WAYLAND_DISPLAY") == comp.socket,
                f"WAYLAND_DISPLAY {assignments.get('WAYLAND_DISPLAY')!r}, want {comp.socket!r}")
        h.check(assignments.get("TRANCHE_IPC_SOCKET") == str(comp.ipc_path),
                f"TRANCHE_IPC_SOCKET {assignments.get('TRANCHE_IPC_SOCKET')!r}, want {str(comp.ipc_path)!r}")

        # Several words are quoted for the shell, options included; the command
        # sees tranche's environment, not tranchectl's (no WAYLAND_DISPLAY here).
        out = comp.runtime_dir / "exec-out"
        env = {k: v for k, v in comp.client_env().items() if k != "WAYLAND_DISPLAY"}
        result = h.run([os.environ["TRANCHECTL"], "exec", "sh", "-c", f'printf "%s|%s" "$WAYLAND_DISPLAY" "$1" > {out}',
                        "sh", "two words"], env)
        h.check(result.returncode == 0, f"tranchectl exec exited {result.returncode}: {result.stderr.strip()}")
        h.wait_until(lambda: out.exists() and out.read_text(), 5, "the exec'd command to write its file")
        h.check(out.read_text() == f"{comp.socket}|two words", f"the command wrote {out.read_text()!r}")

        # Detached: tranchectl returns at once, the command outlives it.
        started = time.monotonic()
        result = comp.ctl("exec", "--", "sleep 30")
        h.check(result.returncode == 0 and time.monotonic() - started < 5,
                f"tranchectl exec did not return at once ({result.returncode}, {result.stderr.strip()})")

        result = comp.ctl("exec")
        h.check(result.returncode == 2 and "needs a command" in result.stderr,
                f"tranchectl exec without a command: exit {result.returncode}, {result.stderr.strip()!r}")
        comp.check_alive("after exec")


h.main(test)
