"""structlog JSON logging; every line carries the request id of its request."""

import logging
import sys

import orjson
import structlog

from shared import context


def _add_request_id(_logger, _name, event_dict):
    rid = context.request_id()
    if rid is not None:
        event_dict.setdefault("request_id", rid)
    return event_dict


def _dumps(value, **kwargs) -> str:
    return orjson.dumps(value, **kwargs).decode()


def configure(service: str, level: str = "INFO") -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO

    def add_service(_logger, _name, event_dict):
        event_dict.setdefault("service", service)
        return event_dict

    common = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_id,
        add_service,
    ]
    # Every request writes at least one line: orjson straight to bytes costs about half of
    # json.dumps and print (docs/performance.md), with the same fields.
    out = getattr(sys.stdout, "buffer", None)
    structlog.configure(
        processors=[
            *common, structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=orjson.dumps if out else _dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.BytesLoggerFactory(out) if out else structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    # Library loggers (uvicorn, alembic) go through the same JSON renderer.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *common],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # httpx logs every request at INFO; our access lines already say it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Our own middleware writes one access line per request, with its request id.
    logging.getLogger("uvicorn.access").disabled = True
