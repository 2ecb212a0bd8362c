//! `ordergate shadow report|promote|end ID`: a shadow version's agreement with the active
//! one on live orders, and the one call that makes it active (or stops it).

use reqwest::Method;
use serde_json::Value;

use super::service::ServiceArgs;
use crate::exit::{Failure, OrExit, Status};

/// `ordergate shadow …`
#[derive(Debug, clap::Args)]
pub struct ShadowArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// How often the shadow version agreed with the active one, and each differing case.
    Report {
        /// The plugin id.
        id: String,
        #[command(flatten)]
        service: ServiceArgs,
        /// Print the service's answer as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make the shadow version the active one (on every node, from its next mutation).
    Promote {
        /// The plugin id.
        id: String,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Stop the shadow version; the active one is untouched.
    End {
        /// The plugin id.
        id: String,
        #[command(flatten)]
        service: ServiceArgs,
    },
}

const PLUGINS: &str = "/api/v0/checkout/plugins";

/// Exit status: 0 done, 8 the service refused (no shadow version: 404) or was unreachable.
pub fn run(args: ShadowArgs) -> Result<Status, Failure> {
    match args.action {
        Action::Report { id, service, json } => {
            let answer = service.call(Method::GET, &format!("{PLUGINS}/{id}/shadow"), None)?;
            if json {
                println!("{answer:#}");
            } else {
                print!("{}", render(&id, &answer)?);
            }
        }
        Action::Promote { id, service } => {
            let path = format!("{PLUGINS}/{id}/shadow/promote");
            let promoted = service.call(Method::POST, &path, None)?;
            println!(
                "{id}: version {} is active; roll back with POST {PLUGINS}/{id}/versions/<n>/activate",
                promoted["version"]
            );
        }
        Action::End { id, service } => {
            service.call(Method::DELETE, &format!("{PLUGINS}/{id}/shadow"), None)?;
            println!("{id}: shadow ended; the active version is unchanged");
        }
    }
    Ok(Status::Accepted)
}

fn render(id: &str, answer: &Value) -> Result<String, Failure> {
    use std::fmt::Write as _;
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Cases {
        active_version: Option<u32>,
        shadow_version: u32,
        runs: u64,
        agreed: u64,
        differed: u64,
        faulted: u64,
        dropped: u64,
        cases: Vec<Value>,
    }
    let r: Cases = serde_json::from_value(answer.clone()).or_exit(Status::Service)?;
    let mut out = String::new();
    let beside = r
        .active_version
        .map_or("no active version".to_owned(), |v| {
            format!("active version {v}")
        });
    let _ = writeln!(
        out,
        "{id}: shadow version {} beside {beside}",
        r.shadow_version
    );
    let _ = writeln!(
        out,
        "runs {} · agreed {} · differed {} · faulted {} · dropped {}",
        r.runs, r.agreed, r.differed, r.faulted, r.dropped
    );
    for case in &r.cases {
        let _ = writeln!(
            out,
            "{} {} (depth {}): active {} · shadow {}",
            case["at"].as_str().unwrap_or_default(),
            case["orderId"].as_str().unwrap_or_default(),
            case["depth"],
            decision(&case["active"]),
            decision(&case["shadow"]),
        );
    }
    Ok(out)
}

/// `rejected (/cart/items too-many-items: …)`, `patched (2 operations)`, `faulted (trap: …)`.
pub fn decision(decision: &Value) -> String {
    let verdict = decision["verdict"].as_str().unwrap_or("?");
    let details: Vec<String> = decision["violations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            format!(
                "{} {}: {}",
                v["path"].as_str().unwrap_or_default(),
                v["code"].as_str().unwrap_or_default(),
                v["message"].as_str().unwrap_or_default()
            )
        })
        .chain(
            decision["operations"]
                .as_array()
                .map(|ops| format!("{} operations", ops.len())),
        )
        .chain(decision["detail"].as_str().map(str::to_owned))
        .collect();
    if details.is_empty() {
        verdict.to_owned()
    } else {
        format!("{verdict} ({})", details.join("; "))
    }
}
