//! DNS: domain names and records that parse before they reach a provider.

use super::FieldError;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A domain name as Latch keeps it: lower-case ASCII, no trailing dot, 2 labels at least, each
/// 1 to 63 letters, digits or inner hyphens, 253 characters at most, a TLD that is not a number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_field("domain", raw)
    }

    pub fn parse_field(field: &str, raw: &str) -> Result<Self, FieldError> {
        let bad = || {
            FieldError::new(
                field,
                "invalid_domain",
                "A domain name: labels of letters, digits and inner hyphens, joined by dots.",
            )
        };
        let name = raw.trim().trim_end_matches('.').to_ascii_lowercase();
        if name.is_empty() || name.len() > 253 || !name.is_ascii() {
            return Err(bad());
        }
        let labels: Vec<&str> = name.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let tld_ok = labels
            .last()
            .is_some_and(|t| !t.chars().all(|c| c.is_ascii_digit()));
        if labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
            return Err(bad());
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is `domain` or a name under it (`domain` in lower case).
    pub fn is_within(&self, domain: &str) -> bool {
        self.0 == domain
            || self
                .0
                .strip_suffix(domain)
                .is_some_and(|head| head.ends_with('.'))
    }

    /// Whether `name` is this domain or below it.
    pub fn contains(&self, name: &str) -> bool {
        name == self.0 || name.ends_with(&format!(".{}", self.0))
    }
}

impl TryFrom<String> for DomainName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).map_err(|e| e.message)
    }
}

impl From<DomainName> for String {
    fn from(value: DomainName) -> Self {
        value.0
    }
}

/// The record types a zone takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordType {
    A,
    Aaaa,
    Cname,
    Mx,
    Txt,
}

impl RecordType {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Cname => "CNAME",
            RecordType::Mx => "MX",
            RecordType::Txt => "TXT",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::A, Self::Aaaa, Self::Cname, Self::Mx, Self::Txt]
            .into_iter()
            .find(|t| t.as_str() == raw)
    }
}

/// One value of one record set (`name`, `kind`) of a zone. `name` is the full name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsRecord {
    pub kind: RecordType,
    pub name: String,
    /// As a zone file writes it (a TXT value without its quotes).
    pub value: String,
    pub ttl: u32,
}

impl DnsRecord {
    /// A record of zone `zone` from a request: `name` is `@` (or empty) for the apex, a name
    /// relative to the zone, or a full name inside it (422 `outside_zone` otherwise); the value
    /// must suit the type; the TTL is 60 to 86400 seconds.
    pub fn parse(
        zone: &DomainName,
        kind: &str,
        name: &str,
        value: &str,
        ttl: i64,
    ) -> Result<Self, Vec<FieldError>> {
        let mut problems = Vec::new();
        let kind = RecordType::parse(kind);
        if kind.is_none() {
            problems.push(FieldError::new(
                "type",
                "unknown_type",
                "Use A, AAAA, CNAME, MX or TXT.",
            ));
        }
        // As in a zone file: a name ending with a dot is absolute, any other is relative to the
        // zone unless it already ends with the zone's name.
        let absolute = name.trim().ends_with('.');
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        let full = if name.is_empty() || name == "@" {
            Some(zone.as_str().to_owned())
        } else if zone.contains(&name) {
            Some(name)
        } else if absolute {
            None
        } else {
            Some(format!("{name}.{}", zone.as_str()))
        };
        let full = full.filter(|f| record_name_ok(f) && zone.contains(f));
        if full.is_none() {
            problems.push(FieldError::new(
                "name",
                "outside_zone",
                "Name a record inside this zone.",
            ));
        }
        if !(60..=86_400).contains(&ttl) {
            problems.push(FieldError::new(
                "ttl",
                "out_of_range",
                "Use 60 to 86400 seconds.",
            ));
        }
        if let (Some(kind), Some(full)) = (kind, &full) {
            if kind == RecordType::Cname && full == zone.as_str() {
                problems.push(FieldError::new(
                    "name",
                    "cname_at_apex",
                    "A zone's apex cannot be a CNAME.",
                ));
            }
            if let Err(why) = value_of(kind, value) {
                problems.push(why);
            }
        }
        match (kind, full, problems.is_empty()) {
            (Some(kind), Some(name), true) => Ok(Self {
                kind,
                name,
                value: value_of(kind, value).unwrap_or_default(),
                ttl: u32::try_from(ttl).unwrap_or(300),
            }),
            _ => Err(problems),
        }
    }
}

/// The value in its canonical form, or why it does not suit `kind`.
/// A record's full name: a domain name whose labels may also hold `_` (`_dmarc`,
/// `sel._domainkey`: names of records, not of hosts).
fn record_name_ok(name: &str) -> bool {
    let hostlike = name.replace('_', "a");
    DomainName::parse_field("name", &hostlike).is_ok_and(|d| d.as_str() == hostlike)
}

/// The longest TXT value a record takes: its 255-byte strings joined (Route 53 takes 4000
/// characters a value; a 2048-bit DKIM key needs about 410).
pub const TXT_MAX: usize = 1024;

impl DnsRecord {
    /// The value as a zone file and Route 53 write it: host names absolute, a TXT value quoted
    /// in strings of at most 255 bytes.
    pub fn presentation(&self) -> String {
        match self.kind {
            RecordType::Txt => self
                .value
                .as_bytes()
                .chunks(255)
                .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
                .collect::<Vec<_>>()
                .join(" "),
            RecordType::Cname | RecordType::Mx => format!("{}.", self.value),
            _ => self.value.clone(),
        }
    }

    /// A value as `presentation` wrote it, back as a `DnsRecord` holds it.
    pub fn from_presentation(kind: RecordType, value: &str) -> String {
        match kind {
            RecordType::Txt => value
                .split('"')
                .skip(1)
                .step_by(2)
                .collect::<Vec<_>>()
                .concat(),
            RecordType::Cname | RecordType::Mx => value.trim_end_matches('.').to_ascii_lowercase(),
            _ => value.to_owned(),
        }
    }
}

fn value_of(kind: RecordType, raw: &str) -> Result<String, FieldError> {
    let bad = |message: &str| FieldError::new("value", "invalid_value", message);
    let raw = raw.trim();
    match kind {
        RecordType::A => raw
            .parse::<Ipv4Addr>()
            .map(|ip| ip.to_string())
            .map_err(|_| bad("An IPv4 address.")),
        RecordType::Aaaa => raw
            .parse::<Ipv6Addr>()
            .map(|ip| ip.to_string())
            .map_err(|_| bad("An IPv6 address.")),
        RecordType::Cname => DomainName::parse_field("value", raw)
            .map(String::from)
            .map_err(|_| bad("A domain name.")),
        RecordType::Mx => {
            let (pref, host) = raw
                .split_once(' ')
                .ok_or_else(|| bad("A preference and a host: `10 mail.example.com`."))?;
            let pref: u16 = pref
                .trim()
                .parse()
                .map_err(|_| bad("A preference of 0 to 65535."))?;
            let host = DomainName::parse_field("value", host).map_err(|_| bad("A host name."))?;
            Ok(format!("{pref} {}", host.as_str()))
        }
        RecordType::Txt => {
            let printable = raw.chars().all(|c| c.is_ascii_graphic() || c == ' ');
            if raw.is_empty()
                || raw.len() > TXT_MAX
                || !printable
                || raw.contains('"')
                || raw.contains('\\')
            {
                Err(bad(
                    "1 to 1024 printable ASCII characters, no quote or backslash.",
                ))
            } else {
                Ok(raw.to_owned())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> DomainName {
        DomainName::parse("Example.COM.").unwrap()
    }

    #[test]
    fn a_domain_is_within_itself_and_its_parents_only() {
        let d = |raw| DomainName::parse(raw).unwrap();
        assert!(d("mail.example.com").is_within("mail.example.com"));
        assert!(d("a.b.mail.example.com").is_within("mail.example.com"));
        assert!(d("MAIL.example.com.").is_within("mail.example.com"));
        for outside in [
            "example.com",
            "xmail.example.com",
            "mail.example.co",
            "mail.example.com.au",
        ] {
            assert!(!d(outside).is_within("mail.example.com"), "{outside}");
        }
    }

    #[test]
    fn domains_are_normalized_and_shaped() {
        assert_eq!(zone().as_str(), "example.com");
        for bad in [
            "",
            "com",
            "-a.com",
            "a-.com",
            "a..com",
            "a.123",
            "exa mple.com",
            "ex_ample.com",
            "é.com",
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(DomainName::parse(&format!("{}.com", "a".repeat(64))).is_err());
        assert!(zone().contains("www.example.com") && !zone().contains("badexample.com"));
    }

    #[test]
    fn records_are_named_inside_their_zone_and_valued_by_type() {
        let z = zone();
        let r = DnsRecord::parse(&z, "A", "www", "192.0.2.1", 300).unwrap();
        assert_eq!(
            (r.name.as_str(), r.value.as_str()),
            ("www.example.com", "192.0.2.1")
        );
        assert_eq!(
            DnsRecord::parse(&z, "MX", "@", "10 Mail.Example.com", 3600)
                .unwrap()
                .value,
            "10 mail.example.com"
        );
        assert_eq!(
            DnsRecord::parse(&z, "TXT", "example.com.", "v=spf1 -all", 300)
                .unwrap()
                .name,
            "example.com"
        );
        assert_eq!(
            DnsRecord::parse(&z, "AAAA", "v6", "2001:DB8::1", 300)
                .unwrap()
                .value,
            "2001:db8::1"
        );
        let code = |r: Result<DnsRecord, Vec<FieldError>>| r.unwrap_err()[0].code.clone();
        assert_eq!(
            code(DnsRecord::parse(
                &z,
                "A",
                "www.other.org.",
                "192.0.2.1",
                300
            )),
            "outside_zone"
        );
        assert_eq!(
            DnsRecord::parse(&z, "A", "www.other.org", "192.0.2.1", 300)
                .unwrap()
                .name,
            "www.other.org.example.com",
            "relative, as a zone file reads it"
        );
        assert_eq!(
            code(DnsRecord::parse(&z, "SRV", "www", "x", 300)),
            "unknown_type"
        );
        assert_eq!(
            code(DnsRecord::parse(&z, "A", "www", "999.1.1.1", 300)),
            "invalid_value"
        );
        assert_eq!(
            code(DnsRecord::parse(&z, "CNAME", "@", "other.org", 300)),
            "cname_at_apex"
        );
        assert_eq!(
            code(DnsRecord::parse(&z, "TXT", "t", "say \"hi\"", 300)),
            "invalid_value"
        );
        let dkim = DnsRecord::parse(&z, "TXT", "latch._domainkey", &"k".repeat(600), 300).unwrap();
        assert_eq!(dkim.name, "latch._domainkey.example.com");
        let wire = dkim.presentation();
        assert_eq!(
            wire.matches('"').count(),
            6,
            "three strings of at most 255: {wire}"
        );
        assert_eq!(
            DnsRecord::from_presentation(RecordType::Txt, &wire),
            dkim.value
        );
        assert_eq!(
            code(DnsRecord::parse(&z, "TXT", "t", &"k".repeat(1025), 300)),
            "invalid_value"
        );
        assert_eq!(
            code(DnsRecord::parse(&z, "A", "w_w.", "192.0.2.1", 300)),
            "outside_zone"
        );
        assert_eq!(
            code(DnsRecord::parse(&z, "A", "www", "192.0.2.1", 30)),
            "out_of_range"
        );
        assert_eq!(
            code(DnsRecord::parse(&z, "MX", "@", "mail.example.com", 300)),
            "invalid_value"
        );
    }
}
