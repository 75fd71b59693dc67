#!/usr/bin/env python3
"""Write the catalog tables of README.md from Grammar/catalog.json.

    python3 bench/gen_catalog_docs.py            # rewrite the tables in README.md
    python3 bench/gen_catalog_docs.py --check    # exit 1 when README.md is out of date

The README holds regions `<!-- catalog:NAME -->` ... `<!-- /catalog:NAME -->` for NAME in
envelope, events, triggers, actions, controls; everything between the markers is generated.
"""

import argparse
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def code(text):
    return "`%s`" % text


def cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def field_row(field):
    name = field["name"] + ("?" if field.get("optional") else "")
    return "| %s | %s | %s |" % (code(name), cell(code(field["type"]) + values_suffix(field)), cell(field.get("description", "")))


def values_suffix(entry):
    if not entry.get("values"):
        return ""
    return ": " + ", ".join(code(value) for value in entry["values"])


def parameter_text(parameter):
    name = code(parameter["name"])
    kind = parameter.get("kind", "template")
    details = [code(parameter.get("type", "dyn")) if kind not in ("actions", "cases", "branches") else kind]
    if kind == "expression":
        details[0] = "bool expression" if parameter.get("type") == "bool" else "expression of type " + details[0]
    if parameter.get("acceptsSingle"):
        details.append("one name or a list")
    if parameter.get("values"):
        details.append("one of " + ", ".join(code(value) for value in parameter["values"]))
    if parameter.get("required"):
        details.append("**required**")
    elif "default" in parameter:
        details.append("default " + code(parameter["default"]))
    return "%s (%s)" % (name, "; ".join(details))


def envelope(catalog):
    lines = ["| field | type | meaning |", "|---|---|---|"]
    lines += [field_row(field) for field in catalog["envelope"]]
    return lines


def events(catalog):
    lines = []
    for event in catalog["events"]:
        listeners = [t["name"] for t in catalog["triggers"] if t.get("event") == event["type"]]
        lines.append("#### %s" % code(event["type"]))
        lines.append("")
        lines.append(event["description"] + " Triggers: " + ", ".join(code(name) for name in listeners + ["event"]) + ".")
        lines.append("")
        lines.append("| `event.data.` field | type | meaning |")
        lines.append("|---|---|---|")
        lines += [field_row(field) for field in event["fields"]]
        lines.append("")
    return lines[:-1]


def triggers(catalog):
    lines = ["| trigger | listens to | parameters | fires when |", "|---|---|---|---|"]
    for trigger in catalog["triggers"]:
        parameters = "<br>".join(cell(parameter_text(p)) for p in trigger.get("parameters", [])) or "none"
        derived = trigger.get("derived", [])
        fires = trigger["description"]
        if derived:
            fires += " Adds " + ", ".join(code("trigger." + d["name"]) + " (" + d["type"] + ")" for d in derived) + "."
        lines.append("| %s | %s | %s | %s |" % (
            code(trigger["name"]), code(trigger["event"]) if trigger.get("event") else "any type",
            parameters, cell(fires)))
    return lines


def actions(catalog):
    lines = ["| action | inputs (`with`) | output (`actions.ID.output`) | defaults |", "|---|---|---|---|"]
    for action in catalog["actions"]:
        inputs = "<br>".join(cell(parameter_text(p)) for p in action.get("inputs", []))
        output = "<br>".join(
            cell(code(f["name"] + ("?" if f.get("optional") else "") + ": " + f["type"])) for f in action.get("output", [])
        ) or "none"
        defaults = []
        if action.get("timeout"):
            defaults.append("timeout " + code(action["timeout"]))
        retry = action.get("retry")
        if retry:
            if retry["attempts"] > 1:
                defaults.append("retry " + code("{attempts: %d, backoff: %s, delay: %s, max_delay: %s}" % (
                    retry["attempts"], retry["backoff"], retry["delay"], retry["max_delay"])))
            else:
                defaults.append("1 attempt")
        for group in action.get("exclusive", []):
            defaults.append(" and ".join(code(name) for name in group) + " exclude each other")
        lines.append("| %s | %s | %s | %s |" % (
            code(action["name"]), inputs, output, cell(action["description"] + " " + "; ".join(defaults) + ".")))
    return lines


def controls(catalog):
    lines = ["| type | keys | what it does |", "|---|---|---|"]
    for control in catalog["controls"]:
        keys = "<br>".join(cell(parameter_text(k)) for k in control["keys"])
        lines.append("| %s | %s | %s |" % (code(control["name"]), keys, cell(control["description"])))
    return lines


SECTIONS = {"envelope": envelope, "events": events, "triggers": triggers, "actions": actions, "controls": controls}


def render(readme, catalog):
    for name, make in SECTIONS.items():
        pattern = re.compile(r"(<!-- catalog:%s -->\n)(.*?)(<!-- /catalog:%s -->)" % (name, name), re.S)
        if not pattern.search(readme):
            raise SystemExit("README.md has no region <!-- catalog:%s --> ... <!-- /catalog:%s -->" % (name, name))
        body = "\n".join(make(catalog)) + "\n"
        readme = pattern.sub(lambda match: match.group(1) + body + match.group(3), readme)
    return readme


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that README.md is up to date")
    parser.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    parser.add_argument("--catalog", default=os.path.join(ROOT, "Grammar", "catalog.json"))
    arguments = parser.parse_args()
    with open(arguments.catalog, encoding="utf-8") as handle:
        catalog = json.load(handle)
    with open(arguments.readme, encoding="utf-8") as handle:
        readme = handle.read()
    updated = render(readme, catalog)
    if arguments.check:
        if updated != readme:
            print("README.md's catalog tables are out of date: run python3 bench/gen_catalog_docs.py")
            return 1
        print("README.md's catalog tables match Grammar/catalog.json")
        return 0
    if updated != readme:
        with open(arguments.readme, "w", encoding="utf-8") as handle:
            handle.write(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
