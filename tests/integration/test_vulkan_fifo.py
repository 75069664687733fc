"""Vulkan FIFO through Mesa's Wayland WSI: vkcube on lavapipe (a wl_shm swapchain).

Mesa (26.1) binds wp_fifo_manager_v1 and, per vkQueuePresentKHR in FIFO mode,
commits the image with set_barrier + wait_barrier. Where presentation feedback
carries a refresh (weston) it also sets a commit-timing target and adds an
empty commit that only waits for the barrier; tranche's headless feedback has
refresh 0, so here it does neither. The client side is read from
WAYLAND_DEBUG=1 (vkcube's stderr; libwayland stamps it HH:MM:SS.µs). After a
warm-up of WARMUP_S, over the rest of the run:
  - content commits (those with an attach) come once per refresh: their
    interval median within 15 % of the refresh; the count within -15 %/+8 % of
    the time over the refresh (headless ticks a little faster than the 60 Hz
    it reports, and a slow frame of lavapipe's is the client's, not a missed latch);
  - presentations (wp_presentation feedback): two of the content updates
    shown in one refresh (< 0.5 refresh apart: one was dropped, which FIFO
    forbids) never; a gap of 2 refreshes or more (a refresh showed the old
    image again) at most in 2 % of the intervals, for the same reason;
  - nothing discarded: FIFO shows every image;
  - tranchectl stats: the compositor held commits on fifo barriers.
The bounds on commits and gaps allow for lavapipe and vkcube sharing two
loaded cores with the compositor; dropped and discarded images have no
such excuse.
"""
import json
import re
import statistics
import time
from pathlib import Path

import harness as h

RUN_S = 10
WARMUP_S = 1.0
LAVAPIPE_ICD = Path("/usr/share/vulkan/icd.d/lvp_icd.json")

LINE = re.compile(r"^\[([0-9:.]+)\]\s*(?:\{[^}]*\}\s*)?(->)?\s*([A-Za-z_0-9]+)#(\d+)\.([A-Za-z_0-9]+)\((.*)\)\s*$")


def stamp_ms(text):
    """libwayland's debug timestamp: "HH:MM:SS.micro" (1.23+) or milliseconds."""
    if ":" in text:
        hh, mm, ss = text.split(":")
        return (int(hh) * 3600 + int(mm) * 60 + float(ss)) * 1000
    return float(text)


def parse_log(text):
    """Requests and events of the client log, in order: (ms, sent, interface, id, name, args)."""
    out = []
    last = None
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        ms = stamp_ms(m.group(1))
        if last is not None and ms < last - 43_200_000:  # past midnight
            ms += 86_400_000
        last = ms
        out.append((ms, m.group(2) == "->", m.group(3), int(m.group(4)), m.group(5), m.group(6)))
    return out


def intervals(xs):
    return [b - a for a, b in zip(xs, xs[1:])]


def test():
    h.require_programs("vkcube")
    if not LAVAPIPE_ICD.exists():
        h.skip(f"{LAVAPIPE_ICD} is missing (mesa-vulkan-drivers)")
    with h.Compositor(size=(1920, 1080)) as comp:
        # The output's mode until the feedback says otherwise.
        refresh_mhz = comp.outputs()[0].get("refresh_mhz") or 60000
        refresh_ms = 1e6 / refresh_mhz
        env = comp.client_env(WAYLAND_DEBUG="1", VK_DRIVER_FILES=str(LAVAPIPE_ICD),
                              VK_ICD_FILENAMES=str(LAVAPIPE_ICD))
        cube = comp.spawn(["vkcube", "--wsi", "wayland", "--present_mode", "2"], name="vkcube", env=env)
        comp.wait_surface(lambda s: s["pid"] == cube.pid, 20, "vkcube to map")
        deadline = time.monotonic() + RUN_S
        while time.monotonic() < deadline:
            h.check(cube.poll() is None, f"vkcube died:\n{cube.describe()}")
            time.sleep(0.1)
        stats = comp.query("stats")
        cube.stop()
        comp.check_alive("after vkcube")

        log = parse_log(cube.stderr())
        h.check(log, f"no WAYLAND_DEBUG lines from vkcube:\n{cube.describe()}")
        bound = [e for e in log if e[1] and e[4] == "bind" and '"wp_fifo_manager_v1"' in e[5]]
        h.check(bound, "Mesa never bound wp_fifo_manager_v1")
        sent = lambda iface, name: [e for e in log if e[1] and e[2] == iface and e[4] == name]
        h.check(sent("wp_fifo_manager_v1", "get_fifo"), "Mesa made no wp_fifo_v1")
        h.check(sent("wp_fifo_v1", "set_barrier") and sent("wp_fifo_v1", "wait_barrier"),
                "Mesa used neither set_barrier nor wait_barrier")

        # Content commits: a commit of a surface after an attach to it.
        attached, content = set(), []
        for ms, is_req, iface, oid, name, args in log:
            if is_req and iface == "wl_surface" and name == "attach":
                attached.add(oid)
            elif is_req and iface == "wl_surface" and name == "commit" and oid in attached:
                attached.discard(oid)
                content.append(ms)
        h.check(len(content) > 10, f"only {len(content)} content commits")
        start = content[0] + WARMUP_S * 1000
        measured = [t for t in content if t >= start]
        span_ms = measured[-1] - measured[0] if len(measured) > 1 else 0
        commit_iv = intervals(measured)

        presented = []
        for ms, is_req, iface, oid, name, args in log:
            if not is_req and iface == "wp_presentation_feedback" and name == "presented" and ms >= start:
                hi, lo, nsec, refresh = (int(x) for x in args.split(",")[:4])
                presented.append(((hi << 32 | lo) * 1e9 + nsec) / 1e6)
                if refresh:
                    refresh_ms = refresh / 1e6
        discarded = [e for e in log if not e[1] and e[2] == "wp_presentation_feedback" and e[4] == "discarded"
                     and e[0] >= start]
        presented.sort()
        pres_iv = intervals(presented)
        dropped = sum(1 for d in pres_iv if d < 0.5 * refresh_ms)
        duplicated = sum(1 for d in pres_iv if d >= 2 * refresh_ms - 0.5)  # 0.5 ms: timer granularity
        summary = {
            "refresh_ms": round(refresh_ms, 3),
            "content_commits": len(content), "measured_commits": len(measured), "span_ms": round(span_ms, 1),
            "commit_interval_median_ms": round(statistics.median(commit_iv), 3) if commit_iv else None,
            "commit_interval_p99_ms": round(sorted(commit_iv)[int(0.99 * (len(commit_iv) - 1))], 3) if commit_iv else None,
            "commit_interval_max_ms": round(max(commit_iv), 3) if commit_iv else None,
            "presented": len(presented), "discarded": len(discarded),
            "presented_interval_median_ms": round(statistics.median(pres_iv), 3) if pres_iv else None,
            "presented_interval_max_ms": round(max(pres_iv), 3) if pres_iv else None,
            "dropped": dropped, "duplicated": duplicated,
            "set_barrier": len(sent("wp_fifo_v1", "set_barrier")),
            "wait_barrier": len(sent("wp_fifo_v1", "wait_barrier")),
            "set_timestamp": len(sent("wp_commit_timer_v1", "set_timestamp")),
            "timing_stats": stats.get("timing"),
        }
        print(f"vkcube FIFO: {json.dumps(summary)}", flush=True)
        (h.artifacts_dir() / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")

        expected = span_ms / refresh_ms
        h.check(len(pres_iv) > 0.5 * expected, f"too few presentations: {summary}")
        h.check(abs(statistics.median(commit_iv) - refresh_ms) <= 0.15 * refresh_ms,
                f"content commits not once per refresh: {summary}")
        h.check(0.85 * expected <= len(commit_iv) <= 1.08 * expected,
                f"{len(commit_iv)} commit intervals in {span_ms:.0f} ms, expected {expected:.0f}: {summary}")
        h.check(dropped == 0, f"{dropped} FIFO images shown in the same refresh as the one before: {summary}")
        h.check(duplicated <= 0.02 * len(pres_iv), f"{duplicated} gaps of 2 refreshes or more: {summary}")
        h.check(not discarded, f"{len(discarded)} FIFO images discarded: {summary}")
        timing = stats.get("timing") or {}
        h.check(timing.get("barrier_waits", 0) > 0, f"tranche held no commit on a fifo barrier: {timing}")


h.main(test)
