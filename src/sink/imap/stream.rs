//! The byte stream under the IMAP client: plain TCP, TLS (rustls, with the web PKI roots or
//! the user's own CA file) or a scripted server for tests and fuzzing.

use super::server::Server;
use super::{ImapError, Result};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Instant;

pub(super) enum Stream {
    /// Only while the plain stream moves into TLS.
    Closed,
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
    /// A scripted server (fuzzing and tests): reads come from the bytes, writes vanish.
    Script(std::io::Cursor<Vec<u8>>),
}

impl Stream {
    pub(super) fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Stream::Plain(s) => Some(s),
            Stream::Tls(s) => Some(s.get_ref()),
            _ => None,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Closed => Err(std::io::ErrorKind::NotConnected.into()),
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Script(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Closed => Err(std::io::ErrorKind::NotConnected.into()),
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            Stream::Script(_) => Ok(buf.len()),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Closed | Stream::Script(_) => Ok(()),
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// Wraps `tcp` in TLS for `server` and completes the handshake by `due`.
pub(super) fn tls(
    server: &Server,
    tcp: TcpStream,
    due: Option<Instant>,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
    use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &server.ca_file {
        // A FIFO or device would block or never end.
        if !std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() <= 16 << 20) {
            return Err(ImapError::Config(format!(
                "{}: not a readable certificate file (PEM)",
                path.display()
            )));
        }
        let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(path)
            .map_err(|e| ImapError::Config(format!("{}: {e}", path.display())))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| ImapError::Config(format!("{}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(ImapError::Config(format!(
                "{}: no certificate in it",
                path.display()
            )));
        }
        for c in certs {
            roots
                .add(c)
                .map_err(|e| ImapError::Config(format!("{}: {e}", path.display())))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(server.host.clone())
        .map_err(|e| ImapError::Config(format!("{}: {e}", server.host)))?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| ImapError::Tls(e.to_string()))?;
    let mut s = rustls::StreamOwned::new(conn, tcp);
    // Handshake now, so certificate problems surface as such.
    while s.conn.is_handshaking() {
        if due.is_some_and(|d| Instant::now() >= d) {
            return Err(ImapError::Deadline(server.deadline.as_secs()));
        }
        s.conn
            .complete_io(&mut s.sock)
            .map_err(|e| ImapError::Tls(e.to_string()))?;
    }
    Ok(s)
}
