//! Test servers for OAuth 2.0 sign-in: a token introspection endpoint (RFC 7662) for
//! Dovecot's oauth2 passdb, Dovecot configured with it, and an authorization server (RFC 6749
//! §4.1 with PKCE, RFC 7636) that checks what the client sends.

use super::dovecot::Dovecot;

/// An OAuth2 token introspection endpoint (RFC 7662) for Dovecot's oauth2 passdb: a token
/// in `good` is alice's, any other inactive. Returns its port and how many it was asked.
pub fn introspection(
    good: &'static [&'static str],
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::Write;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = asked.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let (_, body) = read_request(&s);
            let body = String::from_utf8_lossy(&body);
            let token = body
                .split('&')
                .find_map(|kv| kv.strip_prefix("token="))
                .unwrap_or("");
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let json = if good.contains(&token) {
                r#"{"active":true,"username":"alice"}"#
            } else {
                r#"{"active":false}"#
            };
            let mut w = s;
            let _ = write!(
                w,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                json.len()
            );
        }
    });
    (port, asked)
}

/// Dovecot whose oauth2 passdb asks `introspection` about tokens (OAUTHBEARER, XOAUTH2).
pub fn oauth2_dovecot(port: u16) -> Option<Dovecot> {
    let conf =
        std::env::temp_dir().join(format!("unpst-oauth2-{}-{port}.conf", std::process::id()));
    std::fs::write(
        &conf,
        format!(
            "introspection_mode = post\nintrospection_url = http://127.0.0.1:{port}/introspect\n\
             username_attribute = username\nactive_attribute = active\nactive_value = true\n\
             force_introspection = yes\n"
        ),
    )
    .unwrap();
    Dovecot::start(
        '/',
        &format!(
            "auth_mechanisms = plain login oauthbearer xoauth2\npassdb {{\n  driver = oauth2\n  mechanisms = oauthbearer xoauth2\n  args = {}\n}}\n",
            conf.display()
        ),
    )
}

/// One HTTP request from `s`: its request line and its body (by Content-Length).
pub fn read_request(s: &std::net::TcpStream) -> (String, Vec<u8>) {
    use std::io::{BufRead, BufReader, Read};
    let mut r = BufReader::new(s);
    let mut request = String::new();
    let _ = r.read_line(&mut request);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; len];
    let _ = r.read_exact(&mut body);
    (request, body)
}

/// What the test authorization server saw, in order.
pub type AuthLog = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// An authorization server for the browser sign-in (RFC 6749 §4.1 with PKCE, RFC 7636):
/// `/authorize` checks the request and sends the browser back to the loopback redirect with a
/// code (or with `error=access_denied` for another client id); `/token` checks the code, the
/// redirect and that the verifier hashes to the challenge, and answers with an access token
/// Dovecot refuses ("expired-token") and a refresh token, whose refresh gives "good-token".
pub fn authorization_server() -> (u16, AuthLog) {
    use base64::Engine;
    use std::io::Write;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let log: AuthLog = Default::default();
    let seen = log.clone();
    std::thread::spawn(move || {
        let mut challenge = String::new();
        let mut redirect = String::new();
        for s in l.incoming().flatten() {
            let (request, body) = read_request(&s);
            let target = request.split_whitespace().nth(1).unwrap_or("").to_string();
            let form = if request.starts_with("POST") {
                String::from_utf8_lossy(&body).into_owned()
            } else {
                target.split_once('?').map_or("", |q| q.1).to_string()
            };
            let get = |k: &str| {
                form.split('&')
                    .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                    .map(unpst_decode)
                    .unwrap_or_default()
            };
            let mut w = s;
            let json = |w: &mut std::net::TcpStream, status: &str, j: &str| {
                let _ = write!(
                    w,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{j}",
                    j.len()
                );
            };
            if target.starts_with("/authorize") {
                let ok = get("response_type") == "code"
                    && get("code_challenge_method") == "S256"
                    && get("scope") == "imap-scope"
                    && get("redirect_uri").starts_with("http://127.0.0.1:")
                    && !get("state").is_empty();
                redirect = get("redirect_uri");
                challenge = get("code_challenge");
                let answer = if !ok {
                    seen.lock().unwrap().push("bad authorize request".into());
                    "error=invalid_request".to_string()
                } else if get("client_id") != "unpst-test" {
                    seen.lock().unwrap().push("denied".into());
                    "error=access_denied".to_string()
                } else {
                    seen.lock().unwrap().push("authorize".into());
                    "code=the-code".to_string()
                };
                let _ = write!(
                    w,
                    "HTTP/1.1 302 Found\r\nLocation: {redirect}?{answer}&state={}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    get("state")
                );
            } else if get("grant_type") == "authorization_code" {
                let hashed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
                    ring::digest::digest(&ring::digest::SHA256, get("code_verifier").as_bytes()),
                );
                if get("code") == "the-code"
                    && get("redirect_uri") == redirect
                    && hashed == challenge
                {
                    seen.lock().unwrap().push("code".into());
                    json(
                        &mut w,
                        "200 OK",
                        r#"{"access_token":"expired-token","refresh_token":"r1","token_type":"Bearer"}"#,
                    );
                } else {
                    seen.lock().unwrap().push("bad code exchange".into());
                    json(&mut w, "400 Bad Request", r#"{"error":"invalid_grant"}"#);
                }
            } else if get("grant_type") == "refresh_token" && get("refresh_token") == "r1" {
                seen.lock().unwrap().push("refresh".into());
                json(
                    &mut w,
                    "200 OK",
                    r#"{"access_token":"good-token","token_type":"Bearer"}"#,
                );
            } else {
                json(&mut w, "400 Bad Request", r#"{"error":"invalid_grant"}"#);
            }
        }
    });
    (port, log)
}

/// Percent-decoding for the test server's query and form values.
fn unpst_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 3 <= b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
