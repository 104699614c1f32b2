"""axe-core (vendored by `make vendor`, web/static/vendor/axe-core) run inside a Playwright page: WCAG 2.1 AA.

    from .axe import assert_no_axe_violations
    assert_no_axe_violations(page, context="meldformulier met foutmeldingen")

The page's Content-Security-Policy allows no inline script, so the library is not added as a `<script>` with
content: its text is evaluated through the DevTools protocol (page.evaluate), which the policy does not
govern. No page of the app loads axe-core itself.
"""
from __future__ import annotations

from functools import cache

from web.vendoring import TARGET

AXE_JS = TARGET / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA: what EN 301 549 asks of Belgian public-sector websites.
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

RUN_AXE = """async ([tags, exclude]) => {
    const context = exclude.length ? {include: [document], exclude: exclude.map(s => [s])} : document;
    const result = await axe.run(context, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary || ""})),
    }));
}"""


@cache
def _axe_source() -> str:
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `make vendor` (web/vendoring.py names axe-core)")
    return AXE_JS.read_text(encoding="utf-8")


def inject_axe(page) -> None:
    """Put axe-core into the page (once per document)."""
    if page.evaluate("typeof window.axe") != "object":
        page.evaluate(_axe_source() + "\n;void 0")
    assert page.evaluate("typeof window.axe === 'object' && typeof axe.run === 'function'"), \
        "axe-core did not load into the page"


def axe_violations(page, exclude: tuple[str, ...] = ()) -> list[dict]:
    """The WCAG 2.1 A/AA violations axe-core finds on the page as it is now (`exclude`: CSS selectors)."""
    inject_axe(page)
    return page.evaluate(RUN_AXE, [list(WCAG_21_AA), list(exclude)])


def describe(violations: list[dict]) -> str:
    """One readable block per violation: rule, impact, what it asks, and each element it found."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"]:
            lines.append(f"    at {node['target']}: {node['html'][:160]}")
            detail = " ".join(node["summary"].split())
            if detail:
                lines.append(f"      {detail[:300]}")
    return "\n".join(lines)


def assert_no_axe_violations(page, context: str = "", exclude: tuple[str, ...] = ()) -> None:
    """Fail with a readable list when axe-core finds any WCAG 2.1 AA violation on the page."""
    violations = axe_violations(page, exclude)
    if violations:
        where = context or page.url
        raise AssertionError(f"axe-core (WCAG 2.1 AA) found {len(violations)} violation(s) on {where} "
                             f"({page.url}):\n{describe(violations)}")
