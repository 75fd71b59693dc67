#!/usr/bin/env python3
"""Generate a deterministic stream of CloudEvents from a customer-data platform, as NDJSON.

    python3 bench/gen_events.py > flows/samples/events.ndjson          # the committed sample
    python3 bench/gen_events.py --count 1000000 --seed 1 > big.ndjson  # a benchmark input
    python3 bench/gen_events.py --stats > /dev/null                    # what the example flows see
    python3 bench/gen_events.py --verify flows/samples/events.ndjson   # check a stream against the catalog

The same seed and count always give the same bytes. Events follow the catalog
(Grammar/catalog.json): data-source refreshes, unification runs, segment and measure
refreshes, full refreshes, CRM consent events for the generic trigger, and a few types that no
example flow listens to. Segment member counts and measure values walk around the thresholds
the example flows watch, so they cross them in both directions, more than once.
"""

import argparse
import json
import os
import random
import re
import sys
import uuid
from datetime import datetime, timedelta, timezone

SOURCE = "/cdp/tenants/contoso"
SAMPLE_COUNT = 400
SAMPLE_SEED = 7
# A Friday evening: the stream runs into the weekend, so the working-day condition of
# vip-segment-growth both lets crossings through and holds some back.
START = datetime(2026, 3, 6, 16, 0, 0, tzinfo=timezone.utc)

DATASOURCES = ["Sales EU", "Sales US", "CRM Contacts", "Web Analytics", "Sandbox Orders", "Loyalty Points"]
SCOPE_KINDS = ["datasources", "unification", "segments", "measures", "enrichments", "predictions"]
STAGES = ["map", "match", "merge"]
UNWATCHED_TYPES = ["enrichment.refresh", "prediction.refresh", "billing.invoice.created"]

# Relative weights of the kinds of events in the stream.
WEIGHTS = [
    ("datasource", 30),
    ("segment", 24),
    ("measure", 16),
    ("system", 10),
    ("unification", 7),
    ("consent", 9),
    ("unwatched", 7),
]


def timestamp(moment):
    """RFC 3339 in UTC, with milliseconds only when there are some."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += ".%03d" % (moment.microsecond // 1000)
    return text + "Z"


class Walk:
    """A value that wanders around a centre and is pulled back to it, so it keeps crossing."""

    def __init__(self, rng, start, centre, step, low, high, integer):
        self.rng, self.value, self.centre, self.step = rng, start, centre, step
        self.low, self.high, self.integer = low, high, integer

    def next(self):
        pull = (self.centre - self.value) * 0.15
        self.value = min(self.high, max(self.low, self.value + pull + self.rng.gauss(0, self.step)))
        if self.rng.random() < 0.05:
            self.value = self.centre  # exactly on the threshold: at or below, not above
        return int(round(self.value)) if self.integer else round(self.value, 2)


class Generator:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.clock = START
        self.kinds = [kind for kind, _ in WEIGHTS]
        self.weights = [weight for _, weight in WEIGHTS]
        rng = self.rng
        self.segments = {
            "VIP Customers": Walk(rng, 9400, 10000, 350, 8000, 12500, True),
            "Churn Risk": Walk(rng, 2500, 2500, 200, 0, 6000, True),
            "Newsletter Subscribers": Walk(rng, 480000, 480000, 4000, 400000, 560000, True),
        }
        self.measures = {
            "Forecast Revenue": Walk(rng, 940000.0, 1000000.0, 30000.0, 700000.0, 1300000.0, False),
            "Average Order Value": Walk(rng, 84.5, 84.5, 3.0, 40.0, 140.0, False),
        }
        self.pending_system = None
        self.pending_unification = None

    # -- envelope ---------------------------------------------------------------------------

    def tick(self):
        self.clock += timedelta(seconds=self.rng.randint(20, 600), milliseconds=self.rng.choice([0, 0, 0, 125, 500]))

    def envelope(self, event_type, data, subject=None):
        event = {
            "specversion": "1.0",
            "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "source": SOURCE,
            "type": event_type,
            "time": timestamp(self.clock),
        }
        if subject is not None:
            event["subject"] = subject
        event["data"] = data
        return event

    def earlier(self, minutes_low, minutes_high):
        return timestamp(self.clock - timedelta(minutes=self.rng.randint(minutes_low, minutes_high)))

    # -- event kinds ------------------------------------------------------------------------

    def datasource(self):
        rng = self.rng
        name = rng.choice(DATASOURCES)
        status = rng.choices(["succeeded", "failed", "cancelled", "skipped"], [75, 15, 5, 5])[0]
        data = {"datasource": name, "status": status}
        if rng.random() < 0.9:
            data["startedAt"] = self.earlier(6, 40)
            data["completedAt"] = self.earlier(0, 5)
        if status == "succeeded" and rng.random() < 0.9:
            data["rowCount"] = 0 if rng.random() < 0.1 else rng.randint(1, 2_000_000)
        if status == "failed" and rng.random() < 0.8:
            data["error"] = rng.choice([
                {"code": "auth.expired", "message": "the connector's credentials expired"},
                {"code": "source.timeout", "message": "the source did not answer within 300 seconds"},
                {"code": "schema.changed", "message": "column `customer_id` is missing"},
            ])
        return self.envelope("datasource.refresh", data, subject=name)

    def segment(self):
        rng = self.rng
        name = rng.choices(list(self.segments), [6, 2, 1])[0]
        status = rng.choices(["succeeded", "failed", "skipped"], [88, 8, 4])[0]
        # A refresh that did not succeed still carries a count; the trigger must ignore it.
        count = self.segments[name].next() if status == "succeeded" else rng.randint(0, 100)
        data = {"segment": name, "status": status, "memberCount": count, "completedAt": self.earlier(0, 3)}
        return self.envelope("segment.refresh", data, subject=name)

    def measure(self):
        rng = self.rng
        name = rng.choices(list(self.measures), [3, 1])[0]
        status = rng.choices(["succeeded", "failed"], [90, 10])[0]
        value = self.measures[name].next() if status == "succeeded" else 0.0
        if rng.random() < 0.2:
            value = int(value)  # a double may arrive as a JSON number without a fraction
        data = {"measure": name, "status": status, "value": value}
        if rng.random() < 0.7:
            data["completedAt"] = self.earlier(0, 3)
        return self.envelope("measure.refresh", data, subject=name)

    def system(self):
        rng = self.rng
        if self.pending_system is not None:
            scope, submission = self.pending_system
            self.pending_system = None
            status = rng.choices(["succeeded", "failed", "cancelled"], [70, 20, 10])[0]
            results = []
            for kind in scope:
                names = {
                    "datasources": DATASOURCES[:3],
                    "segments": list(self.segments),
                    "measures": list(self.measures),
                }.get(kind, [kind])
                for name in names:
                    outcome = "succeeded"
                    if status == "failed" and rng.random() < 0.4:
                        outcome = "failed"
                    elif status == "cancelled" and rng.random() < 0.5:
                        outcome = "cancelled"
                    results.append({"kind": kind, "name": name, "status": outcome})
            if status == "failed" and not any(result["status"] == "failed" for result in results):
                results[-1]["status"] = "failed"
            data = {"status": status, "scope": scope}
            if submission is not None:
                data["submission"] = submission
            data["startedAt"] = self.earlier(30, 90)
            data["completedAt"] = self.earlier(0, 2)
            data["results"] = results
            return self.envelope("system.refresh", data)
        scope = rng.choices([
            SCOPE_KINDS,
            ["datasources", "unification", "segments", "measures"],
            ["segments", "measures"],
            ["datasources", "unification"],
            ["segments"],
        ], [3, 3, 2, 1, 1])[0]
        submission = rng.choices(["scheduled", "manual", None], [6, 3, 1])[0]
        self.pending_system = (scope, submission)
        data = {"status": "running", "scope": scope}
        if submission is not None:
            data["submission"] = submission
        data["startedAt"] = self.earlier(0, 1)
        data["results"] = []
        return self.envelope("system.refresh", data)

    def unification(self):
        rng = self.rng
        if not self.pending_unification:
            self.pending_unification = True
            stages = [{"name": "map", "status": "running"}, {"name": "match", "status": "running"},
                      {"name": "merge", "status": "running"}]
            return self.envelope("unification.refresh", {"status": "running", "stages": stages})
        self.pending_unification = False
        status = rng.choices(["succeeded", "failed", "cancelled"], [70, 20, 10])[0]
        broken = rng.randrange(3)
        stages = []
        for index, name in enumerate(STAGES):
            if status == "succeeded" or index < broken:
                stage = {"name": name, "status": "succeeded", "completedAt": self.earlier(1, 30)}
            elif index == broken:
                stage = {"name": name, "status": "failed" if status == "failed" else "cancelled"}
            else:
                stage = {"name": name, "status": "skipped"}
            stages.append(stage)
        data = {"status": status, "stages": stages}
        if status == "succeeded":
            data["unifiedProfiles"] = rng.randint(1_200_000, 1_300_000)
        data["completedAt"] = self.earlier(0, 1)
        return self.envelope("unification.refresh", data)

    def consent(self):
        rng = self.rng
        event_type = rng.choice(["crm.consent.granted", "crm.consent.revoked"])
        data = {"channel": rng.choices(["email", "sms", "phone"], [6, 3, 1])[0], "origin": "preference-center"}
        if rng.random() < 0.1:
            del data["channel"]  # some producers leave it out; the filter guards with has()
        subject = "customer/%06d" % rng.randint(1, 999999) if rng.random() < 0.85 else None
        return self.envelope(event_type, data, subject=subject)

    def unwatched(self):
        rng = self.rng
        event_type = rng.choice(UNWATCHED_TYPES)
        if event_type == "billing.invoice.created":
            data = {"invoice": "INV-%05d" % rng.randint(1, 99999), "amount": round(rng.uniform(10, 5000), 2)}
        else:
            data = {"name": rng.choice(["Next Best Offer", "Lifetime Value", "Sentiment"]), "status": "succeeded"}
        return self.envelope(event_type, data)

    # -- the stream -------------------------------------------------------------------------

    def events(self, count):
        # Every segment and measure is observed once up front, so the first observations
        # (which record a side and never fire) come early in the sample.
        first = [lambda name=name: self.segment_named(name) for name in self.segments]
        first += [lambda name=name: self.measure_named(name) for name in self.measures]
        for make in first[:count]:
            self.tick()
            yield make()
        for _ in range(count - len(first[:count])):
            self.tick()
            kind = self.rng.choices(self.kinds, self.weights)[0]
            yield getattr(self, kind)()

    def segment_named(self, name):
        count = self.segments[name].next()
        data = {"segment": name, "status": "succeeded", "memberCount": count, "completedAt": self.earlier(0, 3)}
        return self.envelope("segment.refresh", data, subject=name)

    def measure_named(self, name):
        data = {"measure": name, "status": "succeeded", "value": self.measures[name].next(), "completedAt": self.earlier(0, 3)}
        return self.envelope("measure.refresh", data, subject=name)


# -- what the example flows see (for --stats) --------------------------------------------------

def crossings(events, event_type, key_field, key, value_field, threshold):
    """Counts crossings the way the threshold triggers do (first value only records a side)."""
    side, up, down = None, 0, 0
    for event in events:
        data = event["data"]
        if event["type"] != event_type or data.get(key_field) != key or data.get("status") != "succeeded":
            continue
        above = data[value_field] > threshold
        if side is not None and above != side:
            up, down = (up + 1, down) if above else (up, down + 1)
        side = above
    return up, down


def stats(events):
    by_type = {}
    for event in events:
        by_type[event["type"]] = by_type.get(event["type"], 0) + 1
    lines = ["events by type:"] + ["  %-26s %d" % item for item in sorted(by_type.items())]

    def data_of(event_type):
        return [event["data"] for event in events if event["type"] == event_type]

    failed = [d for d in data_of("datasource.refresh")
              if d["status"] == "failed" and (d["datasource"].startswith("Sales") or d["datasource"] == "CRM Contacts")]
    succeeded = [d for d in data_of("datasource.refresh") if d["status"] == "succeeded"]
    empty = [d for d in succeeded if d.get("rowCount") == 0 and not d["datasource"].startswith("Sandbox")]
    vip = crossings(events, "segment.refresh", "segment", "VIP Customers", "memberCount", 10000)
    revenue = crossings(events, "measure.refresh", "measure", "Forecast Revenue", "value", 1000000)
    final = [d for d in data_of("system.refresh") if d["status"] != "running"]
    nightly = [d for d in final if {"segments", "measures"} <= set(d["scope"]) and d.get("submission") == "scheduled"]
    unified = [d for d in data_of("unification.refresh") if d["status"] != "running"]
    consent = [e for e in events if e["type"].startswith("crm.consent.") and e["data"].get("channel") == "email"]
    lines += [
        "what the example flows see:",
        "  datasource-failure-alert     %d failures of Sales*/CRM Contacts" % len(failed),
        "  datasource-row-count-check   %d successes, %d of them empty" % (len(succeeded), len(empty)),
        "  vip-segment-growth           %d crossings up, %d down (fires on up)" % vip,
        "  revenue-forecast-watch       %d crossings up, %d down (fires on both)" % revenue,
        "  nightly-refresh-report       %d of %d final full refreshes (%s)" % (
            len(nightly), len(final), ", ".join(sorted({d["status"] for d in nightly}))),
        "  unification-monitor          %d final runs (%s)" % (len(unified), ", ".join(sorted({d["status"] for d in unified}))),
        "  crm-consent-audit            %d e-mail consent events" % len(consent),
    ]
    return "\n".join(lines)


# -- checking a stream against the catalog (for --verify) ------------------------------------

CATALOG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Grammar", "catalog.json")
RFC3339 = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_type(text):
    """A catalog type expression as nested tuples: ("list", T), ("map", K, V), ("record", [(name, T, optional)])."""
    tokens = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|[(){},:?]", text)
    position = [0]

    def take(expected=None):
        token = tokens[position[0]]
        if expected is not None and token != expected:
            raise ValueError("expected %s in %s" % (expected, text))
        position[0] += 1
        return token

    def parse():
        token = take()
        if token == "{":
            fields = []
            while tokens[position[0]] != "}":
                name = take()
                optional = tokens[position[0]] == "?"
                if optional:
                    take("?")
                take(":")
                fields.append((name, parse(), optional))
                if tokens[position[0]] == ",":
                    take(",")
            take("}")
            return ("record", fields)
        if token == "list":
            take("(")
            element = parse()
            take(")")
            return ("list", element)
        if token == "map":
            take("(")
            key = parse()
            take(",")
            value = parse()
            take(")")
            return ("map", key, value)
        return (token,)

    return parse()


def type_errors(value, kind, where):
    name = kind[0]
    if name in ("dyn", "any"):
        return []
    if name == "string":
        return [] if isinstance(value, str) else ["%s: expected string" % where]
    if name == "bool":
        return [] if isinstance(value, bool) else ["%s: expected bool" % where]
    if name in ("int", "uint"):
        ok = isinstance(value, int) and not isinstance(value, bool) and (name == "int" or value >= 0)
        return [] if ok else ["%s: expected %s" % (where, name)]
    if name == "double":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return [] if ok else ["%s: expected double" % where]
    if name == "timestamp":
        return [] if isinstance(value, str) and RFC3339.match(value) else ["%s: expected an RFC 3339 timestamp" % where]
    if name == "list":
        if not isinstance(value, list):
            return ["%s: expected list" % where]
        return [error for index, item in enumerate(value) for error in type_errors(item, kind[1], "%s[%d]" % (where, index))]
    if name == "map":
        if not isinstance(value, dict):
            return ["%s: expected map" % where]
        return [error for key, item in value.items() for error in type_errors(item, kind[2], "%s.%s" % (where, key))]
    if name == "record":
        if not isinstance(value, dict):
            return ["%s: expected object" % where]
        errors = []
        for field, field_type, optional in kind[1]:
            if field in value:
                errors += type_errors(value[field], field_type, "%s.%s" % (where, field))
            elif not optional:
                errors.append("%s.%s: missing" % (where, field))
        return errors
    return ["%s: unknown catalog type %s" % (where, name)]


def verify(path):
    """Checks every line: a CloudEvent 1.0 whose data has its catalog type; ids unique, time increasing."""
    with open(CATALOG, encoding="utf-8") as handle:
        catalog = json.load(handle)
    data_types = {
        event["type"]: ("record", [(f["name"], parse_type(f["type"]), f.get("optional", False)) for f in event["fields"]])
        for event in catalog["events"]
    }
    seen, previous, errors, count = set(), None, [], 0
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            count += 1
            try:
                event = json.loads(line)
            except ValueError as error:
                errors.append("%s:%d: not JSON: %s" % (path, number, error))
                continue
            if not isinstance(event, dict):
                errors.append("%s:%d: not a JSON object" % (path, number))
                continue
            problems = []
            for key in ("specversion", "id", "source", "type"):
                if not isinstance(event.get(key), str):
                    problems.append("%s: missing" % key)
            if event.get("specversion") != "1.0":
                problems.append("specversion: not 1.0")
            if (event.get("source"), event.get("id")) in seen:
                problems.append("id: repeats an earlier event")
            seen.add((event.get("source"), event.get("id")))
            time = event.get("time", "")
            if not isinstance(time, str) or not RFC3339.match(time):
                problems.append("time: not an RFC 3339 timestamp")
            else:
                moment = datetime.fromisoformat(time.replace("Z", "+00:00"))
                if previous is not None and moment < previous:
                    problems.append("time: earlier than the line before")
                previous = moment
            if event.get("type") in data_types:
                problems += type_errors(event.get("data"), data_types[event["type"]], "data")
            errors += ["%s:%d: %s" % (path, number, problem) for problem in problems]
    for error in errors:
        print(error, file=sys.stderr)
    print("%s: %d events, %d problems" % (path, count, len(errors)), file=sys.stderr)
    return 1 if errors else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=SAMPLE_COUNT, help="how many events (default %(default)s)")
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED, help="the random seed (default %(default)s)")
    parser.add_argument("--stats", action="store_true", help="print what the example flows see to stderr")
    parser.add_argument("--verify", metavar="FILE", help="check FILE against the catalog instead of generating")
    arguments = parser.parse_args()
    if arguments.verify:
        sys.exit(verify(arguments.verify))
    if arguments.count < 0:
        parser.error("--count must not be negative")

    generator = Generator(arguments.seed)
    kept = [] if arguments.stats else None
    write = sys.stdout.write
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for event in generator.events(arguments.count):
        write(dumps(event) + "\n")
        if kept is not None:
            kept.append(event)
    sys.stdout.flush()
    if kept is not None:
        print(stats(kept), file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # `| head` closed the pipe: not an error
        sys.stderr.close()
