"""The README's two commands are the project's contract with a new user: CI must run the
test command exactly as written, and both commands must name files that exist."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)
    return [b.strip() for b in blocks]


def test_readme_has_exactly_two_distinct_commands():
    commands = set(readme_commands())
    assert len(commands) == 2, commands
    lessons_cmd = [c for c in commands if "jupyter lab" in c]
    tests_cmd = [c for c in commands if "pytest" in c]
    assert len(lessons_cmd) == 1 and len(tests_cmd) == 1


def test_ci_runs_the_readme_test_command_verbatim():
    (tests_cmd,) = [c for c in set(readme_commands()) if "pytest" in c]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests_cmd in ci.splitlines()


def test_lessons_command_opens_an_existing_start_page():
    (lessons_cmd,) = [c for c in set(readme_commands()) if "jupyter lab" in c]
    target = lessons_cmd.split("jupyter lab", 1)[1].split()[0]
    assert (ROOT / target).is_file(), f"README opens {target}, which does not exist"
