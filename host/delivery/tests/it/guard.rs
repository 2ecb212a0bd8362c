//! The invoke-URL guard, on its own and in the worker: refused URLs send nothing.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use ordergate::events::EventStatus;
use ordergate_delivery::{AddressClass, Allow, RunReport, UrlError, UrlPolicy};

use crate::common::*;

fn forbidden(host: &str, addr: &str, class: AddressClass) -> UrlError {
    UrlError::Forbidden {
        host: host.into(),
        addr: addr.parse().unwrap(),
        class,
    }
}

#[tokio::test]
async fn internal_destinations_are_refused() {
    let policy = UrlPolicy::public_only();
    let cases = [
        (
            "http://127.0.0.1/hook",
            forbidden("127.0.0.1", "127.0.0.1", AddressClass::Loopback),
        ),
        (
            "http://10.0.0.1/",
            forbidden("10.0.0.1", "10.0.0.1", AddressClass::Private),
        ),
        (
            "https://[::1]:8443/",
            forbidden("[::1]", "::1", AddressClass::Loopback),
        ),
        (
            "http://[::ffff:192.168.0.1]/",
            forbidden(
                "[::ffff:c0a8:1]",
                "::ffff:192.168.0.1",
                AddressClass::Private,
            ),
        ),
        (
            "http://169.254.169.254/latest/meta-data",
            forbidden(
                "169.254.169.254",
                "169.254.169.254",
                AddressClass::LinkLocal,
            ),
        ),
        (
            "http://100.100.100.200/",
            forbidden(
                "100.100.100.200",
                "100.100.100.200",
                AddressClass::SharedNat,
            ),
        ),
        (
            "http://0.0.0.0:8080/",
            forbidden("0.0.0.0", "0.0.0.0", AddressClass::Unspecified),
        ),
        (
            "ftp://example.com/export",
            UrlError::Scheme {
                scheme: "ftp".into(),
            },
        ),
    ];
    for (url, expected) in cases {
        assert_eq!(policy.check(url).await, Err(expected), "{url}");
    }
    assert_eq!(
        policy
            .check("http://169.254.169.254/latest/meta-data")
            .await
            .unwrap_err()
            .to_string(),
        "invoke URL host \"169.254.169.254\" resolves to 169.254.169.254, a link-local \
         address: deliveries to internal networks are refused"
    );
    // A name is checked by what it resolves to (127.0.0.1 or ::1, as the system says).
    assert!(matches!(
        policy.check("http://localhost:8080/").await,
        Err(UrlError::Forbidden { host, addr, class: AddressClass::Loopback })
            if host == "localhost" && addr.is_loopback()
    ));
    // Public addresses pass, with the URL's port.
    assert_eq!(
        policy.check("https://93.184.215.14/x").await,
        Ok(vec![SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(93, 184, 215, 14)),
            443
        )])
    );
}

#[tokio::test]
async fn an_allow_list_entry_admits_its_destination_only() {
    let policy = UrlPolicy {
        allow_private: false,
        allow: vec!["127.0.0.1".parse().unwrap(), "localhost".parse().unwrap()],
    };
    assert_eq!(policy.allow[1], Allow::Host("localhost".into()));
    assert_eq!(
        policy.check("http://127.0.0.1:9/").await,
        Ok(vec!["127.0.0.1:9".parse().unwrap()])
    );
    assert_eq!(
        policy.check("http://LOCALHOST:9/").await,
        Ok(vec!["127.0.0.1:9".parse().unwrap()])
    );
    assert_eq!(
        policy.check("http://127.0.0.2:9/").await,
        Err(forbidden("127.0.0.2", "127.0.0.2", AddressClass::Loopback))
    );
    assert_eq!(
        policy.check("http://10.0.0.1/").await,
        Err(forbidden("10.0.0.1", "10.0.0.1", AddressClass::Private))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_urls_send_nothing_and_the_attempt_says_why() {
    let receiver = Receiver::start(vec![Reply::status(200)]).await;
    let port = receiver.addr.port();
    let clock = ManualClock::new();
    let store = store_with(vec![
        event("literal", Some(&receiver.url("/hook"))),
        // A name goes through the client's resolver, which applies the same policy.
        event("named", Some(&format!("http://localhost:{port}/hook"))),
        event("ftp", Some(&format!("ftp://localhost:{port}/hook"))),
    ]);
    let strict = worker(&store, config(&clock), UrlPolicy::public_only());
    assert_eq!(
        strict.run_once().await.unwrap(),
        RunReport {
            claimed: 3,
            retrying: 3,
            ..RunReport::default()
        }
    );
    assert_eq!(receiver.received().len(), 0);
    let refused =
        |detail: String| Some(problem("refused-url", "The invoke URL is refused", &detail));
    for (id, detail) in [
        (
            "literal",
            forbidden("127.0.0.1", "127.0.0.1", AddressClass::Loopback).to_string(),
        ),
        (
            "ftp",
            "invoke URL scheme \"ftp\" is not supported: use http or https".to_owned(),
        ),
    ] {
        let e = stored(&store, id);
        assert_eq!(e.status, EventStatus::Pending, "{id}");
        assert_eq!(e.attempts[0].status_code, 0, "{id}");
        assert_eq!(e.attempts[0].response_body, refused(detail), "{id}");
    }
    let named = stored(&store, "named");
    let detail = named.attempts[0].response_body.as_ref().unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    let loopback = ["127.0.0.1", "::1"]
        .map(|addr| forbidden("localhost", addr, AddressClass::Loopback).to_string());
    assert!(loopback.contains(&detail), "{detail}");
    assert_eq!(named.attempts[0].status_code, 0);

    // The operator allows the receiver's address: the literal and the named URL are sent.
    clock.advance(std::time::Duration::from_secs(5));
    let policy = UrlPolicy {
        allow_private: false,
        allow: vec!["127.0.0.1/32".parse().unwrap()],
    };
    let allowed = worker(&store, config(&clock), policy);
    assert_eq!(
        allowed.run_once().await.unwrap(),
        RunReport {
            claimed: 3,
            delivered: 2,
            retrying: 1,
            ..RunReport::default()
        }
    );
    assert_eq!(receiver.received().len(), 2);
}
