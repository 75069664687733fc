"""fifo-v1 and commit-timing-v1 with a real client (tests/clients/timing-client).

fifo: a client that commits as fast as its barriers let it (two commits in
flight, no frame callbacks) gets one new frame per refresh, none replaced
unseen (discarded) and none lost. commit-timing: a frame targeted 1.5 refreshes
after the previous presentation (mid-refresh) is never shown before its target
and is shown at the refresh after it.

Headless has no vblank: wlroots' headless output ticks on a 16 ms timer armed
at each output commit, so its period is 16 ms plus composition time, a little
shorter or longer than the 16.67 ms it reports (bench/README.md). Hence the
bounds: frames presented in S seconds within -10 %/+6 % of S/refresh (+4 % is
the 16 ms timer, the rest start-up and scheduling on a loaded 2-core machine);
a gap of more than 1.5 refreshes, or two frames in one refresh, counted after
the first 10 frames, allowed 3 times in ~180 (a test machine can be descheduled
for a few ms), none of the fifo frames discarded; commit-timing: none early (a
hard property: the compositor must not apply an update before its time), the
median lateness within one refresh and at most 2 frames more than two refreshes late.
"""
import json

import harness as h

SECONDS = 3
WARMUP = 10


def run_client(comp, *args):
    proc = comp.spawn([h.client("timing-client"), *args, "--seconds", str(SECONDS),
                       "--warmup-frames", str(WARMUP)], name="timing-client-" + args[0].lstrip("-"))
    status = proc.wait(SECONDS + 15)
    h.check(status == 0, f"timing-client {' '.join(args)} failed:\n{proc.describe()}")
    try:
        result = json.loads(proc.stdout().strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError) as e:
        h.fail(f"timing-client printed no JSON ({e}):\n{proc.describe()}")
    print(f"timing-client {' '.join(args)}: {json.dumps(result)}", flush=True)
    h.check(result["refresh_ns"] > 0, f"the compositor reported no refresh period: {result}")
    # Presentation feedback says the refresh, headless too (wlroots' headless backend leaves it 0):
    # its tick, the mode's period in whole milliseconds.
    tick_ns = 1_000_000 // round(1e12 / result["mode_refresh_ns"]) * 1_000_000
    h.check(result["feedback_refresh_ns"] == tick_ns,
            f"presentation feedback's refresh is not the headless tick ({tick_ns} ns): {result}")
    return result


def check_fifo(comp):
    r = run_client(comp, "--fifo")
    refresh_ms = r["refresh_ns"] / 1e6
    expected = SECONDS * 1000 / refresh_ms
    iv = r["interval"]
    h.check(r["discarded"] == 0, f"fifo: {r['discarded']} frames were replaced before they were shown: {r}")
    h.check(0.90 * expected <= r["presented"] <= 1.06 * expected,
            f"fifo: {r['presented']} frames presented in {SECONDS} s, expected {expected:.0f} "
            f"(one per {refresh_ms:.2f} ms refresh, -10 %/+6 %): {r}")
    h.check(iv["over_1_5_refresh"] <= 3,
            f"fifo: {iv['over_1_5_refresh']} gaps over 1.5 refreshes (missed refreshes): {r}")
    h.check(iv["same_refresh"] <= 3, f"fifo: {iv['same_refresh']} pairs of frames in one refresh: {r}")
    h.check(abs(iv["median_ms"] - refresh_ms) <= 0.1 * refresh_ms,
            f"fifo: median interval {iv['median_ms']} ms, refresh {refresh_ms:.2f} ms: {r}")


def check_commit_timing(comp):
    r = run_client(comp, "--target-refreshes", "1.5")
    refresh_ms = r["refresh_ns"] / 1e6
    t = r["target"]
    h.check(t["count"] >= SECONDS * 1000 / refresh_ms / 2 * 0.8 - WARMUP,
            f"commit-timing: only {t['count']} targeted frames presented: {r}")
    h.check(t["early"] == 0, f"commit-timing: {t['early']} frames presented before their target: {r}")
    h.check(t["min_ms"] >= 0, f"commit-timing: a frame came {-t['min_ms']} ms early: {r}")
    h.check(t["median_ms"] <= refresh_ms, f"commit-timing: median lateness {t['median_ms']} ms > 1 refresh: {r}")
    # A frame or two of a loaded machine's hiccups, not a rule broken: with ~80 frames p99 is the maximum.
    h.check(t["over_2_refresh"] <= 2, f"commit-timing: {t['over_2_refresh']} frames over 2 refreshes late: {r}")
    h.check(r["discarded"] == 0, f"commit-timing: {r['discarded']} frames discarded: {r}")


def test():
    with h.Compositor(size=(1920, 1080)) as comp:
        check_fifo(comp)
        check_commit_timing(comp)
        timing = comp.query("stats")["timing"]
        print(f"stats timing: {json.dumps(timing)}", flush=True)
        # The compositor held the commits (the client did not just run free).
        h.check(timing["barrier_waits"] > 0, f"no commit waited on a fifo barrier: {timing}")
        h.check(timing["target_waits"] > 0, f"no commit waited for its target time: {timing}")
        h.check(timing["held_now"] == 0, f"updates still held after the clients left: {timing}")
        comp.check_alive("after timing-client")


h.main(test)
