"""A synthetic full-size registry: the lab's experiment modules copied under new ids.

The book has about 150 experiments; the benches measure start-up and the test suite at that
size before the experiments exist. Each copy is a complete experiment module (its own class
bodies, parameters, views and module-level set-up, run by its own import), so a copy costs
what a real module costs to import, list, construct and test. The copies live in a
temporary folder named by ``MGAI_LAB_EXPERIMENT_PATH``; nothing is shipped.

    python bench/synthetic_registry.py DIR [--total 150]   # write the copies into DIR
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "compute" / "experiments"
TOTAL = 150
_ID = re.compile(r'^(    id = ")([^"]+)(")', re.MULTILINE)


def _as_plugin(source: str, suffix: str) -> str:
    """A module's source made importable from any folder, its experiment ids suffixed."""
    # (also the imports inside functions, indented: a torch experiment defers its own)
    source = re.sub(r"^(\s*)from \.\.(\w)", r"\1from compute.\2", source, flags=re.MULTILINE)
    source = re.sub(r"^(\s*)from \.\. import", r"\1from compute import", source,
                    flags=re.MULTILINE)
    source = re.sub(r"^(\s*)from \.(\w)", r"\1from compute.experiments.\2", source,
                    flags=re.MULTILINE)
    return _ID.sub(lambda m: f"{m[1]}{m[2]}-{suffix}{m[3]}", source)


def real_modules() -> list[Path]:
    return sorted(p for p in EXPERIMENTS.glob("*.py") if not p.name.startswith("_"))


def count_real_experiments() -> int:
    return sum(len(_ID.findall(p.read_text(encoding="utf-8"))) for p in real_modules())


def write(folder: Path, total: int = TOTAL) -> int:
    """Write copies into ``folder`` until the registry holds ``total`` experiments.

    Returns the number of synthetic experiments written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    sources = [(p.stem, p.read_text(encoding="utf-8")) for p in real_modules()]
    wanted = total - count_real_experiments()
    written, copy = 0, 0
    while written < wanted:
        copy += 1
        for stem, source in sources:
            ids = _ID.findall(source)
            if not ids or written >= wanted:
                continue
            suffix = f"s{copy:03d}"
            (folder / f"{stem}_{suffix}.py").write_text(_as_plugin(source, suffix),
                                                        encoding="utf-8")
            written += len(ids)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--total", type=int, default=TOTAL)
    args = parser.parse_args()
    n = write(args.folder, args.total)
    print(f"{n} synthetic experiments in {args.folder}; with the real ones the registry holds "
          f"{n + count_real_experiments()}. Use: MGAI_LAB_EXPERIMENT_PATH={args.folder}")


if __name__ == "__main__":
    main()
