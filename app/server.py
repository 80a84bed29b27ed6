"""uvicorn's HTTP protocols, with the one error shape for requests it cannot parse.

uvicorn answers a request that is not valid HTTP/1.1 (a URL with raw non-ASCII bytes, a
malformed header) itself, before the app sees it, with a text/plain 400. This protocol
answers it with the API's problem document instead; `claims serve` uses it (httptools,
uvicorn's own choice when it is installed, as the lock installs it).
"""

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.errors import PROBLEM_MEDIA_TYPE, BadRequest

_UNREADABLE = BadRequest(
    "The request is not valid HTTP: a URL must be ASCII (percent-encode other bytes as "
    "UTF-8) and header names and values must be well formed."
)


def _problem_body() -> bytes:
    return _UNREADABLE.to_problem().model_dump_json(exclude_none=True).encode()


def _headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        body = _problem_body()
        lines = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in [*self.server_state.default_headers, *_headers(body)]:
            lines.append(name + b": " + value + b"\r\n")
        self.transport.write(b"".join([*lines, b"\r\n", body]))
        self.transport.close()
