#!/usr/bin/env python3
"""Parses vCard and iCalendar files with independent parsers (vobject, icalendar) and prints
what they read, as JSON: {file: {"cards": [...]} or {"events": [...], "todos": [...]}}."""
import json, sys

import icalendar
import vobject


def text(v):
    return str(v) if v is not None else None


def cards(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for c in vobject.readComponents(f.read()):
            get = lambda name: [x.value for x in c.contents.get(name, [])]
            out.append({
                "fn": c.fn.value,
                "n": [str(x) for x in get("n")],
                "kind": (get("kind") or [None])[0],
                "email": get("email"),
                "tel": get("tel"),
                "org": [list(o) if isinstance(o, list) else o for o in get("org")],
                "title": get("title"),
                "adr": [[a.box, a.street, a.city, a.region, a.code, a.country] for a in get("adr")],
                "bday": get("bday"),
                "member": get("member"),
                "uid": (get("uid") or [None])[0],
            })
    return out


def dt(v):
    if v is None:
        return None
    d = v.dt
    return d.isoformat()


def calendar(path):
    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    events, todos, zones = [], [], []
    for comp in cal.walk():
        if comp.name == "VTIMEZONE":
            zones.append(str(comp.get("TZID")))
        if comp.name == "VEVENT":
            rrule = comp.get("RRULE")
            ex = comp.get("EXDATE")
            exdates = []
            if ex is not None:
                for e in ex if isinstance(ex, list) else [ex]:
                    exdates += [d.dt.isoformat() for d in e.dts]
            events.append({
                "uid": str(comp.get("UID")),
                "summary": text(comp.get("SUMMARY")),
                "location": text(comp.get("LOCATION")),
                "start": dt(comp.get("DTSTART")),
                "end": dt(comp.get("DTEND")),
                "rrule": rrule.to_ical().decode() if rrule else None,
                "exdates": exdates,
                "recurrence_id": dt(comp.get("RECURRENCE-ID")),
                "attendees": [str(a) for a in (comp.get("ATTENDEE") if isinstance(comp.get("ATTENDEE"), list) else [comp.get("ATTENDEE")] if comp.get("ATTENDEE") else [])],
                "organizer": text(comp.get("ORGANIZER")),
                "alarms": len([c for c in comp.subcomponents if c.name == "VALARM"]),
            })
        if comp.name == "VTODO":
            todos.append({"summary": text(comp.get("SUMMARY")), "status": text(comp.get("STATUS"))})
    return {"events": events, "todos": todos, "zones": zones}


result = {}
for p in sys.argv[1:]:
    result[p] = {"cards": cards(p)} if p.endswith(".vcf") else calendar(p)
print(json.dumps(result, ensure_ascii=False, sort_keys=True))
