//! Which callback URLs the service may POST to, so that a subscription cannot make it reach an
//! internal address (SSRF): `MOTCUA_WEBHOOK_ALLOWED_HOSTS`.
//!
//! A callback URL is `https` (or `http` to a host the allow-list names exactly), without user or
//! password. With no allow-list any host may be named; with one, only the hosts it matches:
//! `host.example` (that host), `*.example` (hosts below it), an IP address or a CIDR network.
//! Whatever the list, every address the host resolves to must be public: loopback, private (RFC
//! 1918, fc00::/7), link-local, CGNAT (100.64/10), unspecified, multicast, broadcast and
//! documentation addresses, and the cloud metadata address, are refused unless an IP or CIDR
//! entry of the list covers them. The check is made when a subscription is created and again at
//! each delivery, on the addresses the delivery then connects to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

/// The metadata service of most clouds.
const METADATA: IpAddr = IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254));

/// One entry of the allow-list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// This host name exactly (lower case).
    Host(String),
    /// Host names ending with `.suffix`.
    Below(String),
    /// An address, or a network: `(address, prefix length)`.
    Network(IpAddr, u8),
}

/// `MOTCUA_WEBHOOK_ALLOWED_HOSTS`: comma-separated entries; empty: any public host over https.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    entries: Vec<Entry>,
}

impl std::str::FromStr for AllowList {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let entries = text
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(parse_entry)
            .collect::<Result<_, _>>()?;
        Ok(Self { entries })
    }
}

fn parse_entry(text: &str) -> Result<Entry, String> {
    if let Some((address, prefix)) = text.split_once('/') {
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("`{text}`: not a CIDR network"))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| format!("`{text}`: not a CIDR network"))?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        if prefix > bits {
            return Err(format!("`{text}`: the prefix is longer than the address"));
        }
        return Ok(Entry::Network(address, prefix));
    }
    if let Ok(address) = text.trim_matches(['[', ']']).parse::<IpAddr>() {
        let bits = if address.is_ipv4() { 32 } else { 128 };
        return Ok(Entry::Network(address, bits));
    }
    let name = text.to_ascii_lowercase();
    let valid = |host: &str| {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    };
    match name.strip_prefix("*.") {
        Some(suffix) if valid(suffix) => Ok(Entry::Below(suffix.to_owned())),
        None if valid(&name) => Ok(Entry::Host(name)),
        _ => Err(format!(
            "`{text}`: an entry is a host name, `*.` and a domain, an IP address or a CIDR network"
        )),
    }
}

/// A callback URL that passed the checks that need no name resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackUrl {
    pub url: Url,
    /// The host, lower case, without brackets.
    pub host: String,
    pub port: u16,
}

impl AllowList {
    /// The checks of the URL itself: scheme, no user information, host allowed.
    pub fn check_url(&self, text: &str) -> Result<CallbackUrl, String> {
        let url = Url::parse(text).map_err(|e| format!("not an absolute URL: {e}"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err("a callback URL carries no user name or password".into());
        }
        let host = url
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or("a callback URL names a host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let named = self.names(&host);
        match url.scheme() {
            "https" => {}
            "http" if named => {}
            "http" => {
                return Err(format!(
                    "plain http only to a host MOTCUA_WEBHOOK_ALLOWED_HOSTS names exactly; \
                     use https for {host}"
                ))
            }
            other => return Err(format!("`{other}` URLs are not callbacks: use https")),
        }
        if !self.entries.is_empty() && !named && !self.below_allowed(&host) {
            return Err(format!(
                "{host} is not in the service's allow-list (MOTCUA_WEBHOOK_ALLOWED_HOSTS)"
            ));
        }
        if let Ok(address) = host.parse::<IpAddr>() {
            self.check_address(address)?;
        }
        let port = url
            .port_or_known_default()
            .ok_or("a callback URL has a port")?;
        Ok(CallbackUrl { url, host, port })
    }

    /// Refuses an address that is not public, unless an IP or CIDR entry covers it (the
    /// metadata address: unless an entry names it exactly).
    pub fn check_address(&self, address: IpAddr) -> Result<(), String> {
        let address = canonical(address);
        let covered = self.entries.iter().any(|entry| match *entry {
            Entry::Network(network, prefix) if address == METADATA => {
                network == METADATA && prefix == 32
            }
            Entry::Network(network, prefix) => in_network(address, network, prefix),
            _ => false,
        });
        match special_range(address) {
            Some(kind) if !covered => Err(format!(
                "{address} is a {kind} address; the service does not call it unless \
                 MOTCUA_WEBHOOK_ALLOWED_HOSTS lists it"
            )),
            _ => Ok(()),
        }
    }

    /// The addresses `callback`'s host resolves to, each checked: the ones a delivery may
    /// connect to. Refused when any is not allowed (a name that also resolves to an internal
    /// address is refused whole), or when there is none.
    pub async fn resolve(&self, callback: &CallbackUrl) -> Result<Vec<SocketAddr>, String> {
        let found: Vec<SocketAddr> = match callback.host.parse::<IpAddr>() {
            Ok(address) => vec![SocketAddr::new(address, callback.port)],
            Err(_) => tokio::net::lookup_host((callback.host.as_str(), callback.port))
                .await
                .map_err(|e| format!("{} cannot be resolved: {e}", callback.host))?
                .collect(),
        };
        if found.is_empty() {
            return Err(format!("{} has no address", callback.host));
        }
        for address in &found {
            self.check_address(address.ip())?;
        }
        Ok(found)
    }

    /// Whether an entry names `host` exactly (a host name, or an address or network holding it).
    fn names(&self, host: &str) -> bool {
        let address = host.parse::<IpAddr>().ok().map(canonical);
        self.entries.iter().any(|entry| match (entry, address) {
            (Entry::Host(name), None) => name == host,
            (Entry::Network(network, prefix), Some(address)) => {
                in_network(address, *network, *prefix)
            }
            _ => false,
        })
    }

    fn below_allowed(&self, host: &str) -> bool {
        self.entries.iter().any(|entry| match entry {
            Entry::Below(suffix) => host
                .strip_suffix(suffix.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
            _ => false,
        })
    }
}

/// An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is checked as IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

fn in_network(address: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (address, canonical(network)) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// What kind of non-public address `address` is, if it is one.
fn special_range(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v4(a: Ipv4Addr) -> Option<&'static str> {
    let within =
        |network: [u8; 4], prefix| in_network(a.into(), Ipv4Addr::from(network).into(), prefix);
    if a == Ipv4Addr::new(169, 254, 169, 254) {
        Some("cloud metadata")
    } else if a.is_loopback() {
        Some("loopback")
    } else if a.is_private() {
        Some("private")
    } else if a.is_link_local() {
        Some("link-local")
    } else if within([100, 64, 0, 0], 10) {
        Some("shared (CGNAT)")
    } else if a.is_unspecified() || within([0, 0, 0, 0], 8) {
        Some("unspecified")
    } else if a.is_multicast() || a.is_broadcast() || within([240, 0, 0, 0], 4) {
        Some("multicast or reserved")
    } else if a.is_documentation() || within([198, 18, 0, 0], 15) || within([192, 0, 0, 0], 24) {
        Some("reserved")
    } else {
        None
    }
}

fn special_v6(a: Ipv6Addr) -> Option<&'static str> {
    let within = |network: Ipv6Addr, prefix| in_network(a.into(), network.into(), prefix);
    if a.is_loopback() {
        Some("loopback")
    } else if a.is_unspecified() {
        Some("unspecified")
    } else if within(Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7) {
        Some("private (unique local)")
    } else if within(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10) {
        Some("link-local")
    } else if a.is_multicast() {
        Some("multicast")
    } else if within(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32)
        || within(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96)
    {
        // Documentation, and NAT64, which could reach any IPv4 address, internal ones too.
        Some("reserved")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn list(text: &str) -> AllowList {
        text.parse().unwrap()
    }

    #[test]
    fn by_default_only_https_to_public_addresses() {
        let open = AllowList::default();
        assert!(open.check_url("https://hooks.example.org/motcua").is_ok());
        assert!(
            open.check_url("https://203.0.113.9/x").is_err(),
            "documentation"
        );
        assert!(open.check_url("https://8.8.8.8/x").is_ok());
        for refused in [
            "http://hooks.example.org/",
            "file:///etc/passwd",
            "ftp://hooks.example.org/",
            "https://user:pw@hooks.example.org/",
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.1/",
            "https://127.0.0.1/",
            "https://[::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://224.0.0.1/",
            "https://192.168.1.1/",
            "https://172.16.0.1/",
        ] {
            assert!(open.check_url(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn entries_name_hosts_and_open_internal_addresses() {
        let allowed = list("127.0.0.1, *.tinh.gov.vn, hooks.example.org, 10.1.0.0/16");
        assert!(allowed.check_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(allowed.check_url("http://localhost:8080/hook").is_err());
        assert!(allowed.check_url("https://a.tinh.gov.vn/").is_ok());
        assert!(allowed.check_url("https://tinh.gov.vn/").is_err());
        assert!(allowed.check_url("https://eviltinh.gov.vn/").is_err());
        assert!(
            allowed.check_url("http://a.tinh.gov.vn/").is_err(),
            "http needs an exact entry"
        );
        assert!(allowed.check_url("https://HOOKS.example.org/").is_ok());
        assert!(allowed.check_url("https://other.example.org/").is_err());
        assert!(allowed.check_url("https://10.1.2.3/").is_ok());
        assert!(allowed.check_url("https://10.2.0.1/").is_err());
        assert!(allowed.check_address("10.1.9.9".parse().unwrap()).is_ok());
        assert!(allowed.check_address("10.0.0.1".parse().unwrap()).is_err());
        let wide = list("169.254.0.0/16");
        assert!(wide.check_address(METADATA).is_err(), "named exactly only");
        assert!(list("169.254.169.254").check_address(METADATA).is_ok());
        assert!("*.".parse::<AllowList>().is_err());
        assert!("10.0.0.0/33".parse::<AllowList>().is_err());
    }

    #[tokio::test]
    async fn names_resolving_to_internal_addresses_are_refused() {
        let open = AllowList::default();
        let callback = CallbackUrl {
            url: Url::parse("https://localhost/").unwrap(),
            host: "localhost".into(),
            port: 443,
        };
        assert!(open.resolve(&callback).await.is_err());
        let allowed = list("localhost, 127.0.0.0/8, ::1");
        assert!(!allowed.resolve(&callback).await.unwrap().is_empty());
    }
}
