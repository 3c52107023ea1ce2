//! Segment-level conformance tests: one RFC rule per test. The remote peer
//! is played by hand: `send!` feeds it a segment built from a template,
//! `recv!` runs the layer and returns what it transmitted.
#![allow(clippy::unwrap_used)]

use std::net::{Ipv4Addr, SocketAddrV4};

use super::*;

const L_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const R_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const L_PORT: u16 = 80;
const R_PORT: u16 = 49500;
const R_ISS: u32 = 1000;

/// An owned, comparable segment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Seg {
    sport: u16,
    dport: u16,
    seq: u32,
    ack: Option<u32>,
    syn: bool,
    fin: bool,
    rst: bool,
    psh: bool,
    win: u16,
    mss: Option<u16>,
    ws: Option<u8>,
    sack_perm: bool,
    sack: Vec<(u32, u32)>,
    ts: Option<(u32, u32)>,
    data: Vec<u8>,
}

impl Seg {
    /// A segment from the remote peer.
    fn new(seq: u32) -> Seg {
        Seg {
            sport: R_PORT,
            dport: L_PORT,
            seq,
            win: 65535,
            ..Seg::default()
        }
    }
    fn ack(mut self, a: u32) -> Seg {
        self.ack = Some(a);
        self
    }
    fn syn(mut self) -> Seg {
        self.syn = true;
        self
    }
    fn fin(mut self) -> Seg {
        self.fin = true;
        self
    }
    fn rst(mut self) -> Seg {
        self.rst = true;
        self
    }
    fn win(mut self, w: u16) -> Seg {
        self.win = w;
        self
    }
    fn mss(mut self, m: u16) -> Seg {
        self.mss = Some(m);
        self
    }
    fn ws(mut self, s: u8) -> Seg {
        self.ws = Some(s);
        self
    }
    fn sack_perm(mut self) -> Seg {
        self.sack_perm = true;
        self
    }
    fn sacks(mut self, b: &[(u32, u32)]) -> Seg {
        self.sack = b.to_vec();
        self
    }
    fn ts(mut self, v: u32, e: u32) -> Seg {
        self.ts = Some((v, e));
        self
    }
    fn data(mut self, d: &[u8]) -> Seg {
        self.data = d.to_vec();
        self
    }
    fn ports(mut self, s: u16, d: u16) -> Seg {
        self.sport = s;
        self.dport = d;
        self
    }
    fn to_bytes(&self) -> Vec<u8> {
        let mut r = TcpRepr::new(self.sport, self.dport, SeqNumber(self.seq));
        r.ack_number = self.ack.map(SeqNumber);
        r.flags.syn = self.syn;
        r.flags.fin = self.fin;
        r.flags.rst = self.rst;
        r.flags.psh = self.psh;
        r.window_len = self.win;
        r.max_seg_size = self.mss;
        r.window_scale = self.ws;
        r.sack_permitted = self.sack_perm;
        for (slot, (a, b)) in r.sack_ranges.iter_mut().zip(&self.sack) {
            *slot = Some((SeqNumber(*a), SeqNumber(*b)));
        }
        r.timestamp = self.ts;
        r.payload = &self.data;
        let mut buf = vec![0u8; r.buffer_len()];
        r.emit(&mut TcpPacket::new_unchecked(&mut buf[..]), true);
        buf
    }

    fn parse(bytes: &[u8]) -> Seg {
        let p = TcpPacket::new_checked(bytes).unwrap();
        let r = TcpRepr::parse(&p).unwrap();
        assert_eq!(p.checksum(), 0, "TCP leaves the checksum to IPv4");
        Seg {
            sport: r.src_port,
            dport: r.dst_port,
            seq: r.seq_number.0,
            ack: r.ack_number.map(|a| a.0),
            syn: r.flags.syn,
            fin: r.flags.fin,
            rst: r.flags.rst,
            psh: r.flags.psh,
            win: r.window_len,
            mss: r.max_seg_size,
            ws: r.window_scale,
            sack_perm: r.sack_permitted,
            sack: r
                .sack_ranges
                .iter()
                .flatten()
                .map(|(a, b)| (a.0, b.0))
                .collect(),
            ts: r.timestamp,
            data: r.payload.to_vec(),
        }
    }
}

fn test_config() -> TcpConfig {
    TcpConfig {
        seed: 7,
        recv_buffer: 8192,
        recv_buffer_max: 8192,
        send_buffer: 64 * 1024,
        window_scaling: false,
        timestamps: false,
        sack: true,
        delayed_ack: Duration::ZERO,
        msl: Duration::from_secs(1),
        ..TcpConfig::default()
    }
}

struct H {
    tcp: TcpLayer,
    now: Instant,
    listener: Option<SocketHandle>,
    sock: Option<SocketHandle>,
    /// Our ISS.
    iss: u32,
}

impl H {
    fn new(cfg: TcpConfig) -> H {
        let mut tcp = TcpLayer::new(cfg);
        tcp.set_default_source(Some(L_IP));
        H {
            tcp,
            now: Instant::from_millis(1000),
            listener: None,
            sock: None,
            iss: 0,
        }
    }
    fn input(&mut self, seg: &Seg) {
        self.tcp
            .input_segment(self.now, R_IP, L_IP, &seg.to_bytes(), PacketId(0));
    }
    /// Everything the layer transmits now.
    fn output(&mut self) -> Vec<Seg> {
        self.tcp.poll_timers(self.now);
        let mut v = Vec::new();
        while let Some(tx) = self.tcp.next_segment(self.now) {
            assert_eq!(tx.dst, R_IP);
            assert_eq!(tx.src, L_IP);
            assert_eq!(tx.checksum_offset, Some(16));
            assert!(tx.segment.headroom() >= crate::transport::TX_HEADROOM);
            v.push(Seg::parse(tx.segment.data()));
            assert!(v.len() < 10_000, "runaway output");
        }
        v
    }
    fn advance(&mut self, d: Duration) {
        self.now += d;
    }
    fn s(&self) -> SocketHandle {
        self.sock.unwrap()
    }
    fn state(&self) -> State {
        self.tcp.state(self.s()).unwrap()
    }
    fn info(&self) -> ConnInfo {
        self.tcp.conn_info(self.s()).unwrap()
    }
    fn write(&mut self, d: &[u8]) -> usize {
        let s = self.s();
        self.tcp.send(s, self.now, d).unwrap()
    }
    fn read_all(&mut self) -> Vec<u8> {
        let s = self.s();
        let mut buf = vec![0u8; 1 << 20];
        match self.tcp.recv(s, self.now, &mut buf) {
            Ok(n) => buf[..n].to_vec(),
            Err(RecvError::WouldBlock) => Vec::new(),
            Err(e) => panic!("recv: {e}"),
        }
    }
    fn us(&self) -> u32 {
        self.iss.wrapping_add(1)
    }
}

macro_rules! send {
    ($h:expr, $seg:expr) => {
        $h.input(&$seg)
    };
}

macro_rules! recv {
    ($h:expr) => {
        $h.output()
    };
    ($h:expr, nothing) => {
        assert_eq!($h.output(), Vec::<Seg>::new(), "expected no output")
    };
    ($h:expr, one) => {{
        let v = $h.output();
        assert_eq!(v.len(), 1, "expected one segment, got {v:#?}");
        v.into_iter().next().unwrap()
    }};
}

fn listening(cfg: TcpConfig) -> H {
    let mut h = H::new(cfg);
    let l = h.tcp.socket();
    h.tcp
        .bind(l, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, L_PORT))
        .unwrap();
    h.tcp.listen(l, 8).unwrap();
    h.listener = Some(l);
    h
}

/// LISTEN, then the peer's SYN: SYN-RECEIVED. Returns the SYN-ACK.
fn syn_received_with(cfg: TcpConfig, syn: Seg) -> (H, Seg) {
    let mut h = listening(cfg);
    send!(h, syn);
    let sa = recv!(h, one);
    assert!(sa.syn && sa.ack.is_some());
    h.iss = sa.seq;
    (h, sa)
}

fn syn_received() -> (H, Seg) {
    syn_received_with(test_config(), Seg::new(R_ISS).syn().mss(1460))
}

fn established_with(cfg: TcpConfig, syn: Seg) -> H {
    let (mut h, sa) = syn_received_with(cfg, syn.clone());
    let mut ack = Seg::new(R_ISS + 1).ack(sa.seq + 1);
    if let Some((v, _)) = syn.ts {
        ack.ts = Some((v + 1, sa.ts.unwrap().0));
    }
    send!(h, ack);
    let l = h.listener.unwrap();
    let (s, peer) = h.tcp.accept(l).unwrap();
    assert_eq!(peer, SocketAddrV4::new(R_IP, R_PORT));
    h.sock = Some(s);
    h
}

/// ESTABLISHED (passive open); the peer's next sequence number is R_ISS+1.
fn established() -> H {
    established_with(test_config(), Seg::new(R_ISS).syn().mss(1460))
}

/// connect(): SYN-SENT. Returns our SYN.
fn syn_sent_with(cfg: TcpConfig) -> (H, Seg) {
    let mut h = H::new(cfg);
    let s = h.tcp.socket();
    h.tcp.bind(s, SocketAddrV4::new(L_IP, L_PORT)).unwrap();
    h.tcp
        .connect(s, h.now, SocketAddrV4::new(R_IP, R_PORT))
        .unwrap();
    h.sock = Some(s);
    let syn = recv!(h, one);
    h.iss = syn.seq;
    (h, syn)
}

fn syn_sent() -> (H, Seg) {
    syn_sent_with(test_config())
}

/// ESTABLISHED (active open).
fn client_established() -> H {
    let (mut h, syn) = syn_sent();
    send!(h, Seg::new(R_ISS).syn().ack(syn.seq + 1).mss(1460));
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(R_ISS + 1));
    h
}

/// We closed: FIN-WAIT-1 with our FIN sent (not yet acknowledged).
fn fin_wait_1() -> H {
    let mut h = established();
    let s = h.s();
    h.tcp.shutdown(s, h.now, Shutdown::Write).unwrap();
    let f = recv!(h, one);
    assert!(f.fin);
    assert_eq!(f.seq, h.us());
    h
}

fn fin_wait_2() -> H {
    let mut h = fin_wait_1();
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1));
    recv!(h, nothing);
    assert_eq!(h.state(), State::FinWait2);
    h
}

fn close_wait() -> H {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).fin());
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(R_ISS + 2));
    assert_eq!(h.state(), State::CloseWait);
    h
}

fn last_ack() -> H {
    let mut h = close_wait();
    let s = h.s();
    h.tcp.shutdown(s, h.now, Shutdown::Write).unwrap();
    let f = recv!(h, one);
    assert!(f.fin);
    assert_eq!(h.state(), State::LastAck);
    h
}

fn time_wait() -> H {
    let mut h = fin_wait_2();
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1).fin());
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(R_ISS + 2));
    assert_eq!(h.state(), State::TimeWait);
    h
}

// ===================== CLOSED (RFC 9293 3.10.7.1) =====================

#[test]
fn closed_syn_gets_rst_ack() {
    let mut h = H::new(test_config());
    send!(h, Seg::new(500).syn());
    let r = recv!(h, one);
    assert!(r.rst);
    assert_eq!(r.seq, 0);
    assert_eq!(r.ack, Some(501));
    assert_eq!((r.sport, r.dport), (L_PORT, R_PORT));
}

#[test]
fn closed_ack_gets_rst_with_seq_of_ack() {
    let mut h = H::new(test_config());
    send!(h, Seg::new(500).ack(7777).data(b"xy"));
    let r = recv!(h, one);
    assert!(r.rst);
    assert_eq!(r.seq, 7777);
    assert_eq!(r.ack, None);
}

#[test]
fn closed_rst_is_never_answered() {
    let mut h = H::new(test_config());
    send!(h, Seg::new(500).rst());
    recv!(h, nothing);
    send!(h, Seg::new(500).rst().ack(3));
    recv!(h, nothing);
}

#[test]
fn closed_fin_and_data_count_in_reset_ack() {
    let mut h = H::new(test_config());
    send!(h, Seg::new(500).data(b"abc").fin());
    let r = recv!(h, one);
    assert_eq!(r.ack, Some(504));
}

#[test]
fn closed_segment_from_broadcast_is_ignored() {
    let mut h = H::new(test_config());
    let bytes = Seg::new(500).syn().to_bytes();
    h.tcp
        .input_segment(h.now, Ipv4Addr::BROADCAST, L_IP, &bytes, PacketId(0));
    recv!(h, nothing);
}

#[test]
fn malformed_segment_is_counted_and_dropped() {
    let mut h = H::new(test_config());
    let mut bytes = Seg::new(500).syn().to_bytes();
    bytes[12] = 0x30; // data offset 3 words
    h.tcp.input_segment(h.now, R_IP, L_IP, &bytes, PacketId(0));
    recv!(h, nothing);
    assert_eq!(h.tcp.stats().malformed, 1);
}

// ===================== LISTEN (RFC 9293 3.10.7.2) =====================

#[test]
fn listen_ignores_rst() {
    let mut h = listening(test_config());
    send!(h, Seg::new(R_ISS).rst());
    recv!(h, nothing);
}

#[test]
fn listen_answers_ack_with_rst() {
    let mut h = listening(test_config());
    send!(h, Seg::new(R_ISS).ack(4242));
    let r = recv!(h, one);
    assert!(r.rst && r.ack.is_none());
    assert_eq!(r.seq, 4242);
}

#[test]
fn listen_syn_gets_syn_ack() {
    let (h, sa) = syn_received();
    assert!(sa.syn && !sa.fin && !sa.rst);
    assert_eq!(sa.ack, Some(R_ISS + 1));
    assert_eq!(sa.mss, Some(1460));
    assert_eq!(sa.win, 8192);
    assert!(sa.data.is_empty());
    let _ = h;
}

#[test]
fn listen_drops_segment_without_syn_ack_or_rst() {
    let mut h = listening(test_config());
    send!(h, Seg::new(R_ISS).fin());
    recv!(h, nothing);
    send!(h, Seg::new(R_ISS).data(b"hello"));
    recv!(h, nothing);
}

#[test]
fn listen_syn_ack_echoes_offered_options() {
    let cfg = TcpConfig {
        window_scaling: true,
        timestamps: true,
        recv_buffer_max: 1 << 20,
        ..test_config()
    };
    let (_, sa) = syn_received_with(
        cfg,
        Seg::new(R_ISS).syn().mss(1460).ws(7).sack_perm().ts(555, 0),
    );
    assert_eq!(sa.ws, Some(5), "1 MiB needs shift 5 (RFC 7323 2.3)");
    assert!(sa.sack_perm);
    assert_eq!(sa.ts.unwrap().1, 555, "TSecr echoes the SYN's TSval");
}

#[test]
fn listen_syn_ack_omits_options_not_offered() {
    let cfg = TcpConfig {
        window_scaling: true,
        timestamps: true,
        ..test_config()
    };
    let (_, sa) = syn_received_with(cfg, Seg::new(R_ISS).syn().mss(1460));
    assert_eq!(sa.ws, None, "RFC 7323 1.3: only answer a WS offer");
    assert!(!sa.sack_perm, "RFC 2018 2: only answer SACK-permitted");
    assert_eq!(sa.ts, None, "RFC 7323 3.2: only answer a TS offer");
}

#[test]
fn listen_backlog_limits_syn_queue() {
    let mut h = H::new(test_config());
    let l = h.tcp.socket();
    h.tcp.bind(l, SocketAddrV4::new(L_IP, L_PORT)).unwrap();
    h.tcp.listen(l, 2).unwrap();
    for p in 0..3 {
        send!(h, Seg::new(R_ISS).syn().ports(R_PORT + p, L_PORT));
    }
    let out = recv!(h);
    assert_eq!(out.len(), 2, "third SYN dropped, not answered");
    assert_eq!(h.tcp.stats().syn_dropped, 1);
}

#[test]
fn listen_full_accept_queue_ignores_completing_ack() {
    let mut h = H::new(test_config());
    let l = h.tcp.socket();
    h.tcp.bind(l, SocketAddrV4::new(L_IP, L_PORT)).unwrap();
    h.tcp.listen(l, 1).unwrap();
    send!(h, Seg::new(R_ISS).syn());
    let sa1 = recv!(h, one);
    send!(h, Seg::new(R_ISS + 1).ack(sa1.seq + 1));
    send!(h, Seg::new(R_ISS).syn().ports(R_PORT + 1, L_PORT));
    let sa2 = recv!(h, one);
    send!(
        h,
        Seg::new(R_ISS + 1)
            .ack(sa2.seq + 1)
            .ports(R_PORT + 1, L_PORT)
    );
    assert_eq!(h.tcp.stats().accept_overflows, 1);
    let (_, p) = h.tcp.accept(l).unwrap();
    assert_eq!(p.port(), R_PORT);
    assert_eq!(h.tcp.accept(l), Err(AcceptError::WouldBlock));
    // The peer retransmits its ACK once there is room: now accepted.
    send!(
        h,
        Seg::new(R_ISS + 1)
            .ack(sa2.seq + 1)
            .ports(R_PORT + 1, L_PORT)
    );
    let (_, p) = h.tcp.accept(l).unwrap();
    assert_eq!(p.port(), R_PORT + 1);
}

#[test]
fn listen_isn_is_deterministic_per_seed() {
    let (a, _) = syn_received();
    let (b, _) = syn_received();
    assert_eq!(a.iss, b.iss);
    let (c, _) = syn_received_with(
        TcpConfig {
            seed: 8,
            ..test_config()
        },
        Seg::new(R_ISS).syn(),
    );
    assert_ne!(a.iss, c.iss);
}

#[test]
fn listen_isn_follows_4us_clock() {
    // RFC 6528: ISN = M + F(); same 4-tuple 4 ms later: +1000.
    let (a, _) = syn_received();
    let mut h = listening(test_config());
    h.advance(Duration::from_millis(4));
    send!(h, Seg::new(R_ISS).syn());
    let sa = recv!(h, one);
    assert_eq!(sa.seq.wrapping_sub(a.iss), 1000);
}

#[test]
fn listen_isn_differs_per_4_tuple() {
    let mut h = listening(test_config());
    send!(h, Seg::new(R_ISS).syn());
    send!(h, Seg::new(R_ISS).syn().ports(R_PORT + 1, L_PORT));
    let v = recv!(h);
    assert_eq!(v.len(), 2);
    assert_ne!(v[0].seq, v[1].seq);
}

#[test]
fn listen_closing_listener_resets_unaccepted() {
    let (mut h, sa) = syn_received();
    send!(h, Seg::new(R_ISS + 1).ack(sa.seq + 1));
    let l = h.listener.unwrap();
    h.tcp.close(l, h.now).unwrap();
    let r = recv!(h, one);
    assert!(r.rst);
    send!(h, Seg::new(R_ISS).syn().ports(R_PORT + 2, L_PORT));
    let r = recv!(h, one);
    assert!(r.rst, "port closed now");
}

// ===================== SYN-RECEIVED =====================

#[test]
fn syn_received_ack_establishes() {
    let h = established();
    assert_eq!(h.state(), State::Established);
    assert!(h.tcp.readiness(h.s()).writable);
}

#[test]
fn syn_received_unacceptable_ack_gets_rst() {
    let (mut h, sa) = syn_received();
    send!(h, Seg::new(R_ISS + 1).ack(sa.seq + 5));
    let r = recv!(h, one);
    assert!(r.rst);
    assert_eq!(r.seq, sa.seq + 5);
    assert_eq!(
        h.tcp.accept(h.listener.unwrap()),
        Err(AcceptError::WouldBlock)
    );
}

#[test]
fn syn_received_rst_returns_to_listen() {
    let (mut h, _) = syn_received();
    send!(h, Seg::new(R_ISS + 1).rst());
    recv!(h, nothing);
    // The 4-tuple is free again: a new SYN gets a new SYN-ACK.
    send!(h, Seg::new(R_ISS + 100).syn());
    let sa = recv!(h, one);
    assert_eq!(sa.ack, Some(R_ISS + 101));
}

#[test]
fn syn_received_duplicate_syn_repeats_syn_ack() {
    let (mut h, sa) = syn_received();
    send!(h, Seg::new(R_ISS).syn());
    let again = recv!(h, one);
    assert!(again.syn);
    assert_eq!(again.seq, sa.seq);
    assert_eq!(again.ack, sa.ack);
}

#[test]
fn syn_received_retransmits_syn_ack_on_timeout() {
    let (mut h, sa) = syn_received();
    h.advance(Duration::from_millis(999));
    recv!(h, nothing);
    h.advance(Duration::from_millis(1));
    let again = recv!(h, one);
    assert!(again.syn);
    assert_eq!(again.seq, sa.seq);
}

#[test]
fn syn_received_gives_up_after_syn_retries() {
    let (mut h, _) = syn_received_with(
        TcpConfig {
            syn_retries: 2,
            ..test_config()
        },
        Seg::new(R_ISS).syn(),
    );
    h.advance(Duration::from_secs(1));
    assert_eq!(recv!(h).len(), 1);
    h.advance(Duration::from_secs(2));
    assert_eq!(recv!(h).len(), 1);
    h.advance(Duration::from_secs(4));
    recv!(h, nothing);
    // Gone: the next segment on that 4-tuple goes to the listener.
    send!(h, Seg::new(R_ISS + 1).ack(h.iss + 1));
    assert!(recv!(h, one).rst);
}

#[test]
fn syn_received_ack_with_data_establishes_and_queues() {
    let (mut h, sa) = syn_received();
    send!(h, Seg::new(R_ISS + 1).ack(sa.seq + 1).data(b"hello"));
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(R_ISS + 6));
    let (s, _) = h.tcp.accept(h.listener.unwrap()).unwrap();
    h.sock = Some(s);
    assert_eq!(h.read_all(), b"hello");
}

#[test]
fn syn_received_ack_with_fin_goes_to_close_wait() {
    let (mut h, sa) = syn_received();
    send!(h, Seg::new(R_ISS + 1).ack(sa.seq + 1).fin());
    let (s, _) = h.tcp.accept(h.listener.unwrap()).unwrap();
    h.sock = Some(s);
    assert_eq!(h.state(), State::CloseWait);
    assert_eq!(recv!(h, one).ack, Some(R_ISS + 2));
}

// ===================== SYN-SENT (RFC 9293 3.10.7.3) =====================

#[test]
fn connect_sends_syn_with_options() {
    let (h, syn) = syn_sent_with(TcpConfig {
        window_scaling: true,
        timestamps: true,
        ..test_config()
    });
    assert!(syn.syn && syn.ack.is_none());
    assert_eq!(syn.mss, Some(1460));
    assert!(syn.ws.is_some());
    assert!(syn.sack_perm);
    assert_eq!(syn.ts.unwrap().1, 0);
    assert_eq!(h.state(), State::SynSent);
    assert!(!h.tcp.readiness(h.s()).writable);
}

#[test]
fn syn_sent_syn_ack_establishes() {
    let h = client_established();
    assert_eq!(h.state(), State::Established);
    assert!(h.tcp.readiness(h.s()).writable);
}

#[test]
fn syn_sent_bad_ack_gets_rst_and_stays() {
    let (mut h, syn) = syn_sent();
    send!(h, Seg::new(R_ISS).syn().ack(syn.seq + 10));
    let r = recv!(h, one);
    assert!(r.rst);
    assert_eq!(r.seq, syn.seq + 10);
    assert_eq!(h.state(), State::SynSent);
}

#[test]
fn syn_sent_ack_of_iss_is_unacceptable() {
    let (mut h, syn) = syn_sent();
    send!(h, Seg::new(R_ISS).syn().ack(syn.seq));
    assert!(recv!(h, one).rst);
    assert_eq!(h.state(), State::SynSent);
}

#[test]
fn syn_sent_rst_with_acceptable_ack_refuses() {
    let (mut h, syn) = syn_sent();
    send!(h, Seg::new(0).rst().ack(syn.seq + 1));
    recv!(h, nothing);
    assert_eq!(h.state(), State::Closed);
    let s = h.s();
    let mut b = [0u8; 4];
    assert_eq!(
        h.tcp.recv(s, h.now, &mut b),
        Err(RecvError::Conn(ConnError::Refused))
    );
    assert!(h.tcp.readiness(s).error);
}

#[test]
fn syn_sent_rst_without_ack_ignored() {
    let (mut h, _) = syn_sent();
    send!(h, Seg::new(0).rst());
    recv!(h, nothing);
    assert_eq!(h.state(), State::SynSent);
}

#[test]
fn syn_sent_rst_with_bad_ack_ignored() {
    let (mut h, syn) = syn_sent();
    send!(h, Seg::new(0).rst().ack(syn.seq + 77));
    recv!(h, nothing);
    assert_eq!(h.state(), State::SynSent);
}

#[test]
fn syn_sent_retransmits_with_backoff() {
    let (mut h, syn) = syn_sent();
    let mut at = Vec::new();
    for _ in 0..30 {
        h.advance(Duration::from_millis(500));
        for s in recv!(h) {
            assert_eq!(s.seq, syn.seq);
            assert!(s.syn);
            at.push(h.now.as_millis());
        }
    }
    // RFC 6298 5.5: 1 s, then 2 s, 4 s, 8 s after the first SYN at 1000 ms.
    assert_eq!(at, vec![2000, 4000, 8000, 16000]);
}

#[test]
fn syn_sent_times_out() {
    let (mut h, _) = syn_sent_with(TcpConfig {
        syn_retries: 1,
        ..test_config()
    });
    h.advance(Duration::from_secs(1));
    assert_eq!(recv!(h).len(), 1);
    h.advance(Duration::from_secs(2));
    recv!(h, nothing);
    let s = h.s();
    let mut b = [0u8; 1];
    assert_eq!(
        h.tcp.recv(s, h.now, &mut b),
        Err(RecvError::Conn(ConnError::TimedOut))
    );
}

#[test]
fn simultaneous_open() {
    let (mut h, syn) = syn_sent();
    // RFC 9293 3.5 figure 8: the peer's bare SYN crosses ours.
    send!(h, Seg::new(R_ISS).syn().mss(1460));
    let sa = recv!(h, one);
    assert!(sa.syn);
    assert_eq!(sa.seq, syn.seq, "same ISS");
    assert_eq!(sa.ack, Some(R_ISS + 1));
    assert_eq!(h.state(), State::SynReceived);
    // The peer's SYN,ACK (its answer to our SYN) completes the handshake.
    send!(h, Seg::new(R_ISS).syn().ack(syn.seq + 1).mss(1460));
    recv!(h, nothing);
    assert_eq!(h.state(), State::Established);
    h.write(b"go");
    let d = recv!(h, one);
    assert_eq!((d.seq, d.ack), (syn.seq + 1, Some(R_ISS + 1)));
}

#[test]
fn simultaneous_open_completed_by_plain_ack() {
    let (mut h, syn) = syn_sent();
    send!(h, Seg::new(R_ISS).syn());
    let _ = recv!(h);
    send!(h, Seg::new(R_ISS + 1).ack(syn.seq + 1));
    assert_eq!(h.state(), State::Established);
}

#[test]
fn syn_sent_plain_ack_dropped() {
    let (mut h, syn) = syn_sent();
    send!(h, Seg::new(R_ISS).ack(syn.seq + 1));
    recv!(h, nothing);
    assert_eq!(h.state(), State::SynSent);
}

#[test]
fn syn_ack_with_data_is_queued() {
    let (mut h, syn) = syn_sent();
    send!(h, Seg::new(R_ISS).syn().ack(syn.seq + 1).data(b"early"));
    assert_eq!(recv!(h, one).ack, Some(R_ISS + 6));
    assert_eq!(h.read_all(), b"early");
}

#[test]
fn syn_window_is_never_scaled() {
    let (mut h, syn) = syn_sent_with(TcpConfig {
        window_scaling: true,
        ..test_config()
    });
    send!(h, Seg::new(R_ISS).syn().ack(syn.seq + 1).ws(3).win(1000));
    let _ = recv!(h);
    assert_eq!(h.info().snd_wnd, 1000, "RFC 7323 2.2");
    send!(h, Seg::new(R_ISS + 1).ack(syn.seq + 1).win(1000));
    assert_eq!(h.info().snd_wnd, 8000);
}

#[test]
fn connect_picks_ephemeral_port_deterministically() {
    let mk = || {
        let mut h = H::new(test_config());
        let s = h.tcp.socket();
        h.tcp
            .connect(s, h.now, SocketAddrV4::new(R_IP, R_PORT))
            .unwrap();
        h.tcp.local_addr(s).unwrap()
    };
    let a = mk();
    assert_eq!(a, mk());
    assert!(a.port() >= 49152);
    assert_eq!(*a.ip(), L_IP);
}

#[test]
fn connect_without_source_address_fails() {
    let mut tcp = TcpLayer::new(test_config());
    let s = tcp.socket();
    assert_eq!(
        tcp.connect(s, Instant::ZERO, SocketAddrV4::new(R_IP, R_PORT)),
        Err(ConnectError::NoSourceAddress)
    );
}

#[test]
fn connect_twice_is_invalid() {
    let (mut h, _) = syn_sent();
    let s = h.s();
    assert_eq!(
        h.tcp.connect(s, h.now, SocketAddrV4::new(R_IP, R_PORT)),
        Err(ConnectError::InvalidState)
    );
}

#[test]
fn bind_conflict_is_addr_in_use() {
    let mut tcp = TcpLayer::new(test_config());
    let a = tcp.socket();
    let b = tcp.socket();
    tcp.bind(a, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80))
        .unwrap();
    assert_eq!(
        tcp.bind(b, SocketAddrV4::new(L_IP, 80)),
        Err(BindError::AddrInUse)
    );
    assert!(tcp.bind(b, SocketAddrV4::new(L_IP, 81)).is_ok());
    assert_eq!(
        tcp.bind(b, SocketAddrV4::new(L_IP, 82)),
        Err(BindError::InvalidState)
    );
}

#[test]
fn data_written_in_syn_sent_leaves_after_handshake() {
    let (mut h, syn) = syn_sent();
    h.write(b"queued");
    recv!(h, nothing);
    send!(h, Seg::new(R_ISS).syn().ack(syn.seq + 1));
    let d = recv!(h, one);
    assert_eq!(d.data, b"queued");
    assert_eq!(d.seq, syn.seq + 1);
}

// ============ Sequence acceptability (RFC 9293 3.10.7.4 table) ============

/// ESTABLISHED with a receive buffer of 100 bytes, filled: window zero.
fn zero_window() -> H {
    let mut h = established_with(
        TcpConfig {
            recv_buffer: 100,
            recv_buffer_max: 100,
            ..test_config()
        },
        Seg::new(R_ISS).syn().mss(1460),
    );
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(&[7u8; 100]));
    let a = recv!(h, one);
    assert_eq!(a.win, 0);
    h
}

#[test]
fn accept_zero_len_zero_window_at_rcv_nxt() {
    let mut h = zero_window();
    h.write(b"x");
    let _ = recv!(h);
    // An ACK with SEQ = RCV.NXT is acceptable: it acknowledges our byte.
    send!(h, Seg::new(R_ISS + 101).ack(h.us() + 1));
    recv!(h, nothing);
    assert_eq!(h.info().snd_una.0, h.us() + 1);
}

#[test]
fn reject_zero_len_zero_window_off_rcv_nxt() {
    let mut h = zero_window();
    send!(h, Seg::new(R_ISS + 102).ack(h.us()));
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(R_ISS + 101));
    assert_eq!(h.tcp.stats().out_of_window, 1);
}

#[test]
fn accept_zero_len_in_window() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 500).ack(h.us()));
    recv!(h, nothing);
    assert_eq!(h.tcp.stats().out_of_window, 0);
}

#[test]
fn reject_zero_len_beyond_window_with_ack() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1 + 8192).ack(h.us()));
    let a = recv!(h, one);
    assert_eq!(a.seq, h.us());
    assert_eq!(a.ack, Some(R_ISS + 1));
}

#[test]
fn reject_data_in_zero_window() {
    let mut h = zero_window();
    send!(h, Seg::new(R_ISS + 101).ack(h.us()).data(b"z"));
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(R_ISS + 101), "probe byte not accepted");
    assert_eq!(a.win, 0);
}

#[test]
fn accept_data_overlapping_left_edge() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"abc"));
    let _ = recv!(h);
    send!(h, Seg::new(R_ISS + 2).ack(h.us()).data(b"bcdef"));
    assert_eq!(recv!(h, one).ack, Some(R_ISS + 7));
    assert_eq!(h.read_all(), b"abcdef");
}

#[test]
fn reject_old_duplicate_data_with_ack() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"abc"));
    let _ = recv!(h);
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"abc"));
    assert_eq!(recv!(h, one).ack, Some(R_ISS + 4));
    assert_eq!(h.read_all(), b"abc");
}

#[test]
fn reject_data_beyond_window() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1 + 8192).ack(h.us()).data(b"far"));
    assert_eq!(recv!(h, one).ack, Some(R_ISS + 1));
    assert!(h.read_all().is_empty());
}

#[test]
fn accept_data_overlapping_right_edge_trimmed() {
    let mut h = established_with(
        TcpConfig {
            recv_buffer: 10,
            recv_buffer_max: 10,
            ..test_config()
        },
        Seg::new(R_ISS).syn(),
    );
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"0123456789abc"));
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(R_ISS + 11));
    assert_eq!(h.read_all(), b"0123456789");
}

#[test]
fn fin_beyond_window_is_not_accepted() {
    let mut h = established_with(
        TcpConfig {
            recv_buffer: 10,
            recv_buffer_max: 10,
            ..test_config()
        },
        Seg::new(R_ISS).syn(),
    );
    send!(
        h,
        Seg::new(R_ISS + 1).ack(h.us()).data(b"0123456789ab").fin()
    );
    let _ = recv!(h);
    assert_eq!(
        h.state(),
        State::Established,
        "FIN was cut off with the data"
    );
}

#[test]
fn sequence_numbers_wrap_around() {
    let irs = u32::MAX - 3;
    let mut h = established_with(test_config(), Seg::new(irs).syn());
    send!(
        h,
        Seg::new(irs.wrapping_add(1)).ack(h.us()).data(b"wrapping")
    );
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(irs.wrapping_add(9)));
    assert_eq!(h.read_all(), b"wrapping");
}

// ===================== RST (RFC 5961 3) =====================

#[test]
fn rst_exact_sequence_resets_connection() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).rst());
    recv!(h, nothing);
    let s = h.s();
    let mut b = [0u8; 4];
    assert_eq!(
        h.tcp.recv(s, h.now, &mut b),
        Err(RecvError::Conn(ConnError::Reset))
    );
    assert_eq!(
        h.tcp.send(s, h.now, b"x"),
        Err(SendError::Conn(ConnError::Reset))
    );
    assert!(h.tcp.readiness(s).hup);
}

#[test]
fn rst_in_window_gets_challenge_ack() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 10).rst());
    let a = recv!(h, one);
    assert!(!a.rst);
    assert_eq!(a.ack, Some(R_ISS + 1));
    assert_eq!(h.state(), State::Established);
    assert_eq!(h.tcp.stats().challenge_acks, 1);
}

#[test]
fn rst_out_of_window_is_silently_dropped() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 100_000).rst());
    recv!(h, nothing);
    send!(h, Seg::new(R_ISS).rst());
    recv!(h, nothing);
    assert_eq!(h.state(), State::Established);
}

#[test]
fn rst_in_close_wait_resets() {
    let mut h = close_wait();
    send!(h, Seg::new(R_ISS + 2).rst());
    assert_eq!(h.state(), State::Closed);
    assert_eq!(h.tcp.error(h.s()), Some(ConnError::Reset));
}

#[test]
fn rst_in_last_ack_closes() {
    let mut h = last_ack();
    send!(h, Seg::new(R_ISS + 2).rst());
    assert_eq!(h.state(), State::Closed);
}

#[test]
fn rst_in_time_wait_closes() {
    let mut h = time_wait();
    send!(h, Seg::new(R_ISS + 2).rst());
    recv!(h, nothing);
    assert_eq!(h.state(), State::Closed);
}

#[test]
fn challenge_acks_are_rate_limited() {
    let mut h = established();
    for i in 0..25 {
        send!(h, Seg::new(R_ISS + 10 + i).rst());
    }
    assert_eq!(recv!(h).len(), 1, "ACKs coalesce within one dispatch");
    for i in 0..25 {
        send!(h, Seg::new(R_ISS + 10 + i).rst());
        let _ = recv!(h);
    }
    assert_eq!(
        h.tcp.stats().challenge_acks,
        10,
        "RFC 5961 7: limit per second"
    );
    h.advance(Duration::from_secs(1));
    send!(h, Seg::new(R_ISS + 10).rst());
    assert_eq!(recv!(h).len(), 1);
}

#[test]
fn abort_sends_rst_at_snd_nxt() {
    let mut h = established();
    let s = h.s();
    h.tcp.abort(s, h.now).unwrap();
    let r = recv!(h, one);
    assert!(r.rst);
    assert_eq!(r.seq, h.us());
    assert!(h.tcp.state(s).is_none(), "handle freed");
}

#[test]
fn close_with_unread_data_resets() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"unread"));
    let _ = recv!(h);
    let s = h.s();
    h.tcp.close(s, h.now).unwrap();
    let r = recv!(h, one);
    assert!(r.rst, "RFC 2525 2.17");
}

#[test]
fn rst_segment_with_data_is_not_queued() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).rst().data(b"bye"));
    assert_eq!(h.state(), State::Closed);
    let s = h.s();
    let mut b = [0u8; 8];
    assert_eq!(
        h.tcp.recv(s, h.now, &mut b),
        Err(RecvError::Conn(ConnError::Reset))
    );
}

// ===================== SYN in synchronized states (RFC 5961 4) ===========

#[test]
fn syn_in_established_gets_challenge_ack() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 5).syn());
    let a = recv!(h, one);
    assert!(!a.rst && !a.syn);
    assert_eq!(a.ack, Some(R_ISS + 1));
    assert_eq!(h.state(), State::Established);
}

#[test]
fn syn_out_of_window_in_established_gets_ack_only() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 90_000).syn());
    let a = recv!(h, one);
    assert!(!a.rst);
    assert_eq!(h.state(), State::Established);
}

// ===================== ACK processing =====================

#[test]
fn ack_advances_snd_una_and_frees_buffer() {
    let mut h = established();
    let s = h.s();
    h.tcp.set_nodelay(s, true);
    h.write(&[1u8; 3000]);
    let segs = recv!(h);
    assert_eq!(segs.len(), 3);
    assert_eq!(h.tcp.send_queue(h.s()), 3000);
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1460));
    assert_eq!(h.tcp.send_queue(h.s()), 1540);
    assert_eq!(h.info().snd_una.0, h.us() + 1460);
}

#[test]
fn ack_of_unsent_data_is_challenged() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 50).data(b"abc"));
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(R_ISS + 1), "segment dropped: data not accepted");
    assert!(h.read_all().is_empty());
}

#[test]
fn old_ack_is_ignored_but_data_accepted() {
    let mut h = established();
    h.write(&[1u8; 100]);
    let _ = recv!(h);
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 100));
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 50).data(b"abc"));
    assert_eq!(recv!(h, one).ack, Some(R_ISS + 4));
    assert_eq!(h.read_all(), b"abc");
    assert_eq!(h.info().snd_una.0, h.us() + 100);
}

#[test]
fn ack_far_below_snd_una_is_challenged() {
    let mut h = established();
    // RFC 5961 5.2: below SND.UNA - MAX.SND.WND.
    send!(
        h,
        Seg::new(R_ISS + 1)
            .ack(h.us().wrapping_sub(70_000))
            .data(b"abc")
    );
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(R_ISS + 1));
    assert_eq!(h.tcp.stats().challenge_acks, 1);
}

#[test]
fn window_update_from_newer_segment() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).win(1000));
    assert_eq!(h.info().snd_wnd, 1000);
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).win(3000));
    assert_eq!(h.info().snd_wnd, 3000);
}

#[test]
fn window_update_ignored_from_older_segment() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"ab").win(2000));
    let _ = recv!(h);
    // An older (reordered) segment: SEG.SEQ < SND.WL1.
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"a").win(50));
    assert_eq!(h.info().snd_wnd, 2000);
}

#[test]
fn segment_without_ack_is_dropped() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).data(b"noack"));
    recv!(h, nothing);
    assert!(h.read_all().is_empty());
}

// ===================== Receiving data =====================

#[test]
fn in_order_data_is_readable_and_acked() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"hello"));
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(R_ISS + 6));
    assert_eq!(a.win, 8192 - 5);
    assert!(h.tcp.readiness(h.s()).readable);
    assert_eq!(h.read_all(), b"hello");
    assert!(!h.tcp.readiness(h.s()).readable);
}

#[test]
fn out_of_order_data_gets_immediate_dup_ack_with_sack() {
    let mut h = established_with(test_config(), Seg::new(R_ISS).syn().sack_perm());
    send!(h, Seg::new(R_ISS + 11).ack(h.us()).data(b"later"));
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(R_ISS + 1));
    assert_eq!(a.sack, vec![(R_ISS + 11, R_ISS + 16)]);
    assert!(h.read_all().is_empty());
}

#[test]
fn hole_fill_acks_everything() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 6).ack(h.us()).data(b"world"));
    let _ = recv!(h);
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"hello"));
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(R_ISS + 11));
    assert!(a.sack.is_empty());
    assert_eq!(h.read_all(), b"helloworld");
}

#[test]
fn no_sack_blocks_unless_permitted() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 11).ack(h.us()).data(b"later"));
    assert!(recv!(h, one).sack.is_empty());
}

#[test]
fn sack_blocks_most_recent_first() {
    let mut h = established_with(test_config(), Seg::new(R_ISS).syn().sack_perm());
    send!(h, Seg::new(R_ISS + 11).ack(h.us()).data(b"aa"));
    send!(h, Seg::new(R_ISS + 21).ack(h.us()).data(b"bb"));
    send!(h, Seg::new(R_ISS + 31).ack(h.us()).data(b"cc"));
    let out = recv!(h);
    let last = out.last().unwrap();
    // RFC 2018 4: the block of the latest segment first, then the others.
    assert_eq!(
        last.sack,
        vec![
            (R_ISS + 31, R_ISS + 33),
            (R_ISS + 21, R_ISS + 23),
            (R_ISS + 11, R_ISS + 13)
        ]
    );
}

#[test]
fn window_shrinks_as_data_queues() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(&[0u8; 1000]));
    assert_eq!(recv!(h, one).win, 7192);
    send!(h, Seg::new(R_ISS + 1001).ack(h.us()).data(&[0u8; 1000]));
    assert_eq!(recv!(h, one).win, 6192);
}

#[test]
fn window_reopens_after_read() {
    let mut h = zero_window();
    assert_eq!(h.read_all().len(), 100);
    let u = recv!(h, one);
    assert_eq!(u.win, 100, "window update after the application read");
    assert_eq!(u.ack, Some(R_ISS + 101));
}

#[test]
fn receiver_sws_avoidance_withholds_small_updates() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(&[0u8; 8192]));
    assert_eq!(recv!(h, one).win, 0);
    let s = h.s();
    let mut b = [0u8; 100];
    h.tcp.recv(s, h.now, &mut b).unwrap();
    // RFC 9293 3.8.6.2.2: 100 < min(8192 / 2, MSS): no update.
    recv!(h, nothing);
    let mut b = vec![0u8; 1400];
    h.tcp.recv(s, h.now, &mut b).unwrap();
    assert_eq!(recv!(h, one).win, 1500);
}

#[test]
fn delayed_ack_waits_for_timer() {
    let mut h = established_with(
        TcpConfig {
            delayed_ack: Duration::from_millis(40),
            ..test_config()
        },
        Seg::new(R_ISS).syn(),
    );
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"x"));
    recv!(h, nothing);
    h.advance(Duration::from_millis(39));
    recv!(h, nothing);
    h.advance(Duration::from_millis(1));
    assert_eq!(recv!(h, one).ack, Some(R_ISS + 2));
}

#[test]
fn delayed_ack_every_second_full_segment() {
    let mut h = established_with(
        TcpConfig {
            delayed_ack: Duration::from_millis(40),
            ..test_config()
        },
        Seg::new(R_ISS).syn().mss(1000),
    );
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(&[0u8; 1000]));
    recv!(h, nothing);
    send!(h, Seg::new(R_ISS + 1001).ack(h.us()).data(&[0u8; 1000]));
    assert_eq!(recv!(h, one).ack, Some(R_ISS + 2001), "RFC 5681 4.2");
}

#[test]
fn delayed_ack_not_used_for_out_of_order() {
    let mut h = established_with(
        TcpConfig {
            delayed_ack: Duration::from_millis(40),
            ..test_config()
        },
        Seg::new(R_ISS).syn(),
    );
    send!(h, Seg::new(R_ISS + 5).ack(h.us()).data(b"x"));
    assert_eq!(recv!(h, one).ack, Some(R_ISS + 1));
}

#[test]
fn data_piggybacks_pending_ack() {
    let mut h = established_with(
        TcpConfig {
            delayed_ack: Duration::from_millis(40),
            ..test_config()
        },
        Seg::new(R_ISS).syn(),
    );
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"ping"));
    h.write(b"pong");
    let d = recv!(h, one);
    assert_eq!(d.data, b"pong");
    assert_eq!(d.ack, Some(R_ISS + 5));
    h.advance(Duration::from_millis(50));
    recv!(h, nothing);
}

#[test]
fn recv_would_block_then_eof_after_fin() {
    let mut h = established();
    let s = h.s();
    let mut b = [0u8; 8];
    assert_eq!(h.tcp.recv(s, h.now, &mut b), Err(RecvError::WouldBlock));
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"end").fin());
    let _ = recv!(h);
    assert_eq!(h.tcp.recv(s, h.now, &mut b), Ok(3));
    assert_eq!(h.tcp.recv(s, h.now, &mut b), Ok(0));
    assert!(h.tcp.readiness(s).hup);
}

#[test]
fn fin_out_of_order_waits_for_gap() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 4).ack(h.us()).data(b"def").fin());
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(R_ISS + 1));
    assert_eq!(h.state(), State::Established);
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"abc"));
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(R_ISS + 8), "data and FIN");
    assert_eq!(h.state(), State::CloseWait);
    assert_eq!(h.read_all(), b"abcdef");
}

// ===================== Sending data =====================

#[test]
fn send_splits_at_mss() {
    let mut h = established();
    let s = h.s();
    h.tcp.set_nodelay(s, true);
    h.write(&[0u8; 3000]);
    let v = recv!(h);
    let lens: Vec<usize> = v.iter().map(|s| s.data.len()).collect();
    assert_eq!(lens, vec![1460, 1460, 80]);
    assert_eq!(v[1].seq, h.us() + 1460);
    assert!(
        v[2].psh && !v[0].psh,
        "PSH on the segment that empties the buffer"
    );
}

#[test]
fn send_respects_peer_window() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).win(2920));
    h.write(&[0u8; 5000]);
    let v = recv!(h);
    assert_eq!(v.iter().map(|s| s.data.len()).sum::<usize>(), 2920);
}

#[test]
fn send_respects_initial_congestion_window() {
    let mut h = established_with(
        TcpConfig {
            initial_window_segments: 4,
            ..test_config()
        },
        Seg::new(R_ISS).syn().mss(1000),
    );
    h.write(&[0u8; 20_000]);
    let v = recv!(h);
    assert_eq!(v.len(), 4, "RFC 5681 3.1 IW");
    // Each ACK in slow start opens cwnd (RFC 3465 L=2 SMSS).
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1000));
    assert_eq!(recv!(h).len(), 2);
}

#[test]
fn nagle_holds_small_segment_while_data_unacked() {
    let mut h = established();
    h.write(b"a");
    assert_eq!(recv!(h, one).data, b"a");
    h.write(b"b");
    recv!(h, nothing);
    h.write(b"c");
    recv!(h, nothing);
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1));
    assert_eq!(recv!(h, one).data, b"bc", "RFC 9293 3.7.4: sent once acked");
}

#[test]
fn nodelay_sends_small_segments_at_once() {
    let mut h = established();
    let s = h.s();
    h.tcp.set_nodelay(s, true);
    h.write(b"a");
    assert_eq!(recv!(h, one).data, b"a");
    h.write(b"b");
    assert_eq!(recv!(h, one).data, b"b");
}

#[test]
fn nagle_sends_full_segments_regardless() {
    let mut h = established();
    h.write(b"a");
    let _ = recv!(h);
    h.write(&[0u8; 1460]);
    let v = recv!(h);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].data.len(), 1460);
}

#[test]
fn sender_sws_avoidance_waits_for_usable_window() {
    let mut h = established();
    let s = h.s();
    h.tcp.set_nodelay(s, true);
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).win(4000));
    h.write(&[0u8; 3000]);
    assert_eq!(recv!(h).len(), 3);
    h.write(&[0u8; 3000]);
    // The right edge moves to +3020: 20 usable bytes, 3000 queued.
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 2920).win(100));
    // 20 usable bytes: below MSS, below half the max window: wait.
    recv!(h, nothing);
}

#[test]
fn zero_window_probe_with_backoff() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).win(0));
    h.write(b"hello");
    recv!(h, nothing);
    let mut probes = Vec::new();
    for _ in 0..20 {
        h.advance(Duration::from_millis(250));
        for s in recv!(h) {
            assert_eq!(s.data.len(), 1, "RFC 9293 3.8.6.1: one octet");
            assert_eq!(s.seq, h.us());
            probes.push(h.now.as_millis());
        }
    }
    assert_eq!(probes, vec![2000, 4000], "persist timer backs off");
    assert!(h.tcp.stats().window_probes >= 2);
    // The window opens: the rest flows.
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).win(1000));
    let d = recv!(h, one);
    assert_eq!(d.data, b"hello");
}

#[test]
fn zero_window_probe_byte_accepted() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).win(0));
    h.write(b"hello");
    recv!(h, nothing);
    h.advance(Duration::from_secs(1));
    let p = recv!(h, one);
    assert_eq!(p.data, b"h");
    // The receiver took the probe byte and opens its window.
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1).win(100));
    let d = recv!(h, one);
    assert_eq!(d.seq, h.us() + 1);
    assert_eq!(d.data, b"ello");
}

#[test]
fn zero_window_connection_survives_unanswered_probes_while_acked() {
    let mut h = established_with(
        TcpConfig {
            max_retries: 2,
            ..test_config()
        },
        Seg::new(R_ISS).syn(),
    );
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).win(0));
    h.write(b"x");
    for _ in 0..6 {
        h.advance(Duration::from_secs(60));
        let _ = recv!(h);
        send!(h, Seg::new(R_ISS + 1).ack(h.us()).win(0));
    }
    assert_eq!(
        h.state(),
        State::Established,
        "probes answered: keep waiting"
    );
}

#[test]
fn send_buffer_full_would_block() {
    let mut h = established_with(
        TcpConfig {
            send_buffer: 1000,
            ..test_config()
        },
        Seg::new(R_ISS).syn().mss(1460),
    );
    let s = h.s();
    assert_eq!(h.tcp.send(s, h.now, &[0u8; 1500]), Ok(1000));
    assert!(!h.tcp.readiness(s).writable);
    assert_eq!(h.tcp.send(s, h.now, b"x"), Err(SendError::WouldBlock));
    let _ = recv!(h);
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1000));
    assert!(h.tcp.readiness(s).writable);
}

#[test]
fn send_on_unconnected_socket_fails() {
    let mut tcp = TcpLayer::new(test_config());
    let s = tcp.socket();
    assert_eq!(
        tcp.send(s, Instant::ZERO, b"x"),
        Err(SendError::NotConnected)
    );
    let mut b = [0u8; 1];
    assert_eq!(
        tcp.recv(s, Instant::ZERO, &mut b),
        Err(RecvError::NotConnected)
    );
}

// ===================== Retransmission (RFC 6298) =====================

#[test]
fn rto_retransmits_first_segment_after_1s() {
    let mut h = client_established_fresh_rtt();
    h.write(b"data");
    let d = recv!(h, one);
    h.advance(Duration::from_millis(999));
    recv!(h, nothing);
    h.advance(Duration::from_millis(1));
    let r = recv!(h, one);
    assert_eq!(r.seq, d.seq);
    assert_eq!(r.data, b"data");
}

/// ESTABLISHED after a handshake with a measured RTT of 10 ms.
fn client_established_fresh_rtt() -> H {
    let (mut h, syn) = syn_sent();
    h.advance(Duration::from_millis(10));
    send!(h, Seg::new(R_ISS).syn().ack(syn.seq + 1).mss(1460));
    let _ = recv!(h);
    h
}

#[test]
fn rto_backs_off_exponentially() {
    let mut h = client_established_fresh_rtt();
    h.write(b"data");
    let _ = recv!(h);
    let mut at = Vec::new();
    let start = h.now.as_millis();
    for _ in 0..32 {
        h.advance(Duration::from_millis(500));
        if !recv!(h).is_empty() {
            at.push(h.now.as_millis() - start);
        }
    }
    assert_eq!(at, vec![1000, 3000, 7000, 15000]);
}

#[test]
fn rto_is_rounded_up_to_minimum() {
    let h = client_established_fresh_rtt();
    let i = h.info();
    assert_eq!(i.srtt, Some(Duration::from_millis(10)));
    assert_eq!(i.rto, Duration::from_secs(1), "RFC 6298 2.4");
}

#[test]
fn rto_follows_srtt_and_rttvar() {
    let (mut h, syn) = syn_sent_with(TcpConfig {
        rto_min: Duration::from_millis(1),
        ..test_config()
    });
    h.advance(Duration::from_millis(100));
    send!(h, Seg::new(R_ISS).syn().ack(syn.seq + 1));
    let _ = recv!(h);
    // RFC 6298 2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR = 300 ms.
    assert_eq!(h.info().rto, Duration::from_millis(300));
    h.write(b"x");
    let _ = recv!(h);
    h.advance(Duration::from_millis(20));
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1));
    // RTTVAR = 3/4 * 50 + 1/4 * |100 - 20| = 57.5; SRTT = 7/8 * 100 + 20/8 = 90.
    let i = h.info();
    assert_eq!(i.srtt, Some(Duration::from_millis(90)));
    assert_eq!(i.rto, Duration::from_micros(90_000 + 4 * 57_500));
}

#[test]
fn karn_no_sample_from_retransmitted_segment() {
    let mut h = client_established_fresh_rtt();
    h.write(b"data");
    let _ = recv!(h);
    h.advance(Duration::from_secs(1));
    let _ = recv!(h);
    h.advance(Duration::from_millis(5));
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 4));
    let i = h.info();
    assert_eq!(
        i.srtt,
        Some(Duration::from_millis(10)),
        "no sample from the retransmission"
    );
    assert_eq!(i.backoff, 1, "backed-off RTO kept until a valid sample");
    h.write(b"more");
    let _ = recv!(h);
    h.advance(Duration::from_millis(10));
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 8));
    assert_eq!(h.info().backoff, 0);
}

#[test]
fn gives_up_after_max_retries() {
    let mut h = established_with(
        TcpConfig {
            max_retries: 3,
            ..test_config()
        },
        Seg::new(R_ISS).syn(),
    );
    h.write(b"lost");
    let _ = recv!(h);
    let mut sent = 0;
    for _ in 0..40 {
        h.advance(Duration::from_secs(1));
        sent += recv!(h).len();
    }
    assert_eq!(sent, 3);
    assert_eq!(h.tcp.error(h.s()), Some(ConnError::TimedOut));
    let s = h.s();
    assert_eq!(
        h.tcp.send(s, h.now, b"x"),
        Err(SendError::Conn(ConnError::TimedOut))
    );
}

#[test]
fn rto_collapses_cwnd_to_one_segment() {
    let mut h = established();
    h.write(&[0u8; 10 * 1460]);
    assert_eq!(recv!(h).len(), 10);
    h.advance(Duration::from_secs(1));
    let r = recv!(h);
    assert_eq!(r.len(), 1, "RFC 5681 3.1: loss window of one segment");
    assert_eq!(r[0].seq, h.us());
    let i = h.info();
    assert_eq!(i.cwnd, 1460);
    assert_eq!(i.ssthresh, 5 * 1460);
    // Slow start from there: the ACK of the retransmission releases two.
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1460));
    assert_eq!(recv!(h).len(), 2);
}

// ============ Fast retransmit and NewReno (RFC 5681, RFC 6582) ============

/// ESTABLISHED with ten full segments outstanding.
fn ten_in_flight(sack: bool) -> H {
    let syn = if sack {
        Seg::new(R_ISS).syn().mss(1000).sack_perm()
    } else {
        Seg::new(R_ISS).syn().mss(1000)
    };
    let mut h = established_with(test_config(), syn);
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).win(60000));
    h.write(&[0u8; 20_000]);
    assert_eq!(recv!(h).len(), 10);
    h
}

#[test]
fn fast_retransmit_after_three_dupacks_not_two() {
    let mut h = ten_in_flight(false);
    let una = h.us() + 1000;
    send!(h, Seg::new(R_ISS + 1).ack(una).win(60000));
    let _ = recv!(h);
    send!(h, Seg::new(R_ISS + 1).ack(una).win(60000));
    send!(h, Seg::new(R_ISS + 1).ack(una).win(60000));
    assert!(
        recv!(h).iter().all(|s| s.seq != una),
        "two dupacks: no retransmit"
    );
    send!(h, Seg::new(R_ISS + 1).ack(una).win(60000));
    let out = recv!(h);
    assert_eq!(out[0].seq, una, "third dupack: fast retransmit");
    assert!(h.info().in_recovery);
    assert_eq!(h.tcp.stats().fast_retransmits, 1);
}

#[test]
fn dupack_with_data_or_window_change_does_not_count() {
    let mut h = ten_in_flight(false);
    let una = h.us();
    for i in 0..3 {
        send!(h, Seg::new(R_ISS + 1 + i).ack(una).win(60000).data(b"x"));
    }
    send!(h, Seg::new(R_ISS + 4).ack(una).win(50000));
    send!(h, Seg::new(R_ISS + 4).ack(una).win(40000));
    let out = recv!(h);
    assert!(out.iter().all(|s| s.data.is_empty()), "{out:?}");
    assert!(!h.info().in_recovery);
}

#[test]
fn newreno_partial_ack_retransmits_next_hole() {
    let mut h = ten_in_flight(false);
    let una = h.us();
    for _ in 0..3 {
        send!(h, Seg::new(R_ISS + 1).ack(una).win(60000));
    }
    let out = recv!(h);
    assert_eq!(out[0].seq, una);
    // Partial ACK: the retransmission arrived, the next segment is lost too.
    send!(h, Seg::new(R_ISS + 1).ack(una + 1000).win(60000));
    let out = recv!(h);
    assert_eq!(out[0].seq, una + 1000, "RFC 6582 3.2 step 4");
    assert!(h.info().in_recovery);
}

#[test]
fn newreno_full_ack_ends_recovery() {
    let mut h = ten_in_flight(false);
    let una = h.us();
    for _ in 0..3 {
        send!(h, Seg::new(R_ISS + 1).ack(una).win(60000));
    }
    let _ = recv!(h);
    let ssthresh = h.info().ssthresh;
    assert_eq!(ssthresh, 5000, "RFC 5681 3.2 equation 4: FlightSize / 2");
    let top = h.info().snd_nxt.0;
    send!(h, Seg::new(R_ISS + 1).ack(top).win(60000));
    let i = h.info();
    assert!(!i.in_recovery);
    assert!(i.cwnd <= ssthresh, "RFC 6582 3.2 step 3: deflate");
}

#[test]
fn sack_recovery_retransmits_only_holes() {
    let mut h = ten_in_flight(true);
    let u = h.us();
    // Segments 0 and 2 lost; 1, 3..9 arrive: SACK blocks report them.
    let blocks = [(u + 3000, u + 10_000), (u + 1000, u + 2000)];
    for k in 0..3 {
        send!(
            h,
            Seg::new(R_ISS + 1)
                .ack(u)
                .win(60000)
                .sacks(&blocks[..1 + (k.min(1))])
        );
    }
    let out = recv!(h);
    let rexmits: Vec<u32> = out
        .iter()
        .filter(|s| s.seq.wrapping_sub(u) < 10_000)
        .map(|s| s.seq - u)
        .collect();
    assert_eq!(rexmits, vec![0, 2000], "RFC 6675 NextSeg: holes only");
}

#[test]
fn sack_scoreboard_ignores_dsack_below_una() {
    let mut h = ten_in_flight(true);
    let u = h.us();
    send!(
        h,
        Seg::new(R_ISS + 1)
            .ack(u + 1000)
            .win(60000)
            .sacks(&[(u, u + 1000)])
    );
    let _ = recv!(h);
    assert!(!h.info().in_recovery);
}

// ===================== Closing (RFC 9293 3.6) =====================

#[test]
fn active_close_through_time_wait() {
    let mut h = time_wait();
    h.advance(Duration::from_millis(1999));
    recv!(h, nothing);
    assert_eq!(h.state(), State::TimeWait);
    h.advance(Duration::from_millis(1));
    recv!(h, nothing);
    assert_eq!(h.state(), State::Closed, "2 MSL = 2 s in the test config");
}

#[test]
fn passive_close_through_last_ack() {
    let mut h = last_ack();
    let f_seq = h.us();
    send!(h, Seg::new(R_ISS + 2).ack(f_seq + 1));
    assert_eq!(h.state(), State::Closed);
    assert_eq!(h.tcp.error(h.s()), None);
}

#[test]
fn simultaneous_close_through_closing() {
    let mut h = fin_wait_1();
    // The peer's FIN crosses ours: CLOSING.
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).fin());
    assert_eq!(recv!(h, one).ack, Some(R_ISS + 2));
    assert_eq!(h.state(), State::Closing);
    send!(h, Seg::new(R_ISS + 2).ack(h.us() + 1));
    assert_eq!(h.state(), State::TimeWait);
}

#[test]
fn fin_ack_in_fin_wait_1_goes_to_time_wait() {
    let mut h = fin_wait_1();
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1).fin());
    assert_eq!(recv!(h, one).ack, Some(R_ISS + 2));
    assert_eq!(h.state(), State::TimeWait);
}

#[test]
fn time_wait_reacks_retransmitted_fin_and_restarts_timer() {
    let mut h = time_wait();
    h.advance(Duration::from_millis(1500));
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1).fin());
    assert_eq!(recv!(h, one).ack, Some(R_ISS + 2));
    h.advance(Duration::from_millis(1500));
    recv!(h, nothing);
    assert_eq!(h.state(), State::TimeWait, "timer restarted");
    h.advance(Duration::from_millis(500));
    recv!(h, nothing);
    assert_eq!(h.state(), State::Closed);
}

#[test]
fn time_wait_old_syn_gets_challenge_ack() {
    let mut h = time_wait();
    send!(h, Seg::new(R_ISS + 1).syn());
    let a = recv!(h, one);
    assert!(!a.rst && !a.syn);
    assert_eq!(a.ack, Some(R_ISS + 2));
    assert_eq!(h.state(), State::TimeWait);
}

#[test]
fn time_wait_new_syn_with_higher_sequence_reopens() {
    // Our FIN first, then the peer's: we hold TIME-WAIT with a listener.
    let mut h = fin_wait_2();
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1).fin());
    let _ = recv!(h);
    assert_eq!(h.state(), State::TimeWait);
    let s = h.s();
    h.tcp.close(s, h.now).unwrap();
    // RFC 1122 4.2.2.13: a SYN above the old sequence space reopens.
    send!(h, Seg::new(R_ISS + 100_000).syn());
    let sa = recv!(h, one);
    assert!(sa.syn);
    assert_eq!(sa.ack, Some(R_ISS + 100_001));
}

#[test]
fn fin_is_retransmitted() {
    let mut h = fin_wait_1();
    h.advance(Duration::from_secs(1));
    let f = recv!(h, one);
    assert!(f.fin);
    assert_eq!(f.seq, h.us());
}

#[test]
fn fin_waits_for_queued_data() {
    let mut h = established();
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).win(2920));
    h.write(&[0u8; 3500]);
    let s = h.s();
    h.tcp.shutdown(s, h.now, Shutdown::Write).unwrap();
    let v = recv!(h);
    assert_eq!(v.len(), 2);
    assert!(v.iter().all(|s| !s.fin), "FIN only after all data");
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 2920).win(2920));
    let v = recv!(h, one);
    assert_eq!(v.data.len(), 580);
    assert!(v.fin, "FIN piggybacks on the last data");
}

#[test]
fn half_close_peer_keeps_sending_in_fin_wait_2() {
    let mut h = fin_wait_2();
    send!(
        h,
        Seg::new(R_ISS + 1).ack(h.us() + 1).data(b"still talking")
    );
    assert_eq!(recv!(h, one).ack, Some(R_ISS + 14));
    assert_eq!(h.read_all(), b"still talking");
}

#[test]
fn half_close_we_keep_sending_in_close_wait() {
    let mut h = close_wait();
    h.write(b"reply");
    let d = recv!(h, one);
    assert_eq!(d.data, b"reply");
    assert_eq!(d.ack, Some(R_ISS + 2));
}

#[test]
fn send_after_shutdown_is_epipe() {
    let mut h = fin_wait_1();
    let s = h.s();
    assert_eq!(h.tcp.send(s, h.now, b"x"), Err(SendError::Shutdown));
}

#[test]
fn shutdown_read_discards_and_reports_eof() {
    let mut h = established();
    let s = h.s();
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"abc"));
    let _ = recv!(h);
    h.tcp.shutdown(s, h.now, Shutdown::Read).unwrap();
    let mut b = [0u8; 8];
    assert_eq!(h.tcp.recv(s, h.now, &mut b), Ok(0));
    send!(h, Seg::new(R_ISS + 4).ack(h.us()).data(b"def"));
    assert_eq!(recv!(h, one).ack, Some(R_ISS + 7), "still acknowledged");
    assert_eq!(h.tcp.recv(s, h.now, &mut b), Ok(0));
}

#[test]
fn orphaned_fin_wait_2_times_out() {
    let mut h = fin_wait_1();
    let s = h.s();
    h.tcp.close(s, h.now).unwrap();
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1));
    h.advance(Duration::from_secs(60));
    recv!(h, nothing);
    assert!(h.tcp.state(s).is_none());
    // The 4-tuple is free: a segment now meets CLOSED and is reset.
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1).data(b"late"));
    assert!(recv!(h, one).rst);
}

#[test]
fn data_after_close_is_answered_with_rst() {
    let mut h = established();
    let s = h.s();
    h.tcp.close(s, h.now).unwrap();
    let f = recv!(h, one);
    assert!(f.fin);
    send!(
        h,
        Seg::new(R_ISS + 1)
            .ack(h.us() + 1)
            .data(b"nobody reads this")
    );
    let r = recv!(h, one);
    assert!(r.rst);
}

#[test]
fn closed_connection_frees_its_4_tuple() {
    let mut h = last_ack();
    send!(h, Seg::new(R_ISS + 2).ack(h.us() + 1));
    send!(h, Seg::new(R_ISS + 2).ack(h.us() + 1));
    let r = recv!(h, one);
    assert!(r.rst);
}

// ===================== Options (RFC 7323, RFC 9293 3.7.1) ===============

fn ts_config() -> TcpConfig {
    TcpConfig {
        timestamps: true,
        ..test_config()
    }
}

#[test]
fn timestamps_are_echoed() {
    let mut h = established_with(ts_config(), Seg::new(R_ISS).syn().ts(100, 0));
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"x").ts(150, 0));
    let a = recv!(h, one);
    assert_eq!(a.ts.unwrap().1, 150, "RFC 7323 4.3: TSecr = TS.Recent");
}

#[test]
fn paws_drops_old_timestamp() {
    let mut h = established_with(ts_config(), Seg::new(R_ISS).syn().ts(100, 0));
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"new").ts(200, 0));
    let _ = recv!(h);
    send!(h, Seg::new(R_ISS + 4).ack(h.us()).data(b"old").ts(150, 0));
    let a = recv!(h, one);
    assert_eq!(a.ack, Some(R_ISS + 4), "RFC 7323 5.3: dropped, ACKed");
    assert_eq!(h.read_all(), b"new");
    assert_eq!(h.tcp.stats().paws_drops, 1);
}

#[test]
fn paws_does_not_apply_to_rst() {
    let mut h = established_with(ts_config(), Seg::new(R_ISS).syn().ts(100, 0));
    send!(h, Seg::new(R_ISS + 1).rst().ts(5, 0));
    assert_eq!(h.state(), State::Closed);
}

#[test]
fn ts_recent_only_from_segments_at_last_ack_sent() {
    let mut h = established_with(ts_config(), Seg::new(R_ISS).syn().ts(100, 0));
    // Out-of-order segment beyond Last.ACK.sent: TS.Recent unchanged.
    send!(h, Seg::new(R_ISS + 50).ack(h.us()).data(b"x").ts(300, 0));
    let a = recv!(h, one);
    assert_eq!(a.ts.unwrap().1, 101);
}

#[test]
fn timestamp_option_reduces_payload() {
    let mut h = established_with(ts_config(), Seg::new(R_ISS).syn().mss(1460).ts(1, 0));
    h.write(&[0u8; 3000]);
    let v = recv!(h);
    assert_eq!(v[0].data.len(), 1448, "RFC 9293 3.7.1: options count");
}

#[test]
fn window_scale_applies_to_peer_window() {
    let cfg = TcpConfig {
        window_scaling: true,
        ..test_config()
    };
    let mut h = established_with(cfg, Seg::new(R_ISS).syn().ws(2));
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).win(1000));
    assert_eq!(h.info().snd_wnd, 4000);
}

#[test]
fn our_window_field_is_scaled() {
    let cfg = TcpConfig {
        window_scaling: true,
        recv_buffer: 256 * 1024,
        recv_buffer_max: 256 * 1024,
        ..test_config()
    };
    let mut h = established_with(cfg, Seg::new(R_ISS).syn().ws(0));
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"x"));
    let a = recv!(h, one);
    // Shift 3 for 256 KiB (65535 << 2 is just short): (262144 - 1) >> 3.
    assert_eq!(a.win, ((256 * 1024 - 1) >> 3) as u16);
}

#[test]
fn peer_mss_limits_segments() {
    let mut h = established_with(test_config(), Seg::new(R_ISS).syn().mss(500));
    let s = h.s();
    h.tcp.set_nodelay(s, true);
    h.write(&[0u8; 1200]);
    let lens: Vec<usize> = recv!(h).iter().map(|s| s.data.len()).collect();
    assert_eq!(lens, vec![500, 500, 200]);
}

#[test]
fn default_mss_is_536_without_option() {
    let mut h = established_with(test_config(), Seg::new(R_ISS).syn());
    h.write(&[0u8; 1200]);
    assert_eq!(recv!(h)[0].data.len(), 536, "RFC 9293 3.7.1");
}

#[test]
fn window_scale_above_14_is_clamped() {
    let cfg = TcpConfig {
        window_scaling: true,
        ..test_config()
    };
    let mut h = established_with(cfg, Seg::new(R_ISS).syn().ws(20));
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).win(1));
    assert_eq!(h.info().snd_wnd, 1 << 14, "RFC 7323 2.3");
}

// ===================== Keepalive (RFC 9293 3.8.4) =====================

fn keepalive_config() -> TcpConfig {
    TcpConfig {
        keepalive_idle: Duration::from_secs(10),
        keepalive_interval: Duration::from_secs(2),
        keepalive_count: 3,
        ..test_config()
    }
}

#[test]
fn keepalive_probe_after_idle() {
    let mut h = established_with(keepalive_config(), Seg::new(R_ISS).syn());
    let s = h.s();
    h.tcp.set_keepalive(s, true);
    h.advance(Duration::from_secs(9));
    recv!(h, nothing);
    h.advance(Duration::from_secs(1));
    let p = recv!(h, one);
    assert_eq!(p.seq, h.us().wrapping_sub(1), "SEG.SEQ = SND.NXT - 1");
    assert!(p.data.is_empty());
}

#[test]
fn keepalive_gives_up_after_count() {
    let mut h = established_with(keepalive_config(), Seg::new(R_ISS).syn());
    let s = h.s();
    h.tcp.set_keepalive(s, true);
    h.advance(Duration::from_secs(10));
    let mut probes = recv!(h).len();
    for _ in 0..5 {
        h.advance(Duration::from_secs(2));
        probes += recv!(h).len();
    }
    assert_eq!(probes, 3);
    assert_eq!(h.tcp.error(s), Some(ConnError::TimedOut));
}

#[test]
fn keepalive_answer_resets_probe_count() {
    let mut h = established_with(keepalive_config(), Seg::new(R_ISS).syn());
    let s = h.s();
    h.tcp.set_keepalive(s, true);
    h.advance(Duration::from_secs(10));
    assert_eq!(recv!(h).len(), 1);
    send!(h, Seg::new(R_ISS + 1).ack(h.us()));
    h.advance(Duration::from_secs(2));
    recv!(h, nothing);
    h.advance(Duration::from_secs(8));
    assert_eq!(recv!(h).len(), 1, "a new idle period");
    assert_eq!(h.state(), State::Established);
}

#[test]
fn keepalive_off_by_default() {
    let mut h = established_with(keepalive_config(), Seg::new(R_ISS).syn());
    h.advance(Duration::from_secs(100));
    recv!(h, nothing);
}

// ===================== Packet ids and journey =====================

#[test]
fn segments_carry_the_packet_id_of_their_write() {
    let mut h = established();
    let s = h.s();
    h.tcp.set_nodelay(s, true);
    h.tcp
        .send_with_id(s, h.now, b"first", PacketId(41))
        .unwrap();
    h.tcp.poll_timers(h.now);
    let tx = h.tcp.next_segment(h.now).unwrap();
    assert_eq!(tx.segment.meta().id, PacketId(41));
    assert_eq!(
        tx.segment.meta().transport_header,
        Some(tx.segment.data_offset() as u16)
    );
}

#[test]
fn reads_report_the_ids_of_received_segments() {
    let mut h = established();
    let s = h.s();
    let us = h.us();
    let a = Seg::new(R_ISS + 1).ack(us).data(b"abc").to_bytes();
    let b = Seg::new(R_ISS + 4).ack(us).data(b"def").to_bytes();
    h.tcp.input_segment(h.now, R_IP, L_IP, &a, PacketId(7));
    h.tcp.input_segment(h.now, R_IP, L_IP, &b, PacketId(8));
    let mut buf = [0u8; 16];
    let (n, ids) = h.tcp.recv_with_ids(s, h.now, &mut buf).unwrap();
    assert_eq!(n, 6);
    assert_eq!(ids, vec![PacketId(7), PacketId(8)]);
}

#[test]
fn stale_handle_is_rejected() {
    let mut tcp = TcpLayer::new(test_config());
    let a = tcp.socket();
    tcp.close(a, Instant::ZERO).unwrap();
    let b = tcp.socket();
    assert_ne!(a, b, "the slot is reused with a new generation");
    assert_eq!(tcp.send(a, Instant::ZERO, b"x"), Err(SendError::BadHandle));
}

#[test]
fn poll_at_reports_next_timer() {
    let mut h = established();
    recv!(h, nothing);
    assert_eq!(h.tcp.next_poll_at(), None);
    h.write(b"x");
    assert_eq!(h.tcp.next_poll_at(), Some(h.now), "output pending");
    let _ = recv!(h);
    assert_eq!(
        h.tcp.next_poll_at(),
        Some(h.now + Duration::from_secs(1)),
        "RTO"
    );
}

#[test]
fn cubic_is_selectable_and_reduces_by_beta() {
    let mut h = established_with(
        TcpConfig {
            congestion: CongestionAlgorithm::Cubic,
            ..test_config()
        },
        Seg::new(R_ISS).syn().mss(1000),
    );
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).win(60000));
    h.write(&[0u8; 20_000]);
    assert_eq!(recv!(h).len(), 10);
    for _ in 0..3 {
        send!(h, Seg::new(R_ISS + 1).ack(h.us()).win(60000));
    }
    let _ = recv!(h);
    assert_eq!(h.info().ssthresh, 7000, "RFC 9438 4.6: beta 0.7");
}

// ===================== Receive-buffer auto-tuning =====================

#[test]
fn receive_buffer_grows_when_the_window_limits_the_sender() {
    let mut h = established_with(
        TcpConfig {
            recv_buffer: 8192,
            recv_buffer_max: 65535,
            ..test_config()
        },
        Seg::new(R_ISS).syn().mss(1460),
    );
    assert_eq!(h.info().recv_buffer, 8192);
    // More than half the buffer within one RTT: the window was the limit.
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(&[0u8; 5000]));
    let a = recv!(h, one);
    assert_eq!(h.info().recv_buffer, 16384);
    assert_eq!(a.win, 16384 - 5000);
}

#[test]
fn receive_buffer_stays_when_the_sender_is_slow() {
    let mut h = established_with(
        TcpConfig {
            recv_buffer: 8192,
            recv_buffer_max: 65535,
            ..test_config()
        },
        Seg::new(R_ISS).syn().mss(1460),
    );
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(&[0u8; 1000]));
    let _ = recv!(h);
    assert_eq!(h.info().recv_buffer, 8192);
}

// ===================== Journey events =====================

mod journey_capture {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};
    use tracing::field::{Field, Visit};
    use tracing::span;

    pub type Events = Arc<Mutex<Vec<BTreeMap<String, String>>>>;

    /// A subscriber that keeps the fields of every "journey" event.
    pub struct Capture(pub Events);

    struct Fields(BTreeMap<String, String>);

    impl Visit for Fields {
        fn record_debug(&mut self, f: &Field, v: &dyn std::fmt::Debug) {
            self.0.insert(
                f.name().to_string(),
                format!("{v:?}").trim_matches('"').to_string(),
            );
        }
    }

    impl tracing::Subscriber for Capture {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
            span::Id::from_u64(1)
        }
        fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
        fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
        fn event(&self, e: &tracing::Event<'_>) {
            if e.metadata().target() == "journey" {
                let mut f = Fields(BTreeMap::new());
                e.record(&mut f);
                self.0.lock().unwrap().push(f.0);
            }
        }
        fn enter(&self, _: &span::Id) {}
        fn exit(&self, _: &span::Id) {}
    }
}

fn journey_events(f: impl FnOnce()) -> Vec<(String, String, String)> {
    let events = journey_capture::Events::default();
    tracing::subscriber::with_default(journey_capture::Capture(events.clone()), f);
    let v = events.lock().unwrap();
    v.iter()
        .map(|e| (e["layer"].clone(), e["event"].clone(), e["packet"].clone()))
        .collect()
}

#[test]
fn journey_events_follow_a_write_and_a_read() {
    let mut h = established_with(
        TcpConfig {
            host: "h1".into(),
            ..test_config()
        },
        Seg::new(R_ISS).syn().mss(1460),
    );
    let s = h.s();
    h.tcp.set_nodelay(s, true);
    let ev = journey_events(|| {
        h.tcp.send_with_id(s, h.now, b"out", PacketId(41)).unwrap();
        let _ = h.output();
        let b = Seg::new(R_ISS + 1).ack(h.us() + 3).data(b"in").to_bytes();
        h.tcp.input_segment(h.now, R_IP, L_IP, &b, PacketId(77));
        let _ = h.output();
        let mut buf = [0u8; 8];
        assert_eq!(h.tcp.recv(s, h.now, &mut buf), Ok(2));
    });
    let has = |layer: &str, event: &str, id: u64| {
        ev.iter()
            .any(|e| e.0 == layer && e.1 == event && e.2 == id.to_string())
    };
    assert!(has("socket", "append", 41), "{ev:?}");
    assert!(has("tcp", "segment_built", 41), "{ev:?}");
    assert!(has("tcp", "segment_received", 77), "{ev:?}");
    assert!(has("tcp", "rx_queued", 77), "{ev:?}");
    assert!(has("tcp", "ack_caused", 77), "{ev:?}");
    assert!(has("socket", "app_read", 77), "{ev:?}");
}

#[test]
fn rto_is_3s_after_a_syn_timeout() {
    let (mut h, syn) = syn_sent();
    h.advance(Duration::from_secs(1));
    assert!(recv!(h, one).syn);
    send!(h, Seg::new(R_ISS).syn().ack(syn.seq + 1));
    let _ = recv!(h);
    assert_eq!(h.info().rto, Duration::from_secs(3), "RFC 6298 5.7");
    assert_eq!(
        h.info().srtt,
        None,
        "Karn: no sample from a retransmitted SYN"
    );
}

#[test]
fn close_in_fin_wait_2_starts_the_orphan_timeout() {
    let mut h = fin_wait_2();
    let s = h.s();
    h.tcp.close(s, h.now).unwrap();
    h.advance(Duration::from_secs(59));
    recv!(h, nothing);
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1));
    h.advance(Duration::from_secs(1));
    recv!(h, nothing);
    // Freed: the 4-tuple meets CLOSED now.
    send!(h, Seg::new(R_ISS + 1).ack(h.us() + 1));
    assert!(recv!(h, one).rst);
}

#[test]
fn abort_on_listener_resets_pending_children() {
    let (mut h, _) = syn_received();
    let l = h.listener.unwrap();
    h.tcp.abort(l, h.now).unwrap();
    assert!(recv!(h, one).rst);
    assert!(h.tcp.state(l).is_none());
}

// ===================== ICMP errors (RFC 1122 4.2.3.9, RFC 1191) ===========

/// What an ICMP error quotes: our IPv4 header and the first 8 bytes of
/// the segment (RFC 792).
fn quote(sport: u16, dport: u16, seq: u32) -> Vec<u8> {
    let mut q = vec![0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0];
    q.extend_from_slice(&L_IP.octets());
    q.extend_from_slice(&R_IP.octets());
    q.extend_from_slice(&sport.to_be_bytes());
    q.extend_from_slice(&dport.to_be_bytes());
    q.extend_from_slice(&seq.to_be_bytes());
    q
}

#[test]
fn frag_needed_lowers_mss_and_resends_in_pieces() {
    use crate::transport::TransportIcmpError;
    let mut h = established();
    h.write(&[0u8; 1460]);
    let d = recv!(h, one);
    assert_eq!(d.data.len(), 1460);
    let q = quote(L_PORT, R_PORT, d.seq);
    h.tcp
        .handle_icmp_error(h.now, TransportIcmpError::FragNeeded { mtu: 1000 }, &q);
    let v = recv!(h);
    let lens: Vec<usize> = v.iter().map(|s| s.data.len()).collect();
    assert_eq!(lens[0], 960, "RFC 1191: MTU 1000 less 40");
    assert_eq!(v[0].seq, d.seq);
    assert_eq!(h.info().eff_mss, 960);
}

#[test]
fn icmp_error_with_sequence_out_of_flight_is_ignored() {
    use crate::transport::TransportIcmpError;
    let mut h = established();
    h.write(&[0u8; 100]);
    let _ = recv!(h);
    let q = quote(L_PORT, R_PORT, h.us().wrapping_add(50_000));
    h.tcp
        .handle_icmp_error(h.now, TransportIcmpError::FragNeeded { mtu: 600 }, &q);
    assert_eq!(h.info().eff_mss, 1460, "RFC 5927 4.1");
}

#[test]
fn port_unreachable_refuses_a_connection_attempt() {
    use crate::transport::TransportIcmpError;
    let (mut h, syn) = syn_sent();
    let q = quote(L_PORT, R_PORT, syn.seq);
    h.tcp
        .handle_icmp_error(h.now, TransportIcmpError::Unreachable(3), &q);
    assert_eq!(h.state(), State::Closed);
    assert_eq!(h.tcp.error(h.s()), Some(ConnError::Refused));
}

#[test]
fn host_unreachable_is_a_soft_error() {
    use crate::transport::TransportIcmpError;
    let (mut h, syn) = syn_sent();
    let q = quote(L_PORT, R_PORT, syn.seq);
    h.tcp
        .handle_icmp_error(h.now, TransportIcmpError::Unreachable(1), &q);
    assert_eq!(h.state(), State::SynSent);
}

// ===================== Robustness =====================

/// Random segments near the windows, in every state the harness reaches:
/// nothing panics, and the connection's invariants hold.
#[test]
fn random_segments_never_break_invariants() {
    use crate::softwire::SplitMix64;
    for seed in 0..40u64 {
        let mut rng = SplitMix64::new(seed);
        let mut h = match seed % 4 {
            0 => established(),
            1 => fin_wait_1(),
            2 => close_wait(),
            _ => established_with(
                TcpConfig {
                    timestamps: true,
                    window_scaling: true,
                    ..test_config()
                },
                Seg::new(R_ISS).syn().mss(1000).ws(3).sack_perm().ts(10, 0),
            ),
        };
        let s = h.s();
        let _ = h.tcp.send(s, h.now, &[5u8; 3000]);
        for _ in 0..400 {
            let us = h.us();
            let near = |rng: &mut SplitMix64, base: u32| {
                base.wrapping_add(rng.below(20_000) as u32)
                    .wrapping_sub(10_000)
            };
            let mut seg = Seg::new(near(&mut rng, R_ISS + 1)).win(rng.below(65536) as u16);
            if rng.chance(900_000) {
                seg = seg.ack(near(&mut rng, us));
            }
            seg.syn = rng.chance(50_000);
            seg.fin = rng.chance(50_000);
            seg.rst = rng.chance(30_000);
            if rng.chance(500_000) {
                seg.data = vec![1u8; rng.below(1500) as usize];
            }
            if rng.chance(300_000) {
                let l = near(&mut rng, us);
                seg.sack = vec![(l, l.wrapping_add(rng.below(5000) as u32))];
            }
            if rng.chance(300_000) {
                seg.ts = Some((rng.next_u64() as u32, rng.next_u64() as u32));
            }
            send!(h, seg);
            h.advance(Duration::from_millis(rng.below(300)));
            for out in recv!(h) {
                assert!(out.data.len() <= 1460, "seed {seed}: segment over the MSS");
            }
            if let Some(i) = h.tcp.conn_info(s) {
                assert!(i.snd_una <= i.snd_nxt, "seed {seed}: {i:?}");
                assert!(i.cwnd >= 1, "seed {seed}");
            }
            let _ = h.tcp.recv(s, h.now, &mut [0u8; 4096]);
        }
        // The segments were processed, not dropped before TCP.
        assert!(h.tcp.stats().segments_received >= 400, "seed {seed}");
    }
}

// ===================== SYN flood and more state rules =====================

#[test]
fn syn_flood_fills_queue_until_half_open_connections_time_out() {
    let mut h = H::new(TcpConfig {
        syn_retries: 2,
        ..test_config()
    });
    let l = h.tcp.socket();
    h.tcp.bind(l, SocketAddrV4::new(L_IP, L_PORT)).unwrap();
    h.tcp.listen(l, 2).unwrap();
    // Two spoofed SYNs that never complete.
    for p in 0..2 {
        send!(h, Seg::new(R_ISS).syn().ports(20_000 + p, L_PORT));
    }
    assert_eq!(recv!(h).len(), 2);
    // A legitimate client is dropped while the SYN queue is full.
    send!(h, Seg::new(R_ISS).syn());
    recv!(h, nothing);
    // SYN-ACKs are retransmitted at 1 s and 3 s; at 7 s the half-open
    // connections are given up and the queue has room again.
    let mut retransmitted = 0;
    for _ in 0..7 {
        h.advance(Duration::from_secs(1));
        retransmitted += recv!(h).len();
    }
    assert_eq!(retransmitted, 4);
    send!(h, Seg::new(R_ISS).syn());
    let sa = recv!(h, one);
    assert!(sa.syn);
    assert_eq!(h.tcp.stats().syn_dropped, 1);
}

#[test]
fn rst_in_active_syn_received_refuses() {
    let (mut h, _) = syn_sent();
    send!(h, Seg::new(R_ISS).syn());
    let _ = recv!(h);
    assert_eq!(h.state(), State::SynReceived);
    send!(h, Seg::new(R_ISS + 1).rst());
    assert_eq!(h.state(), State::Closed);
    assert_eq!(h.tcp.error(h.s()), Some(ConnError::Refused));
}

#[test]
fn listener_bound_to_an_address_ignores_others() {
    let mut h = H::new(test_config());
    let l = h.tcp.socket();
    h.tcp
        .bind(l, SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 9), L_PORT))
        .unwrap();
    h.tcp.listen(l, 4).unwrap();
    // To 10.0.0.1: no listener there, so CLOSED answers with RST.
    send!(h, Seg::new(R_ISS).syn());
    assert!(recv!(h, one).rst);
}

#[test]
fn listen_requires_bind() {
    let mut tcp = TcpLayer::new(test_config());
    let s = tcp.socket();
    assert_eq!(tcp.listen(s, 4), Err(ListenError::NotBound));
    assert_eq!(tcp.accept(s), Err(AcceptError::NotListening));
}

#[test]
fn urgent_flag_is_ignored_data_still_delivered() {
    let mut h = established();
    let mut b = Seg::new(R_ISS + 1).ack(h.us()).data(b"urgent").to_bytes();
    b[13] |= 0x20; // URG
    b[19] = 1; // urgent pointer
    let s = h.s();
    h.tcp.input_segment(h.now, R_IP, L_IP, &b, PacketId(0));
    let _ = recv!(h);
    let mut buf = [0u8; 16];
    assert_eq!(h.tcp.recv(s, h.now, &mut buf), Ok(6), "RFC 6093: in-band");
}

#[test]
fn readiness_of_a_pending_connect() {
    let (h, _) = syn_sent();
    let r = h.tcp.readiness(h.s());
    assert_eq!(r, Readiness::default(), "neither readable nor writable yet");
}

#[test]
fn data_in_fin_wait_1_is_accepted() {
    let mut h = fin_wait_1();
    send!(h, Seg::new(R_ISS + 1).ack(h.us()).data(b"late data"));
    assert_eq!(recv!(h, one).ack, Some(R_ISS + 10));
    assert_eq!(h.read_all(), b"late data");
    assert_eq!(h.state(), State::FinWait1);
}

#[test]
fn data_in_close_wait_is_ignored() {
    let mut h = close_wait();
    // Data beyond the peer's FIN cannot be valid.
    send!(h, Seg::new(R_ISS + 2).ack(h.us()).data(b"after fin"));
    let _ = recv!(h);
    let s = h.s();
    let mut buf = [0u8; 16];
    assert_eq!(h.tcp.recv(s, h.now, &mut buf), Ok(0));
}
