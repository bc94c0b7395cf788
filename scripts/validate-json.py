#!/usr/bin/env python3
"""Validates JSON documents against a JSON Schema in docs/schemas (RFC 3339 times checked too).

usage: validate-json.py SCHEMA FILE...   Exit 0 when every FILE conforms; otherwise each error, with where."""
import json
import sys

import jsonschema

checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
if "date-time" not in checker.checkers:
    sys.exit("jsonschema cannot check date-time here: install rfc3339-validator (scripts/setup.sh does)")
with open(sys.argv[1]) as file:
    validator = jsonschema.Draft202012Validator(json.load(file), format_checker=checker)
failed = False
for path in sys.argv[2:]:
    with open(path) as file:
        document = json.load(file)
    for error in validator.iter_errors(document):
        failed = True
        where = "/".join(str(part) for part in error.absolute_path) or "(the document)"
        print(f"{path}: {where}: {error.message}")
sys.exit(1 if failed else 0)
