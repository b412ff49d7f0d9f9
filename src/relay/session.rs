//! One page's upload over the relay's WebSocket. Text frames are JSON commands
//! (`connect`, `map`, `folder`, `end-folder`, `finish`; `lookup` alone, for a server's
//! settings); a binary frame is one message:
//! [`imap::encode_frame`]: the metadata (id, subject, message_id, flags, date), then the
//! message exactly as the converter wrote it. Every command and
//! message is answered, so the page sends at the pace the server takes them. Before an
//! answer the relay may send `{"op": "sign-in", "url"}` (OAuth2) and, as binary frames, the
//! messages the server refused as too large, each an mbox entry for the page to keep.

use super::{Config, RateLimit, lock};
use crate::sink::imap::{self, Item, Mapping, Server, UploadOptions, Uploader};
use crate::upload::PlannedFolder;
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::TcpStream;
use std::sync::Mutex;
use tungstenite::protocol::{Role, WebSocketConfig};
use tungstenite::{Message, WebSocket};

/// A command from the page.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Command {
    Connect {
        imap: String,
        #[serde(default)]
        password: String,
        #[serde(default)]
        under: Option<String>,
        /// Sign in with OAuth2 instead of the password: the relay runs the browser sign-in
        /// (telling the page where to send the user: `{"op": "sign-in", "url"}`) and keeps
        /// the tokens in memory for the next connection.
        #[serde(default)]
        oauth: Option<imap::oauth::Settings>,
    },
    Map {
        folders: Vec<PlannedFolder>,
    },
    /// Ask the address's domain for the IMAP settings it publishes (autoconfig, SRV): only
    /// when the user asks, only the domain itself.
    Lookup {
        address: String,
    },
    Folder {
        index: usize,
    },
    EndFolder,
    Finish,
}

/// Parses a text frame.
pub fn parse_command(text: &str) -> Result<Command, serde_json::Error> {
    serde_json::from_str(text)
}

/// OAuth2 tokens of this relay's sign-ins, by app, provider and account: in memory only,
/// gone when the relay stops.
pub type TokenStore = Mutex<std::collections::HashMap<String, imap::oauth::Tokens>>;

/// How long the page's user may take to sign in.
const SIGN_IN_WAIT: std::time::Duration = std::time::Duration::from_secs(300);

struct State<'a> {
    config: &'a Config,
    connects: &'a Mutex<RateLimit>,
    tokens: &'a TokenStore,
    /// Messages the server refused as too large, as mbox entries, not yet sent to the page
    /// (which keeps them for the user: nothing lost).
    refused: std::rc::Rc<std::cell::RefCell<Vec<Vec<u8>>>>,
    up: Option<Uploader>,
    maps: Vec<Mapping>,
}

/// Largest message the page may send (a message with a 1 GiB attachment does not fit an
/// IMAP server anyway; this bounds the relay's memory).
const MAX_MESSAGE: usize = 256 << 20;

/// Runs a session on an upgraded connection (`rest`: bytes read past the upgrade's head).
/// The socket's timeouts end a session the page has left idle.
pub fn run(
    stream: TcpStream,
    rest: Vec<u8>,
    config: &Config,
    connects: &Mutex<RateLimit>,
    tokens: &TokenStore,
) {
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let mut ws = WebSocket::from_partially_read(stream, rest, Role::Server, Some(ws_config));
    let mut state = State {
        config,
        connects,
        tokens,
        refused: Default::default(),
        up: None,
        maps: Vec::new(),
    };
    loop {
        let msg = match ws.read() {
            Ok(m) => m,
            // Closed, idle too long, or a protocol violation: the upload stops; a rerun
            // resumes it.
            Err(_) => return,
        };
        let reply = match msg {
            Message::Text(t) => match parse_command(t.as_str()) {
                Ok(cmd) => state.command(cmd, &mut |url: &str| {
                    let note = json!({"op": "sign-in", "url": url});
                    let _ = ws.send(Message::text(note.to_string()));
                }),
                Err(e) => json!({"op": "error", "message": format!("bad command: {e}")}),
            },
            Message::Binary(b) => state.message(&b),
            Message::Close(_) => return,
            _ => continue,
        };
        let done = reply["op"] == "done";
        // Refused for size while answering: each as a binary frame of its own, before the
        // answer.
        let refused = std::mem::take(&mut *state.refused.borrow_mut());
        for entry in refused {
            if ws.send(Message::binary(entry)).is_err() {
                return;
            }
        }
        if ws.send(Message::text(reply.to_string())).is_err() || done {
            let _ = ws.close(None);
            let _ = ws.flush();
            return;
        }
    }
}

fn error(e: impl std::fmt::Display) -> Value {
    json!({"op": "error", "message": e.to_string()})
}

impl State<'_> {
    fn uploader(&mut self) -> Result<&mut Uploader, Value> {
        self.up
            .as_mut()
            .ok_or_else(|| error("not connected to an IMAP server yet"))
    }

    /// Runs a command; `sign_in` tells the page where the user signs in (OAuth2 only).
    fn command(&mut self, cmd: Command, sign_in: &mut dyn FnMut(&str)) -> Value {
        match self.try_command(cmd, sign_in) {
            Ok(v) | Err(v) => v,
        }
    }

    fn try_command(&mut self, cmd: Command, sign_in: &mut dyn FnMut(&str)) -> Result<Value, Value> {
        match cmd {
            Command::Connect {
                imap,
                password,
                under,
                oauth,
            } => {
                // The relay is no port scanner: a few attempts, then one every few seconds.
                if let Err(wait) = lock(self.connects).take() {
                    return Err(error(format!(
                        "too many connection attempts; try again in {} s",
                        wait.as_secs() + 1
                    )));
                }
                let plain = self.config.allow_plaintext && imap.starts_with("imap://");
                let mut server = Server::parse(&imap, plain).map_err(error)?;
                server.ca_file = self.config.ca_file.clone();
                let opts = UploadOptions {
                    under: under.filter(|u| !u.trim().is_empty()),
                    ..UploadOptions::default()
                };
                let up = match oauth {
                    Some(settings) => self.sign_in(&server, &settings, opts, sign_in)?,
                    None => Uploader::connect(&server, &password, opts).map_err(error)?,
                };
                let mut up = up;
                let kept = self.refused.clone();
                up.keep_oversize(Box::new(move |item, lit| {
                    let mut entry = Vec::new();
                    imap::write_refused(item, lit, &mut |b: &[u8]| {
                        entry.extend_from_slice(b);
                        Ok(())
                    })?;
                    kept.borrow_mut().push(entry);
                    Ok(())
                }));
                let reply = json!({
                    "op": "connected",
                    "server": server.display(),
                    "separator": up.layout.separator.map(String::from),
                });
                self.up = Some(up);
                Ok(reply)
            }
            Command::Lookup { address } => self.lookup(&address),
            Command::Map { folders } => {
                let (maps, preview) =
                    crate::upload::preview(self.uploader()?, &folders).map_err(error)?;
                self.maps = maps;
                Ok(json!({"op": "mapping", "folders": preview}))
            }
            Command::Folder { index } => {
                let map = self
                    .maps
                    .get(index)
                    .cloned()
                    .ok_or_else(|| error("no such folder in the mapping"))?;
                self.uploader()?.begin_folder(map).map_err(error)?;
                Ok(json!({"op": "folder-ready", "index": index}))
            }
            Command::EndFolder => {
                let rep = self.uploader()?.end_folder().map_err(error)?.cloned();
                Ok(json!({"op": "folder-done", "report": rep}))
            }
            Command::Finish => {
                let up = self
                    .up
                    .take()
                    .ok_or_else(|| error("not connected to an IMAP server yet"))?;
                let report = up.finish(false).map_err(error)?;
                Ok(json!({"op": "done", "report": report}))
            }
        }
    }

    /// The settings `address`'s domain publishes, asked of the domain itself.
    fn lookup(&self, address: &str) -> Result<Value, Value> {
        // Counted with the connections: the relay makes no stream of requests.
        if let Err(wait) = lock(self.connects).take() {
            return Err(error(format!(
                "too many attempts; try again in {} s",
                wait.as_secs() + 1
            )));
        }
        let found = imap::autoconfig::ask(address, self.config.ca_file.as_deref());
        Ok(json!({
            "op": "found",
            "found": found,
            "asked": imap::providers::places(address),
        }))
    }

    /// Connects signed in with OAuth2: this relay's tokens for the app and account while they
    /// work, else a sign-in in the browser.
    fn sign_in(
        &self,
        server: &Server,
        settings: &imap::oauth::Settings,
        opts: UploadOptions,
        open: &mut dyn FnMut(&str),
    ) -> Result<Uploader, Value> {
        let client = settings
            .client(self.config.ca_file.clone())
            .map_err(error)?;
        let key = format!(
            "{}\n{}\n{}",
            client.client_id,
            client.provider.authorize,
            server.display()
        );
        let mut tokens = lock(self.tokens).get(&key).cloned();
        let up = imap::oauth::connect(&client, server, opts, &mut tokens, open, SIGN_IN_WAIT);
        let mut store = lock(self.tokens);
        match tokens {
            Some(t) => store.insert(key, t),
            None => store.remove(&key),
        };
        up.map_err(error)
    }

    fn message(&mut self, frame: &[u8]) -> Value {
        let Some((meta, bytes)) = imap::decode_frame(frame) else {
            return error("malformed message frame");
        };
        let up = match self.uploader() {
            Ok(u) => u,
            Err(e) => return e,
        };
        match up.add(Item::new(meta, bytes.to_vec())) {
            Ok(present) => {
                let cur = up.current();
                json!({
                    "op": "ack", "present": present,
                    "appended": cur.map_or(0, |c| c.appended),
                })
            }
            Err(e) => error(e),
        }
    }
}
