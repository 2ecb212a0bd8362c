//! The invoke-URL guard: merchants choose where events are sent, so without it a merchant
//! could make the service POST into its own network (cloud metadata endpoints, admin ports,
//! databases). Every address a host resolves to must be public unless the operator allowed
//! it; the HTTP client resolves through the same policy ([`GuardedResolver`]), so the
//! connection goes to the addresses that were checked and a DNS answer that changes between
//! a check and the connection (rebinding) gains nothing.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Where deliveries may go besides public addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Admit every address, private ones included: a development server (`--dev`) whose
    /// receivers run on the same machine.
    pub allow_private: bool,
    /// Private destinations admitted one by one, e.g. an internal ERP's network.
    pub allow: Vec<Allow>,
}

/// One admitted private destination of a [`UrlPolicy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allow {
    /// Addresses in this network, on any port: `10.1.0.0/16`, `fd00::/8`, or one address
    /// (`10.1.2.3`, a /32).
    Net(IpNet),
    /// A host name, whatever it resolves to (case-insensitive, without a trailing dot):
    /// `erp.internal`.
    Host(String),
}

impl FromStr for Allow {
    type Err = UrlError;

    /// A CIDR network, an address, or a host name.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if let Ok(net) = text.parse::<IpNet>() {
            return Ok(Self::Net(net.trunc()));
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Self::Net(IpNet::from(ip)));
        }
        let host = normalize_host(text);
        let valid = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if valid {
            Ok(Self::Host(host))
        } else {
            Err(UrlError::Allow {
                entry: text.to_owned(),
            })
        }
    }
}

/// Why an invoke URL is not delivered to. The messages are written for the merchant who
/// configured the URL: they are recorded on the event's attempt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not a URL at all.
    #[error("invoke URL {url:?} is not a valid URL: {reason}")]
    Invalid {
        /// The URL as given.
        url: String,
        /// What the parser objected to.
        reason: String,
    },
    /// A scheme other than `http` or `https`.
    #[error("invoke URL scheme {scheme:?} is not supported: use http or https")]
    Scheme {
        /// The URL's scheme.
        scheme: String,
    },
    /// No host to send to (`http:/path`).
    #[error("invoke URL {url:?} has no host")]
    NoHost {
        /// The URL as given.
        url: String,
    },
    /// The host name did not resolve.
    #[error("invoke URL host {host:?} could not be resolved: {reason}")]
    Resolve {
        /// The host name.
        host: String,
        /// The resolver's answer.
        reason: String,
    },
    /// The host name resolved to no address.
    #[error("invoke URL host {host:?} resolves to no address")]
    NoAddress {
        /// The host name.
        host: String,
    },
    /// The host is, or resolves to, an address inside a private or special network.
    #[error(
        "invoke URL host {host:?} resolves to {addr}, a {class} address: deliveries to \
         internal networks are refused"
    )]
    Forbidden {
        /// The host as written in the URL.
        host: String,
        /// The refused address.
        addr: IpAddr,
        /// What kind of address it is.
        class: AddressClass,
    },
    /// An allow-list entry that is neither a network, an address nor a host name.
    #[error("allow-list entry {entry:?} is not a CIDR network, an IP address or a host name")]
    Allow {
        /// The entry as given.
        entry: String,
    },
}

/// The kinds of addresses deliveries never go to by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressClass {
    /// `0.0.0.0/8`, `::`.
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918 (`10/8`, `172.16/12`, `192.168/16`), unique local `fc00::/7`, site-local
    /// `fec0::/10`.
    Private,
    /// `169.254/16` (cloud metadata lives here), `fe80::/10`.
    LinkLocal,
    /// Carrier-grade NAT, `100.64/10`.
    SharedNat,
    /// `255.255.255.255`.
    Broadcast,
    /// `224/4`, `ff00::/8`.
    Multicast,
    /// IETF protocol assignments `192.0.0/24`, benchmarking `198.18/15`, future use `240/4`.
    Reserved,
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unspecified => "unspecified",
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::LinkLocal => "link-local",
            Self::SharedNat => "shared (carrier-grade NAT)",
            Self::Broadcast => "broadcast",
            Self::Multicast => "multicast",
            Self::Reserved => "reserved",
        })
    }
}

impl AddressClass {
    /// The class of a non-public address; `None` for a public one. IPv4 addresses written
    /// in IPv6 (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`)
    /// are classed by their IPv4 address, so `::ffff:127.0.0.1` is loopback.
    pub fn of(ip: IpAddr) -> Option<Self> {
        match ip {
            IpAddr::V4(v4) => Self::of_v4(v4),
            IpAddr::V6(v6) => Self::of_v6(v6),
        }
    }

    fn of_v4(ip: Ipv4Addr) -> Option<Self> {
        let [a, b, c, _] = ip.octets();
        Some(match () {
            () if a == 0 => Self::Unspecified,
            () if ip.is_loopback() => Self::Loopback,
            () if ip.is_private() => Self::Private,
            () if ip.is_link_local() => Self::LinkLocal,
            () if a == 100 && b & 0xc0 == 64 => Self::SharedNat,
            () if ip.is_broadcast() => Self::Broadcast,
            () if ip.is_multicast() => Self::Multicast,
            () if a >= 240 || (a, b, c) == (192, 0, 0) || (a == 198 && b & 0xfe == 18) => {
                Self::Reserved
            }
            () => return None,
        })
    }

    fn of_v6(ip: Ipv6Addr) -> Option<Self> {
        let first = ip.segments()[0];
        if ip.is_unspecified() {
            return Some(Self::Unspecified);
        }
        if ip.is_loopback() {
            return Some(Self::Loopback);
        }
        if let Some(v4) = ip.to_ipv4() {
            // Mapped and (deprecated) compatible forms.
            return Self::of_v4(v4);
        }
        if ip.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
            let [.., a, b, c, d] = ip.octets();
            return Self::of_v4(Ipv4Addr::new(a, b, c, d));
        }
        Some(match () {
            () if ip.is_multicast() => Self::Multicast,
            () if first & 0xffc0 == 0xfe80 => Self::LinkLocal,
            () if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfec0 => Self::Private,
            () => return None,
        })
    }
}

/// Checks the shape of an invoke URL without resolving it: it parses, its scheme is `http`
/// or `https`, and it names a host.
pub fn check_syntax(url: &str) -> Result<Url, UrlError> {
    let parsed = Url::parse(url).map_err(|e| UrlError::Invalid {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(UrlError::Scheme {
            scheme: parsed.scheme().to_owned(),
        });
    }
    if parsed.host().is_none() {
        return Err(UrlError::NoHost {
            url: url.to_owned(),
        });
    }
    Ok(parsed)
}

fn normalize_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

impl UrlPolicy {
    /// The production policy: public addresses only.
    pub fn public_only() -> Self {
        Self::default()
    }

    /// Whether `host` may connect to `addr`; `host` is the name as written in the URL.
    pub fn check_addr(&self, host: &str, addr: IpAddr) -> Result<(), UrlError> {
        let Some(class) = AddressClass::of(addr) else {
            return Ok(());
        };
        if self.allow_private || self.allows(host, addr) {
            return Ok(());
        }
        Err(UrlError::Forbidden {
            host: host.to_owned(),
            addr,
            class,
        })
    }

    fn allows(&self, host: &str, addr: IpAddr) -> bool {
        let host = normalize_host(host);
        self.allow.iter().any(|rule| match rule {
            Allow::Net(net) => net.contains(&addr),
            Allow::Host(name) => *name == host,
        })
    }

    /// Checks a parsed URL whose host is an IP address: those never reach a resolver, so
    /// the client's [`GuardedResolver`] cannot refuse them. Host names pass (the resolver
    /// checks them).
    pub fn check_literal(&self, url: &Url) -> Result<(), UrlError> {
        let addr = match url.host() {
            Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
            Some(url::Host::Domain(_)) => return Ok(()),
            None => {
                return Err(UrlError::NoHost {
                    url: url.to_string(),
                });
            }
        };
        self.check_addr(url.host_str().unwrap_or_default(), addr)
    }

    /// Resolves `host` and checks every address it resolves to: one refused address
    /// refuses the host (a name that resolves to a public and a private address could
    /// be connected to either).
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, UrlError> {
        let resolved =
            tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| UrlError::Resolve {
                    host: host.to_owned(),
                    reason: e.to_string(),
                })?;
        let addrs: Vec<SocketAddr> = resolved.collect();
        if addrs.is_empty() {
            return Err(UrlError::NoAddress {
                host: host.to_owned(),
            });
        }
        for addr in &addrs {
            self.check_addr(host, addr.ip())?;
        }
        Ok(addrs)
    }

    /// Checks an invoke URL completely: [`check_syntax`], then every address of its host
    /// (the address itself for an IP host). Returns the addresses with the URL's port.
    pub async fn check(&self, url: &str) -> Result<Vec<SocketAddr>, UrlError> {
        let parsed = check_syntax(url)?;
        // http and https both have a known default port.
        let port = parsed.port_or_known_default().unwrap_or(80);
        match parsed.host() {
            Some(url::Host::Domain(host)) => self.resolve(host, port).await,
            Some(url::Host::Ipv4(v4)) => self.literal(&parsed, IpAddr::V4(v4), port),
            Some(url::Host::Ipv6(v6)) => self.literal(&parsed, IpAddr::V6(v6), port),
            None => Err(UrlError::NoHost {
                url: url.to_owned(),
            }),
        }
    }

    fn literal(&self, url: &Url, addr: IpAddr, port: u16) -> Result<Vec<SocketAddr>, UrlError> {
        self.check_literal(url)?;
        Ok(vec![SocketAddr::new(addr, port)])
    }
}

/// The HTTP client's DNS resolver: resolves with the system resolver and applies the
/// [`UrlPolicy`], failing the connection with a [`UrlError`] (found in the request
/// error's source chain) when an address is refused.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    policy: Arc<UrlPolicy>,
}

impl GuardedResolver {
    /// A resolver applying `policy`.
    pub fn new(policy: Arc<UrlPolicy>) -> Self {
        Self { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            // Port 0: the client puts the URL's port on the addresses.
            let addrs = policy.resolve(name.as_str(), 0).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(ip: &str) -> Option<AddressClass> {
        AddressClass::of(ip.parse().unwrap())
    }

    #[test]
    fn classes_of_special_addresses() {
        use AddressClass::*;
        for (ip, expected) in [
            ("0.0.0.0", Some(Unspecified)),
            ("0.1.2.3", Some(Unspecified)),
            ("127.0.0.1", Some(Loopback)),
            ("127.255.0.9", Some(Loopback)),
            ("10.0.0.1", Some(Private)),
            ("172.16.0.1", Some(Private)),
            ("172.31.255.255", Some(Private)),
            ("172.32.0.1", None),
            ("192.168.1.1", Some(Private)),
            ("169.254.169.254", Some(LinkLocal)),
            ("100.64.0.1", Some(SharedNat)),
            ("100.127.255.255", Some(SharedNat)),
            ("100.128.0.1", None),
            ("255.255.255.255", Some(Broadcast)),
            ("224.0.0.1", Some(Multicast)),
            ("240.0.0.1", Some(Reserved)),
            ("198.19.0.1", Some(Reserved)),
            ("192.0.0.8", Some(Reserved)),
            ("93.184.215.14", None),
            ("::", Some(Unspecified)),
            ("::1", Some(Loopback)),
            ("::ffff:127.0.0.1", Some(Loopback)),
            ("::ffff:10.1.1.1", Some(Private)),
            ("::ffff:169.254.169.254", Some(LinkLocal)),
            ("::127.0.0.1", Some(Loopback)),
            ("64:ff9b::a9fe:a9fe", Some(LinkLocal)),
            ("64:ff9b::5db8:d70e", None),
            ("fc00::1", Some(Private)),
            ("fd12:3456::1", Some(Private)),
            ("fec0::1", Some(Private)),
            ("fe80::1", Some(LinkLocal)),
            ("ff02::1", Some(Multicast)),
            ("2606:2800:220:1::1", None),
        ] {
            assert_eq!(class(ip), expected, "{ip}");
        }
    }

    #[test]
    fn allow_entries_parse() {
        assert_eq!(
            "10.1.0.0/16".parse::<Allow>().unwrap(),
            Allow::Net("10.1.0.0/16".parse().unwrap())
        );
        assert_eq!(
            "10.1.2.3".parse::<Allow>().unwrap(),
            Allow::Net("10.1.2.3/32".parse().unwrap())
        );
        assert_eq!(
            "10.1.2.3/8".parse::<Allow>().unwrap(),
            Allow::Net("10.0.0.0/8".parse().unwrap())
        );
        assert_eq!(
            "ERP.Internal.".parse::<Allow>().unwrap(),
            Allow::Host("erp.internal".into())
        );
        assert_eq!(
            "http://x".parse::<Allow>().unwrap_err().to_string(),
            "allow-list entry \"http://x\" is not a CIDR network, an IP address or a host name"
        );
    }

    #[test]
    fn syntax_is_http_or_https_with_a_host() {
        assert_eq!(
            check_syntax("ftp://example.com/x").unwrap_err(),
            UrlError::Scheme {
                scheme: "ftp".into()
            }
        );
        assert_eq!(
            check_syntax("not a url").unwrap_err().to_string(),
            "invoke URL \"not a url\" is not a valid URL: relative URL without a base"
        );
        assert_eq!(
            check_syntax("https://example.com:8443/hook?x=1")
                .unwrap()
                .as_str(),
            "https://example.com:8443/hook?x=1"
        );
    }
}
