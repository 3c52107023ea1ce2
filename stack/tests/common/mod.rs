//! A small world for stack tests: hosts (a stack plus its soft ports)
//! polled in simulated time, jumping to the next timer or frame arrival.
#![allow(dead_code)]

use core::net::Ipv4Addr;
use stack::device::Device;
use stack::iface::{IfaceId, InterfaceConfig};
use stack::softwire::SoftPort;
use stack::stack::{Stack, StackConfig};
use stack::time::{Duration, Instant};
use stack::wire::Ipv4Cidr;

pub fn mac(n: u8) -> [u8; 6] {
    [0x02, 0, 0, 0, 0, n]
}

pub fn cidr(a: [u8; 4], len: u8) -> Ipv4Cidr {
    Ipv4Cidr::new(Ipv4Addr::from(a), len).unwrap()
}

pub struct Host {
    pub stack: Stack,
    pub ports: Vec<SoftPort>,
}

impl Host {
    /// A host whose interface `i` is `ports[i]`, named `eth{i}`, with the
    /// given addresses.
    pub fn new(name: &str, ports: Vec<SoftPort>, addrs: &[Ipv4Cidr]) -> Host {
        Host::with_config(StackConfig::new(name), ports, addrs)
    }

    pub fn with_config(cfg: StackConfig, ports: Vec<SoftPort>, addrs: &[Ipv4Cidr]) -> Host {
        let mut stack = Stack::new(cfg);
        for (i, p) in ports.iter().enumerate() {
            let id =
                stack.add_interface(InterfaceConfig::from_caps(&format!("eth{i}"), i, &p.caps()));
            stack.add_address(id, addrs[i]).unwrap();
        }
        Host { stack, ports }
    }

    pub fn poll(&mut self, now: Instant) -> bool {
        let mut devs: Vec<&mut dyn Device> = self
            .ports
            .iter_mut()
            .map(|p| p as &mut dyn Device)
            .collect();
        self.stack.poll(now, &mut devs)
    }

    pub fn iface(&self, i: usize) -> IfaceId {
        IfaceId(i)
    }
}

/// Poll every host at `*now`, then jump to the next event, until `done`
/// holds or time passes `deadline`. Returns whether `done` held.
pub fn run_until(
    hosts: &mut [&mut Host],
    now: &mut Instant,
    deadline: Instant,
    mut done: impl FnMut(&mut [&mut Host]) -> bool,
) -> bool {
    for _ in 0..1_000_000 {
        for h in hosts.iter_mut() {
            h.poll(*now);
        }
        if done(hosts) {
            return true;
        }
        let next = hosts
            .iter()
            .flat_map(|h| {
                let arrivals = h.ports.iter().filter_map(|p| p.next_arrival());
                h.stack
                    .poll_at()
                    .into_iter()
                    .chain(arrivals)
                    .collect::<Vec<_>>()
            })
            .min();
        match next {
            Some(t) if t <= deadline => {
                // Never stand still: a device that stays busy gets 1 µs.
                *now = if t > *now {
                    t
                } else {
                    *now + Duration::from_micros(1)
                };
            }
            _ => return false,
        }
    }
    false
}

/// Run until nothing is scheduled before `deadline`.
pub fn run_for(hosts: &mut [&mut Host], now: &mut Instant, deadline: Instant) {
    run_until(hosts, now, deadline, |_| false);
    *now = deadline;
    for h in hosts.iter_mut() {
        h.poll(*now);
    }
}

/// Run until the first host has no echo request outstanding, for at most
/// `within` from `*now`.
pub fn until_pings_answered(hosts: &mut [&mut Host], now: &mut Instant, within: Duration) -> bool {
    let deadline = *now + within;
    run_until(hosts, now, deadline, |h| {
        h[0].stack.pings_outstanding() == 0
    })
}
