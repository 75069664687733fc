"""security-context-v1: a client connecting through a sandbox's socket sees
the ordinary globals but none of the privileged ones (capture, virtual input,
clipboard control, output management, layer shell, locking, input methods)."""
import re

import harness as h

PRIVILEGED = """
zwlr_screencopy_manager_v1 zwlr_export_dmabuf_manager_v1 zwlr_gamma_control_manager_v1
zwlr_data_control_manager_v1 zwlr_foreign_toplevel_manager_v1 zwp_virtual_keyboard_manager_v1
zwlr_virtual_pointer_manager_v1 zwlr_output_manager_v1 zwlr_output_power_manager_v1
zwlr_layer_shell_v1 ext_session_lock_manager_v1 zwp_keyboard_shortcuts_inhibit_manager_v1
wp_security_context_manager_v1 zwp_input_method_manager_v2 ext_foreign_toplevel_list_v1
ext_image_copy_capture_manager_v1 ext_output_image_capture_source_manager_v1
ext_foreign_toplevel_image_capture_source_manager_v1
""".split()
ORDINARY = "wl_compositor wl_shm xdg_wm_base wl_seat wl_output wp_viewporter zwp_text_input_manager_v3".split()


def globals_seen(comp, display):
    result = h.run(["wayland-info"], comp.client_env(WAYLAND_DISPLAY=display), timeout=20)
    h.check(result.returncode == 0, f"wayland-info on {display} exited {result.returncode}: {result.stderr[-500:]}")
    return set(re.findall(r"interface: '([^']+)'", result.stdout))


def test():
    h.require_programs("wayland-info")
    with h.Compositor() as comp:
        seen = globals_seen(comp, comp.socket)
        h.check(set(PRIVILEGED) <= seen, f"not offered at all: {sorted(set(PRIVILEGED) - seen)}")

        path = comp.runtime_dir / "sandbox.sock"
        sandbox = comp.spawn([h.client("security-context-client"), path], name="sandbox")
        sandbox.wait_output("listening", 10)
        sandboxed = globals_seen(comp, str(path))
        leaked = sorted(set(PRIVILEGED) & sandboxed)
        h.check(not leaked, f"a sandboxed client sees privileged globals: {leaked}")
        missing = sorted(set(ORDINARY) - sandboxed)
        h.check(not missing, f"a sandboxed client misses ordinary globals: {missing}")
        # The unsandboxed socket is unchanged.
        h.check(set(PRIVILEGED) <= globals_seen(comp, comp.socket), "privileged globals vanished for everyone")
        comp.check_alive()


h.main(test)
