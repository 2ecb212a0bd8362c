//! The process's resident set size, as the kernel reports it.

/// `VmRSS` of this process from `/proc/self/status`, in KiB; `None` where there is no such
/// file (not Linux) or it lacks the line.
pub fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_a_positive_resident_set_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(super::rss_kib().is_some_and(|kib| kib > 0));
        }
    }
}
