//! Reading CloudFormation templates that stackforge did not just synthesize: an earlier
//! assembly (`diff --against`), the deployed template (`GetTemplate`, which returns the text
//! the stack was created with, JSON or YAML), and existing templates (`import`).
//!
//! One reader for all of them: [`parse`] takes JSON, or YAML with CloudFormation's short
//! forms (`!Ref`, `!Sub` in both forms, `!GetAtt A.B`, nested forms such as
//! `!Select [0, !GetAZs '']`) when the `yaml` feature is on, and turns both into the same
//! JSON value. YAML aliases are rejected (CloudFormation does not accept them, and they are
//! how small files become huge values). [`read_file`] adds the checks a command-line input
//! needs: it must exist, be a regular file (a FIFO would block forever) and be at most
//! [`MAX_TEMPLATE_FILE`] bytes.

#[cfg(feature = "yaml")]
mod yaml;

use std::io::Read;
use std::path::Path;

use serde_json::Value as Json;

use crate::diag::assembly_codes as codes;
use crate::diag::Code;

/// The largest template file read (4 MiB: pretty-printed or YAML text of a template at
/// CloudFormation's 1 MB limit).
pub const MAX_TEMPLATE_FILE: u64 = 4 * 1024 * 1024;

/// The deepest nesting of objects and arrays accepted (serde_json's own limit).
pub const MAX_DEPTH: usize = 128;

/// The top-level sections of a CloudFormation template.
pub const SECTIONS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Conditions",
    "Description",
    "Hooks",
    "Mappings",
    "Metadata",
    "Outputs",
    "Parameters",
    "Resources",
    "Rules",
    "Transform",
];

/// Where a problem is in a text: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Why an input file or template text could not be read. `origin` names the file, or what
/// the text is (`the deployed template of stack api`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file does not exist.
    #[error("{origin} does not exist")]
    NotFound {
        /// The file.
        origin: String,
    },
    /// The file cannot be read.
    #[error("cannot read {origin}: {source}")]
    Unreadable {
        /// The file.
        origin: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Not a regular file.
    #[error("{origin} is a {kind}, not a file")]
    NotAFile {
        /// The path.
        origin: String,
        /// `directory`, `FIFO`, `socket`, `device` or `special file`.
        kind: &'static str,
    },
    /// Over the size limit.
    #[error("{origin} is {bytes} bytes; the limit is {limit}")]
    TooLarge {
        /// The file.
        origin: String,
        /// Its size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// Not valid JSON or YAML.
    #[error("{origin} is not valid {format} at {at}: {message}")]
    Syntax {
        /// The file or text.
        origin: String,
        /// `JSON` or `YAML`.
        format: &'static str,
        /// Where.
        at: Position,
        /// The parser's message.
        message: String,
    },
    /// Valid JSON or YAML, but no CloudFormation template.
    #[error("{origin} is not a CloudFormation template: {reason}")]
    NotATemplate {
        /// The file or text.
        origin: String,
        /// What is missing or unexpected.
        reason: String,
    },
    /// YAML, and this build cannot read it.
    #[error("{origin} is YAML; this build reads only JSON templates. Build with stackforge's `yaml` feature (the standalone `stackforge` CLI has it)")]
    YamlUnsupported {
        /// The file or text.
        origin: String,
    },
    /// A YAML alias.
    #[error("{origin} uses a YAML alias at {at}; CloudFormation does not accept aliases: write the value out")]
    YamlAlias {
        /// The file or text.
        origin: String,
        /// Where.
        at: Position,
    },
    /// A YAML tag that is no CloudFormation short form.
    #[error("{origin}: unknown tag `{tag}` at {at}; CloudFormation's short forms are !Ref, !Sub, !GetAtt, !Join, !Select, !Split, !If, … (or write the long form `Fn::…`)")]
    YamlTag {
        /// The file or text.
        origin: String,
        /// The tag as written.
        tag: String,
        /// Where.
        at: Position,
    },
    /// A key twice in one mapping.
    #[error("{origin}: key `{key}` appears twice in one mapping (at {at})")]
    DuplicateKey {
        /// The file or text.
        origin: String,
        /// The key.
        key: String,
        /// Where the second one is.
        at: Position,
    },
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("{origin} nests objects and lists deeper than {limit} levels")]
    TooDeep {
        /// The file or text.
        origin: String,
        /// The limit.
        limit: usize,
    },
}

impl ReadError {
    /// The stable code (`SFA…`).
    pub fn code(&self) -> Code {
        match self {
            ReadError::NotFound { .. } => codes::NOT_FOUND,
            ReadError::Unreadable { .. } => codes::UNREADABLE,
            ReadError::NotAFile { .. } => codes::NOT_A_FILE,
            ReadError::TooLarge { .. } => codes::TOO_LARGE,
            ReadError::Syntax { .. } => codes::SYNTAX,
            ReadError::NotATemplate { .. } => codes::NOT_A_TEMPLATE,
            ReadError::YamlUnsupported { .. } => codes::YAML_UNSUPPORTED,
            ReadError::YamlAlias { .. } => codes::YAML_ALIAS,
            ReadError::YamlTag { .. } => codes::YAML_TAG,
            ReadError::DuplicateKey { .. } => codes::DUPLICATE_KEY,
            ReadError::TooDeep { .. } => codes::TOO_DEEP,
        }
    }
}

/// The bytes of a regular file of at most `limit` bytes. Checks the type before opening, so
/// a FIFO or a device is refused instead of blocking, and reads at most `limit + 1` bytes
/// whatever the file claims.
pub fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let origin = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| io_error(&origin, e))?;
    check_kind(&origin, &meta)?;
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            origin,
            bytes: meta.len(),
            limit,
        });
    }
    let file = std::fs::File::open(path).map_err(|e| io_error(&origin, e))?;
    // The path may have been swapped between the two calls: check what was opened.
    let meta = file.metadata().map_err(|e| io_error(&origin, e))?;
    check_kind(&origin, &meta)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(&origin, e))?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            origin,
            bytes: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

fn io_error(origin: &str, e: std::io::Error) -> ReadError {
    if e.kind() == std::io::ErrorKind::NotFound {
        ReadError::NotFound {
            origin: origin.to_owned(),
        }
    } else {
        ReadError::Unreadable {
            origin: origin.to_owned(),
            source: e,
        }
    }
}

fn check_kind(origin: &str, meta: &std::fs::Metadata) -> Result<(), ReadError> {
    let t = meta.file_type();
    if t.is_file() {
        return Ok(());
    }
    let kind = if t.is_dir() {
        "directory"
    } else {
        special_kind(&t)
    };
    Err(ReadError::NotAFile {
        origin: origin.to_owned(),
        kind,
    })
}

#[cfg(unix)]
fn special_kind(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_block_device() || t.is_char_device() {
        "device"
    } else {
        "special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "special file"
}

/// Reads a template file (JSON, or YAML with the `yaml` feature).
pub fn read_file(path: &Path) -> Result<Json, ReadError> {
    let bytes = read_regular_file(path, MAX_TEMPLATE_FILE)?;
    let origin = path.display().to_string();
    let text = String::from_utf8(bytes).map_err(|e| ReadError::Syntax {
        origin: origin.clone(),
        format: "UTF-8",
        at: Position::default(),
        message: format!("invalid UTF-8 after byte {}", e.utf8_error().valid_up_to()),
    })?;
    parse(&text, &origin)
}

/// Is the text JSON (`{` or `[` first) rather than YAML?
pub fn is_json(text: &str) -> bool {
    matches!(
        text.trim_start_matches('\u{feff}')
            .trim_start()
            .chars()
            .next(),
        Some('{' | '[')
    )
}

/// Parses a template text, JSON or YAML, and checks that it is a CloudFormation template.
/// `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<Json, ReadError> {
    let value = parse_value(text, origin)?;
    check_template(&value).map_err(|e| ReadError::NotATemplate {
        origin: origin.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(value)
}

/// Parses JSON or YAML into a value, without the template check.
pub fn parse_value(text: &str, origin: &str) -> Result<Json, ReadError> {
    let text = text.trim_start_matches('\u{feff}');
    if is_json(text) {
        return serde_json::from_str(text).map_err(|e| ReadError::Syntax {
            origin: origin.to_owned(),
            format: "JSON",
            at: Position {
                line: e.line(),
                column: e.column(),
            },
            message: e.to_string(),
        });
    }
    parse_yaml(text, origin)
}

#[cfg(feature = "yaml")]
fn parse_yaml(text: &str, origin: &str) -> Result<Json, ReadError> {
    yaml::parse(text, origin)
}

#[cfg(not(feature = "yaml"))]
fn parse_yaml(_: &str, origin: &str) -> Result<Json, ReadError> {
    Err(ReadError::YamlUnsupported {
        origin: origin.to_owned(),
    })
}

/// Why a JSON value is not a CloudFormation template ([`check_template`]); its code is
/// `SFA006` ([`codes::NOT_A_TEMPLATE`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateShapeError {
    /// The top level is not an object.
    #[error("the top level is {kind}, not an object")]
    NotAnObject {
        /// What it is instead (`a list`, `a string`, …).
        kind: &'static str,
    },
    /// Top-level keys that are no template section, sorted.
    #[error("unknown top-level key(s) {} (a template has only {})", quoted(keys), SECTIONS.join(", "))]
    UnknownSections {
        /// The unknown keys, sorted.
        keys: Vec<String>,
    },
    /// No `Resources` section.
    #[error("there is no `Resources` section")]
    NoResources,
    /// `Resources` is not an object.
    #[error("`Resources` is {kind}, not an object")]
    ResourcesNotAnObject {
        /// What it is instead.
        kind: &'static str,
    },
    /// A resource without a string `Type`.
    #[error("resource `{logical_id}` has no string `Type`")]
    NoType {
        /// The resource's logical ID.
        logical_id: String,
    },
}

impl TemplateShapeError {
    /// The code: [`codes::NOT_A_TEMPLATE`].
    pub fn code(&self) -> Code {
        codes::NOT_A_TEMPLATE
    }
}

fn quoted(keys: &[String]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks the shape of a template: an object of known sections, with `Resources` an object
/// of resources that each have a string `Type`. `Err` says what is wrong.
pub fn check_template(v: &Json) -> Result<(), TemplateShapeError> {
    let Some(top) = v.as_object() else {
        return Err(TemplateShapeError::NotAnObject { kind: kind_of(v) });
    };
    // Sorted, whatever serde_json's `preserve_order` feature: the message is stable.
    let mut unknown: Vec<String> = top
        .keys()
        .filter(|k| !SECTIONS.contains(&k.as_str()))
        .cloned()
        .collect();
    unknown.sort();
    if !unknown.is_empty() {
        return Err(TemplateShapeError::UnknownSections { keys: unknown });
    }
    let Some(resources) = top.get("Resources") else {
        return Err(TemplateShapeError::NoResources);
    };
    let Some(resources) = resources.as_object() else {
        return Err(TemplateShapeError::ResourcesNotAnObject {
            kind: kind_of(resources),
        });
    };
    for (id, r) in resources {
        if r.get("Type").and_then(Json::as_str).is_none() {
            return Err(TemplateShapeError::NoType {
                logical_id: id.clone(),
            });
        }
    }
    Ok(())
}

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_that_is_not_a_template_is_named_so() {
        for (text, needle) in [
            ("[1, 2]", "a list"),
            (
                "{\"version\": 1, \"stacks\": []}",
                "unknown top-level key(s) `stacks`, `version`",
            ),
            ("{\"Description\": \"x\"}", "no `Resources`"),
            (
                "{\"Resources\": {\"A\": 1}}",
                "resource `A` has no string `Type`",
            ),
        ] {
            let e = parse(text, "t.json").expect_err(text);
            assert_eq!(e.code(), codes::NOT_A_TEMPLATE, "{text}");
            assert!(e.to_string().contains(needle), "{e}");
        }
        assert!(parse(
            "{\"Resources\": {\"A\": {\"Type\": \"AWS::SNS::Topic\"}}}",
            "t"
        )
        .is_ok());
        // The shape check alone: a typed error with the code and the same text.
        let e = check_template(&json!({"b": 1, "a": 2})).expect_err("unknown sections");
        assert_eq!(
            e,
            TemplateShapeError::UnknownSections {
                keys: vec!["a".into(), "b".into()]
            }
        );
        assert_eq!(e.code(), codes::NOT_A_TEMPLATE);
        assert!(
            e.to_string().starts_with(
                "unknown top-level key(s) `a`, `b` (a template has only AWSTemplateFormatVersion"
            ),
            "{e}"
        );
        assert_eq!(
            check_template(&json!({"Resources": {"A": 1}})),
            Err(TemplateShapeError::NoType {
                logical_id: "A".into()
            })
        );
    }

    #[test]
    fn broken_json_reports_line_and_column() {
        let e = parse("{\n  \"Resources\": {,\n}", "t.json").expect_err("broken");
        assert_eq!(e.code(), codes::SYNTAX);
        assert!(
            matches!(
                e,
                ReadError::Syntax {
                    at: Position { line: 2, .. },
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn deep_json_is_an_error_not_a_crash() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = parse_value(&text, "deep.json").expect_err("too deep");
        assert_eq!(e.code(), codes::SYNTAX);
    }

    #[cfg(not(feature = "yaml"))]
    #[test]
    fn yaml_without_the_feature_says_which_feature() {
        let e = parse("Resources: {}", "t.yaml").expect_err("no yaml");
        assert_eq!(e.code(), codes::YAML_UNSUPPORTED);
    }

    #[test]
    fn a_json_value_round_trips_through_parse() {
        let v = json!({"Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "é \\ \"q\""}}}});
        assert_eq!(parse(&v.to_string(), "t").expect("parses"), v);
    }
}
