//! The command line: `stator serve | get | ws`, parsed by hand.
//!
//! Three subcommands with a handful of flags each do not need an argument-parsing
//! framework: a hand-written parser keeps the CLI's compile time and dependency tree small
//! and its errors exact (every error names the flag and what it wanted), and [`parse`]
//! takes any iterator of strings, so the tests run it without a process.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::serve::ServeOptions;

/// The text `stator --help` prints.
pub const HELP: &str = "\
stator: a development server and small clients for HTTP/1.1, HTTP/2 and WebSocket

USAGE:
    stator serve [--addr ADDR] [--cert FILE --key FILE] [--plain] [--root DIR]
    stator get URL [--http1.1 | --http2] [-v] [-d DATA] [--cacert FILE]
    stator ws URL [--cacert FILE]
    stator --help | --version

SERVE:
    With no options: TLS on [::]:8443 (0.0.0.0:8443 without IPv6) with a self-signed
    certificate generated at start; prints the URLs to open, the certificate's hashes,
    the Chromium flag that trusts it and a PEM file for `curl --cacert`.
    --addr ADDR        listen on ADDR (default [::]:8443, or [::]:8080 with --plain)
    --cert FILE        certificate chain (PEM) instead of the generated one
    --key FILE         its private key (PEM); required with --cert
    --plain            cleartext: HTTP/1.1 and HTTP/2 prior knowledge on one port
    --root DIR         serve the static files under DIR (GET and HEAD)

    Routes: /      a page that shows the protocol that carried it and runs a WebSocket echo
            /ws    WebSocket echo (/ws?info first sends the session's scope as JSON)
            /echo  POST: the request content back, with its content-type
            /info  the request's scope as JSON (HTTP version, addresses, headers)
            with --root, any other path is a file under DIR (these four come first)

GET:
    Writes the response content to stdout as it arrives. Exit status 0 for any
    response (whatever its status), 1 when no response came (the reason on stderr),
    2 for bad arguments, an unreadable --cacert or -d @FILE.
    --http1.1          use HTTP/1.1
    --http2            use HTTP/2 (ALPN h2 over TLS, prior knowledge over http://)
    -v, --verbose      print the response head (version, status, fields) to stderr
    -d, --data DATA    send DATA as a POST body (@FILE reads FILE)
    --cacert FILE      trust the certificates in FILE (PEM) for https; e.g. the PEM
                       file `stator serve` prints. https needs it: no system roots.

WS:
    Sends each line of standard input as a text message and prints the replies (text
    as a line, binary as <N bytes>); at the end of the input, once no reply came for
    0.5 s, closes with 1000 and prints the close code. Over https/wss, HTTP/2
    (Extended CONNECT) when the server enables it, else HTTP/1.1 Upgrade. Exit status
    0 after a closing handshake, 1 otherwise.
    --cacert FILE      as for get

Logs go to stderr; RUST_LOG sets the level (default info), e.g. RUST_LOG=debug.
";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `stator serve`.
    Serve(ServeOptions),
    /// `stator get`.
    Get(GetOptions),
    /// `stator ws`.
    Ws(WsOptions),
    /// `--help` (anywhere): print [`HELP`].
    Help,
    /// `--version`.
    Version,
}

/// Which HTTP version `stator get` insists on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HttpChoice {
    /// ALPN over TLS (h2 preferred), HTTP/1.1 in cleartext.
    #[default]
    Auto,
    /// `--http1.1`.
    Http11,
    /// `--http2`.
    Http2,
}

/// `stator get URL [--http1.1|--http2] [-v] [-d DATA] [--cacert FILE]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetOptions {
    /// The URL (`http` or `https`).
    pub url: http::Uri,
    /// The HTTP version to use.
    pub version: HttpChoice,
    /// Print the response head.
    pub verbose: bool,
    /// A POST body (`-d`), as given (an `@FILE` is read when the command runs).
    pub data: Option<String>,
    /// `--cacert`: PEM roots to trust for `https` (read when the command runs).
    pub cacert: Option<PathBuf>,
}

/// `stator ws URL [--cacert FILE]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WsOptions {
    /// The URL (`ws`, `wss`, `http` or `https`).
    pub url: http::Uri,
    /// `--cacert`: PEM roots to trust for `wss`/`https` (read when the command runs).
    pub cacert: Option<PathBuf>,
}

/// Why a command line was refused; printed with a pointer to `--help`, exit status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArgError {
    /// No subcommand.
    MissingCommand,
    /// A subcommand we do not have.
    UnknownCommand(String),
    /// A flag the subcommand does not have.
    UnknownFlag {
        /// The subcommand.
        command: &'static str,
        /// The flag.
        flag: String,
    },
    /// A flag that takes a value came last.
    MissingValue(&'static str),
    /// A value that does not parse.
    BadValue {
        /// The flag or argument.
        what: &'static str,
        /// The value given.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The URL argument is missing.
    MissingUrl(&'static str),
    /// A second positional argument.
    Unexpected(String),
    /// Flags that do not go together, or one that needs another.
    Conflict(&'static str),
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgError::MissingCommand => f.write_str("no command given (serve, get or ws)"),
            ArgError::UnknownCommand(c) => {
                write!(f, "unknown command {c:?} (serve, get or ws)")
            }
            ArgError::UnknownFlag { command, flag } => {
                write!(f, "`stator {command}` has no option {flag:?}")
            }
            ArgError::MissingValue(flag) => write!(f, "{flag} needs a value"),
            ArgError::BadValue {
                what,
                value,
                expected,
            } => write!(f, "{what} {value:?}: expected {expected}"),
            ArgError::MissingUrl(command) => write!(f, "`stator {command}` needs a URL"),
            ArgError::Unexpected(arg) => write!(f, "unexpected argument {arg:?}"),
            ArgError::Conflict(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for ArgError {}

/// Parses the arguments after the program name.
///
/// ```
/// use stator_cli::args::{Command, parse};
///
/// let Ok(Command::Serve(options)) = parse(["serve", "--plain", "--addr", "127.0.0.1:0"]) else {
///     panic!("a serve command");
/// };
/// assert!(options.plain);
/// assert!(parse(["serve", "--cert", "cert.pem"]).is_err()); // --key is missing
/// ```
pub fn parse<I, S>(args: I) -> Result<Command, ArgError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let args: Vec<String> = args.into_iter().map(Into::into).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        return Ok(Command::Help);
    }
    let mut args = args.into_iter();
    match args.next().as_deref() {
        None => Err(ArgError::MissingCommand),
        Some("--version" | "-V") => Ok(Command::Version),
        Some("help") => Ok(Command::Help),
        Some("serve") => parse_serve(args).map(Command::Serve),
        Some("get") => parse_get(args).map(Command::Get),
        Some("ws") => parse_ws(args).map(Command::Ws),
        Some(other) => Err(ArgError::UnknownCommand(other.to_owned())),
    }
}

/// Splits `--flag=value` into its parts; other arguments pass unchanged.
fn split_eq(arg: &str) -> (&str, Option<&str>) {
    match arg.split_once('=') {
        Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
        _ => (arg, None),
    }
}

/// The value of `flag`: after `=` or the next argument.
fn value(
    flag: &'static str,
    inline: Option<&str>,
    rest: &mut impl Iterator<Item = String>,
) -> Result<String, ArgError> {
    match inline {
        Some(v) => Ok(v.to_owned()),
        None => rest.next().ok_or(ArgError::MissingValue(flag)),
    }
}

fn parse_serve(mut args: impl Iterator<Item = String>) -> Result<ServeOptions, ArgError> {
    let mut options = ServeOptions::default();
    while let Some(arg) = args.next() {
        let (flag, inline) = split_eq(&arg);
        match flag {
            "--addr" => {
                let v = value("--addr", inline, &mut args)?;
                let addr = v.parse::<SocketAddr>().map_err(|_| ArgError::BadValue {
                    what: "--addr",
                    value: v.clone(),
                    expected: "IP:PORT, e.g. 0.0.0.0:8443 or [::1]:8443",
                })?;
                options.addr = Some(addr);
            }
            "--cert" => options.cert = Some(PathBuf::from(value("--cert", inline, &mut args)?)),
            "--key" => options.key = Some(PathBuf::from(value("--key", inline, &mut args)?)),
            "--root" => options.root = Some(PathBuf::from(value("--root", inline, &mut args)?)),
            "--plain" if inline.is_none() => options.plain = true,
            _ => {
                return Err(ArgError::UnknownFlag {
                    command: "serve",
                    flag: arg,
                });
            }
        }
    }
    match (&options.cert, &options.key) {
        (Some(_), None) => return Err(ArgError::Conflict("--cert needs --key")),
        (None, Some(_)) => return Err(ArgError::Conflict("--key needs --cert")),
        _ => {}
    }
    if options.plain && options.cert.is_some() {
        return Err(ArgError::Conflict(
            "--plain serves cleartext: no --cert/--key",
        ));
    }
    Ok(options)
}

fn parse_url(
    what: &'static str,
    v: &str,
    schemes: &[&str],
    expected: &'static str,
) -> Result<http::Uri, ArgError> {
    let bad = || ArgError::BadValue {
        what,
        value: v.to_owned(),
        expected,
    };
    let url = v.parse::<http::Uri>().map_err(|_| bad())?;
    let scheme_ok = url.scheme_str().is_some_and(|s| schemes.contains(&s));
    if !scheme_ok || url.host().is_none() {
        return Err(bad());
    }
    Ok(url)
}

fn parse_get(mut args: impl Iterator<Item = String>) -> Result<GetOptions, ArgError> {
    let mut url = None;
    let mut version = HttpChoice::Auto;
    let mut verbose = false;
    let mut data = None;
    let mut cacert = None;
    while let Some(arg) = args.next() {
        let (flag, inline) = split_eq(&arg);
        match flag {
            "--http1.1" if inline.is_none() => {
                if version == HttpChoice::Http2 {
                    return Err(ArgError::Conflict("choose one of --http1.1 and --http2"));
                }
                version = HttpChoice::Http11;
            }
            "--http2" if inline.is_none() => {
                if version == HttpChoice::Http11 {
                    return Err(ArgError::Conflict("choose one of --http1.1 and --http2"));
                }
                version = HttpChoice::Http2;
            }
            "-v" | "--verbose" if inline.is_none() => verbose = true,
            "-d" | "--data" => data = Some(value("-d", inline, &mut args)?),
            "--cacert" => cacert = Some(PathBuf::from(value("--cacert", inline, &mut args)?)),
            _ if flag.starts_with('-') && flag.len() > 1 => {
                return Err(ArgError::UnknownFlag {
                    command: "get",
                    flag: arg,
                });
            }
            _ if url.is_some() => return Err(ArgError::Unexpected(arg)),
            _ => {
                url = Some(parse_url(
                    "URL",
                    &arg,
                    &["http", "https"],
                    "an http:// or https:// URL",
                )?);
            }
        }
    }
    Ok(GetOptions {
        url: url.ok_or(ArgError::MissingUrl("get"))?,
        version,
        verbose,
        data,
        cacert,
    })
}

fn parse_ws(mut args: impl Iterator<Item = String>) -> Result<WsOptions, ArgError> {
    let mut url = None;
    let mut cacert = None;
    while let Some(arg) = args.next() {
        let (flag, inline) = split_eq(&arg);
        match flag {
            "--cacert" => cacert = Some(PathBuf::from(value("--cacert", inline, &mut args)?)),
            _ if flag.starts_with('-') && flag.len() > 1 => {
                return Err(ArgError::UnknownFlag {
                    command: "ws",
                    flag: arg,
                });
            }
            _ if url.is_some() => return Err(ArgError::Unexpected(arg)),
            _ => {
                url = Some(parse_url(
                    "URL",
                    &arg,
                    &["ws", "wss", "http", "https"],
                    "a ws://, wss://, http:// or https:// URL",
                )?);
            }
        }
    }
    Ok(WsOptions {
        url: url.ok_or(ArgError::MissingUrl("ws"))?,
        cacert,
    })
}
