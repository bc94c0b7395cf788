#!/usr/bin/env python3
"""Validates JSON documents against a JSON Schema in docs/schemas (RFC 3339 times checked too).

usage: validate-json.py [--lines] SCHEMA FILE...   Exit 0 when every FILE conforms; otherwise each error, with
where. With --lines, each line of a FILE is one document (`soma logs --json`)."""
import json
import sys

import jsonschema

checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
if "date-time" not in checker.checkers:
    sys.exit("jsonschema cannot check date-time here: install rfc3339-validator (scripts/setup.sh does)")
arguments = sys.argv[1:]
lines = arguments[:1] == ["--lines"]
if lines:
    arguments = arguments[1:]
with open(arguments[0]) as file:
    validator = jsonschema.Draft202012Validator(json.load(file), format_checker=checker)
failed = False
for path in arguments[1:]:
    with open(path) as file:
        documents = [json.loads(line) for line in file if line.strip()] if lines else [json.load(file)]
    for number, document in enumerate(documents, 1):
        for error in validator.iter_errors(document):
            failed = True
            where = "/".join(str(part) for part in error.absolute_path) or "(the document)"
            print(f"{path}{f' line {number}' if lines else ''}: {where}: {error.message}")
sys.exit(1 if failed else 0)
