"""The HTML side: sign-in, sessions, CSRF, security headers, pages, images and the audit CSV."""

from __future__ import annotations

import csv
import io
import re
from ipaddress import ip_network

from aiohttp.test_utils import TestClient, TestServer

from moderation.console.app import build_app
from moderation.console.routes import ROUTES
from moderation.console.samples import TINY_PNG, sample_task
from moderation.console.security import CONTENT_SECURITY_POLICY
from moderation.console.settings import AuthMode
from tests.component.console.console_web_harness import PASSWORD, Console, form_field, sign_in

Client = TestClient[object, object]


def test_the_route_table_is_exactly_this() -> None:
    assert [(method, path) for method, path, _ in ROUTES] == [
        ("GET", "/"),
        ("GET", "/login"),
        ("POST", "/login"),
        ("POST", "/logout"),
        ("GET", "/queue"),
        ("GET", "/tasks/{task_id}"),
        ("GET", "/tasks/{task_id}/attachments/{index}"),
        ("GET", "/stats"),
        ("GET", "/audit.csv"),
        ("GET", "/static/{name}"),
        ("GET", "/api/me"),
        ("GET", "/api/queue"),
        ("POST", "/api/queue/next"),
        ("GET", "/api/tasks/{task_id}"),
        ("POST", "/api/tasks/{task_id}/claim"),
        ("POST", "/api/tasks/{task_id}/heartbeat"),
        ("POST", "/api/tasks/{task_id}/release"),
        ("POST", "/api/tasks/{task_id}/skip"),
        ("POST", "/api/tasks/{task_id}/decision"),
        ("POST", "/api/appeals/{task_id}/decision"),
        ("GET", "/api/stats"),
        ("GET", "/livez"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
    ]


async def test_the_served_app_has_only_the_listed_routes(console: Console) -> None:
    app = build_app(console.state)
    served = sorted(
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
    )
    assert served == sorted((method, path) for method, path, _ in ROUTES)


async def test_guests_are_sent_to_sign_in_and_see_no_content(
    console: Console, client: Client
) -> None:
    console.add_tasks(sample_task(1, text="guest must not see this", image=True))
    for path in (
        "/",
        "/queue",
        "/tasks/task-acme-1",
        "/tasks/task-acme-1/attachments/0",
        "/stats",
        "/audit.csv",
    ):
        answer = await client.get(path, allow_redirects=False)
        assert answer.status == 303, path
        assert answer.headers["Location"] == "/login"
        assert "guest must not see this" not in await answer.text()
    logout = await client.post("/logout", allow_redirects=False)
    assert logout.status == 303


async def test_a_wrong_password_or_a_forged_form_fails(client: Client) -> None:
    form = await client.get("/login")
    token = form_field(await form.text(), "login_token")
    wrong = await client.post(
        "/login", data={"login_token": token, "username": "rita", "password": "nope"}
    )
    assert wrong.status == 401
    assert "Wrong user name or password" in await wrong.text()
    unknown = await client.post(
        "/login",
        data={"login_token": form_field(await wrong.text(), "login_token"), "username": "x"},
    )
    assert unknown.status == 401
    forged = await client.post(
        "/login",
        data={"login_token": "forged", "username": "rita", "password": PASSWORD},
        allow_redirects=False,
    )
    assert forged.status == 403
    assert (await client.get("/api/me")).status == 401


async def test_sign_in_sets_a_hardened_session_cookie(console: Console) -> None:
    console.state.settings.secure_cookies = True
    async with TestClient(TestServer(build_app(console.state))) as client:
        form = await client.get("/login")
        token = form_field(await form.text(), "login_token")
        # The client keeps Secure cookies off plain http: send the form's cookie by hand.
        good = await client.post(
            "/login",
            data={"login_token": token, "username": "rita", "password": PASSWORD},
            headers={"Cookie": f"console_login={token}"},
            allow_redirects=False,
        )
        assert good.status == 303
        cookie = next(
            h for h in good.headers.getall("Set-Cookie") if h.startswith("console_session=")
        )
        for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
            assert flag in cookie, flag


async def test_every_page_carries_the_security_headers(console: Console, client: Client) -> None:
    for path in ("/login", "/livez", "/static/console.js", "/api/me", "/nowhere"):
        answer = await client.get(path)
        assert answer.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY


async def test_pages_have_no_inline_script_or_style(console: Console, client: Client) -> None:
    console.add_tasks(sample_task(1, image=True))
    await sign_in(client, "rita")
    for path in ("/queue", "/tasks/task-acme-1"):
        html = await (await client.get(path)).text()
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.DOTALL)
        assert scripts == [(' src="/static/console.js" defer', "")]
        assert " style=" not in html
        assert re.search(r"\son[a-z]+\s*=", html) is None


async def test_session_state_changes_need_the_csrf_token(console: Console, client: Client) -> None:
    console.add_tasks(sample_task(1))
    csrf = await sign_in(client, "rita")
    path = "/api/tasks/task-acme-1/claim"
    assert (await client.post(path)).status == 403
    assert (await client.post(path, headers={"X-CSRF-Token": "wrong"})).status == 403
    cross = await client.post(
        path, headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
    )
    assert cross.status == 403
    assert (await client.post(path, headers={"X-CSRF-Token": csrf})).status == 200
    assert (await client.post("/logout", allow_redirects=False)).status == 403
    out = await client.post("/logout", data={"csrf_token": csrf}, allow_redirects=False)
    assert out.status == 303
    assert (await client.get("/api/me")).status == 401


async def test_task_page_shows_verdicts_and_blurred_image_from_our_origin(
    console: Console, client: Client
) -> None:
    console.add_tasks(sample_task(1, image=True, image_url="https://evil.example/pic.png"))
    await sign_in(client, "rita")
    html = await (await client.get("/tasks/task-acme-1")).text()
    assert 'class="blurred" data-reveal="1" src="/tasks/task-acme-1/attachments/0"' in html
    assert "https://evil.example/pic.png" in html  # shown as text ...
    assert 'src="https://evil.example' not in html  # ... never fetched by the browser
    assert "looks like harassment" in html
    assert "policy default v2026.11" in html
    image = await client.get("/tasks/task-acme-1/attachments/0")
    assert image.status == 200
    assert image.headers["Content-Type"] == "image/png"
    assert await image.read() == __import__("base64").b64decode(TINY_PNG)
    assert (await client.get("/tasks/task-acme-1/attachments/1")).status == 404
    assert (await client.get("/tasks/task-acme-1/attachments/x")).status == 404


async def test_another_tenants_task_page_and_image_are_refused(
    console: Console, client: Client
) -> None:
    console.add_tasks(sample_task(1, tenant="globex", text="globex secret", image=True))
    await sign_in(client, "rita")
    page = await client.get("/tasks/task-globex-1")
    assert page.status == 404
    assert "globex secret" not in await page.text()
    assert (await client.get("/tasks/task-globex-1/attachments/0")).status == 404


async def test_stats_page_and_audit_csv_are_for_admins(console: Console, client: Client) -> None:
    console.add_tasks(sample_task(1))
    csrf = await sign_in(client, "rita")
    headers = {"X-CSRF-Token": csrf}
    await client.post("/api/tasks/task-acme-1/claim", headers=headers)
    await client.post("/api/tasks/task-acme-1/release", headers=headers)
    await client.post("/api/tasks/task-acme-1/claim", headers=headers)
    decision = {"action": "remove", "categories": [{"category": "=cmd|calc"}]}
    refused = await client.post("/api/tasks/task-acme-1/decision", headers=headers, json=decision)
    assert refused.status == 400  # a category name cannot smuggle a formula in
    await client.post("/api/tasks/task-acme-1/decision", headers=headers, json={"action": "allow"})
    assert (await client.get("/stats")).status == 403
    assert (await client.get("/audit.csv")).status == 403
    await client.post("/logout", data={"csrf_token": csrf})
    await sign_in(client, "ada")
    stats = await client.get("/stats")
    assert stats.status == 200
    assert "Queue health" in await stats.text()
    export = await client.get("/audit.csv")
    assert export.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(await export.text())))
    actions = [(r["actor"], r["action"], r["task_id"]) for r in rows if r["task_id"]]
    assert actions == [
        ("rita", "claim", "task-acme-1"),
        ("rita", "release", "task-acme-1"),
        ("rita", "claim", "task-acme-1"),
        ("rita", "decide_allow", "task-acme-1"),
    ]
    assert {"login", "user_added", "token_added"} <= {r["action"] for r in rows}


async def test_proxy_mode_trusts_the_header_only_from_a_trusted_proxy(console: Console) -> None:
    console.state.settings.auth_mode = AuthMode.PROXY
    console.add_tasks(sample_task(1))
    async with TestClient(TestServer(build_app(console.state))) as client:
        header = {"X-Forwarded-User": "rita"}
        page = await client.get("/queue", headers=header, allow_redirects=False)
        assert page.status == 200
        csrf = form_field(await page.text(), "csrf-token")
        me = await (await client.get("/api/me", headers=header)).json()
        assert me["via"] == "proxy"
        claim = await client.post(
            "/api/tasks/task-acme-1/claim", headers={**header, "X-CSRF-Token": csrf}
        )
        assert claim.status == 200
        # The session belongs to rita: another name from the proxy does not ride on it.
        other = await client.get("/api/me", headers={"X-Forwarded-User": "ada"})
        assert (await other.json())["username"] == "ada"
        assert (await client.get("/api/me")).status == 401  # no header, no access
        unknown = await client.get("/api/me", headers={"X-Forwarded-User": "mallory"})
        assert unknown.status == 401
        assert (await client.get("/login")).status == 403
    console.state.settings.trusted_proxies = (ip_network("10.0.0.0/8"),)
    async with TestClient(TestServer(build_app(console.state))) as client:
        untrusted = await client.get("/api/me", headers={"X-Forwarded-User": "rita"})
        assert untrusted.status == 401


async def test_static_files_are_whitelisted(client: Client) -> None:
    assert (await client.get("/static/console.css")).status == 200
    for name in ("..%2Fmodels.py", "console.py", ".hidden.js", "missing.js"):
        assert (await client.get(f"/static/{name}")).status == 404, name
