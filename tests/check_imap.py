#!/usr/bin/env python3
"""Independent check of an IMAP account with Python's imaplib (not our client).

Usage: check_imap.py HOST PORT USER CAFILE   (password on stdin)
Prints JSON: {mailbox (UTF-8): [[message_id, [flags without \\Recent], internaldate_unix], ...]}
"""
import base64, datetime, imaplib, json, re, ssl, sys


def mutf7_decode(name):
    out, i = [], 0
    while i < len(name):
        c = name[i]
        if c == "&":
            j = name.index("-", i)
            run = name[i + 1 : j]
            if run == "":
                out.append("&")
            else:
                b64 = run.replace(",", "/")
                b64 += "=" * (-len(b64) % 4)
                out.append(base64.b64decode(b64).decode("utf-16-be"))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def main():
    host, port, user, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    password = sys.stdin.readline().rstrip("\n")
    ctx = ssl.create_default_context(cafile=cafile)
    m = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
    m.login(user, password)
    typ, lines = m.list('""', "*")
    assert typ == "OK", lines
    result = {}
    for line in lines:
        mt = re.match(rb'\((.*?)\) (?:"(.*?)"|NIL) (.*)$', line)
        attrs, wire = mt.group(1), mt.group(3).decode()
        if wire.startswith('"'):
            wire = wire[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if b"\\Noselect" in attrs or b"\\NonExistent" in attrs:
            continue
        typ, count = m.select('"' + wire.replace("\\", "\\\\").replace('"', '\\"') + '"', readonly=True)
        assert typ == "OK", wire
        msgs = []
        if int(count[0]) > 0:
            typ, data = m.fetch("1:*", "(FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            assert typ == "OK", data
            for item in data:
                if not isinstance(item, tuple):
                    continue
                meta, header = item[0].decode(), item[1].decode("utf-8", "replace")
                flags = re.search(r"FLAGS \(([^)]*)\)", meta).group(1).split()
                flags = sorted(f for f in flags if f != "\\Recent")
                date = re.search(r'INTERNALDATE "([^"]+)"', meta).group(1)
                ts = int(datetime.datetime.strptime(date.strip(), "%d-%b-%Y %H:%M:%S %z").timestamp())
                mid = ""
                hm = re.search(r"(?im)^message-id:\s*(.*(?:\r?\n[ \t].*)*)", header)
                if hm:
                    v = re.sub(r"\s+", " ", hm.group(1)).strip()
                    a, b = v.find("<"), v.find(">")
                    mid = v[a + 1 : b].strip() if 0 <= a < b else v.strip("<> ")
                msgs.append([mid, flags, ts])
        result[mutf7_decode(wire)] = sorted(msgs)
    m.logout()
    print(json.dumps(result, ensure_ascii=False, sort_keys=True))


main()
