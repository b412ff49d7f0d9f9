//! `unpst upload --oauth2 PROVIDER`: the browser sign-in ([`unpst::sink::imap::oauth`]),
//! then the upload's connection signed in with its token, refreshed once if refused.

use super::error::CliError;
use super::upload::Args;
use std::time::Duration;
use unpst::sink::imap::oauth::{self, Client, Settings, SignInError};
use unpst::sink::imap::{Server, UploadOptions, Uploader};

/// How long the sign-in in the browser may take.
const WAIT: Duration = Duration::from_secs(300);

fn client(args: &Args) -> Result<Client, CliError> {
    let client_id = args.oauth2_client_id.clone().ok_or_else(|| {
        CliError::Usage(
            "--oauth2 needs --oauth2-client-id: the app you registered (docs/oauth.md)".into(),
        )
    })?;
    let client_secret =
        match &args.oauth2_client_secret_env {
            Some(var) => Some(std::env::var(var).map_err(|_| {
                CliError::Usage(format!("the environment variable {var} is not set"))
            })?),
            None => None,
        };
    let settings = Settings {
        provider: args.oauth2.clone().unwrap_or_default(),
        client_id,
        client_secret,
        authorize_url: args.oauth2_authorize_url.clone(),
        token_url: args.oauth2_token_url.clone(),
        scope: args.oauth2_scope.clone(),
    };
    // (--oauth2 custom takes --oauth2-authorize-url, --oauth2-token-url and --oauth2-scope.)
    settings
        .client(args.ca_file.clone())
        .map_err(|e| CliError::Usage(e.to_string()))
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
    oauth::connect(&client, server, opts, &mut None, &mut |u| open(u), WAIT).map_err(|e| match e {
        SignInError::Imap(e) => e.into(),
        SignInError::OAuth(e) => CliError::Other(e.to_string()),
    })
}
