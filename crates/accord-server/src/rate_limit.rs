//! Rate limits for sign-in and registration, per account and per IP address.

use crate::error::ApiError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

pub struct RateLimits {
    /// Sign-in attempts per (account, address): the tight limit on password
    /// guessing. Keyed on both so a guesser elsewhere never locks the owner
    /// out (OWASP); its sustained rate is below [`RateLimits::login_account`]'s,
    /// so one address alone cannot drain that ceiling either.
    pub login_account_ip: DefaultKeyedRateLimiter<(String, IpAddr)>,
    /// Sign-in attempts per account (normalised email) from anywhere: a far
    /// higher ceiling, for guessing spread over many addresses.
    pub login_account: DefaultKeyedRateLimiter<String>,
    /// Sign-in attempts per IP address: slows credential stuffing.
    pub login_ip: DefaultKeyedRateLimiter<IpAddr>,
    /// Registrations per IP address.
    pub register_ip: DefaultKeyedRateLimiter<IpAddr>,
    /// Questions per author (user or audience member, never per IP: a venue shares one).
    pub questions: DefaultKeyedRateLimiter<String>,
    /// New audience members per IP address: high, since a venue shares one.
    pub join_new_member_ip: DefaultKeyedRateLimiter<IpAddr>,
}

/// Window of `ACCORD_JOIN_NEW_MEMBERS_PER_IP`.
const NEW_MEMBER_WINDOW: Duration = Duration::from_secs(600);

fn quota(burst: u32, one_every: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(one_every)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl RateLimits {
    /// `new_members_per_ip`: audience members one address may create per 10 minutes.
    pub fn new(new_members_per_ip: u32) -> Arc<Self> {
        let new_members_per_ip = new_members_per_ip.max(1);
        Arc::new(RateLimits {
            join_new_member_ip: RateLimiter::keyed(quota(
                new_members_per_ip,
                NEW_MEMBER_WINDOW / new_members_per_ip,
            )),
            login_account_ip: RateLimiter::keyed(quota(10, Duration::from_secs(60))),
            login_account: RateLimiter::keyed(quota(100, Duration::from_secs(36))),
            login_ip: RateLimiter::keyed(quota(50, Duration::from_secs(2))),
            register_ip: RateLimiter::keyed(quota(20, Duration::from_secs(10))),
            questions: RateLimiter::keyed(quota(3, Duration::from_secs(20))),
        })
    }

    /// One sign-in (or registration) attempt on `account` from `ip`. The
    /// per-(account, address) limit is checked first, so an address over it
    /// spends nothing of the account's ceiling.
    pub fn account_attempt(&self, account: &str, ip: IpAddr) -> Result<(), ApiError> {
        check(
            &self.login_account_ip,
            &(account.to_owned(), address_key(ip)),
        )?;
        check(&self.login_account, &account.to_owned())
    }

    /// Forgets keys that are back to a full bucket, so memory stays bounded.
    pub fn prune(&self) {
        self.login_account_ip.retain_recent();
        self.login_account.retain_recent();
        self.login_ip.retain_recent();
        self.register_ip.retain_recent();
        self.questions.retain_recent();
        self.join_new_member_ip.retain_recent();
    }
}

/// What a per-address limit counts by: IPv4 as is (also when mapped into
/// IPv6 by a dual-stack listener), IPv6 by its /64 — one subscriber usually
/// holds a whole /64, and keying on single addresses would hand them 2^64
/// separate allowances.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u128::MAX >> 64))),
        v4 => v4,
    }
}

/// Takes one cell for `key`, or a 429 with the seconds until the next is free.
pub fn check<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), ApiError> {
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ApiError::too_many_requests(wait.as_secs_f64().ceil() as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refuse_with_retry_after() {
        let l: DefaultKeyedRateLimiter<u8> = RateLimiter::keyed(quota(3, Duration::from_secs(60)));
        for _ in 0..3 {
            assert!(check(&l, &1).is_ok());
        }
        let e = check(&l, &1).unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::TOO_MANY_REQUESTS);
        assert!(check(&l, &2).is_ok(), "other keys unaffected");
    }

    #[test]
    fn sign_in_limit_is_per_account_and_address_under_an_account_ceiling() {
        let l = RateLimits::new(1);
        let ip = |n: u8| IpAddr::from([10, 0, 0, n]);
        for _ in 0..10 {
            assert!(l.account_attempt("ann@example.org", ip(1)).is_ok());
        }
        assert!(l.account_attempt("ann@example.org", ip(1)).is_err());
        assert!(
            l.account_attempt("ann@example.org", ip(2)).is_ok(),
            "the owner elsewhere still gets in"
        );
        assert!(l.account_attempt("bob@example.org", ip(1)).is_ok());
        // 11 of the ceiling's 100 are spent; the refused 11th from address 1
        // spent nothing of it.
        let mut admitted = 0;
        for n in 3..=11 {
            for _ in 0..10 {
                admitted += u32::from(l.account_attempt("ann@example.org", ip(n)).is_ok());
            }
        }
        assert_eq!(admitted, 89);
        assert!(
            l.account_attempt("ann@example.org", ip(12)).is_err(),
            "100 an hour per account from anywhere"
        );
        assert!(l.account_attempt("bob@example.org", ip(12)).is_ok());
    }

    #[test]
    fn addresses_count_by_subscriber() {
        let v6 = |s: &str| address_key(s.parse().unwrap());
        assert_eq!(v6("2001:db8:1:2:aaaa::1"), v6("2001:db8:1:2:bbbb::2"));
        assert_ne!(v6("2001:db8:1:2::1"), v6("2001:db8:1:3::1"));
        assert_eq!(v6("::ffff:192.0.2.7"), v6("192.0.2.7"), "mapped IPv4");
        assert_ne!(v6("192.0.2.7"), v6("192.0.2.8"));
    }
}
