"""An invalid config file stops tranche at start-up with exit status 1 and a
message naming "FILE:LINE:" (and the key, when there is one); no crash."""
import harness as h

# name: (file text, line of the error, key the message names or None)
CASES = {
    "syntax": ("# tranche test: a broken config\n\n[keyboard\nlayout = \"us\"\n", 3, None),
    "unterminated string": ("# tranche test\nterminal = \"foot\n", 2, None),
    "duplicate key": ("terminal = \"foot\"\nterminal = \"foot\"\n", 2, None),
    "out of range": ("[keyboard]\nlayout = \"us\"\nrepeat-rate = 2000\n", 3, "keyboard.repeat-rate"),
    "wrong type": ("terminal = \"foot\"\nstartup = 42\n", 2, "startup"),
    "unknown key": ("\n\nno-such-setting = true\n", 3, "no-such-setting"),
}


def test():
    if h.Compositor.kind_requested() == "sway":
        h.skip("tranche's own start-up checks")
    tmp = h.artifacts_dir()
    problems = []
    for name, (text, line, key) in CASES.items():
        path = tmp / f"{name.replace(' ', '-')}.toml"
        path.write_text(text)
        result = h.run_tranche(["--backend", "headless", "--socket", f"bad-config-{path.stem}",
                                "--config", str(path)])
        where = f"{path}:{line}:"
        named = [l for l in result.stderr.splitlines() if where in l]
        if result.returncode != 1:
            problems.append(f"{name}: exit status {result.returncode}, expected 1; stderr: {result.stderr[-1500:]!r}")
        elif not named:
            problems.append(f"{name}: no stderr line names {where!r}; stderr: {result.stderr[-1500:]!r}")
        elif key and key not in named[0]:
            problems.append(f"{name}: the message does not name the key {key!r}: {named[0]!r}")

    missing = tmp / "does-not-exist.toml"
    result = h.run_tranche(["--backend", "headless", "--socket", "bad-config-missing", "--config", str(missing)])
    if result.returncode != 1 or str(missing) not in result.stderr:
        problems.append(f"missing file: exit status {result.returncode} (expected 1), stderr {result.stderr[-1500:]!r} "
                        f"should name {missing}")
    h.check(not problems, "\n".join(problems))


h.main(test)
