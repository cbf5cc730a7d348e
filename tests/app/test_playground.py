"""The playground page, in a real headless browser: Chromium and chromedriver (Debian's) driven by Selenium.

The server is the README's ``make serve`` on a free port. CI (.ci/run) installs Chromium and sets
GRADIENT_SERVICE_REQUIRE_SYSTEM_DEPS=1, so there a missing browser fails the run instead of skipping.
GRADIENT_SERVICE_UPDATE_DOCS=1 also writes the screenshots the README shows (docs/playground.png,
docs/graph.svg, docs/graph.png).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.examples import EVALUATE_EXAMPLES

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = os.environ.get("GRADIENT_SERVICE_REQUIRE_SYSTEM_DEPS") == "1"
UPDATE_DOCS = os.environ.get("GRADIENT_SERVICE_UPDATE_DOCS") == "1"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1500,1050", "--hide-scrollbars")
WAIT_S = 20.0


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason}: CI must install it (.ci/run runs `make test`, whose system-deps does)")
    pytest.skip(f"{reason} (apt-get install chromium chromium-driver; pip install selenium); CI installs it")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed")
    if CHROMIUM is None or CHROMEDRIVER is None:
        _unavailable("chromium and chromedriver are not installed")
    profile = tempfile.mkdtemp(prefix="playground-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT_S)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver: Any, script: str, what: str) -> Any:
    """Poll a JavaScript expression until it is truthy."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = driver.execute_script("try { return " + script + " } catch (e) { return null }")
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}; page says: {driver.find_element('tag name', 'body').text[:1500]}")


def set_request(driver: Any, body: str) -> None:
    driver.execute_script("document.getElementById('request').value = arguments[0]", body)


def test_playground_runs_the_tutorial(server: str, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + "/playground")
    assert browser.title == "gradient-service playground"
    wait_for(browser, "document.getElementById('examples').dataset.ready === 'true'", "the examples")
    names = [b.get_attribute("id") for b in browser.find_elements(By.CSS_SELECTOR, "#examples button")]
    assert names[0] == "example-tutorial_gradient" and len(names) == len(EVALUATE_EXAMPLES)
    # the editor starts with the tutorial; one click on its example runs it
    assert '"5 * (x + 1) ** 2"' in browser.find_element(By.ID, "request").get_property("value")
    browser.find_element(By.ID, "example-tutorial_gradient").click()
    wait_for(browser, "document.getElementById('grad-x').textContent === '[10, 10]'", "x.grad = [10, 10]")
    assert "x.grad = [10, 10]" in browser.find_element(By.ID, "gradients").text
    assert browser.find_element(By.ID, "data-y").text == "[20, 20]"
    assert "MulBackward0" in browser.find_element(By.ID, "row-y").text
    assert "not a leaf and no retain_grad" in browser.find_element(By.ID, "row-y").text  # grad_reason
    width = wait_for(browser, "(g => g.complete && g.naturalWidth)(document.getElementById('graph'))", "the graph")
    assert width > 100
    shot = tmp_path / "playground.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if UPDATE_DOCS:
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copy(shot, ROOT / "docs" / "playground.png")
        tutorial = EVALUATE_EXAMPLES["tutorial_gradient"]["value"]
        svg = httpx.post(server + "/v1/graph?format=svg", json=tutorial)
        assert svg.status_code == 200
        (ROOT / "docs" / "graph.svg").write_bytes(svg.content)
        dot = httpx.post(server + "/v1/graph?format=dot", json=tutorial).content
        png = subprocess.run(["dot", "-Tpng", "-Gdpi=110"], input=dot, capture_output=True, check=True).stdout
        (ROOT / "docs" / "graph.png").write_bytes(png)


def test_playground_shows_problems_with_their_hint_and_the_where_trap(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + "/playground")
    wait_for(browser, "document.getElementById('examples').dataset.ready === 'true'", "the examples")
    set_request(browser, '{"tensors": {"x": {"data": [1, 2], "requires_grad": true}},'
                         ' "nodes": [{"id": "y", "expr": "x * 2"}], "backward": [{"output": "y"}]}')
    browser.find_element(By.ID, "run").click()
    hint = wait_for(browser, "document.getElementById('problem-hint').textContent", "the problem's hint")
    assert '"gradient": {"factory": "ones", "shape": [2]}' in hint
    assert "grad can be implicitly created only for scalar outputs" in browser.find_element(By.ID, "problem").text
    set_request(browser, '{"tensors": {"x": {"data": [-1, 4], "requires_grad": true}},'
                         ' "nodes": [{"id": "y", "expr": "where(x > 0, sqrt(x), 0.0).sum()"}],'
                         ' "backward": [{"output": "y"}]}')
    browser.find_element(By.ID, "run").click()
    fix = wait_for(browser, "document.getElementById('where-trap').textContent", "the where-trap diagnosis")
    assert "double where" in fix
    assert browser.find_element(By.ID, "grad-x").text == "[NaN, 0.25]"
    assert browser.find_element(By.ID, "problem").get_attribute("hidden") is not None


def test_playground_assets_are_served(server: str) -> None:
    page = httpx.get(server + "/playground")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for asset in ("/static/playground.js", "/static/playground.css"):
        assert asset in page.text and httpx.get(server + asset).status_code == 200
    examples = httpx.get(server + "/playground/examples.json").json()
    assert examples[0]["name"] == "tutorial_gradient"
    assert examples[0]["value"] == EVALUATE_EXAMPLES["tutorial_gradient"]["value"]
