//! The Autobahn WebSocket test cases (RFC 6455 + RFC 7692, sections 1–13) in both roles.
//!
//! The `PyPI` package `autobahntestsuite` is Python 2 code that does not run here; `kosoku` runs the
//! original case files on Python 3. Server role: kosoku's fuzzingclient drives the
//! `autobahn_server` example (an echo server on stator-ws over `std::net`). Client role:
//! kosoku's fuzzingserver is driven by the `autobahn_client` example (the standard
//! getCaseCount / runCase / updateReports loop).
//!
//! kosoku's exit code counts UNIMPLEMENTED as a failure, so the verdicts are read from
//! `index.json` and compared case by case with `interop/autobahn/expected-{server,client}.json`
//! (like tungstenite's expected-results.json). `STATOR_BLESS=1` rewrites those files from the
//! fresh run instead of comparing.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::cmd::{free_addr, spawn, wait_for};
use crate::interop::Toolbox;
use crate::{Result, cmd, root};

/// Per case: `(behavior, behaviorClose)`.
type Verdicts = BTreeMap<String, (String, String)>;

pub(crate) fn run(tb: &Toolbox) -> Result {
    let mut build = cmd::new(
        "cargo",
        &["build", "--release", "--locked", "-p", "stator-ws"],
    );
    build.args([
        "--example",
        "autobahn_server",
        "--example",
        "autobahn_client",
    ]);
    cmd::run(&mut build)?;
    let examples = cmd::target_dir().join("release/examples");
    let out = root().join("target/interop/autobahn");
    let kosoku = tb.venv_bin("kosoku");
    let kosoku = kosoku.to_string_lossy();

    // Server role.
    let addr = free_addr()?;
    let server_dir = out.join("server");
    let _ = std::fs::remove_dir_all(&server_dir);
    let _server = spawn(cmd::new(
        &examples.join("autobahn_server").to_string_lossy(),
        &[addr.to_string()],
    ))?;
    wait_for(addr)?;
    let mut client = cmd::new(&kosoku, &["-m", "fuzzingclient", "-p", "2", "-o"]);
    client.arg(&server_dir).arg(addr.to_string());
    // The exit code counts UNIMPLEMENTED as failed: the verdicts are judged below.
    let _ = cmd::run(&mut client);
    let server = verdicts(&server_dir)?;

    // Client role.
    let addr = free_addr()?;
    let client_dir = out.join("client");
    let _ = std::fs::remove_dir_all(&client_dir);
    let mut fuzzing_server = cmd::new(&kosoku, &["-m", "fuzzingserver", "-o"]);
    fuzzing_server.arg(&client_dir).arg(addr.to_string());
    let kosoku_server = spawn(fuzzing_server)?;
    wait_for(addr)?;
    cmd::run(&mut cmd::new(
        &examples.join("autobahn_client").to_string_lossy(),
        &[format!("ws://{addr}"), "stator".to_owned()],
    ))?;
    wait_for_file(&client_dir.join("index.json"), Duration::from_secs(30))?;
    drop(kosoku_server);
    let client = verdicts(&client_dir)?;

    println!("\nserver role (kosoku fuzzingclient -> stator-ws):");
    print_summary(&server);
    println!("\nclient role (stator-ws -> kosoku fuzzingserver):");
    print_summary(&client);

    let expected = root().join("interop/autobahn");
    if std::env::var_os("STATOR_BLESS").is_some_and(|v| v == "1") {
        write_expected(&expected.join("expected-server.json"), &server)?;
        write_expected(&expected.join("expected-client.json"), &client)?;
        println!("blessed: wrote interop/autobahn/expected-*.json");
        return Ok(());
    }
    let mut problems = compare(
        "server",
        &read_expected(&expected.join("expected-server.json"))?,
        &server,
    );
    problems.extend(compare(
        "client",
        &read_expected(&expected.join("expected-client.json"))?,
        &client,
    ));
    if problems.is_empty() {
        println!("autobahn: every case matches the committed expectations");
        Ok(())
    } else {
        for p in &problems {
            eprintln!("  {p}");
        }
        Err(format!(
            "{} Autobahn case(s) differ from the expectations (reports in {})",
            problems.len(),
            out.display()
        ))
    }
}

fn wait_for_file(path: &Path, limit: Duration) -> Result {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if path.is_file() {
            // Let the writer finish the file.
            std::thread::sleep(Duration::from_millis(500));
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("{} did not appear", path.display()))
}

/// The verdicts of the one agent in a kosoku `index.json`.
pub(crate) fn verdicts(dir: &Path) -> Result<Verdicts> {
    let path = dir.join("index.json");
    let index: Value =
        serde_json::from_str(&cmd::read(&path)?).map_err(|e| format!("{}: {e}", path.display()))?;
    let agents = index.as_object().ok_or("index.json: not an object")?;
    let (_, cases) = agents.iter().next().ok_or("index.json: no agent")?;
    let cases = cases
        .as_object()
        .ok_or("index.json: cases are not an object")?;
    Ok(parse_cases(cases))
}

pub(crate) fn read_expected(path: &Path) -> Result<Verdicts> {
    let v: Value =
        serde_json::from_str(&cmd::read(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
    let cases = v
        .as_object()
        .ok_or_else(|| format!("{}: not an object", path.display()))?;
    Ok(parse_cases(cases))
}

/// `{ "1.1.1": { "behavior": .., "behaviorClose": .. }, .. }`: the shape of both a kosoku
/// agent's results and our expectations.
fn parse_cases(cases: &Map<String, Value>) -> Verdicts {
    cases
        .iter()
        .map(|(id, c)| {
            let field = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("?").to_owned();
            (id.clone(), (field("behavior"), field("behaviorClose")))
        })
        .collect()
}

fn write_expected(path: &Path, v: &Verdicts) -> Result {
    let mut cases: Vec<(&String, &(String, String))> = v.iter().collect();
    cases.sort_by_key(|(id, _)| case_key(id));
    let mut map = Map::new();
    for (id, (b, bc)) in cases {
        let mut c = Map::new();
        c.insert("behavior".into(), Value::String(b.clone()));
        c.insert("behaviorClose".into(), Value::String(bc.clone()));
        map.insert(id.clone(), Value::Object(c));
    }
    let text = serde_json::to_string_pretty(&Value::Object(map)).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

/// Case ids sort numerically by component ("9.10.1" after "9.2.1").
fn case_key(id: &str) -> Vec<u32> {
    id.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

pub(crate) fn compare(role: &str, expected: &Verdicts, got: &Verdicts) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, want) in expected {
        match got.get(id) {
            None => problems.push(format!("{role} {id}: expected {want:?}, case did not run")),
            Some(have) if have != want => {
                problems.push(format!("{role} {id}: expected {want:?}, got {have:?}"));
            }
            Some(_) => {}
        }
    }
    for id in got.keys().filter(|id| !expected.contains_key(*id)) {
        problems.push(format!("{role} {id}: ran but has no expectation"));
    }
    problems
}

/// One line per section: how many cases got each verdict; a markdown table, so it can go
/// into docs/CONFORMANCE.md as printed.
pub(crate) fn print_summary(v: &Verdicts) {
    const KINDS: [&str; 5] = [
        "OK",
        "NON-STRICT",
        "INFORMATIONAL",
        "UNIMPLEMENTED",
        "FAILED",
    ];
    let mut sections: BTreeMap<u32, [usize; 5]> = BTreeMap::new();
    for (id, (behavior, close)) in v {
        let section = case_key(id).first().copied().unwrap_or(0);
        // A case is as bad as the worse of its two verdicts.
        let rank = |b: &str| KINDS.iter().position(|k| *k == b).unwrap_or(4);
        let worst = rank(behavior).max(rank(close));
        if let Some(n) = sections.entry(section).or_default().get_mut(worst) {
            *n += 1;
        }
    }
    println!("| section | {} |", KINDS.join(" | "));
    println!("|---|---|---|---|---|---|");
    let mut total = [0usize; 5];
    for (s, counts) in &sections {
        let cells: Vec<String> = counts.iter().map(usize::to_string).collect();
        println!("| {s} | {} |", cells.join(" | "));
        for (t, c) in total.iter_mut().zip(counts) {
            *t += c;
        }
    }
    let cells: Vec<String> = total.iter().map(usize::to_string).collect();
    println!("| all | {} |", cells.join(" | "));
}
