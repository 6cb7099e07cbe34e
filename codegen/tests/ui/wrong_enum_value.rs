//! An enum property takes the generated enum, not an arbitrary string or a made-up variant.
use stackforge::cfn::ec2;

fn main() {
    let _ = ec2::Vpc {
        instance_tenancy: Some("shared".into()),
        ..Default::default()
    };
    let _ = ec2::Vpc {
        instance_tenancy: Some(ec2::vpc::InstanceTenancy::Shared.into()),
        ..Default::default()
    };
}
