//! Who and where `unpst upload` signs in: the account's URL (`--imap`, or the server
//! `--to`'s address names) and the secret (a password, a token, or the browser sign-in).

use super::error::CliError;
use super::term::escape;
use super::upload::Args;
use std::io::{IsTerminal, Write};
use unpst::sink::imap::{ImapError, Secret, Server, UploadOptions, Uploader, providers};

/// The account's URL: `--imap`, or the server `--to`'s address names (said before it is
/// used). A provider that takes no password needs an OAuth2 sign-in.
pub(super) fn account_url(args: &Args) -> Result<String, CliError> {
    if let Some(url) = &args.imap {
        return Ok(url.clone());
    }
    let address = args.to.as_deref().unwrap_or_default();
    let s = providers::suggest(address).ok_or_else(|| {
        CliError::Usage(format!(
            "--to needs an email address, not \"{}\"",
            escape(address)
        ))
    })?;
    let oauth2 =
        args.oauth2.is_some() || args.oauth2_token_env.is_some() || args.oauth2_token_cmd.is_some();
    match &s.provider {
        Some(p) if p.auth == providers::Auth::OAuth2 && !oauth2 => {
            return Err(CliError::Usage(format!(
                "{}: {} Add --oauth2 {} --oauth2-client-id ID, or a token with --oauth2-token-env VAR.",
                p.name,
                p.note,
                p.oauth2.unwrap_or("custom")
            )));
        }
        Some(p) => out!("{}: {} (port {}, TLS). {}", p.name, p.host, p.port, p.note),
        None => out!(
            "{} is no provider unpst knows: trying {} (port {}, TLS), the usual hosting default; if your provider names another server, give --imap imaps://USER@HOST.",
            escape(address.trim()),
            s.host,
            s.port
        ),
    }
    let user = s.user.replace('%', "%25").replace('@', "%40");
    Ok(format!("imaps://{user}@{}:{}", s.host, s.port))
}

/// The token `--oauth2-token-cmd` prints: its first line, without spaces around.
fn token_from(cmd: &str) -> Result<String, CliError> {
    let out = std::process::Command::new("sh")
        .args(["-c", cmd])
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| CliError::Other(format!("running the token command: {e}")))?;
    if !out.status.success() {
        return Err(CliError::Other(format!(
            "the token command failed ({})",
            out.status
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().next().unwrap_or("").trim().to_string())
}

/// The secret to sign in with: an OAuth2 token when asked for, else the password.
fn secret(args: &Args) -> Result<Secret, CliError> {
    if let Some(var) = &args.oauth2_token_env {
        return std::env::var(var)
            .map(|t| Secret::Token(t.trim().to_string()))
            .map_err(|_| CliError::Usage(format!("the environment variable {var} is not set")));
    }
    if let Some(cmd) = &args.oauth2_token_cmd {
        return token_from(cmd).map(Secret::Token);
    }
    password(args).map(Secret::Password)
}

/// Connects and signs in. A token from `--oauth2-token-cmd` that the server refuses is
/// fetched once more (the command may refresh it) and tried again; one from the browser
/// sign-in is refreshed once.
pub(super) fn connect(
    args: &Args,
    server: &Server,
    opts: UploadOptions,
) -> Result<Uploader, CliError> {
    if args.oauth2.is_some() {
        return super::oauth::connect(args, server, opts);
    }
    let first = secret(args)?;
    match Uploader::connect_with(server, &first, opts.clone()) {
        Err(ImapError::Token(_)) if args.oauth2_token_cmd.is_some() => {
            let cmd = args.oauth2_token_cmd.as_deref().unwrap_or_default();
            let again = Secret::Token(token_from(cmd)?);
            Ok(Uploader::connect_with(server, &again, opts)?)
        }
        r => Ok(r?),
    }
}

fn password(args: &Args) -> Result<String, CliError> {
    if let Some(var) = &args.password_env {
        return std::env::var(var)
            .map_err(|_| CliError::Usage(format!("the environment variable {var} is not set")));
    }
    if !std::io::stdin().is_terminal() {
        // A pipe: the first line is the password (`pass show mail | unpst upload …`).
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| CliError::Other(format!("reading the password from stdin: {e}")))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    rpassword::prompt_password("IMAP password: ")
        .map_err(|e| CliError::Other(format!("reading the password: {e}")))
}
