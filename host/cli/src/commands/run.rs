//! `ordergate run`: one plugin on one order, through the engine code the host runs, with
//! what the host would record: the verdict, violations or patch, fuel, time, memory, log.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ordergate::model::Order;
use ordergate::runner::{ChangeInput, RunClass, RunContext, RunInput, RunReport, RunVerdict};

use ordergate::SandboxConfig;

use super::load::{PluginArgs, read_json, read_text, runner, runner_with};
use crate::exit::{Failure, OrExit, Status, fail};

/// `ordergate run PLUGIN.wasm --order order.json …`
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    plugin: PluginArgs,
    /// The order the plugin sees: the candidate of a validation, the committed order of a
    /// hook (JSON, as `GET /orders/{id}` answers it).
    #[arg(long)]
    order: PathBuf,
    /// The order before the change: the change is then what differs between the two, as
    /// the host's mutations name it (`/cart`, `/state`…). Without it and without
    /// `--change`, the change is a creation (the whole order, `touched: [""]`).
    #[arg(long)]
    before: Option<PathBuf>,
    /// The change as the plugin receives it, a JSON file:
    /// `{"touched": ["/cart"], "fromStatus": "checkout", "toStatus": "processing"}`.
    #[arg(long, conflicts_with = "before")]
    change: Option<PathBuf>,
    /// The merchant the plugin is called for (`ctx.merchant`).
    #[arg(long, default_value = "local")]
    merchant: String,
    /// The channel (`ctx.channel`).
    #[arg(long, default_value = "default")]
    channel: String,
    /// The adapter that made the change (`ctx.acting-adapter-id`).
    #[arg(long)]
    acting_adapter: Option<String>,
    /// Print the report as JSON (for scripts) instead of text.
    #[arg(long)]
    json: bool,
    /// Write a guest profile of the run to this file (wasmtime's guest profiler, in the
    /// Firefox profiler's format: open it at https://profiler.firefox.com). Samples are
    /// taken every 20 µs or so; function names need a build that keeps them (`strip =
    /// false`, `debug = 1` in the release profile).
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
}

/// How often a profiled run is sampled: the runner's deadline clock ticks this often
/// (a service's ticks every millisecond, longer than most plugin runs).
const PROFILE_TICK: Duration = Duration::from_micros(20);

/// Exit status: 0 accepted, 1 refused, 3 faulted, 4 component refused, 5 configuration
/// refused, 6 bad input file.
pub fn run(args: RunArgs) -> Result<Status, Failure> {
    let input = read_input(&args)?;
    let runner = match args.profile {
        None => runner()?,
        Some(_) => runner_with(SandboxConfig {
            epoch_tick: PROFILE_TICK,
            ..SandboxConfig::default()
        })?,
    };
    let plugin = args.plugin.load(&runner)?;
    // Plugins are deterministic (no clock, no randomness): the first run only warms the
    // process (the instance pool's first slot, page faults), so the report is the second's,
    // whose time is the one a running service sees.
    runner.run(&plugin, &input);
    let report = match &args.profile {
        None => runner.run(&plugin, &input),
        Some(path) => {
            let (report, profile) = runner.run_profiled(&plugin, &input);
            let profile = profile
                .map_err(|why| fail(Status::Build, format!("no profile was taken: {why}")))?;
            std::fs::write(path, &profile).map_err(|e| {
                fail(
                    Status::Build,
                    format!("cannot write {}: {e}", path.display()),
                )
            })?;
            eprintln!(
                "profile written to {} ({} bytes): open it at https://profiler.firefox.com",
                path.display(),
                profile.len()
            );
            report
        }
    };
    if args.json {
        let text = serde_json::to_string_pretty(&report).or_exit(Status::Build)?;
        println!("{text}");
    } else {
        print!("{}", render(&report));
    }
    Ok(match report.verdict.class() {
        RunClass::Accepted => Status::Accepted,
        RunClass::Refused => Status::Refused,
        RunClass::Faulted => Status::Faulted,
    })
}

fn read_input(args: &RunArgs) -> Result<RunInput, Failure> {
    let order = read_order(&args.order)?;
    let change = match (&args.change, &args.before) {
        (Some(path), _) => serde_json::from_value(read_json(path)?).map_err(|e| {
            fail(
                Status::Input,
                format!("{}: not a change: {e}", path.display()),
            )
        })?,
        (None, Some(before)) => ChangeInput::between(&read_order(before)?, &order),
        (None, None) => ChangeInput::creation(&order),
    };
    Ok(RunInput {
        order,
        change,
        context: RunContext {
            merchant: args.merchant.clone(),
            channel: args.channel.clone(),
            acting_adapter_id: args.acting_adapter.clone(),
        },
    })
}

/// Reads an order file as the host reads an order: the model's types, with the path of
/// the first field that is not.
pub fn read_order(path: &Path) -> Result<Order, Failure> {
    let text = read_text(path)?;
    ordergate::runner::parse_order(&text).map_err(|e| {
        fail(
            Status::Input,
            format!("{}: not an order: {e}", path.display()),
        )
    })
}

/// The report as an author reads it: the verdict first, then what it rests on, then the
/// costs and the log.
pub fn render(report: &RunReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let kind = serde_json::to_value(report.kind).unwrap_or_default();
    let kind = kind.as_str().unwrap_or("plugin");
    let _ = writeln!(out, "{} ({kind}): {}", report.plugin, report.verdict.name());
    match &report.verdict {
        RunVerdict::Accepted | RunVerdict::Unchanged => {}
        RunVerdict::Rejected { violations } => {
            for v in violations {
                let _ = writeln!(
                    out,
                    "  {}  {}  {}",
                    display_path(&v.path),
                    v.code,
                    v.message
                );
            }
        }
        RunVerdict::Patched { operations, order } => {
            let after = serde_json::to_value(order).unwrap_or_default();
            for op in operations {
                let op_json = serde_json::to_string(op).unwrap_or_default();
                let _ = writeln!(out, "  {op_json}");
            }
            let _ = writeln!(out, "order after:");
            for op in operations {
                let path = op.path().to_string();
                let value = after
                    .pointer(&path)
                    .map_or("(absent)".to_owned(), |v| v.to_string());
                let _ = writeln!(out, "  {} = {value}", display_path(&path));
            }
        }
        RunVerdict::PatchRefused { reason } => {
            let _ = writeln!(out, "  {reason}");
        }
        RunVerdict::HookFailed { message } => {
            let _ = writeln!(out, "  {message}");
        }
        RunVerdict::Faulted { fault, on_fault } => {
            let on_fault = serde_json::to_value(on_fault).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} (onFault: {})",
                fault,
                on_fault.as_str().unwrap_or("?")
            );
        }
    }
    for trigger in &report.triggers {
        let _ = writeln!(
            out,
            "trigger {} at {}",
            trigger.reference.as_deref().unwrap_or("(no reference)"),
            trigger.scope.as_deref().unwrap_or("(no scope)")
        );
    }
    for trigger in &report.refused_triggers {
        let _ = writeln!(
            out,
            "trigger {} refused: {}",
            trigger.reference, trigger.reason
        );
    }
    let _ = writeln!(
        out,
        "fuel {} · time {} µs (instantiate {} µs) · memory {} KiB",
        report.fuel_consumed,
        report.duration.as_micros(),
        report.instantiate_time.as_micros(),
        report.memory_peak / 1024
    );
    for line in &report.log.lines {
        let level = serde_json::to_value(line.level).unwrap_or_default();
        let _ = writeln!(
            out,
            "log {:5} {}",
            level.as_str().unwrap_or("?"),
            line.message
        );
    }
    if report.log.dropped > 0 {
        let _ = writeln!(out, "log: {} more lines dropped", report.log.dropped);
    }
    out
}

/// `""` (the whole order) is shown as `(order)`, so the column is never blank.
fn display_path(path: &str) -> &str {
    if path.is_empty() { "(order)" } else { path }
}
