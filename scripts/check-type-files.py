#!/usr/bin/env python3
"""List the C# files whose top-level types are not named as the file.

Rule (issue 16 point 6): one top-level type per file, named as the file (`Foo.cs` holds `Foo` or `Foo<T>`; a
partial type may be spread over `Foo.cs`, `Foo.Part.cs`). Nested types are fine. A file that keeps several small
top-level types on purpose is in ALLOWED with the reason.

Usage: scripts/check-type-files.py [ROOT]   (ROOT defaults to the repository; scans agent/, common/, ax-cli/)
Exit status 1 when a file is listed, 0 otherwise.
"""
import os
import re
import sys

FOLDERS = ("agent", "common", "ax-cli")

# path (relative to ROOT) → why its several top-level types stay together.
ALLOWED = {
    "agent/Cluster/GossipMessages.cs":
        "the gossip wire messages: one small record per MessageType, read together with the codec's switch",
    "agent/Native/FileConstants.cs": "C constants by family, one tiny class per C prefix (NOTES: Native conventions)",
    "agent/Native/SocketConstants.cs": "C constants by family, one tiny class per C prefix (NOTES: Native conventions)",
    "common/Model/KeyringRecord.cs": "the JSON bodies of one REST resource (/api/v1/keys): list, key, request, answer",
    "common/Model/ServiceInstanceRecord.cs": "the JSON bodies of the Amalgam8 registry API, one document's parts",
    "common/Model/VServiceSpec.cs": "one JSON document (a vservice) and its port entries",
    "common/Rules/Rule.cs": "the Amalgam8 rule document's parts (rule, match, source)",
    "common/Rules/RuleRoute.cs": "the Amalgam8 rule document's route parts (route, backend, uri)",
    "common/Rules/RuleEnvelopes.cs": "the envelopes of the /v1/rules endpoints, four one-field records",
}

# Paths to skip while a parallel branch rewrites them; empty on main.
PENDING = set()

DECLARATION = re.compile(
    r"^\s*(?:\[[^\]]*\]\s*)*"
    r"(?:(?:public|internal|private|protected|file|static|sealed|abstract|partial|readonly|unsafe|ref|new)\s+)*"
    r"(?P<kind>class|struct|interface|enum|record(?:\s+struct|\s+class)?|delegate\s+[\w<>\[\],.?\s]+?)\s+"
    r"(?P<name>[A-Za-z_]\w*)")


def strip_code(text):
    """The text with comments, string and char literals blanked (newlines kept), so braces can be counted."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == '"' or (c in "@$" and i + 1 < n and text[i + 1] in '"$@'):
            j = i
            while j < n and text[j] in "@$":
                j += 1
            quotes = 0
            while j < n and text[j] == '"':
                quotes += 1
                j += 1
            if quotes >= 3:  # raw string literal: ends at the same run of quotes
                end = text.find('"' * quotes, j)
                end = n if end < 0 else end + quotes
            elif quotes == 2:  # empty string
                end = j
            else:
                verbatim = "@" in text[i:j]
                end = j
                while end < n:
                    if verbatim and text.startswith('""', end):
                        end += 2
                    elif not verbatim and text[end] == "\\":
                        end += 2
                    elif text[end] == '"':
                        end += 1
                        break
                    else:
                        end += 1
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
        elif c == "'":
            m = re.match(r"'(\\.|[^\\'])[^']*'", text[i:])
            if m:
                out.append("' '")
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def top_level_types(path):
    code = strip_code(open(path, encoding="utf-8-sig").read())
    block_namespace = re.search(r"^\s*namespace\s+[\w.]+\s*$", code, re.M) is not None \
        and re.search(r"^\s*namespace\s+[\w.]+\s*;", code, re.M) is None
    top_depth = 1 if block_namespace else 0
    depth, types = 0, []
    for line in code.split("\n"):
        if depth == top_depth:
            m = DECLARATION.match(line)
            if m:
                types.append(m.group("name"))
        depth += line.count("{") - line.count("}")
    return types


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    bad = []
    for folder in FOLDERS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, folder)):
            dirnames[:] = [d for d in dirnames if d not in ("obj", "bin")]
            for name in sorted(filenames):
                if not name.endswith(".cs"):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                if rel in ALLOWED or any(rel.startswith(p) for p in PENDING):
                    continue
                expected = name[:-3].split(".")[0]
                types = top_level_types(path)
                if not types:
                    continue  # top-level statements (Program.cs), assembly attributes
                if name == "Program.cs" and all(t == "Program" for t in types):
                    continue
                if types != [expected] and set(types) != {expected}:
                    bad.append(f"{rel}: {', '.join(types)}")
    for line in sorted(bad):
        print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
