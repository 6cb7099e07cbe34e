//! The correct counterpart of every compile-fail case.
use stackforge::cfn::{ec2, rds};
use stackforge::App;

fn main() {
    let app = App::new();
    let mut stack = app.stack("s");
    let vpc = stack.add(
        "Vpc",
        ec2::Vpc {
            cidr_block: Some("10.0.0.0/16".into()),
            instance_tenancy: Some(ec2::vpc::InstanceTenancy::Dedicated.into()),
            ..Default::default()
        },
    );
    let mut sg = ec2::SecurityGroup::new("web");
    sg.vpc_id = Some(vpc.into());
    stack.add("Sg", sg);
    let _cidr = vpc.attr_cidr_block();
    let db = stack.add("Db", rds::DbInstance::default());
    let _address = db.attr_endpoint_address();
}
