//! The `linux` scenario: the far end of the wire is a TAP device in a
//! network namespace that the run creates, so the Linux kernel pings our
//! stack running on the RTL NIC, and the two exchange TCP data both ways.
//!
//! The kernel keeps wall-clock time; our side keeps simulated time, which
//! here advances as fast as the simulation runs (fast-forward is off while
//! a TAP is attached). Kernel timers therefore see a slow peer, nothing
//! worse. The namespace is deleted when the run ends, also on failure.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Our stack's address and the kernel's, on a /24 of their own.
pub const OUR_IP: [u8; 4] = [10, 77, 0, 2];
pub const KERNEL_IP: [u8; 4] = [10, 77, 0, 1];

/// Why the scenario cannot run on this machine.
pub fn unavailable() -> Option<String> {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(str::to_string))
        })
        .unwrap_or_default();
    if uid != "0" {
        return Some("needs root to create a TAP device and a network namespace".into());
    }
    if !Path::new("/dev/net/tun").exists() {
        return Some("no /dev/net/tun on this machine".into());
    }
    for (tool, arg) in [("ip", "-V"), ("ping", "-V"), ("python3", "--version")] {
        let ok = Command::new(tool)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            return Some(format!(
                "`{tool}` is not installed (cargo xtask bootstrap installs it)"
            ));
        }
    }
    None
}

fn run(cmd: &[&str]) -> Result<(), String> {
    let out = Command::new(cmd[0])
        .args(&cmd[1..])
        .output()
        .map_err(|e| format!("{}: {e}", cmd.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{}` failed: {}",
            cmd.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A network namespace holding the kernel's side of the TAP; deleted on
/// drop.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn create(name: &str) -> Result<Netns, String> {
        // A leftover from a killed run would make `add` fail.
        let _ = Command::new("ip")
            .args(["netns", "del", name])
            .stderr(Stdio::null())
            .status();
        run(&["ip", "netns", "add", name])?;
        Ok(Netns {
            name: name.to_string(),
        })
    }

    /// Move TAP device `dev` into the namespace and give the kernel its
    /// address there (IPv6 off: no router solicitations or MLD).
    pub fn adopt(&self, dev: &str, kernel_cidr: &str) -> Result<(), String> {
        run(&["ip", "link", "set", "dev", dev, "netns", &self.name])?;
        for cmd in [
            vec!["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"],
            vec!["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"],
            vec!["ip", "link", "set", "lo", "up"],
            vec!["ip", "addr", "add", kernel_cidr, "dev", dev],
            vec!["ip", "link", "set", "dev", dev, "up"],
        ] {
            let mut v = vec!["ip", "netns", "exec", &self.name];
            v.extend(cmd);
            run(&v)?;
        }
        Ok(())
    }

    /// Start `args` inside the namespace.
    pub fn spawn(&self, args: &[&str]) -> Result<Child, String> {
        Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", args.join(" ")))
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .stderr(Stdio::null())
            .status();
    }
}

/// A kernel-side TCP client: connects to us and sends `file`.
pub const CLIENT_PY: &str = "import socket,sys\n\
data=open(sys.argv[1],'rb').read()\n\
s=socket.create_connection((sys.argv[2],int(sys.argv[3])),timeout=120)\n\
s.sendall(data)\n\
s.shutdown(socket.SHUT_WR)\n\
while s.recv(65536): pass\n\
s.close()\n";

/// A kernel-side TCP server: accepts one connection and writes what it
/// receives to `file`.
pub const SERVER_PY: &str = "import socket,sys\n\
l=socket.socket()\n\
l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n\
l.bind((sys.argv[2],int(sys.argv[3])))\n\
l.listen(1)\n\
l.settimeout(120)\n\
open(sys.argv[1]+'.ready','w').close()\n\
c,_=l.accept()\n\
c.settimeout(120)\n\
out=open(sys.argv[1],'wb')\n\
while True:\n\
\x20   b=c.recv(1<<16)\n\
\x20   if not b: break\n\
\x20   out.write(b)\n\
out.close()\n\
c.close()\n";

/// A scratch directory for the data files, removed on drop.
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    pub fn new(tag: &str) -> Result<Scratch, String> {
        let dir = std::env::temp_dir().join(format!("nicsim-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Scratch { dir })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Exit status of a finished child, with its stderr when it failed.
pub fn outcome(child: &mut Child, status: std::process::ExitStatus) -> Result<(), String> {
    if status.success() {
        return Ok(());
    }
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    Err(format!("exited {status}: {}", err.trim()))
}
