//! [`GuardedInvokes`]: the invoke-URL check of `POST …/notifications`, done with the
//! delivery worker's [`UrlPolicy`], so a merchant learns at registration, not at the first
//! delivery, that an invoke URL points where the platform will not call.

use std::sync::Arc;

use ordergate::Host;
use ordergate::model::Notification;
use ordergate::notify::{InvokeError, resolve_invoke};
use ordergate_delivery::{UrlPolicy, check_syntax};

use crate::state::{BoxFuture, InvokeCheck};

/// Checks a notification's invoke template as far as it can be resolved now: adapter
/// configuration placeholders from the merchant's stored configuration, `{order_id}` with a
/// stand-in id. The resolved URL must pass the [`UrlPolicy`] after DNS resolution. When the
/// host part depends on order data (`{order.…}` before the path), only what precedes the
/// first placeholder is checked; the delivery worker checks every URL again before it
/// connects, so nothing unchecked is ever called.
pub struct GuardedInvokes {
    host: Arc<Host>,
    policy: UrlPolicy,
}

impl GuardedInvokes {
    /// A check with `policy`, reading adapter configurations through `host`.
    pub fn new(host: Arc<Host>, policy: UrlPolicy) -> Self {
        Self { host, policy }
    }

    async fn check_template(&self, merchant: &str, n: &Notification) -> Result<(), String> {
        let Some(template) = n.invoke.as_deref() else {
            return Ok(());
        };
        let configuration = match (&n.adapter_id, template.contains("{configuration.")) {
            (Some(adapter), true) => {
                let host = Arc::clone(&self.host);
                let (merchant, adapter) = (merchant.to_owned(), adapter.clone());
                // A store call may block (PostgreSQL's client must not run on the runtime).
                tokio::task::spawn_blocking(move || host.adapter_configuration(&merchant, &adapter))
                    .await
                    .map_err(|e| format!("could not read the adapter configuration: {e}"))?
                    .map_err(|e| format!("could not read the adapter configuration: {e}"))?
            }
            _ => None,
        };
        let stand_in = serde_json::json!({ "id": "o_check" });
        let url = match resolve_invoke(template, &stand_in, configuration.as_ref()) {
            Ok(url) => url,
            Err(InvokeError::Unresolved { .. }) => match fixed_origin(template) {
                Some(prefix) => prefix.to_owned(),
                // The destination comes from data not there yet: checked at delivery.
                None => return Ok(()),
            },
            Err(other) => return Err(other.to_string()),
        };
        check_syntax(&url).map_err(|e| e.to_string())?;
        self.policy.check(&url).await.map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// The part of `template` before its first placeholder, when that part already names a
/// whole origin (`scheme://host[:port]/`), so the destination is known.
fn fixed_origin(template: &str) -> Option<&str> {
    let prefix = &template[..template.find('{')?];
    let after_scheme = prefix.find("://")? + 3;
    prefix[after_scheme..].contains('/').then_some(prefix)
}

impl InvokeCheck for GuardedInvokes {
    fn check<'a>(
        &'a self,
        merchant: &'a str,
        notification: &'a Notification,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(self.check_template(merchant, notification))
    }
}

#[cfg(test)]
mod tests {
    use super::fixed_origin;

    #[test]
    fn the_origin_is_fixed_only_when_the_host_precedes_every_placeholder() {
        assert_eq!(
            fixed_origin("http://10.0.0.1/orders/{order.reference}"),
            Some("http://10.0.0.1/orders/")
        );
        assert_eq!(fixed_origin("https://{order.reference}.example/x"), None);
        assert_eq!(fixed_origin("http://host:{order.port}/x"), None);
        assert_eq!(fixed_origin("{configuration.adapter.url}/x"), None);
        assert_eq!(fixed_origin("http://plain.example/"), None);
    }
}
