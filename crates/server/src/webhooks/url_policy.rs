//! Where webhook endpoints may point: the guard against server-side
//! request forgery through `POST /v1/webhook_endpoints`.
//!
//! An API key can make checkoutd POST to any URL it names, from inside the
//! network checkoutd runs in. So:
//! - link-local addresses (169.254.0.0/16, fe80::/10), cloud metadata
//!   services (169.254.169.254, `metadata.google.internal`,
//!   100.100.100.200, fd00:ec2::254), unspecified, multicast and reserved
//!   addresses are refused for every endpoint;
//! - loopback and private ranges (127.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12,
//!   192.168.0.0/16, 100.64.0.0/10, ::1, fc00::/7, `localhost`) are
//!   allowed to test-mode endpoints only, by default
//!   (`--webhook-private-urls test-only`), so local development and CI
//!   receivers work while a live key cannot reach internal services;
//!   `always` allows them to live endpoints too (receivers on the same
//!   private network), `never` refuses them to test endpoints as well.
//!
//! The URL is checked when an endpoint is created or updated (a 400 on
//! `url`), and again at each delivery, after DNS resolution: the delivery
//! client's resolver drops refused addresses, so a name that resolves (or
//! later re-resolves) to a refused address is never connected to.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Who may target loopback and private addresses (`--webhook-private-urls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PrivateUrls {
    /// Test-mode endpoints only (the default).
    #[default]
    TestOnly,
    /// Test- and live-mode endpoints.
    Always,
    /// No endpoint.
    Never,
}

impl PrivateUrls {
    /// Whether an endpoint of this mode may target private addresses.
    pub fn allows_private(self, livemode: bool) -> bool {
        match self {
            PrivateUrls::TestOnly => !livemode,
            PrivateUrls::Always => true,
            PrivateUrls::Never => false,
        }
    }
}

/// How the policy sees an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Public,
    /// Loopback or a private range.
    Private,
    /// Link-local, metadata, unspecified, multicast, reserved.
    Forbidden,
}

/// Host names of cloud metadata services.
const METADATA_HOSTS: &[&str] = &[
    "metadata.google.internal",
    "metadata.goog",
    "metadata",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.tencentyun.com",
];

fn classify_v4(ip: Ipv4Addr) -> Class {
    let [a, b, _, _] = ip.octets();
    if ip.is_unspecified()
        || a == 0
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a >= 240
        || ip == Ipv4Addr::new(100, 100, 100, 200)
    {
        Class::Forbidden
    } else if ip.is_loopback() || ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        Class::Private
    } else {
        Class::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> Class {
    let first = ip.segments()[0];
    if ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xffc0) == 0xfe80
        || ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)
    {
        Class::Forbidden
    } else if ip.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfec0 {
        Class::Private
    } else if let Some(v4) = nat64(ip) {
        classify_v4(v4)
    } else {
        Class::Public
    }
}

/// The IPv4 address inside a NAT64 (64:ff9b::/96) address.
fn nat64(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    (s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]).then(|| {
        let [_, _, _, _, _, _, _, _, _, _, _, _, a, b, c, d] = ip.octets();
        Ipv4Addr::new(a, b, c, d)
    })
}

/// Classify an address (IPv4-mapped IPv6 addresses as their IPv4 one).
pub fn classify(ip: IpAddr) -> Class {
    match ip.to_canonical() {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// Whether an endpoint may connect to `ip`.
pub fn allowed(ip: IpAddr, allow_private: bool) -> bool {
    match classify(ip) {
        Class::Public => true,
        Class::Private => allow_private,
        Class::Forbidden => false,
    }
}

fn normalise(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn is_metadata_host(host: &str) -> bool {
    METADATA_HOSTS.contains(&normalise(host).as_str())
}

fn is_localhost(host: &str) -> bool {
    let h = normalise(host);
    h == "localhost" || h.ends_with(".localhost")
}

/// Check a webhook URL before it is stored (and before each delivery):
/// `Err` says why it is refused. Host names are checked by name here and
/// by address when a delivery resolves them.
pub fn check_url(url: &str, livemode: bool, policy: PrivateUrls) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("it is not a valid URL ({e})"))?;
    let allow_private = policy.allows_private(livemode);
    let refused = |what: &str| {
        let mode = if livemode { "live" } else { "test" };
        Err(format!(
            "it points at {what}, which {mode}-mode webhook endpoints may not target"
        ))
    };
    // The URL parser has normalised the host: IPv4 in dotted form (also
    // from `2852039166` or `0xA9FEA9FE`), IPv6 in brackets.
    let host = parsed.host_str().ok_or("it has no host")?;
    let ip = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        IpAddr::V6(v6.parse().map_err(|_| "its IPv6 host is invalid")?)
    } else if let Ok(v4) = host.parse::<Ipv4Addr>() {
        IpAddr::V4(v4)
    } else if is_metadata_host(host) {
        return refused("a cloud metadata service");
    } else if is_localhost(host) {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        return Ok(());
    };
    match classify(ip) {
        Class::Public => Ok(()),
        Class::Private if allow_private => Ok(()),
        Class::Private => refused("a loopback or private address"),
        Class::Forbidden => refused("a link-local, metadata or reserved address"),
    }
}

/// The DNS resolver of the delivery client: it drops the addresses the
/// policy refuses and fails when none is left, so the check holds for the
/// address actually connected to.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            if is_metadata_host(&host) {
                return Err(format!("{host} is a cloud metadata service").into());
            }
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allowed(a.ip(), allow_private))
                .collect();
            if kept.is_empty() {
                return Err(format!(
                    "{host} resolves only to addresses webhook deliveries may not reach"
                )
                .into());
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, livemode: bool) -> Result<(), String> {
        check_url(url, livemode, PrivateUrls::TestOnly)
    }

    #[test]
    fn link_local_and_metadata_are_refused_in_every_mode() {
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            "http://[fe80::1]/hook",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://METADATA.google.internal./x",
            "http://100.100.100.200/",
            "http://[fd00:ec2::254]/",
            "http://[::ffff:169.254.169.254]/",
            "http://0.0.0.0:8080/",
            "http://2852039166/",
            "http://[64:ff9b::a9fe:a9fe]/",
        ] {
            assert!(check(url, false).is_err(), "{url} allowed in test mode");
            assert!(check(url, true).is_err(), "{url} allowed in live mode");
            let always = check_url(url, true, PrivateUrls::Always);
            assert!(always.is_err(), "{url} allowed with `always`");
        }
    }

    #[test]
    fn loopback_and_private_ranges_follow_the_mode() {
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://localhost:9000/hook",
            "http://[::1]/hook",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://[fd12::1]/",
        ] {
            assert_eq!(check(url, false), Ok(()), "{url} refused in test mode");
            assert!(check(url, true).is_err(), "{url} allowed in live mode");
            assert_eq!(check_url(url, true, PrivateUrls::Always), Ok(()));
            assert!(check_url(url, false, PrivateUrls::Never).is_err());
        }
    }

    #[test]
    fn public_addresses_and_names_pass() {
        for url in [
            "https://example.com/hook",
            "http://93.184.216.34/",
            "https://[2606:2800:220:1::248]/",
            "http://172.32.0.1/",
        ] {
            assert_eq!(check(url, true), Ok(()), "{url}");
        }
    }

    #[tokio::test]
    async fn the_resolver_drops_refused_addresses() {
        let strict = GuardedResolver {
            allow_private: false,
        };
        let name: Name = "localhost".parse().expect("name");
        assert!(strict.resolve(name).await.is_err());
        let lax = GuardedResolver {
            allow_private: true,
        };
        let name: Name = "localhost".parse().expect("name");
        let addrs: Vec<SocketAddr> = lax.resolve(name).await.expect("resolves").collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
        let name: Name = "metadata.google.internal".parse().expect("name");
        assert!(lax.resolve(name).await.is_err());
    }
}
