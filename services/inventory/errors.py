from shared import errors


class PartNotFound(errors.NotFound):
    code, title = "part_not_found", "No such part"


class ModelNotFound(errors.NotFound):
    code, title = "model_not_found", "No such model"


class WarehouseNotFound(errors.NotFound):
    code, title = "warehouse_not_found", "No such warehouse"


class ReservationNotFound(errors.NotFound):
    code, title = "reservation_not_found", "No such reservation"


class PartExists(errors.Conflict):
    code, title = "part_exists", "A part with this number already exists"


class ModelExists(errors.Conflict):
    code, title = "model_exists", "A model with this code already exists"


class WarehouseExists(errors.Conflict):
    code, title = "warehouse_exists", "A warehouse with this code already exists"


class InsufficientStock(errors.Conflict):
    code, title = "insufficient_stock", "Not enough stock available"


class ReservationNotActive(errors.Conflict):
    code, title = "reservation_not_active", "The reservation is no longer active"


class PartUnderSupplyGuarantee(errors.Conflict):
    code, title = "part_under_supply_guarantee", "The part is on the bill of a model under supply guarantee"


class WarehouseForbidden(errors.Forbidden):
    code, title = "warehouse_forbidden", "The caller may not write at this warehouse"


class InvalidConsume(errors.Unprocessable):
    code, title = "invalid_consume_lines", "The consumed lines do not fit the reservation"
