#!/usr/bin/env python3
"""Writes the seed corpus of fuzz-syncobj (tests/fuzz/corpus/syncobj/seed-*).

Each seed is a script in the fuzzer's own encoding (fuzz_syncobj.cpp): a
first byte picks the stall policy (bit 0: warn after 1 ms, bit 1: disconnect
after 3 ms), then per operation (Client::operate) one byte picks it, the next
ones are its arguments, then one byte says whether both sides step. Keep this in step with operate()
when it changes, and rerun: tests/fuzz/gen_syncobj_corpus.py. Crashes the
fuzzer finds go in the same folder under their libFuzzer names (crash-*).
"""

import pathlib

OUT = pathlib.Path(__file__).resolve().parent / "corpus" / "syncobj"

STEP, NOSTEP = 0, 1  # the byte after each operation: % 4 == 0 steps


class Seed:
    def __init__(self, policy=0):
        self.b = bytearray([policy])

    def op(self, *bs, step=True):
        self.b += bytes(bs) + bytes([STEP if step else NOSTEP])
        return self

    # Operations (the first byte % 15), as Client::operate reads them.
    def surface(self):
        return self.op(0)

    def get_surface(self, i):
        return self.op(1, i)

    def destroy_surface(self, i):
        return self.op(2, i)

    def destroy_sync(self, i):
        return self.op(3, i)

    def timeline(self, signalled=False):  # a new syncobj on the device
        return self.op(4, 0, 1, 1 if signalled else 0)

    def timeline_again(self, i):  # a second timeline object on syncobj i
        return self.op(4, 0, 0, i)

    def junk_timeline(self, kind):  # 4 memfd, 5 eventfd, 6 pipe, 7 the DRM fd
        return self.op(4, kind)

    def destroy_timeline(self, i):
        return self.op(5, i)

    @staticmethod
    def _point(p):
        return [p] if p < 16 else [0xFF] + list(p.to_bytes(8, "big"))

    def acquire(self, s, t, p):
        return self.op(6, 1, s, t, *self._point(p))

    def release(self, s, t, p):
        return self.op(6, 0, s, t, *self._point(p))

    def attach(self, s, kind="dmabuf", w=0, h=3):  # kind: dmabuf, dumb, shm, null
        if kind == "null":
            return self.op(8, s, 0)
        shm = 0 if kind == "shm" else 1
        return self.op(8, s, 1, w, h, shm, *([] if kind == "shm" else [1 if kind == "dumb" else 0]))

    def commit(self, s):
        return self.op(9, s)

    def signal(self, syncobj, p, steps=3):
        return self.op(11, syncobj, *self._point(p), steps)

    def new_manager(self):
        return self.op(12)

    def wait(self, rounds=4):  # rounds of 2 ms: the stall policy's timer
        return self.op(13, rounds - 1)

    def disconnect(self):
        return self.op(14)

    # One surface with its syncobj surface and one timeline (syncobj 0).
    def setup(self, signalled=False, policy=0):
        s = Seed(policy) if policy else self
        return s.surface().get_surface(0).timeline(signalled)


def seeds():
    s = {}
    # Held until the acquire point signals, then the release point of the
    # buffer it replaces; a second frame the same way.
    s["frames"] = (Seed().setup().acquire(0, 0, 1).release(0, 0, 2).attach(0).commit(0).signal(0, 1)
                   .acquire(0, 0, 3).release(0, 0, 4).attach(0, "dumb").commit(0).signal(0, 3)
                   .acquire(0, 0, 5).release(0, 0, 6).attach(0).commit(0).signal(0, 5).disconnect())
    # Signalled before the commit: applied at once (commits_ready_at_commit).
    s["ready"] = (Seed().setup(signalled=True).acquire(0, 0, 0).release(0, 0, 1).attach(0, "dumb").commit(0)
                  .signal(0, 8).acquire(0, 0, 7).release(0, 0, 9).attach(0).commit(0).disconnect())
    # Commits stacked behind an unsignalled one; the client leaves mid-wait.
    s["disconnect-mid-wait"] = (Seed().setup().acquire(0, 0, 4).release(0, 0, 5).attach(0).commit(0)
                                .acquire(0, 0, 6).release(0, 0, 7).attach(0).commit(0).commit(0).disconnect())
    # Timelines on one syncobj, acquire and release on separate ones; points
    # signalled out of order; the objects destroyed while their commit waits.
    s["destroy-while-held"] = (Seed().setup().timeline_again(0).acquire(0, 0, 3).release(0, 1, 3)
                               .attach(0, "dumb").commit(0).destroy_timeline(0).destroy_sync(0).signal(0, 2)
                               .signal(0, 3).surface().get_surface(1).timeline().acquire(1, 1, 1)
                               .release(1, 2, 1).attach(1).commit(1).destroy_surface(1).signal(1, 1)
                               .disconnect())
    # Two surfaces, a huge point, a new manager, and the wl_surface destroyed
    # with a commit held; then the same surface index again.
    s["two-surfaces"] = (Seed().setup().surface().get_surface(1).new_manager().timeline()
                         .acquire(0, 0, 2**40).release(0, 1, 1).attach(0).commit(0)
                         .acquire(1, 1, 2).release(1, 1, 3).attach(1, "dumb").commit(1).destroy_surface(0)
                         .signal(1, 2).signal(0, 2**40).attach(1, "null").commit(1).disconnect())
    # No syncobj surface (any more): shm and empty commits are fine.
    s["plain"] = (Seed().surface().attach(0, "shm").commit(0).get_surface(0).destroy_sync(0)
                  .attach(0, "shm").commit(0).get_surface(0).commit(0).disconnect())
    # The stall policy: a wait that outlives disconnect-after-ms ends its client
    # (two surfaces waiting: one disconnect); another that only warns.
    s["stall-disconnect"] = (Seed().setup(policy=3).surface().get_surface(1).acquire(0, 0, 1).release(0, 0, 2)
                             .attach(0).commit(0).acquire(1, 0, 3).release(1, 0, 4).attach(1).commit(1)
                             .wait().wait().wait())
    s["stall-warn"] = (Seed().setup(policy=1).acquire(0, 0, 1).release(0, 0, 2).attach(0).commit(0).wait()
                       .signal(0, 1).wait().disconnect())
    # Each protocol error, from the spec.
    s["error-surface-exists"] = Seed().setup().get_surface(0)
    s["error-invalid-timeline-memfd"] = Seed().setup().junk_timeline(4)
    s["error-invalid-timeline-drm-fd"] = Seed().setup().junk_timeline(7)
    s["error-no-surface"] = Seed().setup().destroy_surface(0).acquire(0, 0, 1)
    s["error-unsupported-buffer"] = Seed().setup().acquire(0, 0, 1).release(0, 0, 2).attach(0, "shm").commit(0)
    s["error-no-buffer"] = Seed().setup().release(0, 0, 2).commit(0)
    s["error-no-acquire-point"] = Seed().setup().release(0, 0, 2).attach(0).commit(0)
    s["error-no-release-point"] = Seed().setup().acquire(0, 0, 1).attach(0).commit(0)
    s["error-conflicting-points"] = Seed().setup().acquire(0, 0, 3).release(0, 0, 3).attach(0).commit(0)
    # An error while another commit is held (the held one must not leak).
    s["error-while-held"] = (Seed().setup().acquire(0, 0, 1).release(0, 0, 2).attach(0).commit(0)
                             .acquire(0, 0, 5).release(0, 0, 4).attach(0).commit(0))
    return s


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("seed-*"):
        old.unlink()
    for name, seed in seeds().items():
        (OUT / f"seed-{name}").write_bytes(bytes(seed.b))
    print(f"{len(seeds())} seeds in {OUT}")


if __name__ == "__main__":
    main()
