"""The preset numbers users read (README table, Blender preset descriptions) are the measured ones."""

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _measured() -> list[dict]:
    return json.loads((REPO / "benchmarks/results/presets.json").read_text())


def test_readme_results_table_matches_presets_json():
    readme = (REPO / "README.md").read_text()
    for row in _measured():
        line = f"| {row['preset']} | {row['J']:.1f} | {row['F']:.1f} | {row['seconds_per_70_frames']:.0f} |"
        assert line in readme, line


def test_blender_preset_descriptions_quote_presets_json():
    source = (REPO / "hosts/blender/vos_matte/settings.py").read_text()
    block = source[source.index("PRESETS = ("):source.index("\n)\n")]
    # One entry per preset, its description's adjacent string literals joined.
    entries = {m.group(1): re.sub(r'"\s*\n\s*"', "", m.group(2))
               for m in re.finditer(r'\n    \("(\w+)",(.*?)(?=\n    \(|\Z)', block, re.DOTALL)}
    for row in _measured():
        quoted = f"J {row['J']:.1f}, F {row['F']:.1f}, ~{row['seconds_per_70_frames']:.0f} s per 70 frames"
        assert quoted in entries[row["preset"]], (row["preset"], entries[row["preset"]])
