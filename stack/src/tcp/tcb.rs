//! The transmission control block (RFC 9293 3.3.1) and the segment
//! arrival and output logic of one connection.

use std::collections::VecDeque;
use std::net::SocketAddrV4;

use super::buffer::{RecvBuffer, SendBuffer};
use super::congestion::Congestion;
use super::{ConnError, TcpConfig, TcpStats, journey};
use crate::buf::{PacketBuf, PacketId};
use crate::time::{Duration, Instant};
use crate::transport::{TX_HEADROOM, TransportTx};
use crate::wire::tcp::{SeqNumber, TcpFlags, TcpPacket, TcpRepr};

/// RFC 9293 3.3.2: the connection states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

impl State {
    /// States after the handshake in which our side still sends data.
    fn can_send_data(self) -> bool {
        matches!(self, State::Established | State::CloseWait)
    }
    /// States in which the peer's data is still accepted (RFC 9293
    /// 3.10.7.4, seventh step).
    fn accepts_text(self) -> bool {
        matches!(self, State::Established | State::FinWait1 | State::FinWait2)
    }
}

/// Output context: the configuration and where segments go.
pub(crate) struct Ctx<'a> {
    pub cfg: &'a TcpConfig,
    pub out: &'a mut VecDeque<TransportTx>,
    pub next_id: &'a mut u64,
    pub stats: &'a mut TcpStats,
}

impl Ctx<'_> {
    pub fn fresh_id(&mut self) -> PacketId {
        let id = PacketId(*self.next_id);
        *self.next_id += 1;
        id
    }
}

/// What an arriving segment did to the connection, for the socket layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    Nothing,
    /// SYN-RECEIVED -> ESTABLISHED on a passive open: ready for accept.
    Established,
    /// The connection reached CLOSED.
    Closed,
    /// A passive SYN-RECEIVED connection was reset: forget it silently
    /// (RFC 9293 3.10.7.4, "return to LISTEN").
    Dropped,
}

/// One transmitted segment on the retransmission scoreboard (RFC 6675 3).
#[derive(Debug, Clone)]
struct SentSeg {
    seq: SeqNumber,
    len: usize,
    fin: bool,
    sent_at: Instant,
    retransmitted: bool,
    sacked: bool,
    lost: bool,
}

impl SentSeg {
    fn seq_len(&self) -> usize {
        self.len + usize::from(self.fin)
    }
    fn end(&self) -> SeqNumber {
        self.seq + self.seq_len()
    }
}

/// Socket options a connection inherits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketOptions {
    /// TCP_NODELAY: disable Nagle's algorithm (RFC 9293 3.7.4).
    pub nodelay: bool,
    /// Keepalive probes (RFC 9293 3.8.4).
    pub keepalive: bool,
    pub send_buffer: usize,
    pub recv_buffer: usize,
}

pub(crate) struct Tcb {
    pub state: State,
    pub local: SocketAddrV4,
    pub remote: SocketAddrV4,
    /// Opened from a listener (RFC 9293 3.10.7.4 RST in SYN-RECEIVED).
    pub passive: bool,
    pub opts: SocketOptions,
    pub error: Option<ConnError>,
    /// The application closed the socket: the TCB lives on alone.
    pub orphan: bool,
    pub rd_shutdown: bool,

    iss: SeqNumber,
    irs: SeqNumber,
    snd_una: SeqNumber,
    snd_nxt: SeqNumber,
    /// Highest sequence number sent, probes included.
    snd_max: SeqNumber,
    snd_wnd: usize,
    snd_wl1: SeqNumber,
    snd_wl2: SeqNumber,
    max_snd_wnd: usize,
    rcv_nxt: SeqNumber,
    /// Right edge of the last advertised window.
    rcv_adv: SeqNumber,
    snd_wscale: u8,
    rcv_wscale: u8,
    /// MSS we advertise (RFC 9293 3.7.1).
    our_mss: usize,
    /// Data bytes per full segment (eff.snd.mss less option space).
    pub eff_mss: usize,
    /// Largest segment received, for delayed-ACK counting.
    rcv_mss: usize,
    ts_ok: bool,
    ts_recent: u32,
    last_ack_sent: SeqNumber,
    ts_offset: u32,
    sack_ok: bool,

    pub tx: SendBuffer,
    pub rx: RecvBuffer,
    rx_fin: Option<SeqNumber>,
    /// The application asked for FIN (close or shutdown write).
    fin_queued: bool,
    fin_sent: bool,

    sent: VecDeque<SentSeg>,
    srtt: Option<Duration>,
    rttvar: Duration,
    rto: Duration,
    backoff: u32,
    retries: u32,
    rto_deadline: Option<Instant>,
    pending_syn: bool,
    syn_retransmitted: bool,
    syn_sent_at: Instant,

    pub cc: Congestion,
    dupacks: u32,
    in_recovery: bool,
    recover: SeqNumber,
    /// Retransmit the first lost segment whatever the pipe says (RFC 5681
    /// 3.2 step 2, RFC 6582 3.2 step 4).
    force_rexmit: bool,

    ack_now: bool,
    delack_deadline: Option<Instant>,
    unacked_segs: u32,
    ack_cause: PacketId,

    persist_deadline: Option<Instant>,
    persist_backoff: u32,
    keep_deadline: Option<Instant>,
    keep_probes: u32,
    last_rx: Instant,
    last_tx: Instant,
    timewait_deadline: Option<Instant>,
    finwait2_deadline: Option<Instant>,
    challenge_window: Instant,
    challenge_count: u32,
    /// Receive-buffer auto-tuning: start of the measurement and the bytes
    /// received since.
    rcv_space_start: Instant,
    rcv_space_bytes: usize,
    /// Set when something may need transmitting.
    pub dirty: bool,
}

/// Window scale that lets `max_buffer` be advertised (RFC 7323 2.3).
fn wscale_for(max_buffer: usize) -> u8 {
    let mut s = 0u8;
    while s < 14 && (max_buffer >> s) > 0xffff {
        s += 1;
    }
    s
}

impl Tcb {
    fn blank(
        cfg: &TcpConfig,
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        iss: SeqNumber,
        ts_offset: u32,
        opts: SocketOptions,
    ) -> Tcb {
        let our_mss = usize::from(cfg.mss);
        Tcb {
            state: State::Closed,
            local,
            remote,
            passive: false,
            opts,
            error: None,
            orphan: false,
            rd_shutdown: false,
            iss,
            irs: SeqNumber(0),
            snd_una: iss,
            snd_nxt: iss + 1,
            snd_max: iss + 1,
            snd_wnd: 0,
            snd_wl1: SeqNumber(0),
            snd_wl2: iss,
            max_snd_wnd: 0,
            rcv_nxt: SeqNumber(0),
            rcv_adv: SeqNumber(0),
            snd_wscale: 0,
            rcv_wscale: if cfg.window_scaling {
                wscale_for(cfg.recv_buffer_max.max(opts.recv_buffer))
            } else {
                0
            },
            our_mss,
            eff_mss: 536,
            rcv_mss: 536,
            ts_ok: false,
            ts_recent: 0,
            last_ack_sent: SeqNumber(0),
            ts_offset,
            sack_ok: false,
            tx: SendBuffer::new(opts.send_buffer),
            rx: RecvBuffer::new(opts.recv_buffer),
            rx_fin: None,
            fin_queued: false,
            fin_sent: false,
            sent: VecDeque::new(),
            srtt: None,
            rttvar: Duration::ZERO,
            rto: cfg.rto_initial,
            backoff: 0,
            retries: 0,
            rto_deadline: None,
            pending_syn: true,
            syn_retransmitted: false,
            syn_sent_at: now,
            cc: Congestion::new(cfg.congestion, 536, cfg.initial_window_segments),
            dupacks: 0,
            in_recovery: false,
            // RFC 6582 3.2 step 1: recover starts at the ISS.
            recover: iss,
            force_rexmit: false,
            ack_now: false,
            delack_deadline: None,
            unacked_segs: 0,
            ack_cause: PacketId(0),
            persist_deadline: None,
            persist_backoff: 0,
            keep_deadline: None,
            keep_probes: 0,
            last_rx: now,
            last_tx: now,
            timewait_deadline: None,
            finwait2_deadline: None,
            challenge_window: now,
            challenge_count: 0,
            rcv_space_start: now,
            rcv_space_bytes: 0,
            dirty: true,
        }
    }

    /// Active open (RFC 9293 3.10.1): SYN-SENT, the SYN goes out at the next
    /// dispatch.
    #[allow(clippy::too_many_arguments)]
    pub fn connect(
        cfg: &TcpConfig,
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        iss: SeqNumber,
        ts_offset: u32,
        opts: SocketOptions,
    ) -> Tcb {
        let mut t = Tcb::blank(cfg, now, local, remote, iss, ts_offset, opts);
        t.state = State::SynSent;
        t
    }

    /// Passive open on a SYN arriving at a listener (RFC 9293 3.10.7.2):
    /// SYN-RECEIVED, the SYN-ACK goes out at the next dispatch.
    #[allow(clippy::too_many_arguments)]
    pub fn accept_syn(
        cfg: &TcpConfig,
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        iss: SeqNumber,
        ts_offset: u32,
        opts: SocketOptions,
        syn: &TcpRepr<'_>,
    ) -> Tcb {
        let mut t = Tcb::blank(cfg, now, local, remote, iss, ts_offset, opts);
        t.state = State::SynReceived;
        t.passive = true;
        t.irs = syn.seq_number;
        t.rcv_nxt = syn.seq_number + 1;
        t.apply_syn_options(cfg, syn);
        // RFC 7323 2.2: the window in a SYN is never scaled.
        t.snd_wnd = usize::from(syn.window_len);
        t.max_snd_wnd = t.snd_wnd;
        t.snd_wl1 = syn.seq_number;
        t
    }

    /// Negotiate options from the peer's SYN (RFC 9293 3.7.1, RFC 7323
    /// 1.3 and 2.2, RFC 2018 2).
    fn apply_syn_options(&mut self, cfg: &TcpConfig, syn: &TcpRepr<'_>) {
        // RFC 9293 3.7.1: without the option the peer's MSS is 536.
        let peer_mss = usize::from(syn.max_seg_size.unwrap_or(536)).max(64);
        match syn.window_scale {
            Some(ws) if cfg.window_scaling => self.snd_wscale = ws,
            _ => {
                self.snd_wscale = 0;
                self.rcv_wscale = 0;
            }
        }
        self.sack_ok = cfg.sack && syn.sack_permitted;
        self.ts_ok = cfg.timestamps && syn.timestamp.is_some();
        if let Some((tsval, _)) = syn.timestamp {
            self.ts_recent = tsval;
        }
        // RFC 9293 3.7.1 eff.snd.mss, less the timestamp option (RFC 7323
        // appendix A: 12 bytes in every segment).
        let opt = if self.ts_ok { 12 } else { 0 };
        self.eff_mss = peer_mss.min(self.our_mss) - opt;
        self.rcv_mss = self.eff_mss;
        self.cc = Congestion::new(cfg.congestion, self.eff_mss, cfg.initial_window_segments);
    }

    // ---- application side ----

    pub fn send(&mut self, bytes: &[u8], id: PacketId) -> usize {
        self.dirty = true;
        self.tx.append(bytes, id)
    }

    /// Read into `dst`; the ids of the writes the bytes came from are
    /// appended to `ids`.
    pub fn recv(&mut self, dst: &mut [u8], ids: &mut Vec<PacketId>) -> usize {
        let before = self.rx.window();
        let r = self.rx.read_into(dst, ids);
        // RFC 9293 3.8.6.2.2: the window reopens as the application reads;
        // tell the peer once the increase is worth a segment.
        let after = self.rx.window();
        let edge_space = self.rcv_adv.since(self.rcv_nxt);
        if after > before && after.saturating_sub(edge_space) >= self.sws_threshold() {
            self.dirty = true;
        }
        r
    }

    /// RFC 9293 3.8.6.2.2: advance the right edge by at least
    /// min(buffer / 2, MSS).
    fn sws_threshold(&self) -> usize {
        (self.rx.capacity() / 2).min(self.our_mss).max(1)
    }

    /// Whether the receive window has reopened enough since the last
    /// advertisement to warrant a window update.
    fn window_update_due(&self) -> bool {
        let edge_space = self.rcv_adv.since(self.rcv_nxt);
        let space = self.rx.window();
        space > edge_space
            && (space - edge_space) >= self.sws_threshold()
            && edge_space < self.rx.capacity() / 2
    }

    /// shutdown(SHUT_WR) / the FIN part of close (RFC 9293 3.10.4).
    pub fn shutdown_write(&mut self) {
        match self.state {
            State::SynSent => self.state = State::Closed,
            State::SynReceived | State::Established => {
                self.fin_queued = true;
                self.state = State::FinWait1;
            }
            State::CloseWait => {
                self.fin_queued = true;
                self.state = State::LastAck;
            }
            _ => {}
        }
        self.dirty = true;
    }

    /// An ICMP error quoting our segment with sequence number `seq`.
    pub fn icmp_error(&mut self, error: crate::transport::TransportIcmpError, seq: SeqNumber) {
        use crate::transport::TransportIcmpError as E;
        // RFC 5927 4.1: act only if the quoted segment may be in flight.
        let in_flight = seq >= self.snd_una && seq < self.snd_max;
        let our_syn = self.state == State::SynSent && seq == self.iss;
        if !(in_flight || our_syn) {
            return;
        }
        match error {
            E::FragNeeded { mtu } => {
                // RFC 1191 6.2 (and RFC 9293 3.7.1): a smaller MSS, and the
                // too large segments in flight were dropped: send them
                // again in pieces that fit.
                let opts = if self.ts_ok { 12 } else { 0 };
                let mss = usize::from(mtu).saturating_sub(40 + opts).max(64);
                if mss >= self.eff_mss {
                    return;
                }
                self.eff_mss = mss;
                self.cc.set_mss(mss);
                let old = std::mem::take(&mut self.sent);
                for seg in old {
                    if seg.len <= mss {
                        self.sent.push_back(seg);
                        continue;
                    }
                    let mut off = 0;
                    while off < seg.len {
                        let n = (seg.len - off).min(mss);
                        self.sent.push_back(SentSeg {
                            seq: seg.seq + off,
                            len: n,
                            fin: seg.fin && off + n == seg.len,
                            lost: !seg.sacked,
                            retransmitted: false,
                            ..seg.clone()
                        });
                        off += n;
                    }
                }
                self.force_rexmit = true;
                self.dirty = true;
            }
            // RFC 1122 4.2.3.9: protocol and port unreachable are hard
            // errors; Linux, like us, only aborts a connection attempt.
            E::Unreachable(2 | 3) if self.state == State::SynSent => self.fail(ConnError::Refused),
            // Soft errors: the retransmission timer decides.
            E::Unreachable(_) | E::TimeExceeded => {}
        }
    }

    /// RFC 1122 4.2.2.13 (and RFC 6191 with timestamps): a new SYN may
    /// reopen a connection in TIME-WAIT when its sequence number is above
    /// everything the old incarnation used (or, with timestamps, its TSval
    /// is newer).
    pub fn syn_reopens_time_wait(&self, seg: &TcpRepr<'_>) -> bool {
        if self.state != State::TimeWait
            || !seg.flags.syn
            || seg.flags.rst
            || seg.ack_number.is_some()
        {
            return false;
        }
        match (self.ts_ok, seg.timestamp) {
            (true, Some((tsval, _))) => (tsval.wrapping_sub(self.ts_recent) as i32) > 0,
            _ => seg.seq_number > self.rcv_nxt,
        }
    }

    /// The application closed the socket: the TCB finishes alone. An
    /// orphan in FIN-WAIT-2 waits at most `fin_wait2_timeout` for the
    /// peer's FIN.
    pub fn set_orphan(&mut self, now: Instant, cfg: &TcpConfig) {
        self.orphan = true;
        self.dirty = true;
        if self.state == State::FinWait2 && self.finwait2_deadline.is_none() {
            self.finwait2_deadline = Some(now + cfg.fin_wait2_timeout);
        }
    }

    pub fn fin_queued(&self) -> bool {
        self.fin_queued
    }

    /// The peer's FIN has been received and consumed: end of stream.
    pub fn peer_finished(&self) -> bool {
        matches!(
            self.state,
            State::CloseWait | State::LastAck | State::Closing | State::TimeWait | State::Closed
        ) && self.error.is_none()
    }

    pub fn unread(&self) -> usize {
        self.rx.len()
    }

    /// Abort (RFC 9293 3.10.5): send <SEQ=SND.NXT><CTL=RST> in synchronized
    /// states and go to CLOSED.
    pub fn abort(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        if matches!(
            self.state,
            State::SynReceived
                | State::Established
                | State::FinWait1
                | State::FinWait2
                | State::CloseWait
        ) {
            let mut r = TcpRepr::new(self.local.port(), self.remote.port(), self.snd_nxt);
            r.flags.rst = true;
            let id = ctx.fresh_id();
            push_segment(now, ctx, *self.local.ip(), *self.remote.ip(), &r, id);
        }
        self.enter_closed();
    }

    /// Drop the TCB without sending anything.
    pub fn force_closed(&mut self) {
        self.enter_closed();
    }

    fn enter_closed(&mut self) {
        self.state = State::Closed;
        self.sent.clear();
        self.rto_deadline = None;
        self.delack_deadline = None;
        self.persist_deadline = None;
        self.keep_deadline = None;
        self.timewait_deadline = None;
        self.finwait2_deadline = None;
    }

    fn fail(&mut self, err: ConnError) {
        self.error = Some(err);
        self.enter_closed();
    }

    // ---- timers ----

    pub fn poll_at(&self, now: Instant) -> Option<Instant> {
        if self.dirty || self.ack_now {
            return Some(now);
        }
        [
            self.rto_deadline,
            self.delack_deadline,
            self.persist_deadline,
            self.keep_deadline,
            self.timewait_deadline,
            self.finwait2_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Run expired timers.
    pub fn on_timers(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        if self.timewait_deadline.is_some_and(|d| d <= now)
            || self.finwait2_deadline.is_some_and(|d| d <= now)
        {
            self.enter_closed();
            return;
        }
        if self.delack_deadline.is_some_and(|d| d <= now) {
            self.delack_deadline = None;
            self.ack_now = true;
        }
        if self.rto_deadline.is_some_and(|d| d <= now) {
            self.rto_deadline = None;
            self.on_rto(now, ctx);
        }
        if self.persist_deadline.is_some_and(|d| d <= now) {
            self.persist_deadline = None;
            self.on_persist(now, ctx);
        }
        if self.keep_deadline.is_some_and(|d| d <= now) {
            self.keep_deadline = None;
            self.on_keepalive(now, ctx);
        }
    }

    fn current_rto(&self, cfg: &TcpConfig) -> Duration {
        // RFC 6298 5.5: back off by doubling; 2.5: a maximum of at least
        // 60 s may be placed on the RTO.
        let k = 1u64 << self.backoff.min(16);
        Duration::from_nanos(self.rto.as_nanos().saturating_mul(k)).min(cfg.rto_max)
    }

    fn arm_rto(&mut self, now: Instant, cfg: &TcpConfig) {
        self.rto_deadline = Some(now + self.current_rto(cfg));
    }

    /// RFC 6298 2.2 and 2.3.
    fn rtt_sample(&mut self, r: Duration, cfg: &TcpConfig) {
        let r_ns = r.as_nanos();
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = Duration::from_nanos(r_ns / 2);
            }
            Some(srtt) => {
                let s = srtt.as_nanos();
                let dev = s.abs_diff(r_ns);
                self.rttvar = Duration::from_nanos((3 * self.rttvar.as_nanos() + dev) / 4);
                self.srtt = Some(Duration::from_nanos((7 * s + r_ns) / 8));
            }
        }
        let srtt = self.srtt.unwrap_or(r);
        // RFC 6298 2.3: RTO = SRTT + max(G, 4 * RTTVAR); G is 1 ns here.
        let rto = srtt + Duration::from_nanos((4 * self.rttvar.as_nanos()).max(1));
        // RFC 6298 2.4: rounded up to the minimum.
        self.rto = rto.max(cfg.rto_min).min(cfg.rto_max);
        // Karn (RFC 6298 5.7 and 3): a valid sample ends the backoff.
        self.backoff = 0;
    }

    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    pub fn rto(&self) -> Duration {
        self.rto
    }

    fn on_rto(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        ctx.stats.timeouts += 1;
        match self.state {
            State::SynSent | State::SynReceived => {
                self.retries += 1;
                if self.retries > ctx.cfg.syn_retries {
                    self.fail(ConnError::TimedOut);
                    return;
                }
                self.backoff += 1;
                self.pending_syn = true;
                self.syn_retransmitted = true;
                self.dirty = true;
            }
            _ => {
                if self.sent.is_empty() {
                    return;
                }
                self.retries += 1;
                if self.retries > ctx.cfg.max_retries {
                    // RFC 9293 3.8.3 R2: give up on the connection.
                    self.fail(ConnError::TimedOut);
                    return;
                }
                let flight = self.snd_max.since(self.snd_una);
                self.cc.on_rto(flight, self.backoff == 0);
                // RFC 2018 8: forget SACK information after a timeout, and
                // retransmit from SND.UNA (RFC 5681 3.1, RFC 6675 5.1).
                for s in self.sent.iter_mut() {
                    s.lost = true;
                    s.retransmitted = false;
                    s.sacked = false;
                }
                self.in_recovery = false;
                self.dupacks = 0;
                // RFC 6582 4: after a timeout, recover = highest sent.
                self.recover = self.snd_max;
                self.backoff += 1;
                self.dirty = true;
            }
        }
        self.arm_rto(now, ctx.cfg);
    }

    fn on_persist(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        if !self.state.can_send_data() && !self.fin_queued {
            return;
        }
        let off = self.snd_nxt.since(self.snd_una);
        if off >= self.tx.len() || !self.sent.is_empty() {
            return;
        }
        ctx.stats.window_probes += 1;
        let usable = (self.snd_una + self.snd_wnd).since(self.snd_nxt);
        if usable == 0 {
            // RFC 9293 3.8.6.1: probe a zero window with one octet beyond
            // it. The octet is not recorded as sent: if accepted, the ACK
            // covers it (accepted up to SND.MAX).
            let id = self.tx.id_at(off);
            let seq = self.snd_nxt;
            self.emit(now, ctx, seq, TcpFlags::default(), Some((off, 1)), id);
            self.snd_max = self.snd_max.max(seq + 1);
        } else {
            // RFC 9293 3.8.6.2.1: the override timeout of sender SWS
            // avoidance; send what the window allows.
            let len = usable.min(self.eff_mss).min(self.tx.len() - off);
            self.send_new(now, ctx, len, false);
        }
        self.persist_backoff += 1;
        self.arm_persist(now, ctx.cfg);
    }

    fn arm_persist(&mut self, now: Instant, cfg: &TcpConfig) {
        let k = 1u64 << self.persist_backoff.min(16);
        let d = Duration::from_nanos(self.rto.as_nanos().saturating_mul(k)).min(cfg.rto_max);
        self.persist_deadline = Some(now + d);
    }

    fn on_keepalive(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        if !self.opts.keepalive || !matches!(self.state, State::Established | State::CloseWait) {
            return;
        }
        let cfg = ctx.cfg;
        if now.saturating_since(self.last_rx) < cfg.keepalive_idle {
            self.keep_deadline = Some(self.last_rx + cfg.keepalive_idle);
            return;
        }
        if self.keep_probes >= cfg.keepalive_count {
            self.fail(ConnError::TimedOut);
            return;
        }
        if self.sent.is_empty() {
            // RFC 9293 3.8.4 / RFC 1122 4.2.3.6: SEG.SEQ = SND.NXT - 1, no
            // data, so that the peer must answer with an ACK.
            let id = ctx.fresh_id();
            let seq = self.snd_nxt - 1;
            self.emit(now, ctx, seq, TcpFlags::default(), None, id);
            ctx.stats.keepalive_probes += 1;
        }
        self.keep_probes += 1;
        self.keep_deadline = Some(now + cfg.keepalive_interval);
    }

    fn arm_keepalive(&mut self, cfg: &TcpConfig) {
        if self.opts.keepalive && matches!(self.state, State::Established | State::CloseWait) {
            self.keep_deadline = Some(self.last_rx + cfg.keepalive_idle);
        }
    }

    pub fn set_keepalive(&mut self, on: bool, cfg: &TcpConfig) {
        self.opts.keepalive = on;
        if on {
            self.arm_keepalive(cfg);
        } else {
            self.keep_deadline = None;
        }
    }

    fn challenge_ack(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        // RFC 5961 7: limit the rate of challenge ACKs (per connection
        // here, `challenge_ack_limit` per second).
        if now.saturating_since(self.challenge_window) >= Duration::from_secs(1) {
            self.challenge_window = now;
            self.challenge_count = 0;
        }
        if self.challenge_count < ctx.cfg.challenge_ack_limit {
            self.challenge_count += 1;
            ctx.stats.challenge_acks += 1;
            self.ack_now = true;
        }
    }

    // ---- segment arrival (RFC 9293 3.10.7) ----

    pub fn input(
        &mut self,
        now: Instant,
        seg: &TcpRepr<'_>,
        id: PacketId,
        ctx: &mut Ctx<'_>,
        accept_room: bool,
    ) -> Event {
        self.dirty = true;
        match self.state {
            State::Closed | State::Listen => Event::Nothing,
            State::SynSent => self.input_syn_sent(now, seg, id, ctx),
            _ => self.input_synchronized(now, seg, id, ctx, accept_room),
        }
    }

    /// RFC 9293 3.10.7.3.
    fn input_syn_sent(
        &mut self,
        now: Instant,
        seg: &TcpRepr<'_>,
        id: PacketId,
        ctx: &mut Ctx<'_>,
    ) -> Event {
        let cfg = ctx.cfg;
        if let Some(ack) = seg.ack_number {
            // First: ACK must be in (ISS, SND.NXT].
            if ack <= self.iss || ack > self.snd_nxt {
                if !seg.flags.rst {
                    send_reset_for(now, ctx, *self.local.ip(), *self.remote.ip(), seg);
                }
                return Event::Nothing;
            }
        }
        if seg.flags.rst {
            // Second: RST with an acceptable ACK refuses the connection
            // (RFC 5961 3.2 keeps this rule for SYN-SENT); without ACK drop.
            if seg.ack_number.is_some() {
                self.fail(ConnError::Refused);
                return Event::Closed;
            }
            return Event::Nothing;
        }
        if !seg.flags.syn {
            return Event::Nothing;
        }
        // Fourth: SYN.
        self.irs = seg.seq_number;
        self.rcv_nxt = seg.seq_number + 1;
        // Our SYN advertised a window before RCV.NXT was known.
        self.rcv_adv = self.rcv_nxt;
        self.last_rx = now;
        self.apply_syn_options(cfg, seg);
        self.ack_cause = id;
        match seg.ack_number {
            Some(ack) => {
                self.establish(now, cfg, seg, ack);
                self.ack_now = true;
                // Data or FIN carried on the SYN-ACK (sixth step onwards).
                let mut rest = *seg;
                rest.flags.syn = false;
                rest.seq_number = seg.seq_number + 1;
                self.process_text(now, &rest, id, ctx);
                Event::Established
            }
            None => {
                // Simultaneous open: SYN-RECEIVED, send SYN,ACK with our
                // ISS (RFC 9293 3.5 figure 8).
                self.state = State::SynReceived;
                self.snd_wnd = usize::from(seg.window_len);
                self.max_snd_wnd = self.snd_wnd;
                self.snd_wl1 = seg.seq_number;
                self.pending_syn = true;
                Event::Nothing
            }
        }
    }

    /// Our SYN is acknowledged by `ack` (RFC 9293 3.10.7.3 and 3.10.7.4):
    /// ESTABLISHED, or FIN-WAIT-1 when the application closed first.
    fn establish(&mut self, now: Instant, cfg: &TcpConfig, seg: &TcpRepr<'_>, ack: SeqNumber) {
        if self.syn_retransmitted {
            // RFC 6298 5.7: after a SYN timeout, data starts with an RTO
            // of at least 3 s.
            self.rto = self.rto.max(Duration::from_secs(3)).min(cfg.rto_max);
        } else {
            // Karn: only a SYN sent once gives a sample.
            self.rtt_sample(now.saturating_since(self.syn_sent_at), cfg);
        }
        self.state = if self.fin_queued {
            State::FinWait1
        } else {
            State::Established
        };
        self.snd_una = ack;
        self.retries = 0;
        self.backoff = 0;
        self.rto_deadline = None;
        // RFC 7323 2.2: the window of a SYN segment is never scaled.
        let shift = if seg.flags.syn { 0 } else { self.snd_wscale };
        self.snd_wnd = usize::from(seg.window_len) << shift;
        self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
        self.snd_wl1 = seg.seq_number;
        self.snd_wl2 = ack;
        self.last_rx = now;
        self.arm_keepalive(cfg);
    }

    /// The receive window used in the acceptability test: RCV.WND.
    fn rcv_wnd(&self) -> usize {
        self.rx.window().max(self.rcv_adv.since(self.rcv_nxt))
    }

    /// RFC 9293 3.10.7.4 first step, the acceptability table.
    fn acceptable(&self, seq: SeqNumber, seg_len: usize) -> bool {
        let wnd = self.rcv_wnd();
        let edge = self.rcv_nxt + wnd;
        match (seg_len, wnd) {
            (0, 0) => seq == self.rcv_nxt,
            (0, _) => seq.in_range(self.rcv_nxt, edge),
            (_, 0) => false,
            (_, _) => {
                seq.in_range(self.rcv_nxt, edge)
                    || (seq + (seg_len - 1)).in_range(self.rcv_nxt, edge)
            }
        }
    }

    fn input_synchronized(
        &mut self,
        now: Instant,
        seg: &TcpRepr<'_>,
        id: PacketId,
        ctx: &mut Ctx<'_>,
        accept_room: bool,
    ) -> Event {
        let cfg = ctx.cfg;
        let seg_len = seg.segment_len();
        // Simultaneous open (RFC 9293 3.5 figure 8): the peer's SYN,ACK
        // crosses ours and acknowledges our SYN. Its SYN is already
        // acknowledged, so the sequence test and RFC 5961 4.2 would reject
        // it; accept it as the completing ACK, as Linux does.
        if self.state == State::SynReceived
            && !self.passive
            && seg.flags.syn
            && !seg.flags.rst
            && seg.seq_number + 1 == self.rcv_nxt
            && seg.ack_number == Some(self.snd_nxt)
        {
            self.establish(now, cfg, seg, self.snd_nxt);
            return Event::Established;
        }
        // RFC 7323 5.3 PAWS, before the sequence check.
        if self.ts_ok && !seg.flags.rst {
            if let Some((tsval, _)) = seg.timestamp {
                if (tsval.wrapping_sub(self.ts_recent) as i32) < 0 {
                    ctx.stats.paws_drops += 1;
                    self.ack_now = true;
                    return Event::Nothing;
                }
            }
        }
        // First: sequence number.
        if !self.acceptable(seg.seq_number, seg_len) {
            if !seg.flags.rst {
                // RFC 9293 3.10.7.4: send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
                self.ack_now = true;
                self.ack_cause = id;
                if self.state == State::TimeWait && seg.flags.fin {
                    // A retransmitted FIN restarts the 2 MSL timeout.
                    self.timewait_deadline = Some(now + cfg.msl.saturating_mul(2));
                }
            }
            ctx.stats.out_of_window += 1;
            return Event::Nothing;
        }
        self.last_rx = now;
        self.keep_probes = 0;
        self.arm_keepalive(cfg);
        // RFC 7323 4.3: remember the timestamp to echo.
        if self.ts_ok {
            if let Some((tsval, _)) = seg.timestamp {
                if seg.seq_number <= self.last_ack_sent
                    && (tsval.wrapping_sub(self.ts_recent) as i32) >= 0
                {
                    self.ts_recent = tsval;
                }
            }
        }
        // Second: RST (RFC 5961 3.2).
        if seg.flags.rst {
            if seg.seq_number != self.rcv_nxt {
                self.challenge_ack(now, ctx);
                return Event::Nothing;
            }
            ctx.stats.resets_received += 1;
            return match self.state {
                State::SynReceived if self.passive => {
                    self.enter_closed();
                    Event::Dropped
                }
                State::SynReceived => {
                    self.fail(ConnError::Refused);
                    Event::Closed
                }
                State::Established | State::FinWait1 | State::FinWait2 | State::CloseWait => {
                    self.fail(ConnError::Reset);
                    Event::Closed
                }
                _ => {
                    self.enter_closed();
                    Event::Closed
                }
            };
        }
        // Fourth: SYN in a synchronized state (RFC 5961 4.2): challenge ACK.
        if seg.flags.syn {
            if self.state == State::SynReceived
                && seg.seq_number == self.irs
                && seg.ack_number.is_none()
            {
                // A retransmitted SYN: repeat the SYN,ACK.
                self.pending_syn = true;
                return Event::Nothing;
            }
            self.challenge_ack(now, ctx);
            return Event::Nothing;
        }
        // Fifth: ACK.
        let Some(ack) = seg.ack_number else {
            return Event::Nothing;
        };
        let mut event = Event::Nothing;
        if self.state == State::SynReceived {
            if !(self.snd_una < ack && ack <= self.snd_nxt) {
                send_reset_for(now, ctx, *self.local.ip(), *self.remote.ip(), seg);
                return Event::Nothing;
            }
            if !accept_room {
                // The accept queue is full: ignore the ACK, so that the
                // peer retransmits (the SYN-ACK timer keeps running).
                ctx.stats.accept_overflows += 1;
                return Event::Nothing;
            }
            self.establish(now, cfg, seg, ack);
            event = Event::Established;
        }
        // RFC 5961 5.2: ACK outside [SND.UNA - MAX.SND.WND, SND.MAX] is
        // challenged (and a future ACK dropped, RFC 9293).
        let lower = self.snd_una - self.max_snd_wnd;
        if ack > self.snd_max || ack < lower {
            self.challenge_ack(now, ctx);
            return event;
        }
        self.process_ack(now, seg, ack, ctx);
        if self.state == State::Closed {
            return Event::Closed;
        }
        // Sixth/seventh/eighth: URG is ignored; text and FIN.
        if self.process_text(now, seg, id, ctx) == Event::Closed {
            return Event::Closed;
        }
        event
    }

    /// RFC 9293 3.10.7.4 fifth step for synchronized states, with RFC 6298
    /// RTT sampling, RFC 5681/6582 dupacks and NewReno, RFC 6675 SACK.
    fn process_ack(&mut self, now: Instant, seg: &TcpRepr<'_>, ack: SeqNumber, ctx: &mut Ctx<'_>) {
        let cfg = ctx.cfg;
        let wnd = usize::from(seg.window_len) << self.snd_wscale;
        let old_wnd = self.snd_wnd;
        if ack > self.snd_una {
            let acked_seq = ack.since(self.snd_una);
            let mut fin_acked = false;
            let mut sample = None;
            while let Some(front) = self.sent.front_mut() {
                if front.end() <= ack {
                    if !front.retransmitted {
                        // Karn (RFC 6298 3): never from a retransmission.
                        sample = Some(now.saturating_since(front.sent_at));
                    }
                    fin_acked |= front.fin;
                    self.sent.pop_front();
                } else {
                    if front.seq < ack {
                        let cut = ack.since(front.seq);
                        front.seq = ack;
                        front.len -= cut.min(front.len);
                    }
                    break;
                }
            }
            let data_acked = acked_seq - usize::from(fin_acked);
            self.tx.consume(data_acked);
            self.snd_una = ack;
            if self.snd_nxt < ack {
                self.snd_nxt = ack;
            }
            if let Some(r) = sample {
                self.rtt_sample(r, cfg);
            }
            self.retries = 0;
            self.persist_backoff = 0;
            // RFC 6298 5.2 and 5.3.
            if self.sent.is_empty() {
                self.rto_deadline = None;
            } else {
                self.arm_rto(now, cfg);
            }
            if self.in_recovery {
                if ack >= self.recover {
                    // RFC 6582 3.2 step 3: full acknowledgment.
                    self.in_recovery = false;
                    self.dupacks = 0;
                    let flight = self.snd_max.since(self.snd_una);
                    self.cc.on_recovery_exit(flight);
                } else {
                    // RFC 6582 3.2 step 4: partial acknowledgment:
                    // retransmit the first unacknowledged segment.
                    if let Some(f) = self.sent.front_mut() {
                        if !f.sacked {
                            f.lost = true;
                            f.retransmitted = false;
                            self.force_rexmit = true;
                        }
                    }
                    self.dupacks = 0;
                }
            } else {
                self.dupacks = 0;
                let srtt = self.srtt.unwrap_or(self.rto);
                self.cc.on_ack(now, data_acked, srtt);
            }
            self.dirty = true;
        } else if ack == self.snd_una
            && seg.payload.is_empty()
            && !seg.flags.syn
            && !seg.flags.fin
            && wnd == old_wnd
            && !self.sent.is_empty()
        {
            // RFC 5681 2: a duplicate acknowledgment.
            self.dupacks += 1;
            self.dirty = true;
        }
        // Window update (RFC 9293 3.10.7.4): SND.WL1 < SEG.SEQ, or equal and
        // SND.WL2 =< SEG.ACK.
        if self.snd_wl1 < seg.seq_number || (self.snd_wl1 == seg.seq_number && self.snd_wl2 <= ack)
        {
            self.snd_wnd = wnd;
            self.snd_wl1 = seg.seq_number;
            self.snd_wl2 = ack;
            self.max_snd_wnd = self.max_snd_wnd.max(wnd);
            if wnd > 0 {
                self.persist_deadline = None;
            }
            if wnd > old_wnd {
                self.dirty = true;
            }
        }
        // RFC 2018 / RFC 6675: the scoreboard.
        if self.sack_ok && seg.sack_ranges[0].is_some() {
            for (l, r) in seg.sack_ranges.iter().flatten() {
                if *r <= self.snd_una || *r > self.snd_max {
                    continue; // D-SACK or bogus (RFC 2883): ignored
                }
                for s in self.sent.iter_mut() {
                    if s.seq >= *l && s.end() <= *r {
                        s.sacked = true;
                    }
                }
            }
            self.mark_lost_by_sack();
        }
        // Loss detection: RFC 5681 3.2 (three duplicate ACKs) or RFC 6675
        // 5 (the first segment is deemed lost by SACK), once per window
        // (RFC 6582 4.1: only if the ACK covers more than `recover`).
        if !self.in_recovery && !self.sent.is_empty() {
            let first_lost = self.sent.front().is_some_and(|f| f.lost);
            if (self.dupacks >= cfg.dupthresh || first_lost) && self.snd_una >= self.recover {
                self.enter_recovery(ctx);
            }
        }
        // State transitions on the acknowledgment of our FIN.
        let fin_acked = self.fin_sent && self.snd_una == self.snd_max;
        match self.state {
            State::FinWait1 if fin_acked => {
                self.state = State::FinWait2;
                if self.orphan {
                    self.finwait2_deadline = Some(now + cfg.fin_wait2_timeout);
                }
            }
            State::Closing if fin_acked => {
                self.enter_time_wait(now, cfg);
            }
            State::LastAck if fin_acked => {
                self.enter_closed();
            }
            _ => {}
        }
    }

    fn enter_recovery(&mut self, ctx: &mut Ctx<'_>) {
        ctx.stats.fast_retransmits += 1;
        self.in_recovery = true;
        self.recover = self.snd_max;
        let flight = self.snd_max.since(self.snd_una);
        self.cc.on_fast_retransmit(flight);
        if let Some(f) = self.sent.front_mut() {
            f.lost = true;
            f.retransmitted = false;
        }
        self.force_rexmit = true;
        self.dirty = true;
    }

    /// RFC 6675 4 IsLost(): a segment is lost when DupThresh SACKed
    /// segments, or more than (DupThresh - 1) * SMSS SACKed bytes, lie
    /// above it.
    fn mark_lost_by_sack(&mut self) {
        let mss = self.eff_mss;
        let mut count = 0u32;
        let mut bytes = 0usize;
        for s in self.sent.iter_mut().rev() {
            if s.sacked {
                count += 1;
                bytes += s.seq_len();
            } else if (count >= 3 || bytes > 2 * mss) && !s.lost {
                s.lost = true;
                s.retransmitted = false;
            }
        }
    }

    fn enter_time_wait(&mut self, now: Instant, cfg: &TcpConfig) {
        self.state = State::TimeWait;
        self.rto_deadline = None;
        self.persist_deadline = None;
        self.keep_deadline = None;
        self.finwait2_deadline = None;
        self.sent.clear();
        // RFC 9293 3.6: wait 2 MSL.
        self.timewait_deadline = Some(now + cfg.msl.saturating_mul(2));
    }

    /// Sixth to eighth steps: segment text and FIN.
    fn process_text(
        &mut self,
        now: Instant,
        seg: &TcpRepr<'_>,
        id: PacketId,
        ctx: &mut Ctx<'_>,
    ) -> Event {
        let cfg = ctx.cfg;
        let mut seq = seg.seq_number;
        let mut payload = seg.payload;
        let mut fin = seg.flags.fin;
        if payload.is_empty() && !fin {
            return Event::Nothing;
        }
        if !self.state.accepts_text() {
            if fin && matches!(self.state, State::TimeWait) {
                self.ack_now = true;
                self.timewait_deadline = Some(now + cfg.msl.saturating_mul(2));
            }
            // CLOSE-WAIT, CLOSING, LAST-ACK: the peer already sent FIN;
            // ignore text (RFC 9293 3.10.7.4 seventh step).
            if !payload.is_empty() {
                self.ack_now = true;
            }
            return Event::Nothing;
        }
        if self.orphan && !payload.is_empty() {
            // The application is gone: nobody can read this. Reset, as
            // RFC 9293 3.10.4 allows for data arriving after CLOSE (and
            // as RFC 2525 2.17 recommends).
            self.abort(now, ctx);
            self.error = Some(ConnError::Reset);
            return Event::Closed;
        }
        // Trim to RCV.NXT and to the window.
        if seq < self.rcv_nxt {
            let cut = self.rcv_nxt.since(seq);
            if cut > payload.len() {
                fin = false; // an old FIN
                payload = &[];
            } else {
                payload = &payload[cut..];
            }
            seq = self.rcv_nxt;
        }
        let wnd = self.rx.window();
        let off = seq.since(self.rcv_nxt);
        if off + payload.len() > wnd {
            let keep = wnd.saturating_sub(off);
            payload = &payload[..keep.min(payload.len())];
            fin = false;
        }
        let full_sized = seg.payload.len() >= self.rcv_mss;
        self.rcv_mss = self.rcv_mss.max(seg.payload.len());
        let mut immediate = false;
        if !payload.is_empty() {
            let at = self.rx.next_offset() + off as u64;
            let (added, out_of_order) =
                if self.rd_shutdown && off == 0 && !self.rx.has_out_of_order() {
                    // Read side shut: accept and discard (RFC 9293 3.10.4 does
                    // not define SHUT_RD; this follows the BSD behaviour).
                    (payload.len(), false)
                } else {
                    self.rx.insert(at, payload, id)
                };
            if self.rd_shutdown {
                self.rx.discard();
            }
            self.rcv_nxt += added;
            self.rcv_space_bytes += added;
            if added > 0 {
                journey(
                    &cfg.host,
                    "tcp",
                    "rx_queued",
                    id,
                    now,
                    seq.0,
                    self.rcv_nxt.0,
                    self.rx.window() as u32,
                    added,
                );
                self.autotune(now, cfg);
            }
            // RFC 5681 4.2: ACK out-of-order segments and hole fills at once.
            immediate |= out_of_order || off > 0;
            if off == 0 && !out_of_order {
                self.unacked_segs += u32::from(full_sized).max(1);
            }
        }
        if fin {
            self.rx_fin = Some(seq + payload.len());
        }
        if let Some(f) = self.rx_fin {
            if f == self.rcv_nxt {
                self.rx_fin = None;
                self.rcv_nxt += 1;
                immediate = true;
                self.receive_fin(now, cfg);
            }
        }
        self.ack_cause = id;
        if immediate || self.unacked_segs >= 2 || cfg.delayed_ack.as_nanos() == 0 {
            self.ack_now = true;
        } else if self.delack_deadline.is_none() {
            // RFC 9293 3.8.6.3: delay an ACK less than 0.5 s.
            self.delack_deadline = Some(now + cfg.delayed_ack);
        }
        Event::Nothing
    }

    /// RFC 9293 3.10.7.4 eighth step.
    fn receive_fin(&mut self, now: Instant, cfg: &TcpConfig) {
        match self.state {
            State::SynReceived | State::Established => self.state = State::CloseWait,
            State::FinWait1 => {
                if self.fin_sent && self.snd_una == self.snd_max {
                    self.enter_time_wait(now, cfg);
                } else {
                    self.state = State::Closing;
                }
            }
            State::FinWait2 => self.enter_time_wait(now, cfg),
            _ => {}
        }
    }

    /// Receive-buffer auto-tuning: when the peer delivered more than half
    /// the buffer within one RTT, the window limited it; double the buffer
    /// up to the configured maximum (in the manner of Linux's DRS).
    fn autotune(&mut self, now: Instant, cfg: &TcpConfig) {
        let Some(srtt) = self.srtt else { return };
        if now.saturating_since(self.rcv_space_start) < srtt {
            return;
        }
        let cap = self.rx.capacity();
        if self.rcv_space_bytes * 2 > cap && cap < cfg.recv_buffer_max {
            // Bounded by what the window scale can express.
            let limit = cfg.recv_buffer_max.min(0xffff << self.rcv_wscale);
            self.rx.set_capacity((cap * 2).min(limit));
        }
        self.rcv_space_start = now;
        self.rcv_space_bytes = 0;
    }

    // ---- output ----

    /// Window field for an outgoing segment, with receiver SWS avoidance
    /// (RFC 9293 3.8.6.2.2) and no shrinking of the right edge.
    fn window_field(&mut self, syn: bool) -> u16 {
        let space = self.rx.window();
        let edge_space = self.rcv_adv.since(self.rcv_nxt);
        let mut win = space;
        if win > edge_space && win - edge_space < self.sws_threshold() {
            win = edge_space;
        }
        win = win.max(edge_space);
        let shift = if syn { 0 } else { self.rcv_wscale };
        let field = (win >> shift).min(0xffff);
        let edge = self.rcv_nxt + (field << shift);
        if edge > self.rcv_adv {
            self.rcv_adv = edge;
        }
        field as u16
    }

    /// Build and queue one segment; `data` is (offset from SND.UNA, len)
    /// in the send buffer.
    fn emit(
        &mut self,
        now: Instant,
        ctx: &mut Ctx<'_>,
        seq: SeqNumber,
        flags: TcpFlags,
        data: Option<(usize, usize)>,
        id: PacketId,
    ) {
        let cfg = ctx.cfg;
        let mut r = TcpRepr::new(self.local.port(), self.remote.port(), seq);
        r.flags = flags;
        let syn = flags.syn;
        let synack = syn && self.state != State::SynSent;
        if self.state != State::SynSent || !syn {
            r.ack_number = Some(self.rcv_nxt);
        }
        r.window_len = self.window_field(syn);
        let ts_val = (now.as_millis() as u32).wrapping_add(self.ts_offset);
        if syn {
            // RFC 9293 3.7.1, RFC 7323 1.3, RFC 2018 2: offer, or answer
            // what the peer offered.
            r.max_seg_size = Some(self.our_mss.min(0xffff) as u16);
            if cfg.window_scaling && (!synack || self.snd_wscale != 0 || self.rcv_wscale != 0) {
                r.window_scale = Some(self.rcv_wscale);
            }
            if cfg.sack && (!synack || self.sack_ok) {
                r.sack_permitted = true;
            }
            if cfg.timestamps && (!synack || self.ts_ok) {
                r.timestamp = Some((ts_val, if synack { self.ts_recent } else { 0 }));
            }
        } else {
            if self.ts_ok {
                r.timestamp = Some((ts_val, self.ts_recent));
            }
            if self.sack_ok && self.rx.has_out_of_order() && !flags.rst {
                let base = self.rcv_nxt;
                let nxt = self.rx.next_offset();
                // A retransmission keeps its length: drop blocks that do not
                // fit (RFC 9293 3.7.1, options count against the MSS).
                let len = data.map_or(0, |d| d.1);
                let room = (self.eff_mss + if self.ts_ok { 12 } else { 0 })
                    .saturating_sub(len + r.options_len());
                let fit = room.saturating_sub(4) / 8;
                let max = fit.min(if self.ts_ok { 3 } else { 4 });
                for (slot, (l, h)) in r.sack_ranges.iter_mut().zip(self.rx.sack_blocks(max)) {
                    let (l, h) = (
                        l.saturating_sub(nxt) as usize,
                        h.saturating_sub(nxt) as usize,
                    );
                    *slot = Some((base + l, base + h));
                }
            }
        }
        let len = data.map_or(0, |d| d.1);
        let hl = r.header_len();
        let mut buf = PacketBuf::new(TX_HEADROOM + hl, len);
        if let Some((off, n)) = data {
            if let Ok(dst) = buf.put(n) {
                self.tx.copy_out(off, dst);
            }
        }
        let Ok(hdr) = buf.push(hl) else { return };
        r.emit(&mut TcpPacket::new_unchecked(hdr), false);
        let start = buf.data_offset() as u16;
        let meta = buf.meta_mut();
        meta.id = id;
        meta.timestamp = now;
        meta.transport_header = Some(start);
        if r.ack_number.is_some() {
            self.last_ack_sent = self.rcv_nxt;
            self.ack_now = false;
            self.delack_deadline = None;
            self.unacked_segs = 0;
            if self.ack_cause != PacketId(0) {
                journey(
                    &cfg.host,
                    "tcp",
                    "ack_caused",
                    self.ack_cause,
                    now,
                    seq.0,
                    self.rcv_nxt.0,
                    u32::from(r.window_len),
                    0,
                );
                self.ack_cause = PacketId(0);
            }
        }
        journey(
            &cfg.host,
            "tcp",
            "segment_built",
            id,
            now,
            seq.0,
            r.ack_number.map_or(0, |a| a.0),
            u32::from(r.window_len),
            len,
        );
        self.last_tx = now;
        ctx.stats.segments_sent += 1;
        ctx.out.push_back(TransportTx {
            src: *self.local.ip(),
            dst: *self.remote.ip(),
            segment: buf,
            checksum_offset: Some(16),
            dont_frag: true,
        });
    }

    /// Bytes the SACK option takes in our next segment.
    fn sack_option_len(&self) -> usize {
        if self.sack_ok && self.rx.has_out_of_order() {
            let max = if self.ts_ok { 3 } else { 4 };
            4 + 8 * self.rx.sack_blocks(max).len()
        } else {
            0
        }
    }

    /// RFC 6675 SetPipe(): octets believed to be in the network.
    fn pipe(&self) -> usize {
        let mut p = 0usize;
        for s in &self.sent {
            if !s.sacked && !s.lost {
                p += s.seq_len();
            }
            if s.retransmitted && !s.sacked {
                p += s.seq_len();
            }
        }
        if !self.sack_ok && self.in_recovery {
            // Without SACK each duplicate ACK stands for one segment that
            // left the network (RFC 5681 3.2 step 4 window inflation).
            p = p.saturating_sub(self.dupacks as usize * self.eff_mss);
        }
        p
    }

    /// Send `len` new bytes (and FIN if `fin`) at SND.NXT.
    fn send_new(&mut self, now: Instant, ctx: &mut Ctx<'_>, len: usize, fin: bool) {
        let off = self.snd_nxt.since(self.snd_una);
        let id = if len > 0 {
            self.tx.id_at(off)
        } else {
            ctx.fresh_id()
        };
        let flags = TcpFlags {
            fin,
            // Push when this segment empties the send buffer.
            psh: len > 0 && off + len == self.tx.len(),
            ..TcpFlags::default()
        };
        let seq = self.snd_nxt;
        self.emit(now, ctx, seq, flags, (len > 0).then_some((off, len)), id);
        self.sent.push_back(SentSeg {
            seq,
            len,
            fin,
            sent_at: now,
            retransmitted: false,
            sacked: false,
            lost: false,
        });
        self.snd_nxt += len + usize::from(fin);
        if fin {
            self.fin_sent = true;
        }
        self.snd_max = self.snd_max.max(self.snd_nxt);
        if self.rto_deadline.is_none() {
            self.arm_rto(now, ctx.cfg);
        }
    }

    fn retransmit(&mut self, now: Instant, ctx: &mut Ctx<'_>, i: usize) {
        let (seq, len, fin) = {
            let s = &self.sent[i];
            (s.seq, s.len, s.fin)
        };
        let off = seq.since(self.snd_una);
        let id = if len > 0 {
            self.tx.id_at(off)
        } else {
            ctx.fresh_id()
        };
        let flags = TcpFlags {
            fin,
            psh: len > 0,
            ..TcpFlags::default()
        };
        self.emit(now, ctx, seq, flags, (len > 0).then_some((off, len)), id);
        ctx.stats.retransmits += 1;
        let s = &mut self.sent[i];
        s.retransmitted = true;
        s.sent_at = now;
        if self.rto_deadline.is_none() {
            self.arm_rto(now, ctx.cfg);
        }
    }

    /// Transmit whatever the state, windows and timers allow.
    pub fn dispatch(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        self.dirty = false;
        match self.state {
            State::Closed | State::Listen | State::TimeWait => {
                if self.ack_now && self.state == State::TimeWait {
                    let id = ctx.fresh_id();
                    self.emit(now, ctx, self.snd_nxt, TcpFlags::default(), None, id);
                }
                self.ack_now = false;
                return;
            }
            State::SynSent | State::SynReceived => {
                let ack_now = std::mem::take(&mut self.ack_now);
                if self.pending_syn || (self.state == State::SynReceived && ack_now) {
                    self.pending_syn = false;
                    self.ack_now = false;
                    self.syn_sent_at = now;
                    let id = ctx.fresh_id();
                    let flags = TcpFlags {
                        syn: true,
                        ..TcpFlags::default()
                    };
                    self.emit(now, ctx, self.iss, flags, None, id);
                    self.snd_nxt = self.iss + 1;
                    self.snd_max = self.snd_max.max(self.snd_nxt);
                    if self.rto_deadline.is_none() {
                        self.arm_rto(now, ctx.cfg);
                    }
                }
                return;
            }
            _ => {}
        }
        // RFC 5681 4.1: restart from the initial window after an idle
        // period longer than the RTO.
        if self.sent.is_empty()
            && now.saturating_since(self.last_tx) > self.rto
            && !self.tx.is_empty()
        {
            let iw = ctx.cfg.initial_window_segments * self.eff_mss;
            self.cc.on_idle_restart(iw);
        }
        let sent_before = ctx.stats.segments_sent;
        let mut pipe = self.pipe();
        let mut force_one = std::mem::take(&mut self.force_rexmit);
        // Scoreboard scan position: each dispatch walks it once.
        let mut scan = 0usize;
        loop {
            let cwnd = self.cc.cwnd;
            // RFC 6675 5 NextSeg() rule 1: retransmit lost segments first.
            if let Some(i) = self
                .sent
                .iter()
                .skip(scan)
                .position(|s| s.lost && !s.retransmitted && !s.sacked)
                .map(|p| p + scan)
            {
                let l = self.sent[i].seq_len();
                if pipe + l <= cwnd || force_one {
                    force_one = false;
                    self.retransmit(now, ctx, i);
                    pipe += l;
                    scan = i + 1;
                    continue;
                }
                break;
            }
            scan = self.sent.len();
            // Rule 2: new data.
            let sendable_state = self.state.can_send_data()
                || (self.fin_queued
                    && matches!(
                        self.state,
                        State::FinWait1 | State::Closing | State::LastAck
                    ));
            if !sendable_state || self.fin_sent {
                break;
            }
            let off = self.snd_nxt.since(self.snd_una);
            let avail = self.tx.len().saturating_sub(off);
            let usable = (self.snd_una + self.snd_wnd).since(self.snd_nxt);
            let room = cwnd.saturating_sub(pipe);
            // RFC 9293 3.7.1: options in this segment (SACK blocks) come
            // out of the MSS.
            let len = self
                .eff_mss
                .saturating_sub(self.sack_option_len())
                .min(avail)
                .min(usable)
                .min(room);
            let fin = self.fin_queued && len == avail;
            if len == 0 && !fin {
                // Zero window with data waiting: RFC 9293 3.8.6.1 probes.
                if avail > 0 && self.sent.is_empty() && self.persist_deadline.is_none() {
                    self.arm_persist(now, ctx.cfg);
                }
                break;
            }
            if len < self.eff_mss && !fin {
                // Nagle (RFC 9293 3.7.4) and sender SWS avoidance
                // (3.8.6.2.1).
                let all_data = len == avail;
                let nothing_unacked = self.snd_nxt == self.snd_una;
                let half_window = self.max_snd_wnd > 0 && len >= self.max_snd_wnd / 2;
                let limited_by_window = len == usable && usable < avail;
                let ok = (all_data && (self.opts.nodelay || nothing_unacked) && !limited_by_window)
                    || half_window;
                if !ok {
                    if self.sent.is_empty() && self.persist_deadline.is_none() {
                        self.arm_persist(now, ctx.cfg);
                    }
                    break;
                }
            }
            self.send_new(now, ctx, len, fin);
            pipe += len + usize::from(fin);
            if fin {
                break;
            }
        }
        let sent_any = ctx.stats.segments_sent != sent_before;
        if !sent_any && (self.ack_now || self.window_update_due()) {
            let id = ctx.fresh_id();
            self.emit(now, ctx, self.snd_nxt, TcpFlags::default(), None, id);
            if self.ack_now {
                ctx.stats.pure_acks += 1;
            }
        }
        self.ack_now = false;
    }

    pub fn snd_una(&self) -> SeqNumber {
        self.snd_una
    }
    pub fn snd_nxt(&self) -> SeqNumber {
        self.snd_nxt
    }
    pub fn rcv_nxt(&self) -> SeqNumber {
        self.rcv_nxt
    }
    pub fn snd_wnd(&self) -> usize {
        self.snd_wnd
    }
    pub fn in_flight(&self) -> usize {
        self.snd_max.since(self.snd_una)
    }
    pub fn in_recovery(&self) -> bool {
        self.in_recovery
    }
    pub fn backoff(&self) -> u32 {
        self.backoff
    }
}

/// Queue a bare segment (RSTs) that belongs to no TCB.
pub(crate) fn push_segment(
    now: Instant,
    ctx: &mut Ctx<'_>,
    src: std::net::Ipv4Addr,
    dst: std::net::Ipv4Addr,
    r: &TcpRepr<'_>,
    id: PacketId,
) {
    let hl = r.header_len();
    let mut buf = PacketBuf::new(TX_HEADROOM + hl, 0);
    let Ok(hdr) = buf.push(hl) else { return };
    r.emit(&mut TcpPacket::new_unchecked(hdr), false);
    let start = buf.data_offset() as u16;
    let meta = buf.meta_mut();
    meta.id = id;
    meta.timestamp = now;
    meta.transport_header = Some(start);
    journey(
        &ctx.cfg.host,
        "tcp",
        "segment_built",
        id,
        now,
        r.seq_number.0,
        r.ack_number.map_or(0, |a| a.0),
        u32::from(r.window_len),
        0,
    );
    ctx.stats.segments_sent += 1;
    if r.flags.rst {
        ctx.stats.resets_sent += 1;
    }
    ctx.out.push_back(TransportTx {
        src,
        dst,
        segment: buf,
        checksum_offset: Some(16),
        dont_frag: true,
    });
}

/// RFC 9293 3.10.7.1: the reset answering `seg` when no connection takes
/// it: <SEQ=SEG.ACK><CTL=RST> if it had ACK, else
/// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Never answer a RST.
pub(crate) fn send_reset_for(
    now: Instant,
    ctx: &mut Ctx<'_>,
    local: std::net::Ipv4Addr,
    remote: std::net::Ipv4Addr,
    seg: &TcpRepr<'_>,
) {
    if seg.flags.rst {
        return;
    }
    let mut r = match seg.ack_number {
        Some(ack) => TcpRepr::new(seg.dst_port, seg.src_port, ack),
        None => {
            let mut r = TcpRepr::new(seg.dst_port, seg.src_port, SeqNumber(0));
            r.ack_number = Some(seg.seq_number + seg.segment_len());
            r
        }
    };
    r.flags.rst = true;
    let id = ctx.fresh_id();
    push_segment(now, ctx, local, remote, &r, id);
}
