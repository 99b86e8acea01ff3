"""A setting given a value outside its choices fails with one sentence that lists them."""

import pytest

from vos_core import SegmentConfig
from vos_core.config import DETECTORS, POSTPROCESS, PRECISIONS, UPSAMPLE
from vos_core.errors import VosError
from vos_core.matte.alpha import EDGE_FILTERS, MATTE_PRESETS, RefineSettings, get_refine


@pytest.mark.parametrize("make, name, choices", [
    (lambda: SegmentConfig(detector="yolo"), "detector", DETECTORS),
    (lambda: SegmentConfig(precision="half"), "precision", PRECISIONS),
    (lambda: SegmentConfig(upsample="bicubic"), "upsample", UPSAMPLE),
    (lambda: SegmentConfig(postprocess="crf"), "postprocess", POSTPROCESS),
    (lambda: RefineSettings(edge_filter="bilateral"), "edge_filter", EDGE_FILTERS),
    (lambda: get_refine("fuzzy"), "matte", MATTE_PRESETS),
])
def test_unknown_choices_name_the_setting_and_list_the_valid_ones(make, name, choices):
    with pytest.raises(VosError) as caught:
        make()
    message = str(caught.value)
    assert message.startswith(f"unknown {name} ") and "\n" not in message
    assert message.endswith("choose one of: " + ", ".join(choices))
