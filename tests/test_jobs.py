"""The one job spec: every host's jobs load, validate once, and say in one sentence what is wrong."""

import json
import re
import subprocess
import sys

import pytest

from plugin.jobs import VERSION, Job, JobError, MaskRef, ObjectSpec, Output, as_file_name, is_file_name, object_labels


def two_objects() -> dict:
    return {
        "version": 2, "input": "clip.mp4",
        "objects": [{"id": 1, "name": "swan", "keyframes": [{"frame": 0, "mask": "a0.png"}, {"frame": 9, "mask": "a9.png"}]},
                    {"id": 2, "keyframes": [{"frame": 4, "mask": "b4.png"}]}],
        "outputs": [{"kind": "matte", "path": "out/{object}.mkv"}, {"kind": "index", "path": "out/index"}],
        "start": 2, "end": 20, "settings": {"finetune_iters": 5},
    }


def test_a_job_round_trips_through_json():
    job = Job.from_dict(two_objects())
    assert job.objects[0] == ObjectSpec(1, (MaskRef(0, "a0.png"), MaskRef(9, "a9.png")), "swan")
    assert (job.start, job.end, job.version) == (2, 20, VERSION)
    assert Job.from_dict(json.loads(job.to_json())) == job


def test_outputs_are_named_per_object():
    job = Job.from_dict(two_objects())
    labels = object_labels(job, [2, 1])
    assert labels == {1: "swan", 2: "2"}
    assert [(out.kind, obj, path) for out, obj, path in job.output_paths(labels)] == [
        ("matte", 1, "out/swan.mkv"), ("matte", 2, "out/2.mkv"), ("index", None, "out/index")]


def test_the_old_single_mask_job_still_loads():
    old = {"input": "frames/", "mask": "m.png", "mask_frame": 3, "output": "mattes/", "preset": "best",
           "settings": {"threshold": 0.6}, "resize_mask": True}
    job = Job.from_dict(old)
    assert job.objects == (ObjectSpec(1, (MaskRef(3, "m.png"),)),)
    assert job.outputs == (Output("matte", "mattes/"),)
    assert (job.preset, job.settings, job.resize_mask, job.version) == ("best", {"threshold": 0.6}, True, VERSION)


def test_old_cli_rows_keep_their_output_kinds_and_iters():
    job = Job.from_dict({"input": "c.mp4", "mask": "m.png", "matte": "m.mkv", "alpha": ["a.mov", "a.webm"], "iters": 7})
    assert job.outputs == (Output("matte", "m.mkv"), Output("alpha", "a.mov"), Output("alpha", "a.webm"))
    assert job.settings == {"finetune_iters": 7}


@pytest.mark.parametrize(("change", "message"), [
    ({"version": 3}, "job version 3 is not one this vos-matte reads"),
    ({"colour": "red"}, "job has unknown field(s) colour"),
    ({"input": ""}, "job: input must be a non-empty string"),
    ({"outputs": []}, "the job has no output"),
    ({"objects": [], "index_masks": []}, "the job has no object"),
    ({"start": 5, "end": 4}, "the frame range 5..4 is empty"),
    ({"outputs": [{"kind": "matte", "path": "one.mkv"}]}, "needs {object} in its name"),
    ({"outputs": [{"kind": "index", "path": "{object}"}]}, "leave {object} out of it"),
    ({"outputs": [{"kind": "mask", "path": "x"}]}, "kind must be one of matte, alpha, composite, index"),
    ({"objects": [{"id": 1, "keyframes": []}, {"id": 1, "keyframes": []}]}, "two objects have the same id 1"),
    ({"objects": [{"id": 300, "keyframes": []}]}, "id must be 1..255"),
    ({"objects": [{"id": 1, "keyframes": [{"frame": -1, "mask": "m.png"}]}]}, "frame must be >= 0"),
    ({"objects": [{"id": 1, "keyframes": [{"frame": 2, "mask": "a"}, {"frame": 2, "mask": "b"}]}]},
     "object 1 has two keyframes on one frame"),
    ({"objects": [{"id": 1, "name": "a/b", "keyframes": []}]}, "must not start with a dot or hold /, \\"),
    ({"resize_mask": "yes"}, "resize_mask must be true or false"),
    ({"start": 1.5}, "start must be a whole number"),
])
def test_malformed_jobs_are_one_sentence(change, message):
    with pytest.raises(JobError) as caught:
        Job.from_dict({**two_objects(), **change})
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("name", [".", "..", ".hidden", "a/b", "a\\b", "..\\x", "tab\there", "nul\x00", "{object}x"])
def test_object_names_that_cannot_name_one_file_are_refused(name):
    with pytest.raises(JobError, match=rf"^object 1: name {re.escape(repr(name))} names output files, so it must not "
                                       "start with a dot"):
        Job.from_dict({**two_objects(), "objects": [{"id": 1, "name": name, "keyframes": []}]})


@pytest.mark.parametrize(("template", "label"), [("mattes/{object}", "."), ("jail/x/{object}/{object}/escaped", ".."),
                                                 ("out/{object}.mkv", "../../x")])
def test_an_object_path_outside_the_folder_named_is_refused(template, label):
    """Checked where the paths are made too, for jobs built without from_dict (hosts build them from parts)."""
    job = Job("clip.mp4", (Output("matte", template),), (ObjectSpec(1, (), label),))
    with pytest.raises(JobError, match=rf"^the output {re.escape(template)} for object .* not inside "):
        job.output_paths({1: label})


@pytest.mark.parametrize(("text", "name"), [("shot 1.v2", "shot_1.v2"), (".", "_."), ("..", "_.."), (".hidden", "_.hidden"),
                                            ("", "_"), ("a/../b", "a_.._b"), ("cr\rlf\n", "cr_lf_"), ("{object}", "_object_"),
                                            ("Schwän-2", "Schwän-2")])
def test_host_names_are_rewritten_into_file_names(text, name):
    """What the Blender add-on names strip and object folders with."""
    assert as_file_name(text) == name and is_file_name(name)


def test_a_job_without_mask_or_objects_says_what_is_missing():
    with pytest.raises(JobError, match="job is missing mask"):
        Job.from_dict({"input": "c.mp4", "output": "o/"})


def test_unreadable_job_file(tmp_path):
    (tmp_path / "job.json").write_text("{not json")
    with pytest.raises(JobError, match="cannot read job file"):
        Job.load(tmp_path / "job.json")


def test_the_spec_imports_nothing_but_the_standard_library():
    """The Blender add-on ships plugin/jobs.py and imports it without the core."""
    probe = ("import sys, runpy; runpy.run_path('plugin/jobs.py'); "
             "heavy = {'numpy', 'torch', 'cv2', 'vos_core', 'PIL'} & set(sys.modules); print(sorted(heavy))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(("settings", "message"), [
    ({"temporal": "no"}, "settings: temporal must be true or false, got 'no'"),
    ({"cache_features": 0}, "settings: cache_features must be true or false, got 0"),
    ({"finetune_iters": "50"}, "settings: finetune_iters must be a whole number, got '50'"),
    ({"finetune_iters": 50.0}, "settings: finetune_iters must be a whole number, got 50.0"),
    ({"seed": True}, "settings: seed must be a whole number, got True"),
    ({"learning_rate": float("nan")}, "settings: learning_rate must be a finite number, got nan"),
    ({"prior_sigma": float("inf")}, "settings: prior_sigma must be a finite number, got inf"),
    ({"high_threshold": "0.9"}, "settings: high_threshold must be a finite number, got '0.9'"),
    ({"augment_scale": [0.5, float("inf")]}, "settings: augment_scale must be a finite number, got inf"),
    ({"augment_scale": 0.5}, "settings: augment_scale must be a list of numbers, got 0.5"),
    ({"detector": 3}, "settings: detector must be text, got 3"),
    ({"finetune_iters": 10**9}, "settings: finetune_iters must be at most 100000, got 1000000000"),
    ({"infer_height": 100_000}, "settings: infer_height must be at most 4320, got 100000"),
])
def test_settings_of_the_wrong_type_or_size_are_one_sentence(settings, message):
    """"no" became True and "50" was an internal TypeError; NaN and huge values ran."""
    job = Job.from_dict({**two_objects(), "settings": settings})
    with pytest.raises(JobError, match=f"^{re.escape(message)}$"):
        job.config()


def test_settings_of_the_right_type_pass_and_none_keeps_the_preset():
    job = Job.from_dict({**two_objects(), "settings": {"temporal": False, "learning_rate": 1, "high_threshold": None,
                                                      "augment_scale": [0.8, 1.2], "finetune_iters": None}})
    config = job.config()
    assert (config.temporal, config.learning_rate, config.augment_scale) == (False, 1, (0.8, 1.2))


def test_refine_values_must_be_finite():
    with pytest.raises(JobError, match="refine: feather must be a finite number, got nan"):
        Job.from_dict({**two_objects(), "refine": {"feather": float("nan")}})
