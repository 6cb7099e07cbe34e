//! Several stacks open at once, used in turn, with a reference between them (issue 10):
//! a scope borrows the app shared, never mutably.
use stackforge::cfn::{ec2, logs};
use stackforge::App;

fn main() {
    let app = App::new();
    let mut a = app.stack("a");
    let mut b = app.stack("b");
    let vpc = a.add(
        "Vpc",
        ec2::Vpc {
            cidr_block: Some("10.0.0.0/16".into()),
            ..Default::default()
        },
    );
    b.add(
        "Subnet",
        ec2::Subnet {
            cidr_block: Some("10.0.0.0/24".into()),
            ..ec2::Subnet::new(vpc.reference())
        },
    );
    a.add("Logs", logs::LogGroup::default());
    b.add("MoreLogs", logs::LogGroup::default());
    let assembly = app.synth().expect("valid");
    assert_eq!(assembly.stacks.len(), 2);
    assert_eq!(assembly.stacks[1].dependencies, ["a"]);
}
