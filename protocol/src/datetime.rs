//! Timestamps as records carry them: `xsd:dateTimeStamp` lexical forms, kept verbatim, with their instant.
//!
//! A record signs the exact characters of each timestamp, so [`DateTime`] keeps the lexical form it
//! was parsed from and compares by the instant it denotes.

use std::fmt;

use thiserror::Error;

/// A string is not an RFC 3339 / `xsd:dateTimeStamp` timestamp with a time zone.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error(
    "`{value}` is not a timestamp like 2024-05-01T12:00:00Z (RFC 3339 with a time zone): {reason}"
)]
pub struct DateTimeError {
    /// The rejected text.
    pub value: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// An instant with the exact text it was written as (`2018-11-03T14:03:16.1760745+02:00`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DateTime {
    lexical: String,
    unix_millis: i64,
}

impl DateTime {
    /// Parses `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`.
    pub fn parse(text: &str) -> Result<Self, DateTimeError> {
        let fail = |reason| DateTimeError {
            value: text.to_owned(),
            reason,
        };
        let b = text.as_bytes();
        if b.len() < 20 {
            return Err(fail("too short"));
        }
        let num = |range: std::ops::Range<usize>| -> Option<i64> {
            let part = text.get(range)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let shape_ok =
            b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[16] == b':';
        if !shape_ok {
            return Err(fail("expected YYYY-MM-DDThh:mm:ss"));
        }
        let fields = (
            num(0..4),
            num(5..7),
            num(8..10),
            num(11..13),
            num(14..16),
            num(17..19),
        );
        let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) = fields else {
            return Err(fail("date and time fields must be digits"));
        };
        if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
            return Err(fail("no such date"));
        }
        if h > 23 || mi > 59 || s > 59 {
            return Err(fail("no such time of day"));
        }
        let mut rest = &text[19..];
        let mut millis = 0i64;
        if let Some(fraction) = rest.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(fail("a fraction needs digits"));
            }
            let first3 = format!("{:0<3}", &fraction[..digits.min(3)]);
            millis = first3.parse().map_err(|_| fail("bad fraction"))?;
            rest = &fraction[digits..];
        }
        let offset_minutes = match rest {
            "Z" => 0,
            _ if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) => {
                let (Some(oh), Some(om)) = (
                    num(text.len() - 5..text.len() - 3),
                    num(text.len() - 2..text.len()),
                ) else {
                    return Err(fail("bad time zone offset"));
                };
                if rest.as_bytes()[3] != b':' || oh > 14 || om > 59 {
                    return Err(fail("bad time zone offset"));
                }
                let sign = if rest.starts_with('-') { -1 } else { 1 };
                sign * (oh * 60 + om)
            }
            "" => return Err(fail("a time zone (Z or ±hh:mm) is required")),
            _ => return Err(fail("unexpected text after the time")),
        };
        let days = days_from_civil(y, mo as u32, d as u32);
        let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset_minutes * 60;
        Ok(DateTime {
            lexical: text.to_owned(),
            unix_millis: secs * 1000 + millis,
        })
    }

    /// The instant `unix_millis` written in UTC with seconds precision (`2026-11-25T10:42:35Z`).
    pub fn from_unix_millis(unix_millis: u64) -> Self {
        let lexical = crate::clock::rfc3339(unix_millis);
        DateTime {
            lexical,
            unix_millis: (unix_millis / 1000 * 1000) as i64,
        }
    }

    /// The text exactly as written.
    pub fn as_str(&self) -> &str {
        &self.lexical
    }

    /// Milliseconds since the Unix epoch (negative before 1970); fractions finer than a millisecond are cut.
    pub fn unix_millis(&self) -> i64 {
        self.unix_millis
    }
}

impl PartialOrd for DateTime {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DateTime {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.unix_millis
            .cmp(&other.unix_millis)
            .then_with(|| self.lexical.cmp(&other.lexical))
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lexical)
    }
}

impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DateTime({})", self.lexical)
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's civil-to-days algorithm: (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_offsets_and_fractions_denote_their_instant() {
        let t = DateTime::parse("2018-11-03T14:03:16.1760745+02:00").unwrap();
        assert_eq!(t.as_str(), "2018-11-03T14:03:16.1760745+02:00");
        let utc = DateTime::parse("2018-11-03T12:03:16.176Z").unwrap();
        assert_eq!(t.unix_millis(), utc.unix_millis());
        assert_eq!(
            DateTime::parse("1970-01-01T00:00:00Z")
                .unwrap()
                .unix_millis(),
            0
        );
        assert_eq!(
            DateTime::parse("2000-02-29T00:00:00Z")
                .unwrap()
                .unix_millis(),
            951_782_400_000
        );
        assert_eq!(
            DateTime::from_unix_millis(1_795_603_355_000).as_str(),
            "2026-11-25T10:42:35Z"
        );
    }

    #[test]
    fn malformed_timestamps_are_rejected() {
        for bad in [
            "2018-11-03",
            "2018-11-03T14:03:16",
            "2018-02-30T00:00:00Z",
            "2018-11-03T24:00:00Z",
            "2018-11-03T14:03:16.Z",
            "2018-11-03T14:03:16+0200",
            "2018-11-03 14:03:16Z",
            "2018-11-03T14:03:16Zjunk",
        ] {
            assert!(DateTime::parse(bad).is_err(), "{bad}");
        }
    }
}
