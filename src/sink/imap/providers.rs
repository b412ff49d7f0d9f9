//! Where the common mail providers' IMAP servers are, from the user's address: the host,
//! port and TLS of each (as their own setup pages and Thunderbird's ISPDB give them) and how
//! they take a sign-in. For another domain, the usual hosting default (cPanel, Plesk:
//! `mail.<domain>`) is a guess, said as one. No lookup is made here: the table is all (the
//! domain's own published settings are asked only on request, by `autoconfig`).

use serde::Serialize;

/// How a provider takes a sign-in over IMAP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Auth {
    /// The account's password.
    Password,
    /// A password made for one app in the account's security settings (the account's own
    /// is refused over IMAP once two-step sign-in is on).
    AppPassword,
    /// OAuth2 only: passwords are refused over IMAP (`unpst upload --oauth2 PROVIDER`).
    #[serde(rename = "oauth2")]
    OAuth2,
}

/// One provider's IMAP server.
#[derive(Debug, Clone, Serialize)]
pub struct Provider {
    pub name: &'static str,
    /// The `--oauth2` name of its sign-in, where unpst knows it.
    pub oauth2: Option<&'static str>,
    pub host: &'static str,
    /// Implicit TLS on this port.
    pub port: u16,
    pub auth: Auth,
    /// What the user needs to know before the first try.
    pub note: &'static str,
    #[serde(skip)]
    domains: &'static [&'static str],
}

const PROVIDERS: &[Provider] = &[
    Provider {
        name: "Microsoft 365 / Outlook.com",
        oauth2: Some("microsoft"),
        host: "outlook.office365.com",
        port: 993,
        auth: Auth::OAuth2,
        note: "Microsoft refuses passwords over IMAP: sign in with OAuth2 (docs/oauth.md).",
        domains: &[
            "outlook.com",
            "hotmail.com",
            "live.com",
            "msn.com",
            "passport.com",
        ],
    },
    Provider {
        name: "Gmail",
        oauth2: Some("google"),
        host: "imap.gmail.com",
        port: 993,
        auth: Auth::AppPassword,
        note: "Gmail takes OAuth2, or an app password (Google Account → Security → App passwords).",
        domains: &["gmail.com", "googlemail.com"],
    },
    Provider {
        name: "iCloud Mail",
        oauth2: None,
        host: "imap.mail.me.com",
        port: 993,
        auth: Auth::AppPassword,
        note: "iCloud takes an app-specific password (account.apple.com → Sign-In and Security).",
        domains: &["icloud.com", "me.com", "mac.com"],
    },
    Provider {
        name: "Yahoo Mail",
        oauth2: None,
        host: "imap.mail.yahoo.com",
        port: 993,
        auth: Auth::AppPassword,
        note: "Yahoo takes an app password (Account security → Generate app password).",
        domains: &["yahoo.com", "ymail.com", "rocketmail.com"],
    },
    Provider {
        name: "Fastmail",
        oauth2: None,
        host: "imap.fastmail.com",
        port: 993,
        auth: Auth::AppPassword,
        note: "Fastmail takes an app password (Settings → Privacy & Security → App passwords).",
        domains: &["fastmail.com", "fastmail.fm"],
    },
    Provider {
        name: "GMX",
        oauth2: None,
        host: "imap.gmx.net",
        port: 993,
        auth: Auth::Password,
        note: "GMX: IMAP access must be switched on in the mailbox's settings first.",
        domains: &["gmx.de", "gmx.net", "gmx.at", "gmx.ch"],
    },
    Provider {
        name: "GMX",
        oauth2: None,
        host: "imap.gmx.com",
        port: 993,
        auth: Auth::Password,
        note: "GMX: IMAP access must be switched on in the mailbox's settings first.",
        domains: &["gmx.com"],
    },
    Provider {
        name: "WEB.DE",
        oauth2: None,
        host: "imap.web.de",
        port: 993,
        auth: Auth::Password,
        note: "WEB.DE: IMAP access must be switched on in the mailbox's settings first.",
        domains: &["web.de"],
    },
];

/// Where an address's mail most likely is: a known provider, or `guess` (the hosting
/// default) for another domain.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    /// The known provider, if the domain is one of theirs.
    pub provider: Option<Provider>,
    pub host: String,
    pub port: u16,
    /// The address itself: every provider above signs in with it.
    pub user: String,
    /// No provider knows the domain: `host` is the usual hosting default, to be checked.
    pub guess: bool,
    /// For a guess: what the relay would ask, if the user wants, for the domain's own
    /// settings ([`places`]).
    pub lookup: Vec<String>,
}

/// The domain of an address, lower case, or `None` if it is not one.
fn domain(address: &str) -> Option<String> {
    let (local, domain) = address.trim().rsplit_once('@')?;
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let ok = !local.is_empty()
        && domain.contains('.')
        && (domain.split('.'))
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    ok.then_some(domain)
}

/// The places the relay asks, when the user asks, for the settings `address`'s domain
/// publishes (in this order; see `sink::imap::autoconfig`): its two autoconfig files, then
/// its SRV records for IMAP with TLS and with STARTTLS. None for an address at an IP address.
pub fn places(address: &str) -> Vec<String> {
    let Some(d) = domain(address).filter(|d| {
        // No top-level domain is numeric: this is an IP address, not a mail domain.
        !d.rsplit('.')
            .next()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    }) else {
        return Vec::new();
    };
    vec![
        format!("https://autoconfig.{d}/mail/config-v1.1.xml"),
        format!("https://{d}/.well-known/autoconfig/mail/config-v1.1.xml"),
        format!("_imaps._tcp.{d}"),
        format!("_imap._tcp.{d}"),
    ]
}

/// The provider whose domain `address` is in, if it is one of the table's.
pub fn provider(address: &str) -> Option<&'static Provider> {
    let d = domain(address)?;
    PROVIDERS.iter().find(|p| p.domains.contains(&d.as_str()))
}

/// Where to upload for `address`: its provider's server, or `mail.<domain>`, said to be a
/// guess. `None` when `address` is no address.
pub fn suggest(address: &str) -> Option<Suggestion> {
    let d = domain(address)?;
    let user = address.trim().to_string();
    Some(match provider(address) {
        Some(p) => Suggestion {
            provider: Some(p.clone()),
            host: p.host.to_string(),
            port: p.port,
            user,
            guess: false,
            lookup: Vec::new(),
        },
        None => Suggestion {
            provider: None,
            host: format!("mail.{d}"),
            port: 993,
            lookup: places(&user),
            user,
            guess: true,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_names_its_providers_server_or_the_hosting_default() {
        let s = suggest(" Someone@GMail.com ").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.guess),
            ("imap.gmail.com", 993, false)
        );
        assert_eq!(s.user, "Someone@GMail.com");
        assert_eq!(
            provider("x@hotmail.com").map(|p| p.auth),
            Some(Auth::OAuth2)
        );
        assert_eq!(provider("x@gmx.com").unwrap().host, "imap.gmx.com");
        assert_eq!(provider("x@gmx.de").unwrap().host, "imap.gmx.net");
        // A provider's domain inside another is not theirs.
        assert!(provider("x@gmail.com.evil.example").is_none());
        let g = suggest("info@bakery-schmidt.de").unwrap();
        assert_eq!((g.host.as_str(), g.guess), ("mail.bakery-schmidt.de", true));
        // What the relay would ask, on request: the domain's own places only.
        assert_eq!(
            g.lookup,
            [
                "https://autoconfig.bakery-schmidt.de/mail/config-v1.1.xml",
                "https://bakery-schmidt.de/.well-known/autoconfig/mail/config-v1.1.xml",
                "_imaps._tcp.bakery-schmidt.de",
                "_imap._tcp.bakery-schmidt.de",
            ]
        );
        assert!(suggest("x@gmail.com").unwrap().lookup.is_empty());
        assert!(
            places("x@127.0.0.1").is_empty(),
            "an IP address is no mail domain"
        );
        for bad in [
            "",
            "no-at-sign",
            "@gmail.com",
            "x@",
            "x@localhost",
            "x@a..b",
            "x@a b.de",
        ] {
            assert!(suggest(bad).is_none(), "{bad:?}");
        }
    }
}
