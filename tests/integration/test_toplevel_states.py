"""Fullscreen and maximized, requested before the first commit or once mapped,
show in the configure the client gets and in 'surfaces'."""
import harness as h

CASES = [  # (solid-client flags, state key in 'surfaces')
    (["--fullscreen"], "fullscreen"),
    (["--fullscreen", "--late"], "fullscreen"),
    (["--maximized"], "maximized"),
    (["--maximized", "--late"], "maximized"),
]


def test():
    problems = []
    for flags, state in CASES:
        if state == "maximized" and h.Compositor.kind_requested() == "sway":
            continue  # sway has no maximize
        with h.Compositor(size=(1280, 720)) as comp:
            out = comp.outputs()[0]
            client = comp.spawn([h.client("solid-client"), *flags])
            client.wait_output("mapped", 10)

            want = (out["x"], out["y"], out["width"], out["height"])

            def in_state():
                s = next((s for s in comp.surfaces() if s["pid"] == client.pid), None)
                if not s or not s[state]:
                    return None
                # The state is set at once, the size once the client has drawn it.
                if state == "fullscreen" and (s["x"], s["y"], s["width"], s["height"]) != want:
                    return None
                return s
            try:
                h.wait_until(in_state, 5, f"'surfaces' to report {state}" +
                             (f" at {want}" if state == "fullscreen" else ""))
            except h.TestFailure as e:
                problems.append(f"solid-client {' '.join(flags)}: {e}; surfaces: {comp.surfaces()}")
                continue
            if state == "fullscreen":
                if f"configure {out['width']} {out['height']}" not in client.stdout():
                    problems.append(f"solid-client {' '.join(flags)}: no {out['width']}x{out['height']} configure: "
                                    f"{client.stdout()!r}")
    h.check(not problems, "\n".join(problems))


h.main(test)
