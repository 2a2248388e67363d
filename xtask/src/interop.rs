//! `cargo xtask interop`: real third-party peers against Stator.
//!
//! Each suite names the tools it needs; the command installs those that are missing
//! (Debian packages with apt-get, Python packages into a venv under `target/interop/` from
//! the pinned `interop/requirements.txt`), prints the version of every peer, then runs the
//! suites named on the command line, or all of them. Installing is idempotent: a second
//! run finds everything in place and starts the suites at once.

use std::path::{Path, PathBuf};

use crate::{Result, cmd, root};

/// A Debian package and the program it provides, probed with `version_args`.
pub(crate) struct AptTool {
    pub(crate) package: &'static str,
    pub(crate) program: &'static str,
    pub(crate) version_args: &'static [&'static str],
}

/// The tools every suite can count on. Suites join [`SUITES`] as the machines they test
/// land; until then the toolbox is still installed and checked so the plumbing is proven.
const APT_TOOLS: &[AptTool] = &[
    AptTool {
        package: "curl",
        program: "curl",
        version_args: &["--version"],
    },
    // nghttp and h2load: HTTP/2 client and load generator (the `h2` suite).
    AptTool {
        package: "nghttp2-client",
        program: "nghttp",
        version_args: &["--version"],
    },
];

/// An interop suite: a name, what it proves, and how to run it.
struct Suite {
    name: &'static str,
    about: &'static str,
    run: fn(&Toolbox) -> Result,
}

/// The suites, in the order `interop` runs them.
const SUITES: &[Suite] = &[
    Suite {
        name: "curl",
        about: "curl against a stator-h1 server: keep-alive, chunked, trailers, 100-continue, HEAD",
        run: crate::curl::run,
    },
    Suite {
        name: "h2",
        about: "nghttp, h2load and python h2+wsproto (RFC 8441) against a stator-h2 h2c server",
        run: crate::h2::run,
    },
    Suite {
        name: "autobahn",
        about: "Autobahn WebSocket cases 1-13 via kosoku, stator-ws as server and as client",
        run: crate::autobahn::run,
    },
    Suite {
        name: "qpack",
        about: "QPACK against ls-qpack (pylsqpack) both ways over every QIF file",
        run: crate::qpack::run,
    },
    Suite {
        name: "serve",
        about: "curl, nghttp, websockets, h2+wsproto, Autobahn and headless Chromium against `stator serve`",
        run: crate::serve::run,
    },
];

/// What the suites get: paths to the installed peers.
pub(crate) struct Toolbox {
    /// The venv holding the Python peers of `interop/requirements.txt`.
    pub(crate) venv: PathBuf,
}

impl Toolbox {
    /// A program installed in the venv (`python`, `kosoku`, ...).
    pub(crate) fn venv_bin(&self, name: &str) -> PathBuf {
        self.venv.join("bin").join(name)
    }
}

pub(crate) fn main(args: &[String]) -> Result {
    if args.iter().any(|a| a == "--list") {
        if SUITES.is_empty() {
            println!("(no suites yet: the toolbox is installed and checked)");
        }
        for s in SUITES {
            println!("{:<16} {}", s.name, s.about);
        }
        return Ok(());
    }
    if let Some(opt) = args.iter().find(|a| a.starts_with('-')) {
        return Err(format!("interop: unknown option {opt}"));
    }
    let selected: Vec<&Suite> = if args.is_empty() {
        SUITES.iter().collect()
    } else {
        args.iter()
            .map(|n| {
                SUITES.iter().find(|s| s.name == n).ok_or_else(|| {
                    let have: Vec<_> = SUITES.iter().map(|s| s.name).collect();
                    format!("no interop suite named {n}; have: {}", have.join(", "))
                })
            })
            .collect::<Result<_>>()?
    };

    ensure_apt(APT_TOOLS)?;
    let toolbox = Toolbox {
        venv: ensure_venv()?,
    };
    print_versions(&toolbox)?;

    let mut failed = Vec::new();
    for s in &selected {
        println!("== interop suite {}: {}", s.name, s.about);
        if let Err(e) = (s.run)(&toolbox) {
            eprintln!("interop suite {} failed: {e}", s.name);
            failed.push(s.name);
        }
    }
    if failed.is_empty() {
        println!("interop: {} suite(s) passed", selected.len());
        Ok(())
    } else {
        Err(format!("interop suites failed: {}", failed.join(", ")))
    }
}

fn installed(package: &str) -> bool {
    cmd::probe(&mut cmd::new(
        "dpkg-query",
        &["-W", "-f=${Status}", package],
    ))
    .is_some_and(|s| s.contains("install ok installed"))
}

/// Installs the Debian packages of `tools` that are missing (suites with peers of their
/// own, like `serve`'s Chromium, call it too).
pub(crate) fn ensure_apt(tools: &[AptTool]) -> Result {
    let missing: Vec<&str> = tools
        .iter()
        .filter(|t| !installed(t.package))
        .map(|t| t.package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut update = cmd::new("apt-get", &["update", "-qq"]);
    cmd::run(update.env("DEBIAN_FRONTEND", "noninteractive"))
        .map_err(|e| format!("{e} (installing Debian packages needs root)"))?;
    let mut install = cmd::new(
        "apt-get",
        &["install", "-y", "-qq", "--no-install-recommends"],
    );
    install
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive");
    cmd::run(&mut install)
}

/// Creates `target/interop/venv` and installs the pinned requirements into it, unless the
/// venv already holds exactly those.
fn ensure_venv() -> Result<PathBuf> {
    let requirements = root().join("interop/requirements.txt");
    let wanted = cmd::read(&requirements)?;
    let venv = root().join("target/interop/venv");
    let stamp = venv.join("stator-requirements.txt");
    let python = venv.join("bin/python");
    if python.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return Ok(venv);
    }
    if !python.exists() {
        let py = ["python3", "python"]
            .into_iter()
            .find(|p| cmd::exists(p))
            .ok_or("no python3 on PATH: the Python peers need CPython 3.9 or later with venv")?;
        cmd::run(cmd::new(py, &["-m", "venv"]).arg(&venv))?;
    }
    let pip = |args: &[&str]| {
        let mut c = cmd::new(&python.to_string_lossy(), &["-m", "pip"]);
        c.args(args).args(["-q", "--disable-pip-version-check"]);
        cmd::run(&mut c)
    };
    pip(&["install", "-r", &requirements.to_string_lossy()])?;
    std::fs::write(&stamp, wanted).map_err(|e| format!("{}: {e}", stamp.display()))?;
    Ok(venv)
}

/// The `name==version` lines of a requirements file.
fn pinned(requirements: &str) -> Vec<&str> {
    requirements
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter_map(|l| l.split_once("==").map(|(name, _)| name.trim()))
        .collect()
}

fn print_versions(toolbox: &Toolbox) -> Result {
    println!("interop peers:");
    for t in APT_TOOLS {
        println!(
            "  {:<12} {}",
            t.program,
            cmd::version(t.program, t.version_args)
        );
    }
    let requirements = cmd::read(&root().join("interop/requirements.txt"))?;
    let python = toolbox.venv.join("bin/python");
    println!(
        "  {:<12} {}",
        "python",
        cmd::version(&python.to_string_lossy(), &["--version"])
    );
    for name in pinned(&requirements) {
        println!("  {:<12} {}", name, venv_package_version(&python, name)?);
    }
    Ok(())
}

/// The installed version of a venv package, checked by importing nothing: pip's record of
/// what is installed must match the pin, or the venv is broken.
fn venv_package_version(python: &Path, name: &str) -> Result<String> {
    let out = cmd::probe(&mut cmd::new(
        &python.to_string_lossy(),
        &["-m", "pip", "show", name],
    ))
    .ok_or_else(|| format!("{name} is not installed in {}", python.display()))?;
    out.lines()
        .find_map(|l| l.strip_prefix("Version:").map(|v| v.trim().to_owned()))
        .ok_or_else(|| format!("pip show {name}: no version"))
}
