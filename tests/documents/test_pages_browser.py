"""The statistics and open-data pages in Chromium against gunicorn: axe finds no serious or
critical problem in any language, and nothing is refused by the pages' security policy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

from tests.conftest import Databases
from tests.e2e.conftest import Server, launch
from tests.e2e.test_pages_browser import APPLICATION, LANGUAGES, browser, shot

pytestmark = pytest.mark.e2e
__all__ = ["browser"]

PATHS = ("/statistics", "/open-data/")


@pytest.fixture(scope="module")
def registry(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("documents")
    server, running = launch(databases.fresh(folder), folder)
    try:
        regulator = server.flask("tokens", "create", "--role", "regulator", "--name", "web")
        for region in ("pavlodar", "almaty", "pavlodar"):
            status, _, _ = server.request(
                "POST", "/api/v1/licences", {**APPLICATION, "region": region}, regulator.strip()
            )
            assert status == 201
        yield server
    finally:
        running.stop()


def test_the_pages_have_no_serious_accessibility_problem_in_any_language(
    browser: Browser, registry: Server
) -> None:
    axe = Axe()
    found, refused = [], []
    for language in LANGUAGES:
        context = browser.new_context(
            bypass_csp=True, locale=language, extra_http_headers={"Accept-Language": language}
        )
        page = context.new_page()
        for path in PATHS:
            page.goto(registry.url + path)
            expect(page.locator("html")).to_have_attribute("lang", language)
            shot(page, f"{path.strip('/').replace('/', '-')}-{language}")
            for violation in axe.run(page).response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    found.append((language, path, violation["id"], violation["help"]))
        context.close()
        # and without the bypass: the policy refuses nothing the pages need
        context = browser.new_context(extra_http_headers={"Accept-Language": language})
        page = context.new_page()
        page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
        for path in PATHS:
            page.goto(registry.url + path)
            expect(page.locator("h1")).to_be_visible()
        context.close()
    assert found == []
    assert refused == []
