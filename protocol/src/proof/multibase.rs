//! Multibase encodings used by Data Integrity: base58btc (`z…`) and base64url without padding (`u…`).
//!
//! Written here rather than pulled in as a crate: both codecs are a few dozen lines, and the
//! multibase crates on crates.io carry many encodings we never accept.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use thiserror::Error;

/// A multibase string could not be decoded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MultibaseError {
    /// The string is empty.
    #[error("empty multibase string")]
    Empty,
    /// The prefix names an encoding other than the one required here.
    #[error("expected multibase prefix `{expected}`, found `{found}`")]
    WrongPrefix {
        /// The prefix this field requires.
        expected: char,
        /// The prefix found.
        found: char,
    },
    /// A character outside the encoding's alphabet.
    #[error("invalid {encoding} character `{character}`")]
    InvalidCharacter {
        /// `base58btc` or `base64url`.
        encoding: &'static str,
        /// The offending character.
        character: char,
    },
}

const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Encodes bytes as multibase base58btc: `z` followed by the Bitcoin base58 alphabet.
pub fn encode_base58btc(bytes: &[u8]) -> String {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    // Base-58 digits, least significant first.
    let mut digits: Vec<u8> = Vec::with_capacity(bytes.len() * 138 / 100 + 1);
    for &byte in &bytes[zeros..] {
        let mut carry = u32::from(byte);
        for digit in digits.iter_mut() {
            carry += u32::from(*digit) << 8;
            *digit = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let mut out = String::with_capacity(1 + zeros + digits.len());
    out.push('z');
    out.extend(std::iter::repeat_n('1', zeros));
    out.extend(digits.iter().rev().map(|d| ALPHABET[*d as usize] as char));
    out
}

/// Decodes a multibase base58btc string (`z…`).
pub fn decode_base58btc(text: &str) -> Result<Vec<u8>, MultibaseError> {
    let body = strip_prefix(text, 'z')?;
    let zeros = body.bytes().take_while(|b| *b == b'1').count();
    // Bytes, least significant first.
    let mut bytes: Vec<u8> = Vec::with_capacity(body.len());
    for c in body[zeros..].chars() {
        let value = ALPHABET.iter().position(|a| *a as char == c).ok_or(
            MultibaseError::InvalidCharacter {
                encoding: "base58btc",
                character: c,
            },
        )?;
        let mut carry = value as u32;
        for byte in bytes.iter_mut() {
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.push((carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let mut out = vec![0u8; zeros];
    out.extend(bytes.iter().rev());
    Ok(out)
}

/// Encodes bytes as multibase base64url without padding: `u` followed by RFC 4648 §5.
pub fn encode_base64url(bytes: &[u8]) -> String {
    format!("u{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Decodes a multibase base64url string without padding (`u…`).
pub fn decode_base64url(text: &str) -> Result<Vec<u8>, MultibaseError> {
    let body = strip_prefix(text, 'u')?;
    URL_SAFE_NO_PAD.decode(body).map_err(|e| {
        let character = match e {
            base64::DecodeError::InvalidByte(_, b) => b as char,
            _ => body.chars().last().unwrap_or(' '),
        };
        MultibaseError::InvalidCharacter {
            encoding: "base64url",
            character,
        }
    })
}

fn strip_prefix(text: &str, expected: char) -> Result<&str, MultibaseError> {
    let found = text.chars().next().ok_or(MultibaseError::Empty)?;
    if found != expected {
        return Err(MultibaseError::WrongPrefix { expected, found });
    }
    Ok(&text[expected.len_utf8()..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn base58btc_matches_known_values() {
        assert_eq!(encode_base58btc(b""), "z");
        assert_eq!(encode_base58btc(&[0, 0, 1]), "z112");
        assert_eq!(encode_base58btc(b"hello world"), "zStV1DL6CwTryKyV");
        assert_eq!(
            decode_base58btc("zStV1DL6CwTryKyV").unwrap(),
            b"hello world"
        );
    }

    #[test]
    fn wrong_prefix_and_alphabet_are_rejected() {
        assert_eq!(
            decode_base58btc("uabc"),
            Err(MultibaseError::WrongPrefix {
                expected: 'z',
                found: 'u'
            })
        );
        assert!(matches!(
            decode_base58btc("z0OIl"),
            Err(MultibaseError::InvalidCharacter { .. })
        ));
        assert_eq!(decode_base64url(""), Err(MultibaseError::Empty));
        assert!(decode_base64url("u+/").is_err());
    }

    proptest! {
        #[test]
        fn base58btc_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            prop_assert_eq!(decode_base58btc(&encode_base58btc(&bytes)).unwrap(), bytes);
        }

        #[test]
        fn base64url_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            prop_assert_eq!(decode_base64url(&encode_base64url(&bytes)).unwrap(), bytes);
        }
    }
}
