#!/usr/bin/env python3
"""Counts the lines, words and characters of a text, and its most frequent words."""
import argparse
import collections
import json

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--text", required=True)
parser.add_argument("--top", type=int, default=3)
args = parser.parse_args()

words = args.text.split()
common = collections.Counter(w.lower().strip(".,;:!?\"'()") for w in words).most_common(max(args.top, 0))
print(json.dumps({
    "lines": len(args.text.splitlines()),
    "words": len(words),
    "characters": len(args.text),
    "top_words": [{"word": w, "count": c} for w, c in common],
}))
