"""The command line's progress output: a redrawn bar on a terminal, sparse plain lines in a log."""

import io

from hosts.ffmpeg.progress import ProgressReporter


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def feed(stream: io.StringIO) -> str:
    report = ProgressReporter("bar", stream)
    for done in range(1, 51):
        report("progress", {"stage": "finetune", "done": done, "total": 50, "fps": 2.0, "eta_s": (50 - done) / 2})
    report("done", {"output": "out/", "frames": 3, "seconds": 1.5})
    return stream.getvalue()


def test_log_gets_a_line_every_tenth_and_no_carriage_returns():
    lines = feed(io.StringIO()).splitlines()
    assert "\r" not in "".join(lines)
    assert [line.split("]")[1].split()[0] for line in lines[:-1]] == [f"{n}/50" for n in range(5, 51, 5)]
    assert lines[-1] == "wrote out/ (3 frames, 1.5 s)"


def test_terminal_gets_one_redrawn_line():
    text = feed(Terminal())
    assert text.count("\r") == 50 and text.count("\n") == 2
    assert text.endswith("wrote out/ (3 frames, 1.5 s)\n")


def test_a_notice_gets_its_own_line_on_the_bar():
    stream = Terminal()
    report = ProgressReporter("bar", stream)
    report("progress", {"stage": "segment", "done": 1, "total": 4, "fps": 2.0, "eta_s": 1.5})
    report("notice", {"message": "mattes/.vos-run.json is damaged, so every frame is segmented again"})
    assert stream.getvalue().endswith("\nnote: mattes/.vos-run.json is damaged, so every frame is segmented again\n")
