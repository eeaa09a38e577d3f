"""shared.openapi on a service that says nothing about its contract (as a new service starts):
it still answers problems in its schema, with names and examples made from its code."""

from typing import Annotated

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict

from shared import openapi, settings
from shared.app import create_service_app

router = APIRouter()


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"caller": "Li Na"}]})
    caller: str


class TicketRead(BaseModel):
    id: int
    caller: str


@router.post("/tickets/{ticket_id}/dispatch", status_code=201, response_model=TicketRead)
async def dispatch_ticket(ticket_id: int, ticket_in: TicketCreate,
                          key: Annotated[str | None, Header(alias="Idempotency-Key")] = None):
    return TicketRead(id=ticket_id, caller=ticket_in.caller)


@openapi.operation("listTickets", "Tickets, most urgent first", errors={409: "board_closed"},
                   answer=[{"id": 1, "caller": "Li Na"}])
@router.get("/tickets", response_model=list[TicketRead])
async def list_tickets():
    return []


def spec() -> dict:
    app = create_service_app(settings.load("warranty", database_url="sqlite://"), title="t", routers=[router])
    return app.openapi()


def test_an_undecorated_route_gets_a_camel_case_id_a_sentence_and_the_errors_its_shape_implies():
    op = spec()["paths"]["/tickets/{ticket_id}/dispatch"]["post"]
    assert (op["operationId"], op["summary"]) == ("dispatchTicket", "Dispatch ticket")
    assert set(op["responses"]) == {"201", "401", "403", "404", "409", "413", "422", "503", "504"}
    assert op["responses"]["409"]["x-problem-codes"] == ["idempotency_in_progress"]
    assert op["responses"]["422"]["x-problem-codes"] == ["validation_error", "idempotency_key_reused"]
    assert op["requestBody"]["content"]["application/json"]["example"] == {"caller": "Li Na"}


def test_a_decorated_route_keeps_its_own_names_codes_and_example():
    op = spec()["paths"]["/tickets"]["get"]
    assert (op["operationId"], op["summary"]) == ("listTickets", "Tickets, most urgent first")
    assert set(op["responses"]) == {"200", "401", "403", "409", "503", "504"}  # no input: no 422
    assert op["responses"]["409"]["x-problem-codes"] == ["board_closed"]
    assert op["responses"]["200"]["content"]["application/json"]["example"] == [{"id": 1, "caller": "Li Na"}]


def test_the_schema_has_one_problem_and_no_fastapi_validation_error():
    document = spec()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["Problem"] == openapi.SHARED_SCHEMAS["Problem"]
    for item in document["paths"].values():
        for op in item.values():
            for status, response in op["responses"].items():
                if status >= "400":
                    assert response["content"] == {"application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"}}}


def test_camel_case_of_names():
    assert openapi.camel_case("get_unit_history") == "getUnitHistory"
    assert openapi.camel_case("billing_getRates") == "billingGetRates"
