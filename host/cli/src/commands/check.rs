//! `ordergate check`: what a component is and whether the service would install it, with
//! the reason when not, without uploading it.

use ordergate::ComponentInfo;

use super::load::{PluginArgs, refused, runner};
use crate::exit::{Failure, Status};

/// The service's default upload limit (`--upload-limit`), which `check` and `build` warn
/// about.
pub const UPLOAD_LIMIT: usize = ordergate_server::DEFAULT_UPLOAD_LIMIT;

/// `ordergate check PLUGIN.wasm [--manifest M] [--config C]`
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    plugin: PluginArgs,
    /// Print the findings as JSON.
    #[arg(long)]
    json: bool,
}

/// Exit status: 0 the service would install it, 4 the component would be refused, 5 its
/// `init` refuses the configuration, 6 a file cannot be read.
pub fn run(args: CheckArgs) -> Result<Status, Failure> {
    let component = args.plugin.component()?;
    let runner = runner()?;
    let path = &args.plugin.plugin;
    let info = runner.inspect(&component).map_err(|reason| {
        refused(
            path,
            ordergate::RegistryError::Compile {
                id: path.display().to_string(),
                reason,
            },
        )
    })?;
    let loaded = args.plugin.manifest(info.kind).and_then(|manifest| {
        runner
            .load(&manifest, &component)
            .map_err(|e| refused(path, e))
    });
    let (status, verdict) = match &loaded {
        Ok(plugin) => (
            Status::Accepted,
            format!(
                "accepted: the service would install it (load {} ms, init {} fuel)",
                plugin.load_time().as_millis(),
                plugin.init_fuel()
            ),
        ),
        Err(failure) => (failure.status, format!("refused: {failure}")),
    };
    if args.json {
        let report = serde_json::json!({
            "component": path.display().to_string(),
            "info": info,
            "world": info.kind.map(|k| k.world()),
            "uploadLimitBytes": UPLOAD_LIMIT,
            "accepted": loaded.is_ok(),
            "reason": loaded.as_ref().err().map(ToString::to_string),
        });
        println!("{report:#}");
    } else {
        print!("{}", render(&path.display().to_string(), &info, &verdict));
    }
    Ok(status)
}

fn render(path: &str, info: &ComponentInfo, verdict: &str) -> String {
    let list = |items: &[String]| {
        if items.is_empty() {
            "(none)".to_owned()
        } else {
            items.join(", ")
        }
    };
    let size = info.size_bytes;
    let share = size as f64 * 100.0 / UPLOAD_LIMIT as f64;
    format!(
        "component  {path}\n\
         size       {size} bytes ({share:.1} % of the {} MiB upload limit)\n\
         world      {}\n\
         package    ordergate:checkout@{}\n\
         imports    {}\n\
         exports    {}\n\
         compile    {} ms\n\
         verdict    {verdict}\n",
        UPLOAD_LIMIT >> 20,
        info.kind
            .map_or("(neither validator nor hook)", |k| k.world()),
        info.package_version.as_deref().unwrap_or("(none named)"),
        list(&info.imports),
        list(&info.exports),
        info.compile_time.as_millis(),
    )
}
