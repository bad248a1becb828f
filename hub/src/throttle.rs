//! Login throttling, per account and per client address.
//!
//! An attempt is counted before its password is checked, in the same locked step that checks the
//! limits: forty parallel guesses cannot all pass the check before the first failure is recorded,
//! so at most the limit of them ever reach argon2. A successful attempt is then taken back: the
//! account's failures are forgotten and the address is not charged for it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Attempts allowed per account inside one window.
pub const MAX_PER_ACCOUNT: u32 = 5;
/// Attempts allowed per client address (an IPv6 /64) inside one window.
pub const MAX_PER_ADDRESS: u32 = 20;
/// Window length, seconds.
pub const WINDOW_SECS: u64 = 15 * 60;
/// Above this many tracked keys, windows that have ended are dropped.
const PRUNE_ABOVE: usize = 100_000;

/// What an attempt is counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThrottleKey {
    /// A username as typed (trimmed).
    Account(String),
    /// The client's address; IPv6 addresses count per /64, which one host can easily fill.
    Address(IpAddr),
}

impl ThrottleKey {
    fn limit(&self) -> u32 {
        match self {
            ThrottleKey::Account(_) => MAX_PER_ACCOUNT,
            ThrottleKey::Address(_) => MAX_PER_ADDRESS,
        }
    }

    fn id(&self) -> String {
        match self {
            ThrottleKey::Account(name) => format!("acct:{name}"),
            ThrottleKey::Address(ip) => match ip.to_canonical() {
                IpAddr::V4(v4) => format!("addr:{v4}"),
                IpAddr::V6(v6) => {
                    let s = v6.segments();
                    format!("addr:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    attempts: u32,
    start: u64,
}

/// Attempts per key in the current window.
#[derive(Debug, Default)]
pub struct Throttle {
    windows: Mutex<HashMap<String, Window>>,
}

/// An attempt the throttle let through. It stays counted (as a failure) unless it is handed
/// back to [`Throttle::succeeded`].
#[derive(Debug)]
#[must_use = "an admitted attempt counts as a failure unless it is reported as a success"]
pub struct Admitted {
    ids: Vec<(String, bool)>,
}

impl Throttle {
    /// Admits one attempt against every key, or refuses it with the seconds until the earliest
    /// window that is full ends. Checking and counting are one step under one lock.
    pub fn admit(&self, keys: &[ThrottleKey], now: u64) -> Result<Admitted, u64> {
        let mut windows = self.windows.lock().expect("throttle lock");
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, w| now < w.start + WINDOW_SECS);
        }
        let ids: Vec<(String, u32, bool)> = keys
            .iter()
            .map(|k| (k.id(), k.limit(), matches!(k, ThrottleKey::Account(_))))
            .collect();
        let wait = ids
            .iter()
            .filter_map(|(id, limit, _)| {
                let w = windows.get(id)?;
                let open = now < w.start + WINDOW_SECS;
                (open && w.attempts >= *limit).then(|| w.start + WINDOW_SECS - now)
            })
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (id, _, _) in &ids {
            let w = windows.entry(id.clone()).or_insert(Window {
                attempts: 0,
                start: now,
            });
            if now >= w.start + WINDOW_SECS {
                *w = Window {
                    attempts: 0,
                    start: now,
                };
            }
            w.attempts += 1;
        }
        Ok(Admitted {
            ids: ids
                .into_iter()
                .map(|(id, _, account)| (id, account))
                .collect(),
        })
    }

    /// The admitted attempt succeeded: the account's window is cleared and the attempt no
    /// longer counts against its address.
    pub fn succeeded(&self, attempt: Admitted) {
        let mut windows = self.windows.lock().expect("throttle lock");
        for (id, account) in attempt.ids {
            if account {
                windows.remove(&id);
            } else if let Some(w) = windows.get_mut(&id) {
                w.attempts = w.attempts.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Vec<ThrottleKey> {
        vec![
            ThrottleKey::Account("alice".into()),
            ThrottleKey::Address("203.0.113.9".parse().unwrap()),
        ]
    }

    #[test]
    fn attempts_are_counted_when_admitted_so_the_limit_holds_without_any_result() {
        let t = Throttle::default();
        // Nobody reports back: these are five guesses still being checked.
        let pending: Vec<Admitted> = (0..MAX_PER_ACCOUNT)
            .map(|_| t.admit(&alice(), 100).unwrap())
            .collect();
        assert_eq!(t.admit(&alice(), 101).unwrap_err(), WINDOW_SECS - 1);
        assert!(t.admit(&[ThrottleKey::Account("bob".into())], 101).is_ok());
        assert!(t.admit(&alice(), 100 + WINDOW_SECS).is_ok(), "a new window");
        drop(pending);
    }

    #[test]
    fn a_success_clears_the_account_and_refunds_the_address() {
        let t = Throttle::default();
        for _ in 0..MAX_PER_ACCOUNT - 1 {
            let _failed = t.admit(&alice(), 100).unwrap();
        }
        t.succeeded(t.admit(&alice(), 100).unwrap());
        let windows = t.windows.lock().unwrap();
        assert!(!windows.contains_key("acct:alice"));
        assert_eq!(windows["addr:203.0.113.9"].attempts, MAX_PER_ACCOUNT - 1);
    }

    #[test]
    fn an_address_is_limited_across_accounts_and_ipv6_counts_per_64() {
        let t = Throttle::default();
        let from = |ip: &str, n: u32| {
            vec![
                ThrottleKey::Account(format!("user-{n}")),
                ThrottleKey::Address(ip.parse().unwrap()),
            ]
        };
        for n in 0..MAX_PER_ADDRESS {
            let _failed = t
                .admit(&from(&format!("2001:db8:1:2::{n:x}"), n), 100)
                .unwrap();
        }
        assert!(t.admit(&from("2001:db8:1:2:ffff::1", 99), 100).is_err());
        assert!(t.admit(&from("2001:db8:1:3::1", 99), 100).is_ok());
    }
}
