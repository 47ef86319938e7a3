"""The README's two commands are the project's contract with a new user: CI must run the
test command exactly as written, both commands exist for Linux/macOS (bash) and Windows
(PowerShell) and say the same thing, and the lessons command opens the start page."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands(language="bash"):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(rf"```{language}\n(.*?)\n```", text, flags=re.S)
    return [b.strip() for b in blocks]


def _split(commands):
    lessons_cmd = [c for c in commands if "teachnn.lessons" in c]
    tests_cmd = [c for c in commands if "pytest" in c]
    assert len(lessons_cmd) == 1 and len(tests_cmd) == 1, commands
    return lessons_cmd[0], tests_cmd[0]


def test_readme_has_exactly_two_distinct_commands_per_shell():
    for language in ("bash", "powershell"):
        commands = set(readme_commands(language))
        assert len(commands) == 2, (language, commands)
        _split(commands)


def test_ci_runs_the_readme_test_command_verbatim():
    _, tests_cmd = _split(set(readme_commands()))
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests_cmd in ci.splitlines()


def test_lessons_command_copies_the_course_and_opens_the_start_page():
    lessons_cmd, _ = _split(set(readme_commands()))
    assert "-m teachnn.lessons" in lessons_cmd and lessons_cmd.endswith("--open")
    # the package it runs exists, and the copies come from the notebooks the tests execute
    assert (ROOT / "teachnn" / "lessons" / "__main__.py").is_file()
    assert (ROOT / "lessons" / "00_start.ipynb").is_file()


def _steps(command, separator):
    """A chained command -> its steps with the interpreter/venv prefix normalised."""
    steps = []
    for step in command.split(separator):
        step = step.strip()
        step = re.sub(r"^(python3|py) -m venv", "PY -m venv", step)
        step = re.sub(r"^\.venv(/bin/|\\Scripts\\)", "VENV/", step)
        step = step.replace("~/", "HOME/").replace("$HOME\\", "HOME/")
        steps.append(step)
    return steps


def test_windows_commands_do_what_the_posix_ones_do():
    bash = _split(set(readme_commands("bash")))
    powershell = _split(set(readme_commands("powershell")))
    for posix, windows in zip(bash, powershell):
        assert "/" not in windows.replace("'.[dev]'", ""), windows      # no POSIX path in PowerShell
        assert _steps(posix, "&&") == _steps(windows, ";"), (posix, windows)
