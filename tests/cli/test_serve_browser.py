"""The slider page of ``mdpo serve`` in a real browser (headless Chromium through Playwright)."""

from __future__ import annotations

import os
import shutil

import httpx
import pytest

pytest.importorskip("fastapi")
playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("MDPO_CHROMIUM") or next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on PATH (Debian: apt-get install -y chromium; or set MDPO_CHROMIUM)",
)

PROMPTS = ["Hello there", "Why?", "Say something nice", "Tell me a story"]


@pytest.fixture(scope="module")
def server(runs):
    from mdpo.serving.app import load_app
    from mdpo.serving.background import serve_in_background
    from mdpo.serving.protocol import ServingLimits

    app = load_app(runs["panacea"], limits=ServingLimits(max_tokens=8))
    with serve_in_background(app) as url:
        yield url


@pytest.fixture(scope="module")
def page(server):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 700})
        yield page
        browser.close()


def _api(url, prompt, lam):
    body = {"messages": [{"role": "user", "content": prompt}], "preference": lam, "max_tokens": 8}
    reply = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60).json()
    return reply["choices"][0]["message"]["content"]


def _answer_at(page, prompt: str, lam: str, timeout: float = 30_000) -> str:
    """Wait until the page shows the answer to ``prompt`` at λ (``"1.0000,0.0000"``)."""
    page.wait_for_function(
        "([prompt, lam]) => { const a = document.getElementById('answer');"
        " return a.dataset.lambda === lam && a.dataset.prompt === prompt; }",
        arg=[prompt, lam],
        timeout=timeout,
    )
    return page.inner_text("#answer")


def test_moving_a_slider_re_asks_the_model_and_the_answer_changes(server, page):
    # A prompt whose answer at the uniform λ differs from the one at (0, 1).
    uniform = {p: _api(server, p, [0.5, 0.5]) for p in PROMPTS}
    second = {p: _api(server, p, [0.0, 1.0]) for p in PROMPTS}
    prompt = next((p for p in PROMPTS if uniform[p] != second[p]), None)
    assert prompt is not None, "the tiny run's answers do not depend on λ"

    page.goto(server)
    page.wait_for_selector("#slider-1")
    assert page.inner_text("#model") == "panacea"
    assert page.locator("input[type=range]").count() == 2
    page.fill("#prompt", prompt)
    page.click("#ask")
    assert _answer_at(page, prompt, "0.5000,0.5000") == uniform[prompt]

    # The keyboard moves the first slider to 0: λ = (0, 1), the other slider follows.
    page.focus("#slider-0")
    page.keyboard.press("Home")
    assert page.inner_text("#value-0") == "0%" and page.inner_text("#value-1") == "100%"
    shown = _answer_at(page, prompt, "0.0000,1.0000")
    assert shown != uniform[prompt]
    assert shown == second[prompt]
    assert "finished" in page.inner_text("#status")


def test_sliders_stay_on_the_simplex_and_compare_shows_every_vertex(server, page):
    page.goto(server)
    page.wait_for_selector("#slider-1")
    page.fill("#prompt", PROMPTS[0])
    page.focus("#slider-1")
    for _ in range(5):
        page.keyboard.press("ArrowRight")  # +1 % each
    first, second = (float(page.inner_text(f"#value-{i}").rstrip("%")) for i in (0, 1))
    assert first + second == pytest.approx(100, abs=1)
    assert second > 50
    page.click("#compare-button")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#compare .card div')]"
        ".every(d => d.textContent !== '…')",
        timeout=30_000,
    )
    cards = page.locator("#compare .card")
    assert cards.count() == 2
    assert cards.nth(0).locator("h3").inner_text() == "a 100% · b 0%"
    assert cards.nth(0).locator("div").inner_text() == _api(server, PROMPTS[0], [1.0, 0.0])
    assert cards.nth(1).locator("div").inner_text() == _api(server, PROMPTS[0], [0.0, 1.0])
