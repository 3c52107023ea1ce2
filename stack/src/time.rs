//! Simulated time. The simulation owns the clock; the stack and the driver
//! only ever receive it as an argument.

use core::fmt;
use core::ops::{Add, AddAssign, Sub};

/// A point in simulated time, in nanoseconds since the start of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant {
    ns: u64,
}

/// A span of simulated time, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    ns: u64,
}

impl Instant {
    pub const ZERO: Instant = Instant { ns: 0 };

    pub const fn from_nanos(ns: u64) -> Instant {
        Instant { ns }
    }
    pub const fn from_micros(us: u64) -> Instant {
        Instant { ns: us * 1_000 }
    }
    pub const fn from_millis(ms: u64) -> Instant {
        Instant { ns: ms * 1_000_000 }
    }
    pub const fn as_nanos(self) -> u64 {
        self.ns
    }
    pub const fn as_micros(self) -> u64 {
        self.ns / 1_000
    }
    pub const fn as_millis(self) -> u64 {
        self.ns / 1_000_000
    }
    /// Time elapsed since `earlier`, zero if `earlier` is in the future.
    pub fn saturating_since(self, earlier: Instant) -> Duration {
        Duration {
            ns: self.ns.saturating_sub(earlier.ns),
        }
    }
}

impl Duration {
    pub const ZERO: Duration = Duration { ns: 0 };

    pub const fn from_nanos(ns: u64) -> Duration {
        Duration { ns }
    }
    pub const fn from_micros(us: u64) -> Duration {
        Duration { ns: us * 1_000 }
    }
    pub const fn from_millis(ms: u64) -> Duration {
        Duration { ns: ms * 1_000_000 }
    }
    pub const fn from_secs(s: u64) -> Duration {
        Duration {
            ns: s * 1_000_000_000,
        }
    }
    pub const fn as_nanos(self) -> u64 {
        self.ns
    }
    pub const fn as_micros(self) -> u64 {
        self.ns / 1_000
    }
    pub const fn as_millis(self) -> u64 {
        self.ns / 1_000_000
    }
    pub fn saturating_mul(self, k: u64) -> Duration {
        Duration {
            ns: self.ns.saturating_mul(k),
        }
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant {
            ns: self.ns.saturating_add(d.ns),
        }
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        self.ns = self.ns.saturating_add(d.ns);
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturates at zero: time never runs backwards in a simulation.
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_since(rhs)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, d: Duration) -> Duration {
        Duration {
            ns: self.ns.saturating_add(d.ns),
        }
    }
}

impl Sub for Duration {
    type Output = Duration;
    fn sub(self, d: Duration) -> Duration {
        Duration {
            ns: self.ns.saturating_sub(d.ns),
        }
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:09}s",
            self.ns / 1_000_000_000,
            self.ns % 1_000_000_000
        )
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ns", self.ns)
    }
}
