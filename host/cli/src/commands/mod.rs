//! One module per command; `load` is what the plugin commands share.

mod build;
mod check;
mod load;
mod new;
mod receive;
mod replay;
mod run;
mod serve;
mod service;
mod shadow;

use crate::exit::{Failure, OrExit, Status};

/// The commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Runs the HTTP API and the notification delivery worker.
    Serve(serve::ServeArgs),
    /// Runs a webhook receiver that checks and prints each delivery (for trying plugins
    /// and notifications).
    Receive(receive::ReceiveArgs),
    /// Creates a plugin crate (validation or hook) that builds and passes its test at once.
    New(new::NewArgs),
    /// Builds the plugin crate here into a component ready to upload.
    Build(build::BuildArgs),
    /// Runs a plugin on an order as the service would, and prints what it decided and cost.
    /// Exit status: 0 accepted, 1 refused, 3 faulted, 4 component refused, 5 configuration
    /// refused, 6 bad input.
    Run(run::RunArgs),
    /// Says what a component is and whether the service would install it.
    Check(check::CheckArgs),
    /// Shows a shadow version's agreement with the active one, promotes or ends it.
    Shadow(shadow::ShadowArgs),
    /// Runs a local build on the inputs the service kept, and says where it decides
    /// otherwise than what happened.
    Replay(replay::ReplayArgs),
}

impl Command {
    /// Runs the command to its end: the status to exit with, or why it could not.
    pub fn run(self) -> Result<Status, Failure> {
        match self {
            Command::Serve(args) => serve::run(args)
                .or_exit(Status::Refused)
                .map(|()| Status::Accepted),
            Command::Receive(args) => receive::run(args)
                .or_exit(Status::Refused)
                .map(|()| Status::Accepted),
            Command::New(args) => new::run(args),
            Command::Build(args) => build::run(args),
            Command::Run(args) => run::run(args),
            Command::Check(args) => check::run(args),
            Command::Shadow(args) => shadow::run(args),
            Command::Replay(args) => replay::run(args),
        }
    }
}
