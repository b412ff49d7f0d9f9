#!/bin/bash
# Start a throwaway Cyrus IMAP 3.6 server (unpacked by tests/servers/fetch.sh) in DIR.
# Runs in the FOREGROUND: the script execs the Cyrus master, so its pid is the master's;
# SIGTERM to that pid stops master and all its children. Prints "PORT TLSPORT" on stdout
# once both ports accept connections. Also writes DIR/master.pid.
# Accounts alice bob carol dave, password "wonder land" (sasldb, auxprop), INBOXes
# auto-created at first login (autocreate_quota: 0) with Drafts/Sent/Trash/Junk (special-use).
# Every start begins with empty mailboxes (DIR/conf, DIR/spool are recreated); cert kept.
# Optional env: CYRUS_PORT, CYRUS_TLSPORT, CYRUS_ROOT, CYRUS_RUNUSER, CYRUS_SEP, CYRUS_ALTNAMESPACE.
set -euo pipefail
DIR=${1:?usage: start-cyrus.sh DIR}
ROOT=${CYRUS_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)/target/imap-servers/cyrus/root}
RUNUSER=${CYRUS_RUNUSER:-nobody}      # master starts as root, the services run as this user
SEP=${CYRUS_SEP:-/}                   # "/" (unixhierarchysep: yes) or "." (no)
ALTNS=${CYRUS_ALTNAMESPACE:-yes}      # yes: Sent etc. beside INBOX; no: below it (INBOX/Sent)
USERS="alice bob carol dave"
PASSWORD='wonder land'

[ -x "$ROOT/usr/lib/cyrus/bin/master" ] || { echo "Cyrus not unpacked in $ROOT (run tests/servers/fetch.sh)" >&2; exit 1; }
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
export LD_LIBRARY_PATH="$ROOT/usr/lib/x86_64-linux-gnu:$ROOT/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# SASL plugins: the unpacked ones (if fetch.sh had to fetch libsasl2-modules*) and the system's.
export SASL_PATH="$ROOT/usr/lib/x86_64-linux-gnu/sasl2:/usr/lib/x86_64-linux-gnu/sasl2"
export CYRUS_USER="$RUNUSER"
RUNGROUP=$(id -gn "$RUNUSER")

. "$(dirname "$0")/lib.sh"
PORT=${CYRUS_PORT:-$(free_port)}
TLSPORT=${CYRUS_TLSPORT:-$(free_port)}
while [ "$TLSPORT" = "$PORT" ]; do TLSPORT=$(free_port); done

rm -rf "$DIR/conf" "$DIR/spool" "$DIR/run" "$DIR/master.log" "$DIR/master.pid"
mkdir -p "$DIR/conf/socket" "$DIR/spool" "$DIR/run/proc" "$DIR/run/lock"

make_cert "$DIR"

if [ "$SEP" = "/" ]; then UHS=yes; else UHS=no; fi
cat > "$DIR/imapd.conf" <<CONF
configdirectory: $DIR/conf
partition-default: $DIR/spool
defaultpartition: default
proc_path: $DIR/run/proc
mboxname_lockpath: $DIR/run/lock
servername: localhost
syslog_prefix: cyrus-test
cyrus_user: $RUNUSER
cyrus_group: $RUNGROUP
admins: cyrusadmin
altnamespace: $ALTNS
unixhierarchysep: $UHS
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $DIR/sasldb2
sasl_mech_list: PLAIN LOGIN
sasl_auto_transition: no
autocreate_quota: 0
autocreate_inbox_folders: Drafts | Sent | Trash | Junk
autocreate_subscribe_folders: Drafts | Sent | Trash | Junk
xlist-drafts: Drafts
xlist-sent: Sent
xlist-trash: Trash
xlist-junk: Junk
tls_server_cert: $DIR/cert.pem
tls_server_key: $DIR/key.pem
tls_versions: tls1_2 tls1_3
hashimapspool: false
umask: 077
CONF

cat > "$DIR/cyrus.conf" <<CONF
START {
  recover  cmd="$ROOT/usr/lib/cyrus/bin/ctl_cyrusdb -C $DIR/imapd.conf -r"
}
SERVICES {
  imap     cmd="$ROOT/usr/lib/cyrus/bin/imapd -C $DIR/imapd.conf" listen="127.0.0.1:$PORT" prefork=0 maxchild=100
  imaps    cmd="$ROOT/usr/lib/cyrus/bin/imapd -s -C $DIR/imapd.conf" listen="127.0.0.1:$TLSPORT" prefork=0 maxchild=100
}
EVENTS {
  checkpoint cmd="$ROOT/usr/lib/cyrus/bin/ctl_cyrusdb -C $DIR/imapd.conf -c" period=30
}
CONF

rm -f "$DIR/sasldb2"
for u in $USERS; do
  printf '%s' "$PASSWORD" | "$ROOT/usr/sbin/saslpasswd2" -p -c -f "$DIR/sasldb2" -u localhost "$u"
done
chown -R "$RUNUSER:$RUNGROUP" "$DIR/conf" "$DIR/spool" "$DIR/run" "$DIR/sasldb2" "$DIR/key.pem" "$DIR/cert.pem"
chmod 755 "$DIR"

# Print the ports once both accept connections (a detached poller, so that the master
# can take over this pid; it gives up after 20 s or when the master is gone).
MASTERPID=$$
( (
  for _ in $(seq 200); do
    kill -0 "$MASTERPID" 2>/dev/null || exit 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$TLSPORT") 2>/dev/null; then
      echo "$PORT $TLSPORT"; exit 0
    fi
    sleep 0.1
  done
  echo "cyrus did not listen on $PORT/$TLSPORT within 20 s; see $DIR/master.log" >&2; exit 1
) & )

exec "$ROOT/usr/lib/cyrus/bin/master" -D -C "$DIR/imapd.conf" -M "$DIR/cyrus.conf" \
  -p "$DIR/master.pid" -L "$DIR/master.log"
