//! The README's walkthrough, run as written: its ```sh block, with bash and curl, against a
//! real `ordergate serve --dev` (SQLite in a temporary directory) and the real `ordergate
//! receive` it starts, so the README cannot drift from the service. And `ordergate
//! receive` on its own: what it answers and prints for signed, forged and unsigned
//! deliveries.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use ordergate_delivery::{WebhookSecret, unix_seconds};
use serde_json::{Value, json};

const ORDERGATE: &str = env!("CARGO_BIN_EXE_ordergate");

/// Longest a process may take to say what the test waits for: a guard against hanging, not
/// a timing assertion (the walkthrough takes seconds).
const WAIT: Duration = Duration::from_secs(120);

/// `ordergate` without the caller's `ORDERGATE_*` settings (keys, secrets, log format), so
/// the test runs the flags it passes and nothing else.
fn ordergate() -> Command {
    let mut command = Command::new(ORDERGATE);
    strip_settings(&mut command);
    command
}

fn strip_settings(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("ORDERGATE_") {
            command.env_remove(name);
        }
    }
}

/// A child process, killed when dropped, also when the test fails. A script runs in a
/// process group of its own, killed whole: its background jobs would outlive it otherwise.
struct Running {
    child: Child,
    group: bool,
}

impl Running {
    fn spawn(command: &mut Command) -> Self {
        Self::start(command, false)
    }

    fn spawn_group(command: &mut Command) -> Self {
        command.process_group(0);
        Self::start(command, true)
    }

    fn start(command: &mut Command, group: bool) -> Self {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {command:?}: {e}"));
        Self { child, group }
    }

    /// Its stdout and stderr, each read by a thread of its own.
    fn output(&mut self) -> (Lines, Lines) {
        let stdout = self.child.stdout.take().expect("stdout is piped");
        let stderr = self.child.stderr.take().expect("stderr is piped");
        (Lines::read(stdout), Lines::read(stderr))
    }

    /// Waits for the process to exit, at most [`WAIT`]; `None` if it did not.
    fn wait(&mut self) -> Option<ExitStatus> {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(50));
        }
        None
    }

    fn stop(&mut self) {
        if self.group {
            let group = format!("-{}", self.child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A child's output, line by line: a thread reads it as it comes (a child must never
/// block on a full pipe), and every line taken is kept for failure messages.
struct Lines {
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Lines {
    fn read(stream: impl Read + Send + 'static) -> Self {
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            lines,
            seen: Vec::new(),
        }
    }

    /// The next line that contains `needle`, waiting at most [`WAIT`].
    fn find(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(why) => panic!(
                    "no line with {needle:?} ({why:?}); the lines were:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// The next line.
    fn next(&mut self) -> String {
        self.find("")
    }

    /// Every line until the stream ends (its writers have exited), at most [`WAIT`].
    fn rest(&mut self) -> Vec<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(RecvTimeoutError::Disconnected) => return self.seen.clone(),
                Err(RecvTimeoutError::Timeout) => {
                    panic!("the stream did not end:\n{}", self.seen.join("\n"))
                }
            }
        }
    }

    /// The lines read so far, without waiting.
    fn so_far(&mut self) -> String {
        self.seen.extend(self.lines.try_iter());
        self.seen.join("\n")
    }
}

/// The word after `prefix` in `line`.
fn word_after<'a>(line: &'a str, prefix: &str) -> &'a str {
    let (_, rest) = line
        .split_once(prefix)
        .unwrap_or_else(|| panic!("{prefix:?} is not in {line:?}"));
    rest.split_whitespace().next().unwrap_or_default()
}

/// `http://<address>` from a `listening on http://…` line.
fn listening(line: &str) -> String {
    format!("http://{}", word_after(line, "listening on http://"))
}

/// An address on loopback no one listens on now.
fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("local address").to_string()
}

/// The one ```sh block between the walkthrough markers of the README.
fn walkthrough_block() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let start = readme
        .find("<!-- walkthrough:start -->")
        .expect("the walkthrough's start marker");
    let end = readme
        .find("<!-- walkthrough:end -->")
        .expect("the walkthrough's end marker");
    let blocks: Vec<&str> = readme[start..end]
        .split("```sh\n")
        .skip(1)
        .map(|rest| rest.split("\n```").next().unwrap_or_default())
        .collect();
    assert_eq!(blocks.len(), 1, "the walkthrough has exactly one sh block");
    blocks[0].to_owned()
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // What `cargo run -p ordergate-test-support --example export -- plugins` writes, from
    // the components this build already has (the block skips its export then).
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).expect("plugins directory");
    for (_, path) in ordergate_test_support::ALL {
        let name = Path::new(path).file_name().expect("a file name");
        std::fs::copy(path, plugins.join(name)).expect("copy a plugin");
    }

    let mut service = Running::spawn(
        ordergate()
            .args(["serve", "--dev", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path().join("data"))
            .args(["--delivery-poll", "100ms", "--log-format", "text"])
            .env("ORDERGATE_LOG", "info"),
    );
    let (_, mut log) = service.output();
    // Development mode signs with a secret it generates and logs; the receiver checks it.
    let secret = word_after(&log.find("secret=whsec_"), "secret=").to_owned();
    let base = listening(&log.find("listening on http://"));

    let mut script = Command::new("bash");
    strip_settings(&mut script);
    let mut script = Running::spawn_group(
        script
            .arg("-c")
            .arg(walkthrough_block())
            .current_dir(dir.path())
            .env("BASE", &base)
            .env("RECEIVER", format!("http://{}", free_address()))
            .env("ORDERGATE", ORDERGATE)
            .env("ORDERGATE_RECEIVE_SECRET", &secret),
    );
    let (mut out, mut err) = script.output();
    let exit = script.wait();
    // Whatever the script left running goes now, so its output ends.
    script.stop();
    let stdout = out.rest();
    let context = format!(
        "stdout:\n{}\nstderr:\n{}\nservice log:\n{}",
        stdout.join("\n"),
        err.rest().join("\n"),
        log.so_far()
    );
    assert_eq!(exit.map(|e| e.success()), Some(true), "{context}");

    let (documents, plain): (Vec<&String>, Vec<&String>) =
        stdout.iter().partition(|line| line.starts_with('{'));
    let documents: Vec<Value> = documents
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {context}")))
        .collect();
    let [upload, refused, events] = documents.as_slice() else {
        panic!("three JSON answers expected: {context}");
    };
    assert_eq!(upload["id"], "max-quantity", "{context}");
    assert_eq!(upload["version"], 1);
    assert_eq!(upload["kind"], "validation");

    let order_path = plain
        .first()
        .and_then(|line| line.strip_prefix("order: "))
        .unwrap_or_else(|| panic!("the order's path first: {context}"));
    let order_id = order_path
        .strip_prefix("/api/v0/checkout/orders/")
        .unwrap_or_else(|| panic!("an order path: {context}"));

    assert_eq!(refused["type"], "/problems/validation-failed", "{context}");
    assert_eq!(refused["status"], 400);
    assert_eq!(refused["instance"], format!("{order_path}/cart"));
    assert_eq!(
        refused["violations"],
        json!([{
            "plugin": "max-quantity",
            "path": "/cart/items/0/quantity",
            "code": "max-quantity-exceeded",
            "message": "quantity 12 exceeds the maximum of 10 per line"
        }])
    );

    assert_eq!(events["pagination"]["totalSize"], 1, "{context}");
    let event = &events["data"][0];
    assert_eq!(event["orderId"], order_id);
    assert_eq!(event["reference"], "on-completed");
    assert_eq!(event["status"], "delivered");
    assert_eq!(
        event["payload"]["order"]["state"]["currentStatus"],
        "completed"
    );
    assert_eq!(event["payload"]["order"]["cart"]["items"][0]["quantity"], 2);
    let attempts = event["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "{context}");
    assert_eq!(attempts[0]["statusCode"], 204);
    let event_id = event["id"].as_str().expect("the event's id");

    assert_eq!(
        plain,
        [
            &format!("order: {order_path}"),
            "notification: 204",
            "processing: 200",
            "accepted: 200",
            "completed: 200",
            // The receiver's line: the sender's signature verified with the logged secret.
            &format!(
                "webhook-id={event_id} x-merchant=acme order={order_id} status=completed \
                 signature=verified"
            ),
        ],
        "{context}"
    );

    // The service agrees: the order completed with the cart the validation kept.
    let order: Value = reqwest::blocking::Client::new()
        .get(format!("{base}{order_path}"))
        .header("x-merchant", "acme")
        .header("x-channel", "b2c")
        .send()
        .expect("GET the order")
        .json()
        .expect("the order's JSON");
    assert_eq!(order["state"]["currentStatus"], "completed");
    assert_eq!(order["cart"]["items"][0]["quantity"], 2);
}

/// A delivery of `body` as the sender makes it, signed with `signature` when given.
fn deliver(
    url: &str,
    body: &str,
    timestamp: i64,
    signature: Option<String>,
) -> reqwest::blocking::Response {
    let mut request = reqwest::blocking::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", "msg_1")
        .header("webhook-timestamp", timestamp.to_string())
        .header("x-merchant", "acme")
        .body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("webhook-signature", signature);
    }
    request.send().expect("POST to the receiver")
}

/// The status, content type and JSON of a Problem Details answer.
fn problem(response: reqwest::blocking::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.json().expect("a JSON body"))
}

#[test]
fn receive_answers_204_to_signed_deliveries_and_401_to_forged_or_stale_ones() {
    let secret = WebhookSecret::generate().expect("a secret");
    let mut receiver = Running::spawn(ordergate().args([
        "receive",
        "--listen",
        "127.0.0.1:0",
        "--secret",
        &secret.to_string(),
    ]));
    let (mut out, mut err) = receiver.output();
    let started = err.find("listening on http://");
    assert!(started.ends_with(" (checking signatures)"), "{started}");
    let url = format!("{}/webhooks", listening(&started));
    let body = json!({"id": "ord_1", "state": {"currentStatus": "completed"}}).to_string();
    let now = unix_seconds(SystemTime::now());

    let signed = deliver(
        &url,
        &body,
        now,
        Some(secret.sign("msg_1", now, body.as_bytes())),
    );
    assert_eq!(signed.status(), 204);
    assert_eq!(
        out.next(),
        "webhook-id=msg_1 x-merchant=acme order=ord_1 status=completed signature=verified"
    );

    let other = WebhookSecret::generate().expect("a secret");
    let forged = deliver(
        &url,
        &body,
        now,
        Some(other.sign("msg_1", now, body.as_bytes())),
    );
    assert_eq!(
        problem(forged),
        (
            401,
            "application/problem+json".to_owned(),
            json!({
                "type": "about:blank",
                "title": "Unauthorized",
                "status": 401,
                "detail": "no webhook signature matches"
            })
        )
    );
    assert_eq!(
        out.next(),
        "webhook-id=msg_1 x-merchant=acme order=ord_1 status=completed \
         signature=invalid: no webhook signature matches"
    );

    // A replay: the right signature over a timestamp ten minutes old.
    let old = now - 600;
    let stale = deliver(
        &url,
        &body,
        old,
        Some(secret.sign("msg_1", old, body.as_bytes())),
    );
    let (status, _, stale) = problem(stale);
    assert_eq!(status, 401);
    let expected = format!("webhook timestamp {old} is more than 5 minutes from now (");
    let detail = stale["detail"].as_str().unwrap_or_default();
    assert!(detail.starts_with(&expected), "{stale}");
    assert_eq!(
        out.next(),
        format!(
            "webhook-id=msg_1 x-merchant=acme order=ord_1 status=completed signature=invalid: \
             {detail}"
        )
    );

    let unsigned = deliver(&url, &body, now, None);
    let (status, _, unsigned) = problem(unsigned);
    assert_eq!(status, 401);
    assert_eq!(unsigned["detail"], "no webhook-signature header");
    assert_eq!(
        out.next(),
        "webhook-id=msg_1 x-merchant=acme order=ord_1 status=completed \
         signature=invalid: no webhook-signature header"
    );
}

#[test]
fn receive_without_a_secret_answers_the_status_asked_for() {
    let mut receiver =
        Running::spawn(ordergate().args(["receive", "--listen", "127.0.0.1:0", "--status", "503"]));
    let (mut out, mut err) = receiver.output();
    let started = err.find("listening on http://");
    assert!(
        started.ends_with(" (not checking signatures: pass --secret whsec_… to check them)"),
        "{started}"
    );
    let url = format!("{}/anywhere", listening(&started));

    // No webhook headers, and an id that would be a terminal escape sequence if printed raw.
    let response = reqwest::blocking::Client::new()
        .post(&url)
        .body(json!({"id": "ord_\u{1b}[31m"}).to_string())
        .send()
        .expect("POST to the receiver");
    assert_eq!(
        problem(response),
        (
            503,
            "application/problem+json".to_owned(),
            json!({
                "type": "about:blank",
                "title": "Service Unavailable",
                "status": 503,
                "detail": "ordergate receive answers 503 (--status)"
            })
        )
    );
    assert_eq!(
        out.next(),
        r"webhook-id=- x-merchant=- order=ord_\u{1b}[31m status=- signature=unchecked"
    );

    let refused = ordergate()
        .args(["receive", "--status", "101"])
        .output()
        .expect("run ordergate receive");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("101 is not a final HTTP status (200 to 599)"),
        "{stderr}"
    );
}
