//! One module per command.

mod receive;
mod serve;

/// The commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Runs the HTTP API and the notification delivery worker.
    Serve(serve::ServeArgs),
    /// Runs a webhook receiver that checks and prints each delivery (for trying plugins
    /// and notifications).
    Receive(receive::ReceiveArgs),
}

impl Command {
    /// Runs the command to its end.
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Serve(args) => serve::run(args),
            Command::Receive(args) => receive::run(args),
        }
    }
}
