#!/usr/bin/env python3
"""VM test: fuzz-syncobj (tests/fuzz/fuzz_syncobj.cpp) on vkms' timeline syncobjs.

Off the VM, the fuzz suite's fuzz-syncobj skips: the host has no DRM device with
syncobjs. Here (tools/vm/vm run --vkms-syncobj) it runs for real, on vkms' card:
  - the replay of tests/fuzz/corpus/syncobj (seeds and past crashes) with this
    build's fuzz-syncobj-replay;
  - when the fuzz lane's build exists (BUILDDIR-fuzz, or $TRANCHE_FUZZ_BUILDDIR:
    clang, libFuzzer, ASan+UBSan; `tools/dev test --fuzz` makes it) and is not
    older than this build's replay, libFuzzer for $TRANCHE_FUZZ_SECONDS
    (default 45) from that corpus. New inputs go to
    FUZZBUILD/fuzz-work/syncobj-vm/new, a crash to FUZZBUILD/fuzz-work/syncobj-vm/crash-*
    (the build is shared with the host): fix it, then copy it into the corpus.
A longer run: tools/vm/fuzz-syncobj SECONDS.
"""

import os
import pathlib
import subprocess
import sys

from vmlib import Tap, builddir, drm_card

TOP = pathlib.Path(__file__).resolve().parents[2]
CORPUS = TOP / "tests/fuzz/corpus/syncobj"
SECONDS = int(os.environ.get("TRANCHE_FUZZ_SECONDS", "45"))


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def main():
    tap = Tap()
    build = builddir()
    fuzz_build = pathlib.Path(os.environ.get("TRANCHE_FUZZ_BUILDDIR") or f"{build}-fuzz")
    card, _ = drm_card("vkms")
    env = dict(os.environ, TRANCHE_FUZZ_DRM=card, TRANCHE_FUZZ_VERBOSE="1")
    tap.diag(f"explicit sync on {card}")

    replay = build / "tests/fuzz/fuzz-syncobj-replay"
    r = subprocess.run([str(replay), str(CORPUS)], env=env, capture_output=True, text=True, timeout=600)
    out = r.stderr + r.stdout
    inputs = sum(1 for line in out.splitlines() if line.startswith("replay: ") and "bytes)" in line)
    errors = sum(1 for line in out.splitlines() if line.startswith("fuzz-syncobj: error wp_"))
    tap.ok(r.returncode == 0, f"replay of the corpus: {inputs} inputs, {errors} ended in the spec's error",
           None if r.returncode == 0 else f"exit {r.returncode}\n{tail(out)}")

    fuzzer = fuzz_build / "tests/fuzz/fuzz-syncobj"
    if not fuzzer.exists():
        tap.skip("libFuzzer", f"no fuzz build ({fuzzer}; tools/dev test --fuzz makes it)")
        tap.done()
    # tools/dev test runs this (main lane) before the fuzz lane rebuilds
    # BUILDDIR-fuzz: a fuzzer linked before this build's replay may be of
    # older sources, and would fuzz code that is no longer there.
    if fuzzer.stat().st_mtime < replay.stat().st_mtime:
        tap.skip("libFuzzer", f"{fuzzer} is older than {replay}: tools/dev test --fuzz rebuilds it")
        tap.done()
    work = fuzz_build / "fuzz-work/syncobj-vm"
    (work / "new").mkdir(parents=True, exist_ok=True)
    env.pop("TRANCHE_FUZZ_VERBOSE")
    env["ASAN_OPTIONS"] = "detect_leaks=0:halt_on_error=1:abort_on_error=1"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:abort_on_error=1:print_stacktrace=1"
    # -max_len, -len_control: an input is a list of operations, longer than the seeds.
    argv = [str(fuzzer), f"-max_total_time={SECONDS}", "-timeout=20", "-rss_limit_mb=1536", "-max_len=1024",
            "-len_control=0", "-error_exitcode=1", "-print_final_stats=1", f"-artifact_prefix={work}/", str(work / "new"), str(CORPUS)]
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=SECONDS + 300)
    out = r.stderr + r.stdout
    stats = {}
    for line in out.splitlines():
        if line.startswith("stat::"):
            key, _, value = line[len("stat::"):].partition(":")
            stats[key.strip()] = value.strip()
    cov = [line for line in out.splitlines() if " cov: " in line]
    tap.diag(cov[-1] if cov else "no coverage line")
    crashes = sorted(str(p) for p in work.glob("crash-*")) + sorted(str(p) for p in work.glob("timeout-*"))
    tap.ok(r.returncode == 0,
           f"libFuzzer {SECONDS}s: {stats.get('number_of_executed_units', '?')} runs, "
           f"{stats.get('new_units_added', '?')} new inputs",
           None if r.returncode == 0 else f"exit {r.returncode}; {' '.join(crashes)}\n{tail(out, 60)}")
    tap.done()


if __name__ == "__main__":
    sys.exit(main())
