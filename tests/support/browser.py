"""A page in a fresh Chromium profile that fails the test on what a user would see go
wrong: a script error always; a dialog, a Content-Security-Policy violation or an HTTP
error when the test asks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Response, expect


@contextmanager
def watched_page(
    browser: Browser,
    *,
    base_url: str | None = None,
    viewport: tuple[int, int] = (1100, 760),
    timeout_ms: int = 10_000,
    dialogs: bool = False,
    csp: bool = False,
    http_errors: bool = False,
) -> Iterator[Page]:
    """The page, Thai locale; afterwards, asserts nothing went wrong on it."""
    width, height = viewport
    options: dict[str, object] = {"viewport": {"width": width, "height": height}}
    if base_url:
        options["base_url"] = base_url
    context = browser.new_context(locale="th-TH", **options)  # type: ignore[arg-type]
    tab = context.new_page()
    problems: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            problems.append(f"csp: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    tab.on("pageerror", lambda exc: problems.append(f"error: {exc}"))
    if dialogs:
        tab.on("dialog", on_dialog)
    if csp:
        tab.on("console", on_console)
    if http_errors:
        tab.on("response", on_response)
    expect.set_options(timeout=timeout_ms)
    try:
        yield tab
    finally:
        context.close()
    assert not problems, problems
