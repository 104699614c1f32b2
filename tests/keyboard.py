"""The keyboard alone in a Playwright page: Tab to an element, and Tab through a whole page.

Every step presses a key (page.keyboard); nothing is clicked or focused by the test itself.
"""
from __future__ import annotations

# Everything a keyboard user should be able to reach: marked with data-kbd so the walk can name what it visits.
MARK_FOCUSABLE = """() => {
    const selector = 'a[href], button, input, select, textarea, summary, [tabindex]';
    const seen = [];
    document.querySelectorAll(selector).forEach((el, i) => {
        if (el.disabled || el.type === 'hidden' || el.getAttribute('tabindex') === '-1') return;
        if (el.closest('[hidden], [inert], [aria-hidden=true]')) return;
        // closed <details> keep their content out of reach (but not their summary), as does display or visibility
        const closed = el.closest('details:not([open])');
        if (closed && !(el.tagName === 'SUMMARY' && el.parentElement === closed)) return;
        if (el.checkVisibility && !el.checkVisibility({checkVisibilityCSS: true})) return;
        if (getComputedStyle(el).visibility === 'hidden' || !el.getClientRects().length) return;
        el.dataset.kbd = String(i);
        seen.push({key: String(i), group: el.type === 'radio' ? 'radio:' + el.name : null, what: describe(el)});
    });
    return seen;
    function describe(el) {
        const name = (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 40);
        return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? '[name=' + el.name + ']' : '')
            + (name ? ' "' + name + '"' : '');
    }
}"""

ACTIVE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const name = (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 40);
    return {key: el.dataset.kbd || null, id: el.id || null,
            group: el.type === 'radio' ? 'radio:' + el.name : null,
            what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? '[name=' + el.name + ']' : '')
                  + (name ? ' "' + name + '"' : '')};
}"""


def active(page) -> dict | None:
    """What has the keyboard focus now (None: the page itself)."""
    return page.evaluate(ACTIVE)


def tab_to(page, selector: str, max_tabs: int = 80, backwards: bool = False) -> list[str]:
    """Press Tab until the element `selector` has the focus; the elements passed on the way.

    Fails when it is not reached, or when a Tab leaves the focus where it was (a trap)."""
    path: list[str] = []
    previous = active(page)
    for _ in range(max_tabs):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        now = active(page)
        if now is not None and previous is not None and now["what"] == previous["what"] and now["key"] == previous[
                "key"] and now["id"] == previous["id"]:
            raise AssertionError(f"Tab keeps the focus on {now['what']} (a keyboard trap); path: {path}")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return path
        path.append(now["what"] if now else "(page)")
        previous = now
    raise AssertionError(f"{selector} not reached with {max_tabs} Tabs; path: {path}")


def unreachable_by_tab(page, max_tabs: int = 400) -> list[str]:
    """Tab from the top of the page through all of it; what could be focused but was never reached.

    A group of radio buttons is one Tab stop (the arrow keys choose within it)."""
    focusable = page.evaluate(MARK_FOCUSABLE)
    page.evaluate("() => document.activeElement && document.activeElement.blur && document.activeElement.blur()")
    reached: set[str] = set()
    groups: set[str] = set()
    first = None
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        now = active(page)
        if now is None:
            if reached:
                break  # past the last element: the focus went back to the page
            continue
        marker = (now["key"], now["what"])
        if marker == first:
            break  # round the whole page
        first = first or marker
        if now["key"]:
            reached.add(now["key"])
        if now["group"]:
            groups.add(now["group"])
    return [f["what"] for f in focusable if f["key"] not in reached and not (f["group"] and f["group"] in groups)]


MAPS_READY = """() => [...document.querySelectorAll('[data-tiles]')].every(
    m => m.classList.contains('leaflet-container') || m.closest('[hidden]'))"""


def settle(page) -> None:
    """Wait until the page has loaded and run its scripts (its maps made); its last fetches get a moment too.

    "networkidle" alone is not waited for: on a loaded machine a map's tiles can keep it from coming."""
    from playwright.sync_api import Error

    page.wait_for_load_state("load")
    page.wait_for_function(MAPS_READY)
    try:
        page.wait_for_load_state("networkidle", timeout=5000)
    except Error:
        pass
