//! What one plugin invocation did: its outcome and what it cost. This is what a plugin
//! author reads first, so every fault says plainly which limit was hit.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use wasmtime::Trap;

use super::LogCeilings;
use super::limits::{MemoryLimitExceeded, TableLimitExceeded};

/// Why a plugin invocation did not produce a usable answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Fault {
    /// The plugin used up its instruction budget ([`Limits::fuel`](super::Limits::fuel)).
    FuelExhausted,
    /// The plugin ran past its wall-clock deadline.
    Timeout,
    /// The plugin asked for more linear memory than its cap.
    MemoryLimit,
    /// The plugin grew a table beyond its cap.
    TableLimit,
    /// The plugin exhausted the wasm call stack (usually unbounded recursion).
    StackOverflow,
    /// The plugin returned more than [`Limits::max_result_bytes`](super::Limits::max_result_bytes).
    ResultTooLarge {
        /// The size of what it returned, as the limit measures it.
        bytes: usize,
    },
    /// The plugin's answer broke the contract (e.g. a violation path that is not a JSON
    /// Pointer).
    InvalidOutput {
        /// What was wrong.
        reason: String,
    },
    /// The plugin trapped: a panic, an out-of-bounds access, an `unreachable`…
    Trap {
        /// The trap as wasmtime describes it.
        message: String,
        /// The panic that caused it, with its location (`panicked at src/lib.rs:12:5:
        /// …`), when the plugin logged one as its last line before the trap (the guest
        /// SDK's panic hook does): the trap alone only says `unreachable`.
        #[serde(skip_serializing_if = "Option::is_none")]
        panic: Option<String>,
    },
    /// The host could not run the plugin at all (e.g. the instance pool is exhausted).
    Unavailable {
        /// Why.
        message: String,
    },
}

impl Fault {
    /// A short, stable name of the fault kind, e.g. `fuelExhausted`.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::FuelExhausted => "fuelExhausted",
            Fault::Timeout => "timeout",
            Fault::MemoryLimit => "memoryLimit",
            Fault::TableLimit => "tableLimit",
            Fault::StackOverflow => "stackOverflow",
            Fault::ResultTooLarge { .. } => "resultTooLarge",
            Fault::InvalidOutput { .. } => "invalidOutput",
            Fault::Trap { .. } => "trap",
            Fault::Unavailable { .. } => "unavailable",
        }
    }

    /// Classifies an error raised while instantiating or calling a plugin.
    pub(crate) fn from_error(err: &wasmtime::Error) -> Fault {
        if let Some(trap) = err.downcast_ref::<Trap>() {
            return match trap {
                Trap::OutOfFuel => Fault::FuelExhausted,
                Trap::Interrupt => Fault::Timeout,
                Trap::StackOverflow => Fault::StackOverflow,
                other => Fault::Trap {
                    message: other.to_string(),
                    panic: None,
                },
            };
        }
        if err.downcast_ref::<MemoryLimitExceeded>().is_some() {
            return Fault::MemoryLimit;
        }
        if err.downcast_ref::<TableLimitExceeded>().is_some() {
            return Fault::TableLimit;
        }
        Fault::Trap {
            message: format!("{err:#}"),
            panic: None,
        }
    }
}

impl Fault {
    /// Classifies an error raised while creating the instance: limits and traps as in
    /// [`Fault::from_error`], anything else (an exhausted instance pool) as
    /// [`Fault::Unavailable`].
    pub(crate) fn from_instantiate_error(err: &wasmtime::Error) -> Fault {
        let is_plugin_fault = err.downcast_ref::<Trap>().is_some()
            || err.downcast_ref::<MemoryLimitExceeded>().is_some()
            || err.downcast_ref::<TableLimitExceeded>().is_some();
        if is_plugin_fault {
            Fault::from_error(err)
        } else {
            Fault::Unavailable {
                message: format!("{err:#}"),
            }
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::FuelExhausted => f.write_str("instruction budget (fuel) exhausted"),
            Fault::Timeout => f.write_str("deadline exceeded"),
            Fault::MemoryLimit => f.write_str("memory limit exceeded"),
            Fault::TableLimit => f.write_str("table limit exceeded"),
            Fault::StackOverflow => f.write_str("stack overflow"),
            Fault::ResultTooLarge { bytes } => write!(f, "result too large ({bytes} bytes)"),
            Fault::InvalidOutput { reason } => write!(f, "invalid output: {reason}"),
            Fault::Trap {
                panic: Some(panic), ..
            } => write!(f, "trap: {panic}"),
            Fault::Trap { message, .. } => write!(f, "trap: {message}"),
            Fault::Unavailable { message } => write!(f, "unavailable: {message}"),
        }
    }
}

/// How a plugin's panic hook starts the log line it writes before the trap (the guest
/// SDK's writes `panicked at <file>:<line>:<column>: <message>`, at level `error`).
pub const PANIC_PREFIX: &str = "panicked at ";

impl Fault {
    /// Attaches the panic a trap came from, when the run's last log line is one.
    pub(crate) fn with_panic_from(self, log: &PluginLog) -> Fault {
        match self {
            Fault::Trap {
                message,
                panic: None,
            } => {
                let panic = log
                    .lines
                    .last()
                    .filter(|l| l.level == LogLevel::Error && l.message.starts_with(PANIC_PREFIX))
                    .map(|l| l.message.clone());
                Fault::Trap { message, panic }
            }
            other => other,
        }
    }
}

/// Severity of a plugin log line, as the plugin chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// One line a plugin logged through the `log` import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// Its severity.
    pub level: LogLevel,
    /// Its text (cut to [`MAX_LOG_LINE_BYTES`]).
    pub message: String,
}

/// Longer log lines are cut to this many bytes.
pub const MAX_LOG_LINE_BYTES: usize = 1024;

/// The bounded log of one invocation.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginLog {
    /// The kept lines, in order.
    pub lines: Vec<LogLine>,
    /// Lines dropped because the run's [log ceilings](super::SandboxConfig::log) were
    /// reached.
    pub dropped: usize,
}

impl PluginLog {
    pub(crate) fn push(&mut self, level: LogLevel, mut message: String, ceilings: &LogCeilings) {
        if message.len() > MAX_LOG_LINE_BYTES {
            let mut cut = MAX_LOG_LINE_BYTES;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        // At most `ceilings.lines` lines, so summing them is cheap.
        let kept: usize = self.lines.iter().map(|l| l.message.len()).sum();
        if self.lines.len() >= ceilings.lines || kept + message.len() > ceilings.bytes {
            self.dropped += 1;
            return;
        }
        self.lines.push(LogLine { level, message });
    }
}

/// The outcome and cost of one plugin invocation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run<T> {
    /// What the plugin answered, or why it could not.
    pub outcome: Result<T, Fault>,
    /// Fuel (≈ wasm instructions) consumed.
    pub fuel_consumed: u64,
    /// The largest linear memory the plugin had, in bytes.
    pub memory_peak: usize,
    /// Time to create the fresh instance; serialized as `instantiateUs`, in microseconds.
    #[serde(rename = "instantiateUs", with = "micros")]
    pub instantiate_time: Duration,
    /// Total time, instantiation included; serialized as `durationUs`, in microseconds.
    #[serde(rename = "durationUs", with = "micros")]
    pub duration: Duration,
    /// What the plugin logged.
    pub log: PluginLog,
}

impl<T> Run<T> {
    /// The same run with its answer checked or converted by `f`: an answer `f` refuses
    /// becomes that fault, with the run's costs kept.
    pub(crate) fn and_then<U>(self, f: impl FnOnce(T) -> Result<U, Fault>) -> Run<U> {
        Run {
            outcome: self.outcome.and_then(f),
            fuel_consumed: self.fuel_consumed,
            memory_peak: self.memory_peak,
            instantiate_time: self.instantiate_time,
            duration: self.duration,
            log: self.log,
        }
    }

    /// A run that never started.
    pub(crate) fn refused(fault: Fault) -> Self {
        Self {
            outcome: Err(fault),
            fuel_consumed: 0,
            memory_peak: 0,
            instantiate_time: Duration::ZERO,
            duration: Duration::ZERO,
            log: PluginLog::default(),
        }
    }
}

/// Serializes a [`Duration`] as fractional microseconds, the unit plugin costs are read
/// in. Fields using it say so in their serialized name (`…Us`).
pub(crate) mod micros {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64() * 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_lines_and_bytes_up_to_its_ceilings_and_counts_the_rest() {
        let ceilings = LogCeilings {
            lines: 3,
            bytes: 10,
        };
        let mut log = PluginLog::default();
        for message in ["four", "five5", "x", "y", "z"] {
            log.push(LogLevel::Info, message.to_owned(), &ceilings);
        }
        let kept: Vec<&str> = log.lines.iter().map(|l| l.message.as_str()).collect();
        // `four` + `five5` is 9 bytes: `x` fits (10), then the line ceiling (3) is reached.
        assert_eq!(kept, ["four", "five5", "x"]);
        assert_eq!(log.dropped, 2);
    }

    #[test]
    fn durations_serialize_in_microseconds_under_names_that_say_so() {
        let run = Run::<()>::refused(Fault::Timeout);
        let run = Run {
            instantiate_time: Duration::from_micros(6),
            duration: Duration::from_micros(1500),
            ..run
        };
        let json = serde_json::to_value(&run).unwrap();
        assert_eq!(json["instantiateUs"], 6.0);
        assert_eq!(json["durationUs"], 1500.0);
        assert!(json.get("instantiateTime").is_none() && json.get("duration").is_none());
    }
}
