//! Congestion control: NewReno (RFC 5681, RFC 6582) by default, CUBIC
//! (RFC 9438) as an option. Windows are in bytes. Loss recovery itself
//! (which segment to retransmit, the pipe estimate) lives in the TCB; this
//! module only decides cwnd and ssthresh.

use crate::time::{Duration, Instant};

/// Which congestion controller a connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CongestionAlgorithm {
    #[default]
    NewReno,
    Cubic,
}

/// RFC 9438 4.6: multiplicative decrease factor.
const CUBIC_BETA: f64 = 0.7;
/// RFC 9438 5: the aggressiveness constant C (segments / s^3).
const CUBIC_C: f64 = 0.4;

#[derive(Debug, Clone)]
pub struct Congestion {
    algo: CongestionAlgorithm,
    mss: usize,
    pub cwnd: usize,
    pub ssthresh: usize,
    /// Bytes acknowledged since cwnd last grew in congestion avoidance
    /// (RFC 5681 3.1, the byte-counting form of equation 3).
    acked_in_ca: usize,
    // CUBIC state (RFC 9438 4), windows in segments.
    w_max: f64,
    k: f64,
    epoch: Option<Instant>,
    w_est: f64,
}

impl Congestion {
    pub fn new(algo: CongestionAlgorithm, mss: usize, initial_segments: usize) -> Congestion {
        Congestion {
            algo,
            mss: mss.max(1),
            cwnd: initial_segments.max(1) * mss.max(1),
            // RFC 5681 3.1: ssthresh starts arbitrarily high.
            ssthresh: usize::MAX,
            acked_in_ca: 0,
            w_max: 0.0,
            k: 0.0,
            epoch: None,
            w_est: 0.0,
        }
    }

    pub fn set_mss(&mut self, mss: usize) {
        self.mss = mss.max(1);
    }

    pub fn in_slow_start(&self) -> bool {
        self.cwnd < self.ssthresh
    }

    /// New data was cumulatively acknowledged outside loss recovery.
    pub fn on_ack(&mut self, now: Instant, acked: usize, srtt: Duration) {
        if acked == 0 {
            return;
        }
        if self.in_slow_start() {
            // RFC 5681 3.1 with appropriate byte counting, L = 2 (RFC 3465).
            self.cwnd += acked.min(2 * self.mss);
            return;
        }
        match self.algo {
            CongestionAlgorithm::NewReno => self.reno_ca(acked),
            CongestionAlgorithm::Cubic => self.cubic_ca(now, acked, srtt),
        }
    }

    fn reno_ca(&mut self, acked: usize) {
        // RFC 5681 3.1: about one MSS per RTT, counted in bytes.
        self.acked_in_ca += acked;
        if self.acked_in_ca >= self.cwnd {
            self.acked_in_ca -= self.cwnd;
            self.cwnd += self.mss;
        }
    }

    fn cubic_ca(&mut self, now: Instant, acked: usize, srtt: Duration) {
        let mss = self.mss as f64;
        let cwnd_seg = self.cwnd as f64 / mss;
        let epoch = *self.epoch.get_or_insert_with(|| {
            // RFC 9438 4.2: a new congestion-avoidance epoch; with no
            // loss yet W_max is the current window, so K is 0.
            if self.w_max < cwnd_seg {
                self.w_max = cwnd_seg;
                self.k = 0.0;
            }
            self.w_est = cwnd_seg;
            now
        });
        let t = now.saturating_since(epoch).as_nanos() as f64 / 1e9;
        let rtt = (srtt.as_nanos() as f64 / 1e9).max(1e-6);
        // RFC 9438 4.2, equation 1, evaluated one RTT ahead (4.4).
        let target = CUBIC_C * (t + rtt - self.k).powi(3) + self.w_max;
        let target = target.clamp(cwnd_seg, 1.5 * cwnd_seg);
        // RFC 9438 4.3: Reno-friendly estimate, alpha = 3(1-b)/(1+b).
        let alpha = 3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA);
        self.w_est += alpha * (acked as f64 / mss) / cwnd_seg;
        let increment = if self.w_est > target {
            // Reno-friendly region: follow the estimate.
            ((self.w_est - cwnd_seg) * mss).max(0.0)
        } else {
            // RFC 9438 4.4: cwnd += (target - cwnd) / cwnd per ACK.
            (target - cwnd_seg) / cwnd_seg * (acked as f64 / mss) * mss
        };
        self.acked_in_ca += increment as usize;
        if self.acked_in_ca >= 1 {
            let grow = self.acked_in_ca.min(self.mss);
            self.cwnd += grow;
            self.acked_in_ca -= grow;
        }
    }

    /// Loss detected by duplicate ACKs or SACK: entering fast recovery
    /// (RFC 5681 3.2 step 2, RFC 6582 3.2 step 2, RFC 9438 4.6).
    pub fn on_fast_retransmit(&mut self, flight: usize) {
        match self.algo {
            CongestionAlgorithm::NewReno => {
                self.ssthresh = (flight / 2).max(2 * self.mss);
            }
            CongestionAlgorithm::Cubic => {
                let cwnd_seg = self.cwnd as f64 / self.mss as f64;
                // RFC 9438 4.7 fast convergence.
                self.w_max = if cwnd_seg < self.w_max {
                    cwnd_seg * (1.0 + CUBIC_BETA) / 2.0
                } else {
                    cwnd_seg
                };
                self.k = (self.w_max * (1.0 - CUBIC_BETA) / CUBIC_C).cbrt();
                self.epoch = None;
                let reduced = (flight as f64 * CUBIC_BETA) as usize;
                self.ssthresh = reduced.max(2 * self.mss);
            }
        }
        self.cwnd = self.ssthresh;
        self.acked_in_ca = 0;
    }

    /// Recovery ended with a full acknowledgment (RFC 6582 3.2 step 3).
    pub fn on_recovery_exit(&mut self, flight: usize) {
        self.cwnd = self.ssthresh.min(flight.max(self.mss) + self.mss);
    }

    /// The retransmission timer expired (RFC 5681 3.1 equation 4, RFC 9438
    /// 4.8): cwnd falls to one segment, the loss window.
    pub fn on_rto(&mut self, flight: usize, first_timeout: bool) {
        if first_timeout {
            self.ssthresh = match self.algo {
                CongestionAlgorithm::NewReno => (flight / 2).max(2 * self.mss),
                CongestionAlgorithm::Cubic => {
                    ((flight as f64 * CUBIC_BETA) as usize).max(2 * self.mss)
                }
            };
            if self.algo == CongestionAlgorithm::Cubic {
                self.w_max = self.cwnd as f64 / self.mss as f64;
                self.k = (self.w_max * (1.0 - CUBIC_BETA) / CUBIC_C).cbrt();
            }
        }
        self.epoch = None;
        self.cwnd = self.mss;
        self.acked_in_ca = 0;
    }

    /// RFC 7661 / RFC 5681 4.1: after an idle period longer than the RTO,
    /// restart from the initial window.
    pub fn on_idle_restart(&mut self, restart_window: usize) {
        self.cwnd = self.cwnd.min(restart_window);
        self.epoch = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reno_slow_start_then_avoidance() {
        let mut c = Congestion::new(CongestionAlgorithm::NewReno, 1000, 10);
        assert_eq!(c.cwnd, 10_000);
        c.on_ack(Instant::ZERO, 1000, Duration::from_millis(1));
        assert_eq!(c.cwnd, 11_000);
        // ABC limit L = 2 SMSS per ACK.
        c.on_ack(Instant::ZERO, 5000, Duration::from_millis(1));
        assert_eq!(c.cwnd, 13_000);
        c.on_fast_retransmit(20_000);
        assert_eq!(c.ssthresh, 10_000);
        assert_eq!(c.cwnd, 10_000);
        for _ in 0..10 {
            c.on_ack(Instant::ZERO, 1000, Duration::from_millis(1));
        }
        assert_eq!(c.cwnd, 11_000, "one MSS per window in avoidance");
        c.on_rto(11_000, true);
        assert_eq!(c.cwnd, 1000);
        assert_eq!(c.ssthresh, 5500);
    }

    #[test]
    fn cubic_reduces_by_beta_and_regrows_to_wmax() {
        let mut c = Congestion::new(CongestionAlgorithm::Cubic, 1000, 100);
        c.ssthresh = 100_000;
        c.on_fast_retransmit(100_000);
        assert_eq!(c.cwnd, 70_000);
        let mut now = Instant::ZERO;
        let rtt = Duration::from_millis(10);
        // K = cbrt(100 * 0.3 / 0.4) ~ 4.2 s: after ~5 s of ACKs the window
        // is back near W_max = 100 segments, and it grows past it after.
        for _ in 0..500 {
            now += rtt;
            let per_rtt = c.cwnd / 1000;
            for _ in 0..per_rtt {
                c.on_ack(now, 1000, rtt);
            }
        }
        assert!(c.cwnd > 95_000, "cwnd {}", c.cwnd);
    }
}
