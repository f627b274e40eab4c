#!/usr/bin/env python3
"""Zeroes the CUDA machine code a GPU of one architecture never loads.

    keep-cubins.py IN OUT ARCH       e.g. ... libonnxruntime_providers_cuda.so out.so 90

ONNX Runtime's CUDA provider carries each kernel compiled for six GPU
architectures (sm_75 to sm_120): 218 MB of its 284 MB. A device check on
an H100 or H200 (sm_90) loads only the sm_90 code, but the whole library
must travel to the device machine, 64 MiB a call. This keeps the file's
layout and every header, and overwrites with zeros the payload of each
entry for another architecture in every fat binary that also holds an
ELF image for ARCH, so the copy compresses to about a quarter (zstd -19:
186 MB to 52 MB). Fat binaries without such an image are left whole. The
copy is for measuring on that GPU only; never install it anywhere else.
"""
import struct
import subprocess
import sys

MAGIC = 0xBA55ED50  # a fat binary's header
ELF = 2


def section(path, name):
    out = subprocess.run(["readelf", "-S", "-W", path], capture_output=True,
                         text=True, check=True).stdout
    for line in out.splitlines():
        if f" {name} " in line:
            fields = line.split("]", 1)[1].split()
            return int(fields[3], 16), int(fields[4], 16)
    sys.exit(f"{path} has no {name} section")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, dst, arch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = bytearray(open(src, "rb").read())
    start, size = section(src, ".nv_fatbin")
    pos, end = start, start + size
    kept = zeroed = whole = 0
    while pos < end:
        magic, _, header, body = struct.unpack_from("<IHHQ", data, pos)
        if magic != MAGIC:
            pos += 8  # fat binaries are 8-byte aligned, with padding between
            continue
        entries, p, stop = [], pos + header, pos + header + body
        while p < stop:
            kind, _, entry_header, payload = struct.unpack_from("<HHIQ", data, p)
            entry_arch = struct.unpack_from("<I", data, p + 28)[0]
            entries.append((kind == ELF and entry_arch == arch, p + entry_header, payload))
            p += entry_header + payload
        if any(keep for keep, _, _ in entries):
            for keep, at, n in entries:
                if keep:
                    kept += n
                else:
                    data[at:at + n] = bytes(n)
                    zeroed += n
        else:
            whole += sum(n for _, _, n in entries)
        pos = stop
    open(dst, "wb").write(data)
    print(f"sm_{arch}: kept {kept >> 20} MiB, zeroed {zeroed >> 20} MiB, "
          f"{whole >> 20} MiB in fat binaries without sm_{arch} left whole")


main()
