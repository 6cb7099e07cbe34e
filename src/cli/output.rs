//! Where the CLI writes: plain lines, NDJSON (`--json`: one object per line, each with an
//! `"event"` field; `docs/deploying.md` lists them), or nothing but errors (`--quiet`).
//! Errors always go to stderr as text; with `--json` they are also an `error` event.

use std::io::Write;

use serde_json::{json, Value as Json};

use crate::diag::Diagnostic;

/// How output is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    /// NDJSON on stdout.
    pub json: bool,
    /// Only errors.
    pub quiet: bool,
}

/// The CLI's output.
pub struct Printer<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    /// The mode.
    pub mode: Mode,
}

impl<'a> Printer<'a> {
    /// Output into these writers.
    pub fn new(out: &'a mut dyn Write, err: &'a mut dyn Write, mode: Mode) -> Self {
        Printer { out, err, mode }
    }

    /// A line for people (stdout), unless `--json` or `--quiet`.
    pub fn line(&mut self, s: &str) {
        if !self.mode.json && !self.mode.quiet {
            let _ = writeln!(self.out, "{s}");
        }
    }

    /// Text for people (stdout) as is, unless `--json` or `--quiet`.
    pub fn text(&mut self, s: &str) {
        if !self.mode.json && !self.mode.quiet {
            let _ = write!(self.out, "{s}");
        }
    }

    /// A line for people that is part of the result (`list`, `graph`): printed even with
    /// `--quiet`, never with `--json`.
    pub fn result(&mut self, s: &str) {
        if !self.mode.json {
            let _ = write!(self.out, "{s}");
        }
    }

    /// A warning or note on stderr, unless `--quiet`.
    pub fn warn(&mut self, s: &str) {
        if !self.mode.quiet {
            let _ = writeln!(self.err, "{s}");
        }
    }

    /// One NDJSON event (`--json` only). `important` events are kept under `--quiet`.
    pub fn event(&mut self, name: &str, mut fields: Json, important: bool) {
        if !self.mode.json || (self.mode.quiet && !important) {
            return;
        }
        if let Json::Object(m) = &mut fields {
            m.insert("event".to_owned(), Json::from(name));
        }
        let _ = writeln!(self.out, "{fields}");
    }

    /// An error: text on stderr, and an `error` event with `--json`.
    pub fn error(&mut self, code: Option<&str>, exit_code: i32, message: &str) {
        let _ = writeln!(self.err, "error: {message}");
        self.event(
            "error",
            json!({"code": code, "exit_code": exit_code, "message": message}),
            true,
        );
    }

    /// Diagnostics: text on stderr (warnings only without `--quiet`), events with `--json`.
    pub fn diagnostics(&mut self, diags: &[Diagnostic]) {
        for d in diags {
            if d.is_error() || !self.mode.quiet {
                let _ = writeln!(self.err, "{d}");
            }
            self.event("diagnostic", diagnostic_json(d), d.is_error());
        }
    }

    /// Flushes stdout (before a prompt).
    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }
}

/// A diagnostic as JSON.
pub fn diagnostic_json(d: &Diagnostic) -> Json {
    json!({
        "code": d.code.as_str(),
        "severity": if d.is_error() { "error" } else { "warning" },
        "stack": d.path.stack,
        "logical_id": d.path.logical_id,
        "property": d.path.property,
        "message": d.message,
        "help": d.help,
    })
}
