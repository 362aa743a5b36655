"""The statistics page in Debian's headless Chromium, against the API stand-in (fake_api.py).

The page is loaded from the server with the site's Content-Security-Policy; the token is typed
into its form; then, from the DOM: every graph drew its series (lines and points counted by the
page, pixels on its canvas), the fill figures shown are the bytes `ctsys storage fill --json`
gave, a phone's width has no horizontal overflow. Screenshots go to the test's tmp dir.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.web.browser import Browser
from tests.integration.web.conftest import TOKEN
from tests.integration.web.fake_api import FakeApi

pytestmark = pytest.mark.integration

GRAPHS = [
    "cpu", "recorder", "links", "disk-rates", "disk-iops", "disk-latency", "disk-util", "volumes",
    "camera-fps", "camera-bitrate", "camera-errors",
]
# lines per graph with the seeded data: 2 links, 2 disks, 2 volumes, 3 cameras x 2 streams
SERIES_PER_GRAPH = {
    "cpu": 3, "recorder": 2, "links": 4, "disk-rates": 4, "disk-iops": 4, "disk-latency": 2, "disk-util": 2,
    "volumes": 2, "camera-fps": 6, "camera-bitrate": 6, "camera-errors": 12,
}
DONE = "['drawn', 'empty', 'error'].includes(document.getElementById('graph-{g}').dataset.state)"
GRAPHS_SETTLED = " && ".join(
    f"document.getElementById('graph-{g}').dataset.period === '{{period}}' && " + DONE.format(g=g) for g in GRAPHS
)


def human_bytes(n: int | None) -> str:
    """The page's formatBytes (app.js), to check the figures' text."""
    if n is None:
        return "unknown"
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    v, k = float(n), 0
    while abs(v) >= 1024 and k < len(units) - 1:
        v, k = v / 1024, k + 1
    return (str(round(v)) if k == 0 else f"{v:.1f}") + " " + units[k]


def log_in(browser: Browser, api: FakeApi, token: str = TOKEN) -> None:
    browser.navigate(api.url + "/")
    browser.wait_for("!document.getElementById('login-view').hidden", 15, "the token form")
    browser.evaluate(
        f"document.getElementById('token-input').value = {json.dumps(token)};"
        " document.getElementById('login-form').requestSubmit(); true"
    )


def show_period(browser: Browser, period: str) -> None:
    browser.evaluate(f"document.querySelector('button[data-period={period}]').click(); true")
    browser.wait_for(GRAPHS_SETTLED.format(period=period), 60, f"every graph of the {period}")


def graph_states(browser: Browser) -> dict[str, dict[str, Any]]:
    return browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('section.graph')].map(s => {"
        " const c = s.querySelector('canvas'); let ink = 0;"
        " if (c) { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "   for (let i = 3; i < d.length; i += 4) if (d[i] > 0) ink++; }"
        " return [s.dataset.graph, {state: s.dataset.state, series: +s.dataset.seriesCount,"
        "  points: +s.dataset.points, step: +s.dataset.step, ink: ink,"
        "  legend: s.querySelectorAll('.u-legend .u-series').length - 1}]; }))"
    )


def assert_graphs_drawn(browser: Browser, api: FakeApi, step: int) -> None:
    states = graph_states(browser)
    assert sorted(states) == sorted(GRAPHS)
    for g, s in states.items():
        assert s["state"] == "drawn", f"graph {g}: {s}"
        assert s["series"] == SERIES_PER_GRAPH[g] and s["legend"] == SERIES_PER_GRAPH[g], f"graph {g}: {s}"
        assert s["points"] > 0 and s["step"] == step, f"graph {g}: {s}"
        assert s["ink"] > 500, f"graph {g}: its canvas is (nearly) blank: {s}"
    # the page counted what the server sent for the last request of that graph
    answer = api.answers["/api/v1/stats/series"]
    assert answer["step"] == step


def test_page_shows_status_fill_and_graphs_of_the_seeded_year(browser: Browser, api: FakeApi, tmp_path: Path) -> None:
    log_in(browser, api)
    browser.wait_for("document.getElementById('fill').dataset.state === 'drawn'", 60, "the fill dashboard")
    browser.wait_for("document.getElementById('status').dataset.state === 'drawn'", 30, "the status")
    browser.wait_for(GRAPHS_SETTLED.format(period="day"), 60, "every graph of the day")

    # the token is sent as the Bearer header, kept for the tab only
    api_requests = [r for r in api.requests if r[0].startswith("/api/")]
    assert api_requests and all(auth == f"Bearer {TOKEN}" and code == 200 for _, auth, code in api_requests)
    assert browser.evaluate("sessionStorage.getItem('ct-server.token')") == TOKEN

    # status at a glance
    status = api.answers["/api/v1/status"]
    assert browser.evaluate("document.getElementById('status-hostname').textContent") == status["hostname"]
    assert status["version"] in browser.evaluate("document.getElementById('status-version').textContent")
    services = browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#status-services li')]"
        ".map(l => [l.dataset.unit, l.dataset.state]))"
    )
    assert services == status["services"]
    alerts = browser.evaluate("[...document.querySelectorAll('#status-alerts li.alert')].map(l => l.textContent)")
    assert any("ctdata-1" in a and "disk-fill" in a for a in alerts), alerts

    # the fill dashboard: the figures are those `ctsys storage fill --json` gave
    fill = api.answers["/api/v1/storage/fill"]
    shown = browser.evaluate(
        "[...document.querySelectorAll('#fill-volumes .volume')].map(v => ({label: v.dataset.volume,"
        " mounted: v.dataset.mounted, percent: v.dataset.percent, over: v.dataset.over,"
        " pct: v.querySelector('[data-field=percent]').textContent,"
        " threshold: (v.querySelector('.threshold') || {style: {}}).style.left || null,"
        " figures: Object.fromEntries([...v.querySelectorAll('.figures td')]"
        "   .map(t => [t.dataset.field, [t.dataset.bytes, t.textContent]])),"
        " cameras: Object.fromEntries([...v.querySelectorAll('.cameras tr')].map(r => [r.dataset.camera,"
        "   [r.querySelector('td').dataset.bytes, r.querySelector('td').textContent]]))}))"
    )
    assert [v["label"] for v in shown] == ["system"] + [v["label"] for v in fill["volumes"]]
    assert browser.evaluate("document.getElementById('fill-threshold').textContent") == f"{fill['threshold']} %"
    system = shown[0]
    for field in ("total", "used", "free"):
        assert system["figures"][field] == [str(fill["system"][field]), human_bytes(fill["system"][field])]
    assert len(fill["volumes"]) == 2
    for data, page in zip(fill["volumes"], shown[1:], strict=True):
        assert data["mounted"] and page["mounted"] == "true"
        assert float(page["percent"]) == data["percent"] and page["pct"] == f"{data['percent']:g} %"
        assert page["over"] == str(data["percent"] >= fill["threshold"]).lower()
        assert page["threshold"] == f"{fill['threshold']}%"
        for field in ("total", "used", "other", "recordings", "protected", "free"):
            assert page["figures"][field] == [str(data[field]), human_bytes(data[field])], (data["label"], field)
        assert page["cameras"] == {c: [str(b), human_bytes(b)] for c, b in data["cameras"].items()}
    # the seeded recordings are there: a protected range on ctdata-1, ctdata-1 over the threshold
    v1, v2 = fill["volumes"]
    assert v1["protected"] == 24 << 20 and set(v1["cameras"]) == {"entree", "parking"}
    assert v1["percent"] >= fill["threshold"] > v2["percent"] and set(v2["cameras"]) == {"quai"}

    # the day's graphs: one point a minute
    assert_graphs_drawn(browser, api, 60)
    browser.screenshot(tmp_path / "fill.png", "#fill")
    browser.screenshot(tmp_path / "status.png", "#status")
    browser.screenshot(tmp_path / "day.png", "#graphs")

    # a month: one point an hour; the seeded gap (quai off 02:00-05:00) leaves points out
    show_period(browser, "month")
    assert_graphs_drawn(browser, api, 3600)
    month = api.answers["/api/v1/stats/series"]
    assert month["until"] - month["since"] == 30 * 86400
    browser.screenshot(tmp_path / "month.png", "#graphs")
    fps = browser.evaluate("+document.getElementById('graph-camera-fps').dataset.points")
    assert 0 < fps < 6 * (30 * 24 + 1)

    show_period(browser, "hour")
    assert_graphs_drawn(browser, api, 60)
    show_period(browser, "week")
    assert_graphs_drawn(browser, api, 300)

    # nothing but the test server was asked for anything; no CSP refusal, no script error
    browser.drain()
    urls = browser.requested_urls()
    assert urls and all(u.startswith(api.url + "/") or u == "about:blank" for u in urls), urls
    assert browser.problems() == []
    print(f"screenshots in {tmp_path}")


def test_phone_width_has_no_horizontal_overflow(browser: Browser, api: FakeApi, tmp_path: Path) -> None:
    browser.set_viewport(390, 844, mobile=True)
    log_in(browser, api)
    browser.wait_for("document.getElementById('fill').dataset.state === 'drawn'", 60, "the fill dashboard")
    browser.wait_for(GRAPHS_SETTLED.format(period="day"), 60, "every graph of the day")
    assert_graphs_drawn(browser, api, 60)
    sizes = browser.evaluate(
        "({inner: window.innerWidth, doc: document.documentElement.scrollWidth, body: document.body.scrollWidth,"
        " widest: Math.max(...[...document.querySelectorAll('body *')].map(e => e.getBoundingClientRect().right)),"
        " canvases: [...document.querySelectorAll('.graph canvas')].map(c => c.getBoundingClientRect().width)})"
    )
    assert sizes["inner"] == 390
    assert sizes["doc"] <= sizes["inner"] and sizes["body"] <= sizes["inner"], sizes
    assert sizes["widest"] <= sizes["inner"] + 0.5, sizes
    assert sizes["canvases"] and all(0 < w <= 390 for w in sizes["canvases"]), sizes
    browser.screenshot(tmp_path / "phone.png")
    browser.screenshot(tmp_path / "phone-status.png", "#status")
    browser.screenshot(tmp_path / "phone-fill.png", "#fill")
    browser.screenshot(tmp_path / "phone-cpu.png", "#graph-cpu")
    browser.screenshot(tmp_path / "phone-links.png", "#graph-links")

    # a wider window redraws the graphs wider (they follow the width)
    browser.set_viewport(1200, 900)
    browser.wait_for(
        "[...document.querySelectorAll('.graph canvas')].every(c => c.getBoundingClientRect().width > 400)",
        15, "the graphs to widen",
    )
    browser.drain()
    assert browser.problems() == []


def test_a_refused_token_returns_to_the_form_with_a_message(browser: Browser, api: FakeApi) -> None:
    log_in(browser, api, token="not-the-token")
    browser.wait_for(
        "!document.getElementById('login-view').hidden && !document.getElementById('login-message').hidden",
        30, "the token form with a message",
    )
    message = browser.evaluate("document.getElementById('login-message').textContent")
    assert "401" in message and "unknown or revoked API token" in message, message
    assert browser.evaluate("document.getElementById('app-view').hidden") is True
    assert browser.evaluate("sessionStorage.getItem('ct-server.token')") is None
    assert any(code == 401 and auth == "Bearer not-the-token" for _, auth, code in api.requests)
    # then the right token shows the page
    browser.evaluate(
        f"document.getElementById('token-input').value = {json.dumps(TOKEN)};"
        " document.getElementById('login-form').requestSubmit(); true"
    )
    browser.wait_for("document.getElementById('fill').dataset.state === 'drawn'", 60, "the fill dashboard")


def test_a_network_error_is_shown(browser: Browser, api: FakeApi) -> None:
    log_in(browser, api)
    browser.wait_for(GRAPHS_SETTLED.format(period="day"), 60, "every graph of the day")
    api.fail_mode = "close"
    try:
        browser.evaluate("document.getElementById('refresh').click(); true")
        browser.wait_for("!document.getElementById('app-error').hidden", 30, "the error banner")
        banner = browser.evaluate("document.getElementById('app-error').textContent")
        assert "network error" in banner, banner
        browser.wait_for(
            "[...document.querySelectorAll('section.graph')].every(s => s.dataset.state === 'error')", 30,
            "every graph in error",
        )
        # still on the page: a network error is no reason to forget the token
        assert browser.evaluate("document.getElementById('login-view').hidden") is True
    finally:
        api.fail_mode = None
    browser.evaluate("document.getElementById('refresh').click(); true")
    browser.wait_for("document.getElementById('app-error').hidden", 30, "the error banner to go")
    browser.wait_for(
        "[...document.querySelectorAll('section.graph')].every(s => s.dataset.state === 'drawn')", 60,
        "every graph of the day drawn again",
    )
    assert_graphs_drawn(browser, api, 60)
