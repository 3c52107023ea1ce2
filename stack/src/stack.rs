//! The stack: interfaces, the neighbour table, the FIB, reassembly, UDP
//! sockets, ping and a transport layer, driven by [`Stack::poll`].
//!
//! Receive path (source note 001, "traffic path"): device receive, pcap
//! tap, Ethernet demux, ARP or IPv4 validation (each failure a counted
//! [`DropReason`]), local delivery or forwarding, reassembly, L4 checksum
//! verification (device sum or software), then UDP, ICMP or the transport.
//! Transmit path: transport or socket, IPv4 output (FIB lookup through the
//! route cache, source selection, checksum in software or offloaded,
//! fragmentation), neighbour resolution, Ethernet, the interface's transmit
//! queue, drained into the device at the end of each poll.
//!
//! Every step emits a `tracing` event with target `journey` and the fields
//! `host`, `iface`, `layer`, `event`, `packet` (the packet id) and `ns`.

use crate::buf::{PacketBuf, PacketId, RxChecksum, TxChecksum};
use crate::device::Device;
use crate::frag::{Reasm, ReasmConfig, Reassembler, fragment};
use crate::icmp::{PingError, PingEvent};
use crate::iface::{IfaceId, Interface, InterfaceConfig};
use crate::neighbor::{NeighborConfig, NeighborTable, Resolve};
use crate::pcap::PcapWriter;
use crate::route::{Fib, Route, RouteError, RouteKind};
use crate::stats::{DropReason, Stats};
use crate::time::Instant;
use crate::transport::{Ipv4Transport, NoTransport, TX_HEADROOM, TransportIcmpError};
use crate::udp::{BindError, SendError, UdpDatagram, UdpHandle, UdpSocket};
use crate::wire::{
    ArpOperation, ArpPacket, ArpRepr, EtherType, EthernetFrame, EthernetRepr, Icmpv4DstUnreachable,
    Icmpv4Packet, Icmpv4Repr, Icmpv4TimeExceeded, IpProtocol, Ipv4Cidr, Ipv4Packet, Ipv4Repr,
    MacAddr, UdpPacket, UdpRepr, WireError, arp, checksum, ethernet, icmpv4, ipv4, udp,
};
use core::fmt::Write as _;
use core::net::{Ipv4Addr, SocketAddrV4};
use std::collections::{BTreeMap, VecDeque};

macro_rules! journey {
    ($self:expr, $now:expr, $iface:expr, $id:expr, $layer:literal, $event:literal $(, $($rest:tt)*)?) => {
        tracing::trace!(
            target: "journey",
            host = %$self.config.name,
            iface = $iface,
            layer = $layer,
            event = $event,
            packet = $id.0,
            ns = $now.as_nanos()
            $(, $($rest)*)?
        )
    };
}

/// How to build a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackConfig {
    /// Host name, used in journey events and dumps.
    pub name: String,
    /// Forward datagrams between interfaces (RFC 1812); off for hosts.
    pub forwarding: bool,
    /// TTL of datagrams we originate (RFC 1700 recommends 64).
    pub default_ttl: u8,
    pub neighbor: NeighborConfig,
    pub reasm: ReasmConfig,
    /// Datagrams held per UDP socket.
    pub udp_rx_queue: usize,
    /// Packet ids assigned here are `packet_id_base + n`, n = 1, 2, ...
    /// Give each host its own base (for instance `host_index << 40`).
    pub packet_id_base: u64,
    /// Identifier of this stack's echo requests.
    pub ping_ident: u16,
    /// ICMP errors sent per second at most, as a token bucket (RFC 1812
    /// 4.3.2.8; Linux `icmp_msgs_per_sec`); 0: unlimited.
    pub icmp_errors_per_sec: u32,
    /// Burst size of that bucket (Linux `icmp_msgs_burst`).
    pub icmp_errors_burst: u32,
}

impl StackConfig {
    pub fn new(name: &str) -> StackConfig {
        StackConfig {
            name: name.to_string(),
            forwarding: false,
            default_ttl: 64,
            neighbor: NeighborConfig::default(),
            reasm: ReasmConfig::default(),
            udp_rx_queue: 64,
            packet_id_base: 0,
            ping_ident: 0x4e53,
            icmp_errors_per_sec: 1000,
            icmp_errors_burst: 50,
        }
    }
}

/// Why an address could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrError {
    NoSuchInterface,
    /// The address is already on this interface.
    Exists,
    /// Unspecified, broadcast, multicast or a network/broadcast address of
    /// its own prefix.
    Invalid,
}

impl core::fmt::Display for AddrError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            AddrError::NoSuchInterface => "no such interface",
            AddrError::Exists => "address exists",
            AddrError::Invalid => "invalid interface address",
        })
    }
}

impl std::error::Error for AddrError {}

/// Why the IPv4 output path did not send a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutError {
    NoRoute,
    NoSource,
    TooLarge,
    /// DF set and the datagram exceeds this MTU.
    FragNeeded(usize),
    Dropped(DropReason),
}

/// A datagram for the IPv4 output path.
struct OutPacket {
    src: Option<Ipv4Addr>,
    dst: Ipv4Addr,
    protocol: IpProtocol,
    ttl: u8,
    dont_frag: bool,
    /// Offset of the L4 checksum field to fill (zero on entry).
    l4_checksum: Option<usize>,
    /// The L4 segment, with headroom for the IPv4 and Ethernet headers.
    payload: PacketBuf,
}

/// Ethernet plus IPv4 header room for buffers the stack builds.
const LINK_IP_HEADROOM: usize = ethernet::HEADER_LEN + ipv4::HEADER_LEN;
/// Largest UDP payload in one datagram (65535 - 20 - 8).
pub const UDP_MAX_PAYLOAD: usize = ipv4::MAX_PACKET_LEN - ipv4::HEADER_LEN - udp::HEADER_LEN;
/// First ephemeral port (RFC 6335 6).
const EPHEMERAL_FIRST: u16 = 49152;

/// A TCP/IP stack instance (one host or router).
#[derive(Debug)]
pub struct Stack<T: Ipv4Transport = NoTransport> {
    config: StackConfig,
    ifaces: Vec<Interface>,
    neighbors: NeighborTable,
    fib: Fib,
    reasm: Reassembler,
    udp: Vec<Option<UdpSocket>>,
    next_ephemeral: u16,
    /// Outstanding echo requests: seq -> (sent at, destination, data).
    pings: BTreeMap<u16, (Instant, Ipv4Addr, Vec<u8>)>,
    ping_events: VecDeque<PingEvent>,
    transport: T,
    stats: Stats,
    next_ident: u16,
    next_packet_id: u64,
    /// Datagrams addressed to ourselves, delivered at the next poll.
    loopback: VecDeque<PacketBuf>,
    now: Instant,
    /// ICMP error tokens and when they were last refilled.
    icmp_tokens: u32,
    icmp_refill: Instant,
}

impl Stack<NoTransport> {
    /// A stack with UDP and ICMP only.
    pub fn new(config: StackConfig) -> Stack<NoTransport> {
        Stack::with_transport(config, NoTransport)
    }
}

impl<T: Ipv4Transport> Stack<T> {
    pub fn with_transport(config: StackConfig, transport: T) -> Stack<T> {
        let icmp_tokens = config.icmp_errors_burst;
        Stack {
            neighbors: NeighborTable::new(config.neighbor),
            reasm: Reassembler::new(config.reasm),
            config,
            ifaces: Vec::new(),
            fib: Fib::new(),
            udp: Vec::new(),
            next_ephemeral: EPHEMERAL_FIRST,
            pings: BTreeMap::new(),
            ping_events: VecDeque::new(),
            transport,
            stats: Stats::default(),
            next_ident: 1,
            next_packet_id: 1,
            loopback: VecDeque::new(),
            now: Instant::ZERO,
            icmp_tokens,
            icmp_refill: Instant::ZERO,
        }
    }

    // ----- configuration -----------------------------------------------

    pub fn config(&self) -> &StackConfig {
        &self.config
    }
    pub fn name(&self) -> &str {
        &self.config.name
    }
    pub fn set_forwarding(&mut self, on: bool) {
        self.config.forwarding = on;
    }

    pub fn add_interface(&mut self, cfg: InterfaceConfig) -> IfaceId {
        self.ifaces.push(Interface::new(cfg));
        IfaceId(self.ifaces.len() - 1)
    }
    pub fn iface(&self, id: IfaceId) -> Option<&Interface> {
        self.ifaces.get(id.0)
    }
    pub fn ifaces(&self) -> &[Interface] {
        &self.ifaces
    }

    /// Promiscuity is a counter, as in `dev_set_promiscuity`: each `true`
    /// adds one, each `false` removes one. While positive, the pcap tap also
    /// records frames addressed to other hosts (the stack still drops them).
    pub fn set_promiscuous(&mut self, id: IfaceId, on: bool) {
        if let Some(i) = self.ifaces.get_mut(id.0) {
            i.promiscuity = if on {
                i.promiscuity.saturating_add(1)
            } else {
                i.promiscuity.saturating_sub(1)
            };
        }
    }

    /// Attach a pcap tap to an interface (replacing any previous one).
    pub fn set_pcap(&mut self, id: IfaceId, writer: PcapWriter) {
        if let Some(i) = self.ifaces.get_mut(id.0) {
            i.pcap = Some(writer);
        }
    }
    /// Detach the tap, for flushing or inspection.
    pub fn take_pcap(&mut self, id: IfaceId) -> Option<PcapWriter> {
        self.ifaces.get_mut(id.0).and_then(|i| i.pcap.take())
    }

    /// Add an address: adds the connected route for its prefix and queues a
    /// gratuitous ARP request announcing it (RFC 5227 3).
    pub fn add_address(&mut self, id: IfaceId, cidr: Ipv4Cidr) -> Result<(), AddrError> {
        let a = cidr.addr();
        if a.is_unspecified() || a.is_broadcast() || a.is_multicast() {
            return Err(AddrError::Invalid);
        }
        if cidr.prefix_len() <= 30 && (cidr.network().addr() == a || cidr.broadcast() == Some(a)) {
            return Err(AddrError::Invalid);
        }
        let iface = self
            .ifaces
            .get_mut(id.0)
            .ok_or(AddrError::NoSuchInterface)?;
        if iface.has_addr(a) {
            return Err(AddrError::Exists);
        }
        iface.addrs.push(cidr);
        let route = Route {
            dest: cidr.network(),
            gateway: None,
            iface: id.0,
            kind: RouteKind::Connected,
            metric: 0,
            src: Some(a),
        };
        // Two addresses in one prefix share the first one's route.
        let _ = self.fib.add(route);
        self.send_arp(
            id.0,
            ArpOperation::Request,
            a,
            a,
            MacAddr::BROADCAST,
            MacAddr::ZERO,
        );
        Ok(())
    }

    /// Remove an address and the connected routes it brought.
    pub fn remove_address(&mut self, id: IfaceId, addr: Ipv4Addr) -> Result<(), AddrError> {
        let iface = self
            .ifaces
            .get_mut(id.0)
            .ok_or(AddrError::NoSuchInterface)?;
        let before = iface.addrs.len();
        iface.addrs.retain(|c| c.addr() != addr);
        if iface.addrs.len() == before {
            return Err(AddrError::Invalid);
        }
        let remaining: Vec<Ipv4Cidr> = iface.addrs.clone();
        self.fib.remove_where(|r| {
            r.iface == id.0 && r.kind == RouteKind::Connected && r.src == Some(addr)
        });
        for c in remaining {
            let _ = self.fib.add(Route {
                dest: c.network(),
                gateway: None,
                iface: id.0,
                kind: RouteKind::Connected,
                metric: 0,
                src: Some(c.addr()),
            });
        }
        Ok(())
    }

    /// Add a static route. Without `iface`, the gateway must be on a
    /// connected network, whose interface is used.
    pub fn add_route(
        &mut self,
        dest: Ipv4Cidr,
        gateway: Option<Ipv4Addr>,
        iface: Option<IfaceId>,
        metric: u32,
    ) -> Result<(), RouteError> {
        let iface = match (iface, gateway) {
            (Some(i), _) => i.0,
            (None, Some(gw)) => self
                .fib
                .routes()
                .into_iter()
                .find(|r| r.kind == RouteKind::Connected && r.dest.contains(gw))
                .map(|r| r.iface)
                .ok_or(RouteError::NotFound)?,
            (None, None) => return Err(RouteError::NotFound),
        };
        self.fib.add(Route {
            dest: dest.network(),
            gateway,
            iface,
            kind: RouteKind::Static,
            metric,
            src: None,
        })
    }

    /// Remove a static route added with [`Stack::add_route`].
    pub fn remove_route(
        &mut self,
        dest: Ipv4Cidr,
        gateway: Option<Ipv4Addr>,
    ) -> Result<(), RouteError> {
        let dest = dest.network();
        let n = self.fib.remove_where(|r| {
            r.kind == RouteKind::Static && r.dest == dest && r.gateway == gateway
        });
        if n == 0 {
            Err(RouteError::NotFound)
        } else {
            Ok(())
        }
    }

    /// Set an interface's IP MTU (the device's MTU still caps it).
    pub fn set_mtu(&mut self, id: IfaceId, mtu: usize) {
        if let Some(i) = self.ifaces.get_mut(id.0) {
            i.mtu = mtu;
        }
    }

    /// Add `default via gateway`.
    pub fn set_default_gateway(&mut self, gateway: Ipv4Addr) -> Result<(), RouteError> {
        let any = Ipv4Cidr::new(Ipv4Addr::UNSPECIFIED, 0).ok_or(RouteError::NotFound)?;
        self.fib
            .remove_where(|r| r.dest.prefix_len() == 0 && r.kind == RouteKind::Static);
        self.add_route(any, Some(gateway), None, 0)
    }

    pub fn fib(&self) -> &Fib {
        &self.fib
    }
    pub fn fib_mut(&mut self) -> &mut Fib {
        &mut self.fib
    }
    pub fn neighbors(&self) -> &NeighborTable {
        &self.neighbors
    }
    pub fn reassembler(&self) -> &Reassembler {
        &self.reasm
    }
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    pub fn transport(&self) -> &T {
        &self.transport
    }
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// The source address for datagrams to `dst`: `dst` itself when it is
    /// ours, else the route's preferred source or its interface's first
    /// address (RFC 1122 3.3.4.3).
    pub fn source_for(&mut self, dst: Ipv4Addr) -> Option<Ipv4Addr> {
        if self.is_local_addr(dst) {
            return Some(dst);
        }
        let r = self.lookup(dst)?;
        r.src
            .or_else(|| self.ifaces.get(r.iface).and_then(|i| i.primary_addr()))
    }

    /// The MTU of the path's first hop to `dst`.
    pub fn mtu_for(&mut self, dst: Ipv4Addr) -> Option<usize> {
        if let Some(i) = self.ifaces.iter().find(|i| i.has_addr(dst)) {
            return Some(i.mtu());
        }
        let r = self.lookup(dst)?;
        self.ifaces.get(r.iface).map(|i| i.mtu())
    }

    fn lookup(&mut self, dst: Ipv4Addr) -> Option<Route> {
        let r = self.fib.lookup(dst);
        self.stats.route_cache_hits = self.fib.cache_hits;
        self.stats.route_cache_misses = self.fib.cache_misses;
        r
    }

    fn is_local_addr(&self, a: Ipv4Addr) -> bool {
        self.ifaces.iter().any(|i| i.has_addr(a))
    }

    /// The limited broadcast or a directed broadcast of any of our subnets.
    fn is_broadcast_addr(&self, a: Ipv4Addr) -> bool {
        a.is_broadcast() || self.ifaces.iter().any(|i| i.is_subnet_broadcast(a))
    }

    fn new_packet_id(&mut self) -> PacketId {
        let id = PacketId(self.config.packet_id_base.wrapping_add(self.next_packet_id));
        self.next_packet_id += 1;
        id
    }

    fn ensure_id(&mut self, buf: &mut PacketBuf) -> PacketId {
        if buf.meta().id == PacketId(0) {
            let id = self.new_packet_id();
            buf.meta_mut().id = id;
        }
        buf.meta().id
    }

    // ----- polling --------------------------------------------------------

    /// Drive the stack at `now`: take every frame the devices have, process
    /// it, run the timers (ARP, reassembly, transport), collect transport
    /// output, and hand queued frames to the devices. `devices[i]` is the
    /// device interfaces name with index `i`. Returns whether anything was
    /// received or sent.
    pub fn poll(&mut self, now: Instant, devices: &mut [&mut dyn Device]) -> bool {
        self.now = now;
        let mut busy = false;
        for i in 0..self.ifaces.len() {
            let Some(dev) = devices.get_mut(self.ifaces[i].device) else {
                continue;
            };
            self.ifaces[i].caps = Some(dev.caps());
            while let Some(frame) = dev.receive(now) {
                busy = true;
                self.receive(now, IfaceId(i), frame);
            }
        }
        self.process_loopback(now);
        self.run_timers(now);
        self.transport.poll(now);
        while let Some(tx) = self.transport.dispatch(now) {
            let out = OutPacket {
                src: Some(tx.src),
                dst: tx.dst,
                protocol: self.transport.protocol().unwrap_or(IpProtocol::Tcp),
                ttl: self.config.default_ttl,
                dont_frag: tx.dont_frag,
                l4_checksum: tx.checksum_offset.map(usize::from),
                payload: tx.segment,
            };
            // Failures are counted as transmit drops; TCP retransmits.
            let _ = self.ip_output(now, out);
        }
        self.process_loopback(now);
        busy |= self.flush(now, devices);
        busy
    }

    /// When the stack next needs a poll without new input: the earliest
    /// timer, or the last poll time when frames still wait for a busy device.
    pub fn poll_at(&self) -> Option<Instant> {
        let pending =
            self.ifaces.iter().any(|i| !i.tx_queue.is_empty()) || !self.loopback.is_empty();
        [
            pending.then_some(self.now),
            self.neighbors.poll_at(),
            self.reasm.poll_at(),
            self.transport.poll_at(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Hand queued frames to the devices until each is empty or busy.
    fn flush(&mut self, now: Instant, devices: &mut [&mut dyn Device]) -> bool {
        let mut sent = false;
        for i in 0..self.ifaces.len() {
            let Some(dev) = devices.get_mut(self.ifaces[i].device) else {
                continue;
            };
            while let Some(mut frame) = self.ifaces[i].tx_queue.pop_front() {
                frame.meta_mut().timestamp = now;
                let copy = self.ifaces[i].pcap.is_some().then(|| frame.data().to_vec());
                let id = frame.meta().id;
                let len = frame.len();
                match dev.transmit(now, frame) {
                    Ok(()) => {
                        sent = true;
                        journey!(self, now, i, id, "device", "transmit", len = len);
                        let iface = &mut self.ifaces[i];
                        iface.tx_frames += 1;
                        iface.tx_bytes += len as u64;
                        self.stats.tx_frames += 1;
                        if let (Some(p), Some(bytes)) = (iface.pcap.as_mut(), copy) {
                            if p.write(now, &bytes).is_err() {
                                self.stats.pcap_errors += 1;
                            }
                        }
                    }
                    Err(busy) => {
                        self.ifaces[i].tx_queue.push_front(busy.0);
                        break;
                    }
                }
            }
        }
        sent
    }

    fn run_timers(&mut self, now: Instant) {
        let work = self.neighbors.poll(now);
        for (iface, target, unicast) in work.requests {
            let src = self.arp_source(iface, target);
            if let Some(src) = src {
                let dst = unicast.unwrap_or(MacAddr::BROADCAST);
                self.send_arp(
                    iface,
                    ArpOperation::Request,
                    src,
                    target,
                    dst,
                    MacAddr::ZERO,
                );
            }
        }
        for pkt in work.failed {
            self.stats.count_tx_drop(DropReason::NeighborFailed);
            journey!(
                self,
                now,
                pkt.meta().iface,
                pkt.meta().id,
                "neigh",
                "failed"
            );
            // RFC 1812 4.3.3.1: tell the source of a forwarded datagram
            // that its destination host is unreachable.
            if let Ok(p) = Ipv4Packet::new_checked(pkt.data()) {
                if !self.is_local_addr(p.src_addr()) {
                    let iface = pkt.meta().iface;
                    self.icmp_error(
                        now,
                        iface,
                        pkt.data(),
                        IcmpErrorKind::Unreachable(Icmpv4DstUnreachable::HostUnreachable, 0),
                    );
                }
            }
        }
        for e in self.reasm.poll(now) {
            self.stats.reasm_timeouts += 1;
            if let Some(quote) = e.quote {
                self.icmp_error(
                    now,
                    e.iface,
                    &quote,
                    IcmpErrorKind::TimeExceeded(Icmpv4TimeExceeded::FragReassembly),
                );
            }
        }
        self.stats.reasm_evicted = self.reasm.evicted;
    }

    fn process_loopback(&mut self, now: Instant) {
        while let Some(pkt) = self.loopback.pop_front() {
            self.stats.rx_frames += 1;
            let iface = pkt.meta().iface;
            match self.ipv4_input(now, iface, pkt, false, false) {
                Ok(()) => self.stats.rx_consumed += 1,
                Err(r) => self.stats.count_rx_drop(r),
            }
        }
    }

    // ----- receive path ---------------------------------------------------

    /// Process one received frame (Ethernet header first, no FCS) as if the
    /// device of `iface` had delivered it. `poll` calls this for every frame
    /// it takes; hosts that pull frames from their driver themselves may
    /// call it directly. The frame is counted as consumed or as a drop.
    pub fn receive(&mut self, now: Instant, iface: IfaceId, frame: PacketBuf) {
        self.stats.rx_frames += 1;
        match self.rx_frame(now, iface.0, frame) {
            Ok(()) => self.stats.rx_consumed += 1,
            Err(r) => {
                journey!(
                    self,
                    now,
                    iface.0,
                    PacketId(0),
                    "stack",
                    "drop",
                    reason = r.name()
                );
                self.stats.count_rx_drop(r);
            }
        }
    }

    fn rx_frame(
        &mut self,
        now: Instant,
        iface: usize,
        mut frame: PacketBuf,
    ) -> Result<(), DropReason> {
        let Some(ifc) = self.ifaces.get_mut(iface) else {
            return Err(DropReason::EthOtherHost);
        };
        ifc.rx_frames += 1;
        ifc.rx_bytes += frame.len() as u64;
        let offset = frame.data_offset();
        let meta = frame.meta_mut();
        meta.iface = iface;
        meta.timestamp = now;
        meta.mac_header = u16::try_from(offset).ok();
        journey!(
            self,
            now,
            iface,
            frame.meta().id,
            "device",
            "receive",
            len = frame.len()
        );
        let ifc = &mut self.ifaces[iface];
        let eth = EthernetFrame::new_checked(frame.data()).map_err(|_| DropReason::EthTruncated)?;
        let dst = eth.dst_addr();
        let ethertype = eth.ethertype();
        let for_us = dst == ifc.mac || dst.is_multicast();
        if for_us || ifc.is_promiscuous() {
            if let Some(p) = ifc.pcap.as_mut() {
                if p.write(now, frame.data()).is_err() {
                    self.stats.pcap_errors += 1;
                }
            }
        }
        if !for_us {
            return Err(DropReason::EthOtherHost);
        }
        if frame.len() > ifc.mtu() + ethernet::HEADER_LEN && frame.len() > ethernet::MIN_FRAME_LEN {
            return Err(DropReason::EthOversize);
        }
        frame
            .pull(ethernet::HEADER_LEN)
            .map_err(|_| DropReason::EthTruncated)?;
        match ethertype {
            EtherType::Arp => self.arp_input(now, iface, &frame),
            EtherType::Ipv4 => self.ipv4_input(now, iface, frame, dst.is_multicast(), true),
            EtherType::Unknown(_) => Err(DropReason::EthUnknownType),
        }
    }

    fn arp_input(
        &mut self,
        now: Instant,
        iface: usize,
        frame: &PacketBuf,
    ) -> Result<(), DropReason> {
        let p = ArpPacket::new_checked(frame.data()).map_err(|_| DropReason::ArpTruncated)?;
        let repr = ArpRepr::parse(&p).map_err(|e| match e {
            WireError::Truncated => DropReason::ArpTruncated,
            _ => DropReason::ArpUnsupported,
        })?;
        if matches!(repr.operation, ArpOperation::Unknown(_)) {
            return Err(DropReason::ArpBadOperation);
        }
        // RFC 826 / RFC 5227: the sender must be a unicast station.
        if !repr.source_hw.is_unicast() || repr.source_hw == self.ifaces[iface].mac {
            return Err(DropReason::ArpBadSource);
        }
        let for_us = self.ifaces[iface].has_addr(repr.target_ip);
        journey!(self, now, iface, frame.meta().id, "arp", "receive", op = ?repr.operation, sender = %repr.source_ip);
        // RFC 826 "Packet Reception": merge the sender into an existing
        // entry; create one only if we are the target. A probe (sender
        // 0.0.0.0, RFC 5227) updates nothing.
        if !repr.source_ip.is_unspecified() && !repr.source_ip.is_broadcast() {
            let released =
                self.neighbors
                    .confirm(now, iface, repr.source_ip, repr.source_hw, for_us);
            for pkt in released {
                // Drops are counted by link_send.
                let _ = self.link_send(now, iface, repr.source_hw, EtherType::Ipv4, pkt);
            }
        }
        if !for_us {
            return Err(DropReason::ArpNotForUs);
        }
        if repr.operation == ArpOperation::Request {
            self.send_arp(
                iface,
                ArpOperation::Reply,
                repr.target_ip,
                repr.source_ip,
                repr.source_hw,
                repr.source_hw,
            );
        }
        Ok(())
    }

    fn ipv4_input(
        &mut self,
        now: Instant,
        iface: usize,
        mut pkt: PacketBuf,
        link_broadcast: bool,
        from_wire: bool,
    ) -> Result<(), DropReason> {
        let offset = pkt.data_offset();
        pkt.meta_mut().network_header = u16::try_from(offset).ok();
        // RFC 1122 3.2.1.1-3 and RFC 1812 5.2.2: validate before anything.
        let d = pkt.data();
        if d.len() < ipv4::HEADER_LEN {
            return Err(DropReason::Ipv4Truncated);
        }
        let p = Ipv4Packet::new_unchecked(d);
        if p.version() != 4 {
            return Err(DropReason::Ipv4BadVersion);
        }
        let hlen = usize::from(p.header_len());
        if hlen < ipv4::HEADER_LEN {
            return Err(DropReason::Ipv4BadHeaderLen);
        }
        if d.len() < hlen {
            return Err(DropReason::Ipv4Truncated);
        }
        let total = usize::from(p.total_len());
        if total < hlen {
            return Err(DropReason::Ipv4BadTotalLen);
        }
        if total > d.len() {
            return Err(DropReason::Ipv4Truncated);
        }
        if !p.verify_checksum() {
            return Err(DropReason::Ipv4BadChecksum);
        }
        let src = p.src_addr();
        let dst = p.dst_addr();
        // RFC 1122 3.2.1.3 and RFC 1812 5.3.7: no broadcast or multicast
        // source; and from the wire, none of our own addresses (martian).
        if src.is_broadcast()
            || src.is_multicast()
            || self.ifaces.iter().any(|i| i.is_subnet_broadcast(src))
            || (from_wire && self.is_local_addr(src))
        {
            return Err(DropReason::Ipv4BadSource);
        }
        let pad = d.len() - total;
        if pad > 0 {
            self.trim_padding(&mut pkt, total);
        }
        journey!(self, now, iface, pkt.meta().id, "ip", "receive", src = %src, dst = %dst);
        if dst.is_multicast() {
            return Err(DropReason::Ipv4Multicast);
        }
        let local = self.is_local_addr(dst)
            || dst.is_broadcast()
            || self
                .ifaces
                .get(iface)
                .is_some_and(|i| i.is_subnet_broadcast(dst));
        if local {
            return self.ip_local(now, iface, pkt);
        }
        self.forward(now, iface, pkt, link_broadcast)
    }

    /// Cut Ethernet padding off an IPv4 packet and take its bytes out of a
    /// device-reported CHECKSUM_COMPLETE sum.
    fn trim_padding(&mut self, pkt: &mut PacketBuf, total: usize) {
        if let (RxChecksum::Complete { start, sum }, Some(mac)) =
            (pkt.meta().rx_checksum, pkt.meta().mac_header)
        {
            let cs_start = usize::from(mac) + usize::from(start);
            let pad_start = pkt.data_offset() + total;
            if cs_start <= pad_start {
                let pad_sum = checksum::data(pkt.bytes_from(pad_start));
                // A run of bytes at an odd distance from the sum's start
                // contributes its sum byte-swapped (RFC 1071 2(B)).
                let pad_sum = if (pad_start - cs_start) % 2 == 1 {
                    pad_sum.swap_bytes()
                } else {
                    pad_sum
                };
                pkt.meta_mut().rx_checksum = RxChecksum::Complete {
                    start,
                    sum: checksum::subtract(sum, pad_sum),
                };
            } else {
                pkt.meta_mut().rx_checksum = RxChecksum::None;
            }
        }
        pkt.trim(total);
    }

    fn ip_local(&mut self, now: Instant, iface: usize, pkt: PacketBuf) -> Result<(), DropReason> {
        let p = Ipv4Packet::new_unchecked(pkt.data());
        if !(p.more_frags() || p.frag_offset() != 0) {
            return self.deliver(now, iface, pkt);
        }
        journey!(
            self,
            now,
            iface,
            pkt.meta().id,
            "ip",
            "fragment",
            offset = p.frag_offset()
        );
        match self.reasm.add(now, pkt.data(), *pkt.meta()) {
            Reasm::Held => Ok(()),
            Reasm::Dropped(r) => Err(r),
            Reasm::Complete(mut whole) => {
                self.stats.reassembled += 1;
                let meta = whole.meta_mut();
                meta.rx_checksum = RxChecksum::None;
                meta.mac_header = None;
                journey!(
                    self,
                    now,
                    iface,
                    whole.meta().id,
                    "ip",
                    "reassembled",
                    len = whole.len()
                );
                self.deliver(now, iface, whole)
            }
        }
    }

    /// Deliver a whole datagram (header valid, trimmed) to its protocol.
    fn deliver(
        &mut self,
        now: Instant,
        iface: usize,
        mut pkt: PacketBuf,
    ) -> Result<(), DropReason> {
        let p = Ipv4Packet::new_unchecked(pkt.data());
        let (src, dst, protocol, ttl) = (p.src_addr(), p.dst_addr(), p.protocol(), p.ttl());
        let hlen = usize::from(p.header_len());
        let net = pkt.data_offset();
        pkt.meta_mut().network_header = u16::try_from(net).ok();
        pkt.pull(hlen).map_err(|_| DropReason::Ipv4Truncated)?;
        let l4 = pkt.data_offset();
        pkt.meta_mut().transport_header = u16::try_from(l4).ok();
        journey!(self, now, iface, pkt.meta().id, "ip", "demux", protocol = %protocol);
        if self.transport.protocol() == Some(protocol) {
            let min = match protocol {
                IpProtocol::Tcp => 20,
                _ => 8,
            };
            if pkt.len() < min {
                return Err(DropReason::TransportTruncated);
            }
            if !self.verify_l4(&pkt, src, dst, u8::from(protocol)) {
                return Err(DropReason::TransportBadChecksum);
            }
            journey!(self, now, iface, pkt.meta().id, "transport", "deliver");
            self.transport.input(now, src, dst, pkt);
            return Ok(());
        }
        match protocol {
            IpProtocol::Udp => self.udp_input(now, iface, pkt, src, dst),
            IpProtocol::Icmp => self.icmp_input(now, iface, &pkt, src, dst, ttl),
            _ => {
                if !dst.is_broadcast() {
                    let original = pkt.bytes_from(net).to_vec();
                    self.icmp_error(
                        now,
                        iface,
                        &original,
                        IcmpErrorKind::Unreachable(Icmpv4DstUnreachable::ProtoUnreachable, 0),
                    );
                }
                Err(DropReason::Ipv4UnknownProtocol)
            }
        }
    }

    /// Verify a UDP or TCP checksum over the whole of `seg`'s data: from
    /// the device's CHECKSUM_COMPLETE sum when it covers the segment, else
    /// in software.
    fn verify_l4(&mut self, seg: &PacketBuf, src: Ipv4Addr, dst: Ipv4Addr, protocol: u8) -> bool {
        let Ok(len) = u16::try_from(seg.len()) else {
            return false;
        };
        if let (RxChecksum::Complete { start, sum }, Some(mac)) =
            (seg.meta().rx_checksum, seg.meta().mac_header)
        {
            let cs_start = usize::from(mac) + usize::from(start);
            let l4 = seg.data_offset();
            if cs_start <= l4 {
                let before = &seg.bytes_from(cs_start)[..l4 - cs_start];
                let l4_sum = checksum::subtract(sum, checksum::data(before));
                self.stats.rx_csum_hardware += 1;
                let pseudo = checksum::pseudo_header(src, dst, protocol, len);
                return checksum::combine(&[pseudo, l4_sum]) == 0xffff;
            }
        }
        self.stats.rx_csum_software += 1;
        checksum::transport_verifies(src, dst, protocol, seg.data())
    }

    fn udp_input(
        &mut self,
        now: Instant,
        iface: usize,
        mut pkt: PacketBuf,
        src: Ipv4Addr,
        dst: Ipv4Addr,
    ) -> Result<(), DropReason> {
        let u = UdpPacket::new_checked(pkt.data()).map_err(|e| match e {
            WireError::Truncated => DropReason::UdpTruncated,
            _ => DropReason::UdpMalformed,
        })?;
        let repr = UdpRepr::parse(&u).map_err(|_| DropReason::UdpMalformed)?;
        let udp_len = usize::from(u.len());
        let has_checksum = u.checksum() != 0;
        if udp_len < pkt.len() {
            // Bytes after the UDP length are not covered by its checksum:
            // drop them, and with them the device's sum.
            pkt.trim(udp_len);
            pkt.meta_mut().rx_checksum = RxChecksum::None;
        }
        // RFC 768: a zero checksum field means none was computed.
        if has_checksum && !self.verify_l4(&pkt, src, dst, u8::from(IpProtocol::Udp)) {
            return Err(DropReason::UdpBadChecksum);
        }
        let from = SocketAddrV4::new(src, repr.src_port);
        let best = self
            .udp
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.as_ref()
                    .and_then(|s| s.score(dst, repr.dst_port, from))
                    .map(|sc| (sc, i))
            })
            .max();
        let Some((_, idx)) = best else {
            let broadcast = self.is_broadcast_addr(dst);
            if !broadcast {
                // RFC 1122 4.1.3.1: port unreachable.
                let net = usize::from(pkt.meta().network_header.unwrap_or(0));
                let original = pkt.bytes_from(net).to_vec();
                self.icmp_error(
                    now,
                    iface,
                    &original,
                    IcmpErrorKind::Unreachable(Icmpv4DstUnreachable::PortUnreachable, 0),
                );
            }
            return Err(DropReason::UdpNoSocket);
        };
        pkt.pull(udp::HEADER_LEN)
            .map_err(|_| DropReason::UdpTruncated)?;
        let id = pkt.meta().id;
        let Some(sock) = self.udp.get_mut(idx).and_then(|s| s.as_mut()) else {
            return Err(DropReason::UdpNoSocket);
        };
        if sock.rx.len() >= sock.rx_capacity {
            sock.rx_drops += 1;
            return Err(DropReason::UdpQueueFull);
        }
        sock.rx.push_back(UdpDatagram {
            from,
            to: dst,
            payload: pkt,
        });
        journey!(self, now, iface, id, "udp", "deliver", port = repr.dst_port);
        Ok(())
    }

    fn icmp_input(
        &mut self,
        now: Instant,
        iface: usize,
        pkt: &PacketBuf,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        ttl: u8,
    ) -> Result<(), DropReason> {
        let p = Icmpv4Packet::new_checked(pkt.data()).map_err(|_| DropReason::IcmpTruncated)?;
        let repr = Icmpv4Repr::parse(&p).map_err(|e| match e {
            WireError::Checksum => DropReason::IcmpBadChecksum,
            WireError::Unsupported => DropReason::IcmpUnsupported,
            WireError::Truncated => DropReason::IcmpTruncated,
            WireError::Malformed => DropReason::IcmpMalformed,
        })?;
        journey!(self, now, iface, pkt.meta().id, "icmp", "receive", kind = ?core::mem::discriminant(&repr));
        match repr {
            Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                // RFC 1122 3.2.2.6 lets a host ignore broadcast echoes.
                if self.is_broadcast_addr(dst) {
                    return Err(DropReason::IcmpBroadcastEcho);
                }
                let reply = Icmpv4Repr::EchoReply {
                    ident,
                    seq_no,
                    data,
                };
                let buf = build_icmp(&reply);
                // The reply's fate is counted on the transmit side.
                let _ = self.send_icmp(now, Some(dst), src, buf);
                Ok(())
            }
            Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => {
                if ident != self.config.ping_ident {
                    return Err(DropReason::IcmpUnsolicited);
                }
                let Some((sent, _, sent_data)) = self.pings.remove(&seq_no) else {
                    return Err(DropReason::IcmpUnsolicited);
                };
                self.ping_events.push_back(PingEvent::Reply {
                    from: src,
                    seq: seq_no,
                    rtt: now - sent,
                    ttl,
                    len: data.len(),
                    data_ok: data == &sent_data[..],
                });
                journey!(
                    self,
                    now,
                    iface,
                    pkt.meta().id,
                    "icmp",
                    "deliver",
                    seq = seq_no
                );
                Ok(())
            }
            Icmpv4Repr::DstUnreachable {
                reason,
                next_hop_mtu,
                data,
            } => {
                let code = u8::from(reason);
                let err = if reason == Icmpv4DstUnreachable::FragRequired {
                    TransportIcmpError::FragNeeded { mtu: next_hop_mtu }
                } else {
                    TransportIcmpError::Unreachable(code)
                };
                self.icmp_error_input(now, src, 3, code, err, data)
            }
            Icmpv4Repr::TimeExceeded { reason, data } => {
                let code = u8::from(reason);
                self.icmp_error_input(now, src, 11, code, TransportIcmpError::TimeExceeded, data)
            }
        }
    }

    /// Route an ICMP error to whoever sent the quoted datagram (RFC 1122
    /// 3.2.2: the quote identifies the protocol and ports).
    fn icmp_error_input(
        &mut self,
        now: Instant,
        from: Ipv4Addr,
        icmp_type: u8,
        code: u8,
        err: TransportIcmpError,
        quote: &[u8],
    ) -> Result<(), DropReason> {
        if quote.len() < ipv4::HEADER_LEN {
            return Err(DropReason::IcmpMalformed);
        }
        let q = Ipv4Packet::new_unchecked(quote);
        let hlen = usize::from(q.header_len());
        if q.version() != 4
            || hlen < ipv4::HEADER_LEN
            || quote.len() < hlen + icmpv4::ERROR_QUOTE_DATA
        {
            return Err(DropReason::IcmpMalformed);
        }
        let inner = &quote[hlen..];
        match q.protocol() {
            IpProtocol::Icmp => {
                let ident = u16::from_be_bytes([inner[4], inner[5]]);
                let seq = u16::from_be_bytes([inner[6], inner[7]]);
                if inner[0] != 8
                    || ident != self.config.ping_ident
                    || self.pings.remove(&seq).is_none()
                {
                    return Err(DropReason::IcmpUnsolicited);
                }
                self.ping_events.push_back(if icmp_type == 3 {
                    PingEvent::Unreachable { from, seq, code }
                } else {
                    PingEvent::TimeExceeded { from, seq, code }
                });
                Ok(())
            }
            IpProtocol::Udp => {
                let sport = u16::from_be_bytes([inner[0], inner[1]]);
                let local = q.src_addr();
                let sock = self.udp.iter_mut().flatten().find(|s| {
                    s.local.port() == sport
                        && (s.local.ip().is_unspecified() || *s.local.ip() == local)
                });
                match sock {
                    Some(s) => {
                        if s.errors.len() < 16 {
                            s.errors.push_back((from, icmp_type, code));
                        }
                        Ok(())
                    }
                    None => Err(DropReason::IcmpUnsolicited),
                }
            }
            p if self.transport.protocol() == Some(p) => {
                self.transport.icmp_error(now, err, quote);
                Ok(())
            }
            _ => Err(DropReason::IcmpUnsolicited),
        }
    }

    // ----- forwarding -----------------------------------------------------

    fn forward(
        &mut self,
        now: Instant,
        in_iface: usize,
        mut pkt: PacketBuf,
        link_broadcast: bool,
    ) -> Result<(), DropReason> {
        if !self.config.forwarding {
            return Err(DropReason::Ipv4NotForUs);
        }
        // RFC 1812 5.3.4: never forward what arrived as a link broadcast.
        if link_broadcast {
            return Err(DropReason::Ipv4LinkBroadcast);
        }
        let p = Ipv4Packet::new_unchecked(pkt.data());
        let dst = p.dst_addr();
        // RFC 1812 5.3.1: a TTL that would reach zero is not forwarded.
        if p.ttl() <= 1 {
            let original = pkt.data().to_vec();
            self.icmp_error(
                now,
                in_iface,
                &original,
                IcmpErrorKind::TimeExceeded(Icmpv4TimeExceeded::TtlExpired),
            );
            return Err(DropReason::Ipv4TtlExpired);
        }
        let Some(route) = self.lookup(dst) else {
            let original = pkt.data().to_vec();
            self.icmp_error(
                now,
                in_iface,
                &original,
                IcmpErrorKind::Unreachable(Icmpv4DstUnreachable::NetUnreachable, 0),
            );
            return Err(DropReason::Ipv4NoRoute);
        };
        let mtu = self.ifaces.get(route.iface).map_or(0, |i| i.mtu());
        {
            let mut p = Ipv4Packet::new_unchecked(pkt.data_mut());
            let ttl = p.ttl() - 1;
            p.set_ttl(ttl);
            p.fill_checksum();
        }
        let dont_frag = Ipv4Packet::new_unchecked(pkt.data()).dont_frag();
        if pkt.len() > mtu && dont_frag {
            // RFC 1191 4: report the next-hop MTU.
            let original = pkt.data().to_vec();
            let mtu16 = u16::try_from(mtu).unwrap_or(u16::MAX);
            self.icmp_error(
                now,
                in_iface,
                &original,
                IcmpErrorKind::Unreachable(Icmpv4DstUnreachable::FragRequired, mtu16),
            );
            return Err(DropReason::FragNeeded);
        }
        let meta = pkt.meta_mut();
        meta.tx_checksum = None;
        meta.rx_checksum = RxChecksum::None;
        meta.iface = route.iface;
        self.stats.forwarded += 1;
        journey!(self, now, route.iface, pkt.meta().id, "ip", "forward", route = %route, from_iface = in_iface);
        // Drops after this point are transmit drops, counted there; the
        // received datagram itself was consumed by forwarding.
        let _ = self.ip_send_routed(now, route, dst, pkt);
        Ok(())
    }

    // ----- transmit path --------------------------------------------------

    /// The IPv4 output path for datagrams we originate.
    fn ip_output(&mut self, now: Instant, out: OutPacket) -> Result<PacketId, OutError> {
        let mut payload = out.payload;
        let id = self.ensure_id(&mut payload);
        let local_iface = self.ifaces.iter().position(|i| i.has_addr(out.dst));
        // Our own address: the local route (Linux's `local` table) through
        // the loopback queue.
        let route = match local_iface {
            Some(i) => Ipv4Cidr::new(out.dst, 32).map(|dest| Route {
                dest,
                gateway: None,
                iface: i,
                kind: RouteKind::Connected,
                metric: 0,
                src: Some(out.dst),
            }),
            None => self.lookup(out.dst),
        };
        let Some(route) = route else {
            self.stats.count_tx_drop(DropReason::Ipv4NoRoute);
            return Err(OutError::NoRoute);
        };
        let Some(src) = out
            .src
            .or(route.src)
            .or_else(|| self.ifaces.get(route.iface).and_then(|i| i.primary_addr()))
        else {
            self.stats.count_tx_drop(DropReason::TxNoAddress);
            return Err(OutError::NoSource);
        };
        let total = ipv4::HEADER_LEN + payload.len();
        if total > ipv4::MAX_PACKET_LEN {
            self.stats.count_tx_drop(DropReason::TxTooLarge);
            return Err(OutError::TooLarge);
        }
        let loopback = local_iface.is_some();
        let (mtu, offload) = match self.ifaces.get(route.iface) {
            Some(i) => (i.mtu(), i.tx_checksum()),
            None => (0, false),
        };
        let needs_frag = !loopback && total > mtu;
        if needs_frag && out.dont_frag {
            self.stats.count_tx_drop(DropReason::FragNeeded);
            return Err(OutError::FragNeeded(mtu));
        }
        if let Some(off) = out.l4_checksum {
            let len = u16::try_from(payload.len()).map_err(|_| OutError::TooLarge)?;
            let proto = u8::from(out.protocol);
            let data = payload.data_mut();
            if off + 2 > data.len() {
                self.stats.count_tx_drop(DropReason::TxTooLarge);
                return Err(OutError::TooLarge);
            }
            if offload && !needs_frag && !loopback {
                // 8254x 3.3.3 (legacy TCP/IP checksum): the device sums from
                // CSS to the end and stores the complement at CSO; seed the
                // field with the pseudo-header sum.
                let seed = checksum::pseudo_header(src, out.dst, proto, len);
                data[off..off + 2].copy_from_slice(&seed.to_be_bytes());
                let start = LINK_IP_HEADROOM;
                payload.meta_mut().tx_checksum = Some(TxChecksum {
                    start: start as u16,
                    offset: (start + off) as u16,
                });
                self.stats.tx_csum_offloaded += 1;
            } else {
                data[off..off + 2].copy_from_slice(&[0, 0]);
                let mut c = checksum::transport_checksum(src, out.dst, proto, data);
                // RFC 768: a computed zero is sent as all ones.
                if out.protocol == IpProtocol::Udp && c == 0 {
                    c = 0xffff;
                }
                data[off..off + 2].copy_from_slice(&c.to_be_bytes());
                payload.meta_mut().tx_checksum = None;
                self.stats.tx_csum_software += 1;
            }
        }
        let repr = Ipv4Repr {
            src,
            dst: out.dst,
            protocol: out.protocol,
            payload_len: (total - ipv4::HEADER_LEN) as u16,
            ttl: out.ttl,
            dscp_ecn: 0,
            ident: self.next_ident,
            dont_frag: out.dont_frag,
            more_frags: false,
            frag_offset: 0,
        };
        self.next_ident = self.next_ident.wrapping_add(1);
        let mut pkt = payload;
        if pkt.headroom() < LINK_IP_HEADROOM {
            pkt = pkt.copy_with_headroom(LINK_IP_HEADROOM);
        }
        let transport_off = pkt.data_offset();
        let hdr = pkt.push(ipv4::HEADER_LEN).map_err(|_| OutError::TooLarge)?;
        repr.emit(&mut Ipv4Packet::new_unchecked(hdr));
        let net_off = pkt.data_offset();
        let meta = pkt.meta_mut();
        meta.transport_header = u16::try_from(transport_off).ok();
        meta.network_header = u16::try_from(net_off).ok();
        meta.iface = route.iface;
        meta.timestamp = now;
        journey!(self, now, route.iface, id, "ip", "output", route = %route, src = %src, dst = %out.dst, len = total);
        if loopback {
            self.loopback.push_back(pkt);
            return Ok(id);
        }
        match self.ip_send_routed(now, route, out.dst, pkt) {
            Ok(()) => Ok(id),
            Err(r) => Err(OutError::Dropped(r)),
        }
    }

    /// Fragment if needed and hand to the neighbour layer. Drops are
    /// counted here; the first is returned.
    fn ip_send_routed(
        &mut self,
        now: Instant,
        route: Route,
        dst: Ipv4Addr,
        pkt: PacketBuf,
    ) -> Result<(), DropReason> {
        let mtu = self.ifaces.get(route.iface).map_or(0, |i| i.mtu());
        let next_hop = route.next_hop(dst);
        if pkt.len() <= mtu {
            return self.neighbor_output(now, route.iface, next_hop, dst, pkt);
        }
        let Some(frags) = fragment(pkt.data(), mtu, ethernet::HEADER_LEN) else {
            self.stats.count_tx_drop(DropReason::FragNeeded);
            return Err(DropReason::FragNeeded);
        };
        journey!(
            self,
            now,
            route.iface,
            pkt.meta().id,
            "ip",
            "fragment",
            count = frags.len(),
            mtu = mtu
        );
        let mut result = Ok(());
        for mut f in frags {
            let mut meta = *pkt.meta();
            meta.tx_checksum = None;
            let off = f.data_offset();
            meta.network_header = u16::try_from(off).ok();
            meta.transport_header = None;
            *f.meta_mut() = meta;
            self.stats.fragments_sent += 1;
            if let Err(r) = self.neighbor_output(now, route.iface, next_hop, dst, f) {
                if result.is_ok() {
                    result = Err(r);
                }
            }
        }
        result
    }

    /// Resolve the next hop and send, or queue behind ARP.
    fn neighbor_output(
        &mut self,
        now: Instant,
        iface: usize,
        next_hop: Ipv4Addr,
        dst: Ipv4Addr,
        pkt: PacketBuf,
    ) -> Result<(), DropReason> {
        let Some(ifc) = self.ifaces.get(iface) else {
            self.stats.count_tx_drop(DropReason::Ipv4NoRoute);
            return Err(DropReason::Ipv4NoRoute);
        };
        if dst.is_broadcast() || ifc.is_subnet_broadcast(dst) {
            return self.link_send(now, iface, MacAddr::BROADCAST, EtherType::Ipv4, pkt);
        }
        let id = pkt.meta().id;
        let (res, back) = self.neighbors.resolve(now, iface, next_hop, pkt);
        match res {
            Resolve::Send { mac, probe } => {
                journey!(self, now, iface, id, "neigh", "resolved", next_hop = %next_hop, mac = %mac);
                if probe {
                    if let Some(src) = self.arp_source(iface, next_hop) {
                        self.send_arp(
                            iface,
                            ArpOperation::Request,
                            src,
                            next_hop,
                            mac,
                            MacAddr::ZERO,
                        );
                    }
                }
                match back {
                    Some(pkt) => self.link_send(now, iface, mac, EtherType::Ipv4, pkt),
                    None => Ok(()),
                }
            }
            Resolve::Queued { request } => {
                journey!(self, now, iface, id, "neigh", "queued", next_hop = %next_hop);
                if request {
                    if let Some(src) = self.arp_source(iface, next_hop) {
                        self.send_arp(
                            iface,
                            ArpOperation::Request,
                            src,
                            next_hop,
                            MacAddr::BROADCAST,
                            MacAddr::ZERO,
                        );
                    }
                }
                Ok(())
            }
            Resolve::Dropped(r) => {
                journey!(self, now, iface, id, "neigh", "drop", reason = r.name());
                self.stats.count_tx_drop(r);
                Err(r)
            }
        }
    }

    /// Push the Ethernet header and queue the frame for the device.
    fn link_send(
        &mut self,
        now: Instant,
        iface: usize,
        dst: MacAddr,
        ethertype: EtherType,
        mut pkt: PacketBuf,
    ) -> Result<(), DropReason> {
        let Some(ifc) = self.ifaces.get_mut(iface) else {
            self.stats.count_tx_drop(DropReason::Ipv4NoRoute);
            return Err(DropReason::Ipv4NoRoute);
        };
        if pkt.headroom() < ethernet::HEADER_LEN {
            pkt = pkt.copy_with_headroom(ethernet::HEADER_LEN);
        }
        let repr = EthernetRepr {
            src: ifc.mac,
            dst,
            ethertype,
        };
        let Ok(hdr) = pkt.push(ethernet::HEADER_LEN) else {
            self.stats.count_tx_drop(DropReason::TxTooLarge);
            return Err(DropReason::TxTooLarge);
        };
        repr.emit(&mut EthernetFrame::new_unchecked(hdr));
        let off = pkt.data_offset();
        let meta = pkt.meta_mut();
        meta.mac_header = u16::try_from(off).ok();
        meta.iface = iface;
        if ifc.tx_queue.len() >= ifc.tx_queue_len {
            self.stats.count_tx_drop(DropReason::TxQueueFull);
            return Err(DropReason::TxQueueFull);
        }
        let id = pkt.meta().id;
        ifc.tx_queue.push_back(pkt);
        journey!(self, now, iface, id, "eth", "queued", dst = %dst);
        Ok(())
    }

    /// Our address to use as the ARP sender towards `target`: one in the
    /// target's subnet, else the interface's first.
    fn arp_source(&self, iface: usize, target: Ipv4Addr) -> Option<Ipv4Addr> {
        let i = self.ifaces.get(iface)?;
        i.addrs
            .iter()
            .find(|c| c.contains(target))
            .map(|c| c.addr())
            .or_else(|| i.primary_addr())
    }

    fn send_arp(
        &mut self,
        iface: usize,
        operation: ArpOperation,
        source_ip: Ipv4Addr,
        target_ip: Ipv4Addr,
        eth_dst: MacAddr,
        target_hw: MacAddr,
    ) {
        let Some(ifc) = self.ifaces.get(iface) else {
            return;
        };
        let repr = ArpRepr {
            operation,
            source_hw: ifc.mac,
            source_ip,
            target_hw,
            target_ip,
        };
        let mut buf = PacketBuf::new(ethernet::HEADER_LEN, arp::PACKET_LEN);
        if let Ok(b) = buf.put(arp::PACKET_LEN) {
            repr.emit(&mut ArpPacket::new_unchecked(b));
        }
        let now = self.now;
        journey!(self, now, iface, PacketId(0), "arp", "send", op = ?operation, target = %target_ip);
        // Drops are counted by link_send.
        let _ = self.link_send(now, iface, eth_dst, EtherType::Arp, buf);
    }

    fn send_icmp(
        &mut self,
        now: Instant,
        src: Option<Ipv4Addr>,
        dst: Ipv4Addr,
        buf: PacketBuf,
    ) -> Result<PacketId, OutError> {
        let out = OutPacket {
            src,
            dst,
            protocol: IpProtocol::Icmp,
            ttl: self.config.default_ttl,
            dont_frag: false,
            l4_checksum: None,
            payload: buf,
        };
        self.ip_output(now, out)
    }

    /// Send an ICMP error about `original` (an IPv4 packet from its header)
    /// unless RFC 1122 3.2.2 forbids it: never about an ICMP error, a
    /// broadcast or multicast, a non-initial fragment, or a source that
    /// does not name a single host.
    fn icmp_error(&mut self, now: Instant, in_iface: usize, original: &[u8], kind: IcmpErrorKind) {
        // `original` may be a quote (header and eight bytes) whose total
        // length exceeds it: check the header only.
        if original.len() < ipv4::HEADER_LEN {
            return;
        }
        let p = Ipv4Packet::new_unchecked(original);
        if usize::from(p.header_len()) < ipv4::HEADER_LEN
            || original.len() < usize::from(p.header_len())
        {
            return;
        }
        let (src, dst) = (p.src_addr(), p.dst_addr());
        if p.frag_offset() != 0
            || src.is_unspecified()
            || src.is_broadcast()
            || src.is_multicast()
            || src.is_loopback()
            || dst.is_broadcast()
            || dst.is_multicast()
            || self
                .ifaces
                .iter()
                .any(|i| i.is_subnet_broadcast(dst) || i.is_subnet_broadcast(src))
        {
            return;
        }
        let hlen = usize::from(p.header_len());
        if p.protocol() == IpProtocol::Icmp {
            let t = original.get(hlen).copied().unwrap_or(0);
            // Only echo request/reply (and other queries) may be answered.
            if !matches!(t, 0 | 8 | 13 | 14 | 15 | 16 | 17 | 18) {
                return;
            }
        }
        let quote_len = (hlen + icmpv4::ERROR_QUOTE_DATA).min(original.len());
        let quote = &original[..quote_len];
        let repr = match kind {
            IcmpErrorKind::Unreachable(reason, mtu) => Icmpv4Repr::DstUnreachable {
                reason,
                next_hop_mtu: mtu,
                data: quote,
            },
            IcmpErrorKind::TimeExceeded(reason) => Icmpv4Repr::TimeExceeded {
                reason,
                data: quote,
            },
        };
        let buf = build_icmp(&repr);
        if !self.icmp_token(now) {
            self.stats.icmp_errors_ratelimited += 1;
            return;
        }
        let from = self.ifaces.get(in_iface).and_then(|i| i.primary_addr());
        let from = from.or_else(|| self.source_for(src));
        self.stats.icmp_errors_sent += 1;
        journey!(self, now, in_iface, PacketId(0), "icmp", "error", to = %src, kind = ?kind);
        let _ = self.send_icmp(now, from, src, buf);
    }

    /// Take one ICMP error token, refilling the bucket for the time passed.
    fn icmp_token(&mut self, now: Instant) -> bool {
        let rate = u64::from(self.config.icmp_errors_per_sec);
        if rate == 0 {
            return true;
        }
        let per_token = 1_000_000_000 / rate;
        let elapsed = (now - self.icmp_refill).as_nanos();
        let new = elapsed / per_token.max(1);
        if new > 0 {
            let burst = u64::from(self.config.icmp_errors_burst);
            self.icmp_tokens = (u64::from(self.icmp_tokens) + new).min(burst) as u32;
            self.icmp_refill += crate::time::Duration::from_nanos(new * per_token);
        }
        if self.icmp_tokens == 0 {
            return false;
        }
        self.icmp_tokens -= 1;
        true
    }

    // ----- ping -----------------------------------------------------------

    /// Send an echo request with sequence number `seq` and `len` bytes of
    /// [`crate::icmp::echo_pattern`] data. The outcome arrives as a
    /// [`PingEvent`] from [`Stack::take_ping_event`].
    pub fn ping(
        &mut self,
        now: Instant,
        dst: Ipv4Addr,
        seq: u16,
        len: usize,
    ) -> Result<PacketId, PingError> {
        let ttl = self.config.default_ttl;
        self.ping_ttl(now, dst, seq, len, ttl)
    }

    /// [`Stack::ping`] with an explicit TTL (traceroute: a small TTL draws
    /// time exceeded from the router where it runs out).
    pub fn ping_ttl(
        &mut self,
        now: Instant,
        dst: Ipv4Addr,
        seq: u16,
        len: usize,
        ttl: u8,
    ) -> Result<PacketId, PingError> {
        if len > UDP_MAX_PAYLOAD {
            return Err(PingError::TooLarge);
        }
        let data = crate::icmp::echo_pattern(seq, len);
        let repr = Icmpv4Repr::EchoRequest {
            ident: self.config.ping_ident,
            seq_no: seq,
            data: &data,
        };
        let mut buf = build_icmp(&repr);
        let id = self.ensure_id(&mut buf);
        journey!(self, now, 0usize, id, "icmp", "echo-request", dst = %dst, seq = seq);
        self.pings.insert(seq, (now, dst, data));
        let out = OutPacket {
            src: None,
            dst,
            protocol: IpProtocol::Icmp,
            ttl,
            dont_frag: false,
            l4_checksum: None,
            payload: buf,
        };
        match self.ip_output(now, out) {
            Ok(id) => Ok(id),
            Err(e) => {
                self.pings.remove(&seq);
                Err(match e {
                    OutError::NoRoute => PingError::NoRoute,
                    OutError::NoSource => PingError::NoSourceAddress,
                    OutError::TooLarge | OutError::FragNeeded(_) => PingError::TooLarge,
                    OutError::Dropped(r) => PingError::Dropped(r),
                })
            }
        }
    }

    /// The next ping outcome, oldest first.
    pub fn take_ping_event(&mut self) -> Option<PingEvent> {
        self.ping_events.pop_front()
    }

    /// Echo requests still waiting for an answer.
    pub fn pings_outstanding(&self) -> usize {
        self.pings.len()
    }

    // ----- UDP ------------------------------------------------------------

    /// Bind a socket to `local` (address unspecified: any of ours; port
    /// zero: an ephemeral port).
    pub fn udp_bind(&mut self, local: SocketAddrV4) -> Result<UdpHandle, BindError> {
        if !local.ip().is_unspecified() && !self.is_local_addr(*local.ip()) {
            return Err(BindError::AddrNotAvailable);
        }
        let port = if local.port() == 0 {
            self.ephemeral_port().ok_or(BindError::NoPorts)?
        } else {
            local.port()
        };
        let clash = self.udp.iter().flatten().any(|s| {
            s.local.port() == port
                && (s.local.ip() == local.ip()
                    || s.local.ip().is_unspecified()
                    || local.ip().is_unspecified())
        });
        if clash {
            return Err(BindError::AddrInUse);
        }
        let sock = UdpSocket {
            local: SocketAddrV4::new(*local.ip(), port),
            remote: None,
            rx: VecDeque::new(),
            rx_capacity: self.config.udp_rx_queue,
            rx_drops: 0,
            errors: VecDeque::new(),
        };
        let slot = self.udp.iter().position(|s| s.is_none());
        let idx = match slot {
            Some(i) => {
                self.udp[i] = Some(sock);
                i
            }
            None => {
                self.udp.push(Some(sock));
                self.udp.len() - 1
            }
        };
        Ok(UdpHandle(idx))
    }

    fn ephemeral_port(&mut self) -> Option<u16> {
        let span = u32::from(u16::MAX - EPHEMERAL_FIRST) + 1;
        for _ in 0..span {
            let p = self.next_ephemeral;
            self.next_ephemeral = if p == u16::MAX {
                EPHEMERAL_FIRST
            } else {
                p + 1
            };
            if !self.udp.iter().flatten().any(|s| s.local.port() == p) {
                return Some(p);
            }
        }
        None
    }

    /// The socket's local address.
    pub fn udp_local(&self, h: UdpHandle) -> Option<SocketAddrV4> {
        self.udp_ref(h).map(|s| s.local)
    }

    /// Restrict the socket to one peer and make it the default destination.
    pub fn udp_connect(&mut self, h: UdpHandle, remote: SocketAddrV4) -> Result<(), SendError> {
        let s = self.udp_mut(h).ok_or(SendError::BadHandle)?;
        s.remote = Some(remote);
        Ok(())
    }

    pub fn udp_close(&mut self, h: UdpHandle) {
        if let Some(slot) = self.udp.get_mut(h.0) {
            *slot = None;
        }
    }

    /// Send to the connected peer.
    pub fn udp_send(
        &mut self,
        now: Instant,
        h: UdpHandle,
        data: &[u8],
    ) -> Result<PacketId, SendError> {
        let remote = self
            .udp_ref(h)
            .ok_or(SendError::BadHandle)?
            .remote
            .ok_or(SendError::NotConnected)?;
        self.udp_send_to(now, h, remote, data)
    }

    /// Send one datagram; it is fragmented if it exceeds the MTU.
    pub fn udp_send_to(
        &mut self,
        now: Instant,
        h: UdpHandle,
        to: SocketAddrV4,
        data: &[u8],
    ) -> Result<PacketId, SendError> {
        let local = self.udp_ref(h).ok_or(SendError::BadHandle)?.local;
        if data.len() > UDP_MAX_PAYLOAD {
            return Err(SendError::TooLarge);
        }
        let repr = UdpRepr {
            src_port: local.port(),
            dst_port: to.port(),
            payload_len: data.len() as u16,
        };
        let mut buf = PacketBuf::new(TX_HEADROOM, repr.buffer_len());
        let bytes = buf
            .put(repr.buffer_len())
            .map_err(|_| SendError::TooLarge)?;
        let mut u = UdpPacket::new_unchecked(bytes);
        repr.emit(&mut u);
        u.payload_mut().copy_from_slice(data);
        let id = self.ensure_id(&mut buf);
        journey!(self, now, 0usize, id, "udp", "send", dst = %to, len = data.len());
        let src = (!local.ip().is_unspecified()).then_some(*local.ip());
        let out = OutPacket {
            src,
            dst: *to.ip(),
            protocol: IpProtocol::Udp,
            ttl: self.config.default_ttl,
            dont_frag: false,
            l4_checksum: Some(udp::CHECKSUM_OFFSET),
            payload: buf,
        };
        self.ip_output(now, out).map_err(|e| match e {
            OutError::NoRoute => SendError::NoRoute,
            OutError::NoSource => SendError::NoSourceAddress,
            OutError::TooLarge | OutError::FragNeeded(_) => SendError::TooLarge,
            OutError::Dropped(r) => SendError::Dropped(r),
        })
    }

    /// Take the oldest received datagram.
    pub fn udp_recv_from(&mut self, h: UdpHandle) -> Option<UdpDatagram> {
        self.udp_mut(h)?.rx.pop_front()
    }

    /// Datagrams dropped because the socket's queue was full.
    pub fn udp_rx_drops(&self, h: UdpHandle) -> u64 {
        self.udp_ref(h).map_or(0, |s| s.rx_drops)
    }

    /// The oldest ICMP error reported for this socket's datagrams:
    /// (reporting host, ICMP type, code).
    pub fn udp_take_error(&mut self, h: UdpHandle) -> Option<(Ipv4Addr, u8, u8)> {
        self.udp_mut(h)?.errors.pop_front()
    }

    fn udp_ref(&self, h: UdpHandle) -> Option<&UdpSocket> {
        self.udp.get(h.0).and_then(|s| s.as_ref())
    }
    fn udp_mut(&mut self, h: UdpHandle) -> Option<&mut UdpSocket> {
        self.udp.get_mut(h.0).and_then(|s| s.as_mut())
    }

    // ----- dumps ------------------------------------------------------------

    /// Interfaces and addresses, like `ip addr`.
    pub fn dump_addr(&self) -> String {
        let mut s = String::new();
        for (i, ifc) in self.ifaces.iter().enumerate() {
            let promisc = if ifc.is_promiscuous() { ",PROMISC" } else { "" };
            let _ = writeln!(
                s,
                "{}: {}: <BROADCAST,MULTICAST,UP{promisc}> mtu {} dev {}",
                i + 1,
                ifc.name,
                ifc.mtu(),
                ifc.device
            );
            let _ = writeln!(s, "    link/ether {} brd {}", ifc.mac, MacAddr::BROADCAST);
            for c in &ifc.addrs {
                match c.broadcast() {
                    Some(b) => {
                        let _ = writeln!(s, "    inet {c} brd {b} scope global {}", ifc.name);
                    }
                    None => {
                        let _ = writeln!(s, "    inet {c} scope global {}", ifc.name);
                    }
                }
            }
            let _ = writeln!(
                s,
                "    RX: {} frames {} bytes  TX: {} frames {} bytes  txqueue {}",
                ifc.rx_frames,
                ifc.rx_bytes,
                ifc.tx_frames,
                ifc.tx_bytes,
                ifc.tx_queue.len()
            );
        }
        s
    }

    /// The FIB, like `ip route`.
    pub fn dump_route(&self) -> String {
        let mut s = String::new();
        for r in self.fib.routes() {
            let name = self.ifaces.get(r.iface).map_or("?", |i| i.name.as_str());
            if r.dest.prefix_len() == 0 {
                s.push_str("default");
            } else {
                let _ = write!(s, "{}", r.dest);
            }
            if let Some(gw) = r.gateway {
                let _ = write!(s, " via {gw}");
            }
            let _ = write!(s, " dev {name}");
            if r.kind == RouteKind::Connected {
                s.push_str(" proto kernel scope link");
            }
            if let Some(src) = r.src {
                let _ = write!(s, " src {src}");
            }
            if r.metric != 0 {
                let _ = write!(s, " metric {}", r.metric);
            }
            s.push('\n');
        }
        s
    }

    /// The neighbour table, like `ip neigh`.
    pub fn dump_neigh(&self) -> String {
        let mut s = String::new();
        for n in self.neighbors.iter() {
            let name = self.ifaces.get(n.iface).map_or("?", |i| i.name.as_str());
            let _ = write!(s, "{} dev {name}", n.ip);
            if let Some(mac) = n.mac {
                let _ = write!(s, " lladdr {mac}");
            }
            let _ = write!(s, " {}", n.state);
            if n.pending > 0 {
                let _ = write!(s, " ({} queued)", n.pending);
            }
            s.push('\n');
        }
        s
    }

    /// Non-zero drop counters, one per line.
    pub fn dump_drops(&self) -> String {
        let mut s = String::new();
        for (r, n) in self.stats.rx_drops() {
            let _ = writeln!(s, "rx {r}: {n}");
        }
        for (r, n) in self.stats.tx_drops() {
            let _ = writeln!(s, "tx {r}: {n}");
        }
        s
    }
}

#[derive(Debug, Clone, Copy)]
enum IcmpErrorKind {
    /// With the next-hop MTU for `FragRequired`.
    Unreachable(Icmpv4DstUnreachable, u16),
    TimeExceeded(Icmpv4TimeExceeded),
}

/// An ICMP message in a buffer with room for the IPv4 and Ethernet headers.
fn build_icmp(repr: &Icmpv4Repr<'_>) -> PacketBuf {
    let len = repr.buffer_len();
    let mut buf = PacketBuf::new(TX_HEADROOM, len);
    if let Ok(b) = buf.put(len) {
        repr.emit(&mut Icmpv4Packet::new_unchecked(b));
    }
    buf
}
