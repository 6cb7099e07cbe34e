//! The page: the view model and its layout, through the handlebars template in
//! `cli/templates/report.html.hbs` (compiled into the binary; HTML-escaped by handlebars).

use anyhow::Context;
use handlebars::Handlebars;
use serde_json::json;

use super::layout::{self, AzIn, Diagram, ItemIn, SubnetIn, VpcIn};
use super::model::Report;

const TEMPLATE: &str = include_str!("../../templates/report.html.hbs");

/// The boxes of the report's picture.
pub fn diagram(r: &Report) -> Diagram {
    // Inside a VPC, whose box names the stack, a box shows the logical ID alone; outside
    // one, the whole `stack/Id` name.
    let item = |name: &str, short: bool| -> ItemIn {
        let w = r.workloads.iter().find(|w| w.name == name);
        let label = if short {
            name.rsplit('/').next().unwrap_or(name)
        } else {
            name
        };
        ItemIn {
            label: label.to_owned(),
            detail: w.map(|w| w.detail.clone()).unwrap_or_default(),
            class: match w {
                Some(w) if w.public => format!("item {} public", w.kind),
                Some(w) => format!("item {}", w.kind),
                None => "item".into(),
            },
            change: w.and_then(|w| w.change),
        }
    };
    let vpcs: Vec<VpcIn> = r
        .vpcs
        .iter()
        .map(|v| VpcIn {
            label: format!("VPC {}", v.name),
            detail: format!(
                "{}{}",
                v.cidr,
                if v.internet_gateway {
                    ", internet gateway"
                } else {
                    ""
                }
            ),
            azs: v
                .azs
                .iter()
                .map(|a| AzIn {
                    label: a.name.clone(),
                    subnets: a
                        .subnets
                        .iter()
                        .map(|s| SubnetIn {
                            label: s.name.rsplit('/').next().unwrap_or(&s.name).to_owned(),
                            detail: format!(
                                "{} {}",
                                s.cidr,
                                if s.public { "public" } else { "private" }
                            ),
                            class: if s.public {
                                "subnet-public"
                            } else {
                                "subnet-private"
                            }
                            .into(),
                            change: s.change,
                            items: s.workloads.iter().map(|w| item(w, true)).collect(),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let regional: Vec<ItemIn> = r
        .workloads
        .iter()
        .filter(|w| w.subnets.is_empty() && w.kind != "endpoint" && w.kind != "nat")
        .map(|w| item(&w.name, false))
        .collect();
    layout::layout(&vpcs, &regional)
}

/// The page for `r`.
pub fn html(r: &Report) -> anyhow::Result<String> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_template_string("report", TEMPLATE)
        .context("the report template does not parse")?;
    let mut data = serde_json::to_value(r).context("the report model")?;
    if let Some(o) = data.as_object_mut() {
        let d = diagram(r);
        // The layout's promises (nothing overlaps, children inside parents) are checked
        // on every page, not only in the unit tests.
        layout::check(&d).map_err(|e| anyhow::anyhow!("the report's layout is wrong: {e}"))?;
        o.insert("diagram".into(), serde_json::to_value(d)?);
        o.insert("stack_count".into(), json!(r.stacks.len()));
    }
    hb.render("report", &data).context("rendering the report")
}
