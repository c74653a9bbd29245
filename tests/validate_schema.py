"""Validate a JSON document against a JSON Schema (Draft 7).

Usage: python3 tests/validate_schema.py SCHEMA INSTANCE
Exit 0 valid, 1 invalid (errors on stdout), 3 the jsonschema module is missing.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    sys.exit(3)

with open(sys.argv[1], encoding="utf-8") as f:
    schema = json.load(f)
with open(sys.argv[2], encoding="utf-8") as f:
    instance = json.load(f)
validator = jsonschema.Draft7Validator(schema)
errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
for e in errors:
    print("/" + "/".join(map(str, e.absolute_path)) + ": " + e.message)
sys.exit(1 if errors else 0)
