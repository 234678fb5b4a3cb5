"""The compute layer must import and run with Qt unavailable (DESIGN §2)."""

import subprocess
import sys
import textwrap


def test_compute_runs_with_qt_blocked():
    code = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                top = name.split(".")[0]
                if top in ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph", "panels",
                           "mgai_lab", "torch"):
                    raise ImportError(f"blocked: {name}")
                return None
        sys.meta_path.insert(0, Block())
        import compute
        from compute import checked_frames
        ids = [cls.id for cls in compute.all_experiments()]
        assert ids, "no experiments registered"
        for cls in compute.all_experiments():
            if cls.needs_torch:
                continue
            frames = checked_frames(cls())
            next(frames)
            frames.close()
        bad = [m for m in sys.modules if m.split(".")[0] in ("PySide6", "pyqtgraph", "torch")]
        assert not bad, bad
        print("ok", len(ids))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
