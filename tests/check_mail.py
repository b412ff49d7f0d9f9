#!/usr/bin/env python3
"""Parse every .eml and every mbox message under DIR with Python's email and mailbox
modules (an independent parser) and print counts. Exit 1 on any problem."""
import email, email.policy, mailbox, os, sys

root = sys.argv[1]
eml = mbox = 0
problems = []
for dirpath, dirs, files in os.walk(root):
    for f in files:
        p = os.path.join(dirpath, f)
        rel = os.path.relpath(p, root)
        parts = rel.split(os.sep)
        if len(parts) > 1 and parts[1] == "eml" and f.endswith(".eml"):
            with open(p, "rb") as fh:
                m = email.message_from_binary_file(fh, policy=email.policy.default)
            if m["From"] is None or m["Date"] is None or m.defects:
                problems.append(f"{rel}: From={m['From']!r} Date={m['Date']!r} defects={m.defects}")
            eml += 1
        elif len(parts) > 1 and parts[1] == "mbox":
            for m in mailbox.mbox(p):
                if m["From"] is None or m["Date"] is None:
                    problems.append(f"{rel}: mbox message without From/Date")
                mbox += 1
for p in problems[:20]:
    print("PROBLEM", p)
print(f"eml={eml} mbox={mbox} problems={len(problems)}")
sys.exit(1 if problems else 0)
