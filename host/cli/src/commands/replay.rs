//! `ordergate replay PLUGIN.wasm --from FILE | --plugin ID`: a local build run on the
//! inputs the service kept (`PUT …/retention` turns keeping on), and where its decisions
//! differ from what happened.

use std::path::PathBuf;

use ordergate::observe::KeptRun;
use ordergate::runner::RunInput;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde_json::Value;

use super::load::{PluginArgs, read_json, runner};
use super::service::ServiceArgs;
use super::shadow::decision;
use crate::exit::{Failure, OrExit, Status, fail};

/// `ordergate replay PLUGIN.wasm (--from FILE | --plugin ID [--since T] …)`
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    plugin: PluginArgs,
    /// The kept runs, as `GET …/plugins/{id}/runs` answers them (`{data: [...]}`, or the
    /// array alone).
    #[arg(long, conflicts_with = "from_plugin")]
    from: Option<PathBuf>,
    /// Fetch the kept runs of this plugin id from the service.
    #[arg(long = "plugin", id = "from_plugin", value_name = "ID")]
    from_plugin: Option<String>,
    /// With `--plugin`: only runs kept at or after this time (RFC 3339).
    #[arg(long, requires = "from_plugin")]
    since: Option<String>,
    #[command(flatten)]
    service: ServiceArgs,
}

/// Exit status: 0 every run decided the same, 1 some differ, 4/5/6/8 as the other
/// commands (the component, its configuration, a file, the service).
pub fn run(args: ReplayArgs) -> Result<Status, Failure> {
    let runs = kept_runs(&args)?;
    let runner = runner()?;
    let plugin = args.plugin.load(&runner)?;
    let (mut same, mut differ) = (0, 0);
    for kept in &runs {
        let input = RunInput {
            order: kept.order.clone(),
            change: kept.change.clone(),
            context: kept.context.clone(),
        };
        let now = runner.run(&plugin, &input).decision;
        let was = serde_json::to_value(&kept.decision).or_exit(Status::Input)?;
        let order = &kept.order.id;
        if now.agrees_with(&kept.decision) {
            same += 1;
            println!("{} {order}: same ({})", kept.id, kept.decision.verdict);
        } else {
            differ += 1;
            let now = serde_json::to_value(&now).or_exit(Status::Input)?;
            println!("{} {order}: differs", kept.id);
            println!("  was  {} (version {})", decision(&was), kept.version);
            println!("  now  {}", decision(&now));
        }
    }
    println!(
        "replayed {} runs: {same} the same, {differ} different",
        runs.len()
    );
    Ok(if differ == 0 {
        Status::Accepted
    } else {
        Status::Refused
    })
}

fn kept_runs(args: &ReplayArgs) -> Result<Vec<KeptRun>, Failure> {
    let (answer, origin) = match (&args.from, &args.from_plugin) {
        (Some(path), _) => (read_json(path)?, path.display().to_string()),
        (None, Some(id)) => {
            let mut path = format!("/api/v0/checkout/plugins/{id}/runs?limit=10000");
            if let Some(since) = &args.since {
                path.push_str("&since=");
                path.extend(utf8_percent_encode(since, NON_ALPHANUMERIC));
            }
            (args.service.call(Method::GET, &path, None)?, path)
        }
        (None, None) => {
            return Err(fail(
                Status::Input,
                "say where the runs are: --from FILE, or --plugin ID (with --merchant and --channel)",
            ));
        }
    };
    let list = match answer {
        Value::Object(mut map) => map.remove("data").unwrap_or(Value::Null),
        other => other,
    };
    serde_json::from_value(list)
        .map_err(|e| fail(Status::Input, format!("{origin}: not kept runs: {e}")))
}
