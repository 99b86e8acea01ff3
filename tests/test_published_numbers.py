"""The numbers users read (README tables and claims, Blender preset descriptions) are the measured ones.

Every published number is parsed and compared with the value in the ``benchmarks/results`` file it
cites, within the rounding the text shows (half a unit of its last digit): a re-measured JSON the text
was not updated for, a mis-rounded cell or a row attached to the wrong setting fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
README = REPO / "README.md"
NUMBER = r"([−-]?\d+(?:\.\d+)?)"


def measured(name: str):
    return json.loads((RESULTS / name).read_text())


def number(text: str) -> float:
    return float(text.replace("−", "-"))


def rounds_to(published: str, value: float) -> bool:
    """True when ``published`` (as printed, e.g. "74.7", "0.060", "22") is ``value`` rounded to its digits."""
    digits = len(published.split(".")[1]) if "." in published else 0
    return abs(number(published) - value) <= 0.5 * 10.0 ** -digits + 1e-9


def check(pairs: list[tuple[str, float]], where: str) -> None:
    wrong = [(p, round(v, 4)) for p, v in pairs if not rounds_to(p, v)]
    assert not wrong, f"{where}: published vs measured {wrong}"


def table(header_start: str) -> dict[str, list[str]]:
    """The README table whose header row starts with ``header_start``: first cell -> the other cells."""
    lines = README.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def first_number(cell: str) -> str:
    return re.match(NUMBER, cell).group(1)


def test_rounding_check_itself():
    assert rounds_to("74.7", 74.73) and rounds_to("22", 21.6) and rounds_to("0.059", 0.05948)
    assert not rounds_to("74.8", 74.73) and not rounds_to("0.060", 0.05948) and not rounds_to("21", 21.6)
    assert rounds_to("−54", -54.4) and not rounds_to("54", -54.4)


def test_readme_results_table_is_presets_json():
    rows = table("| preset | J mean |")
    presets = {r["preset"]: r for r in measured("presets.json")}
    assert set(rows) == set(presets)
    for name, (j, f, seconds) in rows.items():
        m = presets[name]
        check([(j, m["J"]), (f, m["F"]), (seconds, m["seconds_per_70_frames"])], f"presets table, {name}")


def test_readme_keyframes_table_is_keyframes_json():
    rows = table("| keyframes | J |")
    runs = {str(r["keyframes"]): r for r in measured("keyframes.json")}
    assert set(rows) == set(runs)
    for k, (j, f, seconds) in rows.items():
        check([(j, runs[k]["J"]), (f, runs[k]["F"]), (seconds, runs[k]["seconds"])], f"keyframes table, {k}")


def _soft_rows(rows: dict[str, list[str]], summary: str, names: dict[str, str], ms_column: int) -> None:
    """A soft-matte table: J, F and chatter from ``summary``, ramp F and milliseconds from its ``_detail`` file."""
    detail = summary.replace(".json", "_detail.json")
    by_setting = {r["setting"]: r for r in measured(detail)["rows"]}
    for row in measured(summary):  # the summary agrees with the detail file the table is read from
        assert all(row[k] == by_setting[row["setting"]][k] for k in ("J", "F", "chatter")), (summary, row)
    assert len(rows) == len(names)
    for label, cells in rows.items():
        (setting,) = [s for prefix, s in names.items() if label.startswith(prefix)]
        m = by_setting[setting]
        j, f, ramp, chatter = (first_number(c) for c in cells[:4])
        check([(j, m["J"]), (f, m["F"]), (ramp, m["F_ramp"]), (chatter, m["chatter"]),
               (first_number(cells[ms_column]), 1000 * m["s_per_frame"])], f"{detail} row {label!r}")


def test_readme_soft_matte_tables_are_their_json():
    rows = table("| matte | J (α > 0.5) |")
    _soft_rows(rows, "soft_matte.json", {"hard": "hard", "soft": "soft"}, 4)
    summary = {r["setting"]: r for r in measured("soft_matte.json")}
    drop = re.search(r"\((" + NUMBER[1:-1] + r") %\)", rows[next(k for k in rows if k.startswith("soft"))][3]).group(1)
    check([(drop, 100 * (summary["soft"]["chatter"] / summary["hard"]["chatter"] - 1))], "chatter drop")

    rows = table("| edge step ")
    _soft_rows(rows, "soft_matte_filters.json",
               {"joint domain transform": "domain", "guided filter": "guided", "plain feather": "box"}, 4)


def _prose() -> str:
    return " ".join(README.read_text().split())


def _claim(pattern: str) -> tuple[str, ...]:
    found = re.search(pattern.replace(" ", r"\s+").replace("N", NUMBER), _prose())
    assert found, f"README no longer says {pattern!r}: update this test with the text"
    return found.groups()


def _confidence():
    d = measured("confidence_detail.json")
    return [d["spearman_pooled"], d["frames"], d["spearman_per_clip_mean"], d["spearman_per_clip"]["kite-surf"],
            d["spearman_per_clip"]["bmx-trees"]]


def _two_objects(*names):
    pairs = measured("two_objects.json")["pairs"]
    objects = {o["sequence"]: o for p in pairs for o in (p["object1"], p["object2"])}
    return [v for n in names for v in (objects[n]["J_together"], objects[n]["J_alone"])]


def _parent_alone(name):
    mean = measured("parent_alone.json")["results"][name]["mean"]
    return [mean["crop"]["J"], mean["crop"]["F"], mean["whole"]["J"], mean["whole"]["F"]]


def _calibrated_cuts():
    d = measured("presets_rechoice.json")
    before, after = d["without_calibration"], d["rows"][0]
    return [before["J"], after["J"], before["F"], after["F"]]


PROSE = {
    "confidence correlations": (
        (r"Spearman between confidence and IoU N pooled over N frames, N on average within a clip \(N kite-surf "
        r"to N bmx-trees\)"), _confidence),
    "confidence precision": (r"IoU < 0.5 at precision N, recall N\.", lambda: [
        measured("confidence_detail.json")["precision_low_at_iou_below_0.5"],
        measured("confidence_detail.json")["recall_low_at_iou_below_0.5"]]),
    "suggested-frame gains": (r"\+N at the suggested frame\*\*, \+N at the middle frame, \+N at a random frame",
                              lambda: [measured("confidence.json")[k] for k in ("gain_suggested", "gain_middle",
                                                                                "gain_random")]),
    "correction cost": (r"a full run N s; after adding a keyframe on frame 25, N s .{0,200}?from scratch N s",
                        lambda: [measured("correction_cost.json")[k] for k in ("full_run_s", "correction_s",
                                                                               "two_keyframes_from_scratch_s")]),
    "two objects": (r"J per object N together against N for each clip", lambda: [
        measured("two_objects.json")["J_together_mean"], measured("two_objects.json")["J_alone_mean"]]),
    "two objects per clip": ((r"scooter-black \(N vs N\), breakdance \(N vs N\), bmx-trees \(N vs N\) and "
                              r"camel \(N vs N\)"),
                             lambda: _two_objects("scooter-black", "breakdance", "bmx-trees", "camel")),
    "middle keyframe": (r"J N on the frames before it \(tracked backward\) and N after it", lambda: [
        measured("keyframes_backward.json")["J_before_middle"], measured("keyframes_backward.json")["J_after_middle"]]),
    "middle keyframe halves": (r"\(bmx-trees N / N and libby N / N have", lambda: [
        measured("keyframes_backward.json")["per_sequence"][s][k] for s in ("bmx-trees", "libby")
        for k in ("J_before", "J_after")]),
    "direction control": (r"J N forward vs N backward", lambda: [
        measured("keyframes_backward.json")["direction"][k] for k in ("J_forward", "J_backward")]),
    "scribbles": (r"reaches IoU N with the true mask .{0,300}?reaches J N against N from the true mask", lambda: [
        measured("scribbles.json")[k] for k in ("iou_mean", "J_mean", "J_mean_from_ground_truth")]),
    "parent alone": (r"no fine-tuning\): J N / F N against N / N on whole frames",
                     lambda: _parent_alone("vos_core/weights/parent_fp16.pth")),
    "averaged parents": (r"parent at 0\.3 / 0\.5 / 0\.7 / 1: J N / N / N / N, F N / N / N / N", lambda: [
        row[m] for m in ("J", "F") for row in measured("parent_soup.json")["rows"]]),
    "calibrated cuts": (r"50 steps, same machine and day: J N → N, F N → N", _calibrated_cuts),
    "presets re-chosen": (
        r"mirror averaging N / N \(N s; .{0,120}?150 steps with mirror averaging N / N \(N s", lambda: [
            v for row in measured("presets_rechoice.json")["rows"][1:] for v in (row["J"], row["F"],
                                                                                 row["seconds_per_70_frames"])]),
    "480p and 240-line parents alone": (
        (r"alone, J N / F N on whole frames against N / N for the 240-line parent \(crops from the true box: N / N "
         r"against N / N\)"),
        lambda: [*_parent_alone("runs/parent_480p.pth")[2:], *_parent_alone("runs/parent_shipped.pth")[2:],
                 *_parent_alone("runs/parent_480p.pth")[:2], *_parent_alone("runs/parent_shipped.pth")[:2]]),
}


@pytest.mark.parametrize("claim", sorted(PROSE))
def test_readme_claims_are_their_json(claim):
    pattern, values = PROSE[claim]
    published, measured_values = _claim(pattern), values()
    assert len(published) == len(measured_values)
    check(list(zip(published, measured_values)), claim)


def test_blender_preset_descriptions_are_presets_json():
    source = (REPO / "hosts/blender/vos_matte/settings.py").read_text()
    block = source[source.index("PRESETS = ("):source.index("\n)\n")]
    # One entry per preset, its description's adjacent string literals joined.
    entries = {m.group(1): re.sub(r'"\s*\n\s*"', "", m.group(2))
               for m in re.finditer(r'\n    \("(\w+)",(.*?)(?=\n    \(|\Z)', block, re.DOTALL)}
    presets = {r["preset"]: r for r in measured("presets.json")}
    assert set(entries) == set(presets)
    for name, text in entries.items():
        found = re.search(rf"J {NUMBER}, F {NUMBER}, ~{NUMBER} s per 70 frames", text)
        assert found, (name, text)
        m = presets[name]
        check(list(zip(found.groups(), (m["J"], m["F"], m["seconds_per_70_frames"]), strict=True)), f"Blender {name}")
