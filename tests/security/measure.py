#!/usr/bin/env python3
"""Issue 12's attacks against an `unpst` binary, with the outcome and peak memory of each:
run it against an old and a new build to compare (docs/security.md).

    python3 tests/security/measure.py target/release/unpst [PST]

Only loopback is used. The old relay reads /dev/zero until it runs out of memory, so every
relay here runs under `ulimit -v` (4 GiB): that attack ends there at worst.
"""
import os, re, socket, subprocess, sys, threading, time

BIN = os.path.abspath(sys.argv[1])
PST = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    os.path.dirname(__file__), '../../../shared/corpus/aspose-Outlook.pst')
WWW = os.path.join(os.path.dirname(__file__), '../../www')


def relay(ulimit='-v 4000000', extra=()):
    p = subprocess.Popen(['sh', '-c', f'ulimit {ulimit} && exec "$0" relay --port 0 --www "$1" ' + ' '.join(extra),
                          BIN, WWW], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    m = re.search(r':(\d+)/#relay=(\w+)', line)
    threading.Thread(target=p.stdout.read, daemon=True).start()
    return p, int(m.group(1)), m.group(2)


def peak_mib(pid):
    try:
        s = open(f'/proc/{pid}/status').read()
        return int(re.search(r'VmHWM:\s+(\d+)', s).group(1)) // 1024
    except Exception:
        return None


def http(port, target, host=None, timeout=5, limit=1 << 20):
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    s.sendall(f'GET {target} HTTP/1.1\r\nHost: {host or f"127.0.0.1:{port}"}\r\n\r\n'.encode())
    got = b''
    try:
        while len(got) < limit:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except OSError:
        pass
    s.close()
    return got


def report(name, before_after):
    print(f'{name:<58} {before_after}')


def files():
    p, port, token = relay()
    for t in ['//etc/passwd', '///etc/passwd', '//proc/self/cmdline', '/../Cargo.toml']:
        r = http(port, t)
        status = r.split(b'\r\n', 1)[0].decode(errors='replace')
        report(f'GET {t}', f'{status}; passwd leaked: {b"root:" in r}')
    t0 = time.time()
    try:
        r = http(port, '//dev/zero', timeout=30, limit=1 << 16)
        status = r.split(b'\r\n', 1)[0].decode(errors='replace') or '(no answer)'
    except OSError as e:
        status = f'({e})'
    time.sleep(1)
    alive = p.poll() is None
    report('GET //dev/zero', f'{status}; relay peak RSS {peak_mib(p.pid)} MiB; alive: {alive}; {time.time() - t0:.1f} s')
    head = http(port, '/').split(b'\r\n\r\n', 1)[0].decode()
    report('frame-ancestors / CORP / connect-src',
           f"{'frame-ancestors' in head} / {'Cross-Origin-Resource-Policy' in head} / "
           f"{re.search(r'connect-src[^;]*', head).group(0)}")
    p.kill()


def slowloris():
    p, port, _ = relay(ulimit='-v 4000000 && ulimit -n 1024')
    conns = []
    for _ in range(1100):
        try:
            s = socket.create_connection(('127.0.0.1', port), timeout=2)
            s.sendall(b'G')
            conns.append(s)
        except OSError:
            break
    cpu0 = cpu(p.pid)
    t0 = time.time()
    answered = 0
    for _ in range(3):
        for s in conns:
            try:
                s.send(b'E')
            except OSError:
                pass
        t = time.time()
        try:
            ok = http(port, '/', timeout=5).startswith(b'HTTP/1.1 200')
        except OSError:
            ok = False
        answered += ok and time.time() - t < 5
        time.sleep(1)
    used = cpu(p.pid) - cpu0
    report(f'{len(conns)} slow connections, fd limit 1024',
           f'user answered {answered}/3 within 5 s; relay CPU {100 * used / (time.time() - t0):.0f} %; '
           f'peak RSS {peak_mib(p.pid)} MiB; alive: {p.poll() is None}')
    for s in conns:
        s.close()
    p.kill()


def cpu(pid):
    f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK')


def fake_imap(mode, port_holder, ready):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(('127.0.0.1', 0))
    l.listen(1)
    port_holder.append(l.getsockname()[1])
    ready.set()
    c, _ = l.accept()
    c.sendall(b'* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] hi\r\n')
    f = c.makefile('rb')
    try:
        while True:
            line = f.readline()
            if not line:
                return
            tag = line.split(b' ')[0]
            if b'LIST "" "*"' in line:
                if mode == 'list':
                    chunk = b''.join(b'* LIST () "/" "box%d"\r\n' % i for i in range(10000))
                    for _ in range(300):  # 3 million lines
                        c.sendall(chunk)
                elif mode == 'literals':
                    lit = b'a' * (1 << 20)
                    c.sendall(b'* LIST () "/" ')
                    for _ in range(600):  # six 100 MiB literals' worth
                        c.sendall(b'{%d}\r\n' % len(lit) + lit + b' ')
                    c.sendall(b'\r\n')
                elif mode == 'big-literal':
                    c.sendall(b'* LIST () "/" {104857600}\r\n')
                    for _ in range(100):
                        c.sendall(b'a' * (1 << 20))
                    c.sendall(b'\r\n')
                c.sendall(tag + b' OK done\r\n')
            elif b'LIST' in line:
                c.sendall(b'* LIST (\\Noselect) "/" ""\r\n' + tag + b' OK done\r\n')
            elif b'LOGOUT' in line:
                c.sendall(b'* BYE\r\n' + tag + b' OK bye\r\n')
                return
            elif tag.startswith(b'U'):
                c.sendall(tag + b' OK [CAPABILITY IMAP4rev1] done\r\n')
    except OSError:
        pass
    finally:
        c.close()


def imap_flood(mode):
    holder, ready = [], threading.Event()
    threading.Thread(target=fake_imap, args=(mode, holder, ready), daemon=True).start()
    ready.wait()
    t0 = time.time()
    out = subprocess.run(['/usr/bin/time', '-v', BIN, 'upload', PST, '--imap', f'imap://u@127.0.0.1:{holder[0]}',
                          '--insecure-plaintext', '--password-env', 'PW', '--dry-run'],
                         env={**os.environ, 'PW': 'x'}, capture_output=True, text=True, timeout=600)
    rss = int(re.search(r'Maximum resident set size \(kbytes\): (\d+)', out.stderr).group(1)) // 1024
    err = [l for l in out.stderr.splitlines() if l.strip() and not l.startswith('\t')][:1]
    report(f'IMAP {mode}: upload --dry-run', f'exit {out.returncode}; peak RSS {rss} MiB; {time.time() - t0:.1f} s; {err}')


def plaintext():
    l = socket.socket()
    l.bind(('0.0.0.0', 0))
    l.listen(1)
    l.settimeout(3)
    port = l.getsockname()[1]
    proc = subprocess.Popen([BIN, 'upload', PST, '--imap', f'imap://u@0.0.0.0:{port}', '--insecure-plaintext',
                             '--password-env', 'PW'], env={**os.environ, 'PW': 'secret'},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        c, _ = l.accept()
        c.sendall(b'* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] hi\r\n')
        c.settimeout(3)
        got = c.recv(4096)
        c.close()
        seen = f'connection made; sent {got[:40]!r}'
    except OSError:
        seen = 'no connection made'
    proc.kill()
    err = proc.stderr.read().strip().splitlines()[:1]
    report('upload --insecure-plaintext to 0.0.0.0 (not loopback)', f'{seen}; {err}')


def scanner():
    banner = socket.socket()
    banner.bind(('127.0.0.1', 0))
    banner.listen(4)
    bport = banner.getsockname()[1]

    def serve():
        while True:
            c, _ = banner.accept()
            c.sendall(b'SSH-2.0-OpenSSH_9.6p1 Debian\r\n')
            time.sleep(0.2)
            c.close()
    threading.Thread(target=serve, daemon=True).start()
    p, port, token = relay(extra=['--allow-plaintext'])
    import base64, struct
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.sendall((f'GET /relay HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n'
               'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n'
               f'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: unpst.{token}\r\n\r\n').encode())
    buf = b''
    while b'\r\n\r\n' not in buf:
        buf += s.recv(1)

    def cmd(text):
        data = text.encode()
        mask = b'\0\0\0\0'
        hdr = bytes([0x81, 0x80 | 126]) + struct.pack('>H', len(data)) if len(data) >= 126 else bytes([0x81, 0x80 | len(data)])
        s.sendall(hdr + mask + data)
        h = s.recv(2)
        n = h[1] & 0x7f
        if n == 126:
            n = struct.unpack('>H', s.recv(2))[0]
        body = b''
        while len(body) < n:
            body += s.recv(n - len(body))
        return body.decode()
    replies = [cmd('{"op":"connect","imap":"imap://u@127.0.0.1:%d","password":"x"}' % bport) for _ in range(12)]
    report('relay connect to an SSH port (with the token)', replies[0][:110])
    limited = sum('too many connection attempts' in r for r in replies)
    report('12 connect attempts in a row', f'{limited} refused by the rate limit')
    p.kill()


def bind():
    out = subprocess.run(['timeout', '3', BIN, 'relay', '--port', '0', '--bind', '127.0.0.2', '--www', WWW],
                         capture_output=True, text=True)
    report('relay --bind 127.0.0.2', f'exit {out.returncode}; {(out.stdout + out.stderr).strip().splitlines()[:1]}')


def imap_list():
    imap_flood('list')


def imap_literals():
    imap_flood('literals')


def imap_big_literal():
    imap_flood('big-literal')


# ONLY=name,name runs just those.
only = [o for o in os.environ.get('ONLY', '').split(',') if o]
for f in [files, slowloris, scanner, bind, plaintext, imap_list, imap_literals, imap_big_literal]:
    if only and f.__name__ not in only:
        continue
    try:
        f()
    except Exception as e:
        report(f.__name__, f'measurement failed: {e!r}')
