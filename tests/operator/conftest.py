"""The operator tests share the status tests' browser (Debian's chromium driven by Playwright)."""

from tests.status.conftest import browser, chromium, page  # noqa: F401
