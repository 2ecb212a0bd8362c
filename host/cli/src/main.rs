//! `ordergate`: the command line of the ordergate service. This file only parses and
//! dispatches; each command lives in `commands/`, over libraries that know nothing of clap.

mod commands;
mod exit;

use clap::Parser;

/// ordergate: a WebAssembly rules engine for e-commerce orders, as a service.
#[derive(Debug, Parser)]
#[command(name = "ordergate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command.run() {
        Ok(status) => status.into(),
        Err(failure) => {
            // The logger may not be up (a bad flag): say it on stderr, with every cause.
            eprintln!("ordergate: {failure}");
            failure.status.into()
        }
    }
}
