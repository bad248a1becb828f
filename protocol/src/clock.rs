//! The clock: the only place that reads the system time, so that expiry is testable without sleeping.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current time, passed to domain code instead of reading the system clock.
#[derive(Clone)]
pub struct Clock(ClockKind);

#[derive(Clone)]
enum ClockKind {
    System,
    Manual(Arc<AtomicU64>),
}

impl Clock {
    /// The real wall clock.
    pub fn system() -> Self {
        Clock(ClockKind::System)
    }

    /// A clock that stands still at `unix_seconds` until moved with [`Clock::advance`].
    pub fn manual(unix_seconds: u64) -> Self {
        Clock(ClockKind::Manual(Arc::new(AtomicU64::new(
            unix_seconds * 1000,
        ))))
    }

    /// Moves a manual clock forward; a no-op on the system clock.
    pub fn advance(&self, by: Duration) {
        if let ClockKind::Manual(ms) = &self.0 {
            ms.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
        }
    }

    /// Moves a manual clock back, as an NTP correction steps a server's clock; a no-op on the
    /// system clock.
    pub fn step_back(&self, by: Duration) {
        if let ClockKind::Manual(ms) = &self.0 {
            ms.fetch_sub(by.as_millis() as u64, Ordering::SeqCst);
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> u64 {
        match &self.0 {
            #[allow(clippy::disallowed_methods)] // The one sanctioned read of the system clock.
            ClockKind::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
            ClockKind::Manual(ms) => ms.load(Ordering::SeqCst),
        }
    }

    /// Seconds since the Unix epoch.
    pub fn now_secs(&self) -> u64 {
        self.now_millis() / 1000
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            ClockKind::System => f.write_str("Clock::system"),
            ClockKind::Manual(_) => write!(f, "Clock::manual({})", self.now_secs()),
        }
    }
}

/// Formats Unix milliseconds as an RFC 3339 UTC timestamp (`2026-11-25T10:42:35Z`).
pub fn rfc3339(unix_millis: u64) -> String {
    let secs = unix_millis / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Formats Unix milliseconds as an HTTP date (`Wed, 25 Nov 2026 10:42:35 GMT`, RFC 9110 §5.6.7).
pub fn http_date(unix_millis: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = unix_millis / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Parses an RFC 3339 UTC time (`2026-11-25T10:42:35Z`, optional fraction) into Unix
/// milliseconds: [`DateTime::parse`](crate::datetime::DateTime::parse)'s rules (real calendar
/// dates only), in UTC (`Z`), not before 1970.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    if !text.ends_with('Z') {
        return None;
    }
    let instant = crate::datetime::DateTime::parse(text).ok()?;
    u64::try_from(instant.unix_millis()).ok()
}

/// Howard Hinnant's days-to-civil algorithm: days since 1970-01-01 to (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = Clock::manual(1_000);
        assert_eq!(clock.now_secs(), 1_000);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now_secs(), 1_090);
    }

    #[test]
    fn dates_format_as_rfc3339_and_http_dates() {
        // 2026-11-25T10:42:35Z was a Wednesday.
        let t = 1_795_603_355_000;
        assert_eq!(rfc3339(t), "2026-11-25T10:42:35Z");
        assert_eq!(http_date(t), "Wed, 25 Nov 2026 10:42:35 GMT");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn rfc3339_parses_back() {
        for t in [0, 951_782_400_000, 1_795_603_355_000] {
            assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t));
        }
        assert_eq!(
            parse_rfc3339("2026-11-25T10:42:35.5Z"),
            Some(1_795_603_355_500)
        );
        for bad in [
            "2026-11-25",
            "2026-11-25T10:42:35+01:00",
            "2026-13-01T00:00:00Z",
            "2026-02-31T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "soon",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
