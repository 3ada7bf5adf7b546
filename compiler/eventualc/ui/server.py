"""The console's HTTP side: a ``Console`` and ``Settings`` -> a Starlette application.

Starlette (with uvicorn to serve it) is small, typed and well kept, runs plain
functions in a thread pool (the store's connections are per thread), and serves the
package's ``static/`` folder itself. Guarantees:

- every page is a jinja2 template with autoescape on: spec text, names, payloads and
  errors are escaped; diagrams are Graphviz SVG whose labels ``to_dot`` escaped;
- ``Content-Security-Policy`` allows scripts and styles from this server only;
- with a token (``Settings.token``) every request needs it, given once as ``?token=``
  (then kept in an HttpOnly, SameSite=Strict cookie);
- every change is a POST carrying the page's CSRF token (``Settings.csrf``), from a
  page of this origin; with ``read_only`` no page shows an action and POSTs get 403.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from eventualc.ui import forms
from eventualc.ui.pages import Console
from eventualc.ui.source import PAGE, Filters, Unavailable

HERE = Path(__file__).parent
COOKIE = "eventualc_ui"
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")  # fmt: skip
_FORM_LIMIT = 1 << 20  # urlencoded forms only (no multipart parser needed)
STATUSES = ("IN_PROGRESS", "SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED")


@dataclass(frozen=True)
class Settings:
    read_only: bool = False
    token: str | None = None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    poll_ms: int = 1000


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip
    env.filters["pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False, default=str)
    env.filters["when"] = _when
    env.filters["took"] = _took
    env.filters["details"] = _details
    return env


def _details(entry: dict[str, Any]) -> str:
    """A history entry's fields but its type and time, as ``key=JSON``."""
    return "  ".join(f"{key}={json.dumps(value, ensure_ascii=False, default=str)}"
                     for key, value in entry.items()
                     if key not in ("type", "time") and value is not None)  # fmt: skip


def _when(value: datetime | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _took(pair: tuple[Any, Any]) -> str:
    start, end = pair
    if start is None or end is None:
        return ""
    seconds = (end - start).total_seconds() if isinstance(start, datetime) else end - start
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


class _Guard(BaseHTTPMiddleware):
    """Token check, POST origin check and security headers, around every request."""

    def __init__(self, app: Any, settings: Settings) -> None:
        super().__init__(app)
        self.settings = settings

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        token = self.settings.token
        given = request.query_params.get("token")
        if token and given is not None and hmac.compare_digest(given, token):
            response: Response = RedirectResponse(request.url.path, status_code=303)
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
            return response
        if token and not hmac.compare_digest(request.cookies.get(COOKIE, ""), token):
            response = HTMLResponse("<h1>401</h1><p>Open the console with its token: "
                                    "?token=…</p>", status_code=401)  # fmt: skip
        elif request.method != "GET" and not _same_origin(request):
            response = HTMLResponse("<h1>403</h1><p>Cross-origin request refused.</p>",
                                    status_code=403)  # fmt: skip
        else:
            response = await call_next(request)
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"  # no-referrer would make Origin "null"
        return response


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    return origin is None or origin.split("://", 1)[-1] == host


def create_app(console: Console, settings: Settings | None = None) -> Starlette:
    """The console's application over ``console``."""
    settings = settings or Settings()
    routes = _Routes(console, settings, _environment())
    return Starlette(
        routes=[
            Route("/", routes.executions),
            Route("/executions/{id}", routes.execution),
            Route("/executions/{id}/version", routes.version),
            Route("/executions/{id}/signal", routes.signal, methods=["POST"]),
            Route("/executions/{id}/cancel", routes.cancel, methods=["POST"]),
            Route("/executions/{id}/restart", routes.restart, methods=["POST"]),
            Route("/events", routes.events),
            Route("/dead-letters", routes.dead_letters),
            Route("/dead-letters/redrive", routes.redrive, methods=["POST"]),
            Route("/service", routes.service),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(_Guard, settings=settings)],
    )


class _Routes:
    def __init__(self, console: Console, settings: Settings, env: jinja2.Environment) -> None:
        self.console = console
        self.settings = settings
        self.env = env

    def page(self, request: Request, template: str, status: int = 200,
             **values: Any) -> HTMLResponse:  # fmt: skip
        fragment = request.query_params.get("fragment") == "1"
        html = self.env.get_template(template).render(
            settings=self.settings, fragment=fragment, request=request,
            source=self.console.reads.label,
            notice=request.query_params.get("notice", ""),
            problem=request.query_params.get("problem", ""), **values,
        )  # fmt: skip
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def failure(self, request: Request, message: str, status: int) -> HTMLResponse:
        return self.page(request, "error.html", status, message=message)

    def executions(self, request: Request) -> HTMLResponse:
        query = request.query_params
        try:
            filters = Filters(query.get("workflow", ""), query.get("status", ""),
                              query.get("prefix", ""), _instant(query.get("since")),
                              _instant(query.get("until")))  # fmt: skip
        except ValueError as exc:
            return self.failure(request, str(exc), 400)
        after = query.get("after") or None
        found = self.console.reads.executions(filters, after)
        kept = {k: v for k, v in query.items() if k not in ("after", "fragment") and v}
        more = urlencode({**kept, "after": found.after}) if found.after else ""
        return self.page(request, "executions.html", rows=found.rows, note=found.note,
                         filters=filters,
                         statuses=STATUSES, workflows=self.console.reads.workflows(),
                         more=more, first=after is None, kept=kept)  # fmt: skip

    def execution(self, request: Request) -> HTMLResponse:
        from eventual.engine import EngineError

        try:
            data = self.console.execution(request.path_params["id"])
        except EngineError as exc:
            return self.failure(request, str(exc), 404)
        return self.page(request, "execution.html", **data)

    def version(self, request: Request) -> JSONResponse:
        status, count = self.console.reads.version(request.path_params["id"])
        return JSONResponse({"status": status, "history": count})

    async def _form(self, request: Request) -> dict[str, str] | Response:
        """The POSTed form, or the refusal: read-only console, missing CSRF token."""
        if self.settings.read_only:
            return self.failure(request, "this console is read-only", 403)
        body = await request.body()
        if len(body) > _FORM_LIMIT:
            return self.failure(request, "the form is too large", 413)
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        values = dict(pairs)
        if not hmac.compare_digest(values.get("csrf", ""), self.settings.csrf):
            return self.failure(request, "the form's CSRF token is missing or stale", 403)
        values["ids"] = ",".join(v for k, v in pairs if k == "id")
        return values

    async def _act(
        self, request: Request, action: Callable[[str, dict[str, str]], tuple[str, str]]
    ) -> Response:
        """Runs ``action(execution, form) -> (page, notice)`` on a checked form; back to
        ``page`` with the notice, or to the execution's page with what went wrong."""
        from eventual.engine import EngineError

        form = await self._form(request)
        if isinstance(form, Response):
            return form
        ref = request.path_params["id"]
        try:
            page, notice = action(ref, form)
        except (EngineError, ValueError, Unavailable) as exc:
            return _back(f"/executions/{ref}", problem=str(exc))
        return _back(page, notice=notice)

    async def signal(self, request: Request) -> Response:
        return await self._act(request, self._signal)

    def _signal(self, ref: str, form: dict[str, str]) -> tuple[str, str]:
        chosen = self.console.signal_field(ref, form.get("signal", ""))
        if chosen is None:
            raise ValueError(f"no signal {form.get('signal', '')!r}")
        payload = forms.parse(chosen, form.get("payload", ""))
        self.console.reads.signal(ref, chosen.signal, payload)
        return f"/executions/{ref}", f"signal {chosen.signal} sent"

    async def cancel(self, request: Request) -> Response:
        def cancel(ref: str, _form: dict[str, str]) -> tuple[str, str]:
            self.console.reads.cancel(ref)
            return f"/executions/{ref}", "cancel requested"

        return await self._act(request, cancel)

    async def restart(self, request: Request) -> Response:
        """A new execution reusing the outputs of the steps that succeeded; its page."""

        def restart(ref: str, _form: dict[str, str]) -> tuple[str, str]:
            return f"/executions/{self.console.reads.restart(ref)}", f"restarted from {ref}"

        return await self._act(request, restart)

    def events(self, request: Request) -> HTMLResponse:
        name = request.query_params.get("name", "")
        before = request.query_params.get("before")
        try:
            rows = self.console.reads.events(name, int(before) if before and before.isdigit()
                                             else None)  # fmt: skip
        except Unavailable as exc:
            return self.page(request, "events.html", rows=[], name=name, more="",
                             unavailable=str(exc))  # fmt: skip
        more = urlencode({"name": name, "before": rows[-1].seq}) if len(rows) == PAGE else ""
        return self.page(request, "events.html", rows=rows, name=name, more=more,
                         unavailable="")  # fmt: skip

    def dead_letters(self, request: Request) -> HTMLResponse:
        return self.page(request, "dead_letters.html", rows=self.console.reads.dead_letters())

    async def redrive(self, request: Request) -> Response:
        from eventual.engine import EngineError

        form = await self._form(request)
        if isinstance(form, Response):
            return form
        chosen = "" if form.get("all") == "1" else form["ids"]
        ids = [i for i in chosen.split(",") if i]
        if not ids and form.get("all") != "1":
            return _back("/dead-letters", problem="choose dead letters to redrive")
        try:
            count = self.console.reads.redrive(ids)
        except (EngineError, ValueError) as exc:
            return _back("/dead-letters", problem=str(exc))
        return _back("/dead-letters", notice=f"{count} redriven")

    def service(self, request: Request) -> HTMLResponse:
        return self.page(request, "service.html", **self.console.service())


def _back(path: str, **message: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode(message)}", status_code=303)


def _instant(text: str | None) -> float | None:
    """A ``datetime-local`` field (UTC) as seconds since the epoch."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not a date and time: {text!r}") from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
