//! Per-plugin resource limits, and the store-side accounting that enforces the memory and
//! table caps while recording what a run actually used.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What one invocation of a plugin may consume.
///
/// Every field has a default chosen so that a well-behaved validation of a 200-line order
/// uses a small fraction of it, while a runaway plugin is stopped long before it can hurt
/// the host. A plugin's manifest may override each field (see [`LimitsOverride`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Instruction budget (wasmtime fuel, roughly one unit per wasm instruction).
    /// Default: 50 000 000.
    pub fuel: u64,
    /// Wall-clock deadline for one invocation, enforced with epoch interruption, so it also
    /// stops a plugin stuck in a host call or page-faulting. Default: 100 ms.
    pub deadline: Duration,
    /// Cap on the plugin's linear memory, in bytes. Default: 32 MiB.
    pub memory_bytes: usize,
    /// Cap on the elements of each table. Default: 10 000.
    pub table_elements: usize,
    /// Cap on what a plugin may return (the summed lengths of the strings it returns, plus
    /// 64 bytes per returned item). Default: 1 MiB.
    pub max_result_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 50_000_000,
            deadline: Duration::from_millis(100),
            memory_bytes: 32 << 20,
            table_elements: 10_000,
            max_result_bytes: 1 << 20,
        }
    }
}

/// Overrides of [`Limits`] as a plugin manifest states them; absent fields keep the host's
/// defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitsOverride {
    /// See [`Limits::fuel`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// See [`Limits::deadline`], in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    /// See [`Limits::memory_bytes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<usize>,
    /// See [`Limits::table_elements`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_elements: Option<usize>,
    /// See [`Limits::max_result_bytes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_result_bytes: Option<usize>,
}

impl LimitsOverride {
    /// These overrides applied on top of `base`.
    pub fn apply(&self, base: Limits) -> Limits {
        Limits {
            fuel: self.fuel.unwrap_or(base.fuel),
            deadline: self
                .deadline_ms
                .map_or(base.deadline, Duration::from_millis),
            memory_bytes: self.memory_bytes.unwrap_or(base.memory_bytes),
            table_elements: self.table_elements.unwrap_or(base.table_elements),
            max_result_bytes: self.max_result_bytes.unwrap_or(base.max_result_bytes),
        }
    }
}

/// A manifest asked for more than the host allows ([`SandboxConfig::ceilings`]).
///
/// [`SandboxConfig::ceilings`]: super::SandboxConfig::ceilings
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {value} exceeds this host's ceiling of {ceiling}")]
pub struct LimitError {
    /// The limit, as the manifest spells it (`fuel`, `deadlineMs`, `memoryBytes`,
    /// `tableElements`, `maxResultBytes`).
    pub field: &'static str,
    /// What was asked for, in the field's unit.
    pub value: u64,
    /// The most this host grants, in the same unit.
    pub ceiling: u64,
}

impl Limits {
    /// `self` if no field is above its ceiling, else the first field that is.
    pub(super) fn within(self, ceilings: &Limits) -> Result<Limits, LimitError> {
        let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let fields = [
            ("fuel", self.fuel, ceilings.fuel),
            (
                "deadlineMs",
                millis(self.deadline),
                millis(ceilings.deadline),
            ),
            (
                "memoryBytes",
                as_u64(self.memory_bytes),
                as_u64(ceilings.memory_bytes),
            ),
            (
                "tableElements",
                as_u64(self.table_elements),
                as_u64(ceilings.table_elements),
            ),
            (
                "maxResultBytes",
                as_u64(self.max_result_bytes),
                as_u64(ceilings.max_result_bytes),
            ),
        ];
        // A deadline is compared in whole milliseconds, the unit a manifest states it in.
        match fields
            .into_iter()
            .find(|(_, value, ceiling)| value > ceiling)
        {
            Some((field, value, ceiling)) => Err(LimitError {
                field,
                value,
                ceiling,
            }),
            None => Ok(self),
        }
    }
}

/// Raised (as a trap) when a plugin asks for more memory than its cap, so the fault can be
/// told apart from an ordinary trap.
#[derive(Debug, thiserror::Error)]
#[error("memory limit of {limit} bytes exceeded (plugin asked for {desired} bytes)")]
pub(crate) struct MemoryLimitExceeded {
    pub limit: usize,
    pub desired: usize,
}

/// Raised (as a trap) when a plugin grows a table beyond its cap.
#[derive(Debug, thiserror::Error)]
#[error("table limit of {limit} elements exceeded (plugin asked for {desired})")]
pub(crate) struct TableLimitExceeded {
    pub limit: usize,
    pub desired: usize,
}

/// Enforces [`Limits::memory_bytes`] and [`Limits::table_elements`] and remembers the peak.
///
/// Growth past a cap traps (rather than making `memory.grow` return -1) so a memory bomb
/// is reported as such instead of as whatever the guest's allocator does on failure.
#[derive(Debug)]
pub(crate) struct StoreLimiter {
    memory_limit: usize,
    table_limit: usize,
    pub memory_peak: usize,
}

impl StoreLimiter {
    pub fn new(limits: &Limits) -> Self {
        Self {
            memory_limit: limits.memory_bytes,
            table_limit: limits.table_elements,
            memory_peak: 0,
        }
    }
}

impl wasmtime::ResourceLimiter for StoreLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            return Err(MemoryLimitExceeded {
                limit: self.memory_limit,
                desired,
            }
            .into());
        }
        self.memory_peak = self.memory_peak.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.table_limit {
            return Err(TableLimitExceeded {
                limit: self.table_limit,
                desired,
            }
            .into());
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_the_fields_they_name() {
        let over: LimitsOverride =
            serde_json::from_str(r#"{"fuel": 1000, "deadlineMs": 5}"#).unwrap();
        let limits = over.apply(Limits::default());
        assert_eq!(limits.fuel, 1000);
        assert_eq!(limits.deadline, Duration::from_millis(5));
        assert_eq!(limits.memory_bytes, Limits::default().memory_bytes);
    }

    #[test]
    fn unknown_override_fields_are_rejected() {
        let err = serde_json::from_str::<LimitsOverride>(r#"{"fuell": 1}"#).unwrap_err();
        assert!(
            err.to_string().starts_with("unknown field `fuell`"),
            "{err}"
        );
    }
}
