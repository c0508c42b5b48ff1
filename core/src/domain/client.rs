//! The caller as seen by a request: its address and User-Agent, and the binding derived from them.

use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// Who is calling: the client IP (API Gateway's `sourceIp`) and its User-Agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: IpAddr,
    pub user_agent: String,
}

impl ClientInfo {
    /// The /24 (IPv4) or /48 (IPv6) network a session is bound to on refresh.
    pub fn ip_prefix(&self) -> String {
        match self.ip {
            IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                format!("{a}.{b}.{c}.0/24")
            }
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        }
    }

    /// The key rate limits count under: the IPv4 address, or the IPv6 /64 (one subscriber's
    /// network, which can hold countless addresses).
    pub fn rate_key(&self) -> String {
        match self.ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        }
    }

    /// SHA-256 of the User-Agent with digits removed, so a browser update keeps the binding.
    pub fn user_agent_hash(&self) -> String {
        let stripped: String = self
            .user_agent
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .collect();
        let digest = Sha256::digest(stripped.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The User-Agent as shown in session lists: bounded and free of control characters.
    pub fn user_agent_display(&self) -> String {
        self.user_agent
            .chars()
            .filter(|c| !c.is_control())
            .take(256)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(ip: &str, ua: &str) -> ClientInfo {
        ClientInfo {
            ip: ip.parse().unwrap(),
            user_agent: ua.to_owned(),
        }
    }

    #[test]
    fn prefixes_are_slash_24_and_slash_48() {
        assert_eq!(client("203.0.113.77", "").ip_prefix(), "203.0.113.0/24");
        assert_eq!(
            client("2001:db8:abcd:12::1", "").ip_prefix(),
            "2001:db8:abcd::/48"
        );
    }

    #[test]
    fn user_agent_hash_ignores_version_digits_only() {
        let a = client("1.2.3.4", "Firefox/130.0");
        let b = client("1.2.3.4", "Firefox/131.2");
        let c = client("1.2.3.4", "Chrome/131.2");
        assert_eq!(a.user_agent_hash(), b.user_agent_hash());
        assert_ne!(a.user_agent_hash(), c.user_agent_hash());
        assert_eq!(a.user_agent_hash().len(), 64);
    }

    #[test]
    fn rate_keys_are_the_v4_address_or_the_v6_slash_64() {
        assert_eq!(client("203.0.113.77", "").rate_key(), "203.0.113.77");
        assert_eq!(
            client("2001:db8:abcd:12::1", "").rate_key(),
            "2001:db8:abcd:12::/64"
        );
        assert_eq!(
            client("2001:db8:abcd:12:ffff::9", "").rate_key(),
            client("2001:db8:abcd:12::1", "").rate_key()
        );
    }

    #[test]
    fn display_strips_control_characters() {
        assert_eq!(client("1.2.3.4", "a\r\nb").user_agent_display(), "ab");
    }
}
