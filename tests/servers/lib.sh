# What cyrus.sh and courier.sh share (sourced).

# A free port: the kernel's choice via python3 if there is one, else a random port that no
# socket on this machine is bound to (per /proc/net/tcp*).
free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
  else
    local p; while :; do p=$((20000 + RANDOM % 12000))
      grep -qiE "^ *[0-9]+: [0-9A-F]+:$(printf %04X $p) " /proc/net/tcp /proc/net/tcp6 2>/dev/null || { echo $p; return; }
    done
  fi
}

# make_cert DIR: DIR/cert.pem and DIR/key.pem, self-signed for 127.0.0.1 (as
# tests/common/dovecot.rs makes Dovecot's); kept when already there.
make_cert() {
  [ -s "$1/cert.pem" ] && return
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=localhost -addext basicConstraints=critical,CA:FALSE \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
    -keyout "$1/key.pem" -out "$1/cert.pem" >/dev/null 2>&1
}
