//! Log lines, kept (bounded) in the run report of the invocation that wrote them.
//!
//! These call the `ordergate:checkout/log` import, the only one the host offers.

/// Severity of a log line.
pub use crate::validation::ordergate::checkout::log::Level;

/// Writes `message` at `level`.
pub fn log(level: Level, message: impl AsRef<str>) {
    crate::validation::ordergate::checkout::log::log(level, message.as_ref());
}

/// Writes `message` at trace level.
pub fn trace(message: impl AsRef<str>) {
    log(Level::Trace, message);
}

/// Writes `message` at debug level.
pub fn debug(message: impl AsRef<str>) {
    log(Level::Debug, message);
}

/// Writes `message` at info level.
pub fn info(message: impl AsRef<str>) {
    log(Level::Info, message);
}

/// Writes `message` at warn level.
pub fn warn(message: impl AsRef<str>) {
    log(Level::Warn, message);
}

/// Writes `message` at error level.
pub fn error(message: impl AsRef<str>) {
    log(Level::Error, message);
}
