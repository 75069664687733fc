"""tranchectl reload with a broken config file fails and changes nothing; a valid
one is applied."""
import harness as h

SCALED = '[[output]]\nname = "*"\nscale = 2\n'
BROKEN = '[[output]]\nname = "*"\nscale = 1\n[keyboard\n'
PLAIN = '[[output]]\nname = "*"\nscale = 1\n'


def scales(comp):
    return [o["scale"] for o in comp.outputs()]


def test():
    if h.Compositor.kind_requested() == "sway":
        h.skip("tranche's reload")
    with h.Compositor(config=SCALED) as comp:
        h.check(scales(comp) == [2], f"the config's scale 2 is not applied: outputs {comp.outputs()}")
        comp.config_path.write_text(BROKEN)
        result = comp.ctl("reload")
        h.check(result.returncode == 1, f"reload of a broken config exited {result.returncode}, expected 1; "
                f"stdout {result.stdout.strip()!r}, stderr {result.stderr.strip()!r}")
        h.check(f"{comp.config_path}:4:" in result.stdout + result.stderr,
                f"the reload error does not name {comp.config_path}:4: {result.stderr.strip()!r}")
        comp.check_alive("after the failed reload")
        h.check(scales(comp) == [2], f"the failed reload changed the outputs: {comp.outputs()}")

        comp.config_path.write_text(PLAIN)
        result = comp.ctl("reload")
        h.check(result.returncode == 0, f"reload of a valid config exited {result.returncode}: {result.stderr.strip()}")
        h.wait_until(lambda: scales(comp) == [1], 5, "the reloaded scale 1 to apply",
                     details=lambda: f"outputs {comp.outputs()}")


h.main(test)
