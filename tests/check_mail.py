#!/usr/bin/env python3
"""Parse every .eml and every mbox message under DIR with Python's email and mailbox
modules (an independent parser) and print counts. Exit 1 on any problem: a message without
From or Date, or any defect Python finds in the message, in any of its headers, or in any
of its parts (decoding each part's content too). A message (or an attached one) that kept
the headers it arrived with (it has Received:) keeps their defects too — they are the
sender's, reused verbatim as MS-OXCMAIL says — and those are counted apart, not failed."""
import email, email.policy, mailbox, os, sys

root = sys.argv[1]
eml = mbox = 0
problems = []
kept = []


def check(raw, where):
    m = email.message_from_bytes(raw, policy=email.policy.default)
    found = []
    original = []
    if m["From"] is None or m["Date"] is None:
        found.append(f"From={m['From']!r} Date={m['Date']!r}")
    for part in m.walk():
        found += [f"part {part.get_content_type()}: {d!r}" for d in part.defects]
        for name, value in part.items():
            defects = [f"header {name}: {d!r}" for d in getattr(value, "defects", ())]
            if part["Received"] is not None:
                original += defects
            else:
                found += defects
        if not part.is_multipart() and part.get_content_maintype() != "message":
            try:
                part.get_content()
            except Exception as e:  # a payload that does not decode
                found.append(f"part {part.get_content_type()} does not decode: {e!r}")
            found += [f"part {part.get_content_type()} payload: {d!r}" for d in part.defects]
    if found:
        problems.append(f"{where}: {'; '.join(found)}")
    if original:
        kept.append(where)


for dirpath, dirs, files in os.walk(root):
    for f in files:
        p = os.path.join(dirpath, f)
        rel = os.path.relpath(p, root)
        parts = rel.split(os.sep)
        if len(parts) > 1 and parts[1] == "eml" and f.endswith(".eml"):
            with open(p, "rb") as fh:
                check(fh.read(), rel)
            eml += 1
        elif len(parts) > 1 and parts[1] == "mbox":
            box = mailbox.mbox(p, create=False)
            for i, key in enumerate(box.keys()):
                check(box.get_bytes(key), f"{rel} #{i + 1}")
                mbox += 1
for p in problems[:20]:
    print("PROBLEM", p)
print(f"eml={eml} mbox={mbox} problems={len(problems)} kept-header-defects={len(kept)}")
sys.exit(1 if problems else 0)
