"""The report renders in a real browser: no console errors, key findings in the first screen.

Uses headless Chromium (Debian package ``chromium``; ``.ci/run`` installs it when it can) through
the DevTools protocol over a pipe (:mod:`tests.reporting._browser`). The report is written from a
small study with the Bayesian step off, so the test stays fast; the screenshot is kept in the
test's temporary folder for a person to look at.
"""

from __future__ import annotations

import pytest

from mirabal_stats.reporting import evaluate, load_config
from tests.reporting._browser import CHROMIUM, render
from tests.reporting.conftest import write_study

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is absent (install the Debian package chromium to run this test)",
)

FIRST_SCREEN = """(() => {
  const key = document.getElementById('key-findings');
  const rect = key.getBoundingClientRect();
  const heading = key.querySelector('h2').getBoundingClientRect();
  const table = document.getElementById('table-key_effects').getBoundingClientRect();
  return {top: rect.top, heading_bottom: heading.bottom, table_top: table.top,
          height: window.innerHeight, width: window.innerWidth,
          scroll_width: document.documentElement.scrollWidth};
})()"""

ORDER = """(() => {
  const ids = [...document.querySelectorAll('main > section, main > nav')]
      .map(e => e.id || e.className);
  return ids;
})()"""

IMAGES = """[...document.images].every(img => img.complete && img.naturalWidth > 0)"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    path = write_study(
        folder / "study",
        covariates=["age", "separated"],
        extra="[weighting]\nenabled = true\n[frequentist]\nenabled = true\n",
    )
    report = evaluate(load_config(path))
    written = report.write(folder / "report")
    rendered = render(
        written.html, {"first_screen": FIRST_SCREEN, "order": ORDER, "images": IMAGES}
    )
    (folder / "report" / "screenshot.png").write_bytes(rendered.screenshot)
    return rendered


def test_renders_without_console_errors(page):
    assert page.console_errors == []
    assert page.values["images"] is True  # every embedded figure decodes
    assert page.screenshot.startswith(b"\x89PNG\r\n\x1a\n")


def test_key_findings_block_is_in_the_first_screen(page):
    screen = page.values["first_screen"]
    assert 0 <= screen["top"] < screen["height"]
    assert screen["heading_bottom"] < screen["height"]
    assert screen["table_top"] < screen["height"]  # the effects table starts on screen
    assert screen["scroll_width"] <= screen["width"]  # no sideways scrolling


def test_key_findings_come_before_the_contents(page):
    order = page.values["order"]
    assert order[0] == "key-findings"
    assert order[1] == "toc"
    assert order[2:4] == ["data", "attrition"]
