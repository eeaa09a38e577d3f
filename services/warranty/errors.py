from shared import errors

UnitNotFound = errors.kind("UnitNotFound", errors.NotFound, "unit_not_found", "No unit with this serial number")
UnitExists = errors.kind("UnitExists", errors.Conflict, "unit_exists",
                         "A unit with this serial number is already registered")
ClaimNotFound = errors.kind("ClaimNotFound", errors.NotFound, "claim_not_found", "No such claim")
RegionNotFound = errors.kind("RegionNotFound", errors.NotFound, "region_not_found",
                             "No season calendar for this region")
UnknownRegion = errors.kind("UnknownRegion", errors.Unprocessable, "unknown_region",
                            "The region has no season calendar")
AcceptedInFuture = errors.kind("AcceptedInFuture", errors.Unprocessable, "accepted_in_future",
                               "Commissioning acceptance cannot lie in the future")
BelowLegalMinimum = errors.kind("BelowLegalMinimum", errors.Unprocessable, "below_legal_minimum",
                                "A term is below the legal minimum")
InvalidPolicy = errors.kind("InvalidPolicy", errors.Unprocessable, "invalid_policy", "The policy is not valid")
EffectiveInPast = errors.kind("EffectiveInPast", errors.Unprocessable, "effective_from_in_past",
                              "A new version cannot take effect in the past")
UnknownCause = errors.kind("UnknownCause", errors.Unprocessable, "unknown_cause", "Unknown cause code")
InvalidImport = errors.kind("InvalidImport", errors.Unprocessable, "invalid_import", "The import file cannot be read")
InvalidSeason = errors.kind("InvalidSeason", errors.Unprocessable, "invalid_season",
                            "A season boundary is not a day of every year")
