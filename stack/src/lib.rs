//! nicsim's TCP/IP stack.
//!
//! The stack never touches the NIC: it sees [`device::Device`] (frames in
//! packet buffers plus capabilities), and time is always passed in as
//! [`time::Instant`]. Nothing in this crate reads a wall clock.
//!
//! # Layout
//! - [`wire`]: zero-copy views and `Repr`s (smoltcp style) for Ethernet II,
//!   ARP, IPv4, ICMPv4, UDP, plus the internet checksum and the IPv4
//!   pseudo-header ([`wire::checksum`]).
//! - [`iface`], [`neighbor`], [`route`], [`frag`]: interfaces, the ARP
//!   neighbour table, the FIB (zones by prefix length) with its route cache,
//!   fragmentation and reassembly.
//! - [`stack::Stack`]: drives everything from `poll(now, devices)`.
//! - [`udp`], [`icmp`]: UDP sockets and the ping API.
//! - [`pcap`]: a per-interface tap; [`softwire`]: a software wire with
//!   seeded loss, duplication, reordering and corruption for tests.
//!
//! # Devices
//! The host keeps its devices; the stack keeps only indices. Each interface
//! names a device index, and [`stack::Stack::poll`] takes
//! `&mut [&mut dyn Device]` indexed by it. [`stack::Stack::poll_at`] says
//! when the next timer (ARP retry, reassembly timeout, transport timer) is
//! due.
//!
//! # The transport hook (TCP)
//! The stack is generic over one transport layer, `Stack<T: Ipv4Transport>`
//! ([`transport::Ipv4Transport`]; [`transport::NoTransport`] when there is
//! none). The TCP layer implements it:
//! - `protocol()` returns the IP protocol it serves (`Some(IpProtocol::Tcp)`).
//! - `input(now, src, dst, segment)` receives a segment (TCP header and
//!   payload; the IPv4 header already pulled) whose checksum IPv4 has
//!   verified, in hardware or software.
//! - `poll(now)` runs its timers; `poll_at()` says when they are due.
//! - `dispatch(now)` is called repeatedly until it returns `None`; each
//!   [`transport::TransportTx`] carries `src`, `dst`, the segment in a
//!   [`buf::PacketBuf`] with at least [`transport::TX_HEADROOM`] bytes of
//!   headroom, and `checksum_offset`: the offset of the checksum field inside
//!   the segment (16 for TCP). The transport leaves that field zero; the
//!   IPv4 output path fills it in software, or seeds it with the
//!   pseudo-header sum and sets [`buf::PacketMeta::tx_checksum`] when the
//!   device offloads checksums.
//!
//! Applications reach the transport through `Stack::transport_mut()`, and
//! ask the stack for a source address with `Stack::source_for(dst)` and for
//! the path MTU with `Stack::mtu_for(dst)`.
//!
//! # Accounting and tracing
//! Every frame taken from a device (or looped back) ends either consumed or
//! dropped with one [`stats::DropReason`]:
//! `rx_frames == rx_consumed + rx_drops_total()` always holds; transmit
//! drops are counted apart. Packet ids are assigned where a payload enters
//! (UDP send, ICMP build) as `StackConfig::packet_id_base + n` unless the
//! buffer already has one, and each step emits a `tracing` event with
//! target `journey` and fields `host`, `iface`, `layer`, `event`, `packet`
//! (the id), `ns` (simulated time), plus step-specific ones (`route`,
//! `reason`, `len`, ...).
//!
//! # Tests of other layers
//! [`softwire::SoftWire`] joins stacks over a seeded, impairable wire (see
//! its module documentation); [`softwire::QueueDevice`] injects frames and
//! collects what the stack sends.
#![deny(unsafe_code)]

pub mod buf;
pub mod device;
pub mod frag;
pub mod icmp;
pub mod iface;
pub mod neighbor;
pub mod pcap;
pub mod route;
pub mod softwire;
pub mod stack;
pub mod stats;
pub mod tcp;
pub mod time;
pub mod transport;
pub mod udp;
pub mod wire;
