from shared import errors


class UnitNotFound(errors.NotFound):
    code, title = "unit_not_found", "No unit with this serial number"


class UnitExists(errors.Conflict):
    code, title = "unit_exists", "A unit with this serial number is already registered"


class ClaimNotFound(errors.NotFound):
    code, title = "claim_not_found", "No such claim"


class RegionNotFound(errors.NotFound):
    code, title = "region_not_found", "No season calendar for this region"


class UnknownRegion(errors.Unprocessable):
    code, title = "unknown_region", "The region has no season calendar"


class AcceptedInFuture(errors.Unprocessable):
    code, title = "accepted_in_future", "Commissioning acceptance cannot lie in the future"


class BelowLegalMinimum(errors.Unprocessable):
    code, title = "below_legal_minimum", "A term is below the legal minimum"


class InvalidPolicy(errors.Unprocessable):
    code, title = "invalid_policy", "The policy is not valid"


class EffectiveInPast(errors.Unprocessable):
    code, title = "effective_from_in_past", "A new version cannot take effect in the past"


class UnknownCause(errors.Unprocessable):
    code, title = "unknown_cause", "Unknown cause code"


class InvalidImport(errors.Unprocessable):
    code, title = "invalid_import", "The import file cannot be read"


class InvalidSeason(errors.Unprocessable):
    code, title = "invalid_season", "A season boundary is not a day of every year"
