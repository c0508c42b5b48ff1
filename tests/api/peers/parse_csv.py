"""Parses CSV from stdin with Python's csv module (strict) and prints the rows as JSON."""
import csv
import io
import json
import sys

text = sys.stdin.buffer.read().decode("utf-8")
rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
json.dump(rows, sys.stdout)
