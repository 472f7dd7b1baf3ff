#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Query a JSON-lines event file.

  evq.py count FILE KEY=VALUE...   print how many events match every pair
  evq.py wait FILE KEY=VALUE...    exit 0 once one matches (3 s at most)
  evq.py get FILE FIELD KEY=VALUE...  print FIELD of the last match

Values compare as strings; KEY=~REGEX matches a regex; `since=N` skips the
first N lines; KEY=- means the key is absent.  A dotted KEY (actor.app_name)
looks into nested objects, for OCSF and ECS events.
"""
import json
import re
import sys
import time


def parse(pairs):
    since, conds = 0, []
    for p in pairs:
        k, _, v = p.partition("=")
        if k == "since":
            since = int(v)
        else:
            conds.append((k, v))
    return since, conds


MISSING = object()


def lookup(ev, key):
    if key in ev:
        return ev[key]
    for part in key.split("."):
        if not isinstance(ev, dict) or part not in ev:
            return MISSING
        ev = ev[part]
    return ev


def matches(ev, conds):
    for k, v in conds:
        got = lookup(ev, k)
        if v == "-":
            if got is not MISSING:
                return False
            continue
        if got is MISSING:
            return False
        got = json.dumps(got) if isinstance(got, bool) else str(got)
        if v.startswith("~"):
            if not re.search(v[1:], got):
                return False
        elif got != v:
            return False
    return True


def events(path, since):
    try:
        with open(path) as f:
            lines = f.readlines()[since:]
    except FileNotFoundError:
        return []
    return [json.loads(l) for l in lines if l.strip()]


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "get":
        field, (since, conds) = sys.argv[3], parse(sys.argv[4:])
        hits = [e for e in events(path, since) if matches(e, conds)]
        got = lookup(hits[-1], field) if hits else ""
        print("" if got is MISSING else got)
        return 0 if hits else 1
    since, conds = parse(sys.argv[3:])
    if cmd == "count":
        print(sum(matches(e, conds) for e in events(path, since)))
        return 0
    deadline = time.time() + 3
    while True:
        evs = events(path, since)
        if any(matches(e, conds) for e in evs):
            return 0
        if time.time() > deadline:
            print("no event matches " + " ".join(f"{k}={v}" for k, v in conds))
            for e in evs[-5:]:
                print(json.dumps(e))
            return 1
        time.sleep(0.05)


sys.exit(main())
