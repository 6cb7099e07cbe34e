//! A type with required properties has no `Default` and its `new` takes them all.
use stackforge::cfn::ec2;

fn main() {
    let _ = ec2::SecurityGroup {
        vpc_id: Some("vpc-123".into()),
        ..Default::default()
    };
    let _ = ec2::SecurityGroup::new();
}
