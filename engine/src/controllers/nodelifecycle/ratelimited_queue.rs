//! The per-zone tainting queue of the node lifecycle controller: a unique-item queue ordered by
//! the time each item is due, drained through a token bucket. Models
//! pkg/controller/nodelifecycle/scheduler/rate_limited_queue.go (UniqueQueue,
//! RateLimitedTimedQueue) over client-go util/flowcontrol (NewTokenBucketRateLimiter,
//! NewFakeNeverRateLimiter), kept exactly in integer microseconds.

use crate::sim::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

/// `EvictionRateLimiterBurst`: the burst of every eviction rate limiter.
pub const EVICTION_RATE_LIMITER_BURST: u64 = 1;

/// One million: the denominator of [`Millionths`].
const MILLION: u64 = 1_000_000;

/// A non-negative decimal kept exactly as millionths: `Millionths(100_000)` is 0.1. As a rate it
/// is tokens per 10^6 seconds, so 0.1/s and 0.01/s are exact (upstream's float32 flags are not).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millionths(pub u64);

impl Millionths {
    pub const ZERO: Millionths = Millionths(0);

    /// A whole number.
    pub const fn whole(n: u64) -> Self {
        Millionths(n * MILLION)
    }

    /// Whether this is greater than zero.
    pub fn is_positive(self) -> bool {
        self.0 > 0
    }
}

impl fmt::Display for Millionths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (int, frac) = (self.0 / MILLION, self.0 % MILLION);
        if frac == 0 {
            return write!(f, "{int}");
        }
        let digits = format!("{frac:06}");
        write!(f, "{int}.{}", digits.trim_end_matches('0'))
    }
}

impl FromStr for Millionths {
    type Err = String;

    /// Parses a decimal with at most six fractional digits ("0.1", "20", "0.55").
    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("expected a decimal such as \"0.1\" (at most 6 decimals), found {s:?}");
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || frac.len() > 6 || !all_digits(int) || !all_digits(frac) {
            return Err(bad());
        }
        let int: u64 = int.parse().map_err(|_| bad())?;
        let frac_val: u64 = format!("{frac:0<6}").parse().map_err(|_| bad())?;
        int.checked_mul(MILLION)
            .and_then(|v| v.checked_add(frac_val))
            .map(Millionths)
            .ok_or_else(bad)
    }
}

/// One token in the bucket's units: a token is 10^12 units, since a microsecond at one
/// millionth of a token per second adds one unit.
const TOKEN: u128 = (MILLION as u128) * (MILLION as u128);

/// `flowcontrol.NewTokenBucketRateLimiter(qps, burst)` over golang.org/x/time/rate: starts full,
/// refills continuously at `qps`, holds at most `burst` tokens. `try_accept` takes a token if one
/// is there and otherwise changes nothing (rate.Limiter.AllowN).
#[derive(Clone, Debug)]
pub struct TokenBucket {
    qps: Millionths,
    burst: u64,
    /// Tokens at `last`, in units of 10^-12 token.
    tokens: u128,
    last: SimTime,
}

impl TokenBucket {
    pub fn new(qps: Millionths, burst: u64, now: SimTime) -> Self {
        TokenBucket {
            qps,
            burst,
            tokens: u128::from(burst) * TOKEN,
            last: now,
        }
    }

    /// Tokens available at `now` (rate.Limiter.advance), in units of 10^-12 token.
    fn available(&self, now: SimTime) -> u128 {
        let elapsed = u128::from(now.since(self.last).as_micros());
        let refill = elapsed.saturating_mul(u128::from(self.qps.0));
        self.tokens
            .saturating_add(refill)
            .min(u128::from(self.burst) * TOKEN)
    }

    /// TryAccept: takes one token at `now` if there is one.
    pub fn try_accept(&mut self, now: SimTime) -> bool {
        let tokens = self.available(now);
        if tokens < TOKEN {
            return false;
        }
        self.tokens = tokens - TOKEN;
        self.last = self.last.max(now);
        true
    }
}

/// The flowcontrol.RateLimiter kinds the queue uses.
#[derive(Clone, Debug)]
pub enum Limiter {
    /// NewFakeAlwaysRateLimiter (tests): always accepts; QPS 1.
    Always,
    /// NewFakeNeverRateLimiter: never accepts; QPS 0.
    Never,
    TokenBucket(TokenBucket),
}

impl Limiter {
    /// `NewTokenBucketRateLimiter(qps, EvictionRateLimiterBurst)`.
    pub fn token_bucket(qps: Millionths, now: SimTime) -> Self {
        Limiter::TokenBucket(TokenBucket::new(qps, EVICTION_RATE_LIMITER_BURST, now))
    }

    pub fn try_accept(&mut self, now: SimTime) -> bool {
        match self {
            Limiter::Always => true,
            Limiter::Never => false,
            Limiter::TokenBucket(b) => b.try_accept(now),
        }
    }

    /// `QPS()`.
    pub fn qps(&self) -> Millionths {
        match self {
            Limiter::Always => Millionths::whole(1),
            Limiter::Never => Millionths::ZERO,
            Limiter::TokenBucket(b) => b.qps,
        }
    }
}

/// `TimedValue`: a value to process at a designated time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimedValue {
    pub value: String,
    /// Anything that helps identify the value (the node's uid).
    pub uid: String,
    pub added_at: SimTime,
    pub process_at: SimTime,
}

/// `UniqueQueue`: values ordered by `process_at`, each added at most once until removed. Ties are
/// broken by insertion order (upstream's wall clock never repeats an instant).
#[derive(Clone, Debug, Default)]
struct UniqueQueue {
    queue: BTreeMap<(SimTime, u64), TimedValue>,
    /// Where each queued value sits in `queue`.
    position: BTreeMap<String, (SimTime, u64)>,
    set: BTreeSet<String>,
    next_seq: u64,
}

impl UniqueQueue {
    fn push(&mut self, value: TimedValue) {
        let key = (value.process_at, self.next_seq);
        self.next_seq += 1;
        self.position.insert(value.value.clone(), key);
        self.queue.insert(key, value);
    }

    fn take(&mut self, value: &str) -> Option<TimedValue> {
        let key = self.position.remove(value)?;
        self.queue.remove(&key)
    }

    /// Add: false if the value was added before and not removed since.
    fn add(&mut self, value: TimedValue) -> bool {
        if self.set.contains(&value.value) {
            return false;
        }
        self.set.insert(value.value.clone());
        self.push(value);
        true
    }

    /// Replace: puts `value` in place of the queued item with the same value, if any.
    fn replace(&mut self, value: TimedValue) -> bool {
        if self.take(&value.value).is_none() {
            return false;
        }
        self.push(value);
        true
    }

    /// RemoveFromQueue: drops the item but keeps the value in the set (it cannot be added again).
    fn remove_from_queue(&mut self, value: &str) -> bool {
        self.set.contains(value) && self.take(value).is_some()
    }

    /// Remove: drops the item and allows the value to be added again.
    fn remove(&mut self, value: &str) -> bool {
        if !self.set.remove(value) {
            return false;
        }
        self.take(value);
        true
    }

    fn head(&self) -> Option<TimedValue> {
        self.queue.values().next().cloned()
    }

    fn clear(&mut self) {
        self.queue.clear();
        self.position.clear();
        self.set.clear();
    }
}

/// `RateLimitedTimedQueue`: a unique-item queue ordered by due time, drained at the limiter's
/// rate.
#[derive(Clone, Debug)]
pub struct RateLimitedTimedQueue {
    queue: UniqueQueue,
    limiter: Limiter,
}

impl RateLimitedTimedQueue {
    pub fn new(limiter: Limiter) -> Self {
        RateLimitedTimedQueue {
            queue: UniqueQueue::default(),
            limiter,
        }
    }

    /// Try: while the limiter grants a token and the head is due, hands the head to `f`, which
    /// returns whether it is done and, if not, how long to wait before trying it again. A token
    /// is taken before the due check, as upstream does.
    pub fn try_process(
        &mut self,
        now: SimTime,
        mut f: impl FnMut(&TimedValue) -> (bool, SimDuration),
    ) {
        while let Some(mut val) = self.queue.head() {
            if !self.limiter.try_accept(now) || now < val.process_at {
                break;
            }
            match f(&val) {
                (true, _) => {
                    self.queue.remove_from_queue(&val.value);
                }
                (false, wait) => {
                    // ProcessAt = now + wait + 1 (one nanosecond upstream, one microsecond here).
                    val.process_at = now + wait + SimDuration::from_micros(1);
                    self.queue.replace(val);
                }
            }
        }
    }

    /// Add: queues `value` to be processed now, unless it was added and not removed since.
    pub fn add(&mut self, value: &str, uid: &str, now: SimTime) -> bool {
        self.queue.add(TimedValue {
            value: value.to_string(),
            uid: uid.to_string(),
            added_at: now,
            process_at: now,
        })
    }

    /// Remove: the value is not processed until added again.
    pub fn remove(&mut self, value: &str) -> bool {
        self.queue.remove(value)
    }

    /// Clear: drops every item and forgets every value.
    pub fn clear(&mut self) {
        self.queue.clear();
    }

    /// SwapLimiter: a new token bucket at `qps` (never accepting when `qps` is 0) if the rate
    /// differs; if the old limiter has no token left, the new one starts drained.
    pub fn swap_limiter(&mut self, qps: Millionths, now: SimTime) {
        if self.limiter.qps() == qps {
            return;
        }
        let new = if !qps.is_positive() {
            Limiter::Never
        } else {
            let mut new = Limiter::token_bucket(qps, now);
            if !self.limiter.try_accept(now) {
                new.try_accept(now);
            }
            new
        };
        self.limiter = new;
    }

    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    /// Items waiting to be processed.
    pub fn len(&self) -> usize {
        self.queue.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.queue.is_empty()
    }

    /// Queued items in processing order.
    pub fn items(&self) -> impl Iterator<Item = &TimedValue> {
        self.queue.queue.values()
    }

    /// Values that cannot be added again until removed (queued or processed).
    pub fn known_values(&self) -> impl Iterator<Item = &str> {
        self.queue.set.iter().map(|s| s.as_str())
    }
}
