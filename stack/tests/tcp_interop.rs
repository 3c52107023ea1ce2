//! Interoperability with the Linux kernel's TCP through a TAP device.
//!
//! The test creates a network namespace with a TAP device in it (the
//! kernel side, 10.77.0.1/24, IPv6 disabled) and runs our full stack on
//! the other end of the TAP (10.77.0.2). Then:
//! 1. a kernel client (Python in the namespace) sends 10 MiB to our server;
//! 2. our client sends 10 MiB to a kernel server;
//! 3. the kernel pings our stack.
//!
//! Both transfers are checked byte for byte (and their FNV-1a hashes
//! reported). The namespace is deleted afterwards, also on failure.
//!
//! Needs root, /dev/net/tun, `ip` and `python3`; without them the test
//! prints `SKIPPED: <reason>` and passes.
//!
//! Time: the one place in the project where simulated time follows the
//! wall clock. The kernel runs in real time, so the harness sets
//! `now = wall time since start` on every poll and sleeps briefly when
//! idle. Every wait is bounded (60 s per phase).
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, ErrorKind};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::{Child, Command, Stdio};

use stack::buf::PacketBuf;
use stack::device::{Device, DeviceCaps, TxBusy};
use stack::iface::InterfaceConfig;
use stack::softwire::SplitMix64;
use stack::stack::{Stack, StackConfig};
use stack::tcp::{RecvError, SendError, Shutdown, SocketHandle, State, TcpConfig, TcpLayer};
use stack::time::Instant;
use stack::wire::Ipv4Cidr;

const KERNEL_IP: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
const OUR_IP: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);
const SIZE: usize = 10 << 20;
const PHASE_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Our end of the TAP device. Frames carry no FCS, as the device contract
/// says.
struct TapDevice {
    iface: tun_tap::Iface,
    mac: [u8; 6],
    buf: Vec<u8>,
}

impl Device for TapDevice {
    fn caps(&self) -> DeviceCaps {
        DeviceCaps {
            mtu: 1500,
            tx_checksum: false,
            rx_checksum: false,
            mac: self.mac,
        }
    }
    fn transmit(&mut self, _now: Instant, frame: PacketBuf) -> Result<(), TxBusy> {
        match self.iface.send(frame.data()) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Err(TxBusy(frame)),
            // The interface went away: drop, as a NIC with link down would.
            Err(_) => Ok(()),
        }
    }
    fn receive(&mut self, _now: Instant) -> Option<PacketBuf> {
        match self.iface.recv(&mut self.buf) {
            Ok(n) if n > 0 => Some(PacketBuf::from_slice(0, &self.buf[..n])),
            _ => None,
        }
    }
}

/// Deletes the namespace (and with it the TAP device) when dropped.
struct Netns {
    name: String,
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

fn run(cmd: &[&str]) -> Result<(), String> {
    let out = Command::new(cmd[0])
        .args(&cmd[1..])
        .output()
        .map_err(|e| format!("{}: {e}", cmd[0]))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn in_ns(ns: &str, cmd: &[&str]) -> Result<(), String> {
    let mut v = vec!["ip", "netns", "exec", ns];
    v.extend_from_slice(cmd);
    run(&v)
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = SplitMix64::new(seed);
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        v.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    v.truncate(len);
    v
}

struct World {
    stack: Stack<TcpLayer>,
    tap: TapDevice,
    start: std::time::Instant,
}

impl World {
    fn now(&self) -> Instant {
        Instant::from_nanos(self.start.elapsed().as_nanos() as u64)
    }
    /// Poll the stack at the current wall time; sleep a little when it
    /// has nothing to do before its next timer.
    fn step(&mut self) -> Instant {
        let now = self.now();
        let mut devs: [&mut dyn Device; 1] = [&mut self.tap];
        let busy = self.stack.poll(now, &mut devs);
        let due = self.stack.poll_at().is_some_and(|t| t <= now);
        if !busy && !due {
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
        now
    }
    fn tcp(&mut self) -> &mut TcpLayer {
        self.stack.transport_mut()
    }
}

fn skip(reason: &str) {
    println!("SKIPPED: {reason}");
}

/// Set everything up; `Err` is a reason to skip.
fn setup(tag: char) -> Result<(World, Netns), String> {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| format!("id: {e}"))?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Err("needs root to create a TAP device and a network namespace".into());
    }
    if !std::path::Path::new("/dev/net/tun").exists() {
        return Err("no /dev/net/tun".into());
    }
    run(&["python3", "-c", "pass"]).map_err(|e| format!("python3 unavailable ({e})"))?;
    let pid = std::process::id();
    let ns = Netns {
        name: format!("nicsim-tcp-{pid}-{tag}"),
    };
    run(&["ip", "netns", "add", &ns.name])
        .map_err(|e| format!("cannot create a namespace ({e})"))?;
    let iface = tun_tap::Iface::without_packet_info(
        &format!("nst{}{tag}", pid % 100_000),
        tun_tap::Mode::Tap,
    )
    .map_err(|e| format!("cannot create a TAP device ({e})"))?;
    iface
        .set_non_blocking()
        .map_err(|e| format!("non-blocking TAP: {e}"))?;
    let tap = iface.name().to_string();
    // The file descriptor keeps working after the device moves into the
    // namespace; the kernel side lives there, we stay outside.
    run(&["ip", "link", "set", "dev", &tap, "netns", &ns.name])
        .map_err(|e| format!("move TAP: {e}"))?;
    let setup = [
        vec!["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"],
        vec!["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"],
        vec!["ip", "link", "set", "lo", "up"],
        vec!["ip", "addr", "add", "10.77.0.1/24", "dev", &tap],
        vec!["ip", "link", "set", "dev", &tap, "up"],
    ];
    for cmd in &setup {
        in_ns(&ns.name, cmd).map_err(|e| format!("namespace setup: {e}"))?;
    }
    let mac = [0x02, 0x6e, 0x73, 0x00, 0x00, 0x02];
    let tap_dev = TapDevice {
        iface,
        mac,
        buf: vec![0u8; 2048],
    };
    let mut cfg = StackConfig::new("ours");
    cfg.packet_id_base = 1 << 40;
    let tcp = TcpLayer::new(TcpConfig {
        seed: 1,
        packet_id_base: 1 << 41,
        ..TcpConfig::default()
    });
    let mut stack = Stack::with_transport(cfg, tcp);
    let id = stack.add_interface(InterfaceConfig::from_caps("tap0", 0, &tap_dev.caps()));
    stack
        .add_address(id, Ipv4Cidr::new(OUR_IP, 24).unwrap())
        .map_err(|e| e.to_string())?;
    stack.transport_mut().set_default_source(Some(OUR_IP));
    Ok((
        World {
            stack,
            tap: tap_dev,
            start: std::time::Instant::now(),
        },
        ns,
    ))
}

fn wait_child(w: &mut World, child: &mut Child, what: &str) -> std::process::ExitStatus {
    let t0 = std::time::Instant::now();
    loop {
        w.step();
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if t0.elapsed() > PHASE_LIMIT {
            let _ = child.kill();
            panic!("{what}: no result within {PHASE_LIMIT:?}");
        }
    }
}

/// Read everything from `h` until end of stream.
fn read_to_end(w: &mut World, h: SocketHandle, child: &mut Child, what: &str) -> Vec<u8> {
    let mut got = Vec::with_capacity(SIZE);
    let mut buf = vec![0u8; 65536];
    let t0 = std::time::Instant::now();
    loop {
        let now = w.step();
        match w.tcp().recv(h, now, &mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(RecvError::WouldBlock) => {}
            Err(e) => panic!("{what}: recv after {} bytes: {e}", got.len()),
        }
        if t0.elapsed() > PHASE_LIMIT {
            let _ = child.kill();
            panic!(
                "{what}: {} of {SIZE} bytes within {PHASE_LIMIT:?}",
                got.len()
            );
        }
    }
}

fn kernel_client_to_our_server(w: &mut World, ns: &Netns, dir: &std::path::Path) {
    let data = pattern(11, SIZE);
    let file = dir.join("to_us.bin");
    std::fs::write(&file, &data).unwrap();
    let l = w.tcp().socket();
    w.tcp()
        .bind(l, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 5001))
        .unwrap();
    w.tcp().listen(l, 4).unwrap();
    let script = "import socket,sys\n\
        data=open(sys.argv[1],'rb').read()\n\
        s=socket.create_connection(('10.77.0.2',5001),timeout=30)\n\
        s.sendall(data)\n\
        s.shutdown(socket.SHUT_WR)\n\
        while s.recv(65536): pass\n\
        s.close()\n";
    let mut child = Command::new("ip")
        .args(["netns", "exec", &ns.name, "python3", "-c", script])
        .arg(&file)
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    let h = loop {
        w.step();
        if let Ok((h, peer)) = w.tcp().accept(l) {
            assert_eq!(*peer.ip(), KERNEL_IP);
            break h;
        }
        assert!(t0.elapsed() < PHASE_LIMIT, "kernel client never connected");
    };
    let got = read_to_end(w, h, &mut child, "kernel -> us");
    let now = w.now();
    w.tcp().close(h, now).unwrap();
    let st = wait_child(w, &mut child, "kernel client");
    assert!(st.success(), "kernel client exited with {st}");
    println!(
        "kernel -> us: {} bytes in {:?}, fnv {:016x} (sent {:016x})",
        got.len(),
        t0.elapsed(),
        fnv(&got),
        fnv(&data)
    );
    assert_eq!(got.len(), data.len());
    assert!(got == data, "bytes differ");
    w.tcp().close(l, now).unwrap();
}

fn our_client_to_kernel_server(w: &mut World, ns: &Netns, dir: &std::path::Path) {
    let data = pattern(22, SIZE);
    let file = dir.join("from_us.bin");
    let script = "import socket,sys\n\
        l=socket.socket()\n\
        l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n\
        l.bind(('10.77.0.1',5002))\n\
        l.listen(1)\n\
        l.settimeout(30)\n\
        print('ready',flush=True)\n\
        c,_=l.accept()\n\
        c.settimeout(30)\n\
        out=open(sys.argv[1],'wb')\n\
        while True:\n\
        \x20   b=c.recv(1<<16)\n\
        \x20   if not b: break\n\
        \x20   out.write(b)\n\
        out.close()\n\
        c.close()\n";
    let mut child = Command::new("ip")
        .args(["netns", "exec", &ns.name, "python3", "-c", script])
        .arg(&file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    let c = w.tcp().socket();
    let now = w.step();
    w.tcp()
        .connect(c, now, SocketAddrV4::new(KERNEL_IP, 5002))
        .unwrap();
    let t0 = std::time::Instant::now();
    let mut sent = 0;
    let mut shut = false;
    let mut buf = [0u8; 4096];
    loop {
        let now = w.step();
        if matches!(w.tcp().state(c), Some(State::SynSent)) {
            assert!(
                t0.elapsed() < PHASE_LIMIT,
                "connect to the kernel timed out"
            );
            continue;
        }
        while sent < SIZE {
            match w.tcp().send(c, now, &data[sent..(sent + 65536).min(SIZE)]) {
                Ok(n) => sent += n,
                Err(SendError::WouldBlock) => break,
                Err(e) => panic!("us -> kernel: send after {sent}: {e}"),
            }
        }
        if sent == SIZE && !shut {
            w.tcp().shutdown(c, now, Shutdown::Write).unwrap();
            shut = true;
        }
        // The kernel server closes after end of stream: wait for its FIN.
        match w.tcp().recv(c, now, &mut buf) {
            Ok(0) => break,
            Ok(_) => panic!("kernel server sent data"),
            Err(RecvError::WouldBlock) => {}
            Err(e) => panic!("us -> kernel: {e} after sending {sent}"),
        }
        assert!(
            t0.elapsed() < PHASE_LIMIT,
            "us -> kernel: {sent} bytes sent within the limit"
        );
    }
    let st = wait_child(w, &mut child, "kernel server");
    assert!(st.success(), "kernel server exited with {st}");
    let got = std::fs::read(&file).unwrap();
    println!(
        "us -> kernel: {} bytes in {:?}, fnv {:016x} (sent {:016x}), {:?}",
        got.len(),
        t0.elapsed(),
        fnv(&got),
        fnv(&data),
        w.stack.transport().stats()
    );
    assert_eq!(got.len(), data.len());
    assert!(got == data, "bytes differ");
    let now = w.now();
    w.tcp().close(c, now).unwrap();
}

fn kernel_pings_us(w: &mut World, ns: &Netns) {
    let mut child = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.name,
            "ping",
            "-n",
            "-c",
            "3",
            "-i",
            "0.2",
            "-W",
            "2",
            "10.77.0.2",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let st = wait_child(w, &mut child, "ping");
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    println!("{out}");
    assert!(st.success(), "ping failed: {out}");
    assert!(out.contains("3 received"), "{out}");
}

fn with_world(tag: char, f: impl FnOnce(&mut World, &Netns, &std::path::Path)) {
    let (mut w, ns) = match setup(tag) {
        Ok(x) => x,
        Err(reason) => return skip(&reason),
    };
    let dir = std::env::temp_dir().join(format!("nicsim-tcp-interop-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    f(&mut w, &ns, &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn kernel_pings_our_stack() {
    if Command::new("ping").arg("-V").output().is_err() {
        return skip("ping not installed (Debian package iputils-ping)");
    }
    with_world('p', |w, ns, _| kernel_pings_us(w, ns));
}

#[test]
fn kernel_client_sends_10_mib_to_our_server() {
    with_world('c', kernel_client_to_our_server);
}

#[test]
fn our_client_sends_10_mib_to_kernel_server() {
    with_world('s', our_client_to_kernel_server);
}
