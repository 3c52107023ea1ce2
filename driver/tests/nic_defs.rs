//! The RTL's register constants (`rtl/nic_defs.vh`) checked against the one
//! definition in `driver/src/regs.rs`: every localparam there must be a
//! constant of `regs::verilog_constants()` with the same value, and every
//! register, reset value and field of the Rust definition must be there.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Remove `//` and `/* */` comments.
fn strip_comments(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.find('\n').map_or("", |i| &r[i..]);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").map_or("", |i| &r[i + 2..]);
            out.push(' ');
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// A tiny evaluator for the constant expressions a header uses: Verilog
/// numbers (`17'h0_0100`, `'d5`, `12`), names defined earlier, parentheses,
/// `<<`, `>>`, `|`, `&`, `+`, `-`, `*`.
struct Expr<'a> {
    toks: Vec<String>,
    pos: usize,
    env: &'a BTreeMap<String, u64>,
}

fn tokenize(s: &str) -> Result<Vec<String>, String> {
    let mut toks = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        if c.is_whitespace() {
            i += 1;
        } else if s[i..].starts_with("<<") || s[i..].starts_with(">>") {
            toks.push(s[i..i + 2].to_string());
            i += 2;
        } else if "()|&+-*".contains(c) {
            toks.push(c.to_string());
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == '\'' || c == '_' || c == '`' {
            let start = i;
            while i < b.len() {
                let d = b[i] as char;
                if d.is_ascii_alphanumeric() || d == '\'' || d == '_' || d == '`' {
                    i += 1;
                } else {
                    break;
                }
            }
            toks.push(s[start..i].to_string());
        } else {
            return Err(format!("unexpected character {c:?} in {s:?}"));
        }
    }
    Ok(toks)
}

fn number(tok: &str) -> Option<u64> {
    let t = tok.replace('_', "");
    if let Some(q) = t.find('\'') {
        let rest = &t[q + 1..];
        let rest = rest.strip_prefix(['s', 'S']).unwrap_or(rest);
        let (radix, digits) = match rest.chars().next()? {
            'h' | 'H' => (16, &rest[1..]),
            'd' | 'D' => (10, &rest[1..]),
            'b' | 'B' => (2, &rest[1..]),
            'o' | 'O' => (8, &rest[1..]),
            _ => return None,
        };
        u64::from_str_radix(digits, radix).ok()
    } else {
        t.parse().ok()
    }
}

impl Expr<'_> {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.pos).map(String::as_str)
    }
    fn next(&mut self) -> Option<String> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    // Precedence, loosest first: | & << >> + - *
    fn or(&mut self) -> Result<u64, String> {
        let mut v = self.and()?;
        while self.peek() == Some("|") {
            self.next();
            v |= self.and()?;
        }
        Ok(v)
    }
    fn and(&mut self) -> Result<u64, String> {
        let mut v = self.shift()?;
        while self.peek() == Some("&") {
            self.next();
            v &= self.shift()?;
        }
        Ok(v)
    }
    fn shift(&mut self) -> Result<u64, String> {
        let mut v = self.sum()?;
        loop {
            match self.peek() {
                Some("<<") => {
                    self.next();
                    v <<= self.sum()?;
                }
                Some(">>") => {
                    self.next();
                    v >>= self.sum()?;
                }
                _ => return Ok(v),
            }
        }
    }
    fn sum(&mut self) -> Result<u64, String> {
        let mut v = self.product()?;
        loop {
            match self.peek() {
                Some("+") => {
                    self.next();
                    v = v.wrapping_add(self.product()?);
                }
                Some("-") => {
                    self.next();
                    v = v.wrapping_sub(self.product()?);
                }
                _ => return Ok(v),
            }
        }
    }
    fn product(&mut self) -> Result<u64, String> {
        let mut v = self.atom()?;
        while self.peek() == Some("*") {
            self.next();
            v = v.wrapping_mul(self.atom()?);
        }
        Ok(v)
    }
    fn atom(&mut self) -> Result<u64, String> {
        let t = self.next().ok_or("expression ends early")?;
        if t == "(" {
            let v = self.or()?;
            if self.next().as_deref() != Some(")") {
                return Err("missing )".into());
            }
            return Ok(v);
        }
        if let Some(v) = number(&t) {
            return Ok(v);
        }
        let name = t.trim_start_matches('`');
        self.env
            .get(name)
            .copied()
            .ok_or_else(|| format!("unknown name {name}"))
    }
}

/// Every `localparam NAME = value` of the header, in order.
fn parse_localparams(src: &str) -> Result<Vec<(String, u64)>, String> {
    let src = strip_comments(src);
    let mut env = BTreeMap::new();
    let mut out = Vec::new();
    for stmt in src.split(';') {
        let stmt = stmt.trim();
        let Some(body) = stmt
            .strip_prefix("localparam")
            .or_else(|| stmt.strip_prefix("parameter"))
        else {
            continue;
        };
        let mut body = body.trim_start();
        for kw in ["integer", "unsigned", "signed"] {
            body = body.strip_prefix(kw).unwrap_or(body).trim_start();
        }
        if body.starts_with('[') {
            let close = body.find(']').ok_or("unclosed [")?;
            body = body[close + 1..].trim_start();
        }
        // Several assignments may share one statement.
        for assign in body.split(',') {
            let (name, value) = assign
                .split_once('=')
                .ok_or_else(|| format!("no '=' in {assign:?}"))?;
            let name = name.trim().to_string();
            let toks = tokenize(value)?;
            let mut e = Expr {
                toks,
                pos: 0,
                env: &env,
            };
            let v = e.or()?;
            if e.pos != e.toks.len() {
                return Err(format!("trailing tokens in {assign:?}"));
            }
            env.insert(name.clone(), v);
            out.push((name, v));
        }
    }
    Ok(out)
}

#[test]
fn parser_reads_the_forms_a_header_uses() {
    let src = "
        // comment localparam X = 1;
        localparam [16:0] REG_A = 17'h0_0100; /* block ; comment */
        localparam integer N = 12, M = N * 2;
        localparam B_BIT = 5;
        localparam [31:0] B = 32'h1 << B_BIT;
        localparam C = (1 << 3) | 'b1;
    ";
    let p = parse_localparams(src).unwrap();
    let want: Vec<(String, u64)> = [
        ("REG_A", 0x100),
        ("N", 12),
        ("M", 24),
        ("B_BIT", 5),
        ("B", 32),
        ("C", 9),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), *v))
    .collect();
    assert_eq!(p, want);
    assert!(parse_localparams("localparam X = Y;").is_err());
}

#[test]
fn rendered_header_round_trips() {
    let p = parse_localparams(&driver::regs::verilog_header()).unwrap();
    assert_eq!(p, driver::regs::verilog_constants());
}

#[test]
fn rtl_defs_match_the_rust_definitions() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rtl/nic_defs.vh");
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} cannot be read ({e}); it must exist. Expected contents:\n{}",
            path.display(),
            driver::regs::verilog_header()
        )
    });
    let rtl = parse_localparams(&src).unwrap();
    let rust: BTreeMap<String, u64> = driver::regs::verilog_constants().into_iter().collect();
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    for (name, value) in &rtl {
        if seen.insert(name.clone(), *value).is_some() {
            problems.push(format!("{name} defined twice in nic_defs.vh"));
        }
        match rust.get(name) {
            None => problems.push(format!("{name} = {value:#x} has no Rust definition")),
            Some(want) if want != value => problems.push(format!(
                "{name} = {value:#x} in nic_defs.vh, {want:#x} in regs.rs"
            )),
            Some(_) => {}
        }
    }
    for name in rust.keys() {
        if !seen.contains_key(name) && !driver::regs::verilog_optional(name) {
            problems.push(format!("{name} missing from nic_defs.vh"));
        }
    }
    assert!(
        problems.is_empty(),
        "nic_defs.vh disagrees with driver/src/regs.rs:\n  {}\nExpected contents:\n{}",
        problems.join("\n  "),
        driver::regs::verilog_header()
    );
}
