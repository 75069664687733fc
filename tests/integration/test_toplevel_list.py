"""ext-foreign-toplevel-list-v1: a taskbar's view of the windows. Each mapped
window, Wayland or X11, is listed with its app_id and title and an identifier
that IPC shows too; a window that goes is closed; identifiers are not reused."""
import re
import shutil
import signal

import harness as h

LINE = re.compile(r"^toplevel (\S+) app_id=(\S*) title=(.*)$", re.M)


def listed(client, app_id, title=None):
    """The identifier the list client printed for app_id (and title), or None."""
    for identifier, app, t in LINE.findall(client.stdout()):
        if app == app_id and (title is None or t == title):
            return identifier
    return None


def test():
    with h.Compositor(size=(800, 600)) as comp:
        taskbar = comp.spawn([h.client("toplevel-list-client")], name="taskbar")
        taskbar.wait_output("listening", 10)

        first = comp.spawn([h.client("solid-client"), "--app-id", "first", "--title", "One", "--size", "200x150"],
                           name="first")
        first_id = h.wait_until(lambda: listed(taskbar, "first", "One"), 10, "the first window listed",
                                details=taskbar.stdout)
        surfaces = {s["app_id"]: s for s in comp.surfaces()}
        h.check(surfaces["first"]["identifier"] == first_id,
                f"IPC identifier {surfaces['first'].get('identifier')!r} is not the listed {first_id!r}")

        comp.spawn([h.client("solid-client"), "--app-id", "second", "--title", "Two", "--size", "200x150"],
                   name="second")
        second_id = h.wait_until(lambda: listed(taskbar, "second", "Two"), 10, "the second window listed",
                                 details=taskbar.stdout)
        h.check(second_id != first_id, f"two windows share the identifier {first_id}")

        first.signal(signal.SIGKILL)
        taskbar.wait_output(f"closed {first_id}", 10)
        h.check(f"closed {second_id}" not in taskbar.stdout(), "the second window was closed too")

        # An X11 window, when Xwayland is there: its class is the app_id.
        display = comp.query("env").get("DISPLAY")
        if display and shutil.which("xlogo"):
            comp.spawn(["xlogo", "-geometry", "200x150"], env=comp.client_env(DISPLAY=display), name="xlogo")
            x_id = h.wait_until(lambda: listed(taskbar, "XLogo"), 45, "xlogo listed", details=taskbar.stdout)
            h.check(x_id not in (first_id, second_id), f"xlogo reuses identifier {x_id}")
            x_surface = comp.wait_surface(lambda s: s["kind"] == "xwayland" and s["identifier"] == x_id, 10,
                                          "xlogo's identifier over IPC")
            h.check(x_surface["app_id"] == "XLogo", f"xlogo's IPC app_id: {x_surface}")
        comp.check_alive()


h.main(test)
