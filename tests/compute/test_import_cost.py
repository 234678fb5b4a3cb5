"""Start-up cost: discovering the experiments must not import heavy libraries.

The GUI lists every experiment at start-up (target: first frame within a second), so an
experiment module may import numpy at module level but scipy, torch and matplotlib only
inside the functions that use them.
"""

import subprocess
import sys
import textwrap

HEAVY = ("scipy", "torch", "matplotlib", "PySide6", "pyqtgraph")


def test_discovering_experiments_imports_nothing_heavy():
    code = textwrap.dedent(f"""
        import sys
        import compute
        compute.all_experiments()
        heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))
        print(",".join(heavy))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"imported at discovery: {result.stdout.strip()}"
