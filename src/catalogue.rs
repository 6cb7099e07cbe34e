//! The catalogue of diagnostic codes: every code the core emits, with its meaning, what
//! causes it and how to fix it. The patterns crate (`stackforge-modules`) keeps its own
//! table in the same shape; together they generate `docs/errors.md`, and a test checks that
//! every code defined anywhere in the workspace is listed exactly once, that names and numbers
//! are unique, and that the file is current.
//!
//! Code families: `SF0xx` the core (apps, stacks, references, templates), `SF1xx` the values
//! of generated types (schema rules), `SFA0xx` assemblies, templates read from disk and stack
//! selection, `SFMxxx` the patterns. A code is never reused for another meaning; retired codes
//! are listed in [`RETIRED`].

use crate::diag::assembly_codes as a;
use crate::diag::{codes as c, Code};

/// One code of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    /// The code (`SF002`).
    pub code: Code,
    /// The constant's name (`DUPLICATE_LOGICAL_ID`).
    pub name: &'static str,
    /// What it means, in one line.
    pub meaning: &'static str,
    /// What usually causes it.
    pub cause: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

impl CodeInfo {
    /// An entry, for a crate's own catalogue (the patterns crate has one).
    pub const fn new(
        code: Code,
        name: &'static str,
        meaning: &'static str,
        cause: &'static str,
        fix: &'static str,
    ) -> Self {
        CodeInfo {
            code,
            name,
            meaning,
            cause,
            fix,
        }
    }
}

const fn code(
    code: Code,
    name: &'static str,
    meaning: &'static str,
    cause: &'static str,
    fix: &'static str,
) -> CodeInfo {
    CodeInfo::new(code, name, meaning, cause, fix)
}

/// A code that is no longer emitted, and what replaced it. Its number is never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retired {
    /// The retired code (`SFM109`).
    pub code: &'static str,
    /// What replaced it.
    pub replaced_by: &'static str,
}

/// Codes that were merged into others; their numbers stay reserved.
pub const RETIRED: &[Retired] = &[
    Retired {
        code: "SFM043",
        replaced_by: "`SF034` (INVALID_SCHEDULE): the `Schedule` pattern reports the core's code for a malformed schedule expression",
    },
    Retired {
        code: "SFM044",
        replaced_by: "`SF035` (INVALID_ALARM): the alarm and metric patterns report the core's code for a period or evaluation periods out of range",
    },
    Retired {
        code: "SFM109",
        replaced_by: "`SFM005` (INVALID_CIDR) for a malformed CIDR and `SFM003` (PORT_MISMATCH) for port 0, in the EC2 instance pattern",
    },
    Retired {
        code: "SFM110",
        replaced_by: "`SFM007` (INVALID_CAPACITY), in the EC2 capacity cluster pattern",
    },
];

/// The core's codes (`SF0xx`), the generated types' (`SF1xx`) and the assembly's (`SFAxxx`).
pub const CORE: &[CodeInfo] = &[
    code(c::INVALID_STACK_NAME, "INVALID_STACK_NAME",
        "A stack name is not letters, digits and hyphens starting with a letter, at most 128 characters.",
        "`app.stack(name)` (with the app's or environment's prefix) gave a name CloudFormation refuses.",
        "Rename the stack or its environment's prefix: letters, digits and `-`, starting with a letter."),
    code(c::DUPLICATE_LOGICAL_ID, "DUPLICATE_LOGICAL_ID",
        "Two resources, parameters, outputs, conditions, mappings or rules of one stack share an ID.",
        "Two `add` calls with the same id in one scope, a scope path that concatenates to an existing ID, or an output named like a generated export.",
        "Give one of them (or its parent scope) another id. IDs are never renamed silently."),
    code(c::INVALID_LOGICAL_ID, "INVALID_LOGICAL_ID",
        "A logical ID is empty, not ASCII letters and digits, or longer than 255 characters.",
        "An id with `-`, `_` or spaces, or deeply nested scopes whose path exceeds 255 characters.",
        "Use letters and digits only, and shorter scope or resource ids."),
    code(c::RESOURCE_CYCLE, "RESOURCE_CYCLE",
        "Resources of one stack reference each other in a cycle.",
        "A reference (Ref, GetAtt, Sub) or DependsOn chain that comes back to where it started; the message lists every edge and the property it comes from.",
        "Break one edge: move a rule or policy into its own resource (AWS::EC2::SecurityGroupIngress, AWS::IAM::Policy) that references both sides."),
    code(c::STACK_CYCLE, "STACK_CYCLE",
        "Stacks of one app reference each other in a cycle.",
        "Cross-stack references (exports and imports) or stack dependencies in both directions.",
        "Move the shared resources into one stack, or pass one value as a parameter instead of a reference."),
    code(c::FOREIGN_APP, "FOREIGN_APP",
        "A handle, parameter or condition of another `App` was used.",
        "Two `App` values in one program, and a handle of one used in the other (a reference, DependsOn, a condition).",
        "Build every stack that refers to another in the same `App`."),
    code(c::TOO_MANY_RESOURCES, "TOO_MANY_RESOURCES",
        "A stack has more than 500 resources.",
        "CloudFormation's quota of resources per stack.",
        "Split the app into more stacks; references between them become exports and imports automatically."),
    code(c::TOO_MANY_PARAMETERS, "TOO_MANY_PARAMETERS",
        "A stack has more than 200 parameters.",
        "CloudFormation's quota of parameters per template.",
        "Use fewer parameters (a mapping, or values computed in Rust) or split the stack."),
    code(c::TOO_MANY_OUTPUTS, "TOO_MANY_OUTPUTS",
        "A stack has more than 200 outputs, counting generated exports.",
        "Many outputs, or many cross-stack references to one producer stack.",
        "Output less, or split the producer so each stack exports fewer values."),
    code(c::TOO_MANY_MAPPINGS, "TOO_MANY_MAPPINGS",
        "A stack has more than 200 mappings.",
        "CloudFormation's quota of mappings per template.",
        "Merge mappings, or compute the values in Rust."),
    code(c::TEMPLATE_TOO_LARGE, "TEMPLATE_TOO_LARGE",
        "The minified template is larger than 1 MB, the hard CloudFormation limit.",
        "Very many or very large resources (inline policies, JSON documents) in one stack.",
        "Split the stack."),
    code(c::TEMPLATE_NEEDS_S3, "TEMPLATE_NEEDS_S3",
        "The minified template is larger than 51,200 bytes (a warning).",
        "CloudFormation accepts larger templates only from S3.",
        "Deploy with `--bucket NAME` so the template is uploaded first."),
    code(c::WRONG_STACK, "WRONG_STACK",
        "A handle, parameter, condition or mapping of another stack was used where only the same stack is allowed.",
        "Resource options (DependsOn, conditions, policies, overrides) set through a scope of another stack, or a parameter, condition or mapping of one stack used in another.",
        "Set options through the owning stack's scope (`Scope::home_of(handle.id())`), or define the parameter, condition or mapping in this stack too."),
    code(c::EMPTY_STACK, "EMPTY_STACK",
        "A stack (or the app) has no resources.",
        "CloudFormation requires at least one resource per template.",
        "Add a resource or remove the stack."),
    code(c::INVALID_PARAMETER, "INVALID_PARAMETER",
        "A parameter definition is inconsistent.",
        "A default that is not among the allowed values, breaks the type (`abc` for a `Number`), the `AllowedPattern` or the length or value bounds; an `AllowedPattern` that is not a valid regular expression; a type CloudFormation does not have; a minimum above its maximum.",
        "Fix the default, the pattern or the bounds so that the default is a value the parameter accepts."),
    code(c::INVALID_OVERRIDE, "INVALID_OVERRIDE",
        "A raw property override cannot be applied.",
        "An empty path or key, a path that crosses a value that is neither an object nor a list, a list index that is not a number or is out of range.",
        "Pass the keys below `Properties`, with list positions as numbers (`[\"Tags\", \"0\", \"Value\"]`) that exist, or override the whole list."),
    code(c::INVALID_ENVIRONMENT, "INVALID_ENVIRONMENT",
        "An environment, account or region pin is malformed or contradictory.",
        "An account that is not 12 digits, a region that is not a region code, a role that is not an IAM role ARN, one environment declared twice with different settings.",
        "Use a 12-digit account, a region code such as `eu-west-1`, and declare each environment once."),
    code(c::INVALID_EXPORT, "INVALID_EXPORT",
        "An export name is invalid or used twice in one app.",
        "Two outputs exported under one name, an explicit export name equal to a generated cross-stack export (`<stack>:<LogicalId>`), a name with characters other than letters, digits, `:` and `-`, or a name over 255 characters.",
        "Prefer `Output::export()`, which derives unique names; otherwise rename the export."),
    code(c::INVALID_RULE, "INVALID_RULE",
        "A template rule is empty or references something other than parameters.",
        "A `Rule` without assertions, or one that names a resource, condition, mapping or import.",
        "Add assertions, and compare only parameters and pseudo parameters with literals."),
    code(c::CROSS_ENVIRONMENT, "CROSS_ENVIRONMENT",
        "A stack references a stack of another environment (another account or region).",
        "A handle of a `prod` stack used in a `dev` stack, or a stack dependency across environments.",
        "Exports work only within one account and region: create the resource in each environment, or pass the value as a parameter."),
    code(c::VALUE_NOT_CHECKABLE, "VALUE_NOT_CHECKABLE",
        "A value that a pattern must check at synth cannot be enumerated.",
        "A resource attribute, an import or a parameter without `AllowedValues` where a pattern needs to know the value (a Fargate size, a storage size).",
        "Use a literal, a parameter with `AllowedValues`, or `Fn::If`/`Fn::FindInMap` over those."),
    code(c::INVALID_POLICY, "INVALID_POLICY",
        "An IAM policy statement is malformed.",
        "An action that is not `service:Action`.",
        "Name actions as `service:Action`, e.g. `s3:GetObject`."),
    code(c::INVALID_POLICY_ATTRIBUTE, "INVALID_POLICY_ATTRIBUTE",
        "`RetainExceptOnCreate` given as an `UpdateReplacePolicy`; it is a deletion policy only.",
        "`set_update_replace_policy(h, Policy::RetainExceptOnCreate)` on a resource.",
        "Use `Retain`, `Snapshot` or `Delete` for the replace policy (the app-wide `set_policies` maps `RetainExceptOnCreate` to `Retain` there)."),
    code(c::VALUE_TOO_DEEP, "VALUE_TOO_DEEP",
        "A value nests deeper than the limit of 100 levels (rendered JSON objects and lists).",
        "A value built in a loop (intrinsics inside intrinsics), a hand-built `Expr`, or JSON nested very deep; it is cut at the limit, and the path shows where.",
        "Build the value flatter: compute it in Rust, or split it into several properties or resources."),
    code(c::NON_FINITE_NUMBER, "NON_FINITE_NUMBER",
        "A number is NaN or infinite.",
        "A division by zero or another computation that produced NaN or ±∞; JSON cannot hold it and it would be written as `null`.",
        "Use a finite number; check the computation that produced it."),
    code(c::INVALID_OUTPUT, "INVALID_OUTPUT",
        "An output is invalid.",
        "An output value that is a list or an object (CloudFormation outputs are strings), a dynamic reference to a secret (`{{resolve:secretsmanager:…}}`, `ssm-secure`) in an output value, or a description over 1,024 bytes.",
        "Output one string (join lists with `fns::join`); output a secret's ARN, never its value."),
    code(c::INVALID_MAPPING, "INVALID_MAPPING",
        "A mapping is malformed.",
        "Not `{top key: {second key: value}}`, keys with characters other than letters and digits (top keys may also use `.` and `-`), an empty level or more than 200 entries in one, a `null` or object value.",
        "Write the mapping as `{\"us-east-1\": {\"Ami\": \"ami-…\"}}` with string, number, boolean or list values."),
    code(c::INVALID_CONDITION, "INVALID_CONDITION",
        "A condition is invalid.",
        "A condition that uses a resource (`Ref`, `Fn::GetAtt`) or an import: conditions are evaluated before any resource exists; or `Fn::And`/`Fn::Or` with fewer than 2 or more than 10 conditions.",
        "Compare parameters, pseudo parameters and mapping values; combine 2 to 10 conditions per `Fn::And`/`Fn::Or`."),
    code(c::DESCRIPTION_TOO_LONG, "DESCRIPTION_TOO_LONG",
        "The template description is longer than 1,024 bytes.",
        "A long `Scope::set_description`.",
        "Shorten the description; keep long text in a README."),
    code(c::INVALID_STACK_TAG, "INVALID_STACK_TAG",
        "A stack tag is invalid.",
        "More than 50 stack tags, a key that starts with `aws:` (reserved), a key outside 1 to 128 characters or a value over 256, a character other than letters, digits, spaces and `_ . : / = + - @`.",
        "Keep at most 50 tags with valid keys and values; put the rest on resources."),
    code(c::UNKNOWN_RESOURCE_TYPE, "UNKNOWN_RESOURCE_TYPE",
        "A resource type is not one CloudFormation can create.",
        "A `Raw` type that no registry has (`AWS::S3::Buckt`), a type of a service that has shut down, or a string that is not `Organization::Service::Type` or `Custom::<name>`. Third-party and private types (`Acme::Billing::Invoice`) are allowed.",
        "Use the type the message suggests (the closest registry type), the generated type, or `Custom::<name>` for a custom resource."),
    code(c::WEAKENED_SETTING, "WEAKENED_SETTING",
        "An override changes a secure setting that a pattern protects (a warning).",
        "`override_property`/`delete_property` on public access, encryption, deletion protection, open ingress, TLS enforcement or another setting a pattern marked with `Scope::protect`.",
        "Keep the pattern's setting, or say why with `Scope::override_property_because` (`delete_property_because`)."),
    code(c::SECRET_IN_TEMPLATE, "SECRET_IN_TEMPLATE",
        "A literal secret is written into a template.",
        "An AWS access key, a private key, a URL with a password (`postgres://app:hunter2@db/app`), a well-known token (GitHub, Slack, Stripe, JWT, …), or any literal value under a secret name (`DB_PASS`, `ApiToken`) in a resource property, a Lambda environment, a parameter default, an output or a mapping; any literal in a write-only password, token or secret property of a generated type (`MasterUserPassword`).",
        "Store the value in Secrets Manager and use a dynamic reference (`stackforge::dynamic::secrets_manager`) or ECS secrets; for a parameter, use `NoEcho` without a default."),
    code(c::UNKNOWN_REFERENCE, "UNKNOWN_REFERENCE",
        "A reference names something the stack does not define.",
        "`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::If` or `Fn::FindInMap` written by hand in a JSON value with a name that is not a resource, parameter, condition or mapping of this stack, often a resource of another stack.",
        "Use the handle's typed reference (`handle.reference()`, `attr_*`, or `json!` with those values): synth then exports and imports across stacks."),
    code(c::INVALID_SCHEDULE, "INVALID_SCHEDULE",
        "A schedule expression is not one EventBridge accepts.",
        "`rate(5 minute)` (singular with a number other than 1), `rate(1 minutes)`, a cron expression without 6 fields, a value out of range, or `*` in both day fields.",
        "Write `rate(1 minute)`, `rate(5 minutes)`, or `cron(Minutes Hours Day-of-month Month Day-of-week Year)` with `?` in exactly one of the day fields."),
    code(c::INVALID_ALARM, "INVALID_ALARM",
        "A CloudWatch alarm is invalid.",
        "A `Period` that is not 10, 20, 30 or a multiple of 60, or an alarm with none (or more than one) of `MetricName`, `Metrics` and `EvaluationCriteria`.",
        "Use a period of 60 or a multiple of it (10, 20 or 30 for high-resolution metrics), and exactly one metric definition."),
    code(c::INVALID_PORT_RANGE, "INVALID_PORT_RANGE",
        "A security-group rule's ports do not fit its protocol.",
        "A TCP/UDP port outside 0-65535 (`70000`), `FromPort` above `ToPort`, an ICMP type or code outside -1-255, a port range on protocol `-1`.",
        "Use ports from 0 to 65535 with FromPort <= ToPort; leave ports out for all traffic."),
    code(c::CONFLICTING_PROPERTIES, "CONFLICTING_PROPERTIES",
        "A resource's properties contradict each other or a rule of its service.",
        "A rule the schema does not express: a PAY_PER_REQUEST table with throughput (or a provisioned one without), RDS monitoring without its role, a KMS key on unencrypted storage, an Auto Scaling group with MinSize above MaxSize, a task with no essential container, a Fargate service with DAEMON scheduling, an application load balancer in one subnet, a Lambda variable Lambda reserves or over 4 KB of them, a FIFO queue name without `.fifo`.",
        "Change the properties as the message says; `stackforge::semantic::RULES` lists each rule and the cfn-lint rule it mirrors."),
    code(c::INVALID_SUPPRESSION, "INVALID_SUPPRESSION",
        "A suppression has no reason, names no rule, or names a malformed rule.",
        "`Scope::suppress` with a blank reason, no guard/checkov/cfn-lint rule, or a rule name with characters other than letters, digits and `_`.",
        "Give the reason the finding is accepted (`Suppression::because(\"…\")`) and the rule names as each tool prints them."),
    code(c::STRING_LENGTH, "STRING_LENGTH",
        "A string is shorter than the schema's `minLength` or longer than its `maxLength` (in characters).",
        "A literal value of a generated type's property outside the length the resource schema allows.",
        "Shorten or lengthen the value to the range in the message."),
    code(c::NUMBER_RANGE, "NUMBER_RANGE",
        "A number is outside the schema's `minimum`..=`maximum`.",
        "A literal number of a generated type's property outside the range the resource schema allows.",
        "Use a value within the range in the message."),
    code(c::PATTERN_MISMATCH, "PATTERN_MISMATCH",
        "A string does not match the schema's `pattern`.",
        "A literal value of a generated type's property that CloudFormation would refuse (a name with forbidden characters, a malformed ID).",
        "Change the value so it matches the pattern in the message."),
    code(c::ITEM_COUNT, "ITEM_COUNT",
        "A list has fewer than `minItems` or more than `maxItems` items.",
        "A literal list of a generated type's property with too few or too many items.",
        "Add or remove items to the count in the message."),
    code(c::NOT_ALLOWED_VALUE, "NOT_ALLOWED_VALUE",
        "A string is not one of the schema's allowed values.",
        "A literal value of a property whose schema lists its values (`enum`), misspelt or from another API version.",
        "Use one of the values the message lists (the generated enum, when there is one)."),
    code(c::FORMAT_MISMATCH, "FORMAT_MISMATCH",
        "A literal does not have the syntax of the schema's `format`.",
        "A literal value of a generated type's property whose schema names a format stackforge checks (a CIDR block, a resource ID such as `vpc-…`, an ARN, a date-time, JSON text); docs/validation-formats.md lists them.",
        "Write the value in the format the message names, or pass a reference to the resource that has it."),
    code(a::NOT_FOUND, "NOT_FOUND",
        "A file or directory a command needs does not exist.",
        "`diff --against` or a reader given a path that does not exist.",
        "Check the path; run `synth` first to create the assembly."),
    code(a::UNREADABLE, "UNREADABLE",
        "A file exists but cannot be read.",
        "Permissions or an I/O error.",
        "Fix the file's permissions or the disk."),
    code(a::NOT_A_FILE, "NOT_A_FILE",
        "A directory, FIFO, socket or device where a regular file is expected.",
        "`diff --against DIR/` where a template file was meant, or a special file.",
        "Pass a template file, or the assembly directory where one is expected."),
    code(a::TOO_LARGE, "TOO_LARGE",
        "A file is over the reader's size limit.",
        "A file that cannot be a CloudFormation template (over 4 MiB of text).",
        "Pass the template itself."),
    code(a::SYNTAX, "SYNTAX",
        "A file is not valid JSON or YAML.",
        "A truncated or hand-edited template.",
        "Fix the syntax at the position in the message, or synthesize again."),
    code(a::NOT_A_TEMPLATE, "NOT_A_TEMPLATE",
        "Valid JSON or YAML, but not a CloudFormation template.",
        "Another JSON file (a manifest, a package file) where a template was expected, or an unknown top-level section.",
        "Pass a template: an object with `Resources` and only CloudFormation's sections."),
    code(a::YAML_UNSUPPORTED, "YAML_UNSUPPORTED",
        "A YAML template, and this build has no `yaml` feature.",
        "Reading a YAML template with a build made without YAML support.",
        "Build with the `yaml` feature, or convert the template to JSON."),
    code(a::YAML_ALIAS, "YAML_ALIAS",
        "A YAML alias (`*name`).",
        "CloudFormation does not support YAML anchors and aliases.",
        "Write the value out in full."),
    code(a::YAML_TAG, "YAML_TAG",
        "A YAML tag that is not a CloudFormation short form.",
        "A custom or misspelt tag (`!Reff`).",
        "Use CloudFormation's short forms (`!Ref`, `!GetAtt`, `!Sub`, …) or the long form."),
    code(a::MANIFEST_VERSION, "MANIFEST_VERSION",
        "The manifest's major version is not one this build reads.",
        "An assembly written by another stackforge version.",
        "Synthesize again with this version."),
    code(a::HASH_MISMATCH, "HASH_MISMATCH",
        "A template's sha256 differs from the manifest's.",
        "A template edited by hand, or written by another run, after the manifest.",
        "Synthesize again; never edit templates in the assembly."),
    code(a::MANIFEST_INVALID, "MANIFEST_INVALID",
        "The manifest does not match its schema.",
        "A hand-edited or truncated `manifest.json`.",
        "Synthesize again."),
    code(a::LOCK, "LOCK",
        "The assembly's lock could not be taken.",
        "Another synth, diff or deploy holds the output directory, or the file system has no locks.",
        "Wait for the other run, or use another output directory."),
    code(a::NOT_AN_ASSEMBLY, "NOT_AN_ASSEMBLY",
        "A directory without `manifest.json`.",
        "A path that is not a synthesized assembly.",
        "Pass the directory `synth` wrote (`out/` by default)."),
    code(a::DUPLICATE_KEY, "DUPLICATE_KEY",
        "A key appears twice in one object or mapping of a template.",
        "A hand-edited template.",
        "Keep one of the keys."),
    code(a::TOO_DEEP, "TOO_DEEP",
        "A template nests objects and lists deeper than the reader's limit (128).",
        "A corrupted or hostile file.",
        "Pass a real template."),
    code(a::UNKNOWN_STACK, "UNKNOWN_STACK",
        "`--stack` names a stack the assembly does not have.",
        "A misspelt stack name, or a name without its environment prefix.",
        "Use a name that `list` prints, or a glob such as `prod/*`."),
    code(a::AMBIGUOUS_STACK, "AMBIGUOUS_STACK",
        "`--stack` matches stacks of several environments.",
        "A bare stack name that exists in more than one environment.",
        "Qualify it as `<environment>/<stack>`."),
    code(a::BAD_PATTERN, "BAD_PATTERN",
        "A `--stack` glob pattern is malformed.",
        "An unclosed `[` or similar in the pattern.",
        "Fix the glob."),
    code(a::INVALID_STACK_SETTING, "INVALID_STACK_SETTING",
        "A per-stack deploy setting is invalid.",
        "A notification ARN that is not an SNS topic ARN, more than 5 of them, or a malformed stack policy.",
        "Use SNS topic ARNs (at most 5) and a valid stack policy."),
    code(a::ONE_TEMPLATE, "ONE_TEMPLATE",
        "`diff --against FILE` names one template, and not exactly one stack is selected.",
        "A single template compared with an app of several stacks.",
        "Select one stack with `--stack`, or pass the assembly directory."),
    // ---- Deploy (SFDxxx, the `deploy` feature; the constants live in `deploy::codes`) ----
    code(Code::new("SFD001"), "NO_REGION",
        "No region is known for a stack that deploy, diff or destroy must reach.",
        "The stack's environment has no region and neither `--region`, `AWS_REGION` nor the profile gives one.",
        "Pin the region in the stack's environment, or pass `--region`."),
    code(Code::new("SFD002"), "USAGE",
        "A deploy option is malformed.",
        "A `--parameters`/`--tags` entry without `=`, an unknown stack pattern, conflicting flags.",
        "Write options as `Key=Value` and check the flags in `stackforge deploy --help`."),
    code(Code::new("SFD003"), "API",
        "An AWS API call failed.",
        "Credentials, permissions, throttling or a service error (the message names the operation and the service's code).",
        "Fix what the service's message says (credentials, IAM permissions), then run again; throttling is retried already."),
    code(Code::new("SFD004"), "ENVIRONMENT_MISMATCH",
        "The stack's pinned account or region is not the caller's.",
        "Deploying with credentials of another account, or to another region, than the stack's environment names.",
        "Use credentials for the pinned account and region (`--profile`, the environment's role), or change the environment."),
    code(Code::new("SFD005"), "TEMPLATE_NEEDS_BUCKET",
        "A template is over CloudFormation's 51,200-byte inline limit and there is no bucket to upload it to.",
        "A large stack deployed without a bootstrapped staging bucket.",
        "Run `stackforge bootstrap` once for the account and region, or split the stack."),
    code(Code::new("SFD006"), "NOT_BOOTSTRAPPED",
        "No staging bucket exists in this account and region.",
        "Assets or a large template need the staging bucket and `bootstrap` has not run here.",
        "Run `stackforge bootstrap` for the account and region."),
    code(Code::new("SFD007"), "ASSET",
        "An asset cannot be published.",
        "The asset file is missing from the assembly, or the upload to the staging bucket failed.",
        "Synthesize again (the assembly lists every asset with its hash), check the bucket's permissions, and deploy again."),
    code(Code::new("SFD008"), "APPROVAL_REFUSED",
        "The change needs approval and none was given.",
        "A change that broadens IAM or security groups, or replaces or deletes stateful resources, on a non-interactive run without `--approve`.",
        "Review the diff, then deploy with `--approve` (or answer the prompt on a terminal)."),
    code(Code::new("SFD009"), "EXPORT_IN_USE",
        "A deploy or destroy would drop an export another stack still imports.",
        "A changed or removed output that is exported, while an importing stack stays.",
        "Update or remove the importing stack first (deploy stacks in dependency order), or keep the export."),
    code(Code::new("SFD010"), "STUCK",
        "The stack is in a state deploy cannot continue from.",
        "A stack left in `*_IN_PROGRESS`, `ROLLBACK_FAILED` or `UPDATE_ROLLBACK_FAILED` by an earlier run.",
        "Follow the printed remedy: wait, `continue-update-rollback`, or delete the stack that never got created."),
    code(Code::new("SFD011"), "CHANGE_SET_FAILED",
        "CloudFormation refused the change set.",
        "An invalid template or parameter that only the service detects, or a capability not acknowledged.",
        "Fix what the status reason says, then deploy again."),
    code(Code::new("SFD012"), "FAILED",
        "The stack update failed and rolled back.",
        "A resource failed to create or update (the events name it and give the reason).",
        "Read the failed resource's reason in the events, fix it, and deploy again."),
    code(Code::new("SFD013"), "TIMEOUT",
        "Waiting for the stack took longer than the timeout.",
        "A slow resource (a database, a service that never becomes stable), or a stack stuck in progress.",
        "Check the stack's events; raise `--timeout` if the resources are just slow."),
    code(Code::new("SFD014"), "REQUIREMENT_UNMET",
        "A pre-deploy requirement is not met.",
        "An image the stack requires is not in its ECR repository yet.",
        "Push the image (the message names repository and tag), then deploy again."),
    code(Code::new("SFD015"), "DESTROY_BLOCKED",
        "Something blocks the destroy.",
        "Termination protection, an export still imported, or a database with deletion protection.",
        "Follow the remedy for each blocker (deploy once with `--allow-destroy`, remove importers first)."),
    code(Code::new("SFD016"), "IO",
        "Writing deploy output failed.",
        "`outputs.json` or the event log could not be written (permissions, a full disk).",
        "Make the output directory writable and run again."),
];

/// `docs/errors.md`: every code of `sections` with its meaning, cause and fix, then the
/// retired codes. Tests compare it with the file in the repository.
pub fn render_markdown(sections: &[(&str, &[CodeInfo])]) -> String {
    let mut out = String::from(
        "# Diagnostic codes\n\n\
         <!-- Generated from the code catalogue (`stackforge::catalogue::CORE` and \
         `stackforge_modules::catalogue::PATTERNS`); do not edit. Regenerate with \
         `STACKFORGE_BLESS=1 cargo test -p stackforge --test tests catalogue`. -->\n\n\
         Every problem stackforge reports has a stable code. Tests match codes, never message \
         text. The first line of every diagnostic names the stack, the resource and the \
         property, and ends with the fix:\n\n\
         ```text\n\
         error[SF103] web/BucketPolicy/Properties.Bucket: `My_Bucket` does not match the pattern …; fix: change the value so it matches the schema's pattern\n\
         ```\n",
    );
    for (title, codes) in sections {
        out.push_str(&format!(
            "\n## {title}\n\n| Code | Name | Meaning |\n|---|---|---|\n"
        ));
        for i in codes.iter() {
            out.push_str(&format!(
                "| [`{0}`](#{1}) | `{2}` | {3} |\n",
                i.code,
                i.code.as_str().to_lowercase(),
                i.name,
                i.meaning.replace('|', "\\|")
            ));
        }
        for i in codes.iter() {
            out.push_str(&format!(
                "\n### {}\n\n`{}`: {}\n\n- **Cause:** {}\n- **Fix:** {}\n",
                i.code, i.name, i.meaning, i.cause, i.fix
            ));
        }
    }
    out.push_str("\n## Retired codes\n\nThese numbers are never reused.\n\n| Code | Replaced by |\n|---|---|\n");
    for r in RETIRED {
        out.push_str(&format!("| `{}` | {} |\n", r.code, r.replaced_by));
    }
    out
}
