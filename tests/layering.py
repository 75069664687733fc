#!/usr/bin/env python3
"""The layering rule: nothing lower calls back up. render/, scanout/, sync/,
protocols/, ipc/ and common/ include nothing from compositor/, and the plain
policy libraries (scanout/, sync/, render/copy/) include no wlroots."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
compositor_headers = {p.name for p in (root / "compositor").rglob("*.hpp")}
include = re.compile(r'#\s*include\s*[<"]([^">]+)[">]')
problems = []
for layer in ["render", "scanout", "sync", "protocols", "ipc", "common"]:
    for path in sorted((root / layer).rglob("*")):
        if path.suffix not in (".cpp", ".hpp", ".h"):
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = include.match(line.strip())
            if not m:
                continue
            name = m.group(1)
            local = (path.parent / name).exists() or (root / name).exists() or (root / "common" / name).exists()
            if name.startswith("compositor/") or (pathlib.Path(name).name in compositor_headers and not local):
                problems.append(f"{path.relative_to(root)}:{n}: includes {name} from compositor/")
            if layer in ("scanout", "sync") or path.relative_to(root).parts[:2] == ("render", "copy"):
                if name.startswith("wlr/") or name == "wlr.hpp":
                    problems.append(f"{path.relative_to(root)}:{n}: policy code includes wlroots ({name})")
for p in problems:
    print(p)
print(f"{len(problems)} layering problem(s)")
sys.exit(1 if problems else 0)
