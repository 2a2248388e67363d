//! The `stator` command; see `stator --help` and the `stator_cli` library.

use std::process::ExitCode;

use stator_cli::args::{self, Command, HELP};
use stator_cli::{client, serve};

fn main() -> ExitCode {
    let mut arguments = Vec::new();
    for argument in std::env::args_os().skip(1) {
        match argument.into_string() {
            Ok(argument) => arguments.push(argument),
            Err(raw) => {
                eprintln!(
                    "stator: argument {:?} is not UTF-8",
                    raw.display().to_string()
                );
                return ExitCode::from(2);
            }
        }
    }
    let command = match args::parse(arguments) {
        Ok(command) => command,
        Err(e) => {
            eprintln!("stator: {e}\nTry `stator --help`.");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Command::Version => {
            println!("stator {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    stator_cli::init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("stator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match &command {
            Command::Serve(options) => serve::run(options).await.map_err(|e| (e.to_string(), 1)),
            Command::Get(options) => client::get(options)
                .await
                .map_err(|e| (e.to_string(), e.exit_status())),
            Command::Ws(options) => client::ws(options)
                .await
                .map_err(|e| (e.to_string(), e.exit_status())),
            _ => Ok(()),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err((message, status)) => {
            eprintln!("stator: {message}");
            ExitCode::from(status)
        }
    }
}
