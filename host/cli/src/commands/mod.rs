//! One module per command.

mod serve;

/// The commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Runs the HTTP API and the notification delivery worker.
    Serve(serve::ServeArgs),
}

impl Command {
    /// Runs the command to its end.
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Serve(args) => serve::run(args),
        }
    }
}
