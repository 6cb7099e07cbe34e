//! YAML templates (feature `yaml`), on the `saphyr-parser` event stream.
//!
//! Plain scalars follow the YAML 1.2 core schema (`true`, `null`, `42`, `1.5`), with one
//! deliberate exception: a number with a leading zero (`0123`, an account id such as
//! `012345678901`) stays a string, as it does in CloudFormation's YAML 1.1 reader. Quoted and
//! block scalars are strings. CloudFormation's short forms become their long forms:
//! `!Ref X` is `{"Ref": "X"}`, `!Condition C` is `{"Condition": "C"}`, `!GetAtt A.B.C` is
//! `{"Fn::GetAtt": ["A", "B.C"]}`, and every other `!Name v` is `{"Fn::Name": v}`. Aliases,
//! unknown tags, complex keys, duplicate keys and several documents are errors. The
//! conversion keeps its own stack, so nesting is bounded by [`super::MAX_DEPTH`] and never
//! by the thread's stack.

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Value as Json};

use super::{Position, ReadError, MAX_DEPTH};

/// The short forms CloudFormation accepts in YAML, and the key each becomes.
const SHORT_FORMS: &[(&str, &str)] = &[
    ("And", "Fn::And"),
    ("Base64", "Fn::Base64"),
    ("Cidr", "Fn::Cidr"),
    ("Condition", "Condition"),
    ("Equals", "Fn::Equals"),
    ("FindInMap", "Fn::FindInMap"),
    ("GetAZs", "Fn::GetAZs"),
    ("GetAtt", "Fn::GetAtt"),
    ("If", "Fn::If"),
    ("ImportValue", "Fn::ImportValue"),
    ("Join", "Fn::Join"),
    ("Length", "Fn::Length"),
    ("Not", "Fn::Not"),
    ("Or", "Fn::Or"),
    ("Ref", "Ref"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("Sub", "Fn::Sub"),
    ("ToJsonString", "Fn::ToJsonString"),
    ("Transform", "Fn::Transform"),
];

/// What a tag asks for.
enum Tagged {
    /// No tag, `!` or `!!map`/`!!seq`: the value as it is.
    Plain,
    /// A core-schema scalar tag: `!!str`, `!!int`, …
    Core(String),
    /// A CloudFormation short form: the long key.
    Function(&'static str),
}

fn tagged(tag: Option<&Tag>, origin: &str, at: Position) -> Result<Tagged, ReadError> {
    let Some(tag) = tag else {
        return Ok(Tagged::Plain);
    };
    if tag.is_yaml_core_schema() {
        return Ok(match tag.suffix.as_str() {
            "map" | "seq" => Tagged::Plain,
            other => Tagged::Core(other.to_owned()),
        });
    }
    if tag.handle == "!" {
        if tag.suffix.is_empty() {
            return Ok(Tagged::Core("str".to_owned()));
        }
        if let Some((_, key)) = SHORT_FORMS.iter().find(|(s, _)| *s == tag.suffix) {
            return Ok(Tagged::Function(key));
        }
    }
    Err(ReadError::YamlTag {
        origin: origin.to_owned(),
        tag: tag.to_string(),
        at,
    })
}

fn position(span: &Span) -> Position {
    Position {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// One open collection.
enum Frame {
    Seq {
        items: Vec<Json>,
        tag: Tagged,
    },
    Map {
        map: Map<String, Json>,
        key: Option<String>,
        tag: Tagged,
    },
}

/// Parses one YAML document into JSON.
pub(super) fn parse(text: &str, origin: &str) -> Result<Json, ReadError> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Json> = None;
    let mut documents = 0;
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| ReadError::Syntax {
            origin: origin.to_owned(),
            format: "YAML",
            at: Position {
                line: e.marker().line(),
                column: e.marker().col() + 1,
            },
            message: e.info().to_owned(),
        })?;
        let at = position(&span);
        let value = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(ReadError::Syntax {
                        origin: origin.to_owned(),
                        format: "YAML",
                        at,
                        message: "more than one document; a template is one document".to_owned(),
                    });
                }
                continue;
            }
            Event::Alias(_) => {
                return Err(ReadError::YamlAlias {
                    origin: origin.to_owned(),
                    at,
                })
            }
            Event::SequenceStart(_, tag) => {
                let tag = tagged(tag.as_deref(), origin, at)?;
                if matches!(awaiting_key(&stack), Some(true)) {
                    return Err(complex_key(origin, at));
                }
                open(
                    &mut stack,
                    origin,
                    Frame::Seq {
                        items: Vec::new(),
                        tag,
                    },
                )?;
                continue;
            }
            Event::MappingStart(_, tag) => {
                let tag = tagged(tag.as_deref(), origin, at)?;
                if matches!(awaiting_key(&stack), Some(true)) {
                    return Err(complex_key(origin, at));
                }
                open(
                    &mut stack,
                    origin,
                    Frame::Map {
                        map: Map::new(),
                        key: None,
                        tag,
                    },
                )?;
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq { items, tag }) => apply(tag, Json::Array(items), origin, at)?,
                Some(Frame::Map { map, tag, .. }) => apply(tag, Json::Object(map), origin, at)?,
                None => continue,
            },
            Event::Scalar(text, style, _, tag) => {
                let tag = tagged(tag.as_deref(), origin, at)?;
                if let Some(Frame::Map { map, key, .. }) = stack.last_mut() {
                    if key.is_none() {
                        if matches!(tag, Tagged::Function(_)) {
                            return Err(complex_key(origin, at));
                        }
                        if map.contains_key(text.as_ref()) {
                            return Err(ReadError::DuplicateKey {
                                origin: origin.to_owned(),
                                key: text.into_owned(),
                                at,
                            });
                        }
                        *key = Some(text.into_owned());
                        continue;
                    }
                }
                scalar(&text, style, tag, origin, at)?
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => continue,
        };
        match stack.last_mut() {
            None => root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { map, key, .. }) => match key.take() {
                Some(k) => {
                    map.insert(k, value);
                }
                None => return Err(complex_key(origin, at)),
            },
        }
    }
    Ok(root.unwrap_or(Json::Null))
}

/// `Some(true)` when the innermost open collection is a mapping waiting for a key.
fn awaiting_key(stack: &[Frame]) -> Option<bool> {
    match stack.last()? {
        Frame::Map { key, .. } => Some(key.is_none()),
        Frame::Seq { .. } => Some(false),
    }
}

fn complex_key(origin: &str, at: Position) -> ReadError {
    ReadError::NotATemplate {
        origin: origin.to_owned(),
        reason: format!("a mapping key at {at} is not a plain string"),
    }
}

fn open(stack: &mut Vec<Frame>, origin: &str, frame: Frame) -> Result<(), ReadError> {
    if stack.len() >= MAX_DEPTH {
        return Err(ReadError::TooDeep {
            origin: origin.to_owned(),
            limit: MAX_DEPTH,
        });
    }
    stack.push(frame);
    Ok(())
}

/// Wraps a value in its short form's long form.
fn apply(tag: Tagged, value: Json, origin: &str, at: Position) -> Result<Json, ReadError> {
    match tag {
        Tagged::Plain => Ok(value),
        Tagged::Function(key) => {
            let value = match (key, value) {
                ("Fn::GetAtt", Json::String(s)) => match s.split_once('.') {
                    Some((resource, attribute)) => {
                        Json::Array(vec![Json::from(resource), Json::from(attribute)])
                    }
                    None => Json::Array(vec![Json::String(s)]),
                },
                (_, v) => v,
            };
            let mut m = Map::new();
            m.insert(key.to_owned(), value);
            Ok(Json::Object(m))
        }
        Tagged::Core(t) => Err(ReadError::YamlTag {
            origin: origin.to_owned(),
            tag: format!("!!{t}"),
            at,
        }),
    }
}

fn scalar(
    text: &str,
    style: ScalarStyle,
    tag: Tagged,
    origin: &str,
    at: Position,
) -> Result<Json, ReadError> {
    let bad = |what: &str| ReadError::Syntax {
        origin: origin.to_owned(),
        format: "YAML",
        at,
        message: format!("`{text}` is not {what}"),
    };
    match tag {
        Tagged::Function(_) => apply(tag, Json::String(text.to_owned()), origin, at),
        Tagged::Core(t) => match t.as_str() {
            "str" | "binary" | "timestamp" => Ok(Json::String(text.to_owned())),
            "null" => Ok(Json::Null),
            "bool" => resolve_bool(text)
                .map(Json::Bool)
                .ok_or_else(|| bad("a boolean")),
            "int" => resolve_int(text).ok_or_else(|| bad("an integer")),
            "float" => resolve_float(text)
                .or_else(|| resolve_int(text))
                .ok_or_else(|| bad("a number")),
            _ => Err(ReadError::YamlTag {
                origin: origin.to_owned(),
                tag: format!("!!{t}"),
                at,
            }),
        },
        Tagged::Plain if style != ScalarStyle::Plain => Ok(Json::String(text.to_owned())),
        Tagged::Plain => Ok(resolve_plain(text)),
    }
}

/// The YAML 1.2 core schema, except that numbers with a leading zero stay strings.
fn resolve_plain(text: &str) -> Json {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Json::Null;
    }
    if let Some(b) = resolve_bool(text) {
        return Json::Bool(b);
    }
    resolve_int(text)
        .or_else(|| resolve_float(text))
        .unwrap_or_else(|| Json::String(text.to_owned()))
}

fn resolve_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn leading_zero(digits: &str) -> bool {
    digits.len() > 1 && digits.starts_with('0')
}

fn resolve_int(text: &str) -> Option<Json> {
    if let Some(oct) = text.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok().map(Json::from);
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(Json::from);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || leading_zero(digits) {
        return None;
    }
    let text = text.strip_prefix('+').unwrap_or(text);
    // Integers beyond i64/u64 keep their digits as a string rather than lose precision.
    text.parse::<i64>()
        .map(Json::from)
        .or_else(|_| text.parse::<u64>().map(Json::from))
        .ok()
}

fn resolve_float(text: &str) -> Option<Json> {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok = (!int.is_empty() || !frac.is_empty())
        && digits(int)
        && digits(frac)
        && (mantissa.contains('.') || exponent.is_some())
        && !leading_zero(int)
        && exponent.is_none_or(|e| {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && digits(e)
        });
    if !ok {
        return None;
    }
    let n: f64 = text.parse().ok()?;
    serde_json::Number::from_f64(n).map(Json::Number)
}

#[cfg(test)]
mod tests {
    use super::super::{codes, parse as parse_template};
    use super::*;
    use serde_json::json;

    fn yaml(text: &str) -> Json {
        parse(text, "t.yaml").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn short_forms_become_long_forms_including_nested_ones() {
        let v = yaml(
            "a: !Ref Vpc\n\
             b: !Sub 'arn:${AWS::Partition}:s3:::${Bucket}/*'\n\
             c: !Sub\n  - '${A}-${B}'\n  - B: !GetAtt Db.Endpoint.Address\n\
             d: !Select [0, !GetAZs '']\n\
             e: !GetAtt [Db, Arn]\n\
             f: !If [IsProd, !Ref A, !Ref 'AWS::NoValue']\n\
             g: !Condition IsProd\n\
             h: !Join ['', [a, !Ref B]]\n",
        );
        assert_eq!(
            v,
            json!({
                "a": {"Ref": "Vpc"},
                "b": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"},
                "c": {"Fn::Sub": ["${A}-${B}", {"B": {"Fn::GetAtt": ["Db", "Endpoint.Address"]}}]},
                "d": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
                "e": {"Fn::GetAtt": ["Db", "Arn"]},
                "f": {"Fn::If": ["IsProd", {"Ref": "A"}, {"Ref": "AWS::NoValue"}]},
                "g": {"Condition": "IsProd"},
                "h": {"Fn::Join": ["", ["a", {"Ref": "B"}]]},
            })
        );
    }

    #[test]
    fn scalars_follow_the_core_schema_and_keep_leading_zeros() {
        let v = yaml(
            "i: 42\nn: -7\nf: 1.5\nb: true\nz: ~\ns: '42'\nacct: 012345678901\nver: 2012-10-17\nword: yes\nhex: 0x1f\nblock: |\n  line\n",
        );
        assert_eq!(
            v,
            json!({"i": 42, "n": -7, "f": 1.5, "b": true, "z": null, "s": "42", "acct": "012345678901", "ver": "2012-10-17", "word": "yes", "hex": 31, "block": "line\n"})
        );
    }

    #[test]
    fn aliases_unknown_tags_duplicates_and_depth_are_errors() {
        let cases: [(&str, crate::diag::Code); 5] = [
            ("a: &x 1\nb: *x\n", codes::YAML_ALIAS),
            ("a: !Reff X\n", codes::YAML_TAG),
            ("a: !!python/object x\n", codes::YAML_TAG),
            ("a: 1\na: 2\n", codes::DUPLICATE_KEY),
            ("a: [1\n", codes::SYNTAX),
        ];
        for (text, code) in cases {
            let e = parse(text, "t.yaml").expect_err(text);
            assert_eq!(e.code(), code, "{text}: {e}");
        }
        let deep = format!("a: {}1{}\n", "[".repeat(200), "]".repeat(200));
        assert_eq!(parse(&deep, "t").expect_err("deep").code(), codes::TOO_DEEP);
        let two = "Resources: {}\n---\nResources: {}\n";
        assert_eq!(parse(two, "t").expect_err("two docs").code(), codes::SYNTAX);
    }

    #[test]
    fn a_yaml_template_is_checked_like_a_json_one() {
        let t = parse_template("Resources:\n  T:\n    Type: AWS::SNS::Topic\n", "t.yaml");
        assert_eq!(
            t.expect("a template"),
            json!({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}})
        );
        let e = parse_template("name: x\n", "t.yaml").expect_err("no template");
        assert_eq!(e.code(), codes::NOT_A_TEMPLATE);
    }
}
