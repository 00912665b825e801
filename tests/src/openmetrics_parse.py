"""Parses OpenMetrics text from stdin with the official Prometheus Python
client's strict parser and prints the families as JSON for
tests/src/openmetrics.rs. A text the parser refuses is exit status 1 with
the parser's message on stderr. Values are strings (repr of the float), as
JSON has no NaN or infinities."""

import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def main() -> int:
    text = sys.stdin.read()
    try:
        families = [
            {
                "name": family.name,
                "type": family.type,
                "unit": family.unit,
                "help": family.documentation,
                "samples": [
                    {
                        "name": sample.name,
                        "labels": sample.labels,
                        "value": repr(float(sample.value)),
                    }
                    for sample in family.samples
                ],
            }
            for family in text_string_to_metric_families(text)
        ]
    except Exception as error:  # the parser raises ValueError and others
        print(f"not valid OpenMetrics: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    json.dump(families, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
