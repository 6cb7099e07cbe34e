//! The syntax of each schema `format` stackforge checks. The facts (what an ID or ARN
//! looks like) are those cfn-lint checks (`cfnlint/rules/formats`, `jsonschema/_format.py`):
//! CIDRs must have no host bits set, IDs have 8 or 17 hex digits.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::resource::Format;

/// Whether the string `s` has the syntax of `f`. Formats of numbers accept any string.
pub(super) fn check_str(f: Format, s: &str) -> bool {
    match f {
        Format::DateTime => date_time(s),
        Format::Json => serde_json::from_str::<serde_json::Value>(s).is_ok(),
        Format::Ipv4Network => ipv4_network(s),
        Format::Ipv6Network => ipv6_network(s),
        Format::Int64 | Format::Double => true,
        Format::Uri => uri(s),
        Format::VpcId => prefixed_hex(s, "vpc-"),
        Format::SubnetId => prefixed_hex(s, "subnet-"),
        Format::SecurityGroupId => prefixed_hex(s, "sg-"),
        Format::SecurityGroupName => {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c))
        }
        // EC2 launch templates also take an SSM parameter name (`resolve:ssm:/path`).
        Format::ImageId => {
            s.starts_with("resolve:ssm:")
                || s.strip_prefix("ami-").is_some_and(|r| {
                    (r.len() == 8 || r.len() == 17)
                        && r.chars()
                            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
                })
        }
        Format::IamRoleArn => arn(s, "iam", |rest| {
            rest.strip_prefix("::")
                .and_then(account)
                .and_then(|r| r.strip_prefix(":role/"))
                .is_some_and(|r| !r.is_empty())
        }),
        Format::KmsKeyArn => regional_arn(s, "kms", |r| {
            ["key/", "alias/"]
                .iter()
                .any(|p| r.strip_prefix(p).is_some_and(|x| !x.is_empty()))
        }),
        Format::KmsKeyId => {
            uuid(s)
                || s.strip_prefix("mrk-").is_some_and(|r| {
                    r.len() == 32
                        && r.chars()
                            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
                })
                || alias(s, "/_-")
        }
        Format::KmsAliasName => alias(s, ":/_-"),
        Format::LambdaFunctionArn => regional_arn(s, "lambda", |r| {
            r.strip_prefix("function:").is_some_and(|x| !x.is_empty())
        }),
        Format::LogGroupName => {
            (1..=512).contains(&s.chars().count())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c))
        }
        // An empty name lets CloudFormation generate one (as cfn-lint allows).
        Format::S3BucketName => s.is_empty() || s3_bucket_name(s),
        Format::SnsTopicArn => regional_arn(s, "sns", |r| !r.is_empty()),
        Format::AcmCertificateArn => regional_arn(s, "acm", |r| {
            r.strip_prefix("certificate/")
                .is_some_and(|x| !x.is_empty())
        }),
    }
}

/// Whether the number `n` has the syntax of `f` (`integer` when it is an `Int` literal).
/// Formats of strings accept any number (the schema's type decides).
pub(super) fn check_number(f: Format, n: f64, integer: bool) -> bool {
    match f {
        Format::Int64 => {
            integer || (n.fract() == 0.0 && n >= -(2f64.powi(63)) && n < 2f64.powi(63))
        }
        Format::Double => n.is_finite(),
        _ => true,
    }
}

/// A valid example of `f`, for help lines.
pub(super) fn example(f: Format) -> &'static str {
    match f {
        Format::DateTime => "an RFC 3339 date-time such as 2026-10-20T22:11:15Z",
        Format::Json => "a JSON document",
        Format::Ipv4Network => "an IPv4 CIDR with no host bits set, such as 10.0.0.0/16",
        Format::Ipv6Network => "an IPv6 CIDR with no host bits set, such as 2001:db8::/56",
        Format::Int64 => "a whole number",
        Format::Double => "a finite number",
        Format::Uri => "a URI with a scheme, such as https://example.com/",
        Format::VpcId => "a VPC ID such as vpc-0123456789abcdef0",
        Format::SubnetId => "a subnet ID such as subnet-0123456789abcdef0",
        Format::SecurityGroupId => "a security group ID such as sg-0123456789abcdef0",
        Format::SecurityGroupName => {
            "a security group name (letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*)"
        }
        Format::ImageId => "an AMI ID such as ami-0123456789abcdef0",
        Format::IamRoleArn => "a role ARN such as arn:aws:iam::123456789012:role/app",
        Format::KmsKeyArn => "a key ARN such as arn:aws:kms:us-east-1:123456789012:key/<uuid>",
        Format::KmsKeyId => "a key ID (a UUID or mrk-…) or an alias/… name",
        Format::KmsAliasName => "an alias such as alias/app",
        Format::LambdaFunctionArn => {
            "a function ARN such as arn:aws:lambda:us-east-1:123456789012:function:app"
        }
        Format::LogGroupName => "a log group name (1 to 512 of letters, digits and ._-/#)",
        Format::S3BucketName => "a bucket name (3 to 63 of a-z, 0-9, . and -)",
        Format::SnsTopicArn => "a topic ARN such as arn:aws:sns:us-east-1:123456789012:alerts",
        Format::AcmCertificateArn => {
            "a certificate ARN such as arn:aws:acm:us-east-1:123456789012:certificate/<id>"
        }
    }
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
fn date_time(s: &str) -> bool {
    let Some((date, time)) = s.split_once('T') else {
        return false;
    };
    let d: Vec<&str> = date.split('-').collect();
    let date_ok = d.len() == 3
        && digits(d[0], 4)
        && digits(d[1], 2)
        && digits(d[2], 2)
        && (1..=12).contains(&d[1].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&d[2].parse::<u32>().unwrap_or(0));
    let (clock, offset) = if let Some(c) = time.strip_suffix('Z') {
        (c, None)
    } else if let Some(i) = time.rfind(['+', '-']) {
        (&time[..i], Some(&time[i + 1..]))
    } else {
        return false;
    };
    let hm = |x: &str| -> bool {
        let p: Vec<&str> = x.split(':').collect();
        p.len() == 2
            && digits(p[0], 2)
            && digits(p[1], 2)
            && p[0].parse::<u32>().is_ok_and(|h| h < 24)
            && p[1].parse::<u32>().is_ok_and(|m| m < 60)
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((a, f)) => (a, Some(f)),
        None => (clock, None),
    };
    let t: Vec<&str> = hms.split(':').collect();
    let clock_ok = t.len() == 3
        && hm(&format!("{}:{}", t[0], t[1]))
        && digits(t[2], 2)
        && t[2].parse::<u32>().is_ok_and(|x| x < 60)
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    date_ok && clock_ok && offset.is_none_or(hm)
}

fn prefix_len(s: &str, max: u8) -> Option<(&str, u8)> {
    match s.split_once('/') {
        Some((a, p)) => {
            // Python's ipaddress: decimal digits only, no sign, no leading zeros.
            if p.is_empty()
                || !p.bytes().all(|b| b.is_ascii_digit())
                || (p.len() > 1 && p.starts_with('0'))
            {
                return None;
            }
            let n: u8 = p.parse().ok()?;
            (n <= max).then_some((a, n))
        }
        None => Some((s, max)),
    }
}

fn ipv4_network(s: &str) -> bool {
    let Some((addr, len)) = prefix_len(s, 32) else {
        return false;
    };
    let Ok(a) = addr.parse::<Ipv4Addr>() else {
        return false;
    };
    let bits = u32::from(a);
    len == 32 || bits & (u32::MAX >> len) == 0
}

fn ipv6_network(s: &str) -> bool {
    let Some((addr, len)) = prefix_len(s, 128) else {
        return false;
    };
    let Ok(a) = addr.parse::<Ipv6Addr>() else {
        return false;
    };
    let bits = u128::from(a);
    len == 128 || bits & (u128::MAX >> len) == 0
}

fn uri(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    let mut cs = scheme.chars();
    cs.next().is_some_and(|c| c.is_ascii_alphabetic())
        && cs.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

/// `<prefix>` and 8 or 17 hex digits.
fn prefixed_hex(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix).is_some_and(|r| {
        (r.len() == 8 || r.len() == 17) && r.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// 12 digits, returning the rest.
fn account(s: &str) -> Option<&str> {
    let (a, rest) = s.split_at_checked(12)?;
    digits(a, 12).then_some(rest)
}

/// `arn:aws[-partition]:<service>:` and the rest checked by `rest`.
fn arn(s: &str, service: &str, rest: impl Fn(&str) -> bool) -> bool {
    let Some(r) = s.strip_prefix("arn:aws") else {
        return false;
    };
    let Some((partition, r)) = r.split_once(':') else {
        return false;
    };
    if !partition
        .chars()
        .all(|c| c.is_ascii_alphabetic() || c == '-')
    {
        return false;
    }
    r.strip_prefix(service).is_some_and(rest)
}

/// `arn:aws…:<service>:<region>:<account>:` and the resource checked by `resource`.
fn regional_arn(s: &str, service: &str, resource: impl Fn(&str) -> bool) -> bool {
    arn(s, service, |r| {
        let Some(r) = r.strip_prefix(':') else {
            return false;
        };
        let Some((region, r)) = r.split_once(':') else {
            return false;
        };
        !region.is_empty()
            && region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && account(r)
                .and_then(|r| r.strip_prefix(':'))
                .is_some_and(&resource)
    })
}

fn uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| {
            p.len() == n
                && p.chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        })
}

/// `alias/` and at least one of letters, digits and `extra`.
fn alias(s: &str, extra: &str) -> bool {
    s.strip_prefix("alias/").is_some_and(|r| {
        !r.is_empty()
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
    })
}

fn s3_bucket_name(s: &str) -> bool {
    (3..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && !s.starts_with(['.', '-'])
        && !s.ends_with(['.', '-'])
        && !s.contains("..")
        && !s.contains("-.")
        && !s.contains(".-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_networks() {
        for ok in [
            "10.0.0.0/16",
            "10.0.0.1/32",
            "0.0.0.0/0",
            "10.0.0.1",
            "192.168.1.0/24",
        ] {
            assert!(ipv4_network(ok), "{ok}");
        }
        for bad in [
            "10.0.0.0/33",
            "banana",
            "10.0.0.1/24",
            "10.0.0/16",
            "10.0.0.0/",
            "10.0.0.0/016",
            "300.0.0.0/8",
        ] {
            assert!(!ipv4_network(bad), "{bad}");
        }
    }

    #[test]
    fn ipv6_networks() {
        assert!(ipv6_network("2001:db8::/32"));
        assert!(ipv6_network("::/0"));
        assert!(!ipv6_network("2001:db8::1/32"));
        assert!(!ipv6_network("2001:db8::/129"));
        assert!(!ipv6_network("10.0.0.0/8"));
    }

    #[test]
    fn date_times() {
        assert!(date_time("2026-10-20T22:11:15Z"));
        assert!(date_time("2026-10-20T22:11:15.123+02:00"));
        assert!(!date_time("2026-13-20T22:11:15Z"));
        assert!(!date_time("2026-10-20 22:11:15Z"));
        assert!(!date_time("2026-10-20T24:00:00Z"));
        assert!(!date_time("yesterday"));
    }

    #[test]
    fn ids_and_arns() {
        assert!(check_str(Format::VpcId, "vpc-0123abcd"));
        assert!(check_str(Format::VpcId, "vpc-0123456789abcdef0"));
        assert!(!check_str(Format::VpcId, "vpc-0123abcde"));
        assert!(
            !check_str(Format::SecurityGroupId, "sg-123456789"),
            "9 hex digits"
        );
        assert!(check_str(
            Format::IamRoleArn,
            "arn:aws:iam::123456789012:role/app"
        ));
        assert!(check_str(
            Format::IamRoleArn,
            "arn:aws-us-gov:iam::123456789012:role/a/b"
        ));
        assert!(!check_str(
            Format::IamRoleArn,
            "arn:aws:iam::12345:role/app"
        ));
        assert!(check_str(
            Format::KmsKeyArn,
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ));
        assert!(check_str(Format::KmsKeyId, "alias/app"));
        assert!(check_str(
            Format::KmsKeyId,
            "1234abcd-12ab-34cd-56ef-1234567890ab"
        ));
        assert!(!check_str(Format::KmsKeyId, "app"));
        assert!(check_str(Format::S3BucketName, "my.bucket-1"));
        assert!(!check_str(Format::S3BucketName, "My_Bucket"));
        assert!(!check_str(Format::S3BucketName, "a..b"));
        assert!(check_str(
            Format::LambdaFunctionArn,
            "arn:aws:lambda:eu-west-1:123456789012:function:f:live"
        ));
    }
}
