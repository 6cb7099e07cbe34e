//! Synthetic apps for the synth benchmarks (`benches/synth.rs`), shared with a sanity test.

use stackforge::value::fns;
use stackforge::{sub, App, Output, Raw, Val};

/// One stack with `n` resources: chains of queues, topics and subscriptions that reference
/// each other (Ref, GetAtt and Sub), as a real stack does.
pub fn single_stack(n: usize) -> App {
    let app = App::new();
    let mut s = app.stack("bench");
    add_resources(&mut s, n, None);
    app
}

/// `stacks` stacks of `per_stack` resources; every stack after the first imports a value
/// from the one before it (a cross-stack reference, so an export and an import).
pub fn many_stacks(stacks: usize, per_stack: usize) -> App {
    let app = App::new();
    let mut prev: Option<Val<String>> = None;
    for i in 0..stacks {
        let mut s = app.stack(&format!("stack-{i}"));
        prev = Some(add_resources(&mut s, per_stack, prev));
    }
    app
}

fn add_resources(
    s: &mut stackforge::Scope<'_>,
    n: usize,
    import: Option<Val<String>>,
) -> Val<String> {
    let mut last = s.add_raw(
        "Root",
        Raw::new("AWS::SQS::Queue").prop("SqsManagedSseEnabled", Val::from(true)),
    );
    let mut count = 1;
    let mut i = 0;
    while count < n {
        let mut g = s.child(&format!("G{i}"));
        let q = g.add_raw(
            "Queue",
            Raw::new("AWS::SQS::Queue")
                .prop("SqsManagedSseEnabled", Val::from(true))
                .prop(
                    "QueueName",
                    sub!(
                        stackforge::pseudo::stack_name(),
                        "-q",
                        format!("{i}").as_str()
                    ),
                )
                .prop("RedrivePolicy", serde_json::json!({"maxReceiveCount": 3}))
                .prop(
                    "Tags",
                    serde_json::json!([{"Key": "group", "Value": format!("{i}")}]),
                ),
        );
        g.override_property(
            q,
            &["RedrivePolicy", "deadLetterTargetArn"],
            last.get_att::<String>("Arn"),
        );
        count += 1;
        if count < n {
            let label = match &import {
                Some(v) if i == 0 => v.clone(),
                _ => fns::join(
                    "-",
                    vec![Val::<String>::from("topic"), format!("{i}").into()],
                ),
            };
            g.add_raw(
                "Topic",
                Raw::new("AWS::SNS::Topic").prop("DisplayName", label),
            );
            count += 1;
        }
        last = q;
        i += 1;
    }
    let out = last.get_att::<String>("Arn");
    s.output("LastArn", Output::new(out.clone()));
    out
}

/// The flagship example's app, with its default options.
pub fn flagship() -> App {
    stackforge_examples::fargate_app::build(&stackforge_examples::fargate_app::Options::default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn synthetic_apps_have_the_requested_size() {
        let a = super::single_stack(50).synth().unwrap();
        assert_eq!(a.stacks[0].resource_count, 50);
        let a = super::many_stacks(25, 400).synth().unwrap();
        assert_eq!(
            a.stacks.iter().map(|s| s.resource_count).sum::<usize>(),
            10_000
        );
        assert_eq!(a.stacks[24].dependencies, ["stack-23"]);
        assert_eq!(
            super::flagship().synth().unwrap().stacks[0].resource_count,
            50
        );
    }
}
