//! `stackforge report`: one self-contained HTML page that shows what an assembly builds —
//! the network and what runs where, what the internet can reach, what each role may do,
//! where the secrets are and who reads them, what costs money, the stacks, and the checks
//! that were skipped on purpose.
//!
//! The data flows one way: the assembly ([`stackforge::assembly::CloudAssembly`], the
//! manifest and the templates it lists) → a typed view model ([`model`]) → boxes in whole
//! pixels ([`layout`]) → HTML from handlebars templates kept in `cli/templates/`
//! ([`render`]). The page has inline CSS and SVG only: no script, no font, no request.

pub mod cfn;
pub mod layout;
pub mod model;
pub mod render;

use std::path::{Path, PathBuf};

use anyhow::Context;
use stackforge::assembly::CloudAssembly;

use model::{ChangeView, Changes, Report};

/// `stackforge report [DIR]`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReportArgs {
    /// The assembly to report on (default: `--out`, `out`).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// An earlier assembly: mark what this one adds, removes, replaces and modifies.
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// Where to write the page (default: `<DIR>/report.html`).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The view model of an assembly, compared with `against` when given.
pub fn build(assembly: &CloudAssembly, against: Option<&CloudAssembly>) -> Report {
    let a = cfn::Assembly::new(assembly.stacks.iter().collect());
    match against {
        None => model::build(&a, None),
        Some(old) => {
            let (marks, list) = changes(assembly, old);
            model::build(&a, Some((&marks, list)))
        }
    }
}

/// What changed from `old` to `new`, resource by resource (stack name, logical ID).
fn changes(new: &CloudAssembly, old: &CloudAssembly) -> (Changes, Vec<ChangeView>) {
    use stackforge::diff::{diff_templates, Action};
    let mut marks = Changes::new();
    let mut list = Vec::new();
    let empty = serde_json::Value::Null;
    let mut record = |stack: &str, d: stackforge::diff::TemplateDiff| {
        for c in d.resources {
            let (action, detail) = match c.action {
                Action::Add => ("added", String::new()),
                Action::Remove => ("removed", String::new()),
                Action::Modify if !c.replacement.is_empty() => (
                    "replaced",
                    format!("replaced because of {}", c.replacement.join(", ")),
                ),
                Action::Modify => ("modified", c.changed_properties.join(", ")),
            };
            marks.insert((stack.to_owned(), c.logical_id.clone()), action);
            list.push(ChangeView {
                action,
                resource: format!("{stack}/{}", c.logical_id),
                type_name: c.type_name,
                detail,
            });
        }
    };
    for s in &new.stacks {
        let before = old.stack(s.name()).map(|o| &o.template).unwrap_or(&empty);
        record(s.name(), diff_templates(before, &s.template));
    }
    for o in &old.stacks {
        if new.stack(o.name()).is_none() {
            record(o.name(), diff_templates(&o.template, &empty));
        }
    }
    list.sort();
    (marks, list)
}

/// Reads the assembly (and the earlier one), writes the page, returns its path and the model.
pub fn run(args: &ReportArgs, default_dir: &Path) -> anyhow::Result<(PathBuf, Report)> {
    let dir = args.dir.clone().unwrap_or_else(|| default_dir.to_owned());
    let assembly = CloudAssembly::read(&dir)
        .with_context(|| format!("cannot read the assembly in {}", dir.display()))?;
    let against = match &args.against {
        Some(p) => Some(
            CloudAssembly::read(p)
                .with_context(|| format!("cannot read the earlier assembly in {}", p.display()))?,
        ),
        None => None,
    };
    let report = build(&assembly, against.as_ref());
    let html = render::html(&report)?;
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| dir.join("report.html"));
    stackforge::assembly::write_atomic(&path, html.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok((path, report))
}
