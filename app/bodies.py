"""What a request body must be before it is validated: of the media type the operation
accepts (415), and UTF-8 JSON that parses (400). Only a body that parses is checked against
its schema, where a problem is a 422.

FastAPI would validate a body of any other media type as raw bytes (a 422 about a
dictionary), report a syntax error as a character offset in a JSON pointer, and answer an
undecodable body with its own `about:blank` 400; here each is one clear problem.
"""

import json
import re
from email.message import Message

from fastapi import Request

from app.errors import BadRequest, ProblemError

_NUMBER_TOO_LONG = re.compile(r"exceeds the limit", re.IGNORECASE)


class UnsupportedMediaType(ProblemError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


def media_type(content_type: str) -> str:
    message = Message()
    message["content-type"] = content_type
    return message.get_content_type()


def _has_body(request: Request) -> bool:
    headers = request.headers
    return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers


def check_media_type(request: Request, accepted: str) -> None:
    """A body of another media type than `accepted` is a 415 naming the accepted one. A
    request without a body passes (its schema reports the missing body)."""
    content_type = request.headers.get("content-type")
    if content_type is None and not _has_body(request):
        return
    given = media_type(content_type) if content_type else None
    if given != accepted:
        raise UnsupportedMediaType(
            f"This operation accepts {accepted} bodies"
            + (f", not {given}." if given else "; send a Content-Type header."),
            accepted=[accepted],
        )


def _refuse_constant(name: str) -> None:
    # Python's json reads NaN and Infinity, which JSON does not have.
    raise ValueError(f"{name} is not a JSON value")


async def parse_json(request: Request) -> None:
    """Parse the body once (Starlette keeps the result for the route): 400 when it is not
    UTF-8, not JSON, or holds a number too long to read."""
    body = await request.body()
    if not body:
        return
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"The body is not UTF-8: byte {exc.start} (0x{body[exc.start]:02x}) cannot be decoded."
        ) from None
    try:
        parsed = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            line=exc.lineno,
            column=exc.colno,
        ) from None
    except RecursionError:
        raise BadRequest("The body is not readable JSON: it is nested too deeply.") from None
    except ValueError as exc:
        reason = "a number in it is too long" if _NUMBER_TOO_LONG.search(str(exc)) else exc
        raise BadRequest(f"The body is not readable JSON: {reason}.") from None
    request._json = parsed  # Starlette's cache of `await request.json()`, which FastAPI reads
