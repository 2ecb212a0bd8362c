//! Real `ordergate serve` processes for tests: started on 127.0.0.1:0 with their own data
//! directory, their bound address read from the log, their log kept for assertions, and
//! killed when dropped, so a failing test leaves no process behind.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest any wait of these tests lasts: a bound, never an expectation of speed.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// The merchant every node knows, and its API key.
pub const MERCHANT: &str = "acme";
/// `MERCHANT`'s API key.
pub const KEY: &str = "key-a";

/// How a node is started: the flags the tests vary, each with the value most tests use.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// `--database-url`: the PostgreSQL schema the nodes share.
    pub database_url: Option<String>,
    /// `--webhook-secrets` for `MERCHANT` (`whsec_…`).
    pub webhook_secret: Option<String>,
    /// `--api-keys` (`None`: no keys at all).
    pub api_keys: Option<String>,
    /// Runs the delivery worker (else `--no-delivery`).
    pub delivery: bool,
    /// `--delivery-lease`.
    pub lease: &'static str,
    /// `--delivery-timeout` (shorter than the lease, or the node refuses to start).
    pub timeout: &'static str,
    /// `--dev`.
    pub dev: bool,
}

impl NodeOptions {
    /// A node of the cluster on `database_url`, delivering, signing with `secret`.
    pub fn cluster(database_url: &str, secret: &str) -> Self {
        Self {
            database_url: Some(database_url.to_owned()),
            webhook_secret: Some(secret.to_owned()),
            api_keys: Some(format!("{MERCHANT}:{KEY}")),
            delivery: true,
            lease: "2s",
            timeout: "1s",
            dev: false,
        }
    }

    /// The same node without its delivery worker.
    pub fn no_delivery(mut self) -> Self {
        self.delivery = false;
        self
    }

    /// The same node with another lease and delivery timeout.
    pub fn lease(mut self, lease: &'static str, timeout: &'static str) -> Self {
        self.lease = lease;
        self.timeout = timeout;
        self
    }

    /// The `serve` arguments, with `data_dir`.
    fn args(&self, data_dir: &std::path::Path) -> Vec<String> {
        let mut args: Vec<String> = [
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--invoke-allow",
            "127.0.0.1",
            "--delivery-poll",
            "100ms",
            "--delivery-lease",
            self.lease,
            "--delivery-timeout",
            self.timeout,
        ]
        .map(str::to_owned)
        .into();
        args.push("--data-dir".to_owned());
        args.push(data_dir.display().to_string());
        let optional = [
            ("--database-url", &self.database_url),
            ("--api-keys", &self.api_keys),
            (
                "--webhook-secrets",
                &self
                    .webhook_secret
                    .as_ref()
                    .map(|s| format!("{MERCHANT}:{s}")),
            ),
        ];
        for (flag, value) in optional {
            if let Some(value) = value {
                args.push(flag.to_owned());
                args.push(value.clone());
            }
        }
        if !self.delivery {
            args.push("--no-delivery".to_owned());
        }
        if self.dev {
            args.push("--dev".to_owned());
        }
        args
    }
}

/// A running `ordergate serve` process.
pub struct Node {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    log: Arc<Mutex<Vec<String>>>,
    exited: Option<ExitStatus>,
    _data_dir: tempfile::TempDir,
}

/// The `ordergate` command with none of the caller's `ORDERGATE_*` settings: each test
/// says everything its process sees.
pub fn command(args: &[String]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ordergate"));
    command.args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("ORDERGATE_") {
            command.env_remove(name);
        }
    }
    command
}

/// Reads `reader` line by line into `log` until the process closes it.
fn collect(
    reader: impl std::io::Read + Send + 'static,
    log: Arc<Mutex<Vec<String>>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            log.lock().unwrap_or_else(|p| p.into_inner()).push(line);
        }
    })
}

/// Polls `check` until it gives a value, panicking with `what` after [`DEADLINE`].
pub fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Node {
    /// Starts a node with `options` and waits until it listens.
    pub fn start(options: &NodeOptions) -> Self {
        let data_dir = tempfile::tempdir().expect("a temporary data directory");
        let mut child = command(&options.args(data_dir.path()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the ordergate binary starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        collect(
            child.stderr.take().expect("stderr is piped"),
            Arc::clone(&log),
        );
        let mut node = Self {
            child,
            base: String::new(),
            log,
            exited: None,
            _data_dir: data_dir,
        };
        node.base = wait_for("the node to listen", || {
            if let Ok(Some(status)) = node.child.try_wait() {
                panic!("the node exited with {status}: {:#?}", node.log());
            }
            node.log().iter().find_map(|line| {
                let (_, rest) = line.split_once("listening on ")?;
                rest.split_whitespace().next().map(str::to_owned)
            })
        });
        node
    }

    /// The process id, for `kill`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The lines logged so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Waits until a logged line contains `text`; returns it.
    pub fn wait_for_log(&self, text: &str) -> String {
        wait_for(&format!("a log line with {text:?}"), || {
            self.log().into_iter().find(|line| line.contains(text))
        })
    }

    /// Whether the process has not exited yet.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends SIGTERM, as a process supervisor stopping the node does.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed: {status}");
    }

    /// SIGKILL: the node dies on the spot, finishing nothing.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL is sent");
        self.exited = Some(self.child.wait().expect("the killed node is reaped"));
    }

    /// Waits (up to [`DEADLINE`]) for the process to exit; returns how it did.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let status = wait_for("the node to exit", || self.child.try_wait().ok().flatten());
        self.exited = Some(status);
        status
    }

    /// A request as `MERCHANT` in channel `b2c`, with its key.
    pub fn req(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        request(client, &self.base, method, path)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A request to the node at `base` as `MERCHANT` in channel `b2c`, with its key.
pub fn request(
    client: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    client
        .request(method, format!("{base}{path}"))
        .header("x-merchant", MERCHANT)
        .header("x-channel", "b2c")
        .header("authorization", KEY)
}

/// Runs `command` to its end (bounded by [`DEADLINE`]): its exit status and its stderr.
pub fn run_to_end(args: &[String]) -> (ExitStatus, String) {
    let mut child = command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the ordergate binary starts");
    let log = Arc::new(Mutex::new(Vec::new()));
    let reader = collect(
        child.stderr.take().expect("stderr is piped"),
        Arc::clone(&log),
    );
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the command did not exit: {:#?}",
                log.lock().unwrap_or_else(|p| p.into_inner())
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // The pipe ends with the process: the reader has every line once it returns.
    reader.join().expect("the stderr reader finishes");
    let text = log.lock().unwrap_or_else(|p| p.into_inner()).join("\n");
    (status, text)
}
