//! Exit statuses: a script that runs `ordergate run` or `ordergate check` tells a refused
//! order from a faulting plugin from a broken input by the status alone.

use std::fmt;
use std::process::ExitCode;

/// The exit statuses of the plugin author's commands. `serve` and `receive` exit 1 on any
/// error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 0: the plugin accepted (a hook: answered, its patch applies), or the command
    /// succeeded.
    Accepted,
    /// 1: the validation refused the order, or the hook's patch would be refused, or the
    /// hook failed itself; `serve` and `receive` failing.
    Refused,
    /// 3: the plugin faulted (trap, panic, fuel, deadline, memory, output).
    Faulted,
    /// 4: the component would not be installed: not WebAssembly, a core module, a
    /// forbidden import, the wrong world or WIT version.
    Component,
    /// 5: the plugin's `init` refused its configuration, or faulted on it.
    Config,
    /// 6: an input file is missing, not JSON, or not what it should be (an order, a
    /// change, a manifest).
    Input,
    /// 7: building failed (cargo, a missing target, the component encoding).
    Build,
    /// 8: the service refused the request or could not be reached.
    Service,
}

impl Status {
    /// The process exit code. (2 is clap's, for a bad command line.)
    pub fn code(self) -> u8 {
        match self {
            Status::Accepted => 0,
            Status::Refused => 1,
            Status::Faulted => 3,
            Status::Component => 4,
            Status::Config => 5,
            Status::Input => 6,
            Status::Build => 7,
            Status::Service => 8,
        }
    }
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        ExitCode::from(status.code())
    }
}

/// A command that could not do its work: the error to print and the status to exit with.
#[derive(Debug)]
pub struct Failure {
    /// The exit status.
    pub status: Status,
    /// What went wrong, with its causes.
    pub error: anyhow::Error,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

/// Turns any error into a [`Failure`] with a status.
pub trait OrExit<T> {
    /// This result, its error given `status`.
    fn or_exit(self, status: Status) -> Result<T, Failure>;
}

impl<T, E: Into<anyhow::Error>> OrExit<T> for Result<T, E> {
    fn or_exit(self, status: Status) -> Result<T, Failure> {
        self.map_err(|e| Failure {
            status,
            error: e.into(),
        })
    }
}

/// A failure with this status and message.
pub fn fail(status: Status, message: impl fmt::Display) -> Failure {
    Failure {
        status,
        error: anyhow::anyhow!("{message}"),
    }
}
