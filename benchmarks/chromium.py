"""Headless Chromium from the system (Debian's `chromium` and `chromium-driver`) driven by Selenium.

No browser is downloaded: the executables are looked up on PATH (and at /usr/bin). :func:`missing` says why the
browser cannot be used here, so tests skip with that reason and benchmarks print it.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver",)


def _which(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").is_file() else None)
        if found:
            return found
    return None


def missing() -> str | None:
    """Why headless Chromium cannot run here (``None``: it can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    if _which(BROWSERS) is None:
        return "no chromium executable (apt-get install chromium chromium-driver, or `make browser`)"
    if _which(DRIVERS) is None:
        return "no chromedriver executable (apt-get install chromium-driver, or `make browser`)"
    return None


@contextmanager
def browser(width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A headless Chromium WebDriver that keeps the console log (``driver.get_log("browser")``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    reason = missing()
    if reason:
        raise RuntimeError(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = str(_which(BROWSERS))
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(_which(DRIVERS))))
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver: Any, path: Path) -> float:
    """Open ``path`` and return the seconds until its load event had run (navigation timing), at least as
    long as ``driver.get`` took to return."""
    start = time.perf_counter()
    driver.get(path.resolve().as_uri())
    wall = time.perf_counter() - start
    timing = driver.execute_script(
        "const n = performance.getEntriesByType('navigation')[0]; return n ? n.loadEventEnd : null;"
    )
    return max(wall, float(timing) / 1000) if timing else wall
