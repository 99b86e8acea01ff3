"""Matte-driven effects (plugin.effects) on a real DAVIS frame, and the ``vos-matte effects`` command."""

import numpy as np
import pytest
from matted_clip import SIZE, has_audio, write_matted_clip

from hosts.ffmpeg.cli import main
from plugin.effects import EFFECTS, EffectSettings, alpha_of, apply_effect, background_blur, colour_pop, outline
from vos_core import read_image, read_mask
from vos_core.eval.davis import load_sequence
from vos_core.media.ffmpeg_input import decode, open_input, probe


@pytest.fixture(scope="module")
def dog(davis_root):
    seq = load_sequence(davis_root, "dog")
    return read_image(seq.frames.paths[0]), read_mask(seq.masks[0])


def _regions(matte: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels well inside the object and well outside it (10 px from the edge)."""
    import cv2

    kernel = np.ones((21, 21), np.uint8)
    return cv2.erode(matte, kernel) > 0, cv2.dilate(matte, kernel) == 0


@pytest.mark.parametrize("name", list(EFFECTS))
def test_every_effect_leaves_the_object_and_changes_the_background(dog, name):
    frame, matte = dog
    inside, outside = _regions(matte)
    out = apply_effect(name, frame, matte)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert np.array_equal(out[inside], frame[inside])
    changed = np.abs(out.astype(int) - frame).sum(axis=2) > 3
    if name == "outline":  # a line next to the object, not the whole background
        assert changed[matte == 0].sum() > 500
    else:
        assert changed[outside].mean() > 0.5


def test_colour_pop_greys_the_background_only(dog):
    frame, matte = dog
    inside, outside = _regions(matte)
    out = colour_pop(frame, alpha_of(matte))
    spread = out.max(axis=2).astype(int) - out.min(axis=2)
    assert spread[outside].max() <= 1  # grey (rounding)
    assert spread[inside].mean() > 10  # the dog keeps its colour


def test_blur_smooths_the_background_without_a_halo(dog):
    frame, matte = dog
    _, outside = _regions(matte)
    alpha = alpha_of(matte)
    out = background_blur(frame, alpha)
    def detail(image: np.ndarray) -> float:
        return np.abs(np.diff(image.astype(float), axis=1)).mean(axis=2)[outside[:, 1:]].mean()

    assert detail(out) < 0.5 * detail(frame)
    # No halo: the blur averages background only, so a ring just outside the dog stays near the
    # background's own colours; blurring the whole frame would pull in the bright dog.
    import cv2

    ring = (cv2.dilate(matte, np.ones((9, 9), np.uint8)) > 0) & (matte == 0)
    naive = cv2.GaussianBlur(frame.astype(np.float32), (0, 0), 12)
    assert np.abs(out[ring] - frame[ring].astype(float)).mean() < np.abs(naive[ring] - frame[ring]).mean()


def test_soft_alpha_blends_between_object_and_effect(dog):
    frame, matte = dog
    half = np.full(matte.shape, 0.5, np.float32)
    grey = colour_pop(frame, np.zeros_like(half))
    mixed = colour_pop(frame, half)
    assert np.abs(mixed.astype(float) - (frame.astype(float) + grey) / 2).max() <= 1


def test_outline_draws_its_colour_around_the_object_only(dog):
    frame, matte = dog
    out = outline(frame, alpha_of(matte), EffectSettings(colour=(255, 0, 255), width=4))
    drawn = np.all(out == (255, 0, 255), axis=2)
    assert drawn.any() and not (drawn & (matte > 0)).any()
    import cv2

    assert (drawn & ~(cv2.dilate(matte, np.ones((11, 11), np.uint8)) > 0)).sum() == 0


def test_unknown_effect_is_refused():
    with pytest.raises(ValueError, match="unknown effect"):
        apply_effect("sparkle", np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4), np.uint8))


@pytest.fixture(scope="module")
def clip(tmp_path_factory, davis_root):
    return write_matted_clip(tmp_path_factory.mktemp("effects"), davis_root, frames=8)


def test_effects_command_writes_the_clip_with_audio(clip, restore_signals):
    out = clip["movie"].with_name("pop.mp4")
    assert main(["--quiet", "effects", str(clip["movie"]), "--mattes", str(clip["mattes"]), "--effect", "pop",
                 "-o", str(out)]) == 0
    info = probe(open_input(str(out)))
    assert (info.width, info.height, info.frames) == (*SIZE, 8) and has_audio(out)
    matte = read_mask(clip["mattes"] / "00003.png")
    _, outside = _regions(matte)
    frame = list(decode(open_input(str(out)), info))[3]
    spread = frame.max(axis=2).astype(int) - frame.min(axis=2)
    assert spread[outside].mean() < 4  # grey background through H.264's 4:2:0 chroma


@pytest.mark.parametrize("name", ["pop", "highlight", "blur"])
def test_composite_over_the_clip_itself_changed(clip, tmp_path, name):
    """``segment --composite OUT --background pop|highlight|blur``: the sink that composites, fed mattes directly."""
    from hosts.ffmpeg.formats import resolve
    from hosts.ffmpeg.sinks import FfmpegSink

    out = tmp_path / f"{name}.mkv"  # FFV1 4:4:4: lossless, so the object's pixels can be compared
    media = open_input(str(clip["movie"]))
    info = probe(media)
    mattes = [read_mask(clip["mattes"] / f"{i:05d}.png") for i in range(info.frames)]
    with FfmpegSink(resolve("composite", str(out)), out, media, info, name) as sink:
        for matte in mattes:
            sink.write(matte)
    source = list(decode(media, info))
    for frame, original, matte in list(zip(decode(open_input(str(out)), probe(open_input(str(out)))), source, mattes))[::3]:
        inside, outside = _regions(matte)
        change = np.abs(frame.astype(int) - original)
        assert change[inside].mean() < 2
        if name == "pop":
            assert (frame.max(axis=2).astype(int) - frame.min(axis=2))[outside].mean() < 2
        elif name == "highlight":
            assert frame[outside].mean() < 0.5 * original[outside].mean()
        else:
            assert np.abs(np.diff(frame.astype(int), axis=1)).mean(axis=2)[outside[:, 1:]].mean() < \
                0.6 * np.abs(np.diff(original.astype(int), axis=1)).mean(axis=2)[outside[:, 1:]].mean()
