//! Where a merchant's webhooks go: an HTTPS URL on the public internet. Private, loopback,
//! link-local (169.254.169.254: cloud metadata), shared and reserved addresses are refused here
//! for IP literals and again at connect time for names (`forbidden_ip`, used by the delivery
//! client's resolver), so a name that resolves to one (DNS rebinding) is refused too. The
//! sandbox allows plain HTTP to loopback, so the docs can show its own receiver.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const MAX_URL_CHARS: usize = 2048;

/// A checked target URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUrl(String);

impl TargetUrl {
    /// Check `s`: HTTPS (or, with `loopback_http`, HTTP to a loopback host), no credentials, a
    /// host that is not a forbidden address or an internal name.
    pub fn parse(s: &str, loopback_http: bool) -> Result<Self, &'static str> {
        if s.chars().count() > MAX_URL_CHARS {
            return Err("must be at most 2048 characters");
        }
        let u = url::Url::parse(s).map_err(|_| "must be an absolute URL such as https://example.com/hooks")?;
        if !u.username().is_empty() || u.password().is_some() {
            return Err("must not carry credentials");
        }
        let host = u.host().ok_or("must have a host")?;
        let ip = match &host {
            url::Host::Ipv4(a) => Some(IpAddr::V4(*a)),
            url::Host::Ipv6(a) => Some(IpAddr::V6(*a)),
            url::Host::Domain(_) => None,
        };
        let name = u.host_str().unwrap_or_default().trim_end_matches('.').to_ascii_lowercase();
        let loopback = ip.is_some_and(|ip| ip.is_loopback()) || name == "localhost";
        if loopback_http && loopback {
            // The sandbox's own receiver, never the service's API.
            return match u.scheme() {
                "http" | "https" if u.path().starts_with("/sandbox/") => Ok(Self(u.to_string())),
                "http" | "https" => Err("must not point at the service itself (in the sandbox, only its /sandbox/ receiver)"),
                _ => Err("must be an https URL"),
            };
        }
        match u.scheme() {
            "https" => {}
            "http" => return Err("must be https"),
            _ => return Err("must be an https URL"),
        }
        if let Some(ip) = ip
            && forbidden_ip(ip)
        {
            return Err("must not point at a private, loopback, link-local or reserved address");
        }
        if ip.is_none() && internal_name(&name) {
            return Err("must not point at an internal host name");
        }
        Ok(Self(u.to_string()))
    }

    /// A URL read back from storage (it was checked when it was saved).
    pub fn trusted(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn internal_name(name: &str) -> bool {
    name == "localhost"
        || [".localhost", ".local", ".internal", ".localdomain", ".home.arpa"].iter().any(|s| name.ends_with(s))
        || !name.contains('.')
}

/// An address a merchant's webhook may never reach: loopback, private (RFC 1918, ULA),
/// link-local (cloud metadata), shared (CGNAT), unspecified, multicast, broadcast, documentation
/// and benchmarking ranges, and IPv4 inside IPv6 (mapped, NAT64) that is one of those.
pub fn forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => forbidden_v4(a),
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let s = a.segments();
            // 64:ff9b::/96 (NAT64) carries an IPv4 address in its last 32 bits.
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                return forbidden_v4(Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8));
            }
            a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || a == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1)
        }
    }
}

fn forbidden_v4(a: Ipv4Addr) -> bool {
    let o = a.octets();
    a.is_loopback()
        || a.is_private()
        || a.is_link_local()
        || a.is_unspecified()
        || a.is_broadcast()
        || a.is_multicast()
        || a.is_documentation()
        || o[0] == 0 // "this network"
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared address space 100.64.0.0/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18.0.0/15
        || o[0] >= 240 // reserved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_targets_are_accepted_outside_the_sandbox() {
        for ok in ["https://hooks.example.com/whatsapp", "https://93.184.216.34/x", "https://[2606:2800:220:1::1]/x"] {
            assert!(TargetUrl::parse(ok, false).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("http://hooks.example.com/x", "must be https"),
            ("https://169.254.169.254/latest/meta-data", "must not point at a private, loopback, link-local or reserved address"),
            ("https://127.0.0.1:8080/api/v1", "must not point at a private, loopback, link-local or reserved address"),
            ("https://10.0.0.5/x", "must not point at a private, loopback, link-local or reserved address"),
            ("https://[::ffff:192.168.0.1]/x", "must not point at a private, loopback, link-local or reserved address"),
            ("https://[fd00::1]/x", "must not point at a private, loopback, link-local or reserved address"),
            ("https://100.64.1.1/x", "must not point at a private, loopback, link-local or reserved address"),
            ("https://localhost/x", "must not point at an internal host name"),
            ("https://metadata.google.internal/x", "must not point at an internal host name"),
            ("https://intranet/x", "must not point at an internal host name"),
            ("https://user:pw@hooks.example.com/x", "must not carry credentials"),
            ("ftp://hooks.example.com/x", "must be an https URL"),
            ("not a url", "must be an absolute URL such as https://example.com/hooks"),
        ] {
            assert_eq!(TargetUrl::parse(bad, false), Err(why), "{bad}");
        }
    }

    #[test]
    fn the_sandbox_allows_plain_http_to_loopback_only() {
        assert!(TargetUrl::parse("http://127.0.0.1:8080/sandbox/webhook-receiver", true).is_ok());
        assert!(TargetUrl::parse("http://localhost:8080/sandbox/webhook-receiver?status=503", true).is_ok());
        assert_eq!(
            TargetUrl::parse("http://127.0.0.1:8080/api/v1/messages/send", true),
            Err("must not point at the service itself (in the sandbox, only its /sandbox/ receiver)")
        );
        assert_eq!(TargetUrl::parse("http://10.0.0.5/x", true), Err("must be https"));
        assert!(TargetUrl::parse("https://10.0.0.5/x", true).is_err(), "private stays refused");
    }

    #[test]
    fn forbidden_addresses_include_mapped_and_nat64_forms() {
        for ip in ["169.254.169.254", "::ffff:127.0.0.1", "64:ff9b::a00:1", "0.0.0.0", "255.255.255.255", "fe80::1", "::1", "198.18.0.1"] {
            assert!(forbidden_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "64:ff9b::5db8:d822"] {
            assert!(!forbidden_ip(ip.parse().unwrap()), "{ip}");
        }
    }
}
