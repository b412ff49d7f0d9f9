#!/bin/bash
# Start a throwaway Courier-IMAP 5.0 server (unpacked by tests/servers/fetch.sh) in DIR.
# Runs in the FOREGROUND: after setting up DIR the script execs `unshare --mount`, which
# execs an inner bash supervisor (same pid throughout) that runs authdaemond and two
# couriertcpd listeners (plain+STARTTLS, and implicit TLS via couriertls). SIGTERM (or
# SIGINT) to that pid stops all of them; if any of them dies, the others are stopped too.
# Prints "PORT TLSPORT" on stdout once both ports accept connections; DIR/supervisor.pid.
# Why a mount namespace: courier-authlib has compiled-in paths (/etc/courier/authdaemonrc,
# /etc/courier/userdb.dat, /run/courier/authdaemon/socket, /usr/lib/courier-authlib); in a
# private mount namespace /etc, /usr and /run are read-only/overlay unions with DIR and the
# unpacked packages, so nothing on the host changes and instances don't see each other.
# Needs root (CAP_SYS_ADMIN) and overlayfs.
# Accounts alice bob carol dave, password "wonder land" (authuserdb, SHA-512 crypt),
# maildirs DIR/mail/USER/Maildir owned by $COURIER_RUNUSER (default nobody), each with the
# folders INBOX.Sent/Trash/Drafts/Junk (override: COURIER_FOLDERS="..."; "" for none).
# Every start begins with empty mailboxes (DIR/mail is recreated); the certificate is kept.
# Optional env: COURIER_PORT, COURIER_TLSPORT, COURIER_ROOT.
set -euo pipefail
ROOT=${COURIER_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)/target/imap-servers/courier/root}

if [ "${1:-}" = "--inner" ]; then
  # ---- inside the private mount namespace ----
  DIR=$2 PORT=$3 TLSPORT=$4
  mount --make-rprivate / 2>/dev/null || true
  mount -t overlay overlay -o "lowerdir=$ROOT/usr:/usr" /usr
  mount -t overlay overlay -o "lowerdir=$DIR/etc:$ROOT/etc:/etc" /etc
  mount -t overlay overlay -o "lowerdir=/run,upperdir=$DIR/ns/run-up,workdir=$DIR/ns/run-work" /run
  mkdir -p /run/courier/authdaemon
  export LD_LIBRARY_PATH="$ROOT/usr/lib/x86_64-linux-gnu:$ROOT/lib/x86_64-linux-gnu:$ROOT/usr/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  pids=()
  stop() { trap - TERM INT; kill -TERM "${pids[@]}" 2>/dev/null; wait; exit 0; }
  trap stop TERM INT
  ( set -a; . /etc/courier/authdaemonrc; exec /usr/lib/courier/courier-authlib/authdaemond ) \
    >>"$DIR/authdaemond.log" 2>&1 </dev/null &
  pids+=($!)
  for _ in $(seq 100); do [ -S /run/courier/authdaemon/socket ] && break; sleep 0.05; done
  ( set -a; . /etc/courier/imapd; . /etc/courier/imapd-ssl
    exec /usr/sbin/couriertcpd -address=127.0.0.1 -maxprocs=$MAXDAEMONS -maxperip=$MAXPERIP \
      $TCPDOPTS "$PORT" \
      /usr/lib/courier/courier/imaplogin /usr/bin/imapd "$MAILDIRPATH" ) \
    >>"$DIR/imapd.log" 2>&1 </dev/null &
  pids+=($!)
  ( set -a; . /etc/courier/imapd; . /etc/courier/imapd-ssl; IMAP_TLS=1; IMAP_STARTTLS=NO
    exec /usr/sbin/couriertcpd -address=127.0.0.1 -maxprocs=$MAXDAEMONS -maxperip=$MAXPERIP \
      $TCPDOPTS "$TLSPORT" \
      $COURIERTLS -server -tcpd \
      /usr/lib/courier/courier/imaplogin /usr/bin/imapd "$MAILDIRPATH" ) \
    >>"$DIR/imapd-ssl.log" 2>&1 </dev/null &
  pids+=($!)
  echo $$ > "$DIR/supervisor.pid"
  ready=
  for _ in $(seq 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$TLSPORT") 2>/dev/null; then
      ready=1; break
    fi
    sleep 0.1
  done
  if [ -z "$ready" ]; then echo "courier did not listen on $PORT/$TLSPORT; see $DIR/*.log" >&2; stop; fi
  echo "$PORT $TLSPORT"
  # Stop everything when any daemon exits by itself.
  wait -n "${pids[@]}" || true
  echo "a courier daemon exited; stopping" >&2
  stop
fi

# ---- outside: prepare DIR, then enter the namespace ----
DIR=${1:?usage: start-courier.sh DIR}
RUNUSER=${COURIER_RUNUSER:-nobody}
USERS="alice bob carol dave"
PASSWORD='wonder land'
[ -x "$ROOT/usr/bin/imapd" ] || { echo "Courier not unpacked in $ROOT (run tests/servers/fetch.sh)" >&2; exit 1; }
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
export LD_LIBRARY_PATH="$ROOT/usr/lib/x86_64-linux-gnu:$ROOT/lib/x86_64-linux-gnu:$ROOT/usr/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
RUID=$(id -u "$RUNUSER"); RGID=$(id -g "$RUNUSER")

. "$(dirname "$0")/lib.sh"
PORT=${COURIER_PORT:-$(free_port)}
TLSPORT=${COURIER_TLSPORT:-$(free_port)}
while [ "$TLSPORT" = "$PORT" ]; do TLSPORT=$(free_port); done

rm -rf "$DIR/etc" "$DIR/ns" "$DIR/mail" "$DIR"/*.log "$DIR/supervisor.pid"
mkdir -p "$DIR/etc/courier" "$DIR/ns/run-up" "$DIR/ns/run-work" "$DIR/mail"
chmod 755 "$DIR"

make_cert "$DIR"
E="$DIR/etc/courier"
cat "$DIR/key.pem" "$DIR/cert.pem" > "$E/imapd.pem"; chmod 600 "$E/imapd.pem"; chown "$RUID:$RGID" "$E/imapd.pem"
# imapd runs couriertls for STARTTLS with -user=courier (compiled in): give the namespace's
# /etc/passwd and /etc/group a "courier" account (same ids as $RUNUSER).
{ cat /etc/passwd; getent passwd courier >/dev/null || echo "courier:x:$RUID:$RGID:courier:/nonexistent:/usr/sbin/nologin"; } > "$DIR/etc/passwd"
{ cat /etc/group; getent group courier >/dev/null || echo "courier:x:$RGID:"; } > "$DIR/etc/group"

cat > "$E/authdaemonrc" <<CONF
authmodulelist="authuserdb"
authmodulelistorig="authuserdb"
daemons=3
authdaemonvar=/run/courier/authdaemon
DEBUG_LOGIN=0
DEFAULTOPTIONS=""
LOGGEROPTS=""
CONF

# imapd / imapd-ssl: Debian's defaults minus what needs system paths or the courier user.
cat > "$E/imapd" <<'CONF'
ADDRESS=127.0.0.1
MAXDAEMONS=40
MAXPERIP=100
TCPDOPTS="-nodnslookup -noidentlookup"
IMAP_CAPABILITY="IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE"
IMAP_KEYWORDS=1
IMAP_ACL=1
IMAP_PROXY=0
IMAP_PROXY_FOREIGN=0
IMAP_IDLE_TIMEOUT=60
IMAP_MAILBOX_SANITY_CHECK=1
IMAP_CAPABILITY_TLS="$IMAP_CAPABILITY AUTH=PLAIN"
IMAP_DISABLETHREADSORT=0
IMAP_CHECK_ALL_FOLDERS=0
IMAP_OBSOLETE_CLIENT=0
IMAP_UMASK=022
IMAP_USELOCKS=0
IMAP_ENHANCEDIDLE=0
IMAP_TRASHFOLDERNAME=Trash
IMAP_EMPTYTRASH=
IMAP_MOVE_EXPUNGE_TO_TRASH=0
HEADERFROM=X-IMAP-Sender
MAILDIRPATH=Maildir
CONF
cat > "$E/imapd-ssl" <<CONF
IMAPDSTARTTLS=YES
IMAP_STARTTLS=YES
IMAP_TLS_REQUIRED=0
COURIERTLS=/usr/bin/couriertls
TLS_CERTFILE=/etc/courier/imapd.pem
TLS_VERIFYPEER=NONE
TLS_PROTOCOL="TLS1_2:TLS1_3"
TLS_STARTTLS_PROTOCOL="TLS1_2:TLS1_3"
MAILDIRPATH=Maildir
CONF

# userdb: built directly with makedatprog (what the perl script makeuserdb does).
HASH=$(printf '%s' "$PASSWORD" | openssl passwd -6 -stdin)
MAKEDAT="$ROOT/usr/lib/courier/courier-authlib/makedatprog"
{ for u in $USERS; do printf '%s\tuid=%s|gid=%s|home=%s|mail=%s|_=\n' "$u" "$RUID" "$RGID" "$DIR/mail/$u" "$DIR/mail/$u/Maildir"; done; echo .; } \
  | "$MAKEDAT" - "$E/userdb.tmp" "$E/userdb.dat"
{ for u in $USERS; do printf '%s\tsystempw=%s\n' "$u" "$HASH"; done; echo .; } \
  | "$MAKEDAT" - "$E/userdbshadow.tmp" "$E/userdbshadow.dat"
chmod 600 "$E/userdbshadow.dat"

for u in $USERS; do
  mkdir -p "$DIR/mail/$u"
  "$ROOT/usr/bin/maildirmake.courier" "$DIR/mail/$u/Maildir"
  for f in ${COURIER_FOLDERS-Sent Trash Drafts Junk}; do
    "$ROOT/usr/bin/maildirmake.courier" -f "$f" "$DIR/mail/$u/Maildir"
    echo "INBOX.$f" >> "$DIR/mail/$u/Maildir/courierimapsubscribed"
  done
done
chown -R "$RUID:$RGID" "$DIR/mail"

exec unshare --mount --propagation private -- "$0" --inner "$DIR" "$PORT" "$TLSPORT"
