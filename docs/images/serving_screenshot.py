"""Make docs/images/serving.png: the slider page of ``mdpo serve`` on a SmolLM2 run.

Usage: python docs/images/serving_screenshot.py RUN_DIR [OUT.png]

Starts the server on the loopback, opens the page in headless Chromium (Debian's package,
through Playwright), asks one prompt at λ = (0.7, 0.3), runs "Compare vertices" and
screenshots the page.
"""

from __future__ import annotations

import shutil
import sys

from playwright.sync_api import sync_playwright

from mdpo.serving.app import load_app
from mdpo.serving.background import serve_in_background
from mdpo.serving.protocol import ServingLimits

PROMPT = "How do I keep basil alive on a windowsill?"


def main(run_dir: str, out: str = "docs/images/serving.png") -> None:
    app = load_app(run_dir, limits=ServingLimits(max_tokens=96))
    with serve_in_background(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto(url)
        page.wait_for_selector("#slider-1")
        page.fill("#prompt", PROMPT)
        page.fill("#max-tokens", "64")
        page.focus("#slider-0")
        for _ in range(20):  # 50 % -> 70 %
            page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "() => document.getElementById('answer').dataset.lambda === '0.7000,0.3000'"
            " && document.getElementById('answer').dataset.prompt !== undefined"
            " && document.getElementById('answer').dataset.prompt.startsWith('How do I keep')",
            timeout=300_000,
        )
        page.click("#compare-button")
        page.wait_for_function(
            "() => [...document.querySelectorAll('#compare .card div')]"
            ".every(d => d.textContent !== '…')",
            timeout=300_000,
        )
        page.screenshot(path=out, full_page=True)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
