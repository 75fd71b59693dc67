#!/usr/bin/env python3
"""Validate flow files against Grammar/flow.schema.json.

usage: validate_flows.py SCHEMA [--expect-valid PATH...] [--expect-invalid PATH...]

Every YAML document of a file under --expect-valid must validate; every file under
--expect-invalid must hold at least one document the schema rejects, and when the file has a
comment line `# rejects: TEXT`, one of the errors (printed as `document N: PATH: MESSAGE`)
must contain TEXT, so a fixture is rejected for the reason it was written for. Prints one line per
file and a summary; exits 0 when every expectation held, 1 when one did not, 2 on usage
errors or missing modules (jsonschema, PyYAML).
"""

import json
import re
import sys

try:
    import yaml
    from jsonschema import Draft202012Validator
except ImportError as error:  # pragma: no cover - depends on the machine
    print(f"validate_flows.py: missing Python module: {error.name} (pip install jsonschema pyyaml)")
    sys.exit(2)


class FlowLoader(yaml.SafeLoader):
    """PyYAML's safe loader, read the way flowc and editors read flow files.

    YAML 1.1 turns `on`, `off`, `yes` and `no` into booleans, which would make the `on:` key
    of a `switch` the key `True`. flowc and yaml-language-server treat only `true` and
    `false` as booleans, so this loader does too. JSON has only string keys, so keys like
    the `404:` of a switch case become strings.
    """


FlowLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
FlowLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def construct_string_keyed_mapping(loader, node):
    loader.flatten_mapping(node)
    mapping = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, bool):
            key = "true" if key else "false"
        mapping[str(key)] = loader.construct_object(value_node, deep=True)
    return mapping


FlowLoader.add_constructor("tag:yaml.org,2002:map", construct_string_keyed_mapping)


def load_documents(path):
    with open(path, encoding="utf-8") as handle:
        return [document for document in yaml.load_all(handle, Loader=FlowLoader) if document is not None]


def expected_rejection(path):
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("# rejects:"):
                return line[len("# rejects:"):].strip()
    return None


def describe(error):
    where = "/".join(str(part) for part in error.absolute_path) or "(document)"
    return f"{where}: {error.message}"


def main(arguments):
    if not arguments:
        print(__doc__.strip())
        return 2
    with open(arguments[0], encoding="utf-8") as handle:
        schema = json.load(handle)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)

    expectation = None
    unmet = 0
    checked = 0
    for argument in arguments[1:]:
        if argument in ("--expect-valid", "--expect-invalid"):
            expectation = argument
            continue
        if expectation is None:
            print(f"validate_flows.py: {argument}: say --expect-valid or --expect-invalid first")
            return 2
        try:
            documents = load_documents(argument)
        except (OSError, yaml.YAMLError) as error:
            print(f"FAIL {argument}: cannot read: {error}")
            unmet += 1
            continue
        checked += 1
        errors = [
            f"document {index + 1}: {describe(error)}"
            for index, document in enumerate(documents)
            for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        ]
        if expectation == "--expect-valid":
            if not documents:
                print(f"FAIL {argument}: no YAML document")
                unmet += 1
            elif errors:
                print(f"FAIL {argument}: should be valid, but:")
                for line in errors:
                    print(f"    {line}")
                unmet += 1
            else:
                print(f"ok   {argument}: valid ({len(documents)} document(s))")
        else:
            reason = expected_rejection(argument)
            matching = [line for line in errors if reason is None or reason in line]
            if matching:
                print(f"ok   {argument}: rejected: {matching[0]}")
            elif errors:
                print(f"FAIL {argument}: rejected, but no error contains `{reason}`:")
                for line in errors:
                    print(f"    {line}")
                unmet += 1
            else:
                print(f"FAIL {argument}: should be rejected, but the schema accepts it")
                unmet += 1
    print(f"{checked} file(s) checked, {unmet} expectation(s) not met")
    return 1 if unmet else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
