"""Harness of tranche's real-client integration tests.

Starts a compositor in a private XDG_RUNTIME_DIR, runs clients against it, asks
it about outputs and surfaces, takes screenshots and compares them. Every wait is
bounded; every process started here (and whatever it started, found by the
private XDG_RUNTIME_DIR in its environment) is killed when the test ends.

Environment (set by tests/integration/meson.build):
  TRANCHE, TRANCHECTL, TEST_CLIENTS, SOURCE_ROOT, ARTIFACTS_DIR
  TRANCHE_UPDATE_REFERENCES=1  rewrite reference PNGs instead of comparing
  TRANCHE_TEST_COMPOSITOR=sway run against sway instead (harness development)
"""

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

SKIP = 77


class TestFailure(Exception):
    pass


def fail(message):
    raise TestFailure(message)


def check(condition, message):
    if not condition:
        fail(message)


def skip(message):
    print(f"SKIP: {message}", flush=True)
    sys.exit(SKIP)


def require_programs(*names):
    for name in names:
        if shutil.which(name) is None:
            skip(f"{name} is not installed")


def eventually(predicate, timeout, interval=0.05):
    """Whether predicate holds within timeout (polled); never fails by itself."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def wait_until(predicate, timeout, what, interval=0.05, details=None):
    """Polls predicate until it returns something truthy (returned) or timeout;
    details() may say what was seen last, for the failure message."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            fail(f"timed out after {timeout:g} s waiting for {what}" + (f": {details()}" if details else ""))
        time.sleep(interval)


def _terminated(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the clean-up finish
    raise TestFailure(f"terminated by signal {signum} (meson's timeout?)")


def main(test):
    """Runs test() and turns its outcome into the exit status meson expects."""
    signal.signal(signal.SIGTERM, _terminated)  # clean up when meson gives up on us
    try:
        test()
    except TestFailure as e:
        print(f"FAIL: {e}", flush=True)
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        sys.exit(1)
    finally:
        for compositor in list(_live_compositors):
            compositor.close()
    print("PASS", flush=True)


# -- paths --------------------------------------------------------------------

TEST_NAME = Path(sys.argv[0]).stem.removeprefix("test_")


def _env_path(name):
    value = os.environ.get(name)
    if not value:
        skip(f"{name} is not set (run through meson test)")
    return Path(value)


def client(name):
    """Absolute path of one of tests/clients' programs."""
    path = _env_path("TEST_CLIENTS") / name
    if not os.access(path, os.X_OK):
        skip(f"test client {path} is not built")
    return str(path)


def tranche_binary():
    return str(_env_path("TRANCHE"))


def source_path(*parts):
    return _env_path("SOURCE_ROOT").joinpath(*parts)


def artifacts_dir():
    base = Path(os.environ.get("ARTIFACTS_DIR") or Path(tempfile.gettempdir()) / "tranche-artifacts")
    path = base / TEST_NAME
    if not getattr(artifacts_dir, "cleared", False):
        shutil.rmtree(path, ignore_errors=True)
        artifacts_dir.cleared = True
    path.mkdir(parents=True, exist_ok=True)
    return path


# -- processes ----------------------------------------------------------------

class Process:
    """A child in its own process group; stdout/stderr go to files in the artifacts dir."""

    _count = 0

    def __init__(self, argv, env, name=None):
        Process._count += 1
        self.name = f"{Process._count:02d}-{name or Path(argv[0]).name}"
        self.argv = [str(a) for a in argv]
        logs = artifacts_dir()
        self.out_path = logs / f"{self.name}.out"
        self.err_path = logs / f"{self.name}.err"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.popen = subprocess.Popen(self.argv, env=env, stdin=subprocess.DEVNULL,
                                          stdout=out, stderr=err, start_new_session=True,
                                          preexec_fn=_die_with_parent)

    @property
    def pid(self):
        return self.popen.pid

    def poll(self):
        return self.popen.poll()

    def stdout(self):
        return self.out_path.read_text(errors="replace")

    def stderr(self):
        return self.err_path.read_text(errors="replace")

    def describe(self):
        status = self.poll()
        state = "running" if status is None else f"exited with {status}"
        return (f"{self.name} ({shlex.join(self.argv)}) {state}\n"
                f"--- stdout ---\n{self.stdout()[-2000:]}--- stderr ---\n{self.stderr()[-3000:]}")

    def wait_output(self, text, timeout):
        """Waits until stdout contains text; fails early if the process exits first."""
        def seen():
            if text in self.stdout():
                return True
            if self.poll() is not None and text not in self.stdout():
                fail(f"{self.name} exited before printing {text!r}:\n{self.describe()}")
            return False
        wait_until(seen, timeout, f"{self.name} to print {text!r}")

    def wait(self, timeout):
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            fail(f"{self.name} did not exit within {timeout:g} s")

    def signal(self, sig):
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout=3):
        """SIGTERM to the process group, SIGKILL after timeout; returns the exit status.
        (The group is signalled only while its leader is unreaped, so its id cannot
        have been reused; Compositor.close() finds stragglers by their environment.)"""
        if self.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.popen.wait(5)
        return self.popen.returncode


def _die_with_parent():
    """In a child before exec: get SIGKILL if the test process dies (Linux)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run(argv, env, timeout=10, input=None):
    """Runs a short command to completion; returns CompletedProcess (text)."""
    try:
        return subprocess.run([str(a) for a in argv], env=env, input=input, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        fail(f"{shlex.join(map(str, argv))} did not finish within {timeout:g} s")


def run_bytes(argv, env, timeout=10):
    """Runs a short command to completion; returns its stdout as bytes (fails on error)."""
    try:
        result = subprocess.run([str(a) for a in argv], env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        fail(f"{shlex.join(map(str, argv))} did not finish within {timeout:g} s")
    if result.returncode != 0:
        fail(f"{shlex.join(map(str, argv))} exited {result.returncode}: {result.stderr.decode(errors='replace')}")
    return result.stdout


def _processes_with_env(key, value):
    """PIDs of our processes whose environment has key=value."""
    needle = f"{key}={value}".encode()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    pids.append(int(entry))
        except OSError:
            pass
    return pids


def _kill_all(pids, timeout=2):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") and
                                                  not _is_zombie(p) for p in pids):
            time.sleep(0.05)


def _is_zombie(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def run_tranche(args, timeout=10):
    """Runs tranche with args (in a private runtime dir) to completion, for
    start-up errors; returns CompletedProcess."""
    runtime_dir = tempfile.mkdtemp(prefix=f"tranche-{TEST_NAME}-")
    env = {k: v for k, v in os.environ.items()
           if k not in ("WAYLAND_DISPLAY", "DISPLAY", "WAYLAND_SOCKET", "WLR_BACKENDS")}
    env["XDG_RUNTIME_DIR"] = runtime_dir
    env["XDG_CONFIG_HOME"] = runtime_dir
    try:
        return run([tranche_binary(), *args], env, timeout)
    finally:
        _kill_all(_processes_with_env("XDG_RUNTIME_DIR", runtime_dir))
        shutil.rmtree(runtime_dir, ignore_errors=True)


# -- compositor ---------------------------------------------------------------

_live_compositors = []
_socket_count = 0


class Compositor:
    """tranche (or sway, see TRANCHE_TEST_COMPOSITOR) in a private runtime dir.

    Use as a context manager. outputs: headless outputs; size: (w, h) of each;
    config: text of the config file (empty: built-in defaults); startup: shell
    commands passed as --startup; backend: --backend (nested ones get `env`,
    e.g. DISPLAY, added to the compositor's environment)."""

    def __init__(self, outputs=1, size=(1280, 720), config="", startup=(), extra_args=(),
                 backend="headless", env=None):
        global _socket_count
        _socket_count += 1
        self.kind = self.kind_requested()
        self.is_sway = self.kind == "sway"
        self.runtime_dir = Path(tempfile.mkdtemp(prefix=f"tranche-{TEST_NAME}-"))
        self.runtime_dir.chmod(0o700)
        self.socket = f"tranche-test-{os.getpid()}-{_socket_count}"
        self.config_path = self.runtime_dir / "config.toml"
        self.config_path.write_text(config)
        (self.runtime_dir / "config-home").mkdir()
        self.processes = []
        self.process = None
        _live_compositors.append(self)
        if self.is_sway:
            self._start_sway(outputs, size, startup)
        else:
            argv = [tranche_binary(), "--backend", backend, "--output-size", f"{size[0]}x{size[1]}",
                    "--socket", self.socket, "--config", self.config_path]
            if backend == "headless":
                argv += ["--headless-outputs", outputs]
            for command in startup:
                argv += ["--startup", command]
            # Nested backends need the host's display (env), e.g. DISPLAY for x11.
            self.process = self.spawn(argv + list(extra_args), name="tranche", env={**self.base_env(), **(env or {})})
        self.wait_ready()

    @staticmethod
    def kind_requested():
        return os.environ.get("TRANCHE_TEST_COMPOSITOR", "tranche")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # environment

    def base_env(self):
        """The test's environment without any display, in the private runtime dir."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("WAYLAND_DISPLAY", "DISPLAY", "WAYLAND_SOCKET", "WLR_BACKENDS",
                            "SWAYSOCK", "TRANCHE_IPC_SOCKET")}
        env["XDG_RUNTIME_DIR"] = str(self.runtime_dir)
        env["XDG_CONFIG_HOME"] = str(self.runtime_dir / "config-home")
        return env

    @property
    def ipc_path(self):
        return self.runtime_dir / f"tranche.{self.socket}.ipc"

    def client_env(self, **extra):
        env = self.base_env()
        env["WAYLAND_DISPLAY"] = self.socket
        if self.is_sway:
            env["SWAYSOCK"] = str(self.sway_ipc)
        else:
            env["TRANCHE_IPC_SOCKET"] = str(self.ipc_path)
        env.update(extra)
        return env

    # processes

    def spawn(self, argv, name=None, env=None):
        """Starts a client of this compositor (or anything, with env)."""
        process = Process(argv, env if env is not None else self.client_env(), name)
        self.processes.append(process)
        return process

    def run(self, argv, timeout=10, input=None):
        return run(argv, self.client_env(), timeout, input)

    def alive(self):
        return self.process.poll() is None

    def check_alive(self, when=""):
        if not self.alive():
            fail(f"the compositor died{' ' + when if when else ''}:\n{self.process.describe()}")

    def stop(self, sig=signal.SIGTERM, timeout=5):
        """Signals the compositor (alone, not its group); returns the exit status,
        fails if it does not exit within timeout."""
        self.process.popen.send_signal(sig)
        return self.process.wait(timeout)

    def close(self):
        if self not in _live_compositors:
            return
        _live_compositors.remove(self)
        for process in reversed(self.processes):
            process.stop(timeout=2)
        _kill_all(_processes_with_env("XDG_RUNTIME_DIR", str(self.runtime_dir)))
        shutil.rmtree(self.runtime_dir, ignore_errors=True)

    # queries

    def wait_ready(self, timeout=15):
        def ready():
            self.check_alive("during start-up")
            try:
                return self.outputs()
            except TestFailure:
                return None
        wait_until(ready, timeout, "the compositor to answer 'outputs'", interval=0.1)

    def ctl(self, *args, timeout=10):
        """Runs tranchectl with args; returns CompletedProcess."""
        return self.run([_env_path("TRANCHECTL"), *args], timeout=timeout)

    def query(self, command):
        if self.is_sway:
            return self._sway_query(command)
        result = self.ctl("--json", command)
        if result.returncode != 0:
            fail(f"tranchectl --json {command} exited {result.returncode}: {result.stderr.strip()}")
        try:
            return json.loads(result.stdout)
        except json.JSONDecodeError as e:
            fail(f"tranchectl --json {command} printed invalid JSON ({e}): {result.stdout[:500]!r}")

    def query_args(self, command, **args):
        """A tranche IPC command with key=value arguments; its JSON result."""
        result = self.ctl("--json", command, *(f"{k}={v}" for k, v in args.items()))
        if result.returncode != 0:
            fail(f"tranchectl --json {command} exited {result.returncode}: {result.stderr.strip()}")
        return json.loads(result.stdout)

    def outputs(self):
        return self.query("outputs")

    def surfaces(self):
        return self.query("surfaces")

    def wait_surface(self, predicate, timeout, what):
        """Waits until some surface satisfies predicate; returns it."""
        def find():
            self.check_alive()
            return next((s for s in self.surfaces() if predicate(s)), None)
        return wait_until(find, timeout, what, interval=0.1)

    def ipc_lines(self, data, timeout=5):
        """Sends raw bytes to the IPC socket; returns the reply lines received until
        one reply per newline sent arrived, the server closed, or timeout."""
        want = max(1, data.count(b"\n"))
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(self.ipc_path))
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may hang up early; read what it said
            received = b""
            deadline = time.monotonic() + timeout
            while received.count(b"\n") < want and time.monotonic() < deadline:
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                received += chunk
        return [line for line in received.decode(errors="replace").split("\n") if line]

    # screenshots

    def screenshot(self, name="screen"):
        """The whole layout, captured with grim; also saved in the artifacts dir."""
        require_programs("grim")
        try:
            from PIL import Image
        except ImportError:
            skip("python3-pil is not installed")
        path = artifacts_dir() / f"{name}.png"
        result = self.run(["grim", path], timeout=15)
        if result.returncode != 0:
            fail(f"grim failed ({result.returncode}): {result.stderr.strip()}")
        with Image.open(path) as image:
            return image.convert("RGB")

    # sway, for developing the harness without tranche

    def _start_sway(self, outputs, size, startup):
        lines = ["output * bg #202020 solid_color",
                 f"output * mode {size[0]}x{size[1]}",
                 "default_border none", "default_floating_border none",
                 "for_window [app_id=\".*\"] floating enable"]
        lines += [f"exec {command}" for command in startup]
        conf = self.runtime_dir / "sway.conf"
        conf.write_text("\n".join(lines) + "\n")
        env = self.base_env()
        env.update(WLR_BACKENDS="headless", WLR_LIBINPUT_NO_DEVICES="1", WLR_RENDERER="pixman",
                   WLR_HEADLESS_OUTPUTS=str(outputs))
        self.process = self.spawn(["sway", "-c", conf], name="sway", env=env)

        def sockets():
            self.check_alive("during start-up")
            names = [p.name for p in self.runtime_dir.iterdir()]
            ipc = [n for n in names if n.startswith("sway-ipc.")]
            way = [n for n in names if n.startswith("wayland-") and not n.endswith(".lock")]
            return (way[0], ipc[0]) if ipc and way else None
        way, ipc = wait_until(sockets, 10, "sway's sockets")
        self.socket, self.sway_ipc = way, self.runtime_dir / ipc

    def _sway_query(self, command):
        kind = {"outputs": "get_outputs", "surfaces": "get_tree"}[command]
        result = self.run(["swaymsg", "-r", "-t", kind], timeout=10)
        if result.returncode != 0:
            fail(f"swaymsg -t {kind} failed: {result.stderr.strip()}")
        data = json.loads(result.stdout)
        if command == "outputs":
            return [{"name": o["name"], "width": o["rect"]["width"], "height": o["rect"]["height"],
                     "scale": o.get("scale", 1.0), "x": o["rect"]["x"], "y": o["rect"]["y"]}
                    for o in data]
        views = []

        def walk(node, output):
            if node.get("type") == "output":
                output = node["name"]
            if node.get("pid") and node.get("type") in ("con", "floating_con"):
                rect, win = node["rect"], node["window_rect"]
                views.append({"id": node["id"], "kind": "xdg_toplevel" if node.get("shell") == "xdg_shell"
                              else node.get("shell"), "app_id": node.get("app_id"),
                              "title": node.get("name"), "pid": node["pid"], "output": output,
                              "x": rect["x"] + win["x"], "y": rect["y"] + win["y"],
                              "width": win["width"], "height": win["height"],
                              "focused": node.get("focused"),
                              "fullscreen": node.get("fullscreen_mode", 0) != 0,
                              "maximized": False, "popups": []})
            for child in node.get("nodes", []) + node.get("floating_nodes", []):
                walk(child, output)
        walk(data, None)
        return views


# -- images -------------------------------------------------------------------

def crop(image, x, y, w, h):
    return image.crop((x, y, x + w, y + h))


def color_fraction(image, rgb, tolerance=8):
    """Fraction of image's pixels within tolerance (per channel) of rgb."""
    r0, g0, b0 = rgb
    pixels = list(image.convert("RGB").getdata())
    if not pixels:
        return 0.0
    near = sum(1 for r, g, b in pixels
               if abs(r - r0) <= tolerance and abs(g - g0) <= tolerance and abs(b - b0) <= tolerance)
    return near / len(pixels)


def hex_rgb(text):
    return tuple(int(text[i:i + 2], 16) for i in (0, 2, 4))


def updating_references():
    return os.environ.get("TRANCHE_UPDATE_REFERENCES") == "1"


def compare_with_reference(image, reference_name, tolerance=48, max_bad_fraction=0.005):
    """Compares image with tests/integration/references/<reference_name>.

    A pixel is bad when a channel differs by more than tolerance; at most
    max_bad_fraction of them may be bad. Returns None when it matches, else a
    message (after writing the actual and a diff image to the artifacts dir);
    fails at once when the reference is missing.
    With TRANCHE_UPDATE_REFERENCES=1 the reference is rewritten instead."""
    from PIL import Image, ImageChops
    reference_path = source_path("tests", "integration", "references", reference_name)
    if updating_references():
        image.save(reference_path)
        print(f"updated reference {reference_path}")
        return None
    if not reference_path.exists():
        actual = artifacts_dir() / f"actual-{reference_name}"
        image.save(actual)
        fail(f"reference {reference_path} is missing; actual image: {actual} "
             f"(check it, then generate the reference with TRANCHE_UPDATE_REFERENCES=1)")
    with Image.open(reference_path) as ref:
        reference = ref.convert("RGB")
    if reference.size != image.size:
        message = f"size {image.size} differs from the reference's {reference.size}"
        bad_fraction = 1.0
        diff_image = None
    else:
        diff = ImageChops.difference(image, reference).getdata()
        bad = [max(p) > tolerance for p in diff]
        bad_fraction = sum(bad) / len(bad)
        if bad_fraction <= max_bad_fraction:
            return None
        message = f"{bad_fraction:.2%} of pixels differ by more than {tolerance} (allowed {max_bad_fraction:.2%})"
        diff_image = image.convert("L").point(lambda v: v // 3).convert("RGB")
        diff_image.putdata([(255, 0, 0) if b else p for b, p in zip(bad, diff_image.getdata())])
    actual = artifacts_dir() / f"actual-{reference_name}"
    image.save(actual)
    message += f"; actual: {actual}"
    if diff_image is not None:
        diff_path = artifacts_dir() / f"diff-{reference_name}"
        diff_image.save(diff_path)
        message += f"; diff: {diff_path}"
    return f"{reference_name}: {message}; reference: {reference_path}"
