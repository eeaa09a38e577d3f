"""What a process does once its app has started (each service's and the gateway's lifespan): the objects
made so far (modules, routes, schemas, compiled validators) collected once and then moved out of the
garbage collector's sight (`gc.freeze`). A full collection otherwise walks every one of them, a pause of
milliseconds in the middle of whatever requests are in flight: their p99 (docs/performance.md)."""

import gc


def settle() -> None:
    gc.collect()
    gc.freeze()
