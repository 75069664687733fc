#!/bin/sh
# `meson install` puts everything a user needs in place.
set -eu
builddir=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C "$builddir" --no-rebuild --quiet --destdir "$dest" >/dev/null
prefix=$(meson introspect "$builddir" --buildoptions | python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
root="$dest$prefix"
status=0
for f in bin/tranche bin/tranchectl share/wayland-sessions/tranche.desktop \
         share/doc/tranche/examples/config.toml \
         share/man/man1/tranche.1 share/man/man1/tranchectl.1 share/man/man5/tranche-config.5; do
  if [ -e "$root/$f" ]; then echo "ok: $f"; else echo "missing: $f"; status=1; fi
done
"$root/bin/tranche" --version | grep -q '^tranche ' || { echo "installed tranche does not run"; status=1; }
exit $status
