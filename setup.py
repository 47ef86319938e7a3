"""Packaging metadata lives in pyproject.toml; this file only adds the lesson notebooks.

The notebooks stay in the checkout's lessons/ folder (where the builder writes them and the
tests run them); a built wheel carries a copy as teachnn/lessons/notebooks/, so a learner who
installs the wheel can run ``python -m teachnn.lessons FOLDER``.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class build_py_with_lessons(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return                   # an editable install reads lessons/ in the checkout
        target = Path(self.build_lib) / "teachnn" / "lessons" / "notebooks"
        shutil.rmtree(target, ignore_errors=True)     # no lesson left over from an older build
        self.mkpath(str(target))
        for notebook in sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb")):
            self.copy_file(str(notebook), str(target / notebook.name))


setup(cmdclass={"build_py": build_py_with_lessons})
