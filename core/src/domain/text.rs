//! Free text from requests: what may be stored and shown to other people.

/// 1 to `max` characters, not all blank, none a control, format or separator character that
/// hides or reorders text (zero-width, bidirectional overrides, line separators).
pub fn printable(raw: &str, max: usize) -> bool {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
    };
    !raw.trim().is_empty() && raw.chars().count() <= max && !raw.chars().any(hidden)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_descriptions_are_printable_and_bounded() {
        assert!(printable("invoice 42", 200));
        assert!(printable(" padded ", 200), "kept as sent, not refused");
        for bad in [
            "",
            "   ",
            "a\nb",
            "a\u{202E}b",
            "a\u{200B}b",
            "a\u{2028}b",
            "\u{FEFF}x",
        ] {
            assert!(!printable(bad, 200), "{bad:?}");
        }
        assert!(!printable(&"k".repeat(201), 200));
        assert!(printable(&"é".repeat(200), 200), "characters, not bytes");
    }
}
