//! The delivery worker: claims due events, sends them, records the attempts.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use ordergate::events::{Attempt, AttemptOutcome, ClaimedEvent, EventLog, EventLogError};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument as _;

use crate::config::{ConfigError, DeliveryConfig};
use crate::guard::UrlPolicy;
use crate::observer::DeliveryObserver;
use crate::outcome::decide;
use crate::secrets::SecretSource;
use crate::send::Sender;

/// Why a delivery worker could not start or finish a round.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The configuration cannot work.
    #[error("invalid delivery configuration: {0}")]
    Config(#[from] ConfigError),
    /// The HTTP client could not be built (TLS set-up).
    #[error("the delivery HTTP client could not be built: {0}")]
    Client(#[source] reqwest::Error),
    /// The event log failed to hand out claims.
    #[error("claiming due events failed: {0}")]
    Claim(#[source] EventLogError),
    /// A blocking event log call panicked or was cancelled.
    #[error("an event log call did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// What a worker did in a round ([`DeliveryWorker::run_once`]) or a whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Events claimed.
    pub claimed: usize,
    /// Events whose attempt was accepted (2xx): now `delivered`.
    pub delivered: usize,
    /// Events whose attempt failed and that are due again later.
    pub retrying: usize,
    /// Events whose attempt failed for good (410, or the schedule is spent): now `failed`.
    pub failed: usize,
    /// Attempts whose recording was refused because the claim was lost (the lease ran out
    /// or the event was retried by hand): another worker owns the event.
    pub lost: usize,
    /// Claims handed back unattempted: at shutdown, or because their lease would have run
    /// out during the send (they waited too long behind other sends).
    pub released: usize,
    /// Rounds or records that failed in the event log (logged; the lease makes the event
    /// due again).
    pub errors: usize,
}

impl RunReport {
    fn add(&mut self, other: &RunReport) {
        self.claimed += other.claimed;
        self.delivered += other.delivered;
        self.retrying += other.retrying;
        self.failed += other.failed;
        self.lost += other.lost;
        self.released += other.released;
        self.errors += other.errors;
    }
}

/// Delivers the events of one [`EventLog`]. Several workers (in one process or on several
/// nodes) may serve the same log: its leases give each due event to one of them.
pub struct DeliveryWorker {
    shared: Arc<Shared>,
}

/// What every delivery task needs, shared with them.
#[derive(Clone)]
struct Shared {
    log: Arc<dyn EventLog>,
    config: DeliveryConfig,
    sender: Sender,
    observer: Arc<dyn DeliveryObserver>,
}

/// How one delivery ended, for the report.
enum Disposition {
    Recorded(AttemptOutcome),
    Lost,
    Error,
}

impl DeliveryWorker {
    /// A worker delivering `log`'s events with `config`, signing with `secrets`, sending
    /// only where `policy` allows.
    pub fn new(
        log: Arc<dyn EventLog>,
        config: DeliveryConfig,
        secrets: Arc<dyn SecretSource>,
        policy: UrlPolicy,
    ) -> Result<Self, DeliveryError> {
        config.validate()?;
        let sender = Sender::new(&config, secrets, policy).map_err(DeliveryError::Client)?;
        Ok(Self {
            shared: Arc::new(Shared {
                log,
                config,
                sender,
                observer: Arc::new(()),
            }),
        })
    }

    /// The same worker, telling `observer` of every attempt.
    pub fn with_observer(self, observer: Arc<dyn DeliveryObserver>) -> Self {
        let mut shared = Shared::clone(&self.shared);
        shared.observer = observer;
        Self {
            shared: Arc::new(shared),
        }
    }

    /// Claims one batch of due events and delivers it, waiting for every send.
    pub async fn run_once(&self) -> Result<RunReport, DeliveryError> {
        let (_keep_open, never) = watch::channel(false);
        self.round(never).await
    }

    /// Delivers until `shutdown` completes: a round whenever events are due, a pause of
    /// [`DeliveryConfig::poll_interval`] when the log had less than a batch. On shutdown it
    /// starts no new send, lets the ones in flight finish (each bounded by the request
    /// timeout) and releases every claim it has not attempted, so another worker takes
    /// those events at once. Returns what the whole run did.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> RunReport {
        let (stop, stopped) = watch::channel(false);
        let work = self.run_loop(stopped);
        tokio::pin!(work);
        tokio::select! {
            report = &mut work => report,
            () = shutdown => {
                // Sent to the loop, which holds the receiver until it returns.
                let _ = stop.send(true);
                work.await
            }
        }
    }

    async fn run_loop(&self, mut stopped: watch::Receiver<bool>) -> RunReport {
        let mut total = RunReport::default();
        let config = &self.shared.config;
        while !*stopped.borrow() {
            let idle = match self.round(stopped.clone()).await {
                Ok(report) => {
                    total.add(&report);
                    report.claimed < config.batch
                }
                Err(e) => {
                    tracing::warn!(error = %e, "delivery round failed");
                    total.errors += 1;
                    true
                }
            };
            if idle {
                tokio::select! {
                    () = tokio::time::sleep(config.poll_interval) => {}
                    _ = stopped.wait_for(|stop| *stop) => {}
                }
            }
        }
        total
    }

    /// Claims a batch and delivers it; once `stopped` turns true, starts nothing more and
    /// releases what is left. Claims whose lease cannot outlast a send are released too.
    async fn round(&self, mut stopped: watch::Receiver<bool>) -> Result<RunReport, DeliveryError> {
        let shared = &self.shared;
        let config = &shared.config;
        let (log, now) = (Arc::clone(&shared.log), config.clock.now());
        let (lease, batch) = (config.lease, config.batch);
        let claims = tokio::task::spawn_blocking(move || log.claim_due(now, lease, batch))
            .await?
            .map_err(DeliveryError::Claim)?;
        let mut report = RunReport {
            claimed: claims.len(),
            ..RunReport::default()
        };
        let mut queue = claims.into_iter();
        let mut in_flight = JoinSet::new();
        let mut stopping = *stopped.borrow();
        let (mut expiring, mut started) = (Vec::new(), 0);
        loop {
            while !stopping && in_flight.len() < config.concurrency {
                let Some(claim) = queue.next() else { break };
                // A send may last the whole request timeout. A claim that has waited behind
                // other sends until its lease ends sooner could pass to another worker
                // mid-send: the receiver would get the event twice at once. Handed back, it
                // is claimed afresh, with a whole lease. (The first sends start as soon as
                // they are claimed, so a round always makes progress.)
                let waited = started >= config.concurrency;
                if waited && claim.expires_at < config.clock.now() + config.request_timeout {
                    expiring.push(claim);
                    continue;
                }
                started += 1;
                in_flight.spawn(Arc::clone(shared).deliver(claim));
            }
            if in_flight.is_empty() {
                break;
            }
            tokio::select! {
                Some(joined) = in_flight.join_next() => match joined {
                    Ok(Disposition::Recorded(AttemptOutcome::Delivered)) => report.delivered += 1,
                    Ok(Disposition::Recorded(AttemptOutcome::RetryAt(_))) => report.retrying += 1,
                    Ok(Disposition::Recorded(AttemptOutcome::Failed)) => report.failed += 1,
                    Ok(Disposition::Lost) => report.lost += 1,
                    Ok(Disposition::Error) => report.errors += 1,
                    Err(e) => {
                        tracing::error!(error = %e, "a delivery task panicked");
                        report.errors += 1;
                    }
                },
                _ = stopped.wait_for(|stop| *stop), if !stopping => stopping = true,
            }
        }
        let unsent: Vec<ClaimedEvent> = expiring.into_iter().chain(queue).collect();
        if !unsent.is_empty() {
            let log = Arc::clone(&shared.log);
            let released = tokio::task::spawn_blocking(move || {
                unsent
                    .iter()
                    .map(|claim| (claim.event.id.clone(), log.release(claim)))
                    .collect::<Vec<_>>()
            })
            .await?;
            for (id, result) in released {
                match result {
                    Ok(()) => report.released += 1,
                    Err(EventLogError::ClaimLost { .. }) => report.lost += 1,
                    Err(e) => {
                        tracing::warn!(event = %id, error = %e, "releasing a claim failed");
                        report.errors += 1;
                    }
                }
            }
        }
        Ok(report)
    }
}

impl Shared {
    /// Sends one claimed event and records the attempt.
    async fn deliver(self: Arc<Self>, claim: ClaimedEvent) -> Disposition {
        let span = tracing::info_span!(
            "delivery",
            event = %claim.event.id,
            merchant = %claim.event.merchant,
        );
        async move {
            let config = &self.config;
            let started = Instant::now();
            let at = config.clock.now();
            let answer = self.sender.send(&claim.event, at).await;
            let attempt = Attempt {
                id: config.ids.new_id("att"),
                timestamp: at,
                status_code: answer.status_code,
                response_body: answer.body,
                response_headers: answer.headers,
            };
            let now = config.clock.now();
            let outcome = decide(
                &config.retry,
                &claim,
                &attempt,
                answer.retry_after,
                now,
                config.max_retry_after,
            );
            self.observer
                .attempted(&claim.event, &attempt, &outcome, started.elapsed());
            tracing::info!(status = attempt.status_code, ?outcome, "attempt made");
            let log = Arc::clone(&self.log);
            let recorded = tokio::task::spawn_blocking(move || {
                log.record_attempt(&claim, attempt, outcome, now)
            })
            .await;
            match recorded {
                Ok(Ok(_)) => Disposition::Recorded(outcome),
                Ok(Err(EventLogError::ClaimLost { .. })) => {
                    tracing::info!(
                        "claim lost before the attempt was recorded: another worker owns the event"
                    );
                    Disposition::Lost
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "recording the attempt failed");
                    Disposition::Error
                }
                Err(e) => {
                    tracing::error!(error = %e, "recording the attempt did not finish");
                    Disposition::Error
                }
            }
        }
        .instrument(span)
        .await
    }
}
