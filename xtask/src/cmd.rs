//! Running external commands, loudly: every command is printed before it runs.

use std::ffi::OsStr;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

/// Builds a command from a program and its arguments.
pub(crate) fn new<S: AsRef<OsStr>>(program: &str, args: &[S]) -> Command {
    let mut c = Command::new(program);
    c.args(args);
    c
}

fn describe(c: &Command) -> String {
    let mut s = c.get_program().to_string_lossy().into_owned();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    if let Some(dir) = c.get_current_dir() {
        s.push_str("    (in ");
        s.push_str(&dir.to_string_lossy());
        s.push(')');
    }
    s
}

/// Runs `c` with inherited output; fails unless it exits successfully.
pub(crate) fn run(c: &mut Command) -> Result {
    let what = describe(c);
    println!("+ {what}");
    let status = c.status().map_err(|e| format!("{what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what}: {status}"))
    }
}

/// Runs `c` quietly and returns its standard output, or `None` if it cannot start or
/// fails: for probing what is installed.
pub(crate) fn probe(c: &mut Command) -> Option<String> {
    let out = c.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether `program` can be started at all.
pub(crate) fn exists(program: &str) -> bool {
    probe(&mut new(program, &["--version"])).is_some()
}

/// The first line of `program --version`, or "not installed".
pub(crate) fn version(program: &str, args: &[&str]) -> String {
    probe(&mut new(program, args))
        .and_then(|s| s.lines().find(|l| !l.trim().is_empty()).map(str::to_owned))
        .unwrap_or_else(|| "not installed".to_owned())
}

/// Reads a file to a string, with the path in the error.
pub(crate) fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Kills a child process when dropped, so a failing step leaves nothing running.
pub(crate) struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `c` in the background; it is killed when the guard drops.
pub(crate) fn spawn(mut c: Command) -> Result<Guard> {
    println!("+ {c:?} &");
    c.spawn().map(Guard).map_err(|e| format!("{c:?}: {e}"))
}

pub(crate) fn free_addr() -> Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    l.local_addr().map_err(|e| format!("local_addr: {e}"))
}

pub(crate) fn wait_for(addr: SocketAddr) -> Result {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("nothing listens on {addr} after 30 s"))
}

/// Where cargo puts build output: `CARGO_TARGET_DIR` when set, else `target/`.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| crate::root().join("target"), PathBuf::from)
}
