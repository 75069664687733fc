"""wayland-info lists every global tranche promises."""
import re

import harness as h

GLOBALS = """
wl_compositor wl_subcompositor wl_shm wl_data_device_manager
zwp_primary_selection_device_manager_v1 xdg_wm_base zxdg_decoration_manager_v1
zxdg_output_manager_v1 wp_presentation wp_viewporter wp_fractional_scale_manager_v1
wp_single_pixel_buffer_manager_v1 wp_cursor_shape_manager_v1
zwp_relative_pointer_manager_v1 zwp_pointer_constraints_v1 zwp_idle_inhibit_manager_v1
xdg_activation_v1 zwlr_layer_shell_v1 zwlr_screencopy_manager_v1
zwlr_foreign_toplevel_manager_v1 zwp_virtual_keyboard_manager_v1
zwlr_virtual_pointer_manager_v1 ext_session_lock_manager_v1 wl_seat wl_output
wp_security_context_manager_v1 zwp_keyboard_shortcuts_inhibit_manager_v1 zwp_pointer_gestures_v1
wp_alpha_modifier_v1 wp_content_type_manager_v1 zxdg_exporter_v1 zxdg_importer_v1
zxdg_exporter_v2 zxdg_importer_v2 zwp_text_input_manager_v3 zwp_input_method_manager_v2
wp_fifo_manager_v1 wp_commit_timing_manager_v1 ext_foreign_toplevel_list_v1 zwp_tablet_manager_v2
ext_image_copy_capture_manager_v1 ext_output_image_capture_source_manager_v1
ext_foreign_toplevel_image_capture_source_manager_v1 wp_tearing_control_manager_v1
xdg_wm_dialog_v1 xdg_toplevel_icon_manager_v1
""".split()


def test():
    h.require_programs("wayland-info")
    with h.Compositor() as comp:
        result = comp.run(["wayland-info"], timeout=20)
        h.check(result.returncode == 0,
                f"wayland-info exited {result.returncode}: {result.stderr.strip()[-1000:]}")
        found = set(re.findall(r"interface: '([^']+)'", result.stdout))
        missing = [name for name in GLOBALS if name not in found]
        h.check(not missing, f"globals missing: {', '.join(missing)} (found: {', '.join(sorted(found))})")
        # presentation-time v2: the zero_copy flag (tranche's overlay frames answer it themselves).
        versions = dict(re.findall(r"interface: '([^']+)',\s*version:\s*(\d+)", result.stdout))
        h.check(versions.get("wp_presentation") == "2", f"wp_presentation version {versions.get('wp_presentation')}")
        comp.check_alive("after wayland-info")


h.main(test)
