"""Examples in the service desk contract (/openapi.json, /docs); the contract test checks each against its schema."""

from services.servicedesk.domain import commitments

TICKET = {
    "id": 1,
    "number": "SR-2026-000001",
    "status": "dispatched",
    "level": 1,
    "channel": "phone",
    "serial_number": "KFR72-000001",
    "unit_known": True,
    "caller": {"name": "Li Na", "phone": "+86 531 8888 0001"},
    "site_address": "16766 Jingshi Road, Jinan",
    "description": "No cooling",
    "reported_at": "2026-11-27T01:00:00Z",
    "complete_at": "2026-11-27T01:00:00Z",
    "missing": [],
    "coverage": [
        {"component": "unit", "covered": True, "covered_through": "2027-03-01"},
        {"component": "cooling_system", "covered": True, "covered_through": "2027-03-01"},
    ],
    "coverage_pending": False,
    "commitments_version": 1,
    "technician": "Wang Lei",
    "technician_id": 7,
    "station": "ST-JINAN-07",
    "caller_told_at": "2026-11-27T01:09:00Z",
    "follow_on_of": None,
    "complaint_id": None,
    "milestones": [
        {
            "name": "dispatch",
            "minutes": 10,
            "clock": "round_the_clock",
            "due_at": "2026-11-27T01:10:00Z",
            "met_at": "2026-11-27T01:08:00Z",
            "state": "met",
            "provisional": False,
        },
        {
            "name": "on_site",
            "minutes": 120,
            "clock": "round_the_clock",
            "due_at": "2026-11-27T03:00:00Z",
            "met_at": None,
            "state": "pending",
            "provisional": False,
        },
        {
            "name": "fixed",
            "minutes": 2880,
            "clock": "round_the_clock",
            "due_at": "2026-11-29T01:00:00Z",
            "met_at": None,
            "state": "pending",
            "provisional": False,
        },
    ],
    "paused": False,
    "loaner": {"status": "not_due", "reservation_id": None, "warehouse": None, "part_number": None,
               "emergency_measures": None},
    "follow_up": None,
    "resolution": None,
    "history_delivered": None,
    "satisfaction": None,
    "timeline": [
        {
            "at": "2026-11-27T01:00:00Z",
            "event": "reported",
            "by": {"kind": "user", "name": "赵敏"},
            "data": {"channel": "phone", "serial_number": "KFR72-000001", "level": 1},
        },
        {
            "at": "2026-11-27T01:00:00Z",
            "event": "completed",
            "by": {"kind": "system", "name": "system"},
            "data": {"commitments_version": 1},
        },
        {
            "at": "2026-11-27T01:08:00Z",
            "event": "dispatched",
            "by": {"kind": "user", "name": "赵敏"},
            "entered_at": "2026-11-27T01:12:00Z",
            "data": {"technician": "Wang Lei", "technician_id": 7, "station": "ST-JINAN-07",
                     "caller_told_at": "2026-11-27T01:09:00+00:00"},
        },
    ],
}

COMPLAINT = {
    "id": 1,
    "status": "open",
    "source": "caller",
    "ticket_id": 1,
    "serial_number": "KFR72-000001",
    "caller": {"name": "Li Na", "phone": "+86 531 8888 0001"},
    "description": "Nobody came in the morning as promised",
    "made_at": "2026-11-27T02:00:00Z",
    "commitments_version": 1,
    "milestones": [
        {
            "name": "answer",
            "minutes": 240,
            "clock": "business",
            "due_at": "2026-11-27T06:00:00Z",
            "met_at": None,
            "state": "pending",
            "provisional": False,
        },
        {
            "name": "resolve",
            "minutes": 1440,
            "clock": "business",
            "due_at": "2026-12-01T09:00:00Z",
            "met_at": None,
            "state": "pending",
            "provisional": False,
        },
    ],
    "answer": None,
    "resolution": None,
}

# The service plan's default promises (domain/commitments.py) as a first version.
COMMITMENTS = {"version": 1, "effective_from": "2000-01-01T00:00:00Z", **commitments.DEFAULT.to_json()}

CALENDAR = {
    "year": 2027,
    "holidays": [
        "2027-01-01",
        "2027-02-05",
        "2027-02-06",
        "2027-02-07",
        "2027-02-08",
        "2027-04-05",
        "2027-05-01",
        "2027-05-02",
        "2027-06-09",
        "2027-09-15",
        "2027-10-01",
        "2027-10-02",
        "2027-10-03",
    ],
    "workdays": [],
    "provisional": True,
    "hours": {"open": "08:30", "close": "17:00"},
    "timezone": "Asia/Shanghai",
    "source": "holidays 0.108 (statutory holidays only)",
}

TICKET_REPORTED = {
    **TICKET, "status": "open", "technician": None, "technician_id": None, "station": None, "caller_told_at": None,
    "milestones": [{**TICKET["milestones"][0], "met_at": None, "state": "pending"}, *TICKET["milestones"][1:]],
    "timeline": TICKET["timeline"][:2],
}
TICKET_WITH_LOANER = {
    **TICKET, "status": "on_site",
    "milestones": [*TICKET["milestones"][:2], {**TICKET["milestones"][2], "state": "breached"}],
    "loaner": {"status": "provided", "reservation_id": 41, "warehouse": "SC-JINAN", "part_number": "LOANER-KFR72",
               "emergency_measures": None},
}
TICKET_FOLLOW_ON = {
    **TICKET, "id": 2, "number": "SR-2026-000002", "technician": "Liu Yang", "technician_id": 12,
    "station": "ST-JINAN-08", "caller_told_at": None, "follow_on_of": 1, "complaint_id": 1,
    "timeline": [
        {"at": "2026-11-27T01:00:00Z", "event": "reported", "by": {"kind": "user", "name": "赵敏"},
         "data": {"follow_on_of": "SR-2026-000001", "complaint_id": 1, "level": 1}},
        {"at": "2026-11-27T01:00:00Z", "event": "dispatched", "by": {"kind": "user", "name": "赵敏"},
         "data": {"technician": "Liu Yang", "technician_id": 12, "station": "ST-JINAN-08"}},
    ],
}
SITE = {
    "code": "ST-JINAN-07", "name": "济南第七维修站", "kind": "repair_station", "parent": "SC-JINAN",
    "region": "shandong", "address": "济南市历下区解放路 105 号", "phone": "0531-8888 0007",
    "webhook": {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=demo"},
    "status": "open",
}
TECHNICIAN = {"id": 7, "name": "王磊", "phone": "13800000007", "station": "ST-JINAN-07",
              "skills": ["cooling", "electrical"], "active": True}
RESUME = {"at": "2026-11-27T03:15:00Z"}
COMPLAINT_ANSWERED = {
    **COMPLAINT, "status": "answered",
    "milestones": [{**COMPLAINT["milestones"][0], "met_at": "2026-11-27T03:00:00Z", "state": "met"},
                   COMPLAINT["milestones"][1]],
    "answer": {"by": "Zhao Min", "notes": "Called back; visit booked for 14:00", "at": "2026-11-27T03:00:00+00:00"},
}
COMPLAINT_RESOLVED = {
    **COMPLAINT_ANSWERED, "status": "resolved",
    "milestones": [COMPLAINT_ANSWERED["milestones"][0],
                   {**COMPLAINT["milestones"][1], "met_at": "2026-11-28T02:00:00Z", "state": "met"}],
    "resolution": {"by": "Zhao Min", "notes": "Unit repaired; the customer is satisfied",
                   "at": "2026-11-28T02:00:00+00:00"},
}
CALENDAR_SET = {
    **CALENDAR, "holidays": ["2027-01-01", "2027-02-05", "2027-02-06"], "workdays": ["2027-02-20"],
    "provisional": False, "source": "admin",
}
