//! OAuth 2.0 sign-in for IMAP, done by unpst itself: the authorization code flow with PKCE
//! (RFC 7636, S256) for a native app, its redirect received on a one-shot loopback listener
//! (RFC 8252 §7.3), the code exchanged and the access token refreshed at the token endpoint
//! (RFC 6749 §4.1.3, §6). Tokens live in memory for the run only; nothing is written.

mod http;

pub(super) use http::{encode, get};

use super::{ImapError, Secret, Server, UploadOptions, Uploader};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// What can go wrong signing in.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    Config(String),
    #[error("the sign-in was refused: {0}")]
    Refused(String),
    #[error("no sign-in arrived within {0} s")]
    Timeout(u64),
    #[error("token request: {0}")]
    Http(String),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// Where a provider signs people in, and the scope that lets a client use their IMAP.
#[derive(Debug, Clone)]
pub struct Provider {
    pub authorize: String,
    pub token: String,
    pub scope: String,
}

impl Provider {
    /// Microsoft 365 and Outlook.com (Entra ID, v2.0 endpoints).
    pub fn microsoft() -> Self {
        Self {
            authorize: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize".into(),
            token: "https://login.microsoftonline.com/common/oauth2/v2.0/token".into(),
            scope: "https://outlook.office.com/IMAP.AccessAsUser.All offline_access".into(),
        }
    }

    /// Gmail and Google Workspace.
    pub fn google() -> Self {
        Self {
            authorize: "https://accounts.google.com/o/oauth2/v2/auth".into(),
            token: "https://oauth2.googleapis.com/token".into(),
            scope: "https://mail.google.com/".into(),
        }
    }
}

/// A sign-in as a front end names it: the provider (`microsoft`, `google`, or `custom` with
/// its endpoints and scope; a scope given replaces the provider's) and the app registered
/// with it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Settings {
    pub provider: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub authorize_url: Option<String>,
    #[serde(default)]
    pub token_url: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

impl Settings {
    /// The client these settings name (`ca_file`: extra trust anchors for the token endpoint).
    pub fn client(&self, ca_file: Option<std::path::PathBuf>) -> Result<Client, OAuthError> {
        let missing =
            |what: &str| OAuthError::Config(format!("a custom OAuth2 provider needs its {what}"));
        let mut provider = match self.provider.as_str() {
            "microsoft" => Provider::microsoft(),
            "google" => Provider::google(),
            "custom" => Provider {
                authorize: self
                    .authorize_url
                    .clone()
                    .ok_or_else(|| missing("authorize URL"))?,
                token: self.token_url.clone().ok_or_else(|| missing("token URL"))?,
                scope: self.scope.clone().ok_or_else(|| missing("scope"))?,
            },
            other => {
                return Err(OAuthError::Config(format!(
                    "the OAuth2 provider is microsoft, google or custom, not {other:?}"
                )));
            }
        };
        if let Some(s) = self.scope.clone().filter(|s| !s.trim().is_empty()) {
            provider.scope = s;
        }
        if self.client_id.trim().is_empty() {
            return Err(OAuthError::Config(
                "OAuth2 needs the client id of the app you registered (docs/oauth.md)".into(),
            ));
        }
        Ok(Client {
            provider,
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone().filter(|s| !s.is_empty()),
            ca_file,
        })
    }
}

/// Why a connection signed in with OAuth2 failed: the sign-in, or the server.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error(transparent)]
    Imap(#[from] ImapError),
}

/// Connects signed in with OAuth2: with the tokens of an earlier sign-in while they work (the
/// access token refreshed once when the server refuses it), else through a new sign-in in the
/// browser (`open` gets its address; at most `wait`), whose access token is refreshed once
/// if refused. `tokens` then holds what worked, for the next connection.
pub fn connect(
    client: &Client,
    server: &Server,
    opts: UploadOptions,
    tokens: &mut Option<Tokens>,
    open: &mut dyn FnMut(&str),
    wait: Duration,
) -> Result<Uploader, SignInError> {
    let with =
        |t: &Tokens| Uploader::connect_with(server, &Secret::Token(t.access.clone()), opts.clone());
    // Refreshed once, when the server refused the access token and there is a refresh token.
    let refreshed = |t: &Tokens| -> Result<Option<(Uploader, Tokens)>, SignInError> {
        let Some(r) = t.refresh.as_deref() else {
            return Ok(None);
        };
        let fresh = client.refresh(r)?;
        Ok(Some((with(&fresh)?, fresh)))
    };
    if let Some(t) = tokens.take() {
        match with(&t) {
            Ok(up) => {
                *tokens = Some(t);
                return Ok(up);
            }
            Err(ImapError::Token(_)) => {
                // An expired refresh token is no error: the user signs in again.
                if let Ok(Some((up, fresh))) = refreshed(&t) {
                    *tokens = Some(fresh);
                    return Ok(up);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    let t = client.sign_in(&server.user, open, wait)?;
    match with(&t) {
        Ok(up) => {
            *tokens = Some(t);
            Ok(up)
        }
        Err(ImapError::Token(e)) => match refreshed(&t)? {
            Some((up, fresh)) => {
                *tokens = Some(fresh);
                Ok(up)
            }
            None => Err(ImapError::Token(e).into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// The app as registered with the provider (by the user or their organisation: unpst ships
/// no client id of its own).
#[derive(Debug, Clone)]
pub struct Client {
    pub provider: Provider,
    pub client_id: String,
    /// Google's "installed app" secret (not a secret, but asked for); none for Microsoft.
    pub client_secret: Option<String>,
    /// Extra trust anchors for the token endpoint (tests).
    pub ca_file: Option<std::path::PathBuf>,
}

/// An access token, and the refresh token that gets the next one.
#[derive(Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: Option<String>,
}

fn random(n: usize) -> Result<String, OAuthError> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).map_err(|e| OAuthError::Config(format!("no randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

impl Client {
    /// Signs the user in through their browser: `open` is given the address to visit; the
    /// provider sends the browser back to a listener on 127.0.0.1 with the code, which is
    /// exchanged for tokens. Waits at most `wait`.
    pub fn sign_in(
        &self,
        login_hint: &str,
        open: &mut dyn FnMut(&str),
        wait: Duration,
    ) -> Result<Tokens, OAuthError> {
        let verifier = random(32)?;
        let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            verifier.as_bytes(),
        ));
        let state = random(16)?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let redirect = format!("http://127.0.0.1:{}/", listener.local_addr()?.port());
        let mut query = vec![
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", redirect.as_str()),
            ("scope", self.provider.scope.as_str()),
            ("state", state.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        if !login_hint.is_empty() {
            query.push(("login_hint", login_hint));
        }
        let sep = if self.provider.authorize.contains('?') {
            '&'
        } else {
            '?'
        };
        open(&format!(
            "{}{sep}{}",
            self.provider.authorize,
            http::form(&query)
        ));
        let code = receive_code(&listener, &state, wait)?;
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect.as_str()),
            ("code_verifier", verifier.as_str()),
        ])
    }

    /// A new access token from a refresh token.
    pub fn refresh(&self, refresh: &str) -> Result<Tokens, OAuthError> {
        let mut t = self.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])?;
        // A provider may answer without a new refresh token: the old one still holds.
        t.refresh.get_or_insert_with(|| refresh.to_string());
        Ok(t)
    }

    fn token(&self, pairs: &[(&str, &str)]) -> Result<Tokens, OAuthError> {
        let mut all = pairs.to_vec();
        all.push(("client_id", self.client_id.as_str()));
        if let Some(s) = &self.client_secret {
            all.push(("client_secret", s.as_str()));
        }
        let (status, json) = http::post_form(
            &self.provider.token,
            &http::form(&all),
            self.ca_file.as_deref(),
        )?;
        let text = |k: &str| json[k].as_str().map(str::to_string);
        match text("access_token") {
            Some(access) if status == 200 => Ok(Tokens {
                access,
                refresh: text("refresh_token"),
            }),
            _ => Err(OAuthError::Refused(short(
                &text("error").unwrap_or_else(|| format!("status {status}")),
            ))),
        }
    }
}

/// A provider's error code, as a short token (it is not trusted to say more).
fn short(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(60)
        .collect()
}

/// Waits for the browser to come back: the first request to the listener carrying our
/// `state` ends the wait (with its code, or its error); anything else is turned away.
fn receive_code(listener: &TcpListener, state: &str, wait: Duration) -> Result<String, OAuthError> {
    listener.set_nonblocking(true)?;
    let end = Instant::now() + wait;
    loop {
        let (stream, _) = match listener.accept() {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= end {
                    return Err(OAuthError::Timeout(wait.as_secs()));
                }
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut line = String::new();
        let mut r = BufReader::new(std::io::Read::take(&stream, 16 * 1024));
        if r.read_line(&mut line).is_err() {
            continue;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("");
        let query = target.split_once('?').map_or("", |q| q.1);
        let get = |k: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
                .map(http::decode)
        };
        let mut w = &stream;
        if get("state").as_deref() != Some(state) {
            let _ =
                w.write_all(page(404, "Not the sign-in this program is waiting for.").as_bytes());
            continue;
        }
        if let Some(code) = get("code").filter(|c| !c.is_empty()) {
            let _ = w.write_all(
                page(
                    200,
                    "Signed in. You can close this window and go back to unpst.",
                )
                .as_bytes(),
            );
            return Ok(code);
        }
        let why = short(&get("error").unwrap_or_default());
        let _ = w.write_all(page(400, "The sign-in did not succeed; unpst says why.").as_bytes());
        return Err(OAuthError::Refused(why));
    }
}

fn page(status: u16, text: &str) -> String {
    let body = format!("<!DOCTYPE html><meta charset=\"utf-8\"><title>unpst</title><p>{text}</p>");
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        if status == 200 { "OK" } else { "Not Found" },
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Sends one request line to the listener; what it answered.
    fn visit(port: u16, target: &str) -> String {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
    }

    #[test]
    fn the_loopback_listener_takes_only_its_own_state() {
        // Another process on the machine knocks first: no state, a guessed one, garbage.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let knocks = std::thread::spawn(move || {
            let a = visit(port, "/?code=stolen");
            let b = visit(port, "/?code=stolen&state=guess");
            let mut junk = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            junk.write_all(&[0xff; 64]).unwrap();
            drop(junk);
            let c = visit(port, "/?code=the%2Bcode&state=s3cret");
            (a, b, c)
        });
        let code = receive_code(&l, "s3cret", Duration::from_secs(20)).unwrap();
        let (a, b, c) = knocks.join().unwrap();
        assert_eq!(code, "the+code");
        assert!(
            a.starts_with("HTTP/1.1 404") && b.starts_with("HTTP/1.1 404"),
            "{a}\n{b}"
        );
        assert!(c.starts_with("HTTP/1.1 200"), "{c}");
        // The provider's refusal, with our state, ends the wait with its error code only.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let t = std::thread::spawn(move || visit(port, "/?error=access_denied%3Cb%3E&state=s"));
        let e = receive_code(&l, "s", Duration::from_secs(20)).unwrap_err();
        t.join().unwrap();
        assert_eq!(e.to_string(), "the sign-in was refused: access_deniedb");
        // Nobody comes: the wait ends.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let e = receive_code(&l, "s", Duration::from_millis(200)).unwrap_err();
        assert!(matches!(e, OAuthError::Timeout(_)));
    }
}
