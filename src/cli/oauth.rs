//! `unpst upload --oauth2 PROVIDER`: the browser sign-in ([`unpst::sink::imap::oauth`]),
//! then the upload's connection signed in with its token, refreshed once if refused.

use super::error::CliError;
use super::upload::Args;
use std::time::Duration;
use unpst::sink::imap::oauth::{Client, Provider};
use unpst::sink::imap::{ImapError, Secret, Server, UploadOptions, Uploader};

/// How long the sign-in in the browser may take.
const WAIT: Duration = Duration::from_secs(300);

fn client(args: &Args) -> Result<Client, CliError> {
    let usage = |s: &str| CliError::Usage(s.into());
    let mut provider = match args.oauth2.as_deref().unwrap_or_default() {
        "microsoft" => Provider::microsoft(),
        "google" => Provider::google(),
        "custom" => Provider {
            authorize: args
                .oauth2_authorize_url
                .clone()
                .ok_or_else(|| usage("--oauth2 custom needs --oauth2-authorize-url"))?,
            token: args
                .oauth2_token_url
                .clone()
                .ok_or_else(|| usage("--oauth2 custom needs --oauth2-token-url"))?,
            scope: args
                .oauth2_scope
                .clone()
                .ok_or_else(|| usage("--oauth2 custom needs --oauth2-scope"))?,
        },
        other => {
            return Err(CliError::Usage(format!(
                "--oauth2 takes microsoft, google or custom, not {other:?}"
            )));
        }
    };
    if let Some(s) = &args.oauth2_scope {
        provider.scope = s.clone();
    }
    let client_id = args.oauth2_client_id.clone().ok_or_else(|| {
        usage("--oauth2 needs --oauth2-client-id: the app you registered (docs/oauth.md)")
    })?;
    let client_secret =
        match &args.oauth2_client_secret_env {
            Some(var) => Some(std::env::var(var).map_err(|_| {
                CliError::Usage(format!("the environment variable {var} is not set"))
            })?),
            None => None,
        };
    Ok(Client {
        provider,
        client_id,
        client_secret,
        ca_file: args.ca_file.clone(),
    })
}

/// Shows the sign-in address, and opens it: with `$BROWSER` when set (a `%s` in it is the
/// address, else it comes last), else the desktop's opener.
fn open(url: &str) {
    eprintln!("Sign in to your mail account in the browser; if none opens, visit:\n  {url}");
    let spawned = match std::env::var("BROWSER") {
        Ok(b) if !b.trim().is_empty() => {
            let cmd = if b.contains("%s") {
                b.replace("%s", &shell_quote(url))
            } else {
                format!("{b} {}", shell_quote(url))
            };
            std::process::Command::new("sh").args(["-c", &cmd]).spawn()
        }
        _ => std::process::Command::new(if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        })
        .arg(url)
        .spawn(),
    };
    if let Err(e) = spawned {
        eprintln!("(could not open a browser: {e})");
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Signs in through the browser and connects; a token the server refuses is refreshed once.
pub(super) fn connect(
    args: &Args,
    server: &Server,
    opts: UploadOptions,
) -> Result<Uploader, CliError> {
    let client = client(args)?;
    let tokens = client
        .sign_in(&server.user, &mut |u| open(u), WAIT)
        .map_err(|e| CliError::Other(e.to_string()))?;
    match Uploader::connect_with(server, &Secret::Token(tokens.access), opts.clone()) {
        Err(ImapError::Token(_)) if tokens.refresh.is_some() => {
            let refresh = tokens.refresh.as_deref().unwrap_or_default();
            let fresh = client
                .refresh(refresh)
                .map_err(|e| CliError::Other(e.to_string()))?;
            Ok(Uploader::connect_with(
                server,
                &Secret::Token(fresh.access),
                opts,
            )?)
        }
        r => Ok(r?),
    }
}
