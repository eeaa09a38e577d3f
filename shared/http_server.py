"""uvicorn's httptools protocol, answering what its parser refuses as problem+json.

A request whose target holds a raw control character, a space or a byte past
ASCII never reaches an app: the parser refuses it first, and uvicorn would
answer a plain-text 400. Every process of ours runs with this protocol
(`uvicorn --http shared.http_server:ProblemHttpToolsProtocol`, scripts/run.py),
so that answer is a problem like every other, with a stable code.
"""

import json
import sys
import uuid

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from shared import errors

HTTP_PROTOCOL = "shared.http_server:ProblemHttpToolsProtocol"


def problem_bytes(code: str, detail: str, request_id: str) -> bytes:
    body = {"type": errors.PROBLEM_TYPE + code, "title": "Bad Request", "status": 400, "detail": detail,
            "code": code, "request_id": request_id}
    return json.dumps(body, separators=(",", ":")).encode()


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        # Called from uvicorn's `except HttpParserError`: the error says which part was wrong.
        error = sys.exc_info()[1]
        if isinstance(error, httptools.HttpParserInvalidURLError):
            code, detail = "invalid_request_target", "The request target holds a control character, a space " \
                                                     "or a byte past ASCII; percent-encode it"
        else:
            code, detail = "invalid_http_request", "The request is not valid HTTP/1.1"
        request_id = uuid.uuid4().hex
        body = problem_bytes(code, detail, request_id)
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [b"content-type: application/problem+json\r\n", b"content-length: ", str(len(body)).encode(),
                 b"\r\n", b"x-request-id: ", request_id.encode(), b"\r\n", b"connection: close\r\n\r\n", body]
        self.transport.write(b"".join(head))
        self.transport.close()
