//! Prometheus metrics: what the service did, by route, status, plugin, verdict and fault,
//! and how deliveries went. Rendered in the text exposition format at `GET /metrics`.

use std::sync::Arc;
use std::time::Duration;

use ordergate::events::AttemptOutcome;
use ordergate::{Trace, Verdict};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels<const N: usize> = [(&'static str, String); N];
type HistogramFamily = Family<Labels<1>, Histogram, fn() -> Histogram>;

/// The service's metrics. Cheap to clone; every clone records into the same series.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: Family<Labels<3>, Counter>,
    mutation_seconds: HistogramFamily,
    plugin_runs: Family<Labels<2>, Counter>,
    plugin_faults: Family<Labels<3>, Counter>,
    plugin_fuel: Family<Labels<1>, Counter>,
    deliveries: Family<Labels<1>, Counter>,
    events_due: Gauge,
}

fn latency_histogram() -> Histogram {
    // 100 µs to ~1.6 s: a mutation without plugins takes tens of microseconds, one with a
    // slow plugin up to its deadline.
    Histogram::new(exponential_buckets(0.0001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every series at zero.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::default();
        registry.register(
            "ordergate_http_requests",
            "HTTP requests by route template, method and status",
            requests.clone(),
        );
        let mutation_seconds: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "ordergate_mutation_duration_seconds",
            "Time of an order mutation in the engine, by outcome (committed, rejected, error)",
            mutation_seconds.clone(),
        );
        let plugin_runs = Family::default();
        registry.register(
            "ordergate_plugin_runs",
            "Plugin runs by plugin id and verdict",
            plugin_runs.clone(),
        );
        let plugin_faults = Family::default();
        registry.register(
            "ordergate_plugin_faults",
            "Plugin faults by merchant, plugin id and fault kind",
            plugin_faults.clone(),
        );
        let plugin_fuel = Family::default();
        registry.register(
            "ordergate_plugin_fuel",
            "Fuel (about one per wasm instruction) consumed by plugins, by plugin id",
            plugin_fuel.clone(),
        );
        let deliveries = Family::default();
        registry.register(
            "ordergate_deliveries",
            "Delivery attempts of notification events by outcome (delivered, retry, failed)",
            deliveries.clone(),
        );
        let events_due = Gauge::default();
        registry.register(
            "ordergate_events_due",
            "Notification events due for delivery now (measured at scrape)",
            events_due.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                registry,
                requests,
                mutation_seconds,
                plugin_runs,
                plugin_faults,
                plugin_fuel,
                deliveries,
                events_due,
            }),
        }
    }

    /// Counts a request answered with `status` on `route` (the route template, e.g.
    /// `/api/v0/checkout/orders/{order_id}/cart`, so that ids do not explode the series).
    pub fn record_request(&self, route: &str, method: &str, status: u16) {
        let labels = [
            ("route", route.to_owned()),
            ("method", method.to_owned()),
            ("status", status.to_string()),
        ];
        self.inner.requests.get_or_create(&labels).inc();
    }

    /// Records one mutation's engine time, its outcome, and what its plugins did (for
    /// `merchant`).
    pub fn record_mutation(
        &self,
        outcome: &'static str,
        elapsed: Duration,
        merchant: &str,
        trace: Option<&Trace>,
    ) {
        self.inner
            .mutation_seconds
            .get_or_create(&[("outcome", outcome.to_owned())])
            .observe(elapsed.as_secs_f64());
        if let Some(trace) = trace {
            self.record_trace(merchant, trace);
        }
    }

    /// Counts the plugin runs, faults and fuel of a trace of `merchant`'s, and logs each
    /// fault as a WARN line (merchant, plugin, version, kind, message): a fault under
    /// `onFault: allow` lets the order through, and the operator must still hear of it.
    pub fn record_trace(&self, merchant: &str, trace: &Trace) {
        for run in &trace.plugins {
            let labels = [
                ("plugin", run.plugin.clone()),
                ("verdict", run.verdict.name().to_owned()),
            ];
            self.inner.plugin_runs.get_or_create(&labels).inc();
            self.inner
                .plugin_fuel
                .get_or_create(&[("plugin", run.plugin.clone())])
                .inc_by(run.fuel_consumed);
            if let Verdict::Faulted { fault, on_fault } = &run.verdict {
                tracing::warn!(
                    merchant = %merchant,
                    plugin = %run.plugin,
                    version = run.version,
                    kind = %fault.kind(),
                    on_fault = %match on_fault {
                        ordergate::OnFault::Allow => "allow",
                        ordergate::OnFault::Reject => "reject",
                    },
                    fault = %fault,
                    "plugin fault"
                );
                let labels = [
                    ("merchant", merchant.to_owned()),
                    ("plugin", run.plugin.clone()),
                    ("kind", fault.kind().to_owned()),
                ];
                self.inner.plugin_faults.get_or_create(&labels).inc();
            }
        }
    }

    /// Counts one delivery attempt with the outcome the retry policy gave it: the delivery
    /// worker's observer calls this.
    pub fn record_delivery(&self, outcome: &AttemptOutcome) {
        let outcome = match outcome {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::RetryAt(_) => "retry",
            AttemptOutcome::Failed => "failed",
        };
        self.inner
            .deliveries
            .get_or_create(&[("outcome", outcome.to_owned())])
            .inc();
    }

    /// Sets the number of events due for delivery.
    pub fn set_events_due(&self, due: usize) {
        self.inner
            .events_due
            .set(i64::try_from(due).unwrap_or(i64::MAX));
    }

    /// The text exposition of every series.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail; an encoder error would leave a partial text,
        // which a scraper reports.
        let _ = encode(&mut text, &self.inner.registry);
        text
    }
}
