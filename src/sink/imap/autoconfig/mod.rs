//! The IMAP server a domain publishes for its own mail, asked only when the user asks: its
//! autoconfig file (Thunderbird's autoconfig protocol: `https://autoconfig.DOMAIN/mail/
//! config-v1.1.xml`, then `https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml`), then
//! its DNS SRV records (RFC 6186: `_imaps._tcp.DOMAIN`, then `_imap._tcp.DOMAIN` for
//! STARTTLS). Nothing else is asked — no third-party database — and a server offered only
//! without TLS is not taken.

pub mod dns;

use super::providers::places;
use serde::Serialize;

/// What a domain publishes, where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Published {
    pub host: String,
    pub port: u16,
    /// STARTTLS on a plain port, rather than TLS from the start.
    pub starttls: bool,
    /// The user name the server expects (the address, or its local part).
    pub user: String,
    /// Where it came from: the URL or the SRV record's name.
    pub source: String,
}

/// Asks [`places`] in order: `fetch(url)` gets an autoconfig file (`None`: none there),
/// `srv(name)` a name's SRV records as (priority, weight, port, target). The first place
/// that names an IMAP server with TLS wins.
pub fn lookup(
    address: &str,
    fetch: &mut dyn FnMut(&str) -> Option<String>,
    srv: &mut dyn FnMut(&str) -> Vec<dns::Record>,
) -> Option<Published> {
    let places = places(address);
    let [auto, known, imaps, imap] = places.as_slice() else {
        return None;
    };
    let query = format!("?emailaddress={}", super::oauth::encode(address.trim()));
    for url in [auto, known] {
        if let Some(found) =
            fetch(&format!("{url}{query}")).and_then(|xml| parse(&xml, address.trim()))
        {
            return Some(Published {
                source: url.clone(),
                ..found
            });
        }
    }
    for (name, starttls) in [(imaps, false), (imap, true)] {
        let mut records = srv(name);
        // RFC 2782: lowest priority first, then the heaviest; "." says there is no service.
        records.sort_by_key(|r| (r.0, std::cmp::Reverse(r.1)));
        if let Some((_, _, port, target)) = records.into_iter().next()
            && target != "."
            && !target.is_empty()
        {
            return Some(Published {
                host: target.trim_end_matches('.').to_string(),
                port,
                starttls,
                user: address.trim().to_string(),
                source: name.clone(),
            });
        }
    }
    None
}

/// Asks the domain itself, for real: its autoconfig files over HTTPS (`ca_file`: extra trust
/// anchors, for tests) and its SRV records from the system's resolver, a few seconds each.
pub fn ask(address: &str, ca_file: Option<&std::path::Path>) -> Option<Published> {
    let resolver = dns::resolver();
    lookup(
        address,
        &mut |url| match super::oauth::get(url, ca_file) {
            Ok((200, body)) => String::from_utf8(body).ok(),
            _ => None,
        },
        &mut |name| {
            resolver
                .map(|r| dns::srv(r, name, std::time::Duration::from_secs(3)))
                .unwrap_or_default()
        },
    )
}

/// The IMAP server of an autoconfig file (`clientConfig` → `emailProvider` →
/// `incomingServer type="imap"`): the first with TLS from the start, else the first with
/// STARTTLS; `None` without one. The user name's placeholders are filled from `address`.
pub fn parse(xml: &str, address: &str) -> Option<Published> {
    let mut starttls = None;
    let mut rest = xml;
    while let Some(i) = rest.find("<incomingServer") {
        let block = &rest[i..];
        let end = block.find("</incomingServer>").unwrap_or(block.len());
        let (server, after) = block.split_at(end);
        rest = after.get(1..).unwrap_or("");
        let head = server.split('>').next().unwrap_or("");
        if !(head.contains("type=\"imap\"") || head.contains("type='imap'")) {
            continue;
        }
        // A server without a usable host or port is passed over.
        let (Some(host), Some(port)) = (
            element(server, "hostname"),
            element(server, "port").and_then(|p| p.parse::<u16>().ok()),
        ) else {
            continue;
        };
        let (local, domain) = address.rsplit_once('@').unwrap_or((address, ""));
        let user = element(server, "username")
            .unwrap_or_else(|| "%EMAILADDRESS%".into())
            .replace("%EMAILADDRESS%", address)
            .replace("%EMAILLOCALPART%", local)
            .replace("%EMAILDOMAIN%", domain);
        let found = Published {
            host,
            port,
            starttls: false,
            user,
            source: String::new(),
        };
        match element(server, "socketType").as_deref() {
            Some("SSL") => return Some(found),
            Some("STARTTLS") if starttls.is_none() => {
                starttls = Some(Published {
                    starttls: true,
                    ..found
                })
            }
            // Without TLS: not for a password or a mailbox.
            _ => {}
        }
    }
    starttls
}

/// The text of the first `<name>…</name>` in `xml`, entities undone; `None` if absent or
/// not a plain host-like value.
fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&format!("</{name}>"))?;
    let text = xml[start..start + len]
        .trim()
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    // A host, a port, a socket type or a user name: nothing that could be markup or a line.
    let fine = !text.is_empty()
        && text.len() <= 255
        && !text.chars().any(|c| c.is_control() || c == '<' || c == '>');
    fine.then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="bakery.example">
  <incomingServer type="pop3"><hostname>pop.bakery.example</hostname><port>995</port>
    <socketType>SSL</socketType></incomingServer>
  <incomingServer type="imap"><hostname>imap.bakery.example</hostname><port>143</port>
    <socketType>STARTTLS</socketType><username>%EMAILLOCALPART%</username></incomingServer>
  <incomingServer type="imap"><hostname>secure.bakery.example</hostname><port>993</port>
    <socketType>SSL</socketType><username>%EMAILADDRESS%</username></incomingServer>
</emailProvider></clientConfig>"#;

    #[test]
    fn an_autoconfig_file_gives_its_imap_server_with_tls_first() {
        let p = parse(CONFIG, "info@bakery.example").unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, p.starttls, p.user.as_str()),
            ("secure.bakery.example", 993, false, "info@bakery.example")
        );
        let only_starttls = CONFIG.replace(
            "<socketType>SSL</socketType><username>",
            "<socketType>plain</socketType><username>",
        );
        let p = parse(&only_starttls, "info@bakery.example").unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, p.starttls, p.user.as_str()),
            ("imap.bakery.example", 143, true, "info")
        );
        // Plain text only, no IMAP, garbage, markup in a value: nothing.
        let plain = CONFIG.replace("STARTTLS", "plain").replace(
            ">SSL</socketType><username>%EMAILADDRESS%",
            ">plain</socketType><username>%EMAILADDRESS%",
        );
        assert_eq!(parse(&plain, "a@b.example"), None);
        assert_eq!(parse("<incomingServer type=\"imap\">", "a@b.c"), None);
        assert_eq!(parse("\u{0}<<<>>>", "a@b.c"), None);
        let markup = CONFIG.replace("secure.bakery.example", "x&lt;script&gt;");
        assert_eq!(parse(&markup, "a@b.c").unwrap().host, "imap.bakery.example");
    }

    #[test]
    fn the_lookup_asks_only_the_domain_itself_in_order() {
        let asked = std::cell::RefCell::new(Vec::new());
        let found = lookup(
            "info@bakery.example",
            &mut |u| {
                asked.borrow_mut().push(u.to_string());
                u.contains(".well-known").then(|| CONFIG.to_string())
            },
            &mut |n| {
                asked.borrow_mut().push(n.to_string());
                Vec::new()
            },
        )
        .unwrap();
        let asked = asked.into_inner();
        assert_eq!(
            found.source,
            "https://bakery.example/.well-known/autoconfig/mail/config-v1.1.xml"
        );
        assert_eq!(
            asked,
            [
                "https://autoconfig.bakery.example/mail/config-v1.1.xml?emailaddress=info%40bakery.example",
                "https://bakery.example/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=info%40bakery.example",
            ]
        );
        // No file: the SRV records, lowest priority then heaviest; "." means none.
        let srv = |n: &str| match n {
            "_imaps._tcp.bakery.example" => vec![(10, 0, 993, ".".to_string())],
            "_imap._tcp.bakery.example" => vec![
                (20, 5, 143, "b.bakery.example.".to_string()),
                (10, 1, 143, "c.bakery.example.".to_string()),
                (10, 9, 1143, "a.bakery.example.".to_string()),
            ],
            _ => Vec::new(),
        };
        let found = lookup("info@bakery.example", &mut |_| None, &mut |n| srv(n)).unwrap();
        assert_eq!(
            (found.host.as_str(), found.port, found.starttls),
            ("a.bakery.example", 1143, true)
        );
        assert_eq!(
            lookup("not an address", &mut |_| None, &mut |_| Vec::new()),
            None
        );
        assert_eq!(
            lookup("a@b.example", &mut |_| None, &mut |_| Vec::new()),
            None
        );
    }
}
