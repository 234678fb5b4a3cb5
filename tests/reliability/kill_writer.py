"""Child process of test_files.py: a save that the test SIGKILLs while it writes.

    python kill_writer.py preset PATH          # presets.save(..., overwrite=True)
    python kill_writer.py settings PATH        # Settings(PATH).save() with big layouts
    python kill_writer.py raw PATH SIZE        # presets.atomic_write of SIZE bytes, no pause

For ``preset`` and ``settings`` the lab's atomic writer is made to stop half-way through its
data: it writes half, flushes it to disk, prints ``HALF <temporary file>`` and sleeps, so the
kill lands mid-write for certain. ``raw`` writes a big payload at full speed (the test kills
it after a delay) and prints ``START`` just before.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def pause_half_way() -> None:
    """Wrap the file object the atomic writer gets, so ``write`` stops in the middle."""
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, handle, name):
            self.handle = handle
            self.name = name

        def write(self, data):
            half = len(data) // 2
            self.handle.write(data[:half])
            self.handle.flush()
            os.fsync(self.handle.fileno())
            print(f"HALF {self.name}", flush=True)
            time.sleep(600)  # the test kills the process here

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.handle.__exit__(*exc)

    def fdopen(fd, *args, **kwargs):
        name = os.readlink(f"/proc/self/fd/{fd}") if os.path.exists("/proc") else "?"
        return HalfWriter(real_fdopen(fd, *args, **kwargs), name)

    os.fdopen = fdopen


def main() -> None:
    mode, path = sys.argv[1], sys.argv[2]
    from mgai_lab import presets

    if mode == "raw":
        size = int(sys.argv[3])
        data = b"N" * size
        print("START", flush=True)
        presets.atomic_write(path, data, overwrite=True)
        print("DONE", flush=True)
        return
    pause_half_way()
    if mode == "preset":
        import compute

        cls = compute.all_experiments()[0]
        values = cls.spec().defaults()
        presets.save(path, cls, values, {"steps_per_frame": 3}, overwrite=True)
    else:
        from mgai_lab.settings import Settings

        settings = Settings(Path(path))
        settings.set_layout("ch0.big", os.urandom(2_000_000))
        print("saved" if settings.save() is None else "failed", flush=True)


if __name__ == "__main__":
    main()
