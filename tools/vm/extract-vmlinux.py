#!/usr/bin/env python3
"""tools/vm/extract-vmlinux.py BZIMAGE OUT — write the uncompressed kernel (ELF)
found in a bzImage, for QEMU to boot directly through its PVH entry point.

Runs inside the Debian forky root (tools/vm/vm calls it). Handles the compressions
Debian uses (zstd, xz, gzip): tries each place the format's magic occurs until
one decompresses to an ELF image. Exits 1 when none does."""
import gzip
import lzma
import pathlib
import subprocess
import sys


def candidates(data: bytes):
    for magic, kind in ((b"\x28\xb5\x2f\xfd", "zstd"), (b"\xfd7zXZ\x00", "xz"), (b"\x1f\x8b\x08", "gzip")):
        start = data.find(magic)
        while start >= 0:
            yield kind, start
            start = data.find(magic, start + 1)


def decompress(kind: str, blob: bytes) -> bytes:
    if kind == "zstd":
        # The bzImage has trailing bytes after the frame: zstd complains but has
        # written the frame by then.
        return subprocess.run(["zstd", "-dqc"], input=blob, capture_output=True).stdout
    if kind == "xz":
        return lzma.LZMADecompressor().decompress(blob)
    return gzip.GzipFile(fileobj=__import__("io").BytesIO(blob)).read()


def main():
    image, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    data = image.read_bytes()
    for kind, start in candidates(data):
        try:
            elf = decompress(kind, data[start:])
        except Exception:  # noqa: BLE001 - a false magic: try the next one
            continue
        if elf.startswith(b"\x7fELF") and len(elf) > 1 << 20:
            tmp = out.with_suffix(".tmp")
            tmp.write_bytes(elf)
            tmp.rename(out)
            print(f"extract-vmlinux: {kind} at offset {start}: {len(elf)} bytes")
            return 0
    print(f"extract-vmlinux: no compressed ELF kernel found in {image}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
