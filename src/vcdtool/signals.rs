//! The header of a dump: scopes, signals, timescale, and finding the NIC's
//! signals by name.

use std::io::{self, BufRead, Read};

use vcd::{IdCode, ScopeItem, TimescaleUnit};

use super::VcdError;

/// One `$var` of the dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalInfo {
    /// Dot-joined scope path, e.g. `TOP.nic_top`.
    pub scope: String,
    /// Signal name without any bit range, e.g. `gmii_txd`.
    pub name: String,
    /// Width in bits as declared by `$var`.
    pub width: u32,
    /// The declared bit range, e.g. `[7:0]`, if any.
    pub range: Option<String>,
    /// The VCD variable type (`wire`, `reg`, ...).
    pub var_type: String,
    pub(crate) code: IdCode,
}

impl SignalInfo {
    /// `scope.name`.
    pub fn path(&self) -> String {
        if self.scope.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.scope, self.name)
        }
    }
}

/// Everything the header declares.
#[derive(Clone, Debug, Default)]
pub struct SignalList {
    /// Femtoseconds per time unit, from `$timescale` (1 ns when absent,
    /// which is what Icarus and Verilator assume without a directive).
    pub timescale_fs: u128,
    /// The `$timescale` as written, e.g. `1ps`.
    pub timescale: String,
    /// Every scope path, in file order (scopes without signals included).
    pub scopes: Vec<String>,
    /// Every signal, in file order.
    pub signals: Vec<SignalInfo>,
}

impl SignalList {
    pub(crate) fn from_header(header: &vcd::Header) -> SignalList {
        let (num, unit) = header.timescale.unwrap_or((1, TimescaleUnit::NS));
        let unit_fs: u128 = match unit {
            TimescaleUnit::S => 1_000_000_000_000_000,
            TimescaleUnit::MS => 1_000_000_000_000,
            TimescaleUnit::US => 1_000_000_000,
            TimescaleUnit::NS => 1_000_000,
            TimescaleUnit::PS => 1_000,
            TimescaleUnit::FS => 1,
        };
        let mut list = SignalList {
            timescale_fs: u128::from(num) * unit_fs,
            timescale: format!("{num}{unit}"),
            ..SignalList::default()
        };
        let mut path = Vec::new();
        walk(&header.items, &mut path, &mut list);
        list
    }

    /// Converts a raw dump time to picoseconds (saturating).
    pub fn time_ps(&self, t: u64) -> u64 {
        let fs = u128::from(t).saturating_mul(self.timescale_fs);
        u64::try_from(fs / 1000).unwrap_or(u64::MAX)
    }
}

fn walk(items: &[ScopeItem], path: &mut Vec<String>, list: &mut SignalList) {
    for item in items {
        match item {
            ScopeItem::Scope(s) => {
                path.push(s.identifier.clone());
                list.scopes.push(path.join("."));
                walk(&s.items, path, list);
                path.pop();
            }
            ScopeItem::Var(v) => {
                let (name, inline_range) = split_reference(&v.reference);
                let range = v.index.map(|i| i.to_string()).or(inline_range);
                list.signals.push(SignalInfo {
                    scope: path.join("."),
                    name,
                    width: v.size,
                    range,
                    var_type: v.var_type.to_string(),
                    code: v.code,
                });
            }
            _ => {}
        }
    }
}

/// Some dumpers glue the range to the name (`gmii_txd[7:0]`) and escaped
/// identifiers keep their backslash; both are normalised away.
fn split_reference(reference: &str) -> (String, Option<String>) {
    let r = reference.strip_prefix('\\').unwrap_or(reference);
    match r.find('[') {
        Some(i) if i > 0 => (r[..i].to_string(), Some(r[i..].to_string())),
        _ => (r.to_string(), None),
    }
}

/// Reads only the header of a dump.
pub fn read_signals<R: BufRead>(reader: R) -> Result<SignalList, VcdError> {
    let (_, header) = open_parser(reader)?;
    Ok(SignalList::from_header(&header))
}

/// The reader behind a parser: the normalised header, then the rest.
pub(crate) type Body<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// Scope types the `vcd` crate knows; others (SystemVerilog `interface`,
/// `struct`, `package`, VHDL scopes from GHDL or converters) read as
/// `module`.
const SCOPE_TYPES: &[&str] = &["module", "task", "function", "begin", "fork"];
/// Variable types the `vcd` crate knows; others (`logic`, `bit`, `int`,
/// `enum`, `sv_logic`, ...) read as `wire`, `shortreal`/`realtime` as
/// `real`.
const VAR_TYPES: &[&str] = &[
    "event",
    "integer",
    "parameter",
    "real",
    "reg",
    "supply0",
    "supply1",
    "time",
    "tri",
    "triand",
    "trior",
    "trireg",
    "tri0",
    "tri1",
    "wand",
    "wire",
    "wor",
    "string",
];

/// Opens a dump: reads the header up to `$enddefinitions $end`, rewrites
/// the scope and variable types the `vcd` crate would reject (IEEE 1800
/// clause 21.7 adds several; writers invent more) and drops `$attrbegin`
/// commands, line by line so that error line numbers stay right; then
/// parses it and leaves the parser at the first value change.
pub(crate) fn open_parser<R: BufRead>(
    mut reader: R,
) -> Result<(vcd::Parser<Body<R>>, vcd::Header), VcdError> {
    let mut out = Vec::new();
    let mut line = Vec::new();
    // Type expected next: after `$scope` or `$var`.
    let mut want: Option<&str> = None;
    let mut in_attr = false;
    let mut in_enddef = false;
    let mut done = false;
    while !done {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        let mut toks: Vec<&str> = Vec::new();
        for tok in text.split_ascii_whitespace() {
            if in_attr {
                in_attr = tok != "$end";
                continue;
            }
            match (want.take(), tok) {
                (_, "$attrbegin" | "$attrend") => {
                    in_attr = true;
                    continue;
                }
                (_, "$scope") => want = Some("scope"),
                (_, "$var") => want = Some("var"),
                (_, "$enddefinitions") => in_enddef = true,
                (_, "$end") if in_enddef => done = true,
                (Some("scope"), t) if !SCOPE_TYPES.contains(&t) => {
                    toks.push("module");
                    continue;
                }
                (Some("var"), "shortreal" | "realtime") => {
                    toks.push("real");
                    continue;
                }
                (Some("var"), t) if !VAR_TYPES.contains(&t) => {
                    toks.push("wire");
                    continue;
                }
                _ => {}
            }
            toks.push(tok);
        }
        out.extend_from_slice(toks.join(" ").as_bytes());
        out.push(b'\n');
    }
    let mut parser = vcd::Parser::new(io::Cursor::new(out).chain(reader));
    let header = parser.parse_header().map_err(VcdError::from_parse)?;
    Ok((parser, header))
}

/// A set of signals found in one scope.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    pub scope: String,
    /// Same order as the names asked for; `None` for absent optional ones.
    pub signals: Vec<Option<SignalInfo>>,
}

fn segments(path: &str) -> Vec<&str> {
    if path.is_empty() {
        Vec::new()
    } else {
        path.split('.').collect()
    }
}

/// `filter` (one or more dot-separated segments) occurs as a contiguous run
/// of segments of `scope`.
fn scope_matches(scope: &str, filter: &str) -> bool {
    let s = segments(scope);
    let f = segments(filter);
    if f.is_empty() {
        return true;
    }
    s.windows(f.len()).any(|w| w == f.as_slice())
}

/// A simulator's pseudo-scope such as Verilator's `$rootio`.
fn is_pseudo(scope: &str) -> bool {
    segments(scope).last().is_some_and(|s| s.starts_with('$'))
}

fn is_ancestor(a: &str, b: &str) -> bool {
    let sa = segments(a);
    let sb = segments(b);
    sa.len() <= sb.len() && sb[..sa.len()] == sa[..]
}

/// Finds the scope holding every `required` name (and picks up the
/// `optional` ones there). Candidates nested in another candidate are the
/// same ports seen from inside (Verilator's `TOP` mirrors the top module's
/// ports, submodules take them over): the outermost is taken. Several
/// outermost candidates (two NICs side by side) are ambiguous and need
/// `--scope`; Verilator's `$rootio` pseudo-scope yields to the module.
pub(crate) fn resolve(
    list: &SignalList,
    what: &str,
    required: &[String],
    optional: &[String],
    scope_filter: Option<&str>,
) -> Result<Option<Resolved>, VcdError> {
    let mut candidates: Vec<&str> = Vec::new();
    let mut scopes_seen: Vec<&str> = Vec::new();
    for s in &list.signals {
        if !scopes_seen.contains(&s.scope.as_str()) {
            scopes_seen.push(&s.scope);
        }
    }
    for scope in scopes_seen {
        if scope_filter.is_some_and(|f| !scope_matches(scope, f)) {
            continue;
        }
        let has_all = required.iter().all(|n| {
            list.signals
                .iter()
                .any(|s| s.scope == scope && &s.name == n)
        });
        if has_all {
            candidates.push(scope);
        }
    }
    // Verilator (5.x under cocotb) mirrors the top module's ports in a
    // pseudo-scope `$rootio` beside the module: the module itself wins.
    if candidates.iter().any(|c| !is_pseudo(c)) {
        candidates.retain(|c| !is_pseudo(c));
    }
    if candidates.is_empty() {
        return Ok(None);
    }
    // The outermost view of the ports: a candidate inside another one is
    // the same nets seen from a submodule (or, worse, a submodule's own
    // interface of the same name), so only candidates without a candidate
    // ancestor count.
    let outer: Vec<&str> = candidates
        .iter()
        .copied()
        .filter(|c| !candidates.iter().any(|a| a != c && is_ancestor(a, c)))
        .collect();
    let scope = match outer.as_slice() {
        [one] => *one,
        _ => {
            return Err(VcdError::Ambiguous {
                what: what.to_string(),
                candidates: outer.iter().map(|c| c.to_string()).collect(),
            });
        }
    };
    let find = |n: &String| {
        list.signals
            .iter()
            .find(|s| s.scope == scope && &s.name == n)
            .cloned()
    };
    let signals = required.iter().chain(optional).map(find).collect();
    Ok(Some(Resolved {
        scope: scope.to_string(),
        signals,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_filter_matches_whole_segments() {
        assert!(scope_matches("TOP.world.nic0.nic_top", "nic0"));
        assert!(scope_matches("TOP.world.nic0.nic_top", "world.nic0"));
        assert!(!scope_matches("TOP.world.nic01", "nic0"));
        assert!(!scope_matches("TOP.nic0", "TOP.nic1"));
    }

    #[test]
    fn reference_ranges_are_split() {
        assert_eq!(
            split_reference("gmii_txd[7:0]"),
            ("gmii_txd".to_string(), Some("[7:0]".to_string()))
        );
        assert_eq!(split_reference("\\clk"), ("clk".to_string(), None));
    }
}
