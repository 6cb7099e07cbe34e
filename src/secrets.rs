//! Secrets caught by value as well as by name.
//!
//! A template is readable by anyone who may describe the stack, so a literal secret in it is a
//! leak. This module recognises one in two ways:
//!
//! - **By value**, wherever it appears: AWS access key IDs (`AKIA…`, `ASIA…`), AWS secret
//!   access keys next to their name, PEM private keys, URLs with a password
//!   (`postgres://app:hunter2@db/app`), and well-known token formats (GitHub, GitLab, Slack,
//!   Stripe, Google, npm, SendGrid, Twilio, OpenAI, Anthropic, JSON Web Tokens). These shapes
//!   are specific enough to hold with no name around them.
//! - **By name**, for a value that sits under a name (an environment variable, a JSON key, a
//!   `Name`/`Value` pair, a parameter's default, an output): a *secret name* is one whose last
//!   word (after an optional qualifier such as `PROD` or `2`) is `PASSWORD`, `PASS`, `PASSWD`,
//!   `PWD`, `PASSPHRASE`, `SECRET`, `TOKEN`, `CREDENTIALS` or `CREDS` (or ends with one of the
//!   long ones: `VTT_DBPASSWORD`), or a key qualified as
//!   secret (`API_KEY`, `SECRET_KEY`, `PRIVATE_KEY`, `ACCESS_KEY`, `SIGNING_KEY`,
//!   `ENCRYPTION_KEY`, `MASTER_KEY`, `APIKEY`). Words are split at `_`, `-`, `.`, spaces and
//!   camel case, so `DB_PASS`, `dbPassword` and `StripeApiKey` are all secret names. Under a
//!   secret name, **any** literal value is a finding (that is how `DB_PASS=hunter2` is caught:
//!   `hunter2` has no telling shape, its name does), except values that are not secrets
//!   themselves: references (`{{resolve:…}}`, `${…}`), ARNs, parameter paths (`/prod/db`),
//!   booleans and short numbers. Under a *weak* name (one with `KEY`, `AUTH`, `CERT`,
//!   `SIGNATURE`, `SALT`, `HMAC`, `COOKIE` or `SESSION` that is not a secret name) only a
//!   high-entropy value is a finding (16+ characters, letters and digits, at least 3.5 bits
//!   of Shannon entropy per character), and hashes and UUIDs are not.
//!
//! What is *not* a finding, whatever the name: ARNs, image digests, UUIDs, hex hashes, AWS
//! resource IDs (`ami-…`, `sg-…`), base64 of ordinary text, dynamic references. A test runs a negative corpus of those, and every
//! example's templates, and expects no finding.
//!
//! ```
//! use stackforge::secrets::{scan_named, scan_value};
//! assert!(scan_named("DB_PASS", "hunter2").is_some());
//! assert!(scan_value("postgres://app:hunter2@db/app").is_some());
//! assert!(scan_value("arn:aws:iam::123456789012:role/app").is_none());
//! assert!(scan_named("DB_PASS", "{{resolve:secretsmanager:db:SecretString:password}}").is_none());
//! ```

use std::sync::OnceLock;

use regex::Regex;

/// What a finding looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretKind {
    /// An AWS access key ID (`AKIA…`, `ASIA…`).
    AwsAccessKeyId,
    /// An AWS secret access key.
    AwsSecretAccessKey,
    /// A PEM private key.
    PrivateKey,
    /// A URL with a password in it.
    UrlWithPassword,
    /// A token of a known provider (the name says which).
    Token(&'static str),
    /// A literal value under a secret name (`DB_PASS`, `apiToken`).
    UnderSecretName,
    /// A high-entropy value under a name that suggests a key or credential.
    HighEntropy,
}

/// One literal secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What it is.
    pub kind: SecretKind,
    /// A description for messages: "an AWS access key ID", "a GitHub token".
    pub what: String,
}

impl Finding {
    fn new(kind: SecretKind, what: impl Into<String>) -> Self {
        Finding {
            kind,
            what: what.into(),
        }
    }
}

/// The value detectors: `(what, kind, pattern)`. The last one is the URL with a password,
/// whose password part is checked for placeholders after a match.
const DETECTORS: &[(&str, SecretKind, &str)] = &[
    (
        "an AWS access key ID",
        SecretKind::AwsAccessKeyId,
        r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
    ),
    (
        "an AWS secret access key",
        SecretKind::AwsSecretAccessKey,
        r#"(?i)aws.{0,20}secret.{0,20}?['"]?\s*[:=]\s*['"]?[A-Za-z0-9/+]{40}\b"#,
    ),
    (
        "a private key",
        SecretKind::PrivateKey,
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
    ),
    (
        "a GitHub token",
        SecretKind::Token("GitHub"),
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b",
    ),
    (
        "a GitLab token",
        SecretKind::Token("GitLab"),
        r"\bglpat-[A-Za-z0-9_-]{20}\b",
    ),
    (
        "a Slack token",
        SecretKind::Token("Slack"),
        r"\bxox[baprse]-[A-Za-z0-9]{2,}-[A-Za-z0-9-]{8,}",
    ),
    (
        "a Slack webhook URL",
        SecretKind::Token("Slack"),
        r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{20,}",
    ),
    (
        "a Stripe key",
        SecretKind::Token("Stripe"),
        r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,}\b",
    ),
    (
        "a Google API key",
        SecretKind::Token("Google"),
        r"\bAIza[0-9A-Za-z_-]{35}\b",
    ),
    (
        "an npm token",
        SecretKind::Token("npm"),
        r"\bnpm_[A-Za-z0-9]{36}\b",
    ),
    (
        "a SendGrid API key",
        SecretKind::Token("SendGrid"),
        r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b",
    ),
    (
        "a Twilio API key",
        SecretKind::Token("Twilio"),
        r"\bSK[0-9a-f]{32}\b",
    ),
    (
        "an OpenAI API key",
        SecretKind::Token("OpenAI"),
        r"\bsk-[A-Za-z0-9_-]*T3BlbkFJ[A-Za-z0-9_-]{20,}",
    ),
    (
        "an Anthropic API key",
        SecretKind::Token("Anthropic"),
        r"\bsk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,}",
    ),
    (
        "a JSON Web Token",
        SecretKind::Token("JWT"),
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    ),
    (
        "a URL with a password",
        SecretKind::UrlWithPassword,
        r"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://([^/\s:@]*):([^/\s@]+)@[A-Za-z0-9\[]",
    ),
];

/// Every detector as one set (one pass over a value), and each alone (for the URL's parts).
fn detectors() -> Option<&'static (regex::RegexSet, Vec<Regex>)> {
    static D: OnceLock<Option<(regex::RegexSet, Vec<Regex>)>> = OnceLock::new();
    D.get_or_init(|| {
        let set = regex::RegexSet::new(DETECTORS.iter().map(|d| d.2)).ok()?;
        let each = DETECTORS
            .iter()
            .map(|d| Regex::new(d.2).ok())
            .collect::<Option<Vec<_>>>()?;
        Some((set, each))
    })
    .as_ref()
}

/// A literal that is a reference to a secret, or not text at all: never a finding.
fn is_reference(v: &str) -> bool {
    let t = v.trim();
    t.is_empty()
        || t.contains("{{resolve:")
        || t.starts_with("arn:")
        || (t.starts_with("${") && t.ends_with('}') && !t[2..].contains("${"))
        || (t.starts_with('/') && !t.contains(' ') && t.len() > 1)
}

/// Scans a value on its own: the shapes that are secrets wherever they appear.
pub fn scan_value(value: &str) -> Option<Finding> {
    if value.len() < 8 || value.contains("{{resolve:") {
        return None;
    }
    let (set, each) = detectors()?;
    if !set.is_match(value) {
        return None;
    }
    let url = DETECTORS.len() - 1;
    for i in set.matches(value).iter() {
        let (what, kind, _) = DETECTORS[i];
        if i != url {
            return Some(Finding::new(kind, what));
        }
        for c in each[url].captures_iter(value) {
            let password = c.get(2).map_or("", |m| m.as_str());
            let placeholder = password.starts_with('$')
                || password.starts_with('{')
                || password
                    .chars()
                    .all(|ch| ch == '*' || ch == 'x' || ch == 'X');
            if !placeholder {
                return Some(Finding::new(kind, what));
            }
        }
    }
    None
}

/// How strongly a name suggests a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NameStrength {
    /// Nothing secret about it.
    None,
    /// It suggests a key or credential (`CACHE_KEY`, `AUTH_MODE`): only high-entropy values are
    /// findings.
    Weak,
    /// It names a secret (`DB_PASS`, `ApiToken`): every literal value is a finding.
    Strong,
}

/// The words of a name, lower case: `DB_PASS` → `db pass`, `StripeAPIKey` → `stripe api key`.
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let boundary = match prev {
            Some(p) if p.is_alphanumeric() => {
                (p.is_lowercase() && c.is_uppercase())
                    || (p.is_uppercase()
                        && c.is_uppercase()
                        && next.is_some_and(char::is_lowercase))
                    || (p.is_alphabetic() && c.is_ascii_digit())
                    || (p.is_ascii_digit() && c.is_alphabetic())
            }
            _ => false,
        };
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "credentials",
    "creds",
    "apikey",
    "secretkey",
    "privatekey",
];
/// Endings that make a run-together last word a secret name (`VTT_DBPASSWORD`,
/// `csrftoken`); the short words (`pass`, `pwd`) count only on their own.
const SECRET_SUFFIXES: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credentials",
    "apikey",
    "secretkey",
    "privatekey",
];
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "secret",
    "private",
    "access",
    "signing",
    "encryption",
    "master",
    "client",
];
const QUALIFIERS: &[&str] = &[
    "prod",
    "production",
    "dev",
    "test",
    "staging",
    "stage",
    "qa",
    "live",
    "new",
    "old",
    "primary",
    "secondary",
    "current",
    "previous",
    "value",
];
const WEAK_WORDS: &[&str] = &[
    "key",
    "keys",
    "auth",
    "cert",
    "certificate",
    "signature",
    "sig",
    "salt",
    "hmac",
    "cookie",
    "session",
    "bearer",
];

/// How strongly `name` suggests a secret (see the module docs).
pub fn name_strength(name: &str) -> NameStrength {
    // Most names mention nothing secret: answer without splitting them into words.
    static HINTS: OnceLock<Option<Regex>> = OnceLock::new();
    let hints = HINTS.get_or_init(|| {
        Regex::new(
            "(?i)pass|pwd|secret|token|cred|key|auth|cert|sig|salt|hmac|cookie|session|bearer",
        )
        .ok()
    });
    if hints.as_ref().is_some_and(|h| !h.is_match(name)) {
        return NameStrength::None;
    }
    let mut w = words(name);
    // A trailing qualifier (`DB_PASSWORD_PROD`, `TOKEN_2`) does not change what it is.
    while w.len() > 1
        && w.last().is_some_and(|l| {
            QUALIFIERS.contains(&l.as_str()) || l.chars().all(|c| c.is_ascii_digit())
        })
    {
        w.pop();
    }
    let Some(last) = w.last() else {
        return NameStrength::None;
    };
    if SECRET_WORDS.contains(&last.as_str()) || SECRET_SUFFIXES.iter().any(|s| last.ends_with(s)) {
        return NameStrength::Strong;
    }
    if last == "key" && w.len() >= 2 && KEY_QUALIFIERS.contains(&w[w.len() - 2].as_str()) {
        return NameStrength::Strong;
    }
    if w.iter().any(|x| WEAK_WORDS.contains(&x.as_str())) {
        return NameStrength::Weak;
    }
    NameStrength::None
}

fn is_boolean_or_small_number(v: &str) -> bool {
    let t = v.trim().to_ascii_lowercase();
    matches!(
        t.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "none" | "null" | "enabled" | "disabled"
    ) || (t.len() < 4 && t.chars().all(|c| c.is_ascii_digit()))
}

fn is_uuid(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// An AWS resource ID: `ami-0123456789abcdef0`, `sg-0a1b2c3d`, `vpc-…`, `subnet-…`.
fn is_aws_id(v: &str) -> bool {
    v.split_once('-').is_some_and(|(p, h)| {
        (1..=12).contains(&p.len())
            && p.chars().all(|c| c.is_ascii_lowercase())
            && (h.len() == 8 || h.len() == 17)
            && h.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    })
}

fn is_hash(v: &str) -> bool {
    let hex = v.strip_prefix("sha256:").unwrap_or(v);
    matches!(hex.len(), 32 | 40 | 56 | 64 | 96 | 128) && hex.chars().all(|c| c.is_ascii_hexdigit())
}

/// Shannon entropy in bits per character.
pub fn entropy(v: &str) -> f64 {
    let mut counts = std::collections::BTreeMap::new();
    let mut n = 0usize;
    for c in v.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

/// Decodes standard or URL-safe base64 (padding optional); `None` if it is not base64.
fn base64_decode(v: &str) -> Option<Vec<u8>> {
    let v = v.trim_end_matches('=');
    let mut out = Vec::with_capacity(v.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in v.bytes() {
        let x = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(x);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// True if `v` is base64 of ordinary text (user data, a script, a sentence): words, not key
/// material.
fn is_encoded_text(v: &str) -> bool {
    let Some(bytes) = base64_decode(v) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return false;
    };
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || c.is_whitespace())
        .count();
    text.chars().count() >= 8
        && printable * 10 >= text.chars().count() * 9
        && text.chars().any(char::is_whitespace)
}

fn high_entropy(v: &str) -> bool {
    let t = v.trim();
    t.len() >= 16
        // Token-shaped: base64 or base64url characters only (no paths with extensions, no
        // URLs, no sentences).
        && t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=_-".contains(c))
        && t.chars().any(|c| c.is_ascii_digit())
        && t.chars().any(|c| c.is_ascii_alphabetic())
        && !is_uuid(t)
        && !is_hash(t)
        && !is_aws_id(t)
        && !is_encoded_text(t)
        && !t.contains("://")
        && entropy(t) >= 3.5
}

/// Scans a value that sits under `name` (an environment variable, a JSON key, a parameter, an
/// output): [`scan_value`], then the name rules of the module docs.
pub fn scan_named(name: &str, value: &str) -> Option<Finding> {
    scan_named_as(name, name_strength(name), value)
}

/// [`scan_named`] with the name's strength already known (callers that see one name many
/// times compute it once).
pub fn scan_named_as(name: &str, strength: NameStrength, value: &str) -> Option<Finding> {
    if is_reference(value) {
        return None;
    }
    if let Some(f) = scan_value(value) {
        return Some(f);
    }
    match strength {
        NameStrength::Strong if !is_boolean_or_small_number(value) && !value.contains("${") => {
            let w = words(name);
            let aws_secret = w.windows(2).any(|p| p[0] == "secret" && p[1] == "access")
                && value.len() == 40
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '+');
            Some(if aws_secret {
                Finding::new(SecretKind::AwsSecretAccessKey, "an AWS secret access key")
            } else {
                Finding::new(
                    SecretKind::UnderSecretName,
                    format!("a literal value under the secret name `{name}`"),
                )
            })
        }
        NameStrength::Weak if high_entropy(value) => Some(Finding::new(
            SecretKind::HighEntropy,
            format!("a high-entropy value under `{name}`"),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_detector_compiles() {
        let (set, each) = detectors().expect("the detectors compile");
        assert_eq!(set.len(), 16);
        assert_eq!(each.len(), 16);
    }

    #[test]
    fn words_split_at_separators_and_camel_case() {
        assert_eq!(words("DB_PASS"), ["db", "pass"]);
        assert_eq!(words("StripeAPIKey"), ["stripe", "api", "key"]);
        assert_eq!(words("dbPassword2"), ["db", "password", "2"]);
        assert_eq!(
            words("aws.secret-access key"),
            ["aws", "secret", "access", "key"]
        );
    }

    #[test]
    fn name_strength_by_last_word() {
        for n in [
            "DB_PASS",
            "PASSWORD",
            "dbPassword",
            "API_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "GITHUB_TOKEN",
            "DB_PASSWORD_PROD",
            "VTT_DBPASSWORD",
            "ClientSecret",
            "SMTP_CREDENTIALS",
        ] {
            assert_eq!(name_strength(n), NameStrength::Strong, "{n}");
        }
        for n in ["CACHE_KEY", "AUTH_MODE", "SESSION_TTL", "KmsKeyId"] {
            assert_eq!(name_strength(n), NameStrength::Weak, "{n}");
        }
        for n in [
            "PASSWORD_FILE",
            "SECRET_ARN",
            "TOKEN_URL",
            "BYPASS",
            "DB_HOST",
            "PORT",
            "",
        ] {
            assert_eq!(name_strength(n), NameStrength::None, "{n}");
        }
    }
}
