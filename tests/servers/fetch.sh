#!/bin/bash
# Cyrus IMAP 3.6 and Courier-IMAP 5.0 (Debian bookworm) for tests/imap_servers.rs, WITHOUT
# installing them (their packages conflict with dovecot-imapd: each provides imap-server):
# `apt-get download` the server packages plus every library package they need that is not
# installed here (resolved recursively through apt-cache depends), and `dpkg -x` them into
#   $BASE/cyrus/root  and  $BASE/courier/root    (BASE: $1, else target/imap-servers)
# Idempotent: .debs are kept in $BASE/debs and reused; a root is re-extracted only when
# its package list changed. Needs: apt-get, apt-cache, dpkg, dpkg-query (no root needed
# for the download itself, but the start scripts need root).
set -euo pipefail
BASE=${1:-$(cd "$(dirname "$0")/../.." && pwd)/target/imap-servers}
mkdir -p "$BASE"
DEBS=$BASE/debs
mkdir -p "$DEBS"
chmod 777 "$DEBS" 2>/dev/null || true   # lets apt's _apt user write there (else a warning)

# What each server needs from its own packages (non-library dependencies such as adduser,
# debconf, perl, gawk, db-util, e2fsprogs, an MTA, gnutls-bin, gamin, expect are only
# needed by the maintainer scripts / other tools, and are deliberately not fetched).
CYRUS_PKGS="cyrus-imapd cyrus-common sasl2-bin"          # imapd, master, saslpasswd2
COURIER_PKGS="courier-imap courier-base courier-authlib courier-authdaemon courier-authlib-userdb"

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
# For a dry run that pretends only the packages listed in a file are installed:
#   IMAPSRV_ASSUME_INSTALLED=list.txt IMAPSRV_DRY_RUN=1 tests/servers/fetch.sh
if [ -n "${IMAPSRV_ASSUME_INSTALLED:-}" ]; then
  installed() { grep -qxF "$1" "$IMAPSRV_ASSUME_INSTALLED"; }
fi

# deps PKG: prints one line per dependency group: "alt1 alt2 ..." (Depends + PreDepends).
deps() {
  apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "$1" 2>/dev/null | awk '
    /^ *\|?(Pre)?Depends:/ {
      alt = ($1 ~ /^\|/); name = $2
      cur = (cur == "" ? name : cur " " name)
      if (!alt) { print cur; cur = "" }
    }'
}

# resolve LABEL PKG...: prints the packages to fetch: the given ones plus, recursively,
# lib* dependencies not installed on this machine. Reasons go to stderr.
resolve() {
  local label=$1; shift
  local -A want=() seen=()
  local queue=("$@") p group a pick
  for p in "$@"; do want[$p]="server package"; done
  while [ ${#queue[@]} -gt 0 ]; do
    p=${queue[0]}; queue=("${queue[@]:1}")
    [ -n "${seen[$p]:-}" ] && continue; seen[$p]=1
    while read -r group; do
      [ -z "$group" ] && continue
      pick=
      for a in $group; do
        case $a in "<"*) continue;; esac      # virtual package
        if installed "$a"; then pick=; break; fi
        [ -z "$pick" ] && pick=$a
      done
      # a group is satisfied if any (real) alternative is installed
      for a in $group; do case $a in "<"*) ;; *) installed "$a" && pick= ;; esac; done
      [ -z "$pick" ] && continue
      case $pick in
        lib*) if [ -z "${want[$pick]:-}" ]; then want[$pick]="needed by $p"; queue+=("$pick"); fi ;;
        *) [ -z "${want[$pick]:-}" ] && echo "  [$label] not fetching $pick (dependency of $p; not needed to run the daemon)" >&2 ;;
      esac
    done < <(deps "$p")
  done
  for p in "${!want[@]}"; do
    echo "  [$label] fetch $p: ${want[$p]}" >&2
    echo "$p"
  done | sort
}

fetch_and_unpack() {
  local label=$1 root=$BASE/$1/root; shift
  echo "== $label"
  local pkgs reasons; reasons=$(mktemp)
  pkgs=$(resolve "$label" "$@" 2>"$reasons"); sort -u "$reasons"; rm -f "$reasons"
  [ -n "${IMAPSRV_DRY_RUN:-}" ] && return 0
  local missing=() p f
  for p in $pkgs; do
    compgen -G "$DEBS/${p}_*.deb" >/dev/null || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "  downloading: ${missing[*]}"
    (cd "$DEBS" && apt-get download "${missing[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' | sed 's/^/    /')
  fi
  local list=""
  for p in $pkgs; do
    f=$(ls -t "$DEBS/${p}"_*.deb | head -1); list+="$(basename "$f")"$'\n'
  done
  if [ -f "$root/.unpacked" ] && [ "$(cat "$root/.unpacked")" = "${list%$'\n'}" ]; then
    echo "  $root is up to date"
  else
    rm -rf "$root"; mkdir -p "$root"
    for f in $list; do dpkg -x "$DEBS/$f" "$root"; done
    printf '%s' "$list" > "$root/.unpacked"
    echo "  unpacked into $root:"; printf '%s' "$list" | sed 's/^/    /'
  fi
}

fetch_and_unpack cyrus $CYRUS_PKGS
fetch_and_unpack courier $COURIER_PKGS
[ -n "${IMAPSRV_DRY_RUN:-}" ] && exit 0

# Sanity: every binary the start scripts run must find all its libraries.
fail=0
for spec in "cyrus:usr/lib/cyrus/bin/master usr/lib/cyrus/bin/imapd usr/lib/cyrus/bin/ctl_cyrusdb usr/sbin/saslpasswd2" \
            "courier:usr/bin/imapd usr/bin/couriertls usr/sbin/couriertcpd usr/lib/courier/courier/imaplogin usr/lib/courier/courier-authlib/authdaemond usr/lib/courier/courier-authlib/makedatprog usr/bin/maildirmake.courier usr/lib/courier-authlib/libauthuserdb.so"; do
  label=${spec%%:*}; root=$BASE/$label/root
  for b in ${spec#*:}; do
    if [ ! -e "$root/$b" ]; then echo "MISSING $root/$b"; fail=1; continue; fi
    nf=$(LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu:$root/usr/lib" ldd "$root/$b" 2>&1 | grep 'not found' || true)
    [ -n "$nf" ] && { echo "$label: $b: $nf"; fail=1; }
  done
done
[ $fail = 0 ] && echo "== all binaries resolve their libraries" || { echo "== library problems above"; exit 1; }
