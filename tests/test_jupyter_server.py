"""Smoke test: JupyterLab starts as README command 1 starts it (``python -m teachnn.lessons
FOLDER --open``: the lessons copied into FOLDER, the start page as the default address),
serves the lab page, prints an address that opens 00_start.ipynb and lists the lessons.

Starts it on a free port with a fixed token, asks the contents API for the folder, then shuts
the server down (API first, then terminate/kill by its own pid). Every wait is bounded.
"""
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from teachnn.lessons import copy_lessons, jupyter_command

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "test"
STARTUP_TIMEOUT = 90


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, timeout=10):
    req = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read().decode("utf-8", "replace")


@pytest.fixture
def lab_server(tmp_path):
    port = _free_port()
    folder = tmp_path / "teachnn-lessons"
    copy_lessons(folder)
    log = open(tmp_path / "jupyter.log", "w")
    proc = subprocess.Popen(
        jupyter_command(folder) + ["--no-browser", f"--port={port}",
         "--ip=127.0.0.1", f"--ServerApp.token={TOKEN}",
         "--ServerApp.open_browser=False", "--ServerApp.port_retries=0",
         "--allow-root",                       # CI containers often run as root
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        while True:
            if proc.poll() is not None:
                log.flush()
                pytest.fail("jupyter lab exited early:\n" + (tmp_path / "jupyter.log").read_text()[-2000:])
            try:
                status, _ = _get(f"{base}/api/status", timeout=3)
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("jupyter lab did not answer within %d s" % STARTUP_TIMEOUT)
            time.sleep(0.5)
        yield base, tmp_path / "jupyter.log"
    finally:
        try:
            req = urllib.request.Request(f"{base}/api/shutdown", method="POST",
                                         headers={"Authorization": f"token {TOKEN}"})
            urllib.request.urlopen(req, timeout=5)
        except Exception:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log.close()


def test_jupyterlab_starts_and_lists_the_lessons(lab_server):
    lab_server, log = lab_server
    # the address the terminal prints opens the start page, not the Launcher
    deadline = time.monotonic() + 30
    while "?token=" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    printed = re.findall(r"http://\S+\?token=", log.read_text())
    assert printed and all("/lab/tree/00_start.ipynb?token=" in url for url in printed), printed
    status, body = _get(f"{lab_server}/api/contents")
    assert status == 200
    listing = json.loads(body)
    names = {item["name"] for item in listing["content"]}
    expected = {p.name for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb")}
    assert len(expected) >= 14
    assert expected == names
    kinds = {item["name"]: item["type"] for item in listing["content"]}
    assert kinds["00_start.ipynb"] == "notebook"

    # the start page opens as a notebook through the same API
    status, body = _get(f"{lab_server}/api/contents/00_start.ipynb")
    nb = json.loads(body)
    assert nb["type"] == "notebook" and "teachnn" in json.dumps(nb["content"], ensure_ascii=False)

    # the JupyterLab application page itself is served
    status, body = _get(f"{lab_server}/lab")
    assert status == 200 and "JupyterLab" in body
    status, body = _get(f"{lab_server}/")          # "/" redirects to the start page
    assert status == 200 and "JupyterLab" in body
