//! Schema patterns are ECMAScript regular expressions (JSON Schema's dialect), written for
//! engines such as cfn-lint's; this rewrites one into the syntax of `fancy-regex` (and
//! `regex-syntax`, which it delegates to) with ECMAScript's meaning:
//!
//! - `\d` and `\w` are ASCII (`[0-9]`, `[A-Za-z0-9_]`), so `é` is not a word character;
//! - `\s` is ECMAScript's white space and line terminators: it matches U+FEFF and not
//!   U+0085 (Unicode's `White_Space` is the other way round);
//! - `.` excludes the four line terminators; `\b` is an ASCII word boundary;
//! - Python's `\Z` (the schemas use it) is the end of the text, `\z`;
//! - `\uXXXX` escapes, including UTF-16 surrogate pairs, become code points; a class of
//!   surrogate ranges (`[\uD800-\uDBFF\uDC00-\uDFFF]`, the UTF-16 way of saying "any
//!   supplementary character") becomes the supplementary range it spells;
//! - `\p{Graph}` (Python's `regex`) is spelled with Unicode properties;
//! - inside a class, `[` `&` `~` are literal (they are set operators in Rust) and a `-`
//!   after a class escape (`[\w-.]`) is literal.
//!
//! This file has no dependencies: the generator includes it too (`codegen/src/main.rs`),
//! so both decide alike which patterns can be checked.

/// ECMAScript's `\s`, as the inside of a class.
const SPACE: &str = "\\t\\n\\x0B\\x0C\\r \\xA0\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";
/// ECMAScript's `\b`: between an ASCII word character and anything else.
const WORD_BOUNDARY: &str =
    "(?:(?<=[A-Za-z0-9_])(?![A-Za-z0-9_])|(?<![A-Za-z0-9_])(?=[A-Za-z0-9_]))";
/// ECMAScript's `\B`.
const NOT_WORD_BOUNDARY: &str =
    "(?:(?<=[A-Za-z0-9_])(?=[A-Za-z0-9_])|(?<![A-Za-z0-9_])(?![A-Za-z0-9_]))";
/// Python's `\p{Graph}`: not white space, control, surrogate or unassigned.
const GRAPH: &str = "[^\\p{White_Space}\\p{Cc}\\p{Cs}\\p{Cn}]";

/// Rewrites an ECMAScript pattern into fancy-regex syntax (see the module docs). Returns
/// `Err` with a reason for what cannot be expressed (a lone surrogate).
pub(crate) fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 16);
    // Open groups: whether each is a look-around, and where it starts in `out`.
    let mut groups: Vec<(bool, usize)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '(' => {
                let rest: String = chars[i..].iter().take(4).collect();
                let look = ["(?=", "(?!", "(?<=", "(?<!"]
                    .iter()
                    .any(|p| rest.starts_with(p));
                groups.push((look, out.len()));
                out.push('(');
                i += 1;
            }
            ')' => {
                out.push(')');
                i += 1;
                if let Some((true, start)) = groups.pop() {
                    // A quantified look-around (allowed in ECMAScript's Annex B) asserts
                    // once when it must match at least once, and nothing otherwise.
                    if let Some((min, used)) = quantifier(&chars, i) {
                        i += used;
                        if min == 0 {
                            out.truncate(start);
                        }
                    }
                }
            }
            '\\' => {
                let Some(&n) = chars.get(i + 1) else {
                    out.push('\\');
                    i += 1;
                    continue;
                };
                i += 2;
                match n {
                    'd' => out.push_str("[0-9]"),
                    'D' => out.push_str("[^0-9]"),
                    'w' => out.push_str("[A-Za-z0-9_]"),
                    'W' => out.push_str("[^A-Za-z0-9_]"),
                    's' => {
                        out.push('[');
                        out.push_str(SPACE);
                        out.push(']');
                    }
                    'S' => {
                        out.push_str("[^");
                        out.push_str(SPACE);
                        out.push(']');
                    }
                    'Z' => out.push_str("\\z"),
                    'b' => out.push_str(WORD_BOUNDARY),
                    'B' => out.push_str(NOT_WORD_BOUNDARY),
                    'u' => {
                        let (cp, used) = unicode_escape(&chars, i, true)?;
                        i += used;
                        push_code_point(&mut out, cp);
                    }
                    'p' | 'P' if graph_at(&chars, i) => {
                        i += "{Graph}".len();
                        if n == 'p' {
                            out.push_str(GRAPH);
                        } else {
                            out.push_str("[\\p{White_Space}\\p{Cc}\\p{Cs}\\p{Cn}]");
                        }
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            '.' => {
                out.push_str("[^\\n\\r\\x{2028}\\x{2029}]");
                i += 1;
            }
            '[' => {
                i = class(&chars, i, &mut out)?;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// A quantifier at `i` (`+`, `*`, `?`, `{n}`, `{n,}`, `{n,m}`, optionally lazy): its
/// minimum and its length.
fn quantifier(chars: &[char], i: usize) -> Option<(u32, usize)> {
    let (min, mut used) = match chars.get(i)? {
        '+' => (1, 1),
        '*' | '?' => (0, 1),
        '{' => {
            let end = chars[i..].iter().position(|c| *c == '}')?;
            let inner: String = chars[i + 1..i + end].iter().collect();
            let min = inner.split(',').next()?.trim().parse::<u32>().ok()?;
            (min, end + 1)
        }
        _ => return None,
    };
    if chars.get(i + used) == Some(&'?') {
        used += 1;
    }
    Some((min, used))
}

fn graph_at(chars: &[char], i: usize) -> bool {
    chars[i..].iter().take(7).collect::<String>() == "{Graph}"
}

/// `\uXXXX` (after the `u` at `i`); outside a class (`join`), a high surrogate joins a
/// following low surrogate escape into one code point.
fn unicode_escape(chars: &[char], i: usize, join: bool) -> Result<(u32, usize), String> {
    let hex = |at: usize| -> Option<u32> {
        let s: String = chars.get(at..at + 4)?.iter().collect();
        if s.chars().all(|c| c.is_ascii_hexdigit()) {
            u32::from_str_radix(&s, 16).ok()
        } else {
            None
        }
    };
    if chars.get(i) == Some(&'{') {
        let end = chars[i..]
            .iter()
            .position(|c| *c == '}')
            .ok_or("unclosed \\u{")?;
        let s: String = chars[i + 1..i + end].iter().collect();
        let cp = u32::from_str_radix(&s, 16).map_err(|e| e.to_string())?;
        return Ok((cp, end + 1));
    }
    let hi = hex(i).ok_or("\\u needs four hex digits")?;
    if join
        && (0xD800..0xDC00).contains(&hi)
        && chars.get(i + 4) == Some(&'\\')
        && chars.get(i + 5) == Some(&'u')
    {
        if let Some(lo) = hex(i + 6).filter(|lo| (0xDC00..0xE000).contains(lo)) {
            return Ok((0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), 10));
        }
    }
    Ok((hi, 4))
}

fn push_code_point(out: &mut String, cp: u32) {
    out.push_str(&format!("\\x{{{cp:X}}}"));
}

fn is_surrogate(cp: u32) -> bool {
    (0xD800..0xE000).contains(&cp)
}

/// A class starting at `chars[start] == '['`; returns the index after it.
fn class(chars: &[char], start: usize, out: &mut String) -> Result<usize, String> {
    let mut body = String::new();
    let mut i = start + 1;
    let mut negated = false;
    if chars.get(i) == Some(&'^') {
        negated = true;
        i += 1;
    }
    // Surrogate code points met in the class, and whether a class escape was just written
    // (a `-` after it is literal).
    let mut surrogates: Vec<u32> = Vec::new();
    let mut after_class_escape = false;
    let mut first = true;
    while i < chars.len() {
        let c = chars[i];
        if c == ']' && !first {
            i += 1;
            if !surrogates.is_empty() {
                // UTF-16 spelling of supplementary characters: the range from the lowest to
                // the highest pair they can form.
                let highs: Vec<u32> = surrogates.iter().copied().filter(|c| *c < 0xDC00).collect();
                let lows: Vec<u32> = surrogates
                    .iter()
                    .copied()
                    .filter(|c| *c >= 0xDC00)
                    .collect();
                let (Some(h0), Some(h1), Some(l0), Some(l1)) = (
                    highs.iter().min(),
                    highs.iter().max(),
                    lows.iter().min(),
                    lows.iter().max(),
                ) else {
                    return Err("a class with lone surrogates".into());
                };
                let from = 0x10000 + ((h0 - 0xD800) << 10) + (l0 - 0xDC00);
                let to = 0x10000 + ((h1 - 0xD800) << 10) + (l1 - 0xDC00);
                body.push_str(&format!("\\x{{{from:X}}}-\\x{{{to:X}}}"));
            }
            out.push('[');
            if negated {
                out.push('^');
            }
            if body.is_empty() {
                // ECMAScript `[]` matches nothing, `[^]` anything.
                out.push_str(if negated { "\\s\\S" } else { "\\x{0}&&\\x{1}" });
            } else {
                out.push_str(&body);
            }
            out.push(']');
            return Ok(i);
        }
        first = false;
        let was_class_escape = std::mem::take(&mut after_class_escape);
        match c {
            '\\' => {
                let Some(&n) = chars.get(i + 1) else {
                    return Err("a trailing backslash".into());
                };
                i += 2;
                match n {
                    'd' => {
                        body.push_str("0-9");
                        after_class_escape = true;
                    }
                    'w' => {
                        body.push_str("A-Za-z0-9_");
                        after_class_escape = true;
                    }
                    's' => {
                        body.push_str(SPACE);
                        after_class_escape = true;
                    }
                    'D' => {
                        body.push_str("[^0-9]");
                        after_class_escape = true;
                    }
                    'W' => {
                        body.push_str("[^A-Za-z0-9_]");
                        after_class_escape = true;
                    }
                    'S' => {
                        body.push_str("[^");
                        body.push_str(SPACE);
                        body.push(']');
                        after_class_escape = true;
                    }
                    'b' => body.push_str("\\x08"),
                    'u' => {
                        let (cp, used) = unicode_escape(chars, i, false)?;
                        i += used;
                        if is_surrogate(cp) {
                            surrogates.push(cp);
                            // A range between two surrogates (`\uDBFF-\uDC00`) is part of the
                            // UTF-16 spelling: skip the dash, keep both ends.
                            if chars.get(i) == Some(&'-') && chars.get(i + 1) == Some(&'\\') {
                                i += 1;
                            }
                        } else {
                            push_code_point(&mut body, cp);
                        }
                    }
                    'p' | 'P' if graph_at(chars, i) => {
                        i += "{Graph}".len();
                        body.push_str(if n == 'p' {
                            GRAPH
                        } else {
                            "[\\p{White_Space}\\p{Cc}\\p{Cs}\\p{Cn}]"
                        });
                        after_class_escape = true;
                    }
                    'p' | 'P' => {
                        body.push('\\');
                        body.push(n);
                        // The property name: `{Name}` or one letter.
                        if chars.get(i) == Some(&'{') {
                            while let Some(&c) = chars.get(i) {
                                body.push(c);
                                i += 1;
                                if c == '}' {
                                    break;
                                }
                            }
                        } else if let Some(&c) = chars.get(i) {
                            body.push(c);
                            i += 1;
                        }
                        after_class_escape = true;
                    }
                    other => {
                        body.push('\\');
                        body.push(other);
                    }
                }
            }
            '-' if was_class_escape && chars.get(i + 1) != Some(&']') => {
                body.push_str("\\-");
                i += 1;
            }
            '[' | '&' | '~' => {
                body.push('\\');
                body.push(c);
                i += 1;
            }
            '-' if body.ends_with('-') && !body.ends_with("\\-") => {
                body.push_str("\\-");
                i += 1;
            }
            _ => {
                body.push(c);
                i += 1;
            }
        }
    }
    Err("an unclosed character class".into())
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn perl_classes_are_ascii_and_space_is_ecmascript() {
        assert_eq!(translate(r"^\d+$").unwrap(), "^[0-9]+$");
        assert_eq!(translate(r"[\w-.]").unwrap(), r"[A-Za-z0-9_\-.]");
        assert!(translate(r"\s").unwrap().contains("FEFF"));
        assert!(!translate(r"\s").unwrap().contains("85"));
    }

    #[test]
    fn python_end_anchor_and_unicode_escapes() {
        assert_eq!(translate(r"a\Z").unwrap(), r"a\z");
        assert_eq!(translate(r"\u0041").unwrap(), r"\x{41}");
        assert_eq!(translate(r"\uD83D\uDE00").unwrap(), r"\x{1F600}");
        assert_eq!(
            translate(r"[\u0020-\uD7FF\uD800\uDBFF-\uDC00\uDFFF]").unwrap(),
            r"[\x{20}-\x{D7FF}\x{10000}-\x{10FFFF}]"
        );
    }
}
