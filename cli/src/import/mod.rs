//! `stackforge import`: an existing CloudFormation template (JSON, or YAML with the short
//! forms) in, typed stackforge Rust out.
//!
//! The names in the output come from stackforge-codegen's model of each resource type
//! (read from the same schemas the generator reads), so they are the names of `src/cfn/`.
//! Fallbacks (`Raw` resources, overrides, untyped values) are commented in the code and
//! counted in the summary.

pub mod gen;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Value as Json};
use stackforge::cli::{exit, Printer};

pub use gen::Summary;

/// Error codes of `import` (stable; see docs/import.md).
pub mod codes {
    /// The template cannot be read or parsed.
    pub const READ: &str = "SFI001";
    /// The template uses something the importer cannot express (listed one by one).
    pub const UNSUPPORTED: &str = "SFI002";
    /// The resource schemas cannot be found or read.
    pub const SCHEMAS: &str = "SFI003";
    /// The output file cannot be written.
    pub const WRITE: &str = "SFI004";
}

/// `stackforge import` arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct ImportArgs {
    /// The template to import (JSON or YAML).
    #[arg(value_name = "TEMPLATE")]
    pub template: PathBuf,
    /// Write the Rust here (default: standard output). (`--out` is the assembly directory
    /// of every command, so the file is `--output`.)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The CloudFormation resource schemas (default: `STACKFORGE_SCHEMAS`, or the cfn-lint
    /// that `scripts/setup-tools` installs in the project's `.venv`).
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
}

/// An import failure with its code.
#[derive(Debug)]
pub struct ImportError {
    /// The stable code.
    pub code: &'static str,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn err(code: &'static str, message: impl Into<String>) -> ImportError {
    ImportError {
        code,
        message: message.into(),
    }
}

/// Finds the schemas: `--schemas`, `STACKFORGE_SCHEMAS`, or a `.venv` with cfn-lint in the
/// current directory, one of its parents, or the source tree this binary was built from.
pub fn schemas_dir(arg: Option<&Path>) -> Result<PathBuf, ImportError> {
    if let Some(a) = arg {
        return Ok(a.to_owned());
    }
    if let Ok(a) = std::env::var("STACKFORGE_SCHEMAS") {
        return Ok(PathBuf::from(a));
    }
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        roots.extend(cwd.ancestors().map(Path::to_path_buf));
    }
    if let Some(src) = Path::new(env!("CARGO_MANIFEST_DIR")).parent() {
        roots.push(src.to_owned());
    }
    for r in roots {
        if r.join(".venv/tools/bin/python").exists() {
            return stackforge_codegen::find_schemas(&r, None).map_err(|e| err(codes::SCHEMAS, e));
        }
    }
    Err(err(
        codes::SCHEMAS,
        "no resource schemas: pass --schemas DIR (cfn-lint's data/schemas) or set STACKFORGE_SCHEMAS, or run scripts/setup-tools in the project",
    ))
}

/// Imports a parsed template: the Rust source (unformatted) and the summary.
pub fn import_template(
    template: &Json,
    schemas: &Path,
    origin: &str,
) -> Result<(String, Summary), ImportError> {
    let t = template
        .as_object()
        .ok_or_else(|| err(codes::READ, "the template is not an object"))?;
    let types: Vec<&str> = t
        .get("Resources")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(_, r)| r.get("Type").and_then(Json::as_str))
        .collect();
    let providers = stackforge_codegen::providers(schemas).map_err(|e| err(codes::SCHEMAS, e))?;
    let mut stats = stackforge_codegen::model::Stats::default();
    let mut applied = Vec::new();
    let loaded: BTreeMap<String, stackforge_codegen::Loaded> =
        stackforge_codegen::load_types(schemas, &providers, Some(&types), &mut stats, &mut applied)
            .map_err(|e| err(codes::SCHEMAS, e))?;
    gen::Gen::new(&loaded).template(t, origin).map_err(|u| {
        err(
            codes::UNSUPPORTED,
            format!("cannot import {origin}: {}", u.0.join("; ")),
        )
    })
}

/// Formats Rust source with rustfmt; the source as it is when rustfmt is not installed.
pub fn format(code: &str) -> (String, bool) {
    let child = std::process::Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return (code.to_owned(), false);
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(code.as_bytes());
    }
    match child.wait_with_output() {
        Ok(o) if o.status.success() && !o.stdout.is_empty() => {
            (String::from_utf8_lossy(&o.stdout).into_owned(), true)
        }
        _ => (code.to_owned(), false),
    }
}

/// Writes `text` to `path` through a temporary file in the same directory, so a failure
/// never leaves half a file.
fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("import"),
        std::process::id()
    ));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn run_inner(args: &ImportArgs, p: &mut Printer<'_>) -> Result<Summary, ImportError> {
    let template = stackforge::template::read_file(&args.template)
        .map_err(|e| err(codes::READ, e.to_string()))?;
    let schemas = schemas_dir(args.schemas.as_deref())?;
    let origin = args
        .template
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("template")
        .to_owned();
    let (code, summary) = import_template(&template, &schemas, &origin)?;
    let (mut code, formatted) = format(&code);
    if !code.ends_with('\n') {
        code.push('\n');
    }
    if !formatted {
        p.warn("rustfmt is not available: the code is written unformatted");
    }
    match &args.output {
        Some(path) => write_atomic(path, &code)
            .map_err(|e| err(codes::WRITE, format!("{}: {e}", path.display())))?,
        None => p.result(&code),
    }
    Ok(summary)
}

/// Runs `stackforge import`.
pub fn run(args: &ImportArgs, p: &mut Printer<'_>) -> i32 {
    match run_inner(args, p) {
        Ok(s) => {
            let feats: Vec<&String> = s.features.iter().collect();
            p.warn(&format!(
                "imported {} resources: {} typed, {} fallbacks ({} raw, {} overrides, {} untyped values), {} string parameters coerced; features: {}",
                s.resources,
                s.typed,
                s.fallbacks(),
                s.raw.len(),
                s.overrides.len(),
                s.untyped.len() + s.untyped_attributes,
                s.coerced,
                feats.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
            ));
            for (id, t, why) in &s.raw {
                p.warn(&format!("  raw {id} ({t}): {why}"));
            }
            for (id, path, why) in &s.overrides {
                p.warn(&format!("  override {id} {path}: {why}"));
            }
            for (at, why) in &s.untyped {
                p.warn(&format!("  untyped {at}: {why}"));
            }
            p.event(
                "import",
                json!({
                    "resources": s.resources,
                    "typed": s.typed,
                    "raw": s.raw.iter().map(|(id, t, why)| json!({"logical_id": id, "type": t, "reason": why})).collect::<Vec<_>>(),
                    "overrides": s.overrides.iter().map(|(id, path, why)| json!({"logical_id": id, "path": path, "reason": why})).collect::<Vec<_>>(),
                    "untyped": s.untyped.iter().map(|(at, why)| json!({"at": at, "reason": why})).collect::<Vec<_>>(),
                    "untyped_attributes": s.untyped_attributes,
                    "coerced": s.coerced,
                    "features": s.features,
                }),
                true,
            );
            exit::OK
        }
        Err(e) => {
            p.error(Some(e.code), exit::INVALID, &e.message);
            exit::INVALID
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schemas from the project's pinned cfn-lint; a missing tool fails the test.
    fn schemas() -> PathBuf {
        schemas_dir(None).unwrap_or_else(|e| panic!("{e} (run scripts/setup-tools)"))
    }

    fn import_yaml(text: &str) -> Result<(String, Summary), ImportError> {
        let t = stackforge::template::parse(text, "test.yaml")
            .map_err(|e| err(codes::READ, e.to_string()))?;
        import_template(&t, &schemas(), "test.yaml")
    }

    const TEMPLATE: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Description: A queue, a topic and a custom resource
Transform: AWS::LanguageExtensions
Metadata:
  AWS::CloudFormation::Interface:
    ParameterGroups: []
Parameters:
  Env:
    Type: String
    AllowedValues: [dev, prod]
  Ami:
    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>
    Default: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64
  Delay:
    Type: Number
    Default: "5"
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Rules:
  ProdOnly:
    RuleCondition: !Equals [!Ref Env, prod]
    Assertions:
      - Assert: !Not [!Equals [!Ref Delay, "0"]]
        AssertDescription: no zero delay in prod
Resources:
  Queue:
    Type: AWS::SQS::Queue
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      DelaySeconds: !Ref Delay
      FifoQueue: "true"
      QueueName: !Sub "${AWS::StackName}-${Env}.fifo"
      DeduplicationScope: messageGroup
      VisibilityTimeout: 30
  Topic:
    Type: AWS::SNS::Topic
    Condition: IsProd
    DependsOn: Queue
    Properties:
      TopicName: !GetAtt Queue.QueueName
      Tags:
        - Key: env
          Value: !Ref Env
  Lookup:
    Type: Custom::Lookup
    Properties:
      ServiceToken: !Sub "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:lookup"
      Ami: !Ref Ami
Outputs:
  QueueUrl:
    Value: !Ref Queue
    Export:
      Name: !Sub "${AWS::StackName}-QueueUrl"
"#;

    #[test]
    fn a_template_becomes_typed_idiomatic_rust() {
        let (code, s) = import_yaml(TEMPLATE).expect("imports");
        for want in [
            "use stackforge::cfn::{sns, sqs};",
            "s.set_description(\"A queue, a topic and a custom resource\");",
            "s.add_transform(\"AWS::LanguageExtensions\");",
            "s.set_template_metadata(\"AWS::CloudFormation::Interface\"",
            "s.parameter(\"Ami\", Parameter::ssm(\"AWS::EC2::Image::Id\")",
            "s.parameter(\"Delay\", Parameter::integer()",
            "let is_prod = s.condition(\"IsProd\", fns::equals(env.clone(), \"prod\"));",
            "s.rule(\"ProdOnly\", Rule::when(",
            "let queue = s.add(\"Queue\", sqs::Queue {",
            "delay_seconds: Some(delay.clone())",
            "fifo_queue: Some(true.into())",
            "queue_name: Some(sub!(pseudo::stack_name(), \"-\", &env, \".fifo\"))",
            "s.set_deletion_policy(queue, Policy::Retain);",
            "topic_name: Some(queue.attr_queue_name())",
            "Tag::new(\"env\", env.clone())",
            "s.set_condition(topic, &is_prod);",
            "s.depends_on(topic, queue);",
            "Raw::new(\"Custom::Lookup\")",
            ".prop(\"Ami\", ami.clone())",
            "Output::new(queue.reference())",
            ".export_as_value(sub!(pseudo::stack_name(), \"-QueueUrl\"))",
        ] {
            assert!(code.contains(want), "missing `{want}` in:\n{code}");
        }
        assert_eq!((s.resources, s.typed), (3, 2));
        assert_eq!(s.raw.len(), 1, "{:?}", s.raw);
        assert!(s.raw[0].2.contains("custom resource"), "{:?}", s.raw);
        assert!(s.overrides.is_empty() && s.untyped.is_empty(), "{s:?}");
        assert_eq!(
            s.features.iter().map(String::as_str).collect::<Vec<_>>(),
            ["sns", "sqs"]
        );
    }

    #[test]
    fn every_rust_name_comes_from_the_generators_model() {
        // The enum, its variant, the field and the nested type are looked up in the model
        // the generator builds, not spelled here: a rename in codegen moves both sides.
        let schemas = schemas();
        let providers = stackforge_codegen::providers(&schemas).expect("providers");
        let mut stats = Default::default();
        let loaded = stackforge_codegen::load_types(
            &schemas,
            &providers,
            Some(&["AWS::SQS::Queue"]),
            &mut stats,
            &mut Vec::new(),
        )
        .expect("loads");
        let q = &loaded["AWS::SQS::Queue"];
        let field = |cfn: &str| {
            q.model
                .resource
                .fields
                .iter()
                .find(|f| f.cfn == cfn)
                .map(|f| f.rust.clone())
                .expect("field")
        };
        let (code, _) = import_yaml(TEMPLATE).expect("imports");
        for cfn in [
            "DelaySeconds",
            "FifoQueue",
            "QueueName",
            "VisibilityTimeout",
        ] {
            assert!(
                code.contains(&format!("{}: Some(", field(cfn))),
                "{cfn}: {code}"
            );
        }
        assert!(
            code.contains(&format!("{}::{} {{", q.module, q.model.rust_name)),
            "{code}"
        );
        // DeduplicationScope has no enum in the schema: a string, as generated.
        assert!(code.contains(&format!(
            "{}: Some(\"messageGroup\".into())",
            field("DeduplicationScope")
        )));
        for e in &q.model.enums {
            for (variant, value) in &e.variants {
                if code.contains(&format!("\"{value}\"")) {
                    assert!(code.contains(&format!("{}::{}::{variant}", q.model.submodule, e.name)));
                }
            }
        }
    }

    #[test]
    fn typed_enums_and_nested_types_use_the_generated_items() {
        let (code, s) = import_yaml(
            "Resources:\n  Lb:\n    Type: AWS::ElasticLoadBalancingV2::LoadBalancer\n    Properties:\n      Scheme: internet-facing\n      Type: application\n      Subnets: [a, b]\n",
        )
        .expect("imports");
        assert!(
            code.contains("elasticloadbalancingv2::load_balancer::Scheme::InternetFacing"),
            "{code}"
        );
        assert!(
            code.contains("elasticloadbalancingv2::load_balancer::Type::Application"),
            "{code}"
        );
        assert_eq!(s.typed, 1);
    }

    #[test]
    fn a_value_that_does_not_fit_its_type_becomes_a_counted_override_with_its_reason() {
        let (code, s) = import_yaml(
            "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      DelaySeconds: soon\n      NotInTheSchema: 1\n",
        )
        .expect("imports");
        assert_eq!(s.overrides.len(), 2, "{s:?}");
        assert!(s
            .overrides
            .iter()
            .any(|(_, p, why)| p == "DelaySeconds" && why.contains("integer")));
        assert!(s
            .overrides
            .iter()
            .any(|(_, p, why)| p == "NotInTheSchema" && why.contains("not a property")));
        assert!(code.contains("s.override_property_because(q, &[\"DelaySeconds\"], json!(\"soon\"), \"stackforge import: a string where an integer is expected\");"), "{code}");
    }

    #[test]
    fn what_cannot_be_expressed_is_refused_with_every_reason() {
        let e = import_yaml(
            "Hooks: {}\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Version: \"1.0\"\n    DeletionPolicy: !If [C, Retain, Delete]\n",
        )
        .expect_err("refused");
        assert_eq!(e.code, codes::UNSUPPORTED);
        for want in [
            "template section `Hooks`",
            "attribute `Version`",
            "DeletionPolicy",
        ] {
            assert!(e.message.contains(want), "{want}: {}", e.message);
        }
    }
}
