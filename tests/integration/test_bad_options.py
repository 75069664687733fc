"""Unknown or invalid command-line options: usage on stderr, exit status 2."""
import harness as h

BAD = [
    ["--no-such-option"],
    ["--backend", "no-such-backend"],
    ["--backend", "headless", "--headless-outputs", "many"],
    ["--backend", "headless", "--output-size", "1280"],
    ["--backend"],
]


def test():
    if h.Compositor.kind_requested() == "sway":
        h.skip("tranche's own option parsing")
    problems = []
    for args in BAD:
        result = h.run_tranche(args)
        if result.returncode != 2:
            problems.append(f"{args}: exit status {result.returncode}, expected 2; stderr: {result.stderr[-800:]!r}")
        elif "usage" not in result.stderr.lower():
            problems.append(f"{args}: no usage on stderr: {result.stderr[-800:]!r}")
    result = h.run_tranche(["--help"])
    if result.returncode != 0 or "--backend" not in result.stdout:
        problems.append(f"--help: exit status {result.returncode}, stdout {result.stdout[-800:]!r} (expected 0 and "
                        f"a text naming --backend)")
    h.check(not problems, "\n".join(problems))


h.main(test)
