//! The forwarding information base. As in Linux's FIB (source note 001),
//! routes live in 33 zones, one per prefix length; a lookup walks the
//! non-empty zones from the longest prefix to the shortest and takes the
//! first zone whose hash table holds the destination's network, so the
//! result is the longest-prefix match. Within a zone the lowest metric
//! wins. Results are kept in a route cache keyed by destination that is
//! flushed whenever the FIB changes.

use crate::wire::Ipv4Cidr;
use crate::wire::ipv4::prefix_mask;
use core::fmt;
use core::net::Ipv4Addr;
use std::collections::HashMap;

/// Where a route came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteKind {
    /// Derived from an interface address (`proto kernel scope link`).
    Connected,
    /// Added by the user, including the default gateway.
    Static,
}

/// One FIB entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// The destination network (host bits clear).
    pub dest: Ipv4Cidr,
    /// Next hop; `None` for directly connected networks.
    pub gateway: Option<Ipv4Addr>,
    pub iface: usize,
    pub kind: RouteKind,
    pub metric: u32,
    /// Preferred source address (`src` in `ip route`).
    pub src: Option<Ipv4Addr>,
}

impl Route {
    /// The neighbour to resolve for `dst`.
    pub fn next_hop(&self, dst: Ipv4Addr) -> Ipv4Addr {
        self.gateway.unwrap_or(dst)
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dest.prefix_len() == 0 {
            f.write_str("default")?;
        } else {
            write!(f, "{}", self.dest)?;
        }
        if let Some(gw) = self.gateway {
            write!(f, " via {gw}")?;
        }
        write!(f, " dev if{}", self.iface)?;
        if self.kind == RouteKind::Connected {
            f.write_str(" proto kernel scope link")?;
        }
        if let Some(src) = self.src {
            write!(f, " src {src}")?;
        }
        if self.metric != 0 {
            write!(f, " metric {}", self.metric)?;
        }
        Ok(())
    }
}

/// Why a route could not be added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteError {
    /// The same destination, gateway, interface and metric already exist.
    Exists,
    NotFound,
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RouteError::Exists => "route exists",
            RouteError::NotFound => "no such route",
        })
    }
}

impl std::error::Error for RouteError {}

/// Largest number of cached lookups before the cache is flushed whole.
const CACHE_CAPACITY: usize = 1024;

/// The FIB with its route cache.
#[derive(Debug)]
pub struct Fib {
    /// `zones[len]` maps a network address (host order) to its routes.
    zones: Vec<HashMap<u32, Vec<Route>>>,
    /// Prefix lengths with at least one route, longest first.
    active: Vec<u8>,
    cache: HashMap<Ipv4Addr, Route>,
    generation: u64,
    pub(crate) cache_hits: u64,
    pub(crate) cache_misses: u64,
}

impl Default for Fib {
    fn default() -> Fib {
        Fib {
            zones: (0..=32).map(|_| HashMap::new()).collect(),
            active: Vec::new(),
            cache: HashMap::new(),
            generation: 0,
            cache_hits: 0,
            cache_misses: 0,
        }
    }
}

impl Fib {
    pub fn new() -> Fib {
        Fib::default()
    }

    /// Bumped on every change; the route cache is valid for one generation.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    fn changed(&mut self) {
        self.generation += 1;
        self.cache.clear();
        self.active = (0..=32u8)
            .rev()
            .filter(|l| !self.zones[usize::from(*l)].is_empty())
            .collect();
    }

    /// Add a route; its destination is normalised to the network.
    pub fn add(&mut self, mut route: Route) -> Result<(), RouteError> {
        route.dest = route.dest.network();
        let zone = &mut self.zones[usize::from(route.dest.prefix_len())];
        let list = zone.entry(u32::from(route.dest.addr())).or_default();
        if list.iter().any(|r| {
            r.gateway == route.gateway && r.iface == route.iface && r.metric == route.metric
        }) {
            return Err(RouteError::Exists);
        }
        list.push(route);
        list.sort_by_key(|r| r.metric);
        self.changed();
        Ok(())
    }

    /// Remove routes matching `pred`; returns how many.
    pub fn remove_where(&mut self, mut pred: impl FnMut(&Route) -> bool) -> usize {
        let mut n = 0;
        for zone in &mut self.zones {
            zone.retain(|_, list| {
                let before = list.len();
                list.retain(|r| !pred(r));
                n += before - list.len();
                !list.is_empty()
            });
        }
        if n > 0 {
            self.changed();
        }
        n
    }

    /// Remove one route exactly as added.
    pub fn remove(&mut self, route: &Route) -> Result<(), RouteError> {
        let dest = route.dest.network();
        let target = Route { dest, ..*route };
        if self.remove_where(|r| *r == target) == 0 {
            Err(RouteError::NotFound)
        } else {
            Ok(())
        }
    }

    /// Longest-prefix match without the cache.
    pub fn lookup_uncached(&self, dst: Ipv4Addr) -> Option<Route> {
        let d = u32::from(dst);
        self.active.iter().find_map(|len| {
            self.zones[usize::from(*len)]
                .get(&(d & prefix_mask(*len)))
                .and_then(|list| list.first().copied())
        })
    }

    /// Longest-prefix match through the route cache.
    pub fn lookup(&mut self, dst: Ipv4Addr) -> Option<Route> {
        if let Some(r) = self.cache.get(&dst) {
            self.cache_hits += 1;
            return Some(*r);
        }
        self.cache_misses += 1;
        let r = self.lookup_uncached(dst)?;
        if self.cache.len() >= CACHE_CAPACITY {
            self.cache.clear();
        }
        self.cache.insert(dst, r);
        Some(r)
    }

    /// Entries currently in the route cache.
    pub fn cache_len(&self) -> usize {
        self.cache.len()
    }

    /// Every route, longest prefix first, then by network and metric.
    pub fn routes(&self) -> Vec<Route> {
        let mut out: Vec<Route> = self
            .zones
            .iter()
            .flat_map(|z| z.values().flatten().copied())
            .collect();
        out.sort_by_key(|r| {
            (
                core::cmp::Reverse(r.dest.prefix_len()),
                u32::from(r.dest.addr()),
                r.metric,
                r.iface,
            )
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(a: [u8; 4], l: u8) -> Ipv4Cidr {
        Ipv4Cidr::new(Ipv4Addr::from(a), l).unwrap()
    }

    fn route(a: [u8; 4], l: u8, iface: usize, gw: Option<[u8; 4]>) -> Route {
        Route {
            dest: cidr(a, l),
            gateway: gw.map(Ipv4Addr::from),
            iface,
            kind: RouteKind::Static,
            metric: 0,
            src: None,
        }
    }

    #[test]
    fn longest_prefix_wins() {
        let mut fib = Fib::new();
        fib.add(route([0, 0, 0, 0], 0, 0, Some([10, 0, 0, 1])))
            .unwrap();
        fib.add(route([10, 1, 0, 0], 16, 1, None)).unwrap();
        fib.add(route([10, 1, 2, 0], 24, 2, None)).unwrap();
        fib.add(route([10, 1, 2, 9], 32, 3, None)).unwrap();
        let at = |fib: &mut Fib, a: [u8; 4]| fib.lookup(Ipv4Addr::from(a)).unwrap().iface;
        assert_eq!(at(&mut fib, [10, 1, 2, 9]), 3);
        assert_eq!(at(&mut fib, [10, 1, 2, 8]), 2);
        assert_eq!(at(&mut fib, [10, 1, 3, 8]), 1);
        assert_eq!(at(&mut fib, [8, 8, 8, 8]), 0);
        assert_eq!(fib.routes().len(), 4);
        assert_eq!(fib.routes()[0].dest.prefix_len(), 32);
    }

    #[test]
    fn cache_is_flushed_on_change() {
        let mut fib = Fib::new();
        fib.add(route([10, 0, 0, 0], 8, 1, None)).unwrap();
        let dst = Ipv4Addr::new(10, 2, 3, 4);
        assert_eq!(fib.lookup(dst).unwrap().iface, 1);
        assert_eq!(fib.lookup(dst).unwrap().iface, 1);
        assert_eq!((fib.cache_hits, fib.cache_misses), (1, 1));
        let g = fib.generation();
        fib.add(route([10, 2, 0, 0], 16, 2, None)).unwrap();
        assert!(fib.generation() > g);
        assert_eq!(fib.cache_len(), 0);
        assert_eq!(fib.lookup(dst).unwrap().iface, 2);
        fib.remove(&route([10, 2, 0, 0], 16, 2, None)).unwrap();
        assert_eq!(fib.lookup(dst).unwrap().iface, 1);
        assert_eq!(
            fib.remove(&route([10, 2, 0, 0], 16, 2, None)),
            Err(RouteError::NotFound)
        );
    }

    #[test]
    fn metric_and_duplicates() {
        let mut fib = Fib::new();
        let mut a = route([0, 0, 0, 0], 0, 0, Some([10, 0, 0, 1]));
        a.metric = 10;
        let mut b = route([0, 0, 0, 0], 0, 1, Some([10, 0, 1, 1]));
        b.metric = 5;
        fib.add(a).unwrap();
        fib.add(b).unwrap();
        assert_eq!(fib.add(b), Err(RouteError::Exists));
        assert_eq!(fib.lookup(Ipv4Addr::new(1, 2, 3, 4)).unwrap().iface, 1);
        // Host bits are cleared when added.
        fib.add(route([192, 168, 1, 77], 24, 4, None)).unwrap();
        assert!(
            fib.routes()
                .iter()
                .any(|r| r.dest.addr() == Ipv4Addr::new(192, 168, 1, 0))
        );
        assert_eq!(fib.lookup(Ipv4Addr::new(192, 168, 1, 1)).unwrap().iface, 4);
        assert_eq!(b.to_string(), "default via 10.0.1.1 dev if1 metric 5");
    }
}
