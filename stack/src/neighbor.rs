//! The ARP neighbour table (RFC 826; states and timers after Linux's
//! neighbour subsystem, source note 001, and RFC 1122 2.3.2.1-2).
//!
//! ```text
//!            request sent          reply          reachable_time
//!   (none) --------------> INCOMPLETE ---> REACHABLE -----------> STALE
//!                              |   ^ retry       ^   reply / request |
//!                 max_retries  v   |             +-------------------+
//!                            FAILED (drops the queue; removed after
//!                                    failed_time)
//! ```
//! A stale entry is still used, and each use sends a unicast probe at most
//! once per `retry_interval`; after `max_retries` unanswered probes it
//! fails. Stale entries unused for `gc_time` are removed. The table holds at
//! most `max_entries`; to make room it evicts the oldest failed or stale
//! entry, and never an incomplete or reachable one.

use crate::buf::PacketBuf;
use crate::time::{Duration, Instant};
use crate::wire::MacAddr;
use core::fmt;
use core::net::Ipv4Addr;
use std::collections::{BTreeMap, VecDeque};

/// Tunables of the neighbour table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeighborConfig {
    pub max_entries: usize,
    /// Packets held per unresolved neighbour (Linux `unres_qlen`).
    pub max_pending: usize,
    /// Bytes held per unresolved neighbour (Linux `unres_qlen_bytes`): a
    /// large datagram's fragments all wait for the same resolution.
    pub max_pending_bytes: usize,
    pub retry_interval: Duration,
    /// Requests sent before an incomplete entry fails (RFC 1122 2.3.2.1
    /// asks for a limit on the rate of requests per destination).
    pub max_retries: u8,
    pub reachable_time: Duration,
    pub gc_time: Duration,
    pub failed_time: Duration,
}

impl Default for NeighborConfig {
    fn default() -> NeighborConfig {
        NeighborConfig {
            max_entries: 256,
            max_pending: 256,
            max_pending_bytes: 212_992,
            retry_interval: Duration::from_secs(1),
            max_retries: 3,
            reachable_time: Duration::from_secs(30),
            gc_time: Duration::from_secs(60),
            failed_time: Duration::from_secs(20),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeighborState {
    Incomplete,
    Reachable,
    Stale,
    Failed,
}

impl fmt::Display for NeighborState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NeighborState::Incomplete => "INCOMPLETE",
            NeighborState::Reachable => "REACHABLE",
            NeighborState::Stale => "STALE",
            NeighborState::Failed => "FAILED",
        })
    }
}

#[derive(Debug)]
struct Entry {
    mac: Option<MacAddr>,
    state: NeighborState,
    /// When the state last changed or the entry was last confirmed.
    updated: Instant,
    /// Last use by the output path (for garbage collection).
    used: Instant,
    /// Requests or probes sent in the current resolution attempt.
    probes: u8,
    next_retry: Instant,
    pending: VecDeque<PacketBuf>,
    pending_bytes: usize,
}

/// One row of `ip neigh`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeighborInfo {
    pub iface: usize,
    pub ip: Ipv4Addr,
    pub mac: Option<MacAddr>,
    pub state: NeighborState,
    pub pending: usize,
}

/// What the output path should do with a packet for a neighbour.
#[derive(Debug)]
pub(crate) enum Resolve {
    /// Send it to this address now; `probe` asks for a unicast ARP probe
    /// as well (stale entry).
    Send { mac: MacAddr, probe: bool },
    /// Queued; `request` asks for a broadcast ARP request now.
    Queued { request: bool },
    /// Dropped; the buffer is given back with the reason.
    Dropped(crate::stats::DropReason),
}

/// Work the timers ask the stack to do.
#[derive(Debug, Default)]
pub(crate) struct NeighborWork {
    /// (iface, target, unicast destination for probes)
    pub requests: Vec<(usize, Ipv4Addr, Option<MacAddr>)>,
    /// Packets dropped because resolution failed.
    pub failed: Vec<PacketBuf>,
}

/// The table, keyed by interface and IPv4 address.
#[derive(Debug, Default)]
pub struct NeighborTable {
    config: NeighborConfig,
    entries: BTreeMap<(usize, Ipv4Addr), Entry>,
}

impl NeighborTable {
    pub fn new(config: NeighborConfig) -> NeighborTable {
        NeighborTable {
            config,
            entries: BTreeMap::new(),
        }
    }

    pub fn config(&self) -> &NeighborConfig {
        &self.config
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, iface: usize, ip: Ipv4Addr) -> Option<NeighborInfo> {
        self.entries.get(&(iface, ip)).map(|e| info(iface, ip, e))
    }

    pub fn iter(&self) -> impl Iterator<Item = NeighborInfo> + '_ {
        self.entries.iter().map(|((i, ip), e)| info(*i, *ip, e))
    }

    /// The output path wants to send `pkt` to `ip` on `iface`. On `Queued`
    /// the table keeps the packet; on `Send` and `Dropped` the packet is
    /// handed back to the caller.
    pub(crate) fn resolve(
        &mut self,
        now: Instant,
        iface: usize,
        ip: Ipv4Addr,
        pkt: PacketBuf,
    ) -> (Resolve, Option<PacketBuf>) {
        use crate::stats::DropReason;
        let cfg = self.config;
        if let Some(e) = self.entries.get_mut(&(iface, ip)) {
            e.used = now;
            return match (e.state, e.mac) {
                (NeighborState::Reachable, Some(mac)) => {
                    (Resolve::Send { mac, probe: false }, Some(pkt))
                }
                (NeighborState::Stale, Some(mac)) => {
                    let probe = now >= e.next_retry;
                    if probe {
                        e.probes = e.probes.saturating_add(1);
                        e.next_retry = now + cfg.retry_interval;
                    }
                    (Resolve::Send { mac, probe }, Some(pkt))
                }
                (NeighborState::Failed, _) => {
                    (Resolve::Dropped(DropReason::NeighborFailed), Some(pkt))
                }
                _ => {
                    if e.pending.len() >= cfg.max_pending
                        || e.pending_bytes + pkt.len() > cfg.max_pending_bytes
                    {
                        return (Resolve::Dropped(DropReason::NeighborQueueFull), Some(pkt));
                    }
                    e.pending_bytes += pkt.len();
                    e.pending.push_back(pkt);
                    (Resolve::Queued { request: false }, None)
                }
            };
        }
        if self.entries.len() >= cfg.max_entries && !self.evict_one() {
            return (Resolve::Dropped(DropReason::NeighborTableFull), Some(pkt));
        }
        if cfg.max_pending == 0 || pkt.len() > cfg.max_pending_bytes {
            return (Resolve::Dropped(DropReason::NeighborQueueFull), Some(pkt));
        }
        let pending_bytes = pkt.len();
        let mut pending = VecDeque::new();
        pending.push_back(pkt);
        self.entries.insert(
            (iface, ip),
            Entry {
                mac: None,
                state: NeighborState::Incomplete,
                updated: now,
                used: now,
                probes: 1,
                next_retry: now + cfg.retry_interval,
                pending,
                pending_bytes,
            },
        );
        (Resolve::Queued { request: true }, None)
    }

    /// Evict the oldest failed or stale entry; false if there is none.
    fn evict_one(&mut self) -> bool {
        let victim = self
            .entries
            .iter()
            .filter(|(_, e)| matches!(e.state, NeighborState::Failed | NeighborState::Stale))
            .min_by_key(|(_, e)| (e.state != NeighborState::Failed, e.used))
            .map(|(k, _)| *k);
        match victim {
            Some(k) => {
                self.entries.remove(&k);
                true
            }
            None => false,
        }
    }

    /// An ARP packet from `ip` at `mac` arrived on `iface` (RFC 826, "Packet
    /// reception"). With `create`, an entry is made if none exists (the
    /// packet was addressed to us); otherwise only existing entries are
    /// updated. Returns the packets that were waiting for this address.
    pub(crate) fn confirm(
        &mut self,
        now: Instant,
        iface: usize,
        ip: Ipv4Addr,
        mac: MacAddr,
        create: bool,
    ) -> Vec<PacketBuf> {
        if let Some(e) = self.entries.get_mut(&(iface, ip)) {
            e.mac = Some(mac);
            e.state = NeighborState::Reachable;
            e.updated = now;
            e.probes = 0;
            e.next_retry = now;
            e.pending_bytes = 0;
            return e.pending.drain(..).collect();
        }
        if create && (self.entries.len() < self.config.max_entries || self.evict_one()) {
            self.entries.insert(
                (iface, ip),
                Entry {
                    mac: Some(mac),
                    state: NeighborState::Reachable,
                    updated: now,
                    used: now,
                    probes: 0,
                    next_retry: now,
                    pending: VecDeque::new(),
                    pending_bytes: 0,
                },
            );
        }
        Vec::new()
    }

    /// Forget every entry of an interface (address or link change).
    pub fn flush_iface(&mut self, iface: usize) -> Vec<PacketBuf> {
        let keys: Vec<_> = self
            .entries
            .keys()
            .filter(|k| k.0 == iface)
            .copied()
            .collect();
        let mut dropped = Vec::new();
        for k in keys {
            if let Some(mut e) = self.entries.remove(&k) {
                dropped.extend(e.pending.drain(..));
            }
        }
        dropped
    }

    /// Run the state machine at `now`.
    pub(crate) fn poll(&mut self, now: Instant) -> NeighborWork {
        let cfg = self.config;
        let mut work = NeighborWork::default();
        let mut remove = Vec::new();
        for (&(iface, ip), e) in self.entries.iter_mut() {
            match e.state {
                NeighborState::Incomplete if now >= e.next_retry => {
                    if e.probes >= cfg.max_retries {
                        e.state = NeighborState::Failed;
                        e.updated = now;
                        e.pending_bytes = 0;
                        work.failed.extend(e.pending.drain(..));
                    } else {
                        e.probes += 1;
                        e.next_retry = now + cfg.retry_interval;
                        work.requests.push((iface, ip, None));
                    }
                }
                NeighborState::Reachable if now >= e.updated + cfg.reachable_time => {
                    e.state = NeighborState::Stale;
                    e.updated = now;
                    e.probes = 0;
                    e.next_retry = now;
                }
                NeighborState::Stale => {
                    if e.probes > cfg.max_retries {
                        e.state = NeighborState::Failed;
                        e.updated = now;
                    } else if now >= e.used + cfg.gc_time && now >= e.updated + cfg.gc_time {
                        remove.push((iface, ip));
                    } else if e.probes > 0
                        && now >= e.next_retry
                        && now < e.used + cfg.retry_interval
                    {
                        // Still in use and unanswered: probe again.
                        e.probes += 1;
                        e.next_retry = now + cfg.retry_interval;
                        work.requests.push((iface, ip, e.mac));
                    }
                }
                NeighborState::Failed if now >= e.updated + cfg.failed_time => {
                    remove.push((iface, ip));
                }
                _ => {}
            }
        }
        for k in remove {
            self.entries.remove(&k);
        }
        work
    }

    /// The next time the neighbour timers have something to do.
    pub fn poll_at(&self) -> Option<Instant> {
        let cfg = self.config;
        self.entries
            .values()
            .map(|e| match e.state {
                NeighborState::Incomplete => e.next_retry,
                NeighborState::Reachable => e.updated + cfg.reachable_time,
                NeighborState::Stale => {
                    let gc = core::cmp::max(e.used + cfg.gc_time, e.updated + cfg.gc_time);
                    if e.probes > 0 {
                        core::cmp::min(e.next_retry, gc)
                    } else {
                        gc
                    }
                }
                NeighborState::Failed => e.updated + cfg.failed_time,
            })
            .min()
    }
}

fn info(iface: usize, ip: Ipv4Addr, e: &Entry) -> NeighborInfo {
    NeighborInfo {
        iface,
        ip,
        mac: e.mac,
        state: e.state,
        pending: e.pending.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::DropReason;

    const IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
    const MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);

    fn pkt() -> PacketBuf {
        PacketBuf::from_slice(0, &[1, 2, 3])
    }

    fn small() -> NeighborConfig {
        NeighborConfig {
            max_entries: 2,
            max_pending: 2,
            ..NeighborConfig::default()
        }
    }

    #[test]
    fn resolve_queue_confirm() {
        let mut t = NeighborTable::new(small());
        let t0 = Instant::ZERO;
        assert!(matches!(
            t.resolve(t0, 0, IP, pkt()).0,
            Resolve::Queued { request: true }
        ));
        assert!(matches!(
            t.resolve(t0, 0, IP, pkt()).0,
            Resolve::Queued { request: false }
        ));
        let (r, back) = t.resolve(t0, 0, IP, pkt());
        assert!(matches!(r, Resolve::Dropped(DropReason::NeighborQueueFull)));
        assert!(back.is_some());
        assert_eq!(t.get(0, IP).unwrap().pending, 2);
        let released = t.confirm(t0, 0, IP, MAC, false);
        assert_eq!(released.len(), 2);
        assert!(matches!(
            t.resolve(t0, 0, IP, pkt()).0,
            Resolve::Send {
                mac: MAC,
                probe: false
            }
        ));
    }

    #[test]
    fn pending_queue_is_bounded_in_bytes_too() {
        let mut t = NeighborTable::new(NeighborConfig {
            max_pending_bytes: 5,
            ..NeighborConfig::default()
        });
        let t0 = Instant::ZERO;
        assert!(matches!(
            t.resolve(t0, 0, IP, pkt()).0,
            Resolve::Queued { request: true }
        ));
        let (r, back) = t.resolve(t0, 0, IP, pkt());
        assert!(matches!(r, Resolve::Dropped(DropReason::NeighborQueueFull)));
        assert_eq!(back.unwrap().len(), 3);
        assert_eq!(t.confirm(t0, 0, IP, MAC, false).len(), 1);
    }

    #[test]
    fn retries_then_failed_then_removed() {
        let cfg = small();
        let mut t = NeighborTable::new(cfg);
        let mut now = Instant::ZERO;
        let _ = t.resolve(now, 0, IP, pkt());
        let mut requests = 0;
        let mut failed = 0;
        for _ in 0..10 {
            now += cfg.retry_interval;
            let w = t.poll(now);
            requests += w.requests.len();
            failed += w.failed.len();
        }
        // One request at resolve, max_retries - 1 retries, then failure.
        assert_eq!(requests, usize::from(cfg.max_retries) - 1);
        assert_eq!(failed, 1);
        assert_eq!(t.get(0, IP).unwrap().state, NeighborState::Failed);
        assert!(matches!(
            t.resolve(now, 0, IP, pkt()).0,
            Resolve::Dropped(DropReason::NeighborFailed)
        ));
        now += cfg.failed_time;
        let _ = t.poll(now);
        assert!(t.get(0, IP).is_none());
    }

    #[test]
    fn reachable_goes_stale_and_probes() {
        let cfg = small();
        let mut t = NeighborTable::new(cfg);
        let now = Instant::ZERO;
        let _ = t.confirm(now, 0, IP, MAC, true);
        assert_eq!(t.poll_at(), Some(now + cfg.reachable_time));
        let later = now + cfg.reachable_time;
        let _ = t.poll(later);
        assert_eq!(t.get(0, IP).unwrap().state, NeighborState::Stale);
        assert!(matches!(
            t.resolve(later, 0, IP, pkt()).0,
            Resolve::Send { probe: true, .. }
        ));
        assert!(matches!(
            t.resolve(later, 0, IP, pkt()).0,
            Resolve::Send { probe: false, .. }
        ));
        let _ = t.confirm(later, 0, IP, MAC, false);
        assert_eq!(t.get(0, IP).unwrap().state, NeighborState::Reachable);
    }

    #[test]
    fn size_limit_evicts_stale_only() {
        let cfg = small();
        let mut t = NeighborTable::new(cfg);
        let now = Instant::ZERO;
        let _ = t.resolve(now, 0, Ipv4Addr::new(10, 0, 0, 3), pkt());
        let _ = t.confirm(now, 0, IP, MAC, true);
        let (r, _) = t.resolve(now, 0, Ipv4Addr::new(10, 0, 0, 4), pkt());
        assert!(matches!(r, Resolve::Dropped(DropReason::NeighborTableFull)));
        assert_eq!(t.len(), 2);
        let _ = t.poll(now + cfg.reachable_time);
        let (r, _) = t.resolve(
            now + cfg.reachable_time,
            0,
            Ipv4Addr::new(10, 0, 0, 4),
            pkt(),
        );
        assert!(matches!(r, Resolve::Queued { request: true }));
        assert!(t.get(0, IP).is_none(), "the stale entry made room");
        assert_eq!(t.len(), 2);
    }
}
