#!/usr/bin/env python3
"""Validate CycloneDX 1.6 JSON documents against the official schema.

Usage: cyclonedx-validate FILE...

Uses cyclonedx-python-lib's strict JSON validator (the CycloneDX project's
own schema files, `additionalProperties: false` everywhere, formats such as
`date-time`, `idn-email` and `iri-reference` checked). Prints every error
and exits 1 if any document is invalid, 2 on bad usage.
scripts/install-test-deps.sh installs it as `cyclonedx-validate` in the
test tools' virtualenv.
"""

import sys

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    failed = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        # None when valid, else an iterable of errors.
        errors = list(validator.validate_str(text, all_errors=True) or [])
        if errors:
            failed += 1
            for error in errors:
                print(f"{path}: {error}")
        else:
            print(f"{path}: valid CycloneDX 1.6")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
