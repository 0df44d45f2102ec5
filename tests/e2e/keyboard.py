"""Driving pages with the keyboard alone, as someone who cannot use a mouse would: focus moves only with Tab and
Shift+Tab, links are followed with Enter, radios are chosen with the arrow keys or Space, selects are changed by
typing an option's label, checkboxes are ticked with Space and forms are sent with Enter on their button.

Moving focus only by tabbing proves on the way that each control is reachable by keyboard, in the page's order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page

# Facts about the focused element, for the predicates and for a clear message when a control is never reached;
# ``matches`` says whether it matches the CSS selector given, if one is.
_FOCUSED = """(selector) => {
  const element = document.activeElement;
  if (!element || element === document.body) {
    return null;
  }
  const label = element.labels && element.labels.length ? element.labels[0].textContent : "";
  return {
    tag: element.tagName.toLowerCase(),
    id: element.id,
    name: element.getAttribute("name") || "",
    type: element.getAttribute("type") || "",
    value: "value" in element ? String(element.value) : "",
    checked: !!element.checked,
    text: (element.innerText || element.textContent || "").replace(/\\s+/g, " ").trim(),
    label: label.replace(/\\s+/g, " ").trim(),
    href: element.getAttribute("href") || "",
    matches: !!selector && element.matches(selector),
  };
}"""

Focused = dict[str, Any]
Target = str | Callable[[Focused], bool]


def focused(page: Page, selector: str | None = None) -> Focused | None:
    """What has the focus now, or None when nothing does (the page itself)."""
    return page.evaluate(_FOCUSED, selector)


def describe(element: Focused | None) -> str:
    """A focused element as a person would point at it, for failure messages."""
    if element is None:
        return "nothing (the page)"
    name = element["label"] or element["text"] or element["name"] or element["href"]
    return f"<{element['tag']}{' #' + element['id'] if element['id'] else ''}> {name!r}"[:120]


def _matches(target: Target, element: Focused | None) -> bool:
    if element is None:
        return False
    return element["matches"] if isinstance(target, str) else target(element)


def tab_to(page: Page, target: Target, limit: int = 200, *, backwards: bool = False) -> Focused:
    """Press Tab (or Shift+Tab) until the focused element matches a CSS selector or a predicate on its facts
    (see ``focused``); fails, naming the elements passed, when it is not reached within ``limit`` presses."""
    key = "Shift+Tab" if backwards else "Tab"
    passed: list[str] = []
    selector = target if isinstance(target, str) else None
    element = focused(page, selector)
    if _matches(target, element):
        return element  # type: ignore[return-value]
    for _ in range(limit):
        page.keyboard.press(key)
        element = focused(page, selector)
        if _matches(target, element):
            return element  # type: ignore[return-value]
        passed.append(describe(element))
    shown = target if isinstance(target, str) else getattr(target, "__doc__", None) or repr(target)
    raise AssertionError(
        f"{key} never reached {shown} on {page.url} in {limit} presses; focus passed:\n  " + "\n  ".join(passed[:80])
    )


def link(text: str) -> Callable[[Focused], bool]:
    """A predicate for a link whose text (visually hidden text included) is ``text``."""

    def is_link(element: Focused) -> bool:
        return element["tag"] == "a" and element["text"] == text

    is_link.__doc__ = f"the link {text!r}"
    return is_link


def button(text: str) -> Callable[[Focused], bool]:
    """A predicate for a button (or submit input) labelled ``text``."""

    def is_button(element: Focused) -> bool:
        return (element["tag"] == "button" and element["text"] == text) or (
            element["tag"] == "input" and element["type"] == "submit" and element["value"] == text
        )

    is_button.__doc__ = f"the button {text!r}"
    return is_button


def press_to_navigate(page: Page, key: str = "Enter") -> None:
    """Press a key that sends a form or follows a link, and wait for the next page to load."""
    with page.expect_navigation():
        page.keyboard.press(key)


def follow(page: Page, text: str, *, backwards: bool = False) -> None:
    """Tab to a link by its text and follow it with Enter."""
    tab_to(page, link(text), backwards=backwards)
    press_to_navigate(page)


def send(page: Page, text: str) -> None:
    """Tab to the form's button and press Enter on it."""
    tab_to(page, button(text))
    press_to_navigate(page)


def type_into(page: Page, selector: str, text: str, *, backwards: bool = False) -> None:
    """Tab to a text field and type, replacing what it held (Ctrl+A selects it all first)."""
    tab_to(page, selector, backwards=backwards)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def type_date(page: Page, name: str, day: int, month: int, year: int) -> None:
    """Type a GOV.UK date input's day, month and year, tabbing from one to the next."""
    for part, value in (("day", day), ("month", month), ("year", year)):
        type_into(page, f"#{name}-{part}", str(value))


def choose_radio(page: Page, name: str, label: str) -> None:
    """Tab into a radio group and choose an option by its label: the arrow keys move the choice, Space makes it
    when the group had none."""
    tab_to(page, f"input[type=radio][name='{name}']")
    options = page.locator(f"input[type=radio][name='{name}']").count()
    for _ in range(options):
        element = focused(page)
        assert element is not None
        if element["label"] == label:
            if not element["checked"]:
                page.keyboard.press("Space")
            break
        page.keyboard.press("ArrowDown")
    element = focused(page)
    assert element is not None
    assert element["label"] == label, f"the arrow keys never reached {label!r} in the radios {name!r}"
    assert element["checked"], f"{label!r} in the radios {name!r} was not chosen"


def choose_option(page: Page, selector: str, label: str, *, typed: str | None = None, backwards: bool = False) -> None:
    """Tab to a select and choose an option by typing its label (or as much of it as tells it from the others,
    ``typed``), as the browser's type-ahead allows."""
    tab_to(page, selector, backwards=backwards)
    page.keyboard.type(typed or label)
    chosen = page.evaluate("() => document.activeElement.selectedOptions[0].textContent.trim()")
    assert chosen == label, f"typing {label!r} into {selector} chose {chosen!r}"


def tick(page: Page, label: str) -> None:
    """Tab to a checkbox by its label and tick it with Space."""

    def is_checkbox(element: Focused) -> bool:
        return element["tag"] == "input" and element["type"] == "checkbox" and element["label"] == label

    is_checkbox.__doc__ = f"the checkbox {label!r}"
    tab_to(page, is_checkbox)
    page.keyboard.press("Space")
    element = focused(page)
    assert element is not None
    assert element["checked"], f"Space did not tick {label!r}"
