//! Property tests of the core over generated apps.

use proptest::prelude::*;
use stackforge::diag::codes;
use stackforge::{App, Raw};

/// Up to 12 resources; each may reference any other (including later ones, through an
/// override, which is how a cycle can arise).
fn graphs() -> impl Strategy<Value = (usize, Vec<(usize, usize)>)> {
    (1usize..12).prop_flat_map(|n| (Just(n), proptest::collection::vec((0..n, 0..n), 0..20)))
}

proptest! {
    #[test]
    fn synth_fails_exactly_on_cycles_and_names_a_real_one((n, edges) in graphs()) {
        let app = App::new();
        let mut s = app.stack("p");
        let handles: Vec<_> = (0..n).map(|i| s.add_raw(&format!("R{i}"), Raw::new("AWS::SQS::Queue"))).collect();
        let mut g = petgraph::graph::DiGraph::<(), ()>::new();
        for _ in 0..n { g.add_node(()); }
        for (k, (a, b)) in edges.iter().enumerate() {
            s.override_property(handles[*a], &[&format!("P{k}")], handles[*b].get_att::<String>("Arn"));
            g.update_edge(petgraph::graph::NodeIndex::new(*a), petgraph::graph::NodeIndex::new(*b), ());
        }
        let cyclic = petgraph::algo::is_cyclic_directed(&g);
        match app.synth() {
            Ok(a) => {
                prop_assert!(!cyclic);
                // Dependencies come first in resource_order.
                let order = &a.stacks[0].resource_order;
                let pos = |i: usize| order.iter().position(|x| *x == format!("R{i}")).unwrap();
                for (a, b) in &edges { if a != b { prop_assert!(pos(*b) < pos(*a)); } }
            }
            Err(e) => {
                prop_assert!(cyclic);
                prop_assert_eq!(e.codes(), vec![codes::RESOURCE_CYCLE]);
                let msg = &e.diagnostics()[0].message;
                let line = msg.lines().next().unwrap();
                let path: Vec<usize> = line.rsplit(": ").next().unwrap().split(" -> ").map(|x| x.trim_start_matches('R').parse().unwrap()).collect();
                prop_assert_eq!(path.first(), path.last());
                for w in path.windows(2) {
                    prop_assert!(edges.contains(&(w[0], w[1])), "{:?} is not an edge of {:?}", w, edges);
                }
            }
        }
    }

    #[test]
    fn any_logical_id_is_accepted_or_reported_never_panics(id in "\\PC{0,20}") {
        let app = App::new();
        app.stack("p").add_raw(&id, Raw::new("AWS::SQS::Queue"));
        let valid = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric());
        match app.synth() {
            Ok(_) => prop_assert!(valid),
            Err(e) => {
                prop_assert!(!valid);
                prop_assert_eq!(e.codes(), vec![codes::INVALID_LOGICAL_ID]);
            }
        }
    }

    #[test]
    fn literal_text_in_sub_is_escaped(text in "[a-z${}!]{0,12}") {
        let app = App::new();
        let mut s = app.stack("p");
        let q = s.add_raw("Q", Raw::new("AWS::SQS::Queue"));
        s.add_raw("T", Raw::new("AWS::SNS::Topic").prop("DisplayName", stackforge::sub!(text.as_str(), q.reference())));
        let a = app.synth().unwrap();
        let sub = a.stacks[0].template["Resources"]["T"]["Properties"]["DisplayName"]["Fn::Sub"].as_str().unwrap().to_owned();
        prop_assert_eq!(sub, format!("{}${{Q}}", text.replace("${", "${!")));
    }

    #[test]
    fn synth_is_deterministic(n in 1usize..80) {
        let a = stackforge_benches::single_stack(n).synth().unwrap();
        let b = stackforge_benches::single_stack(n).synth().unwrap();
        prop_assert_eq!(&a.stacks[0].pretty, &b.stacks[0].pretty);
    }
}
