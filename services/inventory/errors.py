from shared import errors

PartNotFound = errors.kind("PartNotFound", errors.NotFound, "part_not_found", "No such part")
ModelNotFound = errors.kind("ModelNotFound", errors.NotFound, "model_not_found", "No such model")
WarehouseNotFound = errors.kind("WarehouseNotFound", errors.NotFound, "warehouse_not_found", "No such warehouse")
ReservationNotFound = errors.kind("ReservationNotFound", errors.NotFound, "reservation_not_found",
                                  "No such reservation")
PartExists = errors.kind("PartExists", errors.Conflict, "part_exists", "A part with this number already exists")
ModelExists = errors.kind("ModelExists", errors.Conflict, "model_exists", "A model with this code already exists")
WarehouseExists = errors.kind("WarehouseExists", errors.Conflict, "warehouse_exists",
                              "A warehouse with this code already exists")
InsufficientStock = errors.kind("InsufficientStock", errors.Conflict, "insufficient_stock",
                                "Not enough stock available")
ReservationNotActive = errors.kind("ReservationNotActive", errors.Conflict, "reservation_not_active",
                                   "The reservation is no longer active")
PartUnderSupplyGuarantee = errors.kind("PartUnderSupplyGuarantee", errors.Conflict, "part_under_supply_guarantee",
                                       "The part is on the bill of a model under supply guarantee")
WarehouseForbidden = errors.kind("WarehouseForbidden", errors.Forbidden, "warehouse_forbidden",
                                 "The caller may not write at this warehouse")
InvalidConsume = errors.kind("InvalidConsume", errors.Unprocessable, "invalid_consume_lines",
                             "The consumed lines do not fit the reservation")
