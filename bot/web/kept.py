"""A form sent after its session ended, back to be sent again (see app.KeptForms).

Forms whose own page can be filled in again (the entry pages: their view is marked
`restores_form`) come back there; any other form comes back here: what was typed, and a
button that sends it again with this session's token. Nothing is sent without that click.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.web.app import console, requires

HIDDEN = ("base", "once", "asked", "ids", "action")  # the form's own bookkeeping


@requires("manager")
async def resend_page(request: Request) -> Response:
    """What the kept form held, and the button that sends it again."""
    c = console(request)
    kept = c.kept.get(request.query_params.get("form", ""))
    if kept is None:
        return RedirectResponse("/inbox", status_code=303)
    shown = [(k, v) for k, v in kept.items if v.strip() and k not in HIDDEN]
    return c.render(request, "resend.html", kept=kept, shown=shown)


def routes() -> list[Route]:
    return [Route("/resend", resend_page)]
