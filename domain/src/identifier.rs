//! The one rule for identifiers that people type and systems compare: SKU, vendor id, an order's
//! external reference, a carrier's tracking reference.
//!
//! An identifier that looks the same must be the same, and one that looks like another must not be
//! something else. So the text is normalised to NFC, which makes canonically equivalent spellings
//! ("é" and "e\u{301}") one value for equality, lookups and unique keys; and characters that are
//! invisible or reorder the text on screen are refused. They are refused rather than stripped:
//! stripping would quietly merge two values the caller sent as different.

use unicode_normalization::UnicodeNormalization;

use crate::DomainError;

/// The identifier as stored: trimmed, NFC, non-empty, at most `max` characters counted after
/// normalisation (the stored length is what columns and keys must hold), with no control, format
/// or bidirectional control character. `what` names it in messages; the field path is left to the
/// caller, which knows where the value sits in its input.
pub fn required(what: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v: String = value.trim().nfc().collect();
    if v.is_empty() {
        return Err(DomainError::validation(&[], format!("{what} must not be empty")));
    }
    if v.chars().count() > max {
        return Err(DomainError::validation(&[], format!("{what} must be at most {max} characters")));
    }
    // Unlike free text, no line break: an identifier is one line wherever it is shown or logged.
    if v.chars().any(char::is_control) {
        return Err(DomainError::validation(&[], format!("{what} must not contain control characters")));
    }
    if v.chars().any(is_format_or_bidi_control) {
        return Err(DomainError::validation(
            &[],
            format!("{what} must not contain invisible formatting or bidirectional control characters"),
        ));
    }
    Ok(v)
}

/// As [`required`], with blank counting as absent.
pub fn optional(what: &str, value: Option<&str>, max: usize) -> Result<Option<String>, DomainError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required(what, v, max).map(Some),
    }
}

/// A character of general category Cf (format). Every Bidi_Control character (U+061C, U+200E,
/// U+200F, U+202A..U+202E, U+2066..U+2069) is of that category, so this one test covers both.
pub fn is_format_or_bidi_control(c: char) -> bool {
    FORMAT.iter().any(|&(first, last)| (first..=last).contains(&c))
}

/// The Cf set of Unicode 15.0, by hand: std has no general-category table and the house keeps
/// Unicode tables crates out of the domain. 170 code points.
const FORMAT: [(char, char); 21] = [
    ('\u{00AD}', '\u{00AD}'),
    ('\u{0600}', '\u{0605}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{06DD}', '\u{06DD}'),
    ('\u{070F}', '\u{070F}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08E2}', '\u{08E2}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{110BD}', '\u{110BD}'),
    ('\u{110CD}', '\u{110CD}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0001}', '\u{E0001}'),
    ('\u{E0020}', '\u{E007F}'),
];

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn message(r: Result<String, DomainError>) -> String {
        match r {
            Err(DomainError::Validation { field, message }) => {
                assert!(field.is_empty(), "the caller places the error, not the rule: {field:?}");
                message
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn canonically_equivalent_spellings_become_one_value() {
        let decomposed = required("sku", "  cafe\u{301}-1 ", 128).unwrap();
        let composed = required("sku", "caf\u{e9}-1", 128).unwrap();
        assert_eq!(decomposed, composed);
        assert_eq!(decomposed, "caf\u{e9}-1");
    }

    #[test]
    fn the_length_limit_counts_normalised_characters() {
        // Ten decomposed "é" are twenty chars as sent and ten once normalised.
        let sent = "e\u{301}".repeat(10);
        assert_eq!(required("sku", &sent, 10).unwrap().chars().count(), 10);
        assert!(required("sku", &"\u{e9}".repeat(11), 10).is_err());
    }

    #[test]
    fn every_format_character_is_refused_wherever_it_sits() {
        let samples = [
            '\u{00AD}',
            '\u{0600}',
            '\u{061C}',
            '\u{06DD}',
            '\u{070F}',
            '\u{0890}',
            '\u{08E2}',
            '\u{180E}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{2064}',
            '\u{206A}',
            '\u{206F}',
            '\u{FEFF}',
            '\u{FFF9}',
            '\u{110BD}',
            '\u{13430}',
            '\u{1343F}',
            '\u{1BCA0}',
            '\u{1D173}',
            '\u{E0001}',
            '\u{E0041}',
        ];
        for c in samples {
            for sent in [format!("{c}AB"), format!("A{c}B"), format!("AB{c}")] {
                let msg = message(required("sku", &sent, 128));
                assert_eq!(
                    msg, "sku must not contain invisible formatting or bidirectional control characters",
                    "U+{:04X} in {sent:?}",
                    c as u32
                );
            }
        }
    }

    #[test]
    fn every_bidirectional_control_is_refused() {
        let bidi_controls =
            ('\u{202A}'..='\u{202E}').chain('\u{2066}'..='\u{2069}').chain(['\u{061C}', '\u{200E}', '\u{200F}']);
        for c in bidi_controls {
            assert!(is_format_or_bidi_control(c), "U+{:04X}", c as u32);
            assert!(required("trackingReference", &format!("TRK{c}1"), 128).is_err());
        }
    }

    #[test]
    fn the_table_is_the_whole_cf_set_and_nothing_else() {
        let count: u32 = FORMAT.iter().map(|&(first, last)| last as u32 - first as u32 + 1).sum();
        assert_eq!(count, 170);
        for w in FORMAT.windows(2) {
            assert!(w[0].1 < w[1].0, "ranges are sorted and disjoint");
        }
        // Neighbours that look alike but are visible stay allowed.
        for c in ['\u{00AC}', '\u{00AE}', '\u{200A}', '\u{2010}', '\u{2065}', '\u{FEFE}', '\u{FFFC}', 'é', 'ß', '字']
        {
            assert!(!is_format_or_bidi_control(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn control_characters_and_line_breaks_are_refused() {
        for sent in ["A\u{0}B", "A\nB", "A\tB", "A\u{7F}B", "A\u{85}B"] {
            assert_eq!(message(required("sku", sent, 128)), "sku must not contain control characters", "{sent:?}");
        }
    }

    proptest! {
        /// Canonically equivalent spellings get the same answer, and what is accepted is stored in
        /// the form it would be accepted again unchanged.
        #[test]
        fn equivalent_spellings_get_one_answer(chars in prop::collection::vec(
            prop_oneof![any::<char>(), Just('e'), Just('\u{301}'), Just('\u{e9}'), Just('\u{200B}'), Just(' ')],
            0..24,
        )) {
            let sent: String = chars.into_iter().collect();
            let decomposed: String = sent.nfd().collect();
            let got = required("sku", &sent, 16);
            prop_assert_eq!(&got, &required("sku", &decomposed, 16));
            if let Ok(v) = got {
                prop_assert!(unicode_normalization::is_nfc(&v));
                prop_assert!(!v.chars().any(is_format_or_bidi_control));
                prop_assert_eq!(required("sku", &v, 16), Ok(v.clone()));
            }
        }
    }

    #[test]
    fn blank_is_empty_when_required_and_absent_when_optional() {
        assert_eq!(message(required("sku", " \t ", 128)), "sku must not be empty");
        assert_eq!(optional("externalRef", Some("   "), 255).unwrap(), None);
        assert_eq!(optional("externalRef", None, 255).unwrap(), None);
        assert_eq!(optional("externalRef", Some(" x "), 255).unwrap().as_deref(), Some("x"));
    }
}
