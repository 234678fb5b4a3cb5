"""Start-up cost: discovering the experiments must not import heavy libraries.

The GUI lists every experiment at start-up (target: first frame within a second), so an
experiment module may import numpy at module level but scipy, torch and matplotlib only
inside the functions that use them.
"""

import os
import subprocess
import sys
import textwrap

import compute

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


def test_a_second_start_lists_the_experiments_without_importing_them(tmp_path):
    """The catalogue cache: the first process imports the modules and writes it; the next
    one lists every experiment from it and imports none of their modules."""
    code = textwrap.dedent("""
        import sys
        import compute
        ids = [info.id for info in compute.catalog()]
        imported = [m for m in sys.modules if m.startswith("compute.experiments.")]
        print(len(ids), len(imported))
    """)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=120, env=env) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
    (listed_first, imported_first), (listed_second, imported_second) = (
        map(int, run.stdout.split()) for run in runs)
    assert listed_first == listed_second == len(compute.all_experiments())
    assert imported_first > 0 and imported_second == 0


def test_a_changed_module_is_read_again(tmp_path):
    """An experiment module edited after the cache was written is imported, not trusted."""
    plugin = tmp_path / "plugins"
    plugin.mkdir()
    source = textwrap.dedent('''
        from compute import Experiment, register
        from compute.views import Readout

        @register
        class Draft(Experiment):
            id = "ch99.draft"
            title = "{title}"
            section = "99.1"
            family = "test"
            summary = "a draft"
            explanation = "a draft experiment"
            views = (Readout("r", "R"),)
    ''')
    module = plugin / "draft.py"
    code = textwrap.dedent("""
        import compute
        print([i.title for i in compute.catalog() if i.id == "ch99.draft"][0])
    """)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "MGAI_LAB_EXPERIMENT_PATH": str(plugin)}
    titles = []
    for title in ("First title", "Second, longer title"):
        module.write_text(source.format(title=title))
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=120, env=env)
        assert run.returncode == 0, run.stderr
        titles.append(run.stdout.strip())
    assert titles == ["First title", "Second, longer title"]
