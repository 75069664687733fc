"""Helpers for tests that run inside the VM of tools/vm/vm (the kernel DRM tier).

Typical use, in a script started with `tools/vm/vm run -- python3 tests/vm/X.py`:

    from vmlib import Tap, Tranche, Crc, kms_state, drm_card, vkms_solid_crc

    tap = Tap()
    with Tranche(device="vkms", renderer="pixman") as t:
        outputs = t.outputs()
        client = t.client(["solid-client", "--fullscreen", "--color", "ff0000"])
        client.wait_for_line("mapped")
        with Crc(t.dri_index) as crc:
            tap.ok(crc.wait_for(vkms_solid_crc(1024, 768, 0xff0000)) is not None, "frame on the CRTC")
    tap.done()

Everything here needs root (debugfs, DRM master) and is meant for the VM only.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import pathlib
import re
import select
import signal
import subprocess
import sys
import time
import zlib

TOP = pathlib.Path(__file__).resolve().parents[2]
DEBUGFS_DRI = pathlib.Path("/sys/kernel/debug/dri")

# Drivers by the names tools/vm/vm uses for --device.
DEVICE_DRIVERS = {"vkms": "vkms", "virtio": "virtio_gpu", "vgem": "vgem"}


def builddir() -> pathlib.Path:
    """tranche's build directory: $TRANCHE_VM_BUILDDIR, else CHECKOUT/build."""
    return pathlib.Path(os.environ.get("TRANCHE_VM_BUILDDIR") or TOP / "build")


# ----------------------------------------------------------------- TAP output


class Tap:
    """TAP (version 13) on stdout: `ok N - name` / `not ok N - name`, with
    diagnostics as `# ...` lines, and a plan at the end. done() exits 1 when a
    check failed (or none ran).

    In the VM, each result line also goes to the serial console with the guest's
    uptime: the virtio console (stdout) reaches the host in delayed chunks, and
    when a run hits tools/vm/vm's --timeout the console's last lines, which the
    host prints, say which check it was in."""

    def __init__(self):
        self.count = 0
        self.failed = 0
        self._console = None
        if os.path.isdir("/run/tranche-vm"):
            with contextlib.suppress(OSError):
                self._console = open("/dev/console", "w")
        print("TAP version 13", flush=True)
        self._mark("TAP started")

    def _mark(self, line: str):
        if not self._console:
            return
        try:
            with open("/proc/uptime") as f:
                uptime = f.read().split()[0]
            self._console.write(f"tranche-vm test: [{uptime}] {line[:160]}\n")
            self._console.flush()
        except OSError:
            self._console = None

    def ok(self, cond, name: str, diag: str | None = None, known_bug: str | None = None) -> bool:
        """One check. known_bug: when the check fails, report it as TAP TODO with
        this reason (does not fail the run; a pass is reported as a plain ok)."""
        self.count += 1
        todo = f" # TODO {known_bug}" if known_bug and not cond else ""
        if not cond and not todo:
            self.failed += 1
        print(f"{'ok' if cond else 'not ok'} {self.count} - {name}{todo}", flush=True)
        self._mark(f"{'ok' if cond else 'not ok'} {self.count} - {name}{todo}")
        if diag and not cond:
            self.diag(diag)
        return bool(cond)

    def skip(self, name: str, why: str):
        self.count += 1
        print(f"ok {self.count} - {name} # SKIP {why}", flush=True)
        self._mark(f"ok {self.count} - {name} # SKIP {why}")

    def diag(self, text: str):
        for line in str(text).splitlines() or [""]:
            print(f"# {line}", flush=True)

    def check(self, name: str, fn, *args, **kwargs):
        """Run fn; ok when it returns without raising (AssertionError or any
        other exception makes it `not ok` with the message). Returns fn's value."""
        try:
            value = fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - a test step may fail in any way
            self.ok(False, name, f"{type(e).__name__}: {e}")
            return None
        self.ok(True, name)
        return value

    def done(self):
        print(f"1..{self.count}", flush=True)
        print(f"# {self.count - self.failed} passed, {self.failed} failed", flush=True)
        self._mark(f"done: {self.count - self.failed} passed, {self.failed} failed")
        sys.exit(1 if self.failed or self.count == 0 else 0)


# ----------------------------------------------------------------- DRM devices


def drm_driver_of(card: pathlib.Path) -> str:
    """The DRM driver of /sys/class/drm/cardN (vkms, virtio_gpu, vgem, ...)."""
    name_file = DEBUGFS_DRI / card.name.removeprefix("card") / "name"
    with contextlib.suppress(OSError):
        return name_file.read_text().split()[0]
    dev = card / "device"
    if (dev / "driver").exists():
        name = (dev / "driver").resolve().name
        if name == "virtio-pci":
            for sub in dev.glob("virtio*/driver"):
                return sub.resolve().name
        return name
    return dev.resolve().name


def drm_cards() -> dict[str, str]:
    """{'/dev/dri/cardN': driver} for every card."""
    cards = {}
    for card in sorted(pathlib.Path("/sys/class/drm").glob("card*")):
        if re.fullmatch(r"card\d+", card.name):
            cards[f"/dev/dri/{card.name}"] = drm_driver_of(card)
    return cards


def drm_card(device: str) -> tuple[str, int]:
    """(/dev/dri/cardN, N) of the first card of a device (vkms, virtio, vgem) or
    driver name. Raises LookupError when there is none."""
    driver = DEVICE_DRIVERS.get(device, device)
    for path, drv in drm_cards().items():
        if drv == driver:
            return path, int(path.removeprefix("/dev/dri/card"))
    raise LookupError(f"no DRM card with driver {driver} (cards: {drm_cards()})")


CONFIGFS = pathlib.Path("/sys/kernel/config")


class VkmsDevice:
    """A vkms device built through configfs (Linux 6.19+; Documentation/gpu/vkms.rst):
    the hardware model a test needs instead of the module's one default device.

        dev = VkmsDevice("two", crtcs=2, planes=[("primary", [0]), ("primary", [1]),
                         ("overlay", [0, 1])], connectors=[[0], [1]])
        dev.create()          # mkdir/ln/echo, enabled=1; waits for its card
        dev.card, dev.dri_index, dev.connectors  # /dev/dri/cardN, N, ["Virtual-3", ...]
        dev.set_status(1, "disconnected")        # a hot-unplug (uevent HOTPLUG=1)
        dev.remove()

    planes: (type, [CRTC indices it can show on]); connectors: per connector, the
    CRTC indices its encoder can drive (one encoder per connector)."""

    TYPES = {"overlay": 0, "primary": 1, "cursor": 2}
    STATUS = {"connected": 1, "disconnected": 2, "unknown": 3}

    def __init__(self, name: str, crtcs: int, planes, connectors):
        self.name, self.crtcs, self.planes, self.connector_crtcs = name, crtcs, list(planes), list(connectors)
        self.root = CONFIGFS / "vkms" / name
        self.card: str | None = None
        self.dri_index: int | None = None
        self.connectors: list[str] = []

    @staticmethod
    def mount_configfs():
        if not (CONFIGFS / "vkms").is_dir():
            subprocess.run(["mount", "-t", "configfs", "none", str(CONFIGFS)], check=True,
                           capture_output=True, timeout=30)
        if not (CONFIGFS / "vkms").is_dir():
            raise RuntimeError(f"no {CONFIGFS}/vkms: this vkms has no configfs support")

    def _item(self, kind: str, index: int) -> pathlib.Path:
        return self.root / kind / f"{kind[:-1]}{index}"

    def create(self, timeout: float = 20):
        self.mount_configfs()
        before = set(drm_cards())
        self.root.mkdir()
        for i in range(self.crtcs):
            self._item("crtcs", i).mkdir()
        for i, (kind, crtcs) in enumerate(self.planes):
            plane = self._item("planes", i)
            plane.mkdir()
            (plane / "type").write_text(str(self.TYPES[kind]))
            for c in crtcs:
                (plane / "possible_crtcs" / f"crtc{c}").symlink_to(self._item("crtcs", c))
        for i, crtcs in enumerate(self.connector_crtcs):
            encoder, connector = self._item("encoders", i), self._item("connectors", i)
            encoder.mkdir()
            for c in crtcs:
                (encoder / "possible_crtcs" / f"crtc{c}").symlink_to(self._item("crtcs", c))
            connector.mkdir()
            (connector / "possible_encoders" / f"encoder{i}").symlink_to(encoder)
        (self.root / "enabled").write_text("1")
        deadline = time.monotonic() + timeout
        while True:
            new = sorted(set(drm_cards()) - before)
            if new and os.path.exists(new[0]):
                self.card = new[0]
                self.dri_index = int(self.card.removeprefix("/dev/dri/card"))
                self.connectors = card_connectors(self.card)
                if len(self.connectors) == len(self.connector_crtcs):
                    return self
            if time.monotonic() > deadline:
                raise TimeoutError(f"vkms device {self.name} enabled, but no new card with "
                                   f"{len(self.connector_crtcs)} connectors within {timeout} s "
                                   f"(cards {drm_cards()}, connectors {self.connectors})")
            time.sleep(0.2)

    def set_status(self, connector: int, status: str):
        """Connect or disconnect a connector; vkms sends the hotplug uevent."""
        (self._item("connectors", connector) / "status").write_text(str(self.STATUS[status]))

    def remove(self):
        """Disable the device and take its configfs tree down (links, items, root)."""
        if not self.root.exists():
            return
        (self.root / "enabled").write_text("0")
        for link in list(self.root.glob("*/*/possible_*/*")):
            link.unlink()
        for kind in ("planes", "crtcs", "encoders", "connectors"):
            for item in (self.root / kind).iterdir():
                item.rmdir()
        self.root.rmdir()


# ----------------------------------------------------------------- processes


class Process:
    """A child whose stdout and stderr (merged) are collected line by line."""

    def __init__(self, argv, env=None, name=None):
        self.name = name or pathlib.Path(argv[0]).name
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self._buf = b""
        self.lines: list[str] = []

    def _pump(self, timeout: float) -> bool:
        """Read what is available (waiting up to timeout). False at EOF."""
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], max(timeout, 0))
        if not ready:
            return True
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return True
        if not data:
            return False
        self._buf += data
        *complete, self._buf = self._buf.split(b"\n")
        self.lines += [c.decode(errors="replace") for c in complete]
        return True

    def wait_for_line(self, pattern: str, timeout: float = 30, start: int = 0) -> str:
        """The first output line matching the regex pattern (from line index
        start on, e.g. len(p.lines) before an action); raises TimeoutError (or
        RuntimeError when the process exits first)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = start
        while True:
            for line in self.lines[seen:]:
                if regex.search(line):
                    return line
            seen = len(self.lines)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.name}: no line matching {pattern!r} in {timeout} s; "
                                   f"output: {self.output()[-2000:]!r}")
            if not self._pump(min(left, 0.5)) and self.proc.poll() is not None:
                for line in self.lines[seen:]:
                    if regex.search(line):
                        return line
                raise RuntimeError(f"{self.name} exited {self.proc.returncode} before printing "
                                   f"{pattern!r}; output: {self.output()[-2000:]!r}")

    def output(self) -> str:
        while self._pump(0):
            if not select.select([self.proc.stdout.fileno()], [], [], 0)[0]:
                break
        return "\n".join(self.lines + ([self._buf.decode(errors="replace")] if self._buf else []))

    def stop(self, sig=signal.SIGTERM, timeout: float = 10) -> int:
        """Send sig (if still running) and wait; SIGKILL after timeout."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.output()
        return self.proc.returncode


class Tranche:
    """tranche on the DRM backend of one KMS device of the VM.

    Tranche(device="vkms"|"virtio", renderer="pixman"|"gles2"|None, args=[...],
            env={...}, seat="builtin"|"seatd", ready_timeout=90)
    start() waits until `tranchectl outputs` answers; stop() sends SIGTERM and
    returns the exit status. As a context manager it starts and stops.
    """

    def __init__(self, device="vkms", renderer=None, args=(), env=None, seat="builtin",
                 ready_timeout=90, socket=None, card=None):
        self.device = device
        self.card, self.dri_index = (card, int(card.removeprefix("/dev/dri/card"))) if card \
            else drm_card(device)
        self.renderer = renderer
        self.args = list(args)
        self.extra_env = dict(env or {})
        self.seat = seat
        self.ready_timeout = ready_timeout
        self.build = builddir()
        self.runtime_dir = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
        os.makedirs(self.runtime_dir, mode=0o700, exist_ok=True)
        n = 1
        while socket is None:
            if not os.path.exists(f"{self.runtime_dir}/wayland-{n}"):
                socket = f"wayland-{n}"
            n += 1
        self.socket = socket
        self.ipc = f"{self.runtime_dir}/tranche.{socket}.ipc"
        self.process: Process | None = None
        self.status: int | None = None
        self.ready_after: float | None = None

    def env(self) -> dict:
        env = dict(os.environ)
        for key in ("WAYLAND_DISPLAY", "DISPLAY", "TRANCHE_IPC_SOCKET", "WLR_RENDERER"):
            env.pop(key, None)
        # glibc writes its fatal messages (a double free...) to the tty unless
        # told otherwise: into the log with everything else.
        env["LIBC_FATAL_STDERR_"] = "1"
        env.update(XDG_RUNTIME_DIR=self.runtime_dir, WLR_DRM_DEVICES=self.card,
                   WLR_RENDERER_ALLOW_SOFTWARE="1", WLR_LIBINPUT_NO_DEVICES="1",
                   LIBSEAT_BACKEND=self.seat,
                   # TCG runs test commits ~50x slower than hardware: give
                   # libliftoff's plane search time to finish (tranche(1)).
                   TRANCHE_PLANE_SEARCH_BUDGET_MS="500")
        if self.renderer:
            env["WLR_RENDERER"] = self.renderer
        env.update(self.extra_env)
        return env

    def start(self, wait=True):
        argv = [str(self.build / "compositor/tranche"), "--backend", "drm", "--socket", self.socket,
                *self.args]
        started = time.monotonic()
        self.process = Process(argv, env=self.env(), name="tranche")
        if not wait:
            return self
        deadline = started + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.proc.poll() is not None:
                raise RuntimeError(f"tranche exited {self.process.proc.returncode} before answering; "
                                   f"log:\n{self.log()[-3000:]}")
            if self.ctl("outputs", check=False).returncode == 0:
                self.ready_after = time.monotonic() - started
                return self
            self.process._pump(0.2)
        self.stop()
        raise TimeoutError(f"tranche did not answer within {self.ready_timeout} s; log:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.process.output() if self.process else ""

    def ctl(self, *args, check=True, json_output=False, timeout: float = 30):
        """tranchectl ARGS against this tranche. tranchectl's own wait for the
        reply (default 5 s) is raised to `timeout`: under TCG on a loaded host a
        blocking modeset (`reload` with a new mode) alone can take longer."""
        argv = [str(self.build / "tranchectl/tranchectl"), "--socket", self.ipc, "--timeout", str(timeout)]
        if json_output:
            argv.append("--json")
        result = subprocess.run(argv + list(args), capture_output=True, text=True, timeout=timeout + 10)
        if check and result.returncode != 0:
            raise RuntimeError(f"tranchectl {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result

    def outputs(self) -> list:
        return json.loads(self.ctl("outputs", json_output=True).stdout)

    def client_env(self) -> dict:
        env = dict(os.environ)
        env.update(XDG_RUNTIME_DIR=self.runtime_dir, WAYLAND_DISPLAY=self.socket,
                   TRANCHE_IPC_SOCKET=self.ipc)
        env.pop("DISPLAY", None)
        return env

    def client(self, argv, env=None) -> Process:
        """Start a Wayland client of this tranche. A bare name is looked up in the
        build's tests/clients first (solid-client, ...), then on PATH."""
        argv = list(argv)
        local = self.build / "tests/clients" / argv[0]
        if "/" not in argv[0] and local.exists():
            argv[0] = str(local)
        full_env = self.client_env()
        full_env.update(env or {})
        return Process(argv, env=full_env)

    def stop(self) -> int:
        if self.process and self.status is None:
            self.status = self.process.stop()
        return self.status

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ----------------------------------------------------------------- CRC and KMS state


class Crc:
    """vkms's CRC of what a CRTC shows, from debugfs (also works on drivers with
    other CRC sources if given). Opening crc/data starts capture and needs an
    active CRTC; entries are (frame, crc).

        with Crc(dri_index) as crc:
            frame, value = crc.read()
            crc.wait_for(expected)
    """

    def __init__(self, dri_index: int, crtc: int = 0, source: str = "auto"):
        self.dir = DEBUGFS_DRI / str(dri_index) / f"crtc-{crtc}" / "crc"
        self.source = source
        self.fd = None
        self.entries: list[tuple[int, int]] = []

    def __enter__(self):
        (self.dir / "control").write_text(self.source)
        self.fd = os.open(self.dir / "data", os.O_RDONLY | os.O_NONBLOCK)
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def read(self, timeout: float = 10) -> tuple[int, int]:
        """The next entry (frame counter, first CRC value)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = os.read(self.fd, 256).decode()
            except OSError as e:
                if e.errno != errno.EAGAIN:
                    raise
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no CRC entry in {timeout} s from {self.dir}") from None
                select.select([self.fd], [], [], 0.05)
                time.sleep(0.01)
                continue
            fields = line.split()
            frame = int(fields[0], 16) if fields[0].startswith("0x") else -1
            entry = (frame, int(fields[1], 16))
            self.entries.append(entry)
            return entry

    def wait_for(self, expected: int, timeout: float = 20):
        """Read entries until one has the expected CRC; returns it, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                entry = self.read(timeout=max(deadline - time.monotonic(), 0.1))
                if entry[1] == expected:
                    return entry
        return None

    def wait_stable(self, count: int = 3, timeout: float = 20) -> int | None:
        """Read until `count` consecutive entries agree; returns that CRC or None."""
        deadline = time.monotonic() + timeout
        run, last = 0, None
        while time.monotonic() < deadline:
            try:
                _, value = self.read(timeout=max(deadline - time.monotonic(), 0.1))
            except TimeoutError:
                break
            run = run + 1 if value == last else 1
            last = value
            if run >= count:
                return value
        return None


def crc32_le(data: bytes, seed: int = 0) -> int:
    """The kernel's crc32_le(seed, data): zlib's CRC-32 without the pre- and
    post-inversion."""
    return zlib.crc32(data, seed ^ 0xFFFFFFFF) ^ 0xFFFFFFFF


def vkms_frame_crc(rows) -> int:
    """vkms's CRC of a composed frame given as an iterable of rows, each a bytes
    object of the row's pixels in vkms's internal format (struct pixel_argb_u16:
    a, r, g, b as little-endian u16). vkms CRCs each row in turn (6.12's
    vkms_composer.c: blend())."""
    crc = 0
    for row in rows:
        crc = crc32_le(row, crc)
    return crc


def argb_u16(rgb: int, alpha: int = 0xFF) -> bytes:
    """One pixel of vkms's internal format for an 8-bit-per-channel colour, as
    vkms converts XRGB8888/ARGB8888 (each channel * 257)."""
    r, g, b = (rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF
    return b"".join(v.to_bytes(2, "little") for v in (alpha * 257, r * 257, g * 257, b * 257))


def vkms_solid_crc(width: int, height: int, rgb: int) -> int:
    """vkms's CRC of a width x height CRTC showing one opaque colour everywhere."""
    row = argb_u16(rgb) * width
    return vkms_frame_crc(row for _ in range(height))


def kms_state(dri_index: int) -> dict:
    """The atomic state from debugfs (dri/N/state), parsed:
    {'planes': {name: {...}}, 'crtcs': {name: {...}}, 'connectors': {name: {...}}}.
    A plane's fields include 'crtc', 'fb' (id, 0 when none), 'type' when known,
    and for a framebuffer 'format', 'modifier', 'size', 'allocated_by'."""
    text = (DEBUGFS_DRI / str(dri_index) / "state").read_text()
    return parse_kms_state(text)


def parse_kms_state(text: str) -> dict:
    state = {"planes": {}, "crtcs": {}, "connectors": {}}
    current = None
    for line in text.splitlines():
        m = re.match(r"^(plane|crtc|connector)\[(\d+)\]: (.*)$", line)
        if m:
            kind, obj_id, name = m.groups()
            current = {"id": int(obj_id)}
            state[kind + "s"][name] = current
            continue
        if current is None:
            continue
        m = re.match(r"^\t+([^=:]+)[=:](.*)$", line)
        if not m:
            continue
        key, value = m.group(1).strip(), m.group(2).strip()
        if key == "fb":
            current["fb"] = int(value)
        elif key == "allocated by":
            current["allocated_by"] = value
        elif key == "format":
            current["format"] = value.split()[0]
        elif key == "size" and "fb_size" not in current and current.get("fb"):
            current["fb_size"] = value
            current["size"] = value
        elif key not in current:
            current[key] = value
    return state


def describe_planes(state: dict) -> str:
    """One line per plane: which framebuffer is on which CRTC."""
    lines = []
    for name, plane in state["planes"].items():
        if plane.get("fb"):
            lines.append(f"{name}: fb {plane['fb']} {plane.get('format', '?')} {plane.get('size', '?')} "
                         f"modifier {plane.get('modifier', '?')} by {plane.get('allocated_by', '?')} "
                         f"on {plane.get('crtc')} at {plane.get('crtc-pos')}")
        else:
            lines.append(f"{name}: no framebuffer")
    return "\n".join(lines)


# ----------------------------------------------------------------- framebuffer contents

def _ioc(direction: int, nr: int, size: int) -> int:
    return (direction << 30) | (size << 16) | (ord("d") << 8) | nr


_IOC_WRITE, _IOC_READWRITE = 1, 3
DRM_IOCTL_GEM_CLOSE = _ioc(_IOC_WRITE, 0x09, 8)
DRM_IOCTL_MODE_MAP_DUMB = _ioc(_IOC_READWRITE, 0xB3, 16)
DRM_IOCTL_MODE_GETFB2 = _ioc(_IOC_READWRITE, 0xCE, 104)


def fourcc_name(code: int) -> str:
    return code.to_bytes(4, "little").decode(errors="replace")


def read_fb(card: str, fb_id: int) -> dict:
    """The pixels of framebuffer fb_id on card (e.g. /dev/dri/card0), read by root
    while another process is DRM master: GETFB2 hands GEM handles to
    CAP_SYS_ADMIN, and vkms's shmem objects can be mapped like dumb buffers.
    Returns {'width', 'height', 'format' (fourcc), 'pitch', 'modifier', 'data'}
    for plane 0 of the framebuffer."""
    import fcntl
    import mmap
    import struct

    fd = os.open(card, os.O_RDWR | os.O_CLOEXEC)
    try:
        buf = bytearray(104)
        struct.pack_into("=I", buf, 0, fb_id)
        fcntl.ioctl(fd, DRM_IOCTL_MODE_GETFB2, buf)
        width, height, fmt, _flags = struct.unpack_from("=IIII", buf, 4)
        handles = struct.unpack_from("=4I", buf, 20)
        pitches = struct.unpack_from("=4I", buf, 36)
        offsets = struct.unpack_from("=4I", buf, 52)
        modifier = struct.unpack_from("=Q", buf, 72)[0]
        if not handles[0]:
            raise PermissionError(f"GETFB2 gave no handle for fb {fb_id} (needs root)")
        try:
            req = bytearray(16)
            struct.pack_into("=I", req, 0, handles[0])
            fcntl.ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, req)
            offset = struct.unpack_from("=Q", req, 8)[0]
            size = offsets[0] + pitches[0] * height
            with mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ, offset=offset) as m:
                data = bytes(m[offsets[0]:size])
        finally:
            for h in sorted(set(h for h in handles if h)):
                fcntl.ioctl(fd, DRM_IOCTL_GEM_CLOSE, struct.pack("=II", h, 0))
    finally:
        os.close(fd)
    return {"width": width, "height": height, "format": fourcc_name(fmt), "pitch": pitches[0],
            "modifier": modifier, "data": data}


def fb_to_png(fb: dict, path) -> None:
    """Save a 32-bit XR24/AR24 framebuffer from read_fb() as a PNG (python3-pil)."""
    from PIL import Image

    if fb["format"] not in ("AR24", "XR24"):
        raise ValueError(f"cannot save {fb['format']} as PNG")
    alpha = fb["format"] == "AR24"
    img = Image.frombuffer("RGBA" if alpha else "RGB", (fb["width"], fb["height"]), fb["data"], "raw",
                           "BGRA" if alpha else "BGRX", fb["pitch"], 1)
    img.save(path)


def to_argb_u16(fb: dict) -> list[bytes]:
    """Rows of a 32-bit XR24/AR24 framebuffer in vkms's internal format
    (a, r, g, b little-endian u16, each 8-bit channel * 257), as vkms converts."""
    width, height, pitch, data = fb["width"], fb["height"], fb["pitch"], fb["data"]
    if fb["format"] not in ("XR24", "AR24") or fb.get("modifier", 0) != 0:
        raise NotImplementedError(f"format {fb['format']} modifier {fb.get('modifier')}")
    rows = []
    for y in range(height):
        src = data[y * pitch:y * pitch + width * 4]
        out = bytearray(width * 8)
        # c * 257 is the byte c twice: little-endian u16 [c, c].
        alpha = src[3::4] if fb["format"] == "AR24" else b"\xff" * width
        for i, channel in enumerate((alpha, src[2::4], src[1::4], src[0::4])):
            out[2 * i::8] = channel
            out[2 * i + 1::8] = channel
        rows.append(bytes(out))
    return rows


def _blend_row(out: bytearray, src: bytes, x0: int, x1: int, sx: int):
    """vkms's pre_mul_alpha_blend() of src pixels [sx, sx + x1 - x0) onto out[x0:x1]."""
    chunk = src[sx * 8:(sx + x1 - x0) * 8]
    if chunk.count(0) == len(chunk):
        return  # all fully transparent (the bulk of a cursor plane)
    for x in range(x0, x1):
        s = (sx + x - x0) * 8
        a = int.from_bytes(src[s:s + 2], "little")
        if a == 0 and src[s + 2:s + 8] == b"\0" * 6:
            continue  # fully transparent: leaves out unchanged
        o = x * 8
        px = bytearray(b"\xff\xff")
        for c in (2, 4, 6):
            sc = int.from_bytes(src[s + c:s + c + 2], "little")
            dc = int.from_bytes(out[o + c:o + c + 2], "little")
            new = (sc * 0xFFFF + dc * (0xFFFF - a)) & 0xFFFFFFFF
            px += ((new + 0x7FFF) // 0xFFFF & 0xFFFF).to_bytes(2, "little")
        out[o:o + 8] = px


def vkms_compose_crc(card: str, state: dict, crtc: str = "crtc-0", width=None, height=None,
                     replace: dict | None = None) -> int:
    """The CRC vkms should report for CRTC `crtc`, composed here the way vkms
    composes (6.12): black opaque background, the CRTC's planes in normalized
    zpos order, premultiplied-alpha blending, no gamma LUT. Framebuffers are
    read with read_fb(); `replace` maps a plane name to rows (argb_u16) to use
    instead of its framebuffer, to compose a reference frame. Only full-buffer,
    unrotated, unscaled XR24/AR24 planes are supported."""
    if width is None or height is None:
        mode = state["crtcs"][crtc].get("mode", "")
        m = re.search(r'"(\d+)x(\d+)"', mode)
        if not m:
            raise ValueError(f"no mode on {crtc}: {state['crtcs'][crtc]}")
        width, height = int(m.group(1)), int(m.group(2))
    planes = [(int(p.get("normalized-zpos", 0)), name, p) for name, p in state["planes"].items()
              if p.get("crtc") == crtc and p.get("fb")]
    layers = []
    for _, name, plane in sorted(planes):
        pos = re.fullmatch(r"(\d+)x(\d+)([+-]\d+)([+-]\d+)", plane.get("crtc-pos", ""))
        src = re.fullmatch(r"([\d.]+)x([\d.]+)\+([\d.]+)\+([\d.]+)", plane.get("src-pos", ""))
        if not pos or not src or plane.get("rotation", "1") != "1":
            raise NotImplementedError(f"{name}: {plane}")
        w, h, x, y = (int(v) for v in pos.groups())
        sw, sh, sx, sy = (float(v) for v in src.groups())
        if (sw, sh, sx, sy) != (w, h, 0, 0):
            raise NotImplementedError(f"{name}: scaled or cropped source {plane.get('src-pos')}")
        rows = replace[name] if replace and name in replace else to_argb_u16(read_fb(card, plane["fb"]))
        layers.append((name, rows, w, h, x, y))
    background = b"\xff\xff" + b"\0" * 6  # opaque black
    crc = 0
    for row_y in range(height):
        out = bytearray(background * width)
        for index, (name, rows, w, h, x, y) in enumerate(layers):
            if not y <= row_y < y + h:
                continue
            x0, x1 = max(x, 0), min(x + w, width)
            if x0 >= x1:
                continue
            src = rows[row_y - y]
            if index == 0:
                # The bottom layer blends onto opaque black: for opaque pixels
                # that is a copy; blend only where alpha is not 0xffff.
                chunk = src[(x0 - x) * 8:(x1 - x) * 8]
                if chunk[0::8].count(0xFF) == x1 - x0 and chunk[1::8].count(0xFF) == x1 - x0:
                    out[x0 * 8:x1 * 8] = chunk
                    continue
            _blend_row(out, src, x0, x1, x0 - x)
        crc = crc32_le(bytes(out), crc)
    return crc


def pixels_other_than(fb: dict, rgb: int):
    """(count, bounding box (x0, y0, x1, y1) or None) of the pixels of a 32-bit
    framebuffer whose colour (alpha ignored) is not rgb."""
    width, pitch, data = fb["width"], fb["pitch"], fb["data"]
    want = bytes([rgb & 0xFF, (rgb >> 8) & 0xFF, (rgb >> 16) & 0xFF])
    count, box = 0, None
    for y in range(fb["height"]):
        row = data[y * pitch:y * pitch + width * 4]
        if row[0::4].count(want[0]) == width and row[1::4].count(want[1]) == width \
                and row[2::4].count(want[2]) == width:
            continue
        for x in range(width):
            if row[x * 4:x * 4 + 3] != want:
                count += 1
                box = (x, y, x + 1, y + 1) if box is None else \
                    (min(box[0], x), min(box[1], y), max(box[2], x + 1), max(box[3], y + 1))
    return count, box


def start_dmabuf_client(tap: "Tap", t: "Tranche", name: str, argv, timeout: float = 60):
    """tests/clients/dmabuf-client with app-id `name` and argv, once it has
    mapped; None (reported as a failed check) when it does not map in time."""
    client = t.client(["dmabuf-client", "--app-id", name, *argv])
    try:
        client.wait_for_line("^mapped ", timeout=timeout)
        return client
    except (TimeoutError, RuntimeError) as e:
        tap.ok(False, f"{name}: the client maps", str(e))
        client.stop()
        return None


def wait_for_client_fb(t: "Tranche", colour: int, want_size, x_byte: int, plane_name=None, crtc=None,
                       timeout: float = 30):
    """Poll the KMS state until a plane (plane_name, or any; on CRTC crtc when
    given, e.g. "crtc-1") shows a framebuffer of want_size whose unused bytes
    are all x_byte (a client's own XR24 buffer: composition writes 0xff there)
    and whose pixels all have the colour. Returns (plane name, fb, state) or
    (None, last fb seen, state)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        state = kms_state(t.dri_index)
        for name, plane in state["planes"].items():
            if plane_name and name != plane_name or not plane.get("fb") or crtc and plane.get("crtc") != crtc:
                continue
            try:
                fb = read_fb(t.card, plane["fb"])
            except OSError:
                continue  # the fb went away meanwhile
            if (fb["width"], fb["height"]) != tuple(want_size):
                if name == plane_name:
                    last = fb
                continue
            last = fb
            unused = unused_byte_values(fb)
            if unused == {x_byte: sum(unused.values())} and pixels_other_than(fb, colour)[0] == 0:
                return name, fb, state
        if time.monotonic() > deadline:
            return None, last, state
        time.sleep(0.5)


def wait_for_plane_colour(t: "Tranche", rgb: int, plane: str = "plane-0", timeout: float = 60,
                          allowed: int = 64):
    """Poll the KMS state until `plane`'s framebuffer shows the colour rgb except
    within a box of at most allowed x allowed pixels (a cursor drawn into the
    frame). Returns (ok, state, fb, count of other pixels, their bounding box)."""
    deadline = time.monotonic() + timeout
    while True:
        state = kms_state(t.dri_index)
        fb_id = state["planes"].get(plane, {}).get("fb", 0)
        fb, count, box = None, -1, None
        if fb_id:
            fb = read_fb(t.card, fb_id)
            count, box = pixels_other_than(fb, rgb)
            if box is None or (box[2] - box[0] <= allowed and box[3] - box[1] <= allowed):
                return True, state, fb, count, box
        if time.monotonic() > deadline:
            return False, state, fb, count, box
        time.sleep(0.5)


# ----------------------------------------------------------------- capabilities, fences

DRM_IOCTL_GET_CAP = _ioc(_IOC_READWRITE, 0x0C, 16)
DRM_CAP_SYNCOBJ = 0x13
DRM_CAP_SYNCOBJ_TIMELINE = 0x14


def drm_get_cap(card: str, cap: int) -> int:
    """DRM_IOCTL_GET_CAP on card (no master needed)."""
    import fcntl
    import struct

    fd = os.open(card, os.O_RDWR | os.O_CLOEXEC)
    try:
        buf = bytearray(struct.pack("=QQ", cap, 0))
        fcntl.ioctl(fd, DRM_IOCTL_GET_CAP, buf)
        return struct.unpack("=QQ", buf)[1]
    finally:
        os.close(fd)


class SwSyncTimeline:
    """A sw_sync timeline (debugfs sync/sw_sync, module sw_sync): fences a test
    signals when it wants, or never.

        tl = SwSyncTimeline()
        fd = tl.fence(1)          # a sync_file fd, signalled when the timeline reaches 1
        fence_signalled(fd)       # False
        tl.inc()                  # the timeline advances to 1: fd signals
    """

    _CREATE_FENCE = (3 << 30) | (40 << 16) | (ord("W") << 8) | 0  # _IOWR('W', 0, 40 bytes)
    _INC = (1 << 30) | (4 << 16) | (ord("W") << 8) | 1  # _IOW('W', 1, __u32)

    def __init__(self, path="/sys/kernel/debug/sync/sw_sync"):
        self.fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)

    def fence(self, value: int, name: str = "tranche-test") -> int:
        import fcntl
        import struct

        buf = bytearray(struct.pack("=I32si", value, name.encode()[:31], -1))
        fcntl.ioctl(self.fd, self._CREATE_FENCE, buf)
        return struct.unpack_from("=i", buf, 36)[0]

    def inc(self, by: int = 1):
        import fcntl
        import struct

        fcntl.ioctl(self.fd, self._INC, struct.pack("=I", by))

    def close(self):
        os.close(self.fd)


def fence_signalled(fd: int, timeout: float = 0) -> bool:
    """Whether a sync_file fd has signalled (it polls readable then)."""
    return bool(select.select([fd], [], [], timeout)[0])


# ----------------------------------------------------------------- input devices (uinput, udev)

UDEVD = "/usr/lib/systemd/systemd-udevd"


def load_module(name: str) -> None:
    """modprobe NAME (from the root's /lib/modules, read over 9p); raises when it fails."""
    result = subprocess.run(["modprobe", name], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"modprobe {name} exited {result.returncode}: {result.stderr.strip()}")


def udev_settle(timeout: int = 20) -> None:
    """udevadm settle: every queued uevent is processed (the device database written)."""
    subprocess.run(["udevadm", "settle", f"--timeout={timeout}"], check=True, timeout=timeout + 10,
                   capture_output=True)


class Udevd:
    """systemd-udevd from the root, in the foreground, for libinput: the VM's init
    starts no udev, and libinput (wlroots' libinput backend) only takes input
    devices that udev has processed (a database entry with ID_INPUT_*) and learns
    about new ones from udevd's netlink events. start() loads evdev and uinput,
    starts udevd, replays the input devices already there (udevadm trigger) and
    waits for them (udevadm settle); stop() ends it.

        with Udevd():
            keyboard = UinputDevice.keyboard()
    """

    def __init__(self):
        self.process: Process | None = None

    def start(self, timeout: float = 20):
        for module in ("evdev", "uinput"):
            if not os.path.exists("/dev/uinput" if module == "uinput" else "/sys/module/evdev"):
                load_module(module)
        os.makedirs("/run/udev", exist_ok=True)
        self.process = Process([UDEVD, "--resolve-names=never"], name="systemd-udevd")
        # udevadm control answers once udevd listens on its control socket.
        deadline = time.monotonic() + timeout
        while subprocess.run(["udevadm", "control", "--ping", "--timeout=2"], capture_output=True,
                             timeout=10).returncode != 0:
            if self.process.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"systemd-udevd did not start: {self.process.output()[-1000:]!r}")
            time.sleep(0.1)
        subprocess.run(["udevadm", "trigger", "--action=add", "--subsystem-match=input"], check=True,
                       capture_output=True, timeout=30)
        udev_settle()
        return self

    def stop(self):
        if self.process:
            self.process.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# linux/input-event-codes.h
EV_SYN, EV_KEY, EV_REL = 0x00, 0x01, 0x02
SYN_REPORT = 0
REL_X, REL_Y, REL_WHEEL = 0x00, 0x01, 0x08
KEY_A, KEY_LEFTSHIFT = 30, 42
BTN_LEFT, BTN_RIGHT, BTN_MIDDLE = 0x110, 0x111, 0x112
BUS_VIRTUAL = 0x06


class UinputDevice:
    """An input device made with /dev/uinput (module uinput), written by hand:
    the ioctls of linux/uinput.h and struct input_event.

        kbd = UinputDevice.keyboard()       # keys 1..248: udev tags it a keyboard
        kbd.key(KEY_A)                      # press and release
        mouse = UinputDevice.mouse()        # REL_X/Y, wheel, left/right/middle
        mouse.move(10, 5); mouse.button(BTN_LEFT)
        kbd.close()

    .event is the evdev node (/dev/input/eventN), .sysname inputN."""

    _UI_DEV_CREATE = 0x5501                               # _IO('U', 1)
    _UI_DEV_DESTROY = 0x5502                              # _IO('U', 2)
    _UI_DEV_SETUP = (1 << 30) | (92 << 16) | 0x5503       # _IOW('U', 3, struct uinput_setup)
    _UI_SET_EVBIT = (1 << 30) | (4 << 16) | 0x5564        # _IOW('U', 100, int)
    _UI_SET_KEYBIT = (1 << 30) | (4 << 16) | 0x5565       # _IOW('U', 101, int)
    _UI_SET_RELBIT = (1 << 30) | (4 << 16) | 0x5566       # _IOW('U', 102, int)

    @staticmethod
    def _ui_get_sysname(length: int) -> int:              # _IOC(_IOC_READ, 'U', 44, len)
        return (2 << 30) | (length << 16) | 0x552C

    def __init__(self, name: str, keys=(), rels=(), product: int = 1):
        import fcntl
        import struct

        self.name = name
        self.fd = os.open("/dev/uinput", os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            if keys:
                fcntl.ioctl(self.fd, self._UI_SET_EVBIT, EV_KEY)
                for code in keys:
                    fcntl.ioctl(self.fd, self._UI_SET_KEYBIT, code)
            if rels:
                fcntl.ioctl(self.fd, self._UI_SET_EVBIT, EV_REL)
                for code in rels:
                    fcntl.ioctl(self.fd, self._UI_SET_RELBIT, code)
            # struct uinput_setup: struct input_id (bustype, vendor, product,
            # version: u16 each), char name[80], u32 ff_effects_max.
            setup = struct.pack("=HHHH80sI", BUS_VIRTUAL, 0x7472, product, 1, name.encode()[:79], 0)
            fcntl.ioctl(self.fd, self._UI_DEV_SETUP, setup)
            fcntl.ioctl(self.fd, self._UI_DEV_CREATE)
            buf = bytearray(64)
            fcntl.ioctl(self.fd, self._ui_get_sysname(len(buf)), buf)
            self.sysname = buf.split(b"\0", 1)[0].decode()
            sysdir = pathlib.Path("/sys/devices/virtual/input") / self.sysname
            deadline = time.monotonic() + 10
            events = []
            while not events and time.monotonic() < deadline:
                events = sorted(p.name for p in sysdir.glob("event*"))
                if not events:
                    time.sleep(0.05)
            if not events:
                raise RuntimeError(f"uinput device {name} ({sysdir}) has no event node (is evdev loaded?)")
            self.event = f"/dev/input/{events[0]}"
        except BaseException:
            os.close(self.fd)
            raise

    @classmethod
    def keyboard(cls, name: str = "tranche-vm keyboard") -> "UinputDevice":
        # udev's input_id calls a device with keys 1..31 a keyboard.
        return cls(name, keys=range(1, 249), product=1)

    @classmethod
    def mouse(cls, name: str = "tranche-vm mouse") -> "UinputDevice":
        return cls(name, keys=(BTN_LEFT, BTN_RIGHT, BTN_MIDDLE), rels=(REL_X, REL_Y, REL_WHEEL), product=2)

    def emit(self, events) -> None:
        """Writes (type, code, value) events, then a SYN_REPORT."""
        import struct

        now = time.time()
        sec, usec = int(now), int((now % 1) * 1e6)
        data = b"".join(struct.pack("=qqHHi", sec, usec, t, c, v) for t, c, v in [*events, (EV_SYN, SYN_REPORT, 0)])
        os.write(self.fd, data)

    def key(self, code: int, value: int | None = None) -> None:
        """Press (1) or release (0) a key or button; both, in two reports, when
        value is None."""
        for v in ((1, 0) if value is None else (value,)):
            self.emit([(EV_KEY, code, v)])

    button = key

    def move(self, dx: int, dy: int) -> None:
        self.emit([(EV_REL, REL_X, dx), (EV_REL, REL_Y, dy)])

    def close(self) -> None:
        if self.fd is not None:
            import fcntl

            with contextlib.suppress(OSError):
                fcntl.ioctl(self.fd, self._UI_DEV_DESTROY)
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ----------------------------------------------------------------- dmabuf feedback, explain, CPU time
# (tests/vm/scanout.py, bench/vm-scanout)


def feedback_events(process: Process, scope: str | None = None) -> list[dict]:
    """The feedback JSON lines tests/clients/dmabuf-client printed so far (one
    per feedback `done`), of one scope ("default" or "surface") or all."""
    process.output()  # read what is there
    events = []
    for line in process.lines:
        if line.startswith('{"event":"feedback"'):
            with contextlib.suppress(json.JSONDecodeError):
                event = json.loads(line)
                if scope is None or event.get("scope") == scope:
                    events.append(event)
    return events


def frame_callback_times(process: Process) -> list[float]:
    """CLOCK_MONOTONIC ms of each frame callback tests/clients/dmabuf-client
    printed so far ("frame N T" lines, when it redraws)."""
    process.output()  # read what is there
    return [float(line.split()[2]) for line in process.lines if line.startswith("frame ")]


def scanout_tranches(event: dict, target_device: int | None = None) -> list[dict]:
    """The tranches of a feedback event with the scanout flag (1), optionally
    only those for target_device."""
    return [t for t in event.get("tranches", []) if t.get("flags", 0) & 1
            and (target_device is None or t.get("target_device") == target_device)]


def wait_for_feedback(process: Process, predicate, scope: str = "surface", timeout: float = 30,
                      after: int = 0):
    """The first feedback event of `scope` (from the after-th on) for which
    predicate(event) holds; None after timeout (or when the process exits)."""
    deadline = time.monotonic() + timeout
    while True:
        for event in feedback_events(process, scope)[after:]:
            if predicate(event):
                return event
        if time.monotonic() > deadline or process.proc.poll() is not None:
            return None
        process._pump(0.2)


def tranche_json(t: "Tranche", command: str) -> dict:
    """`tranchectl --json COMMAND` (explain, stats, ...) parsed."""
    return json.loads(t.ctl(command, json_output=True).stdout)


def explain_surface(explain: dict, app_id: str) -> dict | None:
    """The surface of `tranchectl --json explain` with this app_id."""
    return next((s for s in explain.get("surfaces", []) if s.get("app_id") == app_id), None)


def wait_for_explain(t: "Tranche", app_id: str, predicate, timeout: float = 30):
    """Poll `tranchectl explain` until the surface with app_id satisfies
    predicate(surface). Returns (surface or None, the last explain)."""
    deadline = time.monotonic() + timeout
    while True:
        explain = tranche_json(t, "explain")
        surface = explain_surface(explain, app_id)
        if surface is not None and predicate(surface):
            return surface, explain
        if time.monotonic() > deadline:
            return None, explain
        time.sleep(0.3)


def unused_byte_values(fb: dict, step: int = 7) -> dict[int, int]:
    """{value: count} of the fourth byte of every step-th pixel of a 32-bit
    framebuffer (the X byte of XR24: what the client wrote when the plane shows
    its buffer; when the compositor composed it, 0xff where the GPU cleared and
    whatever it leaves where it drew: llvmpipe leaves 0)."""
    counts: dict[int, int] = {}
    width, pitch, data = fb["width"], fb["pitch"], fb["data"]
    for y in range(0, fb["height"], step):
        row = data[y * pitch + 3:y * pitch + width * 4:4 * step]
        for value in set(row):
            counts[value] = counts.get(value, 0) + row.count(value)
    return counts


def process_cpu_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks (os.sysconf('SC_CLK_TCK') a second)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


# ----------------------------------------------------------------- two devices (tests/vm/copy_paths.py)


def card_connectors(card: str) -> list[str]:
    """The connector names of /dev/dri/cardN ("Virtual-1", ...), from
    /sys/class/drm/cardN-NAME. Connector names are global: two cards' differ."""
    index = card.removeprefix("/dev/dri/card")
    return sorted(p.name.split("-", 1)[1] for p in pathlib.Path("/sys/class/drm").glob(f"card{index}-*"))


def crc_settled(dri_index: int, hold: float = 3.0, timeout: float = 60, other_than=(), crtc: int = 0):
    """Read a CRTC's CRC continuously (a fresh capture, so no stale entries)
    until one value, not in other_than, has held for `hold` seconds. Time, not
    a count of entries: under TCG a frame can take a second, far longer than
    a few vblanks. Returns the value, or None after timeout."""
    deadline = time.monotonic() + timeout
    last, since = None, 0.0
    with Crc(dri_index, crtc) as crc:
        while time.monotonic() < deadline:
            try:
                _, value = crc.read(timeout=max(deadline - time.monotonic(), 0.1))
            except TimeoutError:
                break
            now = time.monotonic()
            if value != last:
                last, since = value, now
            elif value not in other_than and now - since >= hold:
                return value
    return None
