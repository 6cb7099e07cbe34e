//! Identifier rules: CloudFormation names to Rust names.
//!
//! - Types (resources, nested definitions, enums): UpperCamelCase from words (`VPC` →
//!   `Vpc`, `DBInstance` → `DbInstance`, `EC2Fleet` → `Ec2Fleet`).
//! - Fields, modules, attribute accessors: snake_case from the same words.
//! - Words are split at lower→upper changes and at the end of an upper-case run followed by a
//!   lower-case letter (`DBInstance` → `DB` `Instance`). Tokens that this rule would mangle
//!   (`ARNs` → `AR` `Ns`, `IPv6` → `I` `Pv6`) are first rewritten by [`RENAMES`], the one
//!   explicit rename table.
//! - Rust keywords get a trailing underscore (`type_`, `Self_`).

/// The one rename table: tokens inside CloudFormation names that the word splitter would
/// mangle, rewritten before splitting. Longest tokens first.
pub const RENAMES: &[(&str, &str)] = &[
    ("IPv6", "Ipv6"),
    ("IPv4", "Ipv4"),
    ("IPV6", "Ipv6"),
    ("IPV4", "Ipv4"),
    ("ARNs", "Arns"),
    ("IDs", "Ids"),
    ("URLs", "Urls"),
    ("URIs", "Uris"),
    ("ACLs", "Acls"),
    ("AMIs", "Amis"),
    ("VPCs", "Vpcs"),
    ("CIDRs", "Cidrs"),
    ("IPs", "Ips"),
    ("ENIs", "Enis"),
    ("AZs", "Azs"),
    ("DNSs", "Dnss"),
    ("APIs", "Apis"),
    ("CAs", "Cas"),
    ("SGs", "Sgs"),
    ("KMSs", "Kmss"),
    ("GiB", "Gib"),
    ("MiB", "Mib"),
    ("TiB", "Tib"),
    ("KiB", "Kib"),
    ("MBps", "Mbps"),
    ("GBps", "Gbps"),
    ("IOPs", "Iops"),
    ("iOS", "Ios"),
    ("macOS", "Macos"),
    ("OAuth", "Oauth"),
    ("NetBIOS", "Netbios"),
    ("DBs", "Dbs"),
    ("ETag", "Etag"),
];

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Splits a CloudFormation name into words (see the module docs).
pub fn words(name: &str) -> Vec<String> {
    let mut s = name.to_owned();
    for (from, to) in RENAMES {
        s = s.replace(from, to);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for i in 0..chars.len() {
        let c = chars[i];
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if !cur.is_empty() {
            let prev = chars[i - 1];
            let next = chars.get(i + 1).copied();
            let boundary = (c.is_ascii_uppercase() && (prev.is_ascii_lowercase()))
                || (c.is_ascii_uppercase()
                    && prev.is_ascii_uppercase()
                    && next.is_some_and(|n| n.is_ascii_lowercase()))
                || (c.is_ascii_uppercase()
                    && prev.is_ascii_digit()
                    && next.is_some_and(|n| n.is_ascii_lowercase()));
            if boundary {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// UpperCamelCase; a leading digit gets a `V` prefix.
pub fn camel(name: &str) -> String {
    let mut s = String::new();
    for w in words(name) {
        let mut cs = w.chars();
        if let Some(f) = cs.next() {
            s.push(f.to_ascii_uppercase());
            s.extend(cs.map(|c| c.to_ascii_lowercase()));
        }
    }
    if s.is_empty() {
        s.push_str("Unnamed");
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'V');
    }
    if KEYWORDS.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// snake_case; keywords get a trailing underscore, a leading digit a `n` prefix.
pub fn snake(name: &str) -> String {
    let mut s = words(name)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    if s.is_empty() {
        s.push_str("unnamed");
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'n');
    }
    if KEYWORDS.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// UPPER_SNAKE for statics.
pub fn upper(name: &str) -> String {
    snake(name).trim_end_matches('_').to_ascii_uppercase()
}

/// Names for symbols when an enum value has no letters or digits at all.
const SYMBOLS: &[(&str, &str)] = &[
    ("", "Empty"),
    ("*", "Star"),
    ("+", "Plus"),
    ("-", "Minus"),
    ("/", "Slash"),
    (".", "Dot"),
    ("=", "Eq"),
    ("!=", "NotEq"),
    ("<", "Lt"),
    ("<=", "Le"),
    (">", "Gt"),
    (">=", "Ge"),
];

/// A variant name for an enum value: words of the value in UpperCamelCase, symbols named.
pub fn variant(value: &str) -> String {
    if let Some((_, n)) = SYMBOLS.iter().find(|(s, _)| *s == value) {
        return (*n).to_owned();
    }
    // Keep the case of the value's words but capitalise each: `t2.micro` → `T2Micro`,
    // `GENERAL_PURPOSE` → `GeneralPurpose`.
    let mut s = String::new();
    for w in value.split(|c: char| !c.is_ascii_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        for (i, part) in words(w).iter().enumerate() {
            let _ = i;
            let mut cs = part.chars();
            if let Some(f) = cs.next() {
                s.push(f.to_ascii_uppercase());
                s.extend(cs.map(|c| c.to_ascii_lowercase()));
            }
        }
    }
    if s.is_empty() {
        // Non-ASCII or only punctuation: name it by its code points.
        s = format!(
            "U{}",
            value
                .chars()
                .map(|c| format!("{:X}", c as u32))
                .collect::<Vec<_>>()
                .join("_")
        );
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'V');
    }
    if KEYWORDS.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_acronyms_and_plurals() {
        assert_eq!(camel("VPC"), "Vpc");
        assert_eq!(camel("DBInstance"), "DbInstance");
        assert_eq!(camel("EC2Fleet"), "Ec2Fleet");
        assert_eq!(snake("NotificationARNs"), "notification_arns");
        assert_eq!(snake("Ipv6CidrBlock"), "ipv6_cidr_block");
        assert_eq!(snake("IPv6CidrBlock"), "ipv6_cidr_block");
        assert_eq!(snake("Type"), "type_");
        assert_eq!(snake("DBSubnetGroupName"), "db_subnet_group_name");
        assert_eq!(snake("ElasticLoadBalancingV2"), "elastic_load_balancing_v2");
        assert_eq!(camel("Self"), "Self_");
    }

    #[test]
    fn variants() {
        assert_eq!(variant("t2.micro"), "T2Micro");
        assert_eq!(variant("GENERAL_PURPOSE"), "GeneralPurpose");
        assert_eq!(variant("1.0"), "V10");
        assert_eq!(variant("*"), "Star");
        assert_eq!(variant(""), "Empty");
        assert_eq!(variant("self"), "Self_");
    }
}
