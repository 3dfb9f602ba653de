"""`make screenshots` keeps working: docs/screenshots.py, on one account at one width, builds its
own demo instance, logs in through the form and saves real pictures of the laptop's screen size."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.chromium import CHROMIUM

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.subprocess, pytest.mark.slow]


def test_the_screenshot_script_saves_each_page_of_an_account(tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium)")
    done = subprocess.run([sys.executable, "docs/screenshots.py", str(tmp_path), "--accounts", "coso",
                           "--viewports", "1366"], cwd=ROOT, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr

    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "coso-home-1366.png", "coso-import-1366.png", "coso-members-1366.png"]
    for path in tmp_path.iterdir():
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size == (1366, 768)
            assert len(image.getcolors(256) or ()) > 8, f"{path.name} is blank"
