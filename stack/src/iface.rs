//! Interfaces: each binds a device index to a MAC address, an MTU, IPv4
//! addresses with prefixes and a promiscuity counter (like `net_device`,
//! source note 000), plus an optional pcap tap and a bounded transmit
//! queue that the stack drains into the device at each poll.

use crate::buf::PacketBuf;
use crate::device::DeviceCaps;
use crate::pcap::PcapWriter;
use crate::wire::{Ipv4Cidr, MacAddr};
use core::net::Ipv4Addr;
use std::collections::VecDeque;

/// Index of an interface in its stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IfaceId(pub usize);

/// How to create an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceConfig {
    pub name: String,
    /// Index into the device slice given to `Stack::poll`.
    pub device: usize,
    pub mac: MacAddr,
    /// IP MTU; the smaller of this and the device's MTU is used.
    pub mtu: usize,
    /// Frames held for the device when it is busy.
    pub tx_queue_len: usize,
    /// The device's capabilities, if known before the first poll (each
    /// poll refreshes them from the device).
    pub caps: Option<DeviceCaps>,
}

impl InterfaceConfig {
    /// An interface on `device`, taking its MAC and MTU from `caps`.
    pub fn from_caps(name: &str, device: usize, caps: &DeviceCaps) -> InterfaceConfig {
        InterfaceConfig {
            name: name.to_string(),
            device,
            mac: MacAddr(caps.mac),
            mtu: caps.mtu,
            tx_queue_len: 256,
            caps: Some(*caps),
        }
    }
}

/// One interface.
#[derive(Debug)]
pub struct Interface {
    pub(crate) name: String,
    pub(crate) device: usize,
    pub(crate) mac: MacAddr,
    pub(crate) mtu: usize,
    pub(crate) addrs: Vec<Ipv4Cidr>,
    pub(crate) promiscuity: u32,
    pub(crate) caps: Option<DeviceCaps>,
    pub(crate) tx_queue: VecDeque<PacketBuf>,
    pub(crate) tx_queue_len: usize,
    pub(crate) pcap: Option<PcapWriter>,
    pub(crate) rx_frames: u64,
    pub(crate) tx_frames: u64,
    pub(crate) rx_bytes: u64,
    pub(crate) tx_bytes: u64,
}

impl Interface {
    pub(crate) fn new(cfg: InterfaceConfig) -> Interface {
        Interface {
            name: cfg.name,
            device: cfg.device,
            mac: cfg.mac,
            mtu: cfg.mtu,
            addrs: Vec::new(),
            promiscuity: 0,
            caps: cfg.caps,
            tx_queue: VecDeque::new(),
            tx_queue_len: cfg.tx_queue_len,
            pcap: None,
            rx_frames: 0,
            tx_frames: 0,
            rx_bytes: 0,
            tx_bytes: 0,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn device(&self) -> usize {
        self.device
    }
    pub fn mac(&self) -> MacAddr {
        self.mac
    }
    /// The effective IP MTU: the configured one, capped by the device's.
    pub fn mtu(&self) -> usize {
        match self.caps {
            Some(c) => self.mtu.min(c.mtu),
            None => self.mtu,
        }
    }
    pub fn addrs(&self) -> &[Ipv4Cidr] {
        &self.addrs
    }
    pub fn is_promiscuous(&self) -> bool {
        self.promiscuity > 0
    }
    /// The first address, used as the source of packets leaving here.
    pub fn primary_addr(&self) -> Option<Ipv4Addr> {
        self.addrs.first().map(|c| c.addr())
    }
    pub fn has_addr(&self, a: Ipv4Addr) -> bool {
        self.addrs.iter().any(|c| c.addr() == a)
    }
    /// Whether `a` is a directed broadcast address of one of this
    /// interface's subnets.
    pub fn is_subnet_broadcast(&self, a: Ipv4Addr) -> bool {
        self.addrs.iter().any(|c| c.broadcast() == Some(a))
    }
    /// Frames waiting for the device.
    pub fn tx_queue_len(&self) -> usize {
        self.tx_queue.len()
    }
    pub(crate) fn tx_checksum(&self) -> bool {
        self.caps.is_some_and(|c| c.tx_checksum)
    }
}
