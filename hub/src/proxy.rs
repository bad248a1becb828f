//! The client's address behind reverse proxies the operator trusts.
//!
//! Behind a proxy every request comes from the proxy's address, so throttling by peer address
//! would lock every worker out together. The forwarding headers (`Forwarded`, RFC 7239, else
//! `X-Forwarded-For`) are believed only when the peer is a configured trusted proxy — anyone else
//! could write any address there — and then only up to the first hop that is not itself trusted:
//! each proxy appends the address it saw, so the list is read from the right.

use std::net::IpAddr;

/// A trusted proxy: one address, or a CIDR range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyRange {
    net: IpAddr,
    prefix: u8,
}

impl ProxyRange {
    /// Parses `192.0.2.1`, `10.0.0.0/8`, `::1` or `fd00::/8`.
    pub fn parse(text: &str) -> Result<ProxyRange, String> {
        let bad = || format!("{text:?} is not an IP address or a CIDR range like 10.0.0.0/8");
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (text, None),
        };
        let net: IpAddr = addr.trim().parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(bad());
        }
        Ok(ProxyRange { net, prefix })
    }

    /// Whether `ip` lies in this range (an IPv4-mapped IPv6 address counts as its IPv4 form).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let (whole, rest) = (usize::from(bits / 8), bits % 8);
    a[..whole] == b[..whole]
        && (rest == 0 || {
            let mask = 0xffu8 << (8 - rest);
            a[whole] & mask == b[whole] & mask
        })
}

/// The proxies whose forwarding headers the hub believes (none by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<ProxyRange>);

impl TrustedProxies {
    /// Parses the `trusted_proxies` setting; the error names the entry to fix.
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        entries
            .iter()
            .map(|e| ProxyRange::parse(e).map_err(|m| format!("trusted_proxies: {m}")))
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    /// Whether `ip` is a trusted proxy.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|r| r.contains(ip))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the rightmost
    /// forwarded address that is not a trusted proxy. `forwarded` are the `Forwarded` header
    /// values and `x_forwarded_for` the `X-Forwarded-For` ones, in order; `Forwarded` wins when
    /// present. A hop the proxy could not name (`unknown`, an obfuscated id) ends the walk at
    /// the last address known.
    pub fn client(&self, peer: IpAddr, forwarded: &[&str], x_forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<Option<IpAddr>> = if forwarded.is_empty() {
            x_forwarded_for
                .iter()
                .flat_map(|v| v.split(','))
                .map(|hop| parse_node(hop.trim()))
                .collect()
        } else {
            forwarded
                .iter()
                .flat_map(|v| v.split(','))
                .map(|element| {
                    element
                        .split(';')
                        .find_map(|pair| {
                            let (k, v) = pair.split_once('=')?;
                            k.trim()
                                .eq_ignore_ascii_case("for")
                                .then(|| parse_node(v.trim().trim_matches('"')))
                        })
                        .flatten()
                })
                .collect()
        };
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            match hop {
                Some(ip) if self.trusts(ip) => client = ip,
                Some(ip) => return ip,
                None => return client,
            }
        }
        client
    }
}

/// An address as forwarding headers write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn parse_node(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (host, port) = text.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_match_by_prefix_and_refuse_nonsense() {
        let r = ProxyRange::parse("10.1.0.0/16").unwrap();
        assert!(r.contains(ip("10.1.200.3")));
        assert!(!r.contains(ip("10.2.0.1")));
        assert!(r.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped");
        assert!(
            ProxyRange::parse("fd00::/8")
                .unwrap()
                .contains(ip("fd12::1"))
        );
        assert!(ProxyRange::parse("10.0.0.0/33").is_err());
        assert!(ProxyRange::parse("proxy.local").is_err());
        assert!(ProxyRange::parse("10.0.0.1/x").is_err());
        assert!(
            ProxyRange::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let none = TrustedProxies::default();
        let local = TrustedProxies::parse(&["127.0.0.1".into(), "10.0.0.0/8".into()]).unwrap();
        let peer = ip("127.0.0.1");
        assert_eq!(none.client(peer, &[], &["203.0.113.9"]), peer);
        assert_eq!(
            local.client(ip("198.51.100.1"), &[], &["203.0.113.9"]),
            ip("198.51.100.1")
        );
        assert_eq!(local.client(peer, &[], &["203.0.113.9"]), ip("203.0.113.9"));
        // A client's own X-Forwarded-For entry sits left of what the proxies appended.
        assert_eq!(
            local.client(peer, &[], &["1.2.3.4, 203.0.113.9, 10.0.0.2"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            local.client(peer, &[], &["1.2.3.4", "203.0.113.9:5000"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            local.client(
                peer,
                &["for=1.2.3.4, for=\"[2001:db8::7]:4711\";proto=https"],
                &["9.9.9.9"]
            ),
            ip("2001:db8::7"),
            "Forwarded wins over X-Forwarded-For"
        );
        assert_eq!(local.client(peer, &["for=unknown"], &[]), peer);
        assert_eq!(local.client(peer, &[], &["10.0.0.5"]), ip("10.0.0.5"));
        assert_eq!(local.client(peer, &[], &[]), peer);
    }
}
